//! Expectation values estimated from shots.
//!
//! Each term is estimated independently: the circuit (terminal measurements
//! dropped) gets basis-change gates appended (`h` for X, `sdg; h` for Y), the
//! term's qubits are measured into a fresh register, and the circuit runs on
//! the chosen backend through [`crate::run`]. `⟨P⟩` is the mean of the ±1
//! parities over the shots, with standard deviation `sqrt((1 − ⟨P⟩²)/shots)`;
//! the total's combines the terms as independent: `sqrt(Σ cᵢ² σᵢ²)`. A noise
//! model acts on the appended gates and measurements too, as on a device.

use qv_circuit::{Circuit, Instruction, Operation, StandardGate};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{result_from_terms, ExpectConfig, ExpectResult, TermResult};
use crate::backend::{self, Backend};
use crate::error::SimError;
use crate::observable::{Observable, Pauli, PauliTerm};
use crate::program::{Kind, Program};

/// Shot estimates: each term measured in its own basis with its own shots.
pub(super) fn estimate(
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
    let flat = &program.circuit;
    let mut dropped = vec![false; flat.instructions().len()];
    for op in &program.ops {
        if matches!(op.kind, Kind::Measure { deferred: true, .. }) {
            dropped[op.source] = true;
        }
    }
    let mut out = Circuit::empty();
    for r in flat.qregs() {
        out.add_qreg(&r.name, r.size)?;
    }
    for r in flat.cregs() {
        out.add_creg(&r.name, r.size)?;
    }
    out.global_phase = flat.global_phase;
    for (inst, _) in flat.instructions().iter().zip(&dropped).filter(|(_, &d)| !d) {
        out.push(inst.clone())?;
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
    use super::super::tests::depolarizing_h;
    use super::super::{expectation, ExpectConfig, TermResult};
    use crate::backend::Backend;
    use crate::observable::Observable;
    use qv_circuit::Circuit;

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

    #[test]
    fn shot_estimates_with_noise_include_the_noisy_basis_change() {
        // As on a device (and in Aer's Estimator), the appended h suffers the model's
        // error too: measuring X after h-with-depolarizing gives (1 − p)² on average.
        let p = 0.1;
        let want = (1.0 - p) * (1.0 - p);
        let obs = Observable::parse("X0").unwrap();
        for backend in [Backend::Auto, Backend::Trajectories] {
            let cfg = ExpectConfig {
                backend,
                noise: depolarizing_h(p),
                shots: Some(4000),
                seed: Some(5),
                ..Default::default()
            };
            let r = expectation(&Circuit::new(2).h(0), &obs, &cfg).unwrap();
            let sd = ((1.0 - want * want) / 4000.0).sqrt();
            assert!((r.value - want).abs() < 5.0 * sd, "{backend}: {} vs {want}", r.value);
            let name = if backend == Backend::Auto { "density_matrix" } else { "trajectories" };
            assert_eq!(r.backend, name);
        }
        // Wide and Clifford with Pauli noise: the stabilizer's frames estimate the same value.
        let cfg = ExpectConfig {
            noise: depolarizing_h(p),
            shots: Some(4000),
            seed: Some(6),
            ..Default::default()
        };
        let r = expectation(&Circuit::new(13).h(0), &obs, &cfg).unwrap();
        assert_eq!(r.backend, "stabilizer");
        assert!((r.value - want).abs() < 5.0 * ((1.0 - want * want) / 4000.0).sqrt(), "{r:?}");
        // `t` makes it non-Clifford: trajectories.
        let r = expectation(
            &Circuit::new(13).h(0).t(1),
            &obs,
            &ExpectConfig { noise: depolarizing_h(p), shots: Some(10), ..Default::default() },
        )
        .unwrap();
        assert_eq!(
            r.backend_reason,
            "trajectories: noisy circuit of 13 qubits is too large for a density matrix (>12 qubits)"
        );
    }
}
