//! Bit-packed tables: rows of `u64` words, bit `j` of a row at word `j / 64`,
//! bit `j % 64` (least significant first).
//!
//! [`BitTable`] is a square table padded to a multiple of 64 so that it can be
//! transposed in place by 64×64 blocks ([`transpose64`]); the tableau keeps
//! its four Pauli-bit tables in it. Row operations (XOR of rows, swaps) are
//! plain loops over words, which the compiler vectorises.

/// Words needed for `bits` bits.
pub(crate) fn words_for(bits: usize) -> usize {
    bits.div_ceil(64)
}

/// Bit `j` of a packed row.
#[inline]
pub(crate) fn get_bit(row: &[u64], j: usize) -> bool {
    (row[j / 64] >> (j % 64)) & 1 == 1
}

/// Flips bit `j` of a packed row.
#[inline]
pub(crate) fn flip_bit(row: &mut [u64], j: usize) {
    row[j / 64] ^= 1 << (j % 64);
}

/// Sets bit `j` of a packed row to `v`.
#[cfg(test)]
pub(crate) fn set_bit(row: &mut [u64], j: usize, v: bool) {
    let m = 1u64 << (j % 64);
    if v {
        row[j / 64] |= m;
    } else {
        row[j / 64] &= !m;
    }
}

/// Transposes a 64×64 bit block in place: bit `c` of `a[r]` ends up as bit
/// `r` of `a[c]` (recursive block swaps: 6 rounds of 32 word operations,
/// each round a fixed-stride loop the compiler can vectorise).
#[inline]
pub(crate) fn transpose64(a: &mut [u64; 64]) {
    round::<32>(a, 0x0000_0000_FFFF_FFFF);
    round::<16>(a, 0x0000_FFFF_0000_FFFF);
    round::<8>(a, 0x00FF_00FF_00FF_00FF);
    round::<4>(a, 0x0F0F_0F0F_0F0F_0F0F);
    round::<2>(a, 0x3333_3333_3333_3333);
    round::<1>(a, 0x5555_5555_5555_5555);
}

/// Swaps the high `J`-bit halves of `a[k]` with the low halves of `a[k + J]`
/// for every `k` whose bit `J` is clear.
#[inline(always)]
fn round<const J: usize>(a: &mut [u64; 64], m: u64) {
    for base in (0..64).step_by(2 * J) {
        for k in base..base + J {
            let t = ((a[k] >> J) ^ a[k + J]) & m;
            a[k] ^= t << J;
            a[k + J] ^= t;
        }
    }
}

/// A square bit table of `words * 64` rows of `words` words each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BitTable {
    words: usize,
    data: Vec<u64>,
}

impl BitTable {
    /// An all-zero table holding at least `n` × `n` bits.
    pub fn zeros(n: usize) -> Self {
        let words = words_for(n).max(1);
        Self { words, data: vec![0; words * words * 64] }
    }

    /// The identity table (bit `i` of row `i` set for `i < n`).
    pub fn identity(n: usize) -> Self {
        let mut t = Self::zeros(n);
        for i in 0..n {
            flip_bit(t.row_mut(i), i);
        }
        t
    }

    /// Words per row.
    pub fn words(&self) -> usize {
        self.words
    }

    /// Row `i`.
    #[inline]
    pub fn row(&self, i: usize) -> &[u64] {
        &self.data[i * self.words..(i + 1) * self.words]
    }

    /// Row `i`, mutable.
    #[inline]
    pub fn row_mut(&mut self, i: usize) -> &mut [u64] {
        &mut self.data[i * self.words..(i + 1) * self.words]
    }

    /// Two distinct rows, both mutable.
    #[inline]
    pub fn two_rows_mut(&mut self, a: usize, b: usize) -> (&mut [u64], &mut [u64]) {
        debug_assert_ne!(a, b);
        let w = self.words;
        if a < b {
            let (lo, hi) = self.data.split_at_mut(b * w);
            (&mut lo[a * w..(a + 1) * w], &mut hi[..w])
        } else {
            let (lo, hi) = self.data.split_at_mut(a * w);
            let (rb, ra) = (&mut lo[b * w..(b + 1) * w], &mut hi[..w]);
            (ra, rb)
        }
    }

    /// Transposes the whole (padded) table in place.
    pub fn transpose(&mut self) {
        let w = self.words;
        let mut block = [0u64; 64];
        let mut other = [0u64; 64];
        for bi in 0..w {
            for bj in bi..w {
                for r in 0..64 {
                    block[r] = self.data[(bi * 64 + r) * w + bj];
                }
                transpose64(&mut block);
                if bi == bj {
                    for r in 0..64 {
                        self.data[(bi * 64 + r) * w + bj] = block[r];
                    }
                    continue;
                }
                for r in 0..64 {
                    other[r] = self.data[(bj * 64 + r) * w + bi];
                }
                transpose64(&mut other);
                for r in 0..64 {
                    self.data[(bj * 64 + r) * w + bi] = block[r];
                    self.data[(bi * 64 + r) * w + bj] = other[r];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn block_transpose_moves_every_bit() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut a = [0u64; 64];
        a.iter_mut().for_each(|w| *w = rng.gen());
        let orig = a;
        transpose64(&mut a);
        for r in 0..64 {
            for c in 0..64 {
                assert_eq!((a[c] >> r) & 1, (orig[r] >> c) & 1, "bit ({r},{c})");
            }
        }
    }

    #[test]
    fn table_transpose_matches_definition() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let n = 150;
        let mut t = BitTable::zeros(n);
        assert_eq!(t.words(), 3);
        for i in 0..n {
            for j in 0..n {
                set_bit(t.row_mut(i), j, rng.gen());
            }
        }
        let orig = t.clone();
        t.transpose();
        for i in 0..n {
            for j in 0..n {
                assert_eq!(get_bit(t.row(j), i), get_bit(orig.row(i), j));
            }
        }
        t.transpose();
        assert_eq!(t, orig);
    }

    #[test]
    fn two_rows_are_split_in_either_order() {
        let mut t = BitTable::identity(70);
        let (a, b) = t.two_rows_mut(69, 3);
        a.swap_with_slice(b);
        assert!(get_bit(t.row(3), 69) && get_bit(t.row(69), 3));
        let (a, b) = t.two_rows_mut(3, 69);
        assert!(get_bit(a, 69) && get_bit(b, 3));
    }
}
