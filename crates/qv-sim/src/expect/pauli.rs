//! Pauli strings applied to states in place.
//!
//! `P|x⟩ = i^{#Y} (−1)^{popcount(x ∧ m_z)} |x ⊕ m_x⟩`, where `m_x` holds the
//! qubits with X or Y and `m_z` those with Z or Y. An expectation value is
//! then one pass over the amplitudes (or the density matrix's rows) pairing
//! each index with its flipped partner, without copying the state.

use num_complex::Complex;
use qv_circuit::C64;
use rayon::prelude::*;

use crate::fast::Real;
use crate::observable::{Pauli, PauliTerm};

/// `Tr(ρP) = Σ_c i^{#Y} (−1)^{|c ∧ z|} ρ[c][c ⊕ x]` for row-major `ρ` of size `dim`.
pub(super) fn density_pauli(rho: &[C64], dim: usize, term: &PauliTerm) -> f64 {
    let (x, z, ny) = masks(term, None);
    let entry = |c: usize| {
        let v = rho[c * dim + (c ^ x)];
        if (c & z).count_ones() & 1 == 1 {
            -v
        } else {
            v
        }
    };
    let sum: C64 = if dim <= 1 << 12 {
        (0..dim).map(entry).sum()
    } else {
        (0..dim).into_par_iter().map(entry).sum()
    };
    real_part_times_i_pow(sum, ny)
}

/// Flip mask, phase mask and number of Ys of a Pauli string, with qubit `q`
/// at bit `layout[q]` (identity layout when `None`).
fn masks(term: &PauliTerm, layout: Option<&[usize]>) -> (usize, usize, u32) {
    let (mut xm, mut zm, mut ny) = (0usize, 0usize, 0u32);
    for &(q, p) in &term.paulis {
        let bit = 1usize << layout.map_or(q, |l| l[q]);
        match p {
            Pauli::X => xm |= bit,
            Pauli::Z => zm |= bit,
            Pauli::Y => {
                xm |= bit;
                zm |= bit;
                ny += 1;
            }
        }
    }
    (xm, zm, ny)
}

/// `Re(i^ny · sum)`.
fn real_part_times_i_pow(sum: C64, ny: u32) -> f64 {
    match ny % 4 {
        0 => sum.re,
        1 => -sum.im,
        2 => -sum.re,
        _ => sum.im,
    }
}

/// `⟨ψ|P|ψ⟩` for a Pauli string, with `layout[logical] = physical` bit positions.
///
/// `P|x⟩ = i^{#Y} (−1)^{popcount(x & z)} |x ⊕ x_mask⟩`, so the value is
/// `Re(i^{#Y} Σₓ conj(ψ[x ⊕ x_mask]) ψ[x] (−1)^{popcount(x & z)})`.
pub(super) fn pauli_expectation<F: Real>(
    amps: &[Complex<F>],
    layout: &[usize],
    term: &PauliTerm,
) -> f64 {
    const CHUNK: usize = 1 << 12;
    let (xm, zm, ny) = masks(term, Some(layout));
    let wide = |a: Complex<F>| C64::new(a.re.to_f64(), a.im.to_f64());
    let chunk_sum = |(c, chunk): (usize, &[Complex<F>])| {
        let base = c * CHUNK;
        let mut acc = C64::new(0.0, 0.0);
        for (j, &a) in chunk.iter().enumerate() {
            let i = base + j;
            let prod = wide(amps[i ^ xm]).conj() * wide(a);
            if (i & zm).count_ones() & 1 == 1 {
                acc -= prod;
            } else {
                acc += prod;
            }
        }
        acc
    };
    // Small states stay on this thread: waking the pool costs more than the sum.
    let sum: C64 = if amps.len() <= 4 * CHUNK {
        amps.chunks(CHUNK).enumerate().map(chunk_sum).sum()
    } else {
        amps.par_chunks(CHUNK).enumerate().map(chunk_sum).sum()
    };
    real_part_times_i_pow(sum, ny)
}
