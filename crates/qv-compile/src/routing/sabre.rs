//! One SABRE routing trial, LightSABRE style (Zou et al., arXiv:2409.08368).
//!
//! The router keeps a *front layer* (two-qubit gates whose predecessors are
//! done but whose qubits are not adjacent) and an *extended set* beyond it
//! (the next few two-qubit gates, or the next layer; see [`Lookahead`]).
//! While nothing in the front layer can run, it scores every swap on an edge
//! touching a front-layer qubit:
//!
//! `score = (F + E + ΔF + ΔE) · max(decay[a], decay[b]) − merge bonus`
//!
//! where `F` and `E` are the weighted distance sums of the front layer and
//! the extended set, and `ΔF`, `ΔE` the change a swap makes to them —
//! computed *relatively*, from the at most two front gates and the few
//! extended-set gates that touch the swapped qubits. The lowest score wins,
//! ties broken at random by the trial's seed. Decay discourages swapping the
//! same qubits back and forth; the optional merge bonus favours a swap on the
//! pair a gate just used (the two merge into one block). After too many swaps
//! without progress a release valve undoes them and walks the closest front
//! gate together along a shortest path.
//!
//! Front layer and extended set are indexed by *virtual* qubit, so a swap
//! only updates the two-way layout: nothing else moves. All buffers live in
//! the [`Router`] and are reused, so the swap-scoring loop never allocates.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::dag::RoutingDag;
use crate::error::CompileError;
use crate::layout::{Layout, NONE};
use crate::target::CouplingMap;

/// What SABRE looks at beyond the front layer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Lookahead {
    /// The next `size` two-qubit gates in breadth-first order (LightSABRE's
    /// extended set), their distance sum weighted by `weight / size`.
    Gates {
        /// Number of gates.
        size: usize,
        /// Total weight.
        weight: f64,
    },
    /// The next layer: the two-qubit gates that would join the front layer
    /// once it is routed, each weighted by `weight / physical qubits` (the
    /// lookahead of Qiskit 2).
    Layer {
        /// Weight times the number of physical qubits.
        weight: f64,
    },
}

/// Weights of SABRE's cost function. The defaults are LightSABRE's.
#[derive(Clone, Debug, PartialEq)]
pub struct SabreHeuristic {
    /// Weight of the front layer's distance sum.
    pub basic_weight: f64,
    /// The lookahead beyond the front layer.
    pub lookahead: Lookahead,
    /// Added to a qubit's decay factor each time a swap touches it.
    pub decay_rate: f64,
    /// Swaps after which all decay factors reset to 1.
    pub decay_reset: usize,
    /// Swaps without routing a gate before the release valve opens; `None`
    /// means ten times the number of physical qubits.
    pub attempt_limit: Option<usize>,
    /// Scores within this of the best count as ties.
    pub best_epsilon: f64,
    /// Score bonus for a swap on the pair a two-qubit gate just used: the
    /// two merge into one two-qubit block, which synthesis implements with
    /// at most three native gates, so such a swap costs about one gate
    /// instead of three.
    pub merge_bonus: f64,
}

impl Default for SabreHeuristic {
    fn default() -> Self {
        SabreHeuristic {
            basic_weight: 1.0,
            lookahead: Lookahead::Gates { size: 20, weight: 0.5 },
            decay_rate: 0.001,
            decay_reset: 5,
            attempt_limit: None,
            best_epsilon: 1e-10,
            merge_bonus: 0.0,
        }
    }
}

/// What a trial did, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// Swap two physical qubits.
    Swap(u32, u32),
    /// Emit a routing-graph node (and what is attached to it).
    Node(u32),
}

/// Outcome of one trial.
#[derive(Clone, Debug)]
pub(crate) struct TrialResult {
    /// Swaps and nodes in emission order (empty unless recorded).
    pub events: Vec<Event>,
    /// Swaps inserted.
    pub num_swaps: usize,
    /// Estimated two-qubit gates the swaps add after block consolidation
    /// (see [`estimate_cost`]); `3 × num_swaps` for unrecorded trials.
    pub cost: usize,
    /// Where every virtual qubit ends up.
    pub final_layout: Layout,
}

/// What every trial shares: the graph and the device.
pub(crate) struct Problem<'a> {
    pub dag: &'a RoutingDag,
    pub coupling: &'a CouplingMap,
    /// Row-major hop distances as floats, from [`float_distances`].
    pub dist: &'a [f64],
}

/// The coupling map's distance matrix as floats, computed once for all
/// trials; unreachable pairs are far away (never scored after validation).
pub(crate) fn float_distances(coupling: &CouplingMap) -> Vec<f64> {
    coupling
        .distance_matrix()
        .iter()
        .map(|&d| if d == crate::target::UNREACHABLE { 1e6 } else { f64::from(d) })
        .collect()
}

/// State of one routing run; reusable across trials on the same problem.
pub(crate) struct Router<'a> {
    p: &'a Problem<'a>,
    h: &'a SabreHeuristic,
    n: usize,
    attempt_limit: usize,
    v2p: Vec<u32>,
    p2v: Vec<u32>,
    remaining: Vec<u32>,
    front: Vec<u32>,
    front_pos: Vec<u32>,
    /// Front-layer partner and node of each virtual qubit.
    partner: Vec<u32>,
    front_node: Vec<u32>,
    ext_pairs: Vec<[u32; 2]>,
    ext_adj: Vec<Vec<u32>>,
    ext_touched: Vec<u32>,
    decay: Vec<f64>,
    ready: Vec<u32>,
    to_visit: Vec<u32>,
    visit_now: Vec<u32>,
    decremented: Vec<u32>,
    best: Vec<[u32; 2]>,
    current_swaps: Vec<[u32; 2]>,
    routable: Vec<u32>,
    rng: ChaCha8Rng,
    events: Vec<Event>,
    record: bool,
    num_swaps: usize,
    search_steps: usize,
    /// Per physical qubit: the partner of the two-qubit gate it last took
    /// part in, if nothing has touched it since (`NONE` otherwise).
    gate_partner: Vec<u32>,
    /// Per physical qubit: the search round that last swapped it tentatively.
    touched: Vec<u32>,
    round: u32,
}

impl<'a> Router<'a> {
    /// A router for `problem`.
    pub fn new(p: &'a Problem<'a>, h: &'a SabreHeuristic) -> Router<'a> {
        let n = p.coupling.num_qubits();
        let m = p.dag.nodes.len();
        Router {
            p,
            h,
            n,
            attempt_limit: h.attempt_limit.unwrap_or(10 * n).max(1),
            v2p: vec![0; n],
            p2v: vec![0; n],
            remaining: Vec::with_capacity(m),
            front: Vec::new(),
            front_pos: vec![NONE; m],
            partner: vec![NONE; n],
            front_node: vec![NONE; n],
            ext_pairs: Vec::new(),
            ext_adj: vec![Vec::new(); n],
            ext_touched: Vec::new(),
            decay: vec![1.0; n],
            ready: Vec::new(),
            to_visit: Vec::new(),
            visit_now: Vec::new(),
            decremented: Vec::new(),
            best: Vec::new(),
            current_swaps: Vec::new(),
            routable: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(0),
            events: Vec::new(),
            record: false,
            num_swaps: 0,
            search_steps: 0,
            gate_partner: vec![NONE; n],
            touched: vec![0; n],
            round: 0,
        }
    }

    #[inline]
    fn dist(&self, a: u32, b: u32) -> f64 {
        self.p.dist[a as usize * self.n + b as usize]
    }

    /// Routes the whole graph from `layout`. With `record`, the result lists
    /// every swap and node in order; otherwise only the swap count and final
    /// layout are kept (SABRE layout's passes).
    pub fn run(
        &mut self,
        layout: &Layout,
        seed: u64,
        record: bool,
    ) -> Result<TrialResult, CompileError> {
        self.reset(layout, seed, record);
        self.ready.extend_from_slice(&self.p.dag.roots);
        self.drain_ready();
        while !self.front.is_empty() {
            self.populate_extended_set();
            self.current_swaps.clear();
            self.routable.clear();
            self.round += 1;
            let mut forced = false;
            while self.routable.is_empty() {
                let swap = if self.current_swaps.len() >= self.attempt_limit {
                    None
                } else {
                    self.choose_best_swap()
                };
                let Some([a, b]) = swap else {
                    self.release_valve()?;
                    forced = true;
                    break;
                };
                self.apply_swap(a, b);
                self.current_swaps.push([a, b]);
                self.touched[a as usize] = self.round;
                self.touched[b as usize] = self.round;
                for q in [b, a] {
                    if let Some(node) = self.routable_on(q) {
                        if !self.routable.contains(&node) {
                            self.routable.push(node);
                        }
                    }
                }
                self.search_steps += 1;
                if self.search_steps >= self.h.decay_reset {
                    self.decay.fill(1.0);
                    self.search_steps = 0;
                } else {
                    self.decay[a as usize] += self.h.decay_rate;
                    self.decay[b as usize] += self.h.decay_rate;
                }
            }
            self.num_swaps += self.current_swaps.len();
            for &[a, b] in &self.current_swaps {
                self.gate_partner[a as usize] = NONE;
                self.gate_partner[b as usize] = NONE;
            }
            if self.record {
                self.events.extend(self.current_swaps.iter().map(|&[a, b]| Event::Swap(a, b)));
            }
            if forced {
                // The valve's swaps may have brought other front gates together too.
                for i in 0..self.front.len() {
                    let [a, b] = self.p.dag.nodes[self.front[i] as usize].qubits;
                    if self.dist(self.v2p[a as usize], self.v2p[b as usize]) == 1.0
                        && !self.routable.contains(&self.front[i])
                    {
                        self.routable.push(self.front[i]);
                    }
                }
            }
            for i in 0..self.routable.len() {
                let node = self.routable[i];
                self.remove_front(node);
                self.execute(node);
            }
            self.drain_ready();
            self.decay.fill(1.0);
        }
        let cost = if self.record {
            estimate_cost(self.p.dag, &self.events, layout)
        } else {
            3 * self.num_swaps
        };
        Ok(TrialResult {
            events: std::mem::take(&mut self.events),
            num_swaps: self.num_swaps,
            cost,
            final_layout: Layout::from_v2p(layout.num_virtual(), self.v2p.clone()),
        })
    }

    fn reset(&mut self, layout: &Layout, seed: u64, record: bool) {
        self.v2p.copy_from_slice(layout.v2p());
        self.p2v.copy_from_slice(layout.p2v());
        self.remaining.clear();
        self.remaining.extend_from_slice(&self.p.dag.num_preds);
        self.front.clear();
        self.partner.fill(NONE);
        self.front_node.fill(NONE);
        self.decay.fill(1.0);
        self.ready.clear();
        self.rng = ChaCha8Rng::seed_from_u64(seed);
        self.events.clear();
        if record {
            self.events.reserve(self.p.dag.nodes.len() + self.p.dag.nodes.len() / 2);
        }
        self.record = record;
        self.num_swaps = 0;
        self.search_steps = 0;
        self.gate_partner.fill(NONE);
        self.touched.fill(0);
        self.round = 0;
    }

    /// Emits a node whose qubits are in place and releases its successors.
    fn execute(&mut self, node: u32) {
        if self.record {
            self.events.push(Event::Node(node));
        }
        let nd = self.p.dag.nodes[node as usize];
        if nd.two_qubit {
            let [a, b] = nd.qubits.map(|v| self.v2p[v as usize]);
            self.gate_partner[a as usize] = b;
            self.gate_partner[b as usize] = a;
        }
        for &s in self.p.dag.successors(node) {
            self.remaining[s as usize] -= 1;
            if self.remaining[s as usize] == 0 {
                self.ready.push(s);
            }
        }
    }

    /// Runs every ready node that needs no swap; the rest join the front layer.
    fn drain_ready(&mut self) {
        while let Some(node) = self.ready.pop() {
            let nd = self.p.dag.nodes[node as usize];
            if nd.two_qubit {
                let [a, b] = nd.qubits;
                if self.dist(self.v2p[a as usize], self.v2p[b as usize]) != 1.0 {
                    self.add_front(node, a, b);
                    continue;
                }
            }
            self.execute(node);
        }
    }

    fn add_front(&mut self, node: u32, a: u32, b: u32) {
        self.front_pos[node as usize] = self.front.len() as u32;
        self.front.push(node);
        self.partner[a as usize] = b;
        self.partner[b as usize] = a;
        self.front_node[a as usize] = node;
        self.front_node[b as usize] = node;
    }

    fn remove_front(&mut self, node: u32) {
        let idx = self.front_pos[node as usize] as usize;
        self.front.swap_remove(idx);
        if idx < self.front.len() {
            self.front_pos[self.front[idx] as usize] = idx as u32;
        }
        for q in self.p.dag.nodes[node as usize].qubits {
            self.partner[q as usize] = NONE;
            self.front_node[q as usize] = NONE;
        }
    }

    #[inline]
    fn apply_swap(&mut self, a: u32, b: u32) {
        let (va, vb) = (self.p2v[a as usize], self.p2v[b as usize]);
        self.p2v[a as usize] = vb;
        self.p2v[b as usize] = va;
        self.v2p[va as usize] = b;
        self.v2p[vb as usize] = a;
    }

    /// The front-layer gate on physical qubit `p`, if it is now adjacent.
    fn routable_on(&self, p: u32) -> Option<u32> {
        let v = self.p2v[p as usize];
        let w = self.partner[v as usize];
        (w != NONE && self.dist(p, self.v2p[w as usize]) == 1.0)
            .then(|| self.front_node[v as usize])
    }

    /// Collects the next `lookahead_size` two-qubit gates beyond the front
    /// layer, walking the graph with temporarily decremented predecessor
    /// counts (restored at the end). Runs of free nodes are followed through.
    fn populate_extended_set(&mut self) {
        for &v in &self.ext_touched {
            self.ext_adj[v as usize].clear();
        }
        self.ext_touched.clear();
        self.ext_pairs.clear();
        let (size, layer) = match self.h.lookahead {
            Lookahead::Gates { size, .. } => (size, false),
            Lookahead::Layer { .. } => (usize::MAX, true),
        };
        if size == 0 {
            return;
        }
        let dag = self.p.dag;
        self.to_visit.clear();
        self.to_visit.extend_from_slice(&self.front);
        let mut i = 0;
        while i < self.to_visit.len() && self.ext_pairs.len() < size {
            self.visit_now.clear();
            self.visit_now.push(self.to_visit[i]);
            let mut j = 0;
            while j < self.visit_now.len() {
                let node = self.visit_now[j];
                for &s in dag.successors(node) {
                    self.decremented.push(s);
                    self.remaining[s as usize] -= 1;
                    if self.remaining[s as usize] == 0 {
                        let nd = dag.nodes[s as usize];
                        if nd.two_qubit {
                            let [a, b] = nd.qubits;
                            self.ext_pairs.push([a, b]);
                            for (x, y) in [(a, b), (b, a)] {
                                if self.ext_adj[x as usize].is_empty() {
                                    self.ext_touched.push(x);
                                }
                                self.ext_adj[x as usize].push(y);
                            }
                            if !layer {
                                self.to_visit.push(s);
                            }
                        } else {
                            self.visit_now.push(s);
                        }
                    }
                }
                j += 1;
            }
            i += 1;
        }
        for &s in &self.decremented {
            self.remaining[s as usize] += 1;
        }
        self.decremented.clear();
    }

    /// The lowest-scoring swap on an edge touching the front layer (random
    /// among ties); `None` when there is no candidate.
    fn choose_best_swap(&mut self) -> Option<[u32; 2]> {
        let h = self.h;
        let mut front_total = 0.0;
        for &node in &self.front {
            let [a, b] = self.p.dag.nodes[node as usize].qubits;
            front_total += self.dist(self.v2p[a as usize], self.v2p[b as usize]);
        }
        let mut ext_total = 0.0;
        for &[a, b] in &self.ext_pairs {
            ext_total += self.dist(self.v2p[a as usize], self.v2p[b as usize]);
        }
        let wf = h.basic_weight;
        let we = match h.lookahead {
            _ if self.ext_pairs.is_empty() => 0.0,
            Lookahead::Gates { weight, .. } => weight / self.ext_pairs.len() as f64,
            Lookahead::Layer { weight } => weight / self.n as f64,
        };
        let absolute = wf * front_total + we * ext_total;
        let mut min = f64::INFINITY;
        self.best.clear();
        for &node in &self.front {
            for v in self.p.dag.nodes[node as usize].qubits {
                let pa = self.v2p[v as usize];
                for &pb in self.p.coupling.neighbors(pa as usize) {
                    if pb < pa && self.front_node[self.p2v[pb as usize] as usize] != NONE {
                        continue; // scored from pb's side
                    }
                    let mut score = (absolute + self.delta(pa, pb, wf, we))
                        * self.decay[pa as usize].max(self.decay[pb as usize]);
                    if h.merge_bonus != 0.0 && self.merges(pa, pb) {
                        score -= h.merge_bonus;
                    }
                    if score < min - h.best_epsilon {
                        min = score;
                        self.best.clear();
                        self.best.push([pa, pb]);
                    } else if score <= min + h.best_epsilon {
                        self.best.push([pa, pb]);
                    }
                }
            }
        }
        match self.best.len() {
            0 => None,
            1 => Some(self.best[0]),
            k => Some(self.best[self.rng.gen_range(0..k)]),
        }
    }

    /// Whether a swap on `(a, b)` would directly follow a two-qubit gate on
    /// the same pair (and so merge into its block).
    #[inline]
    fn merges(&self, a: u32, b: u32) -> bool {
        self.gate_partner[a as usize] == b
            && self.touched[a as usize] != self.round
            && self.touched[b as usize] != self.round
    }

    /// Weighted change of the front and extended distance sums if physical
    /// qubits `a` and `b` swapped.
    #[inline]
    fn delta(&self, a: u32, b: u32, wf: f64, we: f64) -> f64 {
        let (va, vb) = (self.p2v[a as usize], self.p2v[b as usize]);
        let mut df = 0.0;
        let w = self.partner[va as usize];
        if w != NONE && w != vb {
            let pw = self.v2p[w as usize];
            df += self.dist(b, pw) - self.dist(a, pw);
        }
        let w = self.partner[vb as usize];
        if w != NONE && w != va {
            let pw = self.v2p[w as usize];
            df += self.dist(a, pw) - self.dist(b, pw);
        }
        let mut de = 0.0;
        for &w in &self.ext_adj[va as usize] {
            if w != vb {
                let pw = self.v2p[w as usize];
                de += self.dist(b, pw) - self.dist(a, pw);
            }
        }
        for &w in &self.ext_adj[vb as usize] {
            if w != va {
                let pw = self.v2p[w as usize];
                de += self.dist(a, pw) - self.dist(b, pw);
            }
        }
        wf * df + we * de
    }

    /// Undoes the swaps since the last progress, then brings the closest
    /// front-layer gate together along a shortest path, moving both ends.
    fn release_valve(&mut self) -> Result<(), CompileError> {
        while let Some([a, b]) = self.current_swaps.pop() {
            self.apply_swap(a, b);
        }
        let mut closest = None;
        for &node in &self.front {
            let [a, b] = self.p.dag.nodes[node as usize].qubits;
            let d = self.dist(self.v2p[a as usize], self.v2p[b as usize]);
            if closest.is_none_or(|(best, _)| d < best) {
                closest = Some((d, node));
            }
        }
        let Some((_, node)) = closest else { return Ok(()) };
        let [va, vb] = self.p.dag.nodes[node as usize].qubits;
        let (pa, pb) = (self.v2p[va as usize] as usize, self.v2p[vb as usize] as usize);
        let path = self.p.coupling.shortest_path(pa, pb).ok_or_else(|| {
            CompileError::Routing(format!(
                "physical qubits {pa} and {pb} are in disconnected parts of the coupling map"
            ))
        })?;
        let swaps = path.len().saturating_sub(2);
        let from_a = swaps.div_ceil(2);
        let l = path.len();
        for i in 0..from_a {
            self.current_swaps.push([path[i] as u32, path[i + 1] as u32]);
        }
        for i in 0..swaps - from_a {
            self.current_swaps.push([path[l - 1 - i] as u32, path[l - 2 - i] as u32]);
        }
        for i in 0..self.current_swaps.len() {
            let [a, b] = self.current_swaps[i];
            self.apply_swap(a, b);
        }
        self.routable.push(node);
        Ok(())
    }
}

/// Estimated two-qubit gates a trial's swaps add once consecutive two-qubit
/// operations on the same pair are consolidated into blocks. A block costs
/// at most 3 native gates: a lone swap costs 3, a swap next to gates of
/// weight `w` adds `3 - w`, or 1 when `w = 1` (a CX and a swap make two
/// CX), so merged swaps are cheap. Replays the events
/// from the initial layout.
pub(crate) fn estimate_cost(dag: &RoutingDag, events: &[Event], initial: &Layout) -> usize {
    let n = initial.num_physical();
    let mut v2p = initial.v2p().to_vec();
    let mut p2v = initial.p2v().to_vec();
    let mut block = vec![NONE; n];
    // Per block: swaps in it and the summed weight of its gates.
    let mut blocks: Vec<(usize, usize)> = Vec::new();
    let mut join = |a: usize, b: usize, swap: bool, weight: usize, block: &mut Vec<u32>| {
        let id = if block[a] != NONE && block[a] == block[b] {
            block[a] as usize
        } else {
            blocks.push((0, 0));
            blocks.len() - 1
        };
        block[a] = id as u32;
        block[b] = id as u32;
        if swap {
            blocks[id].0 += 1;
        } else {
            blocks[id].1 += weight;
        }
    };
    for ev in events {
        match *ev {
            Event::Swap(a, b) => {
                join(a as usize, b as usize, true, 0, &mut block);
                let (va, vb) = (p2v[a as usize], p2v[b as usize]);
                p2v.swap(a as usize, b as usize);
                v2p[va as usize] = b;
                v2p[vb as usize] = a;
            }
            Event::Node(node) => {
                let nd = dag.nodes[node as usize];
                if nd.two_qubit {
                    let [a, b] = nd.qubits.map(|v| v2p[v as usize] as usize);
                    join(a, b, false, usize::from(nd.weight), &mut block);
                }
            }
        }
    }
    blocks
        .iter()
        .filter(|&&(swaps, _)| swaps > 0)
        .map(|&(swaps, weight)| match weight.min(3) {
            0 => 3 * swaps,
            // One swap merges; any further swap on the pair is paid in full.
            w => (if w == 1 { 1 } else { 3 - w }) + 3 * (swaps - 1),
        })
        .sum()
}
