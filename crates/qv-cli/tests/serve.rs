//! `qv serve` as a process: start-up log, graceful shutdown on SIGTERM, and
//! crash recovery (SIGKILL with jobs queued and running; after a restart on
//! the same data directory every accepted job completes exactly once).

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod support;

use support::{qv_command, slow_circuit, QvProc, BELL};

/// A `qv serve` process and its base URL.
struct Qv {
    proc: QvProc,
    base: String,
}

impl std::ops::Deref for Qv {
    type Target = QvProc;
    fn deref(&self) -> &QvProc {
        &self.proc
    }
}

impl std::ops::DerefMut for Qv {
    fn deref_mut(&mut self) -> &mut QvProc {
        &mut self.proc
    }
}

impl Qv {
    fn start(data_dir: &Path) -> Qv {
        let mut cmd = qv_command();
        cmd.args(["serve", "--port", "0", "--workers", "2", "--data-dir"])
            .arg(data_dir)
            // Short leases: jobs the killed process held come back quickly.
            .env("QV_LEASE_S", "2")
            .env("QV_SHUTDOWN_GRACE_S", "10");
        let (proc, base) = QvProc::serve(cmd);
        Qv { proc, base }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
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
    let slow = submit(&http, &qv, &token, &slow_circuit(15, 20), 9).await;
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
    for _ in 0..200 {
        ids.push(submit(&http, &qv, &token, BELL, 5).await);
    }
    // Then slow, high-priority jobs (they go first in this user's queue): the
    // workers are busy with them when the process dies. Submitted last, so
    // the time the Bell submissions take cannot let them all finish first.
    let slow = slow_circuit(15, 20);
    for _ in 0..8 {
        ids.push(submit(&http, &qv, &token, &slow, 9).await);
    }
    // Kill while jobs are still outstanding (the test means nothing otherwise).
    let mut outstanding = 0;
    for id in &ids[200..] {
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
