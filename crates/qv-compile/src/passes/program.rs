//! The working form the passes transform: a flat list of [`Op`]s with numeric
//! parameters.
//!
//! A [`qv_circuit::Circuit`] keeps symbolic parameters and user gate
//! definitions so it exports as written; the passes need neither. A
//! [`Program`] is the circuit flattened to table gates with every parameter
//! evaluated once, plus the global phase. The pass manager converts once,
//! runs every pass on the `Program` and converts back; each public
//! `run_<pass>` does the same round trip for a single pass.
//!
//! [`Wires`] indexes a program by qubit (the ops on each wire, in order), the
//! DAG view that commutation analysis and block collection walk.

use qv_circuit::{Circuit, Condition, Expr, GateRef, Instruction, Matrix, Operation, StandardGate};

use crate::error::CompileError;

/// What an [`Op`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// A table gate.
    Gate(StandardGate),
    /// Measure `qubits[0]` into `clbits[0]`.
    Measure,
    /// Reset `qubits[0]` to |0⟩.
    Reset,
    /// A barrier on `qubits`.
    Barrier,
}

/// One instruction with evaluated parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Op {
    /// The operation.
    pub kind: OpKind,
    /// Parameter values (gates only).
    pub params: Vec<f64>,
    /// Qubits, in argument order.
    pub qubits: Vec<usize>,
    /// Classical bits written (measure only).
    pub clbits: Vec<usize>,
    /// Classical condition, if any.
    pub condition: Option<Condition>,
}

impl Op {
    /// An unconditioned gate.
    pub fn gate(gate: StandardGate, params: Vec<f64>, qubits: Vec<usize>) -> Op {
        Op { kind: OpKind::Gate(gate), params, qubits, clbits: vec![], condition: None }
    }

    /// The table gate, if this is a gate.
    pub fn standard_gate(&self) -> Option<StandardGate> {
        match self.kind {
            OpKind::Gate(g) => Some(g),
            _ => None,
        }
    }

    /// The gate when this is an unconditioned gate: the only ops that
    /// optimisations may merge, move or remove.
    pub fn free_gate(&self) -> Option<StandardGate> {
        match self.kind {
            OpKind::Gate(g) if self.condition.is_none() => Some(g),
            _ => None,
        }
    }

    /// Whether this is an unconditioned gate on exactly `n` qubits.
    pub fn is_free_gate_on(&self, n: usize) -> bool {
        self.free_gate().is_some() && self.qubits.len() == n
    }

    /// The unitary of a gate op on its own qubits (argument `j` is bit `j`).
    ///
    /// # Panics
    /// If the op is not a gate.
    pub fn matrix(&self) -> Matrix {
        match self.kind {
            OpKind::Gate(g) => g.matrix(&self.params),
            other => panic!("{other:?} has no matrix"),
        }
    }
}

/// A circuit in the passes' working form.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// Number of qubits.
    pub num_qubits: usize,
    /// The instructions, in program order.
    pub ops: Vec<Op>,
    /// Global phase in radians.
    pub global_phase: f64,
}

impl Program {
    /// Flattens `circuit` (custom gates expanded to table gates) and evaluates
    /// every parameter. Errors on opaque gates and parameters that are not
    /// finite numbers.
    pub fn from_circuit(circuit: &Circuit) -> Result<Program, CompileError> {
        let has_custom = circuit
            .instructions()
            .iter()
            .any(|i| matches!(i.op, Operation::Gate { gate: GateRef::Custom(_), .. }));
        let flat;
        let source = if has_custom {
            flat = circuit.flatten()?;
            &flat
        } else {
            circuit
        };
        let mut ops = Vec::with_capacity(source.instructions().len());
        for inst in source.instructions() {
            let (kind, params) = match &inst.op {
                Operation::Gate { gate: GateRef::Standard(g), params } => {
                    (OpKind::Gate(*g), eval_params(*g, params)?)
                }
                Operation::Gate { gate: GateRef::Custom(i), .. } => {
                    return Err(CompileError::Circuit(qv_circuit::CircuitError::NoSuchGate(*i)))
                }
                Operation::Measure => (OpKind::Measure, vec![]),
                Operation::Reset => (OpKind::Reset, vec![]),
                Operation::Barrier => (OpKind::Barrier, vec![]),
            };
            ops.push(Op {
                kind,
                params,
                qubits: inst.qubits.clone(),
                clbits: inst.clbits.clone(),
                condition: inst.condition,
            });
        }
        Ok(Program { num_qubits: source.num_qubits(), ops, global_phase: source.global_phase })
    }

    /// Builds a circuit with `template`'s registers (which must cover
    /// [`Program::num_qubits`] qubits) holding these ops.
    pub fn to_circuit(&self, template: &Circuit) -> Result<Circuit, CompileError> {
        let mut out = Circuit::empty();
        for r in template.qregs() {
            out.add_qreg(&r.name, r.size)?;
        }
        for r in template.cregs() {
            out.add_creg(&r.name, r.size)?;
        }
        if out.num_qubits() != self.num_qubits {
            return Err(CompileError::InvalidOption(format!(
                "internal: a program on {} qubits cannot be written to registers of {} qubits",
                self.num_qubits,
                out.num_qubits()
            )));
        }
        out.global_phase = normalize_phase(self.global_phase);
        for op in &self.ops {
            let op_kind = match op.kind {
                OpKind::Gate(g) => Operation::Gate {
                    gate: GateRef::Standard(g),
                    params: op.params.iter().map(|&p| Expr::Const(p)).collect(),
                },
                OpKind::Measure => Operation::Measure,
                OpKind::Reset => Operation::Reset,
                OpKind::Barrier => Operation::Barrier,
            };
            out.push(Instruction {
                op: op_kind,
                qubits: op.qubits.clone(),
                clbits: op.clbits.clone(),
                condition: op.condition,
            })?;
        }
        Ok(out)
    }

    /// Adds `phase` to the global phase.
    pub fn add_phase(&mut self, phase: f64) {
        self.global_phase = normalize_phase(self.global_phase + phase);
    }

    /// Number of gates on two or more qubits.
    pub fn count_multi_qubit_gates(&self) -> usize {
        self.ops.iter().filter(|o| matches!(o.kind, OpKind::Gate(_)) && o.qubits.len() >= 2).count()
    }
}

/// Runs `pass` on the working form of `circuit` and converts back, keeping
/// the circuit's registers.
pub(crate) fn round_trip(
    circuit: &Circuit,
    pass: impl FnOnce(&mut Program) -> Result<(), CompileError>,
) -> Result<Circuit, CompileError> {
    let mut program = Program::from_circuit(circuit)?;
    pass(&mut program)?;
    program.to_circuit(circuit)
}

fn eval_params(gate: StandardGate, params: &[Expr]) -> Result<Vec<f64>, CompileError> {
    params
        .iter()
        .map(|p| match p.eval_const() {
            Ok(v) if v.is_finite() => Ok(v),
            Ok(v) => Err(CompileError::InvalidOption(format!(
                "parameter of gate `{}` is not a finite number ({v})",
                gate.name()
            ))),
            Err(source) => Err(CompileError::Circuit(qv_circuit::CircuitError::Param {
                gate: gate.name().to_string(),
                source,
            })),
        })
        .collect()
}

/// `phase` reduced to `(-π, π]`.
pub fn normalize_phase(phase: f64) -> f64 {
    use std::f64::consts::{PI, TAU};
    let r = phase.rem_euclid(TAU);
    if r > PI {
        r - TAU
    } else {
        r
    }
}

/// Entry tolerance below which a matrix counts as the identity (up to phase).
pub const IDENTITY_TOLERANCE: f64 = 1e-10;

/// `Some(φ)` when `m = e^{iφ}·I` within [`IDENTITY_TOLERANCE`] per entry.
pub fn identity_phase(m: &Matrix) -> Option<f64> {
    identity_phase_by(m.dim(), |r, c| m.get(r, c))
}

/// [`identity_phase`] for a fixed-size matrix (no allocation).
pub fn identity_phase_array<const N: usize>(m: &[[qv_circuit::C64; N]; N]) -> Option<f64> {
    identity_phase_by(N, |r, c| m[r][c])
}

fn identity_phase_by(d: usize, get: impl Fn(usize, usize) -> qv_circuit::C64) -> Option<f64> {
    let tr: qv_circuit::C64 = (0..d).map(|i| get(i, i)).sum();
    if tr.norm() < 0.5 {
        return None;
    }
    let phase = tr / tr.norm();
    for r in 0..d {
        for c in 0..d {
            let expect = if r == c { phase } else { qv_circuit::C64::new(0.0, 0.0) };
            if (get(r, c) - expect).norm() > IDENTITY_TOLERANCE {
                return None;
            }
        }
    }
    Some(phase.arg())
}

/// The ops on each qubit wire, in program order: the DAG's wire view.
#[derive(Clone, Debug)]
pub struct Wires {
    /// `on[q]`: indices into the program's ops that touch qubit `q`.
    pub on: Vec<Vec<usize>>,
}

impl Wires {
    /// Indexes `program` by wire.
    pub fn of(program: &Program) -> Wires {
        let mut on = vec![Vec::new(); program.num_qubits];
        for (i, op) in program.ops.iter().enumerate() {
            for &q in &op.qubits {
                on[q].push(i);
            }
        }
        Wires { on }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qv_circuit::qasm2;

    #[test]
    fn round_trip_keeps_registers_conditions_and_values() {
        let src =
            "OPENQASM 2.0;\ninclude \"qelib1.inc\";\ngate g(a) x, y { rz(a/2) x; cx x, y; }\n\
                   qreg a[1];\nqreg b[2];\ncreg c[2];\ng(pi) a[0], b[1];\nmeasure b[1] -> c[1];\n\
                   if (c == 2) x b[0];\nbarrier a[0], b[0];\nreset b[1];\n";
        let circuit = qasm2::parse(src, "t.qasm").unwrap();
        let p = Program::from_circuit(&circuit).unwrap();
        assert_eq!(p.num_qubits, 3);
        assert_eq!(p.ops.len(), 6);
        assert_eq!(p.ops[0].kind, OpKind::Gate(StandardGate::Rz));
        assert_eq!(p.ops[0].params, vec![std::f64::consts::FRAC_PI_2]);
        assert_eq!(p.ops[1].qubits, vec![0, 2]);
        assert_eq!(p.ops[3].condition, Some(Condition { creg: 0, value: 2 }));
        let back = p.to_circuit(&circuit).unwrap();
        assert_eq!(back.qregs(), circuit.qregs());
        assert_eq!(back.cregs(), circuit.cregs());
        assert_eq!(back.instructions().len(), 6);
        assert!(back.gate_definitions().is_empty());
    }

    #[test]
    fn opaque_gates_are_an_error() {
        let src = "OPENQASM 2.0;\nopaque magic q;\nqreg q[1];\nmagic q[0];\n";
        let circuit = qasm2::parse(src, "t.qasm").unwrap();
        assert_eq!(
            Program::from_circuit(&circuit).unwrap_err().to_string(),
            "gate `magic` is opaque: it has no definition, so it cannot be simulated"
        );
    }

    #[test]
    fn identity_phase_detects_scalar_matrices() {
        let m = StandardGate::Rz.matrix(&[2.0 * std::f64::consts::PI]);
        let phase = identity_phase(&m).unwrap();
        assert!((normalize_phase(phase) - std::f64::consts::PI).abs() < 1e-12);
        assert_eq!(identity_phase(&StandardGate::Rz.matrix(&[1e-6])), None);
        assert_eq!(identity_phase(&StandardGate::X.matrix(&[])), None);
    }

    #[test]
    fn phases_normalize_into_half_open_interval() {
        use std::f64::consts::PI;
        assert!((normalize_phase(3.0 * PI) - PI).abs() < 1e-12);
        assert!((normalize_phase(-PI) - PI).abs() < 1e-12);
        assert!((normalize_phase(0.5) - 0.5).abs() < 1e-15);
    }
}
