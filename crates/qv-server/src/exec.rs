//! A job's circuit on a simulator: validation at submit and execution on a worker.
//!
//! [`validate`] runs before anything is queued: it parses the program,
//! checks how deeply gate definitions nest, expands them as the simulators
//! will ([`Circuit::flatten`], whatever the backend, so every error that
//! expansion can raise is a 400 at submit), resolves the backend, and checks
//! every limit (shots, qubits, memory, the estimated result size, output
//! sizes, observables), so a queued job fails only for reasons that cannot
//! be known in advance. Small programs are validated in the request; large
//! ones ([`needs_big_stack`]) on the job service's big-stack threads.
//! [`execute`] runs on a worker thread with a big stack and produces the
//! result JSON of `GET /jobs/{id}/result` (without `job_id`, which is added
//! when it is served).

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use qv_circuit::qasm2::{self, ParseOptions};
use qv_circuit::Circuit;
use qv_sim::{Backend, ExpectConfig, Observable, RunConfig, SimError};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::model::{ExpectationValue, JobResult, ResultMetadata};
use crate::service::ServiceError;

/// The backend names a job may ask for; every worker runs them all.
pub const BACKENDS: [&str; 6] =
    ["auto", "statevector", "stabilizer", "density_matrix", "trajectories", "reference"];

/// Most qubits for which a job may ask for the state vector or the full
/// probability distribution (2^20 entries: tens of MiB of JSON).
pub const MAX_OUTPUT_QUBITS: usize = 20;

/// Most characters of per-shot memory a result may hold.
pub const MAX_MEMORY_OUTPUT_CHARS: u64 = 20_000_000;

/// Most observables per job.
pub const MAX_OBSERVABLES: usize = 64;

/// Deepest nesting of gate definitions the server accepts, checked by the
/// parser at the definition (real programs nest a handful of levels).
pub const MAX_GATE_NESTING: usize = 256;

/// Programs up to this many bytes, without gate definitions whose expansion
/// is large, are validated on the request's thread; larger ones on a
/// big-stack thread.
pub const INLINE_SOURCE_BYTES: usize = 16 * 1024;

/// Expanded size up to which a program is flattened on the request's thread.
const INLINE_FLATTENED: u128 = 50_000;

/// Seeds the server picks stay below 2^53 so JSON readers read them exactly.
const MAX_RANDOM_SEED: u64 = (1 << 53) - 1;

/// What is stored in `jobs.spec`: the program and how to run it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobSpec {
    /// `qasm2`.
    pub format: String,
    /// The program text.
    pub source: String,
    pub shots: u64,
    /// Requested backend name (`auto`, `statevector`, ...).
    pub backend: String,
    /// Always set: chosen at submit when the request has none, so a re-run
    /// after a crash reproduces the same counts.
    pub seed: u64,
    /// Whether to return per-shot memory.
    #[serde(default)]
    pub memory: bool,
    #[serde(default)]
    pub probabilities: bool,
    #[serde(default)]
    pub statevector: bool,
    /// Pauli sums (as `qv expect` takes them).
    #[serde(default)]
    pub observables: Vec<String>,
}

/// A spec that passed validation, with what the job row records.
#[derive(Clone, Debug)]
pub struct Validated {
    pub spec: JobSpec,
    pub num_qubits: usize,
    /// Estimated peak memory of the run: the simulator's state plus the
    /// result being built (reserved from the worker's memory budget).
    pub memory_bytes: u64,
    /// Estimated size of the result JSON (an upper bound).
    pub result_bytes: u64,
}

/// The options of a submission that [`validate`] checks.
#[derive(Clone, Debug, Default)]
pub struct SubmitOptions {
    pub format: String,
    pub source: String,
    pub shots: Option<u64>,
    pub backend: Option<String>,
    pub seed: Option<u64>,
    pub memory: bool,
    pub probabilities: bool,
    pub statevector: bool,
    pub observables: Vec<String>,
}

/// Parses the program; errors carry `line L, column C`.
pub fn parse_program(format: &str, source: &str) -> Result<Circuit, ServiceError> {
    match format {
        "qasm2" | "openqasm2" => {}
        other => {
            return Err(ServiceError::invalid(
                "validation_error",
                format!("unknown program format `{other}`: supported formats are `qasm2`"),
            ))
        }
    }
    // `include` of files is off: submitted text never reads the server's disk.
    let options = ParseOptions {
        include_files: false,
        max_gate_nesting: MAX_GATE_NESTING,
        ..ParseOptions::default()
    };
    qasm2::parse_with(source, "program", &options).map_err(|e| {
        let message = if e.line == 0 {
            e.message.clone()
        } else {
            format!("line {}, column {}: {}", e.line, e.col, e.message)
        };
        ServiceError::invalid("parse_error", message)
    })
}

/// Parses a backend name.
pub fn parse_backend(name: &str) -> Result<Backend, ServiceError> {
    name.parse::<Backend>().map_err(|e| ServiceError::invalid("validation_error", e))
}

/// Memory a job may use: the configured limit, else what the machine has.
pub fn memory_budget(config: &Config) -> Option<u64> {
    if config.max_job_memory_bytes > 0 {
        Some(config.max_job_memory_bytes)
    } else {
        available_memory_cached()
    }
}

/// How long a reading of the machine's available memory is reused.
const MEMORY_READING_TTL: Duration = Duration::from_secs(1);

/// [`qv_sim::available_memory_bytes`] read at most once per
/// [`MEMORY_READING_TTL`]: it reads /proc and cgroup files, which cost more
/// than validating or running a small job.
fn available_memory_cached() -> Option<u64> {
    static READING: Mutex<Option<(Instant, Option<u64>)>> = Mutex::new(None);
    let mut reading = READING.lock().unwrap_or_else(|e| e.into_inner());
    match *reading {
        Some((at, bytes)) if at.elapsed() < MEMORY_READING_TTL => bytes,
        _ => {
            let bytes = qv_sim::available_memory_bytes();
            *reading = Some((Instant::now(), bytes));
            bytes
        }
    }
}

/// Memory all running jobs of this process may reserve together:
/// `max_memory_bytes`, else 60% of the machine's (or cgroup's) memory.
pub fn running_memory_budget(config: &Config) -> u64 {
    if config.max_memory_bytes > 0 {
        return config.max_memory_bytes;
    }
    static TOTAL: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let total = *TOTAL.get_or_init(|| total_memory_bytes().unwrap_or(4 << 30));
    total / 10 * 6
}

/// The machine's memory, or the cgroup's limit when lower (Linux).
fn total_memory_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    let mut total = kib.saturating_mul(1024);
    for path in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
        if let Some(limit) =
            std::fs::read_to_string(path).ok().and_then(|t| t.trim().parse::<u64>().ok())
        {
            total = total.min(limit);
        }
    }
    Some(total)
}

/// Whether validating `opts` may take long or recurse deeply: a large
/// source, or gate definitions (whose expansion can be large and nested).
/// Such programs are validated on a big-stack thread; the cheap test keeps
/// small programs on the request's thread.
pub fn needs_big_stack(opts: &SubmitOptions) -> bool {
    if opts.source.len() > INLINE_SOURCE_BYTES {
        return true;
    }
    if !opts.source.contains("gate") {
        return false;
    }
    match parse_program(&opts.format, &opts.source) {
        Ok(c) => c.flattened_len() > INLINE_FLATTENED || gate_nesting(&c) > 16,
        Err(_) => false,
    }
}

/// How deeply the gate definitions a circuit uses nest (0: none used).
/// Iterative: definitions only call earlier ones.
pub fn gate_nesting(circuit: &Circuit) -> usize {
    let defs = circuit.gate_definitions();
    let mut depth = vec![0usize; defs.len()];
    for (i, def) in defs.iter().enumerate() {
        let inner = def
            .body
            .iter()
            .flatten()
            .filter_map(|op| match op {
                qv_circuit::BodyOp::Gate { gate: qv_circuit::GateRef::Custom(j), .. } => {
                    depth.get(*j).copied()
                }
                _ => None,
            })
            .max()
            .unwrap_or(0);
        depth[i] = inner + 1;
    }
    circuit
        .instructions()
        .iter()
        .filter_map(|inst| match inst.op {
            qv_circuit::Operation::Gate { gate: qv_circuit::GateRef::Custom(i), .. } => {
                depth.get(i).copied()
            }
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// Upper bound of a result's JSON size and what it is made of (for messages).
fn estimate_result(circuit: &Circuit, opts: &SubmitOptions, shots: u64) -> (u64, String) {
    let n = circuit.num_qubits() as u32;
    let clbits = circuit.num_clbits() as u64;
    let width = clbits + circuit.cregs().len().saturating_sub(1) as u64;
    let digits = shots.to_string().len() as u64;
    let distinct = if clbits >= 63 { shots } else { shots.min(1u64 << clbits) };
    // `"key": count,` per outcome.
    let per_key = width + 4 + digits;
    let mut total = distinct.saturating_mul(per_key);
    let mut parts = vec![format!("counts: up to {distinct} distinct outcomes × {per_key} bytes")];
    if opts.memory {
        let m = shots.saturating_mul(width + 3);
        total = total.saturating_add(m);
        parts.push(format!("memory: {shots} shots × {} bytes", width + 3));
    }
    let states = 1u64.checked_shl(n).unwrap_or(u64::MAX);
    if opts.probabilities {
        // `"key": 0.12345678901234567,`
        total = total.saturating_add(states.saturating_mul(u64::from(n) + 26));
        parts.push(format!("probabilities: {states} entries"));
    }
    if opts.statevector {
        // `[0.12345678901234567,-0.12345678901234567],`
        total = total.saturating_add(states.saturating_mul(48));
        parts.push(format!("statevector: {states} amplitudes"));
    }
    let observables: u64 = opts.observables.iter().map(|o| o.len() as u64 + 96).sum();
    total = total.saturating_add(observables).saturating_add(512);
    (total, parts.join(", "))
}

fn too_large_qubits(n: usize, max: usize, what: &str) -> ServiceError {
    ServiceError::too_large(format!(
        "the circuit has {n} qubits but at most {max} are accepted {what}"
    ))
}

/// Validates a submission against the server's limits.
pub fn validate(opts: &SubmitOptions, config: &Config) -> Result<Validated, ServiceError> {
    // The parser refuses definitions nested over MAX_GATE_NESTING (with
    // their line); expansion is checked as every simulator will do it, so
    // its errors are the submitter's now, not a failed job later.
    let circuit = parse_program(&opts.format, &opts.source)?;
    if let Err(e) = circuit.check_flatten() {
        return Err(match e {
            qv_circuit::CircuitError::TooLarge { .. } => {
                ServiceError::too_large(format!("the circuit cannot be expanded: {e}"))
            }
            e => ServiceError::invalid(
                "validation_error",
                format!("the circuit cannot be expanded: {e}"),
            ),
        });
    }
    let backend_name = opts.backend.clone().unwrap_or_else(|| "auto".into());
    let backend = parse_backend(&backend_name)?;
    let shots = opts.shots.unwrap_or(1024);
    if shots == 0 {
        return Err(ServiceError::invalid("validation_error", "shots must be at least 1"));
    }
    let max_shots = config.max_shots.min(qv_sim::MAX_SHOTS);
    if shots > max_shots {
        return Err(ServiceError::unprocessable(
            "limit_exceeded",
            format!("{shots} shots requested but at most {max_shots} are allowed per job"),
        ));
    }
    let n = circuit.num_qubits();
    let budget = memory_budget(config);
    let probe = RunConfig { backend, max_memory_bytes: budget, ..RunConfig::default() };
    let (chosen, _) = qv_sim::select(&circuit, &probe);
    // Peak memory of the chosen simulator, in bytes (None: not addressable).
    let needed = match chosen {
        Backend::Stabilizer => {
            if n > config.max_stabilizer_qubits {
                return Err(too_large_qubits(
                    n,
                    config.max_stabilizer_qubits,
                    "on the stabilizer backend",
                ));
            }
            // Tableau: about 2n × 2n bits.
            Some((2 * n as u64).saturating_mul(2 * n as u64) / 8)
        }
        Backend::DensityMatrix => {
            if n > config.max_qubits {
                return Err(too_large_qubits(n, config.max_qubits, "on state-vector backends"));
            }
            qv_sim::required_memory_bytes(2 * n)
        }
        _ => {
            if n > config.max_qubits {
                return Err(too_large_qubits(
                    n,
                    config.max_qubits,
                    "on state-vector backends (Clifford-only circuits may use the stabilizer backend)",
                ));
            }
            qv_sim::required_memory_bytes(n)
        }
    };
    match (needed, budget) {
        (None, _) => {
            return Err(ServiceError::too_large(format!(
                "a simulation of {n} qubits on the {} backend cannot be addressed",
                chosen.name()
            )))
        }
        (Some(need), Some(avail)) if need > avail => {
            return Err(ServiceError::too_large(format!(
                "the circuit needs {} on the {} backend but a job may use at most {}",
                qv_sim::format_bytes(need),
                chosen.name(),
                qv_sim::format_bytes(avail)
            )))
        }
        _ => {}
    }
    if (opts.statevector || opts.probabilities) && n > MAX_OUTPUT_QUBITS {
        let what = if opts.statevector { "statevector" } else { "probabilities" };
        return Err(ServiceError::too_large(format!(
            "the `{what}` output is limited to circuits of at most {MAX_OUTPUT_QUBITS} qubits \
             (this one has {n}); use counts instead"
        )));
    }
    if opts.memory {
        let width = (circuit.num_clbits() + circuit.cregs().len().saturating_sub(1)) as u64;
        if shots.saturating_mul(width.max(1)) > MAX_MEMORY_OUTPUT_CHARS {
            return Err(ServiceError::too_large(format!(
                "per-shot memory of {shots} shots × {width} characters exceeds the limit of \
                 {MAX_MEMORY_OUTPUT_CHARS} characters; lower the shots or turn memory off"
            )));
        }
    }
    if opts.observables.len() > MAX_OBSERVABLES {
        return Err(ServiceError::invalid(
            "validation_error",
            format!("at most {MAX_OBSERVABLES} observables per job"),
        ));
    }
    for (i, text) in opts.observables.iter().enumerate() {
        let obs = Observable::parse(text).map_err(|e| {
            ServiceError::invalid("validation_error", format!("observables[{i}] `{text}`: {e}"))
        })?;
        obs.check_width(n).map_err(|e| {
            ServiceError::invalid("validation_error", format!("observables[{i}] `{text}`: {e}"))
        })?;
    }
    let (result_bytes, parts) = estimate_result(&circuit, opts, shots);
    if result_bytes > config.max_result_bytes {
        return Err(ServiceError::too_large(format!(
            "the result would take up to {result_bytes} bytes ({}; {parts}) but a job's result \
             may take at most {} bytes ({}, max_result_bytes); lower the shots or measure \
             fewer bits",
            qv_sim::format_bytes(result_bytes),
            config.max_result_bytes,
            qv_sim::format_bytes(config.max_result_bytes)
        )));
    }
    // The state, and the result twice over (the counts map and its JSON).
    let memory_bytes = needed.unwrap_or(0).saturating_add(result_bytes.saturating_mul(2));
    let budget = running_memory_budget(config);
    if memory_bytes > budget {
        return Err(ServiceError::too_large(format!(
            "the job needs about {memory_bytes} bytes ({}) of memory but running jobs may use \
             at most {budget} bytes ({}, max_memory_bytes) together",
            qv_sim::format_bytes(memory_bytes),
            qv_sim::format_bytes(budget)
        )));
    }
    let seed = opts.seed.unwrap_or_else(|| rand::random::<u64>() & MAX_RANDOM_SEED);
    Ok(Validated {
        spec: JobSpec {
            format: opts.format.clone(),
            source: opts.source.clone(),
            shots,
            backend: backend_name,
            seed,
            memory: opts.memory,
            probabilities: opts.probabilities,
            statevector: opts.statevector,
            observables: opts.observables.clone(),
        },
        num_qubits: n,
        memory_bytes,
        result_bytes,
    })
}

/// Why an execution produced no result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecError {
    /// The cancel flag was set (by the user, the timeout or shutdown).
    Cancelled,
    /// The simulation failed; the message is for the user.
    Failed(String),
}

/// A finished execution.
#[derive(Clone, Debug)]
pub struct Executed {
    /// The result (without `job_id`).
    pub result: JobResult,
    /// The backend that ran the circuit.
    pub backend: String,
}

fn sim_error(e: SimError) -> ExecError {
    match e {
        SimError::Cancelled => ExecError::Cancelled,
        other => ExecError::Failed(other.to_string()),
    }
}

/// Runs a job (blocking; call on a blocking thread). `cancel` stops it cooperatively.
pub fn execute(
    spec: &JobSpec,
    config: &Config,
    cancel: Arc<AtomicBool>,
) -> Result<Executed, ExecError> {
    let circuit =
        parse_program(&spec.format, &spec.source).map_err(|e| ExecError::Failed(e.message))?;
    let backend = parse_backend(&spec.backend).map_err(|e| ExecError::Failed(e.message))?;
    let n = circuit.num_qubits();
    // Small circuits run on one thread: the pool runs several jobs at once,
    // and waking threads costs more than such a simulation.
    let threads = if n < 16 { 1 } else { 0 };
    let run_config = RunConfig {
        shots: spec.shots,
        seed: Some(spec.seed),
        memory: spec.memory,
        max_memory_bytes: memory_budget(config),
        backend,
        threads,
        cancel: Some(cancel.clone()),
        ..RunConfig::default()
    };
    let r = qv_sim::run(&circuit, &run_config).map_err(sim_error)?;
    let probabilities = if spec.probabilities {
        let probs = qv_sim::probabilities_with(&circuit, &run_config).map_err(sim_error)?;
        Some(probs.values.into_iter().collect())
    } else {
        None
    };
    let statevector = if spec.statevector {
        let state = qv_sim::statevector_with(&circuit, &run_config).map_err(sim_error)?;
        Some(state.iter().map(|a| [a.re, a.im]).collect())
    } else {
        None
    };
    let expectation_values = if spec.observables.is_empty() {
        None
    } else {
        let expect_config = ExpectConfig {
            backend: match backend {
                // The reference simulator has no exact expectation path.
                Backend::Reference | Backend::Trajectories => Backend::Auto,
                b => b,
            },
            threads,
            max_memory_bytes: memory_budget(config),
            cancel: Some(cancel.clone()),
            ..ExpectConfig::default()
        };
        let mut values = Vec::with_capacity(spec.observables.len());
        for text in &spec.observables {
            if cancel.load(std::sync::atomic::Ordering::Relaxed) {
                return Err(ExecError::Cancelled);
            }
            let obs = Observable::parse(text).map_err(|e| ExecError::Failed(e.to_string()))?;
            let e = qv_sim::expectation(&circuit, &obs, &expect_config).map_err(sim_error)?;
            values.push(ExpectationValue {
                observable: text.clone(),
                value: e.value,
                std_dev: e.std_dev,
            });
        }
        Some(values)
    };
    let result = JobResult {
        job_id: String::new(),
        metadata: ResultMetadata {
            backend: r.backend.clone(),
            backend_reason: r.backend_reason,
            seed: r.seed,
            shots: r.shots,
            num_qubits: n as u64,
            num_clbits: r.num_clbits as u64,
            time_taken_s: r.time_taken.as_secs_f64(),
        },
        counts: r.counts,
        memory: r.memory,
        probabilities,
        statevector,
        expectation_values,
    };
    Ok(Executed { result, backend: r.backend })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::ErrorKind;

    const BELL: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n";

    fn opts(source: &str) -> SubmitOptions {
        SubmitOptions { format: "qasm2".into(), source: source.into(), ..SubmitOptions::default() }
    }

    #[test]
    fn bell_validates_and_runs() {
        let config = Config::default();
        let v = validate(&SubmitOptions { memory: true, shots: Some(100), ..opts(BELL) }, &config)
            .unwrap();
        assert_eq!(v.num_qubits, 2);
        let r = execute(&v.spec, &config, Arc::new(AtomicBool::new(false))).unwrap();
        let counts = &r.result.counts;
        assert!(counts.keys().all(|k| k == "00" || k == "11"), "{counts:?}");
        assert_eq!(counts.values().sum::<u64>(), 100);
        assert_eq!(r.result.memory.as_ref().map(Vec::len), Some(100));
    }

    #[test]
    fn parse_errors_name_line_and_column() {
        let e = validate(&opts("OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n"), &Config::default())
            .unwrap_err();
        assert_eq!((e.kind, e.code), (ErrorKind::Invalid, "parse_error"));
        assert!(e.message.starts_with("line 3, column 1:"), "{}", e.message);
    }

    #[test]
    fn limits_are_checked_before_queueing() {
        let config = Config { max_qubits: 4, max_shots: 10, ..Config::default() };
        let opts = |source: &str| SubmitOptions { shots: Some(5), ..opts(source) };
        let e = validate(&SubmitOptions { shots: Some(11), ..opts(BELL) }, &config).unwrap_err();
        assert_eq!((e.kind, e.code), (ErrorKind::LimitExceeded, "limit_exceeded"));
        let wide = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[5];\nt q[0];\n";
        let e = validate(&opts(wide), &config).unwrap_err();
        assert_eq!((e.kind, e.code), (ErrorKind::TooLarge, "too_large"), "{}", e.message);
        let e = validate(&SubmitOptions { backend: Some("warp".into()), ..opts(BELL) }, &config)
            .unwrap_err();
        assert_eq!(e.code, "validation_error");
        let e = validate(&SubmitOptions { observables: vec!["Z9".into()], ..opts(BELL) }, &config)
            .unwrap_err();
        assert_eq!(e.code, "validation_error", "{}", e.message);
    }

    #[test]
    fn nesting_is_measured_without_recursion_and_capped() {
        let mut src = String::from("OPENQASM 2.0;\ninclude \"qelib1.inc\";\ngate g0 a { h a; }\n");
        for k in 1..200 {
            src.push_str(&format!("gate g{k} a {{ g{} a; }}\n", k - 1));
        }
        src.push_str("qreg q[1];\ng199 q[0];\ng3 q[0];\n");
        let circuit = parse_program("qasm2", &src).unwrap();
        assert_eq!(gate_nesting(&circuit), 200);
        assert!(needs_big_stack(&opts(&src)));
        let mut deep = String::from("OPENQASM 2.0;\ninclude \"qelib1.inc\";\ngate g0 a { h a; }\n");
        for k in 1..300 {
            deep.push_str(&format!("gate g{k} a {{ g{} a; }}\n", k - 1));
        }
        deep.push_str("qreg q[1];\ng299 q[0];\n");
        let e = validate(&opts(&deep), &Config::default()).unwrap_err();
        assert_eq!((e.kind, e.code), (ErrorKind::Invalid, "parse_error"));
        // g255 is the 256th level; g256 is refused at its definition (line 259).
        assert!(
            e.message.starts_with("line 259, column 6:")
                && e.message.contains("nests 257 levels")
                && e.message.contains("256"),
            "{}",
            e.message
        );
        assert!(!needs_big_stack(&opts(BELL)));
    }

    #[test]
    fn result_estimates_bound_counts_memory_and_states() {
        // 2 clbits, 100 shots: 4 keys × (2 + 4 + 3 digits) + 512.
        let v = validate(&SubmitOptions { shots: Some(100), ..opts(BELL) }, &Config::default())
            .unwrap();
        assert_eq!(v.result_bytes, 4 * 9 + 512);
        // Per-shot memory adds 100 × (2 + 3); the state vector 4 × 48.
        let o = SubmitOptions {
            shots: Some(100),
            memory: true,
            statevector: true,
            backend: Some("statevector".into()),
            ..opts(BELL)
        };
        let v = validate(&o, &Config::default()).unwrap();
        assert_eq!(v.result_bytes, 4 * 9 + 100 * 5 + 4 * 48 + 512);
        // Two qubits of state vector (4 × 16 bytes) plus the result twice.
        assert_eq!(v.memory_bytes, 64 + 2 * v.result_bytes);
        let small = Config { max_result_bytes: 1000, ..Config::default() };
        let e = validate(&o, &small).unwrap_err();
        assert_eq!((e.kind, e.code), (ErrorKind::TooLarge, "too_large"));
        assert!(
            e.message.contains("1240 bytes") && e.message.contains("1000 bytes"),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_set_cancel_flag_cancels() {
        let config = Config::default();
        let v = validate(&opts(BELL), &config).unwrap();
        let r = execute(&v.spec, &config, Arc::new(AtomicBool::new(true)));
        assert_eq!(r.unwrap_err(), ExecError::Cancelled);
    }
}
