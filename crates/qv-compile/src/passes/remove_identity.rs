//! Removal of identity-equivalent gates.
//!
//! A gate whose matrix is `e^{iφ}·I` (`id`, `u0`, `rz(0)`, `rx(2π)`, `p(4π)`,
//! a `cp(2π)` …) does nothing but shift the global phase: it is removed and
//! `φ` added to the phase. A conditioned one does nothing either, and its
//! phase is unobservable, so it goes without a phase. Gates on three or more
//! qubits are left alone (none of them is parameterised to the identity).

use qv_circuit::{Circuit, StandardGate};

use super::program::{identity_phase, round_trip, Op, Program};
use crate::error::CompileError;

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
    identity_phase(&op.matrix())
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
}
