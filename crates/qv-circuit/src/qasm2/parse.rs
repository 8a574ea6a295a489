//! Statements and their meaning: the recursive-descent parser that builds a
//! [`Circuit`].
//!
//! One global symbol table holds registers and gates, as in Qiskit: a name is
//! defined at most once, except that the non-`qelib1.inc` table gates made
//! available by the include can be shadowed by a user `gate`. Broadcasting is
//! resolved here; every instruction is charged against
//! [`ParseOptions::max_operations`] *before* it is built, so a short program
//! cannot expand into an unbounded circuit. Includes are parsed recursively
//! (each file's statements must be complete within it) with a cycle guard and
//! a depth limit. Gate definitions live in [`gatedef`](super::gatedef).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::error::{clip, Qasm2Error};
use super::expr::{parse_expression, GateScope};
use super::lex::{Keyword, Lexer, Sym, Tok, Token};
use super::ParseOptions;
use crate::circuit::{Circuit, Condition, GateRef, Instruction, Operation, SourcePos};
use crate::expr::Expr;
use crate::gates::{table, StandardGate};

/// What a global name refers to.
#[derive(Clone, Copy, Debug)]
pub(super) enum Symbol {
    Qreg(usize),
    Creg(usize),
    Gate(GateRef, Origin),
}

/// Where a gate name comes from (for messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Origin {
    Builtin,
    Qelib1,
    User,
}

impl Symbol {
    pub(super) fn describe(self) -> &'static str {
        match self {
            Symbol::Qreg(_) => "a quantum register",
            Symbol::Creg(_) => "a classical register",
            Symbol::Gate(_, Origin::Builtin) => "a built-in gate",
            Symbol::Gate(_, Origin::Qelib1) => "a gate from qelib1.inc",
            Symbol::Gate(_, Origin::User) => "a gate",
        }
    }
}

/// The name `qelib1.inc` gives a table row, if it has one (`U` is built in and
/// `qelib1.inc` adds the lowercase `u`).
pub(crate) fn qelib1_name(gate: StandardGate) -> Option<&'static str> {
    let def = gate.def();
    match (def.in_qelib1, gate) {
        (false, _) => None,
        (true, StandardGate::U) => Some("u"),
        (true, _) => Some(def.name),
    }
}

/// A quantum or classical operand at circuit level.
#[derive(Clone, Copy, Debug)]
pub(super) enum Operand {
    /// One bit: flat index and its register.
    Bit { index: usize, reg: usize },
    /// A whole register.
    Reg(usize),
}

/// The parser state shared by the main file and its includes.
pub(super) struct Parser<'o> {
    pub(super) opts: &'o ParseOptions,
    pub(super) circuit: Circuit,
    pub(super) symbols: HashMap<String, Symbol>,
    qelib1: bool,
    cost: usize,
    /// For each gate definition, how many operations its full expansion
    /// (`Circuit::flatten`) yields, saturating: nesting doubles it per level.
    pub(super) expansion: Vec<usize>,
    /// For each gate definition, how many levels of definitions it nests.
    pub(super) nesting: Vec<usize>,
    /// Canonical paths of the files being parsed, outermost first.
    includes: Vec<PathBuf>,
}

/// Reads a file as UTF-8, describing failures in words.
pub(super) fn read_source(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read the file: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "the file is not valid UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Parses a whole program.
pub(super) fn parse_program(
    source: &str,
    file: &str,
    opts: &ParseOptions,
) -> Result<Circuit, Qasm2Error> {
    let mut p = Parser {
        opts,
        circuit: Circuit::empty(),
        symbols: HashMap::new(),
        qelib1: false,
        cost: 0,
        expansion: vec![],
        nesting: vec![],
        includes: vec![],
    };
    p.symbols.insert("U".into(), Symbol::Gate(GateRef::Standard(StandardGate::U), Origin::Builtin));
    p.symbols
        .insert("CX".into(), Symbol::Gate(GateRef::Standard(StandardGate::Cx), Origin::Builtin));
    let dir = opts.include_files.then(|| Path::new(file).parent().map(Path::to_path_buf)).flatten();
    if opts.include_files {
        if let Ok(canon) = std::fs::canonicalize(file) {
            p.includes.push(canon);
        }
    }
    p.parse_source(source, file, dir.as_deref(), true)?;
    Ok(p.circuit)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

impl Parser<'_> {
    fn parse_source(
        &mut self,
        src: &str,
        file: &str,
        dir: Option<&Path>,
        main: bool,
    ) -> Result<(), Qasm2Error> {
        let mut lx = Lexer::new(src, file);
        self.header(&mut lx, main)?;
        loop {
            let t = lx.peek()?;
            match t.kind {
                Tok::Eof => return Ok(()),
                Tok::Sym(Sym::Semicolon) => {
                    lx.next_token()?;
                }
                Tok::Keyword(Keyword::Include) => self.include(&mut lx, dir)?,
                Tok::Keyword(Keyword::Qreg) => self.register(&mut lx, true)?,
                Tok::Keyword(Keyword::Creg) => self.register(&mut lx, false)?,
                Tok::Keyword(Keyword::Gate) => self.gate_definition(&mut lx)?,
                Tok::Keyword(Keyword::Opaque) => self.opaque(&mut lx)?,
                Tok::Keyword(Keyword::If) => self.conditional(&mut lx)?,
                Tok::Keyword(Keyword::Barrier) => self.barrier(&mut lx)?,
                Tok::Keyword(Keyword::OpenQasm) => {
                    return Err(
                        lx.error(&t, "`OPENQASM` may only appear once, as the first statement")
                    )
                }
                _ => self.quantum_op(&mut lx, None)?,
            }
        }
    }

    fn header(&mut self, lx: &mut Lexer<'_>, main: bool) -> Result<(), Qasm2Error> {
        let t = lx.peek()?;
        if t.kind != Tok::Keyword(Keyword::OpenQasm) {
            return if main { Err(lx.expected("the header 'OPENQASM 2.0;'", &t)) } else { Ok(()) };
        }
        lx.next_token()?;
        let v = lx.next_token()?;
        match v.kind {
            Tok::Int(text) | Tok::Real(text) => {
                let ok = match text.split_once('.') {
                    None => text == "2",
                    Some((major, minor)) => {
                        major == "2" && !minor.is_empty() && minor.bytes().all(|b| b == b'0')
                    }
                };
                if !ok {
                    return Err(lx.error(
                        &v,
                        format!(
                            "unsupported OpenQASM version `{}` (only 2.0 is supported)",
                            clip(text)
                        ),
                    ));
                }
            }
            _ => return Err(lx.expected("a version number", &v)),
        }
        lx.expect(Sym::Semicolon)?;
        Ok(())
    }

    /// An identifier or "expected {what}, found …".
    pub(super) fn ident<'s>(
        lx: &mut Lexer<'s>,
        what: &str,
    ) -> Result<(&'s str, Token<'s>), Qasm2Error> {
        let t = lx.next_token()?;
        match t.kind {
            Tok::Ident(name) => Ok((name, t)),
            _ => Err(lx.expected(what, &t)),
        }
    }

    /// After a list item: `,` continues (a trailing comma before `close` is
    /// accepted, as in Qiskit), `close` ends; returns whether to go on.
    pub(super) fn list_continues(lx: &mut Lexer<'_>, close: Sym) -> Result<bool, Qasm2Error> {
        if lx.accept(Sym::Comma)?.is_some() {
            return Ok(lx.peek()?.kind != Tok::Sym(close));
        }
        let t = lx.peek()?;
        if t.kind == Tok::Sym(close) {
            Ok(false)
        } else {
            Err(lx.expected(&format!("',' or '{}'", close.text()), &t))
        }
    }

    fn include(&mut self, lx: &mut Lexer<'_>, dir: Option<&Path>) -> Result<(), Qasm2Error> {
        lx.next_token()?;
        let t = lx.next_token()?;
        let Tok::Str(name) = t.kind else {
            return Err(lx.expected("a file name in quotes", &t));
        };
        lx.expect(Sym::Semicolon)?;
        if name == "qelib1.inc" {
            return self.include_qelib1(lx, &t);
        }
        if !self.opts.include_files {
            return Err(lx.error(
                &t,
                format!(
                    "cannot include `{}`: only `qelib1.inc` is built in, and other files are only \
                     read when the program itself is read from a file",
                    clip(name)
                ),
            ));
        }
        if self.includes.len() >= self.opts.max_include_depth {
            return Err(lx.error(
                &t,
                format!(
                    "cannot include `{}`: includes are nested too deeply (the limit is {})",
                    clip(name),
                    self.opts.max_include_depth
                ),
            ));
        }
        let path = match dir {
            Some(d) => d.join(name),
            None => PathBuf::from(name),
        };
        let canon = std::fs::canonicalize(&path).map_err(|e| {
            lx.error(&t, format!("cannot include `{}` ({}): {e}", clip(name), path.display()))
        })?;
        if !canon.is_file() {
            // Devices and pipes could stream forever; includes are ordinary files.
            return Err(lx.error(
                &t,
                format!("cannot include `{}` ({}): not a regular file", clip(name), path.display()),
            ));
        }
        if self.includes.contains(&canon) {
            return Err(
                lx.error(&t, format!("include cycle: `{}` is already being included", clip(name)))
            );
        }
        let text = read_source(&canon).map_err(|why| {
            lx.error(&t, format!("cannot include `{}` ({}): {why}", clip(name), path.display()))
        })?;
        let file = path.display().to_string();
        self.includes.push(canon);
        let result = self.parse_source(&text, &file, path.parent(), false);
        self.includes.pop();
        result
    }

    fn include_qelib1(&mut self, lx: &Lexer<'_>, t: &Token<'_>) -> Result<(), Qasm2Error> {
        if self.qelib1 {
            return Err(lx.error(t, "`qelib1.inc` is already included"));
        }
        for def in table() {
            let Some(name) = qelib1_name(def.gate) else { continue };
            if let Some(s) = self.symbols.get(name) {
                return Err(lx.error(
                    t,
                    format!(
                        "cannot include `qelib1.inc`: `{name}` is already defined ({})",
                        s.describe()
                    ),
                ));
            }
            self.symbols.insert(
                name.to_string(),
                Symbol::Gate(GateRef::Standard(def.gate), Origin::Qelib1),
            );
        }
        self.qelib1 = true;
        Ok(())
    }

    fn register(&mut self, lx: &mut Lexer<'_>, quantum: bool) -> Result<(), Qasm2Error> {
        lx.next_token()?;
        let (name, name_tok) = Self::ident(lx, "a register name")?;
        lx.expect(Sym::LBracket)?;
        let size_tok = lx.next_token()?;
        let Tok::Int(text) = size_tok.kind else {
            return Err(lx.expected("the register size (an integer)", &size_tok));
        };
        lx.expect(Sym::RBracket)?;
        lx.expect(Sym::Semicolon)?;
        if let Some(s) = self.symbols.get(name) {
            return Err(lx.error(
                &name_tok,
                format!("`{}` is already defined ({})", clip(name), s.describe()),
            ));
        }
        let used = self.circuit.num_qubits() + self.circuit.num_clbits();
        let size =
            text.parse::<usize>().ok().filter(|&n| n <= self.opts.max_bits.saturating_sub(used));
        let Some(size) = size else {
            return Err(lx.error(
                &size_tok,
                format!(
                    "register `{}` of size {} is too large: the circuit may have at most {} qubits and \
                     classical bits in total",
                    clip(name),
                    clip(text),
                    self.opts.max_bits
                ),
            ));
        };
        if size == 0 {
            return Err(lx.error(
                &size_tok,
                format!("register `{}` must have at least one bit", clip(name)),
            ));
        }
        let added = if quantum {
            self.circuit.add_qreg(name, size)
        } else {
            self.circuit.add_creg(name, size)
        };
        let index = added.map_err(|e| lx.error(&name_tok, e.to_string()))?;
        let symbol = if quantum { Symbol::Qreg(index) } else { Symbol::Creg(index) };
        self.symbols.insert(name.to_string(), symbol);
        Ok(())
    }

    /// Resolves a gate name used in a call: qubit and parameter counts.
    pub(super) fn lookup_gate(
        &self,
        lx: &Lexer<'_>,
        t: &Token<'_>,
        name: &str,
        defining: Option<&str>,
    ) -> Result<(GateRef, usize, usize), Qasm2Error> {
        let gate = match self.symbols.get(name) {
            Some(Symbol::Gate(g, _)) => *g,
            Some(s) => return Err(lx.error(t, format!("`{}` is {}, not a gate", clip(name), s.describe()))),
            None => match StandardGate::from_name(name) {
                Some(g) if self.qelib1 && !g.def().in_qelib1 && g.name() == name => GateRef::Standard(g),
                _ if defining == Some(name) => {
                    return Err(lx.error(
                        t,
                        format!(
                            "gate `{}` cannot call itself (a gate body may only use gates defined before it)",
                            clip(name)
                        ),
                    ))
                }
                Some(g) if !self.qelib1 && g.name() == name => {
                    return Err(lx.error(
                        t,
                        format!("undefined gate `{name}` (did you forget `include \"qelib1.inc\";`?)"),
                    ))
                }
                _ => return Err(lx.error(t, format!("undefined gate `{}`", clip(name)))),
            },
        };
        let (nq, np) = self.circuit.gate_arity(gate).map_err(|e| lx.error(t, e.to_string()))?;
        Ok((gate, nq, np))
    }

    /// `(expr, …)` after a gate name (absent means no parameters), then the count check.
    pub(super) fn call_params(
        &self,
        lx: &mut Lexer<'_>,
        name: &str,
        name_tok: &Token<'_>,
        expected: usize,
        scope: Option<GateScope<'_>>,
    ) -> Result<Vec<Expr>, Qasm2Error> {
        let mut params = vec![];
        if lx.accept(Sym::LParen)?.is_some() {
            while lx.peek()?.kind != Tok::Sym(Sym::RParen) {
                params.push(parse_expression(lx, scope, self.opts.max_expr_depth)?);
                if !Self::list_continues(lx, Sym::RParen)? {
                    break;
                }
            }
            lx.expect(Sym::RParen)?;
        }
        if params.len() != expected {
            return Err(lx.error(
                name_tok,
                format!(
                    "`{}` takes {}, found {}",
                    clip(name),
                    plural(expected, "parameter"),
                    params.len()
                ),
            ));
        }
        Ok(params)
    }

    pub(super) fn arity_error(
        lx: &Lexer<'_>,
        t: &Token<'_>,
        name: &str,
        expected: usize,
        found: usize,
    ) -> Qasm2Error {
        lx.error(
            t,
            format!("`{}` takes {}, found {found}", clip(name), plural(expected, "qubit argument")),
        )
    }

    /// A qubit or quantum register at circuit level.
    fn operand<'s>(
        &self,
        lx: &mut Lexer<'s>,
        quantum: bool,
    ) -> Result<(Operand, Token<'s>), Qasm2Error> {
        let (what, kind) = if quantum {
            ("a qubit or quantum register", "quantum register")
        } else {
            ("a classical bit or register", "classical register")
        };
        let (name, t) = Self::ident(lx, what)?;
        let reg = match (self.symbols.get(name), quantum) {
            (Some(Symbol::Qreg(r)), true) | (Some(Symbol::Creg(r)), false) => *r,
            (Some(s), _) => {
                return Err(
                    lx.error(&t, format!("`{}` is {}, not a {kind}", clip(name), s.describe()))
                )
            }
            (None, _) => return Err(lx.error(&t, format!("undefined {kind} `{}`", clip(name)))),
        };
        let register =
            if quantum { &self.circuit.qregs()[reg] } else { &self.circuit.cregs()[reg] };
        if lx.accept(Sym::LBracket)?.is_none() {
            return Ok((Operand::Reg(reg), t));
        }
        let i = lx.next_token()?;
        let Tok::Int(text) = i.kind else {
            return Err(lx.expected("an integer index", &i));
        };
        lx.expect(Sym::RBracket)?;
        match text.parse::<usize>() {
            Ok(index) if index < register.size => {
                Ok((Operand::Bit { index: register.start + index, reg }, t))
            }
            _ => Err(lx.error(
                &i,
                format!(
                    "index {} is out of range for register `{}` of size {}",
                    clip(text),
                    register.name,
                    register.size
                ),
            )),
        }
    }

    fn operand_name(&self, op: Operand, quantum: bool) -> String {
        match (op, quantum) {
            (Operand::Bit { index, .. }, true) => self.circuit.qubit_name(index),
            (Operand::Bit { index, .. }, false) => self.circuit.clbit_name(index),
            (Operand::Reg(r), true) => self.circuit.qregs()[r].name.clone(),
            (Operand::Reg(r), false) => self.circuit.cregs()[r].name.clone(),
        }
    }

    fn reg_size(&self, op: Operand, quantum: bool) -> Option<usize> {
        match op {
            Operand::Bit { .. } => None,
            Operand::Reg(r) if quantum => Some(self.circuit.qregs()[r].size),
            Operand::Reg(r) => Some(self.circuit.cregs()[r].size),
        }
    }

    /// Bit `i` of a broadcast over `op`.
    fn bit(&self, op: Operand, i: usize, quantum: bool) -> usize {
        match op {
            Operand::Bit { index, .. } => index,
            Operand::Reg(r) if quantum => self.circuit.qregs()[r].start + i,
            Operand::Reg(r) => self.circuit.cregs()[r].start + i,
        }
    }

    /// Counts `units` of work against the limit before anything is built.
    fn charge(&mut self, lx: &Lexer<'_>, t: &Token<'_>, units: usize) -> Result<(), Qasm2Error> {
        self.cost = self.cost.saturating_add(units);
        if self.cost > self.opts.max_operations {
            return Err(lx.error(
                t,
                format!(
                    "the circuit is too large: it expands to more than {} operations after \
                     broadcasting and gate expansion",
                    self.opts.max_operations
                ),
            ));
        }
        Ok(())
    }

    fn push(&mut self, lx: &Lexer<'_>, t: &Token<'_>, inst: Instruction) -> Result<(), Qasm2Error> {
        let pos = SourcePos {
            line: u32::try_from(t.line).unwrap_or(u32::MAX),
            col: u32::try_from(t.col).unwrap_or(u32::MAX),
        };
        self.circuit.push_at(inst, pos).map_err(|e| lx.error(t, e.to_string()))
    }

    fn quantum_op(
        &mut self,
        lx: &mut Lexer<'_>,
        cond: Option<Condition>,
    ) -> Result<(), Qasm2Error> {
        let t = lx.peek()?;
        match t.kind {
            Tok::Ident(_) => self.gate_call(lx, cond),
            Tok::Keyword(Keyword::Measure) => self.measure(lx, cond),
            Tok::Keyword(Keyword::Reset) => self.reset(lx, cond),
            _ if cond.is_some() => {
                Err(lx.expected("a gate call, `measure` or `reset` after `if (...)`", &t))
            }
            _ => Err(lx.expected("a statement", &t)),
        }
    }

    fn gate_call(&mut self, lx: &mut Lexer<'_>, cond: Option<Condition>) -> Result<(), Qasm2Error> {
        let (name, name_tok) = Self::ident(lx, "a gate name")?;
        let (gate, nq, np) = self.lookup_gate(lx, &name_tok, name, None)?;
        let params = self.call_params(lx, name, &name_tok, np, None)?;
        let mut args: Vec<(Operand, Token<'_>)> = vec![];
        loop {
            args.push(self.operand(lx, true)?);
            if !Self::list_continues(lx, Sym::Semicolon)? {
                break;
            }
        }
        lx.expect(Sym::Semicolon)?;
        if args.len() != nq {
            return Err(Self::arity_error(lx, &name_tok, name, nq, args.len()));
        }
        let width = self.broadcast_width(lx, name, &args)?;
        let nodes: usize = params.iter().map(Expr::node_count).sum();
        let expansion = match gate {
            GateRef::Custom(i) => self.expansion.get(i).copied().unwrap_or(0),
            GateRef::Standard(_) => 0,
        };
        let unit = (1 + nq + nodes).saturating_add(expansion);
        self.charge(lx, &name_tok, width.saturating_mul(unit))?;
        for i in 0..width {
            let qubits = args.iter().map(|(op, _)| self.bit(*op, i, true)).collect();
            let op = Operation::Gate { gate, params: params.clone() };
            self.push(lx, &name_tok, Instruction { op, qubits, clbits: vec![], condition: cond })?;
        }
        Ok(())
    }

    /// Checks a gate call's operands: registers of one size, no qubit twice.
    /// Returns how many instructions the call expands to.
    fn broadcast_width(
        &self,
        lx: &Lexer<'_>,
        name: &str,
        args: &[(Operand, Token<'_>)],
    ) -> Result<usize, Qasm2Error> {
        let mut width: Option<(usize, usize)> = None;
        let (mut regs, mut bits, mut bit_regs) = (HashSet::new(), HashSet::new(), HashSet::new());
        for &(op, t) in args {
            let duplicate = match op {
                Operand::Reg(r) => !regs.insert(r) || bit_regs.contains(&r),
                Operand::Bit { index, reg } => {
                    bit_regs.insert(reg);
                    regs.contains(&reg) || !bits.insert(index)
                }
            };
            if duplicate {
                return Err(lx.error(
                    &t,
                    format!(
                        "duplicate qubit argument `{}` in call to `{}`",
                        self.operand_name(op, true),
                        clip(name)
                    ),
                ));
            }
            if let (Operand::Reg(r), Some(size)) = (op, self.reg_size(op, true)) {
                match width {
                    Some((w, first)) if w != size => {
                        return Err(lx.error(
                            &t,
                            format!(
                            "cannot broadcast `{}`: register `{}` has {} but register `{}` has {}",
                            clip(name),
                            self.circuit.qregs()[first].name,
                            plural(w, "qubit"),
                            self.circuit.qregs()[r].name,
                            plural(size, "qubit")
                        ),
                        ))
                    }
                    Some(_) => {}
                    None => width = Some((size, r)),
                }
            }
        }
        Ok(width.map_or(1, |(w, _)| w))
    }

    fn measure(&mut self, lx: &mut Lexer<'_>, cond: Option<Condition>) -> Result<(), Qasm2Error> {
        let kw = lx.next_token()?;
        let (q, _) = self.operand(lx, true)?;
        lx.expect(Sym::Arrow)?;
        let (c, _) = self.operand(lx, false)?;
        lx.expect(Sym::Semicolon)?;
        let width = match (self.reg_size(q, true), self.reg_size(c, false)) {
            (None, None) => 1,
            (Some(a), Some(b)) if a == b => a,
            (qs, cs) => {
                let side = |op, quantum, size: Option<usize>, unit| match size {
                    Some(n) => {
                        format!("`{}` has {}", self.operand_name(op, quantum), plural(n, unit))
                    }
                    None => format!("`{}` is a single bit", self.operand_name(op, quantum)),
                };
                return Err(lx.error(
                    &kw,
                    format!(
                        "cannot broadcast `measure`: {} but {}",
                        side(q, true, qs, "qubit"),
                        side(c, false, cs, "bit")
                    ),
                ));
            }
        };
        self.charge(lx, &kw, width.saturating_mul(3))?;
        for i in 0..width {
            let inst = Instruction {
                op: Operation::Measure,
                qubits: vec![self.bit(q, i, true)],
                clbits: vec![self.bit(c, i, false)],
                condition: cond,
            };
            self.push(lx, &kw, inst)?;
        }
        Ok(())
    }

    fn reset(&mut self, lx: &mut Lexer<'_>, cond: Option<Condition>) -> Result<(), Qasm2Error> {
        let kw = lx.next_token()?;
        let (q, _) = self.operand(lx, true)?;
        lx.expect(Sym::Semicolon)?;
        let width = self.reg_size(q, true).unwrap_or(1);
        self.charge(lx, &kw, width.saturating_mul(2))?;
        for i in 0..width {
            let inst = Instruction {
                op: Operation::Reset,
                qubits: vec![self.bit(q, i, true)],
                clbits: vec![],
                condition: cond,
            };
            self.push(lx, &kw, inst)?;
        }
        Ok(())
    }

    /// `barrier a, q[1];` — registers expand, repeats are dropped (as in
    /// Qiskit); `barrier;` covers every qubit declared so far.
    fn barrier(&mut self, lx: &mut Lexer<'_>) -> Result<(), Qasm2Error> {
        let kw = lx.next_token()?;
        let mut qubits = vec![];
        if lx.accept(Sym::Semicolon)?.is_some() {
            qubits.extend(0..self.circuit.num_qubits());
        } else {
            let mut seen = HashSet::new();
            loop {
                let (op, _) = self.operand(lx, true)?;
                let width = self.reg_size(op, true).unwrap_or(1);
                self.charge(lx, &kw, width)?;
                for i in 0..width {
                    let q = self.bit(op, i, true);
                    if seen.insert(q) {
                        qubits.push(q);
                    }
                }
                if !Self::list_continues(lx, Sym::Semicolon)? {
                    break;
                }
            }
            lx.expect(Sym::Semicolon)?;
        }
        self.charge(lx, &kw, 1)?;
        if qubits.is_empty() {
            return Ok(());
        }
        self.push(
            lx,
            &kw,
            Instruction { op: Operation::Barrier, qubits, clbits: vec![], condition: None },
        )
    }

    /// `if (creg == value) op;`
    fn conditional(&mut self, lx: &mut Lexer<'_>) -> Result<(), Qasm2Error> {
        lx.next_token()?;
        lx.expect(Sym::LParen)?;
        let (name, t) = Self::ident(lx, "a classical register name")?;
        let creg = match self.symbols.get(name) {
            Some(Symbol::Creg(r)) => *r,
            Some(s) => {
                return Err(lx.error(
                    &t,
                    format!("`{}` is {}, not a classical register", clip(name), s.describe()),
                ))
            }
            None => {
                return Err(lx.error(&t, format!("undefined classical register `{}`", clip(name))))
            }
        };
        lx.expect(Sym::EqEq)?;
        let v = lx.next_token()?;
        let Tok::Int(text) = v.kind else {
            return Err(lx.expected("an integer", &v));
        };
        let value = text.parse::<u64>().map_err(|_| {
            lx.error(&v, format!("the condition value `{}` does not fit in 64 bits", clip(text)))
        })?;
        lx.expect(Sym::RParen)?;
        self.quantum_op(lx, Some(Condition { creg, value }))
    }
}
