//! Fixed-size complex 2×2 and 4×4 matrices for synthesis internals.
//!
//! Synthesis runs once per gate run or two-qubit block, so it avoids the heap:
//! [`Mat2`] and [`Mat4`] are plain arrays, multiplied in registers. The one
//! numerical routine of substance is [`sym_eigen4`], a cyclic Jacobi
//! eigensolver for real symmetric 4×4 matrices (unconditionally convergent and
//! accurate to rounding, which the Weyl decomposition relies on).
//!
//! Index conventions follow [`qv_circuit::Matrix`]: row-major, and in a 4×4
//! matrix basis index bit 0 is the gate's first qubit.

use qv_circuit::{Matrix, C64};

/// A 2×2 complex matrix, `m[row][col]`.
pub type Mat2 = [[C64; 2]; 2];
/// A 4×4 complex matrix, `m[row][col]`.
pub type Mat4 = [[C64; 4]; 4];
/// A 4×4 real matrix, `m[row][col]`.
pub type Real4 = [[f64; 4]; 4];

pub(crate) const ZERO: C64 = C64::new(0.0, 0.0);
pub(crate) const ONE: C64 = C64::new(1.0, 0.0);
pub(crate) const I: C64 = C64::new(0.0, 1.0);

/// The 2×2 identity.
pub const ID2: Mat2 = [[ONE, ZERO], [ZERO, ONE]];

/// The 4×4 identity.
pub fn id4() -> Mat4 {
    let mut m = [[ZERO; 4]; 4];
    for (i, row) in m.iter_mut().enumerate() {
        row[i] = ONE;
    }
    m
}

/// `e^{iθ}`.
#[inline]
pub fn expi(theta: f64) -> C64 {
    C64::new(theta.cos(), theta.sin())
}

/// `a · b`.
#[inline]
pub fn mul2(a: &Mat2, b: &Mat2) -> Mat2 {
    [
        [a[0][0] * b[0][0] + a[0][1] * b[1][0], a[0][0] * b[0][1] + a[0][1] * b[1][1]],
        [a[1][0] * b[0][0] + a[1][1] * b[1][0], a[1][0] * b[0][1] + a[1][1] * b[1][1]],
    ]
}

/// Conjugate transpose.
#[inline]
pub fn dagger2(a: &Mat2) -> Mat2 {
    [[a[0][0].conj(), a[1][0].conj()], [a[0][1].conj(), a[1][1].conj()]]
}

/// Determinant.
#[inline]
pub fn det2(a: &Mat2) -> C64 {
    a[0][0] * a[1][1] - a[0][1] * a[1][0]
}

/// `s · a`.
#[inline]
pub fn scale2(a: &Mat2, s: C64) -> Mat2 {
    [[a[0][0] * s, a[0][1] * s], [a[1][0] * s, a[1][1] * s]]
}

/// `a · b`.
pub fn mul4(a: &Mat4, b: &Mat4) -> Mat4 {
    let mut out = [[ZERO; 4]; 4];
    for i in 0..4 {
        for k in 0..4 {
            let aik = a[i][k];
            for j in 0..4 {
                out[i][j] += aik * b[k][j];
            }
        }
    }
    out
}

/// Conjugate transpose.
pub fn dagger4(a: &Mat4) -> Mat4 {
    let mut out = [[ZERO; 4]; 4];
    for i in 0..4 {
        for j in 0..4 {
            out[j][i] = a[i][j].conj();
        }
    }
    out
}

/// `s · a`.
pub fn scale4(a: &Mat4, s: C64) -> Mat4 {
    let mut out = *a;
    for row in out.iter_mut() {
        for x in row.iter_mut() {
            *x *= s;
        }
    }
    out
}

/// Determinant by Gaussian elimination with partial pivoting.
pub fn det4(a: &Mat4) -> C64 {
    let mut m = *a;
    let mut det = ONE;
    for col in 0..4 {
        let pivot = (col..4)
            .max_by(|&x, &y| m[x][col].norm_sqr().total_cmp(&m[y][col].norm_sqr()))
            .unwrap_or(col);
        if m[pivot][col].norm_sqr() == 0.0 {
            return ZERO;
        }
        if pivot != col {
            m.swap(pivot, col);
            det = -det;
        }
        let p = m[col][col];
        det *= p;
        let pivot_row = m[col];
        for row in m.iter_mut().skip(col + 1) {
            let f = row[col] / p;
            for (x, v) in row.iter_mut().zip(pivot_row).skip(col) {
                *x -= f * v;
            }
        }
    }
    det
}

/// `a ⊗ b` with `a` on the first qubit (basis bit 0) and `b` on the second
/// (bit 1), i.e. the matrix of `a` on qubit 0 and `b` on qubit 1.
pub fn kron(a: &Mat2, b: &Mat2) -> Mat4 {
    let mut out = [[ZERO; 4]; 4];
    for (r, row) in out.iter_mut().enumerate() {
        for (c, x) in row.iter_mut().enumerate() {
            *x = a[r & 1][c & 1] * b[r >> 1][c >> 1];
        }
    }
    out
}

/// Largest entry-wise distance.
pub fn max_diff4(a: &Mat4, b: &Mat4) -> f64 {
    let mut m = 0.0f64;
    for i in 0..4 {
        for j in 0..4 {
            m = m.max((a[i][j] - b[i][j]).norm_sqr());
        }
    }
    m.sqrt()
}

/// Largest entry-wise distance.
pub fn max_diff2(a: &Mat2, b: &Mat2) -> f64 {
    let mut m = 0.0f64;
    for i in 0..2 {
        for j in 0..2 {
            m = m.max((a[i][j] - b[i][j]).norm());
        }
    }
    m
}

/// The phase `φ` that best aligns `b` to `a` (`a ≈ e^{iφ}·b`), from `tr(b†a)`.
pub fn relative_phase2(a: &Mat2, b: &Mat2) -> f64 {
    let mut s = ZERO;
    for i in 0..2 {
        for j in 0..2 {
            s += b[i][j].conj() * a[i][j];
        }
    }
    s.arg()
}

/// The phase `φ` that best aligns `b` to `a` (`a ≈ e^{iφ}·b`), from `tr(b†a)`.
pub fn relative_phase4(a: &Mat4, b: &Mat4) -> f64 {
    let mut s = ZERO;
    for i in 0..4 {
        for j in 0..4 {
            s += b[i][j].conj() * a[i][j];
        }
    }
    s.arg()
}

/// A `Matrix` of dimension 2 as an array, or `None` for another dimension.
pub fn to_mat2(m: &Matrix) -> Option<Mat2> {
    (m.dim() == 2).then(|| [[m.get(0, 0), m.get(0, 1)], [m.get(1, 0), m.get(1, 1)]])
}

/// A `Matrix` of dimension 4 as an array, or `None` for another dimension.
pub fn to_mat4(m: &Matrix) -> Option<Mat4> {
    if m.dim() != 4 {
        return None;
    }
    let mut out = [[ZERO; 4]; 4];
    for (i, row) in out.iter_mut().enumerate() {
        for (j, x) in row.iter_mut().enumerate() {
            *x = m.get(i, j);
        }
    }
    Some(out)
}

/// An array as a `Matrix`.
pub fn from_mat4(m: &Mat4) -> Matrix {
    Matrix::from_vec(4, m.iter().flatten().copied().collect())
}

/// An array as a `Matrix`.
pub fn from_mat2(m: &Mat2) -> Matrix {
    Matrix::from_vec(2, m.iter().flatten().copied().collect())
}

/// True when every entry is finite and `a·a† = I` within `tol`.
pub fn is_unitary4(a: &Mat4, tol: f64) -> bool {
    if a.iter().flatten().any(|x| !x.re.is_finite() || !x.im.is_finite()) {
        return false;
    }
    max_diff4(&mul4(a, &dagger4(a)), &id4()) <= tol
}

/// True when every entry is finite and `a·a† = I` within `tol`.
pub fn is_unitary2(a: &Mat2, tol: f64) -> bool {
    if a.iter().flatten().any(|x| !x.re.is_finite() || !x.im.is_finite()) {
        return false;
    }
    max_diff2(&mul2(a, &dagger2(a)), &ID2) <= tol
}

/// Eigen-decomposition `a = V·diag(w)·Vᵀ` of a real symmetric 4×4 matrix by
/// cyclic Jacobi rotations; returns `(w, V)` with eigenvectors as columns of
/// the orthogonal `V`.
pub fn sym_eigen4(a: &Real4) -> ([f64; 4], Real4) {
    let mut a = *a;
    let mut v = [[0.0; 4]; 4];
    for (i, row) in v.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    let scale: f64 = a.iter().flatten().map(|x| x * x).sum::<f64>().sqrt();
    for _sweep in 0..64 {
        let off: f64 = (0..4)
            .flat_map(|p| (p + 1..4).map(move |q| (p, q)))
            .map(|(p, q)| a[p][q] * a[p][q])
            .sum();
        if off.sqrt() <= 1e-17 * scale || off == 0.0 {
            break;
        }
        for p in 0..3 {
            for q in p + 1..4 {
                let apq = a[p][q];
                if apq == 0.0 {
                    continue;
                }
                // Rotation angle that zeroes a[p][q] (stable form).
                let theta = (a[q][q] - a[p][p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for row in a.iter_mut() {
                    let (akp, akq) = (row[p], row[q]);
                    row[p] = c * akp - s * akq;
                    row[q] = s * akp + c * akq;
                }
                let (row_p, row_q) = (a[p], a[q]);
                for (k, (apk, aqk)) in row_p.into_iter().zip(row_q).enumerate() {
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                for row in v.iter_mut() {
                    let (vkp, vkq) = (row[p], row[q]);
                    row[p] = c * vkp - s * vkq;
                    row[q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ([a[0][0], a[1][1], a[2][2], a[3][3]], v)
}

/// Determinant of a real 4×4 matrix.
pub fn det_real4(a: &Real4) -> f64 {
    let mut c = [[ZERO; 4]; 4];
    for i in 0..4 {
        for j in 0..4 {
            c[i][j] = C64::new(a[i][j], 0.0);
        }
    }
    det4(&c).re
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_diagonalises_symmetric_matrices() {
        let a: Real4 = [
            [4.0, 1.0, -2.0, 2.0],
            [1.0, 2.0, 0.0, 1.0],
            [-2.0, 0.0, 3.0, -2.0],
            [2.0, 1.0, -2.0, -1.0],
        ];
        let (w, v) = sym_eigen4(&a);
        for (j, &wj) in w.iter().enumerate() {
            for i in 0..4 {
                let av: f64 = (0..4).map(|k| a[i][k] * v[k][j]).sum();
                assert!((av - wj * v[i][j]).abs() < 1e-12);
            }
        }
        // Trace and orthogonality.
        assert!((w.iter().sum::<f64>() - 8.0).abs() < 1e-12);
        assert!((det_real4(&v).abs() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn determinant_and_kron() {
        let x: Mat2 = [[ZERO, ONE], [ONE, ZERO]];
        let z: Mat2 = [[ONE, ZERO], [ZERO, -ONE]];
        let xz = kron(&x, &z);
        // X on qubit 0: |01> (index 1) -> |00>; Z on qubit 1 gives -1 for index 2, 3.
        assert_eq!(xz[0][1], ONE);
        assert_eq!(xz[2][3], -ONE);
        assert!((det4(&xz) - ONE).norm() < 1e-15);
        assert!((det2(&x) + ONE).norm() < 1e-15);
    }
}
