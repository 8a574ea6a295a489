//! Hand-written AVX2+FMA kernel for dense complex128 passes.
//!
//! Rows are vectorised: a 256-bit register holds two output amplitudes
//! (rows `i`, `i+1`), so one group's `2^k` outputs live in `2^k / 2`
//! accumulators. For each input amplitude `v_j` the kernel broadcasts its real
//! and imaginary parts and adds `col_j · re(v_j) + col'_j · im(v_j)`, where
//! `col_j = [Re m_ij, Im m_ij, Re m_i+1,j, Im m_i+1,j]` and
//! `col'_j = [-Im m_ij, Re m_ij, -Im m_i+1,j, Re m_i+1,j]` are prepared once per
//! pass. That is one FMA per complex multiply-add, with the matrix operand
//! folded into the FMA as a load, and no shuffles in the inner loop.

use std::arch::x86_64::*;

use num_complex::Complex;
use qv_circuit::C64;

/// A pass matrix laid out for [`apply_group`]: `cols[j][p]` and `swapped[j][p]`
/// for column `j` and row pair `p`.
pub(super) struct PackedMatrix<const D: usize> {
    cols: Vec<[f64; 4]>,
    swapped: Vec<[f64; 4]>,
}

impl<const D: usize> PackedMatrix<D> {
    pub(super) fn new(m: &[C64]) -> Self {
        let pairs = D.div_ceil(2);
        let mut cols = vec![[0.0; 4]; D * pairs];
        let mut swapped = vec![[0.0; 4]; D * pairs];
        for j in 0..D {
            for p in 0..pairs {
                let mut c = [0.0; 4];
                let mut s = [0.0; 4];
                for h in 0..2 {
                    let i = 2 * p + h;
                    if i < D {
                        let v = m[i * D + j];
                        c[2 * h] = v.re;
                        c[2 * h + 1] = v.im;
                        s[2 * h] = -v.im;
                        s[2 * h + 1] = v.re;
                    }
                }
                cols[j * pairs + p] = c;
                swapped[j * pairs + p] = s;
            }
        }
        PackedMatrix { cols, swapped }
    }
}

/// Applies the matrix to groups `start..end`.
///
/// # Safety
/// The CPU must support AVX2 and FMA; every `groups.base(r) + offsets[j]` for `r`
/// in range must be a valid index of `amps`, and no other thread may touch
/// those amplitudes during the call. `D >= 2`.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn apply_range<const D: usize, const P: usize>(
    amps: *mut Complex<f64>,
    groups: &super::kernels::Groups,
    offsets: &[usize; D],
    m: &PackedMatrix<D>,
    start: usize,
    end: usize,
) {
    let amps = amps as *mut f64;
    for r in start..end {
        let base = groups.base(r);
        let mut acc = [_mm256_setzero_pd(); P];
        let mut cols = m.cols.as_ptr() as *const f64;
        let mut swapped = m.swapped.as_ptr() as *const f64;
        for &off in offsets.iter() {
            // SAFETY: the caller guarantees the index is in bounds; `cols` and
            // `swapped` hold D·P entries of 4 doubles, walked once.
            unsafe {
                let src = amps.add(2 * (base + off));
                let re = _mm256_broadcast_sd(&*src);
                let im = _mm256_broadcast_sd(&*src.add(1));
                for a in acc.iter_mut() {
                    *a = _mm256_fmadd_pd(_mm256_loadu_pd(cols), re, *a);
                    *a = _mm256_fmadd_pd(_mm256_loadu_pd(swapped), im, *a);
                    cols = cols.add(4);
                    swapped = swapped.add(4);
                }
            }
        }
        for p in 0..P {
            let lo = _mm256_castpd256_pd128(acc[p]);
            let hi = _mm256_extractf128_pd(acc[p], 1);
            // SAFETY: as above; rows 2p and 2p+1 of this group.
            unsafe {
                _mm_storeu_pd(amps.add(2 * (base + offsets[2 * p])), lo);
                if 2 * p + 1 < D {
                    _mm_storeu_pd(amps.add(2 * (base + offsets[2 * p + 1])), hi);
                }
            }
        }
    }
}
