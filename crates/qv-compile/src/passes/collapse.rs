//! Two-qubit blocks collapsed into single stand-in gates around routing.
//!
//! Routing only cares which qubit pairs interact and in what order, and it
//! works best when each interaction is one node: Qiskit's preset pipelines
//! consolidate every two-qubit block into one `unitary` gate before layout.
//! The gate table has no unitary gate, so [`collapse_blocks`] replaces each
//! block (see [`super::blocks`]) by a stand-in `rzz` whose parameter is
//! the block's index, and keeps the block's gates aside: the KAK
//! resynthesis when it needs fewer native two-qubit gates than the block
//! costs (see [`super::consolidate`]), the original gates otherwise. A block
//! that is a tensor product becomes its one-qubit gates directly.
//!
//! After routing, [`CollapsedBlocks::expand`] puts every block back on the
//! physical pair its stand-in ended on. Every unconditioned two-qubit gate
//! belongs to a block, so every unconditioned `rzz` after collapsing is a
//! stand-in; routing adds only `swap`s and relabels qubits.

use qv_circuit::StandardGate;

use super::basis_translation::{synthesize_on, NativeGates};
use super::blocks::collect_2q_blocks;
use super::consolidate::{block_unitary, CostCache};
use super::program::{Op, Program};
use crate::error::CompileError;
use crate::synthesis::two_qubit::coordinates_of;

/// The stand-in gate.
const STAND_IN: StandardGate = StandardGate::Rzz;

/// The gates of collapsed blocks, on local qubits 0 and 1.
#[derive(Clone, Debug, Default)]
pub struct CollapsedBlocks {
    blocks: Vec<Vec<Op>>,
}

/// Replaces each two-qubit block by a stand-in (see the module docs).
pub fn collapse_blocks(
    program: &mut Program,
    native: &NativeGates,
) -> Result<CollapsedBlocks, CompileError> {
    let blocks = collect_2q_blocks(program);
    let basis = native.two_qubit().copied().filter(|_| native.euler().is_some());
    let mut costs = CostCache::default();
    let mut kept = CollapsedBlocks::default();
    let mut replacement: Vec<Option<Vec<Op>>> = vec![None; program.ops.len()];
    let mut removed = vec![false; program.ops.len()];
    let mut phase = 0.0;
    for block in &blocks {
        let [a, b] = block.qubits;
        let local = |q: usize| usize::from(q == b);
        let mut gates: Vec<Op> = block
            .ops
            .iter()
            .map(|&i| {
                let mut op = program.ops[i].clone();
                op.qubits.iter_mut().for_each(|q| *q = local(*q));
                op
            })
            .collect();
        if let Some(basis) = &basis {
            let cost: usize = block
                .ops
                .iter()
                .map(|&i| &program.ops[i])
                .filter(|o| o.qubits.len() == 2)
                .map(|o| costs.cost(o, basis, native))
                .sum();
            let u = block_unitary(program, block);
            if let Some(w) = coordinates_of(&u) {
                if basis.count_for(&w) < cost {
                    let (added, ops) = synthesize_on(&u, 0, 1, basis, native)?;
                    phase += added;
                    gates = ops;
                }
            }
        }
        for &i in &block.ops {
            removed[i] = true;
        }
        let Some(&last) = block.ops.last() else { continue };
        if gates.iter().all(|o| o.qubits.len() < 2) {
            let map = |o: &Op| {
                let mut o = o.clone();
                o.qubits.iter_mut().for_each(|q| *q = if *q == 0 { a } else { b });
                o
            };
            replacement[last] = Some(gates.iter().map(map).collect());
            continue;
        }
        let index = kept.blocks.len() as f64;
        kept.blocks.push(gates);
        replacement[last] = Some(vec![Op::gate(STAND_IN, vec![index], vec![a, b])]);
    }
    let old = std::mem::take(&mut program.ops);
    let mut out = Vec::with_capacity(old.len());
    for ((op, gone), new) in old.into_iter().zip(removed).zip(replacement) {
        if !gone {
            out.push(op);
        }
        if let Some(ops) = new {
            out.extend(ops);
        }
    }
    program.ops = out;
    program.add_phase(phase);
    Ok(kept)
}

impl CollapsedBlocks {
    /// Replaces every stand-in in `program` by its block's gates on the
    /// stand-in's qubits.
    pub fn expand(&self, program: &mut Program) -> Result<(), CompileError> {
        let old = std::mem::take(&mut program.ops);
        program.ops.reserve(old.len() * 3);
        for op in old {
            if op.free_gate() != Some(STAND_IN) {
                program.ops.push(op);
                continue;
            }
            let index = op.params[0] as usize;
            let block = self.blocks.get(index).ok_or_else(|| {
                CompileError::InvalidOption(format!("internal: no collapsed block #{index}"))
            })?;
            for g in block {
                let mut g = g.clone();
                g.qubits.iter_mut().for_each(|q| *q = op.qubits[*q]);
                program.ops.push(g);
            }
        }
        Ok(())
    }

    /// Number of stand-ins created.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Whether no block was collapsed.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Target;
    use qv_circuit::Circuit;

    #[test]
    fn blocks_collapse_and_expand_on_new_qubits() {
        let t = Target::from_name("line:4").unwrap();
        let native = NativeGates::of(&t).unwrap();
        // Block {0,1}: h, cx, cx, cx (three CX needing only one), block {1,2}: cp.
        let c = Circuit::new(3).h(0).cx(0, 1).cx(1, 0).cx(0, 1).cp(0.4, 1, 2).rz(0.2, 2);
        let mut p = Program::from_circuit(&c).unwrap();
        let blocks = collapse_blocks(&mut p, &native).unwrap();
        assert_eq!(blocks.len(), 2);
        let kinds: Vec<(StandardGate, Vec<usize>)> =
            p.ops.iter().map(|o| (o.standard_gate().unwrap(), o.qubits.clone())).collect();
        // The one-qubit gates joined their blocks.
        assert_eq!(kinds, vec![(StandardGate::Rzz, vec![0, 1]), (StandardGate::Rzz, vec![1, 2])]);
        // Move the blocks to other qubits, as routing would, and expand.
        p.num_qubits = 4;
        p.ops[0].qubits = vec![3, 2];
        p.ops[1].qubits = vec![2, 1];
        blocks.expand(&mut p).unwrap();
        let on_32 = p.ops.iter().filter(|o| o.qubits.len() == 2 && o.qubits.contains(&3)).count();
        let on_21 = p.ops.iter().filter(|o| o.qubits.len() == 2 && o.qubits.contains(&1)).count();
        // h·cx·cx·cx is h·swap·… : the swap-like block needs 3; cp keeps its one gate.
        assert_eq!((on_32, on_21), (3, 1));
    }
}
