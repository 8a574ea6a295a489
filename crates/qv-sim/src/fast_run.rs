//! `run` on the fast state-vector engine.
//!
//! Unitary circuits with terminal measurements run once on the engine; shots
//! are then drawn in one sweep over the state: `shots` sorted uniforms are
//! matched against the running sum of probabilities (O(2^n + shots·log shots),
//! no probability vector is materialised). Circuits whose state depends on
//! mid-circuit outcomes (measurement, reset, conditions) go to the reference
//! simulator's per-shot path, and the result says so.

use std::collections::HashMap;
use std::time::Instant;

use num_complex::Complex;
use qv_circuit::{Circuit, C64};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::backend::{Backend, Precision};
use crate::error::SimError;
use crate::fast::{self, EngineConfig, FastState, FusionLimits, GateOp, Real};
use crate::memory::available_memory_bytes;
use crate::program::{Kind, Program};
use crate::run::{check_shots, run_reference, RunConfig, RunResult};

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
    // Sampling holds one uniform and one shot index per shot.
    let extra = if program.has_measure { config.shots.saturating_mul(16) } else { 0 };
    check_memory(n, config.precision, extra, config.max_memory_bytes)?;
    let seed = config.seed.unwrap_or_else(rand::random);
    let engine = engine_config(config);
    let gates = gate_ops(&program);
    let (counts, memory) = match config.precision {
        Precision::Double => sample::<f64>(&program, &gates, &engine, config, seed)?,
        Precision::Single => sample::<f32>(&program, &gates, &engine, config, seed)?,
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
    gates: &[GateOp],
    engine: &EngineConfig,
    config: &RunConfig,
    seed: u64,
) -> Result<Tally, SimError> {
    let n = program.num_qubits();
    let state = fast::simulate_gates::<F>(gates, n, program.circuit.global_phase, engine)
        .map_err(|_| SimError::AllocationFailed { bytes: F::AMP_BYTES << n })?;
    let mut counts = std::collections::BTreeMap::new();
    let mut memory = config.memory.then(Vec::new);
    if !program.has_measure {
        return Ok((counts, memory));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let outcomes = draw(&state, config.shots as usize, &mut rng);
    let mut clbits = vec![false; program.num_clbits()];
    let layout = state.layout();
    let mut key_of = |index: usize| {
        clbits.iter_mut().for_each(|b| *b = false);
        for &(q, c) in &program.deferred {
            clbits[c] = (index >> layout[q]) & 1 == 1;
        }
        program.circuit.format_clbits(&clbits)
    };
    let mut per_index: HashMap<usize, u64> = HashMap::new();
    for &i in &outcomes {
        *per_index.entry(i).or_insert(0) += 1;
    }
    let keys: HashMap<usize, String> = per_index.keys().map(|&i| (i, key_of(i))).collect();
    for (i, times) in per_index {
        *counts.entry(keys[&i].clone()).or_insert(0) += times;
    }
    if let Some(memory) = memory.as_mut() {
        memory.extend(outcomes.iter().map(|i| keys[i].clone()));
    }
    Ok((counts, memory))
}

/// Draws `shots` basis-state indices (physical order) from the state.
fn draw<F: Real>(state: &FastState<F>, shots: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    const CHUNK: usize = 1 << 14;
    let amps = state.physical_amplitudes();
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
    let mut uniforms: Vec<(f64, usize)> =
        (0..shots).map(|s| (rng.gen::<f64>() * total, s)).collect();
    uniforms.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let last_nonzero = amps.iter().rposition(|a| norm2(a) > 0.0).unwrap_or(0);
    let mut out = vec![0usize; shots];
    let mut next = 0;
    let mut before = 0.0;
    for (c, &sum) in chunk_sums.iter().enumerate() {
        if next == shots {
            break;
        }
        if uniforms[next].0 >= before + sum {
            before += sum;
            continue;
        }
        let mut acc = before;
        for (j, a) in amps[c * CHUNK..].iter().take(CHUNK).enumerate() {
            acc += norm2(a);
            while next < shots && uniforms[next].0 < acc {
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
    out
}

/// The final state in logical order on the fast engine (complex128 output).
pub(crate) fn final_state(program: &Program, config: &RunConfig) -> Result<Vec<C64>, SimError> {
    let n = program.num_qubits();
    check_memory(n, config.precision, 0, config.max_memory_bytes)?;
    let engine = engine_config(config);
    let gates = gate_ops(program);
    let phase = program.circuit.global_phase;
    let alloc = |_| SimError::AllocationFailed { bytes: 16 << n };
    Ok(match config.precision {
        Precision::Double => fast::simulate_gates::<f64>(&gates, n, phase, &engine)
            .map_err(alloc)?
            .into_logical(&engine),
        Precision::Single => fast::simulate_gates::<f32>(&gates, n, phase, &engine)
            .map_err(alloc)?
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
