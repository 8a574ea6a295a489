//! The stabilizer backend: Clifford circuits on thousands of qubits.
//!
//! - `clifford`: a gate's action on Paulis, found from its matrix, so every
//!   table gate at a Clifford angle is accepted with its exact signs.
//! - `lower`: circuit → stabilizer operations; [`check_clifford`] names the
//!   first non-Clifford gate with its instruction and qubits.
//! - `tableau`: the bit-packed inverse tableau (gates `O(n/64)`, deterministic
//!   measurement `O(n/64)`, random measurement `O(n²/64)`).
//! - `frame`: the Pauli-frame sampler, 64 shots per word.
//! - `exec`: the reference shot and the per-shot fallback.
//! - `noise`: a [`crate::NoiseModel`]'s Pauli channels and readout errors.
//! - `run`: [`Sampler`] and [`run`]; `shots`: packed results and counts.
//!
//! [`expectation`] evaluates Pauli observables exactly from the tableau.
//! The algorithms and limits are described in `docs/stabilizer.md`.

mod bits;
mod clifford;
mod exec;
mod frame;
mod lower;
mod noise;
mod run;
mod shots;
mod tableau;

use qv_circuit::Circuit;

pub use clifford::TOLERANCE as CLIFFORD_TOLERANCE;
pub use lower::check_clifford;
pub use run::{run, Sampler};
pub use shots::ShotBits;

use crate::error::SimError;
use crate::noise::NoiseModel;
use crate::observable::{Observable, Pauli};
use lower::{StabKind, StabProgram};
use tableau::Tableau;

/// Checks that the stabilizer backend can run `circuit` under `noise`: every
/// gate is Clifford and every channel the model places on the circuit's
/// operations is a Pauli channel (for automatic backend choice).
pub fn check_noise(circuit: &Circuit, noise: &NoiseModel) -> Result<(), SimError> {
    let program = StabProgram::lower(circuit)?;
    noise::resolve(&program, noise).map(|_| ())
}

/// The exact expectation value of a Pauli-sum observable in the final state
/// of a Clifford circuit: each term is `0` or `±coeff`.
///
/// Terminal measurements are ignored (they do not change the state before
/// them); mid-circuit measurements, classical conditions and resets of
/// qubits that are not certainly `|0⟩` or `|1⟩` make the final state mixed or
/// random and are refused.
pub fn expectation(circuit: &Circuit, observable: &Observable) -> Result<f64, SimError> {
    let values = term_expectations(circuit, observable)?;
    Ok(observable.terms.iter().zip(values).map(|(t, v)| t.coeff * v).sum())
}

/// `⟨P⟩` of each term's Pauli string (without its coefficient), in term
/// order: each exactly `0`, `1` or `-1`. The circuit is simulated once.
/// Same conditions as [`expectation`].
pub fn term_expectations(circuit: &Circuit, observable: &Observable) -> Result<Vec<f64>, SimError> {
    observable.check_width(circuit.num_qubits())?;
    let program = StabProgram::lower(circuit)?;
    let mut tab = Tableau::new(program.num_qubits());
    for op in &program.ops {
        if op.condition.is_some() {
            return Err(not_pure("a classically conditioned operation"));
        }
        match &op.kind {
            StabKind::Gate { clifford, qubits, .. } => tab.prepend(&clifford.backward, qubits),
            StabKind::Measure { terminal: true, .. } => {}
            StabKind::Measure { terminal: false, .. } => {
                return Err(not_pure("a mid-circuit measurement"))
            }
            StabKind::Reset { qubit } => match tab.peek_z(*qubit) {
                Some(one) => tab.apply_pauli(*qubit, one, false),
                None => return Err(not_pure("a reset of a qubit in superposition or entangled")),
            },
        }
    }
    let values = observable
        .terms
        .iter()
        .map(|term| {
            let paulis: Vec<(usize, bool, bool)> = term
                .paulis
                .iter()
                .map(|&(q, p)| match p {
                    Pauli::X => (q, true, false),
                    Pauli::Y => (q, true, true),
                    Pauli::Z => (q, false, true),
                })
                .collect();
            tab.pauli_expectation(&paulis)
        })
        .collect();
    Ok(values)
}

fn not_pure(what: &str) -> SimError {
    SimError::Expectation {
        reason: format!(
            "the circuit has {what}, so its final state is not a single stabilizer state; exact \
             expectation values need a circuit without mid-circuit measurement, reset or \
             conditions (estimate from shots instead)"
        ),
    }
}
