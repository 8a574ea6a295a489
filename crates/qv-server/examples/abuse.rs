//! Replays the attacks of the hardening review against a running `qv serve`
//! and prints, per attack, whether the server held or broke.
//!
//! Loopback only: the URL must name a 127.0.0.0/8 or ::1 address. Every
//! loop is bounded in count and time, and the run stops by itself. Source
//! addresses in 127.0.0.0/8 stand for distinct clients (Linux routes the
//! whole block to loopback), so per-address limits are exercised honestly.
//!
//! Usage (bench/abuse/run.sh starts a server and calls this):
//!   abuse --url http://127.0.0.1:PORT --admin USER:PASSWORD [--pid PID]
//!         [--data-dir DIR] [--metrics-token T] [--connections 20000] [--only NAME]
//!
//! The admin account disables a user in one attack. Exit status 0 when
//! every attack held, 1 otherwise.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameHeader};
use tokio_tungstenite::tungstenite::Message;

const PASSWORD: &str = "abuse run password 7f3c";

struct Args {
    url: String,
    addr: SocketAddr,
    admin: (String, String),
    pid: Option<u32>,
    data_dir: Option<String>,
    metrics_token: Option<String>,
    connections: usize,
    only: Option<String>,
}

fn usage(msg: &str) -> ! {
    eprintln!("abuse: {msg}\nusage: abuse --url http://127.0.0.1:PORT --admin USER:PASSWORD [--pid PID] [--data-dir DIR] [--metrics-token T] [--connections N] [--only NAME]");
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut it = std::env::args().skip(1);
    let (mut url, mut admin, mut pid, mut data_dir, mut token, mut only) =
        (None, None, None, None, None, None);
    let mut connections = 20_000;
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--url" => url = Some(value()),
            "--admin" => admin = Some(value()),
            "--pid" => pid = Some(value().parse().unwrap_or_else(|_| usage("bad --pid"))),
            "--data-dir" => data_dir = Some(value()),
            "--metrics-token" => token = Some(value()),
            "--connections" => {
                connections = value().parse().unwrap_or_else(|_| usage("bad --connections"))
            }
            "--only" => only = Some(value()),
            other => usage(&format!("unknown option {other}")),
        }
    }
    let url = url.unwrap_or_else(|| usage("--url is required"));
    let hostport = url.trim_start_matches("http://").trim_end_matches('/');
    let addr: SocketAddr =
        hostport.parse().unwrap_or_else(|_| usage("--url must be http://IP:PORT"));
    if !addr.ip().is_loopback() {
        usage("the target must be a loopback address");
    }
    let admin = admin.unwrap_or_else(|| usage("--admin USER:PASSWORD is required"));
    let (u, p) = admin.split_once(':').unwrap_or_else(|| usage("--admin USER:PASSWORD"));
    Args {
        url: url.trim_end_matches('/').to_string(),
        addr,
        admin: (u.to_string(), p.to_string()),
        pid,
        data_dir,
        metrics_token: token,
        connections,
        only,
    }
}

/// A client whose connections come from `127.0.a.b`.
fn client_from(a: u8, b: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, a, b)))
        .timeout(Duration::from_secs(60))
        .build()
        .expect("HTTP client")
}

struct Ctx {
    args: Args,
    /// The client of ordinary requests (127.0.0.1).
    http: reqwest::Client,
    run: String,
}

impl Ctx {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.args.url)
    }

    async fn healthz(&self) -> bool {
        let c = client_from(0, 1);
        matches!(
            tokio::time::timeout(Duration::from_secs(5), c.get(self.url("/healthz")).send()).await,
            Ok(Ok(r)) if r.status() == 200
        )
    }

    async fn post(
        &self,
        c: &reqwest::Client,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> (u16, Value) {
        let mut req = c.post(self.url(path)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        match req.send().await {
            Ok(r) => {
                let s = r.status().as_u16();
                (s, r.json().await.unwrap_or(Value::Null))
            }
            Err(e) => (0, json!({"transport_error": e.to_string()})),
        }
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        match self.http.get(self.url(path)).bearer_auth(token).send().await {
            Ok(r) => {
                let s = r.status().as_u16();
                (s, r.json().await.unwrap_or(Value::Null))
            }
            Err(e) => (0, json!({"transport_error": e.to_string()})),
        }
    }

    /// Registers `name` (from its own address, so the per-address auth
    /// limit is not what stops the run) and returns (user id, access token).
    async fn user(&self, name: &str, from: (u8, u8)) -> (String, String) {
        let c = client_from(from.0, from.1);
        let username = format!("{name}_{}", self.run);
        let (s, v) = self
            .post(&c, "/api/v1/auth/register", None, json!({"email": format!("{username}@example.com"), "username": username, "password": PASSWORD}))
            .await;
        assert!(s == 201, "register {username}: {s} {v}");
        let id = v["id"].as_str().unwrap_or_default().to_string();
        let (s, v) = self
            .post(
                &c,
                "/api/v1/auth/login",
                None,
                json!({"username": username, "password": PASSWORD}),
            )
            .await;
        assert!(s == 200, "login {username}: {s} {v}");
        (id, v["access_token"].as_str().unwrap_or_default().to_string())
    }

    async fn admin_token(&self) -> String {
        let c = client_from(0, 250);
        let (s, v) = self
            .post(
                &c,
                "/api/v1/auth/login",
                None,
                json!({"username": self.args.admin.0, "password": self.args.admin.1}),
            )
            .await;
        assert!(s == 200, "admin login: {s} {v}");
        v["access_token"].as_str().unwrap_or_default().to_string()
    }

    async fn submit(&self, token: &str, body: Value) -> (u16, Value) {
        loop {
            let (s, v) = self.post(&self.http, "/api/v1/jobs", Some(token), body.clone()).await;
            if s == 429 && v["error"]["code"] == "rate_limited" {
                tokio::time::sleep(Duration::from_millis(250)).await;
                continue;
            }
            return (s, v);
        }
    }
}

struct Outcome {
    held: bool,
    detail: String,
}

fn held(detail: impl Into<String>) -> Outcome {
    Outcome { held: true, detail: detail.into() }
}

/// `held` when `ok`, else `broke`, with the same detail.
fn verdict(ok: bool, detail: String) -> Outcome {
    Outcome { held: ok, detail }
}

fn broke(detail: impl Into<String>) -> Outcome {
    Outcome { held: false, detail: detail.into() }
}

fn qasm(body: &str) -> Value {
    json!({"format": "qasm2", "source": format!("OPENQASM 2.0;\ninclude \"qelib1.inc\";\n{body}")})
}

fn rss_kib(pid: Option<u32>) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

// ---------------------------------------------------------------- attacks

async fn nested_gates(ctx: &Ctx) -> Outcome {
    let (_, token) = ctx.user("nest", (1, 1)).await;
    let mut src = String::from("gate g0 a { h a; }\n");
    for k in 1..4000 {
        src.push_str(&format!("gate g{k} a {{ g{} a; }}\n", k - 1));
    }
    src.push_str("qreg q[1];\ncreg c[1];\ng3999 q[0];\nmeasure q -> c;\n");
    let program = qasm(&src);
    let mut answers = Vec::new();
    // The editor's parse route answers 200 with `ok: false` and the errors.
    let (s, v) = ctx
        .post(
            &ctx.http,
            "/api/v1/circuits/parse",
            Some(&token),
            json!({"source": program["source"]}),
        )
        .await;
    answers.push(("parse", if s == 200 && v["ok"] == false { 422 } else { s }));
    for backend in ["auto", "statevector", "stabilizer"] {
        let (s, _) =
            ctx.submit(&token, json!({"program": program, "shots": 10, "backend": backend})).await;
        answers.push((backend, s));
    }
    let alive = ctx.healthz().await;
    let all_4xx = answers.iter().all(|(_, s)| (400..500).contains(s));
    let detail = format!(
        "answers {answers:?} (parse: 422 = a 200 with ok=false and the error); healthz {}",
        if alive { "ok" } else { "DOWN" }
    );
    verdict(alive && all_4xx, detail)
}

async fn huge_result(ctx: &Ctx) -> Outcome {
    let (_, token) = ctx.user("huge", (1, 2)).await;
    let program = qasm("qreg q[10000];\ncreg c[10000];\nh q;\nmeasure q -> c;\n");
    let started = Instant::now();
    let (s, v) = ctx.submit(&token, json!({"program": program, "shots": 1_000_000})).await;
    let alive = ctx.healthz().await;
    let detail = format!("submit {s} in {:?}: {}", started.elapsed(), v["error"]["message"]);
    verdict((s == 413 || s == 422) && alive, detail)
}

async fn parallel_guesses(ctx: &Ctx) -> Outcome {
    let (_, _) = ctx.user("victim", (1, 3)).await;
    let username = format!("victim_{}", ctx.run);
    // 55 guesses at once, each from its own address.
    let mut tasks = Vec::new();
    for i in 0..55u8 {
        let c = client_from(2, i + 1);
        let url = ctx.url("/api/v1/auth/login");
        let body = json!({"username": username, "password": format!("wrong guess {i}")});
        tasks.push(tokio::spawn(async move {
            c.post(url).json(&body).send().await.map(|r| r.status().as_u16()).unwrap_or(0)
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap_or(0));
    }
    let c = client_from(2, 100);
    let (s, v) = ctx
        .post(&c, "/api/v1/auth/login", None, json!({"username": username, "password": PASSWORD}))
        .await;
    let detail = format!(
        "55 wrong guesses answered {:?}; then the right password: {s} {}",
        count_statuses(&statuses),
        v["error"]["code"]
    );
    verdict(s != 200 && !statuses.contains(&500), detail)
}

fn count_statuses(statuses: &[u16]) -> Vec<(u16, usize)> {
    let mut out: Vec<(u16, usize)> = Vec::new();
    for &s in statuses {
        match out.iter_mut().find(|(k, _)| *k == s) {
            Some((_, n)) => *n += 1,
            None => out.push((s, 1)),
        }
    }
    out.sort();
    out
}

async fn argon2_flood(ctx: &Ctx) -> Outcome {
    let (_, _) = ctx.user("flooded", (1, 4)).await;
    let username = format!("flooded_{}", ctx.run);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let slow = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    // 600 clients, each from its own address, each logging in for 10 s.
    for i in 0..600u32 {
        let c = client_from(10 + (i / 250) as u8, (i % 250) as u8 + 1);
        let url = ctx.url("/api/v1/auth/login");
        let (stop, answered, slow) = (stop.clone(), answered.clone(), slow.clone());
        tasks.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let body =
                    json!({"username": format!("nobody{i}"), "password": "not a password at all"});
                let s =
                    c.post(&url).json(&body).send().await.map(|r| r.status().as_u16()).unwrap_or(0);
                answered.fetch_add(1, Ordering::Relaxed);
                if t.elapsed() > Duration::from_secs(2) {
                    slow.fetch_add(1, Ordering::Relaxed);
                }
                statuses.push(s);
                if s == 429 || s == 503 {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
            statuses
        }));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    // A real user logs in during the flood, retrying on 503 as a client should.
    let c = client_from(1, 200);
    let t = Instant::now();
    let mut real = (0, Value::Null);
    let mut tries = 0;
    while t.elapsed() < Duration::from_secs(15) {
        tries += 1;
        real = ctx
            .post(
                &c,
                "/api/v1/auth/login",
                None,
                json!({"username": username, "password": PASSWORD}),
            )
            .await;
        if real.0 != 503 && real.0 != 429 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let real_time = t.elapsed();
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop.store(true, Ordering::Relaxed);
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.extend(task.await.unwrap_or_default());
    }
    let alive = ctx.healthz().await;
    let detail = format!(
        "{} flood answers {:?}, {} slower than 2 s; the real login: {} after {tries} tries in {:.2} s",
        answered.load(Ordering::Relaxed),
        count_statuses(&statuses),
        slow.load(Ordering::Relaxed),
        real.0,
        real_time.as_secs_f64()
    );
    let ok =
        real.0 == 200 && real_time < Duration::from_secs(10) && !statuses.contains(&500) && alive;
    verdict(ok, detail)
}

async fn connection_flood(ctx: &Ctx) -> Outcome {
    let n = ctx.args.connections;
    let mut held_open = Vec::new();
    let mut failed = 0usize;
    let t = Instant::now();
    for i in 0..n {
        // 80 client addresses, idle after connecting; half of them send half a request.
        let local = Ipv4Addr::new(127, 0, 20 + (i % 80 / 250) as u8, (i % 80) as u8 + 1);
        let socket = match TcpSocket::new_v4() {
            Ok(s) => s,
            Err(_) => {
                failed += 1;
                continue;
            }
        };
        if socket.bind(SocketAddr::new(IpAddr::V4(local), 0)).is_err() {
            failed += 1;
            continue;
        }
        match tokio::time::timeout(Duration::from_secs(2), socket.connect(ctx.args.addr)).await {
            Ok(Ok(mut s)) => {
                if i % 2 == 0 {
                    let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await;
                }
                held_open.push(s);
            }
            _ => failed += 1,
        }
    }
    let opened = t.elapsed();
    let alive_during = ctx.healthz().await;
    // Count how many the server still holds after its header timeout.
    tokio::time::sleep(Duration::from_secs(17)).await;
    let mut still_open = 0usize;
    let reads = held_open.iter_mut().map(|s| async move {
        let mut b = [0u8; 1];
        !matches!(
            tokio::time::timeout(Duration::from_millis(500), s.read(&mut b)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    });
    for open in futures_util::future::join_all(reads).await {
        still_open += usize::from(open);
    }
    drop(held_open);
    let alive_after = ctx.healthz().await;
    let detail = format!(
        "{n} connections from 80 addresses in {:.1} s ({failed} not made); healthz during: {}, \
         {still_open} still open 17 s later, healthz after: {}",
        opened.as_secs_f64(),
        if alive_during { "ok" } else { "DOWN" },
        if alive_after { "ok" } else { "DOWN" }
    );
    verdict(alive_during && alive_after && still_open == 0, detail)
}

async fn slowloris(ctx: &Ctx) -> Outcome {
    // 50 clients send a header byte every second, forever.
    let mut conns = Vec::new();
    for i in 0..50u8 {
        let socket = TcpSocket::new_v4().expect("socket");
        let _ = socket.bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 30, i + 1)), 0));
        if let Ok(mut s) = socket.connect(ctx.args.addr).await {
            let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await;
            conns.push(s);
        }
    }
    let t = Instant::now();
    let mut closed_after = None;
    while t.elapsed() < Duration::from_secs(40) {
        let mut alive = 0;
        for s in conns.iter_mut() {
            if s.write_all(b"X").await.is_ok() {
                alive += 1;
            }
        }
        if alive == 0 {
            closed_after = Some(t.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let alive = ctx.healthz().await;
    match closed_after {
        Some(after) if alive => {
            held(format!("all 50 closed by the server after {:.0} s", after.as_secs_f64()))
        }
        _ => broke(format!("connections still open after 40 s (healthz {alive})")),
    }
}

async fn ws_connect(ctx: &Ctx, token: &str) -> Option<Ws> {
    let url = format!("{}/api/v1/events", ctx.args.url.replacen("http://", "ws://", 1));
    let mut req = url.into_client_request().ok()?;
    req.headers_mut()
        .insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).ok()?);
    tokio_tungstenite::connect_async(req).await.ok().map(|(ws, _)| ws)
}

async fn ws_big_messages(ctx: &Ctx) -> Outcome {
    let (_, token) = ctx.user("wsbig", (1, 5)).await;
    let before = rss_kib(ctx.args.pid);
    let mut peak = before;
    let mut closed = 0;
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let Some(ws) = ws_connect(ctx, &token).await else { continue };
        tasks.push(tokio::spawn(async move {
            let (mut tx, mut rx) = ws.split();
            // 45 MB in 1 MB fragments of one text message.
            let chunk = vec![b'x'; 1 << 20];
            let mut sent = 0;
            for i in 0..45 {
                let (opcode, fin) = match i {
                    0 => (OpCode::Data(Data::Text), false),
                    44 => (OpCode::Data(Data::Continue), true),
                    _ => (OpCode::Data(Data::Continue), false),
                };
                let header = FrameHeader { is_final: fin, opcode, ..FrameHeader::default() };
                let frame = Frame::from_payload(header, chunk.clone().into());
                if tx.send(Message::Frame(frame)).await.is_err() {
                    break;
                }
                sent += 1;
            }
            // The server should have closed the socket.
            let end = tokio::time::timeout(Duration::from_secs(10), async {
                while let Some(m) = rx.next().await {
                    if matches!(m, Ok(Message::Close(_)) | Err(_)) {
                        return true;
                    }
                }
                true
            })
            .await
            .unwrap_or(false);
            (sent, end)
        }));
    }
    let n = tasks.len();
    let mut sent_total = 0;
    for t in tasks {
        if let Ok((sent, end)) = t.await {
            sent_total += sent;
            closed += usize::from(end);
        }
        peak = peak.max(rss_kib(ctx.args.pid));
    }
    let growth_mb = match (before, peak) {
        (Some(b), Some(p)) => Some(p.saturating_sub(b) / 1024),
        _ => None,
    };
    let alive = ctx.healthz().await;
    let detail = format!(
        "{n} sockets, {sent_total} MB-fragments accepted before the server closed them, {closed}/{n} closed; \
         RSS growth {}",
        growth_mb.map_or("unknown (no --pid)".to_string(), |g| format!("{g} MB"))
    );
    verdict(closed == n && n > 0 && alive && growth_mb.is_none_or(|g| g < 100), detail)
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// Whether the server closes `ws` within `limit`.
async fn closed_within(ws: &mut Ws, limit: Duration) -> bool {
    tokio::time::timeout(limit, async {
        while let Some(m) = ws.next().await {
            if matches!(m, Ok(Message::Close(_)) | Err(_)) {
                return;
            }
        }
    })
    .await
    .is_ok()
}

async fn ws_after_revoke(ctx: &Ctx) -> Outcome {
    let (_, token) = ctx.user("wsrevoke", (1, 6)).await;
    let (s, key) = ctx
        .post(
            &ctx.http,
            "/api/v1/api-keys",
            Some(&token),
            json!({"name": "abuse", "scopes": ["jobs:read"]}),
        )
        .await;
    if s != 201 {
        return broke(format!("cannot create an API key: {s} {key}"));
    }
    let secret = key["key"].as_str().unwrap_or_default().to_string();
    let id = key["id"].as_str().unwrap_or_default().to_string();
    let Some(mut ws) = ws_connect(ctx, &secret).await else {
        return broke("cannot open the event stream with the key");
    };
    let r = ctx
        .http
        .delete(ctx.url(&format!("/api/v1/api-keys/{id}")))
        .bearer_auth(&token)
        .send()
        .await;
    let revoked = r.map(|r| r.status().as_u16()).unwrap_or(0);
    let t = Instant::now();
    let closed = closed_within(&mut ws, Duration::from_secs(60)).await;
    let detail = format!(
        "revoke answered {revoked}; stream {}",
        if closed {
            format!("closed after {:.1} s", t.elapsed().as_secs_f64())
        } else {
            "still open after 60 s".into()
        }
    );
    verdict(closed, detail)
}

async fn ws_after_disable(ctx: &Ctx) -> Outcome {
    let (id, token) = ctx.user("wsdisable", (1, 7)).await;
    let Some(mut ws) = ws_connect(ctx, &token).await else {
        return broke("cannot open the event stream");
    };
    let admin = ctx.admin_token().await;
    let (s, _) = ctx
        .post(&ctx.http, &format!("/api/v1/admin/users/{id}/disable"), Some(&admin), json!({}))
        .await;
    let t = Instant::now();
    let closed = closed_within(&mut ws, Duration::from_secs(60)).await;
    let detail = format!(
        "disable answered {s}; stream {}",
        if closed {
            format!("closed after {:.1} s", t.elapsed().as_secs_f64())
        } else {
            "still open after 60 s".into()
        }
    );
    verdict(closed && s == 200, detail)
}

async fn job_status(ctx: &Ctx, token: &str, id: &str) -> Value {
    ctx.get(&format!("/api/v1/jobs/{id}"), token).await.1
}

async fn priority_starvation(ctx: &Ctx) -> Outcome {
    let (_, a) = ctx.user("prio_a", (1, 8)).await;
    let (_, b) = ctx.user("prio_b", (1, 9)).await;
    // Slow enough that the queue builds up: 16 qubits of random-ish gates.
    let program = qasm(
        "qreg q[16];\ncreg c[16];\nh q;\nrz(0.3) q;\ncx q[0],q[1];\nt q;\nh q;\nmeasure q -> c;\n",
    );
    let mut a_ids = Vec::new();
    for _ in 0..200 {
        let (s, v) = ctx.submit(&a, json!({"program": program, "shots": 100, "priority": 9})).await;
        if s == 201 {
            a_ids.push(v["id"].as_str().unwrap_or_default().to_string());
        }
    }
    let (s, v) = ctx.submit(&b, json!({"program": program, "shots": 100, "priority": 0})).await;
    if s != 201 {
        return broke(format!("B's submit: {s} {v}"));
    }
    let b_id = v["id"].as_str().unwrap_or_default().to_string();
    let t = Instant::now();
    let mut b_started = None;
    while t.elapsed() < Duration::from_secs(120) {
        let j = job_status(ctx, &b, &b_id).await;
        if j["status"] != "QUEUED" {
            b_started = Some(j["started_at"].as_str().unwrap_or_default().to_string());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // How many of A's jobs started before B's?
    let mut a_before = 0;
    if let Some(bs) = &b_started {
        for id in &a_ids {
            let j = job_status(ctx, &a, id).await;
            if let Some(s) = j["started_at"].as_str() {
                if s < bs.as_str() {
                    a_before += 1;
                }
            }
        }
    }
    for id in &a_ids {
        let _ =
            ctx.post(&ctx.http, &format!("/api/v1/jobs/{id}/cancel"), Some(&a), json!({})).await;
    }
    let detail = match &b_started {
        Some(_) => {
            format!("B's priority-0 job started after {a_before} of A's 200 priority-9 jobs")
        }
        None => "B's job did not start within 120 s".to_string(),
    };
    verdict(b_started.is_some() && a_before <= 10, detail)
}

async fn quota_flood(ctx: &Ctx) -> Outcome {
    let (_, token) = ctx.user("quota", (1, 10)).await;
    let program = qasm("qreg q[20];\ncreg c[20];\nh q;\nrz(0.1) q;\nh q;\nmeasure q -> c;\n");
    let mut accepted = Vec::new();
    let mut refusal = None;
    for _ in 0..3000 {
        let (s, v) = ctx.submit(&token, json!({"program": program, "shots": 10})).await;
        match s {
            201 => accepted.push(v["id"].as_str().unwrap_or_default().to_string()),
            _ => {
                refusal = Some((s, v));
                break;
            }
        }
    }
    for id in &accepted {
        let _ = ctx
            .post(&ctx.http, &format!("/api/v1/jobs/{id}/cancel"), Some(&token), json!({}))
            .await;
    }
    match refusal {
        Some((429, v)) => held(format!(
            "{} jobs accepted, then 429 {}: {}",
            accepted.len(),
            v["error"]["code"],
            v["error"]["message"]
        )),
        Some((s, v)) => broke(format!("{} accepted, then {s} {v}", accepted.len())),
        None => broke("3,000 jobs accepted from one user"),
    }
}

async fn nul_bytes(ctx: &Ctx) -> Outcome {
    let (_, token) = ctx.user("nul", (1, 11)).await;
    let program = qasm("qreg q[1];\ncreg c[1];\nmeasure q -> c;\n");
    let mut answers = Vec::new();
    for field in ["name", "idempotency_key"] {
        let mut body = json!({"program": program, "shots": 1});
        body[field] = json!("x\u{0}y");
        answers.push(ctx.submit(&token, body).await.0);
    }
    answers.push(ctx.get("/api/v1/jobs?backend=%00", &token).await.0);
    let detail = format!("answers {answers:?}");
    verdict(answers.iter().all(|s| *s == 400), detail)
}

async fn weak_password(ctx: &Ctx) -> Outcome {
    let c = client_from(1, 12);
    let mut answers = Vec::new();
    for (i, pw) in ["aaaaaaaaaa", "password1234", "qwertyuiop123"].iter().enumerate() {
        let name = format!("weak{i}_{}", ctx.run);
        let (s, _) = ctx
            .post(
                &c,
                "/api/v1/auth/register",
                None,
                json!({"email": format!("{name}@example.com"), "username": name, "password": pw}),
            )
            .await;
        answers.push((*pw, s));
    }
    let detail = format!("answers {answers:?}");
    verdict(answers.iter().all(|(_, s)| *s == 400), detail)
}

fn totp_code(secret_b32: &str, offset_steps: i64) -> String {
    let secret = data_encoding::BASE32_NOPAD.decode(secret_b32.as_bytes()).unwrap_or_default();
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let step = qv_server::auth::totp::step_at(now.as_secs() as i64) + offset_steps;
    format!("{:06}", qv_server::auth::totp::code_at(&secret, step))
}

async fn totp_bruteforce(ctx: &Ctx) -> Outcome {
    let (_, token) = ctx.user("totp", (1, 13)).await;
    let (s, e) = ctx.post(&ctx.http, "/api/v1/mfa/totp/enroll", Some(&token), json!({})).await;
    if s != 200 && s != 201 {
        return broke(format!("enroll: {s} {e}"));
    }
    let secret = e["secret"].as_str().unwrap_or_default().to_string();
    let (s, v) = ctx
        .post(
            &ctx.http,
            "/api/v1/mfa/totp/verify",
            Some(&token),
            json!({"code": totp_code(&secret, 0)}),
        )
        .await;
    if s != 200 {
        return broke(format!("verify: {s} {v}"));
    }
    let mut answers = Vec::new();
    for i in 0..10 {
        let (s, _) = ctx
            .post(
                &ctx.http,
                "/api/v1/mfa/totp/disable",
                Some(&token),
                json!({"code": format!("{:06}", 100_000 + i)}),
            )
            .await;
        answers.push(s);
    }
    // A right code right after (the next step's: the current one was used
    // by verify and is not accepted twice): still refused while the limit holds.
    let (right, _) = ctx
        .post(
            &ctx.http,
            "/api/v1/mfa/totp/disable",
            Some(&token),
            json!({"code": totp_code(&secret, 1)}),
        )
        .await;
    let limited_at = answers.iter().position(|s| *s == 429);
    let detail = format!("10 wrong codes answered {answers:?}; the right code then: {right}");
    verdict(limited_at.is_some_and(|i| i <= 5) && right != 200, detail)
}

async fn locked_vs_unknown(ctx: &Ctx) -> Outcome {
    let (_, _) = ctx.user("locked", (1, 14)).await;
    let locked = format!("locked_{}", ctx.run);
    let c = client_from(1, 15);
    for i in 0..8 {
        let _ = ctx
            .post(
                &c,
                "/api/v1/auth/login",
                None,
                json!({"username": locked, "password": format!("wrong {i}")}),
            )
            .await;
    }
    let time = |name: String, from: u8| {
        let c = client_from(3, from);
        let url = ctx.url("/api/v1/auth/login");
        async move {
            let mut times = Vec::new();
            let mut bodies = Vec::new();
            for _ in 0..7 {
                let t = Instant::now();
                let r = c
                    .post(&url)
                    .json(&json!({"username": name, "password": "wrong again"}))
                    .send()
                    .await;
                times.push(t.elapsed().as_secs_f64());
                if let Ok(r) = r {
                    bodies.push((r.status().as_u16(), r.text().await.unwrap_or_default()));
                }
            }
            times.sort_by(f64::total_cmp);
            (times[times.len() / 2], bodies)
        }
    };
    let (t_locked, b_locked) = time(locked, 1).await;
    let (t_unknown, b_unknown) = time(format!("nobody_{}", ctx.run), 2).await;
    let same_answer = b_locked.last() == b_unknown.last();
    let ratio = t_locked / t_unknown.max(1e-6);
    let detail = format!(
        "median {:.1} ms locked vs {:.1} ms unknown (ratio {ratio:.2}); same answer: {same_answer} ({:?})",
        t_locked * 1e3,
        t_unknown * 1e3,
        b_locked.last().map(|b| b.0)
    );
    verdict(same_answer && (0.5..2.0).contains(&ratio), detail)
}

async fn metrics_public(ctx: &Ctx) -> Outcome {
    let c = client_from(0, 2);
    let s = c.get(ctx.url("/metrics")).send().await.map(|r| r.status().as_u16()).unwrap_or(0);
    match &ctx.args.metrics_token {
        Some(t) => {
            let with = c
                .get(ctx.url("/metrics"))
                .bearer_auth(t)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            let detail = format!("without the token {s}, with it {with}");
            verdict(s == 401 && with == 200, detail)
        }
        None => {
            broke(format!("no --metrics-token given: loopback clients may read /metrics ({s})"))
        }
    }
}

async fn security_headers(ctx: &Ctx) -> Outcome {
    let r = match ctx.http.get(ctx.url("/")).send().await {
        Ok(r) => r,
        Err(e) => return broke(e.to_string()),
    };
    let h = r.headers();
    let csp = h.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("");
    let ok = csp.contains("frame-ancestors 'none'")
        && h.get("x-content-type-options").is_some_and(|v| v == "nosniff")
        && h.get("referrer-policy").is_some();
    let detail = format!("CSP `{csp}`");
    verdict(ok, detail)
}

async fn data_dir_modes(ctx: &Ctx) -> Outcome {
    use std::os::unix::fs::PermissionsExt;
    let Some(dir) = &ctx.args.data_dir else { return broke("no --data-dir given") };
    let mode =
        |p: String| std::fs::metadata(&p).map(|m| m.permissions().mode() & 0o777).unwrap_or(0o777);
    let (d, db, key) =
        (mode(dir.clone()), mode(format!("{dir}/qv.db")), mode(format!("{dir}/server.key")));
    let detail = format!("data dir {d:o}, qv.db {db:o}, server.key {key:o}");
    verdict(d == 0o700 && db == 0o600 && key == 0o600, detail)
}

// ---------------------------------------------------------------- main

#[tokio::main]
async fn main() {
    let mut args = parse_args();
    // The flood must leave this process descriptors for its other clients.
    if let Some(limit) = qv_server::listener::raise_fd_limit() {
        let room = usize::try_from(limit).unwrap_or(usize::MAX).saturating_sub(2000);
        if args.connections > room {
            eprintln!(
                "abuse: --connections {} lowered to {room} (open-file limit {limit})",
                args.connections
            );
            args.connections = room;
        }
    }
    let run = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs()
            % 0xffffff
    );
    let http = client_from(0, 1);
    let ctx = Ctx { args, http, run };
    if !ctx.healthz().await {
        usage(&format!("no server answers at {}", ctx.args.url));
    }
    type Attack =
        for<'a> fn(&'a Ctx) -> std::pin::Pin<Box<dyn std::future::Future<Output = Outcome> + 'a>>;
    macro_rules! attacks {
        ($($name:literal => $f:ident),* $(,)?) => {
            vec![$(($name, (|c| Box::pin($f(c))) as Attack)),*]
        };
    }
    let list: Vec<(&str, Attack)> = attacks![
        "1 nested gate definitions (stack)" => nested_gates,
        "2 10,000 bits x 1,000,000 shots (result memory)" => huge_result,
        "3 55 parallel password guesses (lockout)" => parallel_guesses,
        "3 600-address login flood (Argon2 queue)" => argon2_flood,
        "3 locked vs unknown account (enumeration)" => locked_vs_unknown,
        "4 idle and half-sent connection flood" => connection_flood,
        "4 slowloris headers" => slowloris,
        "4 45 MB fragmented WebSocket messages" => ws_big_messages,
        "5 priority 9 against another user's job" => priority_starvation,
        "5 3,000 queued jobs from one user (quota)" => quota_flood,
        "7 event stream after API-key revocation" => ws_after_revoke,
        "7 event stream after the account is disabled" => ws_after_disable,
        "7 NUL in name, idempotency_key, ?backend=" => nul_bytes,
        "7 weak passwords" => weak_password,
        "7 wrong codes on /mfa/totp/disable" => totp_bruteforce,
        "7 /metrics without a token" => metrics_public,
        "7 security headers on the web app" => security_headers,
        "7 data directory and file modes" => data_dir_modes,
    ];
    let mut broken = 0;
    println!("{:<50} {:<6} detail", "attack (issue item)", "result");
    for (name, attack) in list {
        if ctx.args.only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let t = Instant::now();
        let outcome = match tokio::time::timeout(Duration::from_secs(240), attack(&ctx)).await {
            Ok(o) => o,
            Err(_) => broke("did not finish in 240 s"),
        };
        let alive = ctx.healthz().await;
        let result = if outcome.held && alive { "held" } else { "BROKE" };
        broken += usize::from(result != "held");
        println!(
            "{name:<50} {result:<6} {} [{:.1} s{}]",
            outcome.detail,
            t.elapsed().as_secs_f64(),
            if alive { "" } else { ", healthz DOWN" }
        );
    }
    std::process::exit(i32::from(broken > 0));
}
