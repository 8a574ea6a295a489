//! Backends and how `run` picks one.
//!
//! [`run`] is the entry point behind `qv run`: it resolves [`Backend::Auto`]
//! to a concrete backend (with a reason a user can read), then dispatches.
//! The reference simulator stays available as [`Backend::Reference`]; the
//! fast state-vector engine is [`Backend::Statevector`].

use std::fmt;
use std::str::FromStr;

use qv_circuit::Circuit;

use crate::error::{format_bytes, SimError};
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

/// Resolves [`Backend::Auto`] for `circuit`: returns the backend and why, as
/// a sentence a user can read (`qv run` prints it). An explicit backend is
/// returned as requested.
///
/// Auto takes the stabilizer backend for Clifford-only circuits (any width,
/// measurement, reset and conditions included), and the state-vector engine
/// for the rest whenever the state fits in memory at the configured
/// precision; otherwise it still returns the state-vector engine, with a
/// reason that states the shortfall, and the run refuses with
/// [`SimError::TooLargeFor`].
pub fn select(circuit: &Circuit, config: &RunConfig) -> (Backend, String) {
    if config.backend != Backend::Auto {
        return (config.backend, format!("{}: requested", config.backend.name()));
    }
    let n = circuit.num_qubits();
    let qubits = qubit_count(n);
    if crate::stabilizer::check_clifford(circuit).is_ok() {
        return (Backend::Stabilizer, format!("stabilizer: the circuit is Clifford-only ({qubits})"));
    }
    (Backend::Statevector, statevector_reason(n, config))
}

/// `1 qubit`, `24 qubits`.
fn qubit_count(n: usize) -> String {
    if n == 1 {
        "1 qubit".to_string()
    } else {
        format!("{n} qubits")
    }
}

/// Why the state-vector engine was chosen: how much memory it needs against
/// what is available.
fn statevector_reason(n: usize, config: &RunConfig) -> String {
    let amp: u64 = match config.precision {
        Precision::Double => 16,
        Precision::Single => 8,
    };
    let needed =
        u32::try_from(n).ok().and_then(|k| 1u64.checked_shl(k)).and_then(|l| l.checked_mul(amp));
    let available = config.max_memory_bytes.or_else(crate::memory::available_memory_bytes);
    let qubits = qubit_count(n);
    match (needed, available) {
        (Some(need), Some(avail)) if need <= avail => format!(
            "statevector: {qubits} fit in memory ({} of {})",
            format_bytes(need),
            format_bytes(avail)
        ),
        (Some(need), Some(avail)) => format!(
            "statevector: {qubits} need {}, more than the {} available",
            format_bytes(need),
            format_bytes(avail)
        ),
        (Some(need), None) => {
            format!("statevector: {qubits} need {} (available memory unknown)", format_bytes(need))
        }
        (None, _) => format!("statevector: {qubits} are too many to address"),
    }
}

/// Runs `config.shots` shots of `circuit` on the configured backend.
pub fn run(circuit: &Circuit, config: &RunConfig) -> Result<RunResult, SimError> {
    let (backend, reason) = select(circuit, config);
    let mut result = match backend {
        Backend::Statevector | Backend::Auto => crate::fast_run::run(circuit, config)?,
        Backend::Reference => crate::run::run_reference(circuit, config)?,
        Backend::Stabilizer => crate::stabilizer::run(circuit, config)?,
        Backend::DensityMatrix | Backend::Trajectories => {
            return Err(SimError::BackendUnavailable { backend: backend.name() })
        }
    };
    if result.backend.is_empty() {
        result.backend = backend.name().to_string();
    }
    // A backend that handed the circuit on (e.g. to the reference simulator
    // for mid-circuit measurements) gives its own reason.
    if result.backend_reason.is_empty() {
        result.backend_reason = reason;
    }
    Ok(result)
}
