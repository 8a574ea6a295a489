//! One-qubit run fusion and resynthesis (after Qiskit's
//! `Optimize1qGatesDecomposition`).
//!
//! Each maximal run of unconditioned one-qubit gates on a wire (see
//! [`super::blocks::collect_1q_runs`]) is multiplied out into one 2×2
//! unitary. A run equal to the identity up to phase disappears; otherwise the
//! unitary is resynthesised in the target's Euler basis and the new sequence
//! replaces the run when it is shorter, or when the run held gates the target
//! lacks. Global phases are exact.

use qv_circuit::{Circuit, StandardGate};

use super::basis_translation::NativeGates;
use super::blocks::collect_1q_runs;
use super::program::{identity_phase_array, round_trip, Op, Program};
use crate::error::CompileError;
use crate::synthesis::linalg::{mul2, Mat2, ID2};
use crate::synthesis::one_qubit::{gate_mat2, synthesize_mat2, EulerBasis};

/// Fuses and resynthesises one-qubit runs into `basis`; `is_native` says
/// which gates may stay. Without a basis, only identity runs are removed.
pub fn optimize_1q_runs(
    program: &mut Program,
    basis: Option<EulerBasis>,
    is_native: impl Fn(StandardGate) -> bool,
) {
    let runs = collect_1q_runs(program);
    if runs.is_empty() {
        return;
    }
    let mut replacement: Vec<Option<Vec<Op>>> = vec![None; program.ops.len()];
    let mut removed = vec![false; program.ops.len()];
    let mut phase = 0.0;
    for run in runs {
        let u: Mat2 = run.iter().fold(ID2, |acc, &i| {
            let op = &program.ops[i];
            mul2(&gate_mat2(gate_of(op), &op.params), &acc)
        });
        let q = program.ops[run[0]].qubits[0];
        if let Some(p) = identity_phase_array(&u) {
            phase += p;
            for &i in &run {
                removed[i] = true;
            }
            continue;
        }
        let Some(basis) = basis else { continue };
        let all_native = run.iter().all(|&i| is_native(gate_of(&program.ops[i])));
        let seq = synthesize_mat2(&u, basis);
        if all_native && seq.len() >= run.len() {
            continue;
        }
        phase += seq.phase;
        for &i in &run {
            removed[i] = true;
        }
        replacement[run[0]] =
            Some(seq.iter().map(|(g, p)| Op::gate(g, p.to_vec(), vec![q])).collect());
    }
    let old = std::mem::take(&mut program.ops);
    let mut out = Vec::with_capacity(old.len());
    for ((op, gone), new) in old.into_iter().zip(removed).zip(replacement) {
        if let Some(ops) = new {
            out.extend(ops);
        }
        if !gone {
            out.push(op);
        }
    }
    program.ops = out;
    program.add_phase(phase);
}

/// [`optimize_1q_runs`] into the target's Euler basis, keeping its native gates.
pub fn optimize_1q(program: &mut Program, native: &NativeGates) {
    optimize_1q_runs(program, native.euler(), |g| native.supports(g));
}

/// The table gate of a run member (runs hold only gates).
fn gate_of(op: &Op) -> StandardGate {
    op.standard_gate().unwrap_or(StandardGate::Id)
}

/// [`optimize_1q_runs`] on a circuit, into `basis`, keeping only the
/// basis's own gates as native.
pub fn run_optimize_1q(circuit: &Circuit, basis: EulerBasis) -> Result<Circuit, CompileError> {
    round_trip(circuit, |p| {
        optimize_1q_runs(p, Some(basis), |g| basis.gates().contains(&g));
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    fn runs_fuse_into_the_basis() {
        // h·s·h·sdg… a run of six gates becomes at most five ZSX gates; the
        // cx splits the runs.
        let c = Circuit::new(2).h(0).s(0).h(0).t(0).h(0).s(0).cx(0, 1).x(1).x(1);
        let out = run_optimize_1q(&c, EulerBasis::Zsx).unwrap();
        let names: Vec<&str> = out
            .instructions()
            .iter()
            .map(|i| match &i.op {
                qv_circuit::Operation::Gate { gate: qv_circuit::GateRef::Standard(g), .. } => {
                    g.name()
                }
                _ => "?",
            })
            .collect();
        assert!(names.len() <= 6, "{names:?}");
        assert_eq!(names.last(), Some(&"cx"), "x·x vanished: {names:?}");
        assert!(names.iter().all(|n| ["rz", "sx", "cx"].contains(n)), "{names:?}");
    }

    #[test]
    fn native_runs_are_kept_unless_shorter() {
        let c = Circuit::new(1).rz(0.3, 0).sx(0);
        let out = run_optimize_1q(&c, EulerBasis::Zsx).unwrap();
        assert_eq!(out.instructions().len(), 2);
        let c = Circuit::new(1).rz(PI, 0).rz(PI, 0).rz(0.5, 0);
        let out = run_optimize_1q(&c, EulerBasis::Zsx).unwrap();
        assert_eq!(out.instructions().len(), 1);
    }
}
