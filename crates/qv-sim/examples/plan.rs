//! Prints the fusion plan of an OpenQASM 2 file, run from |0…0⟩ with lazy
//! qubit activation: passes by kind, width and the state prefix they cover.
//!
//! `cargo run --release -p qv-sim --example plan -- FILE [MAX_DENSE] [MAX_DIAGONAL]`

use std::collections::BTreeMap;

use qv_circuit::{GateRef, Operation};
use qv_sim::fast::{fusion, FusedOp, FusionLimits, GateOp};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).ok_or("usage: plan FILE [MAX_DENSE] [MAX_DIAGONAL]")?;
    let mut limits = FusionLimits::default();
    if let Some(k) = args.get(2) {
        limits.max_dense = k.parse()?;
    }
    if let Some(k) = args.get(3) {
        limits.max_diagonal = k.parse()?;
    }
    let circuit = qv_circuit::qasm2::parse_file(std::path::Path::new(path))?.flatten()?;
    let mut gates = Vec::new();
    for inst in circuit.instructions() {
        if let Operation::Gate { gate: GateRef::Standard(g), params } = &inst.op {
            let values: Vec<f64> =
                params.iter().map(|p| p.eval_const()).collect::<Result<_, _>>()?;
            gates.push(GateOp { matrix: g.matrix(&values), qubits: inst.qubits.clone() });
        }
    }
    let plan = fusion::plan_from_zero(&gates, circuit.num_qubits(), limits);
    let mut hist: BTreeMap<(&str, usize), usize> = BTreeMap::new();
    // Work in whole-state passes: each pass covers the prefix filled so far.
    let (mut live, mut work) = (0, 0.0);
    for op in &plan.ops {
        live = op.span().max(live);
        work += 0.5f64.powi((circuit.num_qubits() - live) as i32);
        let key = match op {
            FusedOp::Dense { qubits, controls, .. } if !controls.is_empty() => {
                ("controlled", qubits.len() + controls.len())
            }
            FusedOp::Dense { qubits, .. } => ("dense", qubits.len()),
            FusedOp::Monomial { qubits, controls, .. } => {
                ("monomial", qubits.len() + controls.len())
            }
            FusedOp::Diagonal { qubits, .. } => ("diagonal", qubits.len()),
        };
        *hist.entry(key).or_default() += 1;
    }
    println!(
        "{} gates -> {} passes, {work:.2} whole-state equivalents ({limits:?})",
        gates.len(),
        plan.ops.len()
    );
    for ((kind, k), count) in hist {
        println!("  {kind:8} k={k:2}: {count}");
    }
    Ok(())
}
