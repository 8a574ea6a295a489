//! `gate` and `opaque` definitions.
//!
//! A definition's name must be new (a user gate may shadow only the extra
//! table gates that `qelib1.inc` makes available); its parameter and qubit
//! names must be distinct. A body holds gate calls and barriers on the gate's
//! own (unindexed) qubit arguments, calling only gates defined before it, with
//! parameters referenced by name (`Expr::Param`). The name is bound after the
//! body, so a gate cannot call itself.
//!
//! Each definition records, without expanding anything, how many operations
//! its full expansion yields (the sum over its body, saturating; charged
//! against [`ParseOptions::max_operations`](super::ParseOptions) at each call)
//! and how many levels of definitions it nests (checked against
//! [`ParseOptions::max_gate_nesting`](super::ParseOptions) at the definition).

use std::collections::{HashMap, HashSet};

use super::error::{clip, Qasm2Error};
use super::expr::GateScope;
use super::lex::{Keyword, Lexer, Sym, Tok, Token};
use super::parse::{Origin, Parser, Symbol};
use crate::circuit::{BodyOp, GateDefinition, GateRef};

/// Parameter and qubit names of a definition, with lookups by name.
struct Signature {
    params: Vec<String>,
    qubits: Vec<String>,
    param_index: HashMap<String, usize>,
    qubit_index: HashMap<String, usize>,
}

impl Signature {
    fn scope(&self) -> GateScope<'_> {
        GateScope { params: &self.param_index, qubits: &self.qubit_index }
    }

    /// Records a name, rejecting one used earlier in the signature.
    fn add(
        &mut self,
        lx: &Lexer<'_>,
        t: &Token<'_>,
        name: &str,
        is_param: bool,
    ) -> Result<(), Qasm2Error> {
        let earlier = if self.param_index.contains_key(name) {
            Some("a parameter")
        } else if self.qubit_index.contains_key(name) {
            Some("a qubit argument")
        } else {
            None
        };
        if let Some(role) = earlier {
            return Err(
                lx.error(t, format!("`{}` is already used as {role} of this gate", clip(name)))
            );
        }
        if is_param {
            self.param_index.insert(name.to_string(), self.params.len());
            self.params.push(name.to_string());
        } else {
            self.qubit_index.insert(name.to_string(), self.qubits.len());
            self.qubits.push(name.to_string());
        }
        Ok(())
    }
}

impl Parser<'_> {
    /// `gate name(params) qubits { body }`
    pub(super) fn gate_definition(&mut self, lx: &mut Lexer<'_>) -> Result<(), Qasm2Error> {
        lx.next_token()?;
        let (name, name_tok) = Self::ident(lx, "a gate name")?;
        self.check_new_gate_name(lx, &name_tok, name)?;
        let sig = self.signature(lx, Sym::LBrace)?;
        lx.expect(Sym::LBrace)?;
        let mut body = vec![];
        loop {
            let t = lx.peek()?;
            match t.kind {
                Tok::Sym(Sym::RBrace) => {
                    lx.next_token()?;
                    break;
                }
                Tok::Ident(_) => body.push(self.body_call(lx, &sig, name)?),
                Tok::Keyword(Keyword::Barrier) => body.push(self.body_barrier(lx, &sig)?),
                _ => {
                    return Err(lx.expected(
                        &format!(
                            "a gate call, `barrier` or '}}' in the body of gate `{}`",
                            clip(name)
                        ),
                        &t,
                    ))
                }
            }
        }
        let depth = self.nesting_of(&body);
        if depth > self.opts.max_gate_nesting {
            return Err(lx.error(
                &name_tok,
                format!(
                    "gate definition `{}` nests {depth} levels deep, over the limit of {}",
                    clip(name),
                    self.opts.max_gate_nesting
                ),
            ));
        }
        self.define(name, sig, Some(body), depth);
        Ok(())
    }

    /// `opaque name(params) qubits;`
    pub(super) fn opaque(&mut self, lx: &mut Lexer<'_>) -> Result<(), Qasm2Error> {
        lx.next_token()?;
        let (name, name_tok) = Self::ident(lx, "a gate name")?;
        self.check_new_gate_name(lx, &name_tok, name)?;
        let sig = self.signature(lx, Sym::Semicolon)?;
        lx.expect(Sym::Semicolon)?;
        self.define(name, sig, None, 1);
        Ok(())
    }

    fn check_new_gate_name(
        &self,
        lx: &Lexer<'_>,
        t: &Token<'_>,
        name: &str,
    ) -> Result<(), Qasm2Error> {
        match self.symbols.get(name) {
            Some(s) => {
                Err(lx.error(t, format!("`{}` is already defined ({})", clip(name), s.describe())))
            }
            None => Ok(()),
        }
    }

    /// Levels of definitions a body reaches: 1 if it calls only table gates,
    /// else one more than the deepest user gate it calls.
    fn nesting_of(&self, body: &[BodyOp]) -> usize {
        let deepest = body
            .iter()
            .filter_map(|op| match op {
                BodyOp::Gate { gate: GateRef::Custom(j), .. } => self.nesting.get(*j).copied(),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        deepest.saturating_add(1)
    }

    fn define(&mut self, name: &str, sig: Signature, body: Option<Vec<BodyOp>>, depth: usize) {
        let expansion = body.as_ref().map_or(1, |ops| {
            ops.iter().fold(0usize, |total, op| {
                let n = match op {
                    BodyOp::Gate { gate: GateRef::Custom(j), .. } => {
                        self.expansion.get(*j).copied().unwrap_or(1)
                    }
                    _ => 1,
                };
                total.saturating_add(n)
            })
        });
        self.expansion.push(expansion);
        self.nesting.push(depth);
        let def =
            GateDefinition { name: name.to_string(), params: sig.params, qubits: sig.qubits, body };
        let index = self.circuit.add_gate_definition(def);
        self.symbols.insert(name.to_string(), Symbol::Gate(GateRef::Custom(index), Origin::User));
    }

    /// `(a, b) x, y` up to (not including) `close`.
    fn signature(&self, lx: &mut Lexer<'_>, close: Sym) -> Result<Signature, Qasm2Error> {
        let mut sig = Signature {
            params: vec![],
            qubits: vec![],
            param_index: HashMap::new(),
            qubit_index: HashMap::new(),
        };
        if lx.accept(Sym::LParen)?.is_some() {
            while lx.peek()?.kind != Tok::Sym(Sym::RParen) {
                let (p, t) = Self::ident(lx, "a parameter name")?;
                sig.add(lx, &t, p, true)?;
                if !Self::list_continues(lx, Sym::RParen)? {
                    break;
                }
            }
            lx.expect(Sym::RParen)?;
        }
        loop {
            let (q, t) = Self::ident(lx, "a qubit argument name")?;
            sig.add(lx, &t, q, false)?;
            if !Self::list_continues(lx, close)? {
                return Ok(sig);
            }
        }
    }

    /// A gate call inside the body of `defining`.
    fn body_call(
        &self,
        lx: &mut Lexer<'_>,
        sig: &Signature,
        defining: &str,
    ) -> Result<BodyOp, Qasm2Error> {
        let (name, name_tok) = Self::ident(lx, "a gate name")?;
        let (gate, nq, np) = self.lookup_gate(lx, &name_tok, name, Some(defining))?;
        let params = self.call_params(lx, name, &name_tok, np, Some(sig.scope()))?;
        let mut qubits = vec![];
        let mut seen = HashSet::new();
        loop {
            let (q, t) = self.body_qubit(lx, sig)?;
            if !seen.insert(q) {
                return Err(lx.error(
                    &t,
                    format!(
                        "duplicate qubit argument `{}` in call to `{}`",
                        sig.qubits[q],
                        clip(name)
                    ),
                ));
            }
            qubits.push(q);
            if !Self::list_continues(lx, Sym::Semicolon)? {
                break;
            }
        }
        lx.expect(Sym::Semicolon)?;
        if qubits.len() != nq {
            return Err(Self::arity_error(lx, &name_tok, name, nq, qubits.len()));
        }
        Ok(BodyOp::Gate { gate, params, qubits })
    }

    /// `barrier a, b;` in a body (repeats dropped); `barrier;` covers every argument.
    fn body_barrier(&self, lx: &mut Lexer<'_>, sig: &Signature) -> Result<BodyOp, Qasm2Error> {
        lx.next_token()?;
        if lx.accept(Sym::Semicolon)?.is_some() {
            return Ok(BodyOp::Barrier((0..sig.qubits.len()).collect()));
        }
        let mut qubits = vec![];
        let mut seen = HashSet::new();
        loop {
            let (q, _) = self.body_qubit(lx, sig)?;
            if seen.insert(q) {
                qubits.push(q);
            }
            if !Self::list_continues(lx, Sym::Semicolon)? {
                break;
            }
        }
        lx.expect(Sym::Semicolon)?;
        Ok(BodyOp::Barrier(qubits))
    }

    /// One of the gate's own qubit arguments, by name, unindexed.
    fn body_qubit<'s>(
        &self,
        lx: &mut Lexer<'s>,
        sig: &Signature,
    ) -> Result<(usize, Token<'s>), Qasm2Error> {
        let (name, t) = Self::ident(lx, "a qubit argument")?;
        let Some(&q) = sig.qubit_index.get(name) else {
            let message = if sig.param_index.contains_key(name) {
                format!("`{}` is a parameter, not a qubit argument", clip(name))
            } else if let Some(s @ (Symbol::Qreg(_) | Symbol::Creg(_))) = self.symbols.get(name) {
                format!(
                    "`{}` is {}; a gate body can only use the gate's own qubit arguments",
                    clip(name),
                    s.describe()
                )
            } else {
                format!("unknown qubit argument `{}`", clip(name))
            };
            return Err(lx.error(&t, message));
        };
        if let Some(b) = lx.accept(Sym::LBracket)? {
            return Err(lx.error(&b, "qubit arguments in a gate body cannot be indexed"));
        }
        Ok((q, t))
    }
}
