//! The stabilizer backend against Stim on Clifford circuits of 500+ qubits.
//!
//! `tests/fixtures/stim_clifford.json` comes from `scripts/fixtures/gen_stim.py`
//! (Stim 1.16.0 from PyPI): each circuit in Stim's text format and, from
//! 20,000 Stim shots, the exact class of every measurement's marginal and of
//! selected pair parities — `0`/`1` (deterministic) or `r` (a fair coin; in a
//! noiseless Clifford circuit nothing else is possible).
//!
//! Our samples must reproduce every deterministic value exactly, and every
//! fair coin within 6 standard deviations (+1 count) of one half over
//! `SHOTS` shots: a two-sided normal tail of about 2e-9 per statistic, so
//! with about 5,000 statistics a correct sampler fails a given seed with
//! probability about 1e-5 (the seed is fixed, so a pass is reproducible).

use qv_circuit::Circuit;
use qv_sim::stabilizer::{Sampler, ShotBits};
use serde::Deserialize;

const SHOTS: usize = 20_000;

#[derive(Deserialize)]
struct Fixture {
    stim_version: String,
    circuits: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    num_qubits: usize,
    num_measurements: usize,
    stim: String,
    marginals: String,
    pairs: Vec<[usize; 2]>,
    pair_parity: String,
}

/// Builds our circuit from Stim's text (the gate subset the generator emits;
/// Stim's gates equal ours up to global phase, which sampling cannot see).
fn from_stim(case: &Case) -> Circuit {
    let mut c = Circuit::with_clbits(case.num_qubits, case.num_measurements);
    let mut record = 0;
    for line in case.stim.lines().filter(|l| !l.trim().is_empty()) {
        let mut parts = line.split_whitespace();
        let name = parts.next().unwrap();
        let t: Vec<usize> = parts.map(|p| p.parse().unwrap()).collect();
        let pairs = || t.chunks(2).map(|p| (p[0], p[1]));
        c = match name {
            "H" => t.iter().fold(c, |c, &q| c.h(q)),
            "S" => t.iter().fold(c, |c, &q| c.s(q)),
            "S_DAG" => t.iter().fold(c, |c, &q| c.sdg(q)),
            "SQRT_X" => t.iter().fold(c, |c, &q| c.sx(q)),
            "SQRT_X_DAG" => t.iter().fold(c, |c, &q| c.sxdg(q)),
            "X" => t.iter().fold(c, |c, &q| c.x(q)),
            "Y" => t.iter().fold(c, |c, &q| c.y(q)),
            "Z" => t.iter().fold(c, |c, &q| c.z(q)),
            "CX" => pairs().fold(c, |c, (a, b)| c.cx(a, b)),
            "CY" => pairs().fold(c, |c, (a, b)| c.cy(a, b)),
            "CZ" => pairs().fold(c, |c, (a, b)| c.cz(a, b)),
            "SWAP" => pairs().fold(c, |c, (a, b)| c.swap(a, b)),
            "ISWAP" => {
                pairs().fold(c, |c, (a, b)| c.gate(qv_circuit::StandardGate::Iswap, &[], &[a, b]))
            }
            "R" => t.iter().fold(c, |c, &q| c.reset(q)),
            // X-basis reset: |0⟩ then H.
            "RX" => t.iter().fold(c, |c, &q| c.reset(q).h(q)),
            "M" | "MR" => t.iter().fold(c, |c, &q| {
                let c = c.measure(q, record);
                record += 1;
                if name == "MR" {
                    c.reset(q)
                } else {
                    c
                }
            }),
            // X-basis measurement: rotate, measure, rotate back.
            "MX" => t.iter().fold(c, |c, &q| {
                let c = c.h(q).measure(q, record).h(q);
                record += 1;
                c
            }),
            other => panic!("{}: unexpected Stim instruction {other}", case.name),
        };
    }
    assert_eq!(record, case.num_measurements, "{}", case.name);
    c
}

/// Checks a count of ones against its class.
fn check(what: &str, class: u8, ones: usize) {
    match class {
        b'0' => assert_eq!(ones, 0, "{what}: deterministic 0 in Stim"),
        b'1' => assert_eq!(ones, SHOTS, "{what}: deterministic 1 in Stim"),
        b'r' => {
            let sd = (SHOTS as f64 * 0.25).sqrt();
            let dev = (ones as f64 - SHOTS as f64 / 2.0).abs();
            assert!(dev <= 6.0 * sd + 1.0, "{what}: {ones} of {SHOTS}, a fair coin in Stim");
        }
        other => panic!("{what}: bad class {other}"),
    }
}

fn check_case(case: &Case, bits: &ShotBits) {
    let m = case.num_measurements;
    assert_eq!((bits.shots(), bits.num_clbits()), (SHOTS, m));
    let mut ones = vec![0usize; m];
    for s in 0..SHOTS {
        let row = bits.shot(s);
        for (c, count) in ones.iter_mut().enumerate() {
            *count += ((row[c / 64] >> (c % 64)) & 1) as usize;
        }
    }
    let deterministic = case.marginals.bytes().filter(|&b| b != b'r').count();
    for (c, class) in case.marginals.bytes().enumerate() {
        check(&format!("{}: measurement {c}", case.name), class, ones[c]);
    }
    for (&[a, b], class) in case.pairs.iter().zip(case.pair_parity.bytes()) {
        let odd = (0..SHOTS).filter(|&s| bits.bit(s, a) != bits.bit(s, b)).count();
        check(&format!("{}: parity of measurements {a} and {b}", case.name), class, odd);
    }
    assert!(deterministic > 0 || case.name.starts_with("random_deep"), "{}", case.name);
}

#[test]
fn samples_agree_with_stim_on_large_clifford_circuits() {
    let text = include_str!("fixtures/stim_clifford.json");
    let fixture: Fixture = serde_json::from_str(text).unwrap();
    assert_eq!(fixture.stim_version, "1.16.0");
    assert_eq!(fixture.circuits.len(), 3);
    assert!(fixture.circuits.iter().filter(|c| c.num_qubits >= 500).count() >= 2);
    for (i, case) in fixture.circuits.iter().enumerate() {
        assert_eq!(case.marginals.len(), case.num_measurements);
        assert_eq!(case.pairs.len(), case.pair_parity.len());
        let circuit = from_stim(case);
        let sampler = Sampler::new(&circuit).unwrap();
        assert!(sampler.uses_frames());
        check_case(case, &sampler.sample(SHOTS, 1000 + i as u64, 0).unwrap());
    }
}
