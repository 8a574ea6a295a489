//! Parameter expressions: the angles of gates.
//!
//! An [`Expr`] is a small tree over constants, `pi`, gate parameters (by
//! position, inside gate definitions), the binary operators `+ - * / ^`, unary
//! minus and the OpenQASM 2 functions `sin cos tan exp ln sqrt`. Expressions
//! stay symbolic in the IR so that custom gate bodies can be instantiated and
//! exported as written; simulators evaluate them with [`Expr::eval`].

use std::fmt;
use std::ops;

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `^` (power, right associative)
    Pow,
}

impl BinOp {
    fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
        }
    }

    fn precedence(self) -> u8 {
        match self {
            BinOp::Add | BinOp::Sub => 1,
            BinOp::Mul | BinOp::Div => 2,
            BinOp::Pow => 4,
        }
    }
}

/// A unary function of OpenQASM 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    /// `sin`
    Sin,
    /// `cos`
    Cos,
    /// `tan`
    Tan,
    /// `exp`
    Exp,
    /// `ln`
    Ln,
    /// `sqrt`
    Sqrt,
}

impl Func {
    /// All functions, for lookups by name.
    pub const ALL: [Func; 6] = [Func::Sin, Func::Cos, Func::Tan, Func::Exp, Func::Ln, Func::Sqrt];

    /// The OpenQASM name.
    pub fn name(self) -> &'static str {
        match self {
            Func::Sin => "sin",
            Func::Cos => "cos",
            Func::Tan => "tan",
            Func::Exp => "exp",
            Func::Ln => "ln",
            Func::Sqrt => "sqrt",
        }
    }

    /// Looks a function up by its OpenQASM name.
    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL.into_iter().find(|f| f.name() == name)
    }

    fn apply(self, x: f64) -> f64 {
        match self {
            Func::Sin => x.sin(),
            Func::Cos => x.cos(),
            Func::Tan => x.tan(),
            Func::Exp => x.exp(),
            Func::Ln => x.ln(),
            Func::Sqrt => x.sqrt(),
        }
    }
}

/// A parameter expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A numeric constant.
    Const(f64),
    /// The constant `pi`.
    Pi,
    /// The `i`-th parameter of the enclosing gate definition.
    Param(usize),
    /// Unary minus.
    Neg(Box<Expr>),
    /// A binary operation.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// A function call.
    Call(Func, Box<Expr>),
}

/// Why an expression could not be evaluated.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ExprError {
    /// A gate parameter was referenced that is not bound.
    #[error("parameter #{index} is not bound ({available} given)")]
    UnboundParam {
        /// Index of the parameter.
        index: usize,
        /// Number of parameters available.
        available: usize,
    },
    /// The value is infinite or NaN (e.g. `1/0`, `ln(0)`, `sqrt(-1)`).
    #[error("expression `{expr}` does not evaluate to a finite number")]
    NotFinite {
        /// The expression, as written.
        expr: String,
    },
}

impl Expr {
    /// A constant.
    pub fn val(x: f64) -> Expr {
        Expr::Const(x)
    }

    /// `pi * num / den`, a common angle.
    pub fn pi_frac(num: f64, den: f64) -> Expr {
        if num == 1.0 && den == 1.0 {
            Expr::Pi
        } else if den == 1.0 {
            Expr::Binary(BinOp::Mul, Box::new(Expr::Const(num)), Box::new(Expr::Pi))
        } else if num == 1.0 {
            Expr::Binary(BinOp::Div, Box::new(Expr::Pi), Box::new(Expr::Const(den)))
        } else if num == -1.0 {
            Expr::Neg(Box::new(Expr::pi_frac(1.0, den)))
        } else {
            Expr::Binary(BinOp::Mul, Box::new(Expr::Const(num / den)), Box::new(Expr::Pi))
        }
    }

    /// Parameter `i` of the enclosing gate.
    pub fn param(i: usize) -> Expr {
        Expr::Param(i)
    }

    /// Applies a function.
    pub fn call(f: Func, arg: Expr) -> Expr {
        Expr::Call(f, Box::new(arg))
    }

    /// Raises to a power.
    pub fn pow(self, rhs: Expr) -> Expr {
        Expr::Binary(BinOp::Pow, Box::new(self), Box::new(rhs))
    }

    /// Evaluates with the given gate parameters; errors on unbound parameters
    /// and non-finite results.
    pub fn eval(&self, params: &[f64]) -> Result<f64, ExprError> {
        let v = self.eval_raw(params)?;
        if v.is_finite() {
            Ok(v)
        } else {
            Err(ExprError::NotFinite { expr: self.to_string() })
        }
    }

    fn eval_raw(&self, params: &[f64]) -> Result<f64, ExprError> {
        Ok(match self {
            Expr::Const(x) => *x,
            Expr::Pi => std::f64::consts::PI,
            Expr::Param(i) => *params
                .get(*i)
                .ok_or(ExprError::UnboundParam { index: *i, available: params.len() })?,
            Expr::Neg(a) => -a.eval_raw(params)?,
            Expr::Binary(op, a, b) => {
                let (a, b) = (a.eval_raw(params)?, b.eval_raw(params)?);
                match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    BinOp::Div => a / b,
                    BinOp::Pow => a.powf(b),
                }
            }
            Expr::Call(f, a) => f.apply(a.eval_raw(params)?),
        })
    }

    /// Evaluates an expression that references no gate parameters.
    pub fn eval_const(&self) -> Result<f64, ExprError> {
        self.eval(&[])
    }

    /// True when the expression references no gate parameter.
    pub fn is_const(&self) -> bool {
        match self {
            Expr::Const(_) | Expr::Pi => true,
            Expr::Param(_) => false,
            Expr::Neg(a) | Expr::Call(_, a) => a.is_const(),
            Expr::Binary(_, a, b) => a.is_const() && b.is_const(),
        }
    }

    /// Replaces every `Param(i)` with `args[i]` (instantiating a gate body).
    /// Parameters beyond `args` are left as they are.
    pub fn substitute(&self, args: &[Expr]) -> Expr {
        match self {
            Expr::Param(i) => args.get(*i).cloned().unwrap_or(Expr::Param(*i)),
            Expr::Const(_) | Expr::Pi => self.clone(),
            Expr::Neg(a) => Expr::Neg(Box::new(a.substitute(args))),
            Expr::Call(f, a) => Expr::Call(*f, Box::new(a.substitute(args))),
            Expr::Binary(op, a, b) => {
                Expr::Binary(*op, Box::new(a.substitute(args)), Box::new(b.substitute(args)))
            }
        }
    }

    /// Formats the expression, naming gate parameters with `names`
    /// (`names[i]` for `Param(i)`; `_p{i}` when no name is given).
    pub fn display_with<'a>(&'a self, names: &'a [String]) -> impl fmt::Display + 'a {
        DisplayExpr { expr: self, names }
    }

    fn fmt_prec(&self, f: &mut fmt::Formatter<'_>, names: &[String], parent: u8) -> fmt::Result {
        match self {
            Expr::Const(x) => {
                if parent > 0 && x.is_sign_negative() {
                    write!(f, "(")?;
                    write_number(f, *x)?;
                    write!(f, ")")
                } else {
                    write_number(f, *x)
                }
            }
            Expr::Pi => write!(f, "pi"),
            Expr::Param(i) => match names.get(*i) {
                Some(n) => write!(f, "{n}"),
                None => write!(f, "_p{i}"),
            },
            Expr::Neg(a) => {
                // Parenthesised inside any operator so `a - -b` never appears.
                let wrap = parent > 0;
                if wrap {
                    write!(f, "(")?;
                }
                write!(f, "-")?;
                a.fmt_prec(f, names, 4)?;
                if wrap {
                    write!(f, ")")?;
                }
                Ok(())
            }
            Expr::Binary(op, a, b) => {
                let p = op.precedence();
                let wrap = p < parent;
                if wrap {
                    write!(f, "(")?;
                }
                // Left operand: same precedence is fine (left associative),
                // except for `^` which is right associative.
                let left_parent = if *op == BinOp::Pow { p + 1 } else { p };
                a.fmt_prec(f, names, left_parent)?;
                write!(f, " {} ", op.symbol())?;
                // Right operand of `-` and `/` needs parentheses at equal precedence.
                let right_parent = match op {
                    BinOp::Sub | BinOp::Div => p + 1,
                    BinOp::Pow => p,
                    _ => p,
                };
                b.fmt_prec(f, names, right_parent)?;
                if wrap {
                    write!(f, ")")?;
                }
                Ok(())
            }
            Expr::Call(func, a) => {
                write!(f, "{}(", func.name())?;
                a.fmt_prec(f, names, 0)?;
                write!(f, ")")
            }
        }
    }
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

struct DisplayExpr<'a> {
    expr: &'a Expr,
    names: &'a [String],
}

impl fmt::Display for DisplayExpr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt_prec(f, self.names, 0)
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_prec(f, &[], 0)
    }
}

impl From<f64> for Expr {
    fn from(x: f64) -> Self {
        Expr::Const(x)
    }
}

macro_rules! bin_op {
    ($trait:ident, $method:ident, $op:expr) => {
        impl ops::$trait for Expr {
            type Output = Expr;
            fn $method(self, rhs: Expr) -> Expr {
                Expr::Binary($op, Box::new(self), Box::new(rhs))
            }
        }
    };
}
bin_op!(Add, add, BinOp::Add);
bin_op!(Sub, sub, BinOp::Sub);
bin_op!(Mul, mul, BinOp::Mul);
bin_op!(Div, div, BinOp::Div);

impl ops::Neg for Expr {
    type Output = Expr;
    fn neg(self) -> Expr {
        Expr::Neg(Box::new(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    fn evaluates_arithmetic_and_functions() {
        let e = (Expr::Pi / Expr::val(2.0)) + Expr::call(Func::Sin, Expr::param(0));
        assert!((e.eval(&[PI / 2.0]).unwrap() - (PI / 2.0 + 1.0)).abs() < 1e-15);
        assert_eq!(Expr::val(2.0).pow(Expr::val(3.0)).eval_const().unwrap(), 8.0);
    }

    #[test]
    fn non_finite_and_unbound_are_errors() {
        let e = Expr::val(1.0) / Expr::val(0.0);
        assert!(matches!(e.eval_const(), Err(ExprError::NotFinite { .. })));
        assert_eq!(
            Expr::param(2).eval(&[1.0]),
            Err(ExprError::UnboundParam { index: 2, available: 1 })
        );
    }

    #[test]
    fn display_keeps_precedence() {
        let e = (Expr::val(1.0) - (Expr::val(2.0) - Expr::val(3.0))) * Expr::Pi;
        assert_eq!(e.to_string(), "(1.0 - (2.0 - 3.0)) * pi");
        let names = vec!["theta".to_string()];
        let e = -(Expr::param(0) / Expr::val(2.0));
        assert_eq!(e.display_with(&names).to_string(), "-(theta / 2.0)");
        let e = Expr::val(2.0).pow(Expr::val(3.0).pow(Expr::val(2.0)));
        assert_eq!(e.to_string(), "2.0 ^ 3.0 ^ 2.0");
        assert_eq!(e.eval_const().unwrap(), 512.0);
    }

    #[test]
    fn substitute_instantiates_parameters() {
        let body = Expr::param(0) + Expr::param(1);
        let inst = body.substitute(&[Expr::Pi, Expr::val(1.0)]);
        assert!(inst.is_const());
        assert!((inst.eval_const().unwrap() - (PI + 1.0)).abs() < 1e-15);
    }
}
