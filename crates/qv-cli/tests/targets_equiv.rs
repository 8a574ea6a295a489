//! `qv targets` and `qv equiv`, driven through the built binary.
//!
//! Reference values: device sizes are IBM's and Google's published ones
//! (Eagle 127 qubits / 144 couplings, Heron r1 133 / 150, Sycamore 54 / 88);
//! the equivalence cases are constructed by hand (a swap moves qubit 2 to
//! physical qubit 1).

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn qv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qv")).args(args).output().expect("qv runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

fn write(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qv-equiv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn targets_lists_devices_with_published_sizes() {
    let o = qv(&["targets", "--json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let find = |name: &str| {
        v["targets"].as_array().unwrap().iter().find(|t| t["name"] == name).cloned().unwrap()
    };
    assert_eq!(find("ibm_eagle")["num_qubits"], 127);
    assert_eq!(find("ibm_eagle")["num_couplings"], 144);
    assert_eq!(find("ibm_heron")["num_couplings"], 150);
    assert_eq!(find("google_sycamore")["num_couplings"], 88);
    assert_eq!(find("line:N")["num_qubits"], Value::Null);
    let table = text(&qv(&["targets"]).stdout);
    assert!(table.lines().next().unwrap().starts_with("target"));
    assert!(table.contains("ionq_forte"));
}

#[test]
fn targets_describes_one_target_and_prints_reusable_json() {
    let o = qv(&["targets", "grid:2x3"]);
    let out = text(&o.stdout);
    assert!(out.contains("qubits:       6"), "{out}");
    assert!(out.contains("connectivity: 7 couplings, 1 connected part"), "{out}");
    let o = qv(&["targets", "ring:4", "--json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["num_qubits"], 4);
    assert_eq!(v["coupling_map"].as_array().unwrap().len(), 4);
    // The printed JSON is a valid target file.
    let file = write("ring.json", &text(&o.stdout));
    let o = qv(&["targets", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = qv(&["targets", "cube:3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).starts_with("error: unknown target `cube:3`; known targets: ibm_eagle"));
}

const ORIGINAL: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[3];\ncreg c[3];\n\
                        h q[0];\ncx q[0],q[2];\nmeasure q[0] -> c[0];\nmeasure q[2] -> c[2];\n";
// On a line 0-1-2: swap(1,2) brings qubit 2 next to 0; it ends on physical 1.
const ROUTED: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[3];\ncreg c[3];\n\
                      h q[0];\nswap q[1],q[2];\ncx q[0],q[1];\nmeasure q[0] -> c[0];\nmeasure q[1] -> c[2];\n";

#[test]
fn equiv_accepts_a_routed_circuit_with_its_layouts() {
    let a = write("a.qasm", ORIGINAL);
    let b = write("b.qasm", ROUTED);
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let o = qv(&["equiv", a, b, "--final-layout", "0,2,1", "--json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["equivalent"], true);
    assert_eq!(v["method"], "unitary up to global phase");
    assert!(v["max_deviation"].as_f64().unwrap() < 1e-12);
    // Without the final layout the measured qubit does not match.
    let o = qv(&["equiv", a, b]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).starts_with("not equivalent"));
    let o = qv(&["equiv", a, b, "--final-layout", "0,2"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr).trim(),
        "error: --final-layout: expected 3 physical qubits (one per qubit of the first circuit), got 2"
    );
}

#[test]
fn equiv_checks_transpiled_output_end_to_end() {
    let a = write("ghz.qasm", "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[4];\n\
                               h q[0];\ncx q[0],q[3];\ncx q[3],q[1];\ncx q[1],q[2];\nrz(0.3) q[2];\n");
    let o = qv(&["transpile", a.to_str().unwrap(), "--target", "line:5", "--json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let b = write("ghz_t.qasm", v["qasm"].as_str().unwrap());
    let layout = |key: &str| {
        v[key].as_array().unwrap().iter().map(|p| p.to_string()).collect::<Vec<_>>().join(",")
    };
    let (init, fin) = (layout("initial_layout"), layout("final_layout"));
    let o = qv(&[
        "equiv",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--initial-layout",
        &init,
        "--final-layout",
        &fin,
    ]);
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).starts_with("equivalent (unitary up to global phase"));
}
