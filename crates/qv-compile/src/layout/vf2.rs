//! Perfect layout search: place the circuit so that no swap is needed.
//!
//! A perfect layout maps every interacting virtual pair onto a coupled
//! physical pair — a subgraph monomorphism from the interaction graph into
//! the coupling graph. The search is VF2-style backtracking with VF2++'s
//! ordering: virtual qubits in breadth-first order from the busiest one,
//! preferring those with more already-ordered partners, so that each new
//! qubit's candidates are the coupling neighbours of an already placed
//! partner. Candidates are pruned by degree and by every placed partner's
//! coupling. The search stops after `call_limit` candidate checks.
//!
//! Without calibration data the first layout found is returned. With error
//! rates, up to `max_solutions` layouts are scored by the summed errors of
//! the gates they would use (two-qubit error × gate count, plus readout
//! error of every used qubit) and the best is kept.

use qv_circuit::Circuit;

use super::{Interactions, Layout, NONE};
use crate::error::CompileError;
use crate::target::Target;

/// Limits of [`vf2_layout`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vf2Options {
    /// Candidate checks before the search gives up.
    pub call_limit: usize,
    /// Layouts to compare when the target has error rates.
    pub max_solutions: usize,
}

impl Default for Vf2Options {
    fn default() -> Self {
        Vf2Options { call_limit: 5_000_000, max_solutions: 2_500 }
    }
}

/// A layout under which every two-qubit gate is on a coupled pair, or
/// `None` when none exists or none was found within the call limit.
pub fn vf2_layout(
    circuit: &Circuit,
    target: &Target,
    opts: &Vf2Options,
) -> Result<Option<Layout>, CompileError> {
    target.check_width(circuit.num_qubits())?;
    let graph = Interactions::of(circuit)?;
    Search::new(&graph, target, opts).run()
}

struct Search<'a> {
    graph: &'a Interactions,
    target: &'a Target,
    opts: &'a Vf2Options,
    /// Interacting virtual qubits in search order.
    order: Vec<usize>,
    /// For each position: partners placed earlier.
    earlier: Vec<Vec<usize>>,
    /// Physical qubits by decreasing degree, for unanchored positions.
    phys_order: Vec<u32>,
    score_errors: bool,
}

impl<'a> Search<'a> {
    fn new(graph: &'a Interactions, target: &'a Target, opts: &'a Vf2Options) -> Self {
        let order = search_order(graph);
        let mut position = vec![usize::MAX; graph.num_qubits()];
        for (i, &v) in order.iter().enumerate() {
            position[v] = i;
        }
        let earlier = order
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                graph.neighbors(v).iter().map(|&(w, _)| w).filter(|&w| position[w] < i).collect()
            })
            .collect();
        let map = target.coupling_map();
        let mut phys_order: Vec<u32> = (0..map.num_qubits() as u32).collect();
        phys_order.sort_by_key(|&p| std::cmp::Reverse(map.degree(p as usize)));
        Search {
            graph,
            target,
            opts,
            order,
            earlier,
            phys_order,
            score_errors: target.has_error_rates(),
        }
    }

    fn run(&self) -> Result<Option<Layout>, CompileError> {
        let map = self.target.coupling_map();
        let k = self.order.len();
        let mut assign = vec![NONE; self.graph.num_qubits()];
        if k == 0 {
            return self.complete(&assign).map(Some);
        }
        let mut used = vec![false; map.num_qubits()];
        let mut cursor = vec![0usize; k];
        let mut calls = 0usize;
        let mut best: Option<(f64, Vec<u32>)> = None;
        let mut solutions = 0usize;
        let mut i = 0usize;
        'search: loop {
            let v = self.order[i];
            let candidates: &[u32] = match self.earlier[i].first() {
                Some(&w) => map.neighbors(assign[w] as usize),
                None => &self.phys_order,
            };
            let mut found = false;
            while cursor[i] < candidates.len() {
                let p = candidates[cursor[i]] as usize;
                cursor[i] += 1;
                calls += 1;
                if calls > self.opts.call_limit {
                    break 'search;
                }
                if !used[p] && self.feasible(i, v, p, &assign) {
                    assign[v] = p as u32;
                    used[p] = true;
                    found = true;
                    break;
                }
            }
            if found {
                if i + 1 < k {
                    i += 1;
                    cursor[i] = 0;
                    continue;
                }
                solutions += 1;
                let score = if self.score_errors { self.score(&assign) } else { 0.0 };
                if best.as_ref().is_none_or(|(s, _)| score < *s) {
                    best = Some((score, assign.clone()));
                }
                if !self.score_errors || solutions >= self.opts.max_solutions {
                    break;
                }
                used[assign[v] as usize] = false;
                assign[v] = NONE;
                continue;
            }
            if i == 0 {
                break;
            }
            i -= 1;
            let back = self.order[i];
            used[assign[back] as usize] = false;
            assign[back] = NONE;
        }
        best.map(|(_, a)| self.complete(&a)).transpose()
    }

    fn feasible(&self, i: usize, v: usize, p: usize, assign: &[u32]) -> bool {
        let map = self.target.coupling_map();
        map.degree(p) >= self.graph.degree(v)
            && self.earlier[i].iter().all(|&w| map.are_coupled(p, assign[w] as usize))
    }

    fn score(&self, assign: &[u32]) -> f64 {
        let mut s = 0.0;
        for &(a, b, count) in self.graph.pairs() {
            let (pa, pb) = (assign[a] as usize, assign[b] as usize);
            s += count as f64 * self.target.coupling_error(pa, pb).unwrap_or(0.0);
        }
        for &v in &self.order {
            s += self.target.readout_error(assign[v] as usize).unwrap_or(0.0);
        }
        s
    }

    /// Places the qubits without interactions on the remaining physical
    /// qubits (lowest readout error first) and builds the layout.
    fn complete(&self, assign: &[u32]) -> Result<Layout, CompileError> {
        let n_phys = self.target.num_qubits();
        let mut used = vec![false; n_phys];
        for &p in assign.iter().filter(|&&p| p != NONE) {
            used[p as usize] = true;
        }
        let mut free: Vec<usize> = (0..n_phys).filter(|&p| !used[p]).collect();
        free.sort_by(|&a, &b| {
            let ea = self.target.readout_error(a).unwrap_or(0.0);
            let eb = self.target.readout_error(b).unwrap_or(0.0);
            ea.total_cmp(&eb).then(a.cmp(&b))
        });
        let mut free = free.into_iter();
        let physical: Vec<usize> = assign
            .iter()
            .map(|&p| if p == NONE { free.next().unwrap_or(0) } else { p as usize })
            .collect();
        Layout::from_physical(&physical, n_phys)
    }
}

/// VF2++ order: per connected component, breadth-first from the busiest
/// qubit; within a level, most already-ordered partners first, then degree.
fn search_order(graph: &Interactions) -> Vec<usize> {
    let n = graph.num_qubits();
    let mut seen = vec![false; n];
    let mut order = Vec::new();
    let mut links = vec![0usize; n];
    loop {
        let root = (0..n)
            .filter(|&v| !seen[v] && graph.degree(v) > 0)
            .max_by_key(|&v| (graph.degree(v), std::cmp::Reverse(v)));
        let Some(root) = root else { break };
        seen[root] = true;
        let mut level = vec![root];
        let mut done = Vec::new();
        while !level.is_empty() {
            done.clear();
            while !level.is_empty() {
                let (idx, _) = level
                    .iter()
                    .enumerate()
                    .max_by_key(|&(_, &v)| (links[v], graph.degree(v), std::cmp::Reverse(v)))
                    .unwrap_or((0, &root));
                let v = level.swap_remove(idx);
                order.push(v);
                done.push(v);
                for &(w, _) in graph.neighbors(v) {
                    links[w] += 1;
                }
            }
            let mut next = Vec::new();
            for &v in &done {
                for &(w, _) in graph.neighbors(v) {
                    if !seen[w] {
                        seen[w] = true;
                        next.push(w);
                    }
                }
            }
            level = next;
        }
    }
    order
}
