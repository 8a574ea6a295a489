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

/// `n` qubits in |+⟩, all measured: cheap to simulate, while every shot is a
/// new outcome, so sampling and counting are the long part.
fn plus_state(n: usize) -> Circuit {
    let c = (0..n).fold(Circuit::with_clbits(n, n), |c, q| c.h(q));
    (0..n).fold(c, |c, q| c.measure(q, q))
}

/// Runs `circuit` with a flag that another thread sets after `delay`; returns
/// the result and how long after the flag was set the run returned.
fn run_cancelled_after(
    circuit: &Circuit,
    config: RunConfig,
    delay: Duration,
) -> (Result<qv_sim::RunResult, SimError>, Duration) {
    let cancel = Arc::new(AtomicBool::new(false));
    let config = RunConfig { cancel: Some(cancel.clone()), ..config };
    let setter = std::thread::spawn(move || {
        std::thread::sleep(delay);
        cancel.store(true, Ordering::Relaxed);
        Instant::now()
    });
    let result = qv_sim::run(circuit, &config);
    let stopped = Instant::now();
    let set_at = setter.join().unwrap();
    (result, stopped.saturating_duration_since(set_at))
}

#[test]
fn a_million_shot_stabilizer_job_stops_in_sampling() {
    // Measured in a debug build: compiling the sampler takes 0.14 s and 32,768
    // shots 2 s, so 1,000,000 shots (each a distinct 2,000-bit key, 2 GB of
    // counts keys) would take about a minute: the flag, set after 1 s, lands
    // in sampling. The memory cap makes a run that ignored the flag fail on
    // the counts' size instead of formatting them.
    let config = RunConfig {
        backend: Backend::Stabilizer,
        shots: 1_000_000,
        max_memory_bytes: Some(1 << 30),
        ..RunConfig::default()
    };
    let (result, lag) = run_cancelled_after(&plus_state(2000), config, Duration::from_secs(1));
    assert_eq!(result.map(|r| r.shots), Err(SimError::Cancelled));
    assert!(lag < Duration::from_secs(10), "stopped {lag:?} after the flag");
}

#[test]
fn ten_million_shots_stop_in_drawing_and_counting() {
    // Measured in a debug build: simulating takes 0.5 s and 2,000,000 shots
    // 9.5 s, so MAX_SHOTS would take most of a minute; the flag comes after 1 s.
    for backend in [Backend::Statevector, Backend::Reference] {
        let config = RunConfig { backend, shots: qv_sim::MAX_SHOTS, ..RunConfig::default() };
        let (result, lag) = run_cancelled_after(&plus_state(20), config, Duration::from_secs(1));
        assert_eq!(result.map(|r| r.shots), Err(SimError::Cancelled), "{backend}");
        assert!(lag < Duration::from_secs(10), "{backend} stopped {lag:?} after the flag");
    }
}

#[test]
fn a_wide_stabilizer_reference_shot_stops() {
    // Alternating h and measure: each measurement is a random outcome in its
    // own group, so the reference shot transposes the 3000-qubit tableau 3000
    // times. In a debug build, without the check in the reference shot, this
    // run stopped 330 s after the flag (set after 0.5 s).
    let n = 3000;
    let c = (0..n).fold(Circuit::with_clbits(n, n), |c, q| c.h(q).measure(q, q));
    let config = RunConfig { backend: Backend::Stabilizer, shots: 1000, ..RunConfig::default() };
    let (result, lag) = run_cancelled_after(&c, config, Duration::from_millis(500));
    assert_eq!(result.map(|r| r.shots), Err(SimError::Cancelled));
    assert!(lag < Duration::from_secs(10), "stopped {lag:?} after the flag");
}
