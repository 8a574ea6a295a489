//! Pauli noise for the stabilizer backend, from the common [`NoiseModel`].
//!
//! A model's channels are placed on operations exactly as for the other
//! backends (`NoiseModel::errors_for`: gate and reset errors after the
//! operation, measure errors before it; local rules replace all-qubit ones;
//! a 1-qubit channel on a wider gate acts on each operand). Each channel must
//! be a Pauli channel — a mixture of Pauli strings, given as such or as Kraus
//! operators each proportional to a Pauli — and becomes a [`PauliChannel`];
//! anything else (amplitude damping, thermal relaxation, …) is refused with
//! [`SimError::UnsupportedNoise`]. Readout errors flip recorded bits.
//!
//! The frame sampler draws errors per shot lane by geometric skipping
//! ([`Rng::for_each_hit`]): a channel of total probability `p` costs
//! `O(p · shots)` work per operation, not `O(shots)`.

use std::collections::HashMap;
use std::sync::Arc;

use qv_circuit::Matrix;

use super::clifford::Action;
use super::frame::OpNoise;
use super::lower::{StabKind, StabProgram};
use crate::error::SimError;
use crate::noise::{Channel, NoiseModel, NoisyOperation};

/// Probabilities of the non-identity Paulis on one or two qubits.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PauliChannel {
    num_qubits: usize,
    /// `(x bits, z bits, probability)`, bit `j` = channel qubit `j`, `x∧z` = Y.
    terms: Vec<(u8, u8, f64)>,
    total: f64,
}

impl PauliChannel {
    /// The Pauli form of `channel`, if it is a mixture of Pauli strings on 1
    /// or 2 qubits.
    pub fn from_channel(channel: &Channel) -> Option<Self> {
        let k = channel.num_qubits();
        if !(1..=2).contains(&k) {
            return None;
        }
        let dim = (1usize << k) as f64;
        let mixture: Vec<(f64, Matrix)> = match channel.unitary_mixture() {
            Some(m) => m.to_vec(),
            None => channel
                .kraus_operators()
                .iter()
                .map(|op| {
                    // p = Tr(K†K) / 2^k, and K / √p must be a Pauli up to phase.
                    let p = op.data().iter().map(|c| c.norm_sqr()).sum::<f64>() / dim;
                    let u = if p > 0.0 { op.scale((1.0 / p.sqrt()).into()) } else { op.clone() };
                    (p, u)
                })
                .collect(),
        };
        let mut terms: Vec<(u8, u8, f64)> = Vec::new();
        for (p, u) in mixture {
            if p <= 0.0 {
                continue;
            }
            let (x, z) = Action::of(&u)?.as_pauli()?;
            if (x | z) == 0 {
                continue;
            }
            match terms.iter_mut().find(|t| (t.0, t.1) == (x, z)) {
                Some(t) => t.2 += p,
                None => terms.push((x, z, p)),
            }
        }
        let total = terms.iter().map(|t| t.2).sum::<f64>().min(1.0);
        Some(Self { num_qubits: k, terms, total })
    }

    /// Qubits the channel acts on (1 or 2).
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// Probability that some non-identity Pauli happens.
    pub fn total(&self) -> f64 {
        self.total
    }

    /// Picks a term for `u` uniform in `[0, total)`.
    pub fn pick(&self, u: f64) -> (u8, u8) {
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

/// A channel applied to concrete qubits (`qubits[1]` unused for one-qubit channels).
#[derive(Clone, Debug)]
pub(crate) struct NoiseEvent {
    /// Target qubits.
    pub qubits: [usize; 2],
    /// The channel.
    pub channel: Arc<PauliChannel>,
}

/// The noise of every operation of `program` under `model`.
pub(crate) fn resolve(program: &StabProgram, model: &NoiseModel) -> Result<Vec<OpNoise>, SimError> {
    let mut cache: HashMap<*const Channel, Arc<PauliChannel>> = HashMap::new();
    let mut events = |op: NoisyOperation, qubits: &[usize]| -> Result<Vec<NoiseEvent>, SimError> {
        let mut out = Vec::new();
        for attached in model.errors_for(op, qubits) {
            let channel = match cache.get(&Arc::as_ptr(&attached.channel)) {
                Some(c) => c.clone(),
                None => {
                    let c = PauliChannel::from_channel(&attached.channel)
                        .map(Arc::new)
                        .ok_or_else(|| not_pauli(op, qubits))?;
                    cache.insert(Arc::as_ptr(&attached.channel), c.clone());
                    c
                }
            };
            let on: Vec<usize> = attached.positions.iter().map(|&p| qubits[p]).collect();
            let qubits = [on[0], *on.get(1).unwrap_or(&on[0])];
            out.push(NoiseEvent { qubits, channel });
        }
        Ok(out)
    };
    program
        .ops
        .iter()
        .map(|op| {
            let mut nz = OpNoise::default();
            match &op.kind {
                StabKind::Gate { gate, qubits, .. } => {
                    nz.after = events(NoisyOperation::Gate(*gate), qubits)?
                }
                StabKind::Measure { qubit, .. } => {
                    nz.before = events(NoisyOperation::Measure, &[*qubit])?;
                    nz.readout = model.readout_error(*qubit).map(|r| {
                        let m = r.matrix();
                        (m[0][1], m[1][0])
                    });
                }
                StabKind::Reset { qubit } => nz.after = events(NoisyOperation::Reset, &[*qubit])?,
            }
            Ok(nz)
        })
        .collect()
}

fn not_pauli(op: NoisyOperation, qubits: &[usize]) -> SimError {
    SimError::UnsupportedNoise {
        reason: format!(
            "the channel on `{}` {qubits:?} is not a Pauli channel; the density_matrix and \
             trajectories backends simulate any channel",
            op.name()
        ),
    }
}

/// Lanes of the wide generator that fills frames.
const WIDE: usize = 8;

/// xoshiro256++: a small, fast generator for frame randomisation; each batch
/// of shots seeds its own from the run seed and the batch index, so results
/// do not depend on how batches are spread over threads. Bulk random words
/// ([`Rng::xor_fill`]) come from `WIDE` independent xoshiro256++ lanes
/// stepped together, which the compiler turns into vector instructions.
#[derive(Clone, Debug)]
pub(crate) struct Rng {
    s: [u64; 4],
    wide: [[u64; WIDE]; 4],
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
        let s = [next(), next(), next(), next()];
        let mut wide = [[0u64; WIDE]; 4];
        for word in &mut wide {
            word.iter_mut().for_each(|w| *w = next());
        }
        Self { s, wide }
    }

    /// XORs random bits into `dst` (its length a multiple of `WIDE`).
    #[inline]
    pub fn xor_fill(&mut self, dst: &mut [u64]) {
        let [s0, s1, s2, s3] = &mut self.wide;
        for chunk in dst.chunks_exact_mut(WIDE) {
            for l in 0..WIDE {
                chunk[l] ^= (s0[l].wrapping_add(s3[l])).rotate_left(23).wrapping_add(s0[l]);
                let t = s1[l] << 17;
                s2[l] ^= s0[l];
                s3[l] ^= s1[l];
                s1[l] ^= s2[l];
                s0[l] ^= s3[l];
                s2[l] ^= t;
                s3[l] = s3[l].rotate_left(45);
            }
        }
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
    use crate::noise::ReadoutError;
    use qv_circuit::Circuit;

    fn pauli(terms: &[(&str, f64)]) -> Channel {
        Channel::pauli(&terms.iter().map(|&(l, p)| (l.to_string(), p)).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn pauli_labels_put_qubit_zero_on_the_right() {
        let ch =
            PauliChannel::from_channel(&pauli(&[("XI", 0.1), ("IZ", 0.2), ("YY", 0.05)])).unwrap();
        assert_eq!(ch.terms, vec![(0b10, 0, 0.1), (0, 0b01, 0.2), (0b11, 0b11, 0.05)]);
        assert!((ch.total() - 0.35).abs() < 1e-15);
        assert_eq!(ch.pick(0.05), (0b10, 0));
        assert_eq!(ch.pick(0.25), (0, 0b01));
        assert_eq!(ch.pick(0.34), (0b11, 0b11));
    }

    #[test]
    fn depolarizing_and_pauli_kraus_channels_are_pauli() {
        // Aer's depolarizing(p) on 2 qubits: each of the 15 non-identity Paulis with p/16.
        let ch = PauliChannel::from_channel(&Channel::depolarizing(0.16, 2).unwrap()).unwrap();
        assert_eq!(ch.terms.len(), 15);
        assert!(ch.terms.iter().all(|&(x, z, p)| x < 4 && z < 4 && (p - 0.01).abs() < 1e-15));
        // Kraus operators √0.9·I and √0.1·Y.
        let y = crate::noise::pauli_matrix("Y").unwrap();
        let kraus = Channel::kraus(vec![
            Matrix::identity(2).scale(0.9f64.sqrt().into()),
            y.scale(0.1f64.sqrt().into()),
        ]);
        let ch = PauliChannel::from_channel(&kraus.unwrap()).unwrap();
        assert_eq!(ch.terms.len(), 1);
        assert_eq!((ch.terms[0].0, ch.terms[0].1), (1, 1));
        assert!((ch.terms[0].2 - 0.1).abs() < 1e-12);
        assert!(
            PauliChannel::from_channel(&Channel::amplitude_damping(0.1, 0.0).unwrap()).is_none()
        );
    }

    #[test]
    fn models_resolve_per_operation_or_explain_why_not() {
        let c = Circuit::with_clbits(2, 1).h(0).cx(0, 1).measure(1, 0);
        let program = StabProgram::lower(&c).unwrap();
        let mut model = NoiseModel::new();
        model.add_all_qubit_error(Channel::depolarizing(0.1, 1).unwrap(), &["cx"]).unwrap();
        model.add_error(pauli(&[("X", 0.2)]), &["measure"], &[1]).unwrap();
        model.set_all_qubit_readout_error(ReadoutError::new([[0.9, 0.1], [0.3, 0.7]]).unwrap());
        let nz = resolve(&program, &model).unwrap();
        assert!(nz[0].after.is_empty());
        assert_eq!(nz[1].after.iter().map(|e| e.qubits[0]).collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(nz[2].before.len(), 1);
        assert_eq!(nz[2].readout, Some((0.1, 0.3)));
        let mut model = NoiseModel::new();
        model.add_all_qubit_error(Channel::amplitude_damping(0.1, 0.0).unwrap(), &["h"]).unwrap();
        assert_eq!(
            resolve(&program, &model).unwrap_err().to_string(),
            "the stabilizer backend cannot use this noise model: the channel on `h` [0] is not a \
             Pauli channel; the density_matrix and trajectories backends simulate any channel"
        );
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
        // Bulk words are balanced and differ between streams.
        let mut words = [0u64; 1024];
        rng.xor_fill(&mut words);
        let ones: u32 = words.iter().map(|w| w.count_ones()).sum();
        assert!((f64::from(ones) - 32768.0).abs() < 6.0 * 128.0, "{ones}");
        let (mut a, mut b) = ([0u64; 16], [0u64; 16]);
        Rng::new(7, 1).xor_fill(&mut a);
        Rng::new(7, 2).xor_fill(&mut b);
        assert_ne!(a, b);
    }
}
