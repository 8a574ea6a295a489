//! Vendor device topologies, generated from their layout rules.
//!
//! - IBM heavy-hex ([`eagle`], [`heron`]): rows of 15 columns joined by
//!   "bridge" qubits. Between rows `r` and `r + 1` a bridge sits at every
//!   column `c ≡ 0 (mod 4)` when `r` is even and `c ≡ 2 (mod 4)` when `r` is
//!   odd. Qubits are numbered row by row, each row followed by the bridges
//!   below it, which is IBM's numbering (checked against the published maps
//!   of `ibm_sherbrooke` and `ibm_torino` in the tests).
//! - Google Sycamore ([`sycamore`]): 54 qubits on a diamond-shaped patch of
//!   the square lattice, numbered by (row, column) as Cirq's `GridQubit`s sort.
//! - Rigetti Ankaa: a plain square lattice, see [`super::CouplingMap::grid`].

use super::CouplingMap;

/// Columns of one heavy-hex row (inclusive range).
#[derive(Clone, Copy)]
struct Row {
    first: usize,
    last: usize,
}

/// Builds a heavy-hex map from its rows; `dangling_after_last` adds the
/// bridges below the last row as pendant qubits (Heron r1 has them).
fn heavy_hex(rows: &[Row], dangling_after_last: bool) -> Result<CouplingMap, String> {
    let mut edges = Vec::new();
    let mut next = 0usize;
    // Bridges hanging below the previous row: (column, qubit).
    let mut bridges: Vec<(usize, usize)> = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let mut cur = vec![None; row.last + 1];
        for c in row.first..=row.last {
            cur[c] = Some(next);
            if c > row.first {
                edges.push((next - 1, next));
            }
            next += 1;
        }
        for &(c, b) in &bridges {
            if let Some(Some(q)) = cur.get(c) {
                edges.push((b, *q));
            }
        }
        bridges.clear();
        let is_last = r + 1 == rows.len();
        if !is_last || dangling_after_last {
            let offset = if r % 2 == 0 { 0 } else { 2 };
            let below = rows.get(r + 1);
            for c in (offset..=row.last).step_by(4) {
                let in_below = below.is_none_or(|b| (b.first..=b.last).contains(&c));
                if let (Some(q), true) = (cur[c], in_below) {
                    edges.push((q, next));
                    bridges.push((c, next));
                    next += 1;
                }
            }
        }
    }
    CouplingMap::new(next, &edges, false)
}

/// IBM Eagle (127 qubits, 144 couplings; `ibm_sherbrooke`, `ibm_brisbane`, …).
pub fn eagle() -> Result<CouplingMap, String> {
    let mut rows = vec![Row { first: 0, last: 13 }];
    rows.extend(std::iter::repeat_n(Row { first: 0, last: 14 }, 5));
    rows.push(Row { first: 1, last: 14 });
    heavy_hex(&rows, false)
}

/// IBM Heron r1 (133 qubits, 150 couplings; `ibm_torino`).
pub fn heron() -> Result<CouplingMap, String> {
    heavy_hex(&[Row { first: 0, last: 14 }; 7], true)
}

/// Google Sycamore's qubit grid: row `r` holds the columns marked `#`.
const SYCAMORE: [&str; 10] = [
    "-----##---",
    "----####--",
    "---######-",
    "--########",
    "-#########",
    "#########-",
    "-#######--",
    "--#####---",
    "---###----",
    "----#-----",
];

/// Google Sycamore (54 qubits, 88 couplings): nearest neighbours on the grid.
pub fn sycamore() -> Result<CouplingMap, String> {
    let mut index = std::collections::HashMap::new();
    for (r, line) in SYCAMORE.iter().enumerate() {
        for (c, ch) in line.chars().enumerate() {
            if ch == '#' {
                let i = index.len();
                index.insert((r, c), i);
            }
        }
    }
    let mut edges = Vec::new();
    for (&(r, c), &q) in &index {
        if let Some(&p) = index.get(&(r, c + 1)) {
            edges.push((q, p));
        }
        if let Some(&p) = index.get(&(r + 1, c)) {
            edges.push((q, p));
        }
    }
    CouplingMap::new(index.len(), &edges, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heavy_hex_sizes_match_ibm_devices() {
        let e = eagle().unwrap();
        assert_eq!((e.num_qubits(), e.num_couplings()), (127, 144));
        let h = heron().unwrap();
        assert_eq!((h.num_qubits(), h.num_couplings()), (133, 150));
        for m in [&e, &h] {
            assert_eq!(m.num_components(), 1);
            assert!((0..m.num_qubits()).all(|q| (1..=3).contains(&m.degree(q))));
        }
        // ibm_sherbrooke: 0 - 14 - 18 is the first bridge, 112 joins 108 and 126.
        assert!(e.are_coupled(0, 14) && e.are_coupled(14, 18));
        assert!(e.are_coupled(108, 112) && e.are_coupled(112, 126));
        // ibm_torino: pendant qubits 129..=132 hang below the last row.
        assert_eq!(h.neighbors(132), &[126]);
    }

    #[test]
    fn sycamore_has_54_qubits_and_88_couplings() {
        let s = sycamore().unwrap();
        assert_eq!((s.num_qubits(), s.num_couplings()), (54, 88));
        assert_eq!(s.num_components(), 1);
    }
}
