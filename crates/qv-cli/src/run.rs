//! `qv run`: simulate a circuit and print one of four kinds of result.
//!
//! JSON shapes (one line each; field order is stable):
//! - counts: `{"counts": {key: n}, "shots", "seed", "num_qubits", "num_clbits", "time_taken_s",
//!   "backend", "backend_reason"}`
//! - memory: `{"memory": [key, ...], "shots", ..., "backend", "backend_reason"}` (as counts)
//! - probabilities: `{"probabilities": {key: p}, "over": "qubits"|"clbits", "num_qubits", "num_clbits"}`
//! - statevector: `{"statevector": [[re, im], ...], "num_qubits"}`
//!
//! Keys are Qiskit's counts keys (`Circuit::format_clbits`); over qubits,
//! qubit 0 is the rightmost character. The human tables show the same data
//! sorted by key.

use std::collections::BTreeMap;

use qv_circuit::{Circuit, C64};
use qv_sim::{Probabilities, ProbabilitiesOver, RunConfig, RunResult};
use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;

use crate::cli::{BackendArg, Output, RunArgs};
use crate::error::CliError;
use crate::input;
use crate::output::{bar, duration, plural, table, Align, Out};

/// Runs `qv run`.
pub fn run(args: &RunArgs) -> Result<(), CliError> {
    if args.npy.is_some() && args.output != Output::Statevector {
        return Err(CliError::Input(
            "`--npy` writes a state vector: use it with `--output statevector`".into(),
        ));
    }
    let circuit = input::load(&args.file)?;
    let noise = args.noise.as_deref().map(input::load_noise).transpose()?;
    let mut out = Out::stdout();
    match args.output {
        Output::Counts | Output::Memory => {
            let config = RunConfig {
                noise: noise.clone(),
                shots: args.shots,
                seed: Some(args.seed.unwrap_or_else(random_seed)),
                memory: args.output == Output::Memory,
                ..engine_config(args)
            };
            let result = qv_sim::run(&circuit, &config)?;
            if args.output == Output::Counts {
                counts(&mut out, &result, args.json)?;
            } else {
                memory(&mut out, &result, args.json)?;
            }
        }
        // A noise model (or an explicit density-matrix backend) needs mixed states.
        Output::Probabilities if noise.is_some() || args.backend == BackendArg::DensityMatrix => {
            let config = RunConfig { noise, ..engine_config(args) };
            let probs = qv_sim::density::probabilities_with(&circuit, &config)?;
            probabilities(&mut out, &circuit, &probs, args.json)?;
        }
        Output::Probabilities => {
            let probs = qv_sim::probabilities_with(&circuit, &engine_config(args))?;
            probabilities(&mut out, &circuit, &probs, args.json)?;
        }
        Output::Statevector if noise.is_some() => {
            return Err(CliError::Input(
                "a noisy circuit has no single state vector; use `--output probabilities` (exact, \
                 on a density matrix) or `--output counts`"
                    .into(),
            ));
        }
        Output::Statevector => {
            let start = std::time::Instant::now();
            let state = qv_sim::statevector_with(&circuit, &engine_config(args))?;
            let elapsed = start.elapsed();
            match &args.npy {
                Some(path) => {
                    crate::npy::write(path, &state).map_err(|e| {
                        CliError::Input(format!("cannot write {}: {e}", path.display()))
                    })?;
                    let n = circuit.num_qubits();
                    if args.json {
                        let info = serde_json::json!({
                            "statevector_file": path.display().to_string(),
                            "num_qubits": n,
                            "time_taken_s": elapsed.as_secs_f64(),
                        });
                        out.line(&info.to_string())?;
                    } else {
                        out.line(&format!(
                            "wrote the state of {n} qubits to {} in {}",
                            path.display(),
                            duration(elapsed.as_secs_f64())
                        ))?;
                    }
                }
                None => statevector(&mut out, &circuit, &state, args.json)?,
            }
        }
    }
    out.finish()
}

/// Engine settings shared by every output kind.
fn engine_config(args: &RunArgs) -> RunConfig {
    RunConfig {
        precision: args.precision.into(),
        threads: args.threads,
        fusion: !args.no_fusion,
        backend: args.backend.into(),
        ..RunConfig::default()
    }
}

/// Seeds the CLI picks stay below 2^53 so that every JSON reader (JavaScript,
/// jq) reads them back exactly; a user may still pass any `u64`.
const MAX_RANDOM_SEED: u64 = (1 << 53) - 1;

/// A fresh seed from the OS-seeded keys of the standard library's hasher.
pub(crate) fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish() & MAX_RANDOM_SEED
}

/// Fields every sampled result carries.
#[derive(Serialize)]
struct RunInfo {
    shots: u64,
    seed: u64,
    num_qubits: usize,
    num_clbits: usize,
    time_taken_s: f64,
    backend: String,
    backend_reason: String,
}

impl RunInfo {
    fn of(r: &RunResult) -> RunInfo {
        RunInfo {
            shots: r.shots,
            seed: r.seed,
            num_qubits: r.num_qubits,
            num_clbits: r.num_clbits,
            time_taken_s: r.time_taken.as_secs_f64(),
            backend: r.backend.clone(),
            backend_reason: r.backend_reason.clone(),
        }
    }

    /// `backend NAME: why`, as the backend states its reason.
    fn backend_line(&self) -> String {
        if self.backend_reason.is_empty() {
            format!("backend {}", self.backend)
        } else {
            format!("backend {}", self.backend_reason)
        }
    }

    fn summary(&self) -> String {
        format!(
            "{}, seed {}, {}, {}, {}",
            plural(self.shots, "shot"),
            self.seed,
            plural(self.num_qubits as u64, "qubit"),
            plural(self.num_clbits as u64, "classical bit"),
            duration(self.time_taken_s)
        )
    }
}

#[derive(Serialize)]
struct CountsJson<'a> {
    counts: &'a BTreeMap<String, u64>,
    #[serde(flatten)]
    info: RunInfo,
}

#[derive(Serialize)]
struct MemoryJson<'a> {
    memory: &'a [String],
    #[serde(flatten)]
    info: RunInfo,
}

fn counts(out: &mut Out, r: &RunResult, json: bool) -> Result<(), CliError> {
    let info = RunInfo::of(r);
    if json {
        return out.json(&CountsJson { counts: &r.counts, info });
    }
    out.line(&info.summary())?;
    out.line(&info.backend_line())?;
    if r.counts.is_empty() {
        return out.line(
            "the circuit measures nothing, so there are no counts; use `--output probabilities` or \
             `--output statevector` to see its state",
        );
    }
    out.line("")?;
    let shots = r.shots.max(1) as f64;
    let rows: Vec<Vec<String>> = r
        .counts
        .iter()
        .map(|(key, &n)| {
            let p = n as f64 / shots;
            vec![key.clone(), n.to_string(), format!("{p:.4}"), bar(p)]
        })
        .collect();
    let aligns = [Align::Left, Align::Right, Align::Right, Align::Left];
    out.text(&table(&["outcome", "count", "probability", ""], &aligns, &rows))
}

fn memory(out: &mut Out, r: &RunResult, json: bool) -> Result<(), CliError> {
    let info = RunInfo::of(r);
    let shots = r.memory.as_deref().unwrap_or_default();
    if json {
        return out.json(&MemoryJson { memory: shots, info });
    }
    out.line(&info.summary())?;
    out.line(&info.backend_line())?;
    out.line("")?;
    // Streamed line by line: memory output may hold millions of shots.
    let w = shots.len().saturating_sub(1).to_string().len().max("shot".len());
    out.line(&format!("{:>w$}  outcome", "shot"))?;
    for (i, key) in shots.iter().enumerate() {
        out.line(&format!("{i:>w$}  {key}"))?;
    }
    Ok(())
}

#[derive(Serialize)]
struct ProbabilitiesJson<'a> {
    probabilities: BTreeMap<&'a str, f64>,
    over: &'static str,
    num_qubits: usize,
    num_clbits: usize,
}

fn probabilities(
    out: &mut Out,
    circuit: &Circuit,
    p: &Probabilities,
    json: bool,
) -> Result<(), CliError> {
    let over = match p.over {
        ProbabilitiesOver::Qubits => "qubits",
        ProbabilitiesOver::Clbits => "clbits",
    };
    if json {
        return out.json(&ProbabilitiesJson {
            probabilities: p.values.iter().map(|(k, v)| (k.as_str(), *v)).collect(),
            over,
            num_qubits: circuit.num_qubits(),
            num_clbits: circuit.num_clbits(),
        });
    }
    let what = match p.over {
        ProbabilitiesOver::Qubits => format!(
            "exact probabilities over {} (nothing is measured; qubit 0 is the rightmost bit)",
            plural(circuit.num_qubits() as u64, "qubit")
        ),
        ProbabilitiesOver::Clbits => {
            format!(
                "exact probabilities over {}",
                plural(circuit.num_clbits() as u64, "classical bit")
            )
        }
    };
    out.line(&what)?;
    out.line("")?;
    let rows: Vec<Vec<String>> =
        p.values.iter().map(|(key, v)| vec![key.clone(), format!("{v:.6}"), bar(*v)]).collect();
    out.text(&table(
        &["outcome", "probability", ""],
        &[Align::Left, Align::Right, Align::Left],
        &rows,
    ))
}

/// Amplitudes as `[re, im]` pairs, serialised without copying the state.
struct Amplitudes<'a>(&'a [C64]);

impl Serialize for Amplitudes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for a in self.0 {
            seq.serialize_element(&[a.re, a.im])?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct StatevectorJson<'a> {
    statevector: Amplitudes<'a>,
    num_qubits: usize,
}

/// Amplitudes at or below this magnitude are left out of the human table.
const SHOWN_AMPLITUDE: f64 = 1e-12;

fn statevector(
    out: &mut Out,
    circuit: &Circuit,
    state: &[C64],
    json: bool,
) -> Result<(), CliError> {
    let n = circuit.num_qubits();
    if json {
        return out.json(&StatevectorJson { statevector: Amplitudes(state), num_qubits: n });
    }
    let rows: Vec<Vec<String>> = state
        .iter()
        .enumerate()
        .filter(|(_, a)| a.norm() > SHOWN_AMPLITUDE)
        .map(|(i, a)| {
            let p = a.norm_sqr();
            vec![basis_label(i, n), complex(*a), format!("{p:.6}"), bar(p)]
        })
        .collect();
    out.line(&format!(
        "final state of {} (qubit 0 is the rightmost bit; {} of {} amplitudes are nonzero)",
        plural(n as u64, "qubit"),
        rows.len(),
        state.len()
    ))?;
    out.line("")?;
    let aligns = [Align::Left, Align::Right, Align::Right, Align::Left];
    out.text(&table(&["basis", "amplitude", "probability", ""], &aligns, &rows))
}

/// `|0101⟩`-style label of basis index `i` over `n` qubits, qubit 0 rightmost.
fn basis_label(i: usize, n: usize) -> String {
    let bits: String = (0..n).rev().map(|q| if (i >> q) & 1 == 1 { '1' } else { '0' }).collect();
    format!("|{bits}⟩")
}

/// `0.707107+0.000000i` with six decimals; negative zero printed as zero.
fn complex(a: C64) -> String {
    let clean = |x: f64| if x.abs() < 5e-7 { 0.0 } else { x };
    let (re, im) = (clean(a.re), clean(a.im));
    let sign = if im < 0.0 { '-' } else { '+' };
    format!("{re:.6}{sign}{:.6}i", im.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_complex_numbers() {
        assert_eq!(basis_label(1, 3), "|001⟩");
        assert_eq!(basis_label(6, 3), "|110⟩");
        assert_eq!(complex(C64::new(std::f64::consts::FRAC_1_SQRT_2, -0.5)), "0.707107-0.500000i");
        assert_eq!(complex(C64::new(-1e-17, -1e-17)), "0.000000+0.000000i");
    }
}
