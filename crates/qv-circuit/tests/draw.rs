//! Exact text diagrams for small circuits. The expected pictures were drawn by
//! hand from the layout rules in `draw.rs` (Qiskit's text drawer conventions:
//! three rows per wire, shared rows between wires, greedy left packing).

use qv_circuit::draw::{draw_text, draw_text_folded, format_angle};
use qv_circuit::{
    BodyOp, Circuit, Condition, Expr, GateDefinition, GateRef, Instruction, Operation, StandardGate,
};
use std::f64::consts::PI;

fn lines(s: &[&str]) -> String {
    s.iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn bell_with_measurements() {
    let c = Circuit::with_clbits(2, 2).h(0).cx(0, 1).measure(0, 0).measure(1, 1);
    let expected = lines(&[
        "     ┌───┐   ┌─┐",
        "q_0: ┤ H ├─●─┤M├───",
        "     └───┘ │ └╥┘┌─┐",
        "q_1: ──────⊕──╫─┤M├",
        "              ║ └╥┘",
        "c: 2/═════════╩══╩═",
        "              0  1",
    ]);
    assert_eq!(draw_text(&c), expected);
}

#[test]
fn adjacent_boxes_share_edges() {
    let c = Circuit::new(2).h(0).h(1).rx(PI / 2.0, 0).h(1);
    let expected = lines(&[
        "     ┌───┐┌─────────┐",
        "q_0: ┤ H ├┤ Rx(π/2) ├",
        "     ├───┤└──┬───┬──┘",
        "q_1: ┤ H ├───┤ H ├───",
        "     └───┘   └───┘",
    ]);
    assert_eq!(draw_text(&c), expected);
}

#[test]
fn controls_targets_and_crossings() {
    // cry with the control below its target, a swap, then a Toffoli whose
    // target lies between its controls.
    let c = Circuit::new(3).cry(PI / 2.0, 2, 0).swap(0, 1).ccx(0, 2, 1);
    let expected = lines(&[
        "     ┌─────────┐",
        "q_0: ┤ Ry(π/2) ├─×──●─",
        "     └────┬────┘ │  │",
        "q_1: ─────┼──────×──⊕─",
        "          │         │",
        "q_2: ─────●─────────●─",
        "",
    ]);
    assert_eq!(draw_text(&c), expected);
}

#[test]
fn custom_gate_barrier_reset_and_condition() {
    let mut c = Circuit::empty();
    c.add_qreg("q", 2).unwrap();
    c.add_qreg("anc", 1).unwrap();
    let creg = c.add_creg("c", 1).unwrap();
    let pair = c.add_gate_definition(GateDefinition {
        name: "pair".into(),
        params: vec!["t".into()],
        qubits: vec!["a".into(), "b".into()],
        body: Some(vec![
            BodyOp::Gate {
                gate: GateRef::Standard(StandardGate::Cx),
                params: vec![],
                qubits: vec![0, 1],
            },
            BodyOp::Gate {
                gate: GateRef::Standard(StandardGate::Rz),
                params: vec![Expr::param(0)],
                qubits: vec![1],
            },
        ]),
    });
    c.push(Instruction {
        op: Operation::Gate {
            gate: GateRef::Custom(pair),
            params: vec![Expr::Pi / Expr::val(2.0)],
        },
        qubits: vec![0, 2],
        clbits: vec![],
        condition: None,
    })
    .unwrap();
    // The unconditioned `x` packs into the measurement's layer; the
    // conditioned one must wait for the measurement of `c`.
    let mut c = c.barrier(&[0, 1, 2]).measure(2, 0).reset(1).x(0);
    c.push(Instruction {
        op: Operation::Gate { gate: GateRef::Standard(StandardGate::X), params: vec![] },
        qubits: vec![0],
        clbits: vec![],
        condition: Some(Condition { creg, value: 1 }),
    })
    .unwrap();
    let expected = lines(&[
        "       ┌────────────┐ ░ ┌───┐┌───┐",
        "  q_0: ┤0           ├─░─┤ X ├┤ X ├",
        "       │            │ ░ └───┘└─╥─┘",
        "  q_1: ┤  pair(π/2) ├─░──|0>───╫──",
        "       │            │ ░  ┌─┐   ║",
        "anc_0: ┤1           ├─░──┤M├───╫──",
        "       └────────────┘ ░  └╥┘   ║",
        "  c: 1/═══════════════════╩════■══",
        "                          0   c=1",
    ]);
    assert_eq!(draw_text(&c), expected);
}

#[test]
fn measurement_crosses_other_registers() {
    let mut c = Circuit::new(1);
    c.add_creg("a", 1).unwrap();
    c.add_creg("b", 2).unwrap();
    let c = c.measure(0, 2);
    let expected =
        lines(&["     ┌─┐", "q_0: ┤M├", "     └╥┘", "a: 1/═╬═", "      ║", "b: 2/═╩═", "      1"]);
    assert_eq!(draw_text(&c), expected);
}

#[test]
fn long_circuits_fold() {
    let mut c = Circuit::new(1);
    for _ in 0..30 {
        c = c.h(0);
    }
    let text = draw_text(&c);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 6, "two folds of three rows:\n{text}");
    assert!(rows.iter().all(|r| r.chars().count() <= 100), "{text}");
    // 5 label columns + 18 boxes of 5 + `»` = 96 columns in the first fold.
    assert_eq!(rows[1], format!("q_0: {}»", "┤ H ├".repeat(18)));
    assert_eq!(rows[4], format!("«q_0: {}", "┤ H ├".repeat(12)));
    let unfolded = draw_text_folded(&c, None);
    assert_eq!(unfolded.lines().nth(1).unwrap(), format!("q_0: {}", "┤ H ├".repeat(30)));
}

#[test]
fn empty_circuits() {
    assert_eq!(draw_text(&Circuit::empty()), "");
    assert_eq!(draw_text(&Circuit::new(1)), lines(&["", "q_0: ───", ""]));
}

#[test]
fn angles_use_pi_fractions() {
    assert_eq!(format_angle(PI / 4.0), "π/4");
    assert_eq!(format_angle(-PI / 2.0), "-π/2");
    assert_eq!(format_angle(0.1), "0.1");
}
