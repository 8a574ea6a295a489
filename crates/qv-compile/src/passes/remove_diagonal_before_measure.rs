//! Removal of diagonal gates directly before measurements.
//!
//! A gate diagonal in the computational basis only multiplies each basis
//! state by a phase; when every one of its qubits is measured next, the
//! outcome probabilities and the post-measurement states are unchanged (each
//! branch only gains a phase). Such gates (`rz`, `p`, `t`, `cz`, `rzz`, `cp`,
//! …, found as gates whose every argument has the [`Axis::Z`]) are removed,
//! working backwards so that a run of them before a measurement all go. As in
//! Qiskit, a barrier between the gate and the measurement keeps the gate.

use qv_circuit::Circuit;

use super::commutation::{axis, Axis};
use super::program::{round_trip, OpKind, Program};
use crate::error::CompileError;

/// Removes diagonal gates whose qubits are all measured next.
pub fn remove_diagonal_before_measure(program: &mut Program) {
    let mut measured_next = vec![false; program.num_qubits];
    let mut keep = vec![true; program.ops.len()];
    for (i, op) in program.ops.iter().enumerate().rev() {
        if op.kind == OpKind::Measure {
            measured_next[op.qubits[0]] = true;
            continue;
        }
        if let Some(g) = op.free_gate() {
            let diagonal =
                (0..op.qubits.len()).all(|k| matches!(axis(g, k), Axis::Z | Axis::Identity));
            if diagonal && op.qubits.iter().all(|&q| measured_next[q]) {
                keep[i] = false;
                continue;
            }
        }
        for &q in &op.qubits {
            measured_next[q] = false;
        }
    }
    let mut k = keep.into_iter();
    program.ops.retain(|_| k.next().unwrap_or(true));
}

/// [`remove_diagonal_before_measure`] on a circuit.
pub fn run_remove_diagonal_before_measure(circuit: &Circuit) -> Result<Circuit, CompileError> {
    round_trip(circuit, |p| {
        remove_diagonal_before_measure(p);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use qv_circuit::Operation;

    #[test]
    fn diagonal_runs_before_measurements_go() {
        let c = Circuit::with_clbits(2, 2)
            .h(0)
            .h(1)
            .cz(0, 1)
            .t(0)
            .rz(0.3, 1)
            .measure(0, 0)
            .measure(1, 1);
        let out = run_remove_diagonal_before_measure(&c).unwrap();
        let kinds: Vec<&Operation> = out.instructions().iter().map(|i| &i.op).collect();
        assert_eq!(kinds.len(), 4);
        assert!(matches!(kinds[2], Operation::Measure));
        // Qubit 2 is not measured after the rzz: it stays, and so does the t
        // before it on qubit 1.
        let c = Circuit::with_clbits(3, 2).h(2).t(1).rzz(0.2, 1, 2).measure(1, 1).s(2);
        assert_eq!(run_remove_diagonal_before_measure(&c).unwrap().instructions().len(), 5);
    }

    #[test]
    fn barriers_and_conditions_keep_gates() {
        let c = Circuit::with_clbits(1, 1).rz(0.3, 0).barrier(&[0]).measure(0, 0);
        assert_eq!(run_remove_diagonal_before_measure(&c).unwrap().instructions().len(), 3);
        let c = Circuit::with_clbits(1, 1).z(0).c_if(0, 1).measure(0, 0);
        assert_eq!(run_remove_diagonal_before_measure(&c).unwrap().instructions().len(), 2);
    }
}
