//! OpenQASM 2 limits on nested gate definitions: how deep definitions may
//! nest and how large their expansion may be. Each case runs on a thread with
//! a 256 KiB stack, far less than a recursion of one frame per definition
//! level needs at 4,000 levels, so a recursive parser or expansion would abort
//! the test process here (as it aborted the server) instead of failing.

use qv_circuit::qasm2::{parse, parse_with, ParseOptions, Qasm2Error};
use qv_circuit::{Circuit, GateRef, Operation, StandardGate};

const HEADER: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\n";

/// Runs `f` on a thread with a 256 KiB stack.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(256 * 1024).spawn(f).unwrap().join().unwrap()
}

fn assert_error(e: &Qasm2Error, line: usize, col: usize, message: &str) {
    assert_eq!((e.line, e.col, e.message.as_str()), (line, col, message), "{e}");
}

/// `gate g0 a { h a; }` and `gate gk a { g(k-1) a; }` for k < `levels` (one
/// per line from line 3), then `g(levels-1) q[0];`.
fn chain(levels: usize) -> String {
    let mut src = format!("{HEADER}gate g0 a {{ h a; }}\n");
    for k in 1..levels {
        src.push_str(&format!("gate g{k} a {{ g{} a; }}\n", k - 1));
    }
    src.push_str(&format!("qreg q[1];\ng{} q[0];\n", levels - 1));
    src
}

/// The table gates of a flattened circuit, with their qubits and parameters.
fn gates(c: &Circuit) -> Vec<(StandardGate, Vec<usize>, Vec<f64>)> {
    c.instructions()
        .iter()
        .map(|inst| match &inst.op {
            Operation::Gate { gate: GateRef::Standard(g), params } => {
                let values = params.iter().map(|p| p.eval_const().unwrap()).collect();
                (*g, inst.qubits.clone(), values)
            }
            other => panic!("expected a table gate, got {other:?}"),
        })
        .collect()
}

#[test]
fn four_thousand_nested_definitions_are_refused_at_the_first_one_too_deep() {
    // g999 nests 1,000 levels (the limit); g1000, on line 3 + 1000, is the
    // first over it. The name starts at column 6 (`gate g1000 …`).
    let e = on_small_stack(|| parse(&chain(4000), "program").unwrap_err());
    assert_error(
        &e,
        1003,
        6,
        "gate definition `g1000` nests 1001 levels deep, over the limit of 1000",
    );
    assert_eq!(
        e.to_string(),
        "program:1003:6: gate definition `g1000` nests 1001 levels deep, over the limit of 1000"
    );
}

#[test]
fn the_nesting_limit_is_an_option() {
    let opts = ParseOptions { max_gate_nesting: 3, ..ParseOptions::default() };
    let e = parse_with(&chain(10), "program", &opts).unwrap_err();
    assert_error(&e, 6, 6, "gate definition `g3` nests 4 levels deep, over the limit of 3");
    assert!(parse_with(&chain(3), "program", &opts).is_ok());
}

#[test]
fn four_thousand_levels_flatten_without_recursion_when_allowed() {
    // With the parser's limit lifted, expansion itself must cope: one `h`.
    let flat = on_small_stack(|| {
        let opts = ParseOptions { max_gate_nesting: usize::MAX, ..ParseOptions::default() };
        let c = parse_with(&chain(4000), "program", &opts).unwrap();
        assert_eq!(c.gate_definitions().len(), 4000);
        assert_eq!(c.check_flatten(), Ok(1));
        c.flatten().unwrap()
    });
    assert_eq!(gates(&flat), vec![(StandardGate::H, vec![0], vec![])]);
}

#[test]
fn a_chain_at_the_limit_parses_and_flattens_with_parameters_passed_down() {
    // g0(t) = rz(t); gk(t) = g(k-1)(t + 1) then x. So g999(0) flattens to
    // rz(999) followed by 999 x gates, in that order: each level adds 1 to
    // the angle on the way down and one x after its callee's gates.
    let mut src = format!("{HEADER}gate g0(t) a {{ rz(t) a; }}\n");
    for k in 1..1000 {
        src.push_str(&format!("gate g{k}(t) a {{ g{}(t + 1) a; x a; }}\n", k - 1));
    }
    src.push_str("qreg q[2];\ng999(0) q[1];\n");
    let flat = on_small_stack(move || parse(&src, "program").unwrap().flatten().unwrap());
    let gates = gates(&flat);
    assert_eq!(gates.len(), 1000);
    assert_eq!(gates[0], (StandardGate::Rz, vec![1], vec![999.0]));
    assert!(gates[1..].iter().all(|g| *g == (StandardGate::X, vec![1], vec![])));
    // Every flattened instruction points at the call it came from.
    assert!((0..1000).all(|i| flat.position(i).map(|p| (p.line, p.col)) == Some((1004, 1))));
}

#[test]
fn a_doubling_chain_is_refused_by_size_without_being_expanded() {
    // gk = g(k-1) twice: g899 would flatten to 2^899 gates. The size is summed
    // per definition with saturating arithmetic, so the call is refused at
    // once; expanding even a tiny fraction of it would never finish.
    let mut src = format!("{HEADER}gate g0 a {{ h a; }}\n");
    for k in 1..900 {
        src.push_str(&format!("gate g{k} a {{ g{0} a; g{0} a; }}\n", k - 1));
    }
    src.push_str("qreg q[1];\nh q[0];\ng899 q[0];\n");
    let e = on_small_stack(move || parse(&src, "program").unwrap_err());
    assert_error(
        &e,
        905,
        1,
        "the circuit is too large: it expands to more than 8388608 operations after \
         broadcasting and gate expansion",
    );
}

#[test]
fn check_flatten_finds_what_flatten_would_refuse_without_building_it() {
    // Parsing accepts `1/t` in a body (t is unknown there); only expansion
    // with t = 0 finds the division by zero, so servers run `check_flatten`.
    let src =
        format!("{HEADER}gate inv(t) a {{ rz(1/t) a; }}\nqreg q[1];\ninv(2) q[0];\ninv(0) q[0];\n");
    let c = parse(&src, "program").unwrap();
    let e = c.check_flatten().unwrap_err();
    assert_eq!(
        e.to_string(),
        "parameter of gate `rz`: expression `1.0 / _p0` does not evaluate to a finite number"
    );
    assert_eq!(c.flatten().unwrap_err(), e);

    // g(k) = g(k-1) twice, so g11 is 2^12 gates and g19 2^20: check_flatten
    // counts them expanding each of the 20 instantiations once; its count
    // for the g11 call alone is compared with what flatten builds.
    let mut src = format!("{HEADER}gate g0(t) a, b {{ rz(t) a; cx a, b; }}\n");
    for k in 1..20 {
        src.push_str(&format!("gate g{k}(t) a, b {{ g{0}(t) a, b; g{0}(t) b, a; }}\n", k - 1));
    }
    src.push_str("qreg q[2];\ng11(0.5) q[0], q[1];\ng19(0.5) q[1], q[0];\n");
    let c = parse(&src, "program").unwrap();
    assert_eq!(c.check_flatten(), Ok((1 << 12) + (1 << 20)));
    let small = parse(&src.replace("g19(0.5) q[1], q[0];\n", ""), "program").unwrap();
    assert_eq!(small.check_flatten(), Ok(small.flatten().unwrap().instructions().len()));
}
