//! Synthesis: unitaries as sequences of a target's native gates.
//!
//! - [`one_qubit`]: Euler decompositions of 2×2 unitaries into a basis
//!   ([`EulerBasis`]: ZYZ, ZXZ, XYX, XZX, U3, U, U321, PSX, ZSX, ZSXX, RR,
//!   IonQ GPI/GPI2, Google PhasedXZ) — [`synthesize_1q`].
//! - [`weyl`]: the Weyl (KAK) decomposition of 4×4 unitaries: canonical
//!   coordinates and the one-qubit gates relating locally equivalent gates.
//! - [`two_qubit`]: 4×4 unitaries into a native two-qubit gate
//!   ([`TwoQubitBasis`]: cx/cz/ecr-like, iswap-like, sqrt_iswap, the
//!   continuous rxx/ryy/rzz/rzx/ms/cp/crz families and fsim) with the minimal
//!   number of two-qubit gates — [`synthesize_2q`], [`num_basis_gates`].
//!
//! Internals use fixed-size arrays ([`linalg`]) rather than
//! [`qv_circuit::Matrix`], so a synthesis allocates only its output.

pub mod linalg;
pub mod one_qubit;
mod skeleton;
pub mod two_qubit;
pub mod weyl;

pub use one_qubit::{synthesize_1q, EulerBasis, OneQubitSynthesis};
pub use two_qubit::{
    num_basis_gates, synthesize_2q, synthesize_2q_reversed, weyl_coordinates, TwoQubitBasis,
    TwoQubitSynthesis,
};
