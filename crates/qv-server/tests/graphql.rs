//! The GraphQL API through the real HTTP server (SQLite, and PostgreSQL
//! when `QV_TEST_DATABASE_URL` is set): queries, mutations, errors, limits,
//! rate limits shared with REST, subscriptions over `graphql-transport-ws`,
//! the explorer, and the committed schema file.

#[macro_use]
mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{long_circuit, Api, Db, TestServer};
use futures_util::{SinkExt, StreamExt};
use qv_server::config::ServerRole;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

const BELL: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n";

/// GraphQL calls of one caller (`token` empty: none).
struct Gql<'a> {
    srv: &'a TestServer,
    token: String,
}

impl<'a> Gql<'a> {
    fn new(srv: &'a TestServer, token: &str) -> Gql<'a> {
        Gql { srv, token: token.to_string() }
    }

    /// Posts an operation; asserts HTTP 200 and returns `{data, errors}`.
    async fn run(&self, query: &str, variables: Value) -> Value {
        let mut req = self
            .srv
            .http
            .post(self.srv.url("/graphql"))
            .json(&json!({"query": query, "variables": variables}));
        if !self.token.is_empty() {
            req = req.bearer_auth(&self.token);
        }
        let r = req.send().await.expect("graphql request");
        let status = r.status().as_u16();
        let body: Value = r.json().await.expect("graphql body is JSON");
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Runs an operation that must succeed; returns `data`.
    async fn ok(&self, query: &str, variables: Value) -> Value {
        let body = self.run(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// Runs an operation that must fail; returns its first error.
    async fn err(&self, query: &str, variables: Value) -> Value {
        let body = self.run(query, variables).await;
        body["errors"][0].clone()
    }

    async fn submit(&self, input: Value) -> String {
        let d = self
            .ok(
                "mutation($i: SubmitJobInput!) { submitJob(input: $i) { id status queuePosition created } }",
                json!({"i": input}),
            )
            .await;
        let s = &d["submitJob"];
        assert_eq!(
            (s["status"].as_str(), s["created"].as_bool()),
            (Some("QUEUED"), Some(true)),
            "{d}"
        );
        assert!(s["queuePosition"].as_i64().is_some_and(|p| p >= 1), "{d}");
        s["id"].as_str().unwrap().to_string()
    }

    async fn status(&self, id: &str) -> String {
        let d = self.ok("query($id: ID!) { job(id: $id) { status } }", json!({"id": id})).await;
        d["job"]["status"].as_str().unwrap().to_string()
    }

    async fn wait_for(&self, id: &str, want: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let s = self.status(id).await;
            if want.contains(&s.as_str()) {
                return s;
            }
            assert!(Instant::now() < deadline, "job {id} still {s}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn code(err: &Value) -> &str {
    err["extensions"]["code"].as_str().unwrap_or_default()
}

fn bell(shots: u64) -> Value {
    json!({"program": {"format": "qasm2", "source": BELL}, "shots": shots})
}

// ---------------------------------------------------------------- flows

async fn flow_bell_end_to_end(db: Db) {
    let srv = TestServer::start_with(db, |_| {}).await;
    let alice = srv.register("alice").await;
    let g = Gql::new(&srv, &alice.access_token);
    let d = g.ok("{ me { id username role } backends { name maxQubits status } }", json!({})).await;
    assert_eq!(d["me"]["username"], "alice");
    assert_eq!(d["me"]["id"], alice.user_id.as_str());
    assert_eq!(d["me"]["role"], "user");
    let names: Vec<&str> =
        d["backends"].as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"statevector") && names.contains(&"stabilizer"), "{names:?}");

    // A seed beyond 2^53 (and u64::MAX itself) survives as a BigInt string.
    let id = g
        .submit(json!({
            "program": {"format": "qasm2", "source": BELL},
            "shots": "500", "seed": "18446744073709551615", "name": "bell", "tags": ["demo"],
            "memory": true, "outputs": {"probabilities": true, "statevector": true},
            "observables": ["Z0 Z1"],
        }))
        .await;
    assert_eq!(g.wait_for(&id, &["COMPLETED", "FAILED"]).await, "COMPLETED");
    let d = g
        .ok(
            "query($id: ID!) {
               job(id: $id) { name tags shots backendUsed program { format source } }
               jobResult(id: $id) {
                 jobId counts { outcome count } memory
                 probabilities { outcome probability } statevector { re im }
                 expectationValues { observable value stdDev }
                 metadata { seed shots numQubits numClbits backend }
               }
             }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        (d["job"]["name"].as_str(), d["job"]["tags"][0].as_str()),
        (Some("bell"), Some("demo"))
    );
    assert_eq!(d["job"]["shots"], "500");
    assert_eq!(d["job"]["program"]["source"], BELL);
    let r = &d["jobResult"];
    assert_eq!(r["jobId"], id.as_str());
    let counts = r["counts"].as_array().unwrap();
    assert!(counts.iter().all(|c| c["outcome"] == "00" || c["outcome"] == "11"), "{counts:?}");
    let total: u64 =
        counts.iter().map(|c| c["count"].as_str().unwrap().parse::<u64>().unwrap()).sum();
    assert_eq!(total, 500);
    assert_eq!(r["memory"].as_array().unwrap().len(), 500);
    assert_eq!(r["probabilities"].as_array().unwrap().len(), 2);
    let sv = r["statevector"].as_array().unwrap();
    assert_eq!(sv.len(), 4);
    assert!((sv[0]["re"].as_f64().unwrap() - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-9);
    assert!((r["expectationValues"][0]["value"].as_f64().unwrap() - 1.0).abs() < 1e-9, "{r}");
    assert_eq!(r["metadata"]["seed"], "18446744073709551615");
    assert_eq!(
        (r["metadata"]["shots"].as_str(), r["metadata"]["numQubits"].as_i64()),
        (Some("500"), Some(2))
    );

    // The same result as REST's, counts for counts.
    let api = Api::of(&srv, &alice);
    let (s, rest) = api.get(&format!("/api/v1/jobs/{id}/result")).await;
    assert_eq!(s, 200, "{rest}");
    for c in counts {
        let key = c["outcome"].as_str().unwrap();
        assert_eq!(rest["counts"][key].as_u64().unwrap().to_string(), c["count"].as_str().unwrap());
    }
    let d = g.ok("{ usage { totals { jobs shots } days { backend jobs } } }", json!({})).await;
    assert_eq!(
        (d["usage"]["totals"]["jobs"].as_str(), d["usage"]["totals"]["shots"].as_str()),
        (Some("1"), Some("500")),
        "{d}"
    );
    let e = g.err(r#"{ usage(from: "12/01/2026") { from } }"#, json!({})).await;
    assert_eq!(
        (code(&e), e["extensions"]["status"].as_u64()),
        ("validation_error", Some(400)),
        "{e}"
    );

    // Deleting the ended job: true, then it is gone.
    let d = g.ok("mutation($id: ID!) { deleteJob(id: $id) }", json!({"id": id})).await;
    assert_eq!(d["deleteJob"], true);
    let e = g.err("query($id: ID!) { job(id: $id) { id } }", json!({"id": id})).await;
    assert_eq!((code(&e), e["extensions"]["status"].as_u64()), ("not_found", Some(404)), "{e}");
    srv.stop().await;
}

async fn flow_pagination_filters_cancel_delete(db: Db) {
    // API only: nothing runs, so jobs stay queued.
    let srv = TestServer::start_with(db, |c| c.role = ServerRole::Api).await;
    let u = srv.register("pager").await;
    let g = Gql::new(&srv, &u.access_token);
    let mut ids = Vec::new();
    for i in 0..5 {
        let tag = if i % 2 == 0 { "even" } else { "odd" };
        let mut input = bell(10);
        input["tags"] = json!([tag]);
        ids.push(g.submit(input).await);
    }
    let page = "query($after: String, $first: Int, $f: JobFilter) {
        jobs(first: $first, after: $after, filter: $f) {
          edges { cursor node { id status tags } }
          pageInfo { hasNextPage endCursor }
        } }";
    // Pages of two, newest first, until hasNextPage is false.
    let mut seen = Vec::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        let d = g.ok(page, json!({"first": 2, "after": after})).await;
        let c = &d["jobs"];
        let edges = c["edges"].as_array().unwrap();
        assert!(!edges.is_empty() && edges.len() <= 2, "{c}");
        seen.extend(edges.iter().map(|e| e["node"]["id"].as_str().unwrap().to_string()));
        assert_eq!(c["pageInfo"]["endCursor"], edges.last().unwrap()["cursor"]);
        pages += 1;
        if !c["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = c["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(pages, 3);
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 5, "no duplicates: {seen:?}");
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first);
    // Any edge's cursor continues after that edge.
    let d = g.ok(page, json!({"first": 5})).await;
    let second = d["jobs"]["edges"][1]["cursor"].clone();
    let d = g.ok(page, json!({"first": 1, "after": second})).await;
    assert_eq!(d["jobs"]["edges"][0]["node"]["id"], ids[2].as_str());

    let d = g.ok(page, json!({"f": {"tag": "even"}})).await;
    assert_eq!(d["jobs"]["edges"].as_array().unwrap().len(), 3);
    let d = g.ok(page, json!({"f": {"status": "QUEUED", "tag": "odd"}})).await;
    assert_eq!(d["jobs"]["edges"].as_array().unwrap().len(), 2);
    let d = g.ok(page, json!({"f": {"status": "COMPLETED"}})).await;
    assert_eq!(d["jobs"]["edges"], json!([]));
    assert_eq!(d["jobs"]["pageInfo"], json!({"hasNextPage": false, "endCursor": null}));
    let e = g.err(page, json!({"first": 0})).await;
    assert_eq!(code(&e), "validation_error", "{e}");
    let e = g.err(page, json!({"first": 201})).await;
    assert_eq!(code(&e), "validation_error", "{e}");
    let e = g.err(page, json!({"after": "not-a-cursor"})).await;
    assert_eq!(code(&e), "validation_error", "{e}");
    let e = g.err(page, json!({"f": {"createdAfter": "yesterday"}})).await;
    assert_eq!(code(&e), "validation_error", "{e}");
    let e = g.err(page, json!({"f": {"status": "DONE"}})).await;
    assert_eq!(code(&e), "bad_request", "an unknown enum value is refused by GraphQL: {e}");

    // An idempotency key returns the first job (`created` false).
    let once = "mutation($i: SubmitJobInput!) { submitJob(input: $i) { id created } }";
    let mut input = bell(10);
    input["idempotencyKey"] = json!("only-once");
    let first = g.ok(once, json!({"i": input})).await;
    let again = g.ok(once, json!({"i": input})).await;
    assert_eq!(first["submitJob"]["created"], true);
    assert_eq!(again["submitJob"], json!({"id": first["submitJob"]["id"], "created": false}));
    g.ok(
        "mutation($id: ID!) { cancelJob(id: $id) { id } }",
        json!({"id": first["submitJob"]["id"]}),
    )
    .await;
    g.ok("mutation($id: ID!) { deleteJob(id: $id) }", json!({"id": first["submitJob"]["id"]}))
        .await;

    // A queued job has no result, cannot be deleted, and cancels at once.
    let e = g.err("query($id: ID!) { jobResult(id: $id) { jobId } }", json!({"id": ids[0]})).await;
    assert_eq!((code(&e), e["extensions"]["status"].as_u64()), ("not_ready", Some(409)), "{e}");
    let e = g.err("mutation($id: ID!) { deleteJob(id: $id) }", json!({"id": ids[0]})).await;
    assert_eq!(code(&e), "conflict", "{e}");
    let d = g
        .ok("mutation($id: ID!) { cancelJob(id: $id) { id status } }", json!({"id": ids[0]}))
        .await;
    assert_eq!(d["cancelJob"]["status"], "CANCELLED");
    let e = g.err("mutation($id: ID!) { cancelJob(id: $id) { id } }", json!({"id": ids[0]})).await;
    assert_eq!(code(&e), "conflict", "{e}");
    let d = g.ok("mutation($id: ID!) { deleteJob(id: $id) }", json!({"id": ids[0]})).await;
    assert_eq!(d["deleteJob"], true);
    let d = g.ok(page, json!({})).await;
    assert_eq!(d["jobs"]["edges"].as_array().unwrap().len(), 4);
    srv.stop().await;
}

async fn flow_cancel_running(db: Db) {
    let srv = TestServer::start_with(db, |_| {}).await;
    let u = srv.register("canceller").await;
    let g = Gql::new(&srv, &u.access_token);
    let id = g
        .submit(json!({"program": {"format": "qasm2", "source": long_circuit()}, "shots": 10, "backend": "statevector"}))
        .await;
    g.wait_for(&id, &["RUNNING"]).await;
    let d = g.ok("mutation($id: ID!) { cancelJob(id: $id) { status } }", json!({"id": id})).await;
    let s = d["cancelJob"]["status"].as_str().unwrap();
    assert!(s == "CANCELLING" || s == "CANCELLED", "{d}");
    assert_eq!(g.wait_for(&id, &["CANCELLED", "COMPLETED", "FAILED"]).await, "CANCELLED");
    srv.stop().await;
}

async fn flow_api_keys_and_isolation(db: Db) {
    let srv = TestServer::start_with(db, |c| c.role = ServerRole::Api).await;
    let alice = srv.register("alice").await;
    let bob = srv.register("bob").await;
    let ga = Gql::new(&srv, &alice.access_token);
    let gb = Gql::new(&srv, &bob.access_token);

    let create = "mutation($n: String!, $s: [String!]!, $d: Int) {
        createApiKey(name: $n, scopes: $s, expiresInDays: $d) {
          key apiKey { id name prefix scopes expiresAt revokedAt } } }";
    let d = ga.ok(create, json!({"n": "reader", "s": ["jobs:read"], "d": 30})).await;
    let key = d["createApiKey"]["key"].as_str().unwrap().to_string();
    let key_id = d["createApiKey"]["apiKey"]["id"].as_str().unwrap().to_string();
    assert!(key.starts_with(d["createApiKey"]["apiKey"]["prefix"].as_str().unwrap()), "{d}");
    assert_eq!(d["createApiKey"]["apiKey"]["scopes"], json!(["jobs:read"]));
    assert!(d["createApiKey"]["apiKey"]["expiresAt"].is_string());
    let e = ga.err(create, json!({"n": "bad", "s": ["jobs:fly"]})).await;
    assert_eq!(code(&e), "validation_error", "{e}");
    let e = ga.err(create, json!({"n": "root", "s": ["admin"]})).await;
    assert_eq!((code(&e), e["extensions"]["status"].as_u64()), ("forbidden", Some(403)), "{e}");

    // The key works, within its scopes; it cannot manage keys.
    let gk = Gql::new(&srv, &key);
    let d = gk.ok("{ me { username } apiKeys { id } }", json!({})).await;
    assert_eq!(d["me"]["username"], "alice");
    assert_eq!(d["apiKeys"][0]["id"], key_id.as_str());
    let e = gk
        .err(
            "mutation($i: SubmitJobInput!) { submitJob(input: $i) { id } }",
            json!({"i": bell(10)}),
        )
        .await;
    assert_eq!(code(&e), "forbidden", "{e}");
    let e = gk.err(create, json!({"n": "child", "s": ["jobs:read"]})).await;
    assert_eq!(code(&e), "forbidden", "{e}");

    // Bob's job is not_found to Alice, whatever she asks.
    let bobs = gb.submit(bell(10)).await;
    for q in [
        "query($id: ID!) { job(id: $id) { id } }",
        "query($id: ID!) { jobResult(id: $id) { jobId } }",
        "mutation($id: ID!) { cancelJob(id: $id) { id } }",
        "mutation($id: ID!) { deleteJob(id: $id) }",
    ] {
        let e = ga.err(q, json!({"id": bobs})).await;
        assert_eq!(
            (code(&e), e["message"].as_str()),
            ("not_found", Some("job not found")),
            "{q}: {e}"
        );
    }
    let d = ga.ok("{ jobs { edges { node { id } } } }", json!({})).await;
    assert_eq!(d["jobs"]["edges"], json!([]));
    let e = gb.err("mutation($id: ID!) { revokeApiKey(id: $id) }", json!({"id": key_id})).await;
    assert_eq!(code(&e), "not_found", "{e}");

    // Revoked: the key is refused at once.
    let d = ga.ok("mutation($id: ID!) { revokeApiKey(id: $id) }", json!({"id": key_id})).await;
    assert_eq!(d["revokeApiKey"], true);
    let e = gk.err("{ me { id } }", json!({})).await;
    assert_eq!((code(&e), e["extensions"]["status"].as_u64()), ("unauthorized", Some(401)), "{e}");
    srv.stop().await;
}

async fn flow_errors_and_limits(db: Db) {
    let srv = TestServer::start_with(db, |c| c.role = ServerRole::Api).await;
    let u = srv.register("erring").await;
    let g = Gql::new(&srv, &u.access_token);
    let anon = Gql::new(&srv, "");

    // No credential: introspection only.
    let e = anon.err("{ me { id } }", json!({})).await;
    assert_eq!((code(&e), e["extensions"]["status"].as_u64()), ("unauthorized", Some(401)), "{e}");
    let e = Gql::new(&srv, "not-a-token").err("{ backends { name } }", json!({})).await;
    assert_eq!(code(&e), "unauthorized", "{e}");
    let d = anon.ok("{ __schema { queryType { name } mutationType { name } } }", json!({})).await;
    assert_eq!(d["__schema"]["queryType"]["name"], "Query");

    // Bad programs: the service's codes and messages (line and column).
    let bad = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nh q[0];\nfoo q[1];\n";
    let submit = "mutation($i: SubmitJobInput!) { submitJob(input: $i) { id } }";
    let e = g.err(submit, json!({"i": {"program": {"format": "qasm2", "source": bad}}})).await;
    assert_eq!((code(&e), e["extensions"]["status"].as_u64()), ("parse_error", Some(400)), "{e}");
    assert!(e["message"].as_str().unwrap().starts_with("line 5, column 1:"), "{e}");
    let mut input = bell(10);
    input["backend"] = json!("warp");
    assert_eq!(code(&g.err(submit, json!({"i": input})).await), "validation_error");
    let mut input = bell(10);
    input["priority"] = json!(10);
    assert_eq!(code(&g.err(submit, json!({"i": input})).await), "validation_error");
    let mut input = bell(10);
    input["adminPriority"] = json!(9);
    assert_eq!(code(&g.err(submit, json!({"i": input})).await), "forbidden");
    let e = g.err(submit, json!({"i": bell(10_000_000)})).await;
    assert_eq!(
        (code(&e), e["extensions"]["status"].as_u64()),
        ("limit_exceeded", Some(422)),
        "{e}"
    );
    let mut input = bell(10);
    input["seed"] = json!("-1");
    let e = g.err(submit, json!({"i": input})).await;
    assert_eq!(code(&e), "bad_request", "a negative BigInt is refused: {e}");
    let e = g.err("query($id: ID!) { job(id: $id) { id } }", json!({"id": "nope"})).await;
    assert_eq!(code(&e), "not_found", "{e}");

    // GraphQL's own errors: syntax with a location, unknown fields.
    let e = g.err("{ me { id }", json!({})).await;
    assert_eq!(code(&e), "bad_request", "{e}");
    assert!(e["locations"][0]["line"].as_u64().is_some(), "{e}");
    let e = g.err("{ me { password } }", json!({})).await;
    assert_eq!(code(&e), "bad_request", "{e}");

    // A depth bomb through introspection is refused at once.
    let bomb = format!(
        "{{ __schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }} }}",
        "ofType { ".repeat(12),
        "}".repeat(12)
    );
    let start = Instant::now();
    let e = g.err(&bomb, json!({})).await;
    assert!(e["message"].as_str().unwrap().to_lowercase().contains("nested too deep"), "{e}");
    assert!(start.elapsed() < Duration::from_secs(5));
    // So is an alias bomb (complexity), and deep parser recursion.
    let aliases: String = (0..300).map(|i| format!("a{i}: me {{ id username }} ")).collect();
    let e = g.err(&format!("{{ {aliases} }}"), json!({})).await;
    assert!(e["message"].as_str().unwrap().to_lowercase().contains("complex"), "{e}");
    let nested = format!("{{ me {} }}", "{ id ".repeat(200) + &"}".repeat(200));
    let e = g.err(&nested, json!({})).await;
    assert_eq!(code(&e), "bad_request", "{e}");
    assert!(e["message"].as_str().unwrap().contains("recursion"), "{e}");
    // The standard introspection query (GraphiQL's, schemathesis's) fits the limits.
    let d = anon.ok(INTROSPECTION, json!({})).await;
    assert!(d["__schema"]["types"].as_array().unwrap().len() > 20);

    // Transport errors: wrong media type, a body that is not a request,
    // a batch, a body over the limit.
    let url = srv.url("/graphql");
    let r = srv.http.post(&url).body("{ me { id } }").send().await.unwrap();
    assert_eq!(r.status(), 415);
    let r = srv
        .http
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"query\": 1}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "bad_request", "{v}");
    let r = srv.http.post(&url).json(&json!([{"query": "{ __typename }"}])).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let big = "x".repeat(srv.config.max_body_bytes + 1);
    let r = srv.http.post(&url).json(&json!({"query": big})).send().await.unwrap();
    assert_eq!(r.status(), 413);
    let r = srv
        .http
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"query\": \"{ __typename }\", \"variables\": {\"a\": \"\\u0000\"}}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "NUL escapes are refused as on REST");
    srv.stop().await;
}

async fn flow_rate_limit_shared_with_rest(db: Db) {
    let srv = TestServer::start_with(db, |c| {
        c.rate_limit_per_s = 0.01;
        c.rate_limit_burst = 6.0;
    })
    .await;
    let u = srv.register("limited").await;
    let g = Gql::new(&srv, &u.access_token);
    let api = Api::of(&srv, &u);
    // Six tokens: REST, GraphQL, REST, GraphQL take four ...
    for _ in 0..2 {
        let (s, v) = api.get("/api/v1/backends").await;
        assert_eq!(s, 200, "{v}");
        g.ok("{ backends { name } }", json!({})).await;
    }
    // ... one request with three root fields takes the last two and is refused the third.
    let body = g
        .run("{ a: backends { name } b: backends { name } c: backends { name } }", json!({}))
        .await;
    assert!(body["data"].is_null() || body["errors"].is_array(), "{body}");
    let errors = body["errors"].as_array().expect("the third root field is refused");
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(code(&errors[0]), "rate_limited", "{body}");
    assert_eq!(errors[0]["extensions"]["status"], 429);
    assert!(errors[0]["extensions"]["retryAfter"].as_u64().is_some_and(|s| s >= 1), "{body}");
    // Both surfaces are now refused.
    let e = g.err("{ me { id } }", json!({})).await;
    assert_eq!(code(&e), "rate_limited", "{e}");
    let (s, v) = api.get("/api/v1/backends").await;
    assert_eq!((s, v["error"]["code"].as_str()), (429, Some("rate_limited")), "{v}");
    srv.stop().await;
}

// ---------------------------------------------------------------- subscriptions

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/graphql/ws` with `graphql-transport-ws`.
async fn ws_connect(srv: &TestServer) -> Ws {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let base = srv.base.replacen("http://", "ws://", 1);
    let mut req = format!("{base}/graphql/ws").into_client_request().unwrap();
    req.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (ws, resp) = tokio_tungstenite::connect_async(req).await.expect("websocket connects");
    assert_eq!(resp.headers()["sec-websocket-protocol"], "graphql-transport-ws");
    ws
}

/// Opens `/graphql/ws` and sends `connection_init` with `payload`.
async fn ws_init(srv: &TestServer, payload: Value) -> Ws {
    let mut ws = ws_connect(srv).await;
    send(&mut ws, json!({"type": "connection_init", "payload": payload})).await;
    ws
}

async fn send(ws: &mut Ws, msg: Value) {
    ws.send(Message::Text(msg.to_string().into())).await.expect("send");
}

/// The next protocol message (a close frame as `{"type":"close","code","reason"}`).
async fn recv(ws: &mut Ws) -> Value {
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => return serde_json::from_str(&t).unwrap(),
                Some(Ok(Message::Close(f))) => {
                    let (code, reason) =
                        f.map(|f| (u16::from(f.code), f.reason.to_string())).unwrap_or_default();
                    return json!({"type": "close", "code": code, "reason": reason});
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return json!({"type": "ended"}),
            }
        }
    })
    .await
    .expect("a message in time")
}

const JOB_UPDATES: &str =
    "subscription($id: ID) { jobUpdates(id: $id) { kind jobId status at message missed } }";

/// The `jobUpdates` payload of a `next` message for subscription `sub`.
fn update<'m>(m: &'m Value, sub: &str) -> &'m Value {
    assert_eq!((m["type"].as_str(), m["id"].as_str()), (Some("next"), Some(sub)), "{m}");
    assert!(m["payload"].get("errors").is_none(), "{m}");
    &m["payload"]["data"]["jobUpdates"]
}

async fn flow_subscription(db: Db) {
    let srv = TestServer::start_with(db, |_| {}).await;
    let u = srv.register("watcher").await;
    let g = Gql::new(&srv, &u.access_token);
    let mut ws =
        ws_init(&srv, json!({"Authorization": format!("Bearer {}", u.access_token)})).await;
    assert_eq!(recv(&mut ws).await["type"], "connection_ack");
    // Every job of the caller. A subscription has no acknowledgement: probe
    // jobs show when the watch is open, so no later change can be missed.
    send(&mut ws, json!({"id": "all", "type": "subscribe", "payload": {"query": JOB_UPDATES}}))
        .await;
    'open: loop {
        let probe = g.submit(bell(1)).await;
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            let m = tokio::time::timeout(Duration::from_millis(200), ws.next()).await;
            if let Ok(Some(Ok(Message::Text(t)))) = m {
                let m: Value = serde_json::from_str(&t).unwrap();
                if update(&m, "all")["jobId"] == probe.as_str() {
                    break 'open;
                }
            }
        }
    }
    let id = g.submit(bell(100)).await;
    // The same job on its own subscription: its status when it opens first,
    // then each change, completing after the final one.
    send(&mut ws, json!({"id": "one", "type": "subscribe", "payload": {"query": JOB_UPDATES, "variables": {"id": id}}})).await;
    let (mut all, mut one) = (Vec::new(), Vec::new());
    let mut one_complete = false;
    while !(one_complete && all.last().is_some_and(|s| s == "COMPLETED")) {
        let m = recv(&mut ws).await;
        match (m["type"].as_str(), m["id"].as_str()) {
            (Some("complete"), Some("one")) => one_complete = true,
            (_, Some(sub)) => {
                let up = update(&m, sub);
                if up["jobId"] != id.as_str() {
                    continue; // a probe
                }
                assert_eq!(up["kind"], "STATUS", "{m}");
                assert!(up["at"].is_string(), "{m}");
                let list = if sub == "all" { &mut all } else { &mut one };
                list.push(up["status"].as_str().unwrap().to_string());
            }
            _ => panic!("unexpected {m}"),
        }
    }
    assert_eq!(all, ["QUEUED", "RUNNING", "COMPLETED"]);
    let lifecycle = ["QUEUED", "RUNNING", "COMPLETED"];
    assert!(
        !one.is_empty() && lifecycle.ends_with(&one.iter().map(String::as_str).collect::<Vec<_>>()),
        "ordered, ending COMPLETED: {one:?}"
    );
    send(&mut ws, json!({"id": "all", "type": "complete"})).await;

    // Another user's job cannot be watched.
    let other = srv.register("other").await;
    let theirs = Gql::new(&srv, &other.access_token).submit(bell(10)).await;
    send(&mut ws, json!({"id": "2", "type": "subscribe", "payload": {"query": JOB_UPDATES, "variables": {"id": theirs}}})).await;
    let m = loop {
        let m = recv(&mut ws).await;
        if m["id"] != "all" {
            break m;
        }
    };
    assert_eq!(m["id"], "2", "{m}");
    let err = if m["type"] == "error" { &m["payload"][0] } else { &m["payload"]["errors"][0] };
    assert_eq!(code(err), "not_found", "{m}");
    srv.stop().await;
}

async fn flow_subscription_credentials(db: Db) {
    let srv = TestServer::start_with(db, |c| {
        c.role = ServerRole::Api;
        c.events_recheck_s = 1;
        c.events_max_sockets_per_user = 1;
    })
    .await;
    let u = srv.register("keyed").await;
    // Bad or missing credentials close the socket with the reason.
    for payload in
        [json!({"Authorization": "Bearer not-a-token"}), json!({"token": "qv_nonsense"}), json!({})]
    {
        let mut ws = ws_init(&srv, payload.clone()).await;
        let m = recv(&mut ws).await;
        assert_eq!(m["type"], "close", "{payload}: {m}");
        assert!(m["reason"].as_str().unwrap().starts_with("unauthorized"), "{m}");
    }
    let g = Gql::new(&srv, &u.access_token);
    let d = g
        .ok(
            r#"mutation { createApiKey(name: "ws", scopes: ["jobs:read"]) { key apiKey { id } } }"#,
            json!({}),
        )
        .await;
    let key = d["createApiKey"]["key"].as_str().unwrap().to_string();
    let key_id = d["createApiKey"]["apiKey"]["id"].as_str().unwrap().to_string();
    let mut ws = ws_init(&srv, json!({"authorization": format!("Bearer {key}")})).await;
    assert_eq!(recv(&mut ws).await["type"], "connection_ack");
    send(&mut ws, json!({"id": "1", "type": "subscribe", "payload": {"query": JOB_UPDATES}})).await;
    // The user's one stream is taken: another subscription is refused.
    let mut other = ws_init(&srv, json!({"token": key})).await;
    assert_eq!(recv(&mut other).await["type"], "connection_ack");
    // Give the first subscription time to open its watch.
    tokio::time::sleep(Duration::from_millis(300)).await;
    send(&mut other, json!({"id": "x", "type": "subscribe", "payload": {"query": JOB_UPDATES}}))
        .await;
    let m = recv(&mut other).await;
    let err = if m["type"] == "error" { &m["payload"][0] } else { &m["payload"]["errors"][0] };
    assert_eq!(
        (code(err), err["extensions"]["status"].as_u64()),
        ("too_many_streams", Some(429)),
        "{m}"
    );
    // Revoking the key ends the subscription with `unauthorized`, then completes it.
    g.ok("mutation($id: ID!) { revokeApiKey(id: $id) }", json!({"id": key_id})).await;
    let m = recv(&mut ws).await;
    assert_eq!((m["type"].as_str(), m["id"].as_str()), (Some("next"), Some("1")), "{m}");
    assert_eq!(code(&m["payload"]["errors"][0]), "unauthorized", "{m}");
    let m = recv(&mut ws).await;
    assert_eq!((m["type"].as_str(), m["id"].as_str()), (Some("complete"), Some("1")), "{m}");
    srv.stop().await;
}

on_both! {
    bell_end_to_end => flow_bell_end_to_end,
    pagination_filters_cancel_delete => flow_pagination_filters_cancel_delete,
    cancel_running => flow_cancel_running,
    api_keys_and_isolation => flow_api_keys_and_isolation,
    errors_and_limits => flow_errors_and_limits,
    rate_limit_shared_with_rest => flow_rate_limit_shared_with_rest,
    subscription => flow_subscription,
    subscription_credentials => flow_subscription_credentials,
}

// ---------------------------------------------------------------- explorer, schema file

#[tokio::test]
async fn websocket_without_connection_init_is_dropped() {
    let srv = TestServer::start().await;
    let mut ws = ws_connect(&srv).await;
    let start = Instant::now();
    let end = recv(&mut ws).await;
    let waited = start.elapsed();
    assert!(end["type"] == "ended" || end["type"] == "close", "{end}");
    let limit = qv_server::graphql::WS_INIT_TIMEOUT;
    assert!(waited >= limit - Duration::from_millis(500), "dropped early: {waited:?}");
    assert!(waited < limit + Duration::from_secs(5), "dropped late: {waited:?}");
    srv.stop().await;
}

#[tokio::test]
async fn explorer_is_served_without_inline_scripts() {
    let srv = TestServer::start().await;
    let r = srv.http.get(srv.url("/graphql")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"<script src="/graphql/explorer.js"></script>"#));
    assert_eq!(html.matches("<script").count(), 1, "no inline scripts");
    for id in ["query", "variables", "token", "run", "schema", "result"] {
        assert!(html.contains(&format!(r#"id="{id}""#)), "explorer lacks #{id}");
    }
    let r = srv.http.get(srv.url("/graphql/explorer.js")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert!(r.text().await.unwrap().contains("fetch(\"/graphql\""));
    let r = srv.http.get(srv.url("/graphql/schema.graphql")).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), qv_server::graphql::sdl());
    srv.stop().await;
}

#[test]
fn schema_file_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../api/schema.graphql");
    let live = qv_server::graphql::sdl();
    if std::env::var_os("QV_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &live).expect("write api/schema.graphql");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == live,
        "api/schema.graphql differs from the live schema; regenerate it with \
         `QV_UPDATE_SCHEMA=1 cargo test -p qv-server --test graphql schema_file_is_current` \
         and commit it"
    );
}

/// graphql-js's `getIntrospectionQuery()`, as GraphiQL and schemathesis send it.
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}
"#;
