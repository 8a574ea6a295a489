//! The gate table: one row per standard gate, read by everything else.
//!
//! [`StandardGate`] names every gate; [`StandardGate::def`] gives its row
//! ([`GateDef`]: names, arity, help, matrix). Decompositions into smaller gates
//! live in [`decompose`] and inverses in [`inverse`], each an exhaustive match so
//! a new gate cannot be added without them; [`expand`] expands any gate to the
//! primitives `U` and `CX` and inverts gates that have no inverse row.
//!
//! Matrices follow Qiskit's gate classes, which carry the global phases of the
//! OpenQASM 3 `stdgates.inc` definitions (e.g. `rz(θ) = diag(e^{-iθ/2}, e^{iθ/2})`,
//! where `qelib1.inc`'s body `u1(θ)` differs by a global phase). Basis index bit
//! `j` is the state of the gate's `j`-th qubit argument; controls come first.

pub mod decompose;
pub mod expand;
pub mod inverse;
mod matrices;

pub use decompose::{decomposition, DecompOp, Decomposition};
pub use expand::{expand_to_primitives, inverse_of};

use crate::matrix::Matrix;

macro_rules! gates {
    ($( $variant:ident = $name:literal, aliases [$($alias:literal),*], qubits $nq:literal,
        params [$($p:literal),*], qelib1 $q1:literal, $matrix:path, $help:literal; )*) => {
        /// Every gate of the table.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum StandardGate { $( #[doc = $help] $variant, )* }

        static TABLE: &[GateDef] = &[ $( GateDef {
            gate: StandardGate::$variant,
            name: $name,
            aliases: &[$($alias),*],
            num_qubits: $nq,
            params: &[$($p),*],
            in_qelib1: $q1,
            matrix: $matrix,
            help: $help,
        }, )* ];
    };
}

/// One row of the gate table.
#[derive(Debug)]
pub struct GateDef {
    /// The gate this row describes.
    pub gate: StandardGate,
    /// Canonical (OpenQASM) name.
    pub name: &'static str,
    /// Other names accepted on input (e.g. OpenQASM 3's `phase` for `p`).
    pub aliases: &'static [&'static str],
    /// Number of qubit arguments.
    pub num_qubits: usize,
    /// Parameter names, in order.
    pub params: &'static [&'static str],
    /// Whether OpenQASM 2's `qelib1.inc` (or the language itself, for `U`/`CX`) defines it.
    pub in_qelib1: bool,
    /// The unitary for the given parameter values (`params.len()` of them).
    pub matrix: fn(&[f64]) -> Matrix,
    /// One line of help.
    pub help: &'static str,
}

gates! {
    U = "U", aliases ["u"], qubits 1, params ["theta", "phi", "lambda"], qelib1 true, matrices::u3,
        "Generic single-qubit rotation U(θ,φ,λ) = Rz(φ)·Ry(θ)·Rz(λ) up to phase (OpenQASM built-in)";
    U3 = "u3", aliases [], qubits 1, params ["theta", "phi", "lambda"], qelib1 true, matrices::u3,
        "Generic single-qubit rotation, same matrix as U";
    U2 = "u2", aliases [], qubits 1, params ["phi", "lambda"], qelib1 true, matrices::u2,
        "Single-qubit rotation U(π/2,φ,λ)";
    U1 = "u1", aliases [], qubits 1, params ["lambda"], qelib1 true, matrices::p,
        "Phase rotation diag(1, e^{iλ}) (same as p)";
    U0 = "u0", aliases [], qubits 1, params ["gamma"], qelib1 true, matrices::id_param,
        "Idle gate for γ time units: the identity";
    Id = "id", aliases [], qubits 1, params [], qelib1 true, matrices::id,
        "Identity";
    P = "p", aliases ["phase"], qubits 1, params ["lambda"], qelib1 true, matrices::p,
        "Phase gate diag(1, e^{iλ})";
    X = "x", aliases [], qubits 1, params [], qelib1 true, matrices::x,
        "Pauli X (bit flip)";
    Y = "y", aliases [], qubits 1, params [], qelib1 true, matrices::y,
        "Pauli Y";
    Z = "z", aliases [], qubits 1, params [], qelib1 true, matrices::z,
        "Pauli Z (phase flip)";
    H = "h", aliases [], qubits 1, params [], qelib1 true, matrices::h,
        "Hadamard";
    S = "s", aliases [], qubits 1, params [], qelib1 true, matrices::s,
        "S = sqrt(Z) = diag(1, i)";
    Sdg = "sdg", aliases [], qubits 1, params [], qelib1 true, matrices::sdg,
        "S† = diag(1, -i)";
    T = "t", aliases [], qubits 1, params [], qelib1 true, matrices::t,
        "T = sqrt(S) = diag(1, e^{iπ/4})";
    Tdg = "tdg", aliases [], qubits 1, params [], qelib1 true, matrices::tdg,
        "T† = diag(1, e^{-iπ/4})";
    Rx = "rx", aliases [], qubits 1, params ["theta"], qelib1 true, matrices::rx,
        "Rotation about X: exp(-iθX/2)";
    Ry = "ry", aliases [], qubits 1, params ["theta"], qelib1 true, matrices::ry,
        "Rotation about Y: exp(-iθY/2)";
    Rz = "rz", aliases [], qubits 1, params ["phi"], qelib1 true, matrices::rz,
        "Rotation about Z: exp(-iφZ/2)";
    Sx = "sx", aliases [], qubits 1, params [], qelib1 true, matrices::sx,
        "sqrt(X)";
    Sxdg = "sxdg", aliases [], qubits 1, params [], qelib1 true, matrices::sxdg,
        "Inverse of sqrt(X)";
    R = "r", aliases [], qubits 1, params ["theta", "phi"], qelib1 false, matrices::r,
        "Rotation by θ about the axis cos(φ)X + sin(φ)Y";
    Cx = "cx", aliases ["CX", "cnot"], qubits 2, params [], qelib1 true, matrices::cx,
        "Controlled X (CNOT): control, target";
    Cy = "cy", aliases [], qubits 2, params [], qelib1 true, matrices::cy,
        "Controlled Y";
    Cz = "cz", aliases [], qubits 2, params [], qelib1 true, matrices::cz,
        "Controlled Z";
    Ch = "ch", aliases [], qubits 2, params [], qelib1 true, matrices::ch,
        "Controlled Hadamard";
    Swap = "swap", aliases [], qubits 2, params [], qelib1 true, matrices::swap,
        "Swap two qubits";
    Crx = "crx", aliases [], qubits 2, params ["theta"], qelib1 true, matrices::crx,
        "Controlled rx";
    Cry = "cry", aliases [], qubits 2, params ["theta"], qelib1 true, matrices::cry,
        "Controlled ry";
    Crz = "crz", aliases [], qubits 2, params ["theta"], qelib1 true, matrices::crz,
        "Controlled rz";
    Cu1 = "cu1", aliases [], qubits 2, params ["lambda"], qelib1 true, matrices::cp,
        "Controlled phase diag(1,1,1,e^{iλ}) (same as cp)";
    Cp = "cp", aliases ["cphase"], qubits 2, params ["lambda"], qelib1 true, matrices::cp,
        "Controlled phase diag(1,1,1,e^{iλ})";
    Cu3 = "cu3", aliases [], qubits 2, params ["theta", "phi", "lambda"], qelib1 true, matrices::cu3,
        "Controlled u3";
    Csx = "csx", aliases [], qubits 2, params [], qelib1 true, matrices::csx,
        "Controlled sqrt(X)";
    Cu = "cu", aliases [], qubits 2, params ["theta", "phi", "lambda", "gamma"], qelib1 true, matrices::cu,
        "Controlled e^{iγ}·U(θ,φ,λ)";
    Cs = "cs", aliases [], qubits 2, params [], qelib1 false, matrices::cs,
        "Controlled S";
    Csdg = "csdg", aliases [], qubits 2, params [], qelib1 false, matrices::csdg,
        "Controlled S†";
    Rxx = "rxx", aliases [], qubits 2, params ["theta"], qelib1 true, matrices::rxx,
        "Two-qubit XX rotation exp(-iθ X⊗X/2)";
    Ryy = "ryy", aliases [], qubits 2, params ["theta"], qelib1 false, matrices::ryy,
        "Two-qubit YY rotation exp(-iθ Y⊗Y/2)";
    Rzz = "rzz", aliases [], qubits 2, params ["theta"], qelib1 true, matrices::rzz,
        "Two-qubit ZZ rotation exp(-iθ Z⊗Z/2)";
    Rzx = "rzx", aliases [], qubits 2, params ["theta"], qelib1 false, matrices::rzx,
        "Two-qubit ZX rotation exp(-iθ Z⊗X/2): Z on the first qubit, X on the second";
    Ecr = "ecr", aliases [], qubits 2, params [], qelib1 false, matrices::ecr,
        "Echoed cross-resonance gate (IBM native two-qubit gate)";
    Iswap = "iswap", aliases [], qubits 2, params [], qelib1 false, matrices::iswap,
        "iSWAP: swap with phase i on |01⟩ and |10⟩";
    Dcx = "dcx", aliases [], qubits 2, params [], qelib1 false, matrices::dcx,
        "Double CNOT: cx(a,b) then cx(b,a)";
    Gpi = "gpi", aliases [], qubits 1, params ["phi"], qelib1 false, matrices::gpi,
        "IonQ GPI(φ) = [[0, e^{-iφ}], [e^{iφ}, 0]]: π rotation about cos(φ)X + sin(φ)Y (φ in radians)";
    Gpi2 = "gpi2", aliases [], qubits 1, params ["phi"], qelib1 false, matrices::gpi2,
        "IonQ GPI2(φ): π/2 rotation about cos(φ)X + sin(φ)Y, equal to r(π/2, φ) (φ in radians)";
    Ms = "ms", aliases [], qubits 2, params ["phi0", "phi1", "theta"], qelib1 false, matrices::ms,
        "IonQ Mølmer–Sørensen exp(-iθ/2·σ(φ0)⊗σ(φ1)), σ(φ) = cos(φ)X + sin(φ)Y; θ = π/2 is fully entangling";
    Fsim = "fsim", aliases [], qubits 2, params ["theta", "phi"], qelib1 false, matrices::fsim,
        "Google fSim(θ,φ): iSWAP-like rotation by θ on |01⟩,|10⟩ and phase e^{-iφ} on |11⟩";
    SqrtIswap = "sqrt_iswap", aliases ["siswap"], qubits 2, params [], qelib1 false, matrices::sqrt_iswap,
        "Square root of iSWAP (Google), equal to fsim(-π/4, 0)";
    PhasedXZ = "phased_x_z", aliases [], qubits 1, params ["x", "z", "a"], qelib1 false, matrices::phased_x_z,
        "Google PhasedXZ: Z^z·Z^a·X^x·Z^-a with Cirq's exponents in half-turns (X^t = e^{iπt/2}·rx(πt))";
    Ccx = "ccx", aliases ["toffoli"], qubits 3, params [], qelib1 true, matrices::ccx,
        "Toffoli: doubly controlled X";
    Cswap = "cswap", aliases ["fredkin"], qubits 3, params [], qelib1 true, matrices::cswap,
        "Fredkin: controlled swap";
    Ccz = "ccz", aliases [], qubits 3, params [], qelib1 false, matrices::ccz,
        "Doubly controlled Z";
    Rccx = "rccx", aliases [], qubits 3, params [], qelib1 true, matrices::rccx,
        "Simplified Toffoli (Margolus), equal to ccx up to relative phases";
    Rc3x = "rc3x", aliases ["rcccx"], qubits 4, params [], qelib1 true, matrices::rc3x,
        "Simplified 3-controlled X, equal to c3x up to relative phases";
    C3x = "c3x", aliases ["mcx"], qubits 4, params [], qelib1 true, matrices::c3x,
        "Triply controlled X";
    C3sqrtx = "c3sqrtx", aliases [], qubits 4, params [], qelib1 true, matrices::c3sqrtx,
        "Triply controlled sqrt(X)";
    C4x = "c4x", aliases [], qubits 5, params [], qelib1 true, matrices::c4x,
        "Quadruply controlled X";
}

impl StandardGate {
    /// Every gate, in table order.
    pub fn all() -> impl Iterator<Item = StandardGate> {
        TABLE.iter().map(|d| d.gate)
    }

    /// This gate's row of the table.
    pub fn def(self) -> &'static GateDef {
        &TABLE[self as usize]
    }

    /// Canonical name.
    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// Number of qubits.
    pub fn num_qubits(self) -> usize {
        self.def().num_qubits
    }

    /// Number of parameters.
    pub fn num_params(self) -> usize {
        self.def().params.len()
    }

    /// The unitary for the given parameters.
    ///
    /// # Panics
    /// If `params.len()` differs from [`StandardGate::num_params`].
    pub fn matrix(self, params: &[f64]) -> Matrix {
        assert_eq!(params.len(), self.num_params(), "wrong parameter count for {}", self.name());
        (self.def().matrix)(params)
    }

    /// Looks a gate up by canonical name or alias (case-sensitive, as in OpenQASM).
    pub fn from_name(name: &str) -> Option<StandardGate> {
        TABLE.iter().find(|d| d.name == name || d.aliases.contains(&name)).map(|d| d.gate)
    }
}

/// The whole table, in order.
pub fn table() -> &'static [GateDef] {
    TABLE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_indexed_by_variant() {
        for (i, d) in TABLE.iter().enumerate() {
            assert_eq!(d.gate as usize, i, "row {} out of order", d.name);
            assert_eq!(StandardGate::from_name(d.name), Some(d.gate));
        }
    }

    #[test]
    fn every_matrix_is_unitary_and_sized() {
        for d in TABLE {
            let params: Vec<f64> = (0..d.params.len()).map(|i| 0.3 + 0.7 * i as f64).collect();
            let m = (d.matrix)(&params);
            assert_eq!(m.dim(), 1 << d.num_qubits, "{}", d.name);
            assert!(m.is_unitary(1e-12), "{} is not unitary", d.name);
        }
    }
}
