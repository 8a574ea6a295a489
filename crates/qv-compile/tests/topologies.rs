//! The built-in device topologies against the vendors' published maps
//! (fixture from scripts/fixtures/gen_coupling_maps.py: qiskit-ibm-runtime's
//! FakeSherbrooke and FakeTorino, cirq-google's Sycamore), and every built-in
//! target's shape and native gates.

use qv_compile::target::builtin::{devices, BUILTINS};
use qv_compile::target::Target;
use serde_json::Value;

fn fixture() -> Value {
    let text = include_str!("fixtures/coupling_maps.json");
    serde_json::from_str(text).expect("fixture is valid JSON")
}

fn reference(name: &str) -> (usize, Vec<(usize, usize)>) {
    let f = fixture();
    let entry = &f[name];
    let n = entry["num_qubits"].as_u64().expect("num_qubits") as usize;
    let edges = entry["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| (e[0].as_u64().unwrap() as usize, e[1].as_u64().unwrap() as usize))
        .collect();
    (n, edges)
}

#[test]
fn device_maps_equal_the_published_ones_edge_for_edge() {
    for (target, fixture_name) in [
        ("ibm_eagle", "ibm_eagle"),
        ("ibm_heron", "ibm_heron"),
        ("google_sycamore", "google_sycamore"),
    ] {
        let t = Target::from_name(target).unwrap();
        let (n, edges) = reference(fixture_name);
        assert_eq!(t.num_qubits(), n, "{target}");
        assert_eq!(t.coupling_map().edges(), &edges[..], "{target}");
    }
    // The published sizes, independently of the fixture.
    let eagle = Target::from_name("ibm_eagle").unwrap();
    assert_eq!((eagle.num_qubits(), eagle.coupling_map().num_couplings()), (127, 144));
    let heron = Target::from_name("ibm_heron").unwrap();
    assert_eq!((heron.num_qubits(), heron.coupling_map().num_couplings()), (133, 150));
}

#[test]
fn every_builtin_device_builds_with_its_native_gates() {
    let expect: &[(&str, usize, &[&str], bool)] = &[
        ("ibm_eagle", 127, &["ecr", "rz", "sx", "x"], false),
        ("ibm_heron", 133, &["cz", "rz", "sx", "x"], false),
        ("ionq_aria", 25, &["gpi", "gpi2", "ms"], true),
        ("ionq_forte", 36, &["gpi", "gpi2", "ms"], true),
        ("rigetti_ankaa", 84, &["iswap", "rx", "rz"], false),
        ("rigetti_ankaa_cz", 84, &["cz", "rx", "rz"], false),
        ("google_sycamore", 54, &["phased_x_z", "sqrt_iswap"], false),
        ("google_sycamore_fsim", 54, &["fsim", "phased_x_z"], false),
    ];
    let built: Vec<Target> = devices().into_iter().map(|t| t.unwrap()).collect();
    assert_eq!(built.len(), expect.len());
    for (t, &(name, n, gates, all_to_all)) in built.iter().zip(expect) {
        assert_eq!(t.name(), name);
        assert_eq!(t.num_qubits(), n, "{name}");
        let mut names: Vec<&str> = t.basis_gates().iter().map(|g| g.name()).collect();
        names.sort_unstable();
        assert_eq!(names, gates, "{name}");
        assert_eq!(t.coupling_map().is_all_to_all(), all_to_all, "{name}");
        assert_eq!(t.coupling_map().num_components(), 1, "{name}");
        assert_eq!(t.two_qubit_gates().len(), 1, "{name} has one native two-qubit gate");
    }
    // Rigetti Ankaa: 7 x 12 lattice, 7*11 + 6*12 couplings.
    assert_eq!(built[4].coupling_map().num_couplings(), 149);
    assert!(BUILTINS.iter().all(|b| !b.description.is_empty()));
}

#[test]
fn json_round_trip_preserves_every_builtin() {
    for t in devices().into_iter().map(|t| t.unwrap()) {
        let text = qv_compile::target::json::to_json(&t);
        let back = Target::from_json_str(&text, "round-trip").unwrap();
        assert_eq!(back.name(), t.name());
        assert_eq!(back.basis_gates(), t.basis_gates());
        assert_eq!(back.coupling_map().edges(), t.coupling_map().edges());
        assert_eq!(back.coupling_map().is_all_to_all(), t.coupling_map().is_all_to_all());
    }
}

#[test]
fn load_reads_names_and_files() {
    let dir = std::env::temp_dir().join(format!("qv-target-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dev.json");
    std::fs::write(
        &path,
        r#"{"name": "dev", "num_qubits": 2, "basis_gates": ["cz", "u"], "coupling_map": [[0, 1]]}"#,
    )
    .unwrap();
    let t = Target::load(path.to_str().unwrap()).unwrap();
    assert_eq!((t.name(), t.num_qubits()), ("dev", 2));
    assert_eq!(Target::load("ring:4").unwrap().coupling_map().num_couplings(), 4);
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"{"name": "dev", "num_qubits": 2, "basis_gates": ["cz"], "coupling_map": [[0, 2]]}"#,
    )
    .unwrap();
    assert_eq!(
        Target::load(bad.to_str().unwrap()).unwrap_err().to_string(),
        format!(
            "{}: field `coupling_map[0][1]`: qubit 2 is out of range (num_qubits is 2)",
            bad.display()
        )
    );
    std::fs::remove_dir_all(&dir).ok();
}
