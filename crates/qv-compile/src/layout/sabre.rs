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
    check_components, float_distances, run_trials, Prepared, Problem, RoutedCircuit,
    SabreOptions, TrialResult,
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
    /// Routing of the final forward pass: seed, swap trials, heuristic,
    /// parallelism and swap elision.
    pub routing: SabreOptions,
}

impl Default for SabreLayoutOptions {
    fn default() -> Self {
        SabreLayoutOptions { layout_trials: 20, iterations: 2, routing: SabreOptions::default() }
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

    let num_trials = opts.layout_trials.max(1) + EXTRA_STARTS;
    let mut master = ChaCha8Rng::seed_from_u64(opts.routing.seed);
    let seeds: Vec<u64> = (0..num_trials).map(|_| master.gen()).collect();
    let trial = |(index, &seed): (usize, &u64)| -> Result<(usize, usize, Layout, TrialResult), CompileError> {
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
        let h = &opts.routing.heuristic;
        let mut fwd_router = Router::new(&fwd, h);
        let mut bwd_router = Router::new(&bwd, h);
        for _ in 0..opts.iterations {
            layout = fwd_router.run(&layout, routing_seed, false)?.final_layout;
            layout = bwd_router.run(&layout, routing_seed, false)?.final_layout;
        }
        let routed =
            run_trials(&fwd, &layout, h, routing_seed, opts.routing.trials, opts.routing.parallel)?;
        if std::env::var("QV_DEBUG").is_ok() { eprintln!("trial {index}: {}", routed.num_swaps); }
        Ok((routed.num_swaps, index, layout, routed))
    };
    let results: Vec<_> = if opts.routing.parallel && seeds.len() > 1 {
        seeds.par_iter().enumerate().map(trial).collect::<Result<_, _>>()?
    } else {
        seeds.iter().enumerate().map(trial).collect::<Result<_, _>>()?
    };
    let (_, _, layout, routed) = results
        .into_iter()
        .min_by_key(|(swaps, index, _, _)| (*swaps, *index))
        .ok_or_else(|| CompileError::Routing("no layout trial ran".into()))?;
    prepared.finish(&forward, routed, layout, target.num_qubits())
}

