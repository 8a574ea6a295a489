//! The density-matrix and trajectories simulators: closed-form noise results,
//! agreement with the reference simulator on ideal circuits, memory refusal,
//! exact branching over mid-circuit records and its per-shot fallback.
//!
//! Reference values are closed forms of the channels (stated beside each
//! test) or the reference state-vector simulator; Aer comparisons live in
//! tests/noise.rs.

use std::collections::BTreeMap;
use std::sync::Arc;

use qv_circuit::Circuit;
use qv_sim::{
    density, trajectories, Backend, Channel, NoiseModel, Observable, ReadoutError, RunConfig,
    SimError,
};

fn model(json: &str) -> NoiseModel {
    NoiseModel::from_json(json).expect("valid model")
}

fn probs(c: &Circuit, m: Option<&NoiseModel>) -> BTreeMap<String, f64> {
    density::probabilities(c, m).expect("probabilities").values.into_iter().collect()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn channels_match_their_closed_forms() {
    // Amplitude damping γ after x: P(1) = 1 - γ.
    let c = Circuit::with_clbits(1, 1).x(0).measure(0, 0);
    let m = model(
        r#"{"errors": [{"gates": ["x"], "channel": {"type": "amplitude_damping", "gamma": 0.3}}]}"#,
    );
    let p = probs(&c, Some(&m));
    assert!(close(p["1"], 0.7, 1e-14) && close(p["0"], 0.3, 1e-14), "{p:?}");

    // Phase damping λ after h: <X> = √(1-λ); depolarizing p after h: <X> = 1 - p.
    let h = Circuit::new(1).h(0);
    let x = Observable::parse("X0").unwrap();
    let m = model(
        r#"{"errors": [{"gates": ["h"], "channel": {"type": "phase_damping", "lambda": 0.36}}]}"#,
    );
    assert!(close(density::expectation(&h, Some(&m), &x).unwrap(), 0.8, 1e-14));
    let m =
        model(r#"{"errors": [{"gates": ["h"], "channel": {"type": "depolarizing", "p": 0.25}}]}"#);
    assert!(close(density::expectation(&h, Some(&m), &x).unwrap(), 0.75, 1e-14));

    // Thermal relaxation (T1 = 50, T2 = 70, t = 10, p1 = 0.1) after h:
    // <X> = e^{-t/T2}; <Z> = P0 - P1 with P1 = ½·e^{-t/T1} + 0.1·(1 - e^{-t/T1}).
    let m = model(
        r#"{"errors": [{"gates": ["h"], "channel": {"type": "thermal_relaxation", "t1": 50, "t2": 70, "time": 10, "excited_population": 0.1}}]}"#,
    );
    let e1 = (-10.0f64 / 50.0).exp();
    let p1 = 0.5 * e1 + 0.1 * (1.0 - e1);
    assert!(close(density::expectation(&h, Some(&m), &x).unwrap(), (-10.0f64 / 70.0).exp(), 1e-14));
    let z = Observable::parse("Z0").unwrap();
    assert!(close(density::expectation(&h, Some(&m), &z).unwrap(), 1.0 - 2.0 * p1, 1e-14));

    // Two-qubit depolarizing p on a Bell pair: E(ρ) = (1-p)ρ + p·I/4, so <Z0 Z1> = 1 - p.
    let bell = Circuit::new(2).h(0).cx(0, 1);
    let m =
        model(r#"{"errors": [{"gates": ["cx"], "channel": {"type": "depolarizing", "p": 0.15}}]}"#);
    let zz = Observable::parse("Z0 Z1").unwrap();
    assert!(close(density::expectation(&bell, Some(&m), &zz).unwrap(), 0.85, 1e-14));
}

#[test]
fn readout_errors_change_records_and_the_conditions_that_read_them() {
    // h; measure q0 → c (readout M); if (c==1) x q1; measure q1 → d.
    // P(c = 1) = ½·M[0][1] + ½·M[1][1]; d follows the recorded c exactly.
    let mut c = Circuit::new(2);
    let cr = c.add_creg("c", 1).unwrap();
    c.add_creg("d", 1).unwrap();
    let c = c.h(0).measure(0, 0).x(1).c_if(cr, 1).measure(1, 1);
    let m = model(r#"{"readout": [{"qubits": [0], "matrix": [[0.8, 0.2], [0.1, 0.9]]}]}"#);
    let p = probs(&c, Some(&m));
    let one = 0.5 * 0.2 + 0.5 * 0.9;
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(close(p["1 1"], one, 1e-14) && close(p["0 0"], 1.0 - one, 1e-14), "{p:?}");
}

#[test]
fn measure_errors_act_before_the_measurement() {
    // An error on `measure` is the same channel on an `id` gate just before it.
    let flip = r#"{"type": "pauli", "probabilities": {"X": 0.3, "Y": 0.1}}"#;
    let on_measure =
        model(&format!(r#"{{"errors": [{{"gates": ["measure"], "channel": {flip}}}]}}"#));
    let on_id = model(&format!(r#"{{"errors": [{{"gates": ["id"], "channel": {flip}}}]}}"#));
    let a = Circuit::with_clbits(1, 2).x(0).measure(0, 0).measure(0, 1);
    let b = Circuit::with_clbits(1, 2).x(0).id(0).measure(0, 0).id(0).measure(0, 1);
    let (pa, pb) = (probs(&a, Some(&on_measure)), probs(&b, Some(&on_id)));
    assert_eq!(pa.keys().collect::<Vec<_>>(), pb.keys().collect::<Vec<_>>());
    for (k, v) in &pa {
        assert!(close(*v, pb[k], 1e-14), "{k}: {v} vs {}", pb[k]);
    }
    // First record: P(1) = 0.6; second: flipped twice or never, 0.6² + 0.4².
    assert!(close(pa["01"] + pa["11"], 0.6, 1e-14));
    assert!(close(pa["11"] + pa["10"], 0.36 + 0.16, 1e-14));
}

#[test]
fn ideal_runs_equal_the_reference_simulator() {
    // Mid-circuit measurement, reset and conditions without noise: exact branching
    // must reproduce the reference simulator's exact probabilities.
    let mut c = Circuit::new(3);
    let a = c.add_creg("a", 2).unwrap();
    c.add_creg("b", 1).unwrap();
    let c = c
        .h(0)
        .ry(0.7, 1)
        .cx(0, 2)
        .measure(0, 0)
        .reset(0)
        .h(0)
        .cx(1, 0)
        .measure(1, 1)
        .x(2)
        .c_if(a, 2)
        .rz(0.3, 2)
        .h(2)
        .measure(2, 2)
        .measure(0, 0);
    let reference: BTreeMap<String, f64> =
        qv_sim::probabilities(&c).unwrap().values.into_iter().collect();
    let ours = probs(&c, None);
    assert_eq!(reference.keys().collect::<Vec<_>>(), ours.keys().collect::<Vec<_>>());
    for (k, v) in &reference {
        assert!(close(ours[k], *v, 1e-12), "{k}: {} vs {v}", ours[k]);
    }
    // Unitary circuits: ρ = |ψ⟩⟨ψ|.
    let u =
        Circuit::new(3).h(0).cx(0, 1).u(0.3, 0.2, 0.1, 2).ccx(0, 2, 1).swap(0, 2).rzz(0.4, 1, 2);
    let psi = qv_sim::statevector(&u).unwrap();
    let rho = density::density_matrix(&u, None).unwrap();
    for r in 0..8 {
        for col in 0..8 {
            assert!((rho[r * 8 + col] - psi[r] * psi[col].conj()).norm() < 1e-13);
        }
    }
}

#[test]
fn conditioned_gates_carry_noise_only_when_they_run() {
    // x is noisy (amplitude damping 1: always decays) but conditioned on c == 1, never true.
    let mut c = Circuit::new(2);
    let cr = c.add_creg("c", 1).unwrap();
    c.add_creg("d", 1).unwrap();
    let c = c.measure(0, 0).x(1).c_if(cr, 1).x(1).measure(1, 1);
    let m = model(
        r#"{"errors": [{"gates": ["x"], "qubits": [1], "channel": {"type": "amplitude_damping", "gamma": 0.25}}]}"#,
    );
    let p = probs(&c, Some(&m));
    // Only the unconditioned x runs: P(d = 1) = 0.75.
    assert!(close(p["1 0"], 0.75, 1e-14) && close(p["0 0"], 0.25, 1e-14), "{p:?}");
}

#[test]
fn memory_is_checked_before_allocating() {
    // Every qubit is touched (idle ones would be left out of ρ).
    let all_h = |n: usize| (0..n).fold(Circuit::new(n), |c, q| c.h(q));
    let c = all_h(14);
    let config = RunConfig { max_memory_bytes: Some(1 << 30), ..RunConfig::default() };
    let e = density::probabilities_with(&c, &config).unwrap_err();
    assert_eq!(
        e.to_string(),
        "circuit needs 4.0 GiB for 14 qubits (complex128 density matrix) but only 1.0 GiB is available"
    );
    let e = density::probabilities(&all_h(40), None).unwrap_err();
    assert!(matches!(e, SimError::TooLargeFor { .. } | SimError::TooManyQubits { .. }), "{e}");
}

#[test]
fn per_shot_fallback_samples_the_same_distribution() {
    // Four mid-circuit records need four 4-qubit matrices (4 KiB each); allow
    // two so exact branching gives way to per-shot simulation.
    let mut c = Circuit::with_clbits(4, 4);
    for q in 0..4 {
        c = c.h(q).measure(q, q).cx(q, (q + 1) % 4);
    }
    let c = c.measure(0, 0);
    let m = Arc::new(model(
        r#"{"errors": [{"gates": ["h", "cx"], "channel": {"type": "depolarizing", "p": 0.1}}]}"#,
    ));
    let exact = probs(&c, Some(&m));
    let shots = 5_000;
    let config = |limit| RunConfig {
        shots,
        seed: Some(7),
        max_memory_bytes: limit,
        noise: Some(m.clone()),
        backend: Backend::DensityMatrix,
        ..RunConfig::default()
    };
    let tight = config(Some(2 * 4096 + 64));
    let a = qv_sim::run(&c, &tight).unwrap();
    assert_eq!(a.backend, "density_matrix");
    let few = RunConfig { shots: 300, memory: true, ..tight.clone() };
    let (x, y) = (qv_sim::run(&c, &few).unwrap(), qv_sim::run(&c, &few).unwrap());
    assert_eq!(x.memory, y.memory, "a seed reproduces per-shot runs");
    assert!(
        density::probabilities_with(&c, &tight).is_err(),
        "exact probabilities need the branches"
    );
    let full = qv_sim::run(&c, &config(None)).unwrap();
    for r in [&a, &full] {
        let tvd: f64 = 0.5
            * exact
                .iter()
                .map(|(k, p)| {
                    (r.counts.get(k).copied().unwrap_or(0) as f64 / shots as f64 - p).abs()
                })
                .sum::<f64>();
        // Shot-noise bound as in tests/noise.rs (δ = 1e-9).
        let bound = 0.5
            * exact.values().map(|p| (p * (1.0 - p) / shots as f64).sqrt()).sum::<f64>()
            + ((1e9f64).ln() / (2.0 * shots as f64)).sqrt();
        assert!(tvd < bound, "TVD {tvd} ≥ {bound}");
    }
}

#[test]
fn trajectories_sample_kraus_weights_correctly() {
    // Amplitude damping γ after each of three x gates on |0⟩: each x flips, each
    // damping then decays |1⟩ with γ. Closed form via the 2-state Markov chain.
    let g = 0.2;
    let c = Circuit::with_clbits(1, 1).x(0).x(0).x(0).measure(0, 0);
    let mut m = NoiseModel::new();
    m.add_all_qubit_error(Channel::amplitude_damping(g, 0.0).unwrap(), &["x"]).unwrap();
    // P1 after step: p' = (1 - p)·(1 - g)  (x swaps, then |1⟩ decays).
    let mut p1: f64 = 0.0;
    for _ in 0..3 {
        p1 = (1.0 - p1) * (1.0 - g);
    }
    assert!(close(probs(&c, Some(&m))["1"], p1, 1e-14));
    let shots = 200_000u64;
    let config = |threads| RunConfig {
        shots,
        seed: Some(11),
        threads,
        noise: Some(Arc::new(m.clone())),
        ..RunConfig::default()
    };
    let r = trajectories::run(&c, &config(1)).unwrap();
    let ones = r.counts.get("1").copied().unwrap_or(0) as f64;
    let sigma = (shots as f64 * p1 * (1.0 - p1)).sqrt();
    assert!((ones - shots as f64 * p1).abs() < 5.0 * sigma, "{ones} vs {}", shots as f64 * p1);
    assert_eq!(
        trajectories::run(&c, &config(2)).unwrap().counts,
        r.counts,
        "threads do not change results"
    );
}

#[test]
fn readout_error_api_and_dispatch() {
    let mut m = NoiseModel::new();
    m.set_all_qubit_readout_error(ReadoutError::new([[0.9, 0.1], [0.3, 0.7]]).unwrap());
    let c = Circuit::with_clbits(2, 2).x(1).measure(0, 0).measure(1, 1);
    let p = probs(&c, Some(&m));
    assert!(close(p["10"], 0.9 * 0.7, 1e-15) && close(p["01"], 0.1 * 0.3, 1e-15), "{p:?}");
    let r = qv_sim::run(
        &c,
        &RunConfig {
            backend: Backend::Trajectories,
            shots: 10,
            noise: Some(Arc::new(m)),
            ..RunConfig::default()
        },
    )
    .unwrap();
    assert_eq!(r.backend, "trajectories");
    assert_eq!(r.counts.values().sum::<u64>(), 10);
}

#[test]
fn documented_examples_are_valid_models() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/noise.md"))
        .expect("docs/noise.md");
    let blocks: Vec<&str> =
        doc.split("```json").skip(1).filter_map(|b| b.split("```").next()).collect();
    // The first block is the schema outline (RULE and READOUT mark where rules go).
    assert!(blocks.len() >= 3 && blocks[0].contains("RULE"));
    for block in &blocks[1..] {
        if let Err(e) = NoiseModel::from_json(block) {
            panic!("docs/noise.md example does not parse: {e}\n{block}");
        }
    }
}

#[test]
fn idle_qubits_are_left_out() {
    // 40 qubits, three touched (as after transpiling to a large device); the
    // local rule names circuit qubit 37. A 40-qubit density matrix would need 16·4^40 bytes.
    let m = model(
        r#"{"errors": [{"gates": ["x"], "qubits": [37], "channel": {"type": "amplitude_damping", "gamma": 0.25}}],
            "readout": [{"qubits": [21], "matrix": [[0.9, 0.1], [0.0, 1.0]]}]}"#,
    );
    let c = Circuit::with_clbits(40, 2).x(37).cx(37, 21).measure(21, 0).measure(37, 1);
    // q37 = 1 w.p. 0.75; q21 copies it; readout turns a 0 on q21 into 1 w.p. 0.1.
    let p = probs(&c, Some(&m));
    assert!(close(p["11"], 0.75, 1e-14) && close(p["01"], 0.025, 1e-14), "{p:?}");
    let r = trajectories::run(
        &c,
        &RunConfig {
            shots: 100,
            seed: Some(3),
            noise: Some(Arc::new(m.clone())),
            ..RunConfig::default()
        },
    )
    .unwrap();
    assert_eq!(r.counts.values().sum::<u64>(), 100);
    // Over qubits: 40-character keys, qubit 0 rightmost.
    let unmeasured = Circuit::new(40).x(37).cx(37, 21);
    let q = probs(&unmeasured, Some(&m));
    let mut one = ['0'; 40];
    one[40 - 1 - 37] = '1';
    one[40 - 1 - 21] = '1';
    assert!(
        close(q[&one.iter().collect::<String>()], 0.75, 1e-14)
            && close(q[&"0".repeat(40)], 0.25, 1e-14)
    );
    // Idle qubits are |0⟩: Z gives 1, X gives 0.
    let e = |o: &str| {
        density::expectation(&unmeasured, Some(&m), &Observable::parse(o).unwrap()).unwrap()
    };
    assert!(
        close(e("Z37 Z3"), -0.5, 1e-14)
            && close(e("Z37 X3"), 0.0, 1e-15)
            && close(e("Z21 Z37"), 1.0, 1e-14)
    );
}
