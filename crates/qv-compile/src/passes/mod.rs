//! Optimisation and translation passes, one per file.
//!
//! Every pass works on a [`Program`] (a flattened circuit with evaluated
//! parameters, see [`program`]) and has a `run_<pass>` entry point that takes
//! and returns a [`qv_circuit::Circuit`]. The pass manager
//! ([`crate::manager`]) chains the `Program` forms directly.
//!
//! - [`unroll`]: custom gates and multi-qubit gates down the gate table.
//! - [`cancellation`]: adjacent inverse pairs and rotation merging.
//! - [`remove_identity`]: gates equal to the identity up to phase.
//! - [`remove_diagonal_before_measure`]: diagonal gates right before measurement.
//! - [`elide_permutations`]: swaps turned into a relabelling of qubits.
//! - [`final_measurements`]: final measurements kept behind a barrier during routing.
//! - [`commutation`]: the commutation checker and per-wire commutation sets.
//! - [`commutative_cancellation`]: cancellation and merging within commutation sets.
//! - [`blocks`]: one-qubit runs and two-qubit blocks.
//! - [`optimize_1q`]: one-qubit run fusion and Euler resynthesis.
//! - [`consolidate`]: two-qubit blocks resynthesised by KAK when cheaper.
//! - [`collapse`]: two-qubit blocks as single stand-in gates around routing.
//! - [`basis_translation`]: everything into the target's native gates.
//! - [`metrics`]: size, depth, two-qubit count and depth.
//!
//! Every pass keeps measurements, resets, barriers and conditioned gates in
//! place relative to everything on their wires; only unconditioned gates are
//! merged, moved or removed.

pub mod basis_translation;
pub mod blocks;
pub mod cancellation;
pub mod collapse;
pub mod commutation;
pub mod commutative_cancellation;
pub mod consolidate;
pub mod elide_permutations;
pub mod final_measurements;
pub mod metrics;
pub mod optimize_1q;
pub mod program;
pub mod remove_diagonal_before_measure;
pub mod remove_identity;
pub mod unroll;

pub use basis_translation::{basis_translation, run_basis_translation, NativeGates};
pub use blocks::{collect_1q_runs, collect_2q_blocks, Block};
pub use cancellation::{inverse_cancellation, run_inverse_cancellation};
pub use collapse::{collapse_blocks, CollapsedBlocks};
pub use commutation::{commutation_sets, CommutationChecker, CommutationSets};
pub use commutative_cancellation::{
    commutative_cancellation, run_commutative_cancellation, RotationGates,
};
pub use consolidate::{consolidate_blocks, run_consolidate_blocks};
pub use elide_permutations::{elide_permutations, run_elide_permutations};
pub use final_measurements::{barrier_before_final_measurements, remove_marker_barrier};
pub use metrics::{circuit_metrics, metrics, Metrics};
pub use optimize_1q::{optimize_1q, optimize_1q_runs, run_optimize_1q};
pub use program::{Op, OpKind, Program};
pub use remove_diagonal_before_measure::{
    remove_diagonal_before_measure, run_remove_diagonal_before_measure,
};
pub use remove_identity::{remove_identity_equivalent, run_remove_identity_equivalent};
pub use unroll::{run_unroll, run_unroll_3q, run_unroll_custom, unroll, unroll_3q};
