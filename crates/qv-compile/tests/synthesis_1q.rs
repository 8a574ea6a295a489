//! One-qubit synthesis: every Euler basis reproduces arbitrary unitaries
//! exactly (global phase included), emits only its own gates, and is never
//! longer than Qiskit's `OneQubitEulerDecomposer` on the same gate.
//!
//! Equivalence is checked with `qv_circuit::Matrix` products of the table's
//! gate matrices; the gate-count references were produced by Qiskit 2.6.2's
//! `OneQubitEulerDecomposer(basis)(Operator(gate))`.

use std::f64::consts::PI;

use proptest::prelude::*;
use qv_circuit::{Matrix, StandardGate, C64};
use qv_compile::synthesis::{synthesize_1q, EulerBasis, OneQubitSynthesis};

const TOL: f64 = 1e-12;

/// `e^{iγ}·u3(θ, φ, λ)`: every 2×2 unitary has this form.
fn unitary(theta: f64, phi: f64, lambda: f64, gamma: f64) -> Matrix {
    StandardGate::U3.matrix(&[theta, phi, lambda]).scale(C64::from_polar(1.0, gamma))
}

/// Product of the table matrices of `s`, global phase included, built
/// independently of `OneQubitSynthesis::matrix`.
fn product(s: &OneQubitSynthesis) -> Matrix {
    let mut m = Matrix::identity(2);
    for (g, p) in &s.ops {
        assert_eq!(p.len(), g.num_params(), "{} parameter count", g.name());
        assert!(p.iter().all(|x| x.is_finite()), "{} has a non-finite parameter", g.name());
        m = g.matrix(p).mul(&m);
    }
    m.scale(C64::from_polar(1.0, s.global_phase))
}

fn check(m: &Matrix, basis: EulerBasis) -> OneQubitSynthesis {
    let s = synthesize_1q(m, basis).expect("synthesis");
    let diff = product(&s).max_diff(m);
    assert!(diff <= TOL, "{basis}: differs by {diff:e}: {:?}", s.ops);
    assert!(s.matrix().max_diff(m) <= TOL, "{basis}: OneQubitSynthesis::matrix");
    for (g, _) in &s.ops {
        assert!(basis.gates().contains(g), "{basis} emitted {}", g.name());
    }
    s
}

/// Most gates a basis ever needs.
fn max_len(basis: EulerBasis) -> usize {
    match basis {
        EulerBasis::U3 | EulerBasis::U | EulerBasis::U321 | EulerBasis::PhasedXz => 1,
        EulerBasis::Rr => 2,
        EulerBasis::Zyz | EulerBasis::Zxz | EulerBasis::Xyx | EulerBasis::Xzx | EulerBasis::Gpi => {
            3
        }
        EulerBasis::Psx | EulerBasis::Zsx | EulerBasis::Zsxx => 5,
    }
}

/// Angles that hit the special cases (0, ±π/2, ±π, 2π) exactly or within
/// rounding, as well as generic ones.
fn angle() -> impl Strategy<Value = f64> {
    prop_oneof![
        -4.0 * PI..4.0 * PI,
        prop::sample::select(vec![0.0, PI / 2.0, -PI / 2.0, PI, -PI, 2.0 * PI, 3.0 * PI / 2.0]),
        (prop::sample::select(vec![0.0, PI / 2.0, PI, -PI]), -1e-13..1e-13f64)
            .prop_map(|(a, e)| a + e),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_basis_is_exact(theta in angle(), phi in angle(), lambda in angle(), gamma in -PI..PI) {
        let m = unitary(theta, phi, lambda, gamma);
        for basis in EulerBasis::ALL {
            let s = check(&m, basis);
            prop_assert!(s.ops.len() <= max_len(basis), "{basis}: {} gates", s.ops.len());
        }
    }
}

#[test]
fn identity_and_global_phase_give_no_gates() {
    for gamma in [0.0, 0.4, PI, -2.0] {
        let m = Matrix::identity(2).scale(C64::from_polar(1.0, gamma));
        for basis in EulerBasis::ALL {
            let s = check(&m, basis);
            assert!(s.ops.is_empty(), "{basis}: {:?}", s.ops);
            let want = gamma;
            let d = (s.global_phase - want).rem_euclid(2.0 * PI);
            assert!(d < 1e-12 || 2.0 * PI - d < 1e-12, "{basis}: phase {}", s.global_phase);
        }
    }
}

/// Gate counts of Qiskit 2.6.2's `OneQubitEulerDecomposer` for the same
/// gates; ours may be shorter, never longer.
#[test]
fn never_longer_than_qiskit() {
    use StandardGate as G;
    let gates: [(&str, Matrix); 9] = [
        ("h", G::H.matrix(&[])),
        ("x", G::X.matrix(&[])),
        ("y", G::Y.matrix(&[])),
        ("sx", G::Sx.matrix(&[])),
        ("t", G::T.matrix(&[])),
        ("id", G::Id.matrix(&[])),
        ("ry(0.4)", G::Ry.matrix(&[0.4])),
        ("rx(1.3)", G::Rx.matrix(&[1.3])),
        ("u(0.3,0.4,0.5)", G::U.matrix(&[0.3, 0.4, 0.5])),
    ];
    let qiskit: [(EulerBasis, [usize; 9]); 11] = [
        (EulerBasis::Zyz, [2, 2, 1, 3, 1, 0, 1, 3, 3]),
        (EulerBasis::Zxz, [3, 1, 2, 1, 1, 0, 3, 1, 3]),
        (EulerBasis::Xyx, [2, 1, 1, 1, 3, 0, 1, 1, 3]),
        (EulerBasis::Xzx, [3, 1, 2, 1, 1, 0, 3, 1, 3]),
        (EulerBasis::U3, [1, 1, 1, 1, 1, 0, 1, 1, 1]),
        (EulerBasis::U, [1, 1, 1, 1, 1, 0, 1, 1, 1]),
        (EulerBasis::U321, [1, 1, 1, 1, 1, 0, 1, 1, 1]),
        (EulerBasis::Psx, [3, 2, 3, 1, 1, 0, 4, 5, 5]),
        (EulerBasis::Zsx, [3, 2, 3, 1, 1, 0, 4, 5, 5]),
        (EulerBasis::Zsxx, [3, 1, 2, 1, 1, 0, 4, 5, 5]),
        (EulerBasis::Rr, [2, 1, 1, 1, 2, 0, 1, 1, 2]),
    ];
    for (basis, counts) in qiskit {
        for ((name, m), want) in gates.iter().zip(counts) {
            let s = check(m, basis);
            assert!(
                s.ops.len() <= want,
                "{basis} {name}: {} gates > Qiskit's {want}: {:?}",
                s.ops.len(),
                s.ops
            );
        }
    }
}

#[test]
fn native_gates_come_back_as_themselves() {
    use StandardGate as G;
    let cases: [(EulerBasis, G, Vec<f64>); 8] = [
        (EulerBasis::Zsxx, G::X, vec![]),
        (EulerBasis::Zsx, G::Sx, vec![]),
        (EulerBasis::Zsx, G::Rz, vec![0.7]),
        (EulerBasis::Gpi, G::Gpi, vec![0.7]),
        (EulerBasis::Gpi, G::Gpi2, vec![-1.1]),
        (EulerBasis::Zyz, G::Ry, vec![0.3]),
        (EulerBasis::Rr, G::R, vec![0.3, 1.2]),
        (EulerBasis::PhasedXz, G::PhasedXZ, vec![0.25, 0.5, -0.3]),
    ];
    for (basis, gate, params) in cases {
        let s = check(&gate.matrix(&params), basis);
        assert_eq!(s.ops.len(), 1, "{basis} {}: {:?}", gate.name(), s.ops);
        assert_eq!(s.ops[0].0, gate, "{basis}");
    }
}

#[test]
fn zsx_forms_match_ibm_conventions() {
    // Rz(φ)·Ry(θ)·Rz(λ) ∝ Rz(φ+π)·√X·Rz(θ+π)·√X·Rz(λ): two √X pulses at most,
    // one for θ = π/2 (H = Rz(π/2)·√X·Rz(π/2) up to phase).
    let s = check(&StandardGate::H.matrix(&[]), EulerBasis::Zsx);
    let names: Vec<&str> = s.ops.iter().map(|(g, _)| g.name()).collect();
    assert_eq!(names, ["rz", "sx", "rz"]);
    for (_, p) in &s.ops[..1] {
        assert!((p[0] - PI / 2.0).abs() < 1e-12, "{p:?}");
    }
    let s = check(&unitary(0.9, 0.2, -0.4, 0.0), EulerBasis::Zsx);
    assert_eq!(s.ops.iter().filter(|(g, _)| *g == StandardGate::Sx).count(), 2);
}

#[test]
fn bad_input_is_an_error() {
    let e = synthesize_1q(&Matrix::identity(4), EulerBasis::Zsx).unwrap_err();
    assert_eq!(e.to_string(), "synthesis failed: one-qubit synthesis needs a 2×2 matrix, got 4×4");
    let e =
        synthesize_1q(&Matrix::identity(2).scale(C64::new(2.0, 0.0)), EulerBasis::U3).unwrap_err();
    assert_eq!(e.to_string(), "synthesis failed: one-qubit synthesis input is not unitary");
    let mut nan = Matrix::identity(2);
    nan.set(0, 0, C64::new(f64::NAN, 0.0));
    assert!(synthesize_1q(&nan, EulerBasis::Zyz).is_err());
}

#[test]
fn bases_are_chosen_from_native_sets() {
    use StandardGate as G;
    assert_eq!(EulerBasis::for_gates(&[G::Ecr, G::Rz, G::Sx, G::X]), Some(EulerBasis::Zsxx));
    assert_eq!(EulerBasis::for_gates(&[G::Cz, G::Rz, G::Sx]), Some(EulerBasis::Zsx));
    assert_eq!(EulerBasis::for_gates(&[G::Gpi, G::Gpi2, G::Ms]), Some(EulerBasis::Gpi));
    assert_eq!(EulerBasis::for_gates(&[G::Rx, G::Rz, G::Iswap]), Some(EulerBasis::Zxz));
    assert_eq!(EulerBasis::for_gates(&[G::SqrtIswap, G::PhasedXZ]), Some(EulerBasis::PhasedXz));
    assert_eq!(EulerBasis::for_gates(&[G::U3, G::Cx, G::Rz, G::Sx]), Some(EulerBasis::U3));
    assert_eq!(EulerBasis::for_gates(&[G::H, G::Cx]), None);
    for b in EulerBasis::ALL {
        assert_eq!(EulerBasis::from_name(b.name()), Some(b));
        assert_eq!(
            EulerBasis::for_gates(b.gates())
                .map(|x| x.gates().iter().all(|g| b.gates().contains(g))),
            Some(true)
        );
    }
}
