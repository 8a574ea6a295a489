//! Parameter expressions: the angles of gates.
//!
//! An [`Expr`] is a small tree over constants, `pi`, gate parameters (by
//! position, inside gate definitions), the binary operators `+ - * / ^`, unary
//! minus and the OpenQASM 2 functions `sin cos tan exp ln sqrt`. Expressions
//! stay symbolic in the IR so that custom gate bodies can be instantiated and
//! exported as written; simulators evaluate them with [`Expr::eval`].
//!
//! Trees built through the API (operators, [`Expr::substitute`]) have no depth
//! limit, so no walk over one recurses: evaluation and the other folds use a
//! post-order fold with heap stacks, iteration uses [`Nodes`], and `Display`,
//! `Debug`, `Clone`, `PartialEq` and `Drop` are hand-written the same way
//! (`display` and `tree`). The OpenQASM 2 parser still caps the depth of what
//! it reads.

mod display;
mod tree;

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
    /// The operator applied to two values (also used by the parser's constant folding).
    pub(crate) fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            BinOp::Add => a + b,
            BinOp::Sub => a - b,
            BinOp::Mul => a * b,
            BinOp::Div => a / b,
            BinOp::Pow => a.powf(b),
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

    /// The function applied to a value (also used by the parser's constant folding).
    pub(crate) fn apply(self, x: f64) -> f64 {
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
///
/// `Clone`, `PartialEq`, `Debug` and `Drop` are written by hand (in `tree`)
/// so that, like every other walk here, they use heap stacks and a tree of
/// any depth (say one built by a loop of `e = e + x`) cannot overflow the
/// thread's stack.
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
        let v = self.fold(|node: Node<f64>| {
            Ok(match node {
                Node::Const(x) => x,
                Node::Pi => std::f64::consts::PI,
                Node::Param(i) => *params
                    .get(i)
                    .ok_or(ExprError::UnboundParam { index: i, available: params.len() })?,
                Node::Neg(a) => -a,
                Node::Binary(op, a, b) => op.apply(a, b),
                Node::Call(f, a) => f.apply(a),
            })
        })?;
        if v.is_finite() {
            Ok(v)
        } else {
            Err(ExprError::NotFinite { expr: self.to_string() })
        }
    }

    /// Evaluates an expression that references no gate parameters.
    pub fn eval_const(&self) -> Result<f64, ExprError> {
        self.eval(&[])
    }

    /// True when the expression references no gate parameter.
    pub fn is_const(&self) -> bool {
        !self.nodes().any(|n| matches!(n, Expr::Param(_)))
    }

    /// Levels of the tree: 1 for a leaf, 1 + the deeper operand's otherwise.
    pub fn depth(&self) -> usize {
        self.fold_infallible(|node: Node<usize>| match node {
            Node::Const(_) | Node::Pi | Node::Param(_) => 1,
            Node::Neg(a) | Node::Call(_, a) => a + 1,
            Node::Binary(_, a, b) => a.max(b) + 1,
        })
    }

    /// Number of nodes (constants, parameters, operators and calls).
    pub fn node_count(&self) -> usize {
        self.nodes().count()
    }

    /// Replaces every `Param(i)` with `args[i]` (instantiating a gate body).
    /// Parameters beyond `args` are left as they are.
    pub fn substitute(&self, args: &[Expr]) -> Expr {
        self.fold_infallible(|node| match node {
            Node::Param(i) => args.get(i).cloned().unwrap_or(Expr::Param(i)),
            other => other.build(),
        })
    }

    /// Formats the expression, naming gate parameters with `names`
    /// (`names[i]` for `Param(i)`; `_p{i}` when no name is given).
    pub fn display_with<'a>(&'a self, names: &'a [String]) -> impl fmt::Display + 'a {
        display::DisplayExpr { expr: self, names }
    }

    /// The operands of a node, left to right; none for leaves.
    fn operands(&self) -> (Option<&Expr>, Option<&Expr>) {
        match self {
            Expr::Const(_) | Expr::Pi | Expr::Param(_) => (None, None),
            Expr::Neg(a) | Expr::Call(_, a) => (Some(a), None),
            Expr::Binary(_, a, b) => (Some(a), Some(b)),
        }
    }

    /// Every node in pre-order (a node, then its left and right subtrees).
    pub(crate) fn nodes(&self) -> Nodes<'_> {
        Nodes { next: Some(self), rest: Vec::new() }
    }

    /// Post-order fold with the pending nodes and the operands' values on
    /// heap stacks, so that no tree can overflow the thread's stack. The left
    /// operand is folded (and its errors returned) before the right.
    fn fold<T, E>(&self, mut f: impl FnMut(Node<T>) -> Result<T, E>) -> Result<T, E> {
        let mut todo: Vec<(&Expr, bool)> = vec![(self, false)];
        let mut values: Vec<T> = Vec::new();
        while let Some((node, operands_done)) = todo.pop() {
            let (left, right) = node.operands();
            if !operands_done && left.is_some() {
                todo.push((node, true));
                todo.extend(right.into_iter().chain(left).map(|e| (e, false)));
                continue;
            }
            let mut pop = || values.pop().expect("operands are folded before their node");
            let folded = match node {
                Expr::Const(x) => Node::Const(*x),
                Expr::Pi => Node::Pi,
                Expr::Param(i) => Node::Param(*i),
                Expr::Neg(_) => Node::Neg(pop()),
                Expr::Call(func, _) => Node::Call(*func, pop()),
                Expr::Binary(op, _, _) => {
                    let b = pop();
                    Node::Binary(*op, pop(), b)
                }
            };
            values.push(f(folded)?);
        }
        Ok(values.pop().expect("the root is folded last"))
    }

    fn fold_infallible<T>(&self, mut f: impl FnMut(Node<T>) -> T) -> T {
        match self.fold::<T, std::convert::Infallible>(|n| Ok(f(n))) {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }
}

/// One node with its operands already folded to `T`.
enum Node<T> {
    Const(f64),
    Pi,
    Param(usize),
    Neg(T),
    Binary(BinOp, T, T),
    Call(Func, T),
}

impl Node<Expr> {
    /// The expression node over already-built operands.
    fn build(self) -> Expr {
        match self {
            Node::Const(x) => Expr::Const(x),
            Node::Pi => Expr::Pi,
            Node::Param(i) => Expr::Param(i),
            Node::Neg(a) => Expr::Neg(Box::new(a)),
            Node::Binary(op, a, b) => Expr::Binary(op, Box::new(a), Box::new(b)),
            Node::Call(f, a) => Expr::Call(f, Box::new(a)),
        }
    }
}

/// Pre-order iterator over an expression's nodes (see [`Expr::nodes`]); a
/// chain of single-operand nodes is walked without allocating.
pub(crate) struct Nodes<'a> {
    next: Option<&'a Expr>,
    /// Right operands still to visit.
    rest: Vec<&'a Expr>,
}

impl<'a> Iterator for Nodes<'a> {
    type Item = &'a Expr;

    fn next(&mut self) -> Option<&'a Expr> {
        let node = self.next.take().or_else(|| self.rest.pop())?;
        let (left, right) = node.operands();
        self.rest.extend(right);
        self.next = left;
        Some(node)
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
