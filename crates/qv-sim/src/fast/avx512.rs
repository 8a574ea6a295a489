//! Hand-written AVX-512 kernel for dense complex128 passes (4 rows per register).
//!
//! Same scheme as the AVX2 kernel (see `avx2.rs`), with a 512-bit register
//! holding output rows `4p..4p+3`: twice the work per FMA and twice the
//! registers, so 5-qubit blocks keep all accumulators in registers.

use std::arch::x86_64::*;

use num_complex::Complex;
use qv_circuit::C64;

/// A pass matrix laid out for the kernel: per column `j`, per row quad `p`,
/// `[Re, Im]` of four rows and the swapped `[-Im, Re]` form.
pub(super) struct PackedMatrix4<const D: usize> {
    cols: Vec<[f64; 8]>,
    swapped: Vec<[f64; 8]>,
}

impl<const D: usize> PackedMatrix4<D> {
    pub(super) fn new(m: &[C64]) -> Self {
        let quads = D / 4;
        let mut cols = vec![[0.0; 8]; D * quads];
        let mut swapped = vec![[0.0; 8]; D * quads];
        for j in 0..D {
            for p in 0..quads {
                for h in 0..4 {
                    let v = m[(4 * p + h) * D + j];
                    cols[j * quads + p][2 * h] = v.re;
                    cols[j * quads + p][2 * h + 1] = v.im;
                    swapped[j * quads + p][2 * h] = -v.im;
                    swapped[j * quads + p][2 * h + 1] = v.re;
                }
            }
        }
        PackedMatrix4 { cols, swapped }
    }
}

/// Applies the matrix to groups `start..end`.
///
/// # Safety
/// The CPU must support AVX-512F; every `groups.base(r) + offsets[j]` for `r` in
/// range must be a valid index of `amps`, and no other thread may touch those
/// amplitudes during the call. `D >= 4` and `P == D / 4`.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn apply_range<const D: usize, const P: usize>(
    amps: *mut Complex<f64>,
    groups: &super::kernels::Groups,
    offsets: &[usize; D],
    m: &PackedMatrix4<D>,
    start: usize,
    end: usize,
) {
    let amps = amps as *mut f64;
    for r in start..end {
        let base = groups.base(r);
        let mut acc = [_mm512_setzero_pd(); P];
        let mut cols = m.cols.as_ptr() as *const f64;
        let mut swapped = m.swapped.as_ptr() as *const f64;
        for &off in offsets.iter() {
            // SAFETY: the caller guarantees the index is in bounds; the packed
            // matrix holds D·P entries of 8 doubles, walked once.
            unsafe {
                let src = amps.add(2 * (base + off));
                let re = _mm512_set1_pd(*src);
                let im = _mm512_set1_pd(*src.add(1));
                for a in acc.iter_mut() {
                    *a = _mm512_fmadd_pd(_mm512_loadu_pd(cols), re, *a);
                    *a = _mm512_fmadd_pd(_mm512_loadu_pd(swapped), im, *a);
                    cols = cols.add(8);
                    swapped = swapped.add(8);
                }
            }
        }
        for (p, a) in acc.iter().enumerate() {
            let mut out = [0.0f64; 8];
            // SAFETY: `out` holds 8 doubles; the destinations are rows 4p..4p+3 of this group.
            unsafe {
                _mm512_storeu_pd(out.as_mut_ptr(), *a);
                for h in 0..4 {
                    let dst = amps.add(2 * (base + offsets[4 * p + h]));
                    *dst = out[2 * h];
                    *dst.add(1) = out[2 * h + 1];
                }
            }
        }
    }
}
