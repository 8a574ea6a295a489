//! Lowering a circuit to stabilizer operations, with the Clifford check.
//!
//! The circuit is lowered by the simulator's common [`Program`] (flattening,
//! validation, matrices); each gate's matrix is then turned into its Clifford
//! action ([`Clifford`]) or rejected with [`SimError::NotClifford`], which
//! names the gate, the instruction of the *original* circuit (custom gate
//! calls are expanded, so flat positions are mapped back) and its qubits.

use std::ops::Range;
use std::sync::Arc;

use qv_circuit::{BodyOp, Circuit, GateRef, Operation, StandardGate};

use super::clifford::{Clifford, CliffordCache};
use crate::error::SimError;
use crate::program::{Kind, Program};

/// `register == value` on the flat classical bits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Condition {
    /// The register's bits, bit 0 first.
    pub bits: Range<usize>,
    /// The compared value (register bit 0 least significant).
    pub value: u64,
}

impl Condition {
    /// Whether the value fits in the register at all.
    pub fn satisfiable(&self) -> bool {
        self.bits.len() >= 64 || self.value >> self.bits.len() == 0
    }

    /// Whether `clbits` holds the value.
    pub fn holds(&self, clbits: &[bool]) -> bool {
        self.satisfiable()
            && self.bits.clone().enumerate().all(|(j, b)| clbits[b] == (j < 64 && (self.value >> j) & 1 == 1))
    }
}

/// What one stabilizer operation does.
#[derive(Clone, Debug)]
pub(crate) enum StabKind {
    /// A Clifford gate; gate qubit `j` is `qubits[j]`.
    Gate {
        /// The table gate (for noise lookups by name).
        gate: StandardGate,
        /// Its conjugation actions.
        clifford: Arc<Clifford>,
        /// Qubits, in gate order.
        qubits: Vec<usize>,
    },
    /// Measure `qubit` into `clbit`.
    Measure {
        /// Measured qubit.
        qubit: usize,
        /// Written classical bit.
        clbit: usize,
        /// Whether nothing later touches the qubit or reads a condition, so
        /// the measurement does not change the state seen by later operations.
        terminal: bool,
    },
    /// Reset `qubit` to `|0⟩`.
    Reset {
        /// Reset qubit.
        qubit: usize,
    },
}

/// One operation with its classical condition.
#[derive(Clone, Debug)]
pub(crate) struct StabOp {
    /// The operation.
    pub kind: StabKind,
    /// Run only when this holds.
    pub condition: Option<Condition>,
}

impl StabOp {
    /// For a gate that is a Pauli up to phase, its `(x, z)` bits per gate qubit.
    pub fn pauli(&self) -> Option<(u8, u8)> {
        match &self.kind {
            StabKind::Gate { clifford, .. } => clifford.forward.as_pauli(),
            _ => None,
        }
    }
}

/// A circuit lowered for the stabilizer backend.
#[derive(Clone, Debug)]
pub(crate) struct StabProgram {
    /// The flattened circuit (registers, names).
    pub circuit: Circuit,
    /// Operations in order, barriers dropped.
    pub ops: Vec<StabOp>,
}

impl StabProgram {
    /// Lowers `circuit`, rejecting non-Clifford gates.
    pub fn lower(circuit: &Circuit) -> Result<Self, SimError> {
        let program = Program::lower(circuit)?;
        let mut cache = CliffordCache::default();
        let mut ops = Vec::with_capacity(program.ops.len());
        let flat = &program.circuit;
        for op in &program.ops {
            let inst = &flat.instructions()[op.source];
            let condition = inst.condition.map(|c| Condition {
                bits: flat.cregs()[c.creg].bits(),
                value: c.value,
            });
            let kind = match &op.kind {
                Kind::Gate { matrix, qubits } => {
                    let gate = match inst.op {
                        Operation::Gate { gate: GateRef::Standard(g), .. } => g,
                        // `Program::lower` only emits gates of the table.
                        _ => return Err(not_clifford(circuit, op.source, "?", qubits)),
                    };
                    let Some(clifford) = cache.get(matrix) else {
                        return Err(not_clifford(circuit, op.source, gate.name(), qubits));
                    };
                    StabKind::Gate { gate, clifford, qubits: qubits.clone() }
                }
                Kind::Measure { qubit, clbit, deferred } => {
                    StabKind::Measure { qubit: *qubit, clbit: *clbit, terminal: *deferred }
                }
                Kind::Reset { qubit } => StabKind::Reset { qubit: *qubit },
            };
            ops.push(StabOp { kind, condition });
        }
        Ok(Self { circuit: program.circuit, ops })
    }

    /// Number of qubits.
    pub fn num_qubits(&self) -> usize {
        self.circuit.num_qubits()
    }

    /// Number of classical bits.
    pub fn num_clbits(&self) -> usize {
        self.circuit.num_clbits()
    }
}

/// The error for a non-Clifford gate at flat position `flat_index`.
fn not_clifford(circuit: &Circuit, flat_index: usize, gate: &str, qubits: &[usize]) -> SimError {
    let instruction = original_index(circuit, flat_index);
    let names: Vec<String> = qubits.iter().map(|&q| circuit.qubit_name(q)).collect();
    let called = format!("{gate} {}", names.join(", "));
    let location = match circuit.instructions().get(instruction) {
        Some(inst) => {
            let text = describe(circuit, instruction);
            match inst.op {
                Operation::Gate { gate: GateRef::Custom(_), .. } => {
                    format!("instruction {instruction} (`{text}`, which expands to `{called}`)")
                }
                _ => format!("instruction {instruction} (`{text}`)"),
            }
        }
        None => format!("instruction {instruction} (`{called}`)"),
    };
    SimError::NotClifford { gate: gate.to_string(), instruction, qubits: qubits.to_vec(), location }
}

/// An instruction of `circuit` as OpenQASM-like text, e.g. `rz(pi/4) q[1]`.
fn describe(circuit: &Circuit, index: usize) -> String {
    let inst = &circuit.instructions()[index];
    let qubits: Vec<String> = inst.qubits.iter().map(|&q| circuit.qubit_name(q)).collect();
    let Operation::Gate { gate, params } = &inst.op else {
        return qubits.join(", ");
    };
    let ps: Vec<String> = params.iter().map(|p| p.to_string()).collect();
    let ps = if ps.is_empty() { String::new() } else { format!("({})", ps.join(", ")) };
    format!("{}{ps} {}", circuit.gate_name(*gate), qubits.join(", "))
}

/// The instruction of `circuit` whose expansion holds flat instruction `flat_index`
/// ([`Circuit::flatten`] expands custom gates in place, barriers included).
fn original_index(circuit: &Circuit, flat_index: usize) -> usize {
    let defs = circuit.gate_definitions();
    // Definitions only call earlier ones, so sizes fill in order.
    let mut sizes: Vec<usize> = Vec::with_capacity(defs.len());
    for def in defs {
        let size = def.body.as_ref().map_or(0, |body| {
            body.iter()
                .map(|op| match op {
                    BodyOp::Gate { gate: GateRef::Custom(j), .. } => {
                        sizes.get(*j).copied().unwrap_or(0)
                    }
                    _ => 1,
                })
                .sum()
        });
        sizes.push(size);
    }
    let mut end = 0;
    for (i, inst) in circuit.instructions().iter().enumerate() {
        end += match inst.op {
            Operation::Gate { gate: GateRef::Custom(j), .. } => sizes.get(j).copied().unwrap_or(0),
            _ => 1,
        };
        if flat_index < end {
            return i;
        }
    }
    circuit.instructions().len().saturating_sub(1)
}

/// Checks that every gate of `circuit` is Clifford (see [`StabProgram::lower`]).
pub fn check_clifford(circuit: &Circuit) -> Result<(), SimError> {
    StabProgram::lower(circuit).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use qv_circuit::{Expr, GateDefinition, Instruction};

    #[test]
    fn t_gate_is_named_with_its_instruction() {
        let c = Circuit::new(3).h(0).cx(0, 1).t(2).h(1);
        let err = check_clifford(&c).unwrap_err();
        let SimError::NotClifford { gate, instruction, qubits, location } = &err else {
            panic!("{err:?}");
        };
        assert_eq!((gate.as_str(), *instruction, qubits.clone()), ("t", 2, vec![2]));
        assert_eq!(location, "instruction 2 (`t q[2]`)");
    }

    #[test]
    fn custom_gate_positions_map_back_to_the_call() {
        let mut c = Circuit::new(2);
        let body = vec![
            BodyOp::Gate { gate: GateRef::Standard(StandardGate::H), params: vec![], qubits: vec![0] },
            BodyOp::Barrier(vec![0, 1]),
            BodyOp::Gate {
                gate: GateRef::Standard(StandardGate::Rz),
                params: vec![Expr::Param(0)],
                qubits: vec![1],
            },
        ];
        let g = c.add_gate_definition(GateDefinition {
            name: "mix".into(),
            params: vec!["a".into()],
            qubits: vec!["x".into(), "y".into()],
            body: Some(body),
        });
        let call = |angle: f64| Instruction {
            op: Operation::Gate { gate: GateRef::Custom(g), params: vec![Expr::Const(angle)] },
            qubits: vec![0, 1],
            clbits: vec![],
            condition: None,
        };
        c.push(call(std::f64::consts::FRAC_PI_2)).unwrap();
        c = c.cx(0, 1);
        c.push(call(0.25)).unwrap();
        let err = check_clifford(&c).unwrap_err();
        let SimError::NotClifford { gate, instruction, qubits, location } = &err else {
            panic!("{err:?}");
        };
        assert_eq!((gate.as_str(), *instruction, qubits.clone()), ("rz", 2, vec![1]));
        assert_eq!(location, "instruction 2 (`mix(0.25) q[0], q[1]`, which expands to `rz q[1]`)");
    }

    #[test]
    fn conditions_compare_whole_registers() {
        let cond = Condition { bits: 1..4, value: 5 };
        assert!(cond.holds(&[false, true, false, true]));
        assert!(!cond.holds(&[false, true, true, true]));
        assert!(!Condition { bits: 0..2, value: 4 }.satisfiable());
    }

    #[test]
    fn clifford_circuit_lowers_with_paulis_recognised() {
        let c = Circuit::with_clbits(2, 1).h(0).z(1).measure(0, 0).reset(1);
        let p = StabProgram::lower(&c).unwrap();
        assert_eq!(p.ops.len(), 4);
        assert_eq!(p.ops[0].pauli(), None);
        assert_eq!(p.ops[1].pauli(), Some((0, 1)));
        assert!(matches!(p.ops[2].kind, StabKind::Measure { qubit: 0, clbit: 0, terminal: true }));
        assert!(matches!(p.ops[3].kind, StabKind::Reset { qubit: 1 }));
    }
}
