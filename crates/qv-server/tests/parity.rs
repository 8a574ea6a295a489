//! Parity of the API surfaces: one scenario (API key, Bell and a 20-qubit
//! circuit watched to completion, results, a long job cancelled, filtered
//! and paginated listings, errors, another user's job) run through REST,
//! GraphQL and gRPC against one server, asserting that every surface gives
//! the same results and the same error codes. SQLite, and PostgreSQL when
//! `QV_TEST_DATABASE_URL` is set.

#[macro_use]
mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{long_circuit, Db, Session, TestServer};
use futures_util::{SinkExt, StreamExt};
use qv_server::grpc::pb;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const BELL: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n";
const BAD: &str = "OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n";
const WAIT: Duration = Duration::from_secs(60);

/// 20 qubits: a layer of H, a CX chain and RZs, measured.
fn wide() -> String {
    let mut s = String::from("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[20];\ncreg c[20];\n");
    for q in 0..20 {
        s.push_str(&format!("h q[{q}];\nrz({}) q[{q}];\n", 0.1 * q as f64));
    }
    for q in 0..19 {
        s.push_str(&format!("cx q[{q}],q[{}];\n", q + 1));
    }
    s.push_str("h q[0];\nmeasure q -> c;\n");
    s
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Surface {
    Rest,
    GraphQl,
    Grpc,
}

/// What a submission asks for (the same on every surface).
struct Spec<'a> {
    source: &'a str,
    shots: u64,
    seed: Option<u64>,
    tag: &'a str,
    backend: Option<&'a str>,
}

/// A result reduced to what must agree across surfaces.
#[derive(Debug, PartialEq)]
struct Outcome {
    counts: BTreeMap<String, u64>,
    backend: String,
    shots: u64,
    seed: u64,
    num_qubits: u64,
}

/// An error reduced to its stable code and message.
#[derive(Debug, PartialEq)]
struct Failure {
    code: String,
    message: String,
}

type Answer<T> = Result<T, Failure>;

/// One caller on one surface.
struct Via<'a> {
    surface: Surface,
    srv: &'a TestServer,
    token: String,
    grpc: Option<pb::job_service_client::JobServiceClient<tonic::transport::Channel>>,
}

fn rest_failure(v: &Value) -> Failure {
    Failure {
        code: v["error"]["code"].as_str().unwrap_or("?").to_string(),
        message: v["error"]["message"].as_str().unwrap_or("").to_string(),
    }
}

fn gql_failure(v: &Value) -> Failure {
    let e = &v["errors"][0];
    Failure {
        code: e["extensions"]["code"].as_str().unwrap_or("?").to_string(),
        message: e["message"].as_str().unwrap_or("").to_string(),
    }
}

fn grpc_failure(s: &tonic::Status) -> Failure {
    Failure {
        code: s
            .metadata()
            .get("qv-error-code")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("?")
            .to_string(),
        message: s.message().to_string(),
    }
}

fn grpc_status(s: i32) -> String {
    pb::JobStatus::try_from(s)
        .map(|s| s.as_str_name().trim_start_matches("JOB_STATUS_").to_string())
        .unwrap_or_else(|_| format!("?{s}"))
}

impl<'a> Via<'a> {
    async fn new(surface: Surface, srv: &'a TestServer, token: &str) -> Via<'a> {
        let grpc = if surface == Surface::Grpc {
            let channel = tonic::transport::Endpoint::from_shared(srv.base.clone())
                .expect("endpoint")
                .connect()
                .await
                .expect("gRPC connects");
            Some(pb::job_service_client::JobServiceClient::new(channel))
        } else {
            None
        };
        Via { surface, srv, token: token.to_string(), grpc }
    }

    fn authed<T>(&self, msg: T) -> tonic::Request<T> {
        let mut r = tonic::Request::new(msg);
        if !self.token.is_empty() {
            let v = format!("Bearer {}", self.token).parse().expect("metadata");
            r.metadata_mut().insert("authorization", v);
        }
        r
    }

    async fn rest(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer<Value> {
        let mut req = self.srv.http.request(method, self.srv.url(path));
        if !self.token.is_empty() {
            req = req.bearer_auth(&self.token);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("request");
        let ok = r.status().is_success();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        if ok {
            Ok(v)
        } else {
            Err(rest_failure(&v))
        }
    }

    async fn gql(&self, query: &str, variables: Value) -> Answer<Value> {
        let mut req = self.srv.http.post(self.srv.url("/graphql"));
        if !self.token.is_empty() {
            req = req.bearer_auth(&self.token);
        }
        let r = req.json(&json!({"query": query, "variables": variables})).send().await;
        let v: Value = r.expect("request").json().await.expect("GraphQL answers JSON");
        if v["errors"].is_array() {
            Err(gql_failure(&v))
        } else {
            Ok(v["data"].clone())
        }
    }

    async fn submit(&mut self, spec: &Spec<'_>) -> Answer<String> {
        match self.surface {
            Surface::Rest => {
                let mut body = json!({"program": {"format": "qasm2", "source": spec.source},
                                      "shots": spec.shots, "tags": [spec.tag]});
                if let Some(seed) = spec.seed {
                    body["seed"] = json!(seed);
                }
                if let Some(b) = spec.backend {
                    body["backend"] = json!(b);
                }
                let v = self.rest(reqwest::Method::POST, "/api/v1/jobs", Some(body)).await?;
                Ok(v["id"].as_str().expect("id").to_string())
            }
            Surface::GraphQl => {
                let mut input = json!({"program": {"format": "qasm2", "source": spec.source},
                                       "shots": spec.shots, "tags": [spec.tag]});
                if let Some(seed) = spec.seed {
                    input["seed"] = json!(seed);
                }
                if let Some(b) = spec.backend {
                    input["backend"] = json!(b);
                }
                let q = "mutation($i: SubmitJobInput!) { submitJob(input: $i) { id status } }";
                let v = self.gql(q, json!({"i": input})).await?;
                assert_eq!(v["submitJob"]["status"], "QUEUED", "{v}");
                Ok(v["submitJob"]["id"].as_str().expect("id").to_string())
            }
            Surface::Grpc => {
                let req = pb::SubmitJobRequest {
                    program: Some(pb::Program {
                        format: "qasm2".into(),
                        source: spec.source.into(),
                    }),
                    shots: Some(spec.shots),
                    seed: spec.seed,
                    tags: vec![spec.tag.to_string()],
                    backend: spec.backend.map(str::to_string),
                    ..Default::default()
                };
                let req = self.authed(req);
                let r = self.grpc.as_mut().unwrap().submit_job(req).await;
                let r = r.map_err(|s| grpc_failure(&s))?.into_inner();
                assert_eq!(r.status(), pb::JobStatus::Queued, "{r:?}");
                Ok(r.id)
            }
        }
    }

    async fn status(&mut self, id: &str) -> Answer<String> {
        match self.surface {
            Surface::Rest => {
                let v =
                    self.rest(reqwest::Method::GET, &format!("/api/v1/jobs/{id}"), None).await?;
                Ok(v["status"].as_str().unwrap().to_string())
            }
            Surface::GraphQl => {
                let v = self
                    .gql("query($id: ID!) { job(id: $id) { status } }", json!({"id": id}))
                    .await?;
                Ok(v["job"]["status"].as_str().unwrap().to_string())
            }
            Surface::Grpc => {
                let req = self.authed(pb::GetJobRequest { id: id.into() });
                let r = self.grpc.as_mut().unwrap().get_job(req).await;
                Ok(grpc_status(r.map_err(|s| grpc_failure(&s))?.into_inner().status))
            }
        }
    }

    /// The statuses a live watch of the job reports until it ends.
    async fn watch(&mut self, id: &str) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + WAIT;
        match self.surface {
            // REST's live updates are the owner's event stream; the job's
            // current state is read once it is open.
            Surface::Rest => {
                let url = self.srv.url("/api/v1/events").replacen("http://", "ws://", 1);
                let mut req = url.into_client_request().unwrap();
                req.headers_mut()
                    .insert("authorization", format!("Bearer {}", self.token).parse().unwrap());
                let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("events");
                let mut seen = vec![self.status(id).await.expect("status")];
                while !is_terminal(seen.last().unwrap()) {
                    let msg = tokio::time::timeout_at(deadline, ws.next()).await;
                    let Ok(Some(Ok(Message::Text(text)))) = msg else {
                        panic!("event stream ended early: {msg:?}")
                    };
                    let v: Value = serde_json::from_str(&text).unwrap();
                    if v["job_id"] == id {
                        let s = v["status"].as_str().unwrap().to_string();
                        if seen.last() != Some(&s) {
                            seen.push(s);
                        }
                    }
                }
                seen
            }
            Surface::GraphQl => {
                let url = self.srv.url("/graphql/ws").replacen("http://", "ws://", 1);
                let mut req = url.into_client_request().unwrap();
                req.headers_mut()
                    .insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
                let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("graphql ws");
                let init = json!({"type": "connection_init",
                                  "payload": {"Authorization": format!("Bearer {}", self.token)}});
                ws.send(Message::Text(init.to_string().into())).await.unwrap();
                let sub = json!({"id": "1", "type": "subscribe", "payload": {
                    "query": "subscription($id: ID) { jobUpdates(id: $id) { status } }",
                    "variables": {"id": id}}});
                let mut seen = Vec::new();
                loop {
                    let msg = tokio::time::timeout_at(deadline, ws.next()).await;
                    let Ok(Some(Ok(msg))) = msg else {
                        panic!("subscription ended early: {msg:?}")
                    };
                    let Message::Text(text) = msg else { continue };
                    let v: Value = serde_json::from_str(&text).unwrap();
                    match v["type"].as_str() {
                        Some("connection_ack") => {
                            ws.send(Message::Text(sub.to_string().into())).await.unwrap()
                        }
                        Some("next") => {
                            let s = &v["payload"]["data"]["jobUpdates"]["status"];
                            seen.push(s.as_str().unwrap_or_else(|| panic!("{v}")).to_string());
                        }
                        Some("complete") => return seen,
                        Some("ping") => ws
                            .send(Message::Text(json!({"type": "pong"}).to_string().into()))
                            .await
                            .unwrap(),
                        _ => panic!("unexpected subscription message {v}"),
                    }
                }
            }
            Surface::Grpc => {
                let req = self.authed(pb::WatchJobRequest { id: id.into() });
                let mut stream =
                    self.grpc.as_mut().unwrap().watch_job(req).await.expect("watch").into_inner();
                let mut seen = Vec::new();
                while let Some(ev) =
                    tokio::time::timeout_at(deadline, stream.next()).await.expect("watch in time")
                {
                    seen.push(grpc_status(ev.expect("event").status));
                }
                seen
            }
        }
    }

    async fn result(&mut self, id: &str) -> Answer<Outcome> {
        match self.surface {
            Surface::Rest => {
                let v = self
                    .rest(reqwest::Method::GET, &format!("/api/v1/jobs/{id}/result"), None)
                    .await?;
                let r: qv_server::model::JobResult =
                    serde_json::from_value(v).expect("typed result");
                Ok(Outcome {
                    counts: r.counts,
                    backend: r.metadata.backend,
                    shots: r.metadata.shots,
                    seed: r.metadata.seed,
                    num_qubits: r.metadata.num_qubits,
                })
            }
            Surface::GraphQl => {
                let q = "query($id: ID!) { jobResult(id: $id) { counts { outcome count } \
                         metadata { backend shots seed numQubits } } }";
                let v = self.gql(q, json!({"id": id})).await?;
                let r = &v["jobResult"];
                let num = |x: &Value| x.as_u64().or_else(|| x.as_str()?.parse().ok()).unwrap();
                Ok(Outcome {
                    counts: r["counts"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| (c["outcome"].as_str().unwrap().to_string(), num(&c["count"])))
                        .collect(),
                    backend: r["metadata"]["backend"].as_str().unwrap().to_string(),
                    shots: num(&r["metadata"]["shots"]),
                    seed: num(&r["metadata"]["seed"]),
                    num_qubits: num(&r["metadata"]["numQubits"]),
                })
            }
            Surface::Grpc => {
                let req = self.authed(pb::GetJobResultRequest { id: id.into() });
                let r = self.grpc.as_mut().unwrap().get_job_result(req).await;
                let r = r.map_err(|s| grpc_failure(&s))?.into_inner();
                let m = r.metadata.expect("metadata");
                Ok(Outcome {
                    counts: r.counts.into_iter().collect(),
                    backend: m.backend,
                    shots: m.shots,
                    seed: m.seed,
                    num_qubits: m.num_qubits,
                })
            }
        }
    }

    async fn cancel(&mut self, id: &str) -> Answer<String> {
        match self.surface {
            Surface::Rest => {
                let path = format!("/api/v1/jobs/{id}/cancel");
                let v = self.rest(reqwest::Method::POST, &path, Some(json!({}))).await?;
                Ok(v["status"].as_str().unwrap().to_string())
            }
            Surface::GraphQl => {
                let q = "mutation($id: ID!) { cancelJob(id: $id) { status } }";
                let v = self.gql(q, json!({"id": id})).await?;
                Ok(v["cancelJob"]["status"].as_str().unwrap().to_string())
            }
            Surface::Grpc => {
                let req = self.authed(pb::CancelJobRequest { id: id.into() });
                let r = self.grpc.as_mut().unwrap().cancel_job(req).await;
                Ok(grpc_status(r.map_err(|s| grpc_failure(&s))?.into_inner().status))
            }
        }
    }

    /// Every id of the caller's jobs with `tag` and `status`, read in pages of `page`.
    async fn list(&mut self, tag: &str, status: &str, page: u32) -> Answer<Vec<String>> {
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let (got, next) = match self.surface {
                Surface::Rest => {
                    let mut path = format!("/api/v1/jobs?tag={tag}&status={status}&limit={page}");
                    if let Some(c) = &cursor {
                        path.push_str(&format!("&cursor={c}"));
                    }
                    let v = self.rest(reqwest::Method::GET, &path, None).await?;
                    let got: Vec<String> = v["jobs"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|j| j["id"].as_str().unwrap().to_string())
                        .collect();
                    (got, v["next_cursor"].as_str().map(str::to_string))
                }
                Surface::GraphQl => {
                    let q = "query($f: JobFilter, $first: Int, $after: String) { \
                             jobs(filter: $f, first: $first, after: $after) { \
                             edges { node { id } } pageInfo { hasNextPage endCursor } } }";
                    let vars = json!({"f": {"tag": tag, "status": status}, "first": page,
                                      "after": cursor});
                    let v = self.gql(q, vars).await?;
                    let c = &v["jobs"];
                    let got = c["edges"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|e| e["node"]["id"].as_str().unwrap().to_string())
                        .collect();
                    let next = c["pageInfo"]["hasNextPage"]
                        .as_bool()
                        .unwrap()
                        .then(|| c["pageInfo"]["endCursor"].as_str().unwrap().to_string());
                    (got, next)
                }
                Surface::Grpc => {
                    let status = pb::JobStatus::from_str_name(&format!("JOB_STATUS_{status}"))
                        .expect("status name");
                    let req = self.authed(pb::ListJobsRequest {
                        status: status as i32,
                        tag: Some(tag.into()),
                        page_size: page as i32,
                        page_token: cursor.clone().unwrap_or_default(),
                        ..Default::default()
                    });
                    let r = self.grpc.as_mut().unwrap().list_jobs(req).await;
                    let r = r.map_err(|s| grpc_failure(&s))?.into_inner();
                    let next = Some(r.next_page_token).filter(|t| !t.is_empty());
                    (r.jobs.into_iter().map(|j| j.id).collect(), next)
                }
            };
            ids.extend(got);
            cursor = next;
            if cursor.is_none() {
                return Ok(ids);
            }
        }
    }
}

fn is_terminal(s: &str) -> bool {
    matches!(s, "COMPLETED" | "FAILED" | "CANCELLED")
}

/// A watch reports the job's states in lifecycle order, ending COMPLETED.
fn check_watch(surface: Surface, seen: &[String]) {
    let order = ["QUEUED", "RUNNING", "COMPLETED"];
    let pos: Vec<usize> = seen
        .iter()
        .map(|s| {
            order.iter().position(|o| o == s).unwrap_or_else(|| panic!("{surface:?}: {seen:?}"))
        })
        .collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{surface:?}: out of order {seen:?}");
    assert_eq!(seen.last().map(String::as_str), Some("COMPLETED"), "{surface:?}: {seen:?}");
}

/// Everything one surface reports in the scenario, to compare.
#[derive(Debug, PartialEq)]
struct Report {
    bell: Outcome,
    wide: Outcome,
    listed: usize,
    errors: Vec<(String, String)>,
}

async fn scenario(
    surface: Surface,
    srv: &TestServer,
    owner: &Session,
    key: &str,
    other: &Session,
) -> Report {
    let tag = format!("{surface:?}").to_lowercase();
    let mut me = Via::new(surface, srv, key).await;
    let bell_spec = Spec { source: BELL, shots: 500, seed: Some(7), tag: &tag, backend: None };
    let bell = me.submit(&bell_spec).await.expect("bell");
    check_watch(surface, &me.watch(&bell).await);
    let wide_src = wide();
    let wide_spec = Spec {
        source: &wide_src,
        shots: 200,
        seed: Some(11),
        tag: &tag,
        backend: Some("statevector"),
    };
    let wide = me.submit(&wide_spec).await.expect("wide");
    check_watch(surface, &me.watch(&wide).await);
    let bell_out = me.result(&bell).await.expect("bell result");
    assert!(bell_out.counts.keys().all(|k| k == "00" || k == "11"), "{bell_out:?}");
    assert_eq!(bell_out.counts.values().sum::<u64>(), 500);
    let wide_out = me.result(&wide).await.expect("wide result");
    assert_eq!((wide_out.num_qubits, wide_out.counts.values().sum::<u64>()), (20, 200));

    // A long job, cancelled while queued or running.
    let long_src = long_circuit();
    let long_spec =
        Spec { source: &long_src, shots: 10, seed: None, tag: &tag, backend: Some("statevector") };
    let long = me.submit(&long_spec).await.expect("long job");
    let first = me.cancel(&long).await.expect("cancel");
    assert!(first == "CANCELLED" || first == "CANCELLING", "{surface:?}: {first}");
    let deadline = std::time::Instant::now() + WAIT;
    while me.status(&long).await.expect("status") != "CANCELLED" {
        assert!(std::time::Instant::now() < deadline, "{surface:?}: not cancelled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Filtered listing, one job per page: the two completed jobs, newest first.
    let listed = me.list(&tag, "COMPLETED", 1).await.expect("list");
    assert_eq!(listed, vec![wide.clone(), bell.clone()], "{surface:?}");
    assert_eq!(me.list(&tag, "CANCELLED", 5).await.expect("list"), vec![long.clone()]);

    // Errors, reduced to their codes (messages compared where they carry no id).
    let mut errors = Vec::new();
    let mut note = |what: &str, f: Failure| errors.push((what.to_string(), f.code));
    let bad = Spec { source: BAD, shots: 1, seed: None, tag: &tag, backend: None };
    let parse = me.submit(&bad).await.expect_err("parse error");
    assert!(parse.message.starts_with("line 3, column 1:"), "{surface:?}: {parse:?}");
    note("parse", parse);
    note("no result", me.result(&long).await.expect_err("cancelled: no result"));
    note("cancel ended", me.cancel(&bell).await.expect_err("ended"));
    note(
        "unknown id",
        me.status("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b").await.expect_err("unknown"),
    );
    note("bad id", me.result("not-a-job").await.expect_err("bad id"));
    // Another user: the owner's jobs do not exist for them.
    let mut stranger = Via::new(surface, srv, &other.access_token).await;
    note("other's job", stranger.status(&bell).await.expect_err("hidden"));
    note("other's result", stranger.result(&bell).await.expect_err("hidden"));
    note("other's cancel", stranger.cancel(&bell).await.expect_err("hidden"));
    let mut anonymous = Via::new(surface, srv, "").await;
    note("no credential", anonymous.status(&bell).await.expect_err("anonymous"));
    let mut forged = Via::new(surface, srv, "qv_notarealkey").await;
    note("bad key", forged.status(&bell).await.expect_err("forged"));
    let _ = owner;
    Report { bell: bell_out, wide: wide_out, listed: listed.len(), errors }
}

async fn parity(db: Db) {
    let srv = TestServer::start_with(db, |_| {}).await;
    let owner = srv.register("parity-owner").await;
    let other = srv.register("parity-other").await;
    // One API key per surface, created through it where it can (gRPC has
    // no key management: REST creates its key).
    let mut reports = Vec::new();
    for surface in [Surface::Rest, Surface::GraphQl, Surface::Grpc] {
        let session = Via::new(Surface::Rest, &srv, &owner.access_token).await;
        let name = format!("{surface:?}");
        let key = if surface == Surface::GraphQl {
            let gql = Via::new(Surface::GraphQl, &srv, &owner.access_token).await;
            let q = "mutation($n: String!) { createApiKey(name: $n, scopes: [\"jobs:read\", \"jobs:write\"]) { key } }";
            let v = gql.gql(q, json!({"n": name})).await.expect("createApiKey");
            v["createApiKey"]["key"].as_str().unwrap().to_string()
        } else {
            let body = json!({"name": name, "scopes": ["jobs:read", "jobs:write"]});
            let v = session
                .rest(reqwest::Method::POST, "/api/v1/api-keys", Some(body))
                .await
                .expect("key");
            v["key"].as_str().unwrap().to_string()
        };
        reports.push((surface, scenario(surface, &srv, &owner, &key, &other).await));
    }
    let (_, rest) = &reports[0];
    let expected: Vec<(&str, &str)> = vec![
        ("parse", "parse_error"),
        ("no result", "not_ready"),
        ("cancel ended", "conflict"),
        ("unknown id", "not_found"),
        ("bad id", "not_found"),
        ("other's job", "not_found"),
        ("other's result", "not_found"),
        ("other's cancel", "not_found"),
        ("no credential", "unauthorized"),
        ("bad key", "unauthorized"),
    ];
    let got: Vec<(&str, &str)> =
        rest.errors.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(got, expected, "REST error codes");
    for (surface, report) in &reports[1..] {
        assert_eq!(report, rest, "{surface:?} differs from REST");
    }
    srv.stop().await;
}

on_both! {
    rest_graphql_and_grpc_agree => parity,
}
