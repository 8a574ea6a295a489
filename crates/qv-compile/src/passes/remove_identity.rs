//! Removal of identity-equivalent gates.
//!
//! A gate whose matrix is `e^{iφ}·I` (`id`, `u0`, `rz(0)`, `rx(2π)`, `p(4π)`,
//! a `cp(2π)` …) does nothing but shift the global phase: it is removed and
//! `φ` added to the phase. A conditioned one does nothing either, and its
//! phase is unobservable, so it goes without a phase. Gates on three or more
//! qubits are left alone (none of them is parameterised to the identity).
//!
//! "Equal to the identity" means that the average gate fidelity with the
//! identity, `F = (1 + d·|Tr G|²/d²)/(1 + d)`, is within a cut-off of 1.
//! [`APPROXIMATE`] (10⁻¹²) is the cut-off of Qiskit's
//! `RemoveIdentityEquivalent` at its defaults: rotations by less than about
//! 2·10⁻⁶ rad qualify — the tiny controlled phases of a large QFT, which then
//! need no routing at all — and such a gate's entries differ from the
//! identity's by up to about 10⁻⁶. [`EXACT`] removes only gates within
//! 10⁻¹⁰ of `e^{iφ}·I` entry by entry, such as rotations that synthesis
//! left at a rounding-error angle (the fidelity itself cannot resolve angles
//! below about 10⁻⁸ in double precision, so it is not used there). The pass manager uses the first on the input
//! circuit, as Qiskit does, and the second after synthesis.

use qv_circuit::{Circuit, StandardGate, C64};

use super::program::{identity_phase_array, round_trip, Op, Program};
use crate::error::CompileError;
use crate::synthesis::linalg::to_mat4;
use crate::synthesis::one_qubit::gate_mat2;

/// The phase of `op` when it is identity-equivalent.
fn identity_equivalent(op: &Op, cutoff: Cutoff) -> Option<f64> {
    let g = op.standard_gate()?;
    if matches!(g, StandardGate::Id | StandardGate::U0) {
        return Some(0.0);
    }
    if op.qubits.len() > 2 || (op.params.is_empty() && g.num_qubits() > 0) {
        // Parameter-free gates other than `id` are never the identity.
        return None;
    }
    if op.qubits.len() == 1 {
        return fidelity_identity_phase(&gate_mat2(g, &op.params), cutoff);
    }
    fidelity_identity_phase(&to_mat4(&op.matrix())?, cutoff)
}

/// When a gate counts as the identity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cutoff {
    /// Every entry within [`super::program::IDENTITY_TOLERANCE`] of `e^{iφ}·I`.
    Exact,
    /// Average gate fidelity with the identity within this of 1.
    Fidelity(f64),
}

/// Qiskit 2.6's `RemoveIdentityEquivalent` default: `1 − F < 10⁻¹²`.
pub const APPROXIMATE: Cutoff = Cutoff::Fidelity(1e-12);

/// The identity up to rounding.
pub const EXACT: Cutoff = Cutoff::Exact;

/// `Some(φ)` when `m = e^{iφ}·I` under `cutoff`.
fn fidelity_identity_phase<const N: usize>(m: &[[C64; N]; N], cutoff: Cutoff) -> Option<f64> {
    let Cutoff::Fidelity(cutoff) = cutoff else {
        return identity_phase_array(m);
    };
    let d = N as f64;
    let tr: C64 = (0..N).map(|i| m[i][i]).sum();
    let process = tr.norm_sqr() / (d * d);
    let average = (1.0 + d * process) / (1.0 + d);
    ((1.0 - average).abs() < cutoff).then(|| tr.arg())
}

/// Removes gates equal to the identity under `cutoff` ([`APPROXIMATE`] or
/// [`EXACT`], see the module docs).
pub fn remove_identity_equivalent(program: &mut Program, cutoff: Cutoff) {
    let mut phase = 0.0;
    program.ops.retain(|op| match identity_equivalent(op, cutoff) {
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
pub fn run_remove_identity_equivalent(
    circuit: &Circuit,
    cutoff: Cutoff,
) -> Result<Circuit, CompileError> {
    round_trip(circuit, |p| {
        remove_identity_equivalent(p, cutoff);
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
        let out = run_remove_identity_equivalent(&c, EXACT).unwrap();
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
        let out = run_remove_identity_equivalent(&c, APPROXIMATE).unwrap();
        assert_eq!(out.instructions().len(), 1);
        // The exact cut-off keeps all three.
        let out = run_remove_identity_equivalent(&c, EXACT).unwrap();
        assert_eq!(out.instructions().len(), 3);
    }
}
