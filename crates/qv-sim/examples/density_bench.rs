//! Times the density-matrix simulator on one circuit and noise model, for
//! `bench/density/run.sh`.
//!
//! Usage: `density_bench FILE.qasm NOISE.json [--shots N] [--repeat R] [--threads T]
//! [--no-fusion] [--trajectories]`
//!
//! Prints one JSON line: the best `time_taken` of `R` runs of
//! `qv_sim::density::run` (lowering, planning, simulation and sampling
//! included; `qv_sim::trajectories::run` with `--trajectories`), the counts
//! of the last run, and the settings.

use std::process::ExitCode;
use std::sync::Arc;

use qv_sim::{density, trajectories, NoiseModel, RunConfig};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("density_bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut shots, mut repeat, mut threads, mut fusion) = (1000u64, 3usize, 0usize, true);
    let mut use_trajectories = false;
    let mut files = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| -> Result<usize, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a non-negative integer"))
        };
        match a.as_str() {
            "--shots" => shots = value("--shots")? as u64,
            "--repeat" => repeat = value("--repeat")?.max(1),
            "--threads" => threads = value("--threads")?,
            "--no-fusion" => fusion = false,
            "--trajectories" => use_trajectories = true,
            _ => files.push(a.clone()),
        }
    }
    let [qasm, noise] = files.as_slice() else {
        return Err("usage: density_bench FILE.qasm NOISE.json [--shots N] [--repeat R] [--threads T] [--no-fusion]".into());
    };
    let circuit =
        qv_circuit::qasm2::parse_file(std::path::Path::new(qasm)).map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(noise).map_err(|e| format!("{noise}: {e}"))?;
    let model = NoiseModel::from_json(&text).map_err(|e| e.to_string())?;
    let config = RunConfig {
        shots,
        seed: Some(1),
        threads,
        fusion,
        noise: Some(Arc::new(model)),
        ..RunConfig::default()
    };
    let mut best = f64::INFINITY;
    let mut counts = Default::default();
    for _ in 0..repeat {
        let r = if use_trajectories {
            trajectories::run(&circuit, &config)
        } else {
            density::run(&circuit, &config)
        }
        .map_err(|e| e.to_string())?;
        best = best.min(r.time_taken.as_secs_f64());
        counts = r.counts;
    }
    let counts = serde_json::to_string(&counts).map_err(|e| e.to_string())?;
    println!(
        "{{\"time_taken_s\": {best:.6}, \"backend\": \"{}\", \"num_qubits\": {}, \"shots\": {shots}, \
         \"threads\": {}, \"fusion\": {fusion}, \"counts\": {counts}}}",
        if use_trajectories { "trajectories" } else { "density_matrix" },
        circuit.num_qubits(),
        if threads == 0 { rayon::current_num_threads() } else { threads }
    );
    Ok(())
}
