//! Backend status from live worker pools, queue depth per backend, and the
//! usage report over `usage_records`: on SQLite, and on PostgreSQL when
//! `QV_TEST_DATABASE_URL` is set.

#[macro_use]
mod common;

use std::time::Duration;

use common::{Api, Db, TestServer};
use qv_server::config::ServerRole;
use qv_server::Server;
use serde_json::{json, Value};

const BELL: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n";

fn backend<'a>(list: &'a Value, name: &str) -> &'a Value {
    list["backends"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["name"] == name))
        .unwrap_or_else(|| panic!("no backend {name} in {list}"))
}

async fn backends_follow_worker_pools(db: Db) {
    // An API server alone: nothing runs jobs, so every backend is offline
    // and queued jobs are counted against the backend they asked for.
    let ts = TestServer::start_with(db, |c| c.role = ServerRole::Api).await;
    let alice = ts.register("alice").await;
    let api = Api::of(&ts, &alice);
    let (s, list) = api.get("/api/v1/backends").await;
    assert_eq!(s, 200, "{list}");
    assert!(
        list["backends"].as_array().unwrap().iter().all(|b| b["status"] == "offline"),
        "no worker is running: {list}"
    );
    let mut ids = Vec::new();
    for (backend, n) in [("stabilizer", 2), ("statevector", 1)] {
        for _ in 0..n {
            let body = json!({"program": {"format": "qasm2", "source": BELL}, "backend": backend});
            ids.push(api.submit(body).await);
        }
    }
    let (_, list) = api.get("/api/v1/backends").await;
    assert_eq!(backend(&list, "stabilizer")["queue_depth"], 2, "{list}");
    assert_eq!(backend(&list, "statevector")["queue_depth"], 1, "{list}");
    assert_eq!(backend(&list, "density_matrix")["queue_depth"], 0, "{list}");

    // A worker pool on the same database: online while it runs, and the
    // queue drains.
    let mut wc = ts.config.clone();
    wc.role = ServerRole::Worker;
    let worker = Server::start(wc).await.expect("worker starts");
    for id in &ids {
        api.wait_for(id, &["COMPLETED"], Duration::from_secs(30)).await;
    }
    let (_, list) = api.get("/api/v1/backends").await;
    for b in list["backends"].as_array().unwrap() {
        assert_eq!((b["status"].as_str(), b["queue_depth"].as_i64()), (Some("online"), Some(0)));
    }
    // A pool that stops unregisters: offline at once.
    worker.shutdown().await;
    let (_, list) = api.get("/api/v1/backends").await;
    assert_eq!(backend(&list, "auto")["status"], "offline", "{list}");
    ts.stop().await;
}

async fn usage_reports_completed_jobs(db: Db) {
    let ts = TestServer::start_with(db, |_| {}).await;
    let alice = ts.register("alice").await;
    let bob = ts.register("bob").await;
    let a = Api::of(&ts, &alice);
    let b = Api::of(&ts, &bob);
    let (s, empty) = a.get("/api/v1/usage").await;
    assert_eq!(s, 200, "{empty}");
    assert_eq!(empty["days"], json!([]), "{empty}");
    assert_eq!(empty["totals"]["jobs"], 0);
    for (api, backend, shots) in
        [(&a, "stabilizer", 100), (&a, "stabilizer", 50), (&a, "statevector", 10), (&b, "auto", 7)]
    {
        let body = json!({"program": {"format": "qasm2", "source": BELL}, "backend": backend,
                          "shots": shots});
        let id = api.submit(body).await;
        api.wait_for(&id, &["COMPLETED"], Duration::from_secs(30)).await;
    }
    let (s, r) = a.get("/api/v1/usage").await;
    assert_eq!(s, 200, "{r}");
    let days = r["days"].as_array().unwrap();
    assert_eq!(days.len(), 2, "one day, two backends: {r}");
    let stab = days.iter().find(|d| d["backend"] == "stabilizer").unwrap();
    assert_eq!((stab["jobs"].as_i64(), stab["shots"].as_i64()), (Some(2), Some(150)), "{r}");
    assert_eq!(r["totals"]["jobs"], 3, "bob's job is not alice's usage: {r}");
    assert_eq!(r["totals"]["shots"], 160);
    assert!(r["totals"]["simulated_seconds"].as_f64().unwrap() >= 0.0);
    assert_eq!(r["to"], stab["day"], "the default period ends today");
    // A period before the jobs: nothing.
    let (s, r) = a.get("/api/v1/usage?from=2020-01-01&to=2020-01-31").await;
    assert_eq!((s, r["days"].clone()), (200, json!([])), "{r}");
    // Bad input is named.
    let (s, e) = a.get("/api/v1/usage?from=yesterday").await;
    assert_eq!((s, e["error"]["code"].as_str()), (400, Some("validation_error")), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("`from`"), "{e}");
    let (s, e) = a.get("/api/v1/usage?from=2026-02-01&to=2026-01-01").await;
    assert_eq!(s, 400, "{e}");
    let (s, e) = a.get("/api/v1/usage?from=2020-01-01&to=2026-01-01").await;
    assert_eq!(s, 400, "over 366 days: {e}");
    // Everyone's usage is for administrators only.
    let (s, e) = a.get("/api/v1/usage?scope=all").await;
    assert_eq!((s, e["error"]["code"].as_str()), (403, Some("forbidden")), "{e}");
    let admin = ts.make_admin("root").await;
    let (s, r) = Api::of(&ts, &admin).get("/api/v1/usage?scope=all").await;
    assert_eq!((s, r["totals"]["jobs"].as_i64()), (200, Some(4)), "{r}");
    ts.stop().await;
}

on_both! {
    backends_follow_worker_pools => backends_follow_worker_pools,
    usage_reports_completed_jobs => usage_reports_completed_jobs,
}
