//! Expectation values of Pauli-sum observables: [`expectation`].
//!
//! Exact mode (no shots) computes `⟨ψ|P|ψ⟩` for each term on the final state:
//! on the fast state-vector engine the Pauli string is applied as a bit flip
//! and a sign per amplitude, reading the state in place (O(2^n) per term, no
//! copy; the engine's qubit layout is folded into the masks). Density-matrix
//! and stabilizer backends compute their own exact values. The state is the
//! one before terminal measurements; a circuit whose state depends on
//! mid-circuit outcomes has no single state and is refused in exact mode on
//! state-vector backends.
//!
//! Shot mode estimates each term independently: the circuit (terminal
//! measurements dropped) gets basis-change gates appended (`h` for X,
//! `sdg; h` for Y), the term's qubits are measured into a fresh register,
//! and `⟨P⟩` is the mean of the ±1 parities over the shots, with standard
//! deviation `sqrt((1 − ⟨P⟩²)/shots)`. The total's standard deviation
//! combines the terms as independent: `sqrt(Σ cᵢ² σᵢ²)`.

use std::time::{Duration, Instant};

use num_complex::Complex;
use qv_circuit::{Circuit, Instruction, Operation, StandardGate, C64};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::backend::{self, Backend, Precision};
use crate::error::SimError;
use crate::fast::{self, EngineConfig, FastState, FusionLimits, Real};
use crate::fast_run::{check_memory, gate_ops};
use crate::observable::{Observable, Pauli, PauliTerm};
use crate::program::{Kind, Program};
use crate::run::{RunConfig, MAX_SHOTS};

/// Options of [`expectation`].
#[derive(Clone, Debug, PartialEq)]
pub struct ExpectConfig {
    /// Which simulator evaluates the observable ([`Backend::Auto`] chooses).
    pub backend: Backend,
    /// `None`: exact values. `Some(n)`: estimate each term from `n` shots.
    pub shots: Option<u64>,
    /// Seed of the shot estimates; `None` picks one (reported in the result).
    pub seed: Option<u64>,
    /// Amplitude precision of the state-vector engine.
    pub precision: Precision,
    /// Worker threads of the state-vector engine; 0 uses every core.
    pub threads: usize,
    /// Memory the simulation may use, in bytes, instead of what the machine reports.
    pub max_memory_bytes: Option<u64>,
}

impl Default for ExpectConfig {
    fn default() -> Self {
        ExpectConfig {
            backend: Backend::Auto,
            shots: None,
            seed: None,
            precision: Precision::Double,
            threads: 0,
            max_memory_bytes: None,
        }
    }
}

impl ExpectConfig {
    /// The matching run configuration (for backend selection and shot runs).
    fn run_config(&self, backend: Backend, shots: u64, seed: Option<u64>) -> RunConfig {
        RunConfig {
            shots,
            seed,
            backend,
            precision: self.precision,
            threads: self.threads,
            max_memory_bytes: self.max_memory_bytes,
            ..RunConfig::default()
        }
    }
}

/// One term's contribution.
#[derive(Clone, Debug, PartialEq)]
pub struct TermResult {
    /// The term's coefficient.
    pub coeff: f64,
    /// The Pauli string, e.g. `Z0 Z1` (`I` for the identity).
    pub pauli: String,
    /// `⟨P⟩` of the Pauli string alone (not multiplied by `coeff`).
    pub value: f64,
    /// Standard deviation of `value` when estimated from shots.
    pub std_dev: Option<f64>,
}

/// Outcome of [`expectation`].
#[derive(Clone, Debug, PartialEq)]
pub struct ExpectResult {
    /// `Σ coeffᵢ ⟨Pᵢ⟩`.
    pub value: f64,
    /// Standard deviation of `value` when estimated from shots.
    pub std_dev: Option<f64>,
    /// Each term, in the observable's order.
    pub terms: Vec<TermResult>,
    /// The backend that evaluated the observable.
    pub backend: String,
    /// Why that backend was chosen.
    pub backend_reason: String,
    /// Shots per term, in shot mode.
    pub shots: Option<u64>,
    /// The seed of the shot estimates, in shot mode; passing it back reproduces them.
    pub seed: Option<u64>,
    /// Number of qubits of the circuit.
    pub num_qubits: usize,
    /// Wall time of the whole call.
    pub time_taken: Duration,
}

/// The expectation value of `observable` in the state `circuit` prepares.
///
/// Terminal measurements are ignored. Qubit indices of the observable are
/// checked against the circuit. See the module documentation for the exact
/// and shot modes.
pub fn expectation(
    circuit: &Circuit,
    observable: &Observable,
    config: &ExpectConfig,
) -> Result<ExpectResult, SimError> {
    let start = Instant::now();
    observable.check_width(circuit.num_qubits())?;
    if let Some(shots) = config.shots {
        if shots == 0 {
            return Err(SimError::NoShots);
        }
        if shots > MAX_SHOTS {
            return Err(SimError::TooManyShots { shots, max: MAX_SHOTS });
        }
    }
    let program = Program::lower(circuit)?;
    let (backend, reason) =
        backend::select(circuit, &config.run_config(config.backend, 1, config.seed));
    let mut result = match config.shots {
        None => exact(circuit, &program, observable, config, backend, reason)?,
        Some(shots) => estimate(&program, observable, config, backend, reason, shots)?,
    };
    result.num_qubits = program.num_qubits();
    result.time_taken = start.elapsed();
    Ok(result)
}

fn result_from_terms(terms: Vec<TermResult>, backend: Backend, reason: String) -> ExpectResult {
    let value = terms.iter().map(|t| t.coeff * t.value).sum();
    let std_dev = terms
        .iter()
        .map(|t| t.std_dev.map(|s| (t.coeff * s).powi(2)))
        .sum::<Option<f64>>()
        .map(f64::sqrt);
    ExpectResult {
        value,
        std_dev,
        terms,
        backend: backend.name().to_string(),
        backend_reason: reason,
        shots: None,
        seed: None,
        num_qubits: 0,
        time_taken: Duration::ZERO,
    }
}

/// Exact values on the selected backend.
fn exact(
    circuit: &Circuit,
    program: &Program,
    observable: &Observable,
    config: &ExpectConfig,
    backend: Backend,
    reason: String,
) -> Result<ExpectResult, SimError> {
    let values = match backend {
        Backend::Statevector | Backend::Auto if !program.is_stochastic() => {
            statevector_values(program, observable, config)?
        }
        Backend::Statevector | Backend::Auto | Backend::Reference => {
            let state = crate::exact::statevector(&program.circuit).map_err(no_single_state)?;
            let layout: Vec<usize> = (0..program.num_qubits()).collect();
            observable.terms.iter().map(|t| pauli_expectation(&state, &layout, t)).collect()
        }
        Backend::Stabilizer => stabilizer_values(circuit, observable)?,
        Backend::DensityMatrix => {
            return Err(SimError::BackendUnavailable { backend: backend.name() })
        }
        Backend::Trajectories => {
            return Err(SimError::Expectation {
                reason:
                    "the trajectories backend estimates expectation values from samples: \
                         pass a number of shots, or use the density_matrix backend for exact values"
                        .to_string(),
            })
        }
    };
    let terms = observable
        .terms
        .iter()
        .zip(values)
        .map(|(t, value)| TermResult { coeff: t.coeff, pauli: t.label(), value, std_dev: None })
        .collect();
    Ok(result_from_terms(terms, backend, reason))
}

/// Each term's `⟨P⟩` from the stabilizer tableau (exactly 0 or ±1).
fn stabilizer_values(circuit: &Circuit, observable: &Observable) -> Result<Vec<f64>, SimError> {
    observable
        .terms
        .iter()
        .map(|t| {
            let single = PauliTerm { coeff: 1.0, paulis: t.paulis.clone() };
            crate::stabilizer::expectation(circuit, &Observable { terms: vec![single] })
        })
        .collect()
}

/// Turns "no single final state" into an expectation-specific message.
fn no_single_state(e: SimError) -> SimError {
    match e {
        SimError::NotDeterministic { reason } => SimError::Expectation {
            reason: format!(
                "exact expectation values on a state vector need a single final state, but {reason}; \
                 estimate them from shots, or use the density_matrix backend"
            ),
        },
        other => other,
    }
}

/// Every term's `⟨P⟩` on the fast engine's final state, read in place.
fn statevector_values(
    program: &Program,
    observable: &Observable,
    config: &ExpectConfig,
) -> Result<Vec<f64>, SimError> {
    let n = program.num_qubits();
    check_memory(n, config.precision, 0, config.max_memory_bytes)?;
    let engine = EngineConfig { fusion: FusionLimits::default(), threads: config.threads };
    let gates = gate_ops(program);
    let phase = program.circuit.global_phase;
    fn values<F: Real>(state: &FastState<F>, obs: &Observable) -> Vec<f64> {
        obs.terms
            .iter()
            .map(|t| pauli_expectation(state.physical_amplitudes(), state.layout(), t))
            .collect()
    }
    Ok(match config.precision {
        Precision::Double => {
            let state = fast::simulate_gates::<f64>(&gates, n, phase, &engine)
                .map_err(|_| SimError::AllocationFailed { bytes: f64::AMP_BYTES << n })?;
            values(&state, observable)
        }
        Precision::Single => {
            let state = fast::simulate_gates::<f32>(&gates, n, phase, &engine)
                .map_err(|_| SimError::AllocationFailed { bytes: f32::AMP_BYTES << n })?;
            values(&state, observable)
        }
    })
}

/// `⟨ψ|P|ψ⟩` for a Pauli string, with `layout[logical] = physical` bit positions.
///
/// `P|x⟩ = i^{#Y} (−1)^{popcount(x & z)} |x ⊕ x_mask⟩`, so the value is
/// `Re(i^{#Y} Σₓ conj(ψ[x ⊕ x_mask]) ψ[x] (−1)^{popcount(x & z)})`.
pub(crate) fn pauli_expectation<F: Real>(
    amps: &[Complex<F>],
    layout: &[usize],
    term: &PauliTerm,
) -> f64 {
    const CHUNK: usize = 1 << 12;
    let (mut xm, mut zm, mut ny) = (0usize, 0usize, 0u32);
    for &(q, p) in &term.paulis {
        let bit = 1usize << layout[q];
        match p {
            Pauli::X => xm |= bit,
            Pauli::Z => zm |= bit,
            Pauli::Y => {
                xm |= bit;
                zm |= bit;
                ny += 1;
            }
        }
    }
    let wide = |a: Complex<F>| C64::new(a.re.to_f64(), a.im.to_f64());
    let chunk_sum = |(c, chunk): (usize, &[Complex<F>])| {
        let base = c * CHUNK;
        let mut acc = C64::new(0.0, 0.0);
        for (j, &a) in chunk.iter().enumerate() {
            let i = base + j;
            let prod = wide(amps[i ^ xm]).conj() * wide(a);
            if (i & zm).count_ones() & 1 == 1 {
                acc -= prod;
            } else {
                acc += prod;
            }
        }
        acc
    };
    // Small states stay on this thread: waking the pool costs more than the sum.
    let sum: C64 = if amps.len() <= 4 * CHUNK {
        amps.chunks(CHUNK).enumerate().map(chunk_sum).sum()
    } else {
        amps.par_chunks(CHUNK).enumerate().map(chunk_sum).sum()
    };
    // Real part of i^{#Y} · sum.
    match ny % 4 {
        0 => sum.re,
        1 => -sum.im,
        2 => -sum.re,
        _ => sum.im,
    }
}

/// Shot estimates: each term measured in its own basis with its own shots.
fn estimate(
    program: &Program,
    observable: &Observable,
    config: &ExpectConfig,
    backend: Backend,
    reason: String,
    shots: u64,
) -> Result<ExpectResult, SimError> {
    let seed = config.seed.unwrap_or_else(rand::random);
    let mut seeds = ChaCha8Rng::seed_from_u64(seed);
    let base = without_terminal_measurements(program)?;
    let mut used: Option<(String, String)> = None;
    let mut terms = Vec::with_capacity(observable.terms.len());
    for t in &observable.terms {
        let term_seed = seeds.next_u64();
        if t.paulis.is_empty() {
            terms.push(TermResult {
                coeff: t.coeff,
                pauli: t.label(),
                value: 1.0,
                std_dev: Some(0.0),
            });
            continue;
        }
        let (circuit, creg) = measure_in_basis(&base, t)?;
        let run = backend::run(&circuit, &config.run_config(backend, shots, Some(term_seed)))?;
        if used.is_none() {
            used = Some((run.backend.clone(), run.backend_reason.clone()));
        }
        let mut sum: i64 = 0;
        for (key, &count) in &run.counts {
            // The new register is the last declared, so it is the leftmost field.
            let bits = if creg { key.split(' ').next().unwrap_or("") } else { key.as_str() };
            let parity = bits.bytes().filter(|&b| b == b'1').count() % 2;
            let count = i64::try_from(count).unwrap_or(i64::MAX);
            sum += if parity == 0 { count } else { -count };
        }
        let value = sum as f64 / shots as f64;
        let std_dev = ((1.0 - value * value).max(0.0) / shots as f64).sqrt();
        terms.push(TermResult { coeff: t.coeff, pauli: t.label(), value, std_dev: Some(std_dev) });
    }
    let mut result = result_from_terms(terms, backend, reason);
    if let Some((name, why)) = used {
        // The run may have handed a dynamic circuit to another backend.
        if name != result.backend && !why.is_empty() {
            result.backend = name;
            result.backend_reason = why;
        }
    }
    result.shots = Some(shots);
    result.seed = Some(seed);
    Ok(result)
}

/// The lowered (flat) circuit without its deferred measurements, whose
/// qubits nothing touches afterwards: the state before them is the one the
/// observable is measured on.
fn without_terminal_measurements(program: &Program) -> Result<Circuit, SimError> {
    let dropped: Vec<usize> = program
        .ops
        .iter()
        .filter(|op| matches!(op.kind, Kind::Measure { deferred: true, .. }))
        .map(|op| op.source)
        .collect();
    let flat = &program.circuit;
    let mut out = Circuit::empty();
    for r in flat.qregs() {
        out.add_qreg(&r.name, r.size)?;
    }
    for r in flat.cregs() {
        out.add_creg(&r.name, r.size)?;
    }
    out.global_phase = flat.global_phase;
    for (i, inst) in flat.instructions().iter().enumerate() {
        if !dropped.contains(&i) {
            out.push(inst.clone())?;
        }
    }
    Ok(out)
}

/// `base` with the term's basis change and measurements into a new register
/// appended; also says whether `base` had classical registers before.
fn measure_in_basis(base: &Circuit, term: &PauliTerm) -> Result<(Circuit, bool), SimError> {
    let mut c = base.clone();
    let had_cregs = !c.cregs().is_empty();
    let mut name = "pauli".to_string();
    while c.qregs().iter().chain(c.cregs()).any(|r| r.name == name) {
        name.push('_');
    }
    let reg = c.add_creg(&name, term.paulis.len())?;
    let start = c.cregs()[reg].start;
    let gate = |g: StandardGate, q: usize| Instruction {
        op: Operation::Gate { gate: qv_circuit::GateRef::Standard(g), params: vec![] },
        qubits: vec![q],
        clbits: vec![],
        condition: None,
    };
    for (k, &(q, p)) in term.paulis.iter().enumerate() {
        match p {
            Pauli::X => c.push(gate(StandardGate::H, q))?,
            Pauli::Y => {
                c.push(gate(StandardGate::Sdg, q))?;
                c.push(gate(StandardGate::H, q))?;
            }
            Pauli::Z => {}
        }
        c.push(Instruction {
            op: Operation::Measure,
            qubits: vec![q],
            clbits: vec![start + k],
            condition: None,
        })?;
    }
    Ok((c, had_cregs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact_value(c: &Circuit, obs: &str) -> f64 {
        let o = Observable::parse(obs).unwrap();
        expectation(c, &o, &ExpectConfig::default()).unwrap().value
    }

    #[test]
    fn bell_state_correlations() {
        // |Φ+⟩: ⟨ZZ⟩ = ⟨XX⟩ = 1, ⟨YY⟩ = −1, single-qubit Paulis 0 (textbook values).
        let bell = Circuit::new(2).h(0).cx(0, 1);
        for (obs, want) in
            [("Z0 Z1", 1.0), ("X0 X1", 1.0), ("Y0 Y1", -1.0), ("Z0", 0.0), ("X1", 0.0)]
        {
            assert!((exact_value(&bell, obs) - want).abs() < 1e-12, "{obs}");
        }
        assert!((exact_value(&bell, "0.5*Z0 Z1 + 0.3*X0 - 2") - (0.5 - 2.0)).abs() < 1e-12);
    }

    #[test]
    fn single_qubit_rotations_and_phases() {
        // ry(θ)|0⟩: ⟨Z⟩ = cos θ, ⟨X⟩ = sin θ; then s: ⟨Y⟩ = sin θ.
        let th = 0.7;
        let c = Circuit::new(1).ry(th, 0);
        assert!((exact_value(&c, "Z0") - th.cos()).abs() < 1e-12);
        assert!((exact_value(&c, "X0") - th.sin()).abs() < 1e-12);
        let c = c.s(0);
        assert!((exact_value(&c, "Y0") - th.sin()).abs() < 1e-12);
        assert!(exact_value(&c, "X0").abs() < 1e-12);
        // Global phase does not matter.
        let mut g = Circuit::new(1).h(0);
        g.global_phase = 1.2;
        assert!((exact_value(&g, "X0") - 1.0).abs() < 1e-12);
    }

    #[test]
    fn reference_and_single_precision_agree() {
        let c = Circuit::new(3).h(0).cx(0, 1).ry(0.4, 2).cx(2, 0).swap(1, 2).s(1);
        let o = Observable::parse("Z0 Z1 + 0.5*X2 Y1 - 0.25*Y0 X1 Z2").unwrap();
        let sv = expectation(&c, &o, &ExpectConfig::default()).unwrap();
        let r = expectation(
            &c,
            &o,
            &ExpectConfig { backend: Backend::Reference, ..Default::default() },
        )
        .unwrap();
        let f = expectation(
            &c,
            &o,
            &ExpectConfig { precision: Precision::Single, ..Default::default() },
        )
        .unwrap();
        assert!((sv.value - r.value).abs() < 1e-12);
        assert!((sv.value - f.value).abs() < 1e-5);
        assert_eq!(r.backend, "reference");
    }

    #[test]
    fn terminal_measurements_are_ignored_but_mid_circuit_ones_refused() {
        let c = Circuit::new(2).h(0).cx(0, 1).measure_all();
        assert!((exact_value(&c, "X0 X1") - 1.0).abs() < 1e-12);
        let c = Circuit::with_clbits(1, 1).h(0).measure(0, 0).h(0);
        let o = Observable::parse("Z0").unwrap();
        let e = expectation(
            &c,
            &o,
            &ExpectConfig { backend: Backend::Statevector, ..Default::default() },
        );
        assert_eq!(
            e.unwrap_err().to_string(),
            "exact expectation values on a state vector need a single final state, but \
             `measure q[0] -> c[0]` is a mid-circuit measurement; estimate them from shots, or \
             use the density_matrix backend"
        );
    }

    #[test]
    fn qubits_beyond_the_circuit_are_an_error() {
        let o = Observable::parse("Z0 + X3").unwrap();
        let e = expectation(&Circuit::new(2), &o, &ExpectConfig::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "observable term `X3` acts on qubit 3, but the circuit has 2 qubits"
        );
    }

    #[test]
    fn shot_estimates_are_within_five_sigma_and_reproducible() {
        let c = Circuit::new(3).ry(0.9, 0).cx(0, 1).rx(0.3, 2).s(2).measure_all();
        let o = Observable::parse("0.5*Z0 Z1 + 0.3*X0 - Y2 + 0.1*X1 Y2 + 1.5").unwrap();
        let want = expectation(&c, &o, &ExpectConfig::default()).unwrap();
        let cfg = ExpectConfig { shots: Some(20_000), seed: Some(11), ..Default::default() };
        let got = expectation(&c, &o, &cfg).unwrap();
        let sd = got.std_dev.unwrap();
        assert!(sd > 0.0 && sd < 0.02, "std {sd}");
        assert!(
            (got.value - want.value).abs() < 5.0 * sd,
            "{} vs {} ± {sd}",
            got.value,
            want.value
        );
        for (g, w) in got.terms.iter().zip(&want.terms) {
            let s = g.std_dev.unwrap();
            assert!(
                (g.value - w.value).abs() <= 5.0 * s + 1e-12,
                "{}: {} vs {}",
                g.pauli,
                g.value,
                w.value
            );
        }
        assert_eq!(
            got.terms[4],
            TermResult { coeff: 1.5, pauli: "I".into(), value: 1.0, std_dev: Some(0.0) }
        );
        assert_eq!((got.shots, got.seed), (Some(20_000), Some(11)));
        assert_eq!(expectation(&c, &o, &cfg).unwrap().value, got.value);
    }

    #[test]
    fn shots_on_dynamic_circuits_sample_the_ensemble() {
        // A reset after a random measurement leaves |0⟩ in every shot: ⟨Z⟩ = 1 exactly.
        let c = Circuit::with_clbits(1, 1).h(0).measure(0, 0).reset(0);
        let o = Observable::parse("Z0").unwrap();
        let cfg = ExpectConfig { shots: Some(500), seed: Some(3), ..Default::default() };
        let r = expectation(&c, &o, &cfg).unwrap();
        assert_eq!((r.value, r.std_dev), (1.0, Some(0.0)));
        assert_eq!(r.backend, "stabilizer", "Clifford-only");
        // Not Clifford: the state-vector engine hands the per-shot work to the reference simulator.
        let c = Circuit::with_clbits(1, 1).ry(0.3, 0).measure(0, 0).reset(0);
        let r = expectation(&c, &o, &cfg).unwrap();
        assert_eq!((r.value, r.std_dev), (1.0, Some(0.0)));
        assert_eq!(r.backend, "reference");
        assert!(r.backend_reason.starts_with("reference: the state depends on mid-circuit"));
    }
}
