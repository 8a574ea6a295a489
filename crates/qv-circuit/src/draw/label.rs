//! How gates look in a diagram: box labels, compact angles, control shapes.
//!
//! Labels follow Qiskit's text drawer (`H`, `Rx(π/2)`, `√X`, `U(θ,φ,λ)`);
//! controlled gates are drawn as control dots joined to a target symbol or to
//! the box of their base gate, and the remaining multi-qubit gates as one box
//! spanning their qubits.

use crate::expr::Expr;
use crate::gates::StandardGate;
use std::f64::consts::PI;

/// What the target of a controlled gate looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Target {
    /// `⊕` (controlled X family).
    Plus,
    /// `●` on every qubit (controlled Z family, which is symmetric).
    Dot,
    /// `×` on both swapped qubits.
    Swap,
    /// A box with the label of the base gate, e.g. `Ry(π/2)` for `cry`.
    Box(&'static str),
}

/// How a table gate is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// The first `controls` qubits are control dots; the rest form the target.
    Controlled {
        /// Number of leading control qubits.
        controls: usize,
        /// Target drawing.
        target: Target,
    },
    /// One box (spanning all qubits for multi-qubit gates) labelled with the name.
    Boxed(&'static str),
}

/// The drawing shape of a table gate.
pub(super) fn shape(gate: StandardGate) -> Shape {
    use StandardGate as G;
    let ctrl = |controls, target| Shape::Controlled { controls, target };
    match gate {
        G::Cx => ctrl(1, Target::Plus),
        G::Ccx => ctrl(2, Target::Plus),
        G::C3x => ctrl(3, Target::Plus),
        G::C4x => ctrl(4, Target::Plus),
        G::Cz => ctrl(1, Target::Dot),
        G::Ccz => ctrl(2, Target::Dot),
        G::Swap => ctrl(0, Target::Swap),
        G::Cswap => ctrl(1, Target::Swap),
        G::Cy => ctrl(1, Target::Box("Y")),
        G::Ch => ctrl(1, Target::Box("H")),
        G::Crx => ctrl(1, Target::Box("Rx")),
        G::Cry => ctrl(1, Target::Box("Ry")),
        G::Crz => ctrl(1, Target::Box("Rz")),
        G::Cu1 => ctrl(1, Target::Box("U1")),
        G::Cp => ctrl(1, Target::Box("P")),
        G::Cu3 => ctrl(1, Target::Box("U3")),
        G::Cu => ctrl(1, Target::Box("U")),
        G::Csx => ctrl(1, Target::Box("√X")),
        G::Cs => ctrl(1, Target::Box("S")),
        G::Csdg => ctrl(1, Target::Box("Sdg")),
        G::C3sqrtx => ctrl(3, Target::Box("√X")),
        G::U => Shape::Boxed("U"),
        G::U3 => Shape::Boxed("U3"),
        G::U2 => Shape::Boxed("U2"),
        G::U1 => Shape::Boxed("U1"),
        G::U0 => Shape::Boxed("U0"),
        G::Id => Shape::Boxed("I"),
        G::P => Shape::Boxed("P"),
        G::X => Shape::Boxed("X"),
        G::Y => Shape::Boxed("Y"),
        G::Z => Shape::Boxed("Z"),
        G::H => Shape::Boxed("H"),
        G::S => Shape::Boxed("S"),
        G::Sdg => Shape::Boxed("Sdg"),
        G::T => Shape::Boxed("T"),
        G::Tdg => Shape::Boxed("Tdg"),
        G::Rx => Shape::Boxed("Rx"),
        G::Ry => Shape::Boxed("Ry"),
        G::Rz => Shape::Boxed("Rz"),
        G::Sx => Shape::Boxed("√X"),
        G::Sxdg => Shape::Boxed("√Xdg"),
        G::R => Shape::Boxed("R"),
        G::Rxx => Shape::Boxed("Rxx"),
        G::Ryy => Shape::Boxed("Ryy"),
        G::Rzz => Shape::Boxed("Rzz"),
        G::Rzx => Shape::Boxed("Rzx"),
        G::Ecr => Shape::Boxed("Ecr"),
        G::Iswap => Shape::Boxed("Iswap"),
        G::Dcx => Shape::Boxed("Dcx"),
        G::Gpi => Shape::Boxed("GPI"),
        G::Gpi2 => Shape::Boxed("GPI2"),
        G::Ms => Shape::Boxed("MS"),
        G::Fsim => Shape::Boxed("fSim"),
        G::SqrtIswap => Shape::Boxed("√iSwap"),
        G::PhasedXZ => Shape::Boxed("PhXZ"),
        G::Rccx => Shape::Boxed("Rccx"),
        G::Rc3x => Shape::Boxed("Rc3x"),
    }
}

/// `name(p1,p2,…)` with compactly formatted parameters, or `name` when there are none.
pub(super) fn with_params(name: &str, params: &[Expr]) -> String {
    if params.is_empty() {
        return name.to_string();
    }
    let values: Vec<String> = params
        .iter()
        .map(|p| match p.eval_const() {
            Ok(x) => format_angle(x),
            // Only reachable for circuits built with unbound parameters; show the expression.
            Err(_) => p.to_string(),
        })
        .collect();
    format!("{name}({})", values.join(","))
}

/// Formats an angle compactly: simple multiples of π as `π/2`, `-3π/4`, `2π`;
/// other values with at most four decimals (`0.3`, `1.5708`), tiny or huge
/// ones in scientific notation.
pub fn format_angle(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    if x.abs() < 1e-12 {
        return "0".to_string();
    }
    if let Some((num, den)) = pi_fraction(x) {
        let sign = if num < 0 { "-" } else { "" };
        let n = num.unsigned_abs();
        return match (n, den) {
            (1, 1) => format!("{sign}π"),
            (_, 1) => format!("{sign}{n}π"),
            (1, _) => format!("{sign}π/{den}"),
            _ => format!("{sign}{n}π/{den}"),
        };
    }
    if x.fract() == 0.0 && x.abs() < 1e6 {
        return format!("{x:.0}");
    }
    if x.abs() < 1e-3 || x.abs() >= 1e6 {
        return format!("{x:.3e}");
    }
    let s = format!("{x:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `x = num·π/den` with a small denominator, in lowest terms.
fn pi_fraction(x: f64) -> Option<(i64, u32)> {
    let r = x / PI;
    (1..=64u32).find_map(|den| {
        let scaled = r * f64::from(den);
        let num = scaled.round();
        let close = (scaled - num).abs() < 1e-9 * f64::from(den);
        // Beyond 32 half turns a multiple of π is no longer a "simple" angle.
        (close && num != 0.0 && num.abs() <= 32.0 * f64::from(den)).then_some((num as i64, den))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angles_are_compact() {
        assert_eq!(format_angle(PI / 2.0), "π/2");
        assert_eq!(format_angle(-3.0 * PI / 4.0), "-3π/4");
        assert_eq!(format_angle(PI), "π");
        assert_eq!(format_angle(-PI), "-π");
        assert_eq!(format_angle(2.0 * PI), "2π");
        assert_eq!(format_angle(PI / 3.0), "π/3");
        assert_eq!(format_angle(13.0 * PI), "13π");
        assert_eq!(format_angle(100.0 * PI), "314.1593");
        assert_eq!(format_angle(0.0), "0");
        assert_eq!(format_angle(0.3), "0.3");
        assert_eq!(format_angle(1.234_56), "1.2346");
        assert_eq!(format_angle(2.0), "2");
        assert_eq!(format_angle(-0.25), "-0.25");
        assert_eq!(format_angle(1e-5), "1.000e-5");
    }

    #[test]
    fn labels_carry_parameters() {
        assert_eq!(with_params("Rx", &[Expr::Pi / Expr::val(2.0)]), "Rx(π/2)");
        assert_eq!(with_params("U", &[Expr::val(1.0), Expr::val(0.0), Expr::Pi]), "U(1,0,π)");
        assert_eq!(with_params("H", &[]), "H");
    }
}
