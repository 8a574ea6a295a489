//! Routing quality against an independent implementation: Qiskit's SABRE
//! layout + routing on the same circuits (fixture written by
//! scripts/fixtures/gen_routing_reference.py, Qiskit's numbers over three
//! seeds).
//!
//! The measure is what the optimisation stage makes of a routed circuit:
//! CX count after consolidating two-qubit blocks and resynthesising each
//! with the minimal number of CX (a swap next to a gate on the same pair
//! merges into its block). Here our routed circuits are consolidated with our
//! own KAK counts; Qiskit's with ConsolidateBlocks + UnitarySynthesis.

mod common;

use common::assert_on_edges;
use qv_circuit::{Circuit, GateRef, Matrix, Operation, StandardGate};
use qv_compile::layout::{sabre_layout_and_route, SabreLayoutOptions};
use qv_compile::synthesis::{num_basis_gates, EulerBasis, TwoQubitBasis};
use qv_compile::target::Target;
use serde_json::Value;

/// CX count after consolidating maximal two-qubit blocks (runs of gates on
/// one pair, with the one-qubit gates between them) into minimal-CX circuits.
fn consolidated_cx(circuit: &Circuit) -> usize {
    let basis = TwoQubitBasis::new(StandardGate::Cx, EulerBasis::U3).unwrap();
    let mut open: Vec<Option<usize>> = vec![None; circuit.num_qubits()];
    let mut blocks: Vec<([usize; 2], Matrix)> = Vec::new();
    for inst in circuit.instructions() {
        let Operation::Gate { gate: GateRef::Standard(g), params } = &inst.op else {
            for &q in &inst.qubits {
                open[q] = None;
            }
            continue;
        };
        let values: Vec<f64> = params.iter().map(|p| p.eval_const().unwrap()).collect();
        let m = g.matrix(&values);
        let q = &inst.qubits;
        let block = match q.len() {
            1 => open[q[0]],
            2 if open[q[0]].is_some() && open[q[0]] == open[q[1]] => open[q[0]],
            2 => {
                blocks.push(([q[0], q[1]], Matrix::identity(4)));
                open[q[0]] = Some(blocks.len() - 1);
                open[q[1]] = Some(blocks.len() - 1);
                open[q[0]]
            }
            _ => panic!("gate on {} qubits after routing", q.len()),
        };
        if let Some(b) = block {
            let pair = blocks[b].0;
            let at: Vec<usize> = q.iter().map(|x| usize::from(*x == pair[1])).collect();
            blocks[b].1 = m.embed(&at, 2).mul(&blocks[b].1);
        }
    }
    blocks.iter().map(|(_, m)| num_basis_gates(m, &basis).unwrap()).sum()
}

#[test]
fn consolidated_cx_counts_match_or_beat_qiskit_sabre() {
    let fixture: Value =
        serde_json::from_str(include_str!("fixtures/routing_reference.json")).unwrap();
    let (mut ours_total, mut qiskit_total) = (0usize, 0.0);
    let mut report = Vec::new();
    for case in fixture["cases"].as_array().unwrap() {
        let name = case["circuit"].as_str().unwrap();
        let target = Target::from_name(case["target"].as_str().unwrap()).unwrap();
        let circuit = qv_circuit::qasm2::parse(case["qasm"].as_str().unwrap(), name).unwrap();
        let cx = case["qiskit_cx"].as_array().unwrap();
        let qiskit = cx.iter().map(|s| s.as_f64().unwrap()).sum::<f64>() / cx.len() as f64;
        let r = sabre_layout_and_route(&circuit, &target, &SabreLayoutOptions::default()).unwrap();
        assert_on_edges(&r.circuit, &target);
        let ours = consolidated_cx(&r.circuit);
        report.push(format!("{name} on {}: ours {ours} cx, Qiskit {qiskit:.1}", target.name()));
        assert!(ours as f64 <= 1.05 * qiskit + 2.0, "{}", report.join("\n"));
        ours_total += ours;
        qiskit_total += qiskit;
    }
    // Shown with `--nocapture`.
    eprintln!("{}\ntotal: ours {ours_total}, Qiskit {qiskit_total:.1}", report.join("\n"));
    assert!(ours_total as f64 <= qiskit_total, "{}", report.join("\n"));
}

#[test]
fn consolidation_counts_known_blocks() {
    // cx then swap on one pair is one block needing 2 CX; a lone swap needs 3;
    // cx·cx cancels to 0 (reference: KAK classes of CX, SWAP and identity).
    let c = Circuit::new(3).cx(0, 1).h(1).swap(1, 0).swap(1, 2).cx(0, 2).cx(0, 2);
    assert_eq!(consolidated_cx(&c), 2 + 3);
}
