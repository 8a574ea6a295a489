//! Unrolling: replaces gates by the bodies of their gate-table decompositions
//! until every gate is one the caller keeps.
//!
//! Custom gates are already expanded when a circuit becomes a [`Program`];
//! this pass goes further down the table. [`run_unroll_3q`] keeps every gate
//! on one or two qubits (what layout and routing need); [`unroll`] takes any
//! predicate. Decompositions carry exact global phases, which are added to
//! the program's phase for unconditioned gates (a conditioned gate's phase is
//! unobservable). Every gate decomposes, recursively, into `U` and `CX`, so a
//! predicate that keeps those two always succeeds.

use qv_circuit::gates::decomposition;
use qv_circuit::{Expr, StandardGate};

use super::program::{round_trip, Op, OpKind, Program};
use crate::error::CompileError;

/// Expands, recursively, every gate for which `keep` is false. `what` names
/// the gate set in the error returned when a gate cannot be expanded into it
/// (only possible when `keep` rejects `U` or `CX`).
pub fn unroll(
    program: &mut Program,
    keep: impl Fn(StandardGate) -> bool,
    what: &str,
) -> Result<(), CompileError> {
    if program.ops.iter().all(|op| op.standard_gate().is_none_or(&keep)) {
        return Ok(());
    }
    let mut out = Vec::with_capacity(program.ops.len() * 2);
    let mut phase = 0.0;
    for op in std::mem::take(&mut program.ops) {
        match op.kind {
            OpKind::Gate(g) if !keep(g) => {
                let added = expand_into(&op, &keep, what, &mut out).map_err(|e| match e {
                    CompileError::UnsupportedGate { target, .. } => CompileError::UnsupportedGate {
                        gate: g.name().to_string(),
                        target,
                        reason: "it does not decompose into the gate set".to_string(),
                    },
                    other => other,
                })?;
                if op.condition.is_none() {
                    phase += added;
                }
            }
            _ => out.push(op),
        }
    }
    program.ops = out;
    program.add_phase(phase);
    Ok(())
}

/// Appends the expansion of `op` to `out`; returns the global phase it adds.
fn expand_into(
    op: &Op,
    keep: &impl Fn(StandardGate) -> bool,
    what: &str,
    out: &mut Vec<Op>,
) -> Result<f64, CompileError> {
    let OpKind::Gate(gate) = op.kind else {
        out.push(op.clone());
        return Ok(0.0);
    };
    if keep(gate) {
        out.push(op.clone());
        return Ok(0.0);
    }
    let args: Vec<Expr> = op.params.iter().map(|&p| Expr::Const(p)).collect();
    let body = decomposition(gate, &args).ok_or_else(|| CompileError::UnsupportedGate {
        gate: gate.name().to_string(),
        target: what.to_string(),
        reason: "it is a primitive of the gate table and not in the gate set".to_string(),
    })?;
    let eval = |e: &Expr| {
        e.eval_const().map_err(|source| {
            CompileError::Circuit(qv_circuit::CircuitError::Param {
                gate: gate.name().to_string(),
                source,
            })
        })
    };
    let mut phase = eval(&body.global_phase)?;
    for (g, params, local) in &body.ops {
        let child = Op {
            kind: OpKind::Gate(*g),
            params: params.iter().map(eval).collect::<Result<_, _>>()?,
            qubits: local.iter().map(|&l| op.qubits[l]).collect(),
            clbits: vec![],
            condition: op.condition,
        };
        phase += expand_into(&child, keep, what, out)?;
    }
    Ok(phase)
}

/// Expands gates on three or more qubits into gates on one and two.
pub fn unroll_3q(program: &mut Program) -> Result<(), CompileError> {
    unroll(program, |g| g.num_qubits() <= 2, "gates on at most two qubits")
}

/// [`unroll`] on a circuit: custom gates are expanded, then every table
/// gate `keep` rejects.
pub fn run_unroll(
    circuit: &qv_circuit::Circuit,
    keep: impl Fn(StandardGate) -> bool,
    what: &str,
) -> Result<qv_circuit::Circuit, CompileError> {
    round_trip(circuit, |p| unroll(p, keep, what))
}

/// [`unroll_3q`] on a circuit.
pub fn run_unroll_3q(circuit: &qv_circuit::Circuit) -> Result<qv_circuit::Circuit, CompileError> {
    round_trip(circuit, unroll_3q)
}

/// Expands custom gate calls into table gates and nothing else.
pub fn run_unroll_custom(
    circuit: &qv_circuit::Circuit,
) -> Result<qv_circuit::Circuit, CompileError> {
    round_trip(circuit, |_| Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use qv_circuit::Circuit;

    #[test]
    fn three_qubit_gates_become_one_and_two_qubit_gates() {
        let c = Circuit::new(3).h(0).ccx(0, 1, 2).cswap(2, 0, 1);
        let out = run_unroll_3q(&c).unwrap();
        let p = Program::from_circuit(&out).unwrap();
        assert!(p.ops.iter().all(|o| o.qubits.len() <= 2));
        // qelib1.inc's ccx body has 6 CX; cswap = cx + ccx + cx: 8 more.
        assert_eq!(p.ops.iter().filter(|o| o.kind == OpKind::Gate(StandardGate::Cx)).count(), 14);
    }

    #[test]
    fn unroll_to_u_and_cx_and_refuses_without_primitives() {
        let c = Circuit::new(2).h(0).cz(0, 1);
        let keep = |g: StandardGate| matches!(g, StandardGate::U | StandardGate::Cx);
        let out = run_unroll(&c, keep, "U, CX").unwrap();
        let p = Program::from_circuit(&out).unwrap();
        let kinds: Vec<&str> =
            p.ops.iter().map(|o| o.standard_gate().map_or("?", |g| g.name())).collect();
        assert_eq!(kinds, ["U", "U", "cx", "U"]);
        let err = run_unroll(&c, |g| g == StandardGate::H, "{h}").unwrap_err();
        // h is kept; cz needs CX, which the set lacks.
        assert_eq!(
            err.to_string(),
            "target `{h}` cannot express gate `cz`: it does not decompose into the gate set"
        );
    }
}
