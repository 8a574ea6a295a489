//! QuantumVibe simulators: the reference state-vector simulator (complex128).
//!
//! It is exact and clear before it is fast; faster engines are tested against
//! it. Entry points:
//!
//! - [`run`]: samples shots into counts (and per-shot memory) with a seedable
//!   ChaCha8 stream. Mid-circuit measurement, reset and classical conditions
//!   are simulated shot by shot; when every measurement is terminal the final
//!   state is computed once and all shots are sampled from it.
//! - [`statevector`]: the final state, for circuits that have one.
//! - [`probabilities`]: the exact outcome distribution, branching over
//!   mid-circuit outcomes.
//!
//! Before allocating, every entry point compares the memory it needs
//! ([`required_memory_bytes`] per state vector) with what is available
//! ([`available_memory_bytes`], or [`RunConfig::max_memory_bytes`]) and
//! refuses with [`SimError::TooLarge`], which states both numbers.
//!
//! Modules: `program` lowers a circuit (flattening custom gates, building
//! matrices from the gate table, classifying measurements), `statevector`
//! holds the state and gate kernels, `measure` collapse and marginals,
//! `sample` outcome draws, `run` the shot logic, `exact` the exact results,
//! [`simd`] which instruction set the SIMD kernels use (`QV_SIMD`).

mod backend;
pub mod density;
mod error;
mod exact;
pub mod expect;
pub mod fast;
mod fast_run;
mod measure;
mod memory;
pub mod noise;
pub mod observable;
mod program;
mod run;
mod sample;
pub mod simd;
pub mod stabilizer;
mod statevector;
pub mod trajectories;

pub use backend::{run, select, Backend, Precision, DENSITY_MATRIX_MAX_QUBITS};
pub use error::{format_bytes, SimError};
pub use exact::{probabilities, statevector, Probabilities, ProbabilitiesOver, MAX_BRANCHES};
pub use expect::{expectation, ExpectConfig, ExpectResult, TermResult};
pub use fast_run::{probabilities_with, statevector_with};
pub use memory::{available_memory_bytes, required_memory_bytes};
pub use noise::{Channel, NoiseError, NoiseModel, ReadoutError};
pub use observable::{Observable, ObservableError, Pauli, PauliTerm};
pub use run::{run_reference, RunConfig, RunResult, MAX_MEMORY_CHARS, MAX_SHOTS};
