//! Errors of the simulators and the human-readable byte sizes they print.
//!
//! Every refusal says what was asked, what the limit is and, where there is
//! one, what to do instead; sizes are printed in binary units (`16.0 MiB`).

use qv_circuit::CircuitError;

use crate::memory::required_memory_bytes;

/// Why a simulation was refused or failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SimError {
    /// The circuit is malformed (e.g. a parameter that is not a finite number).
    #[error("invalid circuit: {0}")]
    InvalidCircuit(CircuitError),
    /// The circuit calls an `opaque` gate, which has no definition to simulate.
    #[error("gate `{gate}` is opaque (declared without a body), so it cannot be simulated")]
    Opaque {
        /// Name of the opaque gate.
        gate: String,
    },
    /// The simulation needs more memory than the machine (or the configured limit) has.
    #[error("{}", too_large_message(*needed, *available, *num_qubits))]
    TooLarge {
        /// Bytes the simulation would allocate at its peak.
        needed: u64,
        /// Bytes available (detected, or `RunConfig::max_memory_bytes`).
        available: u64,
        /// Number of qubits of the circuit.
        num_qubits: usize,
    },
    /// Like [`SimError::TooLarge`], for an allocation described by `what`
    /// (e.g. "complex64 state vector", "density matrix").
    #[error(
        "circuit needs {} for {num_qubits} qubits ({what}) but only {} is available",
        format_bytes(*needed),
        format_bytes(*available)
    )]
    TooLargeFor {
        /// Bytes the simulation would allocate at its peak.
        needed: u64,
        /// Bytes available (detected, or `RunConfig::max_memory_bytes`).
        available: u64,
        /// Number of qubits of the circuit.
        num_qubits: usize,
        /// What would be allocated.
        what: &'static str,
    },
    /// The backend exists in the interface but not in this build.
    #[error("backend `{backend}` is not available in this build")]
    BackendUnavailable {
        /// Backend name.
        backend: &'static str,
    },
    /// So many qubits that a state vector's size does not fit in a machine word.
    #[error(
        "circuit has {num_qubits} qubits: a complex128 state vector of 2^{num_qubits} amplitudes \
         cannot be addressed on this machine"
    )]
    TooManyQubits {
        /// Number of qubits of the circuit.
        num_qubits: usize,
    },
    /// The allocator refused the state vector.
    #[error("could not allocate {} for the state vector", format_bytes(*bytes))]
    AllocationFailed {
        /// Bytes requested.
        bytes: u64,
    },
    /// The run was cancelled through [`crate::RunConfig::cancel`].
    #[error("the simulation was cancelled")]
    Cancelled,
    /// `shots` was 0.
    #[error("shots must be at least 1")]
    NoShots,
    /// `shots` above the limit.
    #[error("{shots} shots requested but at most {max} are allowed in one run")]
    TooManyShots {
        /// Shots requested.
        shots: u64,
        /// The limit.
        max: u64,
    },
    /// Per-shot memory output would be too large to hold.
    #[error(
        "per-shot memory for {shots} shots of {width} characters each would hold {} characters, \
         more than the limit of {max_chars}; lower the shots or turn memory off",
        (*shots as u128) * (*width as u128)
    )]
    MemoryOutputTooLarge {
        /// Shots requested.
        shots: u64,
        /// Characters per bitstring.
        width: usize,
        /// The limit on total characters.
        max_chars: u64,
    },
    /// `statevector` was asked for a circuit whose final state is random.
    #[error(
        "a single final state does not exist: {reason}; sample it with run() or get exact outcome \
         probabilities with probabilities()"
    )]
    NotDeterministic {
        /// Which instruction makes the state random, and how.
        reason: String,
    },
    /// Exact probabilities would need too many measurement branches.
    #[error(
        "exact probabilities need more than {limit} measurement branches; sample the circuit with \
         run() instead"
    )]
    TooManyBranches {
        /// The branch limit.
        limit: usize,
    },
    /// An observable that does not parse or does not fit the circuit.
    #[error(transparent)]
    Observable(#[from] crate::observable::ObservableError),
    /// A noise model that does not parse or is not physical.
    #[error(transparent)]
    Noise(#[from] crate::noise::NoiseError),
    /// An expectation value the chosen backend cannot compute as asked
    /// (e.g. exactly, for a circuit with mid-circuit measurements).
    #[error("{reason}")]
    Expectation {
        /// What is not possible and what to do instead.
        reason: String,
    },
    /// A noise model was given to a backend that simulates ideal circuits only.
    #[error(
        "the {backend} backend simulates ideal circuits only, but a noise model was given; use \
         density_matrix or trajectories (or auto, which picks one of them)"
    )]
    NoiseNotSupported {
        /// Backend name.
        backend: &'static str,
    },
    /// The stabilizer backend met a gate that is not Clifford.
    #[error(
        "gate `{gate}` at {location} is not a Clifford gate, so the stabilizer backend cannot \
         simulate it (it runs id, x, y, z, h, s, sdg, sx, sxdg, cx, cy, cz, swap, iswap, dcx, ecr \
         and rotations by multiples of π/2); use the statevector backend"
    )]
    NotClifford {
        /// Name of the table gate.
        gate: String,
        /// Index of the circuit instruction, counting from 0.
        instruction: usize,
        /// Qubits the gate acts on.
        qubits: Vec<usize>,
        /// The instruction as text, e.g. ``instruction 3 (`t q[1]`)``.
        location: String,
    },
    /// A noise model the stabilizer backend cannot apply (not a Pauli channel,
    /// or inconsistent with the gate it is attached to).
    #[error("the stabilizer backend cannot use this noise model: {reason}")]
    UnsupportedNoise {
        /// What is wrong.
        reason: String,
    },
}

impl From<CircuitError> for SimError {
    fn from(e: CircuitError) -> Self {
        match e {
            CircuitError::Opaque(gate) => SimError::Opaque { gate },
            other => SimError::InvalidCircuit(other),
        }
    }
}

fn too_large_message(needed: u64, available: u64, num_qubits: usize) -> String {
    let what = if required_memory_bytes(num_qubits) == Some(needed) {
        "complex128 state vector"
    } else {
        "complex128 state vector and working memory"
    };
    format!(
        "circuit needs {} for {num_qubits} qubits ({what}) but only {} is available",
        format_bytes(needed),
        format_bytes(available)
    )
}

/// Formats a byte count in binary units with one decimal (`1536` → `1.5 KiB`).
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_printed_in_binary_units() {
        assert_eq!(format_bytes(0), "0 bytes");
        assert_eq!(format_bytes(1023), "1023 bytes");
        assert_eq!(format_bytes(1536), "1.5 KiB");
        assert_eq!(format_bytes(16 << 20), "16.0 MiB");
        assert_eq!(format_bytes(64 << 30), "64.0 GiB");
        assert_eq!(format_bytes(u64::MAX), "16.0 EiB");
    }

    #[test]
    fn too_large_states_both_numbers() {
        let e = SimError::TooLarge { needed: 64 << 30, available: 23 << 30, num_qubits: 32 };
        assert_eq!(
            e.to_string(),
            "circuit needs 64.0 GiB for 32 qubits (complex128 state vector) but only 23.0 GiB is available"
        );
        let e = SimError::TooLarge { needed: 32 << 20, available: 1 << 20, num_qubits: 20 };
        assert_eq!(
            e.to_string(),
            "circuit needs 32.0 MiB for 20 qubits (complex128 state vector and working memory) but \
             only 1.0 MiB is available"
        );
    }

    #[test]
    fn opaque_circuit_error_becomes_opaque_sim_error() {
        let e = SimError::from(CircuitError::Opaque("magic".into()));
        assert_eq!(e, SimError::Opaque { gate: "magic".into() });
        assert_eq!(
            e.to_string(),
            "gate `magic` is opaque (declared without a body), so it cannot be simulated"
        );
    }
}
