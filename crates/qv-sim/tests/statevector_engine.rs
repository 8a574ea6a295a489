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
