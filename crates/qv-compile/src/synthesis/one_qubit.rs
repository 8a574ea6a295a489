//! One-qubit synthesis: any 2×2 unitary as a short sequence in an Euler basis.
//!
//! Every basis starts from the ZYZ angles `U = e^{iγ}·Rz(φ)·Ry(θ)·Rz(λ)` and
//! rewrites them with exact identities (e.g. `Ry(θ) = Rz(π/2)·Rx(θ)·Rz(−π/2)`,
//! `Rz(φ)Ry(θ)Rz(λ) ∝ Rz(φ+π)·√X·Rz(θ+π)·√X·Rz(λ)`), dropping rotations by
//! multiples of 2π and using the shorter forms the basis allows at θ ≈ 0,
//! π/2, π. The global phase is not derived formula by formula: it is measured
//! at the end by comparing the product of the emitted gates with the input,
//! which keeps every basis exact by construction.
//!
//! [`synthesize_1q`] is the public entry point on [`Matrix`]; the compiler's
//! own two-qubit synthesis uses [`synthesize_mat2`], which allocates nothing.

use std::f64::consts::{FRAC_PI_2, PI, TAU};

use qv_circuit::{Matrix, StandardGate};

use super::linalg::{det2, expi, is_unitary2, mul2, relative_phase2, scale2, to_mat2, Mat2, ID2};
use crate::error::CompileError;

/// Rotation angles closer than this to a special value count as that value.
pub const ANGLE_TOL: f64 = 1e-12;

/// A target set of one-qubit gates and the Euler form used to reach it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EulerBasis {
    /// `rz · ry · rz`.
    Zyz,
    /// `rz · rx · rz`.
    Zxz,
    /// `rx · ry · rx`.
    Xyx,
    /// `rx · rz · rx`.
    Xzx,
    /// One `u3(θ, φ, λ)`.
    U3,
    /// One `U(θ, φ, λ)` (the OpenQASM built-in).
    U,
    /// `u1`, `u2` or `u3`, whichever is shortest (Qiskit's legacy basis).
    U321,
    /// `p · sx · p · sx · p`.
    Psx,
    /// `rz · sx · rz · sx · rz` (IBM: `rz` is virtual, `sx` a pulse).
    Zsx,
    /// As [`EulerBasis::Zsx`], with one `x` instead of `sx · sx` where possible.
    Zsxx,
    /// Two `r(θ, φ)` rotations.
    Rr,
    /// IonQ: `gpi2 · gpi · gpi2`.
    Gpi,
    /// Google: one `phased_x_z`.
    PhasedXz,
}

impl EulerBasis {
    /// Every basis.
    pub const ALL: [EulerBasis; 13] = [
        EulerBasis::Zyz,
        EulerBasis::Zxz,
        EulerBasis::Xyx,
        EulerBasis::Xzx,
        EulerBasis::U3,
        EulerBasis::U,
        EulerBasis::U321,
        EulerBasis::Psx,
        EulerBasis::Zsx,
        EulerBasis::Zsxx,
        EulerBasis::Rr,
        EulerBasis::Gpi,
        EulerBasis::PhasedXz,
    ];

    /// Order in which [`EulerBasis::for_gates`] prefers bases: fewest gates first.
    const PREFERENCE: [EulerBasis; 13] = [
        EulerBasis::PhasedXz,
        EulerBasis::U3,
        EulerBasis::U,
        EulerBasis::U321,
        EulerBasis::Rr,
        EulerBasis::Zsxx,
        EulerBasis::Zsx,
        EulerBasis::Psx,
        EulerBasis::Zyz,
        EulerBasis::Zxz,
        EulerBasis::Xyx,
        EulerBasis::Xzx,
        EulerBasis::Gpi,
    ];

    /// Short name (`"ZSX"`, `"U3"`, …), as Qiskit spells them.
    pub fn name(self) -> &'static str {
        match self {
            EulerBasis::Zyz => "ZYZ",
            EulerBasis::Zxz => "ZXZ",
            EulerBasis::Xyx => "XYX",
            EulerBasis::Xzx => "XZX",
            EulerBasis::U3 => "U3",
            EulerBasis::U => "U",
            EulerBasis::U321 => "U321",
            EulerBasis::Psx => "PSX",
            EulerBasis::Zsx => "ZSX",
            EulerBasis::Zsxx => "ZSXX",
            EulerBasis::Rr => "RR",
            EulerBasis::Gpi => "GPI",
            EulerBasis::PhasedXz => "PHASED_X_Z",
        }
    }

    /// Looks a basis up by [`EulerBasis::name`] (case-insensitive).
    pub fn from_name(name: &str) -> Option<EulerBasis> {
        Self::ALL.into_iter().find(|b| b.name().eq_ignore_ascii_case(name))
    }

    /// The gates this basis emits (all of them needed to express every unitary).
    pub fn gates(self) -> &'static [StandardGate] {
        use StandardGate as G;
        match self {
            EulerBasis::Zyz => &[G::Rz, G::Ry],
            EulerBasis::Zxz => &[G::Rz, G::Rx],
            EulerBasis::Xyx => &[G::Rx, G::Ry],
            EulerBasis::Xzx => &[G::Rx, G::Rz],
            EulerBasis::U3 => &[G::U3],
            EulerBasis::U => &[G::U],
            EulerBasis::U321 => &[G::U1, G::U2, G::U3],
            EulerBasis::Psx => &[G::P, G::Sx],
            EulerBasis::Zsx => &[G::Rz, G::Sx],
            EulerBasis::Zsxx => &[G::Rz, G::Sx, G::X],
            EulerBasis::Rr => &[G::R],
            EulerBasis::Gpi => &[G::Gpi, G::Gpi2],
            EulerBasis::PhasedXz => &[G::PhasedXZ],
        }
    }

    /// The preferred basis whose gates are all in `available` (a target's
    /// native set), or `None` when no basis fits.
    pub fn for_gates(available: &[StandardGate]) -> Option<EulerBasis> {
        Self::PREFERENCE.into_iter().find(|b| b.gates().iter().all(|g| available.contains(g)))
    }
}

impl std::fmt::Display for EulerBasis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A one-qubit gate sequence: `e^{i·global_phase} · ops[n-1] ··· ops[0]`.
#[derive(Clone, Debug, PartialEq)]
pub struct OneQubitSynthesis {
    /// Gates in time order, with their parameters.
    pub ops: Vec<(StandardGate, Vec<f64>)>,
    /// Global phase (radians) that makes the product equal the input exactly.
    pub global_phase: f64,
}

impl OneQubitSynthesis {
    /// The unitary of the sequence, global phase included.
    pub fn matrix(&self) -> Matrix {
        let mut m = Matrix::identity(2);
        for (g, p) in &self.ops {
            m = g.matrix(p).mul(&m);
        }
        m.scale(expi(self.global_phase))
    }
}

/// The angles of `U = e^{i·phase}·Rz(φ)·Ry(θ)·Rz(λ)`, with `θ ∈ [0, π]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ZyzAngles {
    /// Polar angle θ.
    pub theta: f64,
    /// Last rotation about Z (φ).
    pub phi: f64,
    /// First rotation about Z (λ).
    pub lambda: f64,
    /// Global phase.
    pub phase: f64,
}

/// ZYZ Euler angles of a 2×2 unitary.
pub fn zyz_angles(u: &Mat2) -> ZyzAngles {
    let phase = det2(u).arg() / 2.0;
    let v = scale2(u, expi(-phase));
    // v = [[e^{-i(φ+λ)/2}·cos(θ/2), ·], [e^{i(φ-λ)/2}·sin(θ/2), ·]].
    let (a, b) = (v[0][0], v[1][0]);
    let theta = 2.0 * b.norm().atan2(a.norm());
    let arg_a = if a.norm() > 1e-15 { a.arg() } else { 0.0 };
    let arg_b = if b.norm() > 1e-15 { b.arg() } else { 0.0 };
    ZyzAngles { theta, phi: arg_b - arg_a, lambda: -arg_b - arg_a, phase }
}

/// Up to five one-qubit gates with inline parameters: the allocation-free
/// form used inside two-qubit synthesis.
#[derive(Clone, Copy, Debug)]
pub struct Seq1 {
    ops: [(StandardGate, [f64; 3]); 5],
    len: usize,
    /// Global phase of the sequence.
    pub phase: f64,
}

impl Seq1 {
    fn new() -> Seq1 {
        Seq1 { ops: [(StandardGate::Id, [0.0; 3]); 5], len: 0, phase: 0.0 }
    }

    fn push(&mut self, gate: StandardGate, params: &[f64]) {
        let mut p = [0.0; 3];
        p[..params.len()].copy_from_slice(params);
        self.ops[self.len] = (gate, p);
        self.len += 1;
    }

    /// Gates in time order, with their parameter slices.
    pub fn iter(&self) -> impl Iterator<Item = (StandardGate, &[f64])> + '_ {
        self.ops[..self.len].iter().map(|(g, p)| (*g, &p[..g.num_params()]))
    }

    /// Number of gates.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the sequence has no gates (the input was a global phase).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The product of the gates, without the global phase.
    fn product(&self) -> Mat2 {
        self.iter().fold(ID2, |acc, (g, p)| mul2(&gate_mat2(g, p), &acc))
    }
}

/// `x` wrapped into `(−π, π]`.
fn wrap(x: f64) -> f64 {
    let y = x.rem_euclid(TAU);
    if y > PI {
        y - TAU
    } else {
        y
    }
}

/// True when `x` is a multiple of 2π (within [`ANGLE_TOL`]).
fn is_zero_mod_2pi(x: f64) -> bool {
    wrap(x).abs() < ANGLE_TOL
}

fn near(x: f64, y: f64) -> bool {
    (x - y).abs() < ANGLE_TOL
}

/// Appends `gate(angle)` unless the rotation is trivial (a multiple of 2π).
fn push_rot(seq: &mut Seq1, gate: StandardGate, angle: f64) {
    if !is_zero_mod_2pi(angle) {
        seq.push(gate, &[wrap(angle)]);
    }
}

/// Synthesises a 2×2 unitary in `basis` (no checks; the input must be unitary).
///
/// The ZYZ triple of a unitary is not unique: `(−θ, φ+π, λ+π)` is the same
/// rotation, and at `θ = π` only `φ − λ` matters. Each candidate triple is
/// written out and the shortest sequence wins.
pub fn synthesize_mat2(u: &Mat2, basis: EulerBasis) -> Seq1 {
    if matches!(basis, EulerBasis::Xyx | EulerBasis::Xzx) {
        // Once, not per candidate: the Z-first form of H·U·H with axes swapped.
        let mut s = Seq1::new();
        let inner = if basis == EulerBasis::Xyx { EulerBasis::Zyz } else { EulerBasis::Zxz };
        let h = hadamard();
        let t = synthesize_mat2(&mul2(&h, &mul2(u, &h)), inner);
        x_first_from(&mut s, &t);
        s.phase = relative_phase2(u, &s.product());
        return s;
    }
    let ZyzAngles { theta, phi, lambda, .. } = zyz_angles(u);
    let mut cands = [(theta, phi, lambda); 10];
    cands[1] = (-theta, phi + PI, lambda + PI);
    let mut n = 2;
    if near(theta, PI) {
        // Rz(φ+t)·Ry(π)·Rz(λ+t) is the same for every t: try the t that
        // zeroes the first rotation of each basis' frame.
        for first in [0.0, FRAC_PI_2, -FRAC_PI_2, PI] {
            cands[n] = (PI, phi - lambda + first, first);
            cands[n + 1] = (-PI, phi - lambda + first + PI, first + PI);
            n += 2;
        }
    }
    let mut best = emit(basis, cands[0]);
    for &c in &cands[1..n] {
        let s = emit(basis, c);
        if s.len < best.len {
            best = s;
        }
    }
    best.phase = relative_phase2(u, &best.product());
    best
}

/// The gates of `Rz(φ)·Ry(θ)·Rz(λ)` (up to phase) in `basis`.
fn emit(basis: EulerBasis, (theta, phi, lambda): (f64, f64, f64)) -> Seq1 {
    use StandardGate as G;
    let mut s = Seq1::new();
    let flat = is_zero_mod_2pi(theta); // a pure Z rotation Rz(φ + λ)
    let half_turn = is_zero_mod_2pi(theta - PI);
    match basis {
        EulerBasis::Zyz | EulerBasis::Zxz => {
            let (mid, shift) =
                if basis == EulerBasis::Zyz { (G::Ry, 0.0) } else { (G::Rx, FRAC_PI_2) };
            if flat {
                push_rot(&mut s, G::Rz, phi + lambda);
            } else {
                push_rot(&mut s, G::Rz, lambda - shift);
                s.push(mid, &[wrap(theta)]);
                push_rot(&mut s, G::Rz, phi + shift);
            }
        }
        EulerBasis::Xyx | EulerBasis::Xzx => {
            // With U' = H·U·H: H·Rz·H = Rx, H·Rx·H = Rz and H·Ry(θ)·H = Ry(−θ),
            // so the X-first forms are the Z-first forms of U' with axes swapped.
            let inner = if basis == EulerBasis::Xyx { EulerBasis::Zyz } else { EulerBasis::Zxz };
            let h = hadamard();
            let t = synthesize_mat2(&mul2(&h, &mul2(&rz_ry_rz(theta, phi, lambda), &h)), inner);
            x_first_from(&mut s, &t);
        }
        EulerBasis::U3 | EulerBasis::U => {
            if !(flat && is_zero_mod_2pi(phi + lambda)) {
                let g = if basis == EulerBasis::U3 { G::U3 } else { G::U };
                s.push(g, &[wrap(theta), wrap(phi), wrap(lambda)]);
            }
        }
        EulerBasis::U321 => {
            if flat {
                push_rot(&mut s, G::U1, phi + lambda);
            } else if near(theta, FRAC_PI_2) {
                s.push(G::U2, &[wrap(phi), wrap(lambda)]);
            } else {
                s.push(G::U3, &[wrap(theta), wrap(phi), wrap(lambda)]);
            }
        }
        EulerBasis::Psx | EulerBasis::Zsx | EulerBasis::Zsxx => {
            let z = if basis == EulerBasis::Psx { G::P } else { G::Rz };
            let quarter = if is_zero_mod_2pi(theta - FRAC_PI_2) {
                Some(FRAC_PI_2)
            } else if is_zero_mod_2pi(theta + FRAC_PI_2) {
                Some(-FRAC_PI_2)
            } else {
                None
            };
            if flat {
                push_rot(&mut s, z, phi + lambda);
            } else if let Some(q) = quarter {
                // Ry(±π/2) = Rz(±π/2)·Rx(π/2)·Rz(∓π/2) and Rx(π/2) ∝ √X.
                push_rot(&mut s, z, lambda - q);
                s.push(G::Sx, &[]);
                push_rot(&mut s, z, phi + q);
            } else if basis == EulerBasis::Zsxx && half_turn {
                push_rot(&mut s, z, lambda - FRAC_PI_2);
                s.push(G::X, &[]);
                push_rot(&mut s, z, phi + FRAC_PI_2);
            } else {
                push_rot(&mut s, z, lambda);
                s.push(G::Sx, &[]);
                push_rot(&mut s, z, theta + PI);
                s.push(G::Sx, &[]);
                push_rot(&mut s, z, phi + PI);
            }
        }
        EulerBasis::Rr => {
            // r(π, β)·r(θ−π, α) = Rz(2β−α)·Rx(θ)·Rz(−α): the ZXZ form.
            if is_zero_mod_2pi(phi + lambda) {
                // U = r(θ, π/2 − λ) exactly when the Z parts cancel.
                if !flat {
                    s.push(G::R, &[wrap(theta), wrap(FRAC_PI_2 - lambda)]);
                }
            } else {
                if !half_turn {
                    s.push(G::R, &[wrap(theta - PI), wrap(FRAC_PI_2 - lambda)]);
                }
                s.push(G::R, &[PI, wrap((phi - lambda + PI) / 2.0)]);
            }
        }
        EulerBasis::Gpi => gpi_sequence(&mut s, theta, phi, lambda, flat),
        EulerBasis::PhasedXz => {
            // Z^t ∝ Rz(πt), X^t ∝ Rx(πt): U ∝ Z^(z+a)·X^x·Z^(−a) from the ZXZ angles.
            if !(flat && is_zero_mod_2pi(phi + lambda)) {
                let half_turns = |x: f64| wrap(x) / PI;
                if flat {
                    s.push(G::PhasedXZ, &[0.0, half_turns(phi + lambda), 0.0]);
                } else {
                    let (p, l) = (phi + FRAC_PI_2, lambda - FRAC_PI_2);
                    s.push(G::PhasedXZ, &[wrap(theta) / PI, half_turns(p + l), half_turns(-l)]);
                }
            }
        }
    }
    s
}

/// Appends the X-first form of a Z-first sequence `t` of `H·U·H`.
fn x_first_from(s: &mut Seq1, t: &Seq1) {
    use StandardGate as G;
    for (g, p) in t.iter() {
        match g {
            G::Rz => s.push(G::Rx, p),
            G::Rx => s.push(G::Rz, p),
            _ => s.push(G::Ry, &[-p[0]]),
        }
    }
}

/// `Rz(φ)·Ry(θ)·Rz(λ)`.
fn rz_ry_rz(theta: f64, phi: f64, lambda: f64) -> Mat2 {
    use StandardGate as G;
    mul2(
        &gate_mat2(G::Rz, &[phi]),
        &mul2(&gate_mat2(G::Ry, &[theta]), &gate_mat2(G::Rz, &[lambda])),
    )
}

/// IonQ form: `gpi2(φ)·gpi(b)·gpi2(−λ) ∝ Rz(φ)·Ry(θ)·Rz(λ)` with
/// `b = (φ − λ − θ)/2`, and one- or two-gate forms where they exist.
fn gpi_sequence(s: &mut Seq1, theta: f64, phi: f64, lambda: f64, flat: bool) {
    use StandardGate as G;
    let psi = phi + lambda;
    if flat {
        // Rz(ψ) ∝ σ(ψ/2)·σ(0), σ(a) = gpi(a).
        if !is_zero_mod_2pi(psi) {
            s.push(G::Gpi, &[0.0]);
            s.push(G::Gpi, &[wrap(psi / 2.0)]);
        }
        return;
    }
    // U = Rz(φ+λ)·r(θ, π/2 − λ); without the Z part it may be one native gate.
    // r(−θ, α) = r(θ, α + π).
    let axis = wrap(FRAC_PI_2 - lambda);
    if is_zero_mod_2pi(psi) && is_zero_mod_2pi(theta - FRAC_PI_2) {
        s.push(G::Gpi2, &[axis]);
    } else if is_zero_mod_2pi(psi) && is_zero_mod_2pi(theta + FRAC_PI_2) {
        s.push(G::Gpi2, &[wrap(axis + PI)]);
    } else if is_zero_mod_2pi(psi) && (is_zero_mod_2pi(theta - PI)) {
        s.push(G::Gpi, &[axis]);
    } else {
        s.push(G::Gpi2, &[wrap(-lambda)]);
        s.push(G::Gpi, &[wrap((phi - lambda - theta) / 2.0)]);
        s.push(G::Gpi2, &[wrap(phi)]);
    }
}

fn hadamard() -> Mat2 {
    let a = qv_circuit::C64::new(std::f64::consts::FRAC_1_SQRT_2, 0.0);
    [[a, a], [a, -a]]
}

/// The 2×2 matrix of a one-qubit table gate, computed without allocating for
/// the gates synthesis emits (others go through the table).
pub fn gate_mat2(gate: StandardGate, p: &[f64]) -> Mat2 {
    use qv_circuit::C64;
    use StandardGate as G;
    let c = |re: f64, im: f64| C64::new(re, im);
    let zero = c(0.0, 0.0);
    match gate {
        G::Rz => {
            let e = expi(p[0] / 2.0);
            [[e.conj(), zero], [zero, e]]
        }
        G::P | G::U1 => [[c(1.0, 0.0), zero], [zero, expi(p[0])]],
        G::Rx => {
            let (co, si) = ((p[0] / 2.0).cos(), (p[0] / 2.0).sin());
            [[c(co, 0.0), c(0.0, -si)], [c(0.0, -si), c(co, 0.0)]]
        }
        G::Ry => {
            let (co, si) = ((p[0] / 2.0).cos(), (p[0] / 2.0).sin());
            [[c(co, 0.0), c(-si, 0.0)], [c(si, 0.0), c(co, 0.0)]]
        }
        G::Sx => [[c(0.5, 0.5), c(0.5, -0.5)], [c(0.5, -0.5), c(0.5, 0.5)]],
        G::H => {
            let a = std::f64::consts::FRAC_1_SQRT_2;
            [[c(a, 0.0), c(a, 0.0)], [c(a, 0.0), c(-a, 0.0)]]
        }
        G::S => [[c(1.0, 0.0), zero], [zero, c(0.0, 1.0)]],
        G::Sdg => [[c(1.0, 0.0), zero], [zero, c(0.0, -1.0)]],
        G::Z => [[c(1.0, 0.0), zero], [zero, c(-1.0, 0.0)]],
        G::Y => [[zero, c(0.0, -1.0)], [c(0.0, 1.0), zero]],
        G::Id => ID2,
        G::X => [[zero, c(1.0, 0.0)], [c(1.0, 0.0), zero]],
        G::U | G::U3 => u3_mat(p[0], p[1], p[2]),
        G::U2 => u3_mat(FRAC_PI_2, p[0], p[1]),
        G::Gpi => [[zero, expi(-p[0])], [expi(p[0]), zero]],
        G::R | G::Gpi2 => {
            let theta = if gate == G::R { p[0] } else { FRAC_PI_2 };
            let phi = if gate == G::R { p[1] } else { p[0] };
            let (co, si) = ((theta / 2.0).cos(), (theta / 2.0).sin());
            let mi = c(0.0, -si);
            [[c(co, 0.0), mi * expi(-phi)], [mi * expi(phi), c(co, 0.0)]]
        }
        _ => {
            let m = gate.matrix(p);
            [[m.get(0, 0), m.get(0, 1)], [m.get(1, 0), m.get(1, 1)]]
        }
    }
}

fn u3_mat(theta: f64, phi: f64, lambda: f64) -> Mat2 {
    let (co, si) = ((theta / 2.0).cos(), (theta / 2.0).sin());
    [[qv_circuit::C64::new(co, 0.0), -expi(lambda) * si], [expi(phi) * si, expi(phi + lambda) * co]]
}

/// Synthesises a one-qubit unitary as gates of `basis`, with the global phase
/// that makes the sequence equal `m` exactly. The identity (up to phase)
/// gives no gates.
///
/// # Errors
/// [`CompileError::Synthesis`] when `m` is not a 2×2 unitary (within 1e-8).
pub fn synthesize_1q(m: &Matrix, basis: EulerBasis) -> Result<OneQubitSynthesis, CompileError> {
    let u = to_mat2(m).ok_or_else(|| {
        CompileError::Synthesis(format!(
            "one-qubit synthesis needs a 2×2 matrix, got {0}×{0}",
            m.dim()
        ))
    })?;
    if !is_unitary2(&u, 1e-8) {
        return Err(CompileError::Synthesis("one-qubit synthesis input is not unitary".into()));
    }
    let seq = synthesize_mat2(&u, basis);
    Ok(OneQubitSynthesis {
        ops: seq.iter().map(|(g, p)| (g, p.to_vec())).collect(),
        global_phase: seq.phase,
    })
}
