//! QuantumVibe circuits: the gate table, the circuit IR and OpenQASM 2.
//!
//! - [`gates`]: one row per standard gate (matrix, inverse, decomposition, help).
//! - [`circuit`]: registers, instructions, custom gates and a builder API.
//! - [`expr`]: symbolic gate parameters.
//! - [`matrix`]: small dense matrices used by the table and by tests.
//! - [`qasm2`]: the OpenQASM 2.0 parser and exporter.
//! - [`draw`]: text diagrams.

pub mod circuit;
pub mod draw;
pub mod expr;
pub mod gates;
pub mod matrix;
pub mod qasm2;

pub use circuit::{
    BodyOp, Circuit, CircuitError, Condition, GateDefinition, GateRef, Instruction, Operation,
    Register, SourcePos,
};
pub use expr::{BinOp, Expr, ExprError, Func};
pub use gates::{GateDef, StandardGate};
pub use matrix::{Matrix, C64};
