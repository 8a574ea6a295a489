//! The Pauli-frame sampler: many shots for little more than the cost of one.
//!
//! A shot's state is the reference state (one tableau simulation, random
//! outcomes fixed to 0) times a Pauli *frame*. Cliffords move frames
//! deterministically, so all shots of a batch run together: each qubit keeps
//! one bit per shot for the frame's X part and one for its Z part, packed in
//! `u64` words (`BATCH_WORDS` words, `BATCH_SHOTS` shots per batch), and a
//! gate is a handful of word operations per 64 shots. A measurement reads the
//! reference outcome XOR the frame's X bit; measurements and resets then
//! multiply in a random Z (which stabilises the collapsed qubit) so later
//! anticommuting measurements come out uniformly random. Pauli noise XORs
//! random Paulis into the frames; a classically conditioned Pauli is XORed in
//! the lanes where its condition differs from the reference run's.
//!
//! Signs do not matter for frames, so each gate reduces to a linear map on
//! its qubits' `(x, z)` bits; consecutive one-qubit gates are fused into one
//! of the six such maps, and Pauli gates vanish.
//!
//! The word loops are compiled per ISA; the caller passes the one
//! [`crate::simd::active`] chose. A batch looks at the run's cancel flag
//! every few thousand ops.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::bits::transpose64;
use super::clifford::Action;
use super::lower::{Condition, StabKind, StabProgram};
use super::noise::{NoiseEvent, PauliChannel, Rng};
use crate::run::is_cancelled;
use crate::simd::Isa;

/// Words per qubit per batch.
pub(crate) const BATCH_WORDS: usize = 16;
/// Shots per batch.
pub(crate) const BATCH_SHOTS: usize = 64 * BATCH_WORDS;
/// Frame ops between two looks at the cancel flag within a batch.
const CANCEL_OPS: usize = 4096;

type Lanes = [u64; BATCH_WORDS];
const NONE: u32 = u32::MAX;

/// One qubit's frame bits across a batch.
#[derive(Clone, Copy, Debug)]
struct QubitFrame {
    x: Lanes,
    z: Lanes,
}

/// A one-qubit frame map as a 2×2 matrix over GF(2): bits `(m00, m01, m10, m11)`
/// with `x' = m00·x ⊕ m01·z`, `z' = m10·x ⊕ m11·z`.
type Map1 = u8;
const ID1: Map1 = 0b1001;

fn map1(a: &Action) -> Map1 {
    // Column 0 is the image of X, column 1 the image of Z.
    let (ix, iz) = (a.x[0], a.z[0]);
    (ix.x & 1) << 3 | (iz.x & 1) << 2 | (ix.z & 1) << 1 | (iz.z & 1)
}

/// `g ∘ p` (first `p`, then `g`).
fn compose1(g: Map1, p: Map1) -> Map1 {
    let e = |m: Map1, r: u8, c: u8| (m >> (3 - (2 * r + c))) & 1;
    let mut out = 0;
    for r in 0..2 {
        for c in 0..2 {
            let v = (e(g, r, 0) & e(p, 0, c)) ^ (e(g, r, 1) & e(p, 1, c));
            out |= v << (3 - (2 * r + c));
        }
    }
    out
}

/// An operation on a batch of frames.
#[derive(Clone, Copy, Debug, PartialEq)]
enum FrameOp {
    /// x ↔ z.
    H(u32),
    /// z ^= x (S-like).
    S(u32),
    /// x ^= z (√X-like).
    Sx(u32),
    /// x' = x ^ z, z' = x.
    CycleA(u32),
    /// x' = z, z' = x ^ z.
    CycleB(u32),
    /// Control, target.
    Cx(u32, u32),
    Cz(u32, u32),
    Swap(u32, u32),
    /// Any other two-qubit map: output bit `o` of `(xa, za, xb, zb)` is the
    /// XOR of the inputs in mask `m[o]`.
    Gen2(u32, u32, [u8; 4]),
    /// Record `reference ^ x` into `clbit`, then randomise z.
    Measure {
        q: u32,
        clbit: u32,
        reference: bool,
        readout: u32,
    },
    /// x = 0, z random.
    Reset(u32),
    /// XOR Pauli `(x, z)` into `q` where `cond` differs from the reference run.
    CondPauli {
        q: u32,
        x: bool,
        z: bool,
        cond: u32,
        reference: bool,
    },
    /// Draw from channel `channel` on `(a, b)` (only lanes where `cond` holds, if set).
    Noise {
        a: u32,
        b: u32,
        channel: u32,
        cond: u32,
    },
}

fn op_for_map1(q: u32, m: Map1) -> Option<FrameOp> {
    match m {
        ID1 => None,
        0b0110 => Some(FrameOp::H(q)),
        0b1011 => Some(FrameOp::S(q)),
        0b1101 => Some(FrameOp::Sx(q)),
        0b1110 => Some(FrameOp::CycleA(q)),
        0b0111 => Some(FrameOp::CycleB(q)),
        // The six invertible 2×2 matrices over GF(2) are covered above.
        _ => None,
    }
}

/// The 4×4 map of a two-qubit action, as masks of inputs `(xa, za, xb, zb)`.
fn map2(a: &Action) -> [u8; 4] {
    let mut m = [0u8; 4];
    for (input, image) in [a.x[0], a.z[0], a.x[1], a.z[1]].into_iter().enumerate() {
        let outputs = [image.x & 1, image.z & 1, (image.x >> 1) & 1, (image.z >> 1) & 1];
        for (o, bit) in outputs.into_iter().enumerate() {
            m[o] |= bit << input;
        }
    }
    m
}

/// Reference-run facts the frames are relative to.
#[derive(Clone, Debug, Default)]
pub(crate) struct Reference {
    /// Outcome of each measurement op (indexed like `StabProgram::ops`).
    pub outcomes: Vec<bool>,
    /// Whether each op's condition held.
    pub held: Vec<bool>,
}

/// Noise attached to one op: events before and after it, readout error.
#[derive(Clone, Debug, Default)]
pub(crate) struct OpNoise {
    /// Channels applied before the op (measurements).
    pub before: Vec<NoiseEvent>,
    /// Channels applied after the op (gates, resets).
    pub after: Vec<NoiseEvent>,
    /// `(p(1|0), p(0|1))` of a measurement.
    pub readout: Option<(f64, f64)>,
}

/// A compiled frame program.
#[derive(Clone, Debug)]
pub(crate) struct FrameProgram {
    ops: Vec<FrameOp>,
    num_qubits: usize,
    num_clbits: usize,
    conditions: Vec<Condition>,
    channels: Vec<Arc<PauliChannel>>,
    readouts: Vec<(f64, f64)>,
}

impl FrameProgram {
    /// Compiles `program` (whose conditioned ops must all be Paulis) against
    /// its reference run; `noise` is empty or one entry per op.
    pub fn compile(program: &StabProgram, reference: &Reference, noise: &[OpNoise]) -> Self {
        let n = program.num_qubits();
        let mut b = Builder {
            out: FrameProgram {
                ops: Vec::new(),
                num_qubits: n,
                num_clbits: program.num_clbits(),
                conditions: Vec::new(),
                channels: Vec::new(),
                readouts: Vec::new(),
            },
            pending: vec![ID1; n],
        };
        for (i, op) in program.ops.iter().enumerate() {
            let noise = noise.get(i);
            let cond = op.condition.as_ref().map(|c| {
                b.out.conditions.push(c.clone());
                (b.out.conditions.len() - 1) as u32
            });
            if let Some(nz) = noise {
                b.noise(&nz.before, cond);
            }
            match &op.kind {
                StabKind::Gate { clifford, qubits, .. } => match (cond, op.pauli()) {
                    (Some(c), Some((px, pz))) => {
                        for (j, &q) in qubits.iter().enumerate() {
                            let (x, z) = ((px >> j) & 1 == 1, (pz >> j) & 1 == 1);
                            if x || z {
                                b.flush(q);
                                let q = q as u32;
                                let reference = reference.held[i];
                                b.out.ops.push(FrameOp::CondPauli { q, x, z, cond: c, reference });
                            }
                        }
                    }
                    (c, _) => {
                        debug_assert!(
                            c.is_none(),
                            "conditioned non-Pauli gates need the per-shot path"
                        );
                        b.gate(&clifford.forward, qubits)
                    }
                },
                StabKind::Measure { qubit, clbit, .. } => {
                    b.flush(*qubit);
                    let readout = match noise.and_then(|nz| nz.readout) {
                        Some(r) => {
                            b.out.readouts.push(r);
                            (b.out.readouts.len() - 1) as u32
                        }
                        None => NONE,
                    };
                    b.out.ops.push(FrameOp::Measure {
                        q: *qubit as u32,
                        clbit: *clbit as u32,
                        reference: reference.outcomes[i],
                        readout,
                    });
                }
                StabKind::Reset { qubit } => {
                    b.flush(*qubit);
                    b.out.ops.push(FrameOp::Reset(*qubit as u32));
                }
            }
            if let Some(nz) = noise {
                b.noise(&nz.after, cond);
            }
        }
        b.out
    }

    /// Simulates one batch of `BATCH_SHOTS` shots and writes the first
    /// `out.len() / words_per_shot` of them to `out`, shot-major: shot `s`
    /// occupies words `s * words_per_shot .. (s + 1) * words_per_shot`. The
    /// word loops are compiled for AVX-512 and AVX2 too; `isa` (from
    /// [`crate::simd::active`], so supported by the CPU) picks one. Checks
    /// `cancel` every `CANCEL_OPS` ops and returns `false`, `out` partial,
    /// when it is set.
    pub fn run_batch(
        &self,
        isa: Isa,
        rng: &mut Rng,
        scratch: &mut BatchScratch,
        out: &mut [u64],
        cancel: Option<&AtomicBool>,
    ) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            type Args<'a> =
                (&'a mut Rng, &'a mut BatchScratch, &'a mut [u64], Option<&'a AtomicBool>);
            #[target_feature(enable = "avx512f,avx2")]
            unsafe fn avx512(p: &FrameProgram, (r, s, o, c): Args<'_>) -> bool {
                p.run_batch_body(r, s, o, c)
            }
            #[target_feature(enable = "avx2")]
            unsafe fn avx2(p: &FrameProgram, (r, s, o, c): Args<'_>) -> bool {
                p.run_batch_body(r, s, o, c)
            }
            match isa {
                // SAFETY: `simd::active` only yields ISAs the CPU supports.
                Isa::Avx512 => return unsafe { avx512(self, (rng, scratch, out, cancel)) },
                // SAFETY: as above.
                Isa::Avx2 => return unsafe { avx2(self, (rng, scratch, out, cancel)) },
                Isa::Portable => {}
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = isa;
        self.run_batch_body(rng, scratch, out, cancel)
    }

    #[inline(always)]
    fn run_batch_body(
        &self,
        rng: &mut Rng,
        scratch: &mut BatchScratch,
        out: &mut [u64],
        cancel: Option<&AtomicBool>,
    ) -> bool {
        scratch.reset(self.num_qubits, self.num_clbits, rng);
        let BatchScratch { frames, clbits, hits } = scratch;
        for (i, op) in self.ops.iter().enumerate() {
            // A batch of a long program is seconds of work; stop within it.
            if i % CANCEL_OPS == CANCEL_OPS - 1 && is_cancelled(cancel) {
                return false;
            }
            match *op {
                FrameOp::H(q) => {
                    let f = &mut frames[q as usize];
                    std::mem::swap(&mut f.x, &mut f.z);
                }
                FrameOp::S(q) => {
                    let f = &mut frames[q as usize];
                    xor_into(&mut f.z, &f.x);
                }
                FrameOp::Sx(q) => {
                    let f = &mut frames[q as usize];
                    xor_into(&mut f.x, &f.z);
                }
                FrameOp::CycleA(q) => {
                    let f = &mut frames[q as usize];
                    let x = f.x;
                    xor_into(&mut f.x, &f.z);
                    f.z = x;
                }
                FrameOp::CycleB(q) => {
                    let f = &mut frames[q as usize];
                    let z = f.z;
                    xor_into(&mut f.z, &f.x);
                    f.x = z;
                }
                FrameOp::Cx(c, t) => {
                    let (fc, ft) = pair(frames, c, t);
                    xor_into(&mut ft.x, &fc.x);
                    xor_into(&mut fc.z, &ft.z);
                }
                FrameOp::Cz(a, b) => {
                    let (fa, fb) = pair(frames, a, b);
                    xor_into(&mut fa.z, &fb.x);
                    xor_into(&mut fb.z, &fa.x);
                }
                FrameOp::Swap(a, b) => {
                    let (fa, fb) = pair(frames, a, b);
                    std::mem::swap(fa, fb);
                }
                FrameOp::Gen2(a, b, m) => {
                    let (fa, fb) = pair(frames, a, b);
                    let input = [fa.x, fa.z, fb.x, fb.z];
                    let mut out = [[0u64; BATCH_WORDS]; 4];
                    for (o, mask) in m.iter().enumerate() {
                        for (i, inp) in input.iter().enumerate() {
                            if (mask >> i) & 1 == 1 {
                                xor_into(&mut out[o], inp);
                            }
                        }
                    }
                    [fa.x, fa.z, fb.x, fb.z] = out;
                }
                FrameOp::Measure { q, clbit, reference, readout } => {
                    let f = &mut frames[q as usize];
                    let flip = if reference { !0 } else { 0 };
                    let rec = &mut clbits[clbit as usize];
                    for w in 0..BATCH_WORDS {
                        rec[w] = f.x[w] ^ flip;
                    }
                    if readout != NONE {
                        let (p10, p01) = self.readouts[readout as usize];
                        let (mut a, mut b) = ([0u64; BATCH_WORDS], [0u64; BATCH_WORDS]);
                        rng.for_each_hit(p10, BATCH_SHOTS, |i| a[i / 64] |= 1 << (i % 64));
                        rng.for_each_hit(p01, BATCH_SHOTS, |i| b[i / 64] |= 1 << (i % 64));
                        for w in 0..BATCH_WORDS {
                            rec[w] ^= (!rec[w] & a[w]) | (rec[w] & b[w]);
                        }
                    }
                    randomize_into(&mut f.z, rng);
                }
                FrameOp::Reset(q) => {
                    let f = &mut frames[q as usize];
                    f.x = [0; BATCH_WORDS];
                    f.z = [0; BATCH_WORDS];
                    randomize_into(&mut f.z, rng);
                }
                FrameOp::CondPauli { q, x, z, cond, reference } => {
                    let mut m = self.condition_mask(cond, clbits);
                    if reference {
                        m.iter_mut().for_each(|w| *w = !*w);
                    }
                    let f = &mut frames[q as usize];
                    if x {
                        xor_into(&mut f.x, &m);
                    }
                    if z {
                        xor_into(&mut f.z, &m);
                    }
                }
                FrameOp::Noise { a, b, channel, cond } => {
                    let ch = &self.channels[channel as usize];
                    hits.clear();
                    rng.for_each_hit(ch.total(), BATCH_SHOTS, |i| hits.push(i as u32));
                    let mask = (cond != NONE).then(|| self.condition_mask(cond, clbits));
                    for &i in hits.iter() {
                        let (w, bit) = (i as usize / 64, 1u64 << (i % 64));
                        let (px, pz) = ch.pick(rng.uniform() * ch.total());
                        if mask.is_some_and(|m| m[w] & bit == 0) {
                            continue;
                        }
                        for (j, q) in [a, b].into_iter().enumerate().take(ch.num_qubits()) {
                            let f = &mut frames[q as usize];
                            if (px >> j) & 1 == 1 {
                                f.x[w] ^= bit;
                            }
                            if (pz >> j) & 1 == 1 {
                                f.z[w] ^= bit;
                            }
                        }
                    }
                }
            }
        }
        shot_major(clbits, self.num_clbits, out);
        true
    }

    /// Lanes where condition `cond` holds.
    #[inline]
    fn condition_mask(&self, cond: u32, clbits: &[Lanes]) -> Lanes {
        let c = &self.conditions[cond as usize];
        if !c.satisfiable() {
            return [0; BATCH_WORDS];
        }
        let mut m = [!0u64; BATCH_WORDS];
        for (j, b) in c.bits.clone().enumerate() {
            let want = j < 64 && (c.value >> j) & 1 == 1;
            for w in 0..BATCH_WORDS {
                m[w] &= if want { clbits[b][w] } else { !clbits[b][w] };
            }
        }
        m
    }
}

/// Compiles frame ops, fusing one-qubit maps per qubit until another op needs it.
struct Builder {
    out: FrameProgram,
    pending: Vec<Map1>,
}

impl Builder {
    fn flush(&mut self, q: usize) {
        let m = std::mem::replace(&mut self.pending[q], ID1);
        if let Some(op) = op_for_map1(q as u32, m) {
            self.out.ops.push(op);
        }
    }

    fn gate(&mut self, forward: &Action, qubits: &[usize]) {
        match qubits {
            [q] => self.pending[*q] = compose1(map1(forward), self.pending[*q]),
            [a, b] => {
                self.flush(*a);
                self.flush(*b);
                let (a, b) = (*a as u32, *b as u32);
                let op = match map2(forward) {
                    [0b0001, 0b0010, 0b0100, 0b1000] => return,
                    [0b0001, 0b1010, 0b0101, 0b1000] => FrameOp::Cx(a, b),
                    [0b0101, 0b0010, 0b0100, 0b1010] => FrameOp::Cx(b, a),
                    [0b0001, 0b0110, 0b0100, 0b1001] => FrameOp::Cz(a, b),
                    [0b0100, 0b1000, 0b0001, 0b0010] => FrameOp::Swap(a, b),
                    m => FrameOp::Gen2(a, b, m),
                };
                self.out.ops.push(op);
            }
            // Table gates on three or more qubits are never Clifford.
            _ => {}
        }
    }

    fn noise(&mut self, events: &[NoiseEvent], cond: Option<u32>) {
        for e in events {
            self.flush(e.qubits[0]);
            self.flush(e.qubits[1]);
            let channel = match self.out.channels.iter().position(|c| Arc::ptr_eq(c, &e.channel)) {
                Some(i) => i,
                None => {
                    self.out.channels.push(e.channel.clone());
                    self.out.channels.len() - 1
                }
            } as u32;
            self.out.ops.push(FrameOp::Noise {
                a: e.qubits[0] as u32,
                b: e.qubits[1] as u32,
                channel,
                cond: cond.unwrap_or(NONE),
            });
        }
    }
}

/// Reusable per-thread buffers of a batch.
#[derive(Debug, Default)]
pub(crate) struct BatchScratch {
    frames: Vec<QubitFrame>,
    clbits: Vec<Lanes>,
    hits: Vec<u32>,
}

impl BatchScratch {
    fn reset(&mut self, n: usize, c: usize, rng: &mut Rng) {
        self.frames.clear();
        self.frames.resize(n, QubitFrame { x: [0; BATCH_WORDS], z: [0; BATCH_WORDS] });
        // Every qubit starts in |0⟩, as if just reset.
        for f in &mut self.frames {
            randomize_into(&mut f.z, rng);
        }
        self.clbits.clear();
        self.clbits.resize(c, [0; BATCH_WORDS]);
    }
}

#[inline]
fn xor_into(dst: &mut Lanes, src: &Lanes) {
    for w in 0..BATCH_WORDS {
        dst[w] ^= src[w];
    }
}

#[inline]
fn randomize_into(dst: &mut Lanes, rng: &mut Rng) {
    rng.xor_fill(dst);
}

/// Two distinct qubits' frames, both mutable.
#[inline]
fn pair(frames: &mut [QubitFrame], a: u32, b: u32) -> (&mut QubitFrame, &mut QubitFrame) {
    let (a, b) = (a as usize, b as usize);
    debug_assert_ne!(a, b);
    if a < b {
        let (lo, hi) = frames.split_at_mut(b);
        (&mut lo[a], &mut hi[0])
    } else {
        let (lo, hi) = frames.split_at_mut(a);
        (&mut hi[0], &mut lo[b])
    }
}

/// Transposes clbit-major lanes into shot-major rows of `ceil(c / 64)`
/// words, for as many shots as `out` holds.
#[inline]
fn shot_major(clbits: &[Lanes], c: usize, out: &mut [u64]) {
    let cw = c.div_ceil(64);
    if cw == 0 {
        return;
    }
    let shots = out.len() / cw;
    let mut block = [0u64; 64];
    for w in 0..shots.div_ceil(64) {
        for cb in 0..cw {
            for (i, slot) in block.iter_mut().enumerate() {
                *slot = clbits.get(cb * 64 + i).map_or(0, |l| l[w]);
            }
            transpose64(&mut block);
            for (s, &bits) in block.iter().enumerate().take(shots - w * 64) {
                out[(w * 64 + s) * cw + cb] = bits;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stabilizer::clifford::Clifford;
    use qv_circuit::StandardGate as G;

    fn fwd(g: G) -> Action {
        Clifford::of(&g.matrix(&[])).unwrap().forward
    }

    #[test]
    fn one_qubit_maps_cover_the_six_classes() {
        assert_eq!(map1(&fwd(G::Id)), ID1);
        assert_eq!(op_for_map1(0, map1(&fwd(G::H))), Some(FrameOp::H(0)));
        assert_eq!(op_for_map1(0, map1(&fwd(G::Sdg))), Some(FrameOp::S(0)));
        assert_eq!(op_for_map1(0, map1(&fwd(G::Sxdg))), Some(FrameOp::Sx(0)));
        // H then S: X → Z → Z and Z → X → Y, i.e. x' = z, z' = x ^ z.
        let hs = compose1(map1(&fwd(G::S)), map1(&fwd(G::H)));
        assert_eq!(op_for_map1(0, hs), Some(FrameOp::CycleB(0)));
        let sh = compose1(map1(&fwd(G::H)), map1(&fwd(G::S)));
        assert_eq!(op_for_map1(0, sh), Some(FrameOp::CycleA(0)));
        assert_eq!(compose1(map1(&fwd(G::H)), map1(&fwd(G::H))), ID1);
    }

    #[test]
    fn two_qubit_maps_are_recognised() {
        assert_eq!(map2(&fwd(G::Cx)), [0b0001, 0b1010, 0b0101, 0b1000]);
        assert_eq!(map2(&fwd(G::Cz)), [0b0001, 0b0110, 0b0100, 0b1001]);
        assert_eq!(map2(&fwd(G::Swap)), [0b0100, 0b1000, 0b0001, 0b0010]);
    }

    #[test]
    fn shot_major_transposes_lanes() {
        let mut clbits = vec![[0u64; BATCH_WORDS]; 70];
        clbits[0][0] = 0b10; // clbit 0 set in shot 1
        clbits[69][1] = 1; // clbit 69 set in shot 64
        let mut rows = vec![0u64; 65 * 2];
        shot_major(&clbits, 70, &mut rows);
        assert_eq!(&rows[2..4], &[1, 0]);
        assert_eq!(&rows[128..130], &[0, 1 << 5]);
        assert_eq!(rows.iter().map(|w| w.count_ones()).sum::<u32>(), 2);
    }
}
