//! The fast state-vector engine: fusion, specialised SIMD kernels, threads.
//!
//! [`simulate_gates`] plans the gate list into passes ([`fusion`]) and runs them
//! with the `kernels` (ISA chosen by [`crate::simd`]). States are `complex128` (`f64`) or `complex64` (`f32`),
//! updated in place; the only other allocation is the small per-pass matrices.
//! Qubit swaps are relabellings recorded in [`FastState::layout`], undone once
//! by [`FastState::into_logical`] or folded into index mapping when sampling.
//! Qubits are activated lazily ([`fusion::plan_from_zero`]): while only `m`
//! qubits are active the state lives in its first `2^m` amplitudes and every
//! pass runs on that prefix.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
pub mod fusion;
pub(crate) mod kernels;
pub mod real;

use num_complex::Complex;

pub use fusion::{FusedOp, FusionLimits, GateOp, Plan};
/// Single passes, for benchmarks (`examples/passes.rs`); each asserts its
/// arguments describe a valid pass on the state before touching it.
pub use kernels::{apply_dense, apply_diagonal, apply_monomial, scale};
pub use real::Real;
use std::collections::TryReserveError;

/// Engine settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineConfig {
    /// Fusion limits ([`FusionLimits::OFF`] for one pass per gate).
    pub fusion: FusionLimits,
    /// Worker threads; 0 uses rayon's pool size (all cores).
    pub threads: usize,
}

impl EngineConfig {
    fn thread_count(&self) -> usize {
        if self.threads == 0 {
            rayon::current_num_threads()
        } else {
            self.threads
        }
    }
}

/// A state produced by the engine, with its physical qubit layout.
#[derive(Clone, Debug)]
pub struct FastState<F: Real> {
    amps: Vec<Complex<F>>,
    num_qubits: usize,
    /// `layout[logical] = physical`.
    layout: Vec<usize>,
    /// Amplitudes from `2^live` on are zero.
    live: usize,
}

/// Asks Linux to back a large state with transparent huge pages: first-touch
/// page faults (the kernel zeroing the memory) then come 2 MiB at a time, which
/// costs several times less than 4 KiB faults on a 1 GiB state. Advice only:
/// failure changes nothing.
#[cfg(target_os = "linux")]
fn advise_huge_pages(ptr: *mut u8, len: usize) {
    const HUGE: usize = 2 << 20;
    const MADV_HUGEPAGE: i32 = 14;
    unsafe extern "C" {
        fn madvise(addr: *mut std::ffi::c_void, len: usize, advice: i32) -> i32;
    }
    // The whole huge pages inside the allocation (madvise wants aligned starts).
    let start = (ptr as usize).next_multiple_of(HUGE);
    let end = (ptr as usize + len) / HUGE * HUGE;
    if end > start {
        // SAFETY: the range lies inside an allocation we own; MADV_HUGEPAGE
        // changes no contents.
        unsafe { madvise(start as *mut std::ffi::c_void, end - start, MADV_HUGEPAGE) };
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_ptr: *mut u8, _len: usize) {}

/// `len` zero amplitudes. Zeroed allocation leaves the pages to the OS until
/// first written, so the part of the state lazy activation never reaches is
/// never touched.
fn zeroed<F: Real>(len: usize) -> Result<Vec<Complex<F>>, TryReserveError> {
    if let Ok(layout) = std::alloc::Layout::array::<Complex<F>>(len) {
        if layout.size() > 0 {
            // SAFETY: the layout has non-zero size.
            let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<Complex<F>>();
            if !ptr.is_null() {
                advise_huge_pages(ptr.cast(), layout.size());
                // SAFETY: allocated by the global allocator with the layout of
                // `len` elements, as Vec expects. All-zero bits are 0 + 0i
                // because `Real` is sealed (`real::sealed::Sealed`): only f32
                // and f64, IEEE floats whose all-zero pattern is +0.0, implement it.
                return Ok(unsafe { Vec::from_raw_parts(ptr, len, len) });
            }
        }
    }
    // Refused: the ordinary fallible path reports why.
    let mut amps = Vec::new();
    amps.try_reserve_exact(len)?;
    amps.resize(len, Complex::new(F::zero(), F::zero()));
    Ok(amps)
}

impl<F: Real> FastState<F> {
    /// `|0…0⟩` on `num_qubits` qubits; errors instead of aborting when the
    /// allocation is refused.
    pub fn zero(num_qubits: usize) -> Result<Self, TryReserveError> {
        let mut amps = zeroed::<F>(1usize << num_qubits)?;
        amps[0] = Complex::new(F::one(), F::zero());
        Ok(FastState { amps, num_qubits, layout: (0..num_qubits).collect(), live: 0 })
    }

    /// Number of qubits.
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// `layout[logical] = physical` bit position of each logical qubit.
    pub fn layout(&self) -> &[usize] {
        &self.layout
    }

    /// Amplitudes in physical order (see [`FastState::layout`]).
    pub fn physical_amplitudes(&self) -> &[Complex<F>] {
        &self.amps
    }

    /// The prefix of [`FastState::physical_amplitudes`] that can be nonzero
    /// (the rest is zero: qubits at those positions were never activated).
    pub fn live_amplitudes(&self) -> &[Complex<F>] {
        &self.amps[..1 << self.live]
    }

    /// Runs a plan on this state (whose layout must still be the identity).
    /// Each pass runs on the prefix of the state that its span and the passes
    /// before it may have filled; the rest is known to be zero.
    pub fn run_plan(&mut self, plan: &Plan, config: &EngineConfig) {
        self.run_plan_until(plan, config, None);
    }

    /// Runs a plan on this state, checking `cancel` before each pass; returns
    /// `false` (the state is then partial) when it stopped early.
    pub fn run_plan_until(
        &mut self,
        plan: &Plan,
        config: &EngineConfig,
        cancel: Option<&std::sync::atomic::AtomicBool>,
    ) -> bool {
        let threads = config.thread_count();
        // Plans are built against the identity layout.
        debug_assert!(self.layout.iter().enumerate().all(|(i, &p)| i == p));
        for op in &plan.ops {
            if cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed)) {
                return false;
            }
            self.live = self.live.max(op.span());
            let n = self.live;
            let amps = &mut self.amps[..1 << n];
            match op {
                FusedOp::Dense { qubits, controls, matrix } => {
                    kernels::apply_dense(amps, n, qubits, controls, matrix, threads)
                }
                FusedOp::Monomial { qubits, controls, source, phases } => {
                    kernels::apply_monomial(amps, n, qubits, controls, source, phases, threads)
                }
                FusedOp::Diagonal { qubits, diag } => {
                    kernels::apply_diagonal(amps, n, qubits, diag, threads)
                }
            }
        }
        self.layout.clone_from(&plan.layout);
        true
    }

    /// Undoes the layout and returns amplitudes in logical order (qubit 0 =
    /// least significant bit). Any layout takes at most two passes, each
    /// swapping disjoint pairs of qubits at once: reflecting every cycle of the
    /// layout leaves an involution, which the second pass undoes.
    pub fn into_logical(mut self, config: &EngineConfig) -> Vec<Complex<F>> {
        let threads = config.thread_count();
        while let Some(pairs) = self.undo_pairs() {
            // Zero above both the live prefix and the swapped positions.
            let top = pairs.iter().map(|&(a, b)| a.max(b) + 1).max().unwrap_or(0);
            self.live = self.live.max(top);
            let n = self.live;
            match pairs[..] {
                [(a, b)] => kernels::swap_qubits(&mut self.amps[..1 << n], n, a, b, threads),
                _ => kernels::swap_qubit_pairs(&mut self.amps[..1 << n], n, &pairs, threads),
            }
            // The logical qubit at physical `a` now sits at `b` and vice versa.
            for p in self.layout.iter_mut() {
                if let Some(&(a, b)) = pairs.iter().find(|&&(a, b)| a == *p || b == *p) {
                    *p = if *p == a { b } else { a };
                }
            }
        }
        self.amps
    }

    /// Disjoint physical pairs to swap next, `None` once the layout is the identity.
    fn undo_pairs(&self) -> Option<Vec<(usize, usize)>> {
        let l = &self.layout;
        let mut pairs = Vec::new();
        let mut seen = vec![false; l.len()];
        for start in 0..l.len() {
            if seen[start] {
                continue;
            }
            // The cycle start → l[start] → l[l[start]] → ….
            let mut cycle = vec![start];
            seen[start] = true;
            while !seen[l[*cycle.last().expect("non-empty")]] {
                let next = l[*cycle.last().expect("non-empty")];
                seen[next] = true;
                cycle.push(next);
            }
            // A 2-cycle is swapped; a longer one reflected, c_i ↔ c_(k−i),
            // which leaves 2-cycles and fixed points.
            let k = cycle.len();
            if k == 2 {
                pairs.push((cycle[0], cycle[1]));
            }
            pairs.extend((1..k).filter(|&i| i < k - i).map(|i| (cycle[i], cycle[k - i])));
        }
        (!pairs.is_empty()).then_some(pairs)
    }
}

/// Simulates `gates` from `|0…0⟩` with the given global phase.
pub fn simulate_gates<F: Real>(
    gates: &[GateOp],
    num_qubits: usize,
    global_phase: f64,
    config: &EngineConfig,
) -> Result<FastState<F>, TryReserveError> {
    let state = simulate_gates_until(gates, num_qubits, global_phase, config, None)?;
    Ok(state.expect("a run without a cancel flag runs to the end"))
}

/// [`simulate_gates`] that stops when `cancel` turns true: `Ok(None)` then.
pub fn simulate_gates_until<F: Real>(
    gates: &[GateOp],
    num_qubits: usize,
    global_phase: f64,
    config: &EngineConfig,
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> Result<Option<FastState<F>>, TryReserveError> {
    let mut state = FastState::<F>::zero(num_qubits)?;
    let plan = fusion::plan_from_zero(gates, num_qubits, config.fusion);
    // The plan's phase is a scalar, so it may join the global phase up front.
    let phase = qv_circuit::C64::from_polar(1.0, global_phase) * plan.phase;
    if phase != qv_circuit::C64::new(1.0, 0.0) {
        state.amps[0] = F::complex(phase);
    }
    Ok(state.run_plan_until(&plan, config, cancel).then_some(state))
}

#[cfg(test)]
mod tests {
    use super::*;
    use qv_circuit::{Matrix, StandardGate, C64};
    use rand::{Rng, SeedableRng};

    fn random_gates(n: usize, count: usize, seed: u64) -> Vec<GateOp> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let gates: Vec<StandardGate> =
            StandardGate::all().filter(|g| g.num_qubits() <= n).collect();
        (0..count)
            .map(|_| {
                let g = gates[rng.gen_range(0..gates.len())];
                let mut qubits: Vec<usize> = (0..n).collect();
                for i in 0..g.num_qubits() {
                    let j = rng.gen_range(i..n);
                    qubits.swap(i, j);
                }
                qubits.truncate(g.num_qubits());
                let params: Vec<f64> =
                    (0..g.num_params()).map(|_| rng.gen_range(-4.0..4.0)).collect();
                GateOp { matrix: g.matrix(&params), qubits }
            })
            .collect()
    }

    fn dense_reference(gates: &[GateOp], n: usize) -> Vec<C64> {
        let mut u = Matrix::identity(1 << n);
        for g in gates {
            u = g.matrix.embed(&g.qubits, n).mul(&u);
        }
        (0..1 << n).map(|r| u.get(r, 0)).collect()
    }

    fn fidelity<F: Real>(a: &[Complex<F>], b: &[C64]) -> f64 {
        let ip: C64 =
            a.iter().zip(b).map(|(x, y)| y.conj() * C64::new(x.re.to_f64(), x.im.to_f64())).sum();
        ip.norm_sqr()
    }

    #[test]
    fn matches_dense_product_with_and_without_fusion() {
        for n in 1..=6 {
            for seed in 0..6 {
                let gates = random_gates(n, 40, seed * 31 + n as u64);
                let expect = dense_reference(&gates, n);
                for fusion in [
                    FusionLimits::OFF,
                    FusionLimits::default(),
                    FusionLimits { max_dense: 5, max_diagonal: 6 },
                ] {
                    for threads in [1, 2] {
                        let cfg = EngineConfig { fusion, threads };
                        let got =
                            simulate_gates::<f64>(&gates, n, 0.0, &cfg).unwrap().into_logical(&cfg);
                        let max = got
                            .iter()
                            .zip(&expect)
                            .map(|(a, b)| (a - b).norm())
                            .fold(0.0, f64::max);
                        assert!(max < 1e-10, "n={n} seed={seed} {fusion:?}: max diff {max}");
                        let got =
                            simulate_gates::<f32>(&gates, n, 0.0, &cfg).unwrap().into_logical(&cfg);
                        assert!(fidelity(&got, &expect) > 1.0 - 1e-5, "f32 n={n} seed={seed}");
                    }
                }
            }
        }
    }

    /// Circuits that bring qubits in one at a time, in a random order, with
    /// gates whose other qubits (controls included) are often still fresh, and
    /// swaps with fresh qubits.
    fn progressive_gates(n: usize, count: usize, seed: u64) -> Vec<GateOp> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let gates: Vec<StandardGate> =
            StandardGate::all().filter(|g| g.num_qubits() <= n).collect();
        let mut order: Vec<usize> = (0..n).collect();
        for i in 0..n {
            let j = rng.gen_range(i..n);
            order.swap(i, j);
        }
        (0..count)
            .map(|i| {
                // The first `reach` qubits of `order` may appear; it grows slowly.
                let reach = (1 + i * n / (count / 2).max(1)).clamp(1, n);
                let g = if n >= 2 && rng.gen_bool(0.1) {
                    StandardGate::Swap
                } else {
                    gates[rng.gen_range(0..gates.len())]
                };
                let mut pool: Vec<usize> = order.clone();
                for k in 0..g.num_qubits() {
                    // Mostly reached qubits, sometimes a fresh one beyond the reach.
                    let hi = if rng.gen_bool(0.25) { n } else { reach.max(g.num_qubits()) };
                    let j = rng.gen_range(k..hi);
                    pool.swap(k, j);
                }
                pool.truncate(g.num_qubits());
                let params: Vec<f64> =
                    (0..g.num_params()).map(|_| rng.gen_range(-4.0..4.0)).collect();
                GateOp { matrix: g.matrix(&params), qubits: pool }
            })
            .collect()
    }

    #[test]
    fn lazily_activated_circuits_match_dense_product() {
        for n in 1..=6 {
            for seed in 0..8 {
                let gates = progressive_gates(n, 30, seed * 17 + n as u64);
                let phase = 0.3 * seed as f64;
                let expect: Vec<C64> = dense_reference(&gates, n)
                    .into_iter()
                    .map(|a| a * C64::from_polar(1.0, phase))
                    .collect();
                for fusion in [FusionLimits::OFF, FusionLimits::default()] {
                    for threads in [1, 2] {
                        let cfg = EngineConfig { fusion, threads };
                        let state = simulate_gates::<f64>(&gates, n, phase, &cfg).unwrap();
                        // Sampling reads only the live prefix: the rest must be zero.
                        let live = state.live_amplitudes().len();
                        assert!(state.physical_amplitudes()[live..]
                            .iter()
                            .all(|a| a.norm() == 0.0));
                        let got = state.into_logical(&cfg);
                        let max = got
                            .iter()
                            .zip(&expect)
                            .map(|(a, b)| (a - b).norm())
                            .fold(0.0, f64::max);
                        assert!(max < 1e-10, "n={n} seed={seed} {fusion:?}: max diff {max}");
                        let got = simulate_gates::<f32>(&gates, n, phase, &cfg)
                            .unwrap()
                            .into_logical(&cfg);
                        assert!(fidelity(&got, &expect) > 1.0 - 1e-5, "f32 n={n} seed={seed}");
                        let d: f64 = got
                            .iter()
                            .zip(&expect)
                            .map(|(a, b)| (C64::new(a.re as f64, a.im as f64) - b).norm())
                            .fold(0.0, f64::max);
                        // Phases (global and folded) are kept, not only the fidelity.
                        assert!(d < 1e-4, "f32 n={n} seed={seed}: max diff {d}");
                    }
                }
            }
        }
    }

    /// Random circuits (fused and not, lazily activated, one and two threads,
    /// f64 and f32) against the dense product and, at 15 qubits, the
    /// reference simulator, under every ISA this CPU supports.
    #[test]
    fn every_supported_isa_matches_the_reference() {
        for isa in crate::simd::Isa::ALL {
            if !isa.is_supported() {
                println!("skipped {isa}: this CPU does not support it");
                continue;
            }
            crate::simd::with_isa(isa, || circuits_match_the_reference(isa)).unwrap();
        }
    }

    fn circuits_match_the_reference(isa: crate::simd::Isa) {
        let configs = [FusionLimits::OFF, FusionLimits::default()]
            .into_iter()
            .flat_map(|fusion| [1, 2].map(|threads| EngineConfig { fusion, threads }));
        for cfg in configs {
            for (n, seed) in (1..=6).flat_map(|n| (0..3).map(move |s| (n, s))) {
                let seed = seed * 13 + n as u64;
                for gates in [random_gates(n, 40, seed), progressive_gates(n, 30, seed)] {
                    let expect = dense_reference(&gates, n);
                    let got =
                        simulate_gates::<f64>(&gates, n, 0.0, &cfg).unwrap().into_logical(&cfg);
                    let max =
                        got.iter().zip(&expect).map(|(a, b)| (a - b).norm()).fold(0.0, f64::max);
                    assert!(max < 1e-10, "{isa} n={n} seed={seed} {cfg:?}: max diff {max}");
                    let got =
                        simulate_gates::<f32>(&gates, n, 0.0, &cfg).unwrap().into_logical(&cfg);
                    let f = fidelity(&got, &expect);
                    assert!(f > 1.0 - 1e-5, "{isa} f32 n={n} seed={seed} {cfg:?}: {f}");
                }
            }
            // Past PARALLEL_THRESHOLD: passes split over threads.
            let n = 15;
            let gates = random_gates(n, 60, 7);
            let mut reference = crate::statevector::StateVector::new(n, 0.0).unwrap();
            for g in &gates {
                reference.apply(&g.matrix, &g.qubits);
            }
            let expect = reference.into_amplitudes();
            let got = simulate_gates::<f64>(&gates, n, 0.0, &cfg).unwrap().into_logical(&cfg);
            let max = got.iter().zip(&expect).map(|(a, b)| (a - b).norm()).fold(0.0, f64::max);
            assert!(max < 1e-10, "{isa} n={n} {cfg:?}: max diff {max}");
            let got = simulate_gates::<f32>(&gates, n, 0.0, &cfg).unwrap().into_logical(&cfg);
            let f = fidelity(&got, &expect);
            assert!(f > 1.0 - 1e-4, "{isa} f32 n={n} {cfg:?}: {f}");
        }
    }

    #[test]
    fn any_layout_is_undone_in_at_most_two_passes() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(21);
        for n in 1..=15 {
            for trial in 0..6 {
                let mut layout: Vec<usize> = (0..n).collect();
                for i in 0..n {
                    let j = rng.gen_range(i..n);
                    layout.swap(i, j);
                }
                let amps: Vec<Complex<f64>> =
                    (0..1 << n).map(|i| Complex::new(i as f64, -(trial as f64))).collect();
                let state = FastState { amps, num_qubits: n, layout: layout.clone(), live: n };
                let mut passes = 0;
                let mut probe = state.clone();
                while let Some(pairs) = probe.undo_pairs() {
                    passes += 1;
                    for p in probe.layout.iter_mut() {
                        if let Some(&(a, b)) = pairs.iter().find(|&&(a, b)| a == *p || b == *p) {
                            *p = if *p == a { b } else { a };
                        }
                    }
                    assert!(passes <= 2, "layout {layout:?}");
                }
                let cfg = EngineConfig { fusion: FusionLimits::default(), threads: 2 };
                let got = state.into_logical(&cfg);
                for (logical, a) in got.iter().enumerate() {
                    let physical: usize = (0..n).map(|l| ((logical >> l) & 1) << layout[l]).sum();
                    assert_eq!(a.re, physical as f64, "n={n} layout {layout:?}");
                }
            }
        }
    }

    #[test]
    fn gates_on_fresh_qubits_vanish_or_become_phases() {
        let op = |g: StandardGate, p: &[f64], q: &[usize]| GateOp {
            matrix: g.matrix(p),
            qubits: q.to_vec(),
        };
        // Fresh controls, diagonal gates on |0⟩, swaps of |0⟩ with |0⟩.
        let gates = [
            op(StandardGate::Cp, &[0.3], &[0, 1]),
            op(StandardGate::Rz, &[0.7], &[2]),
            op(StandardGate::Cx, &[], &[3, 4]),
            op(StandardGate::Ccx, &[], &[5, 0, 1]),
            op(StandardGate::Swap, &[], &[1, 2]),
            op(StandardGate::Cswap, &[], &[0, 1, 2]),
        ];
        let plan = fusion::plan_from_zero(&gates, 6, FusionLimits::default());
        assert!(plan.ops.is_empty(), "{:?}", plan.ops);
        assert!((plan.phase - C64::from_polar(1.0, -0.35)).norm() < 1e-15);
        assert_eq!(plan.layout, vec![0, 1, 2, 3, 4, 5]);

        // h activates qubit 3 at position 0; cx(3, 1) activates 1 at position 1;
        // cz(2, 3) is the identity while 2 is fresh; never-touched qubits take
        // the free positions in ascending order.
        let gates = [
            op(StandardGate::H, &[], &[3]),
            op(StandardGate::Cx, &[], &[3, 1]),
            op(StandardGate::Cz, &[], &[2, 3]),
        ];
        let plan = fusion::plan_from_zero(&gates, 5, FusionLimits::OFF);
        assert_eq!(plan.layout, vec![2, 1, 3, 0, 4]);
        let spans: Vec<usize> = plan.ops.iter().map(FusedOp::span).collect();
        assert_eq!(spans, vec![1, 2]);
    }

    #[test]
    fn ghz_passes_grow_with_the_active_qubits() {
        let n = 20;
        let mut gates = vec![GateOp { matrix: StandardGate::H.matrix(&[]), qubits: vec![0] }];
        for q in 0..n - 1 {
            gates.push(GateOp { matrix: StandardGate::Cx.matrix(&[]), qubits: vec![q, q + 1] });
        }
        for fusion in [FusionLimits::OFF, FusionLimits::default()] {
            let plan = fusion::plan_from_zero(&gates, n, fusion);
            let spans: Vec<usize> = plan.ops.iter().map(FusedOp::span).collect();
            assert!(spans.windows(2).all(|w| w[0] <= w[1]), "{spans:?}");
            assert_eq!(spans.last(), Some(&n));
            let cfg = EngineConfig { fusion, threads: 2 };
            let state = simulate_gates::<f64>(&gates, n, 0.0, &cfg).unwrap().into_logical(&cfg);
            let h = std::f64::consts::FRAC_1_SQRT_2;
            for (i, a) in state.iter().enumerate() {
                let want = if i == 0 || i == (1 << n) - 1 { h } else { 0.0 };
                assert!((a - C64::new(want, 0.0)).norm() < 1e-12, "{i}: {a}");
            }
        }
    }

    #[test]
    fn parallel_passes_match_reference_at_sixteen_qubits() {
        let n = 16;
        let gates = random_gates(n, 120, 99);
        let mut reference = crate::statevector::StateVector::new(n, 0.0).unwrap();
        for g in &gates {
            reference.apply(&g.matrix, &g.qubits);
        }
        let expect = reference.into_amplitudes();
        for fusion in [FusionLimits::OFF, FusionLimits::default()] {
            for threads in [1, 2, 3] {
                let cfg = EngineConfig { fusion, threads };
                let got = simulate_gates::<f64>(&gates, n, 0.0, &cfg).unwrap().into_logical(&cfg);
                let max = got.iter().zip(&expect).map(|(a, b)| (a - b).norm()).fold(0.0, f64::max);
                assert!(max < 1e-10, "{fusion:?} threads={threads}: max diff {max}");
            }
        }
    }

    #[test]
    fn permutation_circuits_match_dense_product() {
        // Blocks of x, cx, ccx, swap, … fuse into monomial passes.
        let perm_gates = [
            StandardGate::X,
            StandardGate::Y,
            StandardGate::Z,
            StandardGate::S,
            StandardGate::Cx,
            StandardGate::Cy,
            StandardGate::Cz,
            StandardGate::Ccx,
            StandardGate::Cswap,
            StandardGate::Dcx,
            StandardGate::Iswap,
            StandardGate::C3x,
        ];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        for n in 4..=7 {
            let mut gates: Vec<GateOp> =
                vec![GateOp { matrix: StandardGate::X.matrix(&[]), qubits: vec![0] }];
            for _ in 0..40 {
                let g = perm_gates[rng.gen_range(0..perm_gates.len())];
                let mut qubits: Vec<usize> = (0..n).collect();
                for i in 0..g.num_qubits() {
                    let j = rng.gen_range(i..n);
                    qubits.swap(i, j);
                }
                qubits.truncate(g.num_qubits());
                gates.push(GateOp { matrix: g.matrix(&[]), qubits });
            }
            let expect = dense_reference(&gates, n);
            let cfg = EngineConfig::default();
            let plan = fusion::plan(&gates, n, cfg.fusion);
            assert!(plan.ops.iter().any(|op| matches!(op, FusedOp::Monomial { .. })), "n={n}");
            let got = simulate_gates::<f64>(&gates, n, 0.0, &cfg).unwrap().into_logical(&cfg);
            let max = got.iter().zip(&expect).map(|(a, b)| (a - b).norm()).fold(0.0, f64::max);
            assert!(max < 1e-12, "n={n}: max diff {max}");
        }
    }

    #[test]
    fn monomial_kernel_matches_dense_kernel_on_random_states() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        // 15 qubits: split over threads, ranges ending inside contiguous runs.
        for (n, trial) in (0..40).map(|t| (8, t)).chain((0..12).map(|t| (15, t))) {
            let threads = if n > 8 { 3 } else { 1 };
            let k = 1 + trial % 3;
            let mut all: Vec<usize> = (0..n).collect();
            for i in 0..n {
                let j = rng.gen_range(i..n);
                all.swap(i, j);
            }
            let mut qubits = all[..k].to_vec();
            qubits.sort_unstable();
            let controls = all[k..k + trial % 2].to_vec();
            let dim = 1 << k;
            let mut source: Vec<usize> = (0..dim).collect();
            for i in 0..dim {
                let j = rng.gen_range(i..dim);
                source.swap(i, j);
            }
            let phases: Vec<C64> =
                (0..dim).map(|_| C64::from_polar(1.0, rng.gen_range(0.0..6.3))).collect();
            let mut matrix = vec![C64::new(0.0, 0.0); dim * dim];
            // Every third state is sparse: most rows move zeros onto zeros.
            let sparse = trial % 3 == 0;
            let state: Vec<Complex<f64>> = (0..1 << n)
                .map(|_| {
                    if sparse && rng.gen_bool(0.9) {
                        C64::new(0.0, 0.0)
                    } else {
                        C64::new(rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0))
                    }
                })
                .collect();
            // Some permutations without phases (the unit-phase copy path).
            let phases = if trial % 4 == 1 { vec![C64::new(1.0, 0.0); dim] } else { phases };
            for r in 0..dim {
                matrix[r * dim + source[r]] = phases[r];
            }
            let mut a = state.clone();
            let mut b = state;
            kernels::apply_monomial(&mut a, n, &qubits, &controls, &source, &phases, threads);
            kernels::apply_dense(&mut b, n, &qubits, &controls, &matrix, threads);
            let max = a.iter().zip(&b).map(|(x, y)| (x - y).norm()).fold(0.0, f64::max);
            assert!(max < 1e-14, "trial {trial}: {max}");
        }
    }
}
