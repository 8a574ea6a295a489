//! Circuit metrics: size, depth, two-qubit gate count and two-qubit depth.
//!
//! Conventions follow Qiskit's `QuantumCircuit.size()` / `depth()`: barriers
//! count for neither but still synchronise their wires, every other
//! instruction counts one, and depth follows classical bits too (a
//! measurement writes its bit, a condition reads its register). The
//! two-qubit depth counts only gates on two or more qubits along the longest
//! path (other instructions synchronise without counting).

use serde::Serialize;

use super::program::{OpKind, Program};

/// Size and depth figures of a program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Metrics {
    /// Instructions other than barriers.
    pub size: usize,
    /// Longest path, barriers excluded.
    pub depth: usize,
    /// Gates on two or more qubits.
    pub two_qubit_gates: usize,
    /// Longest path counting only gates on two or more qubits.
    pub two_qubit_depth: usize,
}

/// Computes the [`Metrics`] of `program`; `creg_bits[r]` lists the
/// classical bits of register `r` (for conditions).
pub fn metrics(program: &Program, num_clbits: usize, creg_bits: &[Vec<usize>]) -> Metrics {
    let mut q_all = vec![0usize; program.num_qubits];
    let mut q_two = vec![0usize; program.num_qubits];
    let mut c_all = vec![0usize; num_clbits];
    let mut c_two = vec![0usize; num_clbits];
    let mut m = Metrics::default();
    for op in &program.ops {
        let counted = op.kind != OpKind::Barrier;
        m.size += usize::from(counted);
        let two = matches!(op.kind, OpKind::Gate(_)) && op.qubits.len() >= 2;
        m.two_qubit_gates += usize::from(two);
        let cond_bits: &[usize] =
            op.condition.and_then(|c| creg_bits.get(c.creg)).map(Vec::as_slice).unwrap_or(&[]);
        let bits = || op.clbits.iter().chain(cond_bits).filter(|&&b| b < num_clbits);
        let start = op.qubits.iter().map(|&q| q_all[q]).chain(bits().map(|&b| c_all[b])).max();
        let start2 = op.qubits.iter().map(|&q| q_two[q]).chain(bits().map(|&b| c_two[b])).max();
        let (d, d2) =
            (start.unwrap_or(0) + usize::from(counted), start2.unwrap_or(0) + usize::from(two));
        for &q in &op.qubits {
            q_all[q] = d;
            q_two[q] = d2;
        }
        for &b in bits().collect::<Vec<_>>() {
            c_all[b] = d;
            c_two[b] = d2;
        }
        m.depth = m.depth.max(d);
        m.two_qubit_depth = m.two_qubit_depth.max(d2);
    }
    m
}

/// [`metrics`] of a circuit.
pub fn circuit_metrics(circuit: &qv_circuit::Circuit) -> Result<Metrics, crate::CompileError> {
    let program = Program::from_circuit(circuit)?;
    let regs: Vec<Vec<usize>> = circuit.cregs().iter().map(|r| r.bits().collect()).collect();
    Ok(metrics(&program, circuit.num_clbits(), &regs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use qv_circuit::Circuit;

    /// Reference values from Qiskit 2.6 for the same circuit: `size()` 7,
    /// `depth()` 6, `num_nonlocal_gates()` 3 and
    /// `depth(lambda i: i.operation.num_qubits >= 2 and i.operation.name != "barrier")` 3.
    #[test]
    fn matches_qiskit_conventions() {
        let c = Circuit::with_clbits(3, 2)
            .h(0)
            .cx(0, 1)
            .cx(1, 2)
            .h(2)
            .barrier(&[0, 1, 2])
            .measure(0, 0)
            .x(2)
            .cx(0, 1);
        let m = circuit_metrics(&c).unwrap();
        assert_eq!(m, Metrics { size: 7, depth: 6, two_qubit_gates: 3, two_qubit_depth: 3 });
    }

    /// A condition reads its register: `x` on qubit 1 waits for the
    /// measurement (depth 2 on bit 0), so it lands at depth 3.
    #[test]
    fn conditions_follow_their_register() {
        let c = Circuit::with_clbits(2, 1).h(0).measure(0, 0).x(1).c_if(0, 1);
        assert_eq!(circuit_metrics(&c).unwrap().depth, 3);
    }
}
