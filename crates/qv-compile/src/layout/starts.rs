//! Starting placements for SABRE layout trials.
//!
//! Besides the dense layout, SABRE layout starts from the trivial placement,
//! its reverse, the circuit's qubits laid in order along a long simple path
//! of the device (which suits chains such as GHZ preparation and linear
//! ansätze) and seeded random permutations. On a coupling map with several
//! connected parts, interacting qubits go to the largest part.

use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::{Interactions, Layout};
use crate::error::CompileError;
use crate::target::{CouplingMap, Target};

/// Physical qubits eligible for interacting virtual qubits: all of them on
/// a connected map, else the largest connected part (which must fit them).
pub(crate) fn placement_region(
    graph: &Interactions,
    target: &Target,
) -> Result<Vec<usize>, CompileError> {
    let map = target.coupling_map();
    let n_phys = map.num_qubits();
    if map.num_components() == 1 {
        return Ok((0..n_phys).collect());
    }
    let comp = map.components();
    let mut sizes = vec![0usize; map.num_components()];
    for &c in comp {
        sizes[c as usize] += 1;
    }
    let largest = (0..sizes.len()).max_by_key(|&c| (sizes[c], std::cmp::Reverse(c))).unwrap_or(0);
    let interacting = (0..graph.num_qubits()).filter(|&v| graph.degree(v) > 0).count();
    if interacting > sizes[largest] {
        return Err(CompileError::Routing(format!(
            "{interacting} qubits take part in two-qubit gates but the largest connected part \
             of target `{}` has only {} qubits",
            target.name(),
            sizes[largest]
        )));
    }
    Ok((0..n_phys).filter(|&p| comp[p] as usize == largest).collect())
}

/// A seeded random placement: interacting virtual qubits on a shuffled
/// `region`, everything else (idle qubits, ancillas) on the rest.
pub(crate) fn random_layout(
    graph: &Interactions,
    target: &Target,
    region: &[usize],
    rng: &mut ChaCha8Rng,
) -> Layout {
    let n_phys = target.num_qubits();
    let mut in_region: Vec<usize> = region.to_vec();
    in_region.shuffle(rng);
    let mut is_region = vec![false; n_phys];
    for &p in region {
        is_region[p] = true;
    }
    let mut rest: Vec<usize> = (0..n_phys).filter(|&p| !is_region[p]).collect();
    rest.shuffle(rng);
    let n = graph.num_qubits();
    let mut v2p = vec![0u32; n_phys];
    let mut region_iter = in_region.into_iter();
    let mut idle = Vec::new();
    for (v, slot) in v2p.iter_mut().enumerate().take(n) {
        if graph.degree(v) > 0 {
            *slot = region_iter.next().unwrap_or(0) as u32;
        } else {
            idle.push(v);
        }
    }
    let mut others = region_iter.chain(rest);
    for v in idle.into_iter().chain(n..n_phys) {
        v2p[v] = others.next().unwrap_or(0) as u32;
    }
    Layout::from_v2p(n, v2p)
}

/// Virtual qubit `v` on physical qubit `order[v]`; virtual qubits beyond the
/// order's length (and ancillas) take the remaining qubits at random.
pub(crate) fn ordered_layout(
    num_virtual: usize,
    order: &[usize],
    num_physical: usize,
    rng: &mut ChaCha8Rng,
) -> Layout {
    let mut taken = vec![false; num_physical];
    let mut v2p = vec![0u32; num_physical];
    let k = order.len().min(num_virtual);
    for v in 0..k {
        v2p[v] = order[v] as u32;
        taken[order[v]] = true;
    }
    let mut rest: Vec<usize> = (0..num_physical).filter(|&p| !taken[p]).collect();
    rest.shuffle(rng);
    for (v, p) in (k..num_physical).zip(rest) {
        v2p[v] = p as u32;
    }
    Layout::from_v2p(num_virtual, v2p)
}

/// A long simple path through the coupling map, found by greedy walks that
/// step to the unvisited neighbour with the fewest unvisited neighbours
/// (Warnsdorff's rule) but into a dead end only as the last step, from every
/// start; the longest wins.
pub(crate) fn long_path(map: &CouplingMap) -> Vec<usize> {
    let n = map.num_qubits();
    if map.is_all_to_all() {
        return (0..n).collect();
    }
    let mut best: Vec<usize> = Vec::new();
    let mut visited = vec![usize::MAX; n];
    let mut path = Vec::with_capacity(n);
    for start in 0..n {
        path.clear();
        let mut cur = start;
        visited[cur] = start;
        path.push(cur);
        loop {
            let onward = |q: usize| {
                map.neighbors(q).iter().filter(|&&x| visited[x as usize] != start).count()
            };
            let next = map
                .neighbors(cur)
                .iter()
                .map(|&x| x as usize)
                .filter(|&x| visited[x] != start)
                .min_by_key(|&x| {
                    let k = onward(x);
                    (k == 0, k, x)
                });
            let Some(next) = next else { break };
            visited[next] = start;
            path.push(next);
            cur = next;
        }
        if path.len() > best.len() {
            best.clone_from(&path);
            if best.len() == n {
                break;
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::topologies;

    fn is_path(map: &CouplingMap, path: &[usize]) -> bool {
        let mut seen = std::collections::HashSet::new();
        path.iter().all(|&p| seen.insert(p)) && path.windows(2).all(|w| map.are_coupled(w[0], w[1]))
    }

    #[test]
    fn long_paths_cover_most_of_the_device() {
        let grid = CouplingMap::grid(5, 6).unwrap();
        let p = long_path(&grid);
        assert!(is_path(&grid, &p));
        assert_eq!(p.len(), 30, "a grid has a snake through every qubit");
        let heron = topologies::heron().unwrap();
        let p = long_path(&heron);
        assert!(is_path(&heron, &p));
        // Heavy-hex: the 100-qubit GHZ chain of the benchmarks must fit.
        assert!(p.len() >= 110, "path of {} qubits", p.len());
    }

    #[test]
    fn ordered_layout_follows_the_order_then_fills() {
        let mut rng = <ChaCha8Rng as rand::SeedableRng>::seed_from_u64(1);
        let l = ordered_layout(3, &[4, 2], 5, &mut rng);
        assert_eq!(l.physical(0), 4);
        assert_eq!(l.physical(1), 2);
        let mut rest: Vec<usize> = (2..5).map(|v| l.physical(v)).collect();
        rest.sort_unstable();
        assert_eq!(rest, vec![0, 1, 3]);
    }
}
