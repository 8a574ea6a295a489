//! Decompositions of the standard gates into smaller table gates.
//!
//! Every gate except the primitives `U` and `CX` decomposes, recursively, into
//! `U` and `CX`. Bodies follow `qelib1.inc` where it defines the gate and
//! Qiskit's definitions otherwise (`r`, `cs`, `csdg`, `ryy`, `rzx`, `ecr`,
//! `iswap`, `dcx`, `ccz`), and the vendors' defining formulas for the IonQ
//! (`gpi`, `gpi2`, `ms`) and Google (`fsim`, `sqrt_iswap`, `phased_x_z`) gates. Each carries the global phase that makes
//! `e^{i·phase}` times the product of its gates equal the table's matrix
//! exactly: `qelib1.inc` is only defined up to phase, while the table keeps
//! Qiskit's (OpenQASM 3) phases, e.g. `rz(φ) = e^{-iφ/2}·u1(φ)`.
//!
//! [`expand`](super::expand) builds on these bodies: full expansion to `U` and
//! `CX`, and inversion of gates the table has no inverse row for.

use super::StandardGate::{self, *};
use crate::expr::Expr;

/// One gate of a decomposition: gate, parameters, qubits (indices of the
/// decomposed gate's arguments).
pub type DecompOp = (StandardGate, Vec<Expr>, Vec<usize>);

/// A gate body: `e^{i·global_phase} · ops[n-1] ··· ops[0]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Decomposition {
    /// Global phase added to the product of `ops`.
    pub global_phase: Expr,
    /// The gates, in time order.
    pub ops: Vec<DecompOp>,
}

/// One body gate; `[]` for no parameters.
fn op<const P: usize, const Q: usize>(
    gate: StandardGate,
    params: [Expr; P],
    qubits: [usize; Q],
) -> DecompOp {
    (gate, params.into(), qubits.into())
}

fn c(x: f64) -> Expr {
    Expr::val(x)
}

fn pi(num: f64, den: f64) -> Expr {
    Expr::pi_frac(num, den)
}

fn half(e: Expr) -> Expr {
    e / c(2.0)
}

/// `h t; cu1(λ) ctrl,t; h t`, i.e. controlled `X^{λ/π}`, the block of the
/// multi-controlled bodies of `qelib1.inc`.
fn h_cu1_h(lambda: Expr, ctrl: usize, t: usize) -> [DecompOp; 3] {
    [op(H, [], [t]), op(Cu1, [lambda], [ctrl, t]), op(H, [], [t])]
}

/// The decomposition of `gate(params)`, or `None` for the primitives `U` and `CX`.
///
/// # Panics
/// If `params.len()` differs from [`StandardGate::num_params`].
pub fn decomposition(gate: StandardGate, params: &[Expr]) -> Option<Decomposition> {
    assert_eq!(params.len(), gate.num_params(), "wrong parameter count for {}", gate.name());
    let a = |i: usize| params[i].clone();
    let mut phase = c(0.0);
    let ops = match gate {
        U | Cx => return None,
        U3 => vec![op(U, [a(0), a(1), a(2)], [0])],
        U2 => vec![op(U, [pi(1.0, 2.0), a(0), a(1)], [0])],
        U1 | P => vec![op(U, [c(0.0), c(0.0), a(0)], [0])],
        U0 | Id => vec![op(U, [c(0.0), c(0.0), c(0.0)], [0])],
        X => vec![op(U3, [pi(1.0, 1.0), c(0.0), pi(1.0, 1.0)], [0])],
        Y => vec![op(U3, [pi(1.0, 1.0), pi(1.0, 2.0), pi(1.0, 2.0)], [0])],
        Z => vec![op(U1, [pi(1.0, 1.0)], [0])],
        H => vec![op(U2, [c(0.0), pi(1.0, 1.0)], [0])],
        S => vec![op(U1, [pi(1.0, 2.0)], [0])],
        Sdg => vec![op(U1, [pi(-1.0, 2.0)], [0])],
        T => vec![op(U1, [pi(1.0, 4.0)], [0])],
        Tdg => vec![op(U1, [pi(-1.0, 4.0)], [0])],
        Rx => vec![op(U3, [a(0), pi(-1.0, 2.0), pi(1.0, 2.0)], [0])],
        Ry => vec![op(U3, [a(0), c(0.0), c(0.0)], [0])],
        Rz => {
            phase = -half(a(0));
            vec![op(U1, [a(0)], [0])]
        }
        Sx => {
            phase = pi(1.0, 4.0);
            vec![op(Sdg, [], [0]), op(H, [], [0]), op(Sdg, [], [0])]
        }
        Sxdg => {
            phase = pi(-1.0, 4.0);
            vec![op(S, [], [0]), op(H, [], [0]), op(S, [], [0])]
        }
        R => vec![op(U, [a(0), a(1) - pi(1.0, 2.0), pi(1.0, 2.0) - a(1)], [0])],
        Cy => vec![op(Sdg, [], [1]), op(Cx, [], [0, 1]), op(S, [], [1])],
        Cz => vec![op(H, [], [1]), op(Cx, [], [0, 1]), op(H, [], [1])],
        Ch => {
            phase = pi(-1.0, 4.0);
            vec![
                op(H, [], [1]),
                op(Sdg, [], [1]),
                op(Cx, [], [0, 1]),
                op(H, [], [1]),
                op(T, [], [1]),
                op(Cx, [], [0, 1]),
                op(T, [], [1]),
                op(H, [], [1]),
                op(S, [], [1]),
                op(X, [], [1]),
                op(S, [], [0]),
            ]
        }
        Swap => vec![op(Cx, [], [0, 1]), op(Cx, [], [1, 0]), op(Cx, [], [0, 1])],
        Crx => vec![
            op(U1, [pi(1.0, 2.0)], [1]),
            op(Cx, [], [0, 1]),
            op(U3, [-half(a(0)), c(0.0), c(0.0)], [1]),
            op(Cx, [], [0, 1]),
            op(U3, [half(a(0)), pi(-1.0, 2.0), c(0.0)], [1]),
        ],
        Cry => vec![
            op(Ry, [half(a(0))], [1]),
            op(Cx, [], [0, 1]),
            op(Ry, [-half(a(0))], [1]),
            op(Cx, [], [0, 1]),
        ],
        Crz => vec![
            op(Rz, [half(a(0))], [1]),
            op(Cx, [], [0, 1]),
            op(Rz, [-half(a(0))], [1]),
            op(Cx, [], [0, 1]),
        ],
        Cu1 | Cp => {
            // qelib1.inc writes cu1 with u1 and cp with p; the matrices agree.
            let ph = if gate == Cu1 { U1 } else { P };
            vec![
                op(ph, [half(a(0))], [0]),
                op(Cx, [], [0, 1]),
                op(ph, [-half(a(0))], [1]),
                op(Cx, [], [0, 1]),
                op(ph, [half(a(0))], [1]),
            ]
        }
        Cu3 => vec![
            op(U1, [half(a(2) + a(1))], [0]),
            op(U1, [half(a(2) - a(1))], [1]),
            op(Cx, [], [0, 1]),
            op(U3, [-half(a(0)), c(0.0), -half(a(1) + a(2))], [1]),
            op(Cx, [], [0, 1]),
            op(U3, [half(a(0)), a(1), c(0.0)], [1]),
        ],
        Csx => vec![op(H, [], [1]), op(Cu1, [pi(1.0, 2.0)], [0, 1]), op(H, [], [1])],
        Cu => vec![
            op(P, [a(3)], [0]),
            op(P, [half(a(2) + a(1))], [0]),
            op(P, [half(a(2) - a(1))], [1]),
            op(Cx, [], [0, 1]),
            op(U, [-half(a(0)), c(0.0), -half(a(1) + a(2))], [1]),
            op(Cx, [], [0, 1]),
            op(U, [half(a(0)), a(1), c(0.0)], [1]),
        ],
        Cs | Csdg => {
            let (t, tdg) = if gate == Cs { (T, Tdg) } else { (Tdg, T) };
            vec![
                op(t, [], [0]),
                op(Cx, [], [0, 1]),
                op(tdg, [], [1]),
                op(Cx, [], [0, 1]),
                op(t, [], [1]),
            ]
        }
        Rxx => {
            phase = half(a(0));
            vec![
                op(U3, [pi(1.0, 2.0), a(0), c(0.0)], [0]),
                op(H, [], [1]),
                op(Cx, [], [0, 1]),
                op(U1, [-a(0)], [1]),
                op(Cx, [], [0, 1]),
                op(H, [], [1]),
                op(U2, [pi(-1.0, 1.0), pi(1.0, 1.0) - a(0)], [0]),
            ]
        }
        Ryy => vec![
            op(Sxdg, [], [0]),
            op(Sxdg, [], [1]),
            op(Cx, [], [0, 1]),
            op(Rz, [a(0)], [1]),
            op(Cx, [], [0, 1]),
            op(Sx, [], [0]),
            op(Sx, [], [1]),
        ],
        Rzz => {
            phase = -half(a(0));
            vec![op(Cx, [], [0, 1]), op(U1, [a(0)], [1]), op(Cx, [], [0, 1])]
        }
        Rzx => vec![
            op(H, [], [1]),
            op(Cx, [], [0, 1]),
            op(Rz, [a(0)], [1]),
            op(Cx, [], [0, 1]),
            op(H, [], [1]),
        ],
        Ecr => {
            phase = pi(-1.0, 4.0);
            vec![op(S, [], [0]), op(Sx, [], [1]), op(Cx, [], [0, 1]), op(X, [], [0])]
        }
        Iswap => vec![
            op(S, [], [0]),
            op(S, [], [1]),
            op(H, [], [0]),
            op(Cx, [], [0, 1]),
            op(Cx, [], [1, 0]),
            op(H, [], [1]),
        ],
        Dcx => vec![op(Cx, [], [0, 1]), op(Cx, [], [1, 0])],
        // Vendor gates, from their defining formulas (see matrices.rs).
        Gpi => vec![op(U, [pi(1.0, 1.0), a(0), pi(1.0, 1.0) - a(0)], [0])],
        Gpi2 => vec![op(U, [pi(1.0, 2.0), a(0) - pi(1.0, 2.0), pi(1.0, 2.0) - a(0)], [0])],
        // σ(φ) = rz(φ)·X·rz(-φ), so ms = (rz(φ0)⊗rz(φ1))·rxx(θ)·(rz(-φ0)⊗rz(-φ1)).
        Ms => vec![
            op(Rz, [-a(0)], [0]),
            op(Rz, [-a(1)], [1]),
            op(Rxx, [a(2)], [0, 1]),
            op(Rz, [a(0)], [0]),
            op(Rz, [a(1)], [1]),
        ],
        // XX and YY commute: fsim(θ, φ) = exp(-iθ(XX+YY)/2) · cp(-φ).
        Fsim => vec![op(Rxx, [a(0)], [0, 1]), op(Ryy, [a(0)], [0, 1]), op(Cp, [-a(1)], [0, 1])],
        SqrtIswap => vec![op(Rxx, [pi(-1.0, 4.0)], [0, 1]), op(Ryy, [pi(-1.0, 4.0)], [0, 1])],
        // Z^t = p(πt), X^t = e^{iπt/2}·rx(πt).
        PhasedXZ => {
            phase = half(Expr::Pi * a(0));
            vec![
                op(P, [-(Expr::Pi * a(2))], [0]),
                op(Rx, [Expr::Pi * a(0)], [0]),
                op(P, [Expr::Pi * (a(1) + a(2))], [0]),
            ]
        }
        Ccx => vec![
            op(H, [], [2]),
            op(Cx, [], [1, 2]),
            op(Tdg, [], [2]),
            op(Cx, [], [0, 2]),
            op(T, [], [2]),
            op(Cx, [], [1, 2]),
            op(Tdg, [], [2]),
            op(Cx, [], [0, 2]),
            op(T, [], [1]),
            op(T, [], [2]),
            op(H, [], [2]),
            op(Cx, [], [0, 1]),
            op(T, [], [0]),
            op(Tdg, [], [1]),
            op(Cx, [], [0, 1]),
        ],
        Cswap => vec![op(Cx, [], [2, 1]), op(Ccx, [], [0, 1, 2]), op(Cx, [], [2, 1])],
        Ccz => vec![op(H, [], [2]), op(Ccx, [], [0, 1, 2]), op(H, [], [2])],
        Rccx => vec![
            op(U2, [c(0.0), pi(1.0, 1.0)], [2]),
            op(U1, [pi(1.0, 4.0)], [2]),
            op(Cx, [], [1, 2]),
            op(U1, [pi(-1.0, 4.0)], [2]),
            op(Cx, [], [0, 2]),
            op(U1, [pi(1.0, 4.0)], [2]),
            op(Cx, [], [1, 2]),
            op(U1, [pi(-1.0, 4.0)], [2]),
            op(U2, [c(0.0), pi(1.0, 1.0)], [2]),
        ],
        Rc3x => rc3x_body(),
        C3x => c3x_body(),
        C3sqrtx => c3sqrtx_body(),
        C4x => {
            let mut ops = h_cu1_h(pi(1.0, 2.0), 3, 4).to_vec();
            ops.push(op(C3x, [], [0, 1, 2, 3]));
            ops.extend(h_cu1_h(pi(-1.0, 2.0), 3, 4));
            ops.push(op(C3x, [], [0, 1, 2, 3]));
            ops.push(op(C3sqrtx, [], [0, 1, 2, 4]));
            ops
        }
    };
    Some(Decomposition { global_phase: phase, ops })
}

/// `qelib1.inc`'s `rc3x a,b,c,d`.
fn rc3x_body() -> Vec<DecompOp> {
    let h = || op(U2, [c(0.0), pi(1.0, 1.0)], [3]);
    let t = || op(U1, [pi(1.0, 4.0)], [3]);
    let tdg = || op(U1, [pi(-1.0, 4.0)], [3]);
    let cx = |ctrl: usize| op(Cx, [], [ctrl, 3]);
    vec![
        h(),
        t(),
        cx(2),
        tdg(),
        h(),
        cx(0),
        t(),
        cx(1),
        tdg(),
        cx(0),
        t(),
        cx(1),
        tdg(),
        h(),
        t(),
        cx(2),
        tdg(),
        h(),
    ]
}

/// `qelib1.inc`'s `c3x a,b,c,d`: phase gates `p(±π/8)` between CNOTs.
fn c3x_body() -> Vec<DecompOp> {
    let p = |sign: f64, q: usize| op(P, [pi(sign, 8.0)], [q]);
    let cx = |ctrl: usize, t: usize| op(Cx, [], [ctrl, t]);
    vec![
        op(H, [], [3]),
        p(1.0, 0),
        p(1.0, 1),
        p(1.0, 2),
        p(1.0, 3),
        cx(0, 1),
        p(-1.0, 1),
        cx(0, 1),
        cx(1, 2),
        p(-1.0, 2),
        cx(0, 2),
        p(1.0, 2),
        cx(1, 2),
        p(-1.0, 2),
        cx(0, 2),
        cx(2, 3),
        p(-1.0, 3),
        cx(1, 3),
        p(1.0, 3),
        cx(2, 3),
        p(-1.0, 3),
        cx(0, 3),
        p(1.0, 3),
        cx(2, 3),
        p(-1.0, 3),
        cx(1, 3),
        p(1.0, 3),
        cx(2, 3),
        p(-1.0, 3),
        cx(0, 3),
        op(H, [], [3]),
    ]
}

/// `qelib1.inc`'s `c3sqrtx a,b,c,d`: controlled `±π/8` blocks between CNOTs.
fn c3sqrtx_body() -> Vec<DecompOp> {
    let block = |sign: f64, ctrl: usize| h_cu1_h(pi(sign, 8.0), ctrl, 3);
    let cx = |ctrl: usize, t: usize| [op(Cx, [], [ctrl, t])];
    [
        &block(1.0, 0)[..],
        &cx(0, 1),
        &block(-1.0, 1),
        &cx(0, 1),
        &block(1.0, 1),
        &cx(1, 2),
        &block(-1.0, 2),
        &cx(0, 2),
        &block(1.0, 2),
        &cx(1, 2),
        &block(-1.0, 2),
        &cx(0, 2),
        &block(1.0, 2),
    ]
    .concat()
}
