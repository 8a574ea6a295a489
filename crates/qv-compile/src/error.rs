//! The compiler's one error type, shared by targets, layout, routing,
//! synthesis and the pass manager.
//!
//! Every variant carries enough context to be read by a user without the
//! source at hand: the target's name, the offending gate, the file and field
//! of a malformed target description. Nothing in the compiler panics on bad
//! input; it returns one of these.

use qv_circuit::CircuitError;

/// Why compilation failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CompileError {
    /// The circuit needs more qubits than the target has.
    #[error(
        "the circuit has {circuit_qubits} qubits but target `{target}` has only {target_qubits}"
    )]
    CircuitTooWide {
        /// Qubits in the circuit.
        circuit_qubits: usize,
        /// Target name.
        target: String,
        /// Qubits in the target.
        target_qubits: usize,
    },
    /// A target name that is neither built in nor a readable file.
    #[error("unknown target `{name}`; known targets: {known}")]
    UnknownTarget {
        /// The name asked for.
        name: String,
        /// Comma-separated list of the known names and patterns.
        known: String,
    },
    /// A target description file that cannot be read or is malformed.
    #[error("{path}: {message}")]
    TargetFile {
        /// The file.
        path: String,
        /// What is wrong, naming the field (e.g. "field `coupling_map[3]`: ...").
        message: String,
    },
    /// A target built in code with inconsistent data (bad coupling edge, unknown gate).
    #[error("invalid target: {0}")]
    InvalidTarget(String),
    /// A gate that the target's native gate set cannot express.
    #[error("target `{target}` cannot express gate `{gate}`: {reason}")]
    UnsupportedGate {
        /// The gate.
        gate: String,
        /// Target name.
        target: String,
        /// Why (e.g. "the target has no two-qubit gate").
        reason: String,
    },
    /// A layout that is not a valid placement on the target.
    #[error("invalid layout: {0}")]
    InvalidLayout(String),
    /// Routing is impossible (e.g. interacting qubits in disconnected parts of the device).
    #[error("cannot route the circuit: {0}")]
    Routing(String),
    /// Synthesis of a gate or block into native gates failed.
    #[error("synthesis failed: {0}")]
    Synthesis(String),
    /// Options out of range (e.g. an optimisation level above 3).
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// The input circuit is malformed (e.g. an opaque gate that cannot be expanded).
    #[error(transparent)]
    Circuit(#[from] CircuitError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_context() {
        let e = CompileError::CircuitTooWide {
            circuit_qubits: 9,
            target: "line:5".into(),
            target_qubits: 5,
        };
        assert_eq!(e.to_string(), "the circuit has 9 qubits but target `line:5` has only 5");
        let e = CompileError::TargetFile {
            path: "dev.json".into(),
            message: "field `num_qubits`: expected an integer".into(),
        };
        assert_eq!(e.to_string(), "dev.json: field `num_qubits`: expected an integer");
        let e: CompileError = CircuitError::Opaque("magic".into()).into();
        assert_eq!(
            e.to_string(),
            "gate `magic` is opaque: it has no definition, so it cannot be simulated"
        );
    }
}
