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
/// With a noise model that does something, Auto takes the density-matrix
/// backend up to [`DENSITY_MATRIX_MAX_QUBITS`] qubits (when the matrix fits
/// in memory) and beyond that the stabilizer backend for Clifford circuits
/// with Pauli noise only, trajectories for the rest. Without noise, it takes the stabilizer
/// backend for Clifford-only circuits (any width; measurement, reset and
/// conditions included) and the state-vector engine for the rest. When the
/// state vector does not fit in memory the reason states the shortfall and
/// the run refuses with [`SimError::TooLargeFor`].
pub fn select(circuit: &Circuit, config: &RunConfig) -> (Backend, String) {
    if config.backend != Backend::Auto {
        return (config.backend, format!("{}: requested", config.backend.name()));
    }
    let n = circuit.num_qubits();
    let qubits = qubit_count(n);
    if is_noisy(config) {
        return noisy_choice(circuit, config);
    }
    if crate::stabilizer::check_clifford(circuit).is_ok() {
        return (
            Backend::Stabilizer,
            format!("stabilizer: the circuit is Clifford-only ({qubits})"),
        );
    }
    (Backend::Statevector, statevector_reason(n, config))
}

/// Most qubits [`select`] simulates with a density matrix when there is
/// noise: `16·4^12` bytes = 256 MiB; wider noisy circuits run as trajectories.
pub const DENSITY_MATRIX_MAX_QUBITS: usize = 12;

/// Whether the configuration carries a noise model that does something.
pub(crate) fn is_noisy(config: &RunConfig) -> bool {
    config.noise.as_deref().is_some_and(|m| !m.is_ideal())
}

/// Density matrix for small noisy circuits whose matrix fits in memory; for
/// wider ones, the stabilizer backend when the circuit is Clifford and every
/// channel a Pauli channel, else trajectories.
fn noisy_choice(circuit: &Circuit, config: &RunConfig) -> (Backend, String) {
    let n = circuit.num_qubits();
    let qubits = qubit_count(n);
    if n > DENSITY_MATRIX_MAX_QUBITS {
        // Compiling the sampler is the check that every channel is Pauli; it
        // costs one tableau pass, small next to sampling.
        let model = config.noise.as_deref();
        if crate::stabilizer::check_clifford(circuit).is_ok()
            && crate::stabilizer::Sampler::with_noise(circuit, model, config.max_memory_bytes)
                .is_ok()
        {
            let reason = format!(
                "stabilizer: Clifford circuit of {qubits} with Pauli noise only, too large for a \
                 density matrix (>{DENSITY_MATRIX_MAX_QUBITS} qubits)"
            );
            return (Backend::Stabilizer, reason);
        }
        let reason = format!(
            "trajectories: noisy circuit of {qubits} is too large for a density matrix \
             (>{DENSITY_MATRIX_MAX_QUBITS} qubits)"
        );
        return (Backend::Trajectories, reason);
    }
    let needed = crate::density::density_matrix_bytes(n);
    let available = config.max_memory_bytes.or_else(crate::memory::available_memory_bytes);
    match (needed, available) {
        (Some(need), Some(avail)) if need > avail => {
            let reason = format!(
                "trajectories: a density matrix of {qubits} needs {}, more than the {} available",
                format_bytes(need),
                format_bytes(avail)
            );
            (Backend::Trajectories, reason)
        }
        _ => (Backend::DensityMatrix, format!("density_matrix: noisy circuit of {qubits}")),
    }
}

/// `1 qubit`, `24 qubits`.
pub(crate) fn qubit_count(n: usize) -> String {
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
    // Refuse rather than silently drop the noise.
    if is_noisy(config) && matches!(backend, Backend::Statevector | Backend::Reference) {
        return Err(SimError::NoiseNotSupported { backend: backend.name() });
    }
    let mut result = match backend {
        Backend::Statevector | Backend::Auto => crate::fast_run::run(circuit, config)?,
        Backend::Reference => crate::run::run_reference(circuit, config)?,
        Backend::Stabilizer => crate::stabilizer::run(circuit, config)?,
        Backend::DensityMatrix => crate::density::run(circuit, config)?,
        Backend::Trajectories => crate::trajectories::run(circuit, config)?,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noise::NoiseModel;
    use std::sync::Arc;

    fn noise(json: &str) -> Option<Arc<NoiseModel>> {
        Some(Arc::new(NoiseModel::from_json(json).unwrap()))
    }

    const PAULI: &str = r#"{"errors": [{"gates": ["cx"], "channel": {"type": "depolarizing", "p": 0.01, "num_qubits": 2}}]}"#;
    const DAMPING: &str =
        r#"{"errors": [{"gates": ["h"], "channel": {"type": "amplitude_damping", "gamma": 0.1}}]}"#;

    fn ghz(n: usize) -> Circuit {
        (1..n).fold(Circuit::new(n).h(0), |c, q| c.cx(0, q))
    }

    fn with(max_memory_bytes: u64, noise: Option<Arc<NoiseModel>>) -> RunConfig {
        RunConfig { max_memory_bytes: Some(max_memory_bytes), noise, ..RunConfig::default() }
    }

    #[test]
    fn ideal_circuits_go_to_the_stabilizer_or_the_state_vector() {
        let gib = 1 << 30;
        let (b, why) = select(&ghz(1000), &with(gib, None));
        assert_eq!(
            (b, why.as_str()),
            (Backend::Stabilizer, "stabilizer: the circuit is Clifford-only (1000 qubits)")
        );
        let (b, why) = select(&ghz(3).t(1), &with(gib, None));
        assert_eq!(
            (b, why.as_str()),
            (Backend::Statevector, "statevector: 3 qubits fit in memory (128 bytes of 1.0 GiB)")
        );
        let single = RunConfig { precision: Precision::Single, ..with(1 << 20, None) };
        let (b, why) = select(&ghz(20).t(1), &single);
        assert_eq!(
            (b, why.as_str()),
            (
                Backend::Statevector,
                "statevector: 20 qubits need 8.0 MiB, more than the 1.0 MiB available"
            )
        );
        // An empty model is no noise.
        let (b, _) = select(&ghz(2), &with(gib, noise("{}")));
        assert_eq!(b, Backend::Stabilizer);
        let explicit = RunConfig { backend: Backend::Reference, ..with(gib, noise(PAULI)) };
        assert_eq!(
            select(&ghz(2), &explicit),
            (Backend::Reference, "reference: requested".to_string())
        );
    }

    #[test]
    fn noisy_circuits_go_to_the_density_matrix_trajectories_or_stabilizer() {
        let gib = 1 << 30;
        let (b, why) = select(&ghz(8), &with(gib, noise(PAULI)));
        assert_eq!(
            (b, why.as_str()),
            (Backend::DensityMatrix, "density_matrix: noisy circuit of 8 qubits")
        );
        let (b, why) = select(&ghz(20).t(0), &with(gib, noise(PAULI)));
        assert_eq!(
            (b, why.as_str()),
            (
                Backend::Trajectories,
                "trajectories: noisy circuit of 20 qubits is too large for a density matrix (>12 qubits)"
            )
        );
        let (b, why) = select(&ghz(20), &with(gib, noise(PAULI)));
        assert_eq!(
            (b, why.as_str()),
            (
                Backend::Stabilizer,
                "stabilizer: Clifford circuit of 20 qubits with Pauli noise only, too large for a \
                 density matrix (>12 qubits)"
            )
        );
        let (b, _) = select(&ghz(20), &with(gib, noise(DAMPING)));
        assert_eq!(b, Backend::Trajectories, "amplitude damping is not a Pauli channel");
        let (b, why) = select(&ghz(10), &with(1 << 20, noise(DAMPING)));
        assert_eq!(
            (b, why.as_str()),
            (
                Backend::Trajectories,
                "trajectories: a density matrix of 10 qubits needs 16.0 MiB, more than the 1.0 MiB \
                 available"
            )
        );
    }

    #[test]
    fn noise_is_refused_by_ideal_backends() {
        let c = ghz(2).measure_all();
        for backend in [Backend::Statevector, Backend::Reference] {
            let config =
                RunConfig { backend, shots: 10, noise: noise(PAULI), ..RunConfig::default() };
            assert_eq!(
                run(&c, &config).unwrap_err(),
                SimError::NoiseNotSupported { backend: backend.name() }
            );
        }
    }
}
