//! Noise against an independent implementation: Qiskit Aer's density-matrix
//! simulator.
//!
//! `tests/fixtures/aer_noise.json` is written by `scripts/fixtures/gen_noise.py`
//! (see docs/noise.md): each case is an OpenQASM 2 program, a noise model in
//! qv's JSON schema, and Aer's result for the equivalent `NoiseModel` built
//! with Aer's own error constructors — the final density matrix, exact
//! outcome probabilities (readout errors included), or sampled counts for
//! what Aer only samples (mid-circuit measurement, conditions, errors on
//! `measure`). This test needs no Python.
//!
//! Checks: the density-matrix simulator's `ρ` and exact probabilities equal
//! Aer's to 1e-9; its exact probabilities explain Aer's counts within the
//! shot-noise bound; and both `density::run` and the trajectories simulator
//! sample distributions within the shot-noise bound of the exact one. Every
//! check collects all failing cases and reports them together.

use std::collections::BTreeMap;
use std::path::Path;

use qv_circuit::{qasm2, Circuit};
use qv_sim::{density, trajectories, Backend, NoiseModel, RunConfig};
use serde::Deserialize;

/// Density-matrix entries and probabilities agree to this.
const TOL: f64 = 1e-9;
/// The fixture must hold at least this many exact (1e-9) cases.
const MIN_EXACT_CASES: usize = 20;
/// Shots of our own density-matrix runs (drawn from the exact distribution).
const SHOTS: u64 = 20_000;
/// Shots of trajectory runs: each is a full noisy simulation, so fewer (the
/// bound widens as 1/√shots, about ±0.06 in TVD).
const TRAJECTORY_SHOTS: u64 = 4_000;
/// Per-comparison false-failure probability of the shot-noise bound; with
/// about a hundred comparisons a spurious failure has probability < 1e-7.
/// Seeds are fixed, so a build passes or fails deterministically.
const DELTA: f64 = 1e-9;

#[derive(Debug, Deserialize)]
struct Fixture {
    header: Header,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
struct Header {
    generator: String,
    qiskit_version: String,
    qiskit_aer_version: String,
    numpy_version: String,
}

#[derive(Debug, Deserialize)]
struct Case {
    name: String,
    kind: String,
    qasm: String,
    noise: serde_json::Value,
    num_qubits: usize,
    #[serde(default)]
    density_matrix: Option<Vec<Vec<[f64; 2]>>>,
    #[serde(default)]
    probabilities: Option<BTreeMap<String, f64>>,
    #[serde(default)]
    counts: Option<BTreeMap<String, u64>>,
}

fn fixture() -> Fixture {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aer_noise.json");
    let text = std::fs::read_to_string(&path).expect("fixture file");
    serde_json::from_str(&text).expect("fixture JSON")
}

fn load(case: &Case) -> (Circuit, NoiseModel) {
    let circuit = qasm2::parse(&case.qasm, &case.name).expect("fixture QASM parses");
    assert_eq!(circuit.num_qubits(), case.num_qubits, "{}", case.name);
    let noise = NoiseModel::from_json(&case.noise.to_string()).expect("fixture noise model");
    (circuit, noise)
}

/// Bound on the total variation distance between `shots` samples and `probs`
/// (same formula as tests/conformance.rs): E[TVD] ≤ ½ Σ √(p(1-p)/N), and
/// McDiarmid adds √(ln(1/δ)/(2N)).
fn tvd_bound(probs: &BTreeMap<String, f64>, shots: u64) -> f64 {
    let n = shots as f64;
    let mean = 0.5 * probs.values().map(|&p| ((p * (1.0 - p)).max(0.0) / n).sqrt()).sum::<f64>();
    mean + ((1.0 / DELTA).ln() / (2.0 * n)).sqrt()
}

fn tvd(counts: &BTreeMap<String, u64>, probs: &BTreeMap<String, f64>) -> f64 {
    let shots: u64 = counts.values().sum();
    let mut keys: Vec<&String> = counts.keys().chain(probs.keys()).collect();
    keys.sort();
    keys.dedup();
    0.5 * keys
        .iter()
        .map(|k| {
            let f = counts.get(*k).copied().unwrap_or(0) as f64 / shots as f64;
            (f - probs.get(*k).copied().unwrap_or(0.0)).abs()
        })
        .sum::<f64>()
}

fn exact(circuit: &Circuit, noise: &NoiseModel) -> BTreeMap<String, f64> {
    density::probabilities(circuit, Some(noise))
        .expect("density probabilities")
        .values
        .into_iter()
        .collect()
}

fn report(failures: Vec<String>) {
    assert!(failures.is_empty(), "{} failing case(s):\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn fixture_records_versions_and_enough_exact_cases() {
    let f = fixture();
    assert_eq!(f.header.generator, "scripts/fixtures/gen_noise.py");
    for v in [&f.header.qiskit_version, &f.header.qiskit_aer_version, &f.header.numpy_version] {
        assert!(!v.is_empty());
    }
    let exact = f.cases.iter().filter(|c| c.kind == "density_matrix" || c.kind == "probabilities");
    assert!(exact.count() >= MIN_EXACT_CASES);
    // Every channel type of the schema is exercised.
    let text =
        serde_json::to_string(&f.cases.iter().map(|c| &c.noise).collect::<Vec<_>>()).unwrap();
    for kind in [
        "depolarizing",
        "amplitude_damping",
        "phase_damping",
        "phase_amplitude_damping",
        "thermal_relaxation",
        "pauli",
        "kraus",
        "unitary",
        "reset",
        "readout",
    ] {
        assert!(text.contains(&format!("\"{kind}\"")), "no case uses {kind}");
    }
}

#[test]
fn density_matrices_equal_aer() {
    let mut failures = Vec::new();
    for case in fixture().cases.iter().filter(|c| c.kind == "density_matrix") {
        let (circuit, noise) = load(case);
        let reference = case.density_matrix.as_ref().expect("density_matrix");
        let ours = match density::density_matrix(&circuit, Some(&noise)) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: {e}", case.name));
                continue;
            }
        };
        let dim = reference.len();
        assert_eq!(ours.len(), dim * dim, "{}", case.name);
        let mut max = 0.0f64;
        for (r, row) in reference.iter().enumerate() {
            for (c, &[re, im]) in row.iter().enumerate() {
                let x = ours[r * dim + c];
                max = max.max((x.re - re).abs()).max((x.im - im).abs());
            }
        }
        if max > TOL {
            failures.push(format!("{}: max |Δρ| = {max:.3e}", case.name));
        }
    }
    report(failures);
}

#[test]
fn exact_probabilities_equal_aer() {
    let mut failures = Vec::new();
    for case in fixture().cases.iter().filter(|c| c.kind == "probabilities") {
        let (circuit, noise) = load(case);
        let reference = case.probabilities.as_ref().expect("probabilities");
        let ours = exact(&circuit, &noise);
        for key in reference.keys().chain(ours.keys()) {
            let (a, b) =
                (ours.get(key).copied().unwrap_or(0.0), reference.get(key).copied().unwrap_or(0.0));
            if (a - b).abs() > TOL {
                failures.push(format!("{}: P({key}) = {a} but Aer gives {b}", case.name));
            }
        }
    }
    report(failures);
}

#[test]
fn exact_probabilities_explain_aer_counts() {
    let mut failures = Vec::new();
    for case in fixture().cases.iter().filter(|c| c.kind == "counts") {
        let (circuit, noise) = load(case);
        let counts = case.counts.as_ref().expect("counts");
        let probs = exact(&circuit, &noise);
        let shots = counts.values().sum();
        let (d, bound) = (tvd(counts, &probs), tvd_bound(&probs, shots));
        if d > bound {
            failures.push(format!(
                "{}: TVD {d:.4} > bound {bound:.4}\nqv: {probs:?}\nAer: {counts:?}",
                case.name
            ));
        }
    }
    report(failures);
}

/// The measured circuit of a case (density-matrix cases measure nothing).
fn measured(circuit: Circuit) -> Circuit {
    if circuit.num_clbits() == 0 {
        circuit.measure_all()
    } else {
        circuit
    }
}

fn sampled_runs_match(backend: Backend) {
    let mut failures = Vec::new();
    for (i, case) in fixture().cases.iter().enumerate() {
        let (circuit, noise) = load(case);
        let circuit = measured(circuit);
        let probs = exact(&circuit, &noise);
        let shots = if backend == Backend::Trajectories { TRAJECTORY_SHOTS } else { SHOTS };
        let config = RunConfig {
            shots,
            seed: Some(1000 + i as u64),
            backend,
            noise: Some(std::sync::Arc::new(noise)),
            ..RunConfig::default()
        };
        let result = match backend {
            Backend::Trajectories => trajectories::run(&circuit, &config),
            _ => density::run(&circuit, &config),
        };
        match result {
            Ok(r) => {
                assert_eq!(r.backend, backend.name());
                let (d, bound) = (tvd(&r.counts, &probs), tvd_bound(&probs, shots));
                if d > bound {
                    failures.push(format!("{}: TVD {d:.4} > bound {bound:.4}", case.name));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", case.name)),
        }
    }
    report(failures);
}

#[test]
fn density_run_samples_the_exact_distribution() {
    sampled_runs_match(Backend::DensityMatrix);
}

#[test]
fn trajectories_converge_to_the_density_matrix() {
    sampled_runs_match(Backend::Trajectories);
}
