//! The dependency graph SABRE walks.
//!
//! Nodes are the instructions that constrain routing: two-qubit gates (which
//! need their qubits adjacent) and "free" nodes that only order things —
//! measurements, barriers, conditioned operations. Their edges follow every
//! wire: qubits, and classical bits (a measurement writes its bit, a
//! condition reads its register's bits), so nothing moves across a
//! measurement or a condition.
//!
//! Operations that add no routing constraint are folded into the node they
//! follow, as in Qiskit's Sabre graph: an operation whose wires were all last
//! touched by one node (a one-qubit gate after a gate, a second gate on the
//! same pair, a measurement of a just-routed qubit) is emitted right after
//! that node; one with nothing before it on any wire is emitted first. This
//! keeps every wire's order and makes the graph — walked by every trial, and
//! seen by the lookahead — only as large as the routing decisions.

use qv_circuit::{Circuit, Operation};

use crate::error::CompileError;
use crate::layout::interactions_check;

/// A node of the routing graph.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Node {
    /// Virtual qubits of a two-qubit gate (unused for free nodes).
    pub qubits: [u32; 2],
    /// Whether the node needs its two qubits adjacent.
    pub two_qubit: bool,
    /// Two-qubit gates folded into a two-qubit node (itself included), at
    /// most 3: its cost in native gates once consolidated into a block.
    pub weight: u8,
}

/// Dependency graph of a circuit's routing nodes.
#[derive(Clone, Debug)]
pub(crate) struct RoutingDag {
    pub nodes: Vec<Node>,
    /// Successors of node `i`: `succ[succ_start[i]..succ_start[i + 1]]`.
    pub succ_start: Vec<u32>,
    pub succ: Vec<u32>,
    /// Number of distinct predecessors of each node.
    pub num_preds: Vec<u32>,
    /// Nodes without predecessors.
    pub roots: Vec<u32>,
    /// Instruction index of each node.
    pub inst: Vec<u32>,
    /// Instructions emitted after node `i`: `attached[attached_start[i]..attached_start[i + 1]]`.
    pub attached_start: Vec<u32>,
    pub attached: Vec<u32>,
    /// Instructions before any node on their qubit, emitted first.
    pub leading: Vec<u32>,
}

impl RoutingDag {
    /// Builds the graph over the circuit's instructions in program order, or
    /// in reverse order (for SABRE layout's backward passes, which only need
    /// the structure).
    pub fn build(circuit: &Circuit, reverse: bool) -> Result<RoutingDag, CompileError> {
        let n = circuit.num_qubits();
        let insts = circuit.instructions();
        let mut last = vec![u32::MAX; n + circuit.num_clbits()];
        let mut nodes = Vec::new();
        let mut inst_of = Vec::new();
        let mut edges: Vec<(u32, u32)> = Vec::new();
        let mut attach: Vec<(u32, u32)> = Vec::new();
        let mut leading = Vec::new();
        let mut wires: Vec<usize> = Vec::new();
        let mut preds: Vec<u32> = Vec::new();
        let order: Box<dyn Iterator<Item = usize>> =
            if reverse { Box::new((0..insts.len()).rev()) } else { Box::new(0..insts.len()) };
        for i in order {
            let inst = &insts[i];
            let two_qubit = match &inst.op {
                Operation::Gate { gate, .. } => {
                    interactions_check(circuit, *gate, inst.qubits.len())?;
                    inst.qubits.len() == 2
                }
                _ => false,
            };
            wires.clear();
            wires.extend(inst.qubits.iter().copied());
            wires.extend(inst.clbits.iter().map(|&c| n + c));
            if let Some(cond) = inst.condition {
                if let Some(reg) = circuit.cregs().get(cond.creg) {
                    wires.extend(reg.bits().map(|c| n + c));
                }
            }
            match single_predecessor(&wires, &last) {
                // Nothing before it on any wire: emit it first (a two-qubit gate still
                // needs routing, so it becomes a root instead).
                Some(u32::MAX) if !two_qubit => {
                    leading.push(i as u32);
                    continue;
                }
                // Every wire was last touched by one node: nothing new to route (a
                // two-qubit gate after a two-qubit node necessarily acts on the same
                // pair), so it rides along with that node.
                Some(node) if node != u32::MAX && (!two_qubit || nodes_two_qubit(&nodes, node)) => {
                    attach.push((node, i as u32));
                    if two_qubit {
                        let w = &mut nodes[node as usize].weight;
                        *w = (*w + 1).min(3);
                    }
                    continue;
                }
                _ => {}
            }
            let id = nodes.len() as u32;
            preds.clear();
            for &w in &wires {
                if last[w] != u32::MAX {
                    preds.push(last[w]);
                }
                last[w] = id;
            }
            preds.sort_unstable();
            preds.dedup();
            edges.extend(preds.iter().map(|&p| (p, id)));
            let qubits =
                if two_qubit { [inst.qubits[0] as u32, inst.qubits[1] as u32] } else { [0, 0] };
            nodes.push(Node { qubits, two_qubit, weight: u8::from(two_qubit) });
            inst_of.push(i as u32);
        }
        let m = nodes.len();
        let mut num_preds = vec![0u32; m];
        for &(_, t) in &edges {
            num_preds[t as usize] += 1;
        }
        let (succ_start, succ) = group(m, &edges);
        let (attached_start, attached) = group(m, &attach);
        let roots = (0..m as u32).filter(|&i| num_preds[i as usize] == 0).collect();
        Ok(RoutingDag {
            nodes,
            succ_start,
            succ,
            num_preds,
            roots,
            inst: inst_of,
            attached_start,
            attached,
            leading,
        })
    }

    /// Successors of node `i`.
    #[inline]
    pub fn successors(&self, i: u32) -> &[u32] {
        &self.succ[self.succ_start[i as usize] as usize..self.succ_start[i as usize + 1] as usize]
    }

    /// Instructions attached after node `i`.
    pub fn attached_to(&self, i: u32) -> &[u32] {
        &self.attached
            [self.attached_start[i as usize] as usize..self.attached_start[i as usize + 1] as usize]
    }
}

/// The node that last touched every one of `wires` (`u32::MAX` when none of
/// them has been touched), or `None` when they differ.
fn single_predecessor(wires: &[usize], last: &[u32]) -> Option<u32> {
    let first = last[*wires.first()?];
    wires.iter().all(|&w| last[w] == first).then_some(first)
}

fn nodes_two_qubit(nodes: &[Node], node: u32) -> bool {
    nodes[node as usize].two_qubit
}

/// Groups `(key, value)` pairs by key into CSR form, keeping the pairs' order
/// within a key.
fn group(m: usize, pairs: &[(u32, u32)]) -> (Vec<u32>, Vec<u32>) {
    let mut start = vec![0u32; m + 1];
    for &(k, _) in pairs {
        start[k as usize + 1] += 1;
    }
    for i in 0..m {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut values = vec![0u32; pairs.len()];
    for &(k, v) in pairs {
        values[fill[k as usize] as usize] = v;
        fill[k as usize] += 1;
    }
    (start, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_qubit_gates_attach_and_wires_order_nodes() {
        // h0 | cx01 | x1 | cx12 | measure q0->c0 | if(c==1) x q2
        let c =
            Circuit::with_clbits(3, 1).h(0).cx(0, 1).x(1).cx(1, 2).measure(0, 0).x(2).c_if(0, 1);
        let d = RoutingDag::build(&c, false).unwrap();
        assert_eq!(d.leading, vec![0]);
        assert_eq!(d.nodes.len(), 4); // cx01, cx12, measure, conditioned x
        assert_eq!(d.nodes.iter().filter(|n| n.two_qubit).count(), 2);
        assert_eq!(d.attached_to(0), &[2]);
        assert_eq!(d.roots, vec![0]);
        assert_eq!(d.successors(0), &[1, 2]);
        // The conditioned x follows both cx12 (qubit 2) and the measurement (bit 0).
        assert_eq!(d.num_preds[3], 2);
        assert_eq!(d.inst, vec![1, 3, 4, 5]);
    }

    #[test]
    fn reverse_graph_flips_dependencies() {
        let c = Circuit::new(3).cx(0, 1).cx(1, 2);
        let d = RoutingDag::build(&c, true).unwrap();
        assert_eq!(d.inst, vec![1, 0]);
        assert_eq!(d.roots, vec![0]);
        assert_eq!(d.successors(0), &[1]);
    }
}
