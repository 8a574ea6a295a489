//! `run` on the fast state-vector engine.
//!
//! Unitary circuits with terminal measurements run once on the engine; shots
//! are then drawn in one sweep over the state: `shots` sorted uniforms are
//! matched against the running sum of probabilities (O(2^n + shots·log shots),
//! no probability vector is materialised). Circuits whose state depends on
//! mid-circuit outcomes (measurement, reset, conditions) go to the reference
//! simulator's per-shot path, and the result says so. Drawing, counting and
//! per-shot memory look at the run's cancel flag every `CANCEL_EVERY` shots.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use num_complex::Complex;
use qv_circuit::{Circuit, C64};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::backend::{Backend, Precision};
use crate::error::SimError;
use crate::exact::{Probabilities, ProbabilitiesOver};
use crate::fast::{self, EngineConfig, FastState, FusionLimits, GateOp, Real};
use crate::memory::available_memory_bytes;
use crate::program::{Kind, Program};
use crate::run::{
    cancelled_at, check_shots, is_cancelled, run_reference, RunConfig, RunResult, CANCEL_EVERY,
};

/// Engine settings from a run configuration.
pub(crate) fn engine_config(config: &RunConfig) -> EngineConfig {
    EngineConfig {
        fusion: if config.fusion { FusionLimits::default() } else { FusionLimits::OFF },
        threads: config.threads,
    }
}

/// Checks that a state of `num_qubits` at `precision`, plus `extra` bytes, fits.
pub(crate) fn check_memory(
    num_qubits: usize,
    precision: Precision,
    extra: u64,
    max_memory_bytes: Option<u64>,
) -> Result<(), SimError> {
    let (amp, what) = match precision {
        Precision::Double => (f64::AMP_BYTES, "complex128 state vector"),
        Precision::Single => (f32::AMP_BYTES, "complex64 state vector"),
    };
    let needed = u32::try_from(num_qubits)
        .ok()
        .and_then(|n| 1u64.checked_shl(n))
        .and_then(|len| len.checked_mul(amp))
        .and_then(|b| b.checked_add(extra))
        .filter(|&b| b <= isize::MAX as u64)
        .ok_or(SimError::TooManyQubits { num_qubits })?;
    match max_memory_bytes.or_else(available_memory_bytes) {
        Some(available) if needed > available => {
            Err(SimError::TooLargeFor { needed, available, num_qubits, what })
        }
        _ => Ok(()),
    }
}

/// The gates of a lowered program, for the engine.
pub(crate) fn gate_ops(program: &Program) -> Vec<GateOp> {
    program
        .ops
        .iter()
        .filter_map(|op| match &op.kind {
            Kind::Gate { matrix, qubits } => {
                Some(GateOp { matrix: matrix.clone(), qubits: qubits.clone() })
            }
            _ => None,
        })
        .collect()
}

/// Qubits that no gate touches stay |0⟩, so the engine simulates only the
/// others (a circuit transpiled to a 127-qubit device may use a handful).
pub(crate) struct Compaction {
    /// `index[q]`: the engine qubit of circuit qubit `q`, `None` if idle.
    index: Vec<Option<usize>>,
    /// Number of engine qubits.
    used: usize,
}

impl Compaction {
    fn of(program: &Program) -> Self {
        let mut index = vec![None; program.num_qubits()];
        for op in &program.ops {
            if let Kind::Gate { qubits, .. } = &op.kind {
                for &q in qubits {
                    index[q] = Some(0);
                }
            }
        }
        let mut used = 0;
        for slot in index.iter_mut().flatten() {
            *slot = used;
            used += 1;
        }
        Compaction { index, used }
    }

    /// The program's gates on engine qubits.
    fn gates(&self, program: &Program) -> Vec<GateOp> {
        let mut gates = gate_ops(program);
        for g in &mut gates {
            for q in &mut g.qubits {
                *q = self.index[*q].expect("gate qubits are used");
            }
        }
        gates
    }

    /// Bit of circuit qubit `q` in the engine state's physical index `i`.
    #[inline]
    fn bit(&self, layout: &[usize], i: usize, q: usize) -> bool {
        self.index[q].is_some_and(|k| (i >> layout[k]) & 1 == 1)
    }
}

/// Runs on the fast engine (or, for dynamic circuits, the reference per-shot path).
pub(crate) fn run(circuit: &Circuit, config: &RunConfig) -> Result<RunResult, SimError> {
    let start = Instant::now();
    check_shots(circuit, config)?;
    let program = Program::lower(circuit)?;
    if program.is_stochastic() {
        let mut result = run_reference(circuit, config)?;
        result.backend = Backend::Reference.name().to_string();
        result.backend_reason =
            "reference: the state depends on mid-circuit measurement, reset or \
                                 conditions, which the reference simulator runs shot by shot"
                .to_string();
        return Ok(result);
    }
    let n = program.num_qubits();
    let compaction = Compaction::of(&program);
    // Sampling holds one uniform and one shot index per shot.
    let extra = if program.has_measure { config.shots.saturating_mul(16) } else { 0 };
    check_memory(compaction.used, config.precision, extra, config.max_memory_bytes)?;
    let seed = config.seed.unwrap_or_else(rand::random);
    let engine = engine_config(config);
    let (counts, memory) = match config.precision {
        Precision::Double => sample::<f64>(&program, &compaction, &engine, config, seed)?,
        Precision::Single => sample::<f32>(&program, &compaction, &engine, config, seed)?,
    };
    Ok(RunResult {
        counts,
        memory,
        shots: config.shots,
        seed,
        num_qubits: n,
        num_clbits: program.num_clbits(),
        time_taken: start.elapsed(),
        backend: Backend::Statevector.name().to_string(),
        backend_reason: String::new(),
    })
}

type Tally = (std::collections::BTreeMap<String, u64>, Option<Vec<String>>);

fn sample<F: Real>(
    program: &Program,
    compaction: &Compaction,
    engine: &EngineConfig,
    config: &RunConfig,
    seed: u64,
) -> Result<Tally, SimError> {
    let state = simulate_compacted::<F>(program, compaction, engine, config.cancel.as_deref())?;
    let mut counts = std::collections::BTreeMap::new();
    let mut memory = config.memory.then(Vec::new);
    if !program.has_measure {
        return Ok((counts, memory));
    }
    let cancel = config.cancel.as_deref();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let outcomes = draw(&state, config.shots as usize, &mut rng, cancel)?;
    let mut clbits = vec![false; program.num_clbits()];
    let layout = state.layout();
    let mut key_of = |index: usize| {
        clbits.iter_mut().for_each(|b| *b = false);
        for &(q, c) in &program.deferred {
            clbits[c] = compaction.bit(layout, index, q);
        }
        program.circuit.format_clbits(&clbits)
    };
    let mut per_index: HashMap<usize, u64> = HashMap::new();
    for (s, &i) in outcomes.iter().enumerate() {
        if cancelled_at(s, cancel) {
            return Err(SimError::Cancelled);
        }
        *per_index.entry(i).or_insert(0) += 1;
    }
    let mut keys: HashMap<usize, String> = HashMap::with_capacity(per_index.len());
    for (k, &i) in per_index.keys().enumerate() {
        if cancelled_at(k, cancel) {
            return Err(SimError::Cancelled);
        }
        keys.insert(i, key_of(i));
    }
    for (i, times) in per_index {
        *counts.entry(keys[&i].clone()).or_insert(0) += times;
    }
    if let Some(memory) = memory.as_mut() {
        memory.reserve(outcomes.len());
        for (s, i) in outcomes.iter().enumerate() {
            if cancelled_at(s, cancel) {
                return Err(SimError::Cancelled);
            }
            memory.push(keys[i].clone());
        }
    }
    Ok((counts, memory))
}

/// Runs the program's gates on its used qubits only.
fn simulate_compacted<F: Real>(
    program: &Program,
    compaction: &Compaction,
    engine: &EngineConfig,
    cancel: Option<&AtomicBool>,
) -> Result<FastState<F>, SimError> {
    let n = compaction.used;
    let gates = compaction.gates(program);
    fast::simulate_gates_until::<F>(&gates, n, program.circuit.global_phase, engine, cancel)
        .map_err(|_| SimError::AllocationFailed { bytes: F::AMP_BYTES << n })?
        .ok_or(SimError::Cancelled)
}

/// Exact outcome probabilities on the configured backend: the fast engine
/// (on the used qubits only) for [`Backend::Auto`] and
/// [`Backend::Statevector`] when the state does not depend on mid-circuit
/// outcomes, the reference simulator's exact walk otherwise. Same result
/// shape as [`crate::probabilities`].
pub fn probabilities_with(
    circuit: &Circuit,
    config: &RunConfig,
) -> Result<Probabilities, SimError> {
    let program = Program::lower(circuit)?;
    // Keys are packed into a u128 while accumulating.
    let key_width = if program.has_measure { program.deferred.len() } else { program.num_qubits() };
    let wide = key_width > 128;
    if !matches!(config.backend, Backend::Auto | Backend::Statevector)
        || program.is_stochastic()
        || wide
    {
        return crate::exact::probabilities(circuit);
    }
    let compaction = Compaction::of(&program);
    check_memory(compaction.used, config.precision, 0, config.max_memory_bytes)?;
    let engine = engine_config(config);
    match config.precision {
        Precision::Double => exact_distribution::<f64>(&program, &compaction, &engine, config),
        Precision::Single => exact_distribution::<f32>(&program, &compaction, &engine, config),
    }
}

fn exact_distribution<F: Real>(
    program: &Program,
    compaction: &Compaction,
    engine: &EngineConfig,
    config: &RunConfig,
) -> Result<Probabilities, SimError> {
    let state = simulate_compacted::<F>(program, compaction, engine, config.cancel.as_deref())?;
    let layout = state.layout().to_vec();
    let n = program.num_qubits();
    // Measured (or, with no measurement, all) circuit qubits, in key-bit order.
    let bits: Vec<usize> = if program.has_measure {
        program.deferred.iter().map(|&(q, _)| q).collect()
    } else {
        (0..n).collect()
    };
    let mut mass: HashMap<u128, f64> = HashMap::new();
    let key_bits = |i: usize| -> u128 {
        bits.iter()
            .enumerate()
            .fold(0u128, |acc, (k, &q)| acc | ((compaction.bit(&layout, i, q) as u128) << k))
    };
    for (i, a) in state.live_amplitudes().iter().enumerate() {
        let p = C64::new(a.re.to_f64(), a.im.to_f64()).norm_sqr();
        if p > 0.0 {
            *mass.entry(key_bits(i)).or_insert(0.0) += p;
        }
    }
    let mut clbits = vec![false; program.num_clbits()];
    let mut values: Vec<(String, f64)> = mass
        .into_iter()
        .filter(|&(_, p)| p > crate::run::ZERO_PROBABILITY)
        .map(|(key, p)| {
            let text = if program.has_measure {
                clbits.iter_mut().for_each(|b| *b = false);
                for (k, &(_, c)) in program.deferred.iter().enumerate() {
                    clbits[c] = (key >> k) & 1 == 1;
                }
                program.circuit.format_clbits(&clbits)
            } else {
                (0..n).rev().map(|q| if (key >> q) & 1 == 1 { '1' } else { '0' }).collect()
            };
            (text, p)
        })
        .collect();
    // Several keys can coincide when two measurements write one clbit.
    values.sort_by(|a, b| a.0.cmp(&b.0));
    values.dedup_by(|later, earlier| {
        let same = later.0 == earlier.0;
        if same {
            earlier.1 += later.1;
        }
        same
    });
    let (over, width) = if program.has_measure {
        (ProbabilitiesOver::Clbits, program.num_clbits())
    } else {
        (ProbabilitiesOver::Qubits, n)
    };
    Ok(Probabilities { over, width, values })
}

/// Draws `shots` basis-state indices (physical order) from the state;
/// [`SimError::Cancelled`] once `cancel` is set.
fn draw<F: Real>(
    state: &FastState<F>,
    shots: usize,
    rng: &mut ChaCha8Rng,
    cancel: Option<&AtomicBool>,
) -> Result<Vec<usize>, SimError> {
    const CHUNK: usize = 1 << 14;
    let amps = state.live_amplitudes();
    let norm2 = |a: &Complex<F>| {
        let c = C64::new(a.re.to_f64(), a.im.to_f64());
        c.norm_sqr()
    };
    let chunk_sum = |c: &[Complex<F>]| -> f64 { c.iter().map(norm2).sum() };
    // Small states stay on this thread: waking the pool costs more than the sum.
    let chunk_sums: Vec<f64> = if amps.len() <= 4 * CHUNK {
        amps.chunks(CHUNK).map(chunk_sum).collect()
    } else {
        amps.par_chunks(CHUNK).map(chunk_sum).collect()
    };
    let total: f64 = chunk_sums.iter().sum();
    let uniforms = sorted_uniforms(shots, total, rng, cancel)?;
    let last_nonzero = amps.iter().rposition(|a| norm2(a) > 0.0).unwrap_or(0);
    let mut out = vec![0usize; shots];
    let mut next = 0;
    let mut before = 0.0;
    for (c, &sum) in chunk_sums.iter().enumerate() {
        if next == shots {
            break;
        }
        // A chunk is 2^14 amplitudes: one look per chunk.
        if is_cancelled(cancel) {
            return Err(SimError::Cancelled);
        }
        if uniforms[next].0 >= before + sum {
            before += sum;
            continue;
        }
        let mut acc = before;
        for (j, a) in amps[c * CHUNK..].iter().take(CHUNK).enumerate() {
            acc += norm2(a);
            while next < shots && uniforms[next].0 < acc {
                // All shots may land in one chunk (a GHZ state): look here too.
                if cancelled_at(next, cancel) {
                    return Err(SimError::Cancelled);
                }
                out[uniforms[next].1] = c * CHUNK + j;
                next += 1;
            }
        }
        before += sum;
    }
    // Rounding can leave draws at the very top: they take the last possible outcome.
    for &(_, s) in &uniforms[next..] {
        out[s] = last_nonzero;
    }
    Ok(out)
}

/// `shots` draws `(r·total, shot)` with `r` uniform in `[0, 1)`, sorted by
/// value: the same as drawing them in shot order and sorting, but by buckets
/// of `r` (about `CANCEL_EVERY` draws each, since `r` is uniform) so that the
/// sort is O(shots) and stops between buckets when `cancel` is set. The draws
/// are generated twice from the same stream: once to size the buckets, once to
/// fill them, so no second buffer is needed.
fn sorted_uniforms(
    shots: usize,
    total: f64,
    rng: &mut ChaCha8Rng,
    cancel: Option<&AtomicBool>,
) -> Result<Vec<(f64, usize)>, SimError> {
    let buckets = shots.div_ceil(CANCEL_EVERY).max(1);
    // Monotone in r, so bucket order is value order.
    let bucket = |r: f64| ((r * buckets as f64) as usize).min(buckets - 1);
    let mut start = vec![0usize; buckets + 1];
    let mut sizing = rng.clone();
    for s in 0..shots {
        if cancelled_at(s, cancel) {
            return Err(SimError::Cancelled);
        }
        start[bucket(sizing.gen::<f64>()) + 1] += 1;
    }
    for b in 0..buckets {
        start[b + 1] += start[b];
    }
    let mut fill = start.clone();
    let mut uniforms = vec![(0.0, 0usize); shots];
    for s in 0..shots {
        if cancelled_at(s, cancel) {
            return Err(SimError::Cancelled);
        }
        let r = rng.gen::<f64>();
        let b = bucket(r);
        uniforms[fill[b]] = (r * total, s);
        fill[b] += 1;
    }
    for (b, w) in start.windows(2).enumerate() {
        if cancelled_at(b, cancel) {
            return Err(SimError::Cancelled);
        }
        uniforms[w[0]..w[1]].sort_unstable_by(|x, y| x.0.total_cmp(&y.0));
    }
    Ok(uniforms)
}

/// The final state in logical order on the fast engine (complex128 output).
pub(crate) fn final_state(program: &Program, config: &RunConfig) -> Result<Vec<C64>, SimError> {
    let n = program.num_qubits();
    check_memory(n, config.precision, 0, config.max_memory_bytes)?;
    let engine = engine_config(config);
    let gates = gate_ops(program);
    let phase = program.circuit.global_phase;
    let alloc = |_| SimError::AllocationFailed { bytes: 16 << n };
    let cancel = config.cancel.as_deref();
    Ok(match config.precision {
        Precision::Double => fast::simulate_gates_until::<f64>(&gates, n, phase, &engine, cancel)
            .map_err(alloc)?
            .ok_or(SimError::Cancelled)?
            .into_logical(&engine),
        Precision::Single => fast::simulate_gates_until::<f32>(&gates, n, phase, &engine, cancel)
            .map_err(alloc)?
            .ok_or(SimError::Cancelled)?
            .into_logical(&engine)
            .into_iter()
            .map(|a| C64::new(a.re as f64, a.im as f64))
            .collect(),
    })
}

/// The final state of `circuit` on the configured backend: the fast engine
/// for [`Backend::Auto`] and [`Backend::Statevector`], the reference simulator
/// otherwise and for circuits the engine does not take (see
/// [`crate::statevector`] for what has a final state).
pub fn statevector_with(circuit: &Circuit, config: &RunConfig) -> Result<Vec<C64>, SimError> {
    let program = Program::lower(circuit)?;
    match config.backend {
        Backend::Auto | Backend::Statevector if !program.is_stochastic() => {
            final_state(&program, config)
        }
        _ => crate::exact::statevector(circuit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawing_stops_when_cancelled() {
        let cfg = EngineConfig::default();
        let h = GateOp { matrix: qv_circuit::StandardGate::H.matrix(&[]), qubits: vec![0] };
        let state = fast::simulate_gates::<f64>(&[h], 3, 0.0, &cfg).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let set = AtomicBool::new(true);
        assert_eq!(draw(&state, 5000, &mut rng, Some(&set)), Err(SimError::Cancelled));
        let clear = AtomicBool::new(false);
        let got = draw(&state, 5000, &mut rng, Some(&clear)).unwrap();
        // |+⟩ on qubit 0 of three: only indices 0 and 1.
        assert!(got.iter().all(|&i| i < 2));
        assert!(got.contains(&0) && got.contains(&1));
    }

    #[test]
    fn bucketed_uniforms_equal_a_plain_sort() {
        for shots in [0, 1, 1000, 1025, 50_000] {
            let mut a = ChaCha8Rng::seed_from_u64(shots as u64);
            let mut b = a.clone();
            let got = sorted_uniforms(shots, 0.75, &mut a, None).unwrap();
            let mut want: Vec<(f64, usize)> =
                (0..shots).map(|s| (b.gen::<f64>() * 0.75, s)).collect();
            want.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
            // Equal values may come in either order; values are distinct here.
            assert_eq!(got, want, "shots={shots}");
            // The stream continues where drawing in shot order would leave it.
            assert_eq!(a.gen::<u64>(), b.gen::<u64>());
        }
        let set = AtomicBool::new(true);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(sorted_uniforms(10, 1.0, &mut rng, Some(&set)), Err(SimError::Cancelled));
    }
}
