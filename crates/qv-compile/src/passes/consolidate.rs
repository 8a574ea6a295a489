//! Two-qubit block consolidation with KAK resynthesis (after Qiskit's
//! `ConsolidateBlocks` + `UnitarySynthesis`, and its two-qubit peephole pass).
//!
//! Each block of gates on one qubit pair (see [`super::blocks`]) is
//! multiplied out into its 4×4 unitary. Its Weyl coordinates give the fewest
//! native two-qubit gates that can implement it; the block is resynthesised
//! when that beats what it costs now — each native two-qubit gate in an
//! allowed direction costs one, any other two-qubit gate what its own
//! synthesis would need (a `swap` three, a `cp` two on a CX-class target) —
//! or when it holds a two-qubit gate the target cannot run as it is. So
//! `cx·swap` becomes two gates, `cx·cx` around commuting one-qubit gates
//! none, and a routed `swap` next to the gate it serves merges with it.
//! Blocks with a single native two-qubit gate are left to the one-qubit
//! passes.

use std::collections::HashMap;

use qv_circuit::{Circuit, StandardGate};

use super::basis_translation::{is_native, synthesize_on, NativeGates};
use super::blocks::{collect_2q_blocks, Block};
use super::program::{round_trip, Op, Program};
use crate::error::CompileError;
use crate::synthesis::linalg::{id4, kron, mul4, to_mat4, Mat4, ID2};
use crate::synthesis::one_qubit::gate_mat2;
use crate::synthesis::two_qubit::coordinates_of;
use crate::synthesis::TwoQubitBasis;
use crate::target::Target;

/// Native two-qubit gates a gate costs, cached per gate and parameters.
#[derive(Debug, Default)]
pub(crate) struct CostCache {
    costs: HashMap<(StandardGate, [u64; 3], bool), usize>,
}

impl CostCache {
    pub(crate) fn cost(&mut self, op: &Op, basis: &TwoQubitBasis, native: &NativeGates) -> usize {
        let Some(g) = op.standard_gate() else { return 0 };
        if is_native(op, native) {
            return 1;
        }
        let mut key = [0u64; 3];
        for (k, p) in key.iter_mut().zip(&op.params) {
            *k = p.to_bits();
        }
        // A native gate in a disallowed direction costs one plus local gates.
        let native_gate = native.supports(g);
        *self.costs.entry((g, key, native_gate)).or_insert_with(|| {
            to_mat4(&op.matrix())
                .and_then(|u| coordinates_of(&u))
                .map_or(3, |w| basis.count_for(&w))
        })
    }
}

/// The 4×4 unitary of `block`'s ops on `[qubits[0], qubits[1]]`.
pub(crate) fn block_unitary(program: &Program, block: &Block) -> Mat4 {
    let [a, _] = block.qubits;
    let mut u = id4();
    for &i in &block.ops {
        let op = &program.ops[i];
        let g = op.standard_gate().unwrap_or(StandardGate::Id);
        let m: Mat4 = if op.qubits.len() == 1 {
            let m1 = gate_mat2(g, &op.params);
            if op.qubits[0] == a {
                kron(&m1, &ID2)
            } else {
                kron(&ID2, &m1)
            }
        } else {
            let m = to_mat4(&op.matrix()).unwrap_or_else(id4);
            if op.qubits[0] == a {
                m
            } else {
                let perm = [0, 2, 1, 3];
                std::array::from_fn(|r| std::array::from_fn(|c| m[perm[r]][perm[c]]))
            }
        };
        u = mul4(&m, &u);
    }
    u
}

/// Resynthesises two-qubit blocks that KAK does with fewer native gates (see
/// the module docs). Without a two-qubit synthesis basis nothing changes.
pub fn consolidate_blocks(program: &mut Program, native: &NativeGates) -> Result<(), CompileError> {
    let Some(basis) = native.two_qubit().copied() else { return Ok(()) };
    if native.euler().is_none() {
        return Ok(());
    }
    let blocks = collect_2q_blocks(program);
    let mut costs = CostCache::default();
    let mut replacement: Vec<Option<Vec<Op>>> = vec![None; program.ops.len()];
    let mut removed = vec![false; program.ops.len()];
    let mut phase = 0.0;
    for block in &blocks {
        let two: Vec<&Op> =
            block.ops.iter().map(|&i| &program.ops[i]).filter(|o| o.qubits.len() == 2).collect();
        let foreign = two.iter().any(|o| !is_native(o, native));
        if two.len() == 1 && !foreign {
            continue;
        }
        let cost: usize = two.iter().map(|o| costs.cost(o, &basis, native)).sum();
        let u = block_unitary(program, block);
        let Some(w) = coordinates_of(&u) else { continue };
        let needed = basis.count_for(&w);
        if needed >= cost && !foreign {
            continue;
        }
        let [a, b] = block.qubits;
        let (added, ops) = synthesize_on(&u, a, b, &basis, native)?;
        phase += added;
        for &i in &block.ops {
            removed[i] = true;
        }
        if let Some(&last) = block.ops.last() {
            replacement[last] = Some(ops);
        }
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
    Ok(())
}

/// [`consolidate_blocks`] on a circuit for `target`.
pub fn run_consolidate_blocks(circuit: &Circuit, target: &Target) -> Result<Circuit, CompileError> {
    let native = NativeGates::of(target)?;
    round_trip(circuit, |p| consolidate_blocks(p, &native))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Target;

    fn two_qubit_count(c: &Circuit) -> usize {
        Program::from_circuit(c).unwrap().count_multi_qubit_gates()
    }

    #[test]
    fn blocks_shrink_to_their_kak_count() {
        let t = Target::from_name("line:3").unwrap();
        // cx then swap: locally equivalent to one iSWAP-class gate, 2 CX.
        let c = Circuit::new(2).cx(0, 1).swap(0, 1);
        assert_eq!(two_qubit_count(&run_consolidate_blocks(&c, &t).unwrap()), 2);
        // Four CX with local gates in between that multiply to the identity.
        let c = Circuit::new(2).cx(0, 1).rz(0.4, 0).cx(0, 1).cx(0, 1).rz(-0.4, 0).cx(0, 1);
        assert_eq!(two_qubit_count(&run_consolidate_blocks(&c, &t).unwrap()), 0);
        // cp(θ) needs two CX; a lone native cx is left alone.
        let c = Circuit::new(3).cp(0.3, 0, 1).cx(1, 2);
        let out = run_consolidate_blocks(&c, &t).unwrap();
        assert_eq!(two_qubit_count(&out), 3);
    }

    #[test]
    fn kron_puts_the_first_factor_on_qubit_zero() {
        // The block unitary must agree with the gate table's embedding.
        let h = StandardGate::H.matrix(&[]);
        let t = StandardGate::T.matrix(&[]);
        let want = h.embed(&[0], 2).mul(&t.embed(&[1], 2));
        let got = kron(&gate_mat2(StandardGate::H, &[]), &gate_mat2(StandardGate::T, &[]));
        let got = crate::synthesis::linalg::from_mat4(&got);
        assert!(got.approx_eq(&want, 1e-12));
    }
}
