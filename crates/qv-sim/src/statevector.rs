//! The complex128 state vector and its gate kernels.
//!
//! [`StateVector`] holds `2^n` amplitudes, qubit 0 the least significant bit
//! of the index. A `k`-qubit gate matrix (row-major, basis bit `j` = the
//! gate's `j`-th qubit argument, as in the gate table) is applied to any target
//! qubits without building a `2^n × 2^n` matrix: for every index whose target
//! bits are zero, the `2^k` amplitudes reached by setting target bits are
//! gathered, multiplied by the matrix and scattered back. One-qubit gates get
//! a pair loop, and the table's 2–5 qubit widths a fixed-size kernel the
//! compiler can unroll.

use qv_circuit::matrix::deposit_bits;
use qv_circuit::{Matrix, C64};

use crate::error::SimError;
use crate::memory::required_memory_bytes;

/// A pure state of `num_qubits` qubits.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StateVector {
    num_qubits: usize,
    amps: Vec<C64>,
}

impl StateVector {
    /// `e^{i·phase}|0…0⟩`. The allocation is fallible so a refused request is
    /// an error rather than an abort.
    pub fn new(num_qubits: usize, phase: f64) -> Result<Self, SimError> {
        let too_many = SimError::TooManyQubits { num_qubits };
        let bytes = required_memory_bytes(num_qubits).ok_or(too_many.clone())?;
        let len =
            u32::try_from(num_qubits).ok().and_then(|n| 1usize.checked_shl(n)).ok_or(too_many)?;
        let mut amps = Vec::new();
        amps.try_reserve_exact(len).map_err(|_| SimError::AllocationFailed { bytes })?;
        amps.resize(len, C64::new(0.0, 0.0));
        amps[0] = C64::from_polar(1.0, phase);
        Ok(Self { num_qubits, amps })
    }

    /// Number of qubits.
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// The amplitudes, index bit `q` = qubit `q`.
    pub fn amplitudes(&self) -> &[C64] {
        &self.amps
    }

    /// Mutable amplitudes, for the measurement module.
    pub(crate) fn amplitudes_mut(&mut self) -> &mut [C64] {
        &mut self.amps
    }

    /// Consumes the state, returning its amplitudes.
    pub fn into_amplitudes(self) -> Vec<C64> {
        self.amps
    }

    /// Applies the `k`-qubit unitary `m` with gate qubit `j` on `targets[j]`.
    /// `targets` must be distinct, in range and `2^targets.len() == m.dim()`
    /// (guaranteed by circuit validation).
    pub fn apply(&mut self, m: &Matrix, targets: &[usize]) {
        debug_assert_eq!(m.dim(), 1 << targets.len());
        debug_assert!(targets.iter().all(|&t| t < self.num_qubits));
        let d = m.data();
        match targets {
            [] => self.amps.iter_mut().for_each(|a| *a *= d[0]),
            [t] => self.apply_1q([d[0], d[1], d[2], d[3]], *t),
            _ => match m.dim() {
                4 => self.apply_fixed::<4>(d, targets),
                8 => self.apply_fixed::<8>(d, targets),
                16 => self.apply_fixed::<16>(d, targets),
                32 => self.apply_fixed::<32>(d, targets),
                _ => self.apply_general(d, targets),
            },
        }
    }

    fn apply_1q(&mut self, m: [C64; 4], target: usize) {
        let stride = 1usize << target;
        for block in self.amps.chunks_exact_mut(2 * stride) {
            let (lo, hi) = block.split_at_mut(stride);
            for (a0, a1) in lo.iter_mut().zip(hi.iter_mut()) {
                let (x, y) = (*a0, *a1);
                *a0 = m[0] * x + m[1] * y;
                *a1 = m[2] * x + m[3] * y;
            }
        }
    }

    fn apply_fixed<const D: usize>(&mut self, m: &[C64], targets: &[usize]) {
        let offsets: [usize; D] = std::array::from_fn(|j| deposit_bits(j, targets));
        let sorted = sorted_positions(targets);
        let mut buf = [C64::new(0.0, 0.0); D];
        for i in 0..(self.amps.len() / D) {
            let base = insert_zero_bits(i, &sorted);
            for (b, &o) in buf.iter_mut().zip(&offsets) {
                *b = self.amps[base + o];
            }
            for (row, &o) in m.chunks_exact(D).zip(&offsets) {
                self.amps[base + o] = row.iter().zip(&buf).map(|(x, y)| x * y).sum();
            }
        }
    }

    /// Any width, heap buffers: only reached by matrices wider than the table's.
    fn apply_general(&mut self, m: &[C64], targets: &[usize]) {
        let dim = 1usize << targets.len();
        let offsets: Vec<usize> = (0..dim).map(|j| deposit_bits(j, targets)).collect();
        let sorted = sorted_positions(targets);
        let mut buf = vec![C64::new(0.0, 0.0); dim];
        for i in 0..(self.amps.len() / dim) {
            let base = insert_zero_bits(i, &sorted);
            for (b, &o) in buf.iter_mut().zip(&offsets) {
                *b = self.amps[base + o];
            }
            for (row, &o) in m.chunks_exact(dim).zip(&offsets) {
                self.amps[base + o] = row.iter().zip(&buf).map(|(x, y)| x * y).sum();
            }
        }
    }
}

fn sorted_positions(targets: &[usize]) -> Vec<usize> {
    let mut sorted = targets.to_vec();
    sorted.sort_unstable();
    sorted
}

/// Spreads the bits of `i` around zero bits at `sorted` positions (ascending):
/// the `i`-th index whose bits at those positions are all zero.
fn insert_zero_bits(mut i: usize, sorted: &[usize]) -> usize {
    for &p in sorted {
        let low = i & ((1usize << p) - 1);
        i = ((i >> p) << (p + 1)) | low;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use qv_circuit::StandardGate;
    use std::f64::consts::FRAC_1_SQRT_2;

    fn c(re: f64, im: f64) -> C64 {
        C64::new(re, im)
    }

    fn assert_state(s: &StateVector, expected: &[C64]) {
        assert_eq!(s.amplitudes().len(), expected.len());
        for (i, (a, e)) in s.amplitudes().iter().zip(expected).enumerate() {
            assert!((a - e).norm() < 1e-12, "amplitude {i}: {a} != {e}");
        }
    }

    #[test]
    fn new_state_is_phased_all_zero() {
        let s = StateVector::new(2, std::f64::consts::FRAC_PI_2).unwrap();
        assert_state(&s, &[c(0.0, 1.0), c(0.0, 0.0), c(0.0, 0.0), c(0.0, 0.0)]);
        assert_eq!(StateVector::new(0, 0.0).unwrap().amplitudes(), &[c(1.0, 0.0)]);
    }

    #[test]
    fn x_on_qubit_one_sets_index_two() {
        let mut s = StateVector::new(2, 0.0).unwrap();
        s.apply(&StandardGate::X.matrix(&[]), &[1]);
        assert_state(&s, &[c(0.0, 0.0), c(0.0, 0.0), c(1.0, 0.0), c(0.0, 0.0)]);
    }

    #[test]
    fn bell_state_from_h_and_cx() {
        // (|00⟩ + |11⟩)/√2 from h(0), cx(0, 1).
        let mut s = StateVector::new(2, 0.0).unwrap();
        s.apply(&StandardGate::H.matrix(&[]), &[0]);
        s.apply(&StandardGate::Cx.matrix(&[]), &[0, 1]);
        let r = FRAC_1_SQRT_2;
        assert_state(&s, &[c(r, 0.0), c(0.0, 0.0), c(0.0, 0.0), c(r, 0.0)]);
    }

    #[test]
    fn cx_with_reversed_arguments_controls_on_high_qubit() {
        // cx(2, 0) on |100⟩ (index 4) gives |101⟩ (index 5); qubit 1 is a spectator.
        let mut s = StateVector::new(3, 0.0).unwrap();
        s.apply(&StandardGate::X.matrix(&[]), &[2]);
        s.apply(&StandardGate::Cx.matrix(&[]), &[2, 0]);
        let mut expected = vec![c(0.0, 0.0); 8];
        expected[5] = c(1.0, 0.0);
        assert_state(&s, &expected);
    }

    #[test]
    fn toffoli_and_c4x_flip_only_when_all_controls_set() {
        let x = StandardGate::X.matrix(&[]);
        let mut s = StateVector::new(5, 0.0).unwrap();
        for q in [0, 1, 3, 4] {
            s.apply(&x, &[q]);
        }
        // Controls 4, 3, 1, 0 all set: c4x flips qubit 2 → index 0b11111.
        s.apply(&StandardGate::C4x.matrix(&[]), &[4, 3, 1, 0, 2]);
        let mut expected = vec![c(0.0, 0.0); 32];
        expected[31] = c(1.0, 0.0);
        assert_state(&s, &expected);
        // Control 2 is now set but qubit 0 is the target: ccx(1, 2, 0) clears qubit 0.
        s.apply(&StandardGate::Ccx.matrix(&[]), &[1, 2, 0]);
        expected[31] = c(0.0, 0.0);
        expected[30] = c(1.0, 0.0);
        assert_state(&s, &expected);
    }

    #[test]
    fn general_kernel_matches_fixed_kernel() {
        let mut a = StateVector::new(4, 0.0).unwrap();
        let h = StandardGate::H.matrix(&[]);
        for q in 0..4 {
            a.apply(&h, &[q]);
        }
        a.apply(&StandardGate::Ry.matrix(&[0.3]), &[2]);
        let mut b = a.clone();
        let m = StandardGate::Cu.matrix(&[0.1, 0.2, 0.3, 0.4]);
        a.apply_fixed::<4>(m.data(), &[3, 1]);
        b.apply_general(m.data(), &[3, 1]);
        assert_state(&a, b.amplitudes());
    }

    #[test]
    fn insert_zero_bits_skips_target_positions() {
        assert_eq!(insert_zero_bits(0b11, &[1]), 0b101);
        assert_eq!(insert_zero_bits(0b111, &[0, 2]), 0b11010);
    }
}
