//! Times single passes of the fast engine against the machine's memory bandwidth.
//!
//! `cargo run --release -p qv-sim --example passes -- [QUBITS] [f64|f32] [--json]`
//! Bandwidth is measured as an in-place complex scale (read + write of the whole
//! state), the same traffic as one unfused gate pass.

use num_complex::Complex;
use qv_circuit::{StandardGate, C64};
use qv_sim::fast::{self, Real};
use std::time::Instant;

fn time<T>(reps: usize, mut f: impl FnMut() -> T) -> f64 {
    f();
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    best
}

fn run<F: Real>(n: usize, json: bool) {
    let mut amps = vec![Complex::new(F::from_f64(0.5f64.powf(n as f64 / 2.0)), F::zero()); 1 << n];
    let bytes = 2.0 * (F::AMP_BYTES as f64) * (1u64 << n) as f64;
    let threads = rayon::current_num_threads();
    let bw = time(5, || fast::scale(&mut amps, C64::from_polar(1.0, 0.1)));
    if json {
        let h = StandardGate::H.matrix(&[]);
        let t = time(5, || fast::apply_dense(&mut amps, n, &[n / 2], &[], h.data(), threads));
        println!(
            "{{\"qubits\": {n}, \"threads\": {threads}, \"bandwidth_gbs\": {}, \"h_pass_gbs\": {}}}",
            bytes / bw / 1e9,
            bytes / t / 1e9
        );
        return;
    }
    println!("{} n={n} threads={threads}", F::NAME);
    println!("  bandwidth (in-place scale): {:.2} GB/s  ({:.2} ms)", bytes / bw / 1e9, bw * 1e3);
    let h = StandardGate::H.matrix(&[]);
    for q in [0, 1, 5, n / 2, n - 1] {
        let t = time(5, || fast::apply_dense(&mut amps, n, &[q], &[], h.data(), threads));
        println!("  h on q{q:<2}: {:7.2} ms  {:5.1}% of bandwidth", t * 1e3, 100.0 * bw / t);
    }
    for k in 2..=6usize {
        let qubits: Vec<usize> = (0..k).map(|i| 3 + 3 * i).collect();
        let m = qv_circuit::Matrix::identity(1 << k);
        let t = time(3, || fast::apply_dense(&mut amps, n, &qubits, &[], m.data(), threads));
        println!("  dense k={k}: {:7.2} ms  {:5.1}% of bandwidth", t * 1e3, 100.0 * bw / t);
    }
    // Permutation passes, against the bandwidth for the amplitudes they move,
    // on distinct amplitudes (passes skip rows whose values do not change).
    for (i, a) in amps.iter_mut().enumerate() {
        *a = Complex::new(F::from_f64((i % 1013) as f64 * 1e-5), F::from_f64(1e-6));
    }
    let one = C64::new(1.0, 0.0);
    // (name, targets, controls, source, fraction of the state moved)
    type Case = (&'static str, Vec<usize>, Vec<usize>, Vec<usize>, f64);
    let monomials: [Case; 4] = [
        ("x on q0", vec![0], vec![], vec![1, 0], 1.0),
        ("cx mid -> mid+1", vec![n / 2 + 1], vec![n / 2], vec![1, 0], 0.5),
        ("cx q1->q0", vec![0], vec![1], vec![1, 0], 0.5),
        ("4-cycle k=4", vec![3, 6, 9, 12], vec![], (0..16).map(|i| (i + 1) % 16).collect(), 1.0),
    ];
    for (name, qubits, controls, source, moved) in monomials {
        let phases = vec![one; source.len()];
        let t = time(5, || {
            fast::apply_monomial(&mut amps, n, &qubits, &controls, &source, &phases, threads)
        });
        println!(
            "  monomial {name:16}: {:7.2} ms  {:5.1}% of bandwidth",
            t * 1e3,
            100.0 * bw * moved / t
        );
    }
    let diag: Vec<C64> = (0..1 << 8).map(|i| C64::from_polar(1.0, i as f64)).collect();
    let qubits: Vec<usize> = (0..8).map(|i| 2 * i + 1).collect();
    let t = time(5, || fast::apply_diagonal(&mut amps, n, &qubits, &diag, threads));
    println!("  diagonal k=8: {:7.2} ms  {:5.1}% of bandwidth", t * 1e3, 100.0 * bw / t);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(24);
    let json = args.iter().any(|a| a == "--json");
    match args.get(2).map(String::as_str) {
        Some("f32") => run::<f32>(n, json),
        _ => run::<f64>(n, json),
    }
}
