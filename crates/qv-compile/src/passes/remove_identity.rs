//! Removal of identity-equivalent gates.
//!
//! A gate whose matrix is `e^{iφ}·I` (`id`, `u0`, `rz(0)`, `rx(2π)`, `p(4π)`,
//! a `cp(2π)` …) does nothing but shift the global phase: it is removed and
//! `φ` added to the phase. A conditioned one does nothing either, and its
//! phase is unobservable, so it goes without a phase. Gates on three or more
//! qubits are left alone (none of them is parameterised to the identity).
//!
//! "Equal to the identity" is decided as Qiskit's `RemoveIdentityEquivalent`
//! does by default: the average gate fidelity with the identity,
//! `F = (1 + d·|Tr G|²/d²)/(1 + d)`, is within [`FIDELITY_TOLERANCE`]
//! (10⁻¹²) of 1. Rotations by less than about 2·10⁻⁶ rad qualify — the tiny
//! controlled phases of a large QFT, for instance, which then need no
//! routing at all. The entries of such a gate differ from the identity's by
//! at most about 10⁻⁶.

use qv_circuit::{Circuit, StandardGate, C64};

use super::program::{round_trip, Op, Program};
use crate::error::CompileError;
use crate::synthesis::linalg::to_mat4;
use crate::synthesis::one_qubit::gate_mat2;

/// The phase of `op` when it is identity-equivalent.
fn identity_equivalent(op: &Op) -> Option<f64> {
    let g = op.standard_gate()?;
    if matches!(g, StandardGate::Id | StandardGate::U0) {
        return Some(0.0);
    }
    if op.qubits.len() > 2 || (op.params.is_empty() && g.num_qubits() > 0) {
        // Parameter-free gates other than `id` are never the identity.
        return None;
    }
    if op.qubits.len() == 1 {
        return fidelity_identity_phase(&gate_mat2(g, &op.params));
    }
    fidelity_identity_phase(&to_mat4(&op.matrix())?)
}

/// Largest `1 − F` (average gate fidelity with the identity) of a removed
/// gate; Qiskit 2.6's default cut-off.
pub const FIDELITY_TOLERANCE: f64 = 1e-12;

/// `Some(arg Tr G)` when `G`'s average gate fidelity with the identity is
/// within [`FIDELITY_TOLERANCE`] of 1.
fn fidelity_identity_phase<const N: usize>(m: &[[C64; N]; N]) -> Option<f64> {
    let d = N as f64;
    let tr: C64 = (0..N).map(|i| m[i][i]).sum();
    let process = tr.norm_sqr() / (d * d);
    let average = (1.0 + d * process) / (1.0 + d);
    ((1.0 - average).abs() < FIDELITY_TOLERANCE).then(|| tr.arg())
}

/// Removes identity-equivalent gates (see the module docs).
pub fn remove_identity_equivalent(program: &mut Program) {
    let mut phase = 0.0;
    program.ops.retain(|op| match identity_equivalent(op) {
        Some(p) => {
            if op.condition.is_none() {
                phase += p;
            }
            false
        }
        None => true,
    });
    program.add_phase(phase);
}

/// [`remove_identity_equivalent`] on a circuit.
pub fn run_remove_identity_equivalent(circuit: &Circuit) -> Result<Circuit, CompileError> {
    round_trip(circuit, |p| {
        remove_identity_equivalent(p);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    fn identities_go_and_their_phase_stays() {
        let c = Circuit::new(2).id(0).rz(0.0, 1).rx(2.0 * PI, 0).h(1).cp(2.0 * PI, 0, 1).rz(0.1, 0);
        let out = run_remove_identity_equivalent(&c).unwrap();
        assert_eq!(out.instructions().len(), 2);
        // rx(2π) = -I.
        assert!((out.global_phase.abs() - PI).abs() < 1e-12);
    }

    /// Qiskit 2.6's `RemoveIdentityEquivalent` (default options) removes
    /// `cp(π/2^21)` and `rz(1e-9)` and keeps `cp(π/2^20)`.
    #[test]
    fn rotations_below_the_fidelity_cutoff_go() {
        let tiny = PI / f64::from(1u32 << 21);
        let small = PI / f64::from(1u32 << 20);
        let c = Circuit::new(2).cp(tiny, 0, 1).cp(small, 0, 1).rz(1e-9, 0);
        let out = run_remove_identity_equivalent(&c).unwrap();
        assert_eq!(out.instructions().len(), 1);
    }
}
