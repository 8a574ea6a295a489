//! Recognising Clifford gates from their matrices.
//!
//! A unitary `U` on `k` qubits is Clifford when it maps every Pauli to a
//! Pauli under conjugation; it suffices to check the generators `X_j`, `Z_j`.
//! [`Action::of`] computes `U X_j U†` and `U Z_j U†` numerically and accepts
//! only if each is `±` one Pauli string, every entry within [`TOLERANCE`].
//! This treats every gate of the table uniformly, parameterised ones included
//! (`rz(π/2)`, `u3(π/2, 0, π)`, `rzz(-π/2)` …), with their exact signs; a
//! rotation angle more than about `1e-12` away from a multiple of `π/2` is not
//! Clifford.

use qv_circuit::{Matrix, C64};

/// Largest entry-wise deviation accepted between `U P U†` and `±Q`.
pub const TOLERANCE: f64 = 1e-12;

/// Largest gate (in qubits) whose Clifford action is computed.
pub(crate) const MAX_QUBITS: usize = 5;

/// A signed Hermitian Pauli on a gate's qubits: bit `j` of `x`/`z` is gate
/// qubit `j`; both bits set means `Y`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct LocalPauli {
    /// X components.
    pub x: u8,
    /// Z components.
    pub z: u8,
    /// Whether the Pauli carries the sign `-1`.
    pub neg: bool,
}

impl LocalPauli {
    /// `X_j` (`z = false`) or `Z_j` (`z = true`).
    #[cfg(test)]
    pub fn generator(j: usize, z: bool) -> Self {
        let bit = 1u8 << j;
        if z {
            Self { x: 0, z: bit, neg: false }
        } else {
            Self { x: bit, z: 0, neg: false }
        }
    }
}

/// The conjugation action `P ↦ U P U†` of a Clifford `U` on `k` qubits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Action {
    /// Number of qubits.
    pub k: usize,
    /// `U X_j U†` for each gate qubit `j`.
    pub x: Vec<LocalPauli>,
    /// `U Z_j U†` for each gate qubit `j`.
    pub z: Vec<LocalPauli>,
}

/// `i^e` for `e` mod 4.
fn i_pow(e: u32) -> C64 {
    match e % 4 {
        0 => C64::new(1.0, 0.0),
        1 => C64::new(0.0, 1.0),
        2 => C64::new(-1.0, 0.0),
        _ => C64::new(0.0, -1.0),
    }
}

/// The matrix of the unsigned Pauli `(x, z)` on `k` qubits: column `b` has its
/// one entry in row `b ^ x`, equal to `i^{|x∧z|} (-1)^{|z∧b|}`.
fn pauli_matrix(k: usize, x: usize, z: usize) -> Matrix {
    let dim = 1 << k;
    let mut m = Matrix::zeros(dim);
    let y_phase = i_pow((x & z).count_ones());
    for b in 0..dim {
        let sign = if (z & b).count_ones() % 2 == 1 { -1.0 } else { 1.0 };
        m.set(b ^ x, b, y_phase * sign);
    }
    m
}

/// Identifies `m` as `±` a Pauli string, or `None`.
fn as_signed_pauli(m: &Matrix, k: usize) -> Option<LocalPauli> {
    let dim = 1usize << k;
    let x = (0..dim).find(|&r| m.get(r, 0).norm() > 0.5)?;
    let pivot = m.get(x, 0);
    // Column `b = 1 << j` holds (-1)^{z_j} times column 0's entry.
    let mut z = 0;
    for j in 0..k {
        let b = 1 << j;
        if (m.get(b ^ x, b) / pivot).re < 0.0 {
            z |= b;
        }
    }
    let lambda = pivot / i_pow((x & z).count_ones());
    if (lambda.im).abs() > TOLERANCE || (lambda.re.abs() - 1.0).abs() > TOLERANCE {
        return None;
    }
    let neg = lambda.re < 0.0;
    let expected = pauli_matrix(k, x, z).scale(C64::new(if neg { -1.0 } else { 1.0 }, 0.0));
    if m.max_diff(&expected) > TOLERANCE {
        return None;
    }
    Some(LocalPauli { x: x as u8, z: z as u8, neg })
}

impl Action {
    /// The action of `u` if it is a Clifford unitary on at most [`MAX_QUBITS`] qubits.
    pub fn of(u: &Matrix) -> Option<Action> {
        let k = u.num_qubits();
        if k == 0 || k > MAX_QUBITS || u.dim() != 1 << k {
            return None;
        }
        let ud = u.dagger();
        let image = |j: usize, z: bool| {
            let p = if z { pauli_matrix(k, 0, 1 << j) } else { pauli_matrix(k, 1 << j, 0) };
            as_signed_pauli(&u.mul(&p).mul(&ud), k)
        };
        let mut action = Action { k, x: Vec::with_capacity(k), z: Vec::with_capacity(k) };
        for j in 0..k {
            action.x.push(image(j, false)?);
            action.z.push(image(j, true)?);
        }
        Some(action)
    }

    /// Image of generator `X_j` (`z = false`) or `Z_j` (`z = true`).
    pub fn image(&self, j: usize, z: bool) -> LocalPauli {
        if z {
            self.z[j]
        } else {
            self.x[j]
        }
    }

    /// If the action fixes every Pauli up to sign, the gate is a Pauli (up to
    /// global phase): returns its `(x, z)` bits. `P X_j P† = -X_j` exactly when
    /// `P` has a Z component on `j`, and likewise for `Z_j`.
    pub fn as_pauli(&self) -> Option<(u8, u8)> {
        let mut px = 0;
        let mut pz = 0;
        for j in 0..self.k {
            let (ix, iz) = (self.x[j], self.z[j]);
            if (ix.x, ix.z, iz.x, iz.z) != (1 << j, 0, 0, 1 << j) {
                return None;
            }
            if ix.neg {
                pz |= 1 << j;
            }
            if iz.neg {
                px |= 1 << j;
            }
        }
        Some((px, pz))
    }
}

/// A Clifford gate's actions in both directions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Clifford {
    /// `P ↦ U P U†`: how Pauli frames move through the gate.
    pub forward: Action,
    /// `P ↦ U† P U`: how the inverse tableau's rows combine.
    pub backward: Action,
}

impl Clifford {
    /// Both actions of `u`, if it is Clifford.
    pub fn of(u: &Matrix) -> Option<Clifford> {
        Some(Clifford { forward: Action::of(u)?, backward: Action::of(&u.dagger())? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qv_circuit::StandardGate as G;
    use std::f64::consts::{FRAC_PI_2, PI};

    fn p(x: u8, z: u8, neg: bool) -> LocalPauli {
        LocalPauli { x, z, neg }
    }

    fn action(g: G, params: &[f64]) -> Option<Action> {
        Action::of(&g.matrix(params))
    }

    #[test]
    fn single_qubit_actions_have_textbook_signs() {
        // H: X ↔ Z. S: X → Y, Z → Z. Sdg: X → -Y. SX: Z → -Y. Y: X → -X, Z → -Z.
        assert_eq!(action(G::H, &[]).unwrap().x, vec![p(0, 1, false)]);
        assert_eq!(action(G::H, &[]).unwrap().z, vec![p(1, 0, false)]);
        assert_eq!(action(G::S, &[]).unwrap().x, vec![p(1, 1, false)]);
        assert_eq!(action(G::Sdg, &[]).unwrap().x, vec![p(1, 1, true)]);
        assert_eq!(action(G::Sx, &[]).unwrap().z, vec![p(1, 1, true)]);
        let y = action(G::Y, &[]).unwrap();
        assert_eq!((y.x[0], y.z[0]), (p(1, 0, true), p(0, 1, true)));
        assert_eq!(y.as_pauli(), Some((1, 1)));
        assert_eq!(action(G::H, &[]).unwrap().as_pauli(), None);
    }

    #[test]
    fn cx_spreads_x_from_control_and_z_from_target() {
        let a = action(G::Cx, &[]).unwrap();
        assert_eq!(a.x, vec![p(0b11, 0, false), p(0b10, 0, false)]);
        assert_eq!(a.z, vec![p(0, 0b01, false), p(0, 0b11, false)]);
    }

    #[test]
    fn rotations_are_clifford_only_at_multiples_of_half_pi() {
        for g in [G::Rz, G::Rx, G::Ry, G::P, G::U1, G::Rzz, G::Rxx, G::Ryy, G::Rzx] {
            for m in -4..=4 {
                assert!(action(g, &[m as f64 * FRAC_PI_2]).is_some(), "{g:?} at {m}·π/2");
            }
            assert!(action(g, &[PI / 4.0]).is_none(), "{g:?} at π/4");
            assert!(action(g, &[FRAC_PI_2 + 1e-9]).is_none(), "{g:?} just off π/2");
        }
        // Controlled phases are Clifford only at multiples of π (cp(π) = cz);
        // cp(π/2) is controlled-S.
        assert_eq!(action(G::Cp, &[PI]), action(G::Cz, &[]));
        assert!(action(G::Cp, &[FRAC_PI_2]).is_none());
        assert!(action(G::Crz, &[FRAC_PI_2]).is_none());
        assert!(action(G::Crz, &[2.0 * PI]).is_some());
        // rz(π/2) acts like S; p(π) like Z.
        assert_eq!(action(G::Rz, &[FRAC_PI_2]), action(G::S, &[]));
        assert_eq!(action(G::P, &[PI]).unwrap().as_pauli(), Some((0, 1)));
        // u3(π/2, 0, π) is H exactly.
        assert_eq!(action(G::U3, &[FRAC_PI_2, 0.0, PI]), action(G::H, &[]));
        // Individually odd angles can still make a Clifford: u3(0, 0.3, -0.3) = id.
        assert_eq!(action(G::U3, &[0.0, 0.3, -0.3]).unwrap().as_pauli(), Some((0, 0)));
    }

    #[test]
    fn table_gates_are_classified() {
        let clifford = [
            G::Id,
            G::X,
            G::Y,
            G::Z,
            G::H,
            G::S,
            G::Sdg,
            G::Sx,
            G::Sxdg,
            G::Cx,
            G::Cy,
            G::Cz,
            G::Swap,
            G::Iswap,
            G::Dcx,
            G::Ecr,
        ];
        let not = [G::T, G::Tdg, G::Ch, G::Cs, G::Csdg, G::Csx, G::Ccx, G::Cswap, G::Ccz, G::C3x];
        for g in clifford {
            let c = Clifford::of(&g.matrix(&[])).unwrap_or_else(|| panic!("{g:?}"));
            assert_eq!(c.forward.k, g.num_qubits());
        }
        for g in not {
            assert!(Clifford::of(&g.matrix(&[])).is_none(), "{g:?}");
        }
    }

    #[test]
    fn every_image_matches_the_matrix() {
        // Rebuild U P U† from the reported image and compare with the matrix product.
        let gates = [(G::Ecr, vec![]), (G::Iswap, vec![]), (G::Ryy, vec![-FRAC_PI_2])];
        for (g, params) in gates {
            let u = g.matrix(&params);
            let a = Action::of(&u).unwrap();
            for j in 0..a.k {
                for z in [false, true] {
                    let gen = LocalPauli::generator(j, z);
                    let pm = pauli_matrix(2, gen.x as usize, gen.z as usize);
                    let img = a.image(j, z);
                    let want = pauli_matrix(2, img.x as usize, img.z as usize)
                        .scale(C64::new(if img.neg { -1.0 } else { 1.0 }, 0.0));
                    assert!(u.mul(&pm).mul(&u.dagger()).approx_eq(&want, 1e-12), "{g:?}");
                }
            }
        }
    }
}
