//! QuantumVibe compiler: maps abstract circuits to devices.
//!
//! - [`target`]: devices (qubits, native gates, coupling map, error rates), JSON
//!   format and built-in targets.
//! - [`synthesis`]: one-qubit Euler resynthesis and two-qubit KAK (Weyl)
//!   decomposition into a target's native gates.
//! - [`layout`]: initial placement of virtual qubits (trivial, dense, VF2, SABRE).
//! - [`routing`]: SABRE swap insertion so every two-qubit gate sits on an edge.
//! - [`passes`]: optimisation and translation passes, one per file.
//! - [`manager`]: the pass manager and optimisation levels 0–3.
//! - [`error`]: [`CompileError`], the one error type of the crate.
//!
//! Passes work on flattened [`qv_circuit::Circuit`]s of table gates.

pub mod error;
pub mod layout;
pub mod manager;
pub mod passes;
pub mod routing;
pub mod synthesis;
pub mod target;

pub use error::CompileError;
