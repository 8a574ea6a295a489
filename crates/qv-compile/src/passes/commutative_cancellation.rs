//! Commutation-aware cancellation (after Qiskit's `CommutativeCancellation`).
//!
//! Within one commutation set of a wire (see [`super::commutation`]) every
//! gate commutes with every other, so any of them can be brought next to any
//! other. The pass groups, per set:
//! - self-inverse gates (`h x y cx cy cz ch swap ecr`) by gate and qubits;
//!   a two-qubit gate groups only with gates in the same set on *both* its
//!   wires. Pairs of a group cancel.
//! - Z rotations (`rz p u1 z s sdg t tdg`) on the wire; a group of two or
//!   more becomes one rotation (the pass's preferred Z gate) at the first
//!   member's place, or nothing when the total is a multiple of 2π.
//! - X rotations (`rx x sx sxdg`) likewise, merged only when the result is
//!   the identity or one native gate (`rx`, or `sx`/`x`/`sxdg` for their
//!   angles), so the gate count never grows.
//!
//! Global phases are tracked exactly.

use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, PI};

use qv_circuit::{Circuit, Matrix, StandardGate};

use super::commutation::{set_index, CommutationChecker};
use super::program::{identity_phase, round_trip, Op, Program};
use crate::error::CompileError;

/// Which gates the merged rotations may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotationGates {
    /// The Z rotation merged groups become (`rz`, `p` or `u1`).
    pub z: StandardGate,
    /// The fixed X gates that merged X groups may become (`sx`, `x`, `sxdg`),
    /// and whether `rx` (any angle) is allowed.
    pub x_fixed: Vec<StandardGate>,
    /// Whether merged X groups may become `rx(θ)`.
    pub rx: bool,
}

impl Default for RotationGates {
    /// `rz` for Z groups; `rx`, `sx`, `x`, `sxdg` for X groups.
    fn default() -> Self {
        use StandardGate::*;
        RotationGates { z: Rz, x_fixed: vec![Sx, X, Sxdg], rx: true }
    }
}

impl RotationGates {
    /// The rotation gates available among `basis` (native gates of a
    /// target); `rz` when no continuous Z rotation is native.
    pub fn for_basis(basis: &[StandardGate]) -> RotationGates {
        use StandardGate::*;
        let z = [Rz, P, U1].into_iter().find(|g| basis.contains(g)).unwrap_or(Rz);
        let x_fixed = [Sx, X, Sxdg].into_iter().filter(|g| basis.contains(g)).collect();
        RotationGates { z, x_fixed, rx: basis.contains(&Rx) }
    }
}

/// A group: kind, wire, set on it, second wire and its set (`usize::MAX`
/// for one-qubit gates).
type GroupKey = (Group, usize, usize, usize, usize);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    SelfInverse(StandardGate),
    ZRotation,
    XRotation,
}

/// Self-inverse gates grouped for pairwise cancellation (`z` merges as a Z
/// rotation instead, which also cancels pairs).
fn is_self_inverse(g: StandardGate) -> bool {
    use StandardGate::*;
    matches!(g, H | X | Y | Cx | Cy | Cz | Ch | Swap | Ecr)
}

/// Angle and phase of a Z-type gate as `e^{iφ}·p(λ)`.
fn z_rotation(op: &Op) -> Option<(f64, f64)> {
    use StandardGate::*;
    Some(match op.free_gate()? {
        Rz => (op.params[0], -op.params[0] / 2.0),
        P | U1 => (op.params[0], 0.0),
        Z => (PI, 0.0),
        S => (FRAC_PI_2, 0.0),
        Sdg => (-FRAC_PI_2, 0.0),
        T => (FRAC_PI_4, 0.0),
        Tdg => (-FRAC_PI_4, 0.0),
        _ => return None,
    })
}

/// Angle and phase of an X-type gate as `e^{iφ}·rx(θ)`.
fn x_rotation(op: &Op) -> Option<(f64, f64)> {
    use StandardGate::*;
    Some(match op.free_gate()? {
        Rx => (op.params[0], 0.0),
        X => (PI, FRAC_PI_2),
        Sx => (FRAC_PI_2, FRAC_PI_4),
        Sxdg => (-FRAC_PI_2, -FRAC_PI_4),
        _ => return None,
    })
}

/// Merges and cancels within commutation sets (see the module docs).
pub fn commutative_cancellation(
    program: &mut Program,
    gates: &RotationGates,
    checker: &mut CommutationChecker,
) {
    let sets = set_index(program, checker);
    // Group keys (kind, wire, set, second wire, its set) with their op, in
    // program order; a stable sort then brings each group together with its
    // members still in program order.
    let mut keyed: Vec<(GroupKey, usize)> = Vec::new();
    for (i, op) in program.ops.iter().enumerate() {
        let Some(g) = op.free_gate() else { continue };
        match op.qubits.len() {
            1 => {
                let kind = if is_self_inverse(g) {
                    Group::SelfInverse(g)
                } else if z_rotation(op).is_some() {
                    Group::ZRotation
                } else if x_rotation(op).is_some() {
                    Group::XRotation
                } else {
                    continue;
                };
                keyed.push(((kind, op.qubits[0], sets.of(i, 0), usize::MAX, usize::MAX), i));
            }
            2 if is_self_inverse(g) => {
                let (a, b) = (op.qubits[0], op.qubits[1]);
                let (sa, sb) = (sets.of(i, 0), sets.of(i, 1));
                // cz and swap are symmetric: order their wires.
                let key = if matches!(g, StandardGate::Cz | StandardGate::Swap) && b < a {
                    (Group::SelfInverse(g), b, sb, a, sa)
                } else {
                    (Group::SelfInverse(g), a, sa, b, sb)
                };
                keyed.push((key, i));
            }
            _ => {}
        }
    }
    keyed.sort_by_key(|(k, _)| *k);
    let groups = keyed
        .chunk_by(|x, y| x.0 == y.0)
        .map(|chunk| (chunk[0].0, chunk.iter().map(|(_, i)| *i).collect::<Vec<usize>>()));
    let mut removed = vec![false; program.ops.len()];
    let mut replaced: Vec<Option<Op>> = vec![None; program.ops.len()];
    let mut phase = 0.0;
    for ((kind, ..), members) in groups {
        if members.len() < 2 {
            continue;
        }
        match kind {
            Group::SelfInverse(_) => {
                for &i in &members[..members.len() / 2 * 2] {
                    removed[i] = true;
                }
            }
            Group::ZRotation | Group::XRotation => {
                let z = kind == Group::ZRotation;
                let parts = members.iter().filter_map(|&i| {
                    if z {
                        z_rotation(&program.ops[i])
                    } else {
                        x_rotation(&program.ops[i])
                    }
                });
                let (angle, ph) = parts.fold((0.0, 0.0), |(a, p), (da, dp)| (a + da, p + dp));
                let q = program.ops[members[0]].qubits[0];
                let Some((merged, extra)) = merge_rotation(z, angle, ph, q, gates) else {
                    continue;
                };
                phase += extra;
                for &i in &members {
                    removed[i] = true;
                }
                if let Some(m) = merged {
                    removed[members[0]] = false;
                    replaced[members[0]] = Some(m);
                }
            }
        }
    }
    let old = std::mem::take(&mut program.ops);
    program.ops = old
        .into_iter()
        .zip(replaced)
        .zip(removed)
        .filter(|(_, gone)| !gone)
        .map(|((op, new), _)| new.unwrap_or(op))
        .collect();
    program.add_phase(phase);
}

/// The single gate (or nothing) equal to `e^{iφ}·p(angle)` (Z) or
/// `e^{iφ}·rx(angle)` (X), with the phase left over; `None` when no allowed
/// gate expresses it.
fn merge_rotation(
    z: bool,
    angle: f64,
    phase: f64,
    q: usize,
    gates: &RotationGates,
) -> Option<(Option<Op>, f64)> {
    let base = if z { StandardGate::P } else { StandardGate::Rx };
    let total = base.matrix(&[angle]).scale(qv_circuit::C64::from_polar(1.0, phase));
    if let Some(p) = identity_phase(&total) {
        return Some((None, p));
    }
    let mut candidates: Vec<Op> = Vec::new();
    if z {
        candidates.push(Op::gate(gates.z, vec![angle], vec![q]));
    } else {
        if gates.rx {
            candidates.push(Op::gate(StandardGate::Rx, vec![angle], vec![q]));
        }
        candidates.extend(gates.x_fixed.iter().map(|&g| Op::gate(g, vec![], vec![q])));
    }
    candidates.into_iter().find_map(|c| {
        let rest: Matrix = c.matrix().dagger().mul(&total);
        identity_phase(&rest).map(|p| (Some(c), p))
    })
}

/// [`commutative_cancellation`] on a circuit, merging into `rz` / `rx`.
pub fn run_commutative_cancellation(circuit: &Circuit) -> Result<Circuit, CompileError> {
    round_trip(circuit, |p| {
        commutative_cancellation(p, &RotationGates::default(), &mut CommutationChecker::new());
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use qv_circuit::Circuit;

    fn summary(c: &Circuit) -> Vec<String> {
        let p = Program::from_circuit(c).unwrap();
        p.ops
            .iter()
            .map(|o| {
                let g = o.standard_gate().map_or("?", |g| g.name());
                format!("{g}{:?}{:?}", o.params, o.qubits)
            })
            .collect()
    }

    #[test]
    fn cx_pairs_cancel_through_commuting_gates() {
        // rz on the control and rx on the target commute with cx.
        let c = Circuit::new(2).cx(0, 1).rz(0.5, 0).rx(0.25, 1).cx(0, 1);
        assert_eq!(
            summary(&run_commutative_cancellation(&c).unwrap()),
            ["rz[0.5][0]", "rx[0.25][1]"]
        );
        // An h on the target blocks.
        let c = Circuit::new(2).cx(0, 1).h(1).cx(0, 1);
        assert_eq!(run_commutative_cancellation(&c).unwrap().instructions().len(), 3);
    }

    #[test]
    fn z_rotations_merge_across_controls() {
        let c = Circuit::new(3).t(0).cx(0, 1).s(0).cz(0, 2).rz(0.5, 0);
        let out = run_commutative_cancellation(&c).unwrap();
        let ops = summary(&out);
        assert_eq!(ops.len(), 3);
        let want = 0.25 * std::f64::consts::PI + 0.5 * std::f64::consts::PI + 0.5;
        assert_eq!(ops[0], format!("rz[{want:?}][0]"));
    }

    #[test]
    fn x_rotations_merge_only_into_allowed_gates() {
        let c = Circuit::new(2).sx(1).cx(0, 1).sx(1);
        let gates =
            RotationGates::for_basis(&[StandardGate::Rz, StandardGate::Sx, StandardGate::X]);
        let out = round_trip(&c, |p| {
            commutative_cancellation(p, &gates, &mut CommutationChecker::new());
            Ok(())
        })
        .unwrap();
        assert_eq!(summary(&out), ["x[][1]", "cx[][0, 1]"]);
    }

    #[test]
    fn symmetric_gates_group_in_either_order() {
        let c = Circuit::new(3).cz(0, 1).rz(0.3, 1).cz(1, 0).swap(2, 1).swap(1, 2);
        assert_eq!(summary(&run_commutative_cancellation(&c).unwrap()), ["rz[0.3][1]"]);
    }
}
