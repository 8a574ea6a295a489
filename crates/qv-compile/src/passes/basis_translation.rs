//! Basis translation: every gate into the target's native gates.
//!
//! [`NativeGates`] reads a target once: its native set, the Euler basis its
//! one-qubit gates can express ([`EulerBasis::for_gates`]) and the two-qubit
//! synthesis basis of its native two-qubit gate ([`TwoQubitBasis`]).
//! Translation then keeps native gates (a two-qubit gate only in a direction
//! the coupling allows) and replaces the others:
//! - gates on three or more qubits are unrolled through the gate table first;
//! - a two-qubit gate becomes its KAK synthesis with the fewest native
//!   two-qubit gates, oriented so that every native gate runs in an allowed
//!   direction (this also fixes natives used the wrong way round);
//! - a one-qubit gate becomes its Euler synthesis.
//!
//! When the target has no such basis (say only `h` and `cx`), gates fall back
//! to the gate table's decompositions, which succeed only if they reach
//! native gates; otherwise the error names the gate and why. Conditioned
//! gates translate gate by gate and keep their condition.

use std::collections::HashMap;

use qv_circuit::{Circuit, StandardGate};

use super::program::{round_trip, Op, OpKind, Program};
use super::unroll::{unroll, unroll_3q};
use crate::error::CompileError;
use crate::synthesis::linalg::{to_mat4, Mat4};
use crate::synthesis::one_qubit::{gate_mat2, synthesize_mat2};
use crate::synthesis::{EulerBasis, TwoQubitBasis};
use crate::target::Target;

/// What a target can run, prepared for translation and synthesis.
#[derive(Clone, Debug)]
pub struct NativeGates<'t> {
    target: &'t Target,
    euler: Option<EulerBasis>,
    two_qubit: Option<TwoQubitBasis>,
}

impl<'t> NativeGates<'t> {
    /// Reads `target`'s native gates.
    pub fn of(target: &'t Target) -> Result<NativeGates<'t>, CompileError> {
        let basis = target.basis_gates();
        Ok(NativeGates {
            target,
            euler: EulerBasis::for_gates(basis),
            two_qubit: TwoQubitBasis::for_gates(basis),
        })
    }

    /// The target.
    pub fn target(&self) -> &'t Target {
        self.target
    }

    /// The native gates.
    pub fn basis(&self) -> &[StandardGate] {
        self.target.basis_gates()
    }

    /// The Euler basis of the native one-qubit gates, if they are universal.
    pub fn euler(&self) -> Option<EulerBasis> {
        self.euler
    }

    /// The two-qubit synthesis basis, if the target has a usable two-qubit gate.
    pub fn two_qubit(&self) -> Option<&TwoQubitBasis> {
        self.two_qubit.as_ref()
    }

    /// Whether `g` is native.
    pub fn supports(&self, g: StandardGate) -> bool {
        self.target.supports(g)
    }
}

/// Whether `op` can run on the target as it is: measurements, resets and
/// barriers always; gates when native, on at most two qubits, and two-qubit
/// gates in an allowed direction (or on a pair the target does not couple
/// at all, which is routing's business, not translation's).
pub fn is_native(op: &Op, native: &NativeGates) -> bool {
    let OpKind::Gate(g) = op.kind else { return true };
    if !native.supports(g) || op.qubits.len() > 2 {
        return false;
    }
    match op.qubits[..] {
        [a, b] => native.target.allows(a, b) || !native.target.allows(b, a),
        _ => true,
    }
}

/// Translates every gate into `native`'s gates (see the module docs).
pub fn basis_translation(program: &mut Program, native: &NativeGates) -> Result<(), CompileError> {
    if program.ops.iter().all(|op| is_native(op, native)) {
        return Ok(());
    }
    if program.ops.iter().any(|op| op.qubits.len() > 2 && op.standard_gate().is_some()) {
        unroll_3q(program)?;
    }
    let mut out = Vec::with_capacity(program.ops.len() * 2);
    let mut phase = 0.0;
    let mut cache = SynthesisCache::default();
    for op in std::mem::take(&mut program.ops) {
        if is_native(&op, native) {
            out.push(op);
            continue;
        }
        let added = match op.qubits.len() {
            2 => translate_2q(&op, native, &mut cache, &mut out)?,
            _ => translate_1q(&op, native, &mut out)?,
        };
        if op.condition.is_none() {
            phase += added;
        }
    }
    program.ops = out;
    program.add_phase(phase);
    Ok(())
}

fn unsupported(op: &Op, native: &NativeGates, reason: String) -> CompileError {
    CompileError::UnsupportedGate {
        gate: op.standard_gate().map_or("?", |g| g.name()).to_string(),
        target: native.target.name().to_string(),
        reason,
    }
}

fn gate_list(gates: &[StandardGate]) -> String {
    gates.iter().map(|g| g.name()).collect::<Vec<_>>().join(", ")
}

/// Appends the translation of a one-qubit gate; returns its global phase.
fn translate_1q(op: &Op, native: &NativeGates, out: &mut Vec<Op>) -> Result<f64, CompileError> {
    let Some(g) = op.standard_gate() else {
        out.push(op.clone());
        return Ok(0.0);
    };
    match native.euler {
        Some(basis) => {
            let seq = synthesize_mat2(&gate_mat2(g, &op.params), basis);
            out.extend(seq.iter().map(|(h, p)| Op {
                kind: OpKind::Gate(h),
                params: p.to_vec(),
                qubits: op.qubits.clone(),
                clbits: vec![],
                condition: op.condition,
            }));
            Ok(seq.phase)
        }
        None => table_fallback(op, native, out).map_err(|_| {
            let ones: Vec<StandardGate> =
                native.basis().iter().copied().filter(|g| g.num_qubits() == 1).collect();
            let reason = if ones.is_empty() {
                "the target has no one-qubit gates".to_string()
            } else {
                format!(
                    "the native one-qubit gates ({}) cannot build arbitrary rotations",
                    gate_list(&ones)
                )
            };
            unsupported(op, native, reason)
        }),
    }
}

/// Appends the translation of a two-qubit gate; returns its global phase.
/// Gate, parameter bits and whether the native gates run reversed.
type CacheKey = (StandardGate, [u64; 4], bool);

/// Syntheses of the two-qubit gates translated so far, by gate, parameters
/// and orientation: a routed circuit repeats the same few gates (`swap`
/// above all) many times.
#[derive(Debug, Default)]
struct SynthesisCache {
    /// Ops on local qubits 0 (the gate's first) and 1, with the phase.
    entries: HashMap<CacheKey, (f64, Vec<Op>)>,
}

fn translate_2q(
    op: &Op,
    native: &NativeGates,
    cache: &mut SynthesisCache,
    out: &mut Vec<Op>,
) -> Result<f64, CompileError> {
    let (a, b) = (op.qubits[0], op.qubits[1]);
    let Some(basis) = native.two_qubit.as_ref().filter(|_| native.euler.is_some()) else {
        return table_fallback(op, native, out).map_err(|_| {
            let twos: Vec<StandardGate> =
                native.basis().iter().copied().filter(|g| g.num_qubits() == 2).collect();
            let reason = if twos.is_empty() {
                "the target has no two-qubit gate".to_string()
            } else if native.euler.is_none() {
                "the native one-qubit gates cannot build arbitrary rotations".to_string()
            } else {
                format!("no synthesis into its two-qubit gates ({}) is known", gate_list(&twos))
            };
            unsupported(op, native, reason)
        });
    };
    let reversed = !native.target.allows(a, b) && native.target.allows(b, a);
    let mut bits = [0u64; 4];
    let gate = op.standard_gate().unwrap_or(StandardGate::Id);
    let cacheable = op.params.len() <= bits.len();
    for (slot, p) in bits.iter_mut().zip(&op.params) {
        *slot = p.to_bits();
    }
    let key = (gate, bits, reversed);
    if !cacheable || !cache.entries.contains_key(&key) {
        let u =
            to_mat4(&op.matrix()).ok_or_else(|| unsupported(op, native, "bad matrix".into()))?;
        // Synthesised on local qubits 0 and 1 with the same orientation rule.
        let (added, ops) = synthesize_oriented(&u, reversed, basis)?;
        if !cacheable {
            emit_local(&ops, a, b, op.condition, out);
            return Ok(added);
        }
        cache.entries.insert(key, (added, ops));
    }
    let (added, ops) = &cache.entries[&key];
    emit_local(ops, a, b, op.condition, out);
    Ok(*added)
}

/// Appends ops on local qubits 0/1 mapped to `a`/`b`, with `condition`.
fn emit_local(
    ops: &[Op],
    a: usize,
    b: usize,
    condition: Option<qv_circuit::Condition>,
    out: &mut Vec<Op>,
) {
    out.extend(ops.iter().map(|o| Op {
        kind: o.kind,
        params: o.params.clone(),
        qubits: o.qubits.iter().map(|&l| if l == 0 { a } else { b }).collect(),
        clbits: vec![],
        condition,
    }));
}

/// Synthesises `u` on local qubits 0 and 1, with every native two-qubit
/// gate on `[1, 0]` when `reversed` and on `[0, 1]` otherwise.
fn synthesize_oriented(
    u: &Mat4,
    reversed: bool,
    basis: &TwoQubitBasis,
) -> Result<(f64, Vec<Op>), CompileError> {
    let synth = if reversed {
        let perm = [0, 2, 1, 3];
        let swapped: Mat4 = std::array::from_fn(|r| std::array::from_fn(|c| u[perm[r]][perm[c]]));
        basis.synthesize(&swapped)?
    } else {
        basis.synthesize(u)?
    };
    let ops = synth
        .ops
        .into_iter()
        .map(|(g, p, q)| {
            let local = q.iter().map(|&l| if reversed { 1 - l } else { l }).collect();
            Op::gate(g, p, local)
        })
        .collect();
    Ok((synth.global_phase, ops))
}

/// Synthesises `u` (qubit 0 = `a`, qubit 1 = `b`) with every native
/// two-qubit gate in a direction the target allows. Returns the global phase
/// and the ops on `a` and `b`.
pub(crate) fn synthesize_on(
    u: &Mat4,
    a: usize,
    b: usize,
    basis: &TwoQubitBasis,
    native: &NativeGates,
) -> Result<(f64, Vec<Op>), CompileError> {
    // The basis gates come out on [0, 1]; swap roles when only b→a is allowed.
    let reversed = !native.target.allows(a, b) && native.target.allows(b, a);
    let (phase, local) = synthesize_oriented(u, reversed, basis)?;
    let mut ops = Vec::with_capacity(local.len());
    emit_local(&local, a, b, None, &mut ops);
    Ok((phase, ops))
}

/// Expands `op` through the gate table until every gate is native.
fn table_fallback(op: &Op, native: &NativeGates, out: &mut Vec<Op>) -> Result<f64, CompileError> {
    let mut single = Program { num_qubits: 0, ops: vec![op.clone()], global_phase: 0.0 };
    single.num_qubits = op.qubits.iter().max().map_or(0, |m| m + 1);
    unroll(&mut single, |g| native.supports(g), native.target.name())?;
    out.extend(single.ops);
    Ok(if op.condition.is_none() { single.global_phase } else { 0.0 })
}

/// [`basis_translation`] on a circuit for `target`.
pub fn run_basis_translation(circuit: &Circuit, target: &Target) -> Result<Circuit, CompileError> {
    let native = NativeGates::of(target)?;
    round_trip(circuit, |p| basis_translation(p, &native))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::CouplingMap;

    #[test]
    fn gates_become_native_in_allowed_directions() {
        let map = CouplingMap::new(2, &[(1, 0)], true).unwrap();
        let t = Target::new(
            "dir",
            &[StandardGate::Ecr, StandardGate::Rz, StandardGate::Sx, StandardGate::X],
            map,
        )
        .unwrap();
        let c = Circuit::new(2).h(0).cx(0, 1).gate(StandardGate::Ecr, &[], &[0, 1]);
        let out = run_basis_translation(&c, &t).unwrap();
        let p = Program::from_circuit(&out).unwrap();
        for op in &p.ops {
            let g = op.standard_gate().unwrap();
            assert!(t.supports(g), "{}", g.name());
            if op.qubits.len() == 2 {
                assert_eq!(op.qubits, vec![1, 0]);
            }
        }
        // cx → 1 ecr, ecr the wrong way → 1 ecr.
        assert_eq!(p.count_multi_qubit_gates(), 2);
    }
}
