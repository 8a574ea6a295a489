//! Backends and how `run` picks one.
//!
//! [`run`] is the entry point behind `qv run`: it resolves [`Backend::Auto`]
//! to a concrete backend (with a reason a user can read), then dispatches.
//! The reference simulator stays available as [`Backend::Reference`]; the
//! fast state-vector engine is [`Backend::Statevector`].

use std::fmt;
use std::str::FromStr;

use qv_circuit::Circuit;

use crate::error::SimError;
use crate::run::{RunConfig, RunResult};

/// A simulation method.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Choose from the circuit (see [`select`]).
    #[default]
    Auto,
    /// The fast state-vector engine (fusion, SIMD, threads).
    Statevector,
    /// The stabilizer tableau simulator (Clifford circuits).
    Stabilizer,
    /// The density-matrix simulator (noise).
    DensityMatrix,
    /// State-vector quantum trajectories (noise, larger circuits).
    Trajectories,
    /// The reference state-vector simulator (exact and simple; the oracle).
    Reference,
}

impl Backend {
    /// Every backend, in the order `qv` lists them.
    pub const ALL: [Backend; 6] = [
        Backend::Auto,
        Backend::Statevector,
        Backend::Stabilizer,
        Backend::DensityMatrix,
        Backend::Trajectories,
        Backend::Reference,
    ];

    /// The name used on the command line and in results.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Auto => "auto",
            Backend::Statevector => "statevector",
            Backend::Stabilizer => "stabilizer",
            Backend::DensityMatrix => "density_matrix",
            Backend::Trajectories => "trajectories",
            Backend::Reference => "reference",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Backend::ALL.into_iter().find(|b| b.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Backend::ALL.iter().map(|b| b.name()).collect();
            format!("unknown backend `{s}` (known: {})", names.join(", "))
        })
    }
}

/// Floating-point precision of state-vector amplitudes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Precision {
    /// complex128 (`f64` parts).
    #[default]
    Double,
    /// complex64 (`f32` parts): half the memory, about 7 significant digits.
    Single,
}

impl Precision {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Precision::Double => "double",
            Precision::Single => "single",
        }
    }
}

/// Resolves [`Backend::Auto`] for `circuit`: returns the backend and why.
pub fn select(circuit: &Circuit, config: &RunConfig) -> (Backend, String) {
    match config.backend {
        Backend::Auto => {
            let n = circuit.num_qubits();
            (Backend::Statevector, format!("statevector: a general circuit of {n} qubits"))
        }
        other => (other, format!("{}: requested", other.name())),
    }
}

/// Runs `config.shots` shots of `circuit` on the configured backend.
pub fn run(circuit: &Circuit, config: &RunConfig) -> Result<RunResult, SimError> {
    let (backend, reason) = select(circuit, config);
    let mut result = match backend {
        Backend::Statevector | Backend::Auto => crate::fast_run::run(circuit, config)?,
        Backend::Reference => crate::run::run_reference(circuit, config)?,
        Backend::Stabilizer | Backend::DensityMatrix | Backend::Trajectories => {
            return Err(SimError::BackendUnavailable { backend: backend.name() })
        }
    };
    if result.backend.is_empty() {
        result.backend = backend.name().to_string();
        result.backend_reason = reason;
    }
    Ok(result)
}
