//! Cooperative cancellation through `RunConfig::cancel`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use qv_circuit::{Circuit, StandardGate};
use qv_sim::{Backend, NoiseModel, RunConfig, SimError};

fn flag(set: bool) -> Option<Arc<AtomicBool>> {
    Some(Arc::new(AtomicBool::new(set)))
}

/// A non-Clifford circuit with a mid-circuit measurement (so the reference
/// simulator runs shot by shot) on `n` qubits.
fn dynamic(n: usize) -> Circuit {
    let c = (0..n).fold(Circuit::with_clbits(n, n), |c, q| c.h(q).t(q));
    let c = c.measure(0, 0).h(0);
    (0..n).fold(c, |c, q| c.measure(q, q))
}

#[test]
fn a_set_flag_stops_every_backend() {
    let noise = Some(Arc::new(
        NoiseModel::from_json(
            r#"{"errors": [{"gates": ["h"], "channel": {"type": "depolarizing", "p": 0.01, "num_qubits": 1}}]}"#,
        )
        .unwrap(),
    ));
    let ghz = Circuit::with_clbits(3, 3).h(0).cx(0, 1).cx(1, 2);
    let measured = |c: Circuit| c.measure(0, 0).measure(1, 1).measure(2, 2);
    let cases = [
        (Backend::Statevector, measured(ghz.clone().t(0)), None),
        (Backend::Reference, dynamic(3), None),
        (Backend::Stabilizer, measured(ghz), None),
        (Backend::DensityMatrix, dynamic(3), noise.clone()),
        (Backend::Trajectories, dynamic(3), noise),
    ];
    for (backend, circuit, noise) in cases {
        let config =
            RunConfig { backend, shots: 100, noise, cancel: flag(true), ..RunConfig::default() };
        assert_eq!(qv_sim::run(&circuit, &config), Err(SimError::Cancelled), "{backend}");
        let config = RunConfig { cancel: flag(false), ..config };
        assert!(qv_sim::run(&circuit, &config).is_ok(), "{backend} runs when the flag is clear");
    }
}

#[test]
fn a_long_run_stops_soon_after_the_flag_is_set() {
    for backend in [Backend::Statevector, Backend::Reference] {
        // Thousands of passes over a 2^20 state: seconds of work.
        let n = 20;
        let mut c = Circuit::with_clbits(n, n);
        for layer in 0..400 {
            for q in 0..n {
                c = c.gate(StandardGate::Rx, &[0.1 + layer as f64 * 1e-3], &[q]);
            }
            for q in 0..n - 1 {
                c = c.cx(q, q + 1);
            }
        }
        let c = (0..n).fold(c, |c, q| c.measure(q, q));
        let cancel = Arc::new(AtomicBool::new(false));
        let config = RunConfig {
            backend,
            shots: 10,
            fusion: false,
            cancel: Some(cancel.clone()),
            ..RunConfig::default()
        };
        let setter = {
            let cancel = cancel.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(100));
                cancel.store(true, Ordering::Relaxed);
                Instant::now()
            })
        };
        let result = qv_sim::run(&c, &config);
        let stopped = Instant::now();
        let set_at = setter.join().unwrap();
        assert_eq!(result, Err(SimError::Cancelled), "{backend}");
        let lag = stopped.saturating_duration_since(set_at);
        assert!(lag < Duration::from_millis(500), "{backend} stopped {lag:?} after the flag");
    }
}
