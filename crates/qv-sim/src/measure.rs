//! Measurement, collapse and reset on a [`StateVector`], and marginal
//! probabilities over a set of qubits.
//!
//! Outcome probabilities are computed from the unnormalised weights of both
//! halves, and collapse rescales the kept half to norm 1, so rounding drift
//! from long circuits does not accumulate across measurements.

use qv_circuit::matrix::extract_bits;
use qv_circuit::C64;

use crate::statevector::StateVector;

impl StateVector {
    /// Probabilities `(p0, p1)` of measuring `qubit` as 0 or 1 (summing to 1).
    pub fn qubit_probabilities(&self, qubit: usize) -> (f64, f64) {
        let mask = 1usize << qubit;
        let (mut w0, mut w1) = (0.0, 0.0);
        for (i, a) in self.amplitudes().iter().enumerate() {
            if i & mask == 0 {
                w0 += a.norm_sqr();
            } else {
                w1 += a.norm_sqr();
            }
        }
        let total = w0 + w1;
        if total > 0.0 {
            (w0 / total, w1 / total)
        } else {
            (1.0, 0.0)
        }
    }

    /// Projects `qubit` onto `outcome` and renormalises. `probability` is the
    /// outcome's probability from [`StateVector::qubit_probabilities`] (> 0).
    pub fn collapse(&mut self, qubit: usize, outcome: bool, probability: f64) {
        let mask = 1usize << qubit;
        let keep = if outcome { mask } else { 0 };
        let scale = 1.0 / probability.sqrt();
        for (i, a) in self.amplitudes_mut().iter_mut().enumerate() {
            if i & mask == keep {
                *a *= scale;
            } else {
                *a = C64::new(0.0, 0.0);
            }
        }
    }

    /// Measures `qubit` using the uniform draw `r ∈ [0, 1)`: outcome 1 when
    /// `r < p1`. Collapses the state and returns the outcome.
    pub fn measure(&mut self, qubit: usize, r: f64) -> bool {
        let (p0, p1) = self.qubit_probabilities(qubit);
        let outcome = r < p1;
        self.collapse(qubit, outcome, if outcome { p1 } else { p0 });
        outcome
    }

    /// Moves the amplitudes of a state collapsed to `qubit = 1` onto `qubit = 0`.
    pub fn flip_collapsed_one_to_zero(&mut self, qubit: usize) {
        let stride = 1usize << qubit;
        for block in self.amplitudes_mut().chunks_exact_mut(2 * stride) {
            let (lo, hi) = block.split_at_mut(stride);
            lo.swap_with_slice(hi);
        }
    }

    /// Resets `qubit` to |0⟩ using the draw `r` for the implied measurement.
    pub fn reset(&mut self, qubit: usize, r: f64) {
        if self.measure(qubit, r) {
            self.flip_collapsed_one_to_zero(qubit);
        }
    }

    /// Joint outcome probabilities of `qubits` into `out` (resized to
    /// `2^qubits.len()`), outcome bit `j` = `qubits[j]`.
    pub fn marginal_into(&self, qubits: &[usize], out: &mut Vec<f64>) {
        out.clear();
        out.resize(1usize << qubits.len(), 0.0);
        let identity = qubits.iter().enumerate().all(|(j, &q)| j == q);
        let amps = self.amplitudes();
        if identity && qubits.len() == self.num_qubits() {
            for (o, a) in out.iter_mut().zip(amps) {
                *o = a.norm_sqr();
            }
        } else if identity {
            // The measured qubits are the low bits: the outcome is `i mod 2^m`.
            let low = out.len() - 1;
            for (i, a) in amps.iter().enumerate() {
                out[i & low] += a.norm_sqr();
            }
        } else {
            for (i, a) in amps.iter().enumerate() {
                out[extract_bits(i, qubits)] += a.norm_sqr();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qv_circuit::StandardGate;

    fn plus_zero_state() -> StateVector {
        // ry(θ) on qubit 0: p1 = sin²(θ/2).
        let mut s = StateVector::new(2, 0.0).unwrap();
        s.apply(&StandardGate::Ry.matrix(&[2.0 * (0.3f64).sqrt().asin()]), &[0]);
        s
    }

    #[test]
    fn qubit_probabilities_follow_born_rule() {
        let s = plus_zero_state();
        let (p0, p1) = s.qubit_probabilities(0);
        assert!((p0 - 0.7).abs() < 1e-12 && (p1 - 0.3).abs() < 1e-12);
        assert_eq!(s.qubit_probabilities(1), (1.0, 0.0));
    }

    #[test]
    fn measure_collapses_and_renormalises() {
        let mut s = plus_zero_state();
        assert!(s.measure(0, 0.29));
        assert!((s.amplitudes()[1].norm() - 1.0).abs() < 1e-12);
        assert_eq!(s.amplitudes()[0], C64::new(0.0, 0.0));
        let mut s = plus_zero_state();
        assert!(!s.measure(0, 0.31));
        assert!((s.amplitudes()[0].norm() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn reset_after_outcome_one_returns_to_zero() {
        let mut s = StateVector::new(2, 0.0).unwrap();
        s.apply(&StandardGate::X.matrix(&[]), &[1]);
        s.reset(1, 0.5);
        assert_eq!(s.amplitudes()[0], C64::new(1.0, 0.0));
        assert_eq!(s.amplitudes()[2], C64::new(0.0, 0.0));
    }

    #[test]
    fn marginal_orders_outcome_bits_by_argument() {
        // |q2 q1 q0⟩ = |110⟩ with certainty.
        let mut s = StateVector::new(3, 0.0).unwrap();
        s.apply(&StandardGate::X.matrix(&[]), &[1]);
        s.apply(&StandardGate::X.matrix(&[]), &[2]);
        let mut out = vec![];
        s.marginal_into(&[2, 0], &mut out);
        assert_eq!(out, vec![0.0, 1.0, 0.0, 0.0]);
        s.marginal_into(&[0, 1], &mut out);
        assert_eq!(out, vec![0.0, 0.0, 1.0, 0.0]);
        s.marginal_into(&[0, 1, 2], &mut out);
        assert_eq!(out[6], 1.0);
        s.marginal_into(&[], &mut out);
        assert_eq!(out, vec![1.0]);
    }
}
