//! The circuit IR: registers, instructions, custom gate definitions, builder.
//!
//! A [`Circuit`] owns flat lists of qubits and classical bits, grouped into
//! named registers (every bit belongs to exactly one register, as in OpenQASM
//! 2), a list of [`GateDefinition`]s for user gates, and the [`Instruction`]s in
//! program order. Custom gate calls stay unexpanded so a circuit exports as it
//! was written; [`Circuit::flatten`] expands them to table gates for execution
//! and [`Circuit::check_flatten`] checks, without building it, that this will
//! succeed. Expansion keeps nested calls on a heap stack, never recursing, so
//! definitions nested to any depth cannot overflow the thread's stack; its
//! size is computed per definition ([`Circuit::flattened_len`]) and bounded
//! before any work.
//!
//! Builder methods (`h`, `cx`, `measure_all`, …) take and return the circuit by
//! value and panic on out-of-range indices, like slice indexing; fallible input
//! goes through [`Circuit::push`], which validates and returns an error.

use crate::expr::{Expr, ExprError};
use crate::gates::StandardGate;

/// A named group of consecutive qubits or classical bits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Register {
    /// Register name.
    pub name: String,
    /// Number of bits.
    pub size: usize,
    /// Index of the register's bit 0 in the circuit's flat bit list.
    pub start: usize,
}

impl Register {
    /// Flat indices of this register's bits.
    pub fn bits(&self) -> std::ops::Range<usize> {
        self.start..self.start + self.size
    }
}

/// A gate as called by an instruction: a table gate or a user definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GateRef {
    /// A row of the gate table.
    Standard(StandardGate),
    /// Index into [`Circuit::gate_definitions`].
    Custom(usize),
}

/// One statement of a custom gate's body.
#[derive(Clone, Debug, PartialEq)]
pub enum BodyOp {
    /// A gate call on the definition's qubit arguments (by index).
    Gate {
        /// Called gate (custom gates may only call earlier definitions).
        gate: GateRef,
        /// Parameters; `Expr::Param(i)` is the definition's `i`-th parameter.
        params: Vec<Expr>,
        /// Indices into the definition's qubit arguments.
        qubits: Vec<usize>,
    },
    /// A barrier on some of the definition's qubit arguments.
    Barrier(Vec<usize>),
}

/// A user gate (`gate name(params) qubits { body }`) or an `opaque` declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct GateDefinition {
    /// Gate name.
    pub name: String,
    /// Parameter names.
    pub params: Vec<String>,
    /// Qubit argument names.
    pub qubits: Vec<String>,
    /// The body; `None` for an opaque gate, which cannot be simulated.
    pub body: Option<Vec<BodyOp>>,
}

/// What an instruction does.
#[derive(Clone, Debug, PartialEq)]
pub enum Operation {
    /// Apply a gate with the given parameters (constant expressions).
    Gate {
        /// The gate.
        gate: GateRef,
        /// Parameter expressions; constant at circuit level.
        params: Vec<Expr>,
    },
    /// Measure `qubits[0]` into `clbits[0]` in the Z basis.
    Measure,
    /// Reset `qubits[0]` to |0⟩.
    Reset,
    /// A scheduling barrier on `qubits`; no effect on the state.
    Barrier,
}

/// `if (creg == value)`: run the instruction only when the register holds `value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Condition {
    /// Index into [`Circuit::cregs`].
    pub creg: usize,
    /// The value compared against, register bit 0 least significant.
    pub value: u64,
}

/// One step of a circuit.
#[derive(Clone, Debug, PartialEq)]
pub struct Instruction {
    /// The operation.
    pub op: Operation,
    /// Qubits it acts on (flat indices).
    pub qubits: Vec<usize>,
    /// Classical bits it writes (measure only).
    pub clbits: Vec<usize>,
    /// Classical condition, if any.
    pub condition: Option<Condition>,
}

/// Why a circuit operation was rejected.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CircuitError {
    /// A qubit index beyond the circuit.
    #[error("qubit {index} is out of range (the circuit has {size} qubits)")]
    QubitOutOfRange {
        /// Offending index.
        index: usize,
        /// Number of qubits.
        size: usize,
    },
    /// A classical bit index beyond the circuit.
    #[error("classical bit {index} is out of range (the circuit has {size} bits)")]
    ClbitOutOfRange {
        /// Offending index.
        index: usize,
        /// Number of bits.
        size: usize,
    },
    /// The same qubit passed twice to one gate.
    #[error("gate `{gate}` uses qubit {qubit} more than once")]
    DuplicateQubit {
        /// Gate name.
        gate: String,
        /// Repeated qubit.
        qubit: usize,
    },
    /// Wrong number of qubits or parameters.
    #[error("gate `{gate}` takes {expected} {what}, got {found}")]
    Arity {
        /// Gate name.
        gate: String,
        /// "qubits" or "parameters".
        what: &'static str,
        /// Expected count.
        expected: usize,
        /// Count given.
        found: usize,
    },
    /// A register name used twice.
    #[error("register `{0}` is already declared")]
    DuplicateRegister(String),
    /// A condition on a register that does not exist.
    #[error("condition refers to classical register #{0}, which does not exist")]
    NoSuchRegister(usize),
    /// A custom gate index that does not exist.
    #[error("custom gate #{0} does not exist")]
    NoSuchGate(usize),
    /// An opaque gate has no body to execute.
    #[error("gate `{0}` is opaque: it has no definition, so it cannot be simulated")]
    Opaque(String),
    /// Expanding custom gates would produce too many instructions.
    #[error("expanding custom gates gives more than {max} instructions")]
    TooLarge {
        /// The limit.
        max: usize,
    },
    /// A custom gate body that is not well formed; only possible through the
    /// API (the OpenQASM 2 parser checks bodies as it reads them).
    #[error("the body of gate `{gate}` {problem}")]
    InvalidBody {
        /// The gate whose body it is.
        gate: String,
        /// What is wrong, e.g. "calls custom gate #3, which is not defined before it".
        problem: String,
    },
    /// A parameter expression could not be evaluated.
    #[error("parameter of gate `{gate}`: {source}")]
    Param {
        /// Gate name.
        gate: String,
        /// The evaluation error.
        source: ExprError,
    },
}

/// Most instructions [`Circuit::flatten`] produces: nested custom gates can
/// grow exponentially, so expansion stops with an error past this.
pub const MAX_FLATTENED_INSTRUCTIONS: usize = 1 << 24;

/// Where an instruction came from in source text (1-based line and column of
/// its statement), for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourcePos {
    /// Line, from 1.
    pub line: u32,
    /// Column in characters, from 1.
    pub col: u32,
}

/// A quantum circuit.
///
/// Equality compares the circuit itself (registers, definitions,
/// instructions, phase), not where its instructions came from.
#[derive(Clone, Debug, Default)]
pub struct Circuit {
    qregs: Vec<Register>,
    cregs: Vec<Register>,
    num_qubits: usize,
    num_clbits: usize,
    gate_definitions: Vec<GateDefinition>,
    instructions: Vec<Instruction>,
    /// `positions[i]`: source position of instruction `i` (same length).
    positions: Vec<Option<SourcePos>>,
    /// Global phase in radians.
    pub global_phase: f64,
}

impl PartialEq for Circuit {
    fn eq(&self, other: &Self) -> bool {
        self.qregs == other.qregs
            && self.cregs == other.cregs
            && self.num_qubits == other.num_qubits
            && self.num_clbits == other.num_clbits
            && self.gate_definitions == other.gate_definitions
            && self.instructions == other.instructions
            && self.global_phase == other.global_phase
    }
}

impl Circuit {
    /// A circuit with one quantum register `q` of `num_qubits` qubits and no classical bits.
    pub fn new(num_qubits: usize) -> Self {
        let mut c = Circuit::empty();
        if num_qubits > 0 {
            c.add_qreg("q", num_qubits).expect("fresh circuit has no registers");
        }
        c
    }

    /// A circuit with `q[num_qubits]` and `c[num_clbits]`.
    pub fn with_clbits(num_qubits: usize, num_clbits: usize) -> Self {
        let mut c = Circuit::new(num_qubits);
        if num_clbits > 0 {
            c.add_creg("c", num_clbits).expect("fresh circuit has only `q`");
        }
        c
    }

    /// A circuit with no registers.
    pub fn empty() -> Self {
        Circuit::default()
    }

    /// Adds a quantum register; returns its index.
    pub fn add_qreg(&mut self, name: &str, size: usize) -> Result<usize, CircuitError> {
        if self.qregs.iter().chain(&self.cregs).any(|r| r.name == name) {
            return Err(CircuitError::DuplicateRegister(name.to_string()));
        }
        self.qregs.push(Register { name: name.to_string(), size, start: self.num_qubits });
        self.num_qubits += size;
        Ok(self.qregs.len() - 1)
    }

    /// Adds a classical register; returns its index.
    pub fn add_creg(&mut self, name: &str, size: usize) -> Result<usize, CircuitError> {
        if self.qregs.iter().chain(&self.cregs).any(|r| r.name == name) {
            return Err(CircuitError::DuplicateRegister(name.to_string()));
        }
        self.cregs.push(Register { name: name.to_string(), size, start: self.num_clbits });
        self.num_clbits += size;
        Ok(self.cregs.len() - 1)
    }

    /// Adds a custom gate definition; returns its index for [`GateRef::Custom`].
    pub fn add_gate_definition(&mut self, def: GateDefinition) -> usize {
        self.gate_definitions.push(def);
        self.gate_definitions.len() - 1
    }

    /// Number of qubits.
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// Number of classical bits.
    pub fn num_clbits(&self) -> usize {
        self.num_clbits
    }

    /// Quantum registers in declaration order.
    pub fn qregs(&self) -> &[Register] {
        &self.qregs
    }

    /// Classical registers in declaration order.
    pub fn cregs(&self) -> &[Register] {
        &self.cregs
    }

    /// Custom gate definitions.
    pub fn gate_definitions(&self) -> &[GateDefinition] {
        &self.gate_definitions
    }

    /// Instructions in program order.
    pub fn instructions(&self) -> &[Instruction] {
        &self.instructions
    }

    /// Name of a gate reference.
    pub fn gate_name(&self, gate: GateRef) -> &str {
        match gate {
            GateRef::Standard(g) => g.name(),
            GateRef::Custom(i) => &self.gate_definitions[i].name,
        }
    }

    /// Qubit and parameter arity of a gate reference.
    pub fn gate_arity(&self, gate: GateRef) -> Result<(usize, usize), CircuitError> {
        match gate {
            GateRef::Standard(g) => Ok((g.num_qubits(), g.num_params())),
            GateRef::Custom(i) => self
                .gate_definitions
                .get(i)
                .map(|d| (d.qubits.len(), d.params.len()))
                .ok_or(CircuitError::NoSuchGate(i)),
        }
    }

    /// Validates and appends an instruction.
    pub fn push(&mut self, inst: Instruction) -> Result<(), CircuitError> {
        for &q in &inst.qubits {
            if q >= self.num_qubits {
                return Err(CircuitError::QubitOutOfRange { index: q, size: self.num_qubits });
            }
        }
        for &c in &inst.clbits {
            if c >= self.num_clbits {
                return Err(CircuitError::ClbitOutOfRange { index: c, size: self.num_clbits });
            }
        }
        if let Some(cond) = inst.condition {
            if cond.creg >= self.cregs.len() {
                return Err(CircuitError::NoSuchRegister(cond.creg));
            }
        }
        let arity = |what, expected: usize, found: usize, gate: &str| {
            if expected == found {
                Ok(())
            } else {
                Err(CircuitError::Arity { gate: gate.to_string(), what, expected, found })
            }
        };
        match &inst.op {
            Operation::Gate { gate, params } => {
                let (nq, np) = self.gate_arity(*gate)?;
                let name = self.gate_name(*gate).to_string();
                arity("qubits", nq, inst.qubits.len(), &name)?;
                arity("parameters", np, params.len(), &name)?;
                if let Some(qubit) = first_duplicate(&inst.qubits) {
                    return Err(CircuitError::DuplicateQubit { gate: name, qubit });
                }
            }
            Operation::Measure => {
                arity("qubits", 1, inst.qubits.len(), "measure")?;
                arity("classical bits", 1, inst.clbits.len(), "measure")?;
            }
            Operation::Reset => arity("qubits", 1, inst.qubits.len(), "reset")?,
            Operation::Barrier => {}
        }
        self.instructions.push(inst);
        self.positions.push(None);
        Ok(())
    }

    /// [`Circuit::push`], recording where the instruction was written.
    pub fn push_at(&mut self, inst: Instruction, pos: SourcePos) -> Result<(), CircuitError> {
        self.push(inst)?;
        if let Some(last) = self.positions.last_mut() {
            *last = Some(pos);
        }
        Ok(())
    }

    /// Source position of instruction `index`, when it was parsed from text
    /// (after [`Circuit::flatten`], the position of the call it expanded from).
    pub fn position(&self, index: usize) -> Option<SourcePos> {
        self.positions.get(index).copied().flatten()
    }

    fn build(mut self, inst: Instruction) -> Self {
        if let Err(e) = self.push(inst) {
            panic!("invalid circuit construction: {e}");
        }
        self
    }

    /// Appends a table gate (panics on bad indices; see [`Circuit::push`]).
    pub fn gate(self, gate: StandardGate, params: &[f64], qubits: &[usize]) -> Self {
        let params = params.iter().map(|&p| Expr::Const(p)).collect();
        self.build(Instruction {
            op: Operation::Gate { gate: GateRef::Standard(gate), params },
            qubits: qubits.to_vec(),
            clbits: vec![],
            condition: None,
        })
    }

    /// Measures qubit `q` into classical bit `c`.
    pub fn measure(self, q: usize, c: usize) -> Self {
        self.build(Instruction {
            op: Operation::Measure,
            qubits: vec![q],
            clbits: vec![c],
            condition: None,
        })
    }

    /// Adds a barrier and a register `meas` measuring every qubit (as Qiskit's `measure_all`).
    pub fn measure_all(mut self) -> Self {
        let n = self.num_qubits;
        let mut name = "meas".to_string();
        while self.qregs.iter().chain(&self.cregs).any(|r| r.name == name) {
            name.push('_');
        }
        let creg = self.add_creg(&name, n).expect("name chosen to be unique");
        let start = self.cregs[creg].start;
        self = self.barrier(&(0..n).collect::<Vec<_>>());
        for q in 0..n {
            self = self.measure(q, start + q);
        }
        self
    }

    /// Resets qubit `q` to |0⟩.
    pub fn reset(self, q: usize) -> Self {
        self.build(Instruction {
            op: Operation::Reset,
            qubits: vec![q],
            clbits: vec![],
            condition: None,
        })
    }

    /// A barrier on `qubits`.
    pub fn barrier(self, qubits: &[usize]) -> Self {
        self.build(Instruction {
            op: Operation::Barrier,
            qubits: qubits.to_vec(),
            clbits: vec![],
            condition: None,
        })
    }

    /// Puts the condition `creg == value` on the last instruction.
    ///
    /// # Panics
    /// If the circuit is empty or `creg` does not exist.
    pub fn c_if(mut self, creg: usize, value: u64) -> Self {
        assert!(creg < self.cregs.len(), "c_if: no classical register #{creg}");
        let last = self.instructions.last_mut().expect("c_if: the circuit is empty");
        last.condition = Some(Condition { creg, value });
        self
    }

    /// Expands every custom gate call into table gates, through any depth of
    /// nesting (iteratively, so the thread's stack does not limit it). Errors on opaque
    /// gates, on parameters that do not evaluate to finite numbers, on bodies
    /// that are invalid (only possible through the API) and past
    /// [`MAX_FLATTENED_INSTRUCTIONS`].
    pub fn flatten(&self) -> Result<Circuit, CircuitError> {
        if self.flattened_len() > MAX_FLATTENED_INSTRUCTIONS as u128 {
            return Err(CircuitError::TooLarge { max: MAX_FLATTENED_INSTRUCTIONS });
        }
        let mut out = Circuit {
            qregs: self.qregs.clone(),
            cregs: self.cregs.clone(),
            num_qubits: self.num_qubits,
            num_clbits: self.num_clbits,
            gate_definitions: vec![],
            instructions: Vec::with_capacity(self.instructions.len()),
            positions: Vec::with_capacity(self.instructions.len()),
            global_phase: self.global_phase,
        };
        for (index, inst) in self.instructions.iter().enumerate() {
            match &inst.op {
                Operation::Gate { gate: GateRef::Custom(i), params } => {
                    let values = self.eval_params(GateRef::Custom(*i), params, &[])?;
                    let condition = inst.condition;
                    let emit = &mut |op, qubits| {
                        out.instructions.push(Instruction { op, qubits, clbits: vec![], condition })
                    };
                    self.expand_custom(*i, values, &inst.qubits, emit, None)?;
                }
                _ => out.instructions.push(inst.clone()),
            }
            let pos = self.position(index);
            out.positions.resize(out.instructions.len(), pos);
        }
        Ok(out)
    }

    /// Checks that [`Circuit::flatten`] succeeds without building its result,
    /// and returns how many instructions it would produce: the same checks and
    /// errors. Each distinct instantiation (definition and parameter values)
    /// is expanded once, so repeated calls cost nothing more; the time is at
    /// most linear in the flattened length (bounded before starting), and
    /// memory is bounded by the nesting depth plus a memo of at most
    /// 65,536 instantiations.
    pub fn check_flatten(&self) -> Result<usize, CircuitError> {
        let len = self.flattened_len();
        if len > MAX_FLATTENED_INSTRUCTIONS as u128 {
            return Err(CircuitError::TooLarge { max: MAX_FLATTENED_INSTRUCTIONS });
        }
        let mut checked = Checked::new();
        for inst in &self.instructions {
            if let Operation::Gate { gate: GateRef::Custom(i), params } = &inst.op {
                let values = self.eval_params(GateRef::Custom(*i), params, &[])?;
                self.expand_custom(*i, values, &inst.qubits, &mut |_, _| {}, Some(&mut checked))?;
            }
        }
        // At most MAX_FLATTENED_INSTRUCTIONS, checked above.
        Ok(len as usize)
    }

    /// Number of instructions [`Circuit::flatten`] would produce (saturating),
    /// computed without expanding: each definition's size is counted once.
    pub fn flattened_len(&self) -> u128 {
        // Definitions only call earlier ones, so one forward sweep suffices.
        let mut sizes: Vec<u128> = Vec::with_capacity(self.gate_definitions.len());
        for def in &self.gate_definitions {
            let size = def.body.as_ref().map_or(1, |body| {
                body.iter().fold(0u128, |acc, op| {
                    let n = match op {
                        BodyOp::Gate { gate: GateRef::Custom(j), .. } => {
                            sizes.get(*j).copied().unwrap_or(1)
                        }
                        _ => 1,
                    };
                    acc.saturating_add(n)
                })
            });
            sizes.push(size);
        }
        self.instructions.iter().fold(0u128, |acc, inst| {
            let n = match inst.op {
                Operation::Gate { gate: GateRef::Custom(i), .. } => {
                    sizes.get(i).copied().unwrap_or(1)
                }
                _ => 1,
            };
            acc.saturating_add(n)
        })
    }

    fn eval_params(
        &self,
        gate: GateRef,
        params: &[Expr],
        bound: &[f64],
    ) -> Result<Vec<f64>, CircuitError> {
        params
            .iter()
            .map(|p| {
                p.eval(bound).map_err(|source| CircuitError::Param {
                    gate: self.gate_name(gate).to_string(),
                    source,
                })
            })
            .collect()
    }

    /// Expands one call of custom gate `def_index`, handing each resulting
    /// table gate or barrier (with circuit qubits) to `emit`. Nested calls
    /// are frames on a heap stack rather than recursion, so no nesting depth
    /// can overflow the thread's stack; since a body may only call earlier
    /// definitions (checked here, as API-built bodies are not validated),
    /// the stack holds at most one frame per definition. With `checked`,
    /// instantiations expanded before are skipped (their output is the same
    /// up to qubits, and their errors do not depend on qubits).
    fn expand_custom(
        &self,
        def_index: usize,
        values: Vec<f64>,
        qubits: &[usize],
        emit: &mut dyn FnMut(Operation, Vec<usize>),
        mut checked: Option<&mut Checked>,
    ) -> Result<(), CircuitError> {
        let seen = |checked: &Option<&mut Checked>, def: usize, values: &[f64]| {
            checked.as_ref().is_some_and(|c| c.contains(&instantiation(def, values)))
        };
        if seen(&checked, def_index, &values) {
            return Ok(());
        }
        let mut stack = vec![self.frame(def_index, values, qubits.to_vec())?];
        while let Some(top) = stack.last_mut() {
            let Some(op) = top.body.get(top.next) else {
                if let (Some(done), Some(checked)) = (stack.pop(), checked.as_mut()) {
                    // Capped: instantiations that all differ would otherwise
                    // fill memory in proportion to the flattened length.
                    if checked.len() < MAX_CHECKED {
                        checked.insert(instantiation(done.def, &done.bound));
                    }
                }
                continue;
            };
            top.next += 1;
            match op {
                BodyOp::Gate { gate, params, qubits: local } => {
                    let mapped = self.map_body_qubits(top, local)?;
                    self.check_body_call(top, *gate, params.len(), &mapped)?;
                    let values = self.eval_params(*gate, params, &top.bound)?;
                    match *gate {
                        GateRef::Custom(j) if seen(&checked, j, &values) => {}
                        GateRef::Custom(j) => {
                            let frame = self.frame(j, values, mapped)?;
                            stack.push(frame);
                        }
                        GateRef::Standard(_) => {
                            let params = values.into_iter().map(Expr::Const).collect();
                            emit(Operation::Gate { gate: *gate, params }, mapped);
                        }
                    }
                }
                BodyOp::Barrier(local) => {
                    emit(Operation::Barrier, self.map_body_qubits(top, local)?)
                }
            }
        }
        Ok(())
    }

    /// A frame for expanding custom gate `def` on `qubits` with `bound` parameters.
    fn frame(
        &self,
        def: usize,
        bound: Vec<f64>,
        qubits: Vec<usize>,
    ) -> Result<Frame<'_>, CircuitError> {
        let d = self.gate_definitions.get(def).ok_or(CircuitError::NoSuchGate(def))?;
        let body = d.body.as_deref().ok_or_else(|| CircuitError::Opaque(d.name.clone()))?;
        Ok(Frame { def, body, bound, qubits, next: 0 })
    }

    /// The circuit qubits of a body statement's argument indices.
    fn map_body_qubits(
        &self,
        frame: &Frame<'_>,
        local: &[usize],
    ) -> Result<Vec<usize>, CircuitError> {
        local
            .iter()
            .map(|&l| {
                frame.qubits.get(l).copied().ok_or_else(|| CircuitError::InvalidBody {
                    gate: self.gate_definitions[frame.def].name.clone(),
                    problem: format!(
                        "uses qubit argument #{l}, but the gate has {}",
                        frame.qubits.len()
                    ),
                })
            })
            .collect()
    }

    /// The checks [`Circuit::push`] makes, for a call inside a body: the
    /// callee is defined earlier and gets the right numbers of distinct
    /// qubits and of parameters.
    fn check_body_call(
        &self,
        frame: &Frame<'_>,
        gate: GateRef,
        num_params: usize,
        qubits: &[usize],
    ) -> Result<(), CircuitError> {
        if let GateRef::Custom(j) = gate {
            if j >= frame.def {
                return Err(CircuitError::InvalidBody {
                    gate: self.gate_definitions[frame.def].name.clone(),
                    problem: format!("calls custom gate #{j}, which is not defined before it"),
                });
            }
        }
        let (nq, np) = self.gate_arity(gate)?;
        let name = || self.gate_name(gate).to_string();
        if (nq, np) != (qubits.len(), num_params) {
            let (what, expected, found) = if nq != qubits.len() {
                ("qubits", nq, qubits.len())
            } else {
                ("parameters", np, num_params)
            };
            return Err(CircuitError::Arity { gate: name(), what, expected, found });
        }
        match first_duplicate(qubits) {
            Some(qubit) => Err(CircuitError::DuplicateQubit { gate: name(), qubit }),
            None => Ok(()),
        }
    }

    /// The register-qualified name of a qubit, e.g. `q[3]`.
    pub fn qubit_name(&self, q: usize) -> String {
        bit_name(&self.qregs, q)
    }

    /// The register-qualified name of a classical bit, e.g. `c[0]`.
    pub fn clbit_name(&self, c: usize) -> String {
        bit_name(&self.cregs, c)
    }

    /// Formats classical bit values (`bits[i]` = clbit `i`) as a counts key:
    /// registers separated by a space, last-declared register leftmost, each
    /// register's bit 0 rightmost (Qiskit's `get_counts` format).
    pub fn format_clbits(&self, bits: &[bool]) -> String {
        let mut s = String::with_capacity(self.num_clbits + self.cregs.len());
        for (i, reg) in self.cregs.iter().enumerate().rev() {
            if i + 1 != self.cregs.len() {
                s.push(' ');
            }
            for b in reg.bits().rev() {
                s.push(if bits[b] { '1' } else { '0' });
            }
        }
        s
    }

    /// True when every measurement is terminal: no gate, reset or condition
    /// follows a measurement on any qubit, and nothing is conditioned.
    pub fn measurements_are_terminal(&self) -> bool {
        let mut measured = vec![false; self.num_qubits];
        for inst in &self.instructions {
            if inst.condition.is_some() {
                return false;
            }
            match inst.op {
                Operation::Measure => {
                    let q = inst.qubits[0];
                    if measured[q] {
                        return false;
                    }
                    measured[q] = true;
                }
                Operation::Barrier => {}
                Operation::Gate { .. } | Operation::Reset => {
                    if inst.qubits.iter().any(|&q| measured[q]) {
                        return false;
                    }
                }
            }
        }
        true
    }
}

/// Instantiations (definition, parameter values as bits) that
/// [`Circuit::check_flatten`] has expanded without error.
type Checked = std::collections::HashSet<(usize, Vec<u64>)>;

/// Most instantiations [`Circuit::check_flatten`] remembers.
const MAX_CHECKED: usize = 1 << 16;

fn instantiation(def: usize, values: &[f64]) -> (usize, Vec<u64>) {
    (def, values.iter().map(|v| v.to_bits()).collect())
}

/// A custom gate call being expanded by [`Circuit::expand_custom`].
struct Frame<'c> {
    /// Index of the definition (its calls must have smaller indices).
    def: usize,
    body: &'c [BodyOp],
    /// Parameter values.
    bound: Vec<f64>,
    /// Circuit qubit of each qubit argument.
    qubits: Vec<usize>,
    /// Next statement of `body`.
    next: usize,
}

/// The first repeated entry (in order of its second appearance), in
/// O(n log n) for long lists so wide user gates stay cheap to validate.
fn first_duplicate(qubits: &[usize]) -> Option<usize> {
    if qubits.len() <= 8 {
        return qubits.iter().enumerate().find(|(i, q)| qubits[..*i].contains(q)).map(|(_, q)| *q);
    }
    let mut seen = std::collections::HashSet::with_capacity(qubits.len());
    qubits.iter().copied().find(|q| !seen.insert(*q))
}

fn bit_name(regs: &[Register], index: usize) -> String {
    regs.iter()
        .find(|r| r.bits().contains(&index))
        .map(|r| format!("{}[{}]", r.name, index - r.start))
        .unwrap_or_else(|| format!("?[{index}]"))
}

macro_rules! builder_gates {
    ($( $method:ident => $gate:ident ( $($q:ident),+ ) [ $($p:ident),* ] ; )*) => {
        impl Circuit { $(
            #[doc = concat!("Appends `", stringify!($method), "`.")]
            pub fn $method(self, $($p: f64,)* $($q: usize),+) -> Self {
                self.gate(StandardGate::$gate, &[$($p),*], &[$($q),+])
            }
        )* }
    };
}

builder_gates! {
    id => Id(q) [];
    x => X(q) [];
    y => Y(q) [];
    z => Z(q) [];
    h => H(q) [];
    s => S(q) [];
    sdg => Sdg(q) [];
    t => T(q) [];
    tdg => Tdg(q) [];
    sx => Sx(q) [];
    sxdg => Sxdg(q) [];
    rx => Rx(q) [theta];
    ry => Ry(q) [theta];
    rz => Rz(q) [phi];
    p => P(q) [lambda];
    u => U(q) [theta, phi, lambda];
    cx => Cx(control, target) [];
    cy => Cy(control, target) [];
    cz => Cz(control, target) [];
    ch => Ch(control, target) [];
    swap => Swap(a, b) [];
    cp => Cp(control, target) [lambda];
    crx => Crx(control, target) [theta];
    cry => Cry(control, target) [theta];
    crz => Crz(control, target) [theta];
    rxx => Rxx(a, b) [theta];
    rzz => Rzz(a, b) [theta];
    ccx => Ccx(c0, c1, target) [];
    cswap => Cswap(control, a, b) [];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_chains_and_measure_all_adds_register() {
        let c = Circuit::new(2).h(0).cx(0, 1).measure_all();
        assert_eq!(c.num_qubits(), 2);
        assert_eq!(c.num_clbits(), 2);
        assert_eq!(c.cregs()[0].name, "meas");
        assert_eq!(c.instructions().len(), 5);
        assert!(c.measurements_are_terminal());
    }

    #[test]
    fn push_rejects_bad_instructions() {
        let mut c = Circuit::new(2);
        let bad = Instruction {
            op: Operation::Gate { gate: GateRef::Standard(StandardGate::Cx), params: vec![] },
            qubits: vec![1, 1],
            clbits: vec![],
            condition: None,
        };
        assert_eq!(c.push(bad).unwrap_err().to_string(), "gate `cx` uses qubit 1 more than once");
        let bad = Instruction {
            op: Operation::Gate { gate: GateRef::Standard(StandardGate::H), params: vec![] },
            qubits: vec![5],
            clbits: vec![],
            condition: None,
        };
        assert_eq!(c.push(bad).unwrap_err(), CircuitError::QubitOutOfRange { index: 5, size: 2 });
    }

    #[test]
    fn counts_keys_put_last_register_left() {
        let mut c = Circuit::new(3);
        c.add_creg("a", 2).unwrap();
        c.add_creg("b", 1).unwrap();
        // a[0]=1, a[1]=0, b[0]=1
        assert_eq!(c.format_clbits(&[true, false, true]), "1 01");
    }

    #[test]
    fn flatten_expands_nested_custom_gates() {
        let mut c = Circuit::new(2);
        let inner = c.add_gate_definition(GateDefinition {
            name: "myrz".into(),
            params: vec!["a".into()],
            qubits: vec!["q".into()],
            body: Some(vec![BodyOp::Gate {
                gate: GateRef::Standard(StandardGate::Rz),
                params: vec![Expr::param(0) * Expr::val(2.0)],
                qubits: vec![0],
            }]),
        });
        let outer = c.add_gate_definition(GateDefinition {
            name: "pair".into(),
            params: vec!["t".into()],
            qubits: vec!["a".into(), "b".into()],
            body: Some(vec![
                BodyOp::Gate {
                    gate: GateRef::Custom(inner),
                    params: vec![Expr::param(0)],
                    qubits: vec![1],
                },
                BodyOp::Gate {
                    gate: GateRef::Standard(StandardGate::Cx),
                    params: vec![],
                    qubits: vec![1, 0],
                },
            ]),
        });
        c.push(Instruction {
            op: Operation::Gate { gate: GateRef::Custom(outer), params: vec![Expr::val(0.25)] },
            qubits: vec![0, 1],
            clbits: vec![],
            condition: None,
        })
        .unwrap();
        let flat = c.flatten().unwrap();
        assert_eq!(flat.instructions().len(), 2);
        assert_eq!(flat.instructions()[0].qubits, vec![1]);
        match &flat.instructions()[0].op {
            Operation::Gate { gate, params } => {
                assert_eq!(*gate, GateRef::Standard(StandardGate::Rz));
                assert_eq!(params[0].eval_const().unwrap(), 0.5);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(flat.instructions()[1].qubits, vec![1, 0]);
    }

    #[test]
    fn flatten_stops_exponential_expansion() {
        // g0 = h; g(k+1) = g(k) twice: 2^40 instructions if expanded.
        let mut c = Circuit::new(1);
        let mut prev = GateRef::Standard(StandardGate::H);
        for k in 0..40 {
            let call = BodyOp::Gate { gate: prev, params: vec![], qubits: vec![0] };
            let def = GateDefinition {
                name: format!("g{k}"),
                params: vec![],
                qubits: vec!["a".into()],
                body: Some(vec![call.clone(), call]),
            };
            prev = GateRef::Custom(c.add_gate_definition(def));
        }
        c.push(Instruction {
            op: Operation::Gate { gate: prev, params: vec![] },
            qubits: vec![0],
            clbits: vec![],
            condition: None,
        })
        .unwrap();
        assert_eq!(
            c.flatten().unwrap_err(),
            CircuitError::TooLarge { max: MAX_FLATTENED_INSTRUCTIONS }
        );
    }

    #[test]
    fn wide_duplicate_qubits_are_found() {
        let mut qubits: Vec<usize> = (0..1000).collect();
        assert_eq!(first_duplicate(&qubits), None);
        qubits.push(500);
        assert_eq!(first_duplicate(&qubits), Some(500));
        assert_eq!(first_duplicate(&[3, 1, 3]), Some(3));
    }
}
