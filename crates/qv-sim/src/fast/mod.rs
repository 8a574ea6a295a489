//! The fast state-vector engine: fusion, specialised SIMD kernels, threads.
//!
//! [`simulate_gates`] plans the gate list into passes ([`fusion`]) and runs them
//! with the [`kernels`]. States are `complex128` (`f64`) or `complex64` (`f32`),
//! updated in place; the only other allocation is the small per-pass matrices.
//! Qubit swaps are relabellings recorded in [`FastState::layout`], undone once
//! by [`FastState::into_logical`] or folded into index mapping when sampling.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
pub mod fusion;
pub mod kernels;
pub mod real;

use num_complex::Complex;

pub use fusion::{FusedOp, FusionLimits, GateOp, Plan};
pub use real::Real;

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
}

impl<F: Real> FastState<F> {
    /// `|0…0⟩` on `num_qubits` qubits; errors instead of aborting when the
    /// allocation is refused.
    pub fn zero(num_qubits: usize) -> Result<Self, std::collections::TryReserveError> {
        let len = 1usize << num_qubits;
        let mut amps = Vec::new();
        amps.try_reserve_exact(len)?;
        amps.resize(len, Complex::new(F::zero(), F::zero()));
        amps[0] = Complex::new(F::one(), F::zero());
        Ok(FastState { amps, num_qubits, layout: (0..num_qubits).collect() })
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

    /// Runs a plan on this state.
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
            match op {
                FusedOp::Dense { qubits, controls, matrix } => kernels::apply_dense(
                    &mut self.amps,
                    self.num_qubits,
                    qubits,
                    controls,
                    matrix,
                    threads,
                ),
                FusedOp::Monomial { qubits, controls, source, phases } => kernels::apply_monomial(
                    &mut self.amps,
                    self.num_qubits,
                    qubits,
                    controls,
                    source,
                    phases,
                    threads,
                ),
                FusedOp::Diagonal { qubits, diag } => {
                    kernels::apply_diagonal(&mut self.amps, self.num_qubits, qubits, diag, threads)
                }
            }
        }
        self.layout.clone_from(&plan.layout);
        true
    }

    /// Undoes the layout with qubit-swap passes and returns amplitudes in
    /// logical order (qubit 0 = least significant bit).
    pub fn into_logical(mut self, config: &EngineConfig) -> Vec<Complex<F>> {
        let threads = config.thread_count();
        for l in 0..self.num_qubits {
            let p = self.layout[l];
            if p != l {
                kernels::swap_qubits(&mut self.amps, self.num_qubits, l, p, threads);
                // The logical qubit that sat at physical `l` now sits at `p`.
                let m = self.layout.iter().position(|&x| x == l).expect("layout is a permutation");
                self.layout[m] = p;
                self.layout[l] = l;
            }
        }
        self.amps
    }
}

/// Simulates `gates` from `|0…0⟩` with the given global phase.
pub fn simulate_gates<F: Real>(
    gates: &[GateOp],
    num_qubits: usize,
    global_phase: f64,
    config: &EngineConfig,
) -> Result<FastState<F>, std::collections::TryReserveError> {
    let mut state = FastState::<F>::zero(num_qubits)?;
    if global_phase != 0.0 {
        state.amps[0] = F::complex(qv_circuit::C64::from_polar(1.0, global_phase));
    }
    let plan = fusion::plan(gates, num_qubits, config.fusion);
    state.run_plan(&plan, config);
    Ok(state)
}

/// [`simulate_gates`] that stops when `cancel` turns true: `Ok(None)` then.
pub fn simulate_gates_until<F: Real>(
    gates: &[GateOp],
    num_qubits: usize,
    global_phase: f64,
    config: &EngineConfig,
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> Result<Option<FastState<F>>, std::collections::TryReserveError> {
    let mut state = FastState::<F>::zero(num_qubits)?;
    if global_phase != 0.0 {
        state.amps[0] = F::complex(qv_circuit::C64::from_polar(1.0, global_phase));
    }
    let plan = fusion::plan(gates, num_qubits, config.fusion);
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
        let n = 8;
        for trial in 0..40 {
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
            for r in 0..dim {
                matrix[r * dim + source[r]] = phases[r];
            }
            let state: Vec<Complex<f64>> = (0..1 << n)
                .map(|_| C64::new(rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0)))
                .collect();
            let mut a = state.clone();
            let mut b = state;
            kernels::apply_monomial(&mut a, n, &qubits, &controls, &source, &phases, 1);
            kernels::apply_dense(&mut b, n, &qubits, &controls, &matrix, 1);
            let max = a.iter().zip(&b).map(|(x, y)| (x - y).norm()).fold(0.0, f64::max);
            assert!(max < 1e-14, "trial {trial}: {max}");
        }
    }
}
