//! The HTTP layer under abuse, on a real server: idle and half-sent
//! connections are closed by the header timeout, a slow body by the body
//! timeout, connections over the per-address cap are closed at accept while
//! other clients are still served, NUL characters are refused with a 400 on
//! both databases, responses carry the security headers, `/metrics` is not
//! public, and the data directory is private to its owner.

#[macro_use]
mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{Db, TestServer};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Connects from `local` (an address in 127.0.0.0/8) to the server.
async fn connect_from(local: &str, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind(format!("{local}:0").parse().unwrap()).expect("bind a loopback address");
    socket.connect(server).await.expect("connect")
}

/// Reads until the server closes the connection (or `limit` passes);
/// returns what was read and whether it closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return (out, false),
            Ok(Ok(0)) | Ok(Err(_)) => return (out, true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

async fn healthz(s: &TestServer) -> u16 {
    s.http.get(s.url("/healthz")).send().await.expect("healthz answers").status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_half_sent_connections_are_closed_by_the_header_timeout() {
    let s = TestServer::start_with(Db::Sqlite, |c| c.header_read_timeout_s = 1).await;
    let addr = s.server.as_ref().unwrap().addr;
    let mut idle = TcpStream::connect(addr).await.unwrap();
    let mut half = TcpStream::connect(addr).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    let started = Instant::now();
    let (_, closed) = read_until_closed(&mut idle, Duration::from_secs(20)).await;
    assert!(closed, "an idle connection stays open");
    let (_, closed) = read_until_closed(&mut half, Duration::from_secs(20)).await;
    assert!(closed, "a connection with half-sent headers stays open");
    // Closed by the timeout, not at once (the caps were not hit).
    assert!(started.elapsed() >= Duration::from_millis(900), "{:?}", started.elapsed());

    // A keep-alive connection idle after a response is closed too.
    let mut kept = TcpStream::connect(addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let (out, closed) = read_until_closed(&mut kept, Duration::from_secs(20)).await;
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200"), "{out:?}");
    assert!(closed, "an idle keep-alive connection stays open");
    assert_eq!(healthz(&s).await, 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_gets_408() {
    let s = TestServer::start_with(Db::Sqlite, |c| c.body_read_timeout_s = 1).await;
    let addr = s.server.as_ref().unwrap().addr;
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"username\":",
    )
    .await
    .unwrap();
    let (out, _) = read_until_closed(&mut c, Duration::from_secs(20)).await;
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"request_timeout\""), "{text}");
    assert_eq!(healthz(&s).await, 200);
    s.stop().await;
}

/// The scaled-down connection flood: 300 idle connections from one address
/// hold only its cap; the rest are closed at once, another client is still
/// served, and the held ones go when the header timeout passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_flood_from_one_address_holds_only_its_cap() {
    let s = TestServer::start_with(Db::Sqlite, |c| {
        c.max_connections_per_ip = 50;
        c.header_read_timeout_s = 5;
    })
    .await;
    let addr = s.server.as_ref().unwrap().addr;
    let mut flood = Vec::new();
    for _ in 0..300 {
        flood.push(connect_from("127.0.0.2", addr).await);
    }
    // Connections over the cap are closed without a word (all read at
    // once: the held ones must not reach their header timeout meanwhile).
    let reads = flood.iter_mut().map(|c| async move {
        let mut b = [0u8; 1];
        matches!(tokio::time::timeout(Duration::from_millis(1500), c.read(&mut b)).await, Ok(Ok(0)))
    });
    let closed_at_once =
        futures_util::future::join_all(reads).await.into_iter().filter(|closed| *closed).count();
    assert_eq!(closed_at_once, 250, "all but the 50 under the cap are closed at accept");
    assert_eq!(healthz(&s).await, 200, "another address is still served");
    let text = s.http.get(s.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("qv_http_connections_refused_total 250"), "{text}");
    // The held ones are closed by the header timeout; the address may connect again.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut again = connect_from("127.0.0.2", addr).await;
    again
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (out, _) = read_until_closed(&mut again, Duration::from_secs(10)).await;
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200"), "{out:?}");
    s.stop().await;
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let s = TestServer::start().await;
    for path in ["/", "/api/v1/gates", "/healthz", "/api/v1/nowhere"] {
        let r = s.http.get(s.url(path)).send().await.unwrap();
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
    }
    // The docs page keeps its own, stricter policy.
    let r = s.http.get(s.url("/api/docs")).send().await.unwrap();
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    s.stop().await;
}

#[tokio::test]
async fn metrics_need_the_token_when_one_is_set() {
    let token = "a-long-metrics-token-0123456789";
    let s = TestServer::start_with(Db::Sqlite, |c| c.metrics_token = Some(token.into())).await;
    let r = s.http.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "unauthorized", "{v}");
    let r = s.http.get(s.url("/metrics")).bearer_auth("wrong-token-0123456789").send().await;
    assert_eq!(r.unwrap().status(), 401);
    let r = s.http.get(s.url("/metrics")).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("http_requests_total"));
    s.stop().await;
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let s = TestServer::start().await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(s.dir.path()), 0o700, "data directory");
    assert_eq!(mode(&s.dir.path().join("qv.db")), 0o600, "database");
    assert_eq!(mode(&s.dir.path().join("server.key")), 0o600, "server key");
    s.stop().await;
}

on_both! {
    nul_characters_are_refused_with_400 => flow_nul,
}

async fn flow_nul(db: Db) {
    let s = TestServer::start_with(db, |_| {}).await;
    let u = s.register("nul").await;
    let bell = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\ncreg c[1];\nh q[0];\nmeasure q -> c;\n";
    let submit = |body: Value| {
        s.http.post(s.url("/api/v1/jobs")).bearer_auth(&u.access_token).json(&body).send()
    };
    for field in ["name", "idempotency_key"] {
        let mut body = json!({"program": {"format": "qasm2", "source": bell}, "shots": 10});
        body[field] = json!("a\u{0}b");
        let r = submit(body).await.unwrap();
        assert_eq!(r.status(), 400, "{field}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "validation_error", "{field}: {v}");
        assert!(v["error"]["message"].as_str().unwrap().contains("NUL"), "{field}: {v}");
    }
    for query in ["backend=%00", "status=QUEUED%00", "name=%00x"] {
        let r = s
            .http
            .get(s.url(&format!("/api/v1/jobs?{query}")))
            .bearer_auth(&u.access_token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{query}");
        let v: Value = r.json().await.unwrap();
        assert!(v["error"]["message"].as_str().unwrap().contains("NUL"), "{query}: {v}");
    }
    // Registration and login bodies too (before any database lookup).
    let r = s
        .http
        .post(s.url("/api/v1/auth/login"))
        .json(&json!({"username": "nul\u{0}", "password": "correct horse battery staple"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // A backslash followed by `u0000` is ordinary text, not a NUL.
    let mut body = json!({"program": {"format": "qasm2", "source": bell}, "shots": 10});
    body["name"] = json!("C:\\u0000");
    let r = submit(body).await.unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    assert_eq!(healthz(&s).await, 200);
    s.stop().await;
}
