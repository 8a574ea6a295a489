//! Drives `qv expect` (and the backend report of `qv run`) as a user would.
//!
//! Reference values are textbook: the Bell state (|00⟩ + |11⟩)/√2 has
//! ⟨Z0 Z1⟩ = ⟨X0 X1⟩ = 1, ⟨Y0 Y1⟩ = −1 and zero single-qubit Pauli values;
//! `examples/mid_circuit_reset.qasm` ends in a fresh Bell pair on every branch.
//! Qiskit-checked values over random circuits are in qv-sim's tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn qv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qv")).args(args).output().expect("qv runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

fn qv_json(args: &[&str]) -> Value {
    let o = qv(args);
    assert!(o.status.success(), "qv {args:?} failed: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {}", stdout(&o)))
}

/// Runs `qv` expecting exit code 2 and returns stderr.
fn qv_input_error(args: &[&str]) -> String {
    let o = qv(args);
    assert_eq!(o.status.code(), Some(2), "qv {args:?}: {}{}", stdout(&o), stderr(&o));
    stderr(&o)
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(name).display().to_string()
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qv-expect-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write temp file");
    path
}

fn close(a: &Value, b: f64) -> bool {
    (a.as_f64().expect("a number") - b).abs() < 1e-12
}

#[test]
fn exact_bell_values_in_json() {
    let bell = example("bell.qasm");
    let v = qv_json(&["expect", &bell, "--observable", "0.5*Z0 Z1 + 0.3*X0 - Y0 Y1", "--json"]);
    assert!(close(&v["value"], 1.5), "{v}");
    assert_eq!(v["std_dev"], Value::Null);
    assert_eq!(v["shots"], Value::Null);
    assert_eq!(v["num_qubits"], 2);
    let terms = v["terms"].as_array().expect("terms");
    let labels: Vec<&str> = terms.iter().map(|t| t["pauli"].as_str().unwrap()).collect();
    assert_eq!(labels, ["Z0 Z1", "X0", "Y0 Y1"]);
    for (t, (coeff, value)) in terms.iter().zip([(0.5, 1.0), (0.3, 0.0), (-1.0, -1.0)]) {
        assert!(close(&t["coeff"], coeff) && close(&t["value"], value), "{t}");
    }
    assert_eq!(v["backend"], "stabilizer");
    assert_eq!(v["backend_reason"], "stabilizer: the circuit is Clifford-only (2 qubits)");
}

/// ry(θ) on q[0], then cx: cos(θ/2)|00⟩ + sin(θ/2)|11⟩, so ⟨Z0⟩ = cos θ,
/// ⟨Z0 Z1⟩ = 1 and ⟨X0 X1⟩ = sin θ (θ = 0.6).
const RY_SOURCE: &str =
    "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nry(0.6) q[0];\ncx q[0], q[1];\n";

#[test]
fn exact_values_of_a_general_circuit_on_the_state_vector() {
    let file = temp_file("ry.qasm", RY_SOURCE);
    let file = file.to_str().unwrap();
    let v = qv_json(&["expect", file, "--observable", "Z0 + 2*X0 X1 - Z0 Z1", "--json"]);
    assert!(close(&v["value"], 0.6f64.cos() + 2.0 * 0.6f64.sin() - 1.0), "{v}");
    assert_eq!(v["backend"], "statevector");
    let reason = v["backend_reason"].as_str().unwrap();
    assert!(reason.starts_with("statevector: 2 qubits fit in memory ("), "{reason}");
    let single =
        qv_json(&["expect", file, "--observable", "X0 X1", "--precision", "single", "--json"]);
    assert!((single["value"].as_f64().unwrap() - 0.6f64.sin()).abs() < 1e-6, "{single}");
}

#[test]
fn human_output_shows_value_backend_and_terms() {
    let o = qv(&["expect", &example("bell.qasm"), "--observable", "X0 X1 + 2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "⟨O⟩ = 3.000000000000");
    assert!(lines[1].starts_with("exact, 2 terms, 2 qubits, "), "{text}");
    assert_eq!(lines[2], "backend stabilizer: the circuit is Clifford-only (2 qubits)");
    assert_eq!(lines[4].split_whitespace().collect::<Vec<_>>(), ["term", "coeff", "⟨P⟩"]);
    assert_eq!(lines[5].split_whitespace().collect::<Vec<_>>(), ["X0", "X1", "1", "1.000000"]);
    assert_eq!(lines[6].split_whitespace().collect::<Vec<_>>(), ["I", "2", "1.000000"]);
}

#[test]
fn shot_estimates_are_reproducible_and_within_five_sigma() {
    let bell = example("bell.qasm");
    let args = [
        "expect",
        &bell,
        "--observable",
        "Z0 Z1 + 0.5*X0",
        "--shots",
        "4000",
        "--seed",
        "9",
        "--json",
    ];
    let v = qv_json(&args);
    assert_eq!(
        v,
        Value::Object({
            let mut w = qv_json(&args).as_object().unwrap().clone();
            w.insert("time_taken_s".into(), v["time_taken_s"].clone());
            w
        })
    );
    assert_eq!((v["shots"].as_u64(), v["seed"].as_u64()), (Some(4000), Some(9)));
    // ⟨Z0 Z1⟩ = 1 exactly: every shot agrees.
    assert!(close(&v["terms"][0]["value"], 1.0) && close(&v["terms"][0]["std_dev"], 0.0));
    // ⟨X0⟩ = 0: σ = 1/√4000 per term.
    let x = v["terms"][1]["value"].as_f64().unwrap();
    assert!(x.abs() < 5.0 / 4000f64.sqrt(), "{x}");
    let sd = v["std_dev"].as_f64().unwrap();
    assert!((sd - 0.5 * ((1.0 - x * x) / 4000.0).sqrt()).abs() < 1e-15, "{sd}");
    assert!(close(&v["value"], 1.0 + 0.5 * x));
}

#[test]
fn without_seed_a_seed_is_reported() {
    let v = qv_json(&[
        "expect",
        &example("bell.qasm"),
        "--observable",
        "X0",
        "--shots",
        "10",
        "--json",
    ]);
    let seed = v["seed"].as_u64().expect("seed reported");
    assert!(seed < 1 << 53);
}

#[test]
fn dynamic_circuits_estimate_from_shots_but_not_exactly() {
    let file = example("mid_circuit_reset.qasm");
    let v = qv_json(&[
        "expect",
        &file,
        "--observable",
        "X0 X1 - Z0 Z1",
        "--shots",
        "300",
        "--seed",
        "5",
        "--json",
    ]);
    // Every branch ends in a fresh Bell pair: X0 X1 = Z0 Z1 = 1 on every shot.
    assert!(close(&v["value"], 0.0) && close(&v["std_dev"], 0.0), "{v}");
    let err = qv_input_error(&["expect", &file, "--observable", "Z0", "--backend", "statevector"]);
    assert_eq!(
        err,
        "error: exact expectation values on a state vector need a single final state, but \
         `measure q[0] -> m[0]` (line 20) is a mid-circuit measurement; estimate them from shots, or \
         use the density_matrix backend\n"
    );
}

#[test]
fn observable_files_in_json_and_text() {
    let bell = example("bell.qasm");
    let json = temp_file(
        "obs.json",
        r#"[{"coeff": 0.5, "pauli": "Z0 Z1"}, {"coeff": -1, "pauli": "YY"}]"#,
    );
    let v = qv_json(&["expect", &bell, "--observable-file", json.to_str().unwrap(), "--json"]);
    assert!(close(&v["value"], 1.5), "{v}");
    let text = temp_file("obs.txt", "0.5*Z0 Z1\n  + 0.25*XX\n");
    let v = qv_json(&["expect", &bell, "--observable-file", text.to_str().unwrap(), "--json"]);
    assert!(close(&v["value"], 0.75), "{v}");
    let bad =
        temp_file("bad.json", r#"[{"coeff": 1, "pauli": "Z0"}, {"coeff": "x", "pauli": "Z1"}]"#);
    let err = qv_input_error(&["expect", &bell, "--observable-file", bad.to_str().unwrap()]);
    assert_eq!(
        err,
        format!("error: {}: [1].coeff: expected a number, found \"x\"\n", bad.display())
    );
    let bad = temp_file("bad.txt", "Z0 +\n Q1");
    let err = qv_input_error(&["expect", &bell, "--observable-file", bad.to_str().unwrap()]);
    assert_eq!(
        err,
        format!(
            "error: {}:2:2: expected a Pauli (X, Y, Z) or a number, found `Q`\n",
            bad.display()
        )
    );
    let missing = qv_input_error(&["expect", &bell, "--observable-file", "/nonexistent/obs.json"]);
    assert!(
        missing.starts_with("error: /nonexistent/obs.json: cannot read the observable file: "),
        "{missing}"
    );
}

#[test]
fn observable_errors_are_input_errors_with_positions() {
    let bell = example("bell.qasm");
    assert_eq!(
        qv_input_error(&["expect", &bell, "--observable", "0.5*Z0 Q1"]),
        "error: observable:1:8: expected a Pauli (X, Y, Z) or a number, found `Q`\n"
    );
    assert_eq!(
        qv_input_error(&["expect", &bell, "--observable", "Z0 Z0"]),
        "error: observable:1:4: qubit 0 appears more than once in this term; write one Pauli per qubit\n"
    );
    assert_eq!(
        qv_input_error(&["expect", &bell, "--observable", "-Z0 + 0.3*X2"]),
        "error: observable term `0.3*X2` acts on qubit 2, but the circuit has 2 qubits\n"
    );
    let err = qv_input_error(&["expect", &bell]);
    assert!(err.contains("--observable"), "{err}");
    let err = qv_input_error(&["expect", &bell, "--observable", "Z0", "--seed", "3"]);
    assert!(err.contains("--shots"), "{err}");
}

#[test]
fn backend_is_chosen_or_requested_and_reported() {
    let bell = example("bell.qasm");
    let v =
        qv_json(&["expect", &bell, "--observable", "Y0 Y1", "--backend", "reference", "--json"]);
    assert!(close(&v["value"], -1.0));
    assert_eq!(
        (v["backend"].as_str(), v["backend_reason"].as_str()),
        (Some("reference"), Some("reference: requested"))
    );
    let err = qv_input_error(&["expect", &bell, "--observable", "Z0", "--backend", "nope"]);
    assert!(err.contains("invalid value 'nope'"), "{err}");
}

#[test]
fn qv_run_reports_its_backend() {
    let bell = example("bell.qasm");
    let v = qv_json(&["run", &bell, "--json", "--seed", "1", "--shots", "10"]);
    assert_eq!(v["backend"], "stabilizer");
    assert_eq!(v["backend_reason"], "stabilizer: the circuit is Clifford-only (2 qubits)");
    let ry = temp_file("ry_measured.qasm", &format!("{RY_SOURCE}creg c[2];\nmeasure q -> c;\n"));
    let v = qv_json(&["run", ry.to_str().unwrap(), "--json", "--seed", "1", "--shots", "10"]);
    assert_eq!(v["backend"], "statevector");
    let reason = v["backend_reason"].as_str().unwrap();
    assert!(reason.starts_with("statevector: 2 qubits fit in memory ("), "{reason}");
    let v = qv_json(&[
        "run",
        &bell,
        "--json",
        "--seed",
        "1",
        "--shots",
        "10",
        "--backend",
        "reference",
    ]);
    assert_eq!(
        (v["backend"].as_str(), v["backend_reason"].as_str()),
        (Some("reference"), Some("reference: requested"))
    );
    let o = qv(&["run", &bell, "--seed", "1", "--shots", "10"]);
    let text = stdout(&o);
    assert_eq!(
        text.lines().nth(1),
        Some("backend stabilizer: the circuit is Clifford-only (2 qubits)"),
        "{text}"
    );
    // Mid-circuit measurement: the state-vector engine hands the circuit to the reference simulator.
    let v = qv_json(&[
        "run",
        &example("mid_circuit_reset.qasm"),
        "--json",
        "--seed",
        "1",
        "--shots",
        "10",
        "--backend",
        "statevector",
    ]);
    assert_eq!(v["backend"], "reference");
    assert!(v["backend_reason"]
        .as_str()
        .unwrap()
        .starts_with("reference: the state depends on mid-circuit"));
}

/// `x` then amplitude damping γ = 0.2 on q[0]: P(1) = 1 − γ = 0.8, ⟨Z0⟩ = 2γ − 1 = −0.6.
const DAMPED_NOISE: &str =
    r#"{"errors": [{"gates": ["x"], "channel": {"type": "amplitude_damping", "gamma": 0.2}}]}"#;

fn x_source(n: usize) -> String {
    format!("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[{n}];\ncreg c[1];\nx q[0];\nmeasure q[0] -> c[0];\n")
}

#[test]
fn noise_models_run_on_the_density_matrix_or_trajectories() {
    let noise = temp_file("damped.json", DAMPED_NOISE);
    let noise = noise.to_str().unwrap();
    let one = temp_file("x1.qasm", &x_source(1));
    let one = one.to_str().unwrap();
    let v = qv_json(&["expect", one, "--observable", "Z0", "--noise", noise, "--json"]);
    assert!(close(&v["value"], -0.6), "{v}");
    assert_eq!(v["backend"], "density_matrix");
    assert_eq!(v["backend_reason"], "density_matrix: noisy circuit of 1 qubit");
    let v = qv_json(&["run", one, "--noise", noise, "--output", "probabilities", "--json"]);
    assert!(close(&v["probabilities"]["1"], 0.8) && close(&v["probabilities"]["0"], 0.2), "{v}");
    let v = qv_json(&["run", one, "--noise", noise, "--json", "--shots", "100", "--seed", "3"]);
    assert_eq!(v["backend"], "density_matrix");
    // Wider than a density matrix: trajectories, estimated within 5σ (σ = 0.8/√400).
    let wide = temp_file("x13.qasm", &x_source(13));
    let wide = wide.to_str().unwrap();
    let v = qv_json(&[
        "expect",
        wide,
        "--observable",
        "Z0",
        "--noise",
        noise,
        "--shots",
        "400",
        "--seed",
        "4",
        "--json",
    ]);
    assert_eq!(v["backend"], "trajectories");
    assert_eq!(
        v["backend_reason"],
        "trajectories: noisy circuit of 13 qubits is too large for a density matrix (>12 qubits)"
    );
    let z = v["value"].as_f64().unwrap();
    assert!((z + 0.6).abs() < 5.0 * 0.8 / 400f64.sqrt(), "{z}");
    let o = qv(&["expect", wide, "--observable", "Z0", "--noise", noise, "--shots", "10"]);
    assert!(stdout(&o).contains("note: the noise model also acts on the appended basis changes"));
}

#[test]
fn noise_errors_are_input_errors() {
    let one = temp_file("x1e.qasm", &x_source(1));
    let one = one.to_str().unwrap();
    let bad = temp_file("bad_noise.json", r#"{"errors": [{"gates": ["x"], "chanel": {}}]}"#);
    let err = qv_input_error(&["run", one, "--noise", bad.to_str().unwrap()]);
    assert!(err.starts_with(&format!("error: {}: errors[0]: ", bad.display())), "{err}");
    let missing =
        qv_input_error(&["expect", one, "--observable", "Z0", "--noise", "/no/noise.json"]);
    assert!(
        missing.starts_with("error: /no/noise.json: cannot read the noise model: "),
        "{missing}"
    );
    let noise = temp_file("damped_e.json", DAMPED_NOISE);
    let noise = noise.to_str().unwrap();
    assert_eq!(
        qv_input_error(&["run", one, "--noise", noise, "--backend", "statevector"]),
        "error: the statevector backend simulates ideal circuits only, but a noise model was \
         given; use density_matrix or trajectories (or auto, which picks one of them)\n"
    );
    assert_eq!(
        qv_input_error(&[
            "expect",
            one,
            "--observable",
            "Z0",
            "--noise",
            noise,
            "--backend",
            "reference"
        ]),
        "error: exact expectation values with a noise model need the density_matrix backend, not \
         reference; or estimate them from shots with trajectories\n"
    );
    let err = qv_input_error(&["run", one, "--noise", noise, "--output", "statevector"]);
    assert!(err.starts_with("error: a noisy circuit has no single state vector"), "{err}");
}
