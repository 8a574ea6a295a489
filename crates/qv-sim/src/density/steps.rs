//! Turning a lowered program and its noise into density-matrix steps.
//!
//! Every gate becomes two passes on the vectorised `ρ` (`U` on the row
//! qubits, `conj(U)` on the column qubits), every channel, reset and
//! pre-measurement error one superoperator pass on both. Runs of
//! unconditional passes are planned together by the state-vector engine's
//! fusion ([`crate::fast::fusion`]), so a noisy gate and its channels cost one
//! pass over `ρ`. What cannot be fused is a step of its own: conditioned
//! operations (applied per classical record) and collapsing measurements.

use std::collections::HashMap;

use qv_circuit::{Matrix, C64};

use crate::fast::{fusion, FusionLimits, GateOp, Plan};
use crate::noise::{Applied, Channel, OpNoise, ReadoutError};
use crate::program::{Cond, Kind, Program};

/// One step of a density-matrix run.
#[derive(Debug)]
pub(crate) enum Step {
    /// Passes applied to every branch.
    Apply(Plan),
    /// Passes applied to the branches whose classical record satisfies `cond`.
    Conditional {
        /// The condition.
        cond: Cond,
        /// The passes.
        plan: Plan,
    },
    /// A measurement whose outcome matters later (it collapses).
    Measure {
        /// Measured qubit.
        qubit: usize,
        /// Classical bit written.
        clbit: usize,
        /// Only when this holds.
        cond: Option<Cond>,
        /// Readout error of the recorded bit.
        readout: Option<ReadoutError>,
    },
}

/// What deferred (terminal) measurements mean in this run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Terminal {
    /// They are sampled at the end: their pre-measurement errors are applied.
    Measure,
    /// They are ignored (final state and expectation values), errors included.
    Ignore,
}

/// The steps of a run and the readout errors of the deferred measurements.
#[derive(Debug)]
pub(crate) struct Steps {
    /// Steps in order.
    pub steps: Vec<Step>,
    /// Readout error of each `Program::deferred` entry, in the same order.
    pub deferred_readout: Vec<Option<ReadoutError>>,
}

impl Steps {
    /// Index of the first collapsing measurement (or `steps.len()`).
    pub fn first_measure(&self) -> usize {
        self.steps
            .iter()
            .position(|s| matches!(s, Step::Measure { .. }))
            .unwrap_or(self.steps.len())
    }
}

/// Builds the steps of `program` on `n` simulated qubits with `noise[i]`
/// for `program.ops[i]`.
pub(crate) fn build(
    program: &Program,
    noise: &[OpNoise],
    n: usize,
    terminal: Terminal,
    limits: FusionLimits,
) -> Steps {
    let mut b =
        Builder { n, limits, pending: Vec::new(), steps: Vec::new(), superops: HashMap::new() };
    for (op, noise) in program.ops.iter().zip(noise) {
        let mut ops = Vec::new();
        match &op.kind {
            Kind::Gate { matrix, qubits } => {
                ops.extend(gate_ops(matrix, qubits, n));
                b.channels(&noise.after, &mut ops);
            }
            Kind::Reset { qubit } => {
                ops.push(GateOp { matrix: reset_superop(), qubits: vec![*qubit, n + qubit] });
                b.channels(&noise.after, &mut ops);
            }
            Kind::Measure { deferred: true, .. } => {
                if terminal == Terminal::Measure {
                    b.channels(&noise.before, &mut ops);
                }
            }
            Kind::Measure { qubit, clbit, deferred: false } => {
                b.channels(&noise.before, &mut ops);
                b.push(ops, op.condition.as_ref());
                b.flush();
                b.steps.push(Step::Measure {
                    qubit: *qubit,
                    clbit: *clbit,
                    cond: op.condition.clone(),
                    readout: noise.readout,
                });
                continue;
            }
        }
        b.push(ops, op.condition.as_ref());
    }
    b.flush();
    let deferred_readout = program
        .deferred
        .iter()
        .map(|&(_, clbit)| {
            program
                .ops
                .iter()
                .zip(noise)
                .rev()
                .find(|(op, _)| matches!(op.kind, Kind::Measure { clbit: c, .. } if c == clbit))
                .and_then(|(_, noise)| noise.readout)
        })
        .collect();
    Steps { steps: b.steps, deferred_readout }
}

struct Builder {
    n: usize,
    limits: FusionLimits,
    pending: Vec<GateOp>,
    steps: Vec<Step>,
    /// Superoperators already built, by channel identity.
    superops: HashMap<*const Channel, Matrix>,
}

impl Builder {
    /// Appends the superoperator passes of `channels`.
    fn channels(&mut self, channels: &[Applied], out: &mut Vec<GateOp>) {
        for a in channels {
            let key = std::sync::Arc::as_ptr(&a.channel);
            let matrix =
                self.superops.entry(key).or_insert_with(|| a.channel.superoperator()).clone();
            let mut qubits = a.qubits.clone();
            qubits.extend(a.qubits.iter().map(|q| self.n + q));
            out.push(GateOp { matrix, qubits });
        }
    }

    /// Adds passes to the current run, or as a conditional step.
    fn push(&mut self, ops: Vec<GateOp>, cond: Option<&Cond>) {
        if ops.is_empty() {
            return;
        }
        match cond {
            None => self.pending.extend(ops),
            Some(cond) => {
                self.flush();
                let plan = fusion::plan(&ops, 2 * self.n, self.limits);
                self.steps.push(Step::Conditional { cond: cond.clone(), plan });
            }
        }
    }

    /// Plans the pending unconditional passes into one step.
    fn flush(&mut self) {
        if !self.pending.is_empty() {
            let plan = fusion::plan(&self.pending, 2 * self.n, self.limits);
            self.steps.push(Step::Apply(plan));
            self.pending.clear();
        }
    }
}

/// `U ρ U†` as passes: `U` on the row qubits `n + q`, `conj(U)` on the column qubits `q`.
fn gate_ops(matrix: &Matrix, qubits: &[usize], n: usize) -> [GateOp; 2] {
    let conj = Matrix::from_vec(matrix.dim(), matrix.data().iter().map(C64::conj).collect());
    [
        GateOp { matrix: matrix.clone(), qubits: qubits.iter().map(|q| n + q).collect() },
        GateOp { matrix: conj, qubits: qubits.to_vec() },
    ]
}

/// The reset channel (Kraus `|0⟩⟨0|`, `|0⟩⟨1|`) as a superoperator on
/// (column, row) virtual qubits: `ρ[0][0] += ρ[1][1]`, everything else with a
/// 1 in it vanishes.
fn reset_superop() -> Matrix {
    // Local index = r·2 + c; entry (0,0) ← (0,0) + (1,1).
    let mut m = Matrix::zeros(4);
    m.set(0, 0, C64::new(1.0, 0.0));
    m.set(0, 3, C64::new(1.0, 0.0));
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noise::{attach, NoiseModel};
    use qv_circuit::Circuit;

    #[test]
    fn unconditional_work_is_one_step_and_measurements_split_it() {
        let mut m = NoiseModel::new();
        m.add_all_qubit_error(Channel::depolarizing(0.1, 1).unwrap(), &["h"]).unwrap();
        let c =
            Circuit::with_clbits(2, 2).h(0).cx(0, 1).measure(0, 0).x(1).c_if(0, 1).measure(1, 1);
        let p = Program::lower(&c).unwrap();
        let steps = build(&p, &attach(&p, Some(&m)), 2, Terminal::Measure, FusionLimits::default());
        let kinds: Vec<&str> = steps
            .steps
            .iter()
            .map(|s| match s {
                Step::Apply(_) => "apply",
                Step::Conditional { .. } => "if",
                Step::Measure { .. } => "measure",
            })
            .collect();
        assert_eq!(kinds, vec!["apply", "measure", "if"]);
        assert_eq!(steps.first_measure(), 1);
        assert_eq!(steps.deferred_readout, vec![None]);
    }
}
