//! Two-qubit synthesis with the fewest native two-qubit gates.
//!
//! A [`TwoQubitBasis`] is a native two-qubit gate plus the [`EulerBasis`] for
//! the one-qubit gates around it. [`TwoQubitBasis::new`] classifies the gate:
//!
//! | gates | two-qubit gates needed for Weyl coordinates `(a, b, c)` |
//! |---|---|
//! | `cx cy cz ch ecr` (CX class) | 0 local, 1 CX class, 2 if `c = 0`, else 3 |
//! | `iswap dcx` (iSWAP class) | 0 local, 1 iSWAP class, 2 if `c = 0`, else 3 |
//! | `sqrt_iswap` | 0 local, 1 √iSWAP class, 2 if `a ≥ b + abs(c)`, else 3 |
//! | `rxx ryy rzz rzx ms cp cu1 crz` (any angle) | number of nonzero coordinates |
//! | `fsim` (any angles) | 0 local, 1 if two of `a, b, abs(c)` agree, else 2 |
//!
//! These counts are minimal for each class (Shende, Markov & Bullock for CX;
//! Huang et al. for √iSWAP). Synthesis computes the coordinates
//! ([`super::weyl`]), builds a [`Skeleton`] of native gates in the same class
//! and solves for the outer one-qubit gates, verifying the reconstruction; if
//! a numerically borderline case fails it retries with the next variant or
//! one more gate, so the result is always exact (within 1e-8 entry-wise).

use std::f64::consts::{FRAC_PI_4, FRAC_PI_8};

use qv_circuit::{Matrix, StandardGate, C64};

use super::linalg::{expi, is_unitary4, mul2, to_mat4, Mat4, I, ONE, ZERO};
use super::one_qubit::{synthesize_mat2, EulerBasis};
use super::skeleton::{
    cx_class, fsim_one, fsim_two, iswap_class, sqrt_iswap_middle, sqrt_iswap_split, xx_family,
    Pair, Skeleton, Slot, ID_PAIR,
};
use super::weyl::{
    canonical_gate, canonicalize, close, is_local, local_equivalence, prepare, LocalEquivalence,
    Prepared, WeylCoordinates,
};
use crate::error::CompileError;

/// Coordinates closer than this count as equal when choosing the gate count.
pub const COORD_TOL: f64 = 1e-10;
/// Largest entry-wise error accepted in a synthesised unitary.
pub const VERIFY_TOL: f64 = 1e-8;

/// How a native gate reaches every class.
#[derive(Clone, Copy, Debug)]
enum Family {
    /// Locally equivalent to CX; the slot writes `CX(0→1)` through the gate.
    CxLike(Slot),
    /// Locally equivalent to iSWAP; the slot writes iSWAP through the gate.
    IswapLike(Slot),
    /// Locally equivalent to √iSWAP; the slot writes √iSWAP through the gate.
    SqrtIswapLike(Slot),
    /// A continuous XX-type family (any angle).
    Xx,
    /// Continuous fsim(θ, φ).
    Fsim,
}

/// A native two-qubit gate and the one-qubit basis around it.
#[derive(Clone, Copy, Debug)]
pub struct TwoQubitBasis {
    gate: StandardGate,
    euler: EulerBasis,
    family: Family,
    /// The gate's matrix (discrete gates only).
    matrix: Mat4,
}

/// The continuous XX-type families.
const XX_FAMILY: [StandardGate; 8] = [
    StandardGate::Rxx,
    StandardGate::Ryy,
    StandardGate::Rzz,
    StandardGate::Rzx,
    StandardGate::Ms,
    StandardGate::Cp,
    StandardGate::Cu1,
    StandardGate::Crz,
];

/// Preference of [`TwoQubitBasis::for_gates`]: fewest gates in the worst case,
/// then the most classes with two gates.
const PREFERENCE: [StandardGate; 17] = [
    StandardGate::Fsim,
    StandardGate::Rzz,
    StandardGate::Rxx,
    StandardGate::Ms,
    StandardGate::Ryy,
    StandardGate::Rzx,
    StandardGate::Cp,
    StandardGate::Cu1,
    StandardGate::Crz,
    StandardGate::SqrtIswap,
    StandardGate::Cx,
    StandardGate::Cz,
    StandardGate::Ecr,
    StandardGate::Cy,
    StandardGate::Ch,
    StandardGate::Iswap,
    StandardGate::Dcx,
];

fn table_mat4(gate: StandardGate, params: &[f64]) -> Mat4 {
    to_mat4(&gate.matrix(&params[..gate.num_params()])).unwrap_or_else(super::linalg::id4)
}

impl TwoQubitBasis {
    /// The basis of native gate `gate` with one-qubit gates in `euler`.
    ///
    /// # Errors
    /// [`CompileError::Synthesis`] when `gate` is not a two-qubit gate that
    /// can reach every two-qubit unitary: a fixed gate must be locally
    /// equivalent to CX, iSWAP or √iSWAP; parameterised gates must belong to
    /// one of the continuous families listed in the module documentation.
    pub fn new(gate: StandardGate, euler: EulerBasis) -> Result<TwoQubitBasis, CompileError> {
        let unsupported = |why: String| {
            CompileError::Synthesis(format!(
                "gate `{}` cannot serve as a two-qubit synthesis basis: {why}",
                gate.name()
            ))
        };
        if gate.num_qubits() != 2 {
            return Err(unsupported(format!("it acts on {} qubits", gate.num_qubits())));
        }
        let id = super::linalg::id4();
        if XX_FAMILY.contains(&gate) {
            return Ok(TwoQubitBasis { gate, euler, family: Family::Xx, matrix: id });
        }
        if gate == StandardGate::Fsim {
            return Ok(TwoQubitBasis { gate, euler, family: Family::Fsim, matrix: id });
        }
        if gate.num_params() > 0 {
            return Err(unsupported("only fixed gates and the rxx/ryy/rzz/rzx/ms/cp/cu1/crz/fsim families are supported".into()));
        }
        let matrix = table_mat4(gate, &[]);
        let pg = prepare(&matrix).ok_or_else(|| unsupported("its matrix is not unitary".into()))?;
        let w = pg.coordinates();
        let reference = |r: StandardGate| -> Result<Slot, CompileError> {
            let pr = prepare(&table_mat4(r, &[]))
                .ok_or_else(|| unsupported("internal: reference gate not unitary".into()))?;
            let eq = local_equivalence(&pr, &pg, VERIFY_TOL)
                .ok_or_else(|| unsupported("internal: no local equivalence to its class".into()))?;
            Ok(Slot { params: [0.0; 3], pre: eq.before, post: eq.after })
        };
        let family = if close(&w, [FRAC_PI_4, 0.0, 0.0], 1e-9) {
            Family::CxLike(reference(StandardGate::Cx)?)
        } else if close(&w, [FRAC_PI_4, FRAC_PI_4, 0.0], 1e-9) {
            Family::IswapLike(reference(StandardGate::Iswap)?)
        } else if close(&w, [FRAC_PI_8, FRAC_PI_8, 0.0], 1e-9) {
            Family::SqrtIswapLike(reference(StandardGate::SqrtIswap)?)
        } else {
            return Err(unsupported(format!(
                "its Weyl coordinates ({:.4}, {:.4}, {:.4}) are not those of CX, iSWAP or √iSWAP",
                tidy(w[0]),
                tidy(w[1]),
                tidy(w[2])
            )));
        };
        Ok(TwoQubitBasis { gate, euler, family, matrix })
    }

    /// The preferred basis expressible in `available` (a target's native
    /// gates): a supported two-qubit gate and an Euler basis of its one-qubit
    /// gates. `None` when the set lacks either.
    pub fn for_gates(available: &[StandardGate]) -> Option<TwoQubitBasis> {
        let euler = EulerBasis::for_gates(available)?;
        PREFERENCE
            .into_iter()
            .filter(|g| available.contains(g))
            .find_map(|g| TwoQubitBasis::new(g, euler).ok())
    }

    /// The native two-qubit gate.
    pub fn gate(&self) -> StandardGate {
        self.gate
    }

    /// The one-qubit basis.
    pub fn euler(&self) -> EulerBasis {
        self.euler
    }

    /// The most two-qubit gates any unitary needs in this basis.
    pub fn max_gates(&self) -> usize {
        match self.family {
            Family::Fsim => 2,
            _ => 3,
        }
    }

    /// The minimal number of native two-qubit gates for coordinates `w`.
    pub fn count_for(&self, w: &WeylCoordinates) -> usize {
        let t = COORD_TOL;
        let [a, b, c] = *w;
        if is_local(w, t) {
            return 0;
        }
        match self.family {
            Family::CxLike(_) | Family::IswapLike(_) => {
                let one = if matches!(self.family, Family::CxLike(_)) {
                    [FRAC_PI_4, 0.0, 0.0]
                } else {
                    [FRAC_PI_4, FRAC_PI_4, 0.0]
                };
                if close(w, one, t) {
                    1
                } else if c.abs() <= t {
                    2
                } else {
                    3
                }
            }
            Family::SqrtIswapLike(_) => {
                if close(w, [FRAC_PI_8, FRAC_PI_8, 0.0], t) {
                    1
                } else if a + t >= b + c.abs() {
                    2
                } else {
                    3
                }
            }
            Family::Xx => w.iter().filter(|x| x.abs() > t).count(),
            Family::Fsim => {
                if (a - b).abs() <= t || (b - c.abs()).abs() <= t {
                    1
                } else {
                    2
                }
            }
        }
    }

    /// The native gate's matrix for skeleton parameters `p`.
    fn native(&self, p: &[f64; 3]) -> Mat4 {
        match self.family {
            Family::Xx | Family::Fsim => native_mat4(self.gate, p),
            _ => self.matrix,
        }
    }

    /// Skeleton `variant` with `n` gates for coordinates `w`, if it exists.
    fn skeleton(&self, n: usize, w: WeylCoordinates, variant: usize) -> Option<Skeleton> {
        let [a, b, c] = w;
        // Variant 1 of a three-gate circuit mirrors c: a guard for chamber
        // boundaries where rounding may pick the mirror representative.
        let mirrored = [a, b, -c];
        match (&self.family, n, variant) {
            (_, 0, 0) => Some(Skeleton::empty()),
            (Family::CxLike(cx), _, 0) => Some(cx_class(n, w, *cx)),
            (Family::CxLike(cx), 3, 1) => Some(cx_class(3, mirrored, *cx)),
            (Family::IswapLike(is), _, 0) => Some(iswap_class(n, w, *is)),
            (Family::IswapLike(is), 3, 1) => Some(iswap_class(3, mirrored, *is)),
            (Family::SqrtIswapLike(sq), 1, 0) => {
                let mut sk = Skeleton::empty();
                sk.push(*sq, ID_PAIR);
                Some(sk)
            }
            (Family::SqrtIswapLike(sq), 2, 0) => {
                let mut sk = Skeleton::empty();
                sk.push(*sq, ID_PAIR);
                sk.push(*sq, sqrt_iswap_middle(w));
                Some(sk)
            }
            (Family::SqrtIswapLike(sq), 3, 0) => self.sqrt_iswap_three(w, *sq),
            (Family::Xx, _, 0) => Some(xx_family(self.gate, w, COORD_TOL)),
            (Family::Fsim, 1, v) => {
                // Representatives (x, x, z) of the class, tried in turn.
                let reps = [(a, c), (b, a), (b, -a)];
                let ok = [
                    (a - b).abs() <= COORD_TOL,
                    (b - c.abs()).abs() <= COORD_TOL,
                    (b - c.abs()).abs() <= COORD_TOL,
                ];
                reps.iter().zip(ok).filter(|(_, ok)| *ok).nth(v).map(|((x, z), _)| fsim_one(*x, *z))
            }
            (Family::Fsim, 2, 0) => Some(fsim_two(w)),
            _ => None,
        }
    }

    /// Three √iSWAPs: `Can(w) = Can(part)·Can(w − part)` with the first factor
    /// one gate and the second in the two-gate region.
    fn sqrt_iswap_three(&self, w: WeylCoordinates, sq: Slot) -> Option<Skeleton> {
        let part = sqrt_iswap_split(w);
        // Can(part) = e^{iφ}·A₁·G·B₁; both are diagonal in the magic basis,
        // so this solve is cheap.
        let e1 = local_equivalence(
            &prepare(&canonical_gate(part[0], part[1], part[2]))?,
            &prepare(&self.matrix)?,
            VERIFY_TOL,
        )?;
        let rest = [w[0] - part[0], w[1] - part[1], w[2] - part[2]];
        let mut w2 = Skeleton::empty();
        w2.push(sq, ID_PAIR);
        w2.push(sq, sqrt_iswap_middle(canonicalize(rest)));
        let m2 = w2.unitary(&|p| self.native(p));
        let e2 = local_equivalence(
            &prepare(&canonical_gate(rest[0], rest[1], rest[2]))?,
            &prepare(&m2)?,
            VERIFY_TOL,
        )?;
        // Can(w) = A₁·G·B₁·A₂·W₂·B₂: the native circuit is G·(B₁A₂)·W₂.
        let bridge = (mul2(&e1.before.0, &e2.after.0), mul2(&e1.before.1, &e2.after.1));
        let native = Slot { params: [0.0; 3], pre: ID_PAIR, post: ID_PAIR };
        let mut sk = Skeleton::empty();
        sk.push(native, ID_PAIR);
        sk.push(native, w2.native_mid(0));
        sk.push(native, bridge);
        Some(sk)
    }

    /// Synthesises a 4×4 unitary (array form; see [`synthesize_2q`]).
    pub fn synthesize(&self, u: &Mat4) -> Result<TwoQubitSynthesis, CompileError> {
        let fail = |why: &str| {
            CompileError::Synthesis(format!(
                "two-qubit synthesis into `{}`: {why}",
                self.gate.name()
            ))
        };
        if !is_unitary4(u, 1e-8) {
            return Err(fail("the input matrix is not unitary"));
        }
        let pu = prepare(u).ok_or_else(|| fail("the magic-basis diagonalisation failed"))?;
        let w = pu.coordinates();
        for n in self.count_for(&w)..=self.max_gates() {
            for variant in 0.. {
                let Some(sk) = self.skeleton(n, w, variant) else { break };
                let wm = sk.unitary(&|p| self.native(p));
                let Some(pw) = prepare(&wm) else { continue };
                if let Some(eq) = local_equivalence(&pu, &pw, VERIFY_TOL) {
                    return Ok(self.emit(&sk, &eq));
                }
            }
        }
        Err(fail(&format!(
            "no circuit reproduced the unitary (Weyl coordinates {:.6}, {:.6}, {:.6})",
            tidy(w[0]),
            tidy(w[1]),
            tidy(w[2])
        )))
    }

    /// The gate list of `sk` with the solved outer gates.
    fn emit(&self, sk: &Skeleton, eq: &LocalEquivalence) -> TwoQubitSynthesis {
        let mut out = TwoQubitSynthesis {
            ops: Vec::with_capacity(6 * sk.len + 8),
            global_phase: eq.phase,
            num_2q: sk.len,
        };
        if sk.len == 0 {
            let local = (mul2(&eq.after.0, &eq.before.0), mul2(&eq.after.1, &eq.before.1));
            self.push_pair(&mut out, &local);
            return out;
        }
        self.push_pair(&mut out, &eq.before);
        for k in 0..sk.len {
            if k > 0 {
                self.push_pair(&mut out, &sk.native_mid(k - 1));
            }
            let p = &sk.slots[k].params[..self.gate.num_params()];
            out.ops.push((self.gate, p.to_vec(), vec![0, 1]));
        }
        self.push_pair(&mut out, &eq.after);
        out
    }

    fn push_pair(&self, out: &mut TwoQubitSynthesis, pair: &Pair) {
        for (q, m) in [(0usize, &pair.0), (1, &pair.1)] {
            let seq = synthesize_mat2(m, self.euler);
            out.global_phase += seq.phase;
            out.ops.extend(seq.iter().map(|(g, p)| (g, p.to_vec(), vec![q])));
        }
    }
}

/// `x` with rounding noise around zero removed, for messages.
fn tidy(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        0.0
    } else {
        x
    }
}

/// Matrices of the parameterised native gates without allocating.
fn native_mat4(gate: StandardGate, p: &[f64; 3]) -> Mat4 {
    use StandardGate as G;
    let (o, l) = (ZERO, ONE);
    match gate {
        G::Rxx | G::Ryy | G::Rzz => {
            let (c, s) = ((p[0] / 2.0).cos(), (p[0] / 2.0).sin());
            let (cc, ms, ps) = (C64::new(c, 0.0), C64::new(0.0, -s), C64::new(0.0, s));
            match gate {
                G::Rxx => [[cc, o, o, ms], [o, cc, ms, o], [o, ms, cc, o], [ms, o, o, cc]],
                G::Ryy => [[cc, o, o, ps], [o, cc, ms, o], [o, ms, cc, o], [ps, o, o, cc]],
                _ => {
                    let (a, b) = (expi(-p[0] / 2.0), expi(p[0] / 2.0));
                    [[a, o, o, o], [o, b, o, o], [o, o, b, o], [o, o, o, a]]
                }
            }
        }
        G::Cp | G::Cu1 => [[l, o, o, o], [o, l, o, o], [o, o, l, o], [o, o, o, expi(p[0])]],
        G::Crz => {
            let (a, b) = (expi(-p[0] / 2.0), expi(p[0] / 2.0));
            [[l, o, o, o], [o, a, o, o], [o, o, l, o], [o, o, o, b]]
        }
        G::Fsim => {
            let (c, s) = (p[0].cos(), p[0].sin());
            let (cc, ms) = (C64::new(c, 0.0), C64::new(0.0, -s));
            [[l, o, o, o], [o, cc, ms, o], [o, ms, cc, o], [o, o, o, expi(-p[1])]]
        }
        G::Ms => {
            // exp(−iθ/2·σ(φ0)⊗σ(φ1)), σ(φ) = [[0, e^{−iφ}], [e^{iφ}, 0]].
            let (c, s) = ((p[2] / 2.0).cos(), (p[2] / 2.0).sin());
            let cc = C64::new(c, 0.0);
            let t = |phase: f64| -I * s * expi(phase);
            let (s0, s1) = (p[0] + p[1], p[0] - p[1]);
            [[cc, o, o, t(-s0)], [o, cc, t(s1), o], [o, t(-s1), cc, o], [t(s0), o, o, cc]]
        }
        _ => table_mat4(gate, p),
    }
}

/// A two-qubit gate sequence: `e^{i·global_phase} · ops[n-1] ··· ops[0]`.
#[derive(Clone, Debug, PartialEq)]
pub struct TwoQubitSynthesis {
    /// Gates in time order: gate, parameters, qubits (0 and 1 index the
    /// synthesised matrix's qubits; basis bit 0 is qubit 0).
    pub ops: Vec<(StandardGate, Vec<f64>, Vec<usize>)>,
    /// Global phase (radians) that makes the product equal the input exactly.
    pub global_phase: f64,
    /// Number of native two-qubit gates in `ops`.
    pub num_2q: usize,
}

impl TwoQubitSynthesis {
    /// The unitary of the sequence, global phase included.
    pub fn matrix(&self) -> Matrix {
        let mut m = Matrix::identity(4);
        for (g, p, q) in &self.ops {
            m = g.matrix(p).embed(q, 2).mul(&m);
        }
        m.scale(expi(self.global_phase))
    }

    /// Exchanges qubits 0 and 1 in every operation.
    fn swap_qubits(mut self) -> TwoQubitSynthesis {
        for (_, _, q) in &mut self.ops {
            for x in q.iter_mut() {
                *x = 1 - *x;
            }
        }
        self
    }
}

fn check_4x4(m: &Matrix) -> Result<Mat4, CompileError> {
    to_mat4(m).ok_or_else(|| {
        CompileError::Synthesis(format!(
            "two-qubit synthesis needs a 4×4 matrix, got {0}×{0}",
            m.dim()
        ))
    })
}

/// Synthesises a two-qubit unitary with the fewest native gates of `basis`;
/// every native two-qubit gate acts on qubits `[0, 1]` in that order.
///
/// # Errors
/// [`CompileError::Synthesis`] when `m` is not a 4×4 unitary (within 1e-8).
pub fn synthesize_2q(m: &Matrix, basis: &TwoQubitBasis) -> Result<TwoQubitSynthesis, CompileError> {
    basis.synthesize(&check_4x4(m)?)
}

/// As [`synthesize_2q`], but every native two-qubit gate acts on `[1, 0]`
/// (for directed couplings such as `ecr` available one way only).
///
/// # Errors
/// As [`synthesize_2q`].
pub fn synthesize_2q_reversed(
    m: &Matrix,
    basis: &TwoQubitBasis,
) -> Result<TwoQubitSynthesis, CompileError> {
    let u = check_4x4(m)?;
    // Relabel the qubits: S·U·S with S = SWAP permutes indices 1 ↔ 2.
    let perm = [0, 2, 1, 3];
    let swapped: Mat4 = std::array::from_fn(|r| std::array::from_fn(|c| u[perm[r]][perm[c]]));
    Ok(basis.synthesize(&swapped)?.swap_qubits())
}

/// The minimal number of native two-qubit gates of `basis` for `m`.
///
/// # Errors
/// [`CompileError::Synthesis`] when `m` is not a 4×4 unitary.
pub fn num_basis_gates(m: &Matrix, basis: &TwoQubitBasis) -> Result<usize, CompileError> {
    Ok(basis.count_for(&weyl_coordinates(m)?))
}

/// The Weyl coordinates `(a, b, c)`, `π/4 ≥ a ≥ b ≥ |c|`, of a two-qubit
/// unitary: it equals `(K1₀⊗K1₁)·exp(i(a·XX + b·YY + c·ZZ))·(K2₀⊗K2₁)` up to
/// phase.
///
/// # Errors
/// [`CompileError::Synthesis`] when `m` is not a 4×4 unitary.
pub fn weyl_coordinates(m: &Matrix) -> Result<[f64; 3], CompileError> {
    let u = check_4x4(m)?;
    let not_unitary = || CompileError::Synthesis("two-qubit synthesis input is not unitary".into());
    if !is_unitary4(&u, 1e-8) {
        return Err(not_unitary());
    }
    Ok(prepare(&u).ok_or_else(not_unitary)?.coordinates())
}

/// Coordinates of an already prepared unitary (used by the passes' fast path).
pub fn coordinates_of(u: &Mat4) -> Option<WeylCoordinates> {
    prepare(u).map(|p: Prepared| p.coordinates())
}
