//! Sampling shots: [`run`], its [`RunConfig`] and [`RunResult`].
//!
//! Strategy: the operations before the first stochastic one (collapsing
//! measurement, reset, conditioned operation) are simulated once. If nothing
//! stochastic remains, the final state is marginalised onto the measured
//! qubits and all shots are sampled from it in one pass. Otherwise each shot
//! copies that prefix state and continues alone, collapsing with its own
//! draws; its deferred (terminal) measurements are then drawn jointly from
//! the shot's final state. One ChaCha8 stream seeded from the run's seed feeds
//! every draw in order, so a seed reproduces counts and memory exactly.
//! [`RunConfig::cancel`] is checked per operation of the prefix, per shot of
//! the per-shot path and every `CANCEL_EVERY` shots while sampling and counting.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use qv_circuit::Circuit;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::backend::{Backend, Precision};
use crate::error::SimError;
use crate::memory::{self, available_memory_bytes, probability_bytes};
use crate::program::{Kind, Program};
use crate::sample::{sample_once, Sampler};
use crate::statevector::StateVector;

/// Most shots one run may take.
pub const MAX_SHOTS: u64 = 10_000_000;

/// Most characters of per-shot memory one run may return (shots × key width).
pub const MAX_MEMORY_CHARS: u64 = 100_000_000;

/// Probabilities at or below this are treated as zero.
pub(crate) const ZERO_PROBABILITY: f64 = 1e-15;

/// Shots (or distinct outcomes) between two looks at the cancel flag in loops
/// whose single step is cheap: often enough to stop within milliseconds,
/// rarely enough to cost nothing.
pub(crate) const CANCEL_EVERY: usize = 1024;

/// Options of [`run`].
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Number of shots, `1..=MAX_SHOTS`.
    pub shots: u64,
    /// Seed of the random stream; `None` picks one from the OS (reported in
    /// [`RunResult::seed`]).
    pub seed: Option<u64>,
    /// Whether to return each shot's bitstring in order.
    pub memory: bool,
    /// Memory the simulation may use, in bytes, instead of what the machine
    /// reports as available.
    pub max_memory_bytes: Option<u64>,
    /// Which simulator runs the circuit ([`Backend::Auto`] chooses).
    pub backend: Backend,
    /// Amplitude precision of the state-vector engine.
    pub precision: Precision,
    /// Worker threads of the state-vector engine; 0 uses every core.
    pub threads: usize,
    /// Whether the state-vector engine fuses gates.
    pub fusion: bool,
    /// Noise for the density-matrix and trajectories backends (`None`: ideal).
    pub noise: Option<std::sync::Arc<crate::noise::NoiseModel>>,
    /// Cooperative cancellation: when the flag turns true, the engines stop
    /// at their next pass, gate or shot boundary and return
    /// [`SimError::Cancelled`].
    pub cancel: Option<Arc<AtomicBool>>,
}

// Manual because `AtomicBool` has no `PartialEq`: two configurations are equal
// when they share the same cancellation flag (or both have none).
impl PartialEq for RunConfig {
    fn eq(&self, other: &Self) -> bool {
        let same_cancel = match (&self.cancel, &other.cancel) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        self.shots == other.shots
            && self.seed == other.seed
            && self.memory == other.memory
            && self.max_memory_bytes == other.max_memory_bytes
            && self.backend == other.backend
            && self.precision == other.precision
            && self.threads == other.threads
            && self.fusion == other.fusion
            && self.noise == other.noise
            && same_cancel
    }
}

impl Eq for RunConfig {}

impl RunConfig {
    /// Whether the run has been asked to stop.
    pub(crate) fn cancelled(&self) -> bool {
        is_cancelled(self.cancel.as_deref())
    }

    /// `Err(SimError::Cancelled)` once the run has been asked to stop.
    pub(crate) fn check_cancel(&self) -> Result<(), SimError> {
        if self.cancelled() {
            Err(SimError::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// Whether an optional cancellation flag is set.
#[inline]
pub(crate) fn is_cancelled(flag: Option<&AtomicBool>) -> bool {
    flag.is_some_and(|f| f.load(Ordering::Relaxed))
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            shots: 1024,
            seed: None,
            memory: false,
            max_memory_bytes: None,
            backend: Backend::Auto,
            precision: Precision::Double,
            threads: 0,
            fusion: true,
            noise: None,
            cancel: None,
        }
    }
}

/// Outcome of [`run`].
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    /// Shots per classical outcome, keyed like [`Circuit::format_clbits`].
    /// Empty when the circuit measures nothing (as Qiskit Aer returns no counts).
    pub counts: BTreeMap<String, u64>,
    /// Each shot's key in shot order, when [`RunConfig::memory`] was set
    /// (empty when the circuit measures nothing).
    pub memory: Option<Vec<String>>,
    /// Shots taken.
    pub shots: u64,
    /// The seed used; passing it back reproduces the result.
    pub seed: u64,
    /// Number of qubits of the circuit.
    pub num_qubits: usize,
    /// Number of classical bits of the circuit.
    pub num_clbits: usize,
    /// Wall time of the whole call.
    pub time_taken: Duration,
    /// The backend that ran the circuit.
    pub backend: String,
    /// Why that backend was chosen.
    pub backend_reason: String,
}

/// Runs `config.shots` shots of `circuit` on the reference state-vector
/// simulator. Validates shots, memory output and memory before allocating.
pub fn run_reference(circuit: &Circuit, config: &RunConfig) -> Result<RunResult, SimError> {
    let start = Instant::now();
    check_shots(circuit, config)?;
    let program = Program::lower(circuit)?;
    let n = program.num_qubits();
    let available = config.max_memory_bytes.or_else(available_memory_bytes);
    let stochastic = program.is_stochastic();
    let copies = if stochastic { 2 } else { 1 };
    memory::check(n, copies, probability_bytes(program.deferred.len()), available)?;

    let seed = config.seed.unwrap_or_else(rand::random);
    let mut tally = Tally::new(config.memory, config.shots);
    if program.has_measure {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut state = StateVector::new(n, program.circuit.global_phase)?;
        let next = simulate_prefix_with(&program, &mut state, config.cancel.as_deref())?;
        let cancel = config.cancel.as_deref();
        if next == program.ops.len() {
            sample_final_state(&program, state, config.shots, &mut rng, &mut tally, cancel)?;
        } else {
            run_shots(&program, &state, next, config.shots, &mut rng, &mut tally, cancel)?;
        }
    }
    Ok(RunResult {
        counts: tally.counts,
        memory: tally.memory,
        shots: config.shots,
        seed,
        num_qubits: n,
        num_clbits: program.num_clbits(),
        time_taken: start.elapsed(),
        backend: Backend::Reference.name().to_string(),
        backend_reason: String::new(),
    })
}

pub(crate) fn check_shots(circuit: &Circuit, config: &RunConfig) -> Result<(), SimError> {
    if config.shots == 0 {
        return Err(SimError::NoShots);
    }
    if config.shots > MAX_SHOTS {
        return Err(SimError::TooManyShots { shots: config.shots, max: MAX_SHOTS });
    }
    // A key holds every clbit plus one space between registers.
    let width = circuit.num_clbits() + circuit.cregs().len().saturating_sub(1);
    if config.memory && (config.shots as u128) * (width as u128) > MAX_MEMORY_CHARS as u128 {
        return Err(SimError::MemoryOutputTooLarge {
            shots: config.shots,
            width,
            max_chars: MAX_MEMORY_CHARS,
        });
    }
    Ok(())
}

/// Applies operations from the start until the first stochastic one, and
/// returns its index. A reset of a qubit that is certainly |0⟩ is a
/// projection, not a random event, so it does not stop the prefix.
pub(crate) fn simulate_prefix(program: &Program, state: &mut StateVector) -> usize {
    simulate_prefix_with(program, state, None).unwrap_or(program.ops.len())
}

/// [`simulate_prefix`], stopping with [`SimError::Cancelled`] when `cancel` is set.
pub(crate) fn simulate_prefix_with(
    program: &Program,
    state: &mut StateVector,
    cancel: Option<&AtomicBool>,
) -> Result<usize, SimError> {
    for (i, op) in program.ops.iter().enumerate() {
        if is_cancelled(cancel) {
            return Err(SimError::Cancelled);
        }
        if op.condition.is_some() {
            return Ok(i);
        }
        match &op.kind {
            Kind::Gate { matrix, qubits } => state.apply(matrix, qubits),
            Kind::Measure { deferred: true, .. } => {}
            Kind::Measure { deferred: false, .. } => return Ok(i),
            Kind::Reset { qubit } => {
                let (p0, p1) = state.qubit_probabilities(*qubit);
                if p1 > ZERO_PROBABILITY {
                    return Ok(i);
                }
                state.collapse(*qubit, false, p0);
            }
        }
    }
    Ok(program.ops.len())
}

/// Shot outcomes being collected.
struct Tally {
    counts: BTreeMap<String, u64>,
    memory: Option<Vec<String>>,
}

impl Tally {
    fn new(memory: bool, shots: u64) -> Self {
        // Capacity is bounded by MAX_MEMORY_CHARS via `check_shots`; cap the hint anyway.
        let memory = memory.then(|| Vec::with_capacity(shots.min(1 << 20) as usize));
        Self { counts: BTreeMap::new(), memory }
    }

    fn add(&mut self, key: &str, times: u64) {
        match self.counts.get_mut(key) {
            Some(c) => *c += times,
            None => {
                self.counts.insert(key.to_string(), times);
            }
        }
    }
}

/// Sets the deferred measurements' clbits from `outcome` (bit `j` = `deferred[j]`).
fn write_deferred(program: &Program, outcome: usize, clbits: &mut [bool]) {
    for (j, &(_, clbit)) in program.deferred.iter().enumerate() {
        clbits[clbit] = (outcome >> j) & 1 == 1;
    }
}

fn deferred_qubits(program: &Program) -> Vec<usize> {
    program.deferred.iter().map(|&(q, _)| q).collect()
}

/// Whether a loop at step `i` should look at the flag and finds it set.
#[inline]
pub(crate) fn cancelled_at(i: usize, flag: Option<&AtomicBool>) -> bool {
    i.is_multiple_of(CANCEL_EVERY) && is_cancelled(flag)
}

/// All measurements deferred: draw every shot from the final state at once.
fn sample_final_state(
    program: &Program,
    state: StateVector,
    shots: u64,
    rng: &mut ChaCha8Rng,
    tally: &mut Tally,
    cancel: Option<&AtomicBool>,
) -> Result<(), SimError> {
    let mut weights = Vec::new();
    state.marginal_into(&deferred_qubits(program), &mut weights);
    drop(state);
    let sampler = Sampler::new(weights);
    let mut keys: HashMap<usize, String> = HashMap::new();
    let mut per_outcome: HashMap<usize, u64> = HashMap::new();
    let mut clbits = vec![false; program.num_clbits()];
    for s in 0..shots {
        if cancelled_at(s as usize, cancel) {
            return Err(SimError::Cancelled);
        }
        let outcome = sampler.sample(rng);
        *per_outcome.entry(outcome).or_insert(0) += 1;
        if let Some(memory) = tally.memory.as_mut() {
            let key = keys.entry(outcome).or_insert_with(|| {
                write_deferred(program, outcome, &mut clbits);
                program.circuit.format_clbits(&clbits)
            });
            memory.push(key.clone());
        }
    }
    for (i, (outcome, times)) in per_outcome.into_iter().enumerate() {
        if cancelled_at(i, cancel) {
            return Err(SimError::Cancelled);
        }
        write_deferred(program, outcome, &mut clbits);
        tally.add(&program.circuit.format_clbits(&clbits), times);
    }
    Ok(())
}

/// Simulates each shot from the prefix state `prefix` at operation `next`.
fn run_shots(
    program: &Program,
    prefix: &StateVector,
    next: usize,
    shots: u64,
    rng: &mut ChaCha8Rng,
    tally: &mut Tally,
    cancel: Option<&AtomicBool>,
) -> Result<(), SimError> {
    let qubits = deferred_qubits(program);
    let mut state = prefix.clone();
    let mut weights = Vec::new();
    let mut clbits = vec![false; program.num_clbits()];
    for _ in 0..shots {
        if is_cancelled(cancel) {
            return Err(SimError::Cancelled);
        }
        state.clone_from(prefix);
        clbits.iter_mut().for_each(|b| *b = false);
        continue_shot(program, &mut state, next, &mut clbits, rng);
        if !qubits.is_empty() {
            state.marginal_into(&qubits, &mut weights);
            write_deferred(program, sample_once(&weights, rng.gen()), &mut clbits);
        }
        let key = program.circuit.format_clbits(&clbits);
        tally.add(&key, 1);
        if let Some(memory) = tally.memory.as_mut() {
            memory.push(key);
        }
    }
    Ok(())
}

/// Executes operations `next..` on one shot's state and classical bits.
fn continue_shot(
    program: &Program,
    state: &mut StateVector,
    next: usize,
    clbits: &mut [bool],
    rng: &mut ChaCha8Rng,
) {
    for op in &program.ops[next..] {
        if op.condition.as_ref().is_some_and(|c| !c.holds(clbits)) {
            continue;
        }
        match &op.kind {
            Kind::Gate { matrix, qubits } => state.apply(matrix, qubits),
            Kind::Measure { deferred: true, .. } => {}
            Kind::Measure { qubit, clbit, deferred: false } => {
                clbits[*clbit] = state.measure(*qubit, rng.gen())
            }
            Kind::Reset { qubit } => state.reset(*qubit, rng.gen()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(shots: u64, seed: u64) -> RunConfig {
        RunConfig {
            shots,
            seed: Some(seed),
            memory: true,
            backend: Backend::Reference,
            ..RunConfig::default()
        }
    }

    #[test]
    fn deterministic_circuit_gives_one_key() {
        let c = Circuit::with_clbits(3, 3).x(0).x(2).measure(0, 0).measure(1, 1).measure(2, 2);
        let r = run_reference(&c, &config(10, 1)).unwrap();
        assert_eq!(r.counts, BTreeMap::from([("101".to_string(), 10)]));
        assert_eq!(r.memory.unwrap(), vec!["101"; 10]);
        assert_eq!((r.shots, r.seed, r.num_qubits, r.num_clbits), (10, 1, 3, 3));
    }

    #[test]
    fn per_shot_path_reproduces_and_matches_collapse() {
        // h; measure; then x on the same qubit: c[1] is always the opposite of c[0].
        let c = Circuit::with_clbits(1, 2).h(0).measure(0, 0).x(0).measure(0, 1);
        let a = run_reference(&c, &config(2000, 42)).unwrap();
        let b = run_reference(&c, &config(2000, 42)).unwrap();
        assert_eq!(a, RunResult { time_taken: a.time_taken, ..b.clone() });
        assert_eq!(a.counts.keys().collect::<Vec<_>>(), vec!["01", "10"]);
        let ones = a.counts["01"] as f64;
        assert!((ones - 1000.0).abs() < 5.0 * 22.4, "{:?}", a.counts);
    }

    #[test]
    fn shots_are_validated_before_work() {
        let c = Circuit::with_clbits(1, 1).measure(0, 0);
        let cfg = |shots| RunConfig { shots, ..RunConfig::default() };
        assert_eq!(run_reference(&c, &cfg(0)).unwrap_err(), SimError::NoShots);
        assert_eq!(
            run_reference(&c, &cfg(MAX_SHOTS + 1)).unwrap_err().to_string(),
            "10000001 shots requested but at most 10000000 are allowed in one run"
        );
        let c = Circuit::with_clbits(1, 20).measure(0, 0);
        let err = run_reference(
            &c,
            &RunConfig { shots: MAX_SHOTS, memory: true, ..RunConfig::default() },
        )
        .unwrap_err();
        assert_eq!(
            err,
            SimError::MemoryOutputTooLarge {
                shots: MAX_SHOTS,
                width: 20,
                max_chars: MAX_MEMORY_CHARS
            }
        );
    }

    #[test]
    fn unmeasured_circuit_has_no_counts() {
        let r = run_reference(&Circuit::with_clbits(2, 2).h(0), &config(5, 3)).unwrap();
        assert!(r.counts.is_empty());
        assert_eq!(r.memory, Some(vec![]));
    }

    #[test]
    fn final_state_sampling_stops_when_cancelled() {
        // The run checks the flag before sampling too, so call the sampler
        // directly with a flag that is already set.
        let c = Circuit::with_clbits(2, 2).h(0).h(1).measure(0, 0).measure(1, 1);
        let program = Program::lower(&c).unwrap();
        let mut state = StateVector::new(2, 0.0).unwrap();
        assert_eq!(simulate_prefix(&program, &mut state), program.ops.len());
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut tally = Tally::new(true, 10_000);
        let set = AtomicBool::new(true);
        let r =
            sample_final_state(&program, state.clone(), 10_000, &mut rng, &mut tally, Some(&set));
        assert_eq!(r, Err(SimError::Cancelled));
        let clear = AtomicBool::new(false);
        let mut tally = Tally::new(false, 10_000);
        sample_final_state(&program, state, 10_000, &mut rng, &mut tally, Some(&clear)).unwrap();
        assert_eq!(tally.counts.values().sum::<u64>(), 10_000);
    }

    #[test]
    fn reset_of_a_fresh_qubit_stays_in_the_prefix() {
        let c = Circuit::with_clbits(1, 1).reset(0).h(0).measure(0, 0);
        let p = Program::lower(&c).unwrap();
        let mut s = StateVector::new(1, 0.0).unwrap();
        assert_eq!(simulate_prefix(&p, &mut s), p.ops.len());
    }
}
