//! Two-tenant isolation through the real HTTP server: every route that takes
//! an id answers another user exactly as it answers an id that does not
//! exist (404, or 403 on admin routes) and leaves the owner's object as it
//! was; listings and the WebSocket event stream carry only the caller's
//! jobs; API-key scopes hold on the job routes. Each flow runs on SQLite,
//! and on PostgreSQL when `QV_TEST_DATABASE_URL` is set.
//!
//! Every refusal is paired with the same request made by someone allowed to
//! make it (the owner, an admin, a key with the scope), so a route that
//! refused everybody would fail these tests too.

#[macro_use]
mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{Db, Session, TestServer};
use futures_util::StreamExt;
use qv_server::config::ServerRole;
use qv_server::store::Store;
use qv_server::Server;
use reqwest::Method;
use serde_json::{json, Value};

const BELL: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n";

on_both! {
    job_routes_answer_another_user_as_if_the_job_did_not_exist => flow_job_routes,
    api_key_route_is_isolated => flow_api_key_route,
    admin_routes_refuse_non_admins => flow_admin_routes,
    job_listings_hold_only_the_callers_jobs => flow_listings,
    event_streams_carry_only_the_callers_jobs => flow_events,
    api_key_scopes_hold_on_job_routes => flow_scopes,
}

// ---------------------------------------------------------------- helpers

/// Sends `method path` with a bearer token (and a JSON body); returns the
/// status and the JSON body (`Null` when empty).
async fn call(
    ts: &TestServer,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = ts.http.request(method, ts.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn get(ts: &TestServer, path: &str, token: &str) -> (u16, Value) {
    call(ts, Method::GET, path, token, None).await
}

fn bell(extra: Value) -> Value {
    let mut body = json!({"program": {"format": "qasm2", "source": BELL}, "shots": 64});
    for (k, v) in extra.as_object().expect("object") {
        body[k] = v.clone();
    }
    body
}

async fn submit(ts: &TestServer, token: &str, body: Value) -> String {
    let (s, v) = call(ts, Method::POST, "/api/v1/jobs", token, Some(body)).await;
    assert_eq!(s, 201, "submit: {v}");
    v["id"].as_str().expect("job id").to_string()
}

/// Polls `GET /jobs/{id}` as `token` until the job is `want`.
async fn wait_status(ts: &TestServer, token: &str, id: &str, want: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (s, v) = get(ts, &format!("/api/v1/jobs/{id}"), token).await;
        assert_eq!(s, 200, "{v}");
        if v["status"] == want {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "job {id} is not {want} after 30 s: {v}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Creates an API key for `session` (with its access token).
async fn api_key(ts: &TestServer, session: &Session, scopes: &[&str]) -> (String, String) {
    let (s, k) = call(
        ts,
        Method::POST,
        "/api/v1/api-keys",
        &session.access_token,
        Some(json!({"name": "isolation", "scopes": scopes})),
    )
    .await;
    assert_eq!(s, 201, "create key: {k}");
    (k["id"].as_str().unwrap().to_string(), k["key"].as_str().unwrap().to_string())
}

fn ids_of(list: &Value) -> Vec<String> {
    list["jobs"]
        .as_array()
        .unwrap_or_else(|| panic!("not a job list: {list}"))
        .iter()
        .map(|j| j["id"].as_str().unwrap().to_string())
        .collect()
}

/// The job routes that take an id, as (method, path).
fn job_routes(id: &str) -> [(Method, String); 4] {
    [
        (Method::GET, format!("/api/v1/jobs/{id}")),
        (Method::GET, format!("/api/v1/jobs/{id}/result")),
        (Method::POST, format!("/api/v1/jobs/{id}/cancel")),
        (Method::DELETE, format!("/api/v1/jobs/{id}")),
    ]
}

/// Alice's jobs in each state that matters, and one of Bob's, on an API-only
/// server (nothing runs unless a test makes it run).
struct Fixture {
    ts: TestServer,
    alice: Session,
    bob: Session,
    /// Alice's COMPLETED job (has a result, can be deleted).
    completed: String,
    /// Alice's RUNNING job (claimed by a holder that never finishes it).
    running: String,
    /// Alice's QUEUED job (can be cancelled).
    queued: String,
    /// Bob's COMPLETED job.
    bob_job: String,
}

async fn fixture(db: Db) -> Fixture {
    let ts = TestServer::start_with(db, |c| c.role = ServerRole::Api).await;
    let alice = ts.register("alice").await;
    let bob = ts.register("bob").await;
    let shared = json!({"tags": ["shared"], "idempotency_key": "same-key", "seed": 5});
    let completed = submit(&ts, &alice.access_token, bell(shared.clone())).await;
    let bob_job = submit(&ts, &bob.access_token, bell(json!({"tags": ["shared"]}))).await;
    // The same idempotency key is per user: Bob's gives Bob a new job.
    let (s, v) =
        call(&ts, Method::POST, "/api/v1/jobs", &bob.access_token, Some(bell(shared))).await;
    assert_eq!(s, 201, "bob reusing alice's idempotency key gets a new job: {v}");
    assert_ne!(v["id"].as_str(), Some(completed.as_str()), "bob was handed alice's job: {v}");
    let bob_second = v["id"].as_str().unwrap().to_string();

    // A worker process on the same database runs these, then leaves.
    let mut wc = ts.config.clone();
    wc.role = ServerRole::Worker;
    let worker = Server::start(wc).await.expect("worker starts");
    wait_status(&ts, &alice.access_token, &completed, "COMPLETED").await;
    wait_status(&ts, &bob.access_token, &bob_job, "COMPLETED").await;
    wait_status(&ts, &bob.access_token, &bob_second, "COMPLETED").await;
    worker.shutdown().await;

    // RUNNING: claimed straight from the store by an owner that never ends it.
    let running = submit(&ts, &alice.access_token, bell(json!({"priority": 9}))).await;
    let store = Store::connect(&ts.config.database_url(), 2).await.expect("store");
    let (claimed, _) = store.claim_jobs("isolation-holder", 1, 3_600_000).await.expect("claim");
    assert_eq!(claimed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [running.as_str()]);
    store.close().await;
    wait_status(&ts, &alice.access_token, &running, "RUNNING").await;
    let queued = submit(&ts, &alice.access_token, bell(json!({"tags": ["shared"]}))).await;
    Fixture { ts, alice, bob, completed, running, queued, bob_job }
}

impl Fixture {
    fn alice_jobs(&self) -> [&str; 3] {
        [self.completed.as_str(), self.running.as_str(), self.queued.as_str()]
    }

    /// What Alice sees of her jobs (and her result), to compare afterwards.
    async fn alice_view(&self) -> Vec<Value> {
        let t = &self.alice.access_token;
        let mut view = Vec::new();
        for id in self.alice_jobs() {
            let (s, v) = get(&self.ts, &format!("/api/v1/jobs/{id}"), t).await;
            assert_eq!(s, 200, "{v}");
            view.push(v);
        }
        let (s, r) = get(&self.ts, &format!("/api/v1/jobs/{}/result", self.completed), t).await;
        assert_eq!(s, 200, "{r}");
        view.push(r);
        let (s, list) = get(&self.ts, "/api/v1/jobs?limit=200", t).await;
        assert_eq!(s, 200, "{list}");
        view.push(list);
        view
    }
}

// ---------------------------------------------------------------- flows

/// Bob (by access token and by API key) on each of Alice's jobs, in each
/// state, on every job route that takes an id: the answer is the one for a
/// job that does not exist, and Alice's jobs stay as they were. Alice's own
/// requests then succeed, so the refusals are about ownership.
async fn flow_job_routes(db: Db) {
    let f = fixture(db).await;
    let (_, bob_key) = api_key(&f.ts, &f.bob, &["jobs:read", "jobs:write"]).await;
    let before = f.alice_view().await;
    let missing = uuid::Uuid::new_v4().to_string();

    for token in [f.bob.access_token.as_str(), bob_key.as_str()] {
        for id in f.alice_jobs() {
            for ((method, path), (_, missing_path)) in
                job_routes(id).into_iter().zip(job_routes(&missing))
            {
                let body = (method == Method::POST).then(|| json!({}));
                let (s, v) = call(&f.ts, method.clone(), &path, token, body.clone()).await;
                assert_eq!(
                    (s, v["error"]["code"].as_str()),
                    (404, Some("not_found")),
                    "bob: {method} {path}: {v}"
                );
                let (_, none) = call(&f.ts, method.clone(), &missing_path, token, body).await;
                assert_eq!(v, none, "{method} {path} tells an existing job from a missing one");
            }
        }
        // Bob's own job answers him, so his credentials work on these routes.
        let (s, v) = get(&f.ts, &format!("/api/v1/jobs/{}/result", f.bob_job), token).await;
        assert_eq!(s, 200, "bob's own result: {v}");
    }
    assert_eq!(f.alice_view().await, before, "bob's requests changed alice's jobs");

    // The same requests by Alice do what they say.
    let t = &f.alice.access_token;
    let (s, v) =
        call(&f.ts, Method::POST, &format!("/api/v1/jobs/{}/cancel", f.queued), t, Some(json!({})))
            .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("CANCELLED")), "{v}");
    let (s, v) = call(
        &f.ts,
        Method::POST,
        &format!("/api/v1/jobs/{}/cancel", f.running),
        t,
        Some(json!({})),
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("CANCELLING")), "{v}");
    let (s, v) =
        call(&f.ts, Method::DELETE, &format!("/api/v1/jobs/{}", f.completed), t, None).await;
    assert_eq!(s, 204, "{v}");
    let (s, _) = get(&f.ts, &format!("/api/v1/jobs/{}", f.completed), t).await;
    assert_eq!(s, 404, "deleted");
    f.ts.stop().await;
}

/// `DELETE /api-keys/{id}` of another user's key: 404 as for a key that does
/// not exist, and the key keeps working; its owner can delete it.
async fn flow_api_key_route(db: Db) {
    let ts = TestServer::start_with(db, |c| c.role = ServerRole::Api).await;
    let alice = ts.register("alice").await;
    let bob = ts.register("bob").await;
    let (key_id, key) = api_key(&ts, &alice, &["jobs:read"]).await;
    let missing = uuid::Uuid::new_v4().to_string();
    let (s, v) =
        call(&ts, Method::DELETE, &format!("/api/v1/api-keys/{key_id}"), &bob.access_token, None)
            .await;
    assert_eq!((s, v["error"]["code"].as_str()), (404, Some("not_found")), "{v}");
    let (_, none) =
        call(&ts, Method::DELETE, &format!("/api/v1/api-keys/{missing}"), &bob.access_token, None)
            .await;
    assert_eq!(v, none, "an existing key is told from a missing one");
    let (s, v) = get(&ts, "/api/v1/jobs", &key).await;
    assert_eq!(s, 200, "alice's key still works: {v}");
    let (_, list) = get(&ts, "/api/v1/api-keys", &alice.access_token).await;
    let listed = list["api_keys"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{list}");
    assert!(listed[0]["revoked_at"].is_null(), "{list}");
    let (_, list) = get(&ts, "/api/v1/api-keys", &bob.access_token).await;
    assert_eq!(list["api_keys"], json!([]), "bob lists none of alice's keys");

    let (s, _) =
        call(&ts, Method::DELETE, &format!("/api/v1/api-keys/{key_id}"), &alice.access_token, None)
            .await;
    assert_eq!(s, 204);
    let (s, _) = get(&ts, "/api/v1/jobs", &key).await;
    assert_eq!(s, 401, "a deleted key no longer authenticates");
    ts.stop().await;
}

/// Admin routes: 403 for a user (token or key) and for an admin's key without
/// the `admin` scope, and the target account is unchanged; the same requests
/// by the admin's access token work.
async fn flow_admin_routes(db: Db) {
    let f = fixture(db).await;
    let ts = &f.ts;
    let root = ts.make_admin("root").await;
    let carol = ts.register("carol").await;
    let (s, v) = call(
        ts,
        Method::POST,
        &format!("/api/v1/admin/users/{}/disable", carol.user_id),
        &root.access_token,
        None,
    )
    .await;
    assert_eq!((s, v["disabled"].as_bool()), (200, Some(true)), "{v}");

    let (_, bob_key) = api_key(ts, &f.bob, &["jobs:read", "jobs:write"]).await;
    let (_, root_ro_key) = api_key(ts, &root, &["jobs:read", "jobs:write"]).await;
    let routes = [
        (Method::GET, "/api/v1/admin/users".to_string()),
        (Method::GET, "/api/v1/admin/jobs".to_string()),
        (Method::POST, format!("/api/v1/admin/users/{}/disable", f.alice.user_id)),
        (Method::POST, format!("/api/v1/admin/users/{}/enable", carol.user_id)),
        (Method::POST, format!("/api/v1/admin/users/{}/disable", root.user_id)),
    ];
    for (who, token) in [
        ("bob", f.bob.access_token.as_str()),
        ("bob's key", &bob_key),
        ("root's key without admin scope", &root_ro_key),
    ] {
        for (method, path) in &routes {
            let (s, v) = call(ts, method.clone(), path, token, None).await;
            assert_eq!(
                (s, v["error"]["code"].as_str()),
                (403, Some("forbidden")),
                "{who}: {method} {path}: {v}"
            );
        }
    }
    // Nothing changed: alice still logs in and is enabled, carol still disabled.
    ts.login("alice", &f.alice.password).await;
    let (_, me) = get(ts, "/api/v1/me", &f.alice.access_token).await;
    assert_eq!(me["disabled"], false, "{me}");
    let (_, users) = get(ts, "/api/v1/admin/users", &root.access_token).await;
    let carol_row = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == carol.user_id.as_str())
        .cloned();
    assert_eq!(carol_row.map(|u| u["disabled"].clone()), Some(json!(true)), "{users}");
    let (s, _) = get(ts, "/api/v1/me", &root.access_token).await;
    assert_eq!(s, 200, "root was not disabled");

    // An admin's key without the admin scope is an ordinary user on job routes.
    for (method, path) in job_routes(&f.completed) {
        let body = (method == Method::POST).then(|| json!({}));
        let (s, v) = call(ts, method.clone(), &path, &root_ro_key, body).await;
        assert_eq!(s, 404, "root's non-admin key: {method} {path}: {v}");
    }
    let (_, list) = get(ts, "/api/v1/jobs?limit=200", &root_ro_key).await;
    assert_eq!(ids_of(&list), Vec::<String>::new(), "root's key lists others' jobs");

    // The admin's access token may do all of it.
    let (s, v) = get(ts, "/api/v1/admin/jobs?limit=200", &root.access_token).await;
    assert_eq!(s, 200, "{v}");
    let listed = ids_of(&v);
    for id in f.alice_jobs() {
        assert!(listed.iter().any(|x| x == id), "admin listing lacks {id}: {v}");
    }
    let (s, v) = get(ts, &format!("/api/v1/jobs/{}", f.completed), &root.access_token).await;
    assert_eq!((s, v["user_id"].as_str()), (200, Some(f.alice.user_id.as_str())), "{v}");
    let (s, v) = call(
        ts,
        Method::POST,
        &format!("/api/v1/admin/users/{}/enable", carol.user_id),
        &root.access_token,
        None,
    )
    .await;
    assert_eq!((s, v["disabled"].as_bool()), (200, Some(false)), "{v}");
    ts.login("carol", &carol.password).await;
    f.ts.stop().await;
}

/// Bob's listings, with every filter and with a cursor from Alice's listing,
/// hold his jobs and never Alice's.
async fn flow_listings(db: Db) {
    let f = fixture(db).await;
    let ts = &f.ts;
    let (_, bob_key) = api_key(ts, &f.bob, &["jobs:read"]).await;
    let (s, page) = get(ts, "/api/v1/jobs?limit=1", &f.alice.access_token).await;
    assert_eq!(s, 200, "{page}");
    let alice_cursor =
        page["next_cursor"].as_str().expect("alice has more than one job").to_string();
    let alice_jobs: HashSet<&str> = f.alice_jobs().into();
    // A cursor is a position (time, id): Bob's older jobs follow Alice's newest.
    let after_alice = format!("?cursor={alice_cursor}");
    let queries = [
        ("", true),
        ("?limit=200", true),
        ("?tag=shared", true),
        ("?status=completed", true),
        ("?backend=auto", true),
        ("?created_after=2000-01-01T00:00:00Z", true),
        ("?status=queued", false),
        ("?status=running", false),
        ("?status=cancelled", false),
        (after_alice.as_str(), true),
    ];
    for token in [f.bob.access_token.as_str(), bob_key.as_str()] {
        for (q, has_bob_job) in &queries {
            let (s, v) = get(ts, &format!("/api/v1/jobs{q}"), token).await;
            assert_eq!(s, 200, "GET /jobs{q}: {v}");
            let ids = ids_of(&v);
            assert!(
                ids.iter().all(|id| !alice_jobs.contains(id.as_str())),
                "bob's GET /jobs{q} lists alice's jobs: {v}"
            );
            assert_eq!(ids.contains(&f.bob_job), *has_bob_job, "GET /jobs{q}: {v}");
        }
    }
    // Alice's own listing has all three (the filters do find them).
    for q in ["?tag=shared", "?status=running", "?status=queued"] {
        let (_, v) = get(ts, &format!("/api/v1/jobs{q}"), &f.alice.access_token).await;
        let ids = ids_of(&v);
        assert!(
            !ids.is_empty() && ids.iter().all(|id| alice_jobs.contains(id.as_str())),
            "alice GET /jobs{q}: {v}"
        );
    }
    f.ts.stop().await;
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect_ws(ts: &TestServer, token: &str, in_query: bool) -> Ws {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let base = ts.base.replacen("http://", "ws://", 1);
    let req = if in_query {
        format!("{base}/api/v1/events?access_token={token}").into_client_request().unwrap()
    } else {
        let mut r = format!("{base}/api/v1/events").into_client_request().unwrap();
        r.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        r
    };
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

/// Each stream (token in header or query, access token or API key, admin
/// included) receives its owner's job events and none of anyone else's. The
/// events of the others are published before each reader's own last job, so
/// a leak would be read before that job's end.
async fn flow_events(db: Db) {
    let ts = TestServer::start_with(db, |c| c.workers = 2).await;
    let alice = ts.register("alice").await;
    let bob = ts.register("bob").await;
    let root = ts.make_admin("root").await;
    let (_, bob_key) = api_key(&ts, &bob, &["jobs:read"]).await;
    let mut a = connect_ws(&ts, &alice.access_token, false).await;
    let mut b = connect_ws(&ts, &bob.access_token, true).await;
    let mut bk = connect_ws(&ts, &bob_key, false).await;
    let mut r = connect_ws(&ts, &root.access_token, false).await;

    let mut alice_jobs = Vec::new();
    for _ in 0..3 {
        alice_jobs.push(submit(&ts, &alice.access_token, bell(json!({}))).await);
    }
    let seen = read_until_ended(&mut a, &alice_jobs, "alice").await;
    for id in &alice_jobs {
        assert_eq!(
            statuses(&seen, id),
            ["QUEUED", "RUNNING", "COMPLETED"],
            "alice's {id}: {seen:?}"
        );
    }

    let bob_jobs = vec![submit(&ts, &bob.access_token, bell(json!({}))).await];
    let root_jobs = vec![submit(&ts, &root.access_token, bell(json!({}))).await];
    for (who, ws, own) in [
        ("bob", &mut b, &bob_jobs),
        ("bob's key", &mut bk, &bob_jobs),
        ("root", &mut r, &root_jobs),
    ] {
        let seen = read_until_ended(ws, own, who).await;
        assert!(
            seen.iter().all(|e| e["job_id"] == own[0].as_str()),
            "{who} received others' events: {seen:?}"
        );
        assert_eq!(statuses(&seen, &own[0]), ["QUEUED", "RUNNING", "COMPLETED"], "{who}: {seen:?}");
    }
    // Alice's stream got nothing of Bob's or root's before her next job ends.
    let last = vec![submit(&ts, &alice.access_token, bell(json!({}))).await];
    let seen = read_until_ended(&mut a, &last, "alice").await;
    assert!(
        seen.iter().all(|e| e["job_id"] == last[0].as_str()),
        "alice received others' events: {seen:?}"
    );
    drop((a, b, bk, r));
    ts.stop().await;
}

/// A `jobs:read` key reads (list, job, result, backends) but cannot submit,
/// cancel or delete; a `jobs:write` key submits, cancels and deletes its
/// owner's jobs, and only its owner's.
async fn flow_scopes(db: Db) {
    let f = fixture(db).await;
    let ts = &f.ts;
    let (_, read) = api_key(ts, &f.alice, &["jobs:read"]).await;
    let (_, write) = api_key(ts, &f.alice, &["jobs:write"]).await;
    let before = f.alice_view().await;

    for path in [
        "/api/v1/jobs".to_string(),
        format!("/api/v1/jobs/{}", f.completed),
        format!("/api/v1/jobs/{}/result", f.completed),
        "/api/v1/backends".to_string(),
    ] {
        let (s, v) = get(ts, &path, &read).await;
        assert_eq!(s, 200, "jobs:read key GET {path}: {v}");
    }
    let writes = [
        (Method::POST, "/api/v1/jobs".to_string(), Some(bell(json!({})))),
        (Method::POST, format!("/api/v1/jobs/{}/cancel", f.queued), Some(json!({}))),
        (Method::POST, format!("/api/v1/jobs/{}/cancel", f.running), Some(json!({}))),
        (Method::DELETE, format!("/api/v1/jobs/{}", f.completed), None),
    ];
    for (method, path, body) in &writes {
        let (s, v) = call(ts, method.clone(), path, &read, body.clone()).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (403, Some("forbidden")),
            "jobs:read key {method} {path}: {v}"
        );
    }
    assert_eq!(f.alice_view().await, before, "a jobs:read key changed alice's jobs");

    // A write key may not touch Bob's job either.
    for (method, path) in job_routes(&f.bob_job).into_iter().skip(2) {
        let body = (method == Method::POST).then(|| json!({}));
        let (s, v) = call(ts, method.clone(), &path, &write, body).await;
        assert_eq!(s, 404, "alice's write key on bob's job: {method} {path}: {v}");
    }
    let (s, v) = get(ts, &format!("/api/v1/jobs/{}", f.bob_job), &f.bob.access_token).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("COMPLETED")), "{v}");

    // The write key does what the read key could not.
    let (s, v) = call(ts, Method::POST, "/api/v1/jobs", &write, Some(bell(json!({})))).await;
    assert_eq!((s, v["status"].as_str()), (201, Some("QUEUED")), "jobs:write key submits: {v}");
    let new_job = v["id"].as_str().unwrap().to_string();
    let (s, v) = get(ts, &format!("/api/v1/jobs/{new_job}"), &f.alice.access_token).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("QUEUED")), "{v}");
    let (s, v) = call(
        ts,
        Method::POST,
        &format!("/api/v1/jobs/{}/cancel", f.queued),
        &write,
        Some(json!({})),
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("CANCELLED")), "{v}");
    let (s, v) =
        call(ts, Method::DELETE, &format!("/api/v1/jobs/{}", f.completed), &write, None).await;
    assert_eq!(s, 204, "{v}");
    f.ts.stop().await;
}
