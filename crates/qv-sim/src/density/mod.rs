//! The density-matrix simulator: exact mixed-state simulation with noise.
//!
//! The state is `ρ`, a `2^n × 2^n` complex128 matrix (`16·4^n` bytes, checked
//! against available memory before anything is allocated). Gates and
//! channels are applied as passes of the fast state-vector engine over `ρ`
//! read as a `2n`-qubit vector (see `matrix`), fused so that a noisy gate
//! costs one pass; a [`NoiseModel`] attaches channels to operations with
//! Qiskit Aer's semantics (gate errors after the gate, measurement errors
//! before the measurement, readout errors on the recorded bit). Qubits that
//! no operation touches stay |0⟩ and are left out of `ρ` (except in
//! [`density_matrix`], which returns the whole matrix).
//!
//! Entry points:
//! - [`run`]: counts (and per-shot memory). Terminal measurements are read
//!   from the final diagonal and shots drawn from the exact distribution.
//!   Mid-circuit measurements branch exactly over classical records (see
//!   `engine`); when that would take too many matrices, each shot is
//!   simulated on its own with drawn outcomes.
//! - [`probabilities`]: the exact outcome distribution (over the classical
//!   bits, readout errors included; or over the qubits when nothing is
//!   measured).
//! - [`density_matrix`] and [`expectation`]: the final state and `Tr(ρP)`.
//!   As for [`crate::statevector`], terminal measurements are ignored (with
//!   their errors); mid-circuit measurements are averaged over outcomes.

mod engine;
mod matrix;
mod steps;

use std::collections::BTreeMap;
use std::time::Instant;

use qv_circuit::{Circuit, C64};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::backend::Backend;
use crate::error::SimError;
use crate::exact::{Probabilities, ProbabilitiesOver, MAX_BRANCHES};
use crate::fast::FusionLimits;
use crate::memory::available_memory_bytes;
use crate::noise::{attach, Compaction, NoiseModel};
use crate::observable::{Observable, Pauli};
use crate::program::Program;
use crate::run::{check_shots, RunConfig, RunResult, ZERO_PROBABILITY};
use crate::sample::{sample_once, Sampler};

use engine::{clbit_distribution, run_exact, run_sampled, Branch, Budget};
pub use matrix::density_matrix_bytes;
use matrix::DensityMatrix;
use steps::{Steps, Terminal};

/// Fusion limits on the `2n` virtual qubits: blocks over two real qubits
/// (a noisy two-qubit gate with its channels is one 16×16 pass).
const DENSE_LIMIT: usize = 4;

/// Settings taken from a [`RunConfig`].
#[derive(Clone, Copy, Debug)]
struct Options {
    threads: usize,
    limits: FusionLimits,
    max_memory_bytes: Option<u64>,
}

impl Options {
    fn from_config(config: &RunConfig) -> Self {
        let threads =
            if config.threads == 0 { rayon::current_num_threads() } else { config.threads };
        let limits = if config.fusion {
            FusionLimits {
                max_dense: DENSE_LIMIT,
                max_diagonal: FusionLimits::default().max_diagonal,
            }
        } else {
            FusionLimits::OFF
        };
        Options { threads, limits, max_memory_bytes: config.max_memory_bytes }
    }
}

/// A lowered circuit ready to run, with its memory budget.
struct Prepared {
    program: Program,
    steps: Steps,
    budget: Budget,
    /// Qubits simulated (the touched ones when compacted).
    num_qubits: usize,
    /// The renumbering of touched qubits, when idle ones were left out.
    compaction: Option<Compaction>,
}

/// Lowers `circuit` and places `noise`; with `compact`, qubits no operation
/// touches are left out of `ρ` (they stay |0⟩).
fn prepare(
    circuit: &Circuit,
    noise: Option<&NoiseModel>,
    terminal: Terminal,
    opts: &Options,
    compact: bool,
) -> Result<Prepared, SimError> {
    let mut program = Program::lower(circuit)?;
    let mut noise_ops = attach(&program, noise);
    let compaction = compact.then(|| Compaction::of(&program));
    if let Some(k) = &compaction {
        k.apply(&mut program, &mut noise_ops);
    }
    let n = compaction.as_ref().map_or(program.num_qubits(), Compaction::used);
    let available = opts.max_memory_bytes.or_else(available_memory_bytes);
    let bytes = density_matrix_bytes(n).unwrap_or(u64::MAX);
    // Deferred outcomes need a probability vector next to the matrix.
    let extra = 8u64.checked_shl(program.deferred.len() as u32).unwrap_or(u64::MAX);
    let needed = bytes.saturating_add(extra);
    if let Some(available) = available.filter(|&a| needed > a) {
        return Err(SimError::TooLargeFor {
            needed,
            available,
            num_qubits: n,
            what: "complex128 density matrix",
        });
    }
    if density_matrix_bytes(n).is_none() {
        return Err(SimError::TooManyQubits { num_qubits: n });
    }
    let steps = steps::build(&program, &noise_ops, n, terminal, opts.limits);
    let budget = Budget {
        by_memory: available.map(|a| a.saturating_sub(extra) / bytes),
        max_branches: MAX_BRANCHES,
        bytes,
        available: available.unwrap_or(u64::MAX),
        num_qubits: n,
    };
    Ok(Prepared { program, steps, budget, num_qubits: n, compaction })
}

impl Prepared {
    /// Runs every step exactly from `|0…0⟩`.
    fn run_exact(&self, opts: &Options) -> Result<Vec<Branch>, SimError> {
        let start = self.initial()?;
        run_exact(&self.steps.steps, vec![start], opts.threads, &self.budget)
    }

    fn initial(&self) -> Result<Branch, SimError> {
        Ok(Branch {
            clbits: vec![false; self.program.num_clbits()],
            rho: DensityMatrix::zero_state(self.num_qubits)?,
        })
    }
}

/// Runs `config.shots` shots of `circuit` with the noise of `config.noise`.
pub fn run(circuit: &Circuit, config: &RunConfig) -> Result<RunResult, SimError> {
    let start = Instant::now();
    check_shots(circuit, config)?;
    let opts = Options::from_config(config);
    let prepared = prepare(circuit, config.noise.as_deref(), Terminal::Measure, &opts, true)?;
    let program = &prepared.program;
    let seed = config.seed.unwrap_or_else(rand::random);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut counts = BTreeMap::new();
    let mut memory = config.memory.then(Vec::new);
    if program.has_measure {
        config.check_cancel()?;
        let exact = match prepared.run_exact(&opts) {
            Ok(branches) => Some(branches),
            Err(SimError::TooManyBranches { .. } | SimError::TooLargeFor { .. }) => None,
            Err(e) => return Err(e),
        };
        // Exact branching is bounded (at most 12 qubits by default); check after it.
        config.check_cancel()?;
        let mut record = |key: String| {
            if let Some(m) = memory.as_mut() {
                m.push(key.clone());
            }
            *counts.entry(key).or_insert(0) += 1;
        };
        match exact {
            Some(branches) => {
                let dist = clbit_distribution(program, &branches, &prepared.steps.deferred_readout);
                drop(branches);
                let mut values: Vec<(String, f64)> = dist.into_iter().collect();
                values.sort_by(|a, b| a.0.cmp(&b.0));
                let sampler = Sampler::new(values.iter().map(|(_, p)| *p).collect());
                for s in 0..config.shots {
                    if crate::run::cancelled_at(s as usize, config.cancel.as_deref()) {
                        return Err(SimError::Cancelled);
                    }
                    record(values[sampler.sample(&mut rng)].0.clone());
                }
            }
            None => per_shot(
                &prepared,
                &opts,
                config.shots,
                &mut rng,
                &mut record,
                config.cancel.as_deref(),
            )?,
        }
    }
    Ok(RunResult {
        counts,
        memory,
        shots: config.shots,
        seed,
        num_qubits: program.num_qubits(),
        num_clbits: program.num_clbits(),
        time_taken: start.elapsed(),
        backend: Backend::DensityMatrix.name().to_string(),
        backend_reason: String::new(),
    })
}

/// Simulates each shot on its own density matrix, drawing mid-circuit
/// outcomes; used when exact branching needs too many matrices.
fn per_shot(
    prepared: &Prepared,
    opts: &Options,
    shots: u64,
    rng: &mut ChaCha8Rng,
    record: &mut impl FnMut(String),
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> Result<(), SimError> {
    let program = &prepared.program;
    let steps = &prepared.steps.steps;
    let first = prepared.steps.first_measure();
    // The prefix and one shot's copy live together.
    prepared.budget.check(2)?;
    let mut prefix = prepared.initial()?;
    // Before the first measurement nothing is drawn: this is exact.
    run_sampled(&steps[..first], &mut prefix, opts.threads, rng);
    let qubits: Vec<usize> = program.deferred.iter().map(|&(q, _)| q).collect();
    let mut weights = Vec::new();
    let mut shot = Branch { clbits: prefix.clbits.clone(), rho: prefix.rho.try_clone()? };
    for _ in 0..shots {
        if crate::run::is_cancelled(cancel) {
            return Err(SimError::Cancelled);
        }
        shot.clbits.clone_from(&prefix.clbits);
        shot.rho.copy_from(&prefix.rho);
        run_sampled(&steps[first..], &mut shot, opts.threads, rng);
        if !qubits.is_empty() {
            shot.rho.marginal_into(&qubits, &mut weights);
            let outcome = sample_once(&weights, rng.gen());
            for (j, &(_, clbit)) in program.deferred.iter().enumerate() {
                let actual = (outcome >> j) & 1 == 1;
                shot.clbits[clbit] = match &prepared.steps.deferred_readout[j] {
                    Some(ro) => rng.gen::<f64>() < ro.probability(actual, true),
                    None => actual,
                };
            }
        }
        record(program.circuit.format_clbits(&shot.clbits));
    }
    Ok(())
}

/// The exact outcome distribution of `circuit` under `noise`: over the
/// classical bits (readout errors included) when it measures anything, else
/// over the qubits' basis states. Keys and order as [`crate::probabilities`].
pub fn probabilities(
    circuit: &Circuit,
    noise: Option<&NoiseModel>,
) -> Result<Probabilities, SimError> {
    probabilities_opts(circuit, noise, &Options::from_config(&RunConfig::default()))
}

/// [`probabilities`] with the noise, threads, fusion and memory limit of `config`.
pub fn probabilities_with(
    circuit: &Circuit,
    config: &RunConfig,
) -> Result<Probabilities, SimError> {
    probabilities_opts(circuit, config.noise.as_deref(), &Options::from_config(config))
}

fn probabilities_opts(
    circuit: &Circuit,
    noise: Option<&NoiseModel>,
    opts: &Options,
) -> Result<Probabilities, SimError> {
    let prepared = prepare(circuit, noise, Terminal::Measure, opts, true)?;
    let program = &prepared.program;
    let branches = prepared.run_exact(opts)?;
    let n = program.num_qubits();
    let simulated = prepared.num_qubits;
    let (over, width, mut values) = if program.has_measure {
        let dist = clbit_distribution(program, &branches, &prepared.steps.deferred_readout);
        (ProbabilitiesOver::Clbits, program.num_clbits(), dist.into_iter().collect::<Vec<_>>())
    } else {
        let mut diag = vec![0.0; 1 << simulated];
        for b in &branches {
            diag.iter_mut().zip(b.rho.diagonal()).for_each(|(acc, d)| *acc += d);
        }
        let key = |i: usize| match &prepared.compaction {
            Some(k) => k.key(i, n),
            None => index_key(i, n),
        };
        // Only nonzero entries get a key: n may be far above what 2^n could index.
        let values = diag
            .into_iter()
            .enumerate()
            .filter(|(_, p)| *p > ZERO_PROBABILITY)
            .map(|(i, p)| (key(i), p))
            .collect();
        (ProbabilitiesOver::Qubits, n, values)
    };
    values.retain(|(_, p)| *p > ZERO_PROBABILITY);
    values.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Probabilities { over, width, values })
}

/// The final density matrix of `circuit` under `noise`, row-major
/// (`ρ[r][c]` at `r·2^n + c`, qubit 0 the least significant bit). Terminal
/// measurements are ignored; mid-circuit ones are averaged over outcomes.
pub fn density_matrix(circuit: &Circuit, noise: Option<&NoiseModel>) -> Result<Vec<C64>, SimError> {
    let opts = Options::from_config(&RunConfig::default());
    let prepared = prepare(circuit, noise, Terminal::Ignore, &opts, false)?;
    let mut total: Option<DensityMatrix> = None;
    for b in prepared.run_exact(&opts)? {
        match total.as_mut() {
            Some(t) => t.add(&b.rho),
            None => total = Some(b.rho),
        }
    }
    // Every branch dropped (impossible for a normalised state): the zero matrix.
    let dim = 1usize << (2 * prepared.num_qubits);
    Ok(total.map_or_else(|| vec![C64::new(0.0, 0.0); dim], DensityMatrix::into_data))
}

/// `Tr(ρ·O)` for the final state of `circuit` under `noise` (terminal
/// measurements ignored, mid-circuit ones averaged over outcomes).
pub fn expectation(
    circuit: &Circuit,
    noise: Option<&NoiseModel>,
    observable: &Observable,
) -> Result<f64, SimError> {
    observable.check_width(circuit.num_qubits())?;
    let opts = Options::from_config(&RunConfig::default());
    let prepared = prepare(circuit, noise, Terminal::Ignore, &opts, true)?;
    let branches = prepared.run_exact(&opts)?;
    let mut value = 0.0;
    'terms: for term in &observable.terms {
        // Masks on simulated qubits; idle qubits are |0⟩: Z gives 1, X and Y give 0.
        let (mut x, mut z, mut ny) = (0usize, 0usize, 0u32);
        for &(q, p) in &term.paulis {
            let k = match prepared.compaction.as_ref().map_or(Some(q), |c| c.simulated(q)) {
                Some(k) => k,
                None if p == Pauli::Z => continue,
                None => continue 'terms,
            };
            let bit = 1usize << k;
            match p {
                Pauli::X => x |= bit,
                Pauli::Z => z |= bit,
                Pauli::Y => {
                    x |= bit;
                    z |= bit;
                    ny += 1;
                }
            }
        }
        let sum: f64 = branches.iter().map(|b| b.rho.pauli_expectation(x, z, ny)).sum();
        value += term.coeff * sum;
    }
    Ok(value)
}

/// `n`-character binary key of a basis index, qubit 0 rightmost.
fn index_key(index: usize, n: usize) -> String {
    (0..n).rev().map(|q| if (index >> q) & 1 == 1 { '1' } else { '0' }).collect()
}
