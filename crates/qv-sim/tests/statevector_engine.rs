//! The fast state-vector engine behind `run`, `probabilities_with` and
//! `statevector_with`: idle-qubit compaction and precision/fusion options.
//! Expected values follow from the circuits (a Bell pair gives 00/11 with
//! probability 1/2 each; idle qubits stay |0⟩).

use qv_circuit::Circuit;
use qv_sim::{probabilities_with, run, Backend, Precision, ProbabilitiesOver, RunConfig};

/// A Bell pair on qubits 7 and 50 of a 60-qubit register, every qubit measured.
fn wide_bell() -> Circuit {
    Circuit::new(60).h(7).cx(7, 50).measure_all()
}

fn key_with(bits: &[usize], width: usize) -> String {
    (0..width).rev().map(|q| if bits.contains(&q) { '1' } else { '0' }).collect()
}

#[test]
fn idle_qubits_are_not_simulated() {
    // 2^60 amplitudes would never fit; only the two used qubits are simulated.
    let config = RunConfig {
        shots: 2000,
        seed: Some(3),
        backend: Backend::Statevector,
        ..RunConfig::default()
    };
    let result = run(&wide_bell(), &config).unwrap();
    assert_eq!(result.backend, "statevector");
    let zeros = key_with(&[], 60);
    let ones = key_with(&[7, 50], 60);
    assert_eq!(
        result.counts.keys().cloned().collect::<Vec<_>>(),
        vec![zeros.clone(), ones.clone()]
    );
    let n0 = result.counts[&zeros] as f64;
    // 5σ of a binomial(2000, 1/2) is about 112.
    assert!((n0 - 1000.0).abs() < 112.0, "{n0}");

    let probs = probabilities_with(&wide_bell(), &config).unwrap();
    assert_eq!(probs.over, ProbabilitiesOver::Clbits);
    assert_eq!(probs.values.len(), 2);
    for (key, p) in &probs.values {
        assert!(key == &zeros || key == &ones, "{key}");
        assert!((p - 0.5).abs() < 1e-12);
    }
}

#[test]
fn probabilities_over_qubits_keep_idle_qubits_in_the_key() {
    let c = Circuit::new(40).h(0).x(39);
    let probs = probabilities_with(&c, &RunConfig::default()).unwrap();
    assert_eq!(probs.over, ProbabilitiesOver::Qubits);
    let expect = vec![(key_with(&[39], 40), 0.5), (key_with(&[0, 39], 40), 0.5)];
    assert_eq!(probs.values.len(), 2);
    for ((k, p), (ek, ep)) in probs.values.iter().zip(&expect) {
        assert_eq!(k, ek);
        assert!((p - ep).abs() < 1e-12);
    }
}

#[test]
fn single_precision_and_unfused_runs_agree_with_double() {
    let c = Circuit::new(5)
        .h(0)
        .cx(0, 1)
        .ry(0.3, 2)
        .cx(2, 3)
        .rz(1.1, 3)
        .ccx(1, 3, 4)
        .t(4)
        .measure_all();
    let exact = probabilities_with(&c, &RunConfig::default()).unwrap();
    for (precision, fusion, tol) in [
        (Precision::Single, true, 1e-6),
        (Precision::Double, false, 1e-12),
        (Precision::Single, false, 1e-6),
    ] {
        let config = RunConfig { precision, fusion, ..RunConfig::default() };
        let other = probabilities_with(&c, &config).unwrap();
        assert_eq!(other.values.len(), exact.values.len());
        for ((k, p), (ek, ep)) in other.values.iter().zip(&exact.values) {
            assert_eq!(k, ek);
            assert!((p - ep).abs() < tol, "{precision:?} fusion={fusion}: {k} {p} vs {ep}");
        }
    }
}

/// Qubits enter one by one, in no particular order: controls on never-touched
/// qubits, diagonal gates on them (a phase), swaps with them, and one qubit
/// never touched at all (lazy activation in the engine).
fn progressive() -> Circuit {
    use qv_circuit::StandardGate as G;
    let mut c = Circuit::new(7)
        .h(5)
        .cx(5, 2)
        .gate(G::Cp, &[0.4], &[0, 5])
        .rz(0.3, 6)
        .gate(G::Swap, &[], &[2, 4])
        .ccx(5, 4, 1)
        .gate(G::Crx, &[0.7], &[1, 3])
        .gate(G::Swap, &[], &[0, 6])
        .ry(0.2, 6)
        .gate(G::Cswap, &[], &[6, 0, 3])
        .gate(G::Cz, &[], &[2, 3])
        .t(3)
        .cx(3, 2);
    c.global_phase = 0.25;
    c
}

#[test]
fn progressively_activated_circuits_match_the_reference() {
    let c = progressive();
    let expect = qv_sim::statevector(&c).unwrap();
    let reference = qv_sim::probabilities(&c).unwrap();
    for (precision, fusion, tol) in [
        (Precision::Double, true, 1e-12),
        (Precision::Double, false, 1e-12),
        (Precision::Single, true, 1e-6),
        (Precision::Single, false, 1e-6),
    ] {
        for threads in [1, 2] {
            let config = RunConfig {
                precision,
                fusion,
                threads,
                backend: Backend::Statevector,
                ..RunConfig::default()
            };
            // Amplitudes in logical order, global and folded phases included.
            let got = qv_sim::statevector_with(&c, &config).unwrap();
            assert_eq!(got.len(), expect.len());
            for (i, (a, b)) in got.iter().zip(&expect).enumerate() {
                assert!((a - b).norm() < tol, "{precision:?} fusion={fusion}: amplitude {i}");
            }
            let probs = probabilities_with(&c, &config).unwrap();
            assert_eq!(probs.over, ProbabilitiesOver::Qubits);
            assert_eq!(probs.values.len(), reference.values.len());
            for ((k, p), (ek, ep)) in probs.values.iter().zip(&reference.values) {
                assert_eq!(k, ek);
                assert!((p - ep).abs() < tol, "{precision:?} fusion={fusion}: {k} {p} vs {ep}");
            }
        }
    }
    // Sampling maps physical indices through the layout of activated qubits.
    let measured = progressive().measure_all();
    let exact = probabilities_with(&measured, &RunConfig::default()).unwrap();
    let shots = 4000;
    let config =
        RunConfig { shots, seed: Some(9), backend: Backend::Statevector, ..RunConfig::default() };
    let result = run(&measured, &config).unwrap();
    assert_eq!(result.backend, "statevector");
    for (key, n) in &result.counts {
        let p = exact.values.iter().find(|(k, _)| k == key).map_or(0.0, |(_, p)| *p);
        let sd = (shots as f64 * p * (1.0 - p)).sqrt();
        assert!((*n as f64 - shots as f64 * p).abs() <= 5.0 * sd + 1.0, "{key}: {n} vs p={p}");
    }
}

#[test]
fn mid_circuit_operations_on_never_touched_qubits() {
    use qv_circuit::StandardGate as G;
    // Qubit 3 is measured (always 0) before any gate touches it, the x on 2
    // is conditioned on that outcome, qubit 1 is reset before its first gate.
    let c = Circuit::with_clbits(4, 4)
        .h(0)
        .measure(3, 3)
        .gate(G::X, &[], &[2])
        .c_if(0, 0)
        .reset(1)
        .cx(0, 1)
        .cx(3, 0)
        .measure(0, 0)
        .measure(1, 1)
        .measure(2, 2);
    let exact = qv_sim::probabilities(&c).unwrap();
    let keys: Vec<&str> = exact.values.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, vec!["0100", "0111"]);
    let config = RunConfig {
        shots: 500,
        seed: Some(4),
        backend: Backend::Statevector,
        ..RunConfig::default()
    };
    let result = run(&c, &config).unwrap();
    assert!(result.counts.keys().all(|k| keys.contains(&k.as_str())), "{:?}", result.counts);
    let probs = probabilities_with(&c, &config).unwrap();
    assert_eq!(probs.values, exact.values);
}
