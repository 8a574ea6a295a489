//! Inverses of the standard gates, as table gates where one exists.

use super::StandardGate::{self, *};
use crate::expr::Expr;

fn neg(e: &Expr) -> Expr {
    -e.clone()
}

/// The inverse of `gate(params)` as a single table gate, or `None` when no row
/// of the table expresses it (invert its decomposition instead, see
/// [`crate::gates::Decomposition::inverse`]).
///
/// # Panics
/// If `params.len()` differs from [`StandardGate::num_params`].
pub fn inverse(gate: StandardGate, params: &[Expr]) -> Option<(StandardGate, Vec<Expr>)> {
    assert_eq!(params.len(), gate.num_params(), "wrong parameter count for {}", gate.name());
    let p = params;
    let pi = || Expr::Pi;
    Some(match gate {
        U | U3 => (gate, vec![neg(&p[0]), neg(&p[2]), neg(&p[1])]),
        U2 => (U2, vec![neg(&p[1]) - pi(), pi() - p[0].clone()]),
        U1 | P | Rx | Ry | Rz | Crx | Cry | Crz | Cu1 | Cp | Rxx | Ryy | Rzz | Rzx => {
            (gate, vec![neg(&p[0])])
        }
        U0 | Id | X | Y | Z | H | Cx | Cy | Cz | Ch | Swap | Ecr | Ccx | Cswap | Ccz | Rccx
        | C3x | C4x => (gate, p.to_vec()),
        S => (Sdg, vec![]),
        Sdg => (S, vec![]),
        T => (Tdg, vec![]),
        Tdg => (T, vec![]),
        Sx => (Sxdg, vec![]),
        Sxdg => (Sx, vec![]),
        Cs => (Csdg, vec![]),
        Csdg => (Cs, vec![]),
        R => (R, vec![neg(&p[0]), p[1].clone()]),
        Cu3 => (Cu3, vec![neg(&p[0]), neg(&p[2]), neg(&p[1])]),
        Cu => (Cu, vec![neg(&p[0]), neg(&p[2]), neg(&p[1]), neg(&p[3])]),
        // csx† = controlled(e^{-iπ/4}·u3(-π/2, -π/2, π/2)).
        Csx => (
            Cu,
            vec![
                Expr::pi_frac(-1.0, 2.0),
                Expr::pi_frac(-1.0, 2.0),
                Expr::pi_frac(1.0, 2.0),
                Expr::pi_frac(-1.0, 4.0),
            ],
        ),
        Gpi => (Gpi, p.to_vec()),
        Gpi2 => (Gpi2, vec![p[0].clone() + pi()]),
        Ms => (Ms, vec![p[0].clone(), p[1].clone(), neg(&p[2])]),
        Fsim => (Fsim, vec![neg(&p[0]), neg(&p[1])]),
        SqrtIswap => (Fsim, vec![Expr::pi_frac(1.0, 4.0), Expr::val(0.0)]),
        // (Z^(z+a)·X^x·Z^(-a))⁻¹ = Z^a·X^(-x)·Z^(-(z+a)).
        PhasedXZ => (PhasedXZ, vec![neg(&p[0]), neg(&p[1]), p[2].clone() + p[1].clone()]),
        Iswap | Dcx | Rc3x | C3sqrtx => return None,
    })
}
