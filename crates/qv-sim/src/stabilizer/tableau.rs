//! The inverse stabilizer tableau (Aaronson–Gottesman, stored as Stim does).
//!
//! For the state `U|0…0⟩` we keep the tableau of `U†`: for every qubit `k`
//! the Pauli strings `T(X_k) = U† X_k U` and `T(Z_k) = U† Z_k U`, as four
//! bit tables (x and z bits of the `X` images and of the `Z` images; row `k`
//! is generator `k`, bit `j` is qubit `j`) plus two sign vectors.
//!
//! - A gate `G` makes `U' = G U`, so `T'(P) = T(G† P G)`: only the rows of the
//!   gate's qubits change, each becoming a product of old rows — `O(n/64)`
//!   word operations per gate ([`Tableau::prepend`]).
//! - `Z_q` is measured deterministically exactly when `T(Z_q)` has no X bits,
//!   and the outcome is its sign: an `O(n/64)` check ([`Tableau::peek_z`]).
//! - A random measurement is collapsed by acting at the *start* of time, where
//!   every qubit is `|0⟩`: CNOTs controlled by a fresh qubit change nothing,
//!   so they can isolate one anticommuting column, which a Hadamard then turns
//!   into the chosen outcome. Those operations act on columns, so the tables
//!   are transposed first (once per run of consecutive measurements and
//!   resets) and every step is again a row operation ([`Tableau::measure_group`]).

use super::bits::{flip_bit, get_bit, words_for, BitTable};
use super::clifford::{Action, LocalPauli};

/// Multiplies the Pauli string `(dx, dz)` on the right by `(sx, sz)` in place
/// and returns the phase of the product as a power of `i` (mod 4), both
/// strings unsigned with `x∧z` meaning `Y`. Each anticommuting position adds
/// `i^{1 + 2b}`; the sum is kept per bit lane in a 2-bit counter spread over
/// two words (`c1` low, `c2` high) and counted once at the end, as Stim does.
#[inline]
pub(crate) fn mul_into(dx: &mut [u64], dz: &mut [u64], sx: &[u64], sz: &[u64]) -> u32 {
    let (mut c1, mut c2) = (0u64, 0u64);
    for (((x1, z1), &x2), &z2) in dx.iter_mut().zip(dz.iter_mut()).zip(sx).zip(sz) {
        let (ox, oz) = (*x1, *z1);
        let nx = ox ^ x2;
        let nz = oz ^ z2;
        let x1z2 = ox & z2;
        let anti = (x2 & oz) ^ x1z2;
        c2 ^= (c1 ^ nx ^ nz ^ x1z2) & anti;
        c1 ^= anti;
        *x1 = nx;
        *z1 = nz;
    }
    (c1.count_ones() + 2 * c2.count_ones()) & 3
}

/// The images of one kind of generator (all `X_k`, or all `Z_k`).
#[derive(Clone, Debug)]
struct Half {
    /// X bits: row `k` is the image of generator `k`.
    x: BitTable,
    /// Z bits.
    z: BitTable,
    /// Sign bit of each image.
    sign: Vec<u64>,
}

/// Rows saved before a gate rewrites them.
#[derive(Clone, Debug, Default)]
struct Scratch {
    x: Vec<u64>,
    z: Vec<u64>,
    sign: Vec<bool>,
}

/// The inverse tableau of an `n`-qubit stabilizer state.
#[derive(Clone, Debug)]
pub(crate) struct Tableau {
    n: usize,
    xs: Half,
    zs: Half,
    transposed: bool,
    /// Set by a final [`Tableau::measure_group`]: only the Z images are kept
    /// up to date (and stay transposed); nothing may follow.
    spent: bool,
    scratch: Scratch,
}

/// A measurement or reset inside [`Tableau::measure_group`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Collapse {
    /// Measure `Z` on the qubit.
    Measure(usize),
    /// Reset the qubit to `|0⟩`.
    Reset(usize),
    /// Apply the Pauli `X^x Z^z` to the qubit (noise between measurements).
    Pauli(usize, bool, bool),
}

impl Tableau {
    /// The state `|0…0⟩` on `n` qubits.
    pub fn new(n: usize) -> Self {
        let words = words_for(n).max(1);
        Self {
            n,
            xs: Half { x: BitTable::identity(n), z: BitTable::zeros(n), sign: vec![0; words] },
            zs: Half { x: BitTable::zeros(n), z: BitTable::identity(n), sign: vec![0; words] },
            transposed: false,
            spent: false,
            scratch: Scratch::default(),
        }
    }

    /// Number of qubits.
    pub fn num_qubits(&self) -> usize {
        self.n
    }

    /// Bytes held by an `n`-qubit tableau (four `n`×`n` bit tables, padded).
    pub fn bytes_for(n: usize) -> u64 {
        let words = words_for(n).max(1) as u64;
        4 * words * words * 64 * 8
    }

    /// Applies a gate whose *backward* action (`P ↦ G† P G`) is `back` to `qubits`.
    pub fn prepend(&mut self, back: &Action, qubits: &[usize]) {
        debug_assert!(!self.transposed && !self.spent);
        if let Some((px, pz)) = back.as_pauli() {
            // G† X G = -X exactly where the Pauli has a Z component.
            for (j, &q) in qubits.iter().enumerate() {
                if (pz >> j) & 1 == 1 {
                    flip_bit(&mut self.xs.sign, q);
                }
                if (px >> j) & 1 == 1 {
                    flip_bit(&mut self.zs.sign, q);
                }
            }
            return;
        }
        if self.prepend_in_place(back, qubits) {
            return;
        }
        self.save_rows(qubits);
        for (j, &q) in qubits.iter().enumerate() {
            for z in [false, true] {
                self.write_product(q, z, back.image(j, z), qubits.len());
            }
        }
    }

    /// The fast path of [`Tableau::prepend`] for gates such as CX, CZ, S or
    /// √X, where each changed generator's image contains the generator itself
    /// times generators the gate leaves alone (up to sign): each changed row
    /// is multiplied in place by unchanged rows, with no copies. Returns
    /// `false` (having changed nothing) for other gates.
    fn prepend_in_place(&mut self, back: &Action, qubits: &[usize]) -> bool {
        let k = qubits.len();
        // Generator g = 2j + (0 for X_j, 1 for Z_j); its image as a factor mask.
        let factors = |g: usize| {
            let img = back.image(g / 2, g % 2 == 1);
            (0..k).fold(0u32, |m, j| {
                m | u32::from((img.x >> j) & 1) << (2 * j)
                    | u32::from((img.z >> j) & 1) << (2 * j + 1)
            })
        };
        let unchanged = |g: usize| factors(g) == 1 << g;
        for g in 0..2 * k {
            let f = factors(g);
            if !unchanged(g)
                && (f & (1 << g) == 0
                    || (0..2 * k).any(|h| h != g && f & (1 << h) != 0 && !unchanged(h)))
            {
                return false;
            }
        }
        for g in (0..2 * k).filter(|&g| !unchanged(g)) {
            let (q, is_z) = (qubits[g / 2], g % 2 == 1);
            let img = back.image(g / 2, is_z);
            let mut log_i = (img.x & img.z).count_ones() + 2 * u32::from(img.neg);
            log_i += 2 * u32::from(get_bit(&self.half(is_z).sign, q));
            // Moving T(Z_j) in front of T(X_j) (a Y in the image) costs a sign.
            if is_z && (img.x >> (g / 2)) & 1 == 1 {
                log_i += 2;
            }
            let f = factors(g);
            for h in (0..2 * k).filter(|&h| h != g && f & (1 << h) != 0) {
                let (sq, sz) = (qubits[h / 2], h % 2 == 1);
                log_i +=
                    self.mul_row(q, is_z, sq, sz) + 2 * u32::from(get_bit(&self.half(sz).sign, sq));
            }
            let half = if is_z { &mut self.zs } else { &mut self.xs };
            if get_bit(&half.sign, q) != ((log_i >> 1) & 1 == 1) {
                flip_bit(&mut half.sign, q);
            }
        }
        for g in (0..2 * k).filter(|&g| unchanged(g)) {
            let is_z = g % 2 == 1;
            if back.image(g / 2, is_z).neg {
                let half = if is_z { &mut self.zs } else { &mut self.xs };
                flip_bit(&mut half.sign, qubits[g / 2]);
            }
        }
        true
    }

    /// Multiplies row (`dq`, `dz`) on the right by row (`sq`, `sz`) (unsigned;
    /// returns the phase as a power of `i`).
    fn mul_row(&mut self, dq: usize, dz: bool, sq: usize, sz: bool) -> u32 {
        if dz == sz {
            let h = if dz { &mut self.zs } else { &mut self.xs };
            let (dx, sx) = h.x.two_rows_mut(dq, sq);
            let (dzr, szr) = h.z.two_rows_mut(dq, sq);
            mul_into(dx, dzr, sx, szr)
        } else {
            let (d, s) = if dz { (&mut self.zs, &self.xs) } else { (&mut self.xs, &self.zs) };
            mul_into(d.x.row_mut(dq), d.z.row_mut(dq), s.x.row(sq), s.z.row(sq))
        }
    }

    /// Flips the signs for a Pauli `X^x Z^z` applied to qubit `q` (any phase).
    pub fn apply_pauli(&mut self, q: usize, x: bool, z: bool) {
        if z {
            flip_bit(&mut self.xs.sign, q);
        }
        if x {
            flip_bit(&mut self.zs.sign, q);
        }
    }

    /// Copies the rows of `qubits` (X images, then Z images) into scratch.
    fn save_rows(&mut self, qubits: &[usize]) {
        let sc = &mut self.scratch;
        sc.x.clear();
        sc.z.clear();
        sc.sign.clear();
        for half in [&self.xs, &self.zs] {
            for &q in qubits {
                sc.x.extend_from_slice(half.x.row(q));
                sc.z.extend_from_slice(half.z.row(q));
                sc.sign.push(get_bit(&half.sign, q));
            }
        }
    }

    /// The images of the X generators (`z = false`) or of the Z generators.
    fn half(&self, z: bool) -> &Half {
        if z {
            &self.zs
        } else {
            &self.xs
        }
    }

    /// Sets row (`q`, `z`) to `T(image)` from the saved rows of a `k`-qubit gate.
    fn write_product(&mut self, q: usize, z: bool, image: LocalPauli, k: usize) {
        let w = self.xs.x.words();
        let sc = &self.scratch;
        // T(Y_j) = i·T(X_j)·T(Z_j); the image's sign is -1 = i².
        let mut log_i = (image.x & image.z).count_ones() + 2 * u32::from(image.neg);
        let half = if z { &mut self.zs } else { &mut self.xs };
        let (dx, dz) = (half.x.row_mut(q), half.z.row_mut(q));
        let mut first = true;
        for j in 0..k {
            for (is_z, bits) in [(false, image.x), (true, image.z)] {
                if (bits >> j) & 1 == 0 {
                    continue;
                }
                let s = usize::from(is_z) * k + j;
                let (rx, rz) = (&sc.x[s * w..(s + 1) * w], &sc.z[s * w..(s + 1) * w]);
                log_i += 2 * u32::from(sc.sign[s]);
                if first {
                    // The product starts as a copy of its first factor.
                    dx.copy_from_slice(rx);
                    dz.copy_from_slice(rz);
                    first = false;
                } else {
                    log_i += mul_into(dx, dz, rx, rz);
                }
            }
        }
        debug_assert!(!first, "a Clifford maps no generator to the identity");
        debug_assert_eq!(log_i % 2, 0, "a Hermitian product has a real sign");
        let neg = (log_i >> 1) & 1 == 1;
        if get_bit(&half.sign, q) != neg {
            flip_bit(&mut half.sign, q);
        }
    }

    /// The outcome of measuring `Z_q` if it is deterministic.
    pub fn peek_z(&self, q: usize) -> Option<bool> {
        debug_assert!(!self.transposed && !self.spent);
        if self.zs.x.row(q).iter().any(|&w| w != 0) {
            None
        } else {
            Some(get_bit(&self.zs.sign, q))
        }
    }

    /// Performs measurements, resets and Paulis in order; a random outcome is
    /// taken from `choose` (called once per random outcome). Returns the
    /// outcome of each operation (a reset's is the value it found; `false`
    /// for a Pauli).
    ///
    /// With `last`, nothing follows the group, so only what later collapses
    /// of the group read is maintained: the Z images (the X images, half the
    /// work, are dropped) and the tables are not transposed back. The tableau
    /// is then spent.
    pub fn measure_group(
        &mut self,
        ops: &[Collapse],
        last: bool,
        mut choose: impl FnMut() -> bool,
    ) -> Vec<bool> {
        debug_assert!(!self.spent);
        let deterministic = |t: &Self, op: &Collapse| match *op {
            Collapse::Measure(q) | Collapse::Reset(q) => t.peek_z(q).is_some(),
            Collapse::Pauli(..) => true,
        };
        if ops.iter().all(|op| deterministic(self, op)) {
            // Paulis and resets of known qubits only flip signs.
            return ops.iter().map(|op| self.collapse_known(*op)).collect();
        }
        if last {
            self.zs.x.transpose();
            self.zs.z.transpose();
            self.transposed = true;
            self.spent = true;
        } else {
            self.transpose();
        }
        let out = ops
            .iter()
            .map(|op| match *op {
                Collapse::Measure(q) => self.collapse_transposed(q, &mut choose),
                Collapse::Reset(q) => {
                    let r = self.collapse_transposed(q, &mut choose);
                    if r {
                        self.apply_pauli(q, true, false);
                    }
                    r
                }
                Collapse::Pauli(q, x, z) => {
                    self.apply_pauli(q, x, z);
                    false
                }
            })
            .collect();
        if !last {
            self.transpose();
        }
        out
    }

    /// The halves that appends must update: both, or only the Z images once spent.
    fn live_halves(&mut self) -> impl Iterator<Item = &mut Half> {
        let skip_xs = self.spent;
        [(&mut self.xs, skip_xs), (&mut self.zs, false)].into_iter().filter(|h| !h.1).map(|h| h.0)
    }

    /// A measurement or reset of a qubit whose outcome is known, or a Pauli.
    fn collapse_known(&mut self, op: Collapse) -> bool {
        match op {
            Collapse::Pauli(q, x, z) => {
                self.apply_pauli(q, x, z);
                false
            }
            Collapse::Measure(q) => get_bit(&self.zs.sign, q),
            Collapse::Reset(q) => {
                let r = get_bit(&self.zs.sign, q);
                if r {
                    self.apply_pauli(q, true, false);
                }
                r
            }
        }
    }

    fn transpose(&mut self) {
        for t in [&mut self.xs.x, &mut self.xs.z, &mut self.zs.x, &mut self.zs.z] {
            t.transpose();
        }
        self.transposed = !self.transposed;
    }

    /// Measures `Z_q` with the tables transposed (row `p` of `zs_x` holds, at
    /// bit `k`, the X bit of `T(Z_k)` on qubit `p`). See the module docs.
    fn collapse_transposed(&mut self, q: usize, choose: &mut impl FnMut() -> bool) -> bool {
        debug_assert!(self.transposed);
        let (w, m) = (q / 64, 1u64 << (q % 64));
        let Some(pivot) = (0..self.n).find(|&p| self.zs.x.row(p)[w] & m != 0) else {
            return get_bit(&self.zs.sign, q);
        };
        for p in pivot + 1..self.n {
            if self.zs.x.row(p)[w] & m != 0 {
                self.append_cx(pivot, p);
            }
        }
        if self.zs.z.row(pivot)[w] & m != 0 {
            self.append_h_yz(pivot);
        } else {
            self.append_h_xz(pivot);
        }
        let result = choose();
        if get_bit(&self.zs.sign, q) != result {
            self.append_x(pivot);
        }
        result
    }

    /// Conjugates every image by CX(`c`, `t`) on the output side (transposed).
    fn append_cx(&mut self, c: usize, t: usize) {
        for Half { x: tx, z: tz, sign: signs } in self.live_halves() {
            let (xc, xt) = tx.two_rows_mut(c, t);
            let (zc, zt) = tz.two_rows_mut(c, t);
            let rows = signs
                .iter_mut()
                .zip(xc.iter())
                .zip(zc.iter_mut())
                .zip(xt.iter_mut())
                .zip(zt.iter());
            for ((((s, &x1), z1), x2), &z2) in rows {
                *s ^= (x1 & z2) & !(*z1 ^ *x2);
                *z1 ^= z2;
                *x2 ^= x1;
            }
        }
    }

    /// Conjugates every image by H on output qubit `p` (transposed).
    fn append_h_xz(&mut self, p: usize) {
        for Half { x: tx, z: tz, sign: signs } in self.live_halves() {
            let (x, zr) = (tx.row_mut(p), tz.row_mut(p));
            for i in 0..signs.len() {
                signs[i] ^= x[i] & zr[i];
                std::mem::swap(&mut x[i], &mut zr[i]);
            }
        }
    }

    /// Conjugates every image by H_YZ (Y ↔ Z, X → -X) on output qubit `p`.
    fn append_h_yz(&mut self, p: usize) {
        for Half { x: tx, z: tz, sign: signs } in self.live_halves() {
            let (x, zr) = (tx.row_mut(p), tz.row_mut(p));
            for i in 0..signs.len() {
                signs[i] ^= x[i] & !zr[i];
                x[i] ^= zr[i];
            }
        }
    }

    /// Conjugates every image by X on output qubit `p` (transposed).
    fn append_x(&mut self, p: usize) {
        for Half { z: tz, sign: signs, .. } in self.live_halves() {
            let zr = tz.row(p);
            for i in 0..signs.len() {
                signs[i] ^= zr[i];
            }
        }
    }

    /// `⟨ψ| P |ψ⟩` for the Pauli string `P = Π X^{x_j} Z^{z_j}` (with `x∧z` = Y)
    /// given as `(qubit, x, z)` triples on distinct qubits: `0` or `±1`.
    pub fn pauli_expectation(&self, paulis: &[(usize, bool, bool)]) -> f64 {
        debug_assert!(!self.transposed);
        let w = self.xs.x.words();
        let (mut ax, mut az) = (vec![0u64; w], vec![0u64; w]);
        let mut log_i = 0u32;
        for &(q, x, z) in paulis {
            if x && z {
                log_i += 1;
            }
            for (on, is_z) in [(x, false), (z, true)] {
                if on {
                    let half = self.half(is_z);
                    log_i += mul_into(&mut ax, &mut az, half.x.row(q), half.z.row(q));
                    log_i += 2 * u32::from(get_bit(&half.sign, q));
                }
            }
        }
        if ax.iter().any(|&w| w != 0) {
            return 0.0;
        }
        debug_assert_eq!(log_i % 2, 0);
        if (log_i >> 1) & 1 == 1 {
            -1.0
        } else {
            1.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stabilizer::clifford::Clifford;
    use qv_circuit::StandardGate as G;

    fn apply(t: &mut Tableau, g: G, qubits: &[usize]) {
        let c = Clifford::of(&g.matrix(&[])).unwrap();
        t.prepend(&c.backward, qubits);
    }

    #[test]
    fn products_of_single_paulis_have_the_right_phase() {
        // (x, z) bits: X = (1,0), Y = (1,1), Z = (0,1). Expected log_i of a·b.
        let cases = [
            ((1, 0), (0, 1), 3), // XZ = -iY
            ((0, 1), (1, 0), 1), // ZX = iY
            ((1, 0), (1, 1), 1), // XY = iZ
            ((1, 1), (1, 0), 3), // YX = -iZ
            ((1, 1), (0, 1), 1), // YZ = iX
            ((0, 1), (1, 1), 3), // ZY = -iX
            ((1, 1), (1, 1), 0), // YY = I
        ];
        for ((ax, az), (bx, bz), want) in cases {
            let (mut dx, mut dz) = ([ax], [az]);
            assert_eq!(mul_into(&mut dx, &mut dz, &[bx], &[bz]), want, "{ax}{az}·{bx}{bz}");
            assert_eq!((dx[0], dz[0]), (ax ^ bx, az ^ bz));
        }
    }

    /// A scrambled 5-qubit tableau.
    fn scrambled() -> Tableau {
        let mut t = Tableau::new(5);
        for (g, q) in [
            (G::H, [0, 0]),
            (G::Cx, [0, 3]),
            (G::S, [3, 3]),
            (G::H, [4, 4]),
            (G::Cy, [4, 1]),
            (G::Sx, [1, 1]),
            (G::Cz, [1, 2]),
            (G::Y, [2, 2]),
            (G::Ecr, [2, 0]),
            (G::Sdg, [0, 0]),
        ] {
            let k = g.num_qubits();
            apply(&mut t, g, &q[..k]);
        }
        t
    }

    #[test]
    fn in_place_and_general_paths_agree() {
        use qv_circuit::StandardGate;
        for g in StandardGate::all().filter(|g| g.num_params() == 0 && g.num_qubits() <= 2) {
            let Some(c) = Clifford::of(&g.matrix(&[])) else { continue };
            let qubits = if g.num_qubits() == 1 { vec![3] } else { vec![3, 1] };
            let mut fast = scrambled();
            fast.prepend(&c.backward, &qubits);
            let mut slow = scrambled();
            slow.save_rows(&qubits);
            for (j, &q) in qubits.iter().enumerate() {
                for z in [false, true] {
                    slow.write_product(q, z, c.backward.image(j, z), qubits.len());
                }
            }
            for h in [false, true] {
                let (a, b) = (fast.half(h), slow.half(h));
                assert_eq!((&a.x, &a.z, &a.sign), (&b.x, &b.z, &b.sign), "{g:?}");
            }
        }
    }

    #[test]
    fn bell_state_measurements_agree() {
        let mut t = Tableau::new(2);
        apply(&mut t, G::H, &[0]);
        apply(&mut t, G::Cx, &[0, 1]);
        assert_eq!(t.peek_z(0), None);
        assert_eq!(t.pauli_expectation(&[(0, false, true), (1, false, true)]), 1.0);
        assert_eq!(t.pauli_expectation(&[(0, true, false), (1, true, false)]), 1.0);
        assert_eq!(t.pauli_expectation(&[(0, true, true), (1, true, true)]), -1.0);
        assert_eq!(t.pauli_expectation(&[(0, false, true)]), 0.0);
        for choice in [false, true] {
            let mut u = t.clone();
            let r = u.measure_group(&[Collapse::Measure(0)], false, || choice);
            assert_eq!(r, vec![choice]);
            assert_eq!(u.peek_z(1), Some(choice));
            assert_eq!(u.peek_z(0), Some(choice));
        }
    }

    #[test]
    fn signs_follow_paulis_and_phases() {
        let mut t = Tableau::new(1);
        apply(&mut t, G::X, &[0]);
        assert_eq!(t.peek_z(0), Some(true));
        // |1⟩ → H → |−⟩ → S → (|0⟩ − i|1⟩)/√2: ⟨Y⟩ = −1.
        apply(&mut t, G::H, &[0]);
        apply(&mut t, G::S, &[0]);
        assert_eq!(t.pauli_expectation(&[(0, true, true)]), -1.0);
        let r = t.measure_group(&[Collapse::Reset(0)], false, || true);
        assert_eq!(r, vec![true]);
        assert_eq!(t.peek_z(0), Some(false));
    }
}
