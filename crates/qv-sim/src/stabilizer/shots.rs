//! Shot results: packed bits, counts keys, per-shot memory.
//!
//! Samplers produce each shot's classical bits packed shot-major (bit `c` of
//! a shot at word `c / 64`). [`ShotBits`] returns them as they are, like
//! Stim's bit-packed samples; [`Tally`] turns batches of them into counts
//! keyed by [`qv_circuit::Circuit::format_clbits`] strings, formatting each distinct
//! outcome once.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicBool;

use qv_circuit::Register;
use rayon::prelude::*;

use super::bits::get_bit;
use crate::error::SimError;
use crate::run::is_cancelled;

/// Sampled classical bits of many shots, packed shot-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShotBits {
    shots: usize,
    num_clbits: usize,
    words_per_shot: usize,
    data: Vec<u64>,
}

impl ShotBits {
    /// Wraps shot-major rows of `num_clbits.div_ceil(64)` words each.
    pub(crate) fn new(shots: usize, num_clbits: usize, data: Vec<u64>) -> Self {
        let words_per_shot = num_clbits.div_ceil(64);
        debug_assert_eq!(data.len(), shots * words_per_shot);
        Self { shots, num_clbits, words_per_shot, data }
    }

    /// Number of shots.
    pub fn shots(&self) -> usize {
        self.shots
    }

    /// Classical bits per shot.
    pub fn num_clbits(&self) -> usize {
        self.num_clbits
    }

    /// Words per shot (`num_clbits` rounded up to 64 bits).
    pub fn words_per_shot(&self) -> usize {
        self.words_per_shot
    }

    /// Shot `s`'s bits, bit `c` = classical bit `c`.
    pub fn shot(&self, s: usize) -> &[u64] {
        &self.data[s * self.words_per_shot..(s + 1) * self.words_per_shot]
    }

    /// Classical bit `c` of shot `s`.
    pub fn bit(&self, s: usize, c: usize) -> bool {
        get_bit(self.shot(s), c)
    }

    /// All rows, shot-major.
    pub fn as_words(&self) -> &[u64] {
        &self.data
    }
}

/// Maps packed bits to counts keys: for each output character, the clbit it
/// shows (`None` for the space between registers).
#[derive(Clone, Debug)]
pub(crate) struct KeyFormat {
    layout: Vec<Option<usize>>,
}

impl KeyFormat {
    /// The layout of [`qv_circuit::Circuit::format_clbits`] for a circuit's classical registers.
    pub fn new(regs: &[Register]) -> Self {
        let mut layout = Vec::with_capacity(regs.iter().map(|r| r.size + 1).sum());
        for (i, reg) in regs.iter().enumerate().rev() {
            if i + 1 != regs.len() {
                layout.push(None);
            }
            layout.extend(reg.bits().rev().map(Some));
        }
        Self { layout }
    }

    /// Characters per key.
    pub fn width(&self) -> usize {
        self.layout.len()
    }

    /// The key of one shot's packed bits.
    pub fn format(&self, row: &[u64]) -> String {
        let bytes: Vec<u8> = self
            .layout
            .iter()
            .map(|slot| match slot {
                Some(c) if get_bit(row, *c) => b'1',
                Some(_) => b'0',
                None => b' ',
            })
            .collect();
        // Only ASCII was written.
        String::from_utf8(bytes).unwrap_or_default()
    }
}

/// Counts (by packed outcome) and memory of some shots.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Shots per distinct packed outcome.
    pub counts: HashMap<Box<[u64]>, u64>,
    /// Each shot's key, in order, when memory was requested.
    pub memory: Option<Vec<String>>,
}

impl Tally {
    /// Tallies `shots` rows of `words` words from `rows`.
    pub fn of_rows(rows: &[u64], words: usize, shots: usize, memory: Option<&KeyFormat>) -> Self {
        let mut t =
            Tally { counts: HashMap::new(), memory: memory.map(|_| Vec::with_capacity(shots)) };
        for s in 0..shots {
            let row = &rows[s * words..(s + 1) * words];
            match t.counts.get_mut(row) {
                Some(c) => *c += 1,
                None => {
                    t.counts.insert(row.into(), 1);
                }
            }
            if let (Some(m), Some(f)) = (t.memory.as_mut(), memory) {
                m.push(f.format(row));
            }
        }
        t
    }

    /// Adds `other`'s shots after this tally's.
    pub fn merge(mut self, other: Tally) -> Self {
        for (k, v) in other.counts {
            *self.counts.entry(k).or_insert(0) += v;
        }
        if let (Some(a), Some(b)) = (self.memory.as_mut(), other.memory) {
            a.extend(b);
        }
        self
    }

    /// The counts keyed by formatted outcome (formatted in parallel: with
    /// many distinct outcomes of many bits, this is most of a run's time).
    /// Stops with [`SimError::Cancelled`] once `cancel` is set (one relaxed
    /// load per key, small next to formatting it).
    pub fn keyed_counts(
        &self,
        format: &KeyFormat,
        cancel: Option<&AtomicBool>,
    ) -> Result<BTreeMap<String, u64>, SimError> {
        let entries: Vec<(&Box<[u64]>, &u64)> = self.counts.iter().collect();
        let keyed: Option<Vec<(String, u64)>> = entries
            .par_iter()
            .map(|&(k, &v)| (!is_cancelled(cancel)).then(|| (format.format(k), v)))
            .collect();
        keyed.map(|k| k.into_iter().collect()).ok_or(SimError::Cancelled)
    }

    /// [`Tally::keyed_counts`] on the calling thread.
    pub fn keyed_counts_sequential(
        &self,
        format: &KeyFormat,
        cancel: Option<&AtomicBool>,
    ) -> Result<BTreeMap<String, u64>, SimError> {
        self.counts
            .iter()
            .map(|(k, &v)| {
                if is_cancelled(cancel) {
                    return Err(SimError::Cancelled);
                }
                Ok((format.format(k), v))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qv_circuit::Circuit;

    #[test]
    fn keys_match_the_circuit_formatter() {
        let mut c = Circuit::new(1);
        c.add_creg("a", 2).unwrap();
        c.add_creg("b", 3).unwrap();
        let f = KeyFormat::new(c.cregs());
        assert_eq!(f.width(), 6);
        // a = [1, 0], b = [0, 1, 1]
        let bools = [true, false, false, true, true];
        let row = [0b11001u64];
        assert_eq!(f.format(&row), c.format_clbits(&bools));
        assert_eq!(f.format(&row), "110 01");
    }

    #[test]
    fn tally_counts_and_keeps_order() {
        let c = Circuit::with_clbits(1, 2);
        let f = KeyFormat::new(c.cregs());
        let t = Tally::of_rows(&[1, 2, 1], 1, 3, Some(&f));
        let t = t.merge(Tally::of_rows(&[3], 1, 1, Some(&f)));
        assert_eq!(t.memory.as_deref(), Some(&["01", "10", "01", "11"].map(String::from)[..]));
        let counts = t.keyed_counts(&f, None).unwrap();
        assert_eq!(counts, BTreeMap::from([("01".into(), 2), ("10".into(), 1), ("11".into(), 1)]));
        assert_eq!(t.keyed_counts_sequential(&f, None).unwrap(), counts);
    }

    #[test]
    fn counts_building_stops_when_cancelled() {
        let c = Circuit::with_clbits(1, 2);
        let f = KeyFormat::new(c.cregs());
        let t = Tally::of_rows(&[1, 2, 3], 1, 3, None);
        let set = AtomicBool::new(true);
        assert_eq!(t.keyed_counts(&f, Some(&set)), Err(SimError::Cancelled));
        assert_eq!(t.keyed_counts_sequential(&f, Some(&set)), Err(SimError::Cancelled));
    }
}
