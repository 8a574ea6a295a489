//! Running steps on a classical-quantum state.
//!
//! The state is a list of [`Branch`]es: a classical record (the clbits) and
//! the unnormalised density matrix of the qubits given that record, whose
//! trace is the record's probability. Gates, channels and resets act on every
//! branch (conditioned ones where the record satisfies the condition). A
//! collapsing measurement splits each branch by *recorded* outcome: the
//! measured qubit is dephased and its `0`/`1` blocks weighed by the readout
//! probabilities `P(recorded | actual)`, which is exact for readout errors
//! too. Branches with equal records are merged, so their number is bounded by
//! the distinct records, not by the outcomes.
//!
//! [`run_exact`] follows every branch (bounded by a [`Budget`]);
//! [`run_sampled`] follows one, drawing outcomes, for per-shot simulation.

use std::collections::HashMap;

use rand::Rng;

use super::matrix::DensityMatrix;
use super::steps::Step;
use crate::error::SimError;
use crate::noise::ReadoutError;
use crate::program::Program;
use crate::run::ZERO_PROBABILITY;

/// A classical record and the (unnormalised) state that goes with it.
#[derive(Debug)]
pub(crate) struct Branch {
    /// Classical bits.
    pub clbits: Vec<bool>,
    /// State given the record; its trace is the record's probability.
    pub rho: DensityMatrix,
}

/// How many density matrices exact branching may hold at once.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Budget {
    /// Most live matrices allowed by memory (`None`: unknown).
    pub by_memory: Option<u64>,
    /// Most branches allowed at all.
    pub max_branches: usize,
    /// Bytes of one matrix.
    pub bytes: u64,
    /// Available bytes, for the message.
    pub available: u64,
    /// Qubits, for the message.
    pub num_qubits: usize,
}

impl Budget {
    /// Refuses holding `live` matrices at once.
    pub fn check(&self, live: usize) -> Result<(), SimError> {
        if live > self.max_branches {
            return Err(SimError::TooManyBranches { limit: self.max_branches });
        }
        match self.by_memory {
            Some(max) if live as u64 > max => Err(SimError::TooLargeFor {
                needed: self.bytes.saturating_mul(live as u64),
                available: self.available,
                num_qubits: self.num_qubits,
                what: "one complex128 density matrix per measurement record",
            }),
            _ => Ok(()),
        }
    }
}

/// Scale factors of the `0` and `1` blocks for recorded value `recorded`.
fn record_weights(readout: Option<&ReadoutError>, recorded: bool) -> (f64, f64) {
    match readout {
        Some(ro) => (ro.probability(false, recorded), ro.probability(true, recorded)),
        None if recorded => (0.0, 1.0),
        None => (1.0, 0.0),
    }
}

/// Runs `steps` on every branch exactly.
pub(crate) fn run_exact(
    steps: &[Step],
    mut branches: Vec<Branch>,
    threads: usize,
    budget: &Budget,
) -> Result<Vec<Branch>, SimError> {
    for step in steps {
        match step {
            Step::Apply(plan) => branches.iter_mut().for_each(|b| b.rho.apply_plan(plan, threads)),
            Step::Conditional { cond, plan } => branches
                .iter_mut()
                .filter(|b| cond.holds(&b.clbits))
                .for_each(|b| b.rho.apply_plan(plan, threads)),
            Step::Measure { qubit, clbit, cond, readout } => {
                let mut out: Vec<Branch> = Vec::with_capacity(branches.len() + 1);
                let mut index: HashMap<Vec<bool>, usize> = HashMap::new();
                let mut pending = branches.len();
                for mut b in branches.drain(..) {
                    pending -= 1;
                    if cond.as_ref().is_some_and(|c| !c.holds(&b.clbits)) {
                        merge(&mut out, &mut index, b);
                        continue;
                    }
                    let (w0, w1) = b.rho.qubit_weights(*qubit);
                    let parts: Vec<(bool, (f64, f64))> = [false, true]
                        .into_iter()
                        .map(|r| (r, record_weights(readout.as_ref(), r)))
                        .filter(|(_, (s0, s1))| w0 * s0 + w1 * s1 > ZERO_PROBABILITY)
                        .collect();
                    if let [(r1, (s0, s1)), ..] = parts[..] {
                        if parts.len() == 2 {
                            budget.check(out.len() + pending + 2)?;
                            let mut other =
                                Branch { clbits: b.clbits.clone(), rho: b.rho.try_clone()? };
                            other.rho.dephase_scale(*qubit, s0, s1);
                            other.clbits[*clbit] = r1;
                            merge(&mut out, &mut index, other);
                            let (r2, (t0, t1)) = parts[1];
                            b.rho.dephase_scale(*qubit, t0, t1);
                            b.clbits[*clbit] = r2;
                        } else {
                            b.rho.dephase_scale(*qubit, s0, s1);
                            b.clbits[*clbit] = r1;
                        }
                        merge(&mut out, &mut index, b);
                    }
                    // A branch of (numerically) zero weight is dropped.
                }
                branches = out;
            }
        }
    }
    Ok(branches)
}

/// Adds `b` to `out`, summing it into the branch with the same record if any.
fn merge(out: &mut Vec<Branch>, index: &mut HashMap<Vec<bool>, usize>, b: Branch) {
    match index.get(&b.clbits) {
        Some(&i) => out[i].rho.add(&b.rho),
        None => {
            index.insert(b.clbits.clone(), out.len());
            out.push(b);
        }
    }
}

/// Runs `steps` on one branch (trace 1), drawing measurement outcomes and
/// recorded values from `rng`.
pub(crate) fn run_sampled<R: Rng>(steps: &[Step], b: &mut Branch, threads: usize, rng: &mut R) {
    for step in steps {
        match step {
            Step::Apply(plan) => b.rho.apply_plan(plan, threads),
            Step::Conditional { cond, plan } => {
                if cond.holds(&b.clbits) {
                    b.rho.apply_plan(plan, threads)
                }
            }
            Step::Measure { qubit, clbit, cond, readout } => {
                if cond.as_ref().is_some_and(|c| !c.holds(&b.clbits)) {
                    continue;
                }
                let (w0, w1) = b.rho.qubit_weights(*qubit);
                let outcome = rng.gen::<f64>() * (w0 + w1) < w1;
                if outcome {
                    b.rho.dephase_scale(*qubit, 0.0, 1.0 / w1);
                } else {
                    b.rho.dephase_scale(*qubit, 1.0 / w0, 0.0);
                }
                b.clbits[*clbit] = match readout {
                    Some(ro) => rng.gen::<f64>() < ro.probability(outcome, true),
                    None => outcome,
                };
            }
        }
    }
}

/// Applies the readout errors of the deferred measurements to a joint
/// outcome distribution (outcome bit `j` = `deferred[j]`).
pub(crate) fn apply_readout(weights: &mut [f64], readout: &[Option<ReadoutError>]) {
    for (j, ro) in readout.iter().enumerate() {
        let Some(ro) = ro else { continue };
        let m = ro.matrix();
        let bit = 1usize << j;
        for o in (0..weights.len()).filter(|o| o & bit == 0) {
            let (a0, a1) = (weights[o], weights[o | bit]);
            weights[o] = a0 * m[0][0] + a1 * m[1][0];
            weights[o | bit] = a0 * m[0][1] + a1 * m[1][1];
        }
    }
}

/// The exact distribution over classical records after `branches`, with
/// deferred measurements read from each branch's diagonal.
pub(crate) fn clbit_distribution(
    program: &Program,
    branches: &[Branch],
    deferred_readout: &[Option<ReadoutError>],
) -> HashMap<String, f64> {
    let qubits: Vec<usize> = program.deferred.iter().map(|&(q, _)| q).collect();
    let mut out = HashMap::new();
    let mut weights = Vec::new();
    for b in branches {
        b.rho.marginal_into(&qubits, &mut weights);
        apply_readout(&mut weights, deferred_readout);
        let mut clbits = b.clbits.clone();
        for (outcome, &w) in weights.iter().enumerate() {
            if w <= 0.0 {
                continue;
            }
            for (j, &(_, clbit)) in program.deferred.iter().enumerate() {
                clbits[clbit] = (outcome >> j) & 1 == 1;
            }
            *out.entry(program.circuit.format_clbits(&clbits)).or_insert(0.0) += w;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readout_convolution_moves_weight_between_outcomes() {
        let ro = ReadoutError::new([[0.9, 0.1], [0.25, 0.75]]).unwrap();
        // Outcome bit 0 certainly 1, bit 1 certainly 0 (index 1).
        let mut w = vec![0.0, 1.0, 0.0, 0.0];
        apply_readout(&mut w, &[Some(ro), None]);
        assert_eq!(w, vec![0.25, 0.75, 0.0, 0.0]);
        apply_readout(&mut w, &[None, Some(ro)]);
        let want = [0.25 * 0.9, 0.75 * 0.9, 0.25 * 0.1, 0.75 * 0.1];
        for (a, b) in w.iter().zip(want) {
            assert!((a - b).abs() < 1e-15);
        }
    }
}
