//! Quantum trajectories: noisy circuits on state vectors, one shot at a time.
//!
//! Each shot evolves a pure state through the circuit with the same
//! [`NoiseModel`] semantics as the density-matrix simulator. At a channel,
//! one Kraus operator `K_i` is drawn with probability `‖K_i ψ‖²` (computed
//! from the reduced density matrix of the channel's qubits, so `ψ` is not
//! copied), applied, and the state renormalised; channels that are mixtures
//! of unitaries (Pauli, depolarizing) draw their unitary from fixed
//! probabilities without looking at the state. Averaged over shots this is
//! the density-matrix evolution, at the memory cost of a state vector.
//!
//! Gates and Kraus operators run on the fast engine's dense kernels (matrices
//! reordered to ascending qubits once, before the shots); qubits no operation
//! touches are left out of the state. Operations before
//! the first random event are simulated once and copied into every shot.
//! Shot `s` draws from its own ChaCha8 stream (`seed`, stream `s`), so
//! results do not depend on the number of threads; small states run many
//! shots in parallel, large ones run shots in turn with parallel kernels.

use std::collections::BTreeMap;
use std::time::Instant;

use qv_circuit::matrix::{deposit_bits, extract_bits};
use qv_circuit::{Circuit, Matrix, C64};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::backend::Backend;
use crate::error::SimError;
use crate::fast::kernels::{self, PARALLEL_THRESHOLD};
use crate::memory::{self, available_memory_bytes};
use crate::noise::{attach, Applied, Channel, Compaction, OpNoise, ReadoutError};
use crate::program::{Cond, Kind, Program};
use crate::run::{check_shots, RunConfig, RunResult};
use crate::sample::sample_once;

/// A matrix on ascending qubits, ready for the dense kernel.
#[derive(Debug)]
struct Sorted {
    qubits: Vec<usize>,
    matrix: Vec<C64>,
}

impl Sorted {
    fn new(m: &Matrix, qubits: &[usize]) -> Self {
        let mut sorted = qubits.to_vec();
        sorted.sort_unstable();
        let local: Vec<usize> =
            qubits.iter().map(|q| sorted.iter().position(|s| s == q).unwrap_or(0)).collect();
        let matrix = m.embed(&local, qubits.len()).data().to_vec();
        Sorted { qubits: sorted, matrix }
    }
}

/// How a channel is drawn.
#[derive(Debug)]
enum Draw {
    /// Unitaries with fixed probabilities (`None` = identity, nothing to do).
    Mixture { probabilities: Vec<f64>, unitaries: Vec<Option<Sorted>> },
    /// Kraus operators with their effects `K†K` (both on ascending qubits).
    Kraus { ops: Vec<Sorted>, effects: Vec<Vec<C64>> },
}

#[derive(Debug)]
enum Action {
    Gate(Sorted),
    Channel(Draw),
    Measure { qubit: usize, clbit: usize, readout: Option<ReadoutError> },
    Reset { qubit: usize },
}

#[derive(Debug)]
struct Step {
    action: Action,
    cond: Option<Cond>,
}

impl Step {
    /// Whether a shot may differ from another here.
    fn is_random(&self) -> bool {
        self.cond.is_some() || !matches!(self.action, Action::Gate(_))
    }
}

fn draw_of(applied: &Applied) -> Draw {
    let channel: &Channel = &applied.channel;
    let qubits = &applied.qubits;
    match channel.unitary_mixture() {
        Some(mix) => {
            let id = Matrix::identity(1 << qubits.len());
            Draw::Mixture {
                probabilities: mix.iter().map(|(p, _)| *p).collect(),
                unitaries: mix
                    .iter()
                    .map(|(_, u)| (u.max_diff(&id) != 0.0).then(|| Sorted::new(u, qubits)))
                    .collect(),
            }
        }
        None => {
            let ops: Vec<Sorted> =
                channel.kraus_operators().iter().map(|k| Sorted::new(k, qubits)).collect();
            let effects = ops
                .iter()
                .map(|s| {
                    let k = Matrix::from_vec(1 << qubits.len(), s.matrix.clone());
                    k.dagger().mul(&k).data().to_vec()
                })
                .collect();
            Draw::Kraus { ops, effects }
        }
    }
}

/// The steps of `program` with `noise[i]` placed on `program.ops[i]`.
fn lower(program: &Program, noise: &[OpNoise]) -> Vec<Step> {
    let mut steps = Vec::new();
    for (op, noise) in program.ops.iter().zip(noise) {
        let cond = op.condition.clone();
        let channels = |list: &[Applied], steps: &mut Vec<Step>| {
            for a in list {
                steps.push(Step { action: Action::Channel(draw_of(a)), cond: cond.clone() });
            }
        };
        match &op.kind {
            Kind::Gate { matrix, qubits } => {
                steps.push(Step {
                    action: Action::Gate(Sorted::new(matrix, qubits)),
                    cond: cond.clone(),
                });
                channels(&noise.after, &mut steps);
            }
            Kind::Reset { qubit } => {
                steps.push(Step { action: Action::Reset { qubit: *qubit }, cond: cond.clone() });
                channels(&noise.after, &mut steps);
            }
            Kind::Measure { qubit, clbit, deferred } => {
                channels(&noise.before, &mut steps);
                if !deferred {
                    let action =
                        Action::Measure { qubit: *qubit, clbit: *clbit, readout: noise.readout };
                    steps.push(Step { action, cond: cond.clone() });
                }
            }
        }
    }
    steps
}

/// Counts and (optionally) per-shot keys of a range of shots.
type Tally = (BTreeMap<String, u64>, Option<Vec<String>>);

/// One shot's pure state.
struct Shot {
    amps: Vec<C64>,
    num_qubits: usize,
    clbits: Vec<bool>,
    threads: usize,
    /// A Kraus matrix scaled for renormalisation.
    scratch: Vec<C64>,
}

impl Shot {
    fn apply(&mut self, s: &Sorted) {
        kernels::apply_dense(
            &mut self.amps,
            self.num_qubits,
            &s.qubits,
            &[],
            &s.matrix,
            self.threads,
        );
    }

    /// Reduced density matrix of ascending `qubits` (row-major, `2^k × 2^k`).
    fn reduced(&self, qubits: &[usize]) -> Vec<C64> {
        let d = 1usize << qubits.len();
        let offsets: Vec<usize> = (0..d).map(|j| deposit_bits(j, qubits)).collect();
        let mut rho = vec![C64::new(0.0, 0.0); d * d];
        let mut v = vec![C64::new(0.0, 0.0); d];
        for g in 0..(self.amps.len() >> qubits.len()) {
            let mut base = g;
            for &t in qubits {
                base = ((base >> t) << (t + 1)) | (base & ((1 << t) - 1));
            }
            for (x, &o) in v.iter_mut().zip(&offsets) {
                *x = self.amps[base + o];
            }
            for a in 0..d {
                for b in 0..d {
                    rho[a * d + b] += v[a] * v[b].conj();
                }
            }
        }
        rho
    }

    fn channel<R: Rng>(&mut self, draw: &Draw, rng: &mut R) {
        match draw {
            Draw::Mixture { probabilities, unitaries } => {
                if let Some(u) = &unitaries[sample_once(probabilities, rng.gen())] {
                    self.apply(u);
                }
            }
            Draw::Kraus { ops, effects } => {
                let Some(first) = ops.first() else { return };
                let rho = self.reduced(&first.qubits);
                let d = 1usize << first.qubits.len();
                // p_i = Tr(K_i† K_i ρ) = Σ_ab E[a][b] ρ[b][a].
                let weights: Vec<f64> = effects
                    .iter()
                    .map(|e| {
                        let mut t = 0.0;
                        for a in 0..d {
                            for b in 0..d {
                                t += (e[a * d + b] * rho[b * d + a]).re;
                            }
                        }
                        t.max(0.0)
                    })
                    .collect();
                let i = sample_once(&weights, rng.gen());
                // K_i/√p_i in one pass: the renormalisation rides on the matrix.
                let scale = if weights[i] > 0.0 { 1.0 / weights[i].sqrt() } else { 1.0 };
                let op = &ops[i];
                self.scratch.clear();
                self.scratch.extend(op.matrix.iter().map(|x| x * scale));
                kernels::apply_dense(
                    &mut self.amps,
                    self.num_qubits,
                    &op.qubits,
                    &[],
                    &self.scratch,
                    self.threads,
                );
            }
        }
    }

    /// Measures `qubit` and collapses; returns the outcome.
    fn measure<R: Rng>(&mut self, qubit: usize, rng: &mut R) -> bool {
        let mask = 1usize << qubit;
        let (mut w0, mut w1) = (0.0, 0.0);
        for (i, a) in self.amps.iter().enumerate() {
            if i & mask == 0 {
                w0 += a.norm_sqr();
            } else {
                w1 += a.norm_sqr();
            }
        }
        let outcome = rng.gen::<f64>() * (w0 + w1) < w1;
        let keep = if outcome { mask } else { 0 };
        let factor = 1.0 / if outcome { w1 } else { w0 }.sqrt();
        for (i, a) in self.amps.iter_mut().enumerate() {
            *a = if i & mask == keep { *a * factor } else { C64::new(0.0, 0.0) };
        }
        outcome
    }

    fn reset<R: Rng>(&mut self, qubit: usize, rng: &mut R) {
        if self.measure(qubit, rng) {
            let stride = 1usize << qubit;
            for block in self.amps.chunks_exact_mut(2 * stride) {
                let (lo, hi) = block.split_at_mut(stride);
                lo.swap_with_slice(hi);
            }
        }
    }

    fn run<R: Rng>(&mut self, steps: &[Step], rng: &mut R) {
        for step in steps {
            if step.cond.as_ref().is_some_and(|c| !c.holds(&self.clbits)) {
                continue;
            }
            match &step.action {
                Action::Gate(s) => self.apply(s),
                Action::Channel(draw) => self.channel(draw, rng),
                Action::Measure { qubit, clbit, readout } => {
                    let outcome = self.measure(*qubit, rng);
                    self.clbits[*clbit] = match readout {
                        Some(ro) => rng.gen::<f64>() < ro.probability(outcome, true),
                        None => outcome,
                    };
                }
                Action::Reset { qubit } => self.reset(*qubit, rng),
            }
        }
    }
}

/// Runs `config.shots` trajectories of `circuit` under `config.noise`.
pub fn run(circuit: &Circuit, config: &RunConfig) -> Result<RunResult, SimError> {
    let start = Instant::now();
    check_shots(circuit, config)?;
    let mut program = Program::lower(circuit)?;
    // Noise is placed on the circuit's qubits, then idle qubits are left out.
    let mut noise = attach(&program, config.noise.as_deref());
    let readout: Vec<Option<ReadoutError>> = program
        .deferred
        .iter()
        .map(|&(q, _)| config.noise.as_deref().and_then(|m| m.readout_error(q).copied()))
        .collect();
    let compaction = Compaction::of(&program);
    compaction.apply(&mut program, &mut noise);
    let n = compaction.used();
    let threads = if config.threads == 0 { rayon::current_num_threads() } else { config.threads };
    // Small states: one state per worker thread; large: one state, parallel kernels.
    let workers = if n < PARALLEL_THRESHOLD { threads.max(1) } else { 1 };
    let available = config.max_memory_bytes.or_else(available_memory_bytes);
    memory::check(n, workers as u64 + 1, 0, available)?;
    let seed = config.seed.unwrap_or_else(rand::random);
    let mut counts = BTreeMap::new();
    let mut memory = config.memory.then(Vec::new);
    if program.has_measure {
        let steps = lower(&program, &noise);
        let first = steps.iter().position(Step::is_random).unwrap_or(steps.len());
        let mut prefix = Shot {
            amps: crate::statevector::StateVector::new(n, 0.0)?.into_amplitudes(),
            num_qubits: n,
            clbits: vec![false; program.num_clbits()],
            threads: if workers > 1 { 1 } else { threads },
            scratch: Vec::new(),
        };
        // Nothing random happens before `first`: no draws are taken.
        let mut unused = ChaCha8Rng::seed_from_u64(0);
        prefix.run(&steps[..first], &mut unused);
        let shots = config.shots;
        let chunk = shots.div_ceil(workers as u64 * 4).max(1);
        let chunks: Vec<(u64, u64)> =
            (0..shots).step_by(chunk as usize).map(|s| (s, (s + chunk).min(shots))).collect();
        let keep_memory = config.memory;
        let run_chunk = |&(from, to): &(u64, u64)| -> Tally {
            let mut shot = Shot {
                amps: prefix.amps.clone(),
                num_qubits: n,
                clbits: prefix.clbits.clone(),
                threads: prefix.threads,
                scratch: Vec::new(),
            };
            let qubits: Vec<usize> = program.deferred.iter().map(|&(q, _)| q).collect();
            let mut weights = vec![0.0; 1 << qubits.len()];
            let mut tally: Tally = (BTreeMap::new(), keep_memory.then(Vec::new));
            for s in from..to {
                if config.cancelled() {
                    break;
                }
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream(s);
                shot.amps.copy_from_slice(&prefix.amps);
                shot.clbits.clone_from(&prefix.clbits);
                shot.run(&steps[first..], &mut rng);
                if !qubits.is_empty() {
                    weights.iter_mut().for_each(|w| *w = 0.0);
                    for (i, a) in shot.amps.iter().enumerate() {
                        weights[extract_bits(i, &qubits)] += a.norm_sqr();
                    }
                    let outcome = sample_once(&weights, rng.gen());
                    for (j, &(_, clbit)) in program.deferred.iter().enumerate() {
                        let actual = (outcome >> j) & 1 == 1;
                        shot.clbits[clbit] = match &readout[j] {
                            Some(ro) => rng.gen::<f64>() < ro.probability(actual, true),
                            None => actual,
                        };
                    }
                }
                let key = program.circuit.format_clbits(&shot.clbits);
                if let Some(m) = tally.1.as_mut() {
                    m.push(key.clone());
                }
                *tally.0.entry(key).or_insert(0) += 1;
            }
            tally
        };
        let tallies: Vec<Tally> = if workers > 1 {
            chunks.par_iter().map(run_chunk).collect()
        } else {
            chunks.iter().map(run_chunk).collect()
        };
        config.check_cancel()?;
        for (chunk_counts, chunk_memory) in tallies {
            config.check_cancel()?;
            for (key, c) in chunk_counts {
                *counts.entry(key).or_insert(0) += c;
            }
            if let (Some(m), Some(cm)) = (memory.as_mut(), chunk_memory) {
                m.extend(cm);
            }
        }
    }
    Ok(RunResult {
        counts,
        memory,
        shots: config.shots,
        seed,
        num_qubits: n,
        num_clbits: program.num_clbits(),
        time_taken: start.elapsed(),
        backend: Backend::Trajectories.name().to_string(),
        backend_reason: String::new(),
    })
}
