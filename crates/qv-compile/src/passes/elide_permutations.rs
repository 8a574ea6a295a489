//! Elision of swap gates before layout (after Qiskit's `ElidePermutations`).
//!
//! An unconditioned `swap a, b` only relabels which wire carries which
//! qubit. Instead of executing it, the pass drops it and renames `a` and `b`
//! in every later instruction (gates, measurements, resets, barriers,
//! conditioned gates alike), which is exact. The circuit that remains equals
//! the original followed by a permutation of wires: the original qubit `q`
//! ends on wire `permutation[q]`. The pass manager folds that permutation
//! into the reported final layout, so swaps written in the source (the
//! trailing swaps of a QFT, say) cost nothing.

use qv_circuit::{Circuit, StandardGate};

use super::program::Program;
use crate::error::CompileError;

/// Drops unconditioned swaps and relabels later qubits; returns
/// `permutation` with `permutation[q]` = the wire that holds qubit `q` at
/// the end.
pub fn elide_permutations(program: &mut Program) -> Vec<usize> {
    let mut wire: Vec<usize> = (0..program.num_qubits).collect();
    let ops = std::mem::take(&mut program.ops);
    program.ops = Vec::with_capacity(ops.len());
    for mut op in ops {
        if op.free_gate() == Some(StandardGate::Swap) {
            wire.swap(op.qubits[0], op.qubits[1]);
            continue;
        }
        for q in op.qubits.iter_mut() {
            *q = wire[*q];
        }
        program.ops.push(op);
    }
    wire
}

/// [`elide_permutations`] on a circuit: the circuit without swaps and the
/// final permutation.
pub fn run_elide_permutations(circuit: &Circuit) -> Result<(Circuit, Vec<usize>), CompileError> {
    let mut program = Program::from_circuit(circuit)?;
    let perm = elide_permutations(&mut program);
    Ok((program.to_circuit(circuit)?, perm))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_become_relabelling() {
        // swap(0,1) then cx(0,2): the cx now acts on wire 1.
        let c = Circuit::with_clbits(3, 1).swap(0, 1).cx(0, 2).swap(1, 2).measure(2, 0);
        let (out, perm) = run_elide_permutations(&c).unwrap();
        let qubits: Vec<Vec<usize>> = out.instructions().iter().map(|i| i.qubits.clone()).collect();
        // swap(1,2) then moves original 1 and 2: the measurement of 2 reads wire 0.
        assert_eq!(qubits, vec![vec![1, 2], vec![0]]);
        assert_eq!(perm, vec![1, 2, 0]);
    }

    #[test]
    fn conditioned_swaps_stay() {
        let c = Circuit::with_clbits(2, 1).swap(0, 1).c_if(0, 1);
        let (out, perm) = run_elide_permutations(&c).unwrap();
        assert_eq!(out.instructions().len(), 1);
        assert_eq!(perm, vec![0, 1]);
    }
}
