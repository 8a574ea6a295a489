//! `qv targets`: list the built-in targets, or describe one target.
//!
//! Without an argument: a table of the built-in devices and generic shapes
//! (or `--json`: `{"targets": [{"name", "num_qubits", "num_couplings",
//! "basis_gates", "description"}]}`, counts `null` for patterns). With a name
//! or a JSON file: a summary of that target, or with `--json` the target in
//! the JSON target format, ready to edit into a custom device.

use serde::Serialize;

use qv_compile::target::builtin::BUILTINS;
use qv_compile::target::{json, Target};

use crate::cli::TargetsArgs;
use crate::error::CliError;
use crate::output::{table, Align, Out};

#[derive(Serialize)]
struct Entry {
    name: String,
    num_qubits: Option<usize>,
    num_couplings: Option<usize>,
    basis_gates: Vec<String>,
    description: String,
}

#[derive(Serialize)]
struct Listing {
    targets: Vec<Entry>,
}

/// Runs `qv targets`.
pub fn targets(args: &TargetsArgs) -> Result<(), CliError> {
    let mut out = Out::stdout();
    match &args.target {
        Some(spec) => describe(&mut out, spec, args.json)?,
        None => list(&mut out, args.json)?,
    }
    out.finish()
}

fn list(out: &mut Out, as_json: bool) -> Result<(), CliError> {
    let entries: Vec<Entry> = BUILTINS
        .iter()
        .map(|b| {
            // Patterns (`line:N`) have no fixed size; devices are built to count.
            let built = (!b.name.contains(':')).then(|| Target::from_name(b.name).ok()).flatten();
            Entry {
                name: b.name.to_string(),
                num_qubits: built.as_ref().map(Target::num_qubits),
                num_couplings: built.as_ref().map(|t| t.coupling_map().num_couplings()),
                basis_gates: built
                    .as_ref()
                    .map(|t| t.basis_gates().iter().map(|g| g.name().to_string()).collect())
                    .unwrap_or_default(),
                description: b.description.to_string(),
            }
        })
        .collect();
    if as_json {
        return out.json(&Listing { targets: entries });
    }
    let dash = |v: Option<usize>| v.map_or_else(|| "-".to_string(), |x| x.to_string());
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![e.name.clone(), dash(e.num_qubits), dash(e.num_couplings), e.description.clone()]
        })
        .collect();
    let aligns = [Align::Left, Align::Right, Align::Right, Align::Left];
    out.text(&table(&["target", "qubits", "couplings", "description"], &aligns, &rows))?;
    out.line(
        "\nUse a JSON file for other devices: `qv targets NAME --json` prints one to start from.",
    )
}

fn describe(out: &mut Out, spec: &str, as_json: bool) -> Result<(), CliError> {
    let t = Target::load(spec).map_err(|e| CliError::Input(e.to_string()))?;
    if as_json {
        return out.line(&json::to_json(&t));
    }
    let map = t.coupling_map();
    let gates: Vec<&str> = t.basis_gates().iter().map(|g| g.name()).collect();
    let connectivity = if map.is_all_to_all() {
        "all-to-all".to_string()
    } else {
        format!(
            "{} couplings{}, {} connected part{}",
            map.num_couplings(),
            if map.is_directed() { " (directed)" } else { "" },
            map.num_components(),
            if map.num_components() == 1 { "" } else { "s" }
        )
    };
    out.line(&format!("target:       {}", t.name()))?;
    if !t.description().is_empty() {
        out.line(&format!("description:  {}", t.description()))?;
    }
    out.line(&format!("qubits:       {}", t.num_qubits()))?;
    out.line(&format!("native gates: {}", gates.join(", ")))?;
    out.line(&format!("connectivity: {connectivity}"))?;
    let calibration = if t.has_error_rates() { "error rates" } else { "none" };
    out.line(&format!("calibration:  {calibration}"))
}
