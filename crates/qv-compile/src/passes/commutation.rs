//! Commutation analysis: which gates commute, and the commutation sets of
//! each wire.
//!
//! [`CommutationChecker::commute`] decides whether two gates commute. Most
//! questions are answered without matrices: each gate argument has an
//! *axis* ([`Axis`]) — the gate lies in `span{I, P}` on that qubit (tensor
//! anything on the others) for a Pauli `P` — and two gates whose shared
//! qubits all have the same axis commute (`rz` and a CX control share `Z`;
//! `rx` and a CX target share `X`). Otherwise the two matrices are multiplied
//! both ways on the union of their qubits (fixed 8×8 arrays for up to three
//! qubits), and the answer is cached by gates, parameters and arrangement.
//!
//! [`commutation_sets`] groups each wire's ops as Qiskit's
//! `CommutationAnalysis` does: a gate joins the wire's current set when it
//! commutes with every gate already in it, and starts a new set otherwise.
//! Measurements, resets, barriers and conditioned gates never commute with
//! anything on their wires, so nothing is moved across them.

use std::collections::HashMap;

use qv_circuit::{Matrix, StandardGate, C64};

use super::program::{Op, Program, Wires};

/// A gate argument's commutation class (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// The gate is the identity on this qubit's factor (commutes with anything there).
    Identity,
    /// In `span{I, Z}` on this qubit: diagonal gates, controls.
    Z,
    /// In `span{I, X}`: X rotations, CX targets.
    X,
    /// In `span{I, Y}`: Y rotations, CY targets.
    Y,
    /// None of the above.
    General,
}

/// The axis of argument `arg` of `gate`.
pub fn axis(gate: StandardGate, arg: usize) -> Axis {
    use StandardGate::*;
    match gate {
        Id | U0 => Axis::Identity,
        Rz | P | U1 | Z | S | Sdg | T | Tdg | Cz | Cp | Cu1 | Crz | Rzz | Ccz | Cs | Csdg => {
            Axis::Z
        }
        X | Rx | Sx | Sxdg | Rxx => Axis::X,
        Y | Ry | Ryy => Axis::Y,
        Cx | Crx | Csx => [Axis::Z, Axis::X][arg.min(1)],
        Cy | Cry => [Axis::Z, Axis::Y][arg.min(1)],
        Rzx => [Axis::Z, Axis::X][arg.min(1)],
        // ECR = (IX − XY)/√2 (Qiskit's labels, qubit 1 first): X-type on its second qubit.
        Ecr => [Axis::General, Axis::X][arg.min(1)],
        Ch | Cu | Cu3 => [Axis::Z, Axis::General][arg.min(1)],
        Cswap => [Axis::Z, Axis::General, Axis::General][arg.min(2)],
        Ccx => [Axis::Z, Axis::Z, Axis::X][arg.min(2)],
        C3x | C3sqrtx => [Axis::Z, Axis::Z, Axis::Z, Axis::X][arg.min(3)],
        C4x => [Axis::Z, Axis::Z, Axis::Z, Axis::Z, Axis::X][arg.min(4)],
        _ => Axis::General,
    }
}

/// Cache key of a gate pair: gates, parameter bits, and the positions of
/// `b`'s qubits among the union (`a`'s qubits come first), packed.
type PairKey = (StandardGate, StandardGate, [u64; 3], [u64; 3], u32);

/// The largest union of qubits compared with fixed-size matrices.
const SMALL_QUBITS: usize = 3;
const SMALL_DIM: usize = 1 << SMALL_QUBITS;
type Small = [[C64; SMALL_DIM]; SMALL_DIM];

/// Decides whether gates commute, caching matrix comparisons.
#[derive(Debug, Default)]
pub struct CommutationChecker {
    cache: HashMap<PairKey, bool>,
}

/// Most cached pairs kept; the cache is cleared when it grows past this.
const CACHE_LIMIT: usize = 100_000;

/// Unions of more qubits than this are not compared by matrix (the gates
/// are then treated as not commuting).
const MAX_MATRIX_QUBITS: usize = 6;

impl CommutationChecker {
    /// A checker with an empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether ops `a` and `b` commute. Non-gates and conditioned gates
    /// commute only with ops on other qubits.
    pub fn commute(&mut self, a: &Op, b: &Op) -> bool {
        if !a.qubits.iter().any(|q| b.qubits.contains(q)) {
            return true;
        }
        let (Some(ga), Some(gb)) = (a.free_gate(), b.free_gate()) else {
            return false;
        };
        let mut agree = true;
        for (i, q) in a.qubits.iter().enumerate() {
            let Some(j) = b.qubits.iter().position(|x| x == q) else { continue };
            match (axis(ga, i), axis(gb, j)) {
                (Axis::Identity, _) | (_, Axis::Identity) => {}
                (x, y) if x == y && x != Axis::General => {}
                // Two different Pauli axes (say an `rz` and an `sx`): the gates
                // commute only if one is the identity on that qubit, which
                // identity removal has already taken out, so answer no
                // without multiplying (a "no" is always safe).
                (x, y) if x != Axis::General && y != Axis::General => return false,
                _ => agree = false,
            }
        }
        if agree {
            return true;
        }
        // Union of qubits: a's first, then b's new ones.
        let mut union = a.qubits.clone();
        for &q in &b.qubits {
            if !union.contains(&q) {
                union.push(q);
            }
        }
        if union.len() > MAX_MATRIX_QUBITS {
            return false;
        }
        let b_pos: Vec<usize> =
            b.qubits.iter().map(|q| union.iter().position(|x| x == q).unwrap_or(0)).collect();
        let key = pair_key(a, b, &b_pos, union.len());
        if let Some(hit) = key.as_ref().and_then(|k| self.cache.get(k)) {
            return *hit;
        }
        let a_pos: Vec<usize> = (0..a.qubits.len()).collect();
        let result = if union.len() <= SMALL_QUBITS {
            let ma = embed_small(&a.matrix(), &a_pos);
            let mb = embed_small(&b.matrix(), &b_pos);
            small_commute(&ma, &mb)
        } else {
            let ma = a.matrix().embed(&a_pos, union.len());
            let mb = b.matrix().embed(&b_pos, union.len());
            matrices_commute(&ma, &mb)
        };
        if let Some(k) = key {
            if self.cache.len() >= CACHE_LIMIT {
                self.cache.clear();
            }
            self.cache.insert(k, result);
        }
        result
    }
}

/// The cache key of a pair, or `None` when a gate has more than three
/// parameters or the union is too wide to pack.
fn pair_key(a: &Op, b: &Op, b_pos: &[usize], width: usize) -> Option<PairKey> {
    let (ga, gb) = (a.standard_gate()?, b.standard_gate()?);
    if a.params.len() > 3 || b.params.len() > 3 || width > 7 || b_pos.len() > 7 {
        return None;
    }
    let bits = |p: &[f64]| {
        let mut k = [0u64; 3];
        for (slot, v) in k.iter_mut().zip(p) {
            *slot = v.to_bits();
        }
        k
    };
    let pattern = b_pos.iter().fold(width as u32, |acc, &p| (acc << 3) | p as u32);
    Some((ga, gb, bits(&a.params), bits(&b.params), pattern))
}

/// A gate matrix on `positions` of three qubits (identity elsewhere).
fn embed_small(m: &Matrix, positions: &[usize]) -> Small {
    let k = positions.len();
    let mask: usize = positions.iter().map(|p| 1usize << p).sum();
    let mut out = [[C64::new(0.0, 0.0); SMALL_DIM]; SMALL_DIM];
    for col in 0..SMALL_DIM {
        let sub_col = qv_circuit::matrix::extract_bits(col, positions);
        for sub_row in 0..(1usize << k) {
            let v = m.get(sub_row, sub_col);
            let row = (col & !mask) | qv_circuit::matrix::deposit_bits(sub_row, positions);
            out[row][col] += v;
        }
    }
    out
}

fn small_mul(a: &Small, b: &Small) -> Small {
    let mut out = [[C64::new(0.0, 0.0); SMALL_DIM]; SMALL_DIM];
    for i in 0..SMALL_DIM {
        for k in 0..SMALL_DIM {
            let x = a[i][k];
            if x.re == 0.0 && x.im == 0.0 {
                continue;
            }
            for j in 0..SMALL_DIM {
                out[i][j] += x * b[k][j];
            }
        }
    }
    out
}

fn small_commute(a: &Small, b: &Small) -> bool {
    let (ab, ba) = (small_mul(a, b), small_mul(b, a));
    ab.iter().flatten().zip(ba.iter().flatten()).all(|(x, y)| (x - y).norm() <= 1e-10)
}

fn matrices_commute(a: &Matrix, b: &Matrix) -> bool {
    a.mul(b).approx_eq(&b.mul(a), 1e-10)
}

/// Each wire's commutation sets.
#[derive(Clone, Debug)]
pub struct CommutationSets {
    /// `sets[q]`: the sets of wire `q` in order, each a list of op indices.
    pub sets: Vec<Vec<Vec<usize>>>,
    /// `set_of[i][k]`: the set index of op `i` on the wire of its `k`-th qubit.
    pub set_of: Vec<Vec<usize>>,
}

/// The set index of every (op, qubit argument), flat: the compact form of
/// [`CommutationSets::set_of`] that the cancellation pass uses.
#[derive(Clone, Debug)]
pub(crate) struct SetIndex {
    /// `start[i]`: where op `i`'s entries begin in `set`.
    start: Vec<u32>,
    set: Vec<u32>,
}

impl SetIndex {
    /// The set of op `i` on the wire of its `k`-th qubit.
    pub(crate) fn of(&self, i: usize, k: usize) -> usize {
        self.set[self.start[i] as usize + k] as usize
    }
}

/// Assigns every op its commutation set on each of its wires.
pub(crate) fn set_index(program: &Program, checker: &mut CommutationChecker) -> SetIndex {
    let mut start = Vec::with_capacity(program.ops.len() + 1);
    let mut total = 0u32;
    for op in &program.ops {
        start.push(total);
        total += op.qubits.len() as u32;
    }
    let mut set = vec![0u32; total as usize];
    let wires = Wires::of(program);
    // The members of the wire's current set, reused across wires.
    let mut current: Vec<usize> = Vec::new();
    for (q, on) in wires.on.iter().enumerate() {
        current.clear();
        let mut count = 0u32;
        for &i in on {
            let op = &program.ops[i];
            let joins = op.free_gate().is_some()
                && !current.is_empty()
                && current.iter().all(|&j| {
                    let other = &program.ops[j];
                    other.free_gate().is_some() && checker.commute(other, op)
                });
            if !joins {
                current.clear();
                count += 1;
            }
            current.push(i);
            let k = op.qubits.iter().position(|&x| x == q).unwrap_or(0);
            set[start[i] as usize + k] = count - 1;
        }
    }
    SetIndex { start, set }
}

/// Groups each wire's ops into commutation sets (see the module docs).
pub fn commutation_sets(program: &Program, checker: &mut CommutationChecker) -> CommutationSets {
    let index = set_index(program, checker);
    let set_of: Vec<Vec<usize>> = program
        .ops
        .iter()
        .enumerate()
        .map(|(i, op)| (0..op.qubits.len()).map(|k| index.of(i, k)).collect())
        .collect();
    let mut sets: Vec<Vec<Vec<usize>>> = vec![Vec::new(); program.num_qubits];
    for (i, op) in program.ops.iter().enumerate() {
        for (k, &q) in op.qubits.iter().enumerate() {
            let s = set_of[i][k];
            if sets[q].len() <= s {
                sets[q].resize(s + 1, Vec::new());
            }
            sets[q][s].push(i);
        }
    }
    CommutationSets { sets, set_of }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qv_circuit::Circuit;

    fn op(g: StandardGate, params: &[f64], qubits: &[usize]) -> Op {
        Op::gate(g, params.to_vec(), qubits.to_vec())
    }

    /// Every axis claim agrees with the matrices: each gate commutes with the
    /// Pauli of its argument's axis on that qubit.
    #[test]
    fn axes_match_matrices() {
        let pauli = |a: Axis| match a {
            Axis::Z => Some(StandardGate::Z),
            Axis::X => Some(StandardGate::X),
            Axis::Y => Some(StandardGate::Y),
            _ => None,
        };
        for g in StandardGate::all() {
            let params: Vec<f64> = (0..g.num_params()).map(|i| 0.37 + 0.41 * i as f64).collect();
            let n = g.num_qubits();
            let m = g.matrix(&params);
            for arg in 0..n {
                if let Some(p) = pauli(axis(g, arg)) {
                    let pm = p.matrix(&[]).embed(&[arg], n);
                    assert!(matrices_commute(&m, &pm), "{} arg {arg}", g.name());
                }
            }
        }
    }

    #[test]
    fn known_pairs() {
        let mut c = CommutationChecker::new();
        use StandardGate::*;
        assert!(c.commute(&op(Rz, &[0.3], &[0]), &op(Cx, &[], &[0, 1])));
        assert!(!c.commute(&op(Rz, &[0.3], &[1]), &op(Cx, &[], &[0, 1])));
        assert!(c.commute(&op(Rx, &[0.3], &[1]), &op(Cx, &[], &[0, 1])));
        assert!(c.commute(&op(Cx, &[], &[0, 1]), &op(Cx, &[], &[0, 2])));
        assert!(c.commute(&op(Cx, &[], &[0, 2]), &op(Cx, &[], &[1, 2])));
        assert!(!c.commute(&op(Cx, &[], &[0, 1]), &op(Cx, &[], &[1, 0])));
        assert!(!c.commute(&op(Cx, &[], &[0, 1]), &op(Cx, &[], &[1, 2])));
        // Found by matrices: swap commutes with a symmetric gate; h with itself.
        assert!(c.commute(&op(Swap, &[], &[0, 1]), &op(Rzz, &[0.2], &[1, 0])));
        assert!(c.commute(&op(H, &[], &[0]), &op(H, &[], &[0])));
        assert!(!c.commute(&op(H, &[], &[0]), &op(S, &[], &[0])));
        assert!(c.commute(&op(Cz, &[], &[0, 1]), &op(Cz, &[], &[1, 0])));
    }

    #[test]
    fn sets_follow_the_wires() {
        // Wire 0: cx(0,1), rz(0), cx(0,1) commute (controls and rz).
        // Wire 1: cx, h, cx: h breaks the set.
        let c = Circuit::new(2).cx(0, 1).rz(0.1, 0).h(1).cx(0, 1);
        let p = Program::from_circuit(&c).unwrap();
        let sets = commutation_sets(&p, &mut CommutationChecker::new());
        assert_eq!(sets.sets[0], vec![vec![0, 1, 3]]);
        assert_eq!(sets.sets[1], vec![vec![0], vec![2], vec![3]]);
        assert_eq!(sets.set_of[3], vec![0, 2]);
    }

    #[test]
    fn measurements_split_sets() {
        let c = Circuit::with_clbits(1, 1).rz(0.1, 0).measure(0, 0).rz(0.2, 0);
        let p = Program::from_circuit(&c).unwrap();
        let sets = commutation_sets(&p, &mut CommutationChecker::new());
        assert_eq!(sets.sets[0], vec![vec![0], vec![1], vec![2]]);
    }
}
