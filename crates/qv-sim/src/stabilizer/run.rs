//! Sampling shots of a Clifford circuit: [`Sampler`] and [`run`].
//!
//! A [`Sampler`] is compiled once per circuit (like Stim's
//! `compile_sampler`): the circuit is lowered and checked, one reference shot
//! is simulated on the tableau, and the result is a frame program. Shots are
//! then taken in batches of `BATCH_SHOTS`, each batch on its own generator
//! (seeded from the run seed and the batch index, so a seed gives the same
//! shots whatever the thread count), batches spread over threads with rayon.
//! Circuits with classically conditioned non-Pauli operations cannot be
//! expressed as frames; they fall back to simulating each shot on its own
//! tableau, still in the same batches.
//!
//! The run's cancel flag is checked per operation of the reference shot, per
//! batch, within long batches (every few thousand frame ops, or per operation
//! on the per-shot path) and while merging and formatting counts; a cancelled
//! run returns [`SimError::Cancelled`] and no partial result.

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use qv_circuit::Circuit;
use rayon::prelude::*;

use super::exec::{execute, Mode};
use super::frame::{BatchScratch, FrameProgram, OpNoise, Reference, BATCH_SHOTS};
use super::lower::{StabKind, StabProgram};
use super::noise::{self, Rng};
use super::shots::{KeyFormat, ShotBits, Tally};
use super::tableau::Tableau;
use crate::backend::Backend;
use crate::error::SimError;
use crate::memory::available_memory_bytes;
use crate::noise::NoiseModel;
use crate::run::{check_shots, is_cancelled, RunConfig, RunResult};
use crate::simd::{self, Isa};

/// How shots are produced.
#[derive(Debug)]
enum Engine {
    /// Pauli frames relative to one reference shot.
    Frames(FrameProgram),
    /// One tableau simulation per shot.
    PerShot,
}

/// A circuit compiled for repeated sampling.
#[derive(Debug)]
pub struct Sampler {
    program: StabProgram,
    noise: Vec<OpNoise>,
    engine: Engine,
}

impl Sampler {
    /// Compiles a noiseless sampler; fails on non-Clifford gates.
    pub fn new(circuit: &Circuit) -> Result<Self, SimError> {
        Self::with_noise(circuit, None, None)
    }

    /// Compiles a sampler with the Pauli channels and readout errors of
    /// `noise` (any other channel is refused). `max_memory_bytes` bounds the
    /// tableau (default: the memory the machine reports as available).
    pub fn with_noise(
        circuit: &Circuit,
        noise: Option<&NoiseModel>,
        max_memory_bytes: Option<u64>,
    ) -> Result<Self, SimError> {
        Self::compile(circuit, noise, max_memory_bytes, None)
    }

    /// [`Sampler::with_noise`], stopping the reference shot with
    /// [`SimError::Cancelled`] when `cancel` is set.
    fn compile(
        circuit: &Circuit,
        noise: Option<&NoiseModel>,
        max_memory_bytes: Option<u64>,
        cancel: Option<&AtomicBool>,
    ) -> Result<Self, SimError> {
        let program = StabProgram::lower(circuit)?;
        let n = program.num_qubits();
        check_memory(n, program.num_clbits(), max_memory_bytes)?;
        let noise = match noise.filter(|m| !m.is_ideal()) {
            Some(model) => noise::resolve(&program, model)?,
            None => Vec::new(),
        };
        let per_shot = program.ops.iter().any(|op| op.condition.is_some() && op.pauli().is_none());
        let engine = if per_shot {
            Engine::PerShot
        } else {
            let reference = reference_run(&program, cancel).ok_or(SimError::Cancelled)?;
            Engine::Frames(FrameProgram::compile(&program, &reference, &noise))
        };
        Ok(Self { program, noise, engine })
    }

    /// Number of classical bits per shot.
    pub fn num_clbits(&self) -> usize {
        self.program.num_clbits()
    }

    /// Whether shots come from the Pauli-frame sampler (`false`: one tableau
    /// simulation per shot, for classically conditioned non-Pauli operations).
    pub fn uses_frames(&self) -> bool {
        matches!(self.engine, Engine::Frames(_))
    }

    /// Takes `shots` shots, returning their classical bits packed shot-major
    /// (`shots × ceil(clbits / 64)` words, allocated up front and checked
    /// against the available memory). `threads`: 0 uses every core.
    pub fn sample(&self, shots: usize, seed: u64, threads: usize) -> Result<ShotBits, SimError> {
        let words = self.num_clbits().div_ceil(64);
        let len = shots.checked_mul(words).filter(|&l| l <= isize::MAX as usize / 8);
        let needed = (shots as u64).saturating_mul(words as u64).saturating_mul(8);
        let available = available_memory_bytes();
        let Some(len) = len.filter(|_| available.is_none_or(|a| needed <= a)) else {
            return Err(SimError::TooLargeFor {
                needed,
                available: available.unwrap_or(isize::MAX as u64),
                num_qubits: self.program.num_qubits(),
                what: "packed samples",
            });
        };
        let mut data = vec![0u64; len];
        let isa = simd::active();
        if words > 0 && (threads == 1 || shots <= BATCH_SHOTS) {
            // Inline: a thread pool costs more than one batch of work.
            let mut scratch = BatchScratch::default();
            for (b, chunk) in data.chunks_mut(BATCH_SHOTS * words).enumerate() {
                self.run_batch(isa, &mut Rng::new(seed, b as u64), &mut scratch, chunk, None);
            }
        } else if words > 0 {
            in_pool(threads, || {
                data.par_chunks_mut(BATCH_SHOTS * words).enumerate().for_each_init(
                    BatchScratch::default,
                    |scratch, (b, chunk)| {
                        self.run_batch(isa, &mut Rng::new(seed, b as u64), scratch, chunk, None);
                    },
                )
            });
        }
        Ok(ShotBits::new(shots, self.num_clbits(), data))
    }

    /// Tallies `shots` shots batch by batch (counts, and memory in shot order).
    /// Once `cancel` turns true, batches stop (checked per batch and within
    /// one) and the result is [`SimError::Cancelled`].
    fn tally(
        &self,
        shots: usize,
        seed: u64,
        threads: usize,
        memory: Option<&KeyFormat>,
        cancel: Option<&AtomicBool>,
    ) -> Result<Tally, SimError> {
        let words = self.num_clbits().div_ceil(64);
        let count = shots.div_ceil(BATCH_SHOTS);
        let isa = simd::active();
        let one = |(scratch, rows): &mut (BatchScratch, Vec<u64>), b: usize| {
            if is_cancelled(cancel) {
                return Tally::default();
            }
            let valid = (shots - b * BATCH_SHOTS).min(BATCH_SHOTS);
            rows.clear();
            rows.resize(valid * words, 0);
            if !self.run_batch(isa, &mut Rng::new(seed, b as u64), scratch, rows, cancel) {
                return Tally::default();
            }
            Tally::of_rows(rows, words, valid, memory)
        };
        // One thread or one batch: inline, since building a pool (threads
        // spawned and joined per run) costs more than a small run. Batches
        // are seeded by index, so the shots are the same either way.
        let parts: Vec<Tally> = if threads == 1 || count <= 1 {
            let mut state = (BatchScratch::default(), Vec::new());
            (0..count).map(|b| one(&mut state, b)).collect()
        } else {
            in_pool(threads, || {
                (0..count)
                    .into_par_iter()
                    .map_init(|| (BatchScratch::default(), Vec::new()), one)
                    .collect()
            })
        };
        let mut total = Tally { memory: memory.map(|_| Vec::new()), ..Tally::default() };
        // Merging a million distinct outcomes takes a while too.
        for part in parts {
            if is_cancelled(cancel) {
                break;
            }
            total = total.merge(part);
        }
        if is_cancelled(cancel) {
            return Err(SimError::Cancelled);
        }
        Ok(total)
    }

    /// One batch of shots into `out` (see [`FrameProgram::run_batch`]);
    /// `false` when `cancel` stopped it.
    fn run_batch(
        &self,
        isa: Isa,
        rng: &mut Rng,
        scratch: &mut BatchScratch,
        out: &mut [u64],
        cancel: Option<&AtomicBool>,
    ) -> bool {
        match &self.engine {
            Engine::Frames(frames) => frames.run_batch(isa, rng, scratch, out, cancel),
            Engine::PerShot => {
                let (n, c) = (self.program.num_qubits(), self.num_clbits());
                let words = c.div_ceil(64);
                let mut clbits = vec![false; c];
                for row in out.chunks_exact_mut(words) {
                    // Each shot is a whole tableau simulation.
                    if is_cancelled(cancel) {
                        return false;
                    }
                    clbits.fill(false);
                    let mut tab = Tableau::new(n);
                    let mode = Mode::Shot(rng);
                    if !execute(&self.program, &self.noise, &mut tab, &mut clbits, mode, cancel) {
                        return false;
                    }
                    row.fill(0);
                    for (j, _) in clbits.iter().enumerate().filter(|(_, &b)| b) {
                        row[j / 64] |= 1 << (j % 64);
                    }
                }
                true
            }
        }
    }
}

/// The reference shot: random outcomes 0, no noise; `None` when cancelled.
fn reference_run(program: &StabProgram, cancel: Option<&AtomicBool>) -> Option<Reference> {
    let mut reference =
        Reference { outcomes: vec![false; program.ops.len()], held: vec![true; program.ops.len()] };
    let mut tab = Tableau::new(program.num_qubits());
    let mut clbits = vec![false; program.num_clbits()];
    let mode = Mode::Reference(&mut reference);
    execute(program, &[], &mut tab, &mut clbits, mode, cancel).then_some(reference)
}

/// Runs `f` on a pool of `threads` threads (0: rayon's global pool).
fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    if threads == 0 {
        return f();
    }
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(f),
        Err(_) => f(),
    }
}

/// Refuses tableaux (four padded `n`×`n` bit tables) that do not fit.
fn check_memory(n: usize, clbits: usize, max_memory_bytes: Option<u64>) -> Result<(), SimError> {
    let batch = (2 * n + clbits) as u64 * (BATCH_SHOTS as u64 / 8) * 2;
    let needed = Tableau::bytes_for(n).saturating_add(batch);
    match max_memory_bytes.or_else(available_memory_bytes) {
        Some(available) if needed > available => Err(SimError::TooLargeFor {
            needed,
            available,
            num_qubits: n,
            what: "stabilizer tableau",
        }),
        _ => Ok(()),
    }
}

/// Runs `config.shots` shots of a Clifford circuit on the stabilizer backend,
/// with the Pauli noise of `config.noise` if set.
pub fn run(circuit: &Circuit, config: &RunConfig) -> Result<RunResult, SimError> {
    let start = Instant::now();
    check_shots(circuit, config)?;
    let cancel = config.cancel.as_deref();
    let sampler =
        Sampler::compile(circuit, config.noise.as_deref(), config.max_memory_bytes, cancel)?;
    let seed = config.seed.unwrap_or_else(rand::random);
    let has_measure =
        sampler.program.ops.iter().any(|op| matches!(op.kind, StabKind::Measure { .. }));
    let format = KeyFormat::new(&sampler.program.cregs);
    let tally = if has_measure {
        let shots = usize::try_from(config.shots).unwrap_or(usize::MAX);
        let memory = config.memory.then_some(&format);
        sampler.tally(shots, seed, config.threads, memory, cancel)?
    } else {
        Tally { memory: config.memory.then(Vec::new), ..Tally::default() }
    };
    check_counts_size(&tally, format.width(), circuit.num_qubits(), config.max_memory_bytes)?;
    // Few distinct outcomes (or one thread): format them here, without a pool.
    let counts = if config.threads == 1 || tally.counts.len() <= 4096 {
        tally.keyed_counts_sequential(&format, cancel)?
    } else {
        in_pool(config.threads, || tally.keyed_counts(&format, cancel))?
    };
    Ok(RunResult {
        counts,
        memory: tally.memory,
        shots: config.shots,
        seed,
        num_qubits: circuit.num_qubits(),
        num_clbits: circuit.num_clbits(),
        time_taken: start.elapsed(),
        backend: Backend::Stabilizer.name().to_string(),
        backend_reason: String::new(),
    })
}

/// Refuses to format more distinct outcomes than memory holds.
fn check_counts_size(
    tally: &Tally,
    width: usize,
    num_qubits: usize,
    max_memory_bytes: Option<u64>,
) -> Result<(), SimError> {
    // Each entry: the key's characters plus String and tree node overhead.
    let needed = (tally.counts.len() as u64).saturating_mul(width as u64 + 64);
    match max_memory_bytes.or_else(available_memory_bytes) {
        Some(available) if needed > available => Err(SimError::TooLargeFor {
            needed,
            available,
            num_qubits,
            what: "counts of every distinct outcome",
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` qubits in |+⟩, measured into `n` clbits: every shot a new outcome.
    /// (Measurements in one run share a tableau transposition.)
    fn plus_state(n: usize) -> Circuit {
        let c = (0..n).fold(Circuit::with_clbits(n, n), |c, q| c.h(q));
        (0..n).fold(c, |c, q| c.measure(q, q))
    }

    // `run` checks the flag before sampling, so these call the loops directly
    // with a flag that is already set: each must notice it.

    #[test]
    fn the_reference_shot_stops_when_cancelled() {
        let set = AtomicBool::new(true);
        let got = Sampler::compile(&plus_state(8), None, None, Some(&set));
        assert_eq!(got.unwrap_err(), SimError::Cancelled);
        let clear = AtomicBool::new(false);
        assert!(Sampler::compile(&plus_state(8), None, None, Some(&clear)).unwrap().uses_frames());
    }

    #[test]
    fn tally_stops_when_cancelled() {
        let sampler = Sampler::new(&plus_state(8)).unwrap();
        let set = AtomicBool::new(true);
        for threads in [1, 2] {
            let got = sampler.tally(10 * BATCH_SHOTS, 1, threads, None, Some(&set));
            assert_eq!(got.unwrap_err(), SimError::Cancelled, "threads={threads}");
        }
        let clear = AtomicBool::new(false);
        let got = sampler.tally(3 * BATCH_SHOTS, 1, 2, None, Some(&clear)).unwrap();
        assert_eq!(got.counts.values().sum::<u64>(), 3 * BATCH_SHOTS as u64);
    }

    #[test]
    fn a_long_frame_batch_stops_within_itself() {
        // 2 × 5000 frame ops: past the first look at the flag.
        let sampler = Sampler::new(&plus_state(5000)).unwrap();
        assert!(sampler.uses_frames());
        let mut out = vec![0u64; BATCH_SHOTS * 5000usize.div_ceil(64)];
        let mut scratch = BatchScratch::default();
        let isa = simd::active();
        let set = AtomicBool::new(true);
        let rng = &mut Rng::new(1, 0);
        assert!(!sampler.run_batch(isa, rng, &mut scratch, &mut out, Some(&set)));
        let clear = AtomicBool::new(false);
        assert!(sampler.run_batch(isa, rng, &mut scratch, &mut out, Some(&clear)));
        assert!(out.iter().any(|&w| w != 0));
    }

    #[test]
    fn per_shot_tableaux_stop_between_shots() {
        // A conditioned H needs a tableau per shot.
        let mut c = Circuit::new(2);
        let m = c.add_creg("m", 2).unwrap();
        let c = c.h(0).measure(0, 0).h(1).c_if(m, 1).measure(1, 1);
        let sampler = Sampler::new(&c).unwrap();
        assert!(!sampler.uses_frames());
        let mut out = vec![0u64; 100];
        let set = AtomicBool::new(true);
        let mut scratch = BatchScratch::default();
        let isa = simd::active();
        let rng = &mut Rng::new(1, 0);
        assert!(!sampler.run_batch(isa, rng, &mut scratch, &mut out, Some(&set)));
        assert!(out.iter().all(|&w| w == 0), "no shot was taken");
    }
}
