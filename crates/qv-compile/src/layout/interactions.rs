//! The interaction graph of a circuit: which qubit pairs share a two-qubit gate.

use qv_circuit::{Circuit, GateRef, Operation};

use crate::error::CompileError;

/// Which virtual qubits interact, and how often.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interactions {
    num_qubits: usize,
    /// `(a, b, count)` with `a < b`, sorted.
    pairs: Vec<(usize, usize, usize)>,
    /// Neighbour lists `(neighbour, count)`: `adj[start[v]..start[v + 1]]`.
    start: Vec<usize>,
    adj: Vec<(usize, usize)>,
    /// Whether anything (gate, measurement, reset) acts on the qubit.
    used: Vec<bool>,
}

impl Interactions {
    /// Collects the two-qubit gates of a flattened circuit. Custom gates are
    /// rejected (flatten first); gates on three or more qubits must be
    /// unrolled before layout and routing.
    pub fn of(circuit: &Circuit) -> Result<Interactions, CompileError> {
        let n = circuit.num_qubits();
        let mut pairs = Vec::new();
        let mut used = vec![false; n];
        for inst in circuit.instructions() {
            match &inst.op {
                Operation::Gate { gate, .. } => {
                    check_routable(circuit, *gate, inst.qubits.len())?;
                    if let [a, b] = inst.qubits[..] {
                        pairs.push((a.min(b), a.max(b)));
                    }
                }
                Operation::Barrier => continue,
                Operation::Measure | Operation::Reset => {}
            }
            for &q in &inst.qubits {
                used[q] = true;
            }
        }
        pairs.sort_unstable();
        let mut counted: Vec<(usize, usize, usize)> = Vec::new();
        for (a, b) in pairs {
            match counted.last_mut() {
                Some(last) if (last.0, last.1) == (a, b) => last.2 += 1,
                _ => counted.push((a, b, 1)),
            }
        }
        let mut start = vec![0usize; n + 1];
        for &(a, b, _) in &counted {
            start[a + 1] += 1;
            start[b + 1] += 1;
        }
        for v in 0..n {
            start[v + 1] += start[v];
        }
        let mut fill = start.clone();
        let mut adj = vec![(0, 0); start[n]];
        for &(a, b, c) in &counted {
            adj[fill[a]] = (b, c);
            fill[a] += 1;
            adj[fill[b]] = (a, c);
            fill[b] += 1;
        }
        Ok(Interactions { num_qubits: n, pairs: counted, start, adj, used })
    }

    /// Number of virtual qubits.
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// Interacting pairs `(a, b, number of gates)`, `a < b`, sorted.
    pub fn pairs(&self) -> &[(usize, usize, usize)] {
        &self.pairs
    }

    /// Interaction partners of `v` with gate counts.
    pub fn neighbors(&self, v: usize) -> &[(usize, usize)] {
        &self.adj[self.start[v]..self.start[v + 1]]
    }

    /// Number of distinct partners of `v`.
    pub fn degree(&self, v: usize) -> usize {
        self.start[v + 1] - self.start[v]
    }

    /// Whether any operation acts on `v`.
    pub fn is_used(&self, v: usize) -> bool {
        self.used[v]
    }
}

/// Errors for gates that layout and routing cannot place: custom (unflattened)
/// gates and gates on more than two qubits.
pub(crate) fn check_routable(
    circuit: &Circuit,
    gate: GateRef,
    num_qubits: usize,
) -> Result<(), CompileError> {
    if let GateRef::Custom(_) = gate {
        return Err(CompileError::Routing(format!(
            "custom gate `{}` must be expanded (Circuit::flatten) before layout and routing",
            circuit.gate_name(gate)
        )));
    }
    if num_qubits > 2 {
        return Err(CompileError::Routing(format!(
            "gate `{}` acts on {num_qubits} qubits; unroll it into one- and two-qubit gates \
             before layout and routing",
            circuit.gate_name(gate)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_pairs_in_both_directions() {
        let c = Circuit::new(4).cx(0, 1).cx(1, 0).cz(2, 1).h(3).barrier(&[0, 1, 2, 3]);
        let g = Interactions::of(&c).unwrap();
        assert_eq!(g.pairs(), &[(0, 1, 2), (1, 2, 1)]);
        assert_eq!(g.neighbors(1), &[(0, 2), (2, 1)]);
        assert_eq!(g.degree(3), 0);
        assert!(g.is_used(3));
    }

    #[test]
    fn three_qubit_gates_are_rejected() {
        let c = Circuit::new(3).ccx(0, 1, 2);
        assert_eq!(
            Interactions::of(&c).unwrap_err().to_string(),
            "cannot route the circuit: gate `ccx` acts on 3 qubits; unroll it into one- and \
             two-qubit gates before layout and routing"
        );
    }
}
