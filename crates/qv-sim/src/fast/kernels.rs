//! Passes over the state: dense `k`-qubit, diagonal and qubit-swap kernels.
//!
//! Each kernel body is written once, generic over the float width and (for
//! dense gates) the block width, in a form LLVM vectorises: gathered
//! amplitudes are split into real and imaginary arrays and the matrix is
//! stored transposed, so the inner loop runs over output rows in SIMD lanes.
//! The body is compiled three times — AVX-512, AVX2+FMA and the portable
//! baseline — and the widest the CPU supports is picked at run time.
//! Work is split over rayon's threads by ranges of group indices; every
//! amplitude belongs to exactly one group, so threads write disjoint memory.

use num_complex::Complex;
use rayon::prelude::*;

use super::real::Real;
use qv_circuit::C64;

/// States smaller than this many qubits run on the calling thread.
pub const PARALLEL_THRESHOLD: usize = 14;

#[derive(Clone, Copy)]
struct SendPtr<F>(*mut Complex<F>);
// SAFETY: kernels hand each thread a disjoint set of amplitude indices.
unsafe impl<F> Send for SendPtr<F> {}
unsafe impl<F> Sync for SendPtr<F> {}

impl<F> SendPtr<F> {
    /// Pointer to amplitude `i`; a method so closures capture the whole wrapper.
    #[inline(always)]
    fn at(self, i: usize) -> *mut Complex<F> {
        self.0.wrapping_add(i)
    }
}

/// Enumerates the amplitude groups of a pass: group `r`'s base index has
/// zeros at the pass's target qubits and ones at its control qubits.
pub(super) struct Groups {
    /// Targets and controls, ascending.
    spread: Vec<usize>,
    /// Bits of the control qubits.
    controls: usize,
}

impl Groups {
    pub(super) fn new(targets: &[usize], controls: &[usize]) -> Self {
        let mut spread: Vec<usize> = targets.iter().chain(controls).copied().collect();
        spread.sort_unstable();
        Groups { spread, controls: controls.iter().map(|c| 1usize << c).sum() }
    }

    /// Number of groups in a state of `len` amplitudes.
    pub(super) fn count(&self, len: usize) -> usize {
        len >> self.spread.len()
    }

    /// The base index of group `r`.
    #[inline(always)]
    pub(super) fn base(&self, r: usize) -> usize {
        insert_zeros(r, &self.spread) | self.controls
    }
}

/// Inserts a zero bit at each of the ascending positions `targets`.
#[inline(always)]
pub(super) fn insert_zeros(mut r: usize, targets: &[usize]) -> usize {
    for &t in targets {
        let low = r & ((1usize << t) - 1);
        r = ((r >> t) << (t + 1)) | low;
    }
    r
}

/// Runs `body(start, end)` over `0..groups`, split across threads when the state is large.
fn for_ranges(
    num_qubits: usize,
    groups: usize,
    threads: usize,
    body: impl Fn(usize, usize) + Sync,
) {
    if num_qubits < PARALLEL_THRESHOLD || threads <= 1 || groups < 64 {
        body(0, groups);
        return;
    }
    let chunks = (threads * 8).min(groups);
    let per = groups.div_ceil(chunks);
    (0..chunks).into_par_iter().for_each(|c| {
        let start = c * per;
        let end = ((c + 1) * per).min(groups);
        if start < end {
            body(start, end);
        }
    });
}

/// The matrix of a dense pass, transposed and split for the kernel.
struct Split<F, const D: usize> {
    re: [[F; D]; D],
    im: [[F; D]; D],
}

impl<F: Real, const D: usize> Split<F, D> {
    fn new(m: &[C64]) -> Self {
        let mut re = [[F::zero(); D]; D];
        let mut im = [[F::zero(); D]; D];
        for r in 0..D {
            for c in 0..D {
                // Transposed: column-major so the inner loop runs over rows.
                re[c][r] = F::from_f64(m[r * D + c].re);
                im[c][r] = F::from_f64(m[r * D + c].im);
            }
        }
        Split { re, im }
    }
}

#[inline(always)]
fn dense_body<F: Real, const K: usize, const D: usize>(
    ptr: SendPtr<F>,
    groups: &Groups,
    offsets: &[usize; D],
    m: &Split<F, D>,
    start: usize,
    end: usize,
) {
    for r in start..end {
        let base = groups.base(r);
        let mut vr = [F::zero(); D];
        let mut vi = [F::zero(); D];
        for j in 0..D {
            // SAFETY: base + offsets[j] < 2^n, and this group is ours alone.
            let a = unsafe { *ptr.at(base + offsets[j]) };
            vr[j] = a.re;
            vi[j] = a.im;
        }
        let mut or = [F::zero(); D];
        let mut oi = [F::zero(); D];
        for j in 0..D {
            let (xr, xi) = (vr[j], vi[j]);
            for i in 0..D {
                or[i] = or[i] + m.re[j][i] * xr - m.im[j][i] * xi;
                oi[i] = oi[i] + m.re[j][i] * xi + m.im[j][i] * xr;
            }
        }
        for i in 0..D {
            // SAFETY: as above.
            unsafe { *ptr.at(base + offsets[i]) = Complex::new(or[i], oi[i]) };
        }
    }
}

macro_rules! multiversion {
    ($name:ident, $body:ident, <$($g:ident : $b:path),* ; $(const $c:ident : usize),*>, ($($arg:ident : $ty:ty),*)) => {
        fn $name<$($g: $b,)* $(const $c: usize,)*>($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx2,fma")]
                unsafe fn avx512<$($g: $b,)* $(const $c: usize,)*>($($arg: $ty),*) {
                    $body::<$($g,)* $($c,)*>($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2<$($g: $b,)* $(const $c: usize,)*>($($arg: $ty),*) {
                    $body::<$($g,)* $($c,)*>($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU supports the enabled features.
                    return unsafe { avx512::<$($g,)* $($c,)*>($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                    // SAFETY: the CPU supports the enabled features.
                    return unsafe { avx2::<$($g,)* $($c,)*>($($arg),*) };
                }
            }
            $body::<$($g,)* $($c,)*>($($arg),*)
        }
    };
}

multiversion!(dense_range, dense_body, <F: Real; const K: usize, const D: usize>,
    (ptr: SendPtr<F>, groups: &Groups, offsets: &[usize; D], m: &Split<F, D>, start: usize, end: usize));

fn dense_fixed<F: Real, const K: usize, const D: usize>(
    amps: &mut [Complex<F>],
    num_qubits: usize,
    qubits: &[usize],
    controls: &[usize],
    matrix: &[C64],
    threads: usize,
) {
    let mut offsets = [0usize; D];
    for (j, o) in offsets.iter_mut().enumerate() {
        *o = qv_circuit::matrix::deposit_bits(j, qubits);
    }
    let groups = Groups::new(qubits, controls);
    let ptr = SendPtr(amps.as_mut_ptr());
    let count = groups.count(amps.len());
    #[cfg(target_arch = "x86_64")]
    if D >= 4
        && std::any::TypeId::of::<F>() == std::any::TypeId::of::<f64>()
        && std::arch::is_x86_feature_detected!("avx512f")
    {
        let packed = super::avx512::PackedMatrix4::<D>::new(matrix);
        let ptr = SendPtr(ptr.0 as *mut Complex<f64>);
        for_ranges(num_qubits, count, threads, |s, e| {
            // SAFETY: AVX-512F detected; F is f64; groups s..e are this range's alone
            // and every group index maps inside the state.
            unsafe { dense_avx512::<D>(ptr, &groups, &offsets, &packed, s, e) }
        });
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if D >= 2
        && std::any::TypeId::of::<F>() == std::any::TypeId::of::<f64>()
        && std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
    {
        let packed = super::avx2::PackedMatrix::<D>::new(matrix);
        let ptr = SendPtr(ptr.0 as *mut Complex<f64>);
        for_ranges(num_qubits, count, threads, |s, e| {
            // SAFETY: AVX2/FMA detected; F is f64; groups s..e are this range's alone
            // and every group index maps inside the state.
            unsafe { dense_avx2::<D>(ptr, &groups, &offsets, &packed, s, e) }
        });
        return;
    }
    let m = Split::<F, D>::new(matrix);
    for_ranges(num_qubits, count, threads, |s, e| {
        dense_range::<F, K, D>(ptr, &groups, &offsets, &m, s, e)
    });
}

/// Dispatches to the AVX2 kernel with the row-pair count for `D`.
///
/// # Safety
/// As [`super::avx2::apply_range`].
#[cfg(target_arch = "x86_64")]
unsafe fn dense_avx2<const D: usize>(
    ptr: SendPtr<f64>,
    groups: &Groups,
    offsets: &[usize; D],
    m: &super::avx2::PackedMatrix<D>,
    s: usize,
    e: usize,
) {
    use super::avx2::apply_range;
    // SAFETY: forwarded from the caller.
    unsafe {
        match D {
            2 => apply_range::<D, 1>(ptr.0, groups, offsets, m, s, e),
            4 => apply_range::<D, 2>(ptr.0, groups, offsets, m, s, e),
            8 => apply_range::<D, 4>(ptr.0, groups, offsets, m, s, e),
            16 => apply_range::<D, 8>(ptr.0, groups, offsets, m, s, e),
            32 => apply_range::<D, 16>(ptr.0, groups, offsets, m, s, e),
            _ => apply_range::<D, 32>(ptr.0, groups, offsets, m, s, e),
        }
    }
}

/// Dispatches to the AVX-512 kernel with the row-quad count for `D`.
///
/// # Safety
/// As [`super::avx512::apply_range`].
#[cfg(target_arch = "x86_64")]
unsafe fn dense_avx512<const D: usize>(
    ptr: SendPtr<f64>,
    groups: &Groups,
    offsets: &[usize; D],
    m: &super::avx512::PackedMatrix4<D>,
    s: usize,
    e: usize,
) {
    use super::avx512::apply_range;
    // SAFETY: forwarded from the caller.
    unsafe {
        match D {
            4 => apply_range::<D, 1>(ptr.0, groups, offsets, m, s, e),
            8 => apply_range::<D, 2>(ptr.0, groups, offsets, m, s, e),
            16 => apply_range::<D, 4>(ptr.0, groups, offsets, m, s, e),
            32 => apply_range::<D, 8>(ptr.0, groups, offsets, m, s, e),
            _ => apply_range::<D, 16>(ptr.0, groups, offsets, m, s, e),
        }
    }
}

/// Applies a dense unitary on ascending `qubits` (at most 6) to the
/// amplitudes whose `controls` bits are all 1 (the identity elsewhere).
pub fn apply_dense<F: Real>(
    amps: &mut [Complex<F>],
    num_qubits: usize,
    qubits: &[usize],
    controls: &[usize],
    matrix: &[C64],
    threads: usize,
) {
    let f = match qubits.len() {
        1 => dense_fixed::<F, 1, 2>,
        2 => dense_fixed::<F, 2, 4>,
        3 => dense_fixed::<F, 3, 8>,
        4 => dense_fixed::<F, 4, 16>,
        5 => dense_fixed::<F, 5, 32>,
        6 => dense_fixed::<F, 6, 64>,
        k => panic!("dense pass on {k} qubits is wider than the engine supports"),
    };
    f(amps, num_qubits, qubits, controls, matrix, threads)
}

/// One output row of a monomial pass that differs from its input: it is
/// written from slot `src` of the tile buffer (slots follow the moved rows).
#[derive(Clone, Copy)]
struct Move<F> {
    /// Offset of the row (within a group) it writes, and reads into its own slot.
    off: usize,
    /// Slot of the row it copies.
    src: usize,
    phase: Complex<F>,
    trivial: bool,
}

/// Amplitudes per row and tile: consecutive groups whose base indices are
/// consecutive are handled together, so each row is a contiguous copy.
const TILE: usize = 32;

/// Below runs of this many bits (pass qubits among the lowest), tiles are too
/// short to pay for themselves.
const MIN_RUN_BITS: usize = 2;

#[inline(always)]
fn monomial_body<F: Real>(
    ptr: SendPtr<F>,
    groups: &Groups,
    moves: &[Move<F>],
    run_bits: usize,
    start: usize,
    end: usize,
) {
    let zero = Complex::new(F::zero(), F::zero());
    if run_bits < MIN_RUN_BITS {
        // Short runs: one group at a time, fewer loop overheads.
        let mut buf = [zero; 64];
        for r in start..end {
            let base = groups.base(r);
            for (slot, mv) in moves.iter().enumerate() {
                // SAFETY: base + off < 2^n, and this group is ours alone.
                buf[slot] = unsafe { *ptr.at(base + mv.off) };
            }
            for (slot, mv) in moves.iter().enumerate() {
                let v = buf[mv.src];
                let v = if mv.trivial { v } else { v * mv.phase };
                if v != buf[slot] {
                    // SAFETY: as above.
                    unsafe { *ptr.at(base + mv.off) = v };
                }
            }
        }
        return;
    }
    let mut buf = [[zero; TILE]; 64];
    let mut out = [zero; TILE];
    let run_mask = (1usize << run_bits) - 1;
    let mut r = start;
    while r < end {
        // Group indices agree with their base below the lowest pass qubit.
        let len = TILE.min(run_mask + 1 - (r & run_mask)).min(end - r);
        let base = groups.base(r);
        for (slot, mv) in moves.iter().enumerate() {
            for t in 0..len {
                // SAFETY: base + off + t is the base of group r + t plus the row
                // offset, inside the state, and groups start..end are ours alone.
                buf[slot][t] = unsafe { *ptr.at(base + mv.off + t) };
            }
        }
        for (slot, mv) in moves.iter().enumerate() {
            let mut changed = false;
            for t in 0..len {
                let v = buf[mv.src][t];
                out[t] = if mv.trivial { v } else { v * mv.phase };
                changed |= out[t] != buf[slot][t];
            }
            // Rows that keep their values (zeros moving onto zeros in a sparse
            // state) are not written: no memory traffic, no page faults.
            if changed {
                for t in 0..len {
                    // SAFETY: as above.
                    unsafe { *ptr.at(base + mv.off + t) = out[t] };
                }
            }
        }
        r += len;
    }
}

multiversion!(monomial_range, monomial_body, <F: Real;>,
    (ptr: SendPtr<F>, groups: &Groups, moves: &[Move<F>], run_bits: usize, start: usize, end: usize));

/// Applies a monomial unitary (output row `r` = `phases[r]` × input row
/// `source[r]`) on ascending `qubits` (at most 6) where every `controls` bit is 1.
/// Only rows that change are read and written.
pub fn apply_monomial<F: Real>(
    amps: &mut [Complex<F>],
    num_qubits: usize,
    qubits: &[usize],
    controls: &[usize],
    source: &[usize],
    phases: &[C64],
    threads: usize,
) {
    assert!(qubits.len() <= 6, "monomial pass on more than 6 qubits");
    let one = C64::new(1.0, 0.0);
    // Rows that change; the sources of changing rows change too (a row that
    // feeds another is not a fixed point), so slots cover every read.
    let moved: Vec<usize> =
        (0..source.len()).filter(|&i| source[i] != i || phases[i] != one).collect();
    if moved.is_empty() {
        return;
    }
    let slot =
        |row: usize| moved.iter().position(|&m| m == row).expect("sources of moved rows move");
    let moves: Vec<Move<F>> = moved
        .iter()
        .map(|&i| Move {
            off: qv_circuit::matrix::deposit_bits(i, qubits),
            src: slot(source[i]),
            phase: F::complex(phases[i]),
            trivial: phases[i] == one,
        })
        .collect();
    let groups = Groups::new(qubits, controls);
    let run_bits = groups.spread.first().copied().unwrap_or(0);
    let ptr = SendPtr(amps.as_mut_ptr());
    let count = groups.count(amps.len());
    for_ranges(num_qubits, count, threads, |s, e| {
        monomial_range::<F>(ptr, &groups, &moves, run_bits, s, e)
    });
}

#[inline(always)]
fn diag_body<F: Real>(
    ptr: SendPtr<F>,
    chunk_bits: usize,
    lo_index: &[u32],
    hi_qubits: &[usize],
    hi_shift: usize,
    diag: &[Complex<F>],
    start: usize,
    end: usize,
) {
    let len = 1usize << chunk_bits;
    for c in start..end {
        let mut hi = 0usize;
        for (j, &q) in hi_qubits.iter().enumerate() {
            hi |= (((c << chunk_bits) >> q) & 1) << j;
        }
        let hi = hi << hi_shift;
        // SAFETY: chunk `c` covers indices [c·len, (c+1)·len), owned by this range.
        let chunk = unsafe { std::slice::from_raw_parts_mut(ptr.at(c * len), len) };
        for (a, &lo) in chunk.iter_mut().zip(lo_index) {
            let d = diag[hi | lo as usize];
            *a = Complex::new(a.re * d.re - a.im * d.im, a.re * d.im + a.im * d.re);
        }
    }
}

multiversion!(diag_range, diag_body, <F: Real;>,
    (ptr: SendPtr<F>, chunk_bits: usize, lo_index: &[u32], hi_qubits: &[usize], hi_shift: usize,
     diag: &[Complex<F>], start: usize, end: usize));

/// Multiplies amplitude `i` by `diag[bits of i at qubits]` (ascending `qubits`).
pub fn apply_diagonal<F: Real>(
    amps: &mut [Complex<F>],
    num_qubits: usize,
    qubits: &[usize],
    diag: &[C64],
    threads: usize,
) {
    let chunk_bits = num_qubits.min(12);
    let lo: Vec<usize> = qubits.iter().copied().filter(|&q| q < chunk_bits).collect();
    let hi: Vec<usize> = qubits.iter().copied().filter(|&q| q >= chunk_bits).collect();
    let lo_index: Vec<u32> = (0..1usize << chunk_bits)
        .map(|j| qv_circuit::matrix::extract_bits(j, &lo) as u32)
        .collect();
    let diag: Vec<Complex<F>> = diag.iter().map(|&d| F::complex(d)).collect();
    let ptr = SendPtr(amps.as_mut_ptr());
    let chunks = amps.len() >> chunk_bits;
    let shift = lo.len();
    for_ranges(num_qubits, chunks, threads, |s, e| {
        diag_range::<F>(ptr, chunk_bits, &lo_index, &hi, shift, &diag, s, e)
    });
}

/// Multiplies every amplitude by `factor`.
pub fn scale<F: Real>(amps: &mut [Complex<F>], factor: C64) {
    let f = F::complex(factor);
    amps.par_iter_mut().with_min_len(1 << 12).for_each(|a| *a = *a * f);
}

/// Exchanges qubits `a` and `b` of the state (a physical relabelling pass).
pub fn swap_qubits<F: Real>(
    amps: &mut [Complex<F>],
    num_qubits: usize,
    a: usize,
    b: usize,
    threads: usize,
) {
    let (lo, hi) = (a.min(b), a.max(b));
    let ptr = SendPtr(amps.as_mut_ptr());
    let groups = amps.len() >> 2;
    for_ranges(num_qubits, groups, threads, |s, e| {
        for r in s..e {
            let base = insert_zeros(r, &[lo, hi]);
            // SAFETY: the pair (base|lo-bit, base|hi-bit) belongs to group r only.
            unsafe { std::ptr::swap(ptr.at(base | (1 << lo)), ptr.at(base | (1 << hi))) };
        }
    });
}

/// Exchanges every pair of qubits in `pairs` (disjoint) in one pass: amplitude
/// `i` trades places with `σ(i)`, `i` with those bits swapped.
pub fn swap_qubit_pairs<F: Real>(
    amps: &mut [Complex<F>],
    num_qubits: usize,
    pairs: &[(usize, usize)],
    threads: usize,
) {
    // σ moves bits, so σ(hi | lo) = σ(hi) | σ(lo): a table for the low bits and
    // one evaluation per chunk for the high ones.
    let sigma = |mut i: usize| {
        for &(a, b) in pairs {
            let x = ((i >> a) ^ (i >> b)) & 1;
            i ^= (x << a) | (x << b);
        }
        i
    };
    let chunk_bits = num_qubits.min(12);
    let low: Vec<usize> = (0..1usize << chunk_bits).map(sigma).collect();
    let ptr = SendPtr(amps.as_mut_ptr());
    for_ranges(num_qubits, amps.len() >> chunk_bits, threads, |s, e| {
        for c in s..e {
            let first = c << chunk_bits;
            let high = sigma(first);
            for (t, &lo) in low.iter().enumerate() {
                let (i, j) = (first | t, high | lo);
                // Each pair is swapped once, by whoever owns its lower index
                // (the owner of the higher one skips it).
                if i < j {
                    // SAFETY: i, j < 2^n; no other index maps to either.
                    unsafe { std::ptr::swap(ptr.at(i), ptr.at(j)) };
                }
            }
        }
    });
}
