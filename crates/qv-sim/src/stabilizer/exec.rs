//! Running a lowered program on one tableau: the reference run of the frame
//! sampler, and whole shots for circuits that frames cannot express
//! (classically conditioned non-Pauli operations).
//!
//! Consecutive measurements and resets (with the Pauli noise between them)
//! are handed to [`Tableau::measure_group`] together, so the tableau is
//! transposed once per run of them rather than once per measurement.

use std::sync::atomic::AtomicBool;

use super::frame::{OpNoise, Reference};
use super::lower::{StabKind, StabProgram};
use super::noise::{NoiseEvent, Rng};
use super::tableau::{Collapse, Tableau};
use crate::run::is_cancelled;

/// Where random choices come from.
pub(crate) enum Mode<'a> {
    /// The reference run: random outcomes are 0, no noise; records outcomes.
    Reference(&'a mut Reference),
    /// One shot: outcomes and noise drawn from the generator.
    Shot(&'a mut Rng),
}

/// Runs `program` on `tab` (initially `|0…0⟩`), writing measured bits to
/// `clbits`. Looks at `cancel` before each operation (a wide circuit that
/// alternates gates and measurements costs a tableau transposition per
/// measurement) and returns `false`, the tableau partial, when it is set.
pub(crate) fn execute(
    program: &StabProgram,
    noise: &[OpNoise],
    tab: &mut Tableau,
    clbits: &mut [bool],
    mut mode: Mode<'_>,
    cancel: Option<&AtomicBool>,
) -> bool {
    let ops = &program.ops;
    let mut i = 0;
    while i < ops.len() {
        if is_cancelled(cancel) {
            return false;
        }
        let op = &ops[i];
        let held = op.condition.as_ref().is_none_or(|c| c.holds(clbits));
        if let Mode::Reference(r) = &mut mode {
            r.held[i] = held;
        }
        if !held {
            i += 1;
            continue;
        }
        let op_noise = noise.get(i);
        if let StabKind::Gate { clifford, qubits, .. } = &op.kind {
            if let Some(nz) = op_noise {
                apply_noise(tab, &nz.before, &mut mode);
            }
            tab.prepend(&clifford.backward, qubits);
            if let Some(nz) = op_noise {
                apply_noise(tab, &nz.after, &mut mode);
            }
            i += 1;
            continue;
        }
        // A run of measurements and resets: the first may be conditioned (and
        // held); the rest must not be, since earlier outcomes could change them.
        let mut group = Vec::new();
        let mut members = Vec::new();
        let mut j = i;
        while j < ops.len() && (j == i || ops[j].condition.is_none()) {
            let (collapse, q) = match ops[j].kind {
                StabKind::Measure { qubit, .. } => (Collapse::Measure(qubit), qubit),
                StabKind::Reset { qubit } => (Collapse::Reset(qubit), qubit),
                StabKind::Gate { .. } => break,
            };
            let nz = noise.get(j);
            if let (Some(nz), Mode::Shot(rng)) = (nz, &mut mode) {
                group.extend(sampled_paulis(&nz.before, rng));
            }
            debug_assert!(q < tab.num_qubits());
            members.push((j, group.len()));
            group.push(collapse);
            if let (Some(nz), Mode::Shot(rng)) = (nz, &mut mode) {
                group.extend(sampled_paulis(&nz.after, rng));
            }
            j += 1;
        }
        let last = j == ops.len();
        let outcomes = match &mut mode {
            Mode::Reference(_) => tab.measure_group(&group, last, || false),
            Mode::Shot(rng) => tab.measure_group(&group, last, || rng.next_u64() & 1 == 1),
        };
        for (k, pos) in members {
            let outcome = outcomes[pos];
            match &mut mode {
                Mode::Reference(r) => r.outcomes[k] = outcome,
                Mode::Shot(rng) => {
                    if let StabKind::Measure { clbit, .. } = ops[k].kind {
                        let readout = noise.get(k).and_then(|nz| nz.readout);
                        clbits[clbit] = outcome ^ readout_flip(readout, outcome, rng);
                    }
                    continue;
                }
            }
            if let StabKind::Measure { clbit, .. } = ops[k].kind {
                clbits[clbit] = outcome;
            }
        }
        i = j;
    }
    true
}

/// Whether a readout error flips an outcome.
fn readout_flip(readout: Option<(f64, f64)>, outcome: bool, rng: &mut Rng) -> bool {
    match readout {
        Some((p10, p01)) => rng.uniform() < if outcome { p01 } else { p10 },
        None => false,
    }
}

/// Draws each event's Pauli; identity draws are left out.
fn sampled_paulis(events: &[NoiseEvent], rng: &mut Rng) -> Vec<Collapse> {
    let mut out = Vec::new();
    for e in events {
        let total = e.channel.total();
        if rng.uniform() >= total {
            continue;
        }
        let (px, pz) = e.channel.pick(rng.uniform() * total);
        for (j, &q) in e.qubits.iter().enumerate().take(e.channel.num_qubits()) {
            let (x, z) = ((px >> j) & 1 == 1, (pz >> j) & 1 == 1);
            if x || z {
                out.push(Collapse::Pauli(q, x, z));
            }
        }
    }
    out
}

fn apply_noise(tab: &mut Tableau, events: &[NoiseEvent], mode: &mut Mode<'_>) {
    if let Mode::Shot(rng) = mode {
        for p in sampled_paulis(events, rng) {
            if let Collapse::Pauli(q, x, z) = p {
                tab.apply_pauli(q, x, z);
            }
        }
    }
}
