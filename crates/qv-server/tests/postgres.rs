//! The server on PostgreSQL (`QV_TEST_DATABASE_URL`; each test is
//! `#[ignore]`d with the reason, and CI runs them with `--include-ignored`): the full user path, the cross-process
//! event relay (LISTEN/NOTIFY) between two servers on one database, jobs
//! submitted to an API-only server starting at once on a worker elsewhere
//! (NOTIFY `qv_jobs_queued`), and many jobs submitted through two servers,
//! with workers in both, each completing exactly once.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use base64::Engine;
use common::{postgres_url, Db, Session, TestServer};
use futures_util::StreamExt;
use qv_server::config::ServerRole;
use serde_json::{json, Value};

const BELL: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n";

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect_ws(ts: &TestServer, token: &str) -> Ws {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!("{}/api/v1/events", ts.base.replacen("http://", "ws://", 1));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (ws, resp) = tokio_tungstenite::connect_async(req).await.expect("websocket connects");
    assert_eq!(resp.status(), 101);
    ws
}

/// Reads `job` messages until every job of `until` has ended; returns all
/// `job` messages read.
async fn read_until_ended(ws: &mut Ws, until: &[String], who: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut open: HashSet<&str> = until.iter().map(String::as_str).collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !open.is_empty() {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("{who}: no end of {open:?} within 30 s; saw {seen:?}"))
            .expect("stream open")
            .expect("frame");
        let Ok(text) = msg.to_text() else { continue };
        let Ok(v) = serde_json::from_str::<Value>(text) else { continue };
        if v["type"] != "job" {
            continue;
        }
        if matches!(v["status"].as_str(), Some("COMPLETED" | "FAILED" | "CANCELLED")) {
            open.remove(v["job_id"].as_str().unwrap_or_default());
        }
        seen.push(v);
    }
    seen
}

/// The statuses `events` carry for `job`, in order.
fn statuses(events: &[Value], job: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["job_id"] == job)
        .map(|e| e["status"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn submit(ts: &TestServer, token: &str, body: Value) -> String {
    let r = ts.http.post(ts.url("/api/v1/jobs")).bearer_auth(token).json(&body).send().await;
    let r = r.expect("submit request");
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    // A new job answers what was inserted, even when a worker has already
    // claimed it.
    assert_eq!((status, v["status"].as_str()), (201, Some("QUEUED")), "submit: {v}");
    assert!(v["queue_position"].as_i64().is_some_and(|p| p >= 1), "submit: {v}");
    v["id"].as_str().expect("job id").to_string()
}

async fn get(ts: &TestServer, path: &str, token: &str) -> (u16, Value) {
    let r = ts.http.get(ts.url(path)).bearer_auth(token).send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn bell(shots: u64) -> Value {
    json!({"program": {"format": "qasm2", "source": BELL}, "shots": shots})
}

/// A fresh server key shared by servers on one database (JWTs signed by one
/// verify on the other).
fn shared_key() -> String {
    let bytes: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(37).wrapping_add(11)).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set QV_TEST_DATABASE_URL and pass --include-ignored"]
async fn full_user_path_on_postgres() {
    let url = postgres_url("full_user_path_on_postgres").await;
    let ts = TestServer::start_with(Db::Postgres(url), |_| {}).await;
    let user: Session = ts.register("pguser").await;
    // A fresh login gives a working token too (register already logged in once).
    let tokens = ts.login("pguser", &user.password).await;
    let token = tokens["access_token"].as_str().unwrap().to_string();
    let (s, me) = get(&ts, "/api/v1/me", &token).await;
    assert_eq!((s, me["username"].as_str()), (200, Some("pguser")), "{me}");

    let mut ws = connect_ws(&ts, &token).await;
    let id = submit(
        &ts,
        &token,
        json!({"program": {"format": "qasm2", "source": BELL}, "shots": 1000, "seed": 11,
               "outputs": {"probabilities": true}}),
    )
    .await;
    let seen = read_until_ended(&mut ws, std::slice::from_ref(&id), "pguser").await;
    assert_eq!(statuses(&seen, &id), ["QUEUED", "RUNNING", "COMPLETED"], "{seen:?}");

    let (s, job) = get(&ts, &format!("/api/v1/jobs/{id}"), &token).await;
    assert_eq!((s, job["status"].as_str()), (200, Some("COMPLETED")), "{job}");
    assert!(job["started_at"].is_string() && job["ended_at"].is_string(), "{job}");
    let (s, r) = get(&ts, &format!("/api/v1/jobs/{id}/result"), &token).await;
    assert_eq!(s, 200, "{r}");
    let counts = r["counts"].as_object().expect("counts");
    assert!(counts.keys().all(|k| k == "00" || k == "11"), "Bell gives only 00 and 11: {r}");
    let n00 = counts.get("00").and_then(Value::as_u64).unwrap_or(0);
    let n11 = counts.get("11").and_then(Value::as_u64).unwrap_or(0);
    assert_eq!(n00 + n11, 1000, "{r}");
    assert!((350..=650).contains(&n00), "1000 fair coin flips gave {n00} zeros: {r}");
    assert!((r["probabilities"]["00"].as_f64().unwrap() - 0.5).abs() < 1e-9, "{r}");
    let (_, list) = get(&ts, "/api/v1/jobs", &token).await;
    assert_eq!(list["jobs"][0]["id"], id.as_str(), "{list}");
    drop(ws);
    ts.stop().await;
}

/// Server 1 runs the jobs, server 2 only serves the API: every event a
/// WebSocket on server 2 receives crossed processes through PostgreSQL
/// (submitted through server 1, run by server 1's workers). A token issued
/// by server 1 authenticates on server 2 (shared server key), and the
/// relayed stream is still per user.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set QV_TEST_DATABASE_URL and pass --include-ignored"]
async fn events_of_one_server_reach_websockets_on_another() {
    let url = postgres_url("events_of_one_server_reach_websockets_on_another").await;
    let key = shared_key();
    let k1 = key.clone();
    let s1 = TestServer::start_with(Db::Postgres(url.clone()), |c| {
        c.server_key = Some(k1);
        c.workers = 2;
    })
    .await;
    let s2 = TestServer::start_with(Db::Postgres(url), |c| {
        c.server_key = Some(key);
        c.role = ServerRole::Api;
    })
    .await;
    let alice = s1.register("alice").await;
    let bob = s1.register("bob").await;
    let mut a2 = connect_ws(&s2, &alice.access_token).await;
    let mut b2 = connect_ws(&s2, &bob.access_token).await;

    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(submit(&s1, &alice.access_token, bell(100)).await);
    }
    let seen = read_until_ended(&mut a2, &ids, "alice on server 2").await;
    for id in &ids {
        assert_eq!(statuses(&seen, id), ["QUEUED", "RUNNING", "COMPLETED"], "{id}: {seen:?}");
    }
    // Server 2 answers for the job too (same database).
    let (s, r) = get(&s2, &format!("/api/v1/jobs/{}/result", ids[0]), &alice.access_token).await;
    assert_eq!(s, 200, "{r}");

    // Bob's stream on server 2: his job's events, none of Alice's (which
    // were relayed before his job was submitted).
    let bob_job = vec![submit(&s1, &bob.access_token, bell(10)).await];
    let seen = read_until_ended(&mut b2, &bob_job, "bob on server 2").await;
    assert!(seen.iter().all(|e| e["job_id"] == bob_job[0].as_str()), "{seen:?}");
    assert_eq!(statuses(&seen, &bob_job[0]), ["QUEUED", "RUNNING", "COMPLETED"], "{seen:?}");
    drop((a2, b2));
    s2.stop().await;
    s1.stop().await;
}

/// Polls `GET /jobs/{id}` until the job is COMPLETED (30 s at most).
async fn wait_completed(ts: &TestServer, token: &str, id: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (s, job) = get(ts, &format!("/api/v1/jobs/{id}"), token).await;
        assert_eq!(s, 200, "{job}");
        if job["status"] == "COMPLETED" {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "not completed in 30 s: {job}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// `--role api` + a separate worker: a job submitted to an idle system
/// starts at once, woken by `NOTIFY qv_jobs_queued`, not at the worker's
/// next poll (500 ms). The worker's dispatcher goes idle right after it
/// starts a job, so with polling alone each job below would wait ~450 ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set QV_TEST_DATABASE_URL and pass --include-ignored"]
async fn a_job_submitted_to_an_api_server_starts_at_once_on_a_worker_elsewhere() {
    let test = "a_job_submitted_to_an_api_server_starts_at_once_on_a_worker_elsewhere";
    let url = postgres_url(test).await;
    let key = shared_key();
    let k1 = key.clone();
    let api = TestServer::start_with(Db::Postgres(url.clone()), |c| {
        c.server_key = Some(k1);
        c.role = ServerRole::Api;
    })
    .await;
    let worker = TestServer::start_with(Db::Postgres(url.clone()), |c| {
        c.server_key = Some(key);
        c.role = ServerRole::Worker;
        c.workers = 1;
    })
    .await;
    let user = api.register("latency").await;
    let token = user.access_token.as_str();
    // The first job also waits out the worker's LISTEN being set up.
    let first = submit(&api, token, bell(1)).await;
    wait_completed(&api, token, &first).await;
    let mut ids = Vec::new();
    for _ in 0..7 {
        let id = submit(&api, token, bell(1)).await;
        wait_completed(&api, token, &id).await;
        ids.push(id);
    }
    // Exact times (ms) from the database.
    let pool = sqlx::PgPool::connect(&url).await.expect("connect");
    let mut waits = Vec::new();
    for id in &ids {
        let (created, started): (i64, i64) =
            sqlx::query_as("SELECT created_at, started_at FROM jobs WHERE id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .expect("job row");
        waits.push(started - created);
    }
    pool.close().await;
    waits.sort_unstable();
    eprintln!("submit-to-start waits (ms): {waits:?}");
    let median = waits[waits.len() / 2];
    assert!(median < 150, "submit-to-start waits (ms) {waits:?}: median {median} ms");
    worker.stop().await;
    api.stop().await;
}

/// Many jobs submitted concurrently through two servers, both with workers,
/// on one database: every job completes exactly once (one RUNNING and one
/// COMPLETED event each: no job was claimed twice) and the workers of both
/// servers took part.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set QV_TEST_DATABASE_URL and pass --include-ignored"]
async fn jobs_through_two_servers_complete_exactly_once() {
    let url = postgres_url("jobs_through_two_servers_complete_exactly_once").await;
    let key = shared_key();
    let mut servers = Vec::new();
    for _ in 0..2 {
        let k = key.clone();
        let url = url.clone();
        servers.push(
            TestServer::start_with(Db::Postgres(url), |c| {
                c.server_key = Some(k);
                c.workers = 2;
            })
            .await,
        );
    }
    // Every claim (QUEUED -> RUNNING) is logged with its worker by a trigger
    // in this test's database, so "claimed once" and "both servers worked"
    // are read, not sampled.
    let pool = sqlx::PgPool::connect(&url).await.expect("connect");
    for ddl in [
        "CREATE TABLE test_claims (job_id TEXT NOT NULL, owner TEXT NOT NULL)",
        "CREATE FUNCTION test_log_claim() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
         INSERT INTO test_claims VALUES (NEW.id, NEW.lease_owner); RETURN NEW; END $$",
        "CREATE TRIGGER test_claims AFTER UPDATE ON jobs FOR EACH ROW \
         WHEN (OLD.status = 'QUEUED' AND NEW.status = 'RUNNING') EXECUTE FUNCTION test_log_claim()",
    ] {
        sqlx::query(ddl).execute(&pool).await.expect(ddl);
    }
    let users = [servers[0].register("many1").await, servers[1].register("many2").await];
    // Eight clients submit at once, each alternating between the servers, so
    // both servers accept (and wake their workers) throughout.
    let (clients, per_client) = (8, 30);
    let n = clients * per_client;
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let mut handles = Vec::new();
    for c in 0..clients {
        let (bases, http) = (bases.clone(), servers[0].http.clone());
        let token = users[c % 2].access_token.clone();
        handles.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for j in 0..per_client {
                let r = http
                    .post(format!("{}/api/v1/jobs", bases[(c + j) % 2]))
                    .bearer_auth(&token)
                    .json(&bell(16))
                    .send()
                    .await
                    .expect("submit");
                assert_eq!(r.status(), 201);
                ids.push(r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string());
            }
            ids
        }));
    }
    let mut ids = HashSet::new();
    for h in handles {
        ids.extend(h.await.unwrap());
    }
    assert_eq!(ids.len(), n);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let (done,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE status = 'COMPLETED'")
                .fetch_one(&pool)
                .await
                .unwrap();
        if done == n as i64 {
            break;
        }
        let (ended,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE status IN ('FAILED', 'CANCELLED')")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(ended, 0, "jobs failed or were cancelled");
        assert!(tokio::time::Instant::now() < deadline, "{done} of {n} completed after 90 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let rows: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT job_id, status, COUNT(*) FROM job_events GROUP BY job_id, status")
            .fetch_all(&pool)
            .await
            .unwrap();
    let mut per_job: HashMap<String, HashMap<String, i64>> = HashMap::new();
    for (job, status, count) in rows {
        per_job.entry(job).or_default().insert(status, count);
    }
    assert_eq!(per_job.len(), n, "events for jobs nobody submitted, or none for some");
    for id in &ids {
        let c = per_job.get(id).unwrap_or_else(|| panic!("no events for {id}"));
        let want: HashMap<String, i64> =
            [("QUEUED", 1), ("RUNNING", 1), ("COMPLETED", 1)].map(|(s, n)| (s.into(), n)).into();
        assert_eq!(c, &want, "events of {id}");
    }
    let (max_attempts,): (i64,) =
        sqlx::query_as("SELECT MAX(attempts) FROM jobs").fetch_one(&pool).await.unwrap();
    assert_eq!(max_attempts, 1, "a job was claimed more than once");
    let claims: Vec<(String, String)> =
        sqlx::query_as("SELECT job_id, owner FROM test_claims").fetch_all(&pool).await.unwrap();
    assert_eq!(claims.len(), n, "claims: one per job");
    assert_eq!(claims.iter().map(|c| &c.0).collect::<HashSet<_>>().len(), n);
    let mut by_owner: HashMap<&str, usize> = HashMap::new();
    for (_, owner) in &claims {
        *by_owner.entry(owner).or_default() += 1;
    }
    eprintln!("claims per worker pool: {by_owner:?}");
    assert_eq!(by_owner.len(), 2, "the workers of both servers claim jobs: {by_owner:?}");
    pool.close().await;
    for s in servers {
        s.stop().await;
    }
}

/// Test databases carry their creation time; creating one drops those over
/// an hour old and keeps younger ones (another test run may be using them).
#[tokio::test]
#[ignore = "needs PostgreSQL: set QV_TEST_DATABASE_URL and pass --include-ignored"]
async fn creating_a_test_database_drops_those_over_an_hour_old() {
    let test = "creating_a_test_database_drops_those_over_an_hour_old";
    let base = common::postgres_base(test);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let stale = format!("qv_test_{}_{tag}_stale", now.as_secs() - 2 * 3600);
    let young = format!("qv_test_{}_{tag}_young", now.as_secs() - 600);
    let admin = sqlx::PgPool::connect(&base).await.expect("connect");
    for name in [&stale, &young] {
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.expect("create");
    }
    let fresh = postgres_url(test).await;
    let fresh = fresh.rsplit_once('/').unwrap().1.to_string();
    let exists = |name: String| {
        let admin = admin.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
                .bind(name)
                .fetch_one(&admin)
                .await
                .expect("query")
                == 1
        }
    };
    let found =
        (exists(stale.clone()).await, exists(young.clone()).await, exists(fresh.clone()).await);
    for name in [&young, &fresh] {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&admin)
            .await;
    }
    admin.close().await;
    assert_eq!(found, (false, true, true), "(stale, young, fresh) exist");
}
