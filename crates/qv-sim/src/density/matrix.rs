//! The density matrix itself: storage, superoperator passes and readouts.
//!
//! `ρ` is a `2^n × 2^n` complex128 matrix stored row-major, so entry
//! `ρ[r][c]` sits at index `r·2^n + c`: read as a vector of `2n` "virtual"
//! qubits, the column index is qubits `0..n` and the row index qubits
//! `n..2n`. `U ρ U†` is then `U` on the row qubits and `conj(U)` on the
//! column qubits, and a channel is its superoperator on both — ordinary
//! dense passes of the fast state-vector engine over a vector of `4^n`
//! amplitudes ([`DensityMatrix::apply_plan`]).
//!
//! A matrix may be unnormalised: in exact branching its trace is the
//! probability of the classical record it belongs to.

use qv_circuit::C64;
use rayon::prelude::*;

use crate::error::SimError;
use crate::fast::{kernels, FusedOp, Plan};

/// Bytes of one complex128 density matrix of `num_qubits` qubits (`16·4^n`).
pub fn density_matrix_bytes(num_qubits: usize) -> Option<u64> {
    let shift = u32::try_from(num_qubits).ok()?.checked_mul(2)?;
    1u64.checked_shl(shift)?.checked_mul(16).filter(|&b| b <= isize::MAX as u64)
}

/// Rows at or above this many qubits are processed in parallel.
const PARALLEL_QUBITS: usize = 7;

/// A (possibly unnormalised) density matrix.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DensityMatrix {
    num_qubits: usize,
    data: Vec<C64>,
}

impl DensityMatrix {
    /// `|0…0⟩⟨0…0|`; the allocation is fallible so a refusal is an error.
    pub fn zero_state(num_qubits: usize) -> Result<Self, SimError> {
        let bytes =
            density_matrix_bytes(num_qubits).ok_or(SimError::TooManyQubits { num_qubits })?;
        let len = 1usize << (2 * num_qubits);
        let mut data = Vec::new();
        data.try_reserve_exact(len).map_err(|_| SimError::AllocationFailed { bytes })?;
        data.resize(len, C64::new(0.0, 0.0));
        data[0] = C64::new(1.0, 0.0);
        Ok(Self { num_qubits, data })
    }

    /// A copy, refused with an error instead of aborting when memory runs out.
    pub fn try_clone(&self) -> Result<Self, SimError> {
        let mut data = Vec::new();
        data.try_reserve_exact(self.data.len()).map_err(|_| SimError::AllocationFailed {
            bytes: (self.data.len() as u64).saturating_mul(16),
        })?;
        data.extend_from_slice(&self.data);
        Ok(Self { num_qubits: self.num_qubits, data })
    }

    /// Overwrites this matrix with `other` (same size) without allocating.
    pub fn copy_from(&mut self, other: &DensityMatrix) {
        self.data.copy_from_slice(&other.data);
    }

    /// Row-major entries.
    #[cfg(test)]
    pub fn data(&self) -> &[C64] {
        &self.data
    }

    /// Consumes the matrix, returning its row-major entries.
    pub fn into_data(self) -> Vec<C64> {
        self.data
    }

    fn dim(&self) -> usize {
        1 << self.num_qubits
    }

    fn parallel(&self) -> bool {
        self.num_qubits >= PARALLEL_QUBITS
    }

    /// Runs a plan built on the `2n` virtual qubits, then undoes its final
    /// qubit relabelling (from fused `swap` gates) so the layout is logical.
    pub fn apply_plan(&mut self, plan: &Plan, threads: usize) {
        let n2 = 2 * self.num_qubits;
        for op in &plan.ops {
            match op {
                FusedOp::Dense { qubits, controls, matrix } => {
                    kernels::apply_dense(&mut self.data, n2, qubits, controls, matrix, threads)
                }
                FusedOp::Monomial { qubits, controls, source, phases } => kernels::apply_monomial(
                    &mut self.data,
                    n2,
                    qubits,
                    controls,
                    source,
                    phases,
                    threads,
                ),
                FusedOp::Diagonal { qubits, diag } => {
                    kernels::apply_diagonal(&mut self.data, n2, qubits, diag, threads)
                }
            }
        }
        let mut layout = plan.layout.clone();
        for l in 0..n2 {
            let p = layout[l];
            if p != l {
                kernels::swap_qubits(&mut self.data, n2, l, p, threads);
                if let Some(m) = layout.iter().position(|&x| x == l) {
                    layout[m] = p;
                }
                layout[l] = l;
            }
        }
    }

    /// The real diagonal: outcome weights of every basis state.
    pub fn diagonal(&self) -> impl Iterator<Item = f64> + '_ {
        let step = self.dim() + 1;
        self.data.iter().step_by(step).map(|d| d.re)
    }

    /// The trace (the weight of an unnormalised matrix).
    #[cfg(test)]
    pub fn trace(&self) -> f64 {
        self.diagonal().sum()
    }

    /// Unnormalised weights of `qubit` being 0 and 1.
    pub fn qubit_weights(&self, qubit: usize) -> (f64, f64) {
        let mask = 1usize << qubit;
        let (mut w0, mut w1) = (0.0, 0.0);
        for (i, d) in self.diagonal().enumerate() {
            if i & mask == 0 {
                w0 += d;
            } else {
                w1 += d;
            }
        }
        (w0, w1)
    }

    /// Measures `qubit` without reading it and weighs the outcomes: entries
    /// coupling `qubit = 0` and `1` are zeroed, the `0` block is scaled by
    /// `s0` and the `1` block by `s1`. `(1, 0)` projects onto outcome 0;
    /// `(P(r|0), P(r|1))` gives the part recorded as `r` under a readout error.
    pub fn dephase_scale(&mut self, qubit: usize, s0: f64, s1: f64) {
        let dim = self.dim();
        let mask = 1usize << qubit;
        let row = |(r, row): (usize, &mut [C64])| {
            let rbit = r & mask != 0;
            for (c, x) in row.iter_mut().enumerate() {
                let cbit = c & mask != 0;
                *x = if rbit != cbit {
                    C64::new(0.0, 0.0)
                } else if rbit {
                    *x * s1
                } else {
                    *x * s0
                };
            }
        };
        if self.parallel() {
            self.data.par_chunks_mut(dim).enumerate().for_each(row);
        } else {
            self.data.chunks_mut(dim).enumerate().for_each(row);
        }
    }

    /// Adds `other` (same size) entry by entry.
    pub fn add(&mut self, other: &DensityMatrix) {
        if self.parallel() {
            self.data.par_iter_mut().zip(&other.data).for_each(|(a, b)| *a += b);
        } else {
            self.data.iter_mut().zip(&other.data).for_each(|(a, b)| *a += b);
        }
    }

    /// Joint outcome weights of `qubits` into `out` (resized to
    /// `2^qubits.len()`, outcome bit `j` = `qubits[j]`).
    pub fn marginal_into(&self, qubits: &[usize], out: &mut Vec<f64>) {
        out.clear();
        out.resize(1usize << qubits.len(), 0.0);
        for (i, d) in self.diagonal().enumerate() {
            out[qv_circuit::matrix::extract_bits(i, qubits)] += d;
        }
    }

    /// `Tr(ρ·P)` for the Pauli string with bit-flip mask `x`, phase mask `z`
    /// and `ny` factors of Y: `P|c⟩ = i^ny·(-1)^{|c∧z|}·|c⊕x⟩`, so
    /// `Tr(ρP) = Σ_c i^ny·(-1)^{|c∧z|}·ρ[c][c⊕x]`.
    pub fn pauli_expectation(&self, x: usize, z: usize, ny: u32) -> f64 {
        let dim = self.dim();
        let term = |c: usize| {
            let v = self.data[c * dim + (c ^ x)];
            if (c & z).count_ones() % 2 == 1 {
                -v
            } else {
                v
            }
        };
        let sum: C64 = if self.parallel() {
            (0..dim).into_par_iter().map(term).sum()
        } else {
            (0..dim).map(term).sum()
        };
        let phase = match ny % 4 {
            0 => C64::new(1.0, 0.0),
            1 => C64::new(0.0, 1.0),
            2 => C64::new(-1.0, 0.0),
            _ => C64::new(0.0, -1.0),
        };
        (phase * sum).re
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fast::{fusion, FusionLimits, GateOp};
    use qv_circuit::StandardGate;

    fn h_on(n: usize, q: usize) -> Vec<GateOp> {
        // U on the row qubit n+q, conj(U) on the column qubit q.
        let h = StandardGate::H.matrix(&[]);
        vec![
            GateOp { matrix: h.clone(), qubits: vec![n + q] },
            GateOp { matrix: h, qubits: vec![q] },
        ]
    }

    #[test]
    fn hadamard_gives_plus_state() {
        let mut rho = DensityMatrix::zero_state(1).unwrap();
        let plan = fusion::plan(&h_on(1, 0), 2, FusionLimits::default());
        rho.apply_plan(&plan, 1);
        for x in rho.data() {
            assert!((x.re - 0.5).abs() < 1e-15 && x.im.abs() < 1e-15);
        }
        assert!((rho.pauli_expectation(1, 0, 0) - 1.0).abs() < 1e-15, "<X> = 1");
        assert!(rho.pauli_expectation(0, 1, 0).abs() < 1e-15, "<Z> = 0");
    }

    #[test]
    fn swap_relabelling_is_undone() {
        // x on qubit 0, then swap(0, 1): the state is |10⟩⟨10| (index 2·4 + 2).
        let n = 2;
        let x = StandardGate::X.matrix(&[]);
        let swap = StandardGate::Swap.matrix(&[]);
        let ops = vec![
            GateOp { matrix: x.clone(), qubits: vec![n] },
            GateOp { matrix: x, qubits: vec![0] },
            GateOp { matrix: swap.clone(), qubits: vec![n, n + 1] },
            GateOp { matrix: swap, qubits: vec![0, 1] },
        ];
        let mut rho = DensityMatrix::zero_state(n).unwrap();
        rho.apply_plan(&fusion::plan(&ops, 2 * n, FusionLimits::default()), 1);
        assert_eq!(rho.data()[2 * 4 + 2], C64::new(1.0, 0.0));
        assert!((rho.pauli_expectation(0, 0b10, 0) + 1.0).abs() < 1e-15, "<Z1> = -1");
    }

    #[test]
    fn dephase_scale_splits_outcomes() {
        let mut rho = DensityMatrix::zero_state(1).unwrap();
        rho.apply_plan(&fusion::plan(&h_on(1, 0), 2, FusionLimits::OFF), 1);
        let mut one = rho.clone();
        one.dephase_scale(0, 0.0, 1.0);
        let want = [0.0, 0.0, 0.0, 0.5];
        for (x, w) in one.data().iter().zip(want) {
            assert!((x - C64::new(w, 0.0)).norm() < 1e-15, "{:?}", one.data());
        }
        rho.dephase_scale(0, 0.9, 0.2);
        assert!((rho.trace() - 0.55).abs() < 1e-15);
        let (w0, w1) = rho.qubit_weights(0);
        assert!((w0 - 0.45).abs() < 1e-15 && (w1 - 0.1).abs() < 1e-15);
    }

    #[test]
    fn byte_count_is_sixteen_times_four_to_the_n() {
        assert_eq!(density_matrix_bytes(0), Some(16));
        assert_eq!(density_matrix_bytes(12), Some(256 << 20));
        assert_eq!(density_matrix_bytes(31), None);
    }
}
