//! Exact results without sampling: [`statevector`] and [`probabilities`].
//!
//! `probabilities` walks the tree of measurement and reset outcomes depth
//! first: at each collapsing measurement or random reset the state splits into
//! its (nonzero) outcomes, each carrying its probability weight and classical
//! bits. Deferred (terminal) measurements never split: at each leaf they are
//! read off the leaf's marginal distribution. Only pending branches are held
//! in memory, and the number of splits is capped at [`MAX_BRANCHES`].

use std::collections::HashMap;

use qv_circuit::{Circuit, C64};

use crate::error::SimError;
use crate::memory::{self, available_memory_bytes, probability_bytes};
use crate::program::{Kind, Program};
use crate::run::{simulate_prefix, ZERO_PROBABILITY};
use crate::statevector::StateVector;

/// Most measurement branches [`probabilities`] follows before giving up.
pub const MAX_BRANCHES: usize = 4096;

/// What a [`Probabilities`] distribution is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbabilitiesOver {
    /// Basis states of all qubits (the circuit measures nothing).
    Qubits,
    /// Values of the classical bits after the circuit.
    Clbits,
}

/// An exact outcome distribution.
#[derive(Clone, Debug, PartialEq)]
pub struct Probabilities {
    /// What the keys describe.
    pub over: ProbabilitiesOver,
    /// Number of bits in a key (qubits or clbits), spaces not counted.
    pub width: usize,
    /// `(key, probability)` for every probability above 1e-15, sorted by key.
    /// Keys are formatted like counts keys; over qubits, qubit 0 is rightmost.
    pub values: Vec<(String, f64)>,
}

/// The final state of `circuit`, index bit `q` = qubit `q`, global phase
/// included. Barriers and terminal measurements are ignored; a circuit with a
/// mid-circuit measurement, a classical condition, or a reset of a qubit that
/// may be |1⟩ has no single final state and is refused.
pub fn statevector(circuit: &Circuit) -> Result<Vec<C64>, SimError> {
    let program = Program::lower(circuit)?;
    let refuse = |op, why: &str| SimError::NotDeterministic {
        reason: format!("`{}`{} {why}", program.describe(op), program.line_note(op)),
    };
    for op in &program.ops {
        if op.condition.is_some() {
            return Err(refuse(op, "is classically conditioned"));
        }
        if matches!(op.kind, Kind::Measure { deferred: false, .. }) {
            return Err(refuse(op, "is a mid-circuit measurement"));
        }
    }
    memory::check(program.num_qubits(), 1, 0, available_memory_bytes())?;
    let mut state = StateVector::new(program.num_qubits(), program.circuit.global_phase)?;
    let next = simulate_prefix(&program, &mut state);
    if let Some(op) = program.ops.get(next) {
        // Only a reset of a qubit that may be |1⟩ stops the prefix here.
        return Err(refuse(op, "resets a qubit that may be |1⟩"));
    }
    Ok(state.into_amplitudes())
}

/// The exact outcome distribution of `circuit`: over the classical bits when
/// it measures anything, else over the qubits' basis states.
pub fn probabilities(circuit: &Circuit) -> Result<Probabilities, SimError> {
    let program = Program::lower(circuit)?;
    let n = program.num_qubits();
    let available = available_memory_bytes();
    let (over, width, extra) = if program.has_measure {
        (ProbabilitiesOver::Clbits, program.num_clbits(), probability_bytes(program.deferred.len()))
    } else {
        (ProbabilitiesOver::Qubits, n, probability_bytes(n))
    };
    memory::check(n, 1, extra, available)?;

    let mut state = StateVector::new(n, program.circuit.global_phase)?;
    let next = simulate_prefix(&program, &mut state);
    let mut walk = Walk {
        program: &program,
        available,
        extra,
        branches: 1,
        pending: Vec::new(),
        per_qubits: Vec::new(),
        per_clbits: HashMap::new(),
        weights: Vec::new(),
    };
    if over == ProbabilitiesOver::Qubits {
        walk.per_qubits = vec![0.0; state.amplitudes().len()];
    }
    walk.pending.push(Branch {
        next,
        state,
        weight: 1.0,
        clbits: vec![false; program.num_clbits()],
    });
    while let Some(branch) = walk.pending.pop() {
        walk.follow(branch)?;
    }

    let mut values: Vec<(String, f64)> = match over {
        ProbabilitiesOver::Qubits => walk
            .per_qubits
            .iter()
            .enumerate()
            .filter(|(_, &p)| p > ZERO_PROBABILITY)
            .map(|(i, &p)| (index_key(i, n), p))
            .collect(),
        ProbabilitiesOver::Clbits => {
            walk.per_clbits.into_iter().filter(|(_, p)| *p > ZERO_PROBABILITY).collect()
        }
    };
    values.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Probabilities { over, width, values })
}

/// `n`-character binary key of a basis index, qubit 0 rightmost.
fn index_key(index: usize, n: usize) -> String {
    (0..n).rev().map(|q| if (index >> q) & 1 == 1 { '1' } else { '0' }).collect()
}

/// One path through the outcome tree, waiting at operation `next`.
struct Branch {
    next: usize,
    state: StateVector,
    weight: f64,
    clbits: Vec<bool>,
}

/// The depth-first walk and its accumulators.
struct Walk<'a> {
    program: &'a Program,
    available: Option<u64>,
    extra: u64,
    branches: usize,
    pending: Vec<Branch>,
    per_qubits: Vec<f64>,
    per_clbits: HashMap<String, f64>,
    weights: Vec<f64>,
}

impl Walk<'_> {
    /// Runs `b` to the end, pushing the other outcome of each split onto `pending`.
    fn follow(&mut self, mut b: Branch) -> Result<(), SimError> {
        let program = self.program;
        while let Some(op) = program.ops.get(b.next) {
            b.next += 1;
            if op.condition.as_ref().is_some_and(|c| !c.holds(&b.clbits)) {
                continue;
            }
            let (qubit, clbit) = match op.kind {
                Kind::Gate { ref matrix, ref qubits } => {
                    b.state.apply(matrix, qubits);
                    continue;
                }
                Kind::Measure { deferred: true, .. } => continue,
                Kind::Measure { qubit, clbit, deferred: false } => (qubit, Some(clbit)),
                Kind::Reset { qubit } => (qubit, None),
            };
            let (p0, p1) = b.state.qubit_probabilities(qubit);
            if p0 > ZERO_PROBABILITY && p1 > ZERO_PROBABILITY {
                let mut one = Branch {
                    next: b.next,
                    state: b.state.clone(),
                    weight: b.weight * p1,
                    clbits: b.clbits.clone(),
                };
                settle(&mut one, qubit, clbit, true, p1);
                self.push(one)?;
                b.weight *= p0;
                settle(&mut b, qubit, clbit, false, p0);
            } else {
                let outcome = p1 > ZERO_PROBABILITY;
                settle(&mut b, qubit, clbit, outcome, if outcome { p1 } else { p0 });
            }
        }
        self.finish(b);
        Ok(())
    }

    fn push(&mut self, branch: Branch) -> Result<(), SimError> {
        self.branches += 1;
        if self.branches > MAX_BRANCHES {
            return Err(SimError::TooManyBranches { limit: MAX_BRANCHES });
        }
        // Live states: the pending ones, the one being followed and this one.
        memory::check(
            self.program.num_qubits(),
            self.pending.len() as u64 + 2,
            self.extra,
            self.available,
        )?;
        self.pending.push(branch);
        Ok(())
    }

    /// Adds a finished branch's final distribution to the accumulators.
    fn finish(&mut self, b: Branch) {
        let program = self.program;
        if !program.has_measure {
            for (acc, a) in self.per_qubits.iter_mut().zip(b.state.amplitudes()) {
                *acc += b.weight * a.norm_sqr();
            }
            return;
        }
        let qubits: Vec<usize> = program.deferred.iter().map(|&(q, _)| q).collect();
        b.state.marginal_into(&qubits, &mut self.weights);
        let total: f64 = self.weights.iter().sum();
        let mut clbits = b.clbits;
        for (outcome, &w) in self.weights.iter().enumerate() {
            if w <= 0.0 {
                continue;
            }
            for (j, &(_, clbit)) in program.deferred.iter().enumerate() {
                clbits[clbit] = (outcome >> j) & 1 == 1;
            }
            *self.per_clbits.entry(program.circuit.format_clbits(&clbits)).or_insert(0.0) +=
                b.weight * w / total;
        }
    }
}

/// Collapses `b` onto `outcome` of `qubit` and records it: in `clbit` for a
/// measurement, or by flipping back to |0⟩ for a reset (`clbit == None`).
fn settle(b: &mut Branch, qubit: usize, clbit: Option<usize>, outcome: bool, probability: f64) {
    b.state.collapse(qubit, outcome, probability);
    match clbit {
        Some(c) => b.clbits[c] = outcome,
        None if outcome => b.state.flip_collapsed_one_to_zero(qubit),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_keys_put_qubit_zero_right() {
        assert_eq!(index_key(1, 3), "001");
        assert_eq!(index_key(6, 3), "110");
        assert_eq!(index_key(0, 0), "");
    }
}
