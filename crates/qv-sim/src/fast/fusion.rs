//! Gate fusion: turning a gate list into few passes over the state.
//!
//! Gates are grouped into blocks greedily in program order. Each physical qubit
//! is owned by at most one open block; a gate joins (and may merge) the open
//! blocks owning its qubits when the union stays within the width limit,
//! otherwise those blocks are emitted and the gate opens a new block. Open
//! blocks own disjoint qubits, so they commute and may be emitted in any order.
//!
//! Blocks made only of diagonal gates stay diagonal: applying one costs a
//! single multiply per amplitude whatever its width, so they may grow wider
//! (`max_diagonal`) than dense blocks, whose cost grows as `2^k` per amplitude.
//! `swap` gates are never applied: they relabel which physical qubit holds a
//! logical one, and the final layout is undone once at the end (or folded into
//! sampling).
//!
//! [`plan_from_zero`] also activates qubits lazily. A qubit no gate has touched
//! yet is known to be |0⟩ and has no physical position; a gate on such *fresh*
//! qubits is restricted to their |0⟩ subspace (a controlled gate with a fresh
//! control is the identity, a diagonal gate on a fresh qubit a phase), and
//! only a fresh qubit that the gate can set is activated, at the next physical
//! position. Active qubits always occupy the lowest positions, so every pass
//! before the last activation runs over a prefix of the state (see
//! [`FusedOp::span`]).

use qv_circuit::matrix::extract_bits;
use qv_circuit::{Matrix, C64};

/// A gate in physical terms: its matrix (basis bit `j` = `qubits[j]`).
#[derive(Clone, Debug)]
pub struct GateOp {
    /// The unitary.
    pub matrix: Matrix,
    /// Logical qubits, in the matrix's argument order.
    pub qubits: Vec<usize>,
}

/// One pass over the state.
#[derive(Clone, Debug, PartialEq)]
pub enum FusedOp {
    /// A dense unitary on ascending physical `qubits` (basis bit `j` =
    /// `qubits[j]`), applied where every qubit of `controls` is 1.
    Dense {
        /// Ascending physical target qubits.
        qubits: Vec<usize>,
        /// Physical control qubits (the identity acts where any is 0).
        controls: Vec<usize>,
        /// Row-major `2^k × 2^k` matrix on the targets.
        matrix: Vec<C64>,
    },
    /// A monomial unitary (one nonzero per row: a permutation with phases)
    /// on ascending physical `qubits`, applied where every `controls` qubit
    /// is 1: output row `r` is `phases[r]` times input row `source[r]`.
    Monomial {
        /// Ascending physical target qubits.
        qubits: Vec<usize>,
        /// Physical control qubits.
        controls: Vec<usize>,
        /// Input row of each output row.
        source: Vec<usize>,
        /// Factor of each output row.
        phases: Vec<C64>,
    },
    /// A diagonal unitary on ascending physical `qubits`.
    Diagonal {
        /// Ascending physical qubits.
        qubits: Vec<usize>,
        /// The `2^k` diagonal entries.
        diag: Vec<C64>,
    },
}

/// Width limits for fusion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FusionLimits {
    /// Widest dense block (1 disables fusion of multi-qubit gates beyond their own width).
    pub max_dense: usize,
    /// Widest diagonal block.
    pub max_diagonal: usize,
}

impl FusionLimits {
    /// No fusion at all: one pass per gate.
    pub const OFF: FusionLimits = FusionLimits { max_dense: 0, max_diagonal: 0 };
}

impl Default for FusionLimits {
    fn default() -> Self {
        FusionLimits { max_dense: 4, max_diagonal: 10 }
    }
}

impl FusedOp {
    /// One more than the highest physical qubit the pass reads (targets and
    /// controls): a state whose amplitudes are zero from index `2^s` on stays
    /// so under a pass of span at most `s`, which may then run on the prefix.
    pub fn span(&self) -> usize {
        let (qubits, controls) = match self {
            FusedOp::Dense { qubits, controls, .. }
            | FusedOp::Monomial { qubits, controls, .. } => (qubits, &controls[..]),
            FusedOp::Diagonal { qubits, .. } => (qubits, &[][..]),
        };
        qubits.iter().chain(controls).map(|&q| q + 1).max().unwrap_or(0)
    }
}

/// The plan: passes to run and the final logical → physical qubit layout.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Passes, in order.
    pub ops: Vec<FusedOp>,
    /// `layout[logical] = physical` after the last pass.
    pub layout: Vec<usize>,
    /// Factor for the whole state: the phases of gates that act on fresh
    /// qubits only as a phase ([`plan_from_zero`]; 1 for [`plan`]).
    pub phase: C64,
}

#[derive(Debug)]
struct Block {
    qubits: Vec<usize>,
    gates: Vec<(Matrix, Vec<usize>)>,
    diagonal: bool,
}

/// Plans the passes for `gates` on `num_qubits` qubits, for any input state.
pub fn plan(gates: &[GateOp], num_qubits: usize, limits: FusionLimits) -> Plan {
    plan_with(gates, num_qubits, limits, false)
}

/// Plans the passes for `gates` applied to `|0…0⟩`, activating qubits lazily
/// (see the module documentation). Qubits never activated take the free
/// physical positions, in ascending logical order, in the final layout.
pub fn plan_from_zero(gates: &[GateOp], num_qubits: usize, limits: FusionLimits) -> Plan {
    plan_with(gates, num_qubits, limits, true)
}

fn plan_with(gates: &[GateOp], num_qubits: usize, limits: FusionLimits, from_zero: bool) -> Plan {
    // `slot[logical]`: physical position, `None` while the qubit is fresh.
    let mut slot: Vec<Option<usize>> =
        if from_zero { vec![None; num_qubits] } else { (0..num_qubits).map(Some).collect() };
    let mut active = if from_zero { 0 } else { num_qubits };
    let mut phase = C64::new(1.0, 0.0);
    let mut owner: Vec<Option<usize>> = vec![None; num_qubits];
    let mut blocks: Vec<Option<Block>> = Vec::new();
    let mut out = Vec::new();
    for g in gates {
        if is_swap(&g.matrix) {
            // Also right for fresh qubits: the |0⟩ moves, the other state keeps its position.
            slot.swap(g.qubits[0], g.qubits[1]);
            continue;
        }
        let restricted;
        let g = if g.qubits.iter().any(|&q| slot[q].is_none()) {
            match restrict(g, &slot) {
                Restricted::Identity => continue,
                Restricted::Phase(p) => {
                    phase *= p;
                    continue;
                }
                Restricted::Gate(op) => {
                    restricted = op;
                    &restricted
                }
            }
        } else {
            g
        };
        let phys: Vec<usize> = g
            .qubits
            .iter()
            .map(|&q| {
                *slot[q].get_or_insert_with(|| {
                    active += 1;
                    active - 1
                })
            })
            .collect();
        let diagonal = is_diagonal(&g.matrix);
        let mut owners: Vec<usize> = phys.iter().filter_map(|&p| owner[p]).collect();
        owners.sort_unstable();
        owners.dedup();
        let mut union: Vec<usize> = phys.clone();
        let mut all_diag = diagonal;
        for &b in &owners {
            let blk = blocks[b].as_ref().expect("owners are open");
            union.extend(&blk.qubits);
            all_diag &= blk.diagonal;
        }
        union.sort_unstable();
        union.dedup();
        let limit = if all_diag { limits.max_diagonal } else { limits.max_dense };
        let target = if union.len() <= limit.max(1) && limits.max_dense > 0 {
            // Merge the owners into the first one and add the gate there.
            let first = owners.first().copied();
            match first {
                Some(first) => {
                    for &b in &owners[1..] {
                        let other = blocks[b].take().expect("owners are open");
                        let blk = blocks[first].as_mut().expect("owners are open");
                        blk.gates.extend(other.gates);
                        blk.diagonal &= other.diagonal;
                    }
                    first
                }
                None => new_block(&mut blocks),
            }
        } else {
            // The gate opens a new block. Owners that still fit (smallest
            // first) join it; the rest are emitted. Open blocks own disjoint
            // qubits, so emitting some before the merged ones is safe.
            union = phys.clone();
            union.sort_unstable();
            let target = new_block(&mut blocks);
            let mut by_width = owners.clone();
            by_width.sort_by_key(|&b| blocks[b].as_ref().map_or(0, |blk| blk.qubits.len()));
            for b in by_width {
                let blk = blocks[b].take().expect("owners are open");
                let mut joined: Vec<usize> = union.iter().chain(&blk.qubits).copied().collect();
                joined.sort_unstable();
                joined.dedup();
                // Diagonal width only while the merged block stays diagonal.
                let into_diagonal = blocks[target].as_ref().is_some_and(|b| b.diagonal);
                let limit = if diagonal && blk.diagonal && into_diagonal {
                    limits.max_diagonal
                } else {
                    limits.max_dense
                };
                if limits.max_dense > 0 && joined.len() <= limit.max(phys.len()) {
                    union = joined;
                    let into = blocks[target].as_mut().expect("just created");
                    into.gates.extend(blk.gates);
                    into.diagonal &= blk.diagonal;
                } else {
                    for &q in &blk.qubits {
                        owner[q] = None;
                    }
                    out.push(finish(blk));
                }
            }
            target
        };
        let blk = blocks[target].get_or_insert_with(|| Block {
            qubits: vec![],
            gates: vec![],
            diagonal: true,
        });
        blk.qubits = union;
        blk.diagonal &= diagonal;
        blk.gates.push((g.matrix.clone(), phys));
        for &q in &blk.qubits {
            owner[q] = Some(target);
        }
        if limits.max_dense == 0 {
            let blk = blocks[target].take().expect("just filled");
            for &q in &blk.qubits {
                owner[q] = None;
            }
            out.push(finish(blk));
        }
    }
    out.extend(blocks.into_iter().flatten().map(finish));
    let layout = slot
        .into_iter()
        .map(|s| {
            s.unwrap_or_else(|| {
                active += 1;
                active - 1
            })
        })
        .collect();
    Plan { ops: out, layout, phase }
}

/// A gate with fresh qubits, restricted to what it does on them as |0⟩.
enum Restricted {
    /// The identity: nothing to do.
    Identity,
    /// A phase on the whole state.
    Phase(C64),
    /// The gate on its active qubits and the fresh qubits it can set (which
    /// the caller activates).
    Gate(GateOp),
}

fn restrict(g: &GateOp, slot: &[Option<usize>]) -> Restricted {
    let m = &g.matrix;
    let dim = m.dim();
    let zero = C64::new(0.0, 0.0);
    let fresh: usize =
        g.qubits.iter().enumerate().filter(|(_, &q)| slot[q].is_none()).map(|(j, _)| 1 << j).sum();
    // Fresh qubits that some input with every fresh qubit at 0 can set.
    let mut set = 0;
    for c in (0..dim).filter(|c| c & fresh == 0) {
        for r in 0..dim {
            if m.get(r, c) != zero {
                set |= r & fresh;
            }
        }
    }
    let mut stay = fresh & !set;
    // The rest stays |0⟩ only if the gate keeps the subspace where it is 0 (it
    // also meets inputs where the newly activated qubits are 1); else all are
    // activated, which is always exact.
    let closed = (0..dim)
        .filter(|c| c & stay == 0)
        .all(|c| (0..dim).all(|r| r & stay == 0 || m.get(r, c) == zero));
    if !closed {
        stay = 0;
    }
    if stay == 0 {
        return Restricted::Gate(g.clone());
    }
    let keep: Vec<usize> = (0..g.qubits.len()).filter(|j| (stay >> j) & 1 == 0).collect();
    let sub = 1usize << keep.len();
    let mut matrix = Matrix::zeros(sub);
    for r in 0..sub {
        for c in 0..sub {
            let row = qv_circuit::matrix::deposit_bits(r, &keep);
            let col = qv_circuit::matrix::deposit_bits(c, &keep);
            matrix.set(r, c, m.get(row, col));
        }
    }
    let s = matrix.get(0, 0);
    let scalar =
        (0..sub).all(|r| (0..sub).all(|c| matrix.get(r, c) == if r == c { s } else { zero }));
    if scalar {
        return if s == C64::new(1.0, 0.0) { Restricted::Identity } else { Restricted::Phase(s) };
    }
    Restricted::Gate(GateOp { matrix, qubits: keep.iter().map(|&j| g.qubits[j]).collect() })
}

fn new_block(blocks: &mut Vec<Option<Block>>) -> usize {
    // Blocks merged into another leave `None` behind; reuse is not worth the bookkeeping.
    blocks.push(Some(Block { qubits: vec![], gates: vec![], diagonal: true }));
    blocks.len() - 1
}

fn finish(blk: Block) -> FusedOp {
    let k = blk.qubits.len();
    let local = |qs: &[usize]| -> Vec<usize> {
        qs.iter().map(|q| blk.qubits.binary_search(q).expect("gate qubit in block")).collect()
    };
    if blk.diagonal {
        let mut diag = vec![C64::new(1.0, 0.0); 1 << k];
        for (m, qs) in &blk.gates {
            let pos = local(qs);
            for (j, d) in diag.iter_mut().enumerate() {
                let sub = extract_bits(j, &pos);
                *d *= m.get(sub, sub);
            }
        }
        FusedOp::Diagonal { qubits: blk.qubits, diag }
    } else {
        let mut acc = Matrix::identity(1 << k);
        for (m, qs) in &blk.gates {
            acc = m.embed(&local(qs), k).mul(&acc);
        }
        let (qubits, controls, matrix) = split_controls(&blk.qubits, &acc);
        match monomial(&matrix) {
            Some((source, phases)) => FusedOp::Monomial { qubits, controls, source, phases },
            None => FusedOp::Dense { qubits, controls, matrix },
        }
    }
}

/// The permutation and factors of a monomial matrix (exactly one nonzero
/// entry per row and column), or `None`. Such blocks (x, cx, ccx, swap, …)
/// need no arithmetic beyond the factors, so they run at memory speed.
fn monomial(m: &[C64]) -> Option<(Vec<usize>, Vec<C64>)> {
    let dim = (m.len() as f64).sqrt() as usize;
    let zero = C64::new(0.0, 0.0);
    let mut source = Vec::with_capacity(dim);
    let mut phases = Vec::with_capacity(dim);
    let mut used = vec![false; dim];
    for r in 0..dim {
        let mut nonzero = (0..dim).filter(|&c| m[r * dim + c] != zero);
        let c = nonzero.next()?;
        if nonzero.next().is_some() || used[c] {
            return None;
        }
        used[c] = true;
        source.push(c);
        phases.push(m[r * dim + c]);
    }
    Some((source, phases))
}

/// Finds the qubits of a dense block that act only as controls (the matrix is
/// the identity wherever one of them is 0) and returns the targets, the
/// controls and the matrix restricted to the targets with all controls set.
/// Exact comparisons: only structure that survives multiplication exactly
/// (identity blocks of controlled gates) is taken.
fn split_controls(qubits: &[usize], m: &Matrix) -> (Vec<usize>, Vec<usize>, Vec<C64>) {
    let dim = m.dim();
    let is_control = |b: usize| {
        (0..dim).all(|r| {
            (0..dim).all(|c| {
                let outside = (r >> b) & 1 == 0 || (c >> b) & 1 == 0;
                !outside
                    || m.get(r, c) == if r == c { C64::new(1.0, 0.0) } else { C64::new(0.0, 0.0) }
            })
        })
    };
    let control_bits: Vec<usize> = (0..qubits.len()).filter(|&b| is_control(b)).collect();
    // Keep at least one target.
    let control_bits =
        if control_bits.len() == qubits.len() { control_bits[1..].to_vec() } else { control_bits };
    if control_bits.is_empty() {
        return (qubits.to_vec(), vec![], m.data().to_vec());
    }
    let target_bits: Vec<usize> = (0..qubits.len()).filter(|b| !control_bits.contains(b)).collect();
    let mask: usize = control_bits.iter().map(|b| 1usize << b).sum();
    let sub = 1usize << target_bits.len();
    let mut matrix = Vec::with_capacity(sub * sub);
    for r in 0..sub {
        for c in 0..sub {
            let row = qv_circuit::matrix::deposit_bits(r, &target_bits) | mask;
            let col = qv_circuit::matrix::deposit_bits(c, &target_bits) | mask;
            matrix.push(m.get(row, col));
        }
    }
    (
        target_bits.iter().map(|&b| qubits[b]).collect(),
        control_bits.iter().map(|&b| qubits[b]).collect(),
        matrix,
    )
}

fn is_diagonal(m: &Matrix) -> bool {
    let n = m.dim();
    (0..n).all(|r| (0..n).all(|c| r == c || m.get(r, c) == C64::new(0.0, 0.0)))
}

fn is_swap(m: &Matrix) -> bool {
    m.dim() == 4 && {
        let perm = [0, 2, 1, 3];
        (0..4).all(|r| {
            (0..4).all(|c| {
                m.get(r, c) == if perm[r] == c { C64::new(1.0, 0.0) } else { C64::new(0.0, 0.0) }
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qv_circuit::StandardGate;

    fn op(g: StandardGate, params: &[f64], qubits: &[usize]) -> GateOp {
        GateOp { matrix: g.matrix(params), qubits: qubits.to_vec() }
    }

    #[test]
    fn dense_blocks_never_exceed_the_dense_limit() {
        // A wide diagonal block meeting a dense block through a diagonal gate
        // must not turn into a wide dense block.
        let mut gates = vec![op(StandardGate::H, &[], &[0]), op(StandardGate::Cx, &[], &[0, 1])];
        for q in 2..9 {
            gates.push(op(StandardGate::Cp, &[0.3], &[q, q + 1]));
        }
        gates.push(op(StandardGate::Cp, &[0.7], &[1, 2]));
        gates.push(op(StandardGate::H, &[], &[5]));
        let limits = FusionLimits::default();
        let plan = plan(&gates, 11, limits);
        for op in &plan.ops {
            if let FusedOp::Dense { qubits, controls, .. } = op {
                assert!(qubits.len() + controls.len() <= limits.max_dense, "{op:?}");
            }
        }
    }

    #[test]
    fn controlled_gates_keep_their_controls() {
        let plan = plan(&[op(StandardGate::Ccx, &[], &[0, 1, 2])], 3, FusionLimits::OFF);
        match &plan.ops[..] {
            [FusedOp::Monomial { qubits, controls, source, phases }] => {
                assert_eq!((qubits.as_slice(), controls.as_slice()), (&[2][..], &[0, 1][..]));
                assert_eq!(source, &[1, 0]);
                assert!(phases.iter().all(|p| *p == C64::new(1.0, 0.0)));
            }
            other => panic!("unexpected plan {other:?}"),
        }
    }
}
