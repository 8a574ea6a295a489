//! SABRE layout: choose the initial placement by routing back and forth.
//!
//! Each layout trial starts from a placement (see [`super::starts`]: dense,
//! along a long path, trivial, reversed trivial, then seeded random
//! permutations) and runs `iterations` forward-backward passes: route the
//! circuit, take the final layout as the start of routing the reversed
//! circuit, and take *its* final layout as the new initial one, so qubits
//! that interact early drift together. Each trial then routes forward with
//! several swap trials; the trial (and its routing) with the fewest swaps
//! wins, the earliest on ties. Layout trials run in parallel and the result
//! does not depend on thread timing.

use qv_circuit::Circuit;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::dense::dense_from_interactions;
use super::starts::{long_path, ordered_layout, placement_region, random_layout};
use super::{Interactions, Layout};
use crate::error::CompileError;
use crate::routing::dag::RoutingDag;
use crate::routing::sabre::Router;
use crate::routing::{
    check_components, float_distances, run_trials, Lookahead, Prepared, Problem, RoutedCircuit,
    SabreHeuristic, SabreOptions, TrialResult,
};
use crate::target::Target;

/// Fixed starting placements tried besides the random ones: dense, along a
/// long path, trivial and reversed trivial.
const EXTRA_STARTS: usize = 4;

/// Options of [`sabre_layout`] and [`sabre_layout_and_route`].
#[derive(Clone, Debug, PartialEq)]
pub struct SabreLayoutOptions {
    /// Random starting placements to try (at least 1), besides the dense,
    /// long-path, trivial and reversed-trivial ones.
    pub layout_trials: usize,
    /// Forward-backward routing passes per starting placement.
    pub iterations: usize,
    /// Layout trials (best by a first routing) that get all `routing.trials`
    /// swap trials; 0 gives them to every layout trial.
    pub finalists: usize,
    /// Routing of the final forward pass: seed, swap trials, heuristic,
    /// parallelism and swap elision.
    pub routing: SabreOptions,
}

impl Default for SabreLayoutOptions {
    fn default() -> Self {
        SabreLayoutOptions {
            layout_trials: 20,
            iterations: 2,
            finalists: 6,
            routing: SabreOptions::default(),
        }
    }
}

/// The initial layout SABRE chooses (see [`sabre_layout_and_route`]).
pub fn sabre_layout(
    circuit: &Circuit,
    target: &Target,
    opts: &SabreLayoutOptions,
) -> Result<Layout, CompileError> {
    Ok(sabre_layout_and_route(circuit, target, opts)?.initial_layout)
}

/// Chooses a layout with SABRE's forward-backward passes and returns the
/// circuit routed from it.
pub fn sabre_layout_and_route(
    circuit: &Circuit,
    target: &Target,
    opts: &SabreLayoutOptions,
) -> Result<RoutedCircuit, CompileError> {
    let prepared = Prepared::new(circuit, target, opts.routing.elide_swaps)?;
    let c = prepared.circuit.as_ref();
    let forward = RoutingDag::build(c, false)?;
    let backward = RoutingDag::build(c, true)?;
    let coupling = target.coupling_map();
    let dist = float_distances(coupling);
    let fwd = Problem { dag: &forward, coupling, dist: &dist };
    let bwd = Problem { dag: &backward, coupling, dist: &dist };
    let graph = Interactions::of(c)?;
    let region = placement_region(&graph, target)?;
    let path = long_path(coupling);
    let n_phys = target.num_qubits();
    let n = c.num_qubits();

    let portfolio = heuristic_portfolio(&opts.routing.heuristic);
    let num_trials = opts.layout_trials.max(1) + EXTRA_STARTS;
    let mut master = ChaCha8Rng::seed_from_u64(opts.routing.seed);
    let seeds: Vec<u64> = (0..num_trials).map(|_| master.gen()).collect();
    // Stage 1: every start gets its forward-backward passes and one forward routing.
    let explore = |(index, &seed): (usize, &u64)| -> Result<Candidate, CompileError> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let start = match index {
            0 => dense_from_interactions(&graph, target).ok(),
            1 => Some(ordered_layout(n, &path, n_phys, &mut rng)),
            2 => Some(ordered_layout(n, &(0..n_phys).collect::<Vec<_>>(), n_phys, &mut rng)),
            3 => Some(ordered_layout(n, &(0..n_phys).rev().collect::<Vec<_>>(), n_phys, &mut rng)),
            _ => None,
        };
        // A fixed start that splits interacting qubits across disconnected
        // parts of the device is replaced by a random one.
        let mut layout = match start {
            Some(l) if check_components(&forward, coupling, &l).is_ok() => l,
            _ => random_layout(&graph, target, &region, &mut rng),
        };
        check_components(&forward, coupling, &layout)?;
        let routing_seed: u64 = rng.gen();
        let h = &portfolio[index % portfolio.len()];
        let mut fwd_router = Router::new(&fwd, h);
        let mut bwd_router = Router::new(&bwd, h);
        for _ in 0..opts.iterations {
            layout = fwd_router.run(&layout, routing_seed, false)?.final_layout;
            layout = bwd_router.run(&layout, routing_seed, false)?.final_layout;
        }
        let routed = fwd_router.run(&layout, routing_seed, true)?;
        Ok(Candidate { index, layout, routed, routing_seed })
    };
    let mut candidates: Vec<Candidate> = if opts.routing.parallel && seeds.len() > 1 {
        seeds.par_iter().enumerate().map(explore).collect::<Result<_, _>>()?
    } else {
        seeds.iter().enumerate().map(explore).collect::<Result<_, _>>()?
    };
    // Stage 2: the most promising layouts get the remaining swap trials.
    candidates.sort_by_key(|c| (c.routed.cost, c.routed.num_swaps, c.index));
    let finalists = match opts.finalists {
        0 => candidates.len(),
        k => k.min(candidates.len()),
    };
    candidates.truncate(finalists);
    let extra_trials = opts.routing.trials.saturating_sub(1);
    let refine = |mut c: Candidate| -> Result<Candidate, CompileError> {
        if extra_trials > 0 {
            let h = &portfolio[c.index % portfolio.len()];
            let seed = c.routing_seed ^ 0x9E37_79B9_7F4A_7C15;
            let r = run_trials(&fwd, &c.layout, h, seed, extra_trials, opts.routing.parallel)?;
            if (r.cost, r.num_swaps) < (c.routed.cost, c.routed.num_swaps) {
                c.routed = r;
            }
        }
        Ok(c)
    };
    let refined: Vec<Candidate> = if opts.routing.parallel && candidates.len() > 1 {
        candidates.into_par_iter().map(refine).collect::<Result<_, _>>()?
    } else {
        candidates.into_iter().map(refine).collect::<Result<_, _>>()?
    };
    let best = refined
        .into_iter()
        .min_by_key(|c| (c.routed.cost, c.routed.num_swaps, c.index))
        .ok_or_else(|| CompileError::Routing("no layout trial ran".into()))?;
    prepared.finish(&forward, best.routed, best.layout, target.num_qubits())
}

/// A layout trial's outcome: its initial layout and best routing so far.
struct Candidate {
    index: usize,
    layout: Layout,
    routed: TrialResult,
    routing_seed: u64,
}

/// Variants of the heuristic spread over the layout trials: the given
/// lookahead, half and twice as far, and the next-layer lookahead, each with
/// and without a preference for swaps that merge into the block of the gate
/// just routed. Circuits differ in how far ahead it pays to look (QFT-like
/// chains prefer less, dense random layers more) and in how much merging
/// pays; the best of a varied set of trials beats more trials of one kind.
fn heuristic_portfolio(base: &SabreHeuristic) -> Vec<SabreHeuristic> {
    let bonus = if base.merge_bonus > 0.0 { base.merge_bonus } else { 0.5 };
    let lookaheads = match base.lookahead {
        Lookahead::Gates { size, weight } => vec![
            base.lookahead,
            Lookahead::Gates { size: size / 2, weight },
            Lookahead::Gates { size: size * 2, weight },
            Lookahead::Layer { weight },
        ],
        Lookahead::Layer { weight } => {
            vec![base.lookahead, Lookahead::Gates { size: 20, weight }]
        }
    };
    let mut out = Vec::with_capacity(2 * lookaheads.len());
    for merge_bonus in [base.merge_bonus, bonus] {
        for &lookahead in &lookaheads {
            out.push(SabreHeuristic { lookahead, merge_bonus, ..base.clone() });
        }
    }
    out
}
