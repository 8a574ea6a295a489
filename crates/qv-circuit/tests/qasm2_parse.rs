//! OpenQASM 2 parser: every statement kind, broadcasting, gate definitions,
//! expressions, includes, and the example programs of the OpenQASM 2 paper
//! (Cross, Bishop, Smolin, Gambetta, arXiv:1707.03429), whose expected results
//! are stated there (e.g. the ripple-carry adder computes 1 + 15 = 16).

use std::f64::consts::PI;
use std::path::PathBuf;

use qv_circuit::qasm2::{parse, parse_file};
use qv_circuit::{BodyOp, Circuit, Condition, GateRef, Instruction, Operation, StandardGate};

const HEADER: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\n";

fn ok(body: &str) -> Circuit {
    let src = format!("{HEADER}{body}");
    parse(&src, "test.qasm").unwrap_or_else(|e| panic!("{e}\n--- source ---\n{src}"))
}

fn std_gate(inst: &Instruction) -> (StandardGate, Vec<f64>) {
    match &inst.op {
        Operation::Gate { gate: GateRef::Standard(g), params } => {
            (*g, params.iter().map(|p| p.eval_const().unwrap()).collect())
        }
        other => panic!("expected a table gate, got {other:?}"),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn bell_program_builds_registers_and_instructions() {
    let c = ok("qreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n");
    assert_eq!(c.num_qubits(), 2);
    assert_eq!(c.num_clbits(), 2);
    assert_eq!(c.qregs()[0].name, "q");
    assert_eq!(c.cregs()[0].name, "c");
    let i = c.instructions();
    assert_eq!(i.len(), 4);
    assert_eq!(std_gate(&i[0]).0, StandardGate::H);
    assert_eq!(i[0].qubits, vec![0]);
    assert_eq!(std_gate(&i[1]).0, StandardGate::Cx);
    assert_eq!(i[1].qubits, vec![0, 1]);
    for (k, inst) in i[2..].iter().enumerate() {
        assert_eq!(inst.op, Operation::Measure);
        assert_eq!((inst.qubits.clone(), inst.clbits.clone()), (vec![k], vec![k]));
    }
}

#[test]
fn every_statement_kind() {
    let c = ok("// a comment\n\
         qreg q[2]; qreg r[1];\n\
         creg c[2];\n\
         ;;\n\
         gate g(theta) a, b { rz(theta) a; barrier a, b; cx a, b; }\n\
         opaque magic(x) a;\n\
         g(0.5) q[0], r[0];\n\
         magic(1) q[1];\n\
         U(1, 2, 3) q[0];\n\
         CX q[0], q[1];\n\
         measure q[1] -> c[1];\n\
         reset q[0];\n\
         barrier q, r;\n\
         if (c == 2) x q[0];\n\
         if (c == 1) measure q[0] -> c[0];\n\
         if (c == 3) reset q[1];\n");
    assert_eq!((c.num_qubits(), c.num_clbits()), (3, 2));
    let defs = c.gate_definitions();
    assert_eq!(defs.len(), 2);
    assert_eq!(defs[0].name, "g");
    assert_eq!(defs[0].params, vec!["theta"]);
    assert_eq!(defs[0].qubits, vec!["a", "b"]);
    let body = defs[0].body.as_ref().unwrap();
    assert_eq!(body.len(), 3);
    assert_eq!(body[1], BodyOp::Barrier(vec![0, 1]));
    assert!(defs[1].body.is_none());
    let i = c.instructions();
    assert_eq!(i.len(), 10);
    assert_eq!(i[0].op, Operation::Gate { gate: GateRef::Custom(0), params: vec![0.5.into()] });
    assert_eq!(i[0].qubits, vec![0, 2]);
    assert_eq!(i[1].op, Operation::Gate { gate: GateRef::Custom(1), params: vec![1.0.into()] });
    assert_eq!(std_gate(&i[2]), (StandardGate::U, vec![1.0, 2.0, 3.0]));
    assert_eq!(std_gate(&i[3]).0, StandardGate::Cx);
    assert_eq!(
        (i[4].op.clone(), i[4].qubits.clone(), i[4].clbits.clone()),
        (Operation::Measure, vec![1], vec![1])
    );
    assert_eq!((i[5].op.clone(), i[5].qubits.clone()), (Operation::Reset, vec![0]));
    assert_eq!((i[6].op.clone(), i[6].qubits.clone()), (Operation::Barrier, vec![0, 1, 2]));
    assert_eq!(i[7].condition, Some(Condition { creg: 0, value: 2 }));
    assert_eq!(std_gate(&i[7]).0, StandardGate::X);
    assert_eq!(i[8].condition, Some(Condition { creg: 0, value: 1 }));
    assert_eq!(i[8].op, Operation::Measure);
    assert_eq!(i[9].condition, Some(Condition { creg: 0, value: 3 }));
    assert_eq!(i[9].op, Operation::Reset);
}

#[test]
fn broadcasting_over_registers() {
    let c = ok("qreg q[3]; qreg r[3]; qreg k[1]; creg c[3];\n\
         h q;\n\
         cx q, r;\n\
         cx k[0], r;\n\
         ccx q, k[0], r;\n\
         measure r -> c;\n\
         reset q;\n\
         if (c == 5) x r;\n\
         barrier;\n");
    let i = c.instructions();
    let qubits: Vec<Vec<usize>> = i.iter().map(|x| x.qubits.clone()).collect();
    let expected: Vec<Vec<usize>> = vec![
        vec![0],
        vec![1],
        vec![2], // h q
        vec![0, 3],
        vec![1, 4],
        vec![2, 5], // cx q, r
        vec![6, 3],
        vec![6, 4],
        vec![6, 5], // cx k[0], r
        vec![0, 6, 3],
        vec![1, 6, 4],
        vec![2, 6, 5], // ccx q, k[0], r
        vec![3],
        vec![4],
        vec![5], // measure r -> c
        vec![0],
        vec![1],
        vec![2], // reset q
        vec![3],
        vec![4],
        vec![5],                   // if x r
        vec![0, 1, 2, 3, 4, 5, 6], // barrier;
    ];
    assert_eq!(qubits, expected);
    assert_eq!(i[12].clbits, vec![0]);
    assert_eq!(i[14].clbits, vec![2]);
    assert!(i[18..21].iter().all(|x| x.condition == Some(Condition { creg: 0, value: 5 })));
    assert!(i[..18].iter().all(|x| x.condition.is_none()));
}

#[test]
fn barrier_drops_repeated_qubits() {
    let c = ok("qreg q[2]; barrier q[1], q, q[0];\n");
    assert_eq!(c.instructions()[0].qubits, vec![1, 0]);
}

#[test]
fn nested_parameterised_gates_expand_numerically() {
    let c = ok("gate rot(a) x { rz(a / 2) x; }\n\
         gate pair(t, u) x, y { rot(t * 2) x; rot(-u) y; cx x, y; }\n\
         gate quad(v) a, b, c, d { pair(v, v ^ 2) a, b; pair(pi, 1) c, d; }\n\
         qreg q[4];\n\
         quad(0.5) q[3], q[2], q[1], q[0];\n");
    let flat = c.flatten().unwrap();
    let got: Vec<(StandardGate, Vec<f64>, Vec<usize>)> = flat
        .instructions()
        .iter()
        .map(|x| {
            let (g, p) = std_gate(x);
            (g, p, x.qubits.clone())
        })
        .collect();
    // quad(0.5): pair(0.5, 0.25) q3,q2 → rz(0.5) q3, rz(-0.125) q2, cx q3,q2;
    //            pair(pi, 1) q1,q0 → rz(pi) q1, rz(-0.5) q0, cx q1,q0.
    let expected = vec![
        (StandardGate::Rz, vec![0.5], vec![3]),
        (StandardGate::Rz, vec![-0.125], vec![2]),
        (StandardGate::Cx, vec![], vec![3, 2]),
        (StandardGate::Rz, vec![PI], vec![1]),
        (StandardGate::Rz, vec![-0.5], vec![0]),
        (StandardGate::Cx, vec![], vec![1, 0]),
    ];
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!((g.0, &g.2), (e.0, &e.2));
        assert!(g.1.iter().zip(&e.1).all(|(a, b)| close(*a, *b)), "{g:?} vs {e:?}");
    }
}

#[test]
fn opaque_is_accepted_but_cannot_be_flattened() {
    let c = ok("opaque magic(theta) a, b;\nqreg q[2];\nmagic(0.1) q[0], q[1];\n");
    assert_eq!(c.instructions().len(), 1);
    let err = c.flatten().unwrap_err();
    assert_eq!(
        err.to_string(),
        "gate `magic` is opaque: it has no definition, so it cannot be simulated"
    );
}

#[test]
fn qelib1_is_built_in_and_maps_to_the_table() {
    // `parse` never touches the file system, so this proves qelib1.inc needs no file.
    let names = [
        ("u3(1,2,3)", StandardGate::U3),
        ("u2(1,2)", StandardGate::U2),
        ("u1(1)", StandardGate::U1),
        ("u0(1)", StandardGate::U0),
        ("u(1,2,3)", StandardGate::U),
        ("p(1)", StandardGate::P),
        ("id", StandardGate::Id),
        ("sx", StandardGate::Sx),
        ("sxdg", StandardGate::Sxdg),
        ("tdg", StandardGate::Tdg),
    ];
    for (call, gate) in names {
        let c = ok(&format!("qreg q[1];\n{call} q[0];\n"));
        assert_eq!(std_gate(&c.instructions()[0]).0, gate, "{call}");
    }
    let multi = [
        ("cu(1,2,3,4) q[0],q[1]", StandardGate::Cu),
        ("c3sqrtx q[0],q[1],q[2],q[3]", StandardGate::C3sqrtx),
        ("c4x q[0],q[1],q[2],q[3],q[4]", StandardGate::C4x),
        ("rc3x q[0],q[1],q[2],q[3]", StandardGate::Rc3x),
        ("rxx(1) q[0],q[1]", StandardGate::Rxx),
    ];
    for (call, gate) in multi {
        let c = ok(&format!("qreg q[5];\n{call};\n"));
        assert_eq!(std_gate(&c.instructions()[0]).0, gate, "{call}");
    }
}

#[test]
fn extra_table_gates_are_available_and_shadowable() {
    let c = ok("qreg q[3];\necr q[0], q[1];\nrzx(0.3) q[1], q[2];\nccz q[0], q[1], q[2];\n");
    let gates: Vec<StandardGate> = c.instructions().iter().map(|i| std_gate(i).0).collect();
    assert_eq!(gates, vec![StandardGate::Ecr, StandardGate::Rzx, StandardGate::Ccz]);
    // Qiskit's exporter writes definitions for these gates; they shadow the table's.
    let c = ok("gate rzx(theta) a, b { h b; cx a, b; rz(theta) b; cx a, b; h b; }\nqreg q[2];\nrzx(0.3) q[0], q[1];\n");
    assert_eq!(
        c.instructions()[0].op,
        Operation::Gate { gate: GateRef::Custom(0), params: vec![0.3.into()] }
    );
    // Without qelib1.inc they are not defined.
    let e = parse("OPENQASM 2.0;\nqreg q[2];\necr q[0], q[1];\n", "x").unwrap_err();
    assert_eq!(
        e.to_string(),
        "x:3:1: undefined gate `ecr` (did you forget `include \"qelib1.inc\";`?)"
    );
}

#[test]
fn builtins_work_without_qelib1() {
    let c = parse("OPENQASM 2.0;\nqreg q[2];\nU(pi, 0, pi) q[0];\nCX q[0], q[1];\n", "x").unwrap();
    assert_eq!(std_gate(&c.instructions()[0]), (StandardGate::U, vec![PI, 0.0, PI]));
    assert_eq!(std_gate(&c.instructions()[1]).0, StandardGate::Cx);
}

#[test]
fn expressions_follow_precedence() {
    let cases: &[(&str, f64)] = &[
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("-2^2", -4.0),
        ("2^3^2", 512.0),
        ("2^-1", 0.5),
        ("2 * -1", -2.0),
        ("8 / 4 / 2", 1.0),
        ("1 - 2 - 3", -4.0),
        ("-pi / 2", -PI / 2.0),
        (".5 + 5. + 1e-3 + 2.5E1", 0.5 + 5.0 + 1e-3 + 25.0),
        ("sin(pi / 2)", 1.0),
        ("cos(0)", 1.0),
        ("tan(0)", 0.0),
        ("exp(0)", 1.0),
        ("ln(exp(2))", 2.0),
        ("sqrt(16)", 4.0),
        ("sqrt(2)^2", 2.0000000000000004),
        ("+3", 3.0),
        ("--3", 3.0),
    ];
    for (text, want) in cases {
        let c = ok(&format!("qreg q[1];\nrz({text}) q[0];\n"));
        let got = std_gate(&c.instructions()[0]).1[0];
        assert!(close(got, *want), "{text}: got {got}, want {want}");
    }
}

#[test]
fn gate_parameters_are_symbolic_in_bodies() {
    let c = ok("gate g(a, b) x { U(a * b, -a, b ^ 2) x; }\nqreg q[1];\ng(3, 2) q[0];\n");
    let Some(body) = &c.gate_definitions()[0].body else { panic!("no body") };
    let BodyOp::Gate { params, .. } = &body[0] else { panic!("not a gate") };
    let values: Vec<f64> = params.iter().map(|p| p.eval(&[3.0, 2.0]).unwrap()).collect();
    assert_eq!(values, vec![6.0, -3.0, 4.0]);
}

#[test]
fn permissive_forms_match_qiskit() {
    // Trailing commas, empty statements, `OPENQASM 2;`, single-quoted include, `()` with no parameters.
    let c = parse("OPENQASM 2;\ninclude 'qelib1.inc';;\nqreg q[2],;\n", "x");
    assert!(c.is_err(), "a register declaration takes one name");
    let c = parse("OPENQASM 2;\ninclude 'qelib1.inc';\nqreg q[2];\ncx q[0], q[1],;\nh() q[0];\nrz(1,) q[1];\n", "x")
        .unwrap();
    assert_eq!(c.instructions().len(), 3);
}

#[test]
fn comments_and_whitespace_are_ignored() {
    let c = ok("qreg q[1]; // trailing\n\t// whole line\r\nh q[0]; //\n// no newline at end");
    assert_eq!(c.instructions().len(), 1);
}

/// Applies X, CX and CCX (the only gates of the adder) to classical bits.
fn run_classical(c: &Circuit) -> Vec<bool> {
    let flat = c.flatten().unwrap();
    let mut q = vec![false; flat.num_qubits()];
    let mut cl = vec![false; flat.num_clbits()];
    for inst in flat.instructions() {
        match &inst.op {
            Operation::Gate { gate: GateRef::Standard(g), .. } => {
                let t = *inst.qubits.last().unwrap();
                let controls = &inst.qubits[..inst.qubits.len() - 1];
                assert!(
                    matches!(g, StandardGate::X | StandardGate::Cx | StandardGate::Ccx),
                    "{g:?}"
                );
                if controls.iter().all(|&k| q[k]) {
                    q[t] = !q[t];
                }
            }
            Operation::Measure => cl[inst.clbits[0]] = q[inst.qubits[0]],
            other => panic!("unexpected {other:?}"),
        }
    }
    cl
}

#[test]
fn paper_example_ripple_carry_adder() {
    let src = r#"// quantum ripple-carry adder from Cuccaro et al, quant-ph/0410184
OPENQASM 2.0;
include "qelib1.inc";
gate majority a,b,c
{
  cx c,b;
  cx c,a;
  ccx a,b,c;
}
gate unmaj a,b,c
{
  ccx a,b,c;
  cx c,a;
  cx a,b;
}
qreg cin[1];
qreg a[4];
qreg b[4];
qreg cout[1];
creg ans[5];
// set input states
x a[0]; // a = 0001
x b;    // b = 1111
// add a to b, storing result in b
majority cin[0],b[0],a[0];
majority a[0],b[1],a[1];
majority a[1],b[2],a[2];
majority a[2],b[3],a[3];
cx a[3],cout[0];
unmaj a[2],b[3],a[3];
unmaj a[1],b[2],a[2];
unmaj a[0],b[1],a[1];
unmaj cin[0],b[0],a[0];
measure b[0] -> ans[0];
measure b[1] -> ans[1];
measure b[2] -> ans[2];
measure b[3] -> ans[3];
measure cout[0] -> ans[4];
"#;
    let c = parse(src, "adder.qasm").unwrap();
    assert_eq!(c.num_qubits(), 10);
    let bits = run_classical(&c);
    assert_eq!(c.format_clbits(&bits), "10000", "1 + 15 = 16");
}

#[test]
fn paper_example_teleportation() {
    let src = r#"// quantum teleportation example
OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
creg c0[1];
creg c1[1];
creg c2[1];
// optional post-rotation for state tomography
gate post q { }
u3(0.3,0.2,0.1) q[0];
h q[1];
cx q[1],q[2];
barrier q;
cx q[0],q[1];
h q[0];
measure q[0] -> c0[0];
measure q[1] -> c1[0];
if(c0==1) z q[2];
if(c1==1) x q[2];
post q[2];
measure q[2] -> c2[0];
"#;
    let c = parse(src, "teleport.qasm").unwrap();
    let i = c.instructions();
    assert_eq!(i.len(), 12);
    assert_eq!(std_gate(&i[0]), (StandardGate::U3, vec![0.3, 0.2, 0.1]));
    assert_eq!((i[3].op.clone(), i[3].qubits.clone()), (Operation::Barrier, vec![0, 1, 2]));
    assert_eq!(i[8].condition, Some(Condition { creg: 0, value: 1 }));
    assert_eq!(std_gate(&i[8]).0, StandardGate::Z);
    assert_eq!(i[9].condition, Some(Condition { creg: 1, value: 1 }));
    assert_eq!(c.gate_definitions()[0].body, Some(vec![]));
    assert_eq!(i[11].clbits, vec![2]);
}

#[test]
fn paper_example_qft_and_inverse_qft() {
    let qft = r#"// quantum Fourier transform
OPENQASM 2.0;
include "qelib1.inc";
qreg q[4];
creg c[4];
x q[0];
x q[2];
barrier q;
h q[0];
cu1(pi/2) q[1],q[0];
h q[1];
cu1(pi/4) q[2],q[0];
cu1(pi/2) q[2],q[1];
h q[2];
cu1(pi/8) q[3],q[0];
cu1(pi/4) q[3],q[1];
cu1(pi/2) q[3],q[2];
h q[3];
measure q -> c;
"#;
    let c = parse(qft, "qft.qasm").unwrap();
    let angles: Vec<f64> = c
        .instructions()
        .iter()
        .filter(|i| {
            matches!(i.op, Operation::Gate { gate: GateRef::Standard(StandardGate::Cu1), .. })
        })
        .map(|i| std_gate(i).1[0])
        .collect();
    assert_eq!(angles, vec![PI / 2.0, PI / 4.0, PI / 2.0, PI / 8.0, PI / 4.0, PI / 2.0]);
    assert_eq!(c.instructions().len(), 17);

    let iqft = r#"// QFT and measure, version 1
OPENQASM 2.0;
include "qelib1.inc";
qreg q[4];
creg c0[1];
creg c1[1];
creg c2[1];
creg c3[1];
h q;
barrier q;
h q[0];
measure q[0] -> c0[0];
if(c0==1) u1(pi/2) q[1];
h q[1];
measure q[1] -> c1[0];
if(c0==1) u1(pi/4) q[2];
if(c1==1) u1(pi/2) q[2];
h q[2];
measure q[2] -> c2[0];
if(c0==1) u1(pi/8) q[3];
if(c1==1) u1(pi/4) q[3];
if(c2==1) u1(pi/2) q[3];
h q[3];
measure q[3] -> c3[0];
"#;
    let c = parse(iqft, "iqft.qasm").unwrap();
    let conditioned: Vec<(usize, f64)> = c
        .instructions()
        .iter()
        .filter_map(|i| i.condition.map(|cond| (cond.creg, std_gate(i).1[0])))
        .collect();
    assert_eq!(
        conditioned,
        vec![
            (0, PI / 2.0),
            (0, PI / 4.0),
            (1, PI / 2.0),
            (0, PI / 8.0),
            (1, PI / 4.0),
            (2, PI / 2.0)
        ]
    );
}

/// A fresh directory under the system temp dir for one test.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qv-qasm2-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    dir
}

#[test]
fn parse_file_resolves_includes_relative_to_the_including_file() {
    let dir = temp_dir("includes");
    std::fs::write(
        dir.join("lib/gates.inc"),
        "include \"more.inc\";\ngate twice a { x a; x a; }\n",
    )
    .unwrap();
    std::fs::write(dir.join("lib/more.inc"), "OPENQASM 2.0;\ngate flip a { x a; }\n").unwrap();
    std::fs::write(
        dir.join("main.qasm"),
        "OPENQASM 2.0;\ninclude \"qelib1.inc\";\ninclude \"lib/gates.inc\";\nqreg q[1];\ntwice q[0];\nflip q[0];\n",
    )
    .unwrap();
    let c = parse_file(&dir.join("main.qasm")).unwrap();
    let names: Vec<&str> = c.gate_definitions().iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, vec!["flip", "twice"]);
    assert_eq!(c.flatten().unwrap().instructions().len(), 3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn errors_in_included_files_name_that_file() {
    let dir = temp_dir("include-error");
    std::fs::write(dir.join("lib/bad.inc"), "gate g a {\n  h a\n}\n").unwrap();
    std::fs::write(
        dir.join("main.qasm"),
        "OPENQASM 2.0;\ninclude \"qelib1.inc\";\ninclude \"lib/bad.inc\";\n",
    )
    .unwrap();
    let e = parse_file(&dir.join("main.qasm")).unwrap_err();
    assert_eq!((e.line, e.col), (3, 1));
    assert!(e.file.ends_with("bad.inc"), "{}", e.file);
    assert_eq!(e.message, "expected ',' or ';', found '}'");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn large_registers_broadcast_within_limits() {
    let c = ok("qreg q[100000];\ncreg c[100000];\nh q;\nmeasure q -> c;\n");
    assert_eq!(c.instructions().len(), 200_000);
    assert_eq!(c.instructions()[199_999].clbits, vec![99_999]);
}

/// Fuzz regression (crash-e657d45c): a long chain of unary minus signs parsed
/// fine but its export, `(-(-(-…pi)))`, was rejected as too deeply nested when
/// read back. Prefix signs and parentheses are now counted separately: only
/// parenthesis nesting and the depth of the tree are limited.
#[test]
fn fuzz_regression_negation_chain_round_trips() {
    let minus = "-".repeat(170);
    let c = ok(&format!("qreg q[1];\nU(((1*2)*3)/4,{minus} -pi/2^2, ln(exp(2))) q[0];\n"));
    let (_, values) = std_gate(&c.instructions()[0]);
    assert_eq!(values, vec![1.5, -PI / 4.0, 2.0], "171 minus signs in all");
    let text = qv_circuit::qasm2::export(&c);
    let back = parse(&text, "export.qasm").unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back.instructions(), c.instructions());
}

#[test]
fn instructions_remember_their_source_line_through_flatten() {
    let src =
        "OPENQASM 2.0;\ninclude \"qelib1.inc\";\ngate pair a, b { h a; cx a, b; }\nqreg q[2];\n\
               creg c[2];\nh q;\npair q[0], q[1];\nmeasure q -> c;\n";
    let c = qv_circuit::qasm2::parse(src, "lines.qasm").unwrap();
    let lines: Vec<u32> =
        (0..c.instructions().len()).map(|i| c.position(i).unwrap().line).collect();
    // h q (broadcast to 2), pair, measure q (broadcast to 2).
    assert_eq!(lines, vec![6, 6, 7, 8, 8]);
    let flat = c.flatten().unwrap();
    let lines: Vec<u32> =
        (0..flat.instructions().len()).map(|i| flat.position(i).unwrap().line).collect();
    assert_eq!(lines, vec![6, 6, 7, 7, 8, 8]);
    assert_eq!(c.position(2).unwrap().col, 1);
}
