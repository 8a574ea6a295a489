//! Pauli noise for the stabilizer backend.
//!
//! A [`PauliNoise`] attaches [`PauliChannel`]s to gates by name (optionally
//! only on given qubits) and readout errors to measurements. Rules for exact
//! qubits take precedence over rules for all qubits of the same name, as in
//! Qiskit Aer's local and all-qubit errors; all rules of the winning kind
//! apply, in order. A one-qubit channel on a multi-qubit gate acts on each of
//! its qubits independently. Gate errors act after the gate; the names
//! `measure` and `reset` attach errors before a measurement and after a reset.
//!
//! The frame sampler draws errors per shot lane by geometric skipping
//! ([`Rng::for_each_hit`]): a channel of total probability `p` costs
//! `O(p · shots)` work per operation, not `O(shots)`.

use std::sync::Arc;

use crate::error::SimError;

/// Probabilities of the non-identity Paulis on one or two qubits.
#[derive(Clone, Debug, PartialEq)]
pub struct PauliChannel {
    num_qubits: usize,
    /// `(x bits, z bits, probability)`, bit `j` = channel qubit `j`, `x∧z` = Y.
    terms: Vec<(u8, u8, f64)>,
}

impl PauliChannel {
    /// A channel from `(label, probability)` pairs; labels are Pauli strings
    /// over `I X Y Z`, Qiskit order (the rightmost letter is qubit 0), all of
    /// the same length 1 or 2. Probabilities must be in `[0, 1]` and sum to at
    /// most 1; the identity takes the rest.
    pub fn from_labels(terms: &[(&str, f64)]) -> Result<Self, SimError> {
        let num_qubits = terms.first().map_or(1, |(l, _)| l.len());
        if !(1..=2).contains(&num_qubits) {
            return Err(noise_err(format!("Pauli channel labels must have 1 or 2 letters, got {num_qubits}")));
        }
        let mut out = Vec::with_capacity(terms.len());
        for &(label, p) in terms {
            if label.len() != num_qubits {
                return Err(noise_err(format!(
                    "Pauli label `{label}` has {} letters, but the channel acts on {num_qubits} qubits",
                    label.len()
                )));
            }
            let (mut x, mut z) = (0u8, 0u8);
            for (j, c) in label.chars().rev().enumerate() {
                let (bx, bz) = match c {
                    'I' => (0, 0),
                    'X' => (1, 0),
                    'Y' => (1, 1),
                    'Z' => (0, 1),
                    _ => return Err(noise_err(format!("`{c}` in Pauli label `{label}` is not one of I, X, Y, Z"))),
                };
                x |= bx << j;
                z |= bz << j;
            }
            out.push((x, z, p));
        }
        Self::new(num_qubits, out)
    }

    /// Symmetric depolarizing noise in Stim's convention: each of the
    /// `4^k - 1` non-identity Paulis with probability `p / (4^k - 1)`.
    pub fn depolarizing(num_qubits: usize, p: f64) -> Result<Self, SimError> {
        if !(1..=2).contains(&num_qubits) {
            return Err(noise_err(format!("depolarizing noise on {num_qubits} qubits is not supported (1 or 2)")));
        }
        let count = (1usize << (2 * num_qubits)) - 1;
        let terms = (1..=count)
            .map(|i| (compact(i & 0b0101), compact((i >> 1) & 0b0101), p / count as f64))
            .collect();
        Self::new(num_qubits, terms)
    }

    fn new(num_qubits: usize, terms: Vec<(u8, u8, f64)>) -> Result<Self, SimError> {
        let mut total = 0.0;
        for &(_, _, p) in &terms {
            if !(0.0..=1.0).contains(&p) {
                return Err(noise_err(format!("Pauli probability {p} is not in [0, 1]")));
            }
            total += p;
        }
        if total > 1.0 + 1e-12 {
            return Err(noise_err(format!("Pauli probabilities sum to {total}, more than 1")));
        }
        let terms = terms.into_iter().filter(|&(x, z, p)| p > 0.0 && (x | z) != 0).collect();
        Ok(Self { num_qubits, terms })
    }

    /// Qubits the channel acts on (1 or 2).
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// Probability that some non-identity Pauli happens.
    pub fn total(&self) -> f64 {
        self.terms.iter().map(|t| t.2).sum::<f64>().min(1.0)
    }

    /// Picks a term for `u` uniform in `[0, total)`.
    pub(crate) fn pick(&self, u: f64) -> (u8, u8) {
        let mut acc = 0.0;
        for &(x, z, p) in &self.terms {
            acc += p;
            if u < acc {
                return (x, z);
            }
        }
        self.terms.last().map_or((0, 0), |&(x, z, _)| (x, z))
    }
}

/// Bits 0 and 2 of `v` to bits 0 and 1 (depolarizing enumeration helper).
fn compact(v: usize) -> u8 {
    ((v & 1) | ((v >> 1) & 2)) as u8
}

fn noise_err(reason: String) -> SimError {
    SimError::UnsupportedNoise { reason }
}

/// A channel attached to gates of one name.
#[derive(Clone, Debug, PartialEq)]
pub struct GateNoise {
    /// Gate name as in the table (`cx`, `h`, …), or `measure` / `reset`.
    pub gate: String,
    /// Only for these qubits, in gate order; `None` for every call.
    pub qubits: Option<Vec<usize>>,
    /// The channel.
    pub channel: PauliChannel,
}

/// Classical readout error of a measurement.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadoutNoise {
    /// Only for this qubit; `None` for every qubit.
    pub qubit: Option<usize>,
    /// Probability of reading 1 when the outcome was 0.
    pub p1_given0: f64,
    /// Probability of reading 0 when the outcome was 1.
    pub p0_given1: f64,
}

/// Pauli noise for the stabilizer backend (see the module docs).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PauliNoise {
    /// Errors attached to gates, measurements and resets.
    pub gates: Vec<GateNoise>,
    /// Readout errors; a rule for the qubit wins over a rule for all qubits.
    pub readout: Vec<ReadoutNoise>,
}

/// A channel applied to concrete qubits (`qubits[1]` unused for one-qubit channels).
#[derive(Clone, Debug)]
pub(crate) struct NoiseEvent {
    /// Target qubits.
    pub qubits: [usize; 2],
    /// The channel.
    pub channel: Arc<PauliChannel>,
}

impl PauliNoise {
    /// The channels for `name` on `qubits`, expanded to events.
    pub(crate) fn events(&self, name: &str, qubits: &[usize]) -> Result<Vec<NoiseEvent>, SimError> {
        let named = || self.gates.iter().filter(|g| g.gate == name);
        let local: Vec<&GateNoise> = named().filter(|g| g.qubits.as_deref() == Some(qubits)).collect();
        let rules = if local.is_empty() {
            named().filter(|g| g.qubits.is_none()).collect()
        } else {
            local
        };
        let mut out = Vec::new();
        for rule in rules {
            let ch = Arc::new(rule.channel.clone());
            match (ch.num_qubits(), qubits.len()) {
                (1, _) => out.extend(qubits.iter().map(|&q| NoiseEvent { qubits: [q, q], channel: ch.clone() })),
                (2, 2) => out.push(NoiseEvent { qubits: [qubits[0], qubits[1]], channel: ch.clone() }),
                (k, n) => {
                    return Err(noise_err(format!(
                        "a {k}-qubit Pauli channel is attached to `{name}`, which acts on {n} qubit(s)"
                    )))
                }
            }
        }
        Ok(out)
    }

    /// `(p(1|0), p(0|1))` for a measurement of `qubit`, if any.
    pub(crate) fn readout_for(&self, qubit: usize) -> Result<Option<(f64, f64)>, SimError> {
        let rule = self
            .readout
            .iter()
            .find(|r| r.qubit == Some(qubit))
            .or_else(|| self.readout.iter().find(|r| r.qubit.is_none()));
        let Some(r) = rule else { return Ok(None) };
        for p in [r.p1_given0, r.p0_given1] {
            if !(0.0..=1.0).contains(&p) {
                return Err(noise_err(format!("readout error probability {p} is not in [0, 1]")));
            }
        }
        Ok((r.p1_given0 > 0.0 || r.p0_given1 > 0.0).then_some((r.p1_given0, r.p0_given1)))
    }
}

/// xoshiro256++: a small, fast generator for frame randomisation; each batch
/// of shots seeds its own from the run seed and the batch index, so results
/// do not depend on how batches are spread over threads.
#[derive(Clone, Debug)]
pub(crate) struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// The generator for `stream` of the run seeded with `seed` (SplitMix64 expansion).
    pub fn new(seed: u64, stream: u64) -> Self {
        let mut sm = seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
        let mut next = || {
            sm = sm.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = sm;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Self { s: [next(), next(), next(), next()] }
    }

    /// 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = (s[0].wrapping_add(s[3])).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)`.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Calls `hit(i)` for each `i < lanes` independently with probability `p`,
    /// in increasing order, skipping geometrically distributed gaps.
    pub fn for_each_hit(&mut self, p: f64, lanes: usize, mut hit: impl FnMut(usize)) {
        if p <= 0.0 {
            return;
        }
        if p >= 1.0 {
            (0..lanes).for_each(hit);
            return;
        }
        let log_q = (-p).ln_1p();
        let mut i = 0usize;
        loop {
            // P(gap ≥ g) = (1-p)^g for u uniform in (0, 1].
            let u = 1.0 - self.uniform();
            let gap = (u.ln() / log_q).floor();
            if gap >= (lanes - i) as f64 {
                return;
            }
            i += gap as usize;
            hit(i);
            i += 1;
            if i >= lanes {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_put_qubit_zero_on_the_right() {
        let ch = PauliChannel::from_labels(&[("XI", 0.1), ("IZ", 0.2), ("YY", 0.05)]).unwrap();
        assert_eq!(ch.terms, vec![(0b10, 0, 0.1), (0, 0b01, 0.2), (0b11, 0b11, 0.05)]);
        assert!((ch.total() - 0.35).abs() < 1e-15);
        assert_eq!(ch.pick(0.05), (0b10, 0));
        assert_eq!(ch.pick(0.25), (0, 0b01));
        assert_eq!(ch.pick(0.34), (0b11, 0b11));
    }

    #[test]
    fn depolarizing_covers_every_non_identity_pauli_once() {
        let ch = PauliChannel::depolarizing(2, 0.15).unwrap();
        let mut seen: Vec<(u8, u8)> = ch.terms.iter().map(|&(x, z, _)| (x, z)).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 15);
        assert!(ch.terms.iter().all(|&(x, z, p)| x < 4 && z < 4 && (p - 0.01).abs() < 1e-15));
        assert_eq!(PauliChannel::depolarizing(1, 0.3).unwrap().terms.len(), 3);
    }

    #[test]
    fn bad_channels_are_rejected_with_reasons() {
        let e = PauliChannel::from_labels(&[("X", 0.7), ("Z", 0.6)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the stabilizer backend cannot use this noise model: Pauli probabilities sum to 1.2999999999999998, more than 1"
        );
        assert!(PauliChannel::from_labels(&[("XA", 0.1)]).unwrap_err().to_string().contains("`A`"));
        let noise = PauliNoise {
            gates: vec![GateNoise {
                gate: "h".into(),
                qubits: None,
                channel: PauliChannel::depolarizing(2, 0.1).unwrap(),
            }],
            readout: vec![],
        };
        assert!(noise.events("h", &[0]).unwrap_err().to_string().contains("2-qubit Pauli channel"));
    }

    #[test]
    fn local_rules_win_over_global_ones() {
        let one = |qubits: Option<Vec<usize>>, p| GateNoise {
            gate: "cx".into(),
            qubits,
            channel: PauliChannel::depolarizing(1, p).unwrap(),
        };
        let noise = PauliNoise { gates: vec![one(None, 0.1), one(Some(vec![1, 0]), 0.2)], readout: vec![] };
        let ev = noise.events("cx", &[1, 0]).unwrap();
        assert_eq!(ev.len(), 2);
        assert!(ev.iter().all(|e| (e.channel.total() - 0.2).abs() < 1e-15));
        let ev = noise.events("cx", &[0, 1]).unwrap();
        assert!(ev.iter().all(|e| (e.channel.total() - 0.1).abs() < 1e-15));
        assert!(noise.events("h", &[0]).unwrap().is_empty());
    }

    #[test]
    fn hits_have_the_requested_rate() {
        let mut rng = Rng::new(7, 0);
        for p in [0.001, 0.1, 0.5, 0.9] {
            let lanes = 200_000;
            let mut count = 0usize;
            let mut last = None;
            rng.for_each_hit(p, lanes, |i| {
                assert!(last.is_none_or(|l| i > l) && i < lanes);
                last = Some(i);
                count += 1;
            });
            let sd = (lanes as f64 * p * (1.0 - p)).sqrt();
            assert!((count as f64 - lanes as f64 * p).abs() < 5.0 * sd, "p={p}: {count}");
        }
        let mut all = 0;
        rng.for_each_hit(1.0, 10, |_| all += 1);
        assert_eq!(all, 10);
    }
}
