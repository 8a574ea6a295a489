//! The stabilizer backend against the reference state-vector simulator.
//!
//! Reference values come from `qv_sim::probabilities` and `qv_sim::statevector`
//! (the complex128 reference simulator, itself checked against Qiskit in
//! `conformance.rs`), never from the stabilizer code.
//!
//! Statistics: sampled frequencies are compared with exact probabilities at
//! 6 standard deviations plus one count (two-sided normal tail ≈ 2e-9 per
//! statistic). Each seeded test compares at most a few thousand statistics,
//! so a correct simulator fails a given seed with probability below 1e-5;
//! the seeds are fixed, so a pass is reproducible.

use std::collections::{BTreeMap, HashMap};
use std::f64::consts::{FRAC_PI_2, PI};
use std::sync::Arc;

use qv_circuit::{Circuit, StandardGate as G, C64};
use qv_sim::simd::{self, Isa};
use qv_sim::stabilizer::{self, Sampler};
use qv_sim::{
    probabilities, statevector, Channel, NoiseModel, Observable, ReadoutError, RunConfig, SimError,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn config(shots: u64, seed: u64) -> RunConfig {
    RunConfig { shots, seed: Some(seed), ..RunConfig::default() }
}

/// A random Clifford gate of the table, parameterised ones at Clifford angles.
fn random_gate(rng: &mut ChaCha8Rng, n: usize) -> (G, Vec<f64>, Vec<usize>) {
    let quarter = |rng: &mut ChaCha8Rng| f64::from(rng.gen_range(-4..=4)) * FRAC_PI_2;
    let one: [G; 9] = [G::Id, G::X, G::Y, G::Z, G::H, G::S, G::Sdg, G::Sx, G::Sxdg];
    let two: [G; 8] = [G::Cx, G::Cy, G::Cz, G::Swap, G::Iswap, G::Dcx, G::Ecr, G::Cx];
    let a = rng.gen_range(0..n);
    let mut b = rng.gen_range(0..n);
    while n > 1 && b == a {
        b = rng.gen_range(0..n);
    }
    match rng.gen_range(0..6) {
        0 | 1 => (one[rng.gen_range(0..one.len())], vec![], vec![a]),
        2 if n > 1 => (two[rng.gen_range(0..two.len())], vec![], vec![a, b]),
        3 => {
            let g = [G::Rz, G::Rx, G::Ry, G::P, G::U1][rng.gen_range(0..5)];
            (g, vec![quarter(rng)], vec![a])
        }
        4 => match rng.gen_range(0..3) {
            0 => (G::U3, vec![quarter(rng), quarter(rng), quarter(rng)], vec![a]),
            1 => (G::U2, vec![quarter(rng), quarter(rng)], vec![a]),
            _ => (G::R, vec![quarter(rng), quarter(rng)], vec![a]),
        },
        _ if n > 1 => match rng.gen_range(0..3) {
            0 => (
                [G::Rzz, G::Rxx, G::Ryy, G::Rzx][rng.gen_range(0..4)],
                vec![quarter(rng)],
                vec![a, b],
            ),
            1 => (G::Cp, vec![f64::from(rng.gen_range(-2..=2)) * PI], vec![a, b]),
            _ => (G::Crz, vec![f64::from(rng.gen_range(-2..=2)) * 2.0 * PI], vec![a, b]),
        },
        _ => (G::H, vec![], vec![a]),
    }
}

fn random_clifford(c: Circuit, gates: usize, rng: &mut ChaCha8Rng) -> Circuit {
    let n = c.num_qubits();
    (0..gates).fold(c, |c, _| {
        let (g, params, qubits) = random_gate(rng, n);
        c.gate(g, &params, &qubits)
    })
}

/// Exact clbit distribution of the reference simulator.
fn exact(c: &Circuit) -> BTreeMap<String, f64> {
    probabilities(c).unwrap().values.into_iter().collect()
}

fn close(count: u64, shots: u64, p: f64) -> bool {
    let (n, p) = (shots as f64, p.clamp(0.0, 1.0));
    (count as f64 - n * p).abs() <= 6.0 * (n * p * (1.0 - p)).sqrt() + 1.0
}

/// Probability that the characters at `positions` of a key are all '1' … or
/// have odd parity, under `dist` (a map from key to probability or count).
fn stat<V: Copy + Into<f64>>(dist: &BTreeMap<String, V>, f: impl Fn(&[u8]) -> bool) -> f64 {
    dist.iter().filter(|(k, _)| f(k.as_bytes())).map(|(_, &v)| v.into()).sum()
}

/// Sampled counts agree with the reference simulator's exact distribution.
fn assert_agrees(c: &Circuit, shots: u64, seed: u64) {
    assert_agrees_with(c, &exact(c), &config(shots, seed));
}

/// Sampled counts agree with the exact distribution `want`: support, every
/// single-bit marginal, every pair parity, and whole keys when there are few.
fn assert_agrees_with(c: &Circuit, want: &BTreeMap<String, f64>, config: &RunConfig) {
    let (want, shots) = (want.clone(), config.shots);
    let got = stabilizer::run(c, config).unwrap();
    let counts: BTreeMap<String, f64> =
        got.counts.iter().map(|(k, &v)| (k.clone(), v as f64)).collect();
    for key in counts.keys() {
        assert!(want.contains_key(key), "impossible outcome {key} sampled; exact: {want:?}");
    }
    let width = want.keys().next().map_or(0, |k| k.len());
    let bit = |k: &[u8], i: usize| k[i] == b'1';
    for i in 0..width {
        let p = stat(&want, |k| bit(k, i));
        let count = stat(&counts, |k| bit(k, i)) as u64;
        if !(1e-12..=1.0 - 1e-12).contains(&p) {
            assert_eq!(count as f64, p.round() * shots as f64, "deterministic bit {i} varies");
        }
        assert!(close(count, shots, p), "marginal of char {i}: {count} vs p={p}");
        for j in 0..i {
            let p = stat(&want, |k| bit(k, i) != bit(k, j));
            let count = stat(&counts, |k| bit(k, i) != bit(k, j)) as u64;
            assert!(close(count, shots, p), "parity of chars {i},{j}: {count} vs p={p}");
        }
    }
    if want.len() <= 32 {
        for (key, &p) in &want {
            let count = got.counts.get(key).copied().unwrap_or(0);
            assert!(close(count, shots, p), "{key}: {count} vs p={p}");
        }
    }
}

#[test]
fn random_unitary_circuits_match_the_state_vector() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for case in 0..40 {
        let n = 1 + case % 12;
        let c = random_clifford(Circuit::new(n), 6 * n + 4, &mut rng).measure_all();
        assert_agrees(&c, 4000, case as u64);
    }
}

#[test]
fn mid_circuit_measurement_reset_and_conditions_match() {
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    for case in 0..40 {
        let n = 2 + case % 6;
        let mut c = Circuit::new(n);
        let m = c.add_creg("m", 2).unwrap();
        let fin = c.add_creg("c", n).unwrap();
        let mut c = random_clifford(c, 3 * n, &mut rng);
        for step in 0..2 {
            let q = rng.gen_range(0..n);
            c = c.measure(q, step);
            c = random_clifford(c, n, &mut rng);
            let value = rng.gen_range(0..4);
            let target = rng.gen_range(0..n);
            // Conditioned Paulis stay on the frame sampler; a conditioned H
            // sends the whole circuit to the per-shot tableau path.
            c = match (case + step) % 4 {
                0 => c.x(target).c_if(m, value),
                1 => c.y(target).c_if(m, value),
                2 => c.h(target).c_if(m, value),
                _ => c.reset(target),
            };
            c = random_clifford(c, n, &mut rng);
        }
        let start = c.cregs()[fin].start;
        let c = (0..n).fold(c, |c, q| c.measure(q, start + q));
        assert_agrees(&c, 4000, 100 + case as u64);
    }
}

#[test]
fn deterministic_outcomes_are_identical() {
    // x on every other qubit, then a Clifford that is the identity up to phase.
    let n = 12;
    let mut c = Circuit::new(n);
    for q in (0..n).step_by(2) {
        c = c.x(q);
    }
    for q in 0..n - 1 {
        // h·s·s·h = h·z·h = x, undone by the x.
        c = c.h(q).s(q).s(q).h(q).x(q).cx(q, q + 1).cx(q, q + 1);
    }
    let c = c.measure_all();
    let want = exact(&c);
    assert_eq!(want.len(), 1);
    let got = stabilizer::run(&c, &config(500, 3)).unwrap();
    assert_eq!(got.counts, BTreeMap::from([("010101010101".to_string(), 500)]));
    assert_eq!(want.keys().next().unwrap(), "010101010101");
}

/// `⟨ψ|P|ψ⟩` from amplitudes: `P|b⟩ = i^{#Y} (-1)^{|z∧b|} |b ⊕ x⟩`.
fn pauli_expectation(psi: &[C64], x: usize, z: usize, ys: u32) -> f64 {
    let phase = [C64::new(1.0, 0.0), C64::new(0.0, 1.0), C64::new(-1.0, 0.0), C64::new(0.0, -1.0)]
        [(ys % 4) as usize];
    let mut acc = C64::new(0.0, 0.0);
    for (b, &amp) in psi.iter().enumerate() {
        let sign = if (z & b).count_ones() % 2 == 1 { -1.0 } else { 1.0 };
        acc += psi[b ^ x].conj() * amp * phase * sign;
    }
    acc.re
}

#[test]
fn expectation_values_match_the_state_vector() {
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    for case in 0..30 {
        let n = 1 + case % 8;
        let c = random_clifford(Circuit::new(n), 8 * n, &mut rng);
        let psi = statevector(&c).unwrap();
        for _ in 0..8 {
            let (mut x, mut z, mut ys, mut text) = (0usize, 0usize, 0u32, Vec::new());
            for q in 0..n {
                match rng.gen_range(0..4) {
                    1 => (x |= 1 << q, text.push(format!("X{q}"))).1,
                    2 => (z |= 1 << q, text.push(format!("Z{q}"))).1,
                    3 => {
                        x |= 1 << q;
                        z |= 1 << q;
                        ys += 1;
                        text.push(format!("Y{q}"));
                    }
                    _ => {}
                }
            }
            let label = if text.is_empty() { "I0".to_string() } else { text.join(" ") };
            let obs = Observable::parse(&format!("0.75*{label} - 0.25")).unwrap();
            let want = 0.75 * pauli_expectation(&psi, x, z, ys) - 0.25;
            let got = stabilizer::expectation(&c, &obs).unwrap();
            assert!((got - want).abs() < 1e-9, "case {case} {label}: {got} vs {want}");
        }
    }
}

#[test]
fn expectation_refuses_mixed_final_states() {
    let c = Circuit::with_clbits(2, 1).h(0).measure(0, 0).cx(0, 1);
    let obs = Observable::parse("Z0").unwrap();
    let err = stabilizer::expectation(&c, &obs).unwrap_err();
    assert!(err.to_string().contains("mid-circuit measurement"), "{err}");
    // Terminal measurements leave the state before them: ⟨Z0 Z1⟩ of a Bell pair is 1.
    let c = Circuit::new(2).h(0).cx(0, 1).measure_all();
    assert_eq!(stabilizer::expectation(&c, &Observable::parse("Z0 Z1").unwrap()).unwrap(), 1.0);
    assert_eq!(stabilizer::expectation(&c, &Observable::parse("Z0").unwrap()).unwrap(), 0.0);
    // Per term, coefficients left out: GHZ on 3 qubits has ⟨XXX⟩ = 1, ⟨YYX⟩ = -1.
    let ghz = Circuit::new(3).h(0).cx(0, 1).cx(1, 2);
    let obs = Observable::parse("2*Z0 Z2 + 0.5*X0 X1 X2 - Y0 Y1 X2 + 3*Z1").unwrap();
    assert_eq!(stabilizer::term_expectations(&ghz, &obs).unwrap(), vec![1.0, 1.0, -1.0, 0.0]);
    assert_eq!(stabilizer::expectation(&ghz, &obs).unwrap(), 2.0 + 0.5 + 1.0);
}

#[test]
fn non_clifford_gates_are_named_with_their_instruction() {
    let c = Circuit::new(3).h(0).cx(0, 1).rz(0.3, 2).measure_all();
    let err = stabilizer::run(&c, &config(10, 1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "gate `rz` at instruction 2 (`rz(0.3) q[2]`) is not a Clifford gate, so the stabilizer \
         backend cannot simulate it (it runs id, x, y, z, h, s, sdg, sx, sxdg, cx, cy, cz, swap, \
         iswap, dcx, ecr and rotations by multiples of π/2); use the statevector backend"
    );
    assert!(
        matches!(err, SimError::NotClifford { instruction: 2, ref qubits, .. } if qubits == &[2])
    );
    assert!(stabilizer::check_clifford(&Circuit::new(1).rz(FRAC_PI_2, 0).sx(0)).is_ok());
}

#[test]
fn two_thousand_qubit_ghz_is_all_zeros_or_all_ones() {
    let n = 2000;
    let mut c = Circuit::new(n).h(0);
    for q in 0..n - 1 {
        c = c.cx(q, q + 1);
    }
    let c = c.measure_all();
    let r = stabilizer::run(&c, &config(3000, 5)).unwrap();
    assert_eq!(r.counts.len(), 2);
    let ones = r.counts.get(&"1".repeat(n)).copied().unwrap_or(0);
    assert_eq!(ones + r.counts.get(&"0".repeat(n)).copied().unwrap_or(0), 3000);
    assert!(close(ones, 3000, 0.5), "{ones}");
}

#[test]
fn seeds_reproduce_and_threads_do_not_change_results() {
    let mut rng = ChaCha8Rng::seed_from_u64(14);
    let c = random_clifford(Circuit::new(40), 400, &mut rng).measure_all();
    let cfg = |threads| RunConfig { memory: true, threads, ..config(3000, 77) };
    let a = stabilizer::run(&c, &cfg(1)).unwrap();
    let b = stabilizer::run(&c, &cfg(2)).unwrap();
    assert_eq!(a.counts, b.counts);
    assert_eq!(a.memory, b.memory);
    assert_eq!(a.memory.as_ref().unwrap().len(), 3000);
    assert_eq!(
        (a.backend.as_str(), a.seed, a.num_qubits, a.num_clbits),
        ("stabilizer", 77, 40, 40)
    );
    // Memory agrees with counts, and the packed sampler with both.
    let mut from_memory: HashMap<&str, u64> = HashMap::new();
    for k in a.memory.as_ref().unwrap() {
        *from_memory.entry(k).or_insert(0) += 1;
    }
    assert_eq!(from_memory.len(), a.counts.len());
    let bits = Sampler::new(&c).unwrap().sample(3000, 77, 0).unwrap();
    let first: String = (0..40).rev().map(|q| if bits.bit(0, q) { '1' } else { '0' }).collect();
    assert_eq!(first, a.memory.unwrap()[0]);
}

fn pauli(terms: &[(&str, f64)]) -> Channel {
    Channel::pauli(&terms.iter().map(|&(l, p)| (l.to_string(), p)).collect::<Vec<_>>()).unwrap()
}

fn one_gate_noise(gate: &str, channel: Channel) -> Arc<NoiseModel> {
    let mut model = NoiseModel::new();
    model.add_all_qubit_error(channel, &[gate]).unwrap();
    Arc::new(model)
}

fn noisy(shots: u64, seed: u64, noise: &Arc<NoiseModel>) -> RunConfig {
    RunConfig { noise: Some(noise.clone()), ..config(shots, seed) }
}

fn frequency_of_one(counts: &BTreeMap<String, u64>, char_index: usize) -> u64 {
    counts.iter().filter(|(k, _)| k.as_bytes()[char_index] == b'1').map(|(_, &v)| v).sum()
}

#[test]
fn pauli_noise_has_its_analytic_rates() {
    let shots = 100_000;
    // Aer's depolarizing(p) after s on |+⟩: X, Y, Z each with p/4; X and Z
    // flip |+i⟩, Y does not: P(1) = p/2.
    let c = Circuit::with_clbits(2, 2).h(0).s(0).sdg(0).h(0).measure(0, 0).measure(1, 1);
    let noise = one_gate_noise("s", Channel::depolarizing(0.4, 1).unwrap());
    let r = stabilizer::run(&c, &noisy(shots, 1, &noise)).unwrap();
    assert!(close(frequency_of_one(&r.counts, 1), shots, 0.2), "{:?}", r.counts);
    assert_eq!(frequency_of_one(&r.counts, 0), 0);
    // A two-qubit channel: label `IX` is X on gate qubit 0 (the control).
    let c = Circuit::with_clbits(2, 2).cx(0, 1).measure(0, 0).measure(1, 1);
    let noise = one_gate_noise("cx", pauli(&[("IX", 0.3)]));
    let r = stabilizer::run(&c, &noisy(shots, 2, &noise)).unwrap();
    assert!(close(frequency_of_one(&r.counts, 1), shots, 0.3), "{:?}", r.counts);
    assert_eq!(frequency_of_one(&r.counts, 0), 0);
    // Readout: p(1|0) = 0.2 on q[0] (reads |0⟩), p(0|1) = 0.05 on q[1] (reads |1⟩).
    let c = Circuit::with_clbits(2, 2).x(1).measure(0, 0).measure(1, 1);
    let mut model = NoiseModel::new();
    model.set_all_qubit_readout_error(ReadoutError::new([[0.8, 0.2], [0.05, 0.95]]).unwrap());
    let r = stabilizer::run(&c, &noisy(shots, 3, &Arc::new(model))).unwrap();
    assert!(close(frequency_of_one(&r.counts, 1), shots, 0.2), "{:?}", r.counts);
    assert!(close(frequency_of_one(&r.counts, 0), shots, 0.95), "{:?}", r.counts);
}

#[test]
fn non_pauli_noise_is_refused() {
    let c = Circuit::with_clbits(1, 1).h(0).measure(0, 0);
    let noise = one_gate_noise("h", Channel::amplitude_damping(0.1, 0.0).unwrap());
    let err = stabilizer::run(&c, &noisy(10, 1, &noise)).unwrap_err();
    assert!(matches!(err, SimError::UnsupportedNoise { .. }), "{err}");
    assert_eq!(stabilizer::check_noise(&c, &noise), Err(err));
    let pauli_only = one_gate_noise("h", Channel::depolarizing(0.1, 1).unwrap());
    assert_eq!(stabilizer::check_noise(&c, &pauli_only), Ok(()));
}

#[test]
fn pauli_noise_matches_the_density_matrix() {
    // Reference: the density-matrix backend (checked against Qiskit Aer's
    // density_matrix method in density.rs) with the same noise model.
    let mut model = NoiseModel::new();
    model.add_all_qubit_error(Channel::depolarizing(0.08, 1).unwrap(), &["h", "s", "sx"]).unwrap();
    model.add_all_qubit_error(Channel::depolarizing(0.1, 2).unwrap(), &["cx", "cz"]).unwrap();
    model.add_error(pauli(&[("XZ", 0.1), ("YI", 0.05)]), &["cx"], &[0, 1]).unwrap();
    model.add_all_qubit_error(pauli(&[("X", 0.03)]), &["measure", "reset"]).unwrap();
    model.set_readout_error(ReadoutError::new([[0.9, 0.1], [0.2, 0.8]]).unwrap(), 1);
    let model = Arc::new(model);
    let mut rng = ChaCha8Rng::seed_from_u64(15);
    for case in 0..12 {
        let n = 2 + case % 4;
        let mut c = Circuit::with_clbits(n, n + 1);
        for _ in 0..2 * n {
            let (a, b) = (rng.gen_range(0..n), rng.gen_range(0..n - 1));
            let b = if b >= a { b + 1 } else { b };
            c = match rng.gen_range(0..5) {
                0 => c.h(a),
                1 => c.s(a),
                2 => c.sx(a),
                3 => c.cx(a, b),
                _ => c.cz(a, b),
            };
        }
        c = c.measure(0, n).reset(0).h(0);
        if case % 2 == 1 {
            // The register holds only the mid-circuit outcome (clbit n) so far.
            c = c.x(1).c_if(0, 1 << n);
        }
        let c = (0..n).fold(c, |c, q| c.measure(q, q));
        let want: BTreeMap<String, f64> =
            qv_sim::density::probabilities(&c, Some(&model)).unwrap().values.into_iter().collect();
        assert_agrees_with(&c, &want, &noisy(20_000, 200 + case as u64, &model));
    }
}

#[test]
fn noisy_frames_and_noisy_per_shot_tableaux_agree() {
    // Two X-error rounds on a GHZ chain; a conditioned h on an idle qubit
    // (never true) forces the per-shot path for the second run.
    let shots = 40_000;
    let mut c = Circuit::with_clbits(5, 5).h(0);
    for q in 0..3 {
        c = c.cx(q, q + 1);
    }
    let base = (0..4).fold(c, |c, q| c.measure(q, q));
    let forced = base.clone().h(4).c_if(0, 31).measure(4, 4);
    let base = base.measure(4, 4);
    let noise = one_gate_noise("cx", pauli(&[("XI", 0.05), ("ZZ", 0.1)]));
    let frames = Sampler::with_noise(&base, Some(&noise), None).unwrap();
    let per_shot = Sampler::with_noise(&forced, Some(&noise), None).unwrap();
    assert!(frames.uses_frames() && !per_shot.uses_frames());
    let a = stabilizer::run(&base, &noisy(shots, 4, &noise)).unwrap();
    let b = stabilizer::run(&forced, &noisy(shots, 5, &noise)).unwrap();
    for ch in 0..5 {
        let (fa, fb) = (frequency_of_one(&a.counts, ch), frequency_of_one(&b.counts, ch));
        let p = fa as f64 / shots as f64;
        let sd = (2.0 * shots as f64 * p * (1.0 - p)).sqrt();
        assert!((fa as f64 - fb as f64).abs() <= 6.0 * sd + 1.0, "char {ch}: {fa} vs {fb}");
    }
}

/// Clifford circuits with mid-circuit measurement, conditioned Paulis and
/// resets (all on the frame sampler) for `frame_sampler_under_every_isa`.
fn frame_circuits() -> Vec<Circuit> {
    let mut rng = ChaCha8Rng::seed_from_u64(15);
    (0..10)
        .map(|case| {
            let n = 2 + case % 9;
            let mut c = Circuit::new(n);
            let m = c.add_creg("m", 1).unwrap();
            let fin = c.add_creg("c", n).unwrap();
            let c = random_clifford(c, 4 * n, &mut rng).measure(rng.gen_range(0..n), 0);
            let c = random_clifford(c, n, &mut rng);
            let target = rng.gen_range(0..n);
            let c = if case % 2 == 0 { c.x(target).c_if(m, 1) } else { c.reset(target) };
            let c = random_clifford(c, 2 * n, &mut rng);
            let start = c.cregs()[fin].start;
            (0..n).fold(c, |c, q| c.measure(q, start + q))
        })
        .collect()
}

/// The frame sampler's word loops are compiled per ISA: each one this CPU
/// supports agrees with the reference simulator's exact distribution, and
/// all of them draw the very same shots for a seed.
#[test]
fn frame_sampler_under_every_isa() {
    let circuits = frame_circuits();
    let mut shots_per_isa = Vec::new();
    for isa in Isa::ALL {
        if !isa.is_supported() {
            println!("skipped {isa}: this CPU does not support it");
            continue;
        }
        let shots = simd::with_isa(isa, || {
            let mut all = Vec::new();
            for (case, c) in circuits.iter().enumerate() {
                assert!(Sampler::new(c).unwrap().uses_frames());
                assert_agrees(c, 3000, 300 + case as u64);
                // Several batches over two threads: the pool path too.
                let bits = Sampler::new(c).unwrap().sample(3000, case as u64, 2).unwrap();
                all.push(bits);
            }
            all
        })
        .unwrap();
        shots_per_isa.push((isa, shots));
    }
    let (first_isa, first) = &shots_per_isa[0];
    for (isa, shots) in &shots_per_isa[1..] {
        assert!(shots == first, "{isa} drew other shots than {first_isa}");
    }
}
