//! Authentication and authorisation through the real HTTP server: accounts,
//! tokens, refresh rotation, JWT refusals, API keys and scopes, TOTP, admin
//! routes and tenant isolation. Every flow runs on SQLite, and on
//! PostgreSQL when `QV_TEST_DATABASE_URL` is set.

#[macro_use]
mod common;

use std::time::{Duration, Instant};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use common::{postgres_url, Db, TestServer};
use hmac::{Hmac, Mac};
use qv_server::auth::{jwt, keys::ServerKeys};
use qv_server::Config;
use serde_json::{json, Value};

/// The server key of servers started by [`start_with_key`].
const SERVER_KEY: [u8; 32] = [42u8; 32];

on_both! {
    user_path => flow_user_path,
    validation => flow_validation,
    bad_credentials => flow_bad_credentials,
    lockout => flow_lockout,
    refresh_reuse => flow_refresh_reuse,
    jwt_refusals => flow_jwt_refusals,
    api_keys => flow_api_keys,
    totp => flow_totp,
    admin => flow_admin,
    isolation => flow_isolation,
    auth_ip_limit => flow_auth_ip_limit,
}

// ---------------------------------------------------------------- helpers

async fn start(db: Db) -> TestServer {
    TestServer::start_with(db, |_| {}).await
}

async fn start_with_key(db: Db) -> TestServer {
    TestServer::start_with(db, |c| c.server_key = Some(STANDARD.encode(SERVER_KEY))).await
}

/// Sends `method path` with an optional bearer and JSON body; returns the
/// status, the `Retry-After` header and the JSON body (`Null` when empty).
async fn call(
    ts: &TestServer,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> (u16, Option<String>, Value) {
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
    let retry = r.headers().get("retry-after").map(|v| v.to_str().unwrap_or_default().to_string());
    let text = r.text().await.unwrap_or_default();
    let json = if text.is_empty() {
        Value::Null
    } else {
        match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(_) => Value::String(text),
        }
    };
    (status, retry, json)
}

async fn get(ts: &TestServer, path: &str, bearer: Option<&str>) -> (u16, Value) {
    let (s, _, v) = call(ts, "GET", path, bearer, None).await;
    (s, v)
}

async fn post(ts: &TestServer, path: &str, bearer: Option<&str>, body: Value) -> (u16, Value) {
    let (s, _, v) = call(ts, "POST", path, bearer, Some(body)).await;
    (s, v)
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<no error code>")
}

fn message(v: &Value) -> &str {
    v["error"]["message"].as_str().unwrap_or("<no error message>")
}

async fn login_raw(
    ts: &TestServer,
    username: &str,
    password: &str,
    totp: Option<&str>,
) -> (u16, Option<String>, Value) {
    let mut body = json!({"username": username, "password": password});
    if let Some(t) = totp {
        body["totp"] = t.into();
    }
    call(ts, "POST", "/api/v1/auth/login", None, Some(body)).await
}

/// Runs one SQL statement on the server's database (to move a stored
/// expiry into the past; nothing else can make time pass in a test).
async fn sql(ts: &TestServer, statement: &str, id: &str, value: i64) {
    let url = ts.config.database_url();
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query(statement).bind(value).bind(id).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        sqlx::query(statement).bind(value).bind(id).execute(&pool).await.unwrap();
        pool.close().await;
    }
}

fn now_s() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
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

/// A token with arbitrary header and claims, signed by `key` (EdDSA).
fn forge(header: &Value, claims: &Value, key: &ed25519_dalek::SigningKey) -> String {
    use ed25519_dalek::Signer;
    let t = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig = key.sign(t.as_bytes());
    format!("{t}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
}

// ---------------------------------------------------------------- flows

async fn flow_user_path(db: Db) {
    let ts = start(db).await;
    let (s, user) = post(
        &ts,
        "/api/v1/auth/register",
        None,
        json!({"email": "Alice@Example.com", "username": "alice", "password": "correct horse battery staple"}),
    )
    .await;
    assert_eq!(s, 201, "{user}");
    assert_eq!(user["username"], "alice");
    assert_eq!(user["email"], "Alice@Example.com");
    assert_eq!(user["role"], "user", "the first user is not an admin");
    assert_eq!(user["mfa_enabled"], false);
    assert_eq!(user["disabled"], false);
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'), "{user}");
    assert!(user.get("password_hash").is_none() && user.get("password").is_none());

    let tokens = ts.login("alice", "correct horse battery staple").await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(access.split('.').count(), 3);
    assert!(refresh.len() >= 43, "refresh token carries >= 256 bits");

    let (s, me) = get(&ts, "/api/v1/me", Some(access)).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["id"], user["id"]);
    // Email logins work too, case-insensitively.
    let (s, _, _) = login_raw(&ts, "ALICE@example.com", "correct horse battery staple", None).await;
    assert_eq!(s, 200);

    let (s, body) = get(&ts, "/api/v1/me", None).await;
    assert_eq!((s, code(&body)), (401, "unauthorized"));

    let (s, t2) = post(&ts, "/api/v1/auth/refresh", None, json!({"refresh_token": refresh})).await;
    assert_eq!(s, 200, "{t2}");
    let refresh2 = t2["refresh_token"].as_str().unwrap();
    assert_ne!(refresh2, refresh, "refresh rotates");
    let (s, _) = get(&ts, "/api/v1/me", Some(t2["access_token"].as_str().unwrap())).await;
    assert_eq!(s, 200);

    let (s, _, body) =
        call(&ts, "POST", "/api/v1/auth/logout", None, Some(json!({"refresh_token": refresh2})))
            .await;
    assert_eq!(s, 204, "{body}");
    let (s, body) =
        post(&ts, "/api/v1/auth/refresh", None, json!({"refresh_token": refresh2})).await;
    assert_eq!(s, 401, "logged-out token refreshes: {body}");

    // The served OpenAPI document carries these routes.
    let (s, doc) = get(&ts, "/api/openapi.json", None).await;
    assert_eq!(s, 200);
    for path in ["/api/v1/auth/login", "/api/v1/api-keys/{id}", "/api/v1/mfa/totp/verify"] {
        assert!(doc["paths"][path].is_object(), "{path} missing from /api/openapi.json");
    }
    ts.stop().await;
}

async fn flow_validation(db: Db) {
    let ts = start(db.clone()).await;
    let reg = |email: &str, username: &str, password: &str| json!({"email": email, "username": username, "password": password});
    for (body, field) in [
        (reg("a@b.c", "ab", "long enough password"), "username"),
        (reg("a@b.c", "a".repeat(33).as_str(), "long enough password"), "username"),
        (reg("a@b.c", "bad name", "long enough password"), "username"),
        (reg("nope", "carol", "long enough password"), "email"),
        (reg("a@@b", "carol", "long enough password"), "email"),
        (reg("@b", "carol", "long enough password"), "email"),
        (reg("a@b.c", "carol", "short"), "password"),
        (reg("a@b.c", "carol", &"pq12".repeat(257)), "password"),
        (reg("a@b.c", "carol", "aaaaaaaaaa"), "password"),
        (json!({"email": "a@b.c", "username": "carol"}), "password"),
        (json!({"email": "a@b.c", "username": 7, "password": "long enough password"}), "username"),
    ] {
        let (s, v) = post(&ts, "/api/v1/auth/register", None, body.clone()).await;
        assert_eq!(s, 400, "{body} -> {v}");
        assert!(message(&v).contains(field), "{body}: message should name `{field}`: {v}");
    }
    let (s, _, v) = call(&ts, "POST", "/api/v1/auth/register", None, None).await;
    assert!(s == 400 || s == 415, "no body: {s} {v}");
    assert!(v["error"]["code"].is_string(), "errors keep the JSON shape: {v}");

    ts.register("carol").await;
    let (s, v) = post(
        &ts,
        "/api/v1/auth/register",
        None,
        reg("other@example.com", "CAROL", "long enough password"),
    )
    .await;
    assert_eq!((s, code(&v)), (409, "conflict"), "{v}");
    assert!(message(&v).contains("username"), "{v}");
    let (s, v) = post(
        &ts,
        "/api/v1/auth/register",
        None,
        reg("CAROL@example.com", "carol2", "long enough password"),
    )
    .await;
    assert_eq!((s, code(&v)), (409, "conflict"), "{v}");
    assert!(message(&v).contains("email"), "{v}");
    ts.stop().await;

    // Registration can be turned off; the admin tool still creates users.
    let db2 = match db {
        Db::Sqlite => Db::Sqlite,
        Db::Postgres(_) => Db::Postgres(postgres_url("validation (closed)").await),
    };
    let ts = TestServer::start_with(db2, |c: &mut Config| c.allow_registration = false).await;
    let (s, v) = post(
        &ts,
        "/api/v1/auth/register",
        None,
        reg("d@example.com", "dave", "long enough password"),
    )
    .await;
    assert_eq!(s, 403, "{v}");
    ts.make_admin("root").await;
    ts.stop().await;
}

async fn flow_bad_credentials(db: Db) {
    let ts = start(db).await;
    ts.register("erin").await;
    let (s1, _, wrong) = login_raw(&ts, "erin", "not the password", None).await;
    let (s2, _, unknown) = login_raw(&ts, "nobody", "not the password", None).await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(code(&wrong), "invalid_credentials");
    assert_eq!(wrong, unknown, "unknown user and wrong password answer the same");

    // An unknown user costs a password verification too (timing tells nothing).
    let mut wrong_t = Duration::MAX;
    let mut unknown_t = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        login_raw(&ts, "erin", "not the password", None).await;
        wrong_t = wrong_t.min(t.elapsed());
        let t = Instant::now();
        login_raw(&ts, "nobody", "not the password", None).await;
        unknown_t = unknown_t.min(t.elapsed());
    }
    assert!(
        unknown_t.as_secs_f64() > 0.3 * wrong_t.as_secs_f64(),
        "unknown user {unknown_t:?} vs wrong password {wrong_t:?}"
    );
    ts.stop().await;
}

async fn flow_lockout(db: Db) {
    let ts = TestServer::start_with(db, |c| c.login_max_failures = 3).await;
    let frank = ts.register("frank").await;
    ts.register("grace").await;
    for i in 0..3 {
        let (s, _, v) = login_raw(&ts, "frank", "wrong password!", None).await;
        assert_eq!(s, 401, "failure {i}: {v}");
    }
    // Locked: even the right password is refused, with the answer of a
    // wrong one (a distinct answer would tell that the account exists and
    // that the password is right).
    let (s, _, v) = login_raw(&ts, "frank", &frank.password, None).await;
    assert_eq!((s, code(&v)), (401, "invalid_credentials"), "{v}");
    let (_, _, wrong) = login_raw(&ts, "frank", "wrong password!", None).await;
    assert_eq!(v, wrong);
    // Per account: another user is not affected.
    let (s, _, _) = login_raw(&ts, "grace", "correct horse battery staple", None).await;
    assert_eq!(s, 200);
    ts.stop().await;
}

async fn flow_refresh_reuse(db: Db) {
    let ts = start(db).await;
    let s1 = ts.register("heidi").await;
    let other = ts.login("heidi", &s1.password).await;
    let r1 = s1.refresh_token.clone();
    let (s, t2) = post(&ts, "/api/v1/auth/refresh", None, json!({"refresh_token": r1})).await;
    assert_eq!(s, 200);
    let r2 = t2["refresh_token"].as_str().unwrap().to_string();
    // r1 again: reuse, refused, and the family (r2 included) is revoked.
    let (s, v) = post(&ts, "/api/v1/auth/refresh", None, json!({"refresh_token": r1})).await;
    assert_eq!(s, 401, "{v}");
    let (s, v) = post(&ts, "/api/v1/auth/refresh", None, json!({"refresh_token": r2})).await;
    assert_eq!(s, 401, "family revoked: {v}");
    // Another login's family is untouched.
    let (s, _) =
        post(&ts, "/api/v1/auth/refresh", None, json!({"refresh_token": other["refresh_token"]}))
            .await;
    assert_eq!(s, 200);
    for bad in ["", "garbage", "qv_notatoken"] {
        let (s, v) = post(&ts, "/api/v1/auth/refresh", None, json!({"refresh_token": bad})).await;
        assert_eq!(s, 401, "{bad:?}: {v}");
    }
    // Expired refresh tokens are refused.
    let s3 = ts.login("heidi", &s1.password).await;
    let hash = {
        use sha2::Digest;
        let d = sha2::Sha256::digest(s3["refresh_token"].as_str().unwrap().as_bytes());
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    sql(&ts, "UPDATE refresh_tokens SET expires_at = $1 WHERE token_hash = $2", &hash, 1).await;
    let (s, v) =
        post(&ts, "/api/v1/auth/refresh", None, json!({"refresh_token": s3["refresh_token"]}))
            .await;
    assert_eq!(s, 401, "{v}");
    assert!(message(&v).contains("expired"), "{v}");
    ts.stop().await;
}

async fn flow_jwt_refusals(db: Db) {
    let ts = start_with_key(db).await;
    let ivan = ts.register("ivan").await;
    let judy = ts.register("judy").await;
    let key = ServerKeys::derive(&SERVER_KEY).jwt;
    let header = json!({"alg": "EdDSA", "typ": "JWT"});
    let now = now_s();
    let claims = |f: &dyn Fn(&mut Value)| {
        let mut c = json!({"iss": "qv", "aud": "qv-api", "sub": ivan.user_id, "typ": "access",
                           "iat": now, "exp": now + 600, "jti": "t"});
        f(&mut c);
        c
    };
    // Control: a token forged with the server key is accepted, so each
    // refusal below is due to the one thing changed.
    let good = forge(&header, &claims(&|_| {}), &key);
    let (s, me) = get(&ts, "/api/v1/me", Some(&good)).await;
    assert_eq!((s, me["username"].as_str()), (200, Some("ivan")), "{me}");
    let good_sig = good.rsplit_once('.').unwrap().1.to_string();

    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT"}).to_string()),
        URL_SAFE_NO_PAD.encode(claims(&|_| {}).to_string())
    );
    let hs256 = {
        let h = URL_SAFE_NO_PAD.encode(json!({"alg": "HS256", "typ": "JWT"}).to_string());
        let p = URL_SAFE_NO_PAD.encode(claims(&|_| {}).to_string());
        let mut mac =
            <Hmac<sha2::Sha256> as Mac>::new_from_slice(key.verifying_key().as_bytes()).unwrap();
        mac.update(format!("{h}.{p}").as_bytes());
        format!("{h}.{p}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    };
    let other_key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let tampered = {
        let p =
            URL_SAFE_NO_PAD.encode(claims(&|c| c["sub"] = judy.user_id.clone().into()).to_string());
        let h = good.split('.').next().unwrap();
        format!("{h}.{p}.{good_sig}")
    };
    let cases: Vec<(&str, String)> = vec![
        ("alg none", none),
        (
            "alg none, signature kept",
            format!(
                "{}.{}.{good_sig}",
                URL_SAFE_NO_PAD.encode(json!({"alg": "none"}).to_string()),
                good.split('.').nth(1).unwrap()
            ),
        ),
        ("alg HS256 keyed with the public key", hs256),
        ("wrong key", forge(&header, &claims(&|_| {}), &other_key)),
        (
            "expired",
            forge(
                &header,
                &claims(&|c| {
                    c["iat"] = (now - 7200).into();
                    c["exp"] = (now - 3600).into();
                }),
                &key,
            ),
        ),
        ("wrong aud", forge(&header, &claims(&|c| c["aud"] = "other-api".into()), &key)),
        (
            "no aud",
            forge(
                &header,
                &claims(&|c| {
                    c.as_object_mut().unwrap().remove("aud");
                }),
                &key,
            ),
        ),
        ("typ refresh", forge(&header, &claims(&|c| c["typ"] = "refresh".into()), &key)),
        ("wrong iss", forge(&header, &claims(&|c| c["iss"] = "evil".into()), &key)),
        (
            "issued in the future",
            forge(
                &header,
                &claims(&|c| {
                    c["iat"] = (now + 3600).into();
                    c["exp"] = (now + 7200).into();
                }),
                &key,
            ),
        ),
        ("tampered payload", tampered),
        ("garbage", "not.a.token".into()),
        ("two parts", "abc.def".into()),
        ("four parts", format!("{good}.x")),
        (
            "unknown user",
            forge(
                &header,
                &claims(&|c| c["sub"] = "00000000-0000-7000-8000-000000000000".into()),
                &key,
            ),
        ),
    ];
    for (what, token) in &cases {
        let (s, v) = get(&ts, "/api/v1/me", Some(token)).await;
        assert_eq!((s, code(&v)), (401, "unauthorized"), "{what}: {v}");
    }
    // The header's scheme must be Bearer.
    let r = ts
        .http
        .get(ts.url("/api/v1/me"))
        .header("authorization", format!("Basic {good}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // A real access token passes, a refresh token is no access token.
    let (s, _) = get(&ts, "/api/v1/me", Some(&ivan.access_token)).await;
    assert_eq!(s, 200);
    let (s, _) = get(&ts, "/api/v1/me", Some(&ivan.refresh_token)).await;
    assert_eq!(s, 401);
    // Tokens the server issues verify with the derived key and carry the claims.
    let c = jwt::verify(&key.verifying_key(), &ivan.access_token, now_s()).expect("server token");
    assert_eq!((c.iss.as_str(), c.aud.as_str(), c.typ.as_str()), ("qv", "qv-api", "access"));
    assert_eq!(c.sub, ivan.user_id);
    assert_eq!(c.exp - c.iat, 900);
    ts.stop().await;
}

async fn flow_api_keys(db: Db) {
    let ts = start(db).await;
    let kim = ts.register("kim").await;
    let jwt_ = kim.access_token.as_str();
    let (s, k) =
        post(&ts, "/api/v1/api-keys", Some(jwt_), json!({"name": "ci", "scopes": ["jobs:read"]}))
            .await;
    assert_eq!(s, 201, "{k}");
    let key = k["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("qv_") && key.len() == 46, "{key}");
    assert!(URL_SAFE_NO_PAD.decode(&key[3..]).unwrap().len() == 32);
    assert!(key.starts_with(k["prefix"].as_str().unwrap()));
    assert_eq!(k["scopes"], json!(["jobs:read"]));
    assert!(k["expires_at"].is_null());

    // The key authenticates; listings never show it again.
    let (s, me) = get(&ts, "/api/v1/me", Some(&key)).await;
    assert_eq!((s, me["username"].as_str()), (200, Some("kim")), "{me}");
    let (s, list) = get(&ts, "/api/v1/api-keys", Some(jwt_)).await;
    assert_eq!(s, 200);
    let listed = &list["api_keys"][0];
    assert_eq!(listed["id"], k["id"]);
    assert!(!list.to_string().contains(&key[11..]), "the secret part is never listed: {list}");
    assert!(listed["last_used_at"].is_string(), "use is recorded: {listed}");
    assert!(listed["revoked_at"].is_null());

    // Scopes: a jobs:read key may not write jobs, create keys or use admin routes.
    let (s, v) = post(
        &ts,
        "/api/v1/jobs",
        Some(&key),
        json!({"program": {"format": "qasm2", "source": "OPENQASM 2.0;\nqreg q[1];\n"}}),
    )
    .await;
    assert_eq!(s, 403, "jobs:read key submitting a job: {v}");
    let (s, v) =
        post(&ts, "/api/v1/api-keys", Some(&key), json!({"name": "x", "scopes": ["jobs:read"]}))
            .await;
    assert_eq!(s, 403, "keys cannot mint keys: {v}");
    let (s, v) = get(&ts, "/api/v1/admin/users", Some(&key)).await;
    assert_eq!(s, 403, "{v}");
    // A non-admin cannot give a key the admin scope.
    let (s, v) =
        post(&ts, "/api/v1/api-keys", Some(jwt_), json!({"name": "x", "scopes": ["admin"]})).await;
    assert_eq!(s, 403, "{v}");
    for (body, field) in [
        (json!({"name": "x", "scopes": ["jobs:delete"]}), "scopes"),
        (json!({"name": "x", "scopes": []}), "scopes"),
        (json!({"name": "", "scopes": ["jobs:read"]}), "name"),
        (json!({"name": "x", "scopes": ["jobs:read"], "expires_in_days": 0}), "expires_in_days"),
        (json!({"name": "x"}), "scopes"),
    ] {
        let (s, v) = post(&ts, "/api/v1/api-keys", Some(jwt_), body.clone()).await;
        assert_eq!(s, 400, "{body}: {v}");
        assert!(message(&v).contains(field), "{body} should name {field}: {v}");
    }

    // Expiry: a key past its expiry is refused.
    let (s, k2) = post(
        &ts,
        "/api/v1/api-keys",
        Some(jwt_),
        json!({"name": "short", "scopes": ["jobs:read", "jobs:write"], "expires_in_days": 1}),
    )
    .await;
    assert_eq!(s, 201);
    assert!(k2["expires_at"].is_string());
    let key2 = k2["key"].as_str().unwrap();
    sql(&ts, "UPDATE api_keys SET expires_at = $1 WHERE id = $2", k2["id"].as_str().unwrap(), 1)
        .await;
    let (s, v) = get(&ts, "/api/v1/me", Some(key2)).await;
    assert_eq!(s, 401, "{v}");
    assert!(message(&v).contains("expired"), "{v}");

    // Revocation takes effect at once.
    let id = k["id"].as_str().unwrap();
    let (s, _, v) = call(&ts, "DELETE", &format!("/api/v1/api-keys/{id}"), Some(&key), None).await;
    assert_eq!(s, 403, "a key cannot revoke keys: {v}");
    let (s, _, v) = call(&ts, "DELETE", &format!("/api/v1/api-keys/{id}"), Some(jwt_), None).await;
    assert_eq!(s, 204, "{v}");
    let (s, v) = get(&ts, "/api/v1/me", Some(&key)).await;
    assert_eq!(s, 401, "revoked key: {v}");
    let (_, list) = get(&ts, "/api/v1/api-keys", Some(jwt_)).await;
    let row = list["api_keys"].as_array().unwrap().iter().find(|r| r["id"] == k["id"]).unwrap();
    assert!(row["revoked_at"].is_string(), "{row}");
    for bad in ["nope", "00000000-0000-7000-8000-000000000000"] {
        let (s, _, v) =
            call(&ts, "DELETE", &format!("/api/v1/api-keys/{bad}"), Some(jwt_), None).await;
        assert_eq!(s, 404, "{bad}: {v}");
    }
    // A key of the right shape that was never issued.
    let fake = format!("qv_{}", URL_SAFE_NO_PAD.encode([1u8; 32]));
    let (s, _) = get(&ts, "/api/v1/me", Some(&fake)).await;
    assert_eq!(s, 401);
    ts.stop().await;
}

async fn flow_totp(db: Db) {
    let ts = start(db).await;
    let leo = ts.register("leo").await;
    let t = leo.access_token.as_str();
    let (s, v) = post(&ts, "/api/v1/mfa/totp/verify", Some(t), json!({"code": "123456"})).await;
    assert_eq!(s, 409, "verify before enrol: {v}");
    let (s, e) = post(&ts, "/api/v1/mfa/totp/enroll", Some(t), json!({})).await;
    assert_eq!(s, 200, "{e}");
    let secret = e["secret"].as_str().unwrap().to_string();
    assert_eq!(data_encoding::BASE32_NOPAD.decode(secret.as_bytes()).unwrap().len(), 20);
    let url = e["otpauth_url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!(
            "otpauth://totp/QuantumVibe:leo?secret={secret}&issuer=QuantumVibe"
        )),
        "{url}"
    );
    // Not enabled until verified.
    let (s, _, _) = login_raw(&ts, "leo", &leo.password, None).await;
    assert_eq!(s, 200);

    let step = now_s() / 30;
    let (s, v) = post(&ts, "/api/v1/mfa/totp/verify", Some(t), json!({"code": "000000"})).await;
    let wrong_is_current =
        [step - 1, step, step + 1].iter().any(|st| totp_code(&secret, *st) == "000000");
    if !wrong_is_current {
        assert_eq!((s, code(&v)), (400, "invalid_code"), "{v}");
    }
    let (s, v) =
        post(&ts, "/api/v1/mfa/totp/verify", Some(t), json!({"code": totp_code(&secret, step)}))
            .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["enabled"], true);
    let recovery: Vec<String> = v["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(recovery.len(), 10);
    let (_, me) = get(&ts, "/api/v1/me", Some(t)).await;
    assert_eq!(me["mfa_enabled"], true, "{me}");
    let (s, v) = post(&ts, "/api/v1/mfa/totp/enroll", Some(t), json!({})).await;
    assert_eq!(s, 409, "enrol twice: {v}");

    // Login now needs the second factor.
    let (s, _, v) = login_raw(&ts, "leo", &leo.password, None).await;
    assert_eq!((s, code(&v)), (401, "mfa_required"), "{v}");
    // The step used by verify cannot be replayed; the next one works once.
    let (s, _, v) = login_raw(&ts, "leo", &leo.password, Some(&totp_code(&secret, step))).await;
    assert_eq!((s, code(&v)), (401, "invalid_credentials"), "replayed step: {v}");
    let next = totp_code(&secret, step + 1);
    let (s, _, v) = login_raw(&ts, "leo", &leo.password, Some(&next)).await;
    assert_eq!(s, 200, "next step: {v}");
    let (s, _, v) = login_raw(&ts, "leo", &leo.password, Some(&next)).await;
    assert_eq!((s, code(&v)), (401, "invalid_credentials"), "replay of an accepted code: {v}");
    // Wrong password with a good code is still invalid.
    let (s, _, _) =
        login_raw(&ts, "leo", "wrong password!!", Some(&totp_code(&secret, step + 1))).await;
    assert_eq!(s, 401);

    // Recovery codes: single use, any case and dashes.
    let rc = recovery[0].to_uppercase();
    let (s, _, v) = login_raw(&ts, "leo", &leo.password, Some(&rc)).await;
    assert_eq!(s, 200, "recovery code: {v}");
    let (s, _, v) = login_raw(&ts, "leo", &leo.password, Some(&recovery[0])).await;
    assert_eq!((s, code(&v)), (401, "invalid_credentials"), "used recovery code: {v}");
    let (s, _, _) = login_raw(&ts, "leo", &leo.password, Some("aaaaa-aaaaa")).await;
    assert_eq!(s, 401, "unknown recovery code");

    // An API key cannot change MFA settings.
    let (_, k) =
        post(&ts, "/api/v1/api-keys", Some(t), json!({"name": "k", "scopes": ["jobs:read"]})).await;
    let (s, _) = post(
        &ts,
        "/api/v1/mfa/totp/disable",
        Some(k["key"].as_str().unwrap()),
        json!({"code": recovery[1]}),
    )
    .await;
    assert_eq!(s, 403);

    // Disable: a wrong code is refused, an unused recovery code works.
    let (s, v) = post(&ts, "/api/v1/mfa/totp/disable", Some(t), json!({"code": recovery[0]})).await;
    assert_eq!((s, code(&v)), (400, "invalid_code"), "spent code: {v}");
    let (s, v) = post(&ts, "/api/v1/mfa/totp/disable", Some(t), json!({"code": recovery[1]})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["enabled"], false);
    let (s, _, v) = login_raw(&ts, "leo", &leo.password, None).await;
    assert_eq!(s, 200, "no second factor after disable: {v}");
    let (s, v) = post(&ts, "/api/v1/mfa/totp/disable", Some(t), json!({"code": recovery[2]})).await;
    assert_eq!(s, 409, "not enabled: {v}");
    ts.stop().await;
}

async fn flow_admin(db: Db) {
    let ts = start(db).await;
    let root = ts.make_admin("root").await;
    let mia = ts.register("mia").await;
    let (_, mia_key) = post(
        &ts,
        "/api/v1/api-keys",
        Some(&mia.access_token),
        json!({"name": "k", "scopes": ["jobs:read"]}),
    )
    .await;
    let mia_key = mia_key["key"].as_str().unwrap().to_string();

    let (s, v) = get(&ts, "/api/v1/admin/users", Some(&mia.access_token)).await;
    assert_eq!(s, 403, "non-admin: {v}");
    let path = format!("/api/v1/admin/users/{}/disable", root.user_id);
    let (s, v) = post(&ts, &path, Some(&mia.access_token), json!({})).await;
    assert_eq!(s, 403, "non-admin disabling: {v}");

    let (s, me) = get(&ts, "/api/v1/me", Some(&root.access_token)).await;
    assert_eq!((s, me["role"].as_str()), (200, Some("admin")));
    let (s, list) = get(&ts, "/api/v1/admin/users", Some(&root.access_token)).await;
    assert_eq!(s, 200, "{list}");
    let names: Vec<&str> =
        list["users"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["root", "mia"]);

    // Admin keys: the admin scope works only when granted.
    let (s, k) = post(
        &ts,
        "/api/v1/api-keys",
        Some(&root.access_token),
        json!({"name": "ops", "scopes": ["admin"]}),
    )
    .await;
    assert_eq!(s, 201, "{k}");
    let (s, _) = get(&ts, "/api/v1/admin/users", Some(k["key"].as_str().unwrap())).await;
    assert_eq!(s, 200);
    let (_, k) = post(
        &ts,
        "/api/v1/api-keys",
        Some(&root.access_token),
        json!({"name": "ro", "scopes": ["jobs:read"]}),
    )
    .await;
    let (s, _) = get(&ts, "/api/v1/admin/users", Some(k["key"].as_str().unwrap())).await;
    assert_eq!(s, 403, "admin user, key without admin scope");

    // Disable: every credential of the user stops working.
    let (s, v) = post(
        &ts,
        &format!("/api/v1/admin/users/{}/disable", mia.user_id),
        Some(&root.access_token),
        json!({}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["disabled"], true);
    let (s, _) = get(&ts, "/api/v1/me", Some(&mia.access_token)).await;
    assert_eq!(s, 401, "disabled user's access token");
    let (s, _) = get(&ts, "/api/v1/me", Some(&mia_key)).await;
    assert_eq!(s, 401, "disabled user's API key");
    let (s, _, v) = login_raw(&ts, "mia", &mia.password, None).await;
    assert_eq!((s, code(&v)), (403, "account_disabled"), "{v}");
    let (s, _, v) = login_raw(&ts, "mia", "wrong password!!", None).await;
    assert_eq!(
        (s, code(&v)),
        (401, "invalid_credentials"),
        "disabled is only told after a correct password: {v}"
    );
    let (s, _) =
        post(&ts, "/api/v1/auth/refresh", None, json!({"refresh_token": mia.refresh_token})).await;
    assert!(s == 401 || s == 403, "disabled user's refresh: {s}");
    let (s, v) = post(
        &ts,
        &format!("/api/v1/admin/users/{}/disable", root.user_id),
        Some(&root.access_token),
        json!({}),
    )
    .await;
    assert_eq!(s, 409, "admins cannot lock themselves out: {v}");
    for bad in ["nope", "00000000-0000-7000-8000-000000000000"] {
        let (s, v) = post(
            &ts,
            &format!("/api/v1/admin/users/{bad}/disable"),
            Some(&root.access_token),
            json!({}),
        )
        .await;
        assert_eq!(s, 404, "{bad}: {v}");
    }

    // Enable: the user can log in again (old refresh tokens stay revoked).
    let (s, v) = post(
        &ts,
        &format!("/api/v1/admin/users/{}/enable", mia.user_id),
        Some(&root.access_token),
        json!({}),
    )
    .await;
    assert_eq!((s, v["disabled"].as_bool()), (200, Some(false)), "{v}");
    let (s, _, _) = login_raw(&ts, "mia", &mia.password, None).await;
    assert_eq!(s, 200);
    let (s, _) = get(&ts, "/api/v1/me", Some(&mia_key)).await;
    assert_eq!(s, 200, "keys work again once enabled");
    let (s, _) =
        post(&ts, "/api/v1/auth/refresh", None, json!({"refresh_token": mia.refresh_token})).await;
    assert_eq!(s, 401, "refresh tokens revoked by disabling stay revoked");
    ts.stop().await;
}

async fn flow_isolation(db: Db) {
    let ts = start(db).await;
    let alice = ts.register("alice").await;
    let bob = ts.register("bob").await;
    let (_, k) = post(
        &ts,
        "/api/v1/api-keys",
        Some(&alice.access_token),
        json!({"name": "a", "scopes": ["jobs:read"]}),
    )
    .await;
    let id = k["id"].as_str().unwrap();
    let (s, _, v) =
        call(&ts, "DELETE", &format!("/api/v1/api-keys/{id}"), Some(&bob.access_token), None).await;
    assert_eq!((s, code(&v)), (404, "not_found"), "bob deleting alice's key: {v}");
    let (s, _) = get(&ts, "/api/v1/me", Some(k["key"].as_str().unwrap())).await;
    assert_eq!(s, 200, "alice's key still works");
    let (_, list) = get(&ts, "/api/v1/api-keys", Some(&bob.access_token)).await;
    assert_eq!(list["api_keys"], json!([]), "bob sees none of alice's keys");
    let (s, me) = get(&ts, "/api/v1/me", Some(&bob.access_token)).await;
    assert_eq!((s, me["username"].as_str()), (200, Some("bob")));
    // Bob's logout of alice's refresh token would need the token itself:
    // logging out his own family leaves hers alone.
    let (s, _, _) = call(
        &ts,
        "POST",
        "/api/v1/auth/logout",
        None,
        Some(json!({"refresh_token": bob.refresh_token})),
    )
    .await;
    assert_eq!(s, 204);
    let (s, _) =
        post(&ts, "/api/v1/auth/refresh", None, json!({"refresh_token": alice.refresh_token}))
            .await;
    assert_eq!(s, 200);
    ts.stop().await;
}

async fn flow_auth_ip_limit(db: Db) {
    let ts = TestServer::start_with(db, |c| c.auth_rate_limit_per_min = 3.0).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let (s, retry, v) = login_raw(&ts, "nobody", "whatever password", None).await;
        if s == 429 {
            assert_eq!(code(&v), "rate_limited", "{v}");
            assert!(retry.is_some(), "Retry-After on 429");
        }
        statuses.push(s);
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
    let (s, _) = post(&ts, "/api/v1/auth/refresh", None, json!({"refresh_token": "x"})).await;
    assert_eq!(s, 429, "refresh shares the per-IP budget");
    ts.stop().await;
}

#[test]
fn openapi_documents_every_auth_route() {
    let doc = qv_server::api::openapi::openapi();
    let json = serde_json::to_value(&doc).unwrap();
    for (path, method) in [
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/api-keys", "post"),
        ("/api/v1/api-keys", "get"),
        ("/api/v1/api-keys/{id}", "delete"),
        ("/api/v1/mfa/totp/enroll", "post"),
        ("/api/v1/mfa/totp/verify", "post"),
        ("/api/v1/mfa/totp/disable", "post"),
        ("/api/v1/admin/users", "get"),
        ("/api/v1/admin/users/{id}/disable", "post"),
        ("/api/v1/admin/users/{id}/enable", "post"),
    ] {
        let op = &json["paths"][path][method];
        assert!(op.is_object(), "{method} {path} missing");
        let protected = !path.starts_with("/api/v1/auth/");
        assert_eq!(op["security"].is_array(), protected, "{method} {path} security");
    }
    for schema in ["UserView", "TokenResponse", "CreatedApiKey", "ApiKeyList", "ErrorBody"] {
        assert!(json["components"]["schemas"][schema].is_object(), "{schema}");
    }
}
