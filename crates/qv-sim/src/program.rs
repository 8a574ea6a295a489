//! Lowering a [`Circuit`] to what the simulator executes.
//!
//! Custom gates are flattened, parameters evaluated and gate matrices built
//! once, barriers dropped. Each measurement is classified:
//!
//! - *deferred*: no later operation touches its qubit and no later operation
//!   is conditioned. Nothing can observe when it happens, so it commutes to
//!   the end of the circuit and is sampled jointly from the final state. Only
//!   the last measurement into each classical bit matters; its (qubit, clbit)
//!   pair is listed in [`Program::deferred`].
//! - *collapsing*: anything else; it is simulated by collapse where it stands.
//!
//! A circuit whose measurements are all terminal (see
//! [`Circuit::measurements_are_terminal`]) has only deferred measurements.

use qv_circuit::{Circuit, CircuitError, GateRef, Matrix, Operation, Register};

use crate::error::SimError;

/// A classical condition `register == value` on the flat clbit list.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Cond {
    bits: std::ops::Range<usize>,
    value: u64,
}

impl Cond {
    fn new(reg: &Register, value: u64) -> Self {
        Self { bits: reg.bits(), value }
    }

    /// Whether the register holds `value` (register bit 0 least significant).
    pub fn holds(&self, clbits: &[bool]) -> bool {
        let width = self.bits.len();
        if width < 64 && self.value >> width != 0 {
            return false;
        }
        self.bits.clone().enumerate().all(|(j, b)| {
            let want = j < 64 && (self.value >> j) & 1 == 1;
            clbits[b] == want
        })
    }
}

/// What an executable operation does.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Kind {
    /// Apply `matrix` with gate qubit `j` on `qubits[j]`.
    Gate { matrix: Matrix, qubits: Vec<usize> },
    /// Measure `qubit` into `clbit`; `deferred` ones are not simulated in place.
    Measure { qubit: usize, clbit: usize, deferred: bool },
    /// Reset `qubit` to |0⟩.
    Reset { qubit: usize },
}

/// One executable operation with its condition and source text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Op {
    /// The operation.
    pub kind: Kind,
    /// Run only when this holds.
    pub condition: Option<Cond>,
    /// Index into `Program::circuit`'s instructions, for messages.
    pub source: usize,
}

impl Op {
    /// True for operations whose effect on a shot is random or depends on
    /// earlier outcomes: collapsing measurements, resets and conditioned ops.
    pub fn is_stochastic(&self) -> bool {
        self.condition.is_some()
            || matches!(self.kind, Kind::Reset { .. } | Kind::Measure { deferred: false, .. })
    }
}

/// A circuit lowered for execution.
#[derive(Clone, Debug)]
pub(crate) struct Program {
    /// The flattened circuit (registers and names for output and messages).
    pub circuit: Circuit,
    /// Operations in program order, barriers removed.
    pub ops: Vec<Op>,
    /// `(qubit, clbit)` of the deferred measurements that set a final clbit value.
    pub deferred: Vec<(usize, usize)>,
    /// Whether the circuit measures anything at all.
    pub has_measure: bool,
}

impl Program {
    /// Flattens and lowers `circuit`; errors on opaque gates and bad parameters.
    pub fn lower(circuit: &Circuit) -> Result<Self, SimError> {
        let flat = circuit.flatten()?;
        let mut ops = Vec::with_capacity(flat.instructions().len());
        for (source, inst) in flat.instructions().iter().enumerate() {
            let condition = match inst.condition {
                Some(c) => {
                    let reg =
                        flat.cregs().get(c.creg).ok_or(CircuitError::NoSuchRegister(c.creg))?;
                    Some(Cond::new(reg, c.value))
                }
                None => None,
            };
            let kind = match (&inst.op, inst.qubits.as_slice(), inst.clbits.as_slice()) {
                (Operation::Barrier, ..) => continue,
                (Operation::Gate { gate, params }, qubits, _) => {
                    let gate = match gate {
                        GateRef::Standard(g) => *g,
                        // `flatten` expands every custom gate.
                        GateRef::Custom(i) => return Err(CircuitError::NoSuchGate(*i).into()),
                    };
                    let name = gate.name();
                    check_arity(name, "parameters", gate.num_params(), params.len())?;
                    check_arity(name, "qubits", gate.num_qubits(), qubits.len())?;
                    check_qubits(&flat, name, qubits)?;
                    let values = params
                        .iter()
                        .map(|p| p.eval_const())
                        .collect::<Result<Vec<f64>, _>>()
                        .map_err(|source| CircuitError::Param { gate: name.to_string(), source })?;
                    Kind::Gate { matrix: gate.matrix(&values), qubits: qubits.to_vec() }
                }
                (Operation::Measure, &[qubit], &[clbit]) => {
                    check_qubits(&flat, "measure", &[qubit])?;
                    if clbit >= flat.num_clbits() {
                        let size = flat.num_clbits();
                        return Err(CircuitError::ClbitOutOfRange { index: clbit, size }.into());
                    }
                    Kind::Measure { qubit, clbit, deferred: false }
                }
                (Operation::Reset, &[qubit], _) => {
                    check_qubits(&flat, "reset", &[qubit])?;
                    Kind::Reset { qubit }
                }
                // Wrong operand counts (only reachable without `Circuit::push`).
                (Operation::Measure, qubits, clbits) => {
                    check_arity("measure", "qubits", 1, qubits.len())?;
                    return Err(arity("measure", "classical bits", 1, clbits.len()).into());
                }
                (Operation::Reset, qubits, _) => {
                    return Err(arity("reset", "qubits", 1, qubits.len()).into())
                }
            };
            ops.push(Op { kind, condition, source });
        }
        let deferred = classify_measurements(&mut ops, flat.num_qubits(), flat.num_clbits());
        let has_measure = ops.iter().any(|op| matches!(op.kind, Kind::Measure { .. }));
        Ok(Self { circuit: flat, ops, deferred, has_measure })
    }

    /// Number of qubits.
    pub fn num_qubits(&self) -> usize {
        self.circuit.num_qubits()
    }

    /// Number of classical bits.
    pub fn num_clbits(&self) -> usize {
        self.circuit.num_clbits()
    }

    /// Whether any operation is stochastic (see [`Op::is_stochastic`]).
    pub fn is_stochastic(&self) -> bool {
        self.ops.iter().any(Op::is_stochastic)
    }

    /// ` (line N)` when the operation was parsed from text, else empty.
    pub fn line_note(&self, op: &Op) -> String {
        self.circuit.position(op.source).map(|p| format!(" (line {})", p.line)).unwrap_or_default()
    }

    /// The instruction behind `op` as OpenQASM-like text, e.g. `measure q[0] -> c[1]`.
    pub fn describe(&self, op: &Op) -> String {
        let c = &self.circuit;
        let Some(inst) = c.instructions().get(op.source) else {
            return format!("instruction #{}", op.source);
        };
        let qubits: Vec<String> = inst.qubits.iter().map(|&q| c.qubit_name(q)).collect();
        let body = match &inst.op {
            Operation::Gate { gate, params } => {
                let ps: Vec<String> = params.iter().map(|p| p.to_string()).collect();
                let ps = if ps.is_empty() { String::new() } else { format!("({})", ps.join(", ")) };
                format!("{}{ps} {}", c.gate_name(*gate), qubits.join(", "))
            }
            Operation::Measure => {
                let clbit = inst.clbits.first().map(|&b| c.clbit_name(b)).unwrap_or_default();
                format!("measure {} -> {clbit}", qubits.join(", "))
            }
            Operation::Reset => format!("reset {}", qubits.join(", ")),
            Operation::Barrier => format!("barrier {}", qubits.join(", ")),
        };
        match inst.condition.and_then(|cond| c.cregs().get(cond.creg).map(|r| (r, cond.value))) {
            Some((reg, value)) => format!("if ({} == {value}) {body}", reg.name),
            None => body,
        }
    }
}

pub(crate) fn arity(gate: &str, what: &'static str, expected: usize, found: usize) -> CircuitError {
    CircuitError::Arity { gate: gate.to_string(), what, expected, found }
}

pub(crate) fn check_arity(
    gate: &str,
    what: &'static str,
    expected: usize,
    found: usize,
) -> Result<(), CircuitError> {
    if expected == found {
        Ok(())
    } else {
        Err(arity(gate, what, expected, found))
    }
}

/// Checks the indices the kernels rely on. `Circuit::push` validates top-level
/// instructions, but custom gate bodies are expanded after it ran.
pub(crate) fn check_qubits(
    circuit: &Circuit,
    gate: &str,
    qubits: &[usize],
) -> Result<(), CircuitError> {
    let size = circuit.num_qubits();
    for (i, &q) in qubits.iter().enumerate() {
        if q >= size {
            return Err(CircuitError::QubitOutOfRange { index: q, size });
        }
        if qubits[..i].contains(&q) {
            return Err(CircuitError::DuplicateQubit { gate: gate.to_string(), qubit: q });
        }
    }
    Ok(())
}

/// Marks deferrable measurements and returns the final-value writers among them.
fn classify_measurements(
    ops: &mut [Op],
    num_qubits: usize,
    num_clbits: usize,
) -> Vec<(usize, usize)> {
    let last_conditioned = ops.iter().rposition(|op| op.condition.is_some());
    // Walk backwards, tracking qubits touched later and clbits already finalised.
    let mut touched_later = vec![false; num_qubits];
    let mut clbit_final = vec![false; num_clbits];
    let mut deferred = Vec::new();
    for (i, op) in ops.iter_mut().enumerate().rev() {
        let after_conditions = last_conditioned.is_none_or(|l| i > l);
        match &mut op.kind {
            Kind::Measure { qubit, clbit, deferred: d } => {
                *d = after_conditions && !touched_later[*qubit];
                if !clbit_final[*clbit] {
                    clbit_final[*clbit] = true;
                    if *d {
                        deferred.push((*qubit, *clbit));
                    }
                }
                touched_later[*qubit] = true;
            }
            Kind::Reset { qubit } => touched_later[*qubit] = true,
            Kind::Gate { qubits, .. } => qubits.iter().for_each(|&q| touched_later[q] = true),
        }
    }
    deferred.reverse();
    deferred
}

#[cfg(test)]
mod tests {
    use super::*;
    use qv_circuit::{BodyOp, GateDefinition, Instruction};

    fn measure_flags(p: &Program) -> Vec<bool> {
        p.ops
            .iter()
            .filter_map(|op| match op.kind {
                Kind::Measure { deferred, .. } => Some(deferred),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn terminal_measurements_are_deferred() {
        let c = Circuit::new(2).h(0).cx(0, 1).measure_all();
        let p = Program::lower(&c).unwrap();
        assert_eq!(p.ops.len(), 4, "barrier dropped");
        assert_eq!(measure_flags(&p), vec![true, true]);
        assert_eq!(p.deferred, vec![(0, 0), (1, 1)]);
        assert!(!p.is_stochastic());
    }

    #[test]
    fn measurement_followed_by_gate_on_its_qubit_collapses() {
        let c = Circuit::with_clbits(2, 2).h(0).measure(0, 0).x(0).measure(0, 1).measure(1, 0);
        let p = Program::lower(&c).unwrap();
        assert_eq!(measure_flags(&p), vec![false, true, true]);
        // c[0] is finally written by `measure q[1] -> c[0]`, c[1] by the second measure of q[0].
        assert_eq!(p.deferred, vec![(0, 1), (1, 0)]);
        assert!(p.is_stochastic());
    }

    #[test]
    fn measurement_before_a_condition_collapses() {
        let c = Circuit::with_clbits(2, 1).h(0).measure(0, 0).x(1).c_if(0, 1);
        let p = Program::lower(&c).unwrap();
        assert_eq!(measure_flags(&p), vec![false]);
        assert!(p.deferred.is_empty());
        assert_eq!(p.describe(&p.ops[2]), "if (c == 1) x q[1]");
        assert_eq!(p.describe(&p.ops[1]), "measure q[0] -> c[0]");
    }

    #[test]
    fn conditions_compare_the_whole_register() {
        let mut c = Circuit::new(1);
        c.add_creg("a", 1).unwrap();
        let b = c.add_creg("b", 3).unwrap();
        let cond = Cond::new(&c.cregs()[b], 5);
        // Flat clbits: a[0], b[0], b[1], b[2]; b = 0b101.
        assert!(cond.holds(&[false, true, false, true]));
        assert!(cond.holds(&[true, true, false, true]), "other registers do not matter");
        assert!(!cond.holds(&[false, true, true, true]));
        assert!(
            !Cond::new(&c.cregs()[b], 13).holds(&[false, true, false, true]),
            "value wider than register"
        );
    }

    #[test]
    fn opaque_gate_is_named_in_the_error() {
        let mut c = Circuit::new(1);
        let g = c.add_gate_definition(GateDefinition {
            name: "oracle".into(),
            params: vec![],
            qubits: vec!["a".into()],
            body: None,
        });
        c.push(Instruction {
            op: Operation::Gate { gate: GateRef::Custom(g), params: vec![] },
            qubits: vec![0],
            clbits: vec![],
            condition: None,
        })
        .unwrap();
        assert_eq!(Program::lower(&c).unwrap_err(), SimError::Opaque { gate: "oracle".into() });
        // A defined gate calling nothing opaque lowers to its body.
        let mut c = Circuit::new(1);
        let g = c.add_gate_definition(GateDefinition {
            name: "flip".into(),
            params: vec![],
            qubits: vec!["a".into()],
            body: Some(vec![BodyOp::Gate {
                gate: GateRef::Standard(qv_circuit::StandardGate::X),
                params: vec![],
                qubits: vec![0],
            }]),
        });
        c.push(Instruction {
            op: Operation::Gate { gate: GateRef::Custom(g), params: vec![] },
            qubits: vec![0],
            clbits: vec![],
            condition: None,
        })
        .unwrap();
        assert_eq!(Program::lower(&c).unwrap().ops.len(), 1);
    }

    #[test]
    fn malformed_custom_body_is_an_error_not_a_panic() {
        // `gate bad a { cx a, a; }` cannot come from the parser, but a hand-built
        // definition must still be refused cleanly.
        let mut c = Circuit::new(2);
        let g = c.add_gate_definition(GateDefinition {
            name: "bad".into(),
            params: vec![],
            qubits: vec!["a".into()],
            body: Some(vec![BodyOp::Gate {
                gate: GateRef::Standard(qv_circuit::StandardGate::Cx),
                params: vec![],
                qubits: vec![0, 0],
            }]),
        });
        c.push(Instruction {
            op: Operation::Gate { gate: GateRef::Custom(g), params: vec![] },
            qubits: vec![1],
            clbits: vec![],
            condition: None,
        })
        .unwrap();
        assert_eq!(
            Program::lower(&c).unwrap_err().to_string(),
            "invalid circuit: gate `cx` uses qubit 1 more than once"
        );
    }
}
