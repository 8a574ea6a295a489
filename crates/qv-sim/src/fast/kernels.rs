//! Passes over the state: dense `k`-qubit, diagonal and qubit-swap kernels.
//!
//! Each kernel body is written once, generic over the float width and (for
//! dense gates) the block width, in a form LLVM vectorises: gathered
//! amplitudes are split into real and imaginary arrays and the matrix is
//! stored transposed, so the inner loop runs over output rows in SIMD lanes.
//! The body is compiled three times — AVX-512, AVX2+FMA and the portable
//! baseline; each pass runs the one [`crate::simd::active`] names (the widest
//! the CPU supports unless `QV_SIMD` or a test's override says otherwise),
//! resolved once on the calling thread and handed to the workers.
//! Work is split over rayon's threads by ranges of group indices; every
//! amplitude belongs to exactly one group, so threads write disjoint memory.
//!
//! The passes index the state through raw pointers, so each safe entry point
//! first asserts (in release builds too) what that indexing relies on: the
//! state has `2^num_qubits` amplitudes, the pass's qubits are distinct and
//! below `num_qubits`, and its tables have the pass's size. The checks cost
//! O(qubits) per pass, nothing per amplitude.

use num_complex::Complex;
use rayon::prelude::*;

use super::real::Real;
use crate::simd::{self, Isa};
use qv_circuit::C64;

/// States smaller than this many qubits run on the calling thread.
pub const PARALLEL_THRESHOLD: usize = 14;

#[derive(Clone, Copy)]
struct SendPtr<F>(*mut Complex<F>);
// SAFETY: kernels hand each thread a disjoint set of amplitude indices.
unsafe impl<F> Send for SendPtr<F> {}
// SAFETY: as for `Send`: shared copies are only written at disjoint indices.
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

/// Asserts that a state of `len` amplitudes has `num_qubits` qubits. The
/// kernels' unchecked indexing relies on it, so it holds in release builds too.
#[track_caller]
fn check_state(len: usize, num_qubits: usize) {
    assert!(
        num_qubits < usize::BITS as usize && len == 1 << num_qubits,
        "state of {len} amplitudes passed as {num_qubits} qubits (needs 2^{num_qubits})"
    );
}

/// Asserts that the qubits of `sets` are below `num_qubits` (< 64 after
/// [`check_state`]) and all distinct, across sets too. O(number of qubits).
#[track_caller]
fn check_qubits(num_qubits: usize, sets: &[&[usize]]) {
    let mut seen = 0usize;
    for &q in sets.iter().copied().flatten() {
        assert!(q < num_qubits, "qubit {q} is out of range for a {num_qubits}-qubit state");
        assert!(seen & (1 << q) == 0, "qubit {q} appears twice in one pass");
        seen |= 1 << q;
    }
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

/// Applies the pass to groups `start..end`.
///
/// # Safety
/// Every `groups.base(r) + offsets[j]` for `r` in `start..end` is an index of
/// the state behind `ptr`, and no other thread touches those amplitudes.
#[inline(always)]
unsafe fn dense_body<F: Real, const K: usize, const D: usize>(
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
        /// Runs the body compiled for `isa`.
        ///
        /// # Safety
        /// The CPU supports `isa`, and the body's own contract holds.
        unsafe fn $name<$($g: $b,)* $(const $c: usize,)*>(isa: Isa, $($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx2,fma")]
                unsafe fn avx512<$($g: $b,)* $(const $c: usize,)*>($($arg: $ty),*) {
                    // SAFETY: forwarded from the caller.
                    unsafe { $body::<$($g,)* $($c,)*>($($arg),*) }
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2<$($g: $b,)* $(const $c: usize,)*>($($arg: $ty),*) {
                    // SAFETY: forwarded from the caller.
                    unsafe { $body::<$($g,)* $($c,)*>($($arg),*) }
                }
                match isa {
                    // SAFETY: the caller guarantees the CPU supports `isa`, and the
                    // body's contract.
                    Isa::Avx512 => return unsafe { avx512::<$($g,)* $($c,)*>($($arg),*) },
                    // SAFETY: as above.
                    Isa::Avx2 => return unsafe { avx2::<$($g,)* $($c,)*>($($arg),*) },
                    Isa::Portable => {}
                }
            }
            #[cfg(not(target_arch = "x86_64"))]
            let _ = isa;
            // SAFETY: forwarded from the caller.
            unsafe { $body::<$($g,)* $($c,)*>($($arg),*) }
        }
    };
}

multiversion!(dense_range, dense_body, <F: Real; const K: usize, const D: usize>,
    (ptr: SendPtr<F>, groups: &Groups, offsets: &[usize; D], m: &Split<F, D>, start: usize, end: usize));

fn dense_fixed<F: Real, const K: usize, const D: usize>(
    isa: Isa,
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
    let is_f64 = std::any::TypeId::of::<F>() == std::any::TypeId::of::<f64>();
    #[cfg(target_arch = "x86_64")]
    if D >= 4 && is_f64 && isa == Isa::Avx512 {
        let packed = super::avx512::PackedMatrix4::<D>::new(matrix);
        let ptr = SendPtr(ptr.0 as *mut Complex<f64>);
        for_ranges(num_qubits, count, threads, |s, e| {
            // SAFETY: `simd::active` yields AVX-512 only where the CPU has it; F is
            // f64; groups s..e are this range's alone and, by the checks of
            // `apply_dense`, every group index maps inside the state.
            unsafe { dense_avx512::<D>(ptr, &groups, &offsets, &packed, s, e) }
        });
        return;
    }
    // AVX-512 implies AVX2+FMA, which also serves 1-qubit passes.
    #[cfg(target_arch = "x86_64")]
    if D >= 2 && is_f64 && matches!(isa, Isa::Avx2 | Isa::Avx512) {
        let packed = super::avx2::PackedMatrix::<D>::new(matrix);
        let ptr = SendPtr(ptr.0 as *mut Complex<f64>);
        for_ranges(num_qubits, count, threads, |s, e| {
            // SAFETY: the CPU has AVX2/FMA (as above); F is f64; groups s..e are
            // this range's alone and every group index maps inside the state.
            unsafe { dense_avx2::<D>(ptr, &groups, &offsets, &packed, s, e) }
        });
        return;
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = is_f64;
    let m = Split::<F, D>::new(matrix);
    for_ranges(num_qubits, count, threads, |s, e| {
        // SAFETY: `simd::active` yields only ISAs the CPU supports; `apply_dense`
        // checked that every group index maps inside the state, and ranges
        // s..e are disjoint.
        unsafe { dense_range::<F, K, D>(isa, ptr, &groups, &offsets, &m, s, e) }
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
///
/// # Panics
/// Unless `amps` has `2^num_qubits` entries, `qubits` and `controls` are
/// distinct qubits below `num_qubits` and `matrix` is `2^k × 2^k` (row-major).
pub fn apply_dense<F: Real>(
    amps: &mut [Complex<F>],
    num_qubits: usize,
    qubits: &[usize],
    controls: &[usize],
    matrix: &[C64],
    threads: usize,
) {
    check_state(amps.len(), num_qubits);
    check_qubits(num_qubits, &[qubits, controls]);
    let f = match qubits.len() {
        1 => dense_fixed::<F, 1, 2>,
        2 => dense_fixed::<F, 2, 4>,
        3 => dense_fixed::<F, 3, 8>,
        4 => dense_fixed::<F, 4, 16>,
        5 => dense_fixed::<F, 5, 32>,
        6 => dense_fixed::<F, 6, 64>,
        k => panic!("dense pass on {k} qubits: the engine takes 1 to 6"),
    };
    let dim = 1usize << qubits.len();
    assert!(
        matrix.len() == dim * dim,
        "dense pass on {} qubits needs a {dim}×{dim} matrix, got {} entries",
        qubits.len(),
        matrix.len()
    );
    f(simd::active(), amps, num_qubits, qubits, controls, matrix, threads)
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

/// Applies the moves to groups `start..end`.
///
/// # Safety
/// Every `groups.base(r) + mv.off` for `r` in `start..end` and each move is an
/// index of the state behind `ptr`, no other thread touches those amplitudes,
/// and `moves` has at most 64 entries whose `src` are slots of `moves`.
#[inline(always)]
unsafe fn monomial_body<F: Real>(
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
///
/// # Panics
/// Unless `amps` has `2^num_qubits` entries, `qubits` and `controls` are
/// distinct qubits below `num_qubits`, and `source` (a permutation of
/// `0..2^k`) and `phases` have `2^k` entries.
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
    check_state(amps.len(), num_qubits);
    check_qubits(num_qubits, &[qubits, controls]);
    let dim = 1usize << qubits.len();
    assert!(
        source.len() == dim && phases.len() == dim,
        "monomial pass on {} qubits needs {dim} sources and phases, got {} and {}",
        qubits.len(),
        source.len(),
        phases.len()
    );
    // dim <= 64: one bit per row.
    let seen = source.iter().fold(0u64, |seen, &s| {
        assert!(s < dim, "monomial source row {s} is out of range 0..{dim}");
        seen | 1 << s
    });
    assert!(seen.count_ones() as usize == dim, "monomial sources {source:?} are not a permutation");
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
    let isa = simd::active();
    for_ranges(num_qubits, count, threads, |s, e| {
        // SAFETY: `isa` as in `apply_dense`; the checks above keep every row
        // offset inside the state, there are at most 64 moves whose sources
        // are moved rows, and ranges s..e are disjoint.
        unsafe { monomial_range::<F>(isa, ptr, &groups, &moves, run_bits, s, e) }
    });
}

/// Multiplies chunks `start..end` of `2^chunk_bits` amplitudes by the diagonal.
///
/// # Safety
/// Those chunks lie inside the state behind `ptr` and no other thread touches
/// them; `lo_index` has `2^chunk_bits` entries.
#[inline(always)]
unsafe fn diag_body<F: Real>(
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
///
/// # Panics
/// Unless `amps` has `2^num_qubits` entries, `qubits` are distinct qubits
/// below `num_qubits` and `diag` has `2^k` entries.
pub fn apply_diagonal<F: Real>(
    amps: &mut [Complex<F>],
    num_qubits: usize,
    qubits: &[usize],
    diag: &[C64],
    threads: usize,
) {
    check_state(amps.len(), num_qubits);
    check_qubits(num_qubits, &[qubits]);
    assert!(
        diag.len() == 1 << qubits.len(),
        "diagonal pass on {} qubits needs {} entries, got {}",
        qubits.len(),
        1usize << qubits.len(),
        diag.len()
    );
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
    let isa = simd::active();
    for_ranges(num_qubits, chunks, threads, |s, e| {
        // SAFETY: `isa` as in `apply_dense`; the state has 2^num_qubits
        // amplitudes, a whole number of chunks, and ranges s..e are disjoint.
        unsafe { diag_range::<F>(isa, ptr, chunk_bits, &lo_index, &hi, shift, &diag, s, e) }
    });
}

/// Multiplies every amplitude by `factor`.
pub fn scale<F: Real>(amps: &mut [Complex<F>], factor: C64) {
    let f = F::complex(factor);
    amps.par_iter_mut().with_min_len(1 << 12).for_each(|a| *a = *a * f);
}

/// Exchanges qubits `a` and `b` of the state (a physical relabelling pass).
///
/// # Panics
/// Unless `amps` has `2^num_qubits` entries and `a`, `b` are distinct qubits
/// below `num_qubits`.
pub fn swap_qubits<F: Real>(
    amps: &mut [Complex<F>],
    num_qubits: usize,
    a: usize,
    b: usize,
    threads: usize,
) {
    check_state(amps.len(), num_qubits);
    check_qubits(num_qubits, &[&[a, b]]);
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
///
/// # Panics
/// Unless `amps` has `2^num_qubits` entries and the pairs' qubits are all
/// distinct and below `num_qubits`.
pub fn swap_qubit_pairs<F: Real>(
    amps: &mut [Complex<F>],
    num_qubits: usize,
    pairs: &[(usize, usize)],
    threads: usize,
) {
    check_state(amps.len(), num_qubits);
    let flat: Vec<usize> = pairs.iter().flat_map(|&(a, b)| [a, b]).collect();
    check_qubits(num_qubits, &[&flat]);
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

#[cfg(test)]
mod tests {
    use super::*;
    use qv_circuit::matrix::{deposit_bits, extract_bits};
    use rand::{Rng, SeedableRng};

    type Z = Complex<f64>;
    const Z0: Z = Complex::new(0.0, 0.0);

    // Calls that used to index out of bounds (or alias) now stop first.

    #[test]
    #[should_panic(expected = "qubit 5 is out of range for a 2-qubit state")]
    fn swap_with_a_qubit_beyond_the_state_panics() {
        swap_qubits(&mut [Z0; 4], 2, 0, 5, 1);
    }

    #[test]
    #[should_panic(expected = "state of 4 amplitudes passed as 3 qubits")]
    fn swap_on_a_state_shorter_than_its_qubits_panics() {
        swap_qubits(&mut [Z0; 4], 3, 0, 2, 1);
    }

    #[test]
    #[should_panic(expected = "qubit 1 appears twice in one pass")]
    fn swap_of_a_qubit_with_itself_panics() {
        swap_qubits(&mut [Z0; 4], 2, 1, 1, 1);
    }

    #[test]
    #[should_panic(expected = "qubit 2 appears twice in one pass")]
    fn overlapping_swap_pairs_panic() {
        swap_qubit_pairs(&mut [Z0; 16], 4, &[(0, 2), (2, 3)], 1);
    }

    #[test]
    #[should_panic(expected = "qubit 4 is out of range for a 4-qubit state")]
    fn swap_pairs_beyond_the_state_panic() {
        swap_qubit_pairs(&mut [Z0; 16], 4, &[(0, 4)], 1);
    }

    #[test]
    #[should_panic(expected = "state of 8 amplitudes passed as 64 qubits")]
    fn a_qubit_count_past_the_word_size_panics() {
        swap_qubits(&mut [Z0; 8], 64, 0, 1, 1);
    }

    #[test]
    #[should_panic(expected = "qubit 3 is out of range for a 3-qubit state")]
    fn dense_pass_beyond_the_state_panics() {
        let x = qv_circuit::StandardGate::X.matrix(&[]);
        apply_dense(&mut [Z0; 8], 3, &[3], &[], x.data(), 1);
    }

    #[test]
    #[should_panic(expected = "qubit 0 appears twice in one pass")]
    fn dense_pass_controlled_by_its_target_panics() {
        let x = qv_circuit::StandardGate::X.matrix(&[]);
        apply_dense(&mut [Z0; 8], 3, &[0], &[0], x.data(), 1);
    }

    #[test]
    #[should_panic(expected = "dense pass on 2 qubits needs a 4×4 matrix, got 4 entries")]
    fn dense_pass_with_a_short_matrix_panics() {
        let x = qv_circuit::StandardGate::X.matrix(&[]);
        apply_dense(&mut [Z0; 8], 3, &[0, 1], &[], x.data(), 1);
    }

    #[test]
    #[should_panic(expected = "dense pass on 7 qubits: the engine takes 1 to 6")]
    fn dense_pass_on_seven_qubits_panics() {
        let qubits: Vec<usize> = (0..7).collect();
        apply_dense(&mut vec![Z0; 128], 7, &qubits, &[], &[], 1);
    }

    #[test]
    #[should_panic(expected = "monomial source row 2 is out of range 0..2")]
    fn monomial_source_out_of_range_panics() {
        let one = C64::new(1.0, 0.0);
        apply_monomial(&mut [Z0; 4], 2, &[0], &[], &[2, 0], &[one, one], 1);
    }

    #[test]
    #[should_panic(expected = "monomial sources [0, 0] are not a permutation")]
    fn monomial_sources_that_repeat_panic() {
        let one = C64::new(1.0, 0.0);
        apply_monomial(&mut [Z0; 4], 2, &[1], &[], &[0, 0], &[one, one], 1);
    }

    #[test]
    #[should_panic(expected = "monomial pass on 1 qubits needs 2 sources and phases, got 2 and 1")]
    fn monomial_with_missing_phases_panics() {
        apply_monomial(&mut [Z0; 4], 2, &[1], &[], &[1, 0], &[C64::new(1.0, 0.0)], 1);
    }

    #[test]
    #[should_panic(expected = "qubit 9 is out of range for a 2-qubit state")]
    fn monomial_controlled_beyond_the_state_panics() {
        let one = C64::new(1.0, 0.0);
        apply_monomial(&mut [Z0; 4], 2, &[0], &[9], &[1, 0], &[one, one], 1);
    }

    #[test]
    #[should_panic(expected = "diagonal pass on 2 qubits needs 4 entries, got 2")]
    fn diagonal_with_a_short_table_panics() {
        let one = C64::new(1.0, 0.0);
        apply_diagonal(&mut [Z0; 8], 3, &[0, 2], &[one, one], 1);
    }

    #[test]
    #[should_panic(expected = "qubit 3 is out of range for a 3-qubit state")]
    fn diagonal_beyond_the_state_panics() {
        let one = C64::new(1.0, 0.0);
        apply_diagonal(&mut [Z0; 8], 3, &[3], &[one, one], 1);
    }

    /// `m` (on `qubits`, where every `controls` bit is 1) applied to `state`
    /// by the definition, one output amplitude at a time.
    fn naive(state: &[Z], qubits: &[usize], controls: &[usize], m: &[C64]) -> Vec<Z> {
        let mask: usize = qubits.iter().map(|q| 1 << q).sum();
        let cmask: usize = controls.iter().map(|q| 1 << q).sum();
        let dim = 1 << qubits.len();
        (0..state.len())
            .map(|i| {
                if i & cmask != cmask {
                    return state[i];
                }
                let row = extract_bits(i, qubits);
                (0..dim)
                    .map(|j| m[row * dim + j] * state[(i & !mask) | deposit_bits(j, qubits)])
                    .sum()
            })
            .collect()
    }

    fn random_state(rng: &mut impl Rng, len: usize) -> Vec<Z> {
        (0..len).map(|_| Z::new(rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0))).collect()
    }

    fn max_diff<F: Real>(a: &[Complex<F>], b: &[Z]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (Z::new(x.re.to_f64(), x.im.to_f64()) - y).norm())
            .fold(0.0, f64::max)
    }

    /// Dense (every width 1–6, hand-written f64 and generic f32 bodies),
    /// monomial and diagonal passes, and qubit swaps, each against the
    /// definition, under every ISA this CPU has.
    #[test]
    fn every_supported_isa_computes_each_pass_by_its_definition() {
        for isa in Isa::ALL {
            if !isa.is_supported() {
                println!("skipped {isa}: this CPU does not support it");
                continue;
            }
            simd::with_isa(isa, || each_pass_matches_its_definition(isa)).unwrap();
        }
    }

    fn each_pass_matches_its_definition(isa: Isa) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        // 15 qubits with 2 threads: the parallel split too.
        for (n, threads) in [(8, 1), (15, 2)] {
            let state = random_state(&mut rng, 1 << n);
            let narrow: Vec<Complex<f32>> =
                state.iter().map(|a| Complex::new(a.re as f32, a.im as f32)).collect();
            for k in 1..=6 {
                let mut all: Vec<usize> = (0..n).collect();
                for i in 0..n {
                    all.swap(i, rng.gen_range(i..n));
                }
                let mut qubits = all[..k].to_vec();
                qubits.sort_unstable();
                let controls = all[k..k + k % 2].to_vec();
                let dim = 1 << k;
                let m: Vec<C64> = (0..dim * dim)
                    .map(|_| C64::new(rng.gen_range(-0.3..0.3), rng.gen_range(-0.3..0.3)))
                    .collect();
                let want = naive(&state, &qubits, &controls, &m);
                let mut got = state.clone();
                apply_dense(&mut got, n, &qubits, &controls, &m, threads);
                let d = max_diff(&got, &want);
                assert!(d < 1e-12, "{isa} f64 dense k={k} n={n}: {d}");
                let mut got = narrow.clone();
                apply_dense(&mut got, n, &qubits, &controls, &m, threads);
                let d = max_diff(&got, &want);
                assert!(d < 1e-4, "{isa} f32 dense k={k} n={n}: {d}");

                // A monomial pass as its dense matrix.
                let mut source: Vec<usize> = (0..dim).collect();
                for i in 0..dim {
                    source.swap(i, rng.gen_range(i..dim));
                }
                let phases: Vec<C64> =
                    (0..dim).map(|_| C64::from_polar(1.0, rng.gen_range(0.0..6.3))).collect();
                let mut pm = vec![C64::new(0.0, 0.0); dim * dim];
                for r in 0..dim {
                    pm[r * dim + source[r]] = phases[r];
                }
                let want = naive(&state, &qubits, &controls, &pm);
                let mut got = state.clone();
                apply_monomial(&mut got, n, &qubits, &controls, &source, &phases, threads);
                let d = max_diff(&got, &want);
                assert!(d < 1e-12, "{isa} f64 monomial k={k} n={n}: {d}");
                let mut got = narrow.clone();
                apply_monomial(&mut got, n, &qubits, &controls, &source, &phases, threads);
                let d = max_diff(&got, &want);
                assert!(d < 1e-5, "{isa} f32 monomial k={k} n={n}: {d}");

                // A diagonal pass (no controls) as its dense matrix.
                let mut dm = vec![C64::new(0.0, 0.0); dim * dim];
                for r in 0..dim {
                    dm[r * dim + r] = phases[r];
                }
                let want = naive(&state, &qubits, &[], &dm);
                let mut got = state.clone();
                apply_diagonal(&mut got, n, &qubits, &phases, threads);
                let d = max_diff(&got, &want);
                assert!(d < 1e-12, "{isa} f64 diagonal k={k} n={n}: {d}");
                let mut got = narrow.clone();
                apply_diagonal(&mut got, n, &qubits, &phases, threads);
                let d = max_diff(&got, &want);
                assert!(d < 1e-5, "{isa} f32 diagonal k={k} n={n}: {d}");
            }
            // Swaps move amplitude i to i with the two bits exchanged.
            let (a, b) = (1, n - 2);
            let mut got = state.clone();
            swap_qubits(&mut got, n, a, b, threads);
            let sw = |i: usize, a: usize, b: usize| {
                let x = ((i >> a) ^ (i >> b)) & 1;
                i ^ (x << a) ^ (x << b)
            };
            assert!((0..1 << n).all(|i| got[sw(i, a, b)] == state[i]), "{isa} swap n={n}");
            let mut got = state.clone();
            swap_qubit_pairs(&mut got, n, &[(0, 3), (5, 2)], threads);
            assert!((0..1 << n).all(|i| got[sw(sw(i, 0, 3), 5, 2)] == state[i]), "{isa} pairs");
        }
    }
}
