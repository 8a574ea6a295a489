//! The reference simulator against hand-derived results and an independent
//! dense-matrix path.
//!
//! Expected values come from the circuits' textbook analysis (Bell, GHZ,
//! teleportation, reset, mid-circuit measurement) or from Qiskit Aer's observed
//! behaviour where noted; the property test compares against the product of
//! full `2^n × 2^n` gate matrices built with `Matrix::embed`, a path that
//! shares no kernel code with the simulator.

use std::collections::BTreeMap;
use std::f64::consts::{FRAC_1_SQRT_2, FRAC_PI_2, PI};

use proptest::prelude::*;
use qv_circuit::{Circuit, Matrix, StandardGate, C64};
use qv_sim::{
    probabilities, run, statevector, Backend, Probabilities, ProbabilitiesOver, RunConfig,
    SimError, MAX_BRANCHES,
};

fn c(re: f64, im: f64) -> C64 {
    C64::new(re, im)
}

fn assert_amplitudes(actual: &[C64], expected: &[C64]) {
    assert_eq!(actual.len(), expected.len());
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!((a - e).norm() < 1e-12, "amplitude {i}: got {a}, expected {e}");
    }
}

fn assert_probabilities(
    p: &Probabilities,
    over: ProbabilitiesOver,
    width: usize,
    expected: &[(&str, f64)],
) {
    assert_eq!((p.over, p.width), (over, width));
    let keys: Vec<&str> = p.values.iter().map(|(k, _)| k.as_str()).collect();
    let expected_keys: Vec<&str> = expected.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, expected_keys);
    for ((k, v), (_, e)) in p.values.iter().zip(expected) {
        assert!((v - e).abs() < 1e-12, "{k}: got {v}, expected {e}");
    }
}

fn seeded(shots: u64, seed: u64) -> RunConfig {
    RunConfig { shots, seed: Some(seed), backend: Backend::Reference, ..RunConfig::default() }
}

/// Asserts each count is within 5 binomial standard deviations of `p · shots`.
fn assert_frequencies(counts: &BTreeMap<String, u64>, shots: u64, expected: &[(&str, f64)]) {
    let total: u64 = counts.values().sum();
    assert_eq!(total, shots);
    assert_eq!(counts.len(), expected.len(), "{counts:?}");
    for (key, p) in expected {
        let n = *counts.get(*key).unwrap_or(&0) as f64;
        let mean = p * shots as f64;
        let sigma = (shots as f64 * p * (1.0 - p)).sqrt();
        assert!((n - mean).abs() <= 5.0 * sigma, "{key}: {n} vs {mean} ± {sigma} in {counts:?}");
    }
}

#[test]
fn bell_state_amplitudes_counts_and_probabilities() {
    let r = FRAC_1_SQRT_2;
    let bell = Circuit::new(2).h(0).cx(0, 1);
    assert_amplitudes(
        &statevector(&bell).unwrap(),
        &[c(r, 0.0), c(0.0, 0.0), c(0.0, 0.0), c(r, 0.0)],
    );
    assert_probabilities(
        &probabilities(&bell).unwrap(),
        ProbabilitiesOver::Qubits,
        2,
        &[("00", 0.5), ("11", 0.5)],
    );

    let measured = bell.measure_all();
    let result = run(&measured, &seeded(20_000, 11)).unwrap();
    assert_frequencies(&result.counts, 20_000, &[("00", 0.5), ("11", 0.5)]);
    assert_probabilities(
        &probabilities(&measured).unwrap(),
        ProbabilitiesOver::Clbits,
        2,
        &[("00", 0.5), ("11", 0.5)],
    );
    // Terminal measurements (and the barrier) do not change the final state.
    assert_amplitudes(
        &statevector(&measured).unwrap(),
        &[c(r, 0.0), c(0.0, 0.0), c(0.0, 0.0), c(r, 0.0)],
    );
}

#[test]
fn ghz_state_has_two_equal_amplitudes() {
    let ghz = Circuit::new(3).h(0).cx(0, 1).cx(1, 2);
    let mut expected = vec![c(0.0, 0.0); 8];
    expected[0] = c(FRAC_1_SQRT_2, 0.0);
    expected[7] = c(FRAC_1_SQRT_2, 0.0);
    assert_amplitudes(&statevector(&ghz).unwrap(), &expected);
}

#[test]
fn basis_state_keys_put_qubit_zero_rightmost() {
    // x on q0 and q2 of four qubits: |0101⟩, index 5.
    let circ = Circuit::with_clbits(4, 4)
        .x(0)
        .x(2)
        .measure(0, 0)
        .measure(1, 1)
        .measure(2, 2)
        .measure(3, 3);
    let result = run(&circ, &RunConfig { memory: true, ..seeded(3, 5) }).unwrap();
    assert_eq!(result.counts, BTreeMap::from([("0101".to_string(), 3)]));
    assert_eq!(result.memory.unwrap(), vec!["0101"; 3]);
    assert_probabilities(
        &probabilities(&Circuit::new(4).x(0).x(2)).unwrap(),
        ProbabilitiesOver::Qubits,
        4,
        &[("0101", 1.0)],
    );
}

#[test]
fn registers_print_last_declared_leftmost_like_aer() {
    // Qiskit Aer 0.x: qreg q[1]; creg a[2]; creg b[1]; x q[0]; measure q[0] -> b[0];
    // counts {'1 00': shots}.
    let mut circ = Circuit::new(1);
    circ.add_creg("a", 2).unwrap();
    circ.add_creg("b", 1).unwrap();
    let circ = circ.x(0).measure(0, 2);
    let result = run(&circ, &RunConfig { memory: true, ..seeded(4, 1) }).unwrap();
    assert_eq!(result.counts, BTreeMap::from([("1 00".to_string(), 4)]));
    assert_eq!(result.memory.unwrap(), vec!["1 00"; 4]);
}

/// Teleports ry(θ)|0⟩ from q0 to q2 with OpenQASM 2 conditions, then undoes
/// the rotation on q2: the last measurement is 0 whatever c0 and c1 were.
fn teleportation(theta: f64) -> Circuit {
    let mut circ = Circuit::new(3);
    let c0 = circ.add_creg("c0", 1).unwrap();
    let c1 = circ.add_creg("c1", 1).unwrap();
    circ.add_creg("c2", 1).unwrap();
    circ.ry(theta, 0)
        .h(1)
        .cx(1, 2)
        .cx(0, 1)
        .h(0)
        .measure(0, 0)
        .measure(1, 1)
        .x(2)
        .c_if(c1, 1)
        .z(2)
        .c_if(c0, 1)
        .ry(-theta, 2)
        .measure(2, 2)
}

#[test]
fn teleportation_with_conditions_is_deterministic_on_the_target() {
    let circ = teleportation(1.1);
    let uniform = [("0 0 0", 0.25), ("0 0 1", 0.25), ("0 1 0", 0.25), ("0 1 1", 0.25)];
    assert_probabilities(&probabilities(&circ).unwrap(), ProbabilitiesOver::Clbits, 3, &uniform);
    let result = run(&circ, &seeded(8000, 3)).unwrap();
    assert_frequencies(&result.counts, 8000, &uniform);

    // Teleporting |1⟩ (θ = π, undone by ry(-π)) also ends in 0; without the
    // correction the target is wrong half of the time.
    let result = run(&teleportation(PI), &seeded(2000, 4)).unwrap();
    assert!(result.counts.keys().all(|k| k.starts_with('0')), "{:?}", result.counts);
}

#[test]
fn conditions_compare_the_whole_register_value() {
    // c = 0b11 after two measurements of |1⟩; `if (c == 3)` fires, `if (c == 1)` does not.
    let mut circ = Circuit::new(3);
    let creg = circ.add_creg("c", 2).unwrap();
    circ.add_creg("d", 2).unwrap();
    let circ = circ
        .x(0)
        .x(1)
        .measure(0, 0)
        .measure(1, 1)
        .x(2)
        .c_if(creg, 3)
        .measure(2, 2)
        .x(2)
        .c_if(creg, 1)
        .measure(2, 3);
    let result = run(&circ, &seeded(100, 9)).unwrap();
    assert_eq!(result.counts, BTreeMap::from([("11 11".to_string(), 100)]));
    assert_probabilities(
        &probabilities(&circ).unwrap(),
        ProbabilitiesOver::Clbits,
        4,
        &[("11 11", 1.0)],
    );
}

#[test]
fn reset_returns_qubits_to_zero() {
    // h then reset: the qubit is |0⟩ whichever way the implied measurement went.
    let circ = Circuit::with_clbits(2, 2).h(0).x(1).reset(0).reset(1).measure(0, 0).measure(1, 1);
    let result = run(&circ, &seeded(500, 2)).unwrap();
    assert_eq!(result.counts, BTreeMap::from([("00".to_string(), 500)]));
    assert_probabilities(
        &probabilities(&circ).unwrap(),
        ProbabilitiesOver::Clbits,
        2,
        &[("00", 1.0)],
    );

    // Reset of one half of a Bell pair leaves the other half mixed.
    let circ = Circuit::new(2).h(0).cx(0, 1).reset(0);
    assert_probabilities(
        &probabilities(&circ).unwrap(),
        ProbabilitiesOver::Qubits,
        2,
        &[("00", 0.5), ("10", 0.5)],
    );
    let err = statevector(&circ).unwrap_err();
    assert_eq!(
        err.to_string(),
        "a single final state does not exist: `reset q[0]` resets a qubit that may be |1⟩; sample it with \
         run() or get exact outcome probabilities with probabilities()"
    );
    // A reset of a fresh qubit is a no-op and keeps the state pure.
    assert_amplitudes(
        &statevector(&Circuit::new(1).reset(0).x(0)).unwrap(),
        &[c(0.0, 0.0), c(1.0, 0.0)],
    );
}

#[test]
fn mid_circuit_measurement_statistics() {
    // h, measure, h, measure: the second outcome is independent and uniform.
    let circ = Circuit::with_clbits(1, 2).h(0).measure(0, 0).h(0).measure(0, 1);
    let expected = [("00", 0.25), ("01", 0.25), ("10", 0.25), ("11", 0.25)];
    assert_probabilities(&probabilities(&circ).unwrap(), ProbabilitiesOver::Clbits, 2, &expected);
    assert_frequencies(&run(&circ, &seeded(40_000, 8)).unwrap().counts, 40_000, &expected);

    // Without the measurement in between, h·h = I and the outcome is always 00.
    let circ = Circuit::with_clbits(1, 2).h(0).h(0).measure(0, 1);
    assert_eq!(
        run(&circ, &seeded(100, 8)).unwrap().counts,
        BTreeMap::from([("00".to_string(), 100)])
    );

    // ry(θ) then measure twice: outcomes agree, P(1) = sin²(θ/2).
    let theta = 2.0 * 0.2f64.sqrt().asin();
    let circ = Circuit::with_clbits(1, 2).ry(theta, 0).measure(0, 0).measure(0, 1);
    assert_probabilities(
        &probabilities(&circ).unwrap(),
        ProbabilitiesOver::Clbits,
        2,
        &[("00", 0.8), ("11", 0.2)],
    );
    assert_frequencies(
        &run(&circ, &seeded(20_000, 13)).unwrap().counts,
        20_000,
        &[("00", 0.8), ("11", 0.2)],
    );
}

#[test]
fn later_measurement_into_the_same_clbit_wins() {
    let circ = Circuit::with_clbits(2, 1).x(0).measure(0, 0).measure(1, 0);
    assert_eq!(run(&circ, &seeded(10, 1)).unwrap().counts, BTreeMap::from([("0".to_string(), 10)]));
    let circ = Circuit::with_clbits(2, 1).x(1).measure(0, 0).measure(1, 0);
    assert_eq!(run(&circ, &seeded(10, 1)).unwrap().counts, BTreeMap::from([("1".to_string(), 10)]));
}

#[test]
fn seeds_reproduce_counts_and_memory() {
    let terminal = Circuit::new(3).h(0).h(1).h(2).measure_all();
    let mid = Circuit::with_clbits(2, 2).h(0).measure(0, 0).h(0).cx(0, 1).measure(1, 1);
    for circ in [&terminal, &mid] {
        let cfg = RunConfig { memory: true, ..seeded(300, 1234) };
        let a = run(circ, &cfg).unwrap();
        let b = run(circ, &cfg).unwrap();
        assert_eq!((&a.counts, &a.memory, a.seed), (&b.counts, &b.memory, 1234));
        let memory = a.memory.as_ref().unwrap();
        assert_eq!(memory.len(), 300);
        for (key, n) in &a.counts {
            assert_eq!(memory.iter().filter(|m| *m == key).count() as u64, *n);
        }
        let other = run(circ, &RunConfig { seed: Some(1235), ..cfg.clone() }).unwrap();
        assert_ne!(other.memory, a.memory);

        // Without a seed one is chosen and reported; passing it back reproduces the run.
        let free = run(circ, &RunConfig { seed: None, ..cfg.clone() }).unwrap();
        let again = run(circ, &RunConfig { seed: Some(free.seed), ..cfg }).unwrap();
        assert_eq!((free.counts, free.memory), (again.counts, again.memory));
    }
}

#[test]
fn memory_refusal_states_both_numbers() {
    let circ = Circuit::with_clbits(20, 1).h(0).measure(0, 0);
    let cfg = RunConfig { max_memory_bytes: Some(1 << 20), ..seeded(10, 1) };
    let err = run(&circ, &cfg).unwrap_err();
    assert!(
        matches!(err, SimError::TooLarge { available: 1048576, num_qubits: 20, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "circuit needs 16.0 MiB for 20 qubits (complex128 state vector and working memory) but only 1.0 MiB \
         is available"
    );
    // Per-shot simulation holds the prefix state and the shot's copy (plus one
    // 8-byte probability for the empty set of terminal measurements).
    let mid = Circuit::with_clbits(20, 1).h(0).measure(0, 0).x(0);
    let cfg = RunConfig { max_memory_bytes: Some(24 << 20), ..seeded(10, 1) };
    assert_eq!(
        run(&mid, &cfg).unwrap_err(),
        SimError::TooLarge { needed: (32 << 20) + 8, available: 24 << 20, num_qubits: 20 }
    );
    // Enough room: it runs.
    let cfg = RunConfig { max_memory_bytes: Some(33 << 20), ..seeded(10, 1) };
    assert_eq!(run(&mid, &cfg).unwrap().counts.values().sum::<u64>(), 10);
}

#[test]
fn shot_limits_are_errors() {
    let circ = Circuit::with_clbits(1, 1).measure(0, 0);
    let err = run(&circ, &seeded(0, 1)).unwrap_err();
    assert_eq!(err.to_string(), "shots must be at least 1");
    let err = run(&circ, &seeded(10_000_001, 1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "10000001 shots requested but at most 10000000 are allowed in one run"
    );
    assert_eq!(run(&circ, &seeded(10_000_000, 1)).unwrap().counts["0"], 10_000_000);

    let wide = Circuit::with_clbits(1, 11).measure(0, 0);
    let err = run(&wide, &RunConfig { memory: true, ..seeded(10_000_000, 1) }).unwrap_err();
    assert_eq!(
        err.to_string(),
        "per-shot memory for 10000000 shots of 11 characters each would hold 110000000 characters, more \
         than the limit of 100000000; lower the shots or turn memory off"
    );
}

#[test]
fn global_phase_and_table_phases_reach_the_state() {
    let mut circ = Circuit::new(1).x(0);
    circ.global_phase = FRAC_PI_2;
    assert_amplitudes(&statevector(&circ).unwrap(), &[c(0.0, 0.0), c(0.0, 1.0)]);
    // rz(π)|0⟩ = e^{-iπ/2}|0⟩ while p(π)|0⟩ = |0⟩ (OpenQASM 3 / Qiskit phases).
    assert_amplitudes(
        &statevector(&Circuit::new(1).rz(PI, 0)).unwrap(),
        &[c(0.0, -1.0), c(0.0, 0.0)],
    );
    assert_amplitudes(
        &statevector(&Circuit::new(1).p(PI, 0)).unwrap(),
        &[c(1.0, 0.0), c(0.0, 0.0)],
    );
}

#[test]
fn statevector_refuses_mid_circuit_measurement_and_conditions() {
    let circ = Circuit::with_clbits(1, 1).h(0).measure(0, 0).h(0);
    assert_eq!(
        statevector(&circ).unwrap_err().to_string(),
        "a single final state does not exist: `measure q[0] -> c[0]` is a mid-circuit measurement; sample it \
         with run() or get exact outcome probabilities with probabilities()"
    );
    let circ = Circuit::with_clbits(1, 1).x(0).c_if(0, 0);
    assert!(statevector(&circ)
        .unwrap_err()
        .to_string()
        .contains("`if (c == 0) x q[0]` is classically conditioned"));
}

#[test]
fn degenerate_circuits_do_not_panic() {
    let empty = Circuit::new(0);
    assert_amplitudes(&statevector(&empty).unwrap(), &[c(1.0, 0.0)]);
    assert_probabilities(
        &probabilities(&empty).unwrap(),
        ProbabilitiesOver::Qubits,
        0,
        &[("", 1.0)],
    );
    // Qiskit Aer returns no counts for a circuit without measurements.
    let result = run(&empty, &RunConfig { memory: true, ..seeded(5, 1) }).unwrap();
    assert!(result.counts.is_empty());
    assert_eq!(result.memory, Some(vec![]));
    let result = run(&Circuit::with_clbits(2, 2).h(0), &seeded(5, 1)).unwrap();
    assert!(result.counts.is_empty());
    assert_eq!((result.num_qubits, result.num_clbits), (2, 2));
    // Measurements into an empty-register circuit still format every register.
    let mut circ = Circuit::new(1);
    circ.add_creg("a", 0).unwrap();
    circ.add_creg("b", 1).unwrap();
    let result = run(&circ.x(0).measure(0, 0), &seeded(2, 1)).unwrap();
    assert_eq!(result.counts, BTreeMap::from([("1 ".to_string(), 2)]));
}

#[test]
fn too_many_branches_is_a_clear_error() {
    // 13 mid-circuit measurements of |+⟩ branch 2^13 ways.
    let mut circ = Circuit::with_clbits(1, 14);
    for i in 0..14 {
        circ = circ.h(0).measure(0, i);
    }
    let err = probabilities(&circ).unwrap_err();
    assert_eq!(err, SimError::TooManyBranches { limit: MAX_BRANCHES });
    assert_eq!(
        err.to_string(),
        "exact probabilities need more than 4096 measurement branches; sample the circuit with run() instead"
    );
    // Sampling the same circuit works.
    assert_eq!(run(&circ, &seeded(50, 1)).unwrap().counts.values().sum::<u64>(), 50);
}

/// A random circuit step: a table gate with parameters on distinct qubits.
#[derive(Clone, Debug)]
struct Step {
    gate: StandardGate,
    params: Vec<f64>,
    qubits: Vec<usize>,
}

fn step(n: usize) -> impl Strategy<Value = Step> {
    let gates: Vec<StandardGate> = StandardGate::all().filter(|g| g.num_qubits() <= n).collect();
    prop::sample::select(gates).prop_flat_map(move |gate| {
        let params = prop::collection::vec(-PI..PI, gate.num_params());
        let qubits =
            prop::sample::subsequence((0..n).collect::<Vec<_>>(), gate.num_qubits()).prop_shuffle();
        (params, qubits).prop_map(move |(params, qubits)| Step { gate, params, qubits })
    })
}

fn random_circuit() -> impl Strategy<Value = (usize, Vec<Step>, f64)> {
    (1usize..=5).prop_flat_map(|n| (Just(n), prop::collection::vec(step(n), 0..16), -PI..PI))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn statevector_matches_dense_unitary_product((n, steps, phase) in random_circuit()) {
        let mut circ = Circuit::new(n);
        circ.global_phase = phase;
        let mut unitary = Matrix::identity(1 << n);
        for s in &steps {
            circ = circ.gate(s.gate, &s.params, &s.qubits);
            unitary = s.gate.matrix(&s.params).embed(&s.qubits, n).mul(&unitary);
        }
        let phase = C64::from_polar(1.0, phase);
        let expected: Vec<C64> = (0..1 << n).map(|row| unitary.get(row, 0) * phase).collect();
        let state = statevector(&circ).unwrap();
        for (i, (a, e)) in state.iter().zip(&expected).enumerate() {
            prop_assert!((a - e).norm() < 1e-10, "amplitude {}: {} vs {}", i, a, e);
        }

        // Exact probabilities over qubits are the squared amplitudes, and
        // measuring everything gives the same distribution over clbits.
        let expected_probs: Vec<(usize, f64)> =
            expected.iter().map(|a| a.norm_sqr()).enumerate().filter(|(_, p)| *p > 1e-15).collect();
        let p = probabilities(&circ).unwrap();
        let q = probabilities(&circ.clone().measure_all()).unwrap();
        for probs in [&p, &q] {
            for (key, value) in &probs.values {
                let index = usize::from_str_radix(key, 2).unwrap();
                let e = expected[index].norm_sqr();
                prop_assert!((value - e).abs() < 1e-10, "{}: {} vs {}", key, value, e);
            }
            let listed: f64 = probs.values.iter().map(|(_, v)| v).sum();
            let total: f64 = expected_probs.iter().map(|(_, p)| p).sum();
            prop_assert!((listed - total).abs() < 1e-9);
        }
    }
}
