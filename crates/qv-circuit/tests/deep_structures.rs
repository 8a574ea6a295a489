//! Deep structures built through the API, which no parser limit protects: an
//! expression 100,000 levels deep and thousands of nested gate definitions.
//! Everything here runs on a 256 KiB stack, where a walk recursing once per
//! level would overflow (aborting the process); results are checked against
//! values computed by hand from the construction.

use qv_circuit::qasm2::export;
use qv_circuit::{
    BodyOp, Circuit, CircuitError, Expr, GateDefinition, GateRef, Instruction, Operation,
    StandardGate,
};

/// Runs `f` on a thread with a 256 KiB stack.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(256 * 1024).spawn(f).unwrap().join().unwrap()
}

const LEVELS: usize = 100_000;

/// `((0 + 1) + 1) + …`, `LEVELS` additions deep (left-deep, as a loop builds it).
fn left_deep_sum() -> Expr {
    let mut e = Expr::val(0.0);
    for _ in 0..LEVELS {
        e = e + Expr::val(1.0);
    }
    e
}

#[test]
fn a_100_000_level_expression_evaluates_prints_clones_compares_and_drops() {
    on_small_stack(|| {
        let e = left_deep_sum();
        assert_eq!(e.depth(), LEVELS + 1);
        assert_eq!(e.node_count(), 2 * LEVELS + 1);
        assert_eq!(e.eval_const(), Ok(LEVELS as f64));
        assert!(e.is_const());
        // Left associative, so no parentheses: "0.0 + 1.0 + … + 1.0".
        let text = e.to_string();
        assert_eq!(text.len(), "0.0".len() + LEVELS * " + 1.0".len());
        assert!(text.starts_with("0.0 + 1.0 + 1.0") && text.ends_with("1.0 + 1.0"));
        let debug = format!("{e:?}");
        assert!(debug.starts_with("Binary(Add, Binary(Add, ") && debug.ends_with("Const(1.0))"));
        let copy = e.clone();
        assert_eq!(copy, e);
        let other = copy.clone() + Expr::val(0.0);
        assert_ne!(other, e);
        // Parameters are substituted at any depth.
        let mut p = Expr::param(0);
        for _ in 0..LEVELS {
            p = -p;
        }
        assert_eq!(p.eval(&[2.0]), Ok(2.0)); // an even number of minus signs
        assert_eq!(p.substitute(&[Expr::val(3.0)]).eval_const(), Ok(3.0));
        // `e`, `copy`, `other` and `p` are dropped here, on the small stack.
    });
}

#[test]
fn a_circuit_with_a_deep_parameter_flattens_draws_and_exports() {
    let (flat_angle, drawn, exported_len) = on_small_stack(|| {
        let mut c = Circuit::new(1);
        let def = c.add_gate_definition(GateDefinition {
            name: "deep".into(),
            params: vec!["t".into()],
            qubits: vec!["a".into()],
            body: Some(vec![BodyOp::Gate {
                gate: GateRef::Standard(StandardGate::Rz),
                params: vec![left_deep_sum() * Expr::param(0)],
                qubits: vec![0],
            }]),
        });
        c.push(Instruction {
            op: Operation::Gate { gate: GateRef::Custom(def), params: vec![left_deep_sum()] },
            qubits: vec![0],
            clbits: vec![],
            condition: None,
        })
        .unwrap();
        let flat = c.flatten().unwrap();
        let Operation::Gate { params, .. } = &flat.instructions()[0].op else { unreachable!() };
        let drawn = qv_circuit::draw::draw_text(&c);
        (params[0].eval_const().unwrap(), drawn, export(&c).len())
    });
    // rz((0 + 1 + … + 1) * t) with t = LEVELS.
    assert_eq!(flat_angle, (LEVELS * LEVELS) as f64);
    let label = format!("deep({})", qv_circuit::draw::format_angle(LEVELS as f64));
    assert!(drawn.contains(&label), "{drawn}");
    // The body's expression and the call's argument are written out in full.
    assert!(exported_len > 2 * LEVELS * " + 1.0".len());
}

/// `depth` definitions: g0 = h, and gk = g(k-1); the circuit calls the last.
fn definition_chain(depth: usize) -> Circuit {
    let mut c = Circuit::new(2);
    let mut callee = GateRef::Standard(StandardGate::H);
    for k in 0..depth {
        callee = GateRef::Custom(c.add_gate_definition(GateDefinition {
            name: format!("g{k}"),
            params: vec![],
            qubits: vec!["a".into()],
            body: Some(vec![BodyOp::Gate { gate: callee, params: vec![], qubits: vec![0] }]),
        }));
    }
    c.push(Instruction {
        op: Operation::Gate { gate: callee, params: vec![] },
        qubits: vec![1],
        clbits: vec![],
        condition: None,
    })
    .unwrap();
    c
}

#[test]
fn ten_thousand_nested_definitions_flatten_on_a_small_stack() {
    let flat = on_small_stack(|| {
        let c = definition_chain(10_000);
        assert_eq!(c.flattened_len(), 1);
        assert_eq!(c.check_flatten(), Ok(1));
        c.flatten().unwrap()
    });
    assert_eq!(flat.instructions().len(), 1);
    let inst = &flat.instructions()[0];
    assert_eq!(
        inst.op,
        Operation::Gate { gate: GateRef::Standard(StandardGate::H), params: vec![] }
    );
    assert_eq!(inst.qubits, vec![1]);
}

/// Replaces the body of definition `index`.
fn with_body(c: &Circuit, index: usize, body: Vec<BodyOp>) -> Circuit {
    let mut out = Circuit::new(c.num_qubits());
    for (i, def) in c.gate_definitions().iter().enumerate() {
        let mut def = def.clone();
        if i == index {
            def.body = Some(body.clone());
        }
        out.add_gate_definition(def);
    }
    for inst in c.instructions() {
        out.push(inst.clone()).unwrap();
    }
    out
}

#[test]
fn api_built_bodies_that_call_themselves_or_misuse_arguments_are_errors() {
    let c = definition_chain(3);
    let call = |gate, qubits: Vec<usize>| BodyOp::Gate { gate, params: vec![], qubits };
    // A cycle (g2 calling itself) would otherwise expand forever.
    let cyclic = with_body(&c, 2, vec![call(GateRef::Custom(2), vec![0])]);
    let expected = CircuitError::InvalidBody {
        gate: "g2".into(),
        problem: "calls custom gate #2, which is not defined before it".into(),
    };
    assert_eq!(cyclic.flatten(), Err(expected.clone()));
    assert_eq!(cyclic.check_flatten(), Err(expected.clone()));
    assert_eq!(
        expected.to_string(),
        "the body of gate `g2` calls custom gate #2, which is not defined before it"
    );
    // g1 uses a second qubit argument that the one-qubit gate does not have.
    let dangling = with_body(&c, 1, vec![call(GateRef::Custom(0), vec![1])]);
    assert_eq!(
        dangling.flatten().unwrap_err().to_string(),
        "the body of gate `g1` uses qubit argument #1, but the gate has 1"
    );
    let wrong_arity = with_body(&c, 1, vec![call(GateRef::Standard(StandardGate::Cx), vec![0])]);
    assert_eq!(
        wrong_arity.flatten().unwrap_err(),
        CircuitError::Arity { gate: "cx".into(), what: "qubits", expected: 2, found: 1 }
    );
}
