//! The Weyl (KAK) decomposition of two-qubit unitaries.
//!
//! Every `U ∈ U(4)` is `e^{iγ}·(K1₀⊗K1₁)·Can(a,b,c)·(K2₀⊗K2₁)` with the
//! canonical gate `Can(a,b,c) = exp(i(a·XX + b·YY + c·ZZ))`; the Weyl
//! coordinates `π/4 ≥ a ≥ b ≥ |c|` (with `c ≥ 0` when `a = π/4`) classify `U`
//! up to one-qubit gates.
//!
//! The method works in the magic basis `B`, where local gates are real
//! orthogonal matrices: `M = U_Bᵀ·U_B` (for `U` scaled into SU(4)) is complex
//! symmetric and unitary, so its real and imaginary parts are commuting real
//! symmetric matrices. A random linear combination of the two is diagonalised
//! by Jacobi rotations; its eigenvectors diagonalise `M` unless the
//! combination is accidentally degenerate, which the result is checked for
//! (another combination is tried then). The eigenvalues `e^{2iθⱼ}` give the
//! coordinates.
//!
//! Synthesis needs more than the coordinates: [`local_equivalence`] finds the
//! one-qubit gates that turn one unitary into another of the same class,
//! `U = e^{iφ}·(A₀⊗A₁)·W·(B₀⊗B₁)`, by pairing the two spectra. A synthesis
//! builds a circuit `W` of native gates in the class of `U` and solves for the
//! outer gates this way, so no chamber bookkeeping of local factors is needed
//! and every result is verified by reconstruction.

use std::f64::consts::{FRAC_1_SQRT_2, FRAC_PI_2, FRAC_PI_4, TAU};

use qv_circuit::C64;

use super::linalg::{
    dagger4, det4, det_real4, expi, kron, max_diff4, mul4, scale4, sym_eigen4, Mat2, Mat4, Real4,
    I, ZERO,
};

/// Weyl coordinates `(a, b, c)` with `π/4 ≥ a ≥ b ≥ |c|`.
pub type WeylCoordinates = [f64; 3];

/// Linear combinations of `Re M` and `Im M` tried in turn (fixed, so results
/// are reproducible); the first is almost never degenerate.
const COMBINATIONS: [(f64, f64); 8] = [
    (1.260_206_611_224_938_8, 0.223_178_490_467_220_27),
    (0.438_213_764_109_203, -1.071_924_398_771_2),
    (-0.675_491_278_813_04, 1.392_145_703_815_7),
    (1.0, 0.0),
    (0.0, 1.0),
    (0.812_343_019_887_1, 0.583_246_191_377_31),
    (-1.113_276_209_514_6, -0.307_731_870_229_4),
    (0.152_071_940_839_35, 0.977_188_349_213_44),
];

/// The magic basis `B` (columns `Φ⁺, iΦ⁻, iΨ⁺, Ψ⁻`), in which one-qubit
/// products `A⊗C` with `A, C ∈ SU(2)` are real orthogonal and `Can(a,b,c)`
/// is `diag(e^{i(a−b+c)}, e^{i(−a+b+c)}, e^{i(a+b−c)}, e^{−i(a+b+c)})`.
fn magic() -> Mat4 {
    let h = FRAC_1_SQRT_2;
    let (o, r, i) = (ZERO, C64::new(h, 0.0), C64::new(0.0, h));
    [[r, i, o, o], [o, o, i, r], [o, o, i, -r], [r, -i, o, o]]
}

/// `B† · u · B`.
fn to_magic(u: &Mat4) -> Mat4 {
    let b = magic();
    mul4(&dagger4(&b), &mul4(u, &b))
}

/// `B · u · B†`.
fn from_magic(u: &Mat4) -> Mat4 {
    let b = magic();
    mul4(&b, &mul4(u, &dagger4(&b)))
}

/// A two-qubit unitary prepared for Weyl analysis.
#[derive(Clone, Copy, Debug)]
pub struct Prepared {
    /// The unitary itself.
    pub u: Mat4,
    /// The fourth root of `det(u)` used to scale it into SU(4).
    root: C64,
    /// `B†·(u/root)·B`.
    ub: Mat4,
    /// Real orthogonal eigenvectors (columns) of `M = ubᵀ·ub`.
    p: Real4,
    /// Eigenvalues of `M` (unit modulus), in the order of `p`'s columns.
    lambda: [C64; 4],
}

/// Prepares `u` (a 4×4 unitary); `None` if `M` cannot be diagonalised, which
/// only happens for non-unitary input.
pub fn prepare(u: &Mat4) -> Option<Prepared> {
    let det = det4(u);
    if det.norm() < 1e-6 {
        return None;
    }
    let root = C64::from_polar(det.norm().powf(0.25), det.arg() / 4.0);
    let ub = to_magic(&scale4(u, root.inv()));
    let mut m = [[ZERO; 4]; 4];
    for i in 0..4 {
        for j in 0..4 {
            m[i][j] = (0..4).map(|k| ub[k][i] * ub[k][j]).sum();
        }
    }
    for &(x, y) in &COMBINATIONS {
        let mut c: Real4 = [[0.0; 4]; 4];
        for i in 0..4 {
            for j in 0..4 {
                // Symmetrise: M is symmetric up to rounding.
                let s = (m[i][j] + m[j][i]) * 0.5;
                c[i][j] = x * s.re + y * s.im;
            }
        }
        let (_, p) = sym_eigen4(&c);
        if let Some(lambda) = diagonal_in(&m, &p) {
            return Some(Prepared { u: *u, root, ub, p, lambda });
        }
    }
    None
}

/// The diagonal of `pᵀ·m·p` when it is diagonal (off-diagonal ≤ 1e-11).
fn diagonal_in(m: &Mat4, p: &Real4) -> Option<[C64; 4]> {
    let mut d = [[ZERO; 4]; 4];
    for i in 0..4 {
        for j in 0..4 {
            let mut s = ZERO;
            for k in 0..4 {
                let mut t = ZERO;
                for l in 0..4 {
                    t += m[k][l] * p[l][j];
                }
                s += t * p[k][i];
            }
            d[i][j] = s;
        }
    }
    for (i, row) in d.iter().enumerate() {
        for (j, x) in row.iter().enumerate() {
            if i != j && x.norm_sqr() > 1e-22 {
                return None;
            }
        }
    }
    let mut lambda = [ZERO; 4];
    for i in 0..4 {
        let x = d[i][i];
        if (x.norm() - 1.0).abs() > 1e-6 {
            return None;
        }
        lambda[i] = x / x.norm();
    }
    Some(lambda)
}

impl Prepared {
    /// The Weyl coordinates of the unitary.
    pub fn coordinates(&self) -> WeylCoordinates {
        let th: [f64; 4] = std::array::from_fn(|j| self.lambda[j].arg() / 2.0);
        // With the magic-basis phases θ = (a−b+c, −a+b+c, a+b−c, −a−b−c), any
        // ordering of the eigenvalues is a Weyl-group image of (a, b, c).
        canonicalize([(th[0] + th[2]) / 2.0, (th[1] + th[2]) / 2.0, (th[0] + th[1]) / 2.0])
    }
}

/// Maps any coordinate triple into the Weyl chamber with the moves that keep
/// the class: shifts by π/2, permutations, and sign flips of two coordinates.
pub fn canonicalize(v: [f64; 3]) -> WeylCoordinates {
    let mut v = v.map(|x| {
        let y = x - FRAC_PI_2 * (x / FRAC_PI_2).round();
        // (−π/4, π/4]: prefer +π/4 on the boundary.
        if y <= -FRAC_PI_4 + 1e-13 {
            y + FRAC_PI_2
        } else {
            y
        }
    });
    v.sort_by(|x, y| y.abs().total_cmp(&x.abs()));
    if v[0] < 0.0 {
        v[0] = -v[0];
        v[2] = -v[2];
    }
    if v[1] < 0.0 {
        v[1] = -v[1];
        v[2] = -v[2];
    }
    // On the face a = π/4, (π/4, b, c) ~ (π/4, b, −c).
    if (v[0] - FRAC_PI_4).abs() < 1e-13 && v[2] < 0.0 {
        v[2] = -v[2];
    }
    v
}

/// One-qubit gates relating two locally equivalent unitaries:
/// `u = e^{i·phase}·(after.0 ⊗ after.1)·w·(before.0 ⊗ before.1)`, where `.0`
/// acts on qubit 0 and `.1` on qubit 1.
#[derive(Clone, Copy, Debug)]
pub struct LocalEquivalence {
    /// Gates applied before `w` (qubit 0, qubit 1).
    pub before: (Mat2, Mat2),
    /// Gates applied after `w` (qubit 0, qubit 1).
    pub after: (Mat2, Mat2),
    /// Global phase.
    pub phase: f64,
}

/// All 24 permutations of four items.
const PERMUTATIONS: [[usize; 4]; 24] = {
    let mut out = [[0; 4]; 24];
    let mut n = 0;
    let mut code = 0;
    while code < 256 {
        let p = [code & 3, (code >> 2) & 3, (code >> 4) & 3, (code >> 6) & 3];
        if p[0] != p[1]
            && p[0] != p[2]
            && p[0] != p[3]
            && p[1] != p[2]
            && p[1] != p[3]
            && p[2] != p[3]
        {
            out[n] = p;
            n += 1;
        }
        code += 1;
    }
    out
};

/// Square root with the branch cut in the widest gap of `all`'s phases, so
/// that nearly equal eigenvalues get nearly equal roots.
fn sqrt_with_cut(z: C64, cut: f64) -> C64 {
    // Angle measured in (cut − 2π, cut].
    let a = cut - (cut - z.arg()).rem_euclid(TAU);
    expi(a / 2.0)
}

fn widest_gap_cut(lambda: &[C64; 4]) -> f64 {
    let mut angles = lambda.map(|z| z.arg());
    angles.sort_by(f64::total_cmp);
    let mut best = (angles[0] + TAU - angles[3], angles[3]);
    for i in 0..3 {
        let gap = angles[i + 1] - angles[i];
        if gap > best.0 {
            best = (gap, angles[i]);
        }
    }
    // Middle of the gap.
    best.1 + best.0 / 2.0
}

/// Solves `u = e^{iφ}·(A₀⊗A₁)·w·(B₀⊗B₁)`; `None` when `u` and `w` are not
/// locally equivalent (their spectra differ by more than `1e-6`) or the
/// reconstruction misses `u` by more than `tol`.
pub fn local_equivalence(u: &Prepared, w: &Prepared, tol: f64) -> Option<LocalEquivalence> {
    // Pair eigenvalues; W's scaling into SU(4) may differ from U's by a power
    // of i, which changes M by a sign.
    // Squared distances: this loop runs 48 times per solve.
    let (mut best, mut best_err) = (([0usize; 4], 1.0), f64::INFINITY);
    for sign in [1.0, -1.0] {
        let dist: [[f64; 4]; 4] = std::array::from_fn(|j| {
            std::array::from_fn(|k| (u.lambda[j] - w.lambda[k] * sign).norm_sqr())
        });
        for perm in PERMUTATIONS {
            let err =
                dist[0][perm[0]].max(dist[1][perm[1]]).max(dist[2][perm[2]]).max(dist[3][perm[3]]);
            if err < best_err {
                best_err = err;
                best = (perm, sign);
            }
        }
    }
    if best_err > 1e-12 {
        return None;
    }
    let (perm, sign) = best;
    // W_B scaled by i when the sign flipped (M scales by i² = −1).
    let (w_ub, w_root) =
        if sign < 0.0 { (scale4(&w.ub, I), w.root * (-I)) } else { (w.ub, w.root) };
    let cut = widest_gap_cut(&u.lambda);
    let du: [C64; 4] = std::array::from_fn(|j| sqrt_with_cut(u.lambda[j], cut));
    let dw: [C64; 4] = std::array::from_fn(|j| {
        let r = sqrt_with_cut(w.lambda[perm[j]] * sign, cut);
        if (r - du[j]).norm_sqr() <= (r + du[j]).norm_sqr() {
            r
        } else {
            -r
        }
    });
    let pw: Real4 = std::array::from_fn(|r| std::array::from_fn(|j| w.p[r][perm[j]]));
    let mut pu = u.p;
    // K = ub·P·D⁻¹ is real orthogonal.
    let k_of = |ub: &Mat4, p: &Real4, d: &[C64; 4]| -> Real4 {
        std::array::from_fn(|r| {
            std::array::from_fn(|j| {
                let s: C64 = (0..4).map(|k| ub[r][k] * p[k][j]).sum();
                (s / d[j]).re
            })
        })
    };
    let mut ku = k_of(&u.ub, &pu, &du);
    let kw = k_of(&w_ub, &pw, &dw);
    let prod = |a: &Real4, b: &Real4| -> Real4 {
        std::array::from_fn(|r| std::array::from_fn(|c| (0..4).map(|k| a[r][k] * b[c][k]).sum()))
    };
    let mut o1 = prod(&ku, &kw); // ku · kwᵀ
    let mut o2 = prod(&pw, &pu); // pw · puᵀ
    if det_real4(&o1) < 0.0 {
        // Both determinants are −1 together: flip one eigenvector of U.
        for r in 0..4 {
            pu[r][0] = -pu[r][0];
            ku[r][0] = -ku[r][0];
        }
        o1 = prod(&ku, &kw);
        o2 = prod(&pw, &pu);
    }
    let to_c = |o: &Real4| -> Mat4 {
        std::array::from_fn(|r| std::array::from_fn(|c| C64::new(o[r][c], 0.0)))
    };
    let (after0, after1) = factor_product(&from_magic(&to_c(&o1)))?;
    let (before0, before1) = factor_product(&from_magic(&to_c(&o2)))?;
    let phase = (u.root / w_root).arg();
    let eq = LocalEquivalence { before: (before0, before1), after: (after0, after1), phase };
    let rebuilt =
        scale4(&mul4(&kron(&after0, &after1), &mul4(&w.u, &kron(&before0, &before1))), expi(phase));
    (max_diff4(&rebuilt, &u.u) <= tol).then_some(eq)
}

/// Splits a product gate `l = A₀ ⊗ A₁` (qubit 0, qubit 1); `None` if `l` is
/// not (close to) a product.
pub fn factor_product(l: &Mat4) -> Option<(Mat2, Mat2)> {
    // l[r][c] = A₀[r&1][c&1]·A₁[r>>1][c>>1]: the block at (r1, c1) is A₁[r1][c1]·A₀.
    let block = |r1: usize, c1: usize| -> Mat2 {
        std::array::from_fn(|i| std::array::from_fn(|j| l[(r1 << 1) | i][(c1 << 1) | j]))
    };
    let norm = |m: &Mat2| m.iter().flatten().map(|x| x.norm_sqr()).sum::<f64>();
    let (mut r1, mut c1, mut best) = (0, 0, -1.0);
    for r in 0..2 {
        for c in 0..2 {
            let n = norm(&block(r, c));
            if n > best {
                (r1, c1, best) = (r, c, n);
            }
        }
    }
    let b = block(r1, c1);
    let det = b[0][0] * b[1][1] - b[0][1] * b[1][0];
    if det.norm() < 1e-9 {
        return None;
    }
    let s = det.sqrt().inv();
    let a0: Mat2 = std::array::from_fn(|i| std::array::from_fn(|j| b[i][j] * s));
    let a0_norm = norm(&a0);
    let a1: Mat2 = std::array::from_fn(|r| {
        std::array::from_fn(|c| {
            let blk = block(r, c);
            let mut t = ZERO;
            for i in 0..2 {
                for j in 0..2 {
                    t += blk[i][j] * a0[i][j].conj();
                }
            }
            t / a0_norm
        })
    });
    Some((a0, a1))
}

/// `Can(a, b, c) = exp(i(a·XX + b·YY + c·ZZ))`.
pub fn canonical_gate(a: f64, b: f64, c: f64) -> Mat4 {
    let d = [expi(a - b + c), expi(-a + b + c), expi(a + b - c), expi(-a - b - c)];
    let mut m = [[ZERO; 4]; 4];
    for (i, row) in m.iter_mut().enumerate() {
        row[i] = d[i];
    }
    from_magic(&m)
}

/// True when the coordinates are those of a local gate (Can ≈ identity).
pub fn is_local(w: &WeylCoordinates, tol: f64) -> bool {
    w.iter().all(|x| x.abs() <= tol)
}

/// Compares two coordinate triples.
pub fn close(w: &WeylCoordinates, v: [f64; 3], tol: f64) -> bool {
    w.iter().zip(v).all(|(x, y)| (x - y).abs() <= tol)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthesis::linalg::{dagger2, mul2};
    use std::f64::consts::FRAC_PI_8;

    const POINTS: [[f64; 3]; 8] = [
        [0.0, 0.0, 0.0],
        [FRAC_PI_4, 0.0, 0.0],
        [FRAC_PI_4, FRAC_PI_4, 0.0],
        [FRAC_PI_4, FRAC_PI_4, FRAC_PI_4],
        [FRAC_PI_8, FRAC_PI_8, -FRAC_PI_8],
        [0.61, 0.23, -0.11],
        [0.4, 0.4, 0.3],
        [FRAC_PI_4, 0.3, 0.2],
    ];

    #[test]
    fn canonical_gates_have_their_own_coordinates() {
        for w in POINTS {
            let got = prepare(&canonical_gate(w[0], w[1], w[2])).unwrap().coordinates();
            for k in 0..3 {
                assert!((got[k] - w[k]).abs() < 1e-12, "{got:?} vs {w:?}");
            }
        }
    }

    #[test]
    fn canonicalize_undoes_weyl_group_moves() {
        for w in POINTS {
            let [a, b, c] = w;
            // Permutations, two sign flips and shifts by π/2 keep the class.
            let images = [
                [b, a, c],
                [c, b, a],
                [-a, -b, c],
                [a, -b, -c],
                [a + FRAC_PI_2, b, c - 3.0 * FRAC_PI_2],
                [-c, a, -b],
            ];
            for v in images {
                let got = canonicalize(v);
                for k in 0..3 {
                    assert!((got[k] - w[k]).abs() < 1e-12, "{v:?} -> {got:?}, want {w:?}");
                }
            }
        }
    }

    #[test]
    fn local_equivalence_reconstructs_and_rejects() {
        let h = FRAC_1_SQRT_2;
        let a: Mat2 = [[C64::new(h, 0.0), C64::new(0.0, h)], [C64::new(0.0, h), C64::new(h, 0.0)]];
        let b: Mat2 = [[expi(0.3), ZERO], [ZERO, expi(-0.3)]];
        let w = canonical_gate(0.5, 0.2, -0.1);
        let u = scale4(&mul4(&kron(&a, &b), &mul4(&w, &kron(&b, &a))), expi(1.1));
        let eq = local_equivalence(&prepare(&u).unwrap(), &prepare(&w).unwrap(), 1e-12).unwrap();
        let rebuilt = scale4(
            &mul4(&kron(&eq.after.0, &eq.after.1), &mul4(&w, &kron(&eq.before.0, &eq.before.1))),
            expi(eq.phase),
        );
        assert!(max_diff4(&rebuilt, &u) < 1e-12);
        let other = canonical_gate(0.5, 0.2, 0.1); // the mirror class
        assert!(local_equivalence(&prepare(&u).unwrap(), &prepare(&other).unwrap(), 1e-8).is_none());
    }

    #[test]
    fn product_gates_factor() {
        let a: Mat2 = [[expi(0.2), ZERO], [ZERO, expi(0.9)]];
        let b: Mat2 =
            [[C64::new(0.6, 0.0), C64::new(0.0, 0.8)], [C64::new(0.0, 0.8), C64::new(0.6, 0.0)]];
        let (x, y) = factor_product(&kron(&a, &b)).unwrap();
        assert!(max_diff4(&kron(&x, &y), &kron(&a, &b)) < 1e-14);
        // x is a multiple of a.
        let r = mul2(&x, &dagger2(&a));
        assert!((r[0][1]).norm() < 1e-14 && (r[0][0] - r[1][1]).norm() < 1e-14);
        assert!(factor_product(&canonical_gate(FRAC_PI_4, 0.0, 0.0)).is_none_or(|(x, y)| {
            max_diff4(&kron(&x, &y), &canonical_gate(FRAC_PI_4, 0.0, 0.0)) > 0.1
        }));
    }
}
