//! Circuits of native two-qubit gates in a given Weyl class.
//!
//! A [`Skeleton`] is `G(p_n)·N_{n−1}···N_1·G(p_1)`: native gates with fixed
//! one-qubit gates `N_k` between them. It is built from a *reference* circuit
//! `R_n·M_{n−1}···M_1·R_1` whose class is known in closed form, where each
//! reference gate is written through the native one, `R_k ∝ post_k·G·pre_k`,
//! so `N_k = pre_{k+1}·M_k·post_k`. The outer one-qubit gates are never
//! needed: [`super::weyl::local_equivalence`] solves for them against the
//! unitary being synthesised.
//!
//! Reference circuits, for target coordinates `(a, b, c)`:
//! - CX class (`cx`, `cz`, `ecr`, …): `CX·(Rx(−2a)⊗Rz(−2b))·CX = Can(a,0,b)`
//!   for two gates; three gates follow Vatan & Williams, "Optimal quantum
//!   circuits for general two-qubit gates", PRA 69, 032315 (2004).
//! - iSWAP class: `iSWAP·(Rx(−2a)⊗Rx(−2b))·iSWAP ~ Can(a,b,0)`; three gates
//!   use Clifford-dressed rotations by `π/4 + c`, `π/4 − b`, `π/4 − a`
//!   (found by search over Clifford frames, verified in the tests).
//! - √iSWAP: two gates cover `a ≥ b + |c|` with the angles of Huang et al.,
//!   "Towards ultra-high fidelity quantum operations: SQiSW gate as a native
//!   two-qubit gate", arXiv:2105.06074 (Eqs. 4–8); three gates split the
//!   target into a one-gate and a two-gate part (their Algorithm 1).
//! - Continuous XX-type families: `Can(a,b,c) = e^{iaXX}·e^{ibYY}·e^{icZZ}`,
//!   each factor one native gate in a Clifford frame.
//! - fsim: `fsim(θ, φ) ~ Can(−θ/2, −θ/2, −φ/4)`, so
//!   `Can(a,b,c) = Can(s,s,c)·Can(d,−d,0)` with `s, d = (a ± b)/2`.

use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, FRAC_PI_8};

use qv_circuit::StandardGate;

use super::linalg::{dagger2, kron, mul2, mul4, Mat2, Mat4, ID2};
use super::one_qubit::gate_mat2;

/// A pair of one-qubit gates (qubit 0, qubit 1).
pub type Pair = (Mat2, Mat2);

pub(crate) const ID_PAIR: Pair = (ID2, ID2);

/// One native gate of a skeleton with its reference-frame dressing:
/// the reference gate is `post · G(params) · pre` up to phase.
#[derive(Clone, Copy, Debug)]
pub struct Slot {
    /// Parameters of the native gate (the gate's own count of them is used).
    pub params: [f64; 3],
    /// One-qubit gates before the native gate.
    pub pre: Pair,
    /// One-qubit gates after the native gate.
    pub post: Pair,
}

/// Up to three native gates with one-qubit gates between them.
#[derive(Clone, Copy, Debug)]
pub struct Skeleton {
    /// Native gates in time order.
    pub slots: [Slot; 3],
    /// Number of native gates.
    pub len: usize,
    /// Reference one-qubit gates between slot `k` and `k + 1`.
    pub mids: [Pair; 2],
}

impl Skeleton {
    /// No native gate: the class of local gates.
    pub fn empty() -> Skeleton {
        let slot = Slot { params: [0.0; 3], pre: ID_PAIR, post: ID_PAIR };
        Skeleton { slots: [slot; 3], len: 0, mids: [ID_PAIR; 2] }
    }

    /// Appends a native gate, with `mid` (reference frame) before it.
    pub fn push(&mut self, slot: Slot, mid: Pair) {
        if self.len > 0 {
            self.mids[self.len - 1] = mid;
        }
        self.slots[self.len] = slot;
        self.len += 1;
    }

    /// The native one-qubit gates `N_k` between slot `k` and `k + 1`.
    pub fn native_mid(&self, k: usize) -> Pair {
        let (m, pre, post) = (self.mids[k], self.slots[k + 1].pre, self.slots[k].post);
        (mul2(&pre.0, &mul2(&m.0, &post.0)), mul2(&pre.1, &mul2(&m.1, &post.1)))
    }

    /// The unitary `G_n·N_{n−1}···N_1·G_1`, with `gate(params)` giving `G`.
    pub fn unitary(&self, gate: &dyn Fn(&[f64; 3]) -> Mat4) -> Mat4 {
        let mut w = super::linalg::id4();
        for k in 0..self.len {
            if k > 0 {
                let n = self.native_mid(k - 1);
                w = mul4(&kron(&n.0, &n.1), &w);
            }
            w = mul4(&gate(&self.slots[k].params), &w);
        }
        w
    }
}

fn g(gate: StandardGate, p: f64) -> Mat2 {
    gate_mat2(gate, &[p])
}

fn h() -> Mat2 {
    gate_mat2(StandardGate::H, &[])
}

fn s() -> Mat2 {
    gate_mat2(StandardGate::S, &[])
}

fn both(m: Mat2) -> Pair {
    (m, m)
}

/// `a ∘ slot ∘ b`: the reference gate `a · R · b` for a slot dressing `R`.
fn dressed(slot: Slot, after: Pair, before: Pair) -> Slot {
    Slot {
        params: slot.params,
        pre: (mul2(&slot.pre.0, &before.0), mul2(&slot.pre.1, &before.1)),
        post: (mul2(&after.0, &slot.post.0), mul2(&after.1, &slot.post.1)),
    }
}

/// CX-class circuits; `cx` is the reference gate `CX(0→1)` as a native slot.
pub fn cx_class(n: usize, [a, b, c]: [f64; 3], cx: Slot) -> Skeleton {
    use StandardGate::{Rx, Ry, Rz};
    let mut sk = Skeleton::empty();
    match n {
        0 => {}
        1 => sk.push(cx, ID_PAIR),
        2 => {
            sk.push(cx, ID_PAIR);
            sk.push(cx, (g(Rx, -2.0 * a), g(Rz, -2.0 * b)));
        }
        _ => {
            // CX(1→0) = (H⊗H)·CX(0→1)·(H⊗H).
            let cx10 = dressed(cx, both(h()), both(h()));
            sk.push(cx10, ID_PAIR);
            sk.push(cx, (ID2, g(Ry, 2.0 * b - FRAC_PI_2)));
            sk.push(cx10, (g(Rz, -2.0 * c - FRAC_PI_2), g(Ry, FRAC_PI_2 - 2.0 * a)));
        }
    }
    sk
}

/// iSWAP-class circuits; `iswap` is the reference gate as a native slot.
pub fn iswap_class(n: usize, [a, b, c]: [f64; 3], iswap: Slot) -> Skeleton {
    use StandardGate::{Rx, Rz};
    let mut sk = Skeleton::empty();
    match n {
        0 => {}
        1 => sk.push(iswap, ID_PAIR),
        2 => {
            sk.push(iswap, ID_PAIR);
            sk.push(iswap, (g(Rx, -2.0 * a), g(Rx, -2.0 * b)));
        }
        _ => {
            let (t0, t1, t2) = (FRAC_PI_4 + c, FRAC_PI_4 - b, FRAC_PI_4 - a);
            sk.push(iswap, ID_PAIR);
            sk.push(iswap, (g(Rx, -2.0 * t0), mul2(&g(Rz, -2.0 * t1), &h())));
            sk.push(iswap, (h(), mul2(&g(Rx, -2.0 * t2), &s())));
        }
    }
    sk
}

/// The middle gates of the two-√iSWAP circuit for `(x, y, z)` with
/// `x ≥ y + |z|` (Huang et al., Eqs. 4–8, in our rotation convention).
///
/// The paper gives `α = acos(A + 2√C)`, `β = acos(A − 2√C)` and `γ` as an
/// arccosine too; at common classes (CX: α = 0, β = π) those arguments sit
/// at ±1, where rounding in the argument costs 1e-8 in the angle. Here
/// `1 ∓ cos` are rewritten as sums of non-negative terms (e.g.
/// `(1−A)² − 4C = 16·(sin x·cos y·sin z)²`) and the angles taken with
/// `atan2`, which keeps them accurate to rounding everywhere in the region.
pub fn sqrt_iswap_middle([x, y, z]: [f64; 3]) -> Pair {
    use StandardGate::{Rx, Rz};
    // Points admitted within tolerance may lie just outside the region, where
    // the formulas jump (at the iSWAP corner 0/0 limits): project onto it.
    let z = z.signum() * z.abs().min((x - y).max(0.0));
    let c =
        ((x + y - z).sin() * (x - y + z).sin() * (x + y + z).sin() * (x - y - z).sin()).max(0.0);
    let r = c.sqrt();
    // 1 − A and 1 + A for A = cos 2x − cos 2y + cos 2z, without cancellation.
    let one_minus_a = 2.0 * ((x + y).sin() * (x - y).sin() + z.sin().powi(2));
    let one_plus_a = (2.0 * x).cos() + (2.0 * z).cos() + 2.0 * y.sin().powi(2);
    let ratio = |num: f64, den: f64| if den > 0.0 { num / den } else { 0.0 };
    // cos α = A + 2√C, cos β = A − 2√C.
    let alpha_minus = ratio(16.0 * (x.sin() * y.cos() * z.sin()).powi(2), one_minus_a + 2.0 * r);
    let alpha_plus = one_plus_a + 2.0 * r;
    let beta_minus = one_minus_a + 2.0 * r;
    let ccc = ((2.0 * x).cos() * (2.0 * y).cos() * (2.0 * z).cos()).max(0.0);
    let beta_plus =
        ratio(16.0 * (x.cos() * y.sin() * z.cos()).powi(2) + 4.0 * ccc, one_plus_a + 2.0 * r);
    // cos θ = v  ⇔  θ = 2·atan2(√(1−v), √(1+v)).
    let angle = |minus: f64, plus: f64| 2.0 * minus.max(0.0).sqrt().atan2(plus.max(0.0).sqrt());
    let alpha = angle(alpha_minus, alpha_plus);
    let beta = angle(beta_minus, beta_plus);
    let ccs = 4.0 * (x.cos() * z.cos() * y.sin()).powi(2);
    let sign = if z < 0.0 { -1.0 } else { 1.0 };
    let gamma = if ccs + ccc > 0.0 { ccc.sqrt().atan2(sign * ccs.sqrt()) } else { 0.0 };
    let c0 = mul2(&g(Rz, -gamma), &mul2(&g(Rx, -alpha), &g(Rz, -gamma)));
    (c0, g(Rx, -beta))
}

/// The one-gate part `(x₁, y₁, z₁)` of a three-√iSWAP split of canonical
/// `(x, y, z)`; the rest `(x − x₁, y − y₁, z − z₁)` needs two gates.
pub fn sqrt_iswap_split([_, y, z]: [f64; 3]) -> [f64; 3] {
    if y > FRAC_PI_8 {
        [0.0, FRAC_PI_8, if z < 0.0 { -FRAC_PI_8 } else { FRAC_PI_8 }]
    } else {
        [-FRAC_PI_8, FRAC_PI_8, 0.0]
    }
}

/// Continuous XX-type family: `exp(i·x·XX) ∝ post · G(params) · pre`.
pub fn xx_slot(gate: StandardGate, x: f64) -> Slot {
    use std::f64::consts::PI;
    use StandardGate as G;
    let id = ID_PAIR;
    let sdg = dagger2(&s());
    let (params, pre, post) = match gate {
        G::Ryy => ([-2.0 * x, 0.0, 0.0], both(s()), both(sdg)),
        G::Rzz => ([-2.0 * x, 0.0, 0.0], both(h()), both(h())),
        G::Rzx => ([-2.0 * x, 0.0, 0.0], (h(), ID2), (h(), ID2)),
        G::Ms if x >= 0.0 => ([0.0, PI, 2.0 * x], id, id),
        G::Ms => ([0.0, 0.0, -2.0 * x], id, id),
        // exp(ixZZ) ∝ (rz(−2x)⊗rz(−2x))·cp(4x); crz(θ) = cp(θ)·(p(−θ/2)⊗I).
        G::Cp | G::Cu1 | G::Crz => {
            let post = both(mul2(&h(), &g(G::Rz, -2.0 * x)));
            let pre = if gate == G::Crz { (mul2(&g(G::P, 2.0 * x), &h()), h()) } else { both(h()) };
            ([4.0 * x, 0.0, 0.0], pre, post)
        }
        _ => ([-2.0 * x, 0.0, 0.0], id, id), // rxx
    };
    Slot { params, pre, post }
}

/// `Can(a,b,c)` as up to three gates of an XX-type family (zero terms dropped).
pub fn xx_family(gate: StandardGate, [a, b, c]: [f64; 3], tol: f64) -> Skeleton {
    let mut sk = Skeleton::empty();
    // exp(ibYY) = (S⊗S)·exp(ibXX)·(S†⊗S†), exp(icZZ) = (H⊗H)·exp(icXX)·(H⊗H).
    let sdg = dagger2(&s());
    let frames = [(a, ID_PAIR, ID_PAIR), (b, both(s()), both(sdg)), (c, both(h()), both(h()))];
    for (x, after, before) in frames {
        if x.abs() > tol {
            sk.push(dressed(xx_slot(gate, x), after, before), ID_PAIR);
        }
    }
    sk
}

/// One fsim gate in the class of `Can(x, x, z)`.
pub fn fsim_one(x: f64, z: f64) -> Skeleton {
    let mut sk = Skeleton::empty();
    sk.push(Slot { params: [-2.0 * x, -4.0 * z, 0.0], pre: ID_PAIR, post: ID_PAIR }, ID_PAIR);
    sk
}

/// Two fsim gates: `Can(a,b,c) = Can(s,s,c)·Can(d,−d,0)`, `s, d = (a ± b)/2`,
/// and `Can(d,−d,0) = X₀·fsim(−2d, 0)·X₀`.
pub fn fsim_two([a, b, c]: [f64; 3]) -> Skeleton {
    let (s2, d) = ((a + b) / 2.0, (a - b) / 2.0);
    let x = gate_mat2(StandardGate::X, &[]);
    let mut sk = Skeleton::empty();
    sk.push(Slot { params: [-2.0 * d, 0.0, 0.0], pre: (x, ID2), post: (x, ID2) }, ID_PAIR);
    sk.push(Slot { params: [-2.0 * s2, -4.0 * c, 0.0], pre: ID_PAIR, post: ID_PAIR }, ID_PAIR);
    sk
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthesis::linalg::{max_diff4, to_mat4};
    use crate::synthesis::weyl::{canonicalize, prepare};

    fn class(sk: &Skeleton, gate: StandardGate) -> [f64; 3] {
        let m = to_mat4(&gate.matrix(&[])).unwrap();
        prepare(&sk.unitary(&|_| m)).unwrap().coordinates()
    }

    fn assert_class(got: [f64; 3], want: [f64; 3]) {
        let want = canonicalize(want);
        for k in 0..3 {
            assert!((got[k] - want[k]).abs() < 1e-12, "{got:?} vs {want:?}");
        }
    }

    /// Chamber points `(a, b, c)` on a grid.
    fn grid() -> Vec<[f64; 3]> {
        let mut v = vec![];
        for i in 0..=6 {
            for j in 0..=i {
                for k in -j..=j {
                    let s = FRAC_PI_4 / 6.0;
                    v.push([i as f64 * s, j as f64 * s, k as f64 * s]);
                }
            }
        }
        v.into_iter().filter(|w| w[0] < FRAC_PI_4 - 1e-9 || w[2] >= 0.0).collect()
    }

    #[test]
    fn reference_circuits_reach_their_classes() {
        let plain = Slot { params: [0.0; 3], pre: ID_PAIR, post: ID_PAIR };
        for w in grid() {
            let [a, b, c] = w;
            assert_class(class(&cx_class(3, w, plain), StandardGate::Cx), w);
            assert_class(class(&cx_class(2, [a, b, 0.0], plain), StandardGate::Cx), [a, b, 0.0]);
            assert_class(class(&iswap_class(3, w, plain), StandardGate::Iswap), w);
            assert_class(
                class(&iswap_class(2, [a, b, 0.0], plain), StandardGate::Iswap),
                [a, b, 0.0],
            );
            if a >= b + c.abs() {
                let mut sk = Skeleton::empty();
                sk.push(plain, ID_PAIR);
                sk.push(plain, sqrt_iswap_middle(w));
                assert_class(class(&sk, StandardGate::SqrtIswap), w);
            } else {
                let part = sqrt_iswap_split(w);
                let rest = canonicalize([a - part[0], b - part[1], c - part[2]]);
                assert!(rest[0] + 1e-12 >= rest[1] + rest[2].abs(), "{w:?} -> {rest:?}");
            }
        }
    }

    #[test]
    fn continuous_families_reach_their_classes() {
        for gate in [
            StandardGate::Rxx,
            StandardGate::Ryy,
            StandardGate::Rzz,
            StandardGate::Rzx,
            StandardGate::Ms,
            StandardGate::Cp,
            StandardGate::Crz,
        ] {
            for w in grid() {
                let sk = xx_family(gate, w, 1e-12);
                let m = sk.unitary(&|p| to_mat4(&gate.matrix(&p[..gate.num_params()])).unwrap());
                assert_class(prepare(&m).unwrap().coordinates(), w);
                assert_eq!(sk.len, w.iter().filter(|x| x.abs() > 1e-12).count());
            }
        }
        let fsim = |p: &[f64; 3]| to_mat4(&StandardGate::Fsim.matrix(&p[..2])).unwrap();
        for w in grid() {
            let m = fsim_two(w).unitary(&fsim);
            assert_class(prepare(&m).unwrap().coordinates(), w);
            let one = fsim_one(w[0], w[2]).unitary(&fsim);
            assert_class(prepare(&one).unwrap().coordinates(), [w[0], w[0], w[2]]);
        }
        // Dressing by the reference frame is exact, not only up to class:
        // exp(i·x·XX) = post·G·pre up to phase for every family.
        let x = 0.37;
        let exact = crate::synthesis::weyl::canonical_gate(x, 0.0, 0.0);
        for gate in [StandardGate::Rzz, StandardGate::Ms, StandardGate::Cp, StandardGate::Crz] {
            let s = xx_slot(gate, x);
            let g = to_mat4(&gate.matrix(&s.params[..gate.num_params()])).unwrap();
            let m = mul4(&kron(&s.post.0, &s.post.1), &mul4(&g, &kron(&s.pre.0, &s.pre.1)));
            let phase = crate::synthesis::linalg::relative_phase4(&exact, &m);
            let m = crate::synthesis::linalg::scale4(&m, crate::synthesis::linalg::expi(phase));
            assert!(max_diff4(&m, &exact) < 1e-12, "{}", gate.name());
        }
    }
}
