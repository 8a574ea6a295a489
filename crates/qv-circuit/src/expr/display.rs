//! `Display` (OpenQASM syntax, minimal parentheses) and `Debug` (the derived
//! tuple format) for [`Expr`], both writing from an explicit work stack.

use std::fmt;

use super::{BinOp, Expr};

/// What is left to write: a subtree in a context of some precedence, or text.
enum Work<'a> {
    Expr(&'a Expr, u8),
    Text(&'static str),
}

/// Writes a float so that it reads back exactly and is a valid OpenQASM real.
fn write_number(f: &mut fmt::Formatter<'_>, x: f64) -> fmt::Result {
    let s = format!("{x:?}");
    // `{:?}` gives the shortest round-trip form, e.g. `0.1`, `1.0`, `1e-20`.
    if let Some((mant, exp)) = s.split_once('e') {
        let mant = if mant.contains('.') { mant.to_string() } else { format!("{mant}.0") };
        write!(f, "{mant}e{exp}")
    } else {
        write!(f, "{s}")
    }
}

fn spaced(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => " + ",
        BinOp::Sub => " - ",
        BinOp::Mul => " * ",
        BinOp::Div => " / ",
        BinOp::Pow => " ^ ",
    }
}

/// Writes `expr` as OpenQASM text, naming parameters with `names`. Each
/// pending subtree carries the precedence of the operator around it (0 at
/// the top and inside call parentheses), which decides its parentheses.
fn write_expr(f: &mut fmt::Formatter<'_>, expr: &Expr, names: &[String]) -> fmt::Result {
    let mut todo = vec![Work::Expr(expr, 0)];
    while let Some(work) = todo.pop() {
        let (node, parent) = match work {
            Work::Text(t) => {
                f.write_str(t)?;
                continue;
            }
            Work::Expr(node, parent) => (node, parent),
        };
        // Pushed in reverse: the last pushed is written first.
        match node {
            Expr::Const(x) if parent > 0 && x.is_sign_negative() => {
                f.write_str("(")?;
                write_number(f, *x)?;
                f.write_str(")")?;
            }
            Expr::Const(x) => write_number(f, *x)?,
            Expr::Pi => f.write_str("pi")?,
            Expr::Param(i) => match names.get(*i) {
                Some(n) => f.write_str(n)?,
                None => write!(f, "_p{i}")?,
            },
            Expr::Neg(a) => {
                // Parenthesised inside any operator so `a - -b` never appears.
                let wrap = parent > 0;
                if wrap {
                    todo.push(Work::Text(")"));
                }
                todo.push(Work::Expr(a, 4));
                f.write_str(if wrap { "(-" } else { "-" })?;
            }
            Expr::Binary(op, a, b) => {
                let p = op.precedence();
                let wrap = p < parent;
                // The left operand may share the precedence (left associative),
                // except under `^` (right associative); the right operand of
                // `-` and `/` needs parentheses at equal precedence.
                let left_parent = if *op == BinOp::Pow { p + 1 } else { p };
                let right_parent = if matches!(op, BinOp::Sub | BinOp::Div) { p + 1 } else { p };
                if wrap {
                    todo.push(Work::Text(")"));
                }
                todo.push(Work::Expr(b, right_parent));
                todo.push(Work::Text(spaced(*op)));
                todo.push(Work::Expr(a, left_parent));
                if wrap {
                    f.write_str("(")?;
                }
            }
            Expr::Call(func, a) => {
                todo.push(Work::Text(")"));
                todo.push(Work::Expr(a, 0));
                f.write_str(func.name())?;
                f.write_str("(")?;
            }
        }
    }
    Ok(())
}

pub(super) struct DisplayExpr<'a> {
    pub(super) expr: &'a Expr,
    pub(super) names: &'a [String],
}

impl fmt::Display for DisplayExpr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_expr(f, self.expr, self.names)
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_expr(f, self, &[])
    }
}

/// The derived format, e.g. `Binary(Add, Const(1.0), Pi)` (also for `{:#?}`).
impl fmt::Debug for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut todo = vec![Work::Expr(self, 0)];
        while let Some(work) = todo.pop() {
            let node = match work {
                Work::Text(t) => {
                    f.write_str(t)?;
                    continue;
                }
                Work::Expr(node, _) => node,
            };
            match node {
                Expr::Const(x) => write!(f, "Const({x:?})")?,
                Expr::Pi => f.write_str("Pi")?,
                Expr::Param(i) => write!(f, "Param({i})")?,
                Expr::Neg(a) => {
                    todo.extend([Work::Text(")"), Work::Expr(a, 0)]);
                    f.write_str("Neg(")?;
                }
                Expr::Binary(op, a, b) => {
                    todo.extend([
                        Work::Text(")"),
                        Work::Expr(b, 0),
                        Work::Text(", "),
                        Work::Expr(a, 0),
                    ]);
                    write!(f, "Binary({op:?}, ")?;
                }
                Expr::Call(func, a) => {
                    todo.extend([Work::Text(")"), Work::Expr(a, 0)]);
                    write!(f, "Call({func:?}, ")?;
                }
            }
        }
        Ok(())
    }
}
