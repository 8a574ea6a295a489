//! SABRE routing: inserts swaps so every two-qubit gate acts on coupled qubits.
//!
//! [`route_sabre`] routes a circuit from a given [`Layout`]: it builds the
//! dependency graph ([`dag`]), runs several seeded trials of the LightSABRE
//! search ([`sabre`]) — in parallel — keeps the one whose swaps cost the
//! fewest two-qubit gates once merged into neighbouring blocks, then the
//! fewest swaps (earliest trial on ties, so results do not depend on thread
//! timing) and rebuilds the circuit on physical qubits: qubit `p` of the
//! output is physical qubit `p`, classical registers are unchanged.
//!
//! Two permutation clean-ups fold swaps into the final layout instead of
//! executing them: with [`SabreOptions::elide_swaps`] the input's own
//! unconditioned `swap` gates become relabellings before routing (Qiskit's
//! `ElidePermutations`), and [`remove_trailing_swaps`] drops swaps followed
//! only by measurements and barriers.
//!
//! The result satisfies `W · P_init = P_final · (U ⊗ I)`: the routed unitary
//! `W`, started with virtual qubit `v` on `initial_layout.physical(v)`, equals
//! the input `U` followed by moving `v` to `final_layout.physical(v)`.

pub(crate) mod dag;
pub(crate) mod sabre;

use std::borrow::Cow;

use qv_circuit::{Circuit, Expr, GateRef, Instruction, Operation, StandardGate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::error::CompileError;
use crate::layout::Layout;
use crate::target::{CouplingMap, Target};
use dag::RoutingDag;
pub(crate) use sabre::{float_distances, Problem, TrialResult};
use sabre::{Event, Router};

pub use crate::layout::{sabre_layout_and_route, SabreLayoutOptions};
pub use sabre::{Lookahead, SabreHeuristic};

/// Options of [`route_sabre`].
#[derive(Clone, Debug, PartialEq)]
pub struct SabreOptions {
    /// Seed of the trials' tie-breaking; the same seed gives the same result.
    pub seed: u64,
    /// Number of routing trials (at least 1); the fewest swaps wins.
    pub trials: usize,
    /// Cost function weights.
    pub heuristic: SabreHeuristic,
    /// Run trials on all cores (the result is the same either way).
    pub parallel: bool,
    /// Treat the input's unconditioned `swap` gates as relabelling of the
    /// qubits that follow, folded into the final layout, instead of gates.
    pub elide_swaps: bool,
}

impl Default for SabreOptions {
    fn default() -> Self {
        SabreOptions {
            seed: 0x5AB2E,
            trials: 20,
            heuristic: SabreHeuristic::default(),
            parallel: true,
            elide_swaps: false,
        }
    }
}

/// A circuit on physical qubits with its layouts.
#[derive(Clone, Debug)]
pub struct RoutedCircuit {
    /// The routed circuit: one qubit per physical qubit, every two-qubit gate
    /// on a coupled pair; classical registers as in the input.
    pub circuit: Circuit,
    /// Where each virtual qubit starts.
    pub initial_layout: Layout,
    /// Where each virtual qubit's state ends.
    pub final_layout: Layout,
    /// Swap gates the router inserted.
    pub swaps_inserted: usize,
}

/// Routes `circuit` (flattened or not; gates on at most two qubits) on
/// `target`, starting from `layout`.
pub fn route_sabre(
    circuit: &Circuit,
    target: &Target,
    layout: &Layout,
    opts: &SabreOptions,
) -> Result<RoutedCircuit, CompileError> {
    let prepared = Prepared::new(circuit, target, opts.elide_swaps)?;
    check_layout(layout, prepared.circuit.num_qubits(), target)?;
    let dag = RoutingDag::build(&prepared.circuit, false)?;
    let coupling = target.coupling_map();
    check_components(&dag, coupling, layout)?;
    let dist = float_distances(coupling);
    let problem = Problem { dag: &dag, coupling, dist: &dist };
    let best =
        run_trials(&problem, layout, &opts.heuristic, opts.seed, opts.trials, opts.parallel)?;
    prepared.finish(&dag, best, layout.clone(), target.num_qubits())
}

/// The input after flattening and swap elision, with the relabelling applied.
pub(crate) struct Prepared<'c> {
    pub circuit: Cow<'c, Circuit>,
    /// `loc[v]`: the qubit holding original virtual qubit `v` at the end.
    loc: Vec<u32>,
}

impl<'c> Prepared<'c> {
    /// Flattens custom gates, checks the width and optionally elides swaps.
    pub fn new(circuit: &'c Circuit, target: &Target, elide: bool) -> Result<Self, CompileError> {
        target.check_width(circuit.num_qubits())?;
        let has_custom = circuit
            .instructions()
            .iter()
            .any(|i| matches!(i.op, Operation::Gate { gate: GateRef::Custom(_), .. }));
        let mut c =
            if has_custom { Cow::Owned(circuit.flatten()?) } else { Cow::Borrowed(circuit) };
        let n = target.num_qubits();
        let mut loc: Vec<u32> = (0..n as u32).collect();
        if elide && c.instructions().iter().any(is_elidable_swap) {
            let (elided, perm) = elide_swaps(&c)?;
            c = Cow::Owned(elided);
            loc[..perm.len()].copy_from_slice(&perm);
        }
        Ok(Prepared { circuit: c, loc })
    }

    /// Builds the routed circuit from the best trial.
    pub fn finish(
        &self,
        dag: &RoutingDag,
        best: TrialResult,
        initial_layout: Layout,
        num_physical: usize,
    ) -> Result<RoutedCircuit, CompileError> {
        let circuit = rebuild(&self.circuit, dag, &best.events, &initial_layout, num_physical)?;
        let routed_final = best.final_layout.v2p();
        let v2p: Vec<u32> = self.loc.iter().map(|&l| routed_final[l as usize]).collect();
        Ok(RoutedCircuit {
            circuit,
            final_layout: Layout::from_v2p(initial_layout.num_virtual(), v2p),
            initial_layout,
            swaps_inserted: best.num_swaps,
        })
    }
}

/// Errors unless `layout` places exactly the circuit's qubits on the target.
pub(crate) fn check_layout(
    layout: &Layout,
    num_virtual: usize,
    target: &Target,
) -> Result<(), CompileError> {
    if layout.num_physical() != target.num_qubits() {
        return Err(CompileError::InvalidLayout(format!(
            "the layout covers {} physical qubits but target `{}` has {}",
            layout.num_physical(),
            target.name(),
            target.num_qubits()
        )));
    }
    if layout.num_virtual() != num_virtual {
        return Err(CompileError::InvalidLayout(format!(
            "the layout places {} virtual qubits but the circuit has {num_virtual}",
            layout.num_virtual()
        )));
    }
    Ok(())
}

/// Errors when two interacting qubits sit in different connected parts of
/// the device (no swaps can bring them together).
pub(crate) fn check_components(
    dag: &RoutingDag,
    coupling: &CouplingMap,
    layout: &Layout,
) -> Result<(), CompileError> {
    let comp = coupling.components();
    for node in dag.nodes.iter().filter(|n| n.two_qubit) {
        let [a, b] = node.qubits.map(|q| q as usize);
        let (pa, pb) = (layout.physical(a), layout.physical(b));
        if comp[pa] != comp[pb] {
            return Err(CompileError::Routing(format!(
                "qubits {a} and {b} interact but are placed on physical qubits {pa} and {pb}, \
                 which no path of couplings connects"
            )));
        }
    }
    Ok(())
}

/// Runs `trials` seeded trials (in parallel when asked) and returns the one
/// whose swaps cost the fewest gates after block consolidation, then the one
/// with the fewest swaps, the earliest on ties.
pub(crate) fn run_trials(
    problem: &Problem<'_>,
    layout: &Layout,
    heuristic: &SabreHeuristic,
    seed: u64,
    trials: usize,
    parallel: bool,
) -> Result<TrialResult, CompileError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let seeds: Vec<u64> = (0..trials.max(1)).map(|_| rng.gen()).collect();
    let run = |(i, &s): (usize, &u64)| {
        Router::new(problem, heuristic).run(layout, s, true).map(|r| ((r.cost, r.num_swaps), i, r))
    };
    let pick = |a: ((usize, usize), usize, TrialResult),
                b: ((usize, usize), usize, TrialResult)| {
        if (b.0, b.1) < (a.0, a.1) {
            b
        } else {
            a
        }
    };
    let results: Vec<_> = if parallel && seeds.len() > 1 {
        seeds.par_iter().enumerate().map(run).collect::<Result<_, _>>()?
    } else {
        seeds.iter().enumerate().map(run).collect::<Result<_, _>>()?
    };
    let best = results.into_iter().reduce(pick);
    // `trials.max(1)` guarantees one result.
    best.map(|(_, _, r)| r).ok_or_else(|| CompileError::Routing("no routing trial ran".into()))
}

/// Emits the routed circuit: leading one-qubit operations, then every event
/// with its instructions mapped through the current layout.
fn rebuild(
    src: &Circuit,
    dag: &RoutingDag,
    events: &[Event],
    initial: &Layout,
    num_physical: usize,
) -> Result<Circuit, CompileError> {
    let mut out = physical_circuit(src, num_physical)?;
    let mut layout = initial.clone();
    let insts = src.instructions();
    let emit = |out: &mut Circuit, layout: &Layout, i: u32| {
        let inst = &insts[i as usize];
        out.push(Instruction {
            op: inst.op.clone(),
            qubits: inst.qubits.iter().map(|&q| layout.physical(q)).collect(),
            clbits: inst.clbits.clone(),
            condition: inst.condition,
        })
    };
    for &i in &dag.leading {
        emit(&mut out, &layout, i)?;
    }
    for ev in events {
        match *ev {
            Event::Swap(a, b) => {
                out.push(swap_instruction(a as usize, b as usize))?;
                layout.swap_physical(a as usize, b as usize);
            }
            Event::Node(n) => {
                emit(&mut out, &layout, dag.inst[n as usize])?;
                for &i in dag.attached_to(n) {
                    emit(&mut out, &layout, i)?;
                }
            }
        }
    }
    Ok(out)
}

/// An empty circuit with one quantum register of `num_physical` qubits and
/// `src`'s classical registers (same order, so bit indices carry over).
pub(crate) fn physical_circuit(
    src: &Circuit,
    num_physical: usize,
) -> Result<Circuit, CompileError> {
    let mut out = Circuit::empty();
    let mut name = String::from("q");
    while src.cregs().iter().any(|r| r.name == name) {
        name.push('_');
    }
    out.add_qreg(&name, num_physical)?;
    for reg in src.cregs() {
        out.add_creg(&reg.name, reg.size)?;
    }
    out.global_phase = src.global_phase;
    Ok(out)
}

fn swap_instruction(a: usize, b: usize) -> Instruction {
    Instruction {
        op: Operation::Gate {
            gate: GateRef::Standard(StandardGate::Swap),
            params: Vec::<Expr>::new(),
        },
        qubits: vec![a, b],
        clbits: vec![],
        condition: None,
    }
}

fn is_elidable_swap(inst: &Instruction) -> bool {
    inst.condition.is_none()
        && matches!(inst.op, Operation::Gate { gate: GateRef::Standard(StandardGate::Swap), .. })
}

/// Removes unconditioned swap gates by relabelling the qubits of everything
/// after them. Returns the new circuit and `loc`, where `loc[v]` is the qubit
/// of the new circuit that holds original qubit `v` at the end.
fn elide_swaps(circuit: &Circuit) -> Result<(Circuit, Vec<u32>), CompileError> {
    let mut loc: Vec<u32> = (0..circuit.num_qubits() as u32).collect();
    let mut kept = Vec::with_capacity(circuit.instructions().len());
    for inst in circuit.instructions() {
        if is_elidable_swap(inst) {
            loc.swap(inst.qubits[0], inst.qubits[1]);
            continue;
        }
        let mut inst = inst.clone();
        for q in &mut inst.qubits {
            *q = loc[*q] as usize;
        }
        kept.push(inst);
    }
    Ok((replace_instructions(circuit, kept)?, loc))
}

/// `template`'s registers and definitions with new instructions.
fn replace_instructions(
    template: &Circuit,
    insts: Vec<Instruction>,
) -> Result<Circuit, CompileError> {
    let mut out = Circuit::empty();
    for reg in template.qregs() {
        out.add_qreg(&reg.name, reg.size)?;
    }
    for reg in template.cregs() {
        out.add_creg(&reg.name, reg.size)?;
    }
    for def in template.gate_definitions() {
        out.add_gate_definition(def.clone());
    }
    out.global_phase = template.global_phase;
    for inst in insts {
        out.push(inst)?;
    }
    Ok(out)
}

/// Drops unconditioned swap gates that are followed, on both their qubits,
/// only by measurements, barriers and other such swaps: later measurements
/// and barriers are relabelled and the swap folds into the final layout.
/// Returns the new circuit and final layout.
pub fn remove_trailing_swaps(
    circuit: &Circuit,
    final_layout: &Layout,
) -> Result<(Circuit, Layout), CompileError> {
    if final_layout.num_physical() != circuit.num_qubits() {
        return Err(CompileError::InvalidLayout(format!(
            "the final layout covers {} physical qubits but the circuit has {}",
            final_layout.num_physical(),
            circuit.num_qubits()
        )));
    }
    let insts = circuit.instructions();
    let mut blocked = vec![false; circuit.num_qubits()];
    let mut removable = vec![false; insts.len()];
    for (i, inst) in insts.iter().enumerate().rev() {
        let passive =
            inst.condition.is_none() && matches!(inst.op, Operation::Measure | Operation::Barrier);
        if is_elidable_swap(inst) && inst.qubits.iter().all(|&q| !blocked[q]) {
            removable[i] = true;
        } else if !passive {
            for &q in &inst.qubits {
                blocked[q] = true;
            }
        }
    }
    if !removable.contains(&true) {
        return Ok((circuit.clone(), final_layout.clone()));
    }
    let mut perm: Vec<usize> = (0..circuit.num_qubits()).collect();
    let mut kept = Vec::with_capacity(insts.len());
    for (inst, &remove) in insts.iter().zip(&removable) {
        if remove {
            perm.swap(inst.qubits[0], inst.qubits[1]);
            continue;
        }
        let mut inst = inst.clone();
        for q in &mut inst.qubits {
            *q = perm[*q];
        }
        kept.push(inst);
    }
    let v2p: Vec<u32> = final_layout.v2p().iter().map(|&p| perm[p as usize] as u32).collect();
    Ok((replace_instructions(circuit, kept)?, Layout::from_v2p(final_layout.num_virtual(), v2p)))
}
