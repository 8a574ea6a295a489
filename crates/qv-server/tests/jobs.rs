//! Jobs through the real HTTP server (SQLite, and PostgreSQL when
//! `QV_TEST_DATABASE_URL` is set), and the queue's store operations directly.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{long_circuit, postgres_url, Api, Db, TestServer};
use qv_server::config::ServerRole;
use qv_server::model::{JobStatus, Role};
use qv_server::store::{Finish, JobFilter, NewJob, Outcome, Store};
use serde_json::{json, Value};

const BELL: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n";

fn bell(shots: u64) -> Value {
    json!({"program": {"format": "qasm2", "source": BELL}, "shots": shots})
}

async fn bell_and_result_shapes(srv: &TestServer) {
    let alice = srv.register("alice").await;
    let api = Api::of(srv, &alice);
    let id = api
        .submit(json!({
            "program": {"format": "qasm2", "source": BELL},
            "shots": 500, "seed": 7, "memory": true, "name": "bell", "tags": ["demo"],
            "outputs": {"probabilities": true, "statevector": true},
            "observables": ["Z0 Z1", "X0"],
        }))
        .await;
    let job = api.wait_for(&id, &["COMPLETED", "FAILED"], Duration::from_secs(30)).await;
    assert_eq!(job["status"], "COMPLETED", "{job}");
    assert_eq!((job["name"].as_str(), job["tags"][0].as_str()), (Some("bell"), Some("demo")));
    assert!(job["execution_time_s"].as_f64().is_some() && job["ended_at"].is_string(), "{job}");
    assert!(job["queue_position"].is_null());
    let (s, r) = api.get(&format!("/api/v1/jobs/{id}/result")).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["job_id"], id.as_str());
    let counts = r["counts"].as_object().unwrap();
    assert!(counts.keys().all(|k| k == "00" || k == "11"), "Bell gives only 00 and 11: {counts:?}");
    assert_eq!(counts.values().map(|v| v.as_u64().unwrap()).sum::<u64>(), 500);
    let memory = r["memory"].as_array().unwrap();
    assert_eq!(memory.len(), 500);
    assert!(memory.iter().all(|m| m == "00" || m == "11"));
    let p = &r["probabilities"];
    assert!(
        (p["00"].as_f64().unwrap() - 0.5).abs() < 1e-9
            && (p["11"].as_f64().unwrap() - 0.5).abs() < 1e-9,
        "{p}"
    );
    let sv = r["statevector"].as_array().unwrap();
    assert_eq!(sv.len(), 4);
    let h = std::f64::consts::FRAC_1_SQRT_2;
    assert!(
        (sv[0][0].as_f64().unwrap() - h).abs() < 1e-9
            && (sv[3][0].as_f64().unwrap() - h).abs() < 1e-9,
        "{sv:?}"
    );
    let ev = r["expectation_values"].as_array().unwrap();
    assert_eq!(ev[0]["observable"], "Z0 Z1");
    assert!((ev[0]["value"].as_f64().unwrap() - 1.0).abs() < 1e-9, "{ev:?}");
    assert!(ev[1]["value"].as_f64().unwrap().abs() < 1e-9, "{ev:?}");
    let m = &r["metadata"];
    assert_eq!(
        (
            m["shots"].as_u64(),
            m["seed"].as_u64(),
            m["num_qubits"].as_u64(),
            m["num_clbits"].as_u64()
        ),
        (Some(500), Some(7), Some(2), Some(2))
    );
    assert!(
        m["backend"].is_string() && m["backend_reason"].is_string() && m["time_taken_s"].is_f64(),
        "{m}"
    );
    // The same seed reproduces the counts.
    let again = api
        .submit(json!({"program": {"format": "qasm2", "source": BELL}, "shots": 500, "seed": 7}))
        .await;
    api.wait_for(&again, &["COMPLETED"], Duration::from_secs(30)).await;
    let (_, r2) = api.get(&format!("/api/v1/jobs/{again}/result")).await;
    assert_eq!(r2["counts"], r["counts"]);
}

#[tokio::test]
async fn bell_completes_with_every_result_shape() {
    let srv = TestServer::start().await;
    bell_and_result_shapes(&srv).await;
    srv.stop().await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set QV_TEST_DATABASE_URL and pass --include-ignored"]
async fn bell_completes_on_postgres() {
    let url = postgres_url("bell_completes_on_postgres").await;
    let srv = TestServer::start_with(Db::Postgres(url), |_| {}).await;
    bell_and_result_shapes(&srv).await;
    cancel_running_job(&srv).await;
    srv.stop().await;
}

#[tokio::test]
async fn invalid_submissions_are_refused_before_queueing() {
    let srv = TestServer::start_with(Db::Sqlite, |c| {
        c.max_qubits = 10;
        c.max_shots = 2000;
    })
    .await;
    let u = srv.register("limits").await;
    let api = Api::of(&srv, &u);
    let src = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nh q[0];\nfoo q[1];\n";
    let (s, v) =
        api.post("/api/v1/jobs", json!({"program": {"format": "qasm2", "source": src}})).await;
    assert_eq!((s, v["error"]["code"].as_str()), (400, Some("parse_error")), "{v}");
    assert!(v["error"]["message"].as_str().unwrap().starts_with("line 5, column 1:"), "{v}");
    let (s, v) = api.post("/api/v1/jobs", bell(2001)).await;
    assert_eq!((s, v["error"]["code"].as_str()), (422, Some("limit_exceeded")), "{v}");
    let wide = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[11];\nt q[0];\n";
    let (s, v) = api
        .post("/api/v1/jobs", json!({"program": {"format": "qasm2", "source": wide}, "shots": 10}))
        .await;
    assert_eq!((s, v["error"]["code"].as_str()), (413, Some("too_large")), "{v}");
    // Clifford circuits go to the stabilizer backend, whose limit is larger.
    let clifford = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[40];\nh q[0];\n";
    let (s, v) = api
        .post(
            "/api/v1/jobs",
            json!({"program": {"format": "qasm2", "source": clifford}, "shots": 10}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = api.post("/api/v1/jobs", json!({"program": {"format": "qasm2", "source": clifford}, "shots": 10, "outputs": {"statevector": true}})).await;
    assert_eq!((s, v["error"]["code"].as_str()), (413, Some("too_large")), "{v}");
    let (s, v) = api
        .post(
            "/api/v1/jobs",
            json!({"program": {"format": "qasm2", "source": BELL}, "backend": "warp"}),
        )
        .await;
    assert_eq!((s, v["error"]["code"].as_str()), (400, Some("validation_error")), "{v}");
    let (s, v) =
        api.post("/api/v1/jobs", json!({"program": {"format": "qasm3", "source": BELL}})).await;
    assert_eq!((s, v["error"]["code"].as_str()), (400, Some("validation_error")), "{v}");
    let (s, v) = api
        .post(
            "/api/v1/jobs",
            json!({"program": {"format": "qasm2", "source": BELL}, "observables": ["Z7"]}),
        )
        .await;
    assert_eq!((s, v["error"]["code"].as_str()), (400, Some("validation_error")), "{v}");
    let (s, v) = api
        .post(
            "/api/v1/jobs",
            json!({"program": {"format": "qasm2", "source": BELL}, "priority": 10}),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    srv.stop().await;
}

#[tokio::test]
async fn queue_idempotency_listing_cancel_and_delete() {
    // API only: nothing runs, so jobs stay queued.
    let srv = TestServer::start_with(Db::Sqlite, |c| c.role = ServerRole::Api).await;
    let u = srv.register("queuer").await;
    let api = Api::of(&srv, &u);
    let mut ids = Vec::new();
    for i in 0..5 {
        let tag = if i % 2 == 0 { "even" } else { "odd" };
        ids.push(api.submit(json!({"program": {"format": "qasm2", "source": BELL}, "tags": [tag], "name": format!("j{i}")})).await);
    }
    // Queue positions follow submission order; a higher priority goes first.
    let (_, j) = api.get(&format!("/api/v1/jobs/{}", ids[2])).await;
    assert_eq!(j["queue_position"], 3, "{j}");
    let (s, urgent) = api
        .post(
            "/api/v1/jobs",
            json!({"program": {"format": "qasm2", "source": BELL}, "priority": 9}),
        )
        .await;
    assert_eq!((s, urgent["queue_position"].as_i64()), (201, Some(1)), "{urgent}");
    let (_, j) = api.get(&format!("/api/v1/jobs/{}", ids[0])).await;
    assert_eq!(j["queue_position"], 2);
    // Idempotency: the same key returns the first job with 200.
    let body = json!({"program": {"format": "qasm2", "source": BELL}, "idempotency_key": "k-1"});
    let (s1, a) = api.post("/api/v1/jobs", body.clone()).await;
    let (s2, b) = api.post("/api/v1/jobs", body).await;
    assert_eq!((s1, s2), (201, 200));
    assert_eq!(a["id"], b["id"]);
    // Listing: newest first, paginated, filtered.
    let (s, page1) = api.get("/api/v1/jobs?limit=4").await;
    assert_eq!(s, 200, "{page1}");
    let cursor = page1["next_cursor"].as_str().expect("more pages").to_string();
    let (_, page2) = api.get(&format!("/api/v1/jobs?limit=4&cursor={cursor}")).await;
    let listed: Vec<String> = page1["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .chain(page2["jobs"].as_array().unwrap())
        .map(|j| j["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed.len(), 7, "{listed:?}");
    assert_eq!(listed.iter().collect::<HashSet<_>>().len(), 7, "no job twice across pages");
    assert!(page2["next_cursor"].is_null());
    assert_eq!(listed[6], ids[0], "oldest last");
    let (_, odd) = api.get("/api/v1/jobs?tag=odd").await;
    let odd: Vec<&str> =
        odd["jobs"].as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap()).collect();
    assert_eq!(odd, vec![ids[3].as_str(), ids[1].as_str()]);
    let (s, v) = api.get("/api/v1/jobs?status=bogus").await;
    assert_eq!(s, 400, "{v}");
    let (s, v) =
        api.get("/api/v1/jobs?created_after=2000-01-01T00:00:00Z&backend=auto&status=queued").await;
    assert_eq!((s, v["jobs"].as_array().map(Vec::len)), (200, Some(7)), "{v}");
    let (_, v) = api.get("/api/v1/jobs?created_before=2000-01-01T00:00:00Z").await;
    assert_eq!(v["jobs"].as_array().map(Vec::len), Some(0));
    // Cancel a queued job: CANCELLED at once; again: 409; delete: 204, then 404.
    let (s, c) = api.post(&format!("/api/v1/jobs/{}/cancel", ids[1]), json!({})).await;
    assert_eq!((s, c["status"].as_str()), (200, Some("CANCELLED")), "{c}");
    let (s, _) = api.post(&format!("/api/v1/jobs/{}/cancel", ids[1]), json!({})).await;
    assert_eq!(s, 409);
    let (s, v) = api.get(&format!("/api/v1/jobs/{}/result", ids[1])).await;
    assert_eq!((s, v["error"]["code"].as_str()), (409, Some("not_ready")), "{v}");
    let (s, _) = api.delete(&format!("/api/v1/jobs/{}", ids[0])).await;
    assert_eq!(s, 409, "a queued job cannot be deleted");
    let (s, _) = api.delete(&format!("/api/v1/jobs/{}", ids[1])).await;
    assert_eq!(s, 204);
    let (s, _) = api.get(&format!("/api/v1/jobs/{}", ids[1])).await;
    assert_eq!(s, 404);
    let (s, b) = api.get("/api/v1/backends").await;
    assert_eq!(s, 200);
    let names: Vec<&str> =
        b["backends"].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"statevector") && names.contains(&"stabilizer"), "{b}");
    assert_eq!(b["backends"][0]["queue_depth"], 6, "{b}");
    srv.stop().await;
}

#[tokio::test]
async fn another_users_job_is_404_on_every_route() {
    let srv = TestServer::start_with(Db::Sqlite, |c| c.role = ServerRole::Api).await;
    let alice = srv.register("alice2").await;
    let bob = srv.register("bob2").await;
    let a = Api::of(&srv, &alice);
    let b = Api::of(&srv, &bob);
    let id = a.submit(bell(10)).await;
    for (s, v) in [
        b.get(&format!("/api/v1/jobs/{id}")).await,
        b.get(&format!("/api/v1/jobs/{id}/result")).await,
        b.post(&format!("/api/v1/jobs/{id}/cancel"), json!({})).await,
        b.delete(&format!("/api/v1/jobs/{id}")).await,
        b.get("/api/v1/jobs/not-a-uuid").await,
    ] {
        assert_eq!((s, v["error"]["code"].as_str()), (404, Some("not_found")), "{v}");
    }
    let (_, list) = b.get("/api/v1/jobs").await;
    assert_eq!(list["jobs"].as_array().map(Vec::len), Some(0));
    let (s, _) = b.get("/api/v1/admin/jobs").await;
    assert_eq!(s, 403, "admin listing needs an admin");
    let (s, v) = a.get(&format!("/api/v1/jobs/{id}")).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("QUEUED")));
    srv.stop().await;
}

async fn cancel_running_job(srv: &TestServer) {
    let u = srv.register("canceller").await;
    let api = Api::of(srv, &u);
    let id = api.submit(json!({"program": {"format": "qasm2", "source": long_circuit()}, "shots": 10, "backend": "statevector"})).await;
    api.wait_for(&id, &["RUNNING"], Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (s, c) = api.post(&format!("/api/v1/jobs/{id}/cancel"), json!({})).await;
    assert_eq!(s, 200, "{c}");
    assert!(c["status"] == "CANCELLING" || c["status"] == "CANCELLED", "{c}");
    let asked = Instant::now();
    let job =
        api.wait_for(&id, &["CANCELLED", "COMPLETED", "FAILED"], Duration::from_secs(10)).await;
    assert_eq!(job["status"], "CANCELLED", "{job}");
    assert!(asked.elapsed() < Duration::from_secs(3), "stopped after {:?}", asked.elapsed());
    assert_eq!(job["error"], "cancelled by user");
    // The worker is free again.
    let next = api.submit(bell(10)).await;
    api.wait_for(&next, &["COMPLETED"], Duration::from_secs(30)).await;
}

#[tokio::test]
async fn a_running_job_is_cancelled_cooperatively() {
    let srv = TestServer::start().await;
    cancel_running_job(&srv).await;
    srv.stop().await;
}

#[tokio::test]
async fn a_job_over_its_time_limit_fails() {
    let srv = TestServer::start_with(Db::Sqlite, |c| c.job_timeout_s = 1).await;
    let u = srv.register("slowpoke").await;
    let api = Api::of(&srv, &u);
    let id = api.submit(json!({"program": {"format": "qasm2", "source": long_circuit()}, "shots": 10, "backend": "statevector"})).await;
    let job =
        api.wait_for(&id, &["FAILED", "COMPLETED", "CANCELLED"], Duration::from_secs(20)).await;
    assert_eq!(
        (job["status"].as_str(), job["error"].as_str()),
        (Some("FAILED"), Some("timed out after 1 s")),
        "{job}"
    );
    let (s, v) = api.get(&format!("/api/v1/jobs/{id}/result")).await;
    assert_eq!((s, v["error"]["code"].as_str()), (409, Some("job_failed")), "{v}");
    srv.stop().await;
}

/// `GET /jobs/{id}` and the admin listing carry the program as submitted
/// (so a client can draw and re-run any job); the caller's listing does not.
#[tokio::test]
async fn the_job_and_the_admin_listing_carry_the_program() {
    let srv = TestServer::start_with(Db::Sqlite, |c| c.role = ServerRole::Api).await;
    let u = srv.register("programmer").await;
    let api = Api::of(&srv, &u);
    let id = api.submit(bell(10)).await;
    let program = json!({"format": "qasm2", "source": BELL});
    let (s, job) = api.get(&format!("/api/v1/jobs/{id}")).await;
    assert_eq!((s, &job["program"]), (200, &program), "{job}");
    let (_, list) = api.get("/api/v1/jobs").await;
    assert_eq!(list["jobs"][0]["id"], id.as_str(), "{list}");
    assert!(list["jobs"][0].get("program").is_none(), "the plain list stays light: {list}");

    let store = Store::connect(&srv.config.database_url(), 2).await.expect("store");
    let auth = qv_server::auth::AuthService::new(store.clone(), Arc::new(srv.config.clone()))
        .await
        .expect("auth");
    let password = "admin password 123";
    auth.create_user("root@example.com", "root", password, Role::Admin).await.expect("admin");
    store.close().await;
    let tokens = srv.login("root", password).await;
    let admin = Api { srv: &srv, token: tokens["access_token"].as_str().unwrap().to_string() };
    let (s, all) = admin.get("/api/v1/admin/jobs").await;
    assert_eq!(s, 200, "{all}");
    let listed = &all["jobs"][0];
    assert_eq!((listed["id"].as_str(), &listed["program"]), (Some(id.as_str()), &program), "{all}");
    assert_eq!(listed["user_id"], u.user_id.as_str(), "{all}");
    srv.stop().await;
}

/// A tiny job a worker finishes in well under a millisecond.
const ONE_QUBIT: &str =
    "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\ncreg c[1];\nx q[0];\nmeasure q -> c;\n";

/// Bursts of concurrent submissions while fast workers drain the queue: each
/// new job answers 201 QUEUED with its position (the answer describes what was
/// inserted, not what a worker did since), and an idempotent replay answers
/// 200 with the job's current state.
async fn submit_answers_what_was_inserted(srv: &TestServer) {
    let u = srv.register("racer").await;
    let n = 200;
    let mut handles = Vec::new();
    for i in 0..n {
        let (base, http, token) = (srv.base.clone(), srv.http.clone(), u.access_token.clone());
        handles.push(tokio::spawn(async move {
            let body = json!({"program": {"format": "qasm2", "source": ONE_QUBIT}, "shots": 1,
                              "idempotency_key": format!("race-{i}")});
            let r = http
                .post(format!("{base}/api/v1/jobs"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }));
    }
    let mut answers = Vec::new();
    for h in handles {
        answers.push(h.await.unwrap());
    }
    let wrong: Vec<&(u16, Value)> = answers
        .iter()
        .filter(|(s, v)| {
            *s != 201
                || v["status"] != "QUEUED"
                || v["queue_position"].as_i64().is_none_or(|p| p < 1)
        })
        .collect();
    assert!(wrong.is_empty(), "{} of {n} new jobs answered otherwise: {wrong:?}", wrong.len());
    // A replay of a finished job: 200 with its current state.
    let api = Api::of(srv, &u);
    let first = answers[0].1["id"].as_str().unwrap().to_string();
    api.wait_for(&first, &["COMPLETED"], Duration::from_secs(60)).await;
    let body = json!({"program": {"format": "qasm2", "source": ONE_QUBIT}, "shots": 1,
                      "idempotency_key": "race-0"});
    let (s, v) = api.post("/api/v1/jobs", body).await;
    assert_eq!(
        (s, v["id"].as_str(), v["status"].as_str()),
        (200, Some(first.as_str()), Some("COMPLETED")),
        "{v}"
    );
    assert!(v["queue_position"].is_null(), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_answers_queued_while_workers_run() {
    let srv = TestServer::start_with(Db::Sqlite, |c| c.workers = 4).await;
    submit_answers_what_was_inserted(&srv).await;
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set QV_TEST_DATABASE_URL and pass --include-ignored"]
async fn submit_answers_queued_while_workers_run_on_postgres() {
    let url = postgres_url("submit_answers_queued_while_workers_run_on_postgres").await;
    let srv = TestServer::start_with(Db::Postgres(url), |c| c.workers = 4).await;
    submit_answers_what_was_inserted(&srv).await;
    srv.stop().await;
}

#[tokio::test]
async fn many_jobs_complete_exactly_once() {
    let srv = TestServer::start_with(Db::Sqlite, |c| c.workers = 3).await;
    let users = [srv.register("many1").await, srv.register("many2").await];
    let n = 300;
    let mut handles = Vec::new();
    for i in 0..n {
        let base = srv.base.clone();
        let http = srv.http.clone();
        let token = users[i % 2].access_token.clone();
        handles.push(tokio::spawn(async move {
            let r = http
                .post(format!("{base}/api/v1/jobs"))
                .bearer_auth(token)
                .json(&bell(16))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
            r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
        }));
    }
    let mut ids = Vec::new();
    for h in handles {
        ids.push(h.await.unwrap());
    }
    let url = srv.config.database_url();
    let store = Store::connect(&url, 2).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let counts = store.count_jobs_by_status().await.unwrap();
        let done = counts.iter().find(|(s, _)| *s == JobStatus::Completed).unwrap().1;
        if done == n as i64 {
            break;
        }
        assert!(Instant::now() < deadline, "{counts:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for id in &ids {
        let events = store.job_events(id).await.unwrap();
        let statuses: Vec<JobStatus> = events.iter().map(|e| e.0).collect();
        assert_eq!(
            statuses,
            vec![JobStatus::Queued, JobStatus::Running, JobStatus::Completed],
            "{id}"
        );
    }
    store.close().await;
    srv.stop().await;
}

// ------------------------------------------------------------ store-level queue tests

async fn store_with_user(url: &str, dir: &std::path::Path, users: &[&str]) -> (Store, Vec<String>) {
    let store = Store::connect(url, 4).await.expect("store");
    let config =
        Arc::new(qv_server::Config { data_dir: dir.to_path_buf(), ..qv_server::Config::default() });
    let auth = qv_server::auth::AuthService::new(store.clone(), config).await.expect("auth");
    let mut ids = Vec::new();
    for u in users {
        let user = auth
            .create_user(&format!("{u}@example.com"), u, "correct horse battery staple", Role::User)
            .await
            .expect("user");
        ids.push(user.id);
    }
    (store, ids)
}

fn new_job(user: &str, priority: i64) -> NewJob {
    NewJob {
        id: qv_server::model::new_id(),
        user_id: user.to_string(),
        name: None,
        tags: vec![],
        priority,
        backend: "auto".into(),
        num_qubits: 2,
        shots: 10,
        spec: "{}".into(),
        idempotency_key: None,
        created_at: qv_server::model::now_ms(),
        memory_bytes: 64,
        admin_priority: 0,
    }
}

fn done(job: &qv_server::store::Claimed) -> Finish {
    Finish {
        job_id: job.id.clone(),
        fence: job.fence,
        shots: job.shots,
        execution_ms: 1,
        outcome: Outcome::Completed { result: "{}".into(), backend_used: "stabilizer".into() },
    }
}

async fn queue_semantics(url: &str, dir: &std::path::Path) {
    let (store, users) = store_with_user(url, dir, &["queue-a", "queue-b"]).await;
    let (a, b) = (&users[0], &users[1]);
    // Fair share: A queues three jobs, then B one; B's job is claimed in
    // the first turn, not last. A's priority orders A's own jobs.
    let mut jobs = vec![new_job(a, 5), new_job(a, 5), new_job(a, 5), new_job(b, 5)];
    for (i, j) in jobs.iter_mut().enumerate() {
        j.created_at += i as i64;
    }
    let urgent = NewJob { created_at: jobs[3].created_at + 1, ..new_job(a, 9) };
    jobs.push(urgent.clone());
    store.insert_jobs(&jobs).await.unwrap();
    let (claimed, _) = store.claim_jobs("w1", 3, 60_000).await.unwrap();
    let got: HashSet<&str> = claimed.iter().map(|c| c.id.as_str()).collect();
    let want: HashSet<&str> = [urgent.id.as_str(), jobs[3].id.as_str(), jobs[0].id.as_str()].into();
    assert_eq!(got, want, "the urgent job, B's only job and A's oldest");
    // Fencing: a claim whose lease expired is recovered and claimed again;
    // the first worker's late write is ignored, the second's applies, once.
    let (stale, _) = store.claim_jobs("w-dead", 1, 1).await.unwrap();
    assert_eq!(stale[0].id, jobs[1].id);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let events = store.recover_jobs(3, None).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].status, JobStatus::Queued);
    let (fresh, _) = store.claim_jobs("w2", 1, 60_000).await.unwrap();
    assert_eq!(fresh[0].id, stale[0].id);
    assert_eq!(fresh[0].fence, stale[0].fence + 1);
    let (applied, _) = store.finish_jobs(&[done(&stale[0])]).await.unwrap();
    assert_eq!(applied, vec![None], "a stale fence writes nothing");
    let (applied, _) = store.finish_jobs(&[done(&fresh[0]), done(&fresh[0])]).await.unwrap();
    assert_eq!(applied, vec![Some(JobStatus::Completed), None], "no job completes twice");
    // Leases renew for their owner only; a cancel shows in the renewal.
    store.cancel_job(&claimed[0].id, Some(a)).await.unwrap();
    let held = store.renew_leases("w1", 60_000).await.unwrap();
    assert_eq!(held.len(), 3);
    assert!(held.iter().any(|(id, s, _)| *id == claimed[0].id && *s == JobStatus::Cancelling));
    let cancelled = Finish { outcome: Outcome::Cancelled, ..done(&claimed[0]) };
    let (applied, _) = store.finish_jobs(&[cancelled]).await.unwrap();
    assert_eq!(applied, vec![Some(JobStatus::Cancelled)]);
    // Released (shutdown) goes back to the queue without counting the attempt.
    let released = Finish { outcome: Outcome::Released, ..done(&claimed[1]) };
    store.finish_jobs(&[released]).await.unwrap();
    let j = store.get_job(&claimed[1].id, None).await.unwrap();
    assert_eq!((j.status, j.attempts), (JobStatus::Queued, 0));
    // Every start whose worker vanished counts; the third fails the job.
    let target = jobs[2].id.clone();
    store.finish_jobs(&[done(&claimed[2])]).await.unwrap();
    for attempt in 1..=3 {
        let (c, _) = store.claim_jobs("w-crashy", 10, 1).await.unwrap();
        assert!(c.iter().any(|x| x.id == target), "attempt {attempt}");
        let marks: Vec<(String, i64)> = c.iter().map(|x| (x.id.clone(), x.fence)).collect();
        assert_eq!(store.start_jobs(&marks).await.unwrap().len(), c.len());
        tokio::time::sleep(Duration::from_millis(20)).await;
        store.recover_jobs(3, None).await.unwrap();
    }
    let j = store.get_job(&target, Some(a)).await.unwrap();
    assert_eq!(j.status, JobStatus::Failed);
    assert!(j.error.unwrap().contains("abandoned after 3 attempts"));
    // Visibility: by id and owner.
    assert!(store.get_job(&target, Some(b)).await.is_err());
    let mine = store
        .list_jobs(&JobFilter { user_id: Some(b.clone()), limit: 10, ..JobFilter::default() })
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    store.close().await;
}

#[tokio::test]
async fn queue_semantics_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("q.db").display());
    queue_semantics(&url, dir.path()).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set QV_TEST_DATABASE_URL and pass --include-ignored"]
async fn queue_semantics_on_postgres() {
    let url = postgres_url("queue_semantics_on_postgres").await;
    let dir = tempfile::tempdir().unwrap();
    queue_semantics(&url, dir.path()).await;
}

#[tokio::test]
async fn jobs_of_a_crashed_server_run_after_restart() {
    // A server "crashes" with jobs claimed: simulate it with claims by an
    // owner that no longer exists, then start a server on the same file.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("qv.db").display());
    let (store, users) = store_with_user(&url, dir.path(), &["crashy"]).await;
    let spec = json!({"format": "qasm2", "source": BELL, "shots": 8, "backend": "auto", "seed": 1})
        .to_string();
    let jobs: Vec<NewJob> =
        (0..4).map(|_| NewJob { spec: spec.clone(), ..new_job(&users[0], 5) }).collect();
    store.insert_jobs(&jobs).await.unwrap();
    store.claim_jobs("dead-process", 2, 3_600_000).await.unwrap();
    store.close().await;
    let mut config = common::test_config(dir.path(), &Db::Sqlite);
    config.database_url = Some(url.clone());
    let server = qv_server::Server::start(config).await.unwrap();
    let store = Store::connect(&url, 2).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    for j in &jobs {
        loop {
            let row = store.get_job(&j.id, None).await.unwrap();
            if row.status == JobStatus::Completed {
                break;
            }
            assert!(Instant::now() < deadline, "{row:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    store.close().await;
    server.shutdown().await;
}
