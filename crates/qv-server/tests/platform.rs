//! Platform behaviour of a real server on port 0: operations routes,
//! metrics, request ids, error shapes, body limit, CORS, rate limits, the
//! OpenAPI document and docs page, and the WebSocket event stream.

mod common;

use std::time::Duration;

use common::{Db, TestServer};
use futures_util::StreamExt;
use serde_json::{json, Value};

const BELL: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n";

fn assert_error_shape(v: &Value, code: &str) {
    assert_eq!(v["error"]["code"], code, "{v}");
    assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
}

#[tokio::test]
async fn health_ready_and_request_ids() {
    let s = TestServer::start().await;
    let r = s.http.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(!id.is_empty());
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"status": "ok"}));

    let r = s.http.get(s.url("/readyz")).header("x-request-id", "trace-42").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-request-id"], "trace-42");
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"status": "ready"}));

    // Two requests without an id get different ones.
    let r2 = s.http.get(s.url("/healthz")).send().await.unwrap();
    assert_ne!(r2.headers()["x-request-id"].to_str().unwrap(), id);
    s.stop().await;
}

#[tokio::test]
async fn errors_have_the_json_shape() {
    let s = TestServer::start_with(Db::Sqlite, |c| c.max_body_bytes = 2048).await;
    // Unknown API route.
    let r = s.http.get(s.url("/api/v1/no/such/route")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_error_shape(&r.json().await.unwrap(), "not_found");

    let login = s.url("/api/v1/auth/login");
    // Malformed JSON.
    let r = s
        .http
        .post(&login)
        .header("content-type", "application/json")
        .body("{\"username\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_error_shape(&r.json().await.unwrap(), "bad_request");
    // Wrong content type.
    let r =
        s.http.post(&login).header("content-type", "text/plain").body("{}").send().await.unwrap();
    assert_eq!(r.status(), 415);
    assert_error_shape(&r.json().await.unwrap(), "unsupported_media_type");
    // Missing fields (auth's extractor and the middleware for plain axum::Json agree).
    let r = s.http.post(&login).json(&json!({"username": "x"})).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_error_shape(&v, "validation_error");
    assert!(v["error"]["message"].as_str().unwrap().contains("password"), "{v}");
    let r = s
        .http
        .post(s.url("/api/v1/jobs"))
        .bearer_auth("qv_not_a_key")
        .json(&json!({"shots": 1}))
        .send()
        .await
        .unwrap();
    assert!(matches!(r.status().as_u16(), 400 | 401), "{}", r.status());
    assert!(r.json::<Value>().await.unwrap()["error"]["code"].is_string());
    // Body over the limit.
    let big = json!({"username": "x".repeat(4096), "password": "y"});
    let r = s.http.post(&login).json(&big).send().await.unwrap();
    assert_eq!(r.status(), 413);
    assert_error_shape(&r.json().await.unwrap(), "too_large");
    // Wrong method.
    let r = s.http.delete(s.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_error_shape(&r.json().await.unwrap(), "method_not_allowed");
    s.stop().await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let s = TestServer::start().await;
    let id = "0190c0de-0000-7000-8000-00000000beef";
    for _ in 0..3 {
        let r = s.http.get(s.url(&format!("/api/v1/jobs/{id}"))).send().await.unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = s.http.get(s.url("/api/v1/definitely-unknown-123")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = s.http.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().contains("openmetrics-text"));
    let text = r.text().await.unwrap();
    assert!(
        text.contains(
            r#"http_requests_total{method="GET",route="/api/v1/jobs/{id}",status="401"} 3"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched",status="404"} 1"#), "{text}");
    assert!(
        !text.contains(id) && !text.contains("definitely-unknown"),
        "raw paths leak into labels"
    );
    for name in [
        "http_request_duration_seconds_bucket",
        "qv_jobs{state=\"QUEUED\"}",
        "qv_queue_depth",
        "qv_jobs_submitted_total",
        "# TYPE qv_simulation_seconds histogram",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
    s.stop().await;
}

#[tokio::test]
async fn cors_preflight_allows_configured_origins_only() {
    let s =
        TestServer::start_with(Db::Sqlite, |c| c.cors_origins = vec!["https://app.example".into()])
            .await;
    let preflight = |origin: &'static str| {
        s.http
            .request(reqwest::Method::OPTIONS, s.url("/api/v1/jobs"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization,content-type")
            .send()
    };
    let r = preflight("https://app.example").await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(r.headers()["access-control-allow-origin"], "https://app.example");
    let methods = r.headers()["access-control-allow-methods"].to_str().unwrap().to_string();
    assert!(methods.contains("POST"), "{methods}");
    let allowed = r.headers()["access-control-allow-headers"].to_str().unwrap().to_lowercase();
    assert!(allowed.contains("authorization"), "{allowed}");

    let r = preflight("https://evil.example").await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());

    // Simple requests carry the header too.
    let r =
        s.http.get(s.url("/healthz")).header("origin", "https://app.example").send().await.unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "https://app.example");
    s.stop().await;
}

#[tokio::test]
async fn no_cors_headers_by_default() {
    let s = TestServer::start().await;
    let r =
        s.http.get(s.url("/healthz")).header("origin", "https://app.example").send().await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    s.stop().await;
}

#[tokio::test]
async fn per_user_rate_limit_answers_429_with_retry_after() {
    let s = TestServer::start_with(Db::Sqlite, |c| {
        c.rate_limit_per_s = 0.2;
        c.rate_limit_burst = 3.0;
    })
    .await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let me = |token: &str| s.http.get(s.url("/api/v1/me")).bearer_auth(token).send();
    for _ in 0..3 {
        assert_eq!(me(&alice.access_token).await.unwrap().status(), 200);
    }
    let r = me(&alice.access_token).await.unwrap();
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=5).contains(&retry), "Retry-After {retry}");
    assert_error_shape(&r.json().await.unwrap(), "rate_limited");
    // Another user has their own bucket.
    assert_eq!(me(&bob.access_token).await.unwrap().status(), 200);
    s.stop().await;
}

#[tokio::test]
async fn per_ip_auth_rate_limit() {
    let s = TestServer::start_with(Db::Sqlite, |c| c.auth_rate_limit_per_min = 3.0).await;
    let login = || {
        s.http
            .post(s.url("/api/v1/auth/login"))
            .json(&json!({"username": "nobody", "password": "wrong password here"}))
            .send()
    };
    for _ in 0..3 {
        assert_eq!(login().await.unwrap().status(), 401);
    }
    let r = login().await.unwrap();
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_error_shape(&r.json().await.unwrap(), "rate_limited");
    s.stop().await;
}

/// Every route of the API contract, as (method, OpenAPI path).
const CONTRACT: &[(&str, &str)] = &[
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/me"),
    ("post", "/api/v1/api-keys"),
    ("get", "/api/v1/api-keys"),
    ("delete", "/api/v1/api-keys/{id}"),
    ("post", "/api/v1/mfa/totp/enroll"),
    ("post", "/api/v1/mfa/totp/verify"),
    ("post", "/api/v1/mfa/totp/disable"),
    ("get", "/api/v1/admin/users"),
    ("post", "/api/v1/admin/users/{id}/disable"),
    ("post", "/api/v1/admin/users/{id}/enable"),
    ("get", "/api/v1/admin/jobs"),
    ("post", "/api/v1/jobs"),
    ("get", "/api/v1/jobs"),
    ("get", "/api/v1/jobs/{id}"),
    ("delete", "/api/v1/jobs/{id}"),
    ("get", "/api/v1/jobs/{id}/result"),
    ("post", "/api/v1/jobs/{id}/cancel"),
    ("get", "/api/v1/backends"),
    ("get", "/api/v1/events"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
];

#[tokio::test]
async fn openapi_document_covers_the_contract() {
    let s = TestServer::start().await;
    let r = s.http.get(s.url("/api/openapi.json")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let doc: Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."), "{}", doc["openapi"]);
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["type"], "http");
    let mut missing = Vec::new();
    for (method, path) in CONTRACT {
        if doc["paths"][path][method].is_null() {
            missing.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    assert!(missing.is_empty(), "missing from the OpenAPI document: {missing:?}");
    // Authenticated operations declare the bearer scheme.
    assert!(doc["paths"]["/api/v1/jobs"]["post"]["security"].is_array());
    s.stop().await;
}

#[tokio::test]
async fn docs_page_is_served_from_the_binary() {
    let s = TestServer::start().await;
    let r = s.http.get(s.url("/api/docs")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert!(html.contains("/api/openapi.json"));
    // Nothing is loaded from elsewhere.
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"), "external resource");
    s.stop().await;
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect_ws(s: &TestServer, token: &str, in_query: bool) -> Ws {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let base = s.base.replacen("http://", "ws://", 1);
    let (url, header) = if in_query {
        (format!("{base}/api/v1/events?access_token={token}"), None)
    } else {
        (format!("{base}/api/v1/events"), Some(format!("Bearer {token}")))
    };
    let mut req = url.into_client_request().unwrap();
    if let Some(h) = header {
        req.headers_mut().insert("authorization", h.parse().unwrap());
    }
    let (ws, resp) = tokio_tungstenite::connect_async(req).await.expect("websocket connects");
    assert_eq!(resp.status(), 101);
    ws
}

async fn submit(s: &TestServer, token: &str) -> String {
    let r = s
        .http
        .post(s.url("/api/v1/jobs"))
        .bearer_auth(token)
        .json(&json!({"program": {"format": "qasm2", "source": BELL}, "shots": 16}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let v: Value = r.json().await.unwrap();
    v["id"].as_str().unwrap().to_string()
}

/// Reads job messages until `job_id` reaches a terminal state; returns
/// every job message seen.
async fn read_until_done(ws: &mut Ws, job_id: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("events arrive in time")
            .expect("stream open")
            .expect("frame");
        let Ok(text) = msg.to_text() else { continue };
        if text.is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(text).unwrap();
        let done = v["job_id"] == job_id
            && matches!(v["status"].as_str(), Some("COMPLETED" | "FAILED" | "CANCELLED"));
        seen.push(v);
        if done {
            return seen;
        }
    }
}

#[tokio::test]
async fn websocket_streams_only_the_callers_events() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;

    // Without credentials the upgrade is refused.
    let base = s.base.replacen("http://", "ws://", 1);
    let err = tokio_tungstenite::connect_async(format!("{base}/api/v1/events")).await.unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");

    let mut a = connect_ws(&s, &alice.access_token, false).await;
    let mut b = connect_ws(&s, &bob.access_token, true).await;

    let a_job = submit(&s, &alice.access_token).await;
    let a_events = read_until_done(&mut a, &a_job).await;
    assert!(
        a_events.iter().all(|e| e["type"] == "job" && e["job_id"] == a_job.as_str()),
        "{a_events:?}"
    );
    assert_eq!(a_events.last().unwrap()["status"], "COMPLETED", "{a_events:?}");
    assert!(a_events.iter().all(|e| e["at"].as_str().is_some()));

    // Bob sees his own job and nothing of Alice's.
    let b_job = submit(&s, &bob.access_token).await;
    let b_events = read_until_done(&mut b, &b_job).await;
    assert!(
        b_events.iter().all(|e| e["job_id"] == b_job.as_str()),
        "bob received another user's events: {b_events:?}"
    );

    // On shutdown the server closes the stream.
    let stop = tokio::spawn(s.stop());
    let closed = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(m) = a.next().await {
            match m {
                Ok(tokio_tungstenite::tungstenite::Message::Close(f)) => {
                    return f.map(|f| u16::from(f.code))
                }
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    })
    .await
    .expect("stream closes on shutdown");
    assert_eq!(closed, Some(1001));
    stop.await.unwrap();
}
