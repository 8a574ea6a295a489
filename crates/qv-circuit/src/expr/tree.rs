//! `Clone`, `PartialEq` and `Drop` for [`Expr`] without recursion: the derived
//! versions recurse once per level, so a deep tree built through the API
//! would overflow the stack when copied, compared or merely dropped.

use super::Expr;

impl Clone for Expr {
    fn clone(&self) -> Self {
        self.fold_infallible(super::Node::build)
    }
}

impl PartialEq for Expr {
    /// Trees are equal when their pre-order node sequences are: each node's
    /// variant fixes its number of operands, so the sequence determines the tree.
    fn eq(&self, other: &Self) -> bool {
        let (mut a, mut b) = (self.nodes(), other.nodes());
        loop {
            match (a.next(), b.next()) {
                (None, None) => return true,
                (Some(x), Some(y)) if same_node(x, y) => {}
                _ => return false,
            }
        }
    }
}

/// Equal variants and scalar payloads, ignoring the operands.
fn same_node(a: &Expr, b: &Expr) -> bool {
    match (a, b) {
        (Expr::Const(x), Expr::Const(y)) => x == y,
        (Expr::Pi, Expr::Pi) | (Expr::Neg(_), Expr::Neg(_)) => true,
        (Expr::Param(i), Expr::Param(j)) => i == j,
        (Expr::Binary(p, ..), Expr::Binary(q, ..)) => p == q,
        (Expr::Call(f, _), Expr::Call(g, _)) => f == g,
        _ => false,
    }
}

impl Drop for Expr {
    /// Detaches every operand that has operands of its own onto a heap stack,
    /// so that each box is dropped holding at most leaves. Leaves and nodes
    /// over leaves (most expressions) drop without allocating.
    fn drop(&mut self) {
        let mut pending = Vec::new();
        detach_operands(self, &mut pending);
        while let Some(mut node) = pending.pop() {
            detach_operands(&mut node, &mut pending);
        }
    }
}

fn detach_operands(node: &mut Expr, pending: &mut Vec<Expr>) {
    let mut detach = |operand: &mut Expr| {
        if matches!(operand, Expr::Neg(_) | Expr::Binary(..) | Expr::Call(..)) {
            pending.push(std::mem::replace(operand, Expr::Pi));
        }
    };
    match node {
        Expr::Const(_) | Expr::Pi | Expr::Param(_) => {}
        Expr::Neg(a) | Expr::Call(_, a) => detach(a),
        Expr::Binary(_, a, b) => {
            detach(a);
            detach(b);
        }
    }
}
