//! Matrices of the standard gates (Qiskit's definitions, OpenQASM 3 phases).

use crate::matrix::{c64, Matrix, C64};
use std::f64::consts::FRAC_1_SQRT_2;

const O: C64 = c64(0.0, 0.0);
const L: C64 = c64(1.0, 0.0);
const I: C64 = c64(0.0, 1.0);

fn expi(x: f64) -> C64 {
    C64::from_polar(1.0, x)
}

/// The gate `u` with `n_ctrl` controls on the first arguments (low bits).
pub(crate) fn controlled(u: &Matrix, n_ctrl: usize) -> Matrix {
    let k = u.num_qubits();
    let dim = 1usize << (n_ctrl + k);
    let mask = (1usize << n_ctrl) - 1;
    let mut m = Matrix::identity(dim);
    for r in 0..(1usize << k) {
        for c in 0..(1usize << k) {
            m.set((r << n_ctrl) | mask, (c << n_ctrl) | mask, u.get(r, c));
        }
    }
    m
}

pub(crate) fn u3(p: &[f64]) -> Matrix {
    let (t, phi, lam) = (p[0], p[1], p[2]);
    let (c, s) = ((t / 2.0).cos(), (t / 2.0).sin());
    Matrix::from_rows([[c64(c, 0.0), -expi(lam) * s], [expi(phi) * s, expi(phi + lam) * c]])
}

pub(crate) fn u2(p: &[f64]) -> Matrix {
    u3(&[std::f64::consts::FRAC_PI_2, p[0], p[1]])
}

pub(crate) fn p(p: &[f64]) -> Matrix {
    Matrix::diagonal(&[L, expi(p[0])])
}

pub(crate) fn id_param(_: &[f64]) -> Matrix {
    Matrix::identity(2)
}

pub(crate) fn id(_: &[f64]) -> Matrix {
    Matrix::identity(2)
}

pub(crate) fn x(_: &[f64]) -> Matrix {
    Matrix::from_rows([[O, L], [L, O]])
}

pub(crate) fn y(_: &[f64]) -> Matrix {
    Matrix::from_rows([[O, -I], [I, O]])
}

pub(crate) fn z(_: &[f64]) -> Matrix {
    Matrix::diagonal(&[L, -L])
}

pub(crate) fn h(_: &[f64]) -> Matrix {
    let a = c64(FRAC_1_SQRT_2, 0.0);
    Matrix::from_rows([[a, a], [a, -a]])
}

pub(crate) fn s(_: &[f64]) -> Matrix {
    Matrix::diagonal(&[L, I])
}

pub(crate) fn sdg(_: &[f64]) -> Matrix {
    Matrix::diagonal(&[L, -I])
}

pub(crate) fn t(_: &[f64]) -> Matrix {
    Matrix::diagonal(&[L, c64(FRAC_1_SQRT_2, FRAC_1_SQRT_2)])
}

pub(crate) fn tdg(_: &[f64]) -> Matrix {
    Matrix::diagonal(&[L, c64(FRAC_1_SQRT_2, -FRAC_1_SQRT_2)])
}

pub(crate) fn rx(p: &[f64]) -> Matrix {
    let (c, s) = ((p[0] / 2.0).cos(), (p[0] / 2.0).sin());
    Matrix::from_rows([[c64(c, 0.0), c64(0.0, -s)], [c64(0.0, -s), c64(c, 0.0)]])
}

pub(crate) fn ry(p: &[f64]) -> Matrix {
    let (c, s) = ((p[0] / 2.0).cos(), (p[0] / 2.0).sin());
    Matrix::from_rows([[c64(c, 0.0), c64(-s, 0.0)], [c64(s, 0.0), c64(c, 0.0)]])
}

pub(crate) fn rz(p: &[f64]) -> Matrix {
    Matrix::diagonal(&[expi(-p[0] / 2.0), expi(p[0] / 2.0)])
}

pub(crate) fn sx(_: &[f64]) -> Matrix {
    let (a, b) = (c64(0.5, 0.5), c64(0.5, -0.5));
    Matrix::from_rows([[a, b], [b, a]])
}

pub(crate) fn sxdg(_: &[f64]) -> Matrix {
    let (a, b) = (c64(0.5, -0.5), c64(0.5, 0.5));
    Matrix::from_rows([[a, b], [b, a]])
}

pub(crate) fn r(p: &[f64]) -> Matrix {
    let (t, phi) = (p[0], p[1]);
    let (c, s) = ((t / 2.0).cos(), (t / 2.0).sin());
    Matrix::from_rows([[c64(c, 0.0), -I * expi(-phi) * s], [-I * expi(phi) * s, c64(c, 0.0)]])
}

pub(crate) fn cx(_: &[f64]) -> Matrix {
    controlled(&x(&[]), 1)
}

pub(crate) fn cy(_: &[f64]) -> Matrix {
    controlled(&y(&[]), 1)
}

pub(crate) fn cz(_: &[f64]) -> Matrix {
    controlled(&z(&[]), 1)
}

pub(crate) fn ch(_: &[f64]) -> Matrix {
    controlled(&h(&[]), 1)
}

pub(crate) fn swap(_: &[f64]) -> Matrix {
    Matrix::from_rows([[L, O, O, O], [O, O, L, O], [O, L, O, O], [O, O, O, L]])
}

pub(crate) fn crx(p: &[f64]) -> Matrix {
    controlled(&rx(p), 1)
}

pub(crate) fn cry(p: &[f64]) -> Matrix {
    controlled(&ry(p), 1)
}

pub(crate) fn crz(p: &[f64]) -> Matrix {
    controlled(&rz(p), 1)
}

pub(crate) fn cp(q: &[f64]) -> Matrix {
    controlled(&p(q), 1)
}

pub(crate) fn cu3(p: &[f64]) -> Matrix {
    controlled(&u3(p), 1)
}

pub(crate) fn csx(_: &[f64]) -> Matrix {
    controlled(&sx(&[]), 1)
}

pub(crate) fn cu(p: &[f64]) -> Matrix {
    controlled(&u3(&p[..3]).scale(expi(p[3])), 1)
}

pub(crate) fn cs(_: &[f64]) -> Matrix {
    controlled(&s(&[]), 1)
}

pub(crate) fn csdg(_: &[f64]) -> Matrix {
    controlled(&sdg(&[]), 1)
}

/// `cos(θ/2)·I − i·sin(θ/2)·P` for a two-qubit Pauli product `P`.
fn pauli_rotation(pauli: &Matrix, theta: f64) -> Matrix {
    let (c, s) = ((theta / 2.0).cos(), (theta / 2.0).sin());
    let mut m = Matrix::identity(4).scale(c64(c, 0.0));
    for r in 0..4 {
        for col in 0..4 {
            let v = m.get(r, col) - I * s * pauli.get(r, col);
            m.set(r, col, v);
        }
    }
    m
}

/// Kronecker product `b ⊗ a`: `a` on the first argument (bit 0), `b` on the second.
fn kron2(a: &Matrix, b: &Matrix) -> Matrix {
    let mut m = Matrix::zeros(4);
    for r in 0..4 {
        for c in 0..4 {
            m.set(r, c, a.get(r & 1, c & 1) * b.get(r >> 1, c >> 1));
        }
    }
    m
}

pub(crate) fn rxx(p: &[f64]) -> Matrix {
    pauli_rotation(&kron2(&x(&[]), &x(&[])), p[0])
}

pub(crate) fn ryy(p: &[f64]) -> Matrix {
    pauli_rotation(&kron2(&y(&[]), &y(&[])), p[0])
}

pub(crate) fn rzz(p: &[f64]) -> Matrix {
    pauli_rotation(&kron2(&z(&[]), &z(&[])), p[0])
}

pub(crate) fn rzx(p: &[f64]) -> Matrix {
    pauli_rotation(&kron2(&z(&[]), &x(&[])), p[0])
}

pub(crate) fn ecr(_: &[f64]) -> Matrix {
    let a = FRAC_1_SQRT_2;
    let (l, i) = (c64(a, 0.0), c64(0.0, a));
    Matrix::from_rows([[O, l, O, i], [l, O, -i, O], [O, i, O, l], [-i, O, l, O]])
}

pub(crate) fn iswap(_: &[f64]) -> Matrix {
    Matrix::from_rows([[L, O, O, O], [O, O, I, O], [O, I, O, O], [O, O, O, L]])
}

pub(crate) fn dcx(_: &[f64]) -> Matrix {
    Matrix::from_rows([[L, O, O, O], [O, O, O, L], [O, L, O, O], [O, O, L, O]])
}

pub(crate) fn ccx(_: &[f64]) -> Matrix {
    controlled(&x(&[]), 2)
}

pub(crate) fn cswap(_: &[f64]) -> Matrix {
    controlled(&swap(&[]), 1)
}

pub(crate) fn ccz(_: &[f64]) -> Matrix {
    controlled(&z(&[]), 2)
}

pub(crate) fn rccx(_: &[f64]) -> Matrix {
    // ccx up to relative phases (Qiskit's RCCXGate): with a = b = 1, c flips as
    // [[0, −i], [i, 0]]; |a=1, b=0, c=1⟩ gets −1.
    let mut m = Matrix::identity(8);
    m.set(3, 3, O);
    m.set(7, 7, O);
    m.set(3, 7, -I);
    m.set(7, 3, I);
    m.set(5, 5, -L);
    m
}

pub(crate) fn rc3x(_: &[f64]) -> Matrix {
    // c3x up to relative phases (Qiskit's RC3XGate). With a = b = 1: if c = 0,
    // |d=0⟩ gets i and |d=1⟩ gets −i; if c = 1, d flips as [[0, 1], [−1, 0]].
    let mut m = Matrix::identity(16);
    m.set(0b0011, 0b0011, I);
    m.set(0b1011, 0b1011, -I);
    m.set(0b0111, 0b0111, O);
    m.set(0b1111, 0b1111, O);
    m.set(0b0111, 0b1111, L);
    m.set(0b1111, 0b0111, -L);
    m
}

pub(crate) fn c3x(_: &[f64]) -> Matrix {
    controlled(&x(&[]), 3)
}

pub(crate) fn c3sqrtx(_: &[f64]) -> Matrix {
    controlled(&sx(&[]), 3)
}

pub(crate) fn c4x(_: &[f64]) -> Matrix {
    controlled(&x(&[]), 4)
}

// Vendor gates. Parameters are radians except `phased_x_z`, whose arguments
// are Cirq's exponents (half-turns), as in Cirq's `PhasedXZGate`.

/// `cos(φ)·X + sin(φ)·Y`, the rotation axis of the IonQ gates.
fn sigma_phi(phi: f64) -> Matrix {
    Matrix::from_rows([[O, expi(-phi)], [expi(phi), O]])
}

pub(crate) fn gpi(p: &[f64]) -> Matrix {
    sigma_phi(p[0])
}

pub(crate) fn gpi2(p: &[f64]) -> Matrix {
    let a = FRAC_1_SQRT_2;
    Matrix::from_rows([[c64(a, 0.0), -I * expi(-p[0]) * a], [-I * expi(p[0]) * a, c64(a, 0.0)]])
}

pub(crate) fn ms(p: &[f64]) -> Matrix {
    // exp(-iθ/2 · σ(φ0) ⊗ σ(φ1)), σ(φ0) on the first argument (bit 0).
    let pp = kron2(&sigma_phi(p[0]), &sigma_phi(p[1]));
    pauli_rotation(&pp, p[2])
}

pub(crate) fn fsim(p: &[f64]) -> Matrix {
    let (c, s) = (p[0].cos(), p[0].sin());
    let (cc, ms) = (c64(c, 0.0), c64(0.0, -s));
    Matrix::from_rows([[L, O, O, O], [O, cc, ms, O], [O, ms, cc, O], [O, O, O, expi(-p[1])]])
}

pub(crate) fn sqrt_iswap(_: &[f64]) -> Matrix {
    fsim(&[-std::f64::consts::FRAC_PI_4, 0.0])
}

pub(crate) fn phased_x_z(p: &[f64]) -> Matrix {
    // Z^(z+a) · X^x · Z^(-a) with Z^t = diag(1, e^{iπt}) and X^t = e^{iπt/2}·rx(πt).
    use std::f64::consts::PI;
    let (x, z, a) = (p[0], p[1], p[2]);
    let xx = rx(&[PI * x]).scale(expi(PI * x / 2.0));
    Matrix::diagonal(&[L, expi(PI * (z + a))]).mul(&xx).mul(&Matrix::diagonal(&[L, expi(-PI * a)]))
}
