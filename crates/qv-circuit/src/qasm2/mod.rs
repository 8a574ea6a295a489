//! OpenQASM 2.0 front end and exporter.
//!
//! [`parse`] reads the whole language as the OpenQASM 2 paper and Qiskit's
//! `qasm2` loader define it: the `OPENQASM 2.0;` header (required), `include
//! "qelib1.inc"` (built in, no file needed), `qreg`/`creg`, user `gate`
//! definitions (parameterised, calling earlier gates), `opaque` declarations,
//! gate calls with register broadcasting, `measure`, `reset`, `barrier`,
//! `if (creg == n)` and `//` comments. Like Qiskit's default (non-strict) mode
//! it also accepts empty statements, trailing commas in lists, `barrier;` (all
//! qubits) and reals written `1e-3`. Besides `qelib1.inc`'s gates, including it
//! makes the gate table's other standard gates (`r`, `ryy`, `rzx`, `ecr`,
//! `iswap`, `dcx`, `cs`, `csdg`, `ccz`) callable; a user `gate` of one of
//! those names shadows the table's, so files that define them (as Qiskit's
//! exporter writes them) behave as in Qiskit.
//!
//! Every error is a [`Qasm2Error`] naming `file:line:col` and what was expected
//! and found. The parser never panics and bounds its work: register sizes, the
//! number of operations produced by broadcasting and gate expansion
//! (computed per definition, never by expanding), expression nesting, gate
//! definition nesting and include depth are capped by [`ParseOptions`]. No
//! phase recurses on user input except includes (at most
//! [`ParseOptions::max_include_depth`] levels).
//!
//! [`export`] writes a circuit back as OpenQASM 2.0 such that `parse(export(c))`
//! reproduces it (see the [`export`] docs for what OpenQASM 2 cannot express).
//!
//! Phases live in their own files: `lex` (tokens), `expr` (parameter
//! expressions), `parse` (statements and semantics), `gatedef` (`gate` and
//! `opaque` definitions), `export`, `error`.

mod error;
mod export;
mod expr;
mod gatedef;
mod lex;
mod parse;

use std::path::Path;

pub use error::Qasm2Error;
pub use export::export;

use crate::circuit::Circuit;

/// Limits and switches for parsing. The defaults suit untrusted input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseOptions {
    /// Most qubits plus classical bits the circuit may declare (default 2^20).
    pub max_bits: usize,
    /// Most work the program may expand to (default 2^23, a few hundred MiB
    /// of circuit at most). Each instruction, after broadcasting, counts 1 +
    /// its qubits + its classical bits + its parameter expression nodes, plus,
    /// for a user gate, the number of operations its full expansion
    /// ([`Circuit::flatten`]) produces — so that nested definitions cannot
    /// make a short program flatten into an exponentially large circuit.
    pub max_operations: usize,
    /// Deepest nesting of a parameter expression (default 256).
    pub max_expr_depth: usize,
    /// Most levels of user gate definitions one definition may nest: a body
    /// calling only table gates is 1 level, one calling such a gate 2, and so
    /// on (default 1,000). Expansion here is iterative; the limit keeps
    /// definition chains within what other consumers that recurse per level
    /// (say a tool inlining the exported definitions) can take, and is
    /// checked at the definition, so the error names it.
    pub max_gate_nesting: usize,
    /// Deepest chain of `include` files (default 16).
    pub max_include_depth: usize,
    /// Whether `include "file";` (other than `qelib1.inc`) reads files,
    /// relative to the including file's directory. Off for [`parse`], so that
    /// parsing submitted text never reads the local file system; on for
    /// [`parse_file`].
    pub include_files: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            max_bits: 1 << 20,
            max_operations: 1 << 23,
            max_expr_depth: 256,
            max_gate_nesting: 1000,
            max_include_depth: 16,
            include_files: false,
        }
    }
}

/// Parses OpenQASM 2.0 text; `filename` names it in errors. Only the built-in
/// `qelib1.inc` can be included (see [`parse_file`] for file includes).
pub fn parse(source: &str, filename: &str) -> Result<Circuit, Qasm2Error> {
    parse_with(source, filename, &ParseOptions::default())
}

/// Parses with explicit options. With `options.include_files`, includes are
/// resolved relative to the directory of `filename`.
pub fn parse_with(
    source: &str,
    filename: &str,
    options: &ParseOptions,
) -> Result<Circuit, Qasm2Error> {
    parse::parse_program(source, filename, options)
}

/// Reads and parses a file, resolving `include "other.inc";` relative to the
/// including file's directory. Unreadable or non-UTF-8 files are errors too.
pub fn parse_file(path: &Path) -> Result<Circuit, Qasm2Error> {
    parse_file_with(path, &ParseOptions { include_files: true, ..ParseOptions::default() })
}

/// [`parse_file`] with explicit options.
pub fn parse_file_with(path: &Path, options: &ParseOptions) -> Result<Circuit, Qasm2Error> {
    let name = path.display().to_string();
    let source =
        parse::read_source(path).map_err(|why| Qasm2Error::without_position(&name, why))?;
    parse_with(&source, &name, options)
}
