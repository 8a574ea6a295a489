//! Drives the built `qv` binary as a user would.
//!
//! Reference values: Bell-state numbers are textbook values (1/2, 1/√2); the
//! example outcomes come from each file's `// expect:` line, which was derived
//! by hand and checked with Qiskit Aer (`examples/check_with_qiskit.py`).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const BELL_SOURCE: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\n\
                           h q[0];\ncx q[0], q[1];\nmeasure q -> c;\n";

fn qv(args: &[&str]) -> Output {
    qv_stdin(args, None)
}

fn qv_stdin(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qv"))
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("qv starts");
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        pipe.write_all(text.as_bytes()).expect("write stdin");
    }
    child.wait_with_output().expect("qv finishes")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

/// Runs `qv` expecting success and parses its JSON output.
fn qv_json(args: &[&str]) -> Value {
    let o = qv(args);
    assert!(o.status.success(), "qv {args:?} failed: {}", stderr(&o));
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("qv {args:?}: bad JSON ({e}): {}", stdout(&o)))
}

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn example(name: &str) -> String {
    examples_dir().join(name).display().to_string()
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qv-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write temp file");
    path
}

fn counts_of(v: &Value) -> BTreeMap<String, u64> {
    v["counts"]
        .as_object()
        .expect("counts is an object")
        .iter()
        .map(|(k, n)| (k.clone(), n.as_u64().expect("count is an integer")))
        .collect()
}

#[test]
fn bell_counts_are_only_correlated_outcomes() {
    let bell = example("bell.qasm");
    let v = qv_json(&["run", &bell, "--json", "--shots", "1000", "--seed", "7"]);
    let counts = counts_of(&v);
    assert!(counts.keys().all(|k| k == "00" || k == "11"), "{counts:?}");
    assert_eq!(counts.values().sum::<u64>(), 1000);
    assert_eq!(v["shots"], 1000);
    assert_eq!(v["seed"], 7);
    assert_eq!(v["num_qubits"], 2);
    assert!(v["time_taken_s"].as_f64().expect("time is a number") >= 0.0);
}

#[test]
fn default_shots_and_seed_reproducibility() {
    let bell = example("bell.qasm");
    let a = qv_json(&["run", &bell, "--json", "--seed", "12345"]);
    let b = qv_json(&["run", &bell, "--json", "--seed", "12345"]);
    let other = qv_json(&["run", &bell, "--json", "--seed", "12346"]);
    assert_ne!(counts_of(&a), counts_of(&other), "different seeds should give different counts");
    assert_eq!(a["shots"], 1024);
    assert_eq!(counts_of(&a), counts_of(&b));
    // Without --seed a seed is chosen and reported; passing it back reproduces the run.
    let c = qv_json(&["run", &bell, "--json"]);
    let seed = c["seed"].as_u64().expect("seed is reported");
    assert!(seed < 1 << 53, "chosen seeds survive JSON readers that use doubles: {seed}");
    let seed = seed.to_string();
    let d = qv_json(&["run", &bell, "--json", "--seed", &seed]);
    assert_eq!(counts_of(&c), counts_of(&d));
}

#[test]
fn memory_has_one_key_per_shot() {
    let bell = example("bell.qasm");
    let v =
        qv_json(&["run", &bell, "--output", "memory", "--json", "--shots", "37", "--seed", "3"]);
    let memory = v["memory"].as_array().expect("memory is an array");
    assert_eq!(memory.len(), 37);
    assert!(memory.iter().all(|k| k == "00" || k == "11"), "{memory:?}");
    assert_eq!(v["seed"], 3);
}

#[test]
fn bell_probabilities_are_exact() {
    let bell = example("bell.qasm");
    let v = qv_json(&["run", &bell, "--output", "probabilities", "--json"]);
    let probs = v["probabilities"].as_object().expect("probabilities is an object");
    assert_eq!(probs.len(), 2, "{probs:?}");
    for key in ["00", "11"] {
        let p = probs[key].as_f64().expect("probability is a number");
        assert!((p - 0.5).abs() < 1e-12, "{key}: {p}");
    }
    assert_eq!(v["over"], "clbits");
}

#[test]
fn probabilities_over_qubits_without_measurements() {
    // |1⟩ on qubit 0 only: key "01" (qubit 0 rightmost).
    let src = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nx q[0];\n";
    let o = qv_stdin(&["run", "-", "--output", "probabilities", "--json"], Some(src));
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["over"], "qubits");
    assert_eq!(v["probabilities"]["01"].as_f64(), Some(1.0));
    assert_eq!(v["probabilities"].as_object().map(|m| m.len()), Some(1));
}

#[test]
fn bell_statevector() {
    let bell = example("bell.qasm");
    let v = qv_json(&["run", &bell, "--output", "statevector", "--json"]);
    let sv = v["statevector"].as_array().expect("statevector is an array");
    let h = std::f64::consts::FRAC_1_SQRT_2;
    let expected = [(h, 0.0), (0.0, 0.0), (0.0, 0.0), (h, 0.0)];
    assert_eq!(sv.len(), 4);
    for (amp, (re, im)) in sv.iter().zip(expected) {
        let pair = amp.as_array().expect("amplitude is [re, im]");
        assert!((pair[0].as_f64().unwrap() - re).abs() < 1e-12, "{amp}");
        assert!((pair[1].as_f64().unwrap() - im).abs() < 1e-12, "{amp}");
    }
    assert_eq!(v["num_qubits"], 2);
}

#[test]
fn statevector_is_refused_for_mid_circuit_measurement() {
    let o = qv(&["run", &example("mid_circuit_reset.qasm"), "--output", "statevector"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.starts_with("error: a single final state does not exist"), "{err}");
    assert!(err.contains("--output probabilities"), "{err}");
}

#[test]
fn stdin_is_read_for_dash() {
    let o = qv_stdin(&["run", "-", "--json", "--shots", "100", "--seed", "1"], Some(BELL_SOURCE));
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(counts_of(&v).values().sum::<u64>(), 100);
}

#[test]
fn parse_errors_name_file_line_and_column() {
    // The `h` on line 4 is missing its `;`: the error is at `x`, line 5, column 1.
    let src = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\nh q[0]\nx q[0];\n";
    let path = temp_file("missing_semicolon.qasm", src);
    let o = qv(&["run", &path.display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.starts_with(&format!("error: {}:5:1: expected ", path.display())), "{err}");
    assert!(err.contains("';'") && err.contains("found identifier `x`"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    let o = qv_stdin(&["draw", "-"], Some(src));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("error: <stdin>:5:1: "), "{}", stderr(&o));
}

#[test]
fn missing_file_is_bad_input() {
    let o = qv(&["run", "no/such/file.qasm"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.starts_with("error: no/such/file.qasm: cannot read the file"), "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn circuits_beyond_memory_are_refused() {
    // Every qubit is used (idle qubits are not simulated), and `t` keeps it off the stabilizer.
    let src = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[50];\ncreg c[1];\nh q;\nt q[0];\nmeasure q[0] -> c[0];\n";
    let o = qv_stdin(&["run", "-"], Some(src));
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.starts_with("error: circuit needs 16.0 PiB for 50 qubits"), "{err}");
}

#[test]
fn bad_flags_exit_2() {
    let bell = example("bell.qasm");
    assert_eq!(qv(&["run", &bell, "--shots", "0"]).status.code(), Some(2));
    assert_eq!(qv(&["run", &bell, "--output", "density"]).status.code(), Some(2));
    assert_eq!(qv(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn human_counts_table() {
    let o = qv(&["run", &example("bell.qasm"), "--shots", "1000", "--seed", "7"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("1000 shots, seed 7, 2 qubits, 2 classical bits, "), "{text}");
    assert_eq!(lines[1], "backend stabilizer: the circuit is Clifford-only (2 qubits)");
    assert_eq!(lines[2], "");
    assert!(lines[3].starts_with("outcome  count  probability"), "{text}");
    assert!(lines[4].starts_with("00 "), "{text}");
    assert!(lines[5].starts_with("11 "), "{text}");
    assert_eq!(lines.len(), 6, "{text}");
}

#[test]
fn draw_bell() {
    let o = qv(&["draw", &example("bell.qasm")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let expected = "     ┌───┐   ┌─┐\n\
                    q_0: ┤ H ├─●─┤M├───\n\
                    \x20    └───┘ │ └╥┘┌─┐\n\
                    q_1: ──────⊕──╫─┤M├\n\
                    \x20             ║ └╥┘\n\
                    c: 2/═════════╩══╩═\n\
                    \x20             0  1\n";
    assert_eq!(stdout(&o), expected);
}

#[test]
fn qasm_normalises() {
    // Aliases, broadcasting and odd spacing come out in canonical form.
    let src = "OPENQASM 2.0; include \"qelib1.inc\";\nqreg q[2]; creg c[2];\nh q;  CX q[0],q[1];\nmeasure q->c;\n";
    let o = qv_stdin(&["qasm", "-"], Some(src));
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "OPENQASM 2.0;");
    assert_eq!(lines[1], "include \"qelib1.inc\";");
    assert!(lines.contains(&"h q[0];") && lines.contains(&"h q[1];"), "{text}");
    assert!(lines.iter().any(|l| l.starts_with("cx q[0],") && l.ends_with("q[1];")), "{text}");
    assert!(
        lines.contains(&"measure q[0] -> c[0];") && lines.contains(&"measure q[1] -> c[1];"),
        "{text}"
    );
    // Normal form is a fixed point.
    let again = qv_stdin(&["qasm", "-"], Some(&text));
    assert_eq!(stdout(&again), text);
}

#[test]
fn gates_table_and_json() {
    let v = qv_json(&["gates", "--json"]);
    let gates = v["gates"].as_array().expect("gates is an array");
    let cx = gates.iter().find(|g| g["name"] == "cx").expect("cx is listed");
    assert_eq!(cx["num_qubits"], 2);
    assert_eq!(cx["params"].as_array().map(Vec::len), Some(0));
    let u = gates.iter().find(|g| g["name"] == "U").expect("U is listed");
    assert_eq!(u["params"], serde_json::json!(["theta", "phi", "lambda"]));
    let o = qv(&["gates"]);
    let text = stdout(&o);
    assert!(text.starts_with("gate"), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("ccx (toffoli)") && l.contains("Toffoli")),
        "{text}"
    );
}

#[test]
fn version_is_printed() {
    let o = qv(&["--version"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o), format!("qv {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn closed_stdout_is_not_an_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qv"))
        .args([
            "run",
            &example("bell.qasm"),
            "--output",
            "memory",
            "--shots",
            "300000",
            "--seed",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("qv starts");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let mut first = String::new();
    reader.read_line(&mut first).expect("first line");
    drop(reader);
    let o = child.wait_with_output().expect("qv finishes");
    assert!(first.starts_with("300000 shots"), "{first}");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stderr(&o), "");
}

/// The `// expect:` line of an example: outcome → exact probability.
fn expected_outcomes(path: &Path) -> BTreeMap<String, f64> {
    let text = std::fs::read_to_string(path).expect("read example");
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("// expect:"))
        .unwrap_or_else(|| panic!("{} has no `// expect:` line", path.display()));
    // Entries look like `"0 1"=1/4`: split on quotes, keys at odd positions.
    let parts: Vec<&str> = line.split('"').collect();
    let mut out = BTreeMap::new();
    for i in (1..parts.len()).step_by(2) {
        let value = parts.get(i + 1).and_then(|v| v.trim().strip_prefix('=')).expect("=value");
        let value = value.split_whitespace().next().expect("value");
        let p = match value.split_once('/') {
            Some((n, d)) => n.parse::<f64>().unwrap() / d.parse::<f64>().unwrap(),
            None => value.parse::<f64>().unwrap(),
        };
        out.insert(parts[i].to_string(), p);
    }
    out
}

#[test]
fn every_example_matches_its_expected_outcomes() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(examples_dir())
        .expect("examples/ exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "qasm"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 15, "only {} examples", paths.len());
    const SHOTS: u64 = 4000;
    for path in &paths {
        let file = path.display().to_string();
        let expected = expected_outcomes(path);
        assert!(
            (expected.values().sum::<f64>() - 1.0).abs() < 1e-12,
            "{file}: expect line does not sum to 1"
        );

        let v = qv_json(&["run", &file, "--output", "probabilities", "--json"]);
        let probs = v["probabilities"].as_object().expect("probabilities");
        let got: BTreeMap<String, f64> =
            probs.iter().map(|(k, p)| (k.clone(), p.as_f64().unwrap())).collect();
        assert_eq!(got.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>(), "{file}");
        for (key, p) in &expected {
            assert!(
                (got[key] - p).abs() < 1e-9,
                "{file}: P({key}) = {} but expected {p}",
                got[key]
            );
        }

        let v = qv_json(&["run", &file, "--json", "--shots", &SHOTS.to_string(), "--seed", "2024"]);
        let counts = counts_of(&v);
        assert_eq!(counts.values().sum::<u64>(), SHOTS, "{file}");
        for (key, n) in &counts {
            let p = expected.get(key).copied().unwrap_or(0.0);
            let freq = *n as f64 / SHOTS as f64;
            // Five standard deviations of a binomial frequency.
            let tolerance = 5.0 * (p * (1.0 - p) / SHOTS as f64).sqrt() + 1e-12;
            assert!((freq - p).abs() <= tolerance, "{file}: {key} measured {freq}, expected {p}");
        }

        for cmd in ["draw", "qasm"] {
            let o = qv(&[cmd, &file]);
            assert!(o.status.success(), "qv {cmd} {file}: {}", stderr(&o));
            assert!(!o.stdout.is_empty(), "qv {cmd} {file} printed nothing");
        }
    }
}
