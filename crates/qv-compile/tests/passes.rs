//! Every pass preserves the circuit's unitary — global phase included — on
//! random circuits of up to six qubits drawn from the whole gate table, and
//! the passes that touch measurements keep outcome probabilities.
//!
//! Reference: the unitary of the input, computed by `pass_support::unitary`
//! straight from the gate table's matrices (independent of the passes).

mod pass_support;

use pass_support::{assert_same_unitary, permutation, random_circuit, rng, table_gates, unitary};
use qv_circuit::{Circuit, StandardGate};
use qv_compile::passes::{self, CommutationChecker, Program, RotationGates};
use rand::Rng;

const CASES: u64 = 40;

/// Runs `pass` on random circuits and checks exact unitary equality.
fn check_pass(name: &str, max_gate_qubits: usize, pass: impl Fn(&Circuit) -> Circuit) {
    let gates = table_gates(max_gate_qubits);
    for seed in 0..CASES {
        let mut r = rng(seed);
        let n = r.gen_range(1..=6);
        let len = r.gen_range(1..=40);
        let c = random_circuit(&mut r, n, len, &gates);
        let out = pass(&c);
        assert_same_unitary(&c, &out, &format!("{name}, seed {seed}"));
    }
}

#[test]
fn unroll_3q_preserves_unitary() {
    check_pass("unroll_3q", 5, |c| {
        let out = passes::run_unroll_3q(c).unwrap();
        let p = Program::from_circuit(&out).unwrap();
        assert!(p.ops.iter().all(|o| o.qubits.len() <= 2));
        out
    });
}

#[test]
fn unroll_to_u_cx_preserves_unitary() {
    check_pass("unroll", 5, |c| {
        let keep = |g: StandardGate| matches!(g, StandardGate::U | StandardGate::Cx);
        passes::run_unroll(c, keep, "U, CX").unwrap()
    });
}

#[test]
fn inverse_cancellation_preserves_unitary() {
    check_pass("inverse_cancellation", 3, |c| passes::run_inverse_cancellation(c).unwrap());
}

#[test]
fn remove_identity_preserves_unitary() {
    check_pass("remove_identity", 3, |c| {
        passes::run_remove_identity_equivalent(c, passes::remove_identity::EXACT).unwrap()
    });
}

#[test]
fn commutative_cancellation_preserves_unitary() {
    check_pass("commutative_cancellation", 3, |c| passes::run_commutative_cancellation(c).unwrap());
}

/// Commutative cancellation on a Clifford+T-heavy gate mix, where merges
/// and cancellations are frequent, with IBM's rotation gates.
#[test]
fn commutative_cancellation_on_dense_cancellation_cases() {
    use StandardGate::*;
    let gates = [H, X, Sx, Sxdg, Rz, Rx, T, Tdg, S, Sdg, Z, Cx, Cz, Swap, Cp, Rzz];
    let ibm = RotationGates::for_basis(&[Rz, Sx, X, Cx]);
    let (mut before, mut after) = (0, 0);
    for seed in 0..CASES {
        let mut r = rng(1000 + seed);
        let n = r.gen_range(2..=4);
        let c = random_circuit(&mut r, n, 60, &gates);
        let out = qv_compile::passes::program::Program::from_circuit(&c)
            .map(|mut p| {
                passes::commutative_cancellation(&mut p, &ibm, &mut CommutationChecker::new());
                p.to_circuit(&c).unwrap()
            })
            .unwrap();
        assert_same_unitary(&c, &out, &format!("dense commutative cancellation, seed {seed}"));
        assert!(out.instructions().len() <= c.instructions().len());
        before += c.instructions().len();
        after += out.instructions().len();
    }
    // The mix is chosen so that the pass has work to do.
    assert!(after * 10 < before * 9, "only {before} -> {after} gates");
}

/// The elided circuit followed by the returned permutation is the input.
#[test]
fn elide_permutations_preserves_unitary_up_to_the_permutation() {
    use StandardGate::*;
    let gates = [H, Cx, Swap, Rz, Swap, Cp, Swap];
    for seed in 0..CASES {
        let mut r = rng(2000 + seed);
        let n = r.gen_range(2..=5);
        let c = random_circuit(&mut r, n, 30, &gates);
        let (out, perm) = passes::run_elide_permutations(&c).unwrap();
        assert!(out.instructions().iter().all(|i| !format!("{:?}", i.op).contains("Swap")));
        // Output wire perm[q] holds original qubit q: move it back to q.
        let mut back = vec![0; n];
        for (q, &w) in perm.iter().enumerate() {
            back[w] = q;
        }
        let u = permutation(&back, n).mul(&unitary(&out));
        let diff = u.max_diff(&unitary(&c));
        assert!(diff < 1e-8, "elide_permutations, seed {seed}: differs by {diff:e}");
    }
}

/// Removing diagonal gates before measurement keeps the exact outcome
/// distribution (qv-sim's exact probabilities are the reference).
#[test]
fn remove_diagonal_before_measure_keeps_probabilities() {
    use StandardGate::*;
    let gates = [H, Cx, Rz, T, Cz, Rzz, Cp, Rx, S];
    for seed in 0..CASES {
        let mut r = rng(3000 + seed);
        let n = r.gen_range(1..=5);
        let c = random_circuit(&mut r, n, 25, &gates);
        let mut measured = Circuit::with_clbits(n, n);
        for inst in c.instructions() {
            measured.push(inst.clone()).unwrap();
        }
        for q in 0..n {
            measured = measured.measure(q, q);
        }
        let out = passes::run_remove_diagonal_before_measure(&measured).unwrap();
        let want = qv_sim::probabilities(&measured).unwrap();
        let got = qv_sim::probabilities(&out).unwrap();
        assert_eq!(want.values.len(), got.values.len(), "seed {seed}");
        for ((kw, pw), (kg, pg)) in want.values.iter().zip(&got.values) {
            assert_eq!(kw, kg, "seed {seed}");
            assert!((pw - pg).abs() < 1e-9, "seed {seed}: P({kw}) {pw} vs {pg}");
        }
    }
}
