//! A barrier before the final measurements, for the duration of routing
//! (after Qiskit's `BarrierBeforeFinalMeasurements`).
//!
//! A router may schedule a swap after a qubit's last measurement when that
//! helps other gates: correct, but it turns terminal measurements into
//! mid-circuit ones, which devices and simulators treat very differently.
//! [`barrier_before_final_measurements`] moves every *final* operation —
//! an unconditioned measurement or barrier followed on its qubits only by
//! final operations, whose bit no later condition reads and no later
//! non-final measurement overwrites — behind one barrier
//! on every qubit, so routing finishes before any final measurement.
//! Moving them is exact: each final operation keeps its order relative to
//! everything on its qubits and bits. [`remove_marker_barrier`] takes the
//! barrier out again after routing: it is identified by how many barriers
//! precede it, which routing cannot change because the marker spans every
//! qubit.

use super::program::{Op, OpKind, Program};

/// Moves the final measurements behind a barrier on all qubits; returns the
/// number of barriers before it (its identity for
/// [`remove_marker_barrier`]), or `None` when nothing was moved.
/// `creg_bits[r]` lists the classical bits of register `r`.
pub fn barrier_before_final_measurements(
    program: &mut Program,
    creg_bits: &[Vec<usize>],
) -> Option<usize> {
    let n = program.num_qubits;
    let mut blocked = vec![false; n];
    // Bits a later condition reads or a later non-final measurement writes.
    let mut bits_used_later: Vec<usize> = Vec::new();
    let mut is_final = vec![false; program.ops.len()];
    for (i, op) in program.ops.iter().enumerate().rev() {
        let candidate = op.condition.is_none()
            && match op.kind {
                OpKind::Measure => !op.clbits.iter().any(|c| bits_used_later.contains(c)),
                OpKind::Barrier => true,
                _ => false,
            };
        if candidate && op.qubits.iter().all(|&q| !blocked[q]) {
            is_final[i] = true;
            continue;
        }
        for &q in &op.qubits {
            blocked[q] = true;
        }
        bits_used_later.extend(&op.clbits);
        if let Some(bits) = op.condition.and_then(|c| creg_bits.get(c.creg)) {
            bits_used_later.extend(bits);
        }
    }
    let moves_measurement =
        program.ops.iter().zip(&is_final).any(|(op, &f)| f && op.kind == OpKind::Measure);
    if !moves_measurement || n == 0 {
        return None;
    }
    let mut rest = Vec::with_capacity(program.ops.len() + 1);
    let mut finals = Vec::new();
    for (op, f) in std::mem::take(&mut program.ops).into_iter().zip(is_final) {
        if f {
            finals.push(op);
        } else {
            rest.push(op);
        }
    }
    let barriers_before = rest.iter().filter(|op| op.kind == OpKind::Barrier).count();
    let qubits = (0..n).collect();
    rest.push(Op {
        kind: OpKind::Barrier,
        params: vec![],
        qubits,
        clbits: vec![],
        condition: None,
    });
    rest.extend(finals);
    program.ops = rest;
    Some(barriers_before)
}

/// Removes the barrier that `n` barriers precede (the marker placed by
/// [`barrier_before_final_measurements`]).
pub fn remove_marker_barrier(program: &mut Program, n: usize) {
    let mut seen = 0;
    let position = program.ops.iter().position(|op| {
        if op.kind != OpKind::Barrier {
            return false;
        }
        seen += 1;
        seen == n + 1
    });
    if let Some(i) = position {
        program.ops.remove(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qv_circuit::Circuit;

    fn kinds(p: &Program) -> Vec<String> {
        p.ops
            .iter()
            .map(|o| match o.kind {
                OpKind::Gate(g) => format!("{}{:?}", g.name(), o.qubits),
                k => format!("{k:?}{:?}", o.qubits),
            })
            .collect()
    }

    #[test]
    fn final_measurements_move_behind_one_barrier() {
        let c = Circuit::with_clbits(3, 3)
            .h(0)
            .measure(0, 0)
            .cx(1, 2)
            .barrier(&[1])
            .measure(1, 1)
            .x(2)
            .measure(2, 2);
        let mut p = Program::from_circuit(&c).unwrap();
        let n = barrier_before_final_measurements(&mut p, &[vec![0, 1, 2]]).unwrap();
        assert_eq!(n, 0);
        assert_eq!(
            kinds(&p),
            [
                "h[0]",
                "cx[1, 2]",
                "x[2]",
                "Barrier[0, 1, 2]",
                "Measure[0]",
                "Barrier[1]",
                "Measure[1]",
                "Measure[2]"
            ]
        );
        remove_marker_barrier(&mut p, n);
        assert_eq!(p.ops.len(), 7);
        assert_eq!(p.ops[3].kind, OpKind::Measure);
    }

    #[test]
    fn measurements_read_by_conditions_or_followed_by_gates_stay() {
        let c = Circuit::with_clbits(2, 1).h(0).measure(0, 0).x(1).c_if(0, 1).measure(1, 0);
        let mut p = Program::from_circuit(&c).unwrap();
        // measure(0) is read by the condition; only measure(1) is final.
        assert_eq!(barrier_before_final_measurements(&mut p, &[vec![0]]), Some(0));
        assert_eq!(kinds(&p)[..3], ["h[0]", "Measure[0]", "x[1]"]);
        let c = Circuit::with_clbits(1, 1).measure(0, 0).h(0);
        let mut p = Program::from_circuit(&c).unwrap();
        assert_eq!(barrier_before_final_measurements(&mut p, &[vec![0]]), None);
        // measure(0) -> c0 is final on its qubit, but a later measurement
        // that is not final overwrites c0: moving it would change c0.
        let c = Circuit::with_clbits(2, 1).measure(0, 0).measure(1, 0).h(1);
        let mut p = Program::from_circuit(&c).unwrap();
        assert_eq!(barrier_before_final_measurements(&mut p, &[vec![0]]), None);
    }
}
