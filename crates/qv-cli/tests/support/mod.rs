//! Shared by the tests that run `qv serve` / `qv worker` as real processes:
//! circuits and a child process whose log is drained and kept.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BELL: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n";

/// Layers of rotations and a CNOT chain on `qubits` qubits: a circuit that
/// runs long enough on a state-vector backend to be found running.
pub fn slow_circuit(qubits: usize, layers: usize) -> String {
    let n = qubits;
    let mut s = format!("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[{n}];\ncreg c[{n}];\n");
    for layer in 0..layers {
        for q in 0..n {
            s.push_str(&format!("rx({}) q[{q}];\n", 0.1 + layer as f64 * 0.01));
        }
        for q in 0..n - 1 {
            s.push_str(&format!("cx q[{q}],q[{}];\n", q + 1));
        }
    }
    s.push_str("measure q -> c;\n");
    s
}

/// A `qv` child process with its log collected; killed on drop, and its log
/// printed when the test panics.
pub struct QvProc {
    pub name: &'static str,
    pub child: Child,
    log: Arc<Mutex<Vec<String>>>,
}

impl QvProc {
    /// Starts `qv ARGS` (`args` is a Command of the `qv` binary with its
    /// arguments and any extra environment) with JSON logs and lifted rate
    /// limits, and waits for the log line whose message starts with `ready`.
    pub fn start(name: &'static str, mut args: Command, ready: &str) -> (QvProc, Value) {
        let mut child = args
            .env("QV_LOG_FORMAT", "json")
            .env("QV_LOG_LEVEL", "info,qv_server::http=warn")
            .env("QV_RATE_LIMIT_PER_S", "100000")
            .env("QV_RATE_LIMIT_BURST", "100000")
            .env("QV_AUTH_RATE_LIMIT_PER_MIN", "100000")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{name}: qv starts: {e}"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        // Drain both streams for the life of the process (a full pipe would
        // block its logging).
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let (log, tx, ready) = (log.clone(), tx.clone(), ready.to_string());
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Ok(v) = serde_json::from_str::<Value>(&line) {
                        if v["message"].as_str().is_some_and(|m| m.starts_with(&ready)) {
                            let _ = tx.send(v);
                        }
                    }
                    log.lock().unwrap().push(line);
                }
            });
        }
        let proc = QvProc { name, child, log };
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => (proc, line),
            Err(_) => panic!("{name}: no `{ready}` log line; log:\n{}", proc.log()),
        }
    }

    /// `qv serve ARGS`, waiting for its `listening` line; returns the process
    /// and its base URL (`http://127.0.0.1:PORT`).
    pub fn serve(args: Command) -> (QvProc, String) {
        let (proc, line) = QvProc::start("qv serve", args, "listening");
        let base = line["url"].as_str().unwrap_or_default().to_string();
        assert!(base.starts_with("http://127.0.0.1:") && !base.ends_with(":0"), "{base}");
        (proc, base)
    }

    /// Everything the process has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// SIGKILL, and wait for the process to be gone.
    pub fn kill9(&mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }

    /// SIGTERM; returns the exit status and how long the shutdown took.
    pub fn terminate(&mut self, limit: Duration) -> (ExitStatus, Duration) {
        let t = Instant::now();
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(ok.success());
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, t.elapsed());
            }
            if t.elapsed() > limit {
                let _ = self.child.kill();
                panic!(
                    "{} did not stop within {limit:?} of SIGTERM; log:\n{}",
                    self.name,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for QvProc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            eprintln!("--- log of {} ---\n{}", self.name, self.log());
        }
    }
}

/// A `Command` for the `qv` binary under test.
pub fn qv_command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_qv"))
}
