//! Scale-out with the real binary on PostgreSQL (`QV_TEST_DATABASE_URL`;
//! `#[ignore]`d with the reason, run by CI with `--include-ignored`): `qv serve --role api`
//! runs no jobs, a separate `qv worker` process on the same database runs
//! them, and after the worker is killed (SIGKILL) mid-batch another worker
//! finishes every job, each exactly once (the dead worker's leases expire).

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod support;

use support::{qv_command, slow_circuit, QvProc, BELL};

/// Starts `qv ARGS` on `database` with 2-second leases (jobs a killed worker
/// held come back within seconds) and waits for the log line whose message
/// starts with `ready`.
fn start(
    name: &'static str,
    args: &[&str],
    dir: &Path,
    database: &str,
    ready: &str,
) -> (QvProc, Value) {
    let mut cmd = qv_command();
    cmd.args(args)
        .arg("--data-dir")
        .arg(dir)
        .args(["--database-url", database])
        .env("QV_LEASE_S", "2")
        .env("QV_SHUTDOWN_GRACE_S", "5");
    QvProc::start(name, cmd, ready)
}

/// A fresh database on the server of `QV_TEST_DATABASE_URL` (panics when
/// it is unset: the test is `#[ignore]`d unless asked for). Named `qv_test_<unix seconds>_...`
/// like crates/qv-server/tests/common's, so either drops the other's once
/// they are over an hour old (never a database a running test may use).
async fn fresh_database(test: &str) -> String {
    let base = std::env::var("QV_TEST_DATABASE_URL")
        .unwrap_or_else(|_| panic!("{test} runs on PostgreSQL: set QV_TEST_DATABASE_URL"));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let secs = now.as_secs();
    let name = format!("qv_test_{secs}_scale_{}_{}", std::process::id(), now.subsec_nanos());
    let admin = sqlx::PgPool::connect(&base).await.expect("connect to QV_TEST_DATABASE_URL");
    drop_stale_test_databases(&admin, secs).await;
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.expect("create database");
    admin.close().await;
    let (prefix, _) = base.rsplit_once('/').expect("QV_TEST_DATABASE_URL ends in /DATABASE");
    format!("{prefix}/{name}")
}

/// Drops the `qv_test_<unix seconds>_...` databases created over an hour
/// before `now`. Other test processes may be dropping the same ones:
/// failures are reported, never fatal.
async fn drop_stale_test_databases(admin: &sqlx::PgPool, now: u64) {
    let names: Vec<String> =
        match sqlx::query_scalar("SELECT datname FROM pg_database WHERE starts_with(datname, $1)")
            .bind("qv_test_")
            .fetch_all(admin)
            .await
        {
            Ok(names) => names,
            Err(e) => {
                eprintln!("cannot list old test databases: {e}");
                return;
            }
        };
    for name in names {
        let created = name
            .strip_prefix("qv_test_")
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok());
        let Some(created) = created else { continue };
        if now.saturating_sub(created) <= 3600
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            continue;
        }
        let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        if let Err(e) = sqlx::query(&drop).execute(admin).await {
            eprintln!("cannot drop old test database {name} (another test run may be): {e}");
        }
    }
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    async fn register(base: &str, username: &str) -> Client {
        let http = reqwest::Client::new();
        let password = "correct horse battery staple";
        let r = http
            .post(format!("{base}/api/v1/auth/register"))
            .json(&json!({"email": format!("{username}@example.com"), "username": username, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
        let r = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
        let token = r.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string();
        Client { http, base: base.to_string(), token }
    }

    async fn submit(&self, source: &str, priority: u8) -> String {
        let r = self
            .http
            .post(format!("{}/api/v1/jobs", self.base))
            .bearer_auth(&self.token)
            .json(&json!({"program": {"format": "qasm2", "source": source}, "shots": 32, "priority": priority}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
        r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
    }

    async fn status(&self, id: &str) -> String {
        let r = self
            .http
            .get(format!("{}/api/v1/jobs/{id}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
        r.json::<Value>().await.unwrap()["status"].as_str().unwrap().to_string()
    }
}

/// Job counts by status.
async fn by_status(pool: &sqlx::PgPool) -> HashMap<String, i64> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM jobs GROUP BY status")
            .fetch_all(pool)
            .await
            .unwrap();
    rows.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set QV_TEST_DATABASE_URL and pass --include-ignored"]
async fn api_server_and_separate_workers_survive_a_killed_worker() {
    let test = "api_server_and_separate_workers_survive_a_killed_worker";
    let db = fresh_database(test).await;
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (_api, listening) = start(
        "qv serve --role api",
        &["serve", "--role", "api", "--port", "0"],
        dir.path(),
        &db,
        "listening",
    );
    let base = listening["url"].as_str().expect("url in the listening line").to_string();
    assert!(base.starts_with("http://127.0.0.1:") && !base.ends_with(":0"), "{base}");
    assert_eq!(listening["role"], "api", "{listening}");
    let client = Client::register(&base, "scaler").await;
    eprintln!("{:?}: API up, user registered", started.elapsed());
    let pool = sqlx::PgPool::connect(&db).await.expect("connect");

    // The API process runs nothing by itself.
    let first = client.submit(BELL, 5).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(client.status(&first).await, "QUEUED", "`qv serve --role api` ran a job");

    // A worker process runs it.
    let worker_args = ["worker", "--workers", "2"];
    let (mut w1, _) = start("qv worker 1", &worker_args, dir.path(), &db, "worker started");
    let t = Instant::now();
    while client.status(&first).await != "COMPLETED" {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the worker did not run the job; log:\n{}",
            w1.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    eprintln!("{:?}: first worker ran the first job", started.elapsed());
    // A batch: slow jobs first (they occupy the worker), then quick ones.
    let slow = slow_circuit(14, 12);
    let mut ids = vec![first];
    for _ in 0..3 {
        ids.push(client.submit(&slow, 9).await);
    }
    for _ in 0..40 {
        ids.push(client.submit(BELL, 5).await);
    }
    let t = Instant::now();
    while client.status(&ids[1]).await == "QUEUED" {
        assert!(t.elapsed() < Duration::from_secs(30), "no slow job started; log:\n{}", w1.log());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    w1.kill9();
    // Jobs were held by the dead worker: otherwise this proves nothing.
    let at_kill = by_status(&pool).await;
    let held = at_kill.get("RUNNING").copied().unwrap_or(0);
    assert!(held > 0, "the worker held no job when it died: {at_kill:?}");
    eprintln!("{:?}: killed the worker holding {at_kill:?}", started.elapsed());

    let (w2, _) = start("qv worker 2", &worker_args, dir.path(), &db, "worker started");
    eprintln!("{:?}: second worker started", started.elapsed());
    let total = ids.len() as i64;
    let t = Instant::now();
    loop {
        let now = by_status(&pool).await;
        let done = now.get("COMPLETED").copied().unwrap_or(0);
        if done == total {
            break;
        }
        assert!(
            !now.contains_key("FAILED") && !now.contains_key("CANCELLED"),
            "jobs ended badly: {now:?}; log:\n{}",
            w2.log()
        );
        assert!(t.elapsed() < Duration::from_secs(120), "{now:?} after 120 s; log:\n{}", w2.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    eprintln!("{:?}: all {total} jobs completed", started.elapsed());
    // Exactly once: one COMPLETED event per job; the jobs the dead worker
    // held were claimed again (a second RUNNING event).
    let events: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT job_id, status, COUNT(*) FROM job_events GROUP BY job_id, status")
            .fetch_all(&pool)
            .await
            .unwrap();
    let count = |job: &str, status: &str| {
        events.iter().find(|(j, s, _)| j == job && s == status).map_or(0, |e| e.2)
    };
    for id in &ids {
        assert_eq!(count(id, "COMPLETED"), 1, "COMPLETED events of {id}");
    }
    let reclaimed = ids.iter().filter(|id| count(id, "RUNNING") > 1).count() as i64;
    assert_eq!(reclaimed, held, "every job the dead worker held ran again, and only those");
    // `attempts` counts starts: a held job the dead worker had claimed but
    // not yet started runs again without a second attempt.
    let retried: Vec<(String, i64)> =
        sqlx::query_as("SELECT id, attempts FROM jobs WHERE attempts <> 1")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(retried.len() as i64 <= held, "{retried:?} (held {held})");
    for (id, attempts) in &retried {
        assert_eq!(*attempts, 2, "{id}: only a job that started on the dead worker starts twice");
        assert!(count(id, "RUNNING") > 1, "{id} was retried but not reclaimed");
    }
    pool.close().await;
    // Through the API too, with the run time of a slow job.
    let r = client
        .http
        .get(format!("{base}/api/v1/jobs/{}", ids[1]))
        .bearer_auth(&client.token)
        .send()
        .await
        .unwrap();
    let job: Value = r.json().await.unwrap();
    assert_eq!(job["status"], "COMPLETED", "{job}");
    eprintln!("a slow job ran {} s", job["execution_time_s"]);
}
