//! Parameter expressions: an operator-precedence parser producing [`Expr`].
//!
//! Precedence, loosest first: `+ -` (left associative), `* /` (left
//! associative), unary `-`/`+`, then `^` (right associative and tighter than
//! unary minus, so `-2^2 = -4`), with Qiskit's binding powers. Atoms are
//! numbers, `pi`, gate parameters (inside gate bodies), `sin cos tan exp ln
//! sqrt` calls and parentheses. Integers are read as reals.
//!
//! The parser is iterative, with pending operators and open parentheses on a
//! heap stack, so no input can overflow the thread's stack while parsing. The
//! tree is kept symbolic (the IR exports it as written), but each node carries
//! its value when it is constant, so division by zero and `ln`/`sqrt` outside
//! their domain are reported at the operator, and a constant expression must
//! be finite. Parenthesis nesting and the depth of the resulting tree are both
//! capped, which bounds the work per expression and keeps what the exporter
//! writes readable back (the walks over trees are iterative, see
//! [`crate::expr`]).

use std::collections::HashMap;

use super::error::{clip, Qasm2Error};
use super::lex::{Keyword, Lexer, Sym, Tok, Token};
use crate::expr::{BinOp, Expr, Func};

/// The names visible inside a gate body, each mapped to its position.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GateScope<'a> {
    /// Parameter names (`Expr::Param(i)` for the parameter at `i`).
    pub params: &'a HashMap<String, usize>,
    /// Qubit argument names.
    pub qubits: &'a HashMap<String, usize>,
}

/// A parsed subexpression with its tree depth and, when constant, its value.
struct Parsed {
    expr: Expr,
    depth: usize,
    value: Option<f64>,
}

impl Parsed {
    fn leaf(expr: Expr, value: Option<f64>) -> Self {
        Parsed { expr, depth: 1, value }
    }
}

/// Binding power of unary `-`/`+`: tighter than `*`, looser than `^`.
const PREFIX_POWER: u8 = 5;

/// Left and right binding powers; left > right makes an operator right associative.
fn binding_power(op: BinOp) -> (u8, u8) {
    match op {
        BinOp::Add | BinOp::Sub => (1, 2),
        BinOp::Mul | BinOp::Div => (3, 4),
        BinOp::Pow => (8, 7),
    }
}

fn binary_op(kind: Tok<'_>) -> Option<BinOp> {
    match kind {
        Tok::Sym(Sym::Plus) => Some(BinOp::Add),
        Tok::Sym(Sym::Minus) => Some(BinOp::Sub),
        Tok::Sym(Sym::Star) => Some(BinOp::Mul),
        Tok::Sym(Sym::Slash) => Some(BinOp::Div),
        Tok::Sym(Sym::Caret) => Some(BinOp::Pow),
        _ => None,
    }
}

fn function(k: Keyword) -> Option<Func> {
    match k {
        Keyword::Sin => Some(Func::Sin),
        Keyword::Cos => Some(Func::Cos),
        Keyword::Tan => Some(Func::Tan),
        Keyword::Exp => Some(Func::Exp),
        Keyword::Ln => Some(Func::Ln),
        Keyword::Sqrt => Some(Func::Sqrt),
        _ => None,
    }
}

/// Work waiting for its right-hand side (or its closing parenthesis).
enum Pending<'s> {
    Negate(Token<'s>),
    Infix(BinOp, Parsed, Token<'s>),
    Paren,
    Call(Func, Token<'s>),
}

impl Pending<'_> {
    /// Right binding power of an operator; `None` for an open parenthesis.
    fn power(&self) -> Option<u8> {
        match self {
            Pending::Negate(_) => Some(PREFIX_POWER),
            Pending::Infix(op, _, _) => Some(binding_power(*op).1),
            Pending::Paren | Pending::Call(..) => None,
        }
    }
}

struct ExprParser<'l, 's> {
    lx: &'l mut Lexer<'s>,
    scope: Option<GateScope<'l>>,
    max_depth: usize,
    stack: Vec<Pending<'s>>,
    open: usize,
}

/// Parses one expression. `scope` is the enclosing gate's names (`None` at
/// circuit level, where expressions must be constant and finite).
pub(crate) fn parse_expression(
    lx: &mut Lexer<'_>,
    scope: Option<GateScope<'_>>,
    max_depth: usize,
) -> Result<Expr, Qasm2Error> {
    let start = lx.peek()?;
    let mut p = ExprParser { lx, scope, max_depth, stack: vec![], open: 0 };
    let parsed = p.run()?;
    if let Some(v) = parsed.value {
        if !v.is_finite() {
            return Err(p.lx.error(&start, "the expression does not evaluate to a finite number"));
        }
    }
    Ok(parsed.expr)
}

impl<'s> ExprParser<'_, 's> {
    fn too_deep(&self, at: &Token<'_>) -> Qasm2Error {
        self.lx.error(
            at,
            format!("expression is nested too deeply (the limit is {} levels)", self.max_depth),
        )
    }

    fn open_paren(&mut self, at: &Token<'_>, pending: Pending<'s>) -> Result<(), Qasm2Error> {
        self.open += 1;
        if self.open > self.max_depth {
            return Err(self.too_deep(at));
        }
        self.stack.push(pending);
        Ok(())
    }

    fn run(&mut self) -> Result<Parsed, Qasm2Error> {
        loop {
            // An operand is expected: prefixes and openings are pushed until one is found.
            let t = self.lx.next_token()?;
            if let Some(func) = if let Tok::Keyword(k) = t.kind { function(k) } else { None } {
                self.lx.expect(Sym::LParen)?;
                self.open_paren(&t, Pending::Call(func, t))?;
                continue;
            }
            let mut operand = match t.kind {
                Tok::Sym(Sym::Minus) => {
                    self.stack.push(Pending::Negate(t));
                    continue;
                }
                Tok::Sym(Sym::Plus) => continue,
                Tok::Sym(Sym::LParen) => {
                    self.open_paren(&t, Pending::Paren)?;
                    continue;
                }
                _ => self.atom(&t)?,
            };
            // An operator, a closing parenthesis or the end is expected.
            loop {
                let t = self.lx.peek()?;
                if let Some(op) = binary_op(t.kind) {
                    let left = binding_power(op).0;
                    operand = self.reduce(operand, left)?;
                    self.lx.next_token()?;
                    self.stack.push(Pending::Infix(op, operand, t));
                    break;
                }
                operand = self.reduce(operand, 0)?;
                if self.open == 0 {
                    return Ok(operand);
                }
                if t.kind != Tok::Sym(Sym::RParen) {
                    return Err(self.lx.expected("')'", &t));
                }
                self.lx.next_token()?;
                self.open -= 1;
                if let Some(Pending::Call(func, at)) = self.stack.pop() {
                    operand = self.call(&at, func, operand)?;
                }
            }
        }
    }

    /// Applies pending operators that bind tighter than `left` (all of them,
    /// down to the nearest open parenthesis, for `left == 0`).
    fn reduce(&mut self, mut operand: Parsed, left: u8) -> Result<Parsed, Qasm2Error> {
        while let Some(power) = self.stack.last().and_then(Pending::power) {
            if power <= left {
                break;
            }
            operand = match self.stack.pop() {
                Some(Pending::Negate(at)) => {
                    let value = operand.value.map(|v| -v);
                    self.node(&at, Expr::Neg(Box::new(operand.expr)), operand.depth + 1, value)?
                }
                Some(Pending::Infix(op, lhs, at)) => self.binary(&at, op, lhs, operand)?,
                _ => operand,
            };
        }
        Ok(operand)
    }

    fn node(
        &self,
        at: &Token<'_>,
        expr: Expr,
        depth: usize,
        value: Option<f64>,
    ) -> Result<Parsed, Qasm2Error> {
        if depth > self.max_depth {
            return Err(self.too_deep(at));
        }
        Ok(Parsed { expr, depth, value })
    }

    fn binary(
        &self,
        at: &Token<'_>,
        op: BinOp,
        a: Parsed,
        b: Parsed,
    ) -> Result<Parsed, Qasm2Error> {
        if op == BinOp::Div && b.value == Some(0.0) {
            return Err(self.lx.error(at, "division by zero"));
        }
        let value = match (a.value, b.value) {
            (Some(x), Some(y)) => Some(op.apply(x, y)),
            _ => None,
        };
        let depth = 1 + a.depth.max(b.depth);
        self.node(at, Expr::Binary(op, Box::new(a.expr), Box::new(b.expr)), depth, value)
    }

    fn call(&self, at: &Token<'_>, func: Func, arg: Parsed) -> Result<Parsed, Qasm2Error> {
        let value = match (func, arg.value) {
            (Func::Ln, Some(v)) if v <= 0.0 => {
                return Err(self
                    .lx
                    .error(at, format!("cannot take ln of the non-positive value {v}")))
            }
            (Func::Sqrt, Some(v)) if v < 0.0 => {
                return Err(self
                    .lx
                    .error(at, format!("cannot take sqrt of the negative value {v}")))
            }
            (_, v) => v.map(|v| func.apply(v)),
        };
        self.node(at, Expr::Call(func, Box::new(arg.expr)), arg.depth + 1, value)
    }

    fn atom(&self, t: &Token<'_>) -> Result<Parsed, Qasm2Error> {
        match t.kind {
            Tok::Int(text) | Tok::Real(text) => {
                let v: f64 = text
                    .parse()
                    .map_err(|_| self.lx.error(t, format!("invalid number `{}`", clip(text))))?;
                if !v.is_finite() {
                    return Err(self
                        .lx
                        .error(t, format!("the number `{}` is too large", clip(text))));
                }
                Ok(Parsed::leaf(Expr::Const(v), Some(v)))
            }
            Tok::Keyword(Keyword::Pi) => Ok(Parsed::leaf(Expr::Pi, Some(std::f64::consts::PI))),
            Tok::Ident(name) => self.parameter(t, name),
            _ => Err(self.lx.expected("an expression", t)),
        }
    }

    fn parameter(&self, t: &Token<'_>, name: &str) -> Result<Parsed, Qasm2Error> {
        let Some(scope) = self.scope else {
            return Err(self.lx.error(
                t,
                format!(
                    "unknown identifier `{}` in an expression (outside gate bodies, expressions \
                     may only use numbers, `pi` and functions)",
                    clip(name)
                ),
            ));
        };
        if let Some(&i) = scope.params.get(name) {
            return Ok(Parsed::leaf(Expr::Param(i), None));
        }
        let message = if scope.qubits.contains_key(name) {
            format!("`{}` is a qubit argument, not a parameter", clip(name))
        } else {
            format!("unknown parameter `{}` in an expression", clip(name))
        };
        Err(self.lx.error(t, message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn eval(src: &str) -> f64 {
        let mut lx = Lexer::new(src, "t");
        parse_expression(&mut lx, None, 64).unwrap().eval_const().unwrap()
    }

    fn err(src: &str) -> String {
        let mut lx = Lexer::new(src, "t");
        parse_expression(&mut lx, None, 64).unwrap_err().to_string()
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(eval("1 + 2 * 3"), 7.0);
        assert_eq!(eval("-2^2"), -4.0);
        assert_eq!(eval("2^3^2"), 512.0);
        assert_eq!(eval("2^-1"), 0.5);
        assert_eq!(eval("8 / 4 / 2"), 1.0);
        assert_eq!(eval("1 - 2 - 3"), -4.0);
        assert_eq!(eval("+(1)"), 1.0);
        assert!((eval("sin(pi/2) + sqrt(4) + ln(exp(1))") - 4.0).abs() < 1e-15);
        assert_eq!(eval("pi"), PI);
    }

    #[test]
    fn constant_errors_point_at_the_operator() {
        assert_eq!(err("1 / (2 - 2)"), "t:1:3: division by zero");
        assert_eq!(err("2 * ln(0)"), "t:1:5: cannot take ln of the non-positive value 0");
        assert_eq!(err("exp(1000)"), "t:1:1: the expression does not evaluate to a finite number");
    }

    #[test]
    fn depth_is_capped() {
        let src = format!("{}1{}", "(".repeat(100), ")".repeat(100));
        assert_eq!(err(&src), "t:1:65: expression is nested too deeply (the limit is 64 levels)");
        let chain = vec!["1"; 100].join("+");
        assert!(err(&chain).ends_with("expression is nested too deeply (the limit is 64 levels)"));
    }
}
