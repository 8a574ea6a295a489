//! Collection of single-qubit runs and two-qubit blocks (after Qiskit's
//! `Collect1qRuns` and `Collect2qBlocks`).
//!
//! A *run* is a maximal sequence of unconditioned one-qubit gates that follow
//! each other directly on a wire. A *block* is a set of unconditioned gates
//! on one or two qubits that all act within the same qubit pair and are
//! consecutive on both wires: nothing else touches the pair between the
//! block's first and last gate. Blocks are found in one forward sweep: each
//! wire has at most one open block, a two-qubit gate on the open block's pair
//! joins it, any other two-qubit gate closes the blocks on its wires and opens
//! a new one that also takes the one-qubit gates waiting on both wires, and
//! measurements, resets, barriers, conditioned gates and wider gates close
//! the blocks on their wires.
//!
//! Because a block is contiguous on its two wires, its gates can be replaced
//! by any circuit on the same pair placed where the block's last gate was.

use super::program::{Program, Wires};

/// A two-qubit block: the pair and the indices of its gates, in program order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The two qubits (in the order of the block's first two-qubit gate).
    pub qubits: [usize; 2],
    /// Op indices, increasing.
    pub ops: Vec<usize>,
}

/// Maximal runs of unconditioned one-qubit gates, each as increasing op
/// indices on one wire.
pub fn collect_1q_runs(program: &Program) -> Vec<Vec<usize>> {
    let wires = Wires::of(program);
    let mut runs = Vec::new();
    for on in &wires.on {
        let mut run: Vec<usize> = Vec::new();
        for &i in on {
            if program.ops[i].is_free_gate_on(1) {
                run.push(i);
            } else if !run.is_empty() {
                runs.push(std::mem::take(&mut run));
            }
        }
        if !run.is_empty() {
            runs.push(run);
        }
    }
    runs.sort_unstable_by_key(|r| r[0]);
    runs
}

/// Collects the two-qubit blocks (see the module docs). Every block holds at
/// least one two-qubit gate; one-qubit gates outside blocks are left for
/// [`collect_1q_runs`].
pub fn collect_2q_blocks(program: &Program) -> Vec<Block> {
    let n = program.num_qubits;
    let mut blocks: Vec<Block> = Vec::new();
    let mut open: Vec<Option<usize>> = vec![None; n];
    let mut pending: Vec<Vec<usize>> = vec![Vec::new(); n];
    let close = |open: &mut Vec<Option<usize>>, blocks: &[Block], q: usize| {
        if let Some(b) = open[q] {
            for w in blocks[b].qubits {
                open[w] = None;
            }
        }
    };
    for (i, op) in program.ops.iter().enumerate() {
        if op.is_free_gate_on(1) {
            let q = op.qubits[0];
            match open[q] {
                Some(b) => blocks[b].ops.push(i),
                None => pending[q].push(i),
            }
        } else if op.is_free_gate_on(2) {
            let (a, b) = (op.qubits[0], op.qubits[1]);
            if open[a].is_some() && open[a] == open[b] {
                if let Some(k) = open[a] {
                    blocks[k].ops.push(i);
                }
                continue;
            }
            close(&mut open, &blocks, a);
            close(&mut open, &blocks, b);
            let mut ops = std::mem::take(&mut pending[a]);
            ops.append(&mut pending[b]);
            ops.sort_unstable();
            ops.push(i);
            open[a] = Some(blocks.len());
            open[b] = Some(blocks.len());
            blocks.push(Block { qubits: [a, b], ops });
        } else {
            for &q in &op.qubits {
                close(&mut open, &blocks, q);
                pending[q].clear();
            }
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use qv_circuit::Circuit;

    fn program(c: Circuit) -> Program {
        Program::from_circuit(&c).unwrap()
    }

    #[test]
    fn runs_stop_at_multi_qubit_gates_and_measurements() {
        let c = Circuit::with_clbits(2, 1).h(0).t(0).cx(0, 1).s(0).measure(0, 0).x(0).y(1);
        let runs = collect_1q_runs(&program(c));
        assert_eq!(runs, vec![vec![0, 1], vec![3], vec![5], vec![6]]);
    }

    #[test]
    fn blocks_absorb_waiting_one_qubit_gates_and_close_on_new_pairs() {
        // 0:h(0) 1:h(1) 2:cx(0,1) 3:rz(1) 4:cx(1,0) 5:cx(1,2) 6:t(0) 7:cx(0,1)
        let c = Circuit::new(3).h(0).h(1).cx(0, 1).rz(0.2, 1).cx(1, 0).cx(1, 2).t(0).cx(0, 1);
        let blocks = collect_2q_blocks(&program(c));
        assert_eq!(
            blocks,
            vec![
                Block { qubits: [0, 1], ops: vec![0, 1, 2, 3, 4] },
                Block { qubits: [1, 2], ops: vec![5] },
                Block { qubits: [0, 1], ops: vec![6, 7] },
            ]
        );
    }

    #[test]
    fn barriers_and_conditions_split_blocks() {
        let mut c = Circuit::with_clbits(2, 1).cx(0, 1).barrier(&[0, 1]).cx(0, 1).cx(0, 1);
        c = c.c_if(0, 1).cx(0, 1);
        let blocks = collect_2q_blocks(&program(c));
        let ops: Vec<Vec<usize>> = blocks.into_iter().map(|b| b.ops).collect();
        assert_eq!(ops, vec![vec![0], vec![2], vec![4]]);
    }
}
