//! Inverse and adjacent cancellation.
//!
//! Walks the program once with a stack of surviving ops per wire. When a gate
//! directly follows another on exactly the same qubits (nothing between them
//! on any of those wires) the pair is combined:
//! - if their product is the identity up to a phase (`h·h`, `s·sdg`,
//!   `cx·cx`, `u(θ,φ,λ)·u(-θ,-λ,-φ)`, …) both go and the phase moves to the
//!   global phase;
//! - if both are the same one-parameter rotation (`rz`, `rx`, `ry`, `p`,
//!   `u1`, `rzz`, `rxx`, `ryy`, `rzx`, `cp`, `cu1`, `crx`, `cry`, `crz`) on the
//!   same qubits they merge into one rotation by the summed angle, which
//!   itself goes when it is the identity.
//!
//! Because the stacks pop on removal, cancellations cascade
//! (`h x x h` leaves nothing). Only unconditioned gates combine;
//! measurements, resets, barriers and conditioned gates stay in place and
//! block combination across them.

use qv_circuit::{Circuit, Matrix, StandardGate};

use super::program::{identity_phase, identity_phase_array, round_trip, Op, OpKind, Program};
use crate::error::CompileError;
use crate::synthesis::linalg::{mul2, mul4, to_mat4};
use crate::synthesis::one_qubit::gate_mat2;

/// How two adjacent gates on the same qubits combine.
enum Combined {
    /// They multiply to `e^{iφ}·I`.
    Cancel(f64),
    /// They merge into one gate.
    Merge(Op),
}

/// Rotations whose angles add: `g(a)·g(b) = g(a + b)` exactly, phase included.
fn is_additive_rotation(g: StandardGate) -> bool {
    use StandardGate::*;
    matches!(g, Rz | Rx | Ry | P | U1 | Rzz | Rxx | Ryy | Rzx | Cp | Cu1 | Crx | Cry | Crz)
}

/// Additive rotations whose matrix is unchanged when their qubits are exchanged.
fn is_symmetric_rotation(g: StandardGate) -> bool {
    use StandardGate::*;
    matches!(g, Rzz | Rxx | Ryy | Cp | Cu1)
}

/// `b`'s matrix expressed on `a`'s qubit order, when both act on the same set.
fn aligned_matrix(a: &Op, b: &Op) -> Option<Matrix> {
    if a.qubits == b.qubits {
        return Some(b.matrix());
    }
    let targets: Option<Vec<usize>> =
        b.qubits.iter().map(|q| a.qubits.iter().position(|x| x == q)).collect();
    let targets = targets?;
    Some(b.matrix().embed(&targets, a.qubits.len()))
}

/// The phase `φ` when `b·a = e^{iφ}·I` (both on the same qubits).
fn product_identity_phase(a: &Op, b: &Op) -> Option<f64> {
    let (ga, gb) = (a.standard_gate()?, b.standard_gate()?);
    match a.qubits.len() {
        1 => identity_phase_array(&mul2(&gate_mat2(gb, &b.params), &gate_mat2(ga, &a.params))),
        2 => {
            let ma = to_mat4(&a.matrix())?;
            let mut mb = to_mat4(&b.matrix())?;
            if a.qubits != b.qubits {
                let perm = [0, 2, 1, 3];
                mb = std::array::from_fn(|r| std::array::from_fn(|c| mb[perm[r]][perm[c]]));
            }
            identity_phase_array(&mul4(&mb, &ma))
        }
        _ => identity_phase(&aligned_matrix(a, b)?.mul(&a.matrix())),
    }
}

fn combine(a: &Op, b: &Op) -> Option<Combined> {
    let (ga, gb) = (a.free_gate()?, b.free_gate()?);
    if ga == gb && is_additive_rotation(ga) && (a.qubits == b.qubits || is_symmetric_rotation(ga)) {
        let merged = Op::gate(ga, vec![a.params[0] + b.params[0]], a.qubits.clone());
        let phase = if merged.qubits.len() == 1 {
            identity_phase_array(&gate_mat2(ga, &merged.params))
        } else {
            identity_phase(&merged.matrix())
        };
        return Some(match phase {
            Some(phase) => Combined::Cancel(phase),
            None => Combined::Merge(merged),
        });
    }
    product_identity_phase(a, b).map(Combined::Cancel)
}

/// Cancels and merges adjacent gates (see the module docs).
pub fn inverse_cancellation(program: &mut Program) {
    let n = program.num_qubits;
    let mut out: Vec<Option<Op>> = Vec::with_capacity(program.ops.len());
    let mut stacks: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut phase = 0.0;
    for op in std::mem::take(&mut program.ops) {
        if op.free_gate().is_some() && !op.qubits.is_empty() {
            if let Some(j) = adjacent_predecessor(&op, &stacks, &out) {
                let prev = out[j].as_ref().expect("stack entries are alive");
                match combine(prev, &op) {
                    Some(Combined::Cancel(p)) => {
                        phase += p;
                        out[j] = None;
                        for &q in &op.qubits {
                            stacks[q].pop();
                        }
                        continue;
                    }
                    Some(Combined::Merge(m)) => {
                        out[j] = Some(m);
                        continue;
                    }
                    None => {}
                }
            }
        }
        let index = out.len();
        for &q in &op.qubits {
            stacks[q].push(index);
        }
        out.push(Some(op));
    }
    program.ops = out.into_iter().flatten().collect();
    program.add_phase(phase);
}

/// The op directly before `op` on all of `op`'s wires, when it is a single
/// op on exactly the same qubits.
fn adjacent_predecessor(op: &Op, stacks: &[Vec<usize>], out: &[Option<Op>]) -> Option<usize> {
    let j = *stacks[op.qubits[0]].last()?;
    if op.qubits.iter().any(|&q| stacks[q].last() != Some(&j)) {
        return None;
    }
    let prev = out[j].as_ref()?;
    (prev.qubits.len() == op.qubits.len() && matches!(prev.kind, OpKind::Gate(_))).then_some(j)
}

/// [`inverse_cancellation`] on a circuit.
pub fn run_inverse_cancellation(circuit: &Circuit) -> Result<Circuit, CompileError> {
    round_trip(circuit, |p| {
        inverse_cancellation(p);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn names(c: &Circuit) -> Vec<String> {
        let p = Program::from_circuit(c).unwrap();
        p.ops
            .iter()
            .map(|o| match o.kind {
                OpKind::Gate(g) => format!("{}{:?}{:?}", g.name(), o.params, o.qubits),
                other => format!("{other:?}{:?}", o.qubits),
            })
            .collect()
    }

    #[test]
    fn cascading_pairs_vanish() {
        let c = Circuit::new(2).h(0).x(0).x(0).h(0).s(1).sdg(1).cx(0, 1).cx(0, 1);
        let out = run_inverse_cancellation(&c).unwrap();
        assert!(out.instructions().is_empty());
    }

    #[test]
    fn rotations_merge_and_full_turns_move_to_the_phase() {
        let c = Circuit::new(2).rz(0.25, 0).rz(0.5, 0).rzz(0.5, 0, 1).rzz(0.25, 1, 0);
        assert_eq!(
            names(&run_inverse_cancellation(&c).unwrap()),
            ["rz[0.75][0]", "rzz[0.75][0, 1]"]
        );
        // rz(π)·rz(π) = rz(2π) = -I.
        let c = Circuit::new(1).rz(PI, 0).rz(PI, 0);
        let out = run_inverse_cancellation(&c).unwrap();
        assert!(out.instructions().is_empty());
        assert!((out.global_phase.abs() - PI).abs() < 1e-12);
    }

    #[test]
    fn measurements_and_conditions_block() {
        let mut c = Circuit::with_clbits(2, 1).h(0).measure(0, 0).h(0).x(1);
        c = c.x(1).c_if(0, 1);
        let out = run_inverse_cancellation(&c).unwrap();
        assert_eq!(out.instructions().len(), 5);
        let c = Circuit::new(2).cx(0, 1).barrier(&[1]).cx(0, 1);
        assert_eq!(run_inverse_cancellation(&c).unwrap().instructions().len(), 3);
    }

    #[test]
    fn reversed_cx_is_not_an_inverse_but_swapped_cz_is() {
        let c = Circuit::new(2).cx(0, 1).cx(1, 0);
        assert_eq!(run_inverse_cancellation(&c).unwrap().instructions().len(), 2);
        let c = Circuit::new(2).cz(0, 1).cz(1, 0);
        assert!(run_inverse_cancellation(&c).unwrap().instructions().is_empty());
    }
}
