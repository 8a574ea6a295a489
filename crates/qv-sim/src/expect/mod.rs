//! Expectation values of Pauli-sum observables: [`expectation`].
//!
//! Exact mode (no shots) computes `⟨P⟩` for each term on the final state:
//! on the fast state-vector engine the Pauli string is applied as a bit flip
//! and a sign per amplitude, reading the state in place ([`pauli`]); the
//! stabilizer backend reads each term off its tableau; the density-matrix
//! backend simulates `ρ` once (with the noise model, if any) and takes
//! `Tr(ρP)` per term. The state is the one before terminal measurements. A
//! circuit whose state depends on mid-circuit outcomes has no single pure
//! state: under [`Backend::Auto`], small ones move to the density matrix
//! (which averages over outcomes exactly); state-vector backends refuse them.
//!
//! Shot mode ([`shots`]) estimates each term from its own shots, measured in
//! the term's basis, with a standard deviation.

mod pauli;
mod shots;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use qv_circuit::Circuit;

use crate::backend::{self, Backend, Precision, DENSITY_MATRIX_MAX_QUBITS};
use crate::error::SimError;
use crate::fast::{self, EngineConfig, FastState, FusionLimits, Real};
use crate::fast_run::{check_memory, gate_ops};
use crate::noise::NoiseModel;
use crate::observable::Observable;
use crate::program::Program;
use crate::run::{RunConfig, MAX_SHOTS};

use pauli::{density_pauli, pauli_expectation};
use shots::estimate;

/// Options of [`expectation`].
#[derive(Clone, Debug)]
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
    /// Noise (density-matrix and trajectories backends; `None`: ideal).
    pub noise: Option<Arc<NoiseModel>>,
    /// Set from another thread to stop: the state-vector passes and shot
    /// estimates check it as [`RunConfig::cancel`] does, other backends
    /// before and after their simulation; the result is
    /// [`SimError::Cancelled`].
    pub cancel: Option<Arc<AtomicBool>>,
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
            noise: None,
            cancel: None,
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
            noise: self.noise.clone(),
            cancel: self.cancel.clone(),
            ..RunConfig::default()
        }
    }

    /// `Err(Cancelled)` once the cancel flag is set.
    fn check_cancel(&self) -> Result<(), SimError> {
        match &self.cancel {
            Some(c) if c.load(Ordering::Relaxed) => Err(SimError::Cancelled),
            _ => Ok(()),
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
    config.check_cancel()?;
    let program = Program::lower(circuit)?;
    let (backend, reason) =
        backend::select(circuit, &config.run_config(config.backend, 1, config.seed));
    let mut result = match config.shots {
        None => exact(circuit, &program, observable, config, backend, reason)?,
        Some(shots) => estimate(&program, observable, config, backend, reason, shots)?,
    };
    config.check_cancel()?;
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
///
/// When Auto chose the state vector or the stabilizer backend but the
/// circuit has no single final state (mid-circuit measurement, conditions),
/// small circuits move to the density matrix, which averages over outcomes.
fn exact(
    circuit: &Circuit,
    program: &Program,
    observable: &Observable,
    config: &ExpectConfig,
    backend: Backend,
    reason: String,
) -> Result<ExpectResult, SimError> {
    let noise = config.noise.as_deref().filter(|m| !m.is_ideal());
    let attempt = match backend {
        _ if noise.is_some() && backend != Backend::DensityMatrix => {
            return Err(SimError::Expectation {
                reason: format!(
                    "exact expectation values with a noise model need the density_matrix backend, \
                     not {}; or estimate them from shots with trajectories",
                    backend.name()
                ),
            })
        }
        Backend::Statevector | Backend::Auto if !program.is_stochastic() => {
            statevector_values(program, observable, config)
        }
        Backend::Statevector | Backend::Auto | Backend::Reference => {
            crate::exact::statevector(&program.circuit).map_err(no_single_state).map(|state| {
                let layout: Vec<usize> = (0..program.num_qubits()).collect();
                observable.terms.iter().map(|t| pauli_expectation(&state, &layout, t)).collect()
            })
        }
        Backend::Stabilizer => crate::stabilizer::term_expectations(circuit, observable),
        Backend::DensityMatrix => density_values(circuit, noise, observable),
        Backend::Trajectories => Err(SimError::Expectation {
            reason: "the trajectories backend estimates expectation values from samples: pass a \
                     number of shots, or use the density_matrix backend for exact values"
                .to_string(),
        }),
    };
    let n = program.num_qubits();
    let (values, backend, reason) = match attempt {
        Ok(values) => (values, backend, reason),
        Err(SimError::Expectation { .. })
            if config.backend == Backend::Auto
                && matches!(backend, Backend::Statevector | Backend::Stabilizer)
                && n <= DENSITY_MATRIX_MAX_QUBITS =>
        {
            let values = density_values(circuit, None, observable)?;
            let reason = format!(
                "density_matrix: the state depends on mid-circuit measurement, reset or \
                 conditions, which a density matrix of {} averages over exactly",
                backend::qubit_count(n)
            );
            (values, Backend::DensityMatrix, reason)
        }
        Err(e) => return Err(e),
    };
    let terms = observable
        .terms
        .iter()
        .zip(values)
        .map(|(t, value)| TermResult { coeff: t.coeff, pauli: t.label(), value, std_dev: None })
        .collect();
    Ok(result_from_terms(terms, backend, reason))
}

/// Each term's `Tr(ρP)` on the final density matrix (one simulation for all terms).
fn density_values(
    circuit: &Circuit,
    noise: Option<&NoiseModel>,
    observable: &Observable,
) -> Result<Vec<f64>, SimError> {
    let rho = crate::density::density_matrix(circuit, noise)?;
    let dim = 1usize << circuit.num_qubits();
    Ok(observable.terms.iter().map(|t| density_pauli(&rho, dim, t)).collect())
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
    let cancel = config.cancel.as_deref();
    Ok(match config.precision {
        Precision::Double => {
            let state = fast::simulate_gates_until::<f64>(&gates, n, phase, &engine, cancel)
                .map_err(|_| SimError::AllocationFailed { bytes: f64::AMP_BYTES << n })?
                .ok_or(SimError::Cancelled)?;
            values(&state, observable)
        }
        Precision::Single => {
            let state = fast::simulate_gates_until::<f32>(&gates, n, phase, &engine, cancel)
                .map_err(|_| SimError::AllocationFailed { bytes: f32::AMP_BYTES << n })?
                .ok_or(SimError::Cancelled)?;
            values(&state, observable)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact_value(c: &Circuit, obs: &str) -> f64 {
        let o = Observable::parse(obs).unwrap();
        expectation(c, &o, &ExpectConfig::default()).unwrap().value
    }

    #[test]
    fn a_set_cancel_flag_stops_every_path() {
        let c = Circuit::new(3).h(0).cx(0, 1).t(2);
        let obs = Observable::parse("Z0 Z1").unwrap();
        let cancel = Some(Arc::new(AtomicBool::new(true)));
        for backend in [Backend::Auto, Backend::Statevector, Backend::DensityMatrix] {
            for shots in [None, Some(100)] {
                let cfg =
                    ExpectConfig { backend, shots, cancel: cancel.clone(), ..Default::default() };
                let r = expectation(&c, &obs, &cfg);
                assert!(matches!(r, Err(SimError::Cancelled)), "{backend:?} {shots:?}: {r:?}");
            }
        }
        // The state-vector passes check it too (not only the entry).
        let program = Program::lower(&c).unwrap();
        let cfg = ExpectConfig { cancel: cancel.clone(), ..Default::default() };
        let r = statevector_values(&program, &obs, &cfg);
        assert!(matches!(r, Err(SimError::Cancelled)), "{r:?}");
        let cfg = ExpectConfig { cancel: Some(Arc::new(AtomicBool::new(false))), ..cfg };
        assert!(expectation(&c, &obs, &cfg).is_ok());
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

    pub(super) fn depolarizing_h(p: f64) -> Option<Arc<NoiseModel>> {
        let json = format!(
            r#"{{"errors": [{{"gates": ["h"], "channel": {{"type": "depolarizing", "p": {p}}}}}]}}"#
        );
        Some(Arc::new(NoiseModel::from_json(&json).unwrap()))
    }

    #[test]
    fn dynamic_circuits_move_to_the_density_matrix_under_auto() {
        // ry(θ), measure, x: the measurement dephases, so ⟨Z0⟩ = −cos θ and ⟨X0⟩ = 0
        // (without it, ⟨X0⟩ would be sin θ).
        let th = 0.8;
        let c = Circuit::with_clbits(1, 1).ry(th, 0).measure(0, 0).x(0);
        let o = Observable::parse("Z0 + X0").unwrap();
        let r = expectation(&c, &o, &ExpectConfig::default()).unwrap();
        assert!((r.terms[0].value + th.cos()).abs() < 1e-12, "{r:?}");
        assert!(r.terms[1].value.abs() < 1e-12, "{r:?}");
        assert_eq!(r.backend, "density_matrix");
        assert_eq!(
            r.backend_reason,
            "density_matrix: the state depends on mid-circuit measurement, reset or conditions, \
             which a density matrix of 1 qubit averages over exactly"
        );
    }

    #[test]
    fn noise_is_exact_on_the_density_matrix() {
        // Depolarizing p after h: ρ = (1 − p)|+⟩⟨+| + p·I/2, so ⟨X0⟩ = 1 − p (Aer's
        // depolarizing_error convention), ⟨Z0⟩ = 0.
        let cfg = ExpectConfig { noise: depolarizing_h(0.1), ..Default::default() };
        let c = Circuit::new(1).h(0);
        let r = expectation(&c, &Observable::parse("X0 + 0.5*Z0").unwrap(), &cfg).unwrap();
        assert!((r.value - 0.9).abs() < 1e-12, "{r:?}");
        assert_eq!(r.backend, "density_matrix");
        assert_eq!(r.backend_reason, "density_matrix: noisy circuit of 1 qubit");
        let sv = ExpectConfig { backend: Backend::Statevector, ..cfg.clone() };
        assert_eq!(
            expectation(&c, &Observable::parse("X0").unwrap(), &sv).unwrap_err().to_string(),
            "exact expectation values with a noise model need the density_matrix backend, not \
             statevector; or estimate them from shots with trajectories"
        );
        let sv = ExpectConfig { shots: Some(10), ..sv };
        assert_eq!(
            expectation(&c, &Observable::parse("X0").unwrap(), &sv).unwrap_err(),
            SimError::NoiseNotSupported { backend: "statevector" }
        );
    }
}
