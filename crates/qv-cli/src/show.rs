//! `qv draw`, `qv qasm` and `qv gates`: everything that prints without simulating.

use serde::Serialize;

use crate::cli::{DrawArgs, GatesArgs, InputArgs};
use crate::error::CliError;
use crate::input;
use crate::output::{table, Align, Out};

/// Runs `qv draw`.
pub fn draw(args: &DrawArgs) -> Result<(), CliError> {
    let circuit = input::load(&args.file)?;
    let fold = (args.fold > 0).then_some(args.fold);
    let mut out = Out::stdout();
    out.text(&qv_circuit::draw::draw_text_folded(&circuit, fold))?;
    out.finish()
}

/// Runs `qv qasm`.
pub fn qasm(args: &InputArgs) -> Result<(), CliError> {
    let circuit = input::load(&args.file)?;
    let mut out = Out::stdout();
    out.text(&qv_circuit::qasm2::export(&circuit))?;
    out.finish()
}

/// One gate-table row as JSON.
#[derive(Serialize)]
struct GateJson {
    name: &'static str,
    aliases: &'static [&'static str],
    num_qubits: usize,
    params: &'static [&'static str],
    in_qelib1: bool,
    help: &'static str,
}

#[derive(Serialize)]
struct GatesJson {
    gates: Vec<GateJson>,
}

/// Runs `qv gates`.
pub fn gates(args: &GatesArgs) -> Result<(), CliError> {
    let table_rows = qv_circuit::gates::table();
    let mut out = Out::stdout();
    if args.json {
        let gates = table_rows
            .iter()
            .map(|d| GateJson {
                name: d.name,
                aliases: d.aliases,
                num_qubits: d.num_qubits,
                params: d.params,
                in_qelib1: d.in_qelib1,
                help: d.help,
            })
            .collect();
        out.json(&GatesJson { gates })?;
    } else {
        let rows: Vec<Vec<String>> = table_rows
            .iter()
            .map(|d| {
                let name = if d.aliases.is_empty() {
                    d.name.to_string()
                } else {
                    format!("{} ({})", d.name, d.aliases.join(", "))
                };
                vec![name, d.num_qubits.to_string(), d.params.join(", "), d.help.to_string()]
            })
            .collect();
        let aligns = [Align::Left, Align::Right, Align::Left, Align::Left];
        out.text(&table(&["gate", "qubits", "params", "help"], &aligns, &rows))?;
    }
    out.finish()
}
