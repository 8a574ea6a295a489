//! Coupling maps: the physical qubit pairs a two-qubit gate can act on.
//!
//! A [`CouplingMap`] keeps its edges as given (directed or not) and, once at
//! construction, derives what layout and routing query in their inner loops:
//! sorted undirected neighbour lists in one flat array (CSR), the all-pairs
//! hop distance matrix (one BFS per qubit; constant for all-to-all maps) and
//! connected components. Queries are then O(1) or a slice borrow.
//!
//! Generators cover the generic shapes (`line`, `ring`, `grid`, `full`); the
//! vendor topologies live in [`super::topologies`].

use std::collections::VecDeque;

/// The largest number of qubits a coupling map may have. The distance matrix
/// grows with its square (2 MiB at this size).
pub const MAX_QUBITS: usize = 1024;

/// Distance between qubits in different connected components.
pub const UNREACHABLE: u16 = u16::MAX;

/// Which physical qubit pairs are coupled, with derived distances.
#[derive(Clone, Debug)]
pub struct CouplingMap {
    num_qubits: usize,
    directed: bool,
    /// Edges as given, deduplicated and sorted; `(a, b)` with `a < b` when undirected.
    edges: Vec<(usize, usize)>,
    /// Undirected neighbour lists: `adj[adj_start[q]..adj_start[q + 1]]`, sorted.
    adj_start: Vec<u32>,
    adj: Vec<u32>,
    /// Directed successor lists (only for directed maps), sorted, same layout.
    out_start: Vec<u32>,
    out: Vec<u32>,
    /// Row-major hop distances; [`UNREACHABLE`] across components.
    dist: Vec<u16>,
    /// Connected component of each qubit, numbered from 0 in qubit order.
    component: Vec<u32>,
    num_components: usize,
    all_to_all: bool,
}

impl CouplingMap {
    /// Builds a map from an edge list. Undirected maps treat `(a, b)` and
    /// `(b, a)` as the same edge; duplicates are merged. Errors name the
    /// offending edge (self-loops, qubits out of range) or the size limit.
    pub fn new(
        num_qubits: usize,
        edges: &[(usize, usize)],
        directed: bool,
    ) -> Result<CouplingMap, String> {
        if num_qubits == 0 {
            return Err("a target needs at least one qubit".into());
        }
        if num_qubits > MAX_QUBITS {
            return Err(format!(
                "{num_qubits} qubits is more than the supported maximum of {MAX_QUBITS}"
            ));
        }
        let mut list = Vec::with_capacity(edges.len());
        for (i, &(a, b)) in edges.iter().enumerate() {
            if a >= num_qubits || b >= num_qubits {
                return Err(format!(
                    "edge #{i} ({a}, {b}) names qubit {} but the target has {num_qubits} qubits",
                    a.max(b)
                ));
            }
            if a == b {
                return Err(format!("edge #{i} ({a}, {b}) couples a qubit to itself"));
            }
            list.push(if directed { (a, b) } else { (a.min(b), a.max(b)) });
        }
        list.sort_unstable();
        list.dedup();
        Ok(Self::from_clean_edges(num_qubits, list, directed))
    }

    fn from_clean_edges(num_qubits: usize, edges: Vec<(usize, usize)>, directed: bool) -> Self {
        let mut undirected: Vec<(usize, usize)> =
            edges.iter().flat_map(|&(a, b)| [(a, b), (b, a)]).collect();
        undirected.sort_unstable();
        undirected.dedup();
        let (adj_start, adj) = csr(num_qubits, &undirected);
        let (out_start, out) = if directed { csr(num_qubits, &edges) } else { (vec![], vec![]) };
        let all_to_all = undirected.len() == num_qubits * (num_qubits - 1);
        let mut map = CouplingMap {
            num_qubits,
            directed,
            edges,
            adj_start,
            adj,
            out_start,
            out,
            dist: vec![],
            component: vec![],
            num_components: 0,
            all_to_all,
        };
        map.compute_distances();
        map
    }

    /// A line `0 - 1 - … - (n-1)`.
    pub fn line(n: usize) -> Result<CouplingMap, String> {
        let edges: Vec<_> = (1..n).map(|i| (i - 1, i)).collect();
        Self::new(n, &edges, false)
    }

    /// A ring: a line whose ends are also coupled (needs at least 3 qubits).
    pub fn ring(n: usize) -> Result<CouplingMap, String> {
        if n < 3 {
            return Err(format!("a ring needs at least 3 qubits, got {n}"));
        }
        let mut edges: Vec<_> = (1..n).map(|i| (i - 1, i)).collect();
        edges.push((0, n - 1));
        Self::new(n, &edges, false)
    }

    /// A `rows × cols` square lattice, qubits numbered row by row.
    pub fn grid(rows: usize, cols: usize) -> Result<CouplingMap, String> {
        let n = rows.checked_mul(cols).ok_or("grid size overflows")?;
        let mut edges = Vec::new();
        for r in 0..rows {
            for c in 0..cols {
                let q = r * cols + c;
                if c + 1 < cols {
                    edges.push((q, q + 1));
                }
                if r + 1 < rows {
                    edges.push((q, q + cols));
                }
            }
        }
        Self::new(n, &edges, false)
    }

    /// Every pair coupled (trapped ions).
    pub fn full(n: usize) -> Result<CouplingMap, String> {
        if n > MAX_QUBITS {
            return Self::new(n, &[], false);
        }
        let edges: Vec<_> = (0..n).flat_map(|a| (a + 1..n).map(move |b| (a, b))).collect();
        Self::new(n, &edges, false)
    }

    fn compute_distances(&mut self) {
        let n = self.num_qubits;
        self.dist = vec![UNREACHABLE; n * n];
        if self.all_to_all {
            self.dist.fill(1);
            for q in 0..n {
                self.dist[q * n + q] = 0;
            }
            self.component = vec![0; n];
            self.num_components = 1;
            return;
        }
        let mut queue = VecDeque::with_capacity(n);
        for src in 0..n {
            let row = &mut self.dist[src * n..(src + 1) * n];
            row[src] = 0;
            queue.push_back(src as u32);
            while let Some(q) = queue.pop_front() {
                let d = row[q as usize] + 1;
                let q = q as usize;
                for &nb in &self.adj[self.adj_start[q] as usize..self.adj_start[q + 1] as usize] {
                    if row[nb as usize] == UNREACHABLE {
                        row[nb as usize] = d;
                        queue.push_back(nb);
                    }
                }
            }
        }
        self.component = vec![u32::MAX; n];
        for q in 0..n {
            if self.component[q] == u32::MAX {
                let id = self.num_components as u32;
                for other in 0..n {
                    if self.dist[q * n + other] != UNREACHABLE {
                        self.component[other] = id;
                    }
                }
                self.num_components += 1;
            }
        }
    }

    /// Number of physical qubits.
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// Whether edge direction matters for two-qubit gates.
    pub fn is_directed(&self) -> bool {
        self.directed
    }

    /// Whether every pair of qubits is coupled.
    pub fn is_all_to_all(&self) -> bool {
        self.all_to_all
    }

    /// The edges, deduplicated and sorted (`a < b` for undirected maps).
    pub fn edges(&self) -> &[(usize, usize)] {
        &self.edges
    }

    /// Number of distinct undirected couplings.
    pub fn num_couplings(&self) -> usize {
        self.adj.len() / 2
    }

    /// Neighbours of `q` in either direction, sorted.
    pub fn neighbors(&self, q: usize) -> &[u32] {
        &self.adj[self.adj_start[q] as usize..self.adj_start[q + 1] as usize]
    }

    /// Number of neighbours of `q`.
    pub fn degree(&self, q: usize) -> usize {
        (self.adj_start[q + 1] - self.adj_start[q]) as usize
    }

    /// Whether `a` and `b` are coupled in some direction.
    pub fn are_coupled(&self, a: usize, b: usize) -> bool {
        a < self.num_qubits && b < self.num_qubits && self.dist[a * self.num_qubits + b] == 1
    }

    /// Whether a directional two-qubit gate may act with first qubit `a` and
    /// second qubit `b`: any coupled pair on an undirected map, exactly the
    /// listed direction on a directed one.
    pub fn allows(&self, a: usize, b: usize) -> bool {
        if !self.directed {
            return self.are_coupled(a, b);
        }
        a < self.num_qubits
            && self.out[self.out_start[a] as usize..self.out_start[a + 1] as usize]
                .binary_search(&(b as u32))
                .is_ok()
    }

    /// Hop distance between two qubits; `None` across components.
    pub fn distance(&self, a: usize, b: usize) -> Option<usize> {
        let d = self.dist[a * self.num_qubits + b];
        (d != UNREACHABLE).then_some(d as usize)
    }

    /// The row-major `n × n` distance matrix ([`UNREACHABLE`] across components).
    pub fn distance_matrix(&self) -> &[u16] {
        &self.dist
    }

    /// Connected component of each qubit.
    pub fn components(&self) -> &[u32] {
        &self.component
    }

    /// Number of connected components.
    pub fn num_components(&self) -> usize {
        self.num_components
    }

    /// One shortest path from `a` to `b` (both included); `None` across components.
    pub fn shortest_path(&self, a: usize, b: usize) -> Option<Vec<usize>> {
        self.distance(a, b)?;
        let mut path = vec![a];
        let mut cur = a;
        while cur != b {
            let d = self.dist[cur * self.num_qubits + b];
            // A neighbour one step closer always exists on a shortest path.
            cur = self
                .neighbors(cur)
                .iter()
                .map(|&x| x as usize)
                .find(|&x| self.dist[x * self.num_qubits + b] + 1 == d)?;
            path.push(cur);
        }
        Some(path)
    }
}

/// Compressed sparse rows from a sorted edge list.
fn csr(n: usize, sorted: &[(usize, usize)]) -> (Vec<u32>, Vec<u32>) {
    let mut start = vec![0u32; n + 1];
    for &(a, _) in sorted {
        start[a + 1] += 1;
    }
    for q in 0..n {
        start[q + 1] += start[q];
    }
    (start, sorted.iter().map(|&(_, b)| b as u32).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_distances_and_paths() {
        let m = CouplingMap::line(5).unwrap();
        assert_eq!(m.num_couplings(), 4);
        assert_eq!(m.distance(0, 4), Some(4));
        assert_eq!(m.neighbors(2), &[1, 3]);
        assert_eq!(m.shortest_path(4, 1), Some(vec![4, 3, 2, 1]));
        assert!(m.are_coupled(3, 2) && !m.are_coupled(0, 2));
        assert_eq!(m.num_components(), 1);
    }

    #[test]
    fn grid_ring_and_full_shapes() {
        let g = CouplingMap::grid(3, 4).unwrap();
        assert_eq!((g.num_qubits(), g.num_couplings()), (12, 3 * 3 + 2 * 4));
        assert_eq!(g.distance(0, 11), Some(5));
        let r = CouplingMap::ring(6).unwrap();
        assert_eq!(r.distance(0, 5), Some(1));
        assert_eq!(r.distance(0, 3), Some(3));
        let f = CouplingMap::full(7).unwrap();
        assert!(f.is_all_to_all());
        assert_eq!(f.num_couplings(), 21);
        assert_eq!(f.distance(2, 6), Some(1));
        assert_eq!(f.distance(3, 3), Some(0));
        assert_eq!(CouplingMap::ring(2).unwrap_err(), "a ring needs at least 3 qubits, got 2");
    }

    #[test]
    fn directed_maps_keep_direction_for_gates_only() {
        let m = CouplingMap::new(3, &[(1, 0), (1, 2), (1, 0)], true).unwrap();
        assert_eq!(m.edges(), &[(1, 0), (1, 2)]);
        assert!(m.allows(1, 0) && !m.allows(0, 1));
        assert!(m.are_coupled(0, 1));
        assert_eq!(m.distance(0, 2), Some(2));
    }

    #[test]
    fn disconnected_components_and_errors() {
        let m = CouplingMap::new(4, &[(0, 1), (2, 3)], false).unwrap();
        assert_eq!(m.num_components(), 2);
        assert_eq!(m.components(), &[0, 0, 1, 1]);
        assert_eq!(m.distance(0, 3), None);
        assert_eq!(m.shortest_path(0, 3), None);
        assert_eq!(
            CouplingMap::new(3, &[(0, 3)], false).unwrap_err(),
            "edge #0 (0, 3) names qubit 3 but the target has 3 qubits"
        );
        assert_eq!(
            CouplingMap::new(3, &[(0, 1), (2, 2)], false).unwrap_err(),
            "edge #1 (2, 2) couples a qubit to itself"
        );
        assert!(CouplingMap::line(MAX_QUBITS + 1).unwrap_err().contains("maximum of 1024"));
    }
}
