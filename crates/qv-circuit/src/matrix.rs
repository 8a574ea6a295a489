//! Small dense complex matrices for gate definitions and tests.
//!
//! A `Matrix` of dimension `2^k` acts on `k` qubits. Basis index bit `j` is the
//! state of the gate's `j`-th qubit argument (qubit 0 least significant, as in
//! Qiskit), so `cx(control, target)` maps `|01⟩` (control set) to `|11⟩`.

use num_complex::Complex64;

/// Complex number with `f64` parts.
pub type C64 = Complex64;

/// Shorthand for a complex constant.
pub const fn c64(re: f64, im: f64) -> C64 {
    Complex64::new(re, im)
}

/// A square complex matrix stored row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    dim: usize,
    data: Vec<C64>,
}

impl Matrix {
    /// The zero matrix of dimension `dim`.
    pub fn zeros(dim: usize) -> Self {
        Self { dim, data: vec![C64::new(0.0, 0.0); dim * dim] }
    }

    /// The identity of dimension `dim`.
    pub fn identity(dim: usize) -> Self {
        let mut m = Self::zeros(dim);
        for i in 0..dim {
            m.data[i * dim + i] = C64::new(1.0, 0.0);
        }
        m
    }

    /// Builds a matrix from rows; every row must have `rows.len()` entries.
    pub fn from_rows<const N: usize>(rows: [[C64; N]; N]) -> Self {
        Self { dim: N, data: rows.into_iter().flatten().collect() }
    }

    /// Builds a matrix from a row-major vector of `dim * dim` entries.
    pub fn from_vec(dim: usize, data: Vec<C64>) -> Self {
        assert_eq!(data.len(), dim * dim, "matrix data must be dim*dim");
        Self { dim, data }
    }

    /// A diagonal matrix.
    pub fn diagonal(diag: &[C64]) -> Self {
        let mut m = Self::zeros(diag.len());
        for (i, d) in diag.iter().enumerate() {
            m.data[i * diag.len() + i] = *d;
        }
        m
    }

    /// Dimension (rows = columns).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of qubits the matrix acts on.
    pub fn num_qubits(&self) -> usize {
        self.dim.trailing_zeros() as usize
    }

    /// Row-major entries.
    pub fn data(&self) -> &[C64] {
        &self.data
    }

    /// Entry at `(row, col)`.
    pub fn get(&self, row: usize, col: usize) -> C64 {
        self.data[row * self.dim + col]
    }

    /// Sets the entry at `(row, col)`.
    pub fn set(&mut self, row: usize, col: usize, v: C64) {
        self.data[row * self.dim + col] = v;
    }

    /// Matrix product `self · rhs`.
    pub fn mul(&self, rhs: &Matrix) -> Matrix {
        assert_eq!(self.dim, rhs.dim);
        let n = self.dim;
        let mut out = Matrix::zeros(n);
        for i in 0..n {
            for k in 0..n {
                let a = self.data[i * n + k];
                if a == C64::new(0.0, 0.0) {
                    continue;
                }
                for j in 0..n {
                    out.data[i * n + j] += a * rhs.data[k * n + j];
                }
            }
        }
        out
    }

    /// Conjugate transpose.
    pub fn dagger(&self) -> Matrix {
        let n = self.dim;
        let mut out = Matrix::zeros(n);
        for i in 0..n {
            for j in 0..n {
                out.data[j * n + i] = self.data[i * n + j].conj();
            }
        }
        out
    }

    /// Multiplies every entry by `s`.
    pub fn scale(&self, s: C64) -> Matrix {
        Matrix { dim: self.dim, data: self.data.iter().map(|x| x * s).collect() }
    }

    /// Largest absolute entry-wise difference.
    pub fn max_diff(&self, other: &Matrix) -> f64 {
        assert_eq!(self.dim, other.dim);
        self.data.iter().zip(&other.data).map(|(a, b)| (a - b).norm()).fold(0.0, f64::max)
    }

    /// True when every entry is within `tol` of `other`'s.
    pub fn approx_eq(&self, other: &Matrix, tol: f64) -> bool {
        self.dim == other.dim && self.max_diff(other) <= tol
    }

    /// True when the two matrices are equal up to a global phase, within `tol`.
    pub fn equiv_up_to_phase(&self, other: &Matrix, tol: f64) -> bool {
        if self.dim != other.dim {
            return false;
        }
        // Pick the phase from the largest entry of `other` for stability.
        let (idx, _) = other.data.iter().enumerate().fold((0, 0.0), |acc, (i, v)| {
            if v.norm() > acc.1 {
                (i, v.norm())
            } else {
                acc
            }
        });
        let (a, b) = (self.data[idx], other.data[idx]);
        if b.norm() < tol || a.norm() < tol {
            return false;
        }
        let phase = (a / b) / (a / b).norm();
        self.approx_eq(&other.scale(phase), tol)
    }

    /// True when `self · self† = I` within `tol`.
    pub fn is_unitary(&self, tol: f64) -> bool {
        self.mul(&self.dagger()).approx_eq(&Matrix::identity(self.dim), tol)
    }

    /// The matrix of this `k`-qubit gate applied to qubits `targets` of an
    /// `n`-qubit register (`targets[j]` is the register qubit of gate qubit `j`).
    pub fn embed(&self, targets: &[usize], n: usize) -> Matrix {
        let k = self.num_qubits();
        assert_eq!(targets.len(), k, "embed: wrong number of targets");
        let full = 1usize << n;
        let mut out = Matrix::zeros(full);
        let mask: usize = targets.iter().map(|t| 1usize << t).sum();
        for col in 0..full {
            let sub_col = extract_bits(col, targets);
            for sub_row in 0..(1usize << k) {
                let v = self.data[sub_row * self.dim + sub_col];
                if v == C64::new(0.0, 0.0) {
                    continue;
                }
                let row = (col & !mask) | deposit_bits(sub_row, targets);
                out.data[row * full + col] += v;
            }
        }
        out
    }
}

/// Gathers the bits of `index` at `positions` into a compact integer (position `j` → bit `j`).
pub fn extract_bits(index: usize, positions: &[usize]) -> usize {
    positions.iter().enumerate().fold(0, |acc, (j, &p)| acc | (((index >> p) & 1) << j))
}

/// Scatters the low bits of `value` to `positions` (bit `j` → position `j`).
pub fn deposit_bits(value: usize, positions: &[usize]) -> usize {
    positions.iter().enumerate().fold(0, |acc, (j, &p)| acc | (((value >> j) & 1) << p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embed_cx_follows_qubit_zero_lsb() {
        // cx(control=0, target=1): |01> (index 1) -> |11> (index 3).
        let o = c64(0.0, 0.0);
        let l = c64(1.0, 0.0);
        let cx = Matrix::from_rows([[l, o, o, o], [o, o, o, l], [o, o, l, o], [o, l, o, o]]);
        assert_eq!(cx.embed(&[0, 1], 2), cx);
        // Swapped arguments: control=1, target=0 maps |10> (2) -> |11> (3).
        let swapped = cx.embed(&[1, 0], 2);
        assert_eq!(swapped.get(3, 2), l);
        assert_eq!(swapped.get(1, 1), l);
        assert_eq!(swapped.get(2, 2), o);
    }

    #[test]
    fn phase_equivalence_detects_difference() {
        let i = Matrix::identity(2);
        let z = Matrix::diagonal(&[c64(1.0, 0.0), c64(-1.0, 0.0)]);
        assert!(i.equiv_up_to_phase(&i.scale(c64(0.0, 1.0)), 1e-12));
        assert!(!i.equiv_up_to_phase(&z, 1e-12));
    }
}
