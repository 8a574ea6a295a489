//! Dense layout: put the circuit on the most densely coupled region.
//!
//! From every physical qubit a region of `n` qubits grows greedily (the
//! neighbour with the most couplings into it first); the region with the most
//! internal couplings wins, lower summed error rates breaking ties when the
//! target has them. Virtual qubits are then placed greedily, most-interacting
//! first, each on the free region qubit that minimises the gate-count-weighted
//! distance to its placed partners; small regions try every qubit as the
//! first placement and keep the cheapest.

use qv_circuit::Circuit;

use super::{Interactions, Layout};
use crate::error::CompileError;
use crate::target::Target;

/// The densest region of `circuit.num_qubits()` physical qubits, with
/// interacting virtual qubits placed close together.
pub fn dense_layout(circuit: &Circuit, target: &Target) -> Result<Layout, CompileError> {
    target.check_width(circuit.num_qubits())?;
    let graph = Interactions::of(circuit)?;
    dense_from_interactions(&graph, target)
}

/// [`dense_layout`] from a precomputed interaction graph.
pub(crate) fn dense_from_interactions(
    graph: &Interactions,
    target: &Target,
) -> Result<Layout, CompileError> {
    let n = graph.num_qubits();
    let map = target.coupling_map();
    let region = densest_region(target, n).ok_or_else(|| {
        CompileError::Routing(format!(
            "no connected part of target `{}` has {n} qubits",
            target.name()
        ))
    })?;
    let mut in_region = vec![false; map.num_qubits()];
    for &p in &region {
        in_region[p] = true;
    }
    // The first (busiest) virtual qubit goes on the region's best-connected
    // qubit; on small regions every anchor is tried and the cheapest
    // placement kept, which lets chains start at a path's end.
    let region_degree =
        |p: usize| map.neighbors(p).iter().filter(|&&q| in_region[q as usize]).count();
    let mut anchors: Vec<usize> = region.clone();
    anchors.sort_by_key(|&p| (std::cmp::Reverse(region_degree(p)), p));
    anchors.truncate(if n <= MAX_ANCHORED { anchors.len() } else { 1 });
    let mut best: Option<(usize, Vec<usize>)> = None;
    for &anchor in &anchors {
        let (cost, physical) = place(graph, target, &region, &in_region, anchor);
        if best.as_ref().is_none_or(|(c, _)| cost < *c) {
            best = Some((cost, physical));
        }
    }
    let physical = best.map(|(_, p)| p).unwrap_or_default();
    Layout::from_physical(&physical, map.num_qubits())
}

/// Regions up to this size try every qubit as the first placement.
const MAX_ANCHORED: usize = 64;

/// Greedy placement from `anchor`: each next virtual qubit (most gates with
/// placed ones, then most partners) goes on the free region qubit that
/// minimises the gate-count-weighted distance to its placed partners.
/// Returns the total weighted distance and the placement.
fn place(
    graph: &Interactions,
    target: &Target,
    region: &[usize],
    in_region: &[bool],
    anchor: usize,
) -> (usize, Vec<usize>) {
    let n = graph.num_qubits();
    let map = target.coupling_map();
    let region_degree =
        |p: usize| map.neighbors(p).iter().filter(|&&q| in_region[q as usize]).count();
    let mut placed: Vec<Option<usize>> = vec![None; n];
    let mut taken = vec![false; map.num_qubits()];
    let mut weight_to_placed = vec![0usize; n];
    let mut total = 0;
    for step in 0..n {
        let v = (0..n)
            .filter(|&v| placed[v].is_none())
            .max_by_key(|&v| (weight_to_placed[v], graph.degree(v), std::cmp::Reverse(v)))
            .unwrap_or(0);
        let cost = |p: usize| -> usize {
            graph
                .neighbors(v)
                .iter()
                .filter_map(|&(w, count)| {
                    placed[w].and_then(|pw| map.distance(p, pw)).map(|d| d * count)
                })
                .sum()
        };
        let p = if step == 0 {
            anchor
        } else {
            region
                .iter()
                .copied()
                .filter(|&p| !taken[p])
                .min_by_key(|&p| (cost(p), std::cmp::Reverse(region_degree(p)), p))
                .unwrap_or(anchor)
        };
        total += cost(p);
        placed[v] = Some(p);
        taken[p] = true;
        for &(w, count) in graph.neighbors(v) {
            weight_to_placed[w] += count;
        }
    }
    (total, placed.iter().map(|p| p.unwrap_or(0)).collect())
}

/// The region of `n` qubits with the most internal couplings (then the
/// lowest summed error, then the lowest start qubit); `None` when no
/// connected part is large enough. From each start qubit the region grows
/// greedily by the neighbour with the most couplings into it (then the
/// closest to the start), which finds compact blocks such as squares on a
/// grid where a plain breadth-first ball would not.
fn densest_region(target: &Target, n: usize) -> Option<Vec<usize>> {
    let map = target.coupling_map();
    let size = map.num_qubits();
    if n == 0 {
        return Some(vec![]);
    }
    let mut best: Option<(usize, f64, Vec<usize>)> = None;
    // Per start: stamp marks region members; `links` counts couplings into the region.
    let mut member = vec![usize::MAX; size];
    let mut stamp = vec![usize::MAX; size];
    let mut links = vec![0usize; size];
    let mut frontier: Vec<usize> = Vec::new();
    let mut region = Vec::with_capacity(n);
    for start in 0..size {
        region.clear();
        frontier.clear();
        let mut edges = 0;
        let mut next = Some(start);
        while let Some(q) = next {
            member[q] = start;
            edges += if stamp[q] == start { links[q] } else { 0 };
            region.push(q);
            if region.len() == n {
                break;
            }
            for &nb in map.neighbors(q) {
                let nb = nb as usize;
                if member[nb] == start {
                    continue;
                }
                if stamp[nb] != start {
                    stamp[nb] = start;
                    links[nb] = 0;
                    frontier.push(nb);
                }
                links[nb] += 1;
            }
            frontier.retain(|&f| member[f] != start);
            next = frontier.iter().copied().max_by_key(|&f| {
                (links[f], std::cmp::Reverse(map.distance(start, f)), std::cmp::Reverse(f))
            });
        }
        if region.len() < n {
            continue;
        }
        let better = match &best {
            None => true,
            Some((e, _, _)) if edges != *e => edges > *e,
            Some((_, err, _)) => region_error(target, &region, &member, start) < *err,
        };
        if better {
            let error = region_error(target, &region, &member, start);
            best = Some((edges, error, region.clone()));
        }
        if map.is_all_to_all() {
            break; // every region is equally dense
        }
    }
    best.map(|(_, _, region)| region)
}

/// Summed readout and coupling errors inside a region (members stamped `start`).
fn region_error(target: &Target, region: &[usize], member: &[usize], start: usize) -> f64 {
    if !target.has_error_rates() {
        return 0.0;
    }
    let map = target.coupling_map();
    let mut error = 0.0;
    for &a in region {
        error += target.readout_error(a).unwrap_or(0.0);
        for &b in map.neighbors(a) {
            let b = b as usize;
            if b > a && member[b] == start {
                error += target.coupling_error(a, b).unwrap_or(0.0);
            }
        }
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::CouplingMap;
    use qv_circuit::StandardGate;

    fn target(map: CouplingMap) -> Target {
        Target::new("t", &[StandardGate::Cx, StandardGate::U], map).unwrap()
    }

    #[test]
    fn chain_lands_on_adjacent_qubits() {
        // Star + tail: 0-1, 1-2, 1-3, 3-4 ; a 3-qubit chain fits on 0,1,2 around hub 1.
        let t = target(CouplingMap::new(5, &[(0, 1), (1, 2), (1, 3), (3, 4)], false).unwrap());
        let c = Circuit::new(3).cx(0, 1).cx(1, 2).cx(0, 1);
        let l = dense_layout(&c, &t).unwrap();
        let m = t.coupling_map();
        assert!(m.are_coupled(l.physical(0), l.physical(1)));
        assert!(m.are_coupled(l.physical(1), l.physical(2)));
        // The busiest virtual qubit (1) sits on the hub.
        assert_eq!(l.physical(1), 1);
    }

    #[test]
    fn grid_region_is_a_square() {
        let t = target(CouplingMap::grid(4, 4).unwrap());
        let c = Circuit::new(4).cx(0, 1).cx(1, 2).cx(2, 3).cx(3, 0);
        let l = dense_layout(&c, &t).unwrap();
        let m = t.coupling_map();
        for (a, b) in [(0, 1), (1, 2), (2, 3), (3, 0)] {
            assert!(m.are_coupled(l.physical(a), l.physical(b)), "{a}-{b}: {:?}", l.to_physical());
        }
    }

    #[test]
    fn too_small_components_are_reported() {
        let t = target(CouplingMap::new(4, &[(0, 1), (2, 3)], false).unwrap());
        let c = Circuit::new(3).cx(0, 1).cx(1, 2);
        assert_eq!(
            dense_layout(&c, &t).unwrap_err().to_string(),
            "cannot route the circuit: no connected part of target `t` has 3 qubits"
        );
    }
}
