//! Drawing outcomes from a discrete probability vector.
//!
//! [`Sampler`] turns the vector into cumulative sums in place (one pass) and
//! draws each shot by binary search, so `s` shots over `N` outcomes cost
//! `O(N + s·log N)`. Weights need not sum exactly to 1: draws are scaled by
//! the total, which absorbs rounding in the state's norm. An outcome of zero
//! weight is never drawn.

use rand::Rng;

/// Samples indices of a probability vector.
#[derive(Debug)]
pub(crate) struct Sampler {
    cumulative: Vec<f64>,
    last_nonzero: usize,
}

impl Sampler {
    /// Builds the sampler, reusing `weights`' storage. Weights must be
    /// non-negative; an all-zero vector always yields index 0.
    pub fn new(mut weights: Vec<f64>) -> Self {
        let mut total = 0.0;
        let mut last_nonzero = 0;
        for (i, w) in weights.iter_mut().enumerate() {
            if *w > 0.0 {
                last_nonzero = i;
            }
            total += *w;
            *w = total;
        }
        Self { cumulative: weights, last_nonzero }
    }

    /// Draws one index.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> usize {
        pick(&self.cumulative, self.last_nonzero, rng.gen::<f64>())
    }
}

/// The index `i` with `c[i-1] <= r·total < c[i]`; rounding that lands on or
/// past the total falls back to the last outcome of nonzero weight.
fn pick(cumulative: &[f64], last_nonzero: usize, r: f64) -> usize {
    let total = cumulative.last().copied().unwrap_or(0.0);
    let u = r * total;
    let i = cumulative.partition_point(|&c| c <= u);
    i.min(last_nonzero)
}

/// Draws one index from `weights` with the uniform `r ∈ [0, 1)` by a linear
/// scan: for a single draw, cheaper than building a [`Sampler`].
pub(crate) fn sample_once(weights: &[f64], r: f64) -> usize {
    let total: f64 = weights.iter().sum();
    let u = r * total;
    let mut acc = 0.0;
    let mut last_nonzero = 0;
    for (i, &w) in weights.iter().enumerate() {
        if w > 0.0 {
            acc += w;
            if u < acc {
                return i;
            }
            last_nonzero = i;
        }
    }
    last_nonzero
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn pick_selects_the_interval_containing_the_draw() {
        let s = Sampler::new(vec![0.25, 0.0, 0.5, 0.25, 0.0]);
        assert_eq!(pick(&s.cumulative, s.last_nonzero, 0.0), 0);
        assert_eq!(pick(&s.cumulative, s.last_nonzero, 0.2499), 0);
        assert_eq!(pick(&s.cumulative, s.last_nonzero, 0.25), 2);
        assert_eq!(pick(&s.cumulative, s.last_nonzero, 0.75), 3);
        // A draw at the very top never selects the trailing zero-weight outcome.
        assert_eq!(pick(&s.cumulative, s.last_nonzero, 1.0), 3);
    }

    #[test]
    fn sample_once_agrees_with_sampler() {
        let w = [0.1, 0.0, 0.6, 0.3, 0.0];
        let s = Sampler::new(w.to_vec());
        for k in 0..100 {
            let r = k as f64 / 100.0;
            assert_eq!(sample_once(&w, r), pick(&s.cumulative, s.last_nonzero, r), "r = {r}");
        }
        assert_eq!(sample_once(&w, 0.999_999_999_999), 3);
    }

    #[test]
    fn frequencies_match_weights() {
        let s = Sampler::new(vec![0.5, 0.125, 0.375]);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut counts = [0u32; 3];
        let n = 80_000;
        for _ in 0..n {
            counts[s.sample(&mut rng)] += 1;
        }
        // Binomial standard deviation is at most √(n/4) ≈ 141; allow 5σ.
        for (c, p) in counts.iter().zip([0.5, 0.125, 0.375]) {
            assert!((*c as f64 - p * n as f64).abs() < 710.0, "{counts:?}");
        }
    }
}
