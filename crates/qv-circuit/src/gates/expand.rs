//! Operations on decompositions: full expansion to `U` + `CX`, inversion, and
//! evaluation to a matrix.
//!
//! Inversion reverses a body and replaces each gate by its table inverse
//! ([`inverse`]); a gate without one (e.g. `iswap`,
//! `c3sqrtx`) is replaced by its own inverted decomposition, recursively. The
//! recursion ends because `U` and `CX` always have table inverses.

use super::decompose::{decomposition, DecompOp, Decomposition};
use super::inverse::inverse;
use super::StandardGate;
use crate::expr::{Expr, ExprError};
use crate::matrix::{Matrix, C64};

/// `a + b`, leaving out literal zeros so phases stay readable.
fn add_phase(a: Expr, b: Expr) -> Expr {
    match (&a, &b) {
        (Expr::Const(x), _) if *x == 0.0 => b,
        (_, Expr::Const(y)) if *y == 0.0 => a,
        _ => a + b,
    }
}

/// `-a`, keeping a literal zero as it is.
fn neg_phase(a: &Expr) -> Expr {
    match a {
        Expr::Const(x) if *x == 0.0 => Expr::val(0.0),
        Expr::Neg(inner) => (**inner).clone(),
        _ => -a.clone(),
    }
}

/// Appends `body`, whose qubits index `qubits`, to `ops` and returns its phase.
fn inline(ops: &mut Vec<DecompOp>, body: Decomposition, qubits: &[usize]) -> Expr {
    ops.extend(
        body.ops.into_iter().map(|(g, p, q)| (g, p, q.into_iter().map(|i| qubits[i]).collect())),
    );
    body.global_phase
}

impl Decomposition {
    /// The identity-phase body `gate(params)` on its own qubits `0..n`.
    pub fn single(gate: StandardGate, params: Vec<Expr>) -> Decomposition {
        let qubits = (0..gate.num_qubits()).collect();
        Decomposition { global_phase: Expr::val(0.0), ops: vec![(gate, params, qubits)] }
    }

    /// The inverse body: gates reversed and each inverted, phase negated.
    /// Gates without a table inverse are replaced by their inverted
    /// decomposition, so the result may hold more gates than `self`.
    pub fn inverse(&self) -> Decomposition {
        let mut phase = neg_phase(&self.global_phase);
        let mut ops = Vec::with_capacity(self.ops.len());
        for (gate, params, qubits) in self.ops.iter().rev() {
            let body = inverse_of(*gate, params);
            phase = add_phase(phase, inline(&mut ops, body, qubits));
        }
        Decomposition { global_phase: phase, ops }
    }

    /// This body with every gate expanded recursively to `U` and `CX`.
    pub fn expand(&self) -> Decomposition {
        let mut phase = self.global_phase.clone();
        let mut ops = Vec::new();
        for (gate, params, qubits) in &self.ops {
            let body = expand_to_primitives(*gate, params);
            phase = add_phase(phase, inline(&mut ops, body, qubits));
        }
        Decomposition { global_phase: phase, ops }
    }

    /// The unitary of this body on `num_qubits` qubits, with `values` bound to
    /// any `Expr::Param` in its parameters.
    ///
    /// # Errors
    /// When a parameter or the phase does not evaluate (unbound or non-finite).
    ///
    /// # Panics
    /// If an op names a qubit `>= num_qubits`.
    pub fn matrix(&self, num_qubits: usize, values: &[f64]) -> Result<Matrix, ExprError> {
        let mut m = Matrix::identity(1 << num_qubits);
        for (gate, params, qubits) in &self.ops {
            let p = params.iter().map(|e| e.eval(values)).collect::<Result<Vec<_>, _>>()?;
            m = gate.matrix(&p).embed(qubits, num_qubits).mul(&m);
        }
        let phase = self.global_phase.eval(values)?;
        Ok(m.scale(C64::from_polar(1.0, phase)))
    }
}

/// `gate(params)` expanded recursively to the primitives `U` and `CX`, on the
/// gate's own qubits `0..n`, with the accumulated global phase. `U` and `CX`
/// come back as themselves.
///
/// # Panics
/// If `params.len()` differs from [`StandardGate::num_params`].
pub fn expand_to_primitives(gate: StandardGate, params: &[Expr]) -> Decomposition {
    match decomposition(gate, params) {
        Some(body) => body.expand(),
        None => Decomposition::single(gate, params.to_vec()),
    }
}

/// The inverse of `gate(params)` as a body on the gate's qubits `0..n`: the
/// table inverse when one exists, otherwise the inverted decomposition.
///
/// # Panics
/// If `params.len()` differs from [`StandardGate::num_params`].
pub fn inverse_of(gate: StandardGate, params: &[Expr]) -> Decomposition {
    if let Some((inv, inv_params)) = inverse(gate, params) {
        return Decomposition::single(inv, inv_params);
    }
    match decomposition(gate, params) {
        Some(body) => body.inverse(),
        // Only U and CX lack a decomposition, and both have table inverses
        // (checked over the whole table by tests/gate_table.rs).
        None => unreachable!("{} has neither a table inverse nor a decomposition", gate.name()),
    }
}
