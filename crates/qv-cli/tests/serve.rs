//! `qv serve` as a process: start-up log, graceful shutdown on SIGTERM, and
//! crash recovery (SIGKILL with jobs queued and running; after a restart on
//! the same data directory every accepted job completes exactly once).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const BELL: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n";

/// A circuit that takes a noticeable time on a state-vector backend (many
/// layers over 15 qubits: about a second in a debug build), so a SIGKILL
/// finds it running.
fn slow_circuit() -> String {
    let n = 15;
    let mut s = format!("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[{n}];\ncreg c[{n}];\n");
    for layer in 0..20 {
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

/// A `qv serve` child process with its log collected.
struct Qv {
    child: Child,
    base: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Qv {
    fn start(data_dir: &Path) -> Qv {
        let mut child = Command::new(env!("CARGO_BIN_EXE_qv"))
            .args(["serve", "--port", "0", "--workers", "2", "--data-dir"])
            .arg(data_dir)
            .env("QV_LOG_FORMAT", "json")
            .env("QV_LOG_LEVEL", "info,qv_server::http=warn")
            .env("QV_RATE_LIMIT_PER_S", "100000")
            .env("QV_RATE_LIMIT_BURST", "100000")
            .env("QV_AUTH_RATE_LIMIT_PER_MIN", "100000")
            // Short leases: jobs the killed process held come back quickly.
            .env("QV_LEASE_S", "2")
            .env("QV_SHUTDOWN_GRACE_S", "10")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("qv serve starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        // Drain both streams for the whole life of the process (a full pipe
        // would block the server's logging).
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let log = log.clone();
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Ok(v) = serde_json::from_str::<Value>(&line) {
                        if v["message"].as_str().is_some_and(|m| m.starts_with("listening")) {
                            let _ = tx.send(v["url"].as_str().unwrap_or_default().to_string());
                        }
                    }
                    log.lock().unwrap().push(line);
                }
            });
        }
        let base = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!("no `listening` log line; log:\n{}", log.lock().unwrap().join("\n"));
            }
        };
        assert!(base.starts_with("http://127.0.0.1:") && !base.ends_with(":0"), "{base}");
        Qv { child, base, log }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    fn kill9(&mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }

    /// SIGTERM; returns the exit status and how long the shutdown took.
    fn terminate(&mut self, limit: Duration) -> (std::process::ExitStatus, Duration) {
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
                panic!("qv serve did not stop within {limit:?} of SIGTERM; log:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Qv {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

async fn register(http: &reqwest::Client, qv: &Qv, username: &str) -> String {
    let password = "correct horse battery staple";
    let r = http
        .post(qv.url("/api/v1/auth/register"))
        .json(&json!({"email": format!("{username}@example.com"), "username": username, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    login(http, qv, username).await
}

async fn login(http: &reqwest::Client, qv: &Qv, username: &str) -> String {
    let r = http
        .post(qv.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": "correct horse battery staple"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    r.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string()
}

async fn submit(
    http: &reqwest::Client,
    qv: &Qv,
    token: &str,
    source: &str,
    priority: u8,
) -> String {
    let r = http
        .post(qv.url("/api/v1/jobs"))
        .bearer_auth(token)
        .json(&json!({"program": {"format": "qasm2", "source": source}, "shots": 32, "priority": priority}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
}

async fn status(http: &reqwest::Client, qv: &Qv, token: &str, id: &str) -> String {
    let r =
        http.get(qv.url(&format!("/api/v1/jobs/{id}"))).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    r.json::<Value>().await.unwrap()["status"].as_str().unwrap().to_string()
}

/// Waits until every job is COMPLETED (panics on FAILED/CANCELLED or timeout).
async fn wait_all_completed(
    http: &reqwest::Client,
    qv: &Qv,
    token: &str,
    ids: &[String],
    limit: Duration,
) {
    let deadline = Instant::now() + limit;
    let mut pending: Vec<&String> = ids.iter().collect();
    while !pending.is_empty() {
        let mut still = Vec::new();
        for id in pending {
            match status(http, qv, token, id).await.as_str() {
                "COMPLETED" => {}
                s @ ("FAILED" | "CANCELLED") => panic!("job {id} ended {s}; log:\n{}", qv.log()),
                _ => still.push(id),
            }
        }
        pending = still;
        if !pending.is_empty() {
            assert!(
                Instant::now() < deadline,
                "{} jobs not completed after {limit:?}, e.g. {}",
                pending.len(),
                pending[0]
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// Jobs with more than one COMPLETED event, and how many jobs are COMPLETED.
async fn completion_audit(data_dir: &Path) -> (Vec<(String, i64)>, i64) {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
    let opts = SqliteConnectOptions::new().filename(data_dir.join("qv.db")).read_only(true);
    let pool = SqlitePoolOptions::new().max_connections(1).connect_with(opts).await.unwrap();
    let twice: Vec<(String, i64)> = sqlx::query_as(
        "SELECT job_id, COUNT(*) FROM job_events WHERE status = 'COMPLETED' GROUP BY job_id HAVING COUNT(*) > 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let (completed,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE status = 'COMPLETED'")
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    (twice, completed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_shuts_down_gracefully_and_running_jobs_survive() {
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let mut qv = Qv::start(dir.path());
    let token = register(&http, &qv, "grace").await;
    let slow = submit(&http, &qv, &token, &slow_circuit(), 9).await;
    // Wait until it runs, then ask the server to stop.
    let t = Instant::now();
    while status(&http, &qv, &token, &slow).await == "QUEUED" {
        assert!(t.elapsed() < Duration::from_secs(30), "job never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (exit, took) = qv.terminate(Duration::from_secs(40));
    assert!(exit.success(), "exit {exit:?}; log:\n{}", qv.log());
    assert!(qv.log().contains("\"stopped\""), "{}", qv.log());
    // Readiness is gone with the listener: a new connection is refused.
    assert!(http.get(qv.url("/healthz")).send().await.is_err());
    drop(qv);
    eprintln!("graceful shutdown took {took:?}");

    // The job either finished before exit or went back to the queue.
    let qv = Qv::start(dir.path());
    let token = login(&http, &qv, "grace").await;
    wait_all_completed(&http, &qv, &token, &[slow], Duration::from_secs(120)).await;
    let (twice, completed) = completion_audit(dir.path()).await;
    assert!(twice.is_empty(), "completed twice: {twice:?}");
    assert_eq!(completed, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_accepted_job_and_runs_none_twice() {
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let mut qv = Qv::start(dir.path());
    let token = register(&http, &qv, "crash").await;

    let mut ids = Vec::new();
    // Slow, high-priority jobs first: the workers are busy with them when the process dies.
    let slow = slow_circuit();
    for _ in 0..8 {
        ids.push(submit(&http, &qv, &token, &slow, 9).await);
    }
    for _ in 0..200 {
        ids.push(submit(&http, &qv, &token, BELL, 5).await);
    }
    // Kill while jobs are still outstanding (the test means nothing otherwise).
    let mut outstanding = 0;
    for id in &ids[..8] {
        if status(&http, &qv, &token, id).await != "COMPLETED" {
            outstanding += 1;
        }
    }
    qv.kill9();
    assert!(outstanding > 0, "every job finished before the kill; make the slow circuit slower");

    let qv = Qv::start(dir.path());
    let token = login(&http, &qv, "crash").await;
    wait_all_completed(&http, &qv, &token, &ids, Duration::from_secs(180)).await;
    let (twice, completed) = completion_audit(dir.path()).await;
    assert!(twice.is_empty(), "jobs completed more than once: {twice:?}");
    assert_eq!(completed, ids.len() as i64);
    drop(qv);
}
