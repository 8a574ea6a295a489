//! Leaving idle qubits out of noisy simulations.
//!
//! A circuit transpiled for a 127-qubit device may touch a handful of
//! qubits; the others stay |0⟩ and no channel reaches them (channels act on
//! the qubits of the operation they are attached to). [`Compaction`]
//! renumbers the touched qubits `0..used` in the lowered program and its
//! placed noise, so the density matrix or state vector covers only them. It
//! runs after [`super::attach`], which matches local rules on the circuit's
//! own qubit numbers.

use super::OpNoise;
use crate::program::{Kind, Program};

/// The renumbering of touched qubits.
#[derive(Clone, Debug)]
pub(crate) struct Compaction {
    /// `index[q]`: the simulated qubit of circuit qubit `q`, `None` if idle.
    index: Vec<Option<usize>>,
    /// Circuit qubit of each simulated qubit.
    original: Vec<usize>,
}

impl Compaction {
    /// The qubits any operation of `program` touches.
    pub fn of(program: &Program) -> Self {
        let mut touched = vec![false; program.num_qubits()];
        for op in &program.ops {
            match &op.kind {
                Kind::Gate { qubits, .. } => qubits.iter().for_each(|&q| touched[q] = true),
                Kind::Measure { qubit, .. } | Kind::Reset { qubit } => touched[*qubit] = true,
            }
        }
        let original: Vec<usize> = (0..touched.len()).filter(|&q| touched[q]).collect();
        let mut index = vec![None; touched.len()];
        for (k, &q) in original.iter().enumerate() {
            index[q] = Some(k);
        }
        Compaction { index, original }
    }

    /// Number of simulated qubits.
    pub fn used(&self) -> usize {
        self.original.len()
    }

    /// The simulated qubit of circuit qubit `q` (`None`: idle, always |0⟩).
    pub fn simulated(&self, q: usize) -> Option<usize> {
        self.index.get(q).copied().flatten()
    }

    /// The `num_qubits`-character key (qubit 0 rightmost) of simulated basis
    /// index `i`, idle qubits 0.
    pub fn key(&self, i: usize, num_qubits: usize) -> String {
        let mut key = vec![b'0'; num_qubits];
        for (k, &q) in self.original.iter().enumerate() {
            if (i >> k) & 1 == 1 {
                key[num_qubits - 1 - q] = b'1';
            }
        }
        String::from_utf8(key).unwrap_or_default()
    }

    /// Rewrites the program's operations and deferred measurements, and the
    /// channels placed on them, to simulated qubits.
    pub fn apply(&self, program: &mut Program, noise: &mut [OpNoise]) {
        let map = |q: &mut usize| *q = self.index[*q].unwrap_or(*q);
        for op in &mut program.ops {
            match &mut op.kind {
                Kind::Gate { qubits, .. } => qubits.iter_mut().for_each(map),
                Kind::Measure { qubit, .. } | Kind::Reset { qubit } => map(qubit),
            }
        }
        program.deferred.iter_mut().for_each(|(q, _)| map(q));
        for n in noise {
            for a in n.before.iter_mut().chain(n.after.iter_mut()) {
                a.qubits.iter_mut().for_each(map);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noise::{attach, Channel, NoiseModel};
    use qv_circuit::Circuit;

    #[test]
    fn touched_qubits_are_renumbered_in_order() {
        let mut m = NoiseModel::new();
        m.add_error(Channel::phase_damping(0.1).unwrap(), &["cx"], &[7, 3]).unwrap();
        let c = Circuit::with_clbits(9, 2).cx(7, 3).measure(3, 0).measure(5, 1);
        let mut p = Program::lower(&c).unwrap();
        let mut noise = attach(&p, Some(&m));
        let k = Compaction::of(&p);
        assert_eq!(
            (k.used(), k.simulated(3), k.simulated(5), k.simulated(0)),
            (3, Some(0), Some(1), None)
        );
        k.apply(&mut p, &mut noise);
        assert!(matches!(&p.ops[0].kind, Kind::Gate { qubits, .. } if qubits == &[2, 0]));
        assert_eq!(p.deferred, vec![(0, 0), (1, 1)]);
        let placed: Vec<Vec<usize>> = noise[0].after.iter().map(|a| a.qubits.clone()).collect();
        assert_eq!(placed, vec![vec![2], vec![0]], "1-qubit channel on each operand");
        assert_eq!(k.key(0b101, 9), "010001000");
    }
}
