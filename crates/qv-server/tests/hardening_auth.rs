//! Regression tests of the abuse limits on authentication and live events
//! (docs/server.md, "Abuse limits: authentication and live events"), one
//! per break found by the hostile-user test, scaled down: parallel password
//! guesses, a flood of logins, answers that told locked and unknown
//! accounts apart, weak passwords, unlimited second-factor guesses, and
//! event streams outliving their credential. Each also checks that the
//! server still answers `/healthz` afterwards.
//!
//! Argon2 work is counted by the process-wide counters of
//! `qv_server::auth::password::verifications`, so the tests of this file
//! run one at a time (see [`serial`]).

#[macro_use]
mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Db, Session, TestServer};
use futures_util::{SinkExt, StreamExt};
use hmac::{Hmac, Mac};
use qv_server::auth::password::{verifications, Verifications};
use qv_server::auth::AuthService;
use qv_server::model::Role;
use qv_server::store::Store;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

on_both! {
    parallel_guesses_cannot_pass_the_lock => flow_parallel_guesses,
    full_password_queue_answers_503 => flow_full_queue,
    global_login_budget_answers_503 => flow_global_budget,
    locked_unknown_and_wrong_answer_alike => flow_same_answer,
    password_policy => flow_password_policy,
    wrong_codes_lock_the_second_factor => flow_totp_limits,
    event_stream_closes_when_key_revoked => flow_ws_key_revoked,
    event_stream_closes_when_account_disabled => flow_ws_disabled,
    event_stream_closes_when_token_expires => flow_ws_token_expiry,
    event_stream_refuses_big_messages => flow_ws_big_message,
    event_streams_capped_per_user => flow_ws_cap,
    other_servers_see_revocation_within_the_cache_ttl => flow_cache_ttl,
}

// ---------------------------------------------------------------- helpers

/// Tests of this file hold this while they run: they count Argon2 work with
/// process-wide counters, which another test running at the same time
/// would move.
async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

/// Status, `Retry-After`, the body's exact bytes and the body as JSON.
struct Reply {
    status: u16,
    retry_after: Option<String>,
    text: String,
    json: Value,
}

impl Reply {
    fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("<no error code>")
    }

    fn message(&self) -> &str {
        self.json["error"]["message"].as_str().unwrap_or("<no error message>")
    }
}

async fn send(
    ts: &TestServer,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = ts.http.request(method, ts.url(path));
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let retry_after = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    let text = r.text().await.unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply { status, retry_after, text, json }
}

async fn login(ts: &TestServer, username: &str, password: &str, totp: Option<&str>) -> Reply {
    let mut body = json!({"username": username, "password": password});
    if let Some(t) = totp {
        body["totp"] = t.into();
    }
    send(ts, "POST", "/api/v1/auth/login", None, Some(body)).await
}

async fn post(ts: &TestServer, path: &str, bearer: &str, body: Value) -> Reply {
    send(ts, "POST", path, Some(bearer), Some(body)).await
}

async fn assert_healthy(ts: &TestServer) {
    let r = ts.http.get(ts.url("/healthz")).send().await.expect("healthz request");
    assert_eq!(r.status(), 200, "the server still answers /healthz");
}

fn delta(before: Verifications) -> Verifications {
    let now = verifications();
    Verifications { account: now.account - before.account, dummy: now.dummy - before.dummy }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// One integer column of the user `username`, read from the database.
async fn user_column(ts: &TestServer, username: &str, column: &str) -> Option<i64> {
    let url = ts.config.database_url();
    let sql = format!("SELECT {column} FROM users WHERE username_key = $1");
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        let v: Option<i64> =
            sqlx::query_scalar(&sql).bind(username).fetch_one(&pool).await.unwrap();
        pool.close().await;
        v
    } else {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        let v: Option<i64> =
            sqlx::query_scalar(&sql).bind(username).fetch_one(&pool).await.unwrap();
        pool.close().await;
        v
    }
}

/// RFC 6238 TOTP, written independently of the server's implementation.
fn totp_code(secret_b32: &str, step: i64) -> String {
    let secret = data_encoding::BASE32_NOPAD.decode(secret_b32.as_bytes()).expect("base32 secret");
    let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(&secret).unwrap();
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let o = (h[19] & 0x0f) as usize;
    let n = u32::from_be_bytes([h[o] & 0x7f, h[o + 1], h[o + 2], h[o + 3]]) % 1_000_000;
    format!("{n:06}")
}

fn step_now() -> i64 {
    now_ms() / 1000 / 30
}

/// A 6-digit code that matches no step near now.
fn wrong_code(secret: &str) -> String {
    let near: Vec<String> = (-2..=2).map(|d| totp_code(secret, step_now() + d)).collect();
    (0..10).map(|d| format!("{d}{d}{d}{d}{d}{d}")).find(|c| !near.contains(c)).unwrap()
}

/// Turns TOTP on for `s`; returns the secret and the step used.
async fn enable_totp(ts: &TestServer, s: &Session) -> (String, i64) {
    let r = post(ts, "/api/v1/mfa/totp/enroll", &s.access_token, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let secret = r.json["secret"].as_str().unwrap().to_string();
    let step = step_now();
    let r = post(
        ts,
        "/api/v1/mfa/totp/verify",
        &s.access_token,
        json!({"code": totp_code(&secret, step)}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    (secret, step)
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn try_connect_ws(
    ts: &TestServer,
    token: &str,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let base = ts.base.replacen("http://", "ws://", 1);
    let mut req = format!("{base}/api/v1/events").into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(req).await.map(|(ws, resp)| {
        assert_eq!(resp.status(), 101);
        ws
    })
}

async fn connect_ws(ts: &TestServer, token: &str) -> Ws {
    try_connect_ws(ts, token).await.expect("websocket connects")
}

/// The close frame the server sends within `within` (code and reason);
/// `None` when the connection ended without one.
async fn closed_by_server(ws: &mut Ws, within: Duration) -> Option<(u16, String)> {
    tokio::time::timeout(within, async {
        while let Some(m) = ws.next().await {
            match m {
                Ok(Message::Close(f)) => {
                    return f.map(|f| (u16::from(f.code), f.reason.to_string()));
                }
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    })
    .await
    .expect("the server closes the stream in time")
}

/// Generous bound for a stream to notice a change checked every second.
const CLOSE_WITHIN: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------- 1. lockout

async fn flow_parallel_guesses(db: Db) {
    let _serial = serial().await;
    let ts = TestServer::start_with(db, |c| {
        c.login_max_failures = 5;
        // Room for every guess in the queue and no global budget, so each
        // one reaches the account (the per-IP limit is high in tests).
        c.argon2_queue = 128;
        c.login_rate_limit_per_s = 0.0;
    })
    .await;
    let victim = ts.register("victim").await;
    let before = verifications();
    let guesses = (0..55).map(|i| {
        let ts = &ts;
        async move { login(ts, "victim", &format!("wrong guess number {i}"), None).await }
    });
    let replies = futures_util::future::join_all(guesses).await;
    for r in &replies {
        assert_eq!((r.status, r.code()), (401, "invalid_credentials"), "{}", r.text);
        assert_eq!(r.text, replies[0].text, "every refusal reads the same");
    }
    let checked = delta(before).account;
    assert!(
        (1..=5).contains(&checked),
        "55 parallel guesses checked the real hash {checked} times (limit 5)"
    );
    // Locked: the right password is refused too, with the same answer.
    let r = login(&ts, "victim", &victim.password, None).await;
    assert_eq!((r.status, r.text.as_str()), (401, replies[0].text.as_str()));
    assert_eq!(delta(before).account, checked, "a locked account's hash is not checked");
    assert!(user_column(&ts, "victim", "failed_logins").await.unwrap() >= 5);
    let until = user_column(&ts, "victim", "locked_until").await.expect("locked_until stored");
    assert!(until > now_ms(), "the lock is stored in the database");
    assert_healthy(&ts).await;
    ts.stop().await;
}

// ---------------------------------------------------------------- 2. flood

async fn flow_full_queue(db: Db) {
    let _serial = serial().await;
    let ts = TestServer::start_with(db, |c| {
        c.argon2_concurrency = 1;
        c.argon2_queue = 1;
        c.login_rate_limit_per_s = 0.0;
    })
    .await;
    let legit = ts.register("legit").await;
    let flood = (0..40).map(|i| {
        let ts = &ts;
        async move { login(ts, &format!("ghost{i}"), "some wrong password", None).await }
    });
    let replies = futures_util::future::join_all(flood).await;
    let mut refused = 0;
    for r in &replies {
        match r.status {
            401 => assert_eq!(r.code(), "invalid_credentials", "{}", r.text),
            503 => {
                assert_eq!(r.code(), "overloaded", "{}", r.text);
                assert_eq!(r.retry_after.as_deref(), Some("1"), "503 carries Retry-After");
                refused += 1;
            }
            s => panic!("login answered {s}: {}", r.text),
        }
    }
    assert!(refused > 0, "40 parallel logins with room for 2: some must be refused");
    assert!(refused < 40, "the queue's places were used");
    let r = login(&ts, "legit", &legit.password, None).await;
    assert_eq!(r.status, 200, "a real login right after the burst: {}", r.text);
    assert_healthy(&ts).await;
    ts.stop().await;
}

async fn flow_global_budget(db: Db) {
    let _serial = serial().await;
    let ts = TestServer::start_with(db, |c| {
        c.login_rate_limit_per_s = 1.0;
        c.argon2_queue = 128;
    })
    .await;
    // Registering logs in once: wait for the bucket to refill.
    let legit = ts.register("legit").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let burst = (0..20).map(|i| {
        let ts = &ts;
        async move { login(ts, &format!("ghost{i}"), "some wrong password", None).await }
    });
    let replies = futures_util::future::join_all(burst).await;
    let over: Vec<&Reply> = replies.iter().filter(|r| r.status == 503).collect();
    assert!(replies.iter().all(|r| matches!(r.status, 401 | 503)), "only 401s and 503s");
    assert!(over.len() >= 10, "a budget of 1 login/s lets few of 20 through: {}", over.len());
    for r in over {
        assert_eq!(r.code(), "overloaded", "{}", r.text);
        assert!(r.message().contains("too many logins"), "{}", r.text);
        assert!(r.retry_after.is_some(), "503 carries Retry-After");
    }
    // The budget refills.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let r = login(&ts, "legit", &legit.password, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_healthy(&ts).await;
    ts.stop().await;
}

// ---------------------------------------------------------------- 3. same answer

async fn flow_same_answer(db: Db) {
    let _serial = serial().await;
    let ts = TestServer::start_with(db, |c| c.login_max_failures = 2).await;
    let ivan = ts.register("ivan").await;
    ts.register("judy").await;
    for _ in 0..2 {
        assert_eq!(login(&ts, "ivan", "not his password", None).await.status, 401);
    }

    let before = verifications();
    let wrong = login(&ts, "judy", "not her password", None).await;
    let after_wrong = delta(before);
    let before = verifications();
    let unknown = login(&ts, "nobody", "not the password", None).await;
    let after_unknown = delta(before);
    let before = verifications();
    let locked = login(&ts, "ivan", &ivan.password, None).await;
    let after_locked = delta(before);

    assert_eq!((wrong.status, wrong.code()), (401, "invalid_credentials"), "{}", wrong.text);
    for (what, r) in [("unknown user", &unknown), ("locked account", &locked)] {
        assert_eq!(r.status, wrong.status, "{what}");
        assert_eq!(r.text, wrong.text, "{what}: the same bytes as a wrong password");
        assert_eq!(r.retry_after, wrong.retry_after, "{what}: the same headers");
    }
    // The same Argon2 work for each: one verification, against the
    // account's hash for a wrong password, a dummy hash otherwise.
    assert_eq!(after_wrong, Verifications { account: 1, dummy: 0 });
    assert_eq!(after_unknown, Verifications { account: 0, dummy: 1 });
    assert_eq!(after_locked, Verifications { account: 0, dummy: 1 });
    assert_healthy(&ts).await;
    ts.stop().await;
}

// ---------------------------------------------------------------- 4. policy

async fn flow_password_policy(db: Db) {
    let _serial = serial().await;
    let ts = TestServer::start_with(db, |_| {}).await;
    let reg = |email: &str, username: &str, password: &str| json!({"email": email, "username": username, "password": password});
    let cases = [
        (
            reg("p1@example.com", "pat", "aaaaaaaaaa"),
            "password: must be at least 12 characters (got 10)",
        ),
        (
            reg("p1@example.com", "pat", "ééééééééééé"),
            "password: must be at least 12 characters (got 11)",
        ),
        (
            reg("p1@example.com", "pat", &"xy1-".repeat(257)),
            "password: must be at most 1024 characters (got 1028)",
        ),
        (
            reg("p1@example.com", "pat", "aaaaaaaaaaaa"),
            "password: must use at least 5 different characters",
        ),
        (
            reg("p1@example.com", "pat", "1q2w3e4r5t6y"),
            "password: is one of the 10,000 most common passwords",
        ),
        (
            reg("p1@example.com", "pat", "QWERTY123456"),
            "password: is one of the 10,000 most common passwords",
        ),
        (
            reg("p1@example.com", "pamela", "Pamela-forever-99"),
            "password: must not contain the username",
        ),
        (
            reg("q.smith@example.com", "quinn", "q.smith is great"),
            "password: must not contain the email address before `@`",
        ),
    ];
    for (body, want) in cases {
        let r = send(&ts, "POST", "/api/v1/auth/register", None, Some(body.clone())).await;
        assert_eq!((r.status, r.code()), (400, "validation_error"), "{body}: {}", r.text);
        assert!(r.message().starts_with(want), "{body}: want {want:?}, got {}", r.text);
    }
    let r = send(
        &ts,
        "POST",
        "/api/v1/auth/register",
        None,
        Some(reg("p1@example.com", "pat", "ééééé-ñandú-12")),
    )
    .await;
    assert_eq!(r.status, 201, "a good password (characters, not bytes, are counted): {}", r.text);

    // `qv admin create-user` calls the same function.
    let store = Store::connect(&ts.config.database_url(), 2).await.expect("store");
    let auth = AuthService::new(store.clone(), Arc::new(ts.config.clone())).await.expect("auth");
    let e = auth
        .create_user("root@example.com", "root", "qwerty123456", Role::Admin)
        .await
        .unwrap_err();
    assert_eq!((e.kind, e.code), (qv_server::service::ErrorKind::Invalid, "validation_error"));
    assert!(e.message.contains("10,000 most common"), "{}", e.message);
    store.close().await;
    assert_healthy(&ts).await;
    ts.stop().await;
}

// ---------------------------------------------------------------- 5. TOTP

async fn flow_totp_limits(db: Db) {
    let _serial = serial().await;
    let ts = TestServer::start_with(db, |c| c.mfa_max_failures = 5).await;

    // Disable: five wrong codes are each refused; the sixth, and a right
    // code after it, meet the lock.
    let tina = ts.register("tina").await;
    let (secret, _) = enable_totp(&ts, &tina).await;
    let wrong = wrong_code(&secret);
    for i in 0..5 {
        let r =
            post(&ts, "/api/v1/mfa/totp/disable", &tina.access_token, json!({"code": wrong})).await;
        assert_eq!((r.status, r.code()), (400, "invalid_code"), "wrong code {i}: {}", r.text);
    }
    let r = post(&ts, "/api/v1/mfa/totp/disable", &tina.access_token, json!({"code": wrong})).await;
    assert_eq!((r.status, r.code()), (429, "mfa_locked"), "{}", r.text);
    assert!(r.message().contains("too many wrong two-factor codes"), "{}", r.text);
    let retry: u64 = r.retry_after.as_deref().expect("Retry-After").parse().unwrap();
    assert!((1..=900).contains(&retry), "first lock is mfa_lock_s (900 s): {retry}");
    let right = totp_code(&secret, step_now() + 1);
    let r = post(&ts, "/api/v1/mfa/totp/disable", &tina.access_token, json!({"code": right})).await;
    assert_eq!(
        (r.status, r.code()),
        (429, "mfa_locked"),
        "a right code meets the lock: {}",
        r.text
    );
    let until = user_column(&ts, "tina", "mfa_locked_until").await.expect("lock stored");
    assert!(until > now_ms());

    // Login: the same count, after a correct password.
    let uma = ts.register("uma").await;
    let (secret, _) = enable_totp(&ts, &uma).await;
    let wrong = wrong_code(&secret);
    for i in 0..5 {
        let r = login(&ts, "uma", &uma.password, Some(&wrong)).await;
        assert_eq!(
            (r.status, r.code()),
            (401, "invalid_credentials"),
            "wrong code {i}: {}",
            r.text
        );
    }
    let r = login(&ts, "uma", &uma.password, Some(&wrong)).await;
    assert_eq!((r.status, r.code()), (429, "mfa_locked"), "{}", r.text);
    assert!(r.retry_after.is_some());
    let r = login(&ts, "uma", &uma.password, Some(&totp_code(&secret, step_now() + 1))).await;
    assert_eq!(
        (r.status, r.code()),
        (429, "mfa_locked"),
        "a right code meets the lock: {}",
        r.text
    );
    // Without the password the lock is not told.
    let r = login(&ts, "uma", "not her password", Some(&wrong)).await;
    assert_eq!((r.status, r.code()), (401, "invalid_credentials"), "{}", r.text);

    // Enrolment confirmation is counted too.
    let vic = ts.register("vic").await;
    let r = post(&ts, "/api/v1/mfa/totp/enroll", &vic.access_token, json!({})).await;
    let wrong = wrong_code(r.json["secret"].as_str().unwrap());
    for i in 0..5 {
        let r =
            post(&ts, "/api/v1/mfa/totp/verify", &vic.access_token, json!({"code": wrong})).await;
        assert_eq!((r.status, r.code()), (400, "invalid_code"), "wrong code {i}: {}", r.text);
    }
    let r = post(&ts, "/api/v1/mfa/totp/verify", &vic.access_token, json!({"code": wrong})).await;
    assert_eq!((r.status, r.code()), (429, "mfa_locked"), "{}", r.text);
    assert_healthy(&ts).await;
    ts.stop().await;
}

// ---------------------------------------------------------------- 6. streams

async fn flow_ws_key_revoked(db: Db) {
    let _serial = serial().await;
    let ts = TestServer::start_with(db, |c| c.events_recheck_s = 1).await;
    let walt = ts.register("walt").await;
    let r = post(
        &ts,
        "/api/v1/api-keys",
        &walt.access_token,
        json!({"name": "ws", "scopes": ["jobs:read"]}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (key, id) = (r.json["key"].as_str().unwrap(), r.json["id"].as_str().unwrap());
    let mut ws = connect_ws(&ts, key).await;
    let r = send(&ts, "DELETE", &format!("/api/v1/api-keys/{id}"), Some(&walt.access_token), None)
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let closed = closed_by_server(&mut ws, CLOSE_WITHIN).await;
    assert_eq!(closed, Some((1008, "API key revoked".to_string())));
    assert!(try_connect_ws(&ts, key).await.is_err(), "a revoked key opens no stream");
    assert_healthy(&ts).await;
    ts.stop().await;
}

async fn flow_ws_disabled(db: Db) {
    let _serial = serial().await;
    let ts = TestServer::start_with(db, |c| c.events_recheck_s = 1).await;
    let root = ts.make_admin("root").await;
    let xena = ts.register("xena").await;
    let mut ws = connect_ws(&ts, &xena.access_token).await;
    let path = format!("/api/v1/admin/users/{}/disable", xena.user_id);
    let r = post(&ts, &path, &root.access_token, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let closed = closed_by_server(&mut ws, CLOSE_WITHIN).await;
    assert_eq!(closed, Some((1008, "the account is disabled".to_string())));
    assert_healthy(&ts).await;
    ts.stop().await;
}

async fn flow_ws_token_expiry(db: Db) {
    let _serial = serial().await;
    let ts = TestServer::start_with(db, |c| c.access_token_ttl_s = 2).await;
    let yuri = ts.register("yuri").await;
    let mut ws = connect_ws(&ts, &yuri.access_token).await;
    let closed = closed_by_server(&mut ws, CLOSE_WITHIN).await;
    assert_eq!(closed, Some((1008, "access token expired".to_string())));
    assert_healthy(&ts).await;
    ts.stop().await;
}

async fn flow_ws_big_message(db: Db) {
    let _serial = serial().await;
    let ts = TestServer::start_with(db, |c| c.events_max_sockets_per_user = 1).await;
    let zoe = ts.register("zoe").await;
    let mut ws = connect_ws(&ts, &zoe.access_token).await;
    // A small message is fine.
    ws.send(Message::Text("hello".into())).await.unwrap();
    // 1 MB is over the 4 KiB limit: refused from the frame header.
    let _ = ws.send(Message::Binary(vec![7u8; 1 << 20].into())).await;
    let closed = closed_by_server(&mut ws, CLOSE_WITHIN).await;
    assert_eq!(closed.map(|(code, _)| code), Some(u16::from(CloseCode::Size)), "closed with 1009");
    // The stream is gone, its place free again (the cap is 1 here).
    let reopened = async {
        loop {
            if let Ok(ws) = try_connect_ws(&ts, &zoe.access_token).await {
                return ws;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let mut ws = tokio::time::timeout(CLOSE_WITHIN, reopened)
        .await
        .expect("the closed stream's place is freed");
    // A message cut into small frames is limited as a whole: 100 frames of
    // 3 KiB each are under the frame limit, their sum over the message limit.
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    for i in 0..100 {
        let opcode = OpCode::Data(if i == 0 { Data::Binary } else { Data::Continue });
        let frame = Frame::message(vec![1u8; 3 * 1024], opcode, i == 99);
        if ws.send(Message::Frame(frame)).await.is_err() {
            break;
        }
    }
    let closed = closed_by_server(&mut ws, CLOSE_WITHIN).await;
    assert_eq!(closed.map(|(code, _)| code), Some(1009), "a fragmented big message: 1009");
    assert_healthy(&ts).await;
    ts.stop().await;
}

async fn flow_ws_cap(db: Db) {
    let _serial = serial().await;
    let ts = TestServer::start_with(db, |c| c.events_max_sockets_per_user = 2).await;
    let amy = ts.register("amy").await;
    let ben = ts.register("ben").await;
    let first = connect_ws(&ts, &amy.access_token).await;
    let _second = connect_ws(&ts, &amy.access_token).await;
    match try_connect_ws(&ts, &amy.access_token).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status(), 429);
            let body: Value =
                serde_json::from_slice(resp.body().as_deref().unwrap_or(b"null")).unwrap();
            assert_eq!(body["error"]["code"], "too_many_streams", "{body}");
            assert!(
                body["error"]["message"].as_str().unwrap().contains("at most 2 event streams"),
                "{body}"
            );
        }
        other => panic!("a third stream must get 429 before the upgrade: {:?}", other.map(|_| ())),
    }
    // Per user: another user is not affected.
    let _ben = connect_ws(&ts, &ben.access_token).await;
    // Closing a stream frees its place.
    drop(first);
    let reopened = async {
        loop {
            if let Ok(ws) = try_connect_ws(&ts, &amy.access_token).await {
                return ws;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(CLOSE_WITHIN, reopened).await.expect("a closed stream frees its place");
    assert_healthy(&ts).await;
    ts.stop().await;
}

// ---------------------------------------------------------------- cache

/// Two servers on one database: a key revoked through one stops working on
/// the other within the cache's 2 s (bounded generously here), and at once
/// on the server that revoked it.
async fn flow_cache_ttl(db: Db) {
    let _serial = serial().await;
    let a = TestServer::start_with(db.clone(), |_| {}).await;
    let url = a.config.database_url();
    let b = TestServer::start_with(db, |c| c.database_url = Some(url)).await;
    let kim = a.register("kim").await;
    let r = post(
        &a,
        "/api/v1/api-keys",
        &kim.access_token,
        json!({"name": "k", "scopes": ["jobs:read"]}),
    )
    .await;
    let (key, id) = (r.json["key"].as_str().unwrap(), r.json["id"].as_str().unwrap());
    // Both servers now hold the key in their caches.
    for ts in [&a, &b] {
        assert_eq!(send(ts, "GET", "/api/v1/me", Some(key), None).await.status, 200);
    }
    let r =
        send(&a, "DELETE", &format!("/api/v1/api-keys/{id}"), Some(&kim.access_token), None).await;
    assert_eq!(r.status, 204);
    let r = send(&a, "GET", "/api/v1/me", Some(key), None).await;
    assert_eq!((r.status, r.message()), (401, "API key revoked"), "at once where revoked");
    let refused = async {
        loop {
            let r = send(&b, "GET", "/api/v1/me", Some(key), None).await;
            if r.status == 401 {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let r = tokio::time::timeout(Duration::from_secs(10), refused)
        .await
        .expect("the other server refuses the key after its cache TTL");
    assert_eq!(r.message(), "API key revoked");
    assert_healthy(&a).await;
    assert_healthy(&b).await;
    b.stop().await;
    a.stop().await;
}
