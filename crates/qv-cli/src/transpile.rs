//! `qv transpile`: compile a circuit for a device target.
//!
//! Prints the compiled circuit as OpenQASM 2.0 followed by comment lines
//! with the layouts and figures, or (`--json`) one JSON object:
//! `{"qasm", "target", "level", "seed", "initial_layout", "final_layout",
//! "stats": {"two_qubit_gates", "depth", "two_qubit_depth", "size",
//! "swaps_inserted", "layout_method", "time_s"}}`, where `initial_layout[v]`
//! and `final_layout[v]` are the physical qubits of virtual qubit `v` before
//! and after the circuit. `--output` writes the QASM to a file instead of
//! standard output.

use serde::Serialize;

use qv_compile::manager::{transpile as compile, TranspileOptions, TranspileStats};
use qv_compile::target::Target;
use qv_compile::CompileError;

use crate::cli::TranspileArgs;
use crate::error::CliError;
use crate::input;
use crate::output::Out;

#[derive(Serialize)]
struct TranspileJson<'a> {
    qasm: &'a str,
    target: &'a str,
    level: u8,
    seed: u64,
    initial_layout: &'a [usize],
    final_layout: &'a [usize],
    stats: &'a TranspileStats,
}

/// Compiler errors are all caused by the input: the circuit, the target
/// name or file, or the options.
fn input_error(e: CompileError) -> CliError {
    CliError::Input(e.to_string())
}

/// Runs `qv transpile`.
pub fn transpile(args: &TranspileArgs) -> Result<(), CliError> {
    let circuit = input::load(&args.file)?;
    let target = Target::load(&args.target).map_err(input_error)?;
    let options = TranspileOptions { level: args.level, seed: args.seed };
    let result = compile(&circuit, &target, &options).map_err(input_error)?;
    let qasm = qv_circuit::qasm2::export(&result.circuit);
    if let Some(path) = &args.output {
        std::fs::write(path, &qasm)
            .map_err(|e| CliError::Input(format!("cannot write {}: {e}", path.display())))?;
    }
    let mut out = Out::stdout();
    if args.json {
        out.json(&TranspileJson {
            qasm: &qasm,
            target: target.name(),
            level: args.level,
            seed: args.seed,
            initial_layout: &result.initial_layout,
            final_layout: &result.final_layout,
            stats: &result.stats,
        })?;
    } else {
        if args.output.is_none() {
            out.text(&qasm)?;
        }
        let s = &result.stats;
        out.line(&format!(
            "// qv transpile: target `{}`, level {}, seed {}, layout {}",
            target.name(),
            args.level,
            args.seed,
            s.layout_method
        ))?;
        out.line(&format!("// initial_layout: {:?}", result.initial_layout))?;
        out.line(&format!("// final_layout: {:?}", result.final_layout))?;
        out.line(&format!(
            "// two_qubit_gates: {}, depth: {}, two_qubit_depth: {}, size: {}, swaps_inserted: {}, time_s: {:.6}",
            s.two_qubit_gates, s.depth, s.two_qubit_depth, s.size, s.swaps_inserted, s.time_s
        ))?;
    }
    out.finish()
}
