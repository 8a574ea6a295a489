//! `qv transpile` driven as a user would: JSON shape, a compiled circuit
//! that still runs to the same outcomes, layouts, and the error messages.
//!
//! Reference values: the Bell and GHZ outcome distributions are textbook
//! (1/2 each); the error texts are the documented messages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn qv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qv"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("qv runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn qv_json(args: &[&str]) -> Value {
    let o = qv(args);
    assert!(o.status.success(), "qv {args:?} failed: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("JSON output")
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(name).display().to_string()
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qv-transpile-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write temp file");
    path
}

/// Exact outcome probabilities of a QASM file, via `qv run`.
fn probabilities(path: &str) -> Vec<(String, f64)> {
    let v = qv_json(&["run", path, "--output", "probabilities", "--json"]);
    let mut out: Vec<(String, f64)> = v["probabilities"]
        .as_object()
        .expect("probabilities object")
        .iter()
        .map(|(k, p)| (k.clone(), p.as_f64().expect("number")))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn json_has_the_documented_shape_and_the_circuit_still_works() {
    let bell = example("bell.qasm");
    let v = qv_json(&["transpile", &bell, "--target", "ibm_eagle", "--json", "--seed", "3"]);
    for key in ["two_qubit_gates", "depth", "two_qubit_depth", "swaps_inserted", "time_s"] {
        assert!(v["stats"][key].is_number(), "stats.{key} missing: {v}");
    }
    assert_eq!(v["target"], "ibm_eagle");
    assert_eq!(v["level"], 2);
    assert_eq!(v["stats"]["two_qubit_gates"], 1);
    assert_eq!(v["stats"]["swaps_inserted"], 0);
    let init = v["initial_layout"].as_array().expect("layout array");
    assert_eq!(init.len(), 2);
    let qasm = v["qasm"].as_str().expect("qasm string");
    assert!(qasm.contains("ecr "), "{qasm}");
    assert!(qasm.contains("qreg q[127];"), "{qasm}");
    // 127 qubits: too wide for a state vector, but the compiled Bell circuit
    // is Clifford, so `qv run` samples it with the stabilizer simulator.
    let compiled = temp_file("bell_eagle.qasm", qasm);
    let compiled = compiled.display().to_string();
    let run = qv_json(&["run", &compiled, "--json", "--shots", "400", "--seed", "5"]);
    let counts = run["counts"].as_object().expect("counts");
    let keys: Vec<&str> = counts.keys().map(String::as_str).collect();
    assert_eq!(keys, ["00", "11"], "{counts:?}");
}

#[test]
fn every_level_keeps_ghz_outcomes_on_a_line() {
    let ghz = example("ghz.qasm");
    let want = probabilities(&ghz);
    for level in ["0", "1", "2", "3"] {
        let v = qv_json(&["transpile", &ghz, "--target", "line:7", "--level", level, "--json"]);
        let compiled = temp_file(&format!("ghz_{level}.qasm"), v["qasm"].as_str().expect("qasm"));
        let got = probabilities(&compiled.display().to_string());
        assert_eq!(got.len(), want.len(), "level {level}");
        for ((kw, pw), (kg, pg)) in want.iter().zip(&got) {
            assert_eq!(kw, kg, "level {level}");
            assert!((pw - pg).abs() < 1e-9, "level {level}: P({kw}) {pg} vs {pw}");
        }
    }
}

/// Every level on several targets: `qv equiv`, given the reported layouts,
/// confirms the compiled circuit implements the example (unitary up to
/// global phase; the examples end in measurements, which must stay terminal).
#[test]
fn compiled_examples_pass_qv_equiv() {
    let examples = ["qft_5q.qasm", "bernstein_vazirani.qasm", "grover_3q.qasm", "w_state.qasm"];
    for name in examples {
        let path = example(name);
        for target in ["ibm_eagle", "grid:3x3", "ionq_aria", "google_sycamore"] {
            for level in ["0", "1", "2", "3"] {
                let v =
                    qv_json(&["transpile", &path, "--target", target, "--level", level, "--json"]);
                let what = format!("{name} on {target} at level {level}");
                let compiled = temp_file(
                    &format!("eq_{target}_{level}_{name}"),
                    v["qasm"].as_str().expect("qasm"),
                );
                let layout = |key: &str| {
                    let items: Vec<String> = v[key]
                        .as_array()
                        .expect("layout")
                        .iter()
                        .map(|p| p.as_u64().expect("qubit").to_string())
                        .collect();
                    items.join(",")
                };
                let (init, fin) = (layout("initial_layout"), layout("final_layout"));
                let compiled = compiled.display().to_string();
                let eq = qv_json(&[
                    "equiv",
                    &path,
                    &compiled,
                    "--initial-layout",
                    &init,
                    "--final-layout",
                    &fin,
                    "--json",
                ]);
                assert_eq!(eq["equivalent"], true, "{what}: {eq}");
            }
        }
    }
}

#[test]
fn text_output_is_qasm_with_layout_comments() {
    let bell = example("bell.qasm");
    let o = qv(&["transpile", &bell, "--target", "line:3", "--level", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).expect("UTF-8");
    assert!(text.starts_with("OPENQASM 2.0;"), "{text}");
    assert!(text.contains("\n// initial_layout: ["), "{text}");
    assert!(text.contains("\n// final_layout: ["), "{text}");
    assert!(text.contains("two_qubit_gates: 1,"), "{text}");
    let out = temp_file("bell_out.qasm", "");
    let o = qv(&["transpile", &bell, "--target", "line:3", "-o", &out.display().to_string()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let written = std::fs::read_to_string(&out).expect("written");
    assert!(written.starts_with("OPENQASM 2.0;") && written.contains("cx "), "{written}");
}

#[test]
fn bad_input_is_reported_with_exit_code_2() {
    let bell = example("bell.qasm");
    let o = qv(&["transpile", &bell, "--target", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.starts_with("error: unknown target `nope`; known targets: ibm_eagle, "), "{err}");
    assert!(err.trim_end().ends_with("line:N, ring:N, grid:RxC, all:N"), "{err}");

    let ghz = example("ghz.qasm");
    let o = qv(&["transpile", &ghz, "--target", "line:2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("qubits but target `line:2` has only 2"), "{}", stderr(&o));

    let bad =
        temp_file("bad_target.json", r#"{"name": "x", "num_qubits": "five", "basis_gates": []}"#);
    let bad = bad.display().to_string();
    let o = qv(&["transpile", &bell, "--target", &bad]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.starts_with(&format!("error: {bad}: field `num_qubits`")), "{err}");

    let o = qv(&["transpile", &bell, "--target", "line:3", "--level", "4"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
