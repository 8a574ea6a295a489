//! Lowering a circuit to stabilizer operations, with the Clifford check.
//!
//! Custom gates are flattened (only when the circuit calls one), barriers
//! dropped, parameters evaluated, and each gate turned into its Clifford
//! action ([`Clifford`]) or rejected with [`SimError::NotClifford`], which
//! names the gate, the instruction of the *original* circuit (flat positions
//! are mapped back through custom gate expansions) and its qubits. Actions
//! are cached per gate and parameter values, so a gate's matrix is built and
//! analysed once however often it occurs. Operands are validated as the
//! reference simulator's `Program::lower` does.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use qv_circuit::{BodyOp, Circuit, CircuitError, GateRef, Operation, Register, StandardGate};

use super::clifford::Clifford;
use crate::error::SimError;
use crate::program::{arity, check_arity, check_qubits};

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
            && self
                .bits
                .clone()
                .enumerate()
                .all(|(j, b)| clbits[b] == (j < 64 && (self.value >> j) & 1 == 1))
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
    /// Operations in order, barriers dropped.
    pub ops: Vec<StabOp>,
    /// The classical registers (for formatting outcomes).
    pub cregs: Vec<Register>,
    num_qubits: usize,
    num_clbits: usize,
}

impl StabProgram {
    /// Lowers `circuit`, rejecting non-Clifford gates.
    pub fn lower(circuit: &Circuit) -> Result<Self, SimError> {
        let calls_custom = circuit
            .instructions()
            .iter()
            .any(|i| matches!(i.op, Operation::Gate { gate: GateRef::Custom(_), .. }));
        let flattened = if calls_custom { Some(circuit.flatten()?) } else { None };
        let flat = flattened.as_ref().unwrap_or(circuit);
        let mut cache = ActionCache::default();
        let mut ops = Vec::with_capacity(flat.instructions().len());
        for (index, inst) in flat.instructions().iter().enumerate() {
            let condition = match inst.condition {
                Some(c) => {
                    let reg =
                        flat.cregs().get(c.creg).ok_or(CircuitError::NoSuchRegister(c.creg))?;
                    Some(Condition { bits: reg.bits(), value: c.value })
                }
                None => None,
            };
            let kind = match (&inst.op, inst.qubits.as_slice(), inst.clbits.as_slice()) {
                (Operation::Barrier, ..) => continue,
                (Operation::Gate { gate, params }, qubits, _) => {
                    let g = match *gate {
                        GateRef::Standard(g) => g,
                        // `flatten` leaves only table gates.
                        GateRef::Custom(i) => return Err(CircuitError::NoSuchGate(i).into()),
                    };
                    check_arity(g.name(), "parameters", g.num_params(), params.len())?;
                    check_arity(g.name(), "qubits", g.num_qubits(), qubits.len())?;
                    check_qubits(flat, g.name(), qubits)?;
                    let values = params
                        .iter()
                        .map(|p| p.eval_const())
                        .collect::<Result<Vec<f64>, _>>()
                        .map_err(|source| CircuitError::Param {
                            gate: g.name().to_string(),
                            source,
                        })?;
                    let Some(clifford) = cache.get(g, &values) else {
                        return Err(not_clifford(circuit, calls_custom, index, g.name(), qubits));
                    };
                    StabKind::Gate { gate: g, clifford, qubits: qubits.to_vec() }
                }
                (Operation::Measure, &[qubit], &[clbit]) => {
                    check_qubits(flat, "measure", &[qubit])?;
                    if clbit >= flat.num_clbits() {
                        let size = flat.num_clbits();
                        return Err(CircuitError::ClbitOutOfRange { index: clbit, size }.into());
                    }
                    StabKind::Measure { qubit, clbit, terminal: false }
                }
                (Operation::Reset, &[qubit], _) => {
                    check_qubits(flat, "reset", &[qubit])?;
                    StabKind::Reset { qubit }
                }
                (Operation::Measure, qubits, clbits) => {
                    check_arity("measure", "qubits", 1, qubits.len())?;
                    return Err(arity("measure", "classical bits", 1, clbits.len()).into());
                }
                (Operation::Reset, qubits, _) => {
                    return Err(arity("reset", "qubits", 1, qubits.len()).into())
                }
            };
            ops.push(StabOp { kind, condition });
        }
        mark_terminal(&mut ops, flat.num_qubits());
        Ok(Self {
            ops,
            cregs: flat.cregs().to_vec(),
            num_qubits: flat.num_qubits(),
            num_clbits: flat.num_clbits(),
        })
    }

    /// Number of qubits.
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// Number of classical bits.
    pub fn num_clbits(&self) -> usize {
        self.num_clbits
    }
}

/// Marks measurements after which nothing touches the qubit and nothing is conditioned.
fn mark_terminal(ops: &mut [StabOp], num_qubits: usize) {
    let last_conditioned = ops.iter().rposition(|op| op.condition.is_some());
    let mut touched_later = vec![false; num_qubits];
    for (i, op) in ops.iter_mut().enumerate().rev() {
        match &mut op.kind {
            StabKind::Measure { qubit, terminal, .. } => {
                *terminal = last_conditioned.is_none_or(|l| i > l) && !touched_later[*qubit];
                touched_later[*qubit] = true;
            }
            StabKind::Reset { qubit } => touched_later[*qubit] = true,
            StabKind::Gate { qubits, .. } => qubits.iter().for_each(|&q| touched_later[q] = true),
        }
    }
}

/// Clifford actions per gate and exact parameter values.
#[derive(Debug, Default)]
struct ActionCache {
    /// Parameterless gates, by table index.
    plain: Vec<Option<Option<Arc<Clifford>>>>,
    /// Parameterised gates, by gate and parameter bits.
    with_params: HashMap<(StandardGate, Vec<u64>), Option<Arc<Clifford>>>,
}

impl ActionCache {
    fn get(&mut self, gate: StandardGate, params: &[f64]) -> Option<Arc<Clifford>> {
        let compute = || Clifford::of(&gate.matrix(params)).map(Arc::new);
        if params.is_empty() {
            let i = gate as usize;
            if self.plain.len() <= i {
                self.plain.resize(i + 1, None);
            }
            return self.plain[i].get_or_insert_with(compute).clone();
        }
        let key = (gate, params.iter().map(|p| p.to_bits()).collect());
        self.with_params.entry(key).or_insert_with(compute).clone()
    }
}

/// The error for a non-Clifford gate at position `index` of the (possibly flattened) circuit.
fn not_clifford(
    circuit: &Circuit,
    flattened: bool,
    index: usize,
    gate: &str,
    qubits: &[usize],
) -> SimError {
    let instruction = if flattened { original_index(circuit, index) } else { index };
    let names: Vec<String> = qubits.iter().map(|&q| circuit.qubit_name(q)).collect();
    let called = format!("{gate} {}", names.join(", "));
    // Parsed circuits know the line of each instruction.
    let at =
        circuit.position(instruction).map(|p| format!("line {}, ", p.line)).unwrap_or_default();
    let location = match circuit.instructions().get(instruction) {
        Some(inst) => {
            let text = describe(circuit, instruction);
            match inst.op {
                Operation::Gate { gate: GateRef::Custom(_), .. } => {
                    format!("{at}instruction {instruction} (`{text}`, which expands to `{called}`)")
                }
                _ => format!("{at}instruction {instruction} (`{text}`)"),
            }
        }
        None => format!("{at}instruction {instruction} (`{called}`)"),
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
            BodyOp::Gate {
                gate: GateRef::Standard(StandardGate::H),
                params: vec![],
                qubits: vec![0],
            },
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
    fn actions_are_computed_once_per_gate_and_angle() {
        let mut cache = ActionCache::default();
        let h = cache.get(StandardGate::H, &[]).unwrap();
        assert!(Arc::ptr_eq(&h, &cache.get(StandardGate::H, &[]).unwrap()));
        let rz = cache.get(StandardGate::Rz, &[std::f64::consts::PI]).unwrap();
        assert!(Arc::ptr_eq(&rz, &cache.get(StandardGate::Rz, &[std::f64::consts::PI]).unwrap()));
        assert!(cache.get(StandardGate::T, &[]).is_none());
        assert!(cache.get(StandardGate::Rz, &[0.5]).is_none());
    }

    #[test]
    fn terminal_measurements_are_marked() {
        let c = Circuit::with_clbits(2, 3).h(0).measure(0, 0).x(0).measure(0, 1).measure(1, 2);
        let p = StabProgram::lower(&c).unwrap();
        let flags: Vec<bool> = p
            .ops
            .iter()
            .filter_map(|op| match op.kind {
                StabKind::Measure { terminal, .. } => Some(terminal),
                _ => None,
            })
            .collect();
        assert_eq!(flags, vec![false, true, true]);
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
