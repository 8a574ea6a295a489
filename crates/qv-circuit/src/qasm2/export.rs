//! The OpenQASM 2.0 exporter.
//!
//! Output: the header and `include "qelib1.inc";`, then `gate` definitions for
//! the table gates `qelib1.inc` lacks (built from the table's decompositions,
//! dependencies first), the circuit's own gate and `opaque` definitions, the
//! registers, and one statement per instruction. Parameters print with
//! [`Expr::display_with`], whose numbers are shortest round-trip floats, so
//! values survive exactly.
//!
//! What OpenQASM 2 cannot say is adapted: the circuit's global phase becomes a
//! `// global phase: …` comment (it is lost on re-parsing; gate definitions
//! are likewise only defined up to phase), conditions on barriers are dropped
//! (OpenQASM 2 cannot condition a barrier), repeated qubits in a barrier are
//! written once, empty barriers and registers of size zero are left out (as
//! comments), and names that are not valid identifiers or clash with
//! keywords, `qelib1.inc` gates or each other are renamed deterministically.
//! A circuit that is itself invalid (non-finite parameters, dangling indices)
//! still exports without panicking, but the text will not parse back.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

use super::lex::is_reserved_word;
use super::parse::qelib1_name;
use crate::circuit::{BodyOp, Circuit, GateRef, Instruction, Operation, Register};
use crate::expr::Expr;
use crate::gates::decompose::decomposition;
use crate::gates::{table, StandardGate};

/// Writes `circuit` as OpenQASM 2.0 text; `parse(export(c))` rebuilds it (see
/// the module docs for what cannot be expressed).
pub fn export(circuit: &Circuit) -> String {
    let mut ex = Exporter::new(circuit);
    ex.write_all();
    ex.out
}

/// Turns `wanted` into a valid identifier that is not in `used`, and records it.
fn fresh_name(used: &mut HashSet<String>, wanted: &str, prefix: &str) -> String {
    let mut base: String = wanted
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
        .collect();
    match base.chars().next() {
        Some(c) if c.is_ascii_lowercase() => {}
        Some(c) if c.is_ascii_uppercase() => {
            base.replace_range(0..1, &c.to_ascii_lowercase().to_string())
        }
        _ => base = format!("{prefix}_{base}"),
    }
    if is_reserved_word(&base) {
        base.push('_');
    }
    let mut name = base.clone();
    let mut n = 1;
    while used.contains(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    used.insert(name.clone());
    name
}

struct Exporter<'c> {
    c: &'c Circuit,
    out: String,
    /// Export names of the circuit's gate definitions, by index.
    custom: Vec<String>,
    /// Export names of the non-`qelib1.inc` table gates that need a definition.
    synthesized: HashMap<StandardGate, String>,
    qregs: Vec<String>,
    cregs: Vec<String>,
}

impl<'c> Exporter<'c> {
    fn new(c: &'c Circuit) -> Self {
        let mut used: HashSet<String> = ["U", "CX"].into_iter().map(String::from).collect();
        used.extend(table().iter().filter_map(|d| qelib1_name(d.gate)).map(String::from));
        let custom =
            c.gate_definitions().iter().map(|d| fresh_name(&mut used, &d.name, "g")).collect();
        let synthesized = needed_table_gates(c)
            .into_iter()
            .map(|g| (g, fresh_name(&mut used, g.name(), "g")))
            .collect();
        let qregs = c.qregs().iter().map(|r| fresh_name(&mut used, &r.name, "r")).collect();
        let cregs = c.cregs().iter().map(|r| fresh_name(&mut used, &r.name, "r")).collect();
        Exporter { c, out: String::new(), custom, synthesized, qregs, cregs }
    }

    fn gate_name(&self, gate: GateRef) -> String {
        match gate {
            GateRef::Standard(StandardGate::U) => "U".to_string(),
            GateRef::Standard(g) => match (qelib1_name(g), self.synthesized.get(&g)) {
                (Some(name), _) => name.to_string(),
                (None, Some(name)) => name.clone(),
                (None, None) => g.name().to_string(),
            },
            GateRef::Custom(i) => {
                self.custom.get(i).cloned().unwrap_or_else(|| format!("undefined_gate_{i}"))
            }
        }
    }

    fn write_all(&mut self) {
        self.out.push_str("OPENQASM 2.0;\ninclude \"qelib1.inc\";\n");
        if self.c.global_phase != 0.0 {
            let _ = writeln!(
                self.out,
                "// global phase: {} (OpenQASM 2 cannot express it; dropped)",
                Expr::Const(self.c.global_phase)
            );
        }
        let mut emitted = HashSet::new();
        let mut order: Vec<StandardGate> = self.synthesized.keys().copied().collect();
        order.sort();
        for g in order {
            self.write_table_gate(g, &mut emitted);
        }
        for i in 0..self.c.gate_definitions().len() {
            self.write_definition(i);
        }
        self.write_registers();
        for inst in self.c.instructions() {
            self.write_instruction(inst);
        }
    }

    /// A `gate` definition for a non-`qelib1.inc` table gate, after those its body uses.
    fn write_table_gate(&mut self, g: StandardGate, emitted: &mut HashSet<StandardGate>) {
        if !emitted.insert(g) {
            return;
        }
        let params: Vec<String> = g.def().params.iter().map(|p| p.to_string()).collect();
        let qubits: Vec<String> = (0..g.num_qubits()).map(|i| format!("q{i}")).collect();
        let args: Vec<Expr> = (0..params.len()).map(Expr::Param).collect();
        let name = self.gate_name(GateRef::Standard(g));
        let Some(body) = decomposition(g, &args) else {
            let _ = writeln!(self.out, "// no decomposition of `{}` is known", g.name());
            let _ = writeln!(self.out, "opaque {};", signature(&name, &params, &qubits));
            return;
        };
        for (op, _, _) in &body.ops {
            if qelib1_name(*op).is_none() && *op != StandardGate::U {
                self.write_table_gate(*op, emitted);
            }
        }
        let mut line = format!("gate {} {{", signature(&name, &params, &qubits));
        for (op, op_params, op_qubits) in &body.ops {
            let qs: Vec<&str> =
                op_qubits.iter().map(|&q| qubits.get(q).map_or("?", |s| s.as_str())).collect();
            line.push(' ');
            line.push_str(&self.call_text(
                GateRef::Standard(*op),
                op_params,
                &params,
                &qs.join(","),
            ));
            line.push(';');
        }
        line.push_str(" }");
        let _ = writeln!(self.out, "{line}");
    }

    fn write_definition(&mut self, i: usize) {
        let def = &self.c.gate_definitions()[i];
        let mut local: HashSet<String> = HashSet::new();
        let params: Vec<String> =
            def.params.iter().map(|p| fresh_name(&mut local, p, "p")).collect();
        let qubits: Vec<String> =
            def.qubits.iter().map(|q| fresh_name(&mut local, q, "q")).collect();
        let sig = signature(&self.custom[i], &params, &qubits);
        let Some(body) = &def.body else {
            let _ = writeln!(self.out, "opaque {sig};");
            return;
        };
        let qubit = |q: &usize| qubits.get(*q).map_or("?", |s| s.as_str());
        let mut line = format!("gate {sig} {{");
        for op in body {
            line.push(' ');
            match op {
                BodyOp::Gate { gate, params: p, qubits: qs } => {
                    let args: Vec<&str> = qs.iter().map(qubit).collect();
                    line.push_str(&self.call_text(*gate, p, &params, &args.join(",")));
                }
                BodyOp::Barrier(qs) => {
                    let args: Vec<&str> = dedup(qs).iter().map(qubit).collect();
                    line.push_str(&format!("barrier {}", args.join(",")));
                }
            }
            line.push(';');
        }
        line.push_str(" }");
        let _ = writeln!(self.out, "{line}");
    }

    fn write_registers(&mut self) {
        for (keyword, regs, names) in
            [("qreg", self.c.qregs(), &self.qregs), ("creg", self.c.cregs(), &self.cregs)]
        {
            for (reg, name) in regs.iter().zip(names) {
                if reg.size == 0 {
                    let _ = writeln!(self.out, "// {keyword} {name} has no bits (not expressible)");
                } else {
                    let _ = writeln!(self.out, "{keyword} {name}[{}];", reg.size);
                }
            }
        }
    }

    fn write_instruction(&mut self, inst: &Instruction) {
        let qubits: Vec<String> =
            inst.qubits.iter().map(|&q| bit_name(self.c.qregs(), &self.qregs, q)).collect();
        let stmt = match &inst.op {
            Operation::Gate { gate, params } => {
                self.call_text(*gate, params, &[], &qubits.join(","))
            }
            Operation::Measure => {
                let c = inst.clbits.first().map(|&c| bit_name(self.c.cregs(), &self.cregs, c));
                format!("measure {} -> {}", qubits.join(","), c.unwrap_or_default())
            }
            Operation::Reset => format!("reset {}", qubits.join(",")),
            Operation::Barrier => {
                let unique: Vec<String> = dedup(&inst.qubits)
                    .iter()
                    .map(|&q| bit_name(self.c.qregs(), &self.qregs, q))
                    .collect();
                if unique.is_empty() {
                    self.out.push_str("// empty barrier\n");
                } else {
                    let _ = writeln!(self.out, "barrier {};", unique.join(","));
                }
                return;
            }
        };
        if let Some(cond) = inst.condition {
            let name = self.cregs.get(cond.creg).map_or("?", |s| s.as_str());
            let _ = write!(self.out, "if({name}=={}) ", cond.value);
        }
        let _ = writeln!(self.out, "{stmt};");
    }

    /// `name(p, …) args` with parameters named by `names`.
    fn call_text(&self, gate: GateRef, params: &[Expr], names: &[String], args: &str) -> String {
        let mut s = self.gate_name(gate);
        if !params.is_empty() {
            let ps: Vec<String> =
                params.iter().map(|p| p.display_with(names).to_string()).collect();
            let _ = write!(s, "({})", ps.join(","));
        }
        let _ = write!(s, " {args}");
        s
    }
}

fn signature(name: &str, params: &[String], qubits: &[String]) -> String {
    if params.is_empty() {
        format!("{name} {}", qubits.join(","))
    } else {
        format!("{name}({}) {}", params.join(","), qubits.join(","))
    }
}

/// `reg[i]` for a flat bit index.
fn bit_name(regs: &[Register], names: &[String], bit: usize) -> String {
    // Registers are laid out in declaration order, so their starts increase.
    let k = regs.partition_point(|r| r.start + r.size <= bit);
    match (regs.get(k), names.get(k)) {
        (Some(r), Some(name)) if r.bits().contains(&bit) => format!("{name}[{}]", bit - r.start),
        _ => format!("?[{bit}]"),
    }
}

fn dedup(items: &[usize]) -> Vec<usize> {
    let mut seen = HashSet::new();
    items.iter().copied().filter(|q| seen.insert(*q)).collect()
}

/// The non-`qelib1.inc` table gates the circuit uses, directly or through the
/// decompositions of others, in table order.
fn needed_table_gates(c: &Circuit) -> BTreeSet<StandardGate> {
    let mut todo: Vec<StandardGate> = vec![];
    for inst in c.instructions() {
        if let Operation::Gate { gate: GateRef::Standard(g), .. } = inst.op {
            todo.push(g);
        }
    }
    for def in c.gate_definitions() {
        for op in def.body.iter().flatten() {
            if let BodyOp::Gate { gate: GateRef::Standard(g), .. } = op {
                todo.push(*g);
            }
        }
    }
    let mut needed = BTreeSet::new();
    while let Some(g) = todo.pop() {
        if qelib1_name(g).is_some() || g == StandardGate::U || !needed.insert(g) {
            continue;
        }
        let args: Vec<Expr> = (0..g.num_params()).map(Expr::Param).collect();
        if let Some(body) = decomposition(g, &args) {
            todo.extend(body.ops.iter().map(|(op, _, _)| *op));
        }
    }
    needed
}
