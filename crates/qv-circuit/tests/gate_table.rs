//! Properties of the whole gate table at once: every row is unitary, has an
//! inverse, decomposes exactly (global phase included) into smaller gates and
//! from there into `U` + `CX`, and matches Qiskit's matrix.
//!
//! Reference matrices come from Qiskit (`tests/fixtures/gate_matrices.json`,
//! written by `scripts/fixtures/gen_gate_matrices.py`); the other properties
//! are algebraic identities that need no reference.

use proptest::prelude::*;
use qv_circuit::gates::{
    decomposition, expand_to_primitives, inverse::inverse, inverse_of, table, Decomposition,
};
use qv_circuit::{Expr, Matrix, StandardGate};
use std::collections::{BTreeSet, HashMap};
use std::f64::consts::PI;

const TOL: f64 = 1e-12;
const MAX_PARAMS: usize = 4;

/// `Param(0..n)`: bodies are built symbolically and bound when evaluated, so
/// every test also checks that decompositions substitute parameters correctly.
fn symbolic(gate: StandardGate) -> Vec<Expr> {
    (0..gate.num_params()).map(Expr::param).collect()
}

/// `e^{i·phase} · ops[n-1] ··· ops[0]`, built independently of the library's
/// own evaluation from `Matrix::embed` and the table matrices.
fn product(body: &Decomposition, num_qubits: usize, values: &[f64]) -> Matrix {
    let mut m = Matrix::identity(1 << num_qubits);
    for (gate, params, qubits) in &body.ops {
        assert!(qubits.iter().all(|&q| q < num_qubits), "{}: qubit out of range", gate.name());
        let p: Vec<f64> = params.iter().map(|e| e.eval(values).expect("parameter")).collect();
        m = gate.matrix(&p).embed(qubits, num_qubits).mul(&m);
    }
    let phase = body.global_phase.eval(values).expect("global phase");
    m.scale(qv_circuit::C64::from_polar(1.0, phase))
}

fn angles() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-4.0 * PI..4.0 * PI, MAX_PARAMS)
}

proptest! {
    // Integration tests have no lib.rs beside them for proptest's regression
    // files; a failure prints its minimal input instead.
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_matrix_is_unitary(values in angles()) {
        for gate in StandardGate::all() {
            let m = gate.matrix(&values[..gate.num_params()]);
            prop_assert_eq!(m.dim(), 1 << gate.num_qubits(), "{}", gate.name());
            prop_assert!(m.is_unitary(TOL), "{} is not unitary at {:?}", gate.name(), values);
        }
    }

    #[test]
    fn inverse_times_gate_is_identity(values in angles()) {
        for gate in StandardGate::all() {
            let (n, v) = (gate.num_qubits(), &values[..gate.num_params()]);
            let m = gate.matrix(v);
            let identity = Matrix::identity(1 << n);
            // The table row when there is one, else the inverted decomposition.
            let inv = product(&inverse_of(gate, &symbolic(gate)), n, v);
            let diff = inv.mul(&m).max_diff(&identity);
            prop_assert!(diff <= TOL, "{}⁻¹·{} differs from I by {diff:e} at {v:?}", gate.name(), gate.name());
            if let Some(body) = decomposition(gate, &symbolic(gate)) {
                let diff = product(&body.inverse(), n, v).max_diff(&m.dagger());
                prop_assert!(diff <= TOL, "inverted body of {} differs by {diff:e} at {v:?}", gate.name());
            }
        }
    }

    #[test]
    fn decomposition_equals_matrix_exactly(values in angles()) {
        for gate in StandardGate::all() {
            let (n, v) = (gate.num_qubits(), &values[..gate.num_params()]);
            let Some(body) = decomposition(gate, &symbolic(gate)) else {
                prop_assert!(matches!(gate, StandardGate::U | StandardGate::Cx), "{} has no body", gate.name());
                continue;
            };
            let diff = product(&body, n, v).max_diff(&gate.matrix(v));
            prop_assert!(diff <= TOL, "body of {} differs by {diff:e} at {v:?}", gate.name());
            let lib = body.matrix(n, v).expect("evaluates");
            prop_assert!(lib.max_diff(&gate.matrix(v)) <= TOL, "Decomposition::matrix of {}", gate.name());
        }
    }

    #[test]
    fn expansion_to_u_and_cx_equals_matrix(values in angles()) {
        for gate in StandardGate::all() {
            let (n, v) = (gate.num_qubits(), &values[..gate.num_params()]);
            let body = expand_to_primitives(gate, &symbolic(gate));
            for (g, _, _) in &body.ops {
                prop_assert!(matches!(g, StandardGate::U | StandardGate::Cx), "{} expands to {}", gate.name(), g.name());
            }
            let diff = product(&body, n, v).max_diff(&gate.matrix(v));
            prop_assert!(diff <= TOL, "expansion of {} differs by {diff:e} at {v:?}", gate.name());
        }
    }
}

#[test]
fn bodies_use_smaller_gates_on_distinct_qubits() {
    for gate in StandardGate::all() {
        let Some(body) = decomposition(gate, &symbolic(gate)) else {
            continue;
        };
        assert!(!body.ops.is_empty(), "{} has an empty body", gate.name());
        for (g, params, qubits) in &body.ops {
            assert!(*g != gate, "{} calls itself", gate.name());
            assert!(
                g.num_qubits() <= gate.num_qubits(),
                "{} calls wider {}",
                gate.name(),
                g.name()
            );
            assert_eq!(params.len(), g.num_params(), "{} calls {}", gate.name(), g.name());
            assert_eq!(qubits.len(), g.num_qubits(), "{} calls {}", gate.name(), g.name());
            let distinct: BTreeSet<_> = qubits.iter().collect();
            assert_eq!(
                distinct.len(),
                qubits.len(),
                "{} repeats a qubit of {}",
                gate.name(),
                g.name()
            );
        }
    }
}

#[test]
fn gates_without_inverse_row_are_exactly_the_expected_ones() {
    let none: Vec<&str> = StandardGate::all()
        .filter(|&g| inverse(g, &symbolic(g)).is_none())
        .map(StandardGate::name)
        .collect();
    // No row holds iswap†, dcx with swapped qubits, rc3x† or controlled sxdg.
    assert_eq!(none, ["iswap", "dcx", "rc3x", "c3sqrtx"]);
}

#[test]
fn names_and_aliases_are_unique_and_every_gate_has_help() {
    let mut seen = HashMap::new();
    assert_eq!(StandardGate::all().count(), table().len());
    for def in table() {
        assert!(!def.help.trim().is_empty(), "{} has no help", def.name);
        assert!(!def.help.contains('\n'), "{} help is more than one line", def.name);
        assert_eq!(def.params.len(), def.gate.num_params());
        for name in std::iter::once(&def.name).chain(def.aliases) {
            assert!(!name.is_empty());
            if let Some(other) = seen.insert(*name, def.name) {
                panic!("name `{name}` is used by both {other} and {}", def.name);
            }
            assert_eq!(StandardGate::from_name(name), Some(def.gate), "lookup of `{name}`");
        }
    }
}

#[test]
fn matrices_match_qiskit_fixture() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gate_matrices.json");
    let text = std::fs::read_to_string(path).expect("read gate_matrices.json");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("parse gate_matrices.json");
    assert!(doc["qiskit_version"].is_string(), "fixture does not record the Qiskit version");
    let rows: HashMap<&str, &serde_json::Value> = doc["gates"]
        .as_array()
        .expect("`gates` array")
        .iter()
        .map(|g| (g["name"].as_str().expect("gate name"), g))
        .collect();

    let missing: Vec<&str> =
        StandardGate::all().map(StandardGate::name).filter(|n| !rows.contains_key(n)).collect();
    assert!(missing.is_empty(), "fixture lacks gates {missing:?}; rerun gen_gate_matrices.py");
    let unknown: Vec<&&str> =
        rows.keys().filter(|n| StandardGate::from_name(n).is_none()).collect();
    assert!(unknown.is_empty(), "fixture has gates not in the table: {unknown:?}");

    let mut failures = Vec::new();
    for gate in StandardGate::all() {
        let row = rows[gate.name()];
        let cases = row["cases"].as_array().expect("cases");
        assert!(!cases.is_empty(), "{}: no cases", gate.name());
        for case in cases {
            let params: Vec<f64> = floats(&case["params"]);
            assert_eq!(params.len(), gate.num_params(), "{}: parameter count", gate.name());
            let want = fixture_matrix(&case["matrix"], 1 << gate.num_qubits(), gate.name());
            let diff = gate.matrix(&params).max_diff(&want);
            if diff > TOL {
                failures.push(format!("{} at {params:?}: max |Δ| = {diff:e}", gate.name()));
            }
        }
    }
    assert!(failures.is_empty(), "matrices differ from Qiskit:\n{}", failures.join("\n"));
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect()
}

fn fixture_matrix(v: &serde_json::Value, dim: usize, name: &str) -> Matrix {
    let entries = v.as_array().expect("matrix array");
    assert_eq!(entries.len(), dim * dim, "{name}: fixture matrix size");
    let data = entries
        .iter()
        .map(|z| {
            let z = floats(z);
            assert_eq!(z.len(), 2, "{name}: entry is not [re, im]");
            qv_circuit::C64::new(z[0], z[1])
        })
        .collect();
    Matrix::from_vec(dim, data)
}
