//! Shared helpers of the server's integration tests: a real server on port
//! 0 over a fresh SQLite file, or over a fresh PostgreSQL database when
//! `QV_TEST_DATABASE_URL` is set.
#![allow(dead_code)]

use qv_server::{Config, Server};
use serde_json::{json, Value};

/// Which database a test server uses.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite,
    Postgres(String),
}

/// A running server with an HTTP client.
pub struct TestServer {
    pub base: String,
    pub http: reqwest::Client,
    pub server: Option<Server>,
    pub dir: tempfile::TempDir,
    pub config: Config,
}

/// A logged-in user.
#[derive(Clone, Debug)]
pub struct Session {
    pub user_id: String,
    pub username: String,
    pub password: String,
    pub access_token: String,
    pub refresh_token: String,
}

/// Why PostgreSQL tests are `#[ignore]`d: they need a server. CI sets
/// `QV_TEST_DATABASE_URL` and runs them with `--include-ignored`.
pub const NEEDS_POSTGRES: &str =
    "needs PostgreSQL: set QV_TEST_DATABASE_URL and pass --include-ignored";

/// Runs `$flow(db)` on SQLite (`sqlite::$name`) and on PostgreSQL
/// (`postgres::$name`, ignored unless asked for: see [`NEEDS_POSTGRES`]).
#[macro_export]
macro_rules! on_both {
    ($($name:ident => $flow:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$flow($crate::common::Db::Sqlite).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs PostgreSQL: set QV_TEST_DATABASE_URL and pass --include-ignored"]
            async fn $name() {
                let url = $crate::common::postgres_url(stringify!($name)).await;
                super::$flow($crate::common::Db::Postgres(url)).await;
            })*
        }
    };
}

/// The base URL of `QV_TEST_DATABASE_URL`; panics when it is unset (the
/// test was asked for explicitly, so a silent skip would hide it).
pub fn postgres_base(test: &str) -> String {
    std::env::var("QV_TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!("{test} runs on PostgreSQL: set QV_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)")
    })
}

/// Creates a fresh database on the server of `QV_TEST_DATABASE_URL` and
/// returns its URL (panics when it is unset: see [`postgres_base`]).
///
/// Test databases are named `qv_test_<unix seconds>_<random>`, so a later
/// run can tell their age: creating one first drops those older than an
/// hour (left by earlier runs, killed ones included), never a database a
/// running test may still use.
pub async fn postgres_url(test: &str) -> String {
    let base = postgres_base(test);
    use sqlx::Executor;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let name = format!("{TEST_DB_PREFIX}{now}_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::PgPool::connect(&base).await.expect("connect to QV_TEST_DATABASE_URL");
    drop_stale_test_databases(&admin, now).await;
    admin.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create test database");
    admin.close().await;
    let (prefix, _) = base.rsplit_once('/').expect("QV_TEST_DATABASE_URL ends in /DATABASE");
    format!("{prefix}/{name}")
}

/// Prefix of the databases [`postgres_url`] creates (crates/qv-cli/tests
/// uses the same scheme).
pub const TEST_DB_PREFIX: &str = "qv_test_";

/// Test databases older than this are dropped when a new one is created.
pub const TEST_DB_MAX_AGE_S: u64 = 3600;

/// Drops the `qv_test_<unix seconds>_...` databases created over
/// [`TEST_DB_MAX_AGE_S`] before `now`. Other test processes may be dropping
/// the same ones: failures are reported, never fatal.
pub async fn drop_stale_test_databases(admin: &sqlx::PgPool, now: u64) {
    use sqlx::Executor;
    let mut names: Vec<String> =
        match sqlx::query_scalar("SELECT datname FROM pg_database WHERE starts_with(datname, $1)")
            .bind(TEST_DB_PREFIX)
            .fetch_all(admin)
            .await
        {
            Ok(names) => names,
            Err(e) => {
                eprintln!("cannot list old test databases: {e}");
                return;
            }
        };
    // Names of earlier helpers carry no usable time (`qv_test_<uuid>`,
    // `qv_scale_<pid>_<nanos>`): their age is that of the database's files,
    // readable by a superuser only (else they are left alone).
    let legacy: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE (datname ~ '^qv_test_[0-9a-f]{32}$' OR \
         datname ~ '^qv_scale_[0-9]+_[0-9]+$') AND \
         (pg_stat_file('base/' || oid || '/PG_VERSION')).modification < now() - make_interval(secs => $1)",
    )
    .bind(TEST_DB_MAX_AGE_S as f64)
    .fetch_all(admin)
    .await
    .unwrap_or_default();
    names.retain(|name| {
        let created = name
            .strip_prefix(TEST_DB_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok());
        created.is_some_and(|c| now.saturating_sub(c) > TEST_DB_MAX_AGE_S)
    });
    names.extend(legacy);
    for name in names {
        // Only names these helpers made: letters, digits and `_`, safe to quote.
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        if let Err(e) = admin.execute(drop.as_str()).await {
            eprintln!("cannot drop old test database {name} (another test run may be): {e}");
        }
    }
}

/// A test configuration: quiet logs, fast Argon2 is not used (the real
/// parameters run), generous rate limits unless a test lowers them.
pub fn test_config(dir: &std::path::Path, db: &Db) -> Config {
    Config {
        port: 0,
        data_dir: dir.to_path_buf(),
        database_url: match db {
            Db::Sqlite => None,
            Db::Postgres(url) => Some(url.clone()),
        },
        workers: 2,
        log_level: "warn".into(),
        rate_limit_per_s: 10_000.0,
        rate_limit_burst: 10_000.0,
        auth_rate_limit_per_min: 10_000.0,
        ..Config::default()
    }
}

impl TestServer {
    /// A server over a fresh SQLite file.
    pub async fn start() -> TestServer {
        TestServer::start_with(Db::Sqlite, |_| {}).await
    }

    /// A server over `db`, with `tweak` applied to the test configuration.
    pub async fn start_with(db: Db, tweak: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = test_config(dir.path(), &db);
        tweak(&mut config);
        let server = Server::start(config.clone()).await.expect("server starts");
        let base = format!("http://{}", server.addr);
        TestServer { base, http: reqwest::Client::new(), server: Some(server), dir, config }
    }

    /// The absolute URL of `path` (`/api/v1/...`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Registers `username` (password `correct horse battery staple`) and logs in.
    pub async fn register(&self, username: &str) -> Session {
        let password = "correct horse battery staple".to_string();
        let r = self
            .http
            .post(self.url("/api/v1/auth/register"))
            .json(&json!({"email": format!("{username}@example.com"), "username": username, "password": password}))
            .send()
            .await
            .expect("register request");
        assert_eq!(r.status(), 201, "register {username}: {}", r.text().await.unwrap_or_default());
        let user: Value = r.json().await.expect("register body");
        let tokens = self.login(username, &password).await;
        Session {
            user_id: user["id"].as_str().expect("user id").to_string(),
            username: username.to_string(),
            password,
            access_token: tokens["access_token"].as_str().expect("access token").to_string(),
            refresh_token: tokens["refresh_token"].as_str().expect("refresh token").to_string(),
        }
    }

    /// Logs in and returns the token response (asserts 200).
    pub async fn login(&self, username: &str, password: &str) -> Value {
        let r = self
            .http
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("login request");
        assert_eq!(r.status(), 200, "login {username}: {}", r.text().await.unwrap_or_default());
        r.json().await.expect("login body")
    }

    /// Creates an admin the way `qv admin create-user` does (the auth
    /// service on the same database and data directory), then logs in.
    pub async fn make_admin(&self, username: &str) -> Session {
        let store =
            qv_server::store::Store::connect(&self.config.database_url(), 2).await.expect("store");
        let config = std::sync::Arc::new(self.config.clone());
        let auth = qv_server::auth::AuthService::new(store.clone(), config).await.expect("auth");
        let password = "admin password 123".to_string();
        let user = auth
            .create_user(
                &format!("{username}@example.com"),
                username,
                &password,
                qv_server::model::Role::Admin,
            )
            .await
            .expect("create admin");
        store.close().await;
        let tokens = self.login(username, &password).await;
        Session {
            user_id: user.id,
            username: username.into(),
            password,
            access_token: tokens["access_token"].as_str().unwrap().into(),
            refresh_token: tokens["refresh_token"].as_str().unwrap().into(),
        }
    }

    /// Stops the server gracefully.
    pub async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
    }
}

/// A user's authenticated calls to a test server.
pub struct Api<'a> {
    pub srv: &'a TestServer,
    pub token: String,
}

impl Api<'_> {
    pub fn of<'a>(srv: &'a TestServer, s: &Session) -> Api<'a> {
        Api { srv, token: s.access_token.clone() }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.srv.http.request(method, self.srv.url(path)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    /// Submits a new job: 201 QUEUED with a queue position, whatever the
    /// workers do meanwhile.
    pub async fn submit(&self, body: Value) -> String {
        let (s, v) = self.post("/api/v1/jobs", body).await;
        assert_eq!(s, 201, "submit: {v}");
        assert_eq!(v["status"], "QUEUED", "submit: {v}");
        assert!(v["queue_position"].as_i64().is_some_and(|p| p >= 1), "submit: {v}");
        v["id"].as_str().expect("job id").to_string()
    }

    /// Polls until the job reaches a terminal state (or `want`).
    pub async fn wait_for(&self, id: &str, want: &[&str], within: std::time::Duration) -> Value {
        let deadline = std::time::Instant::now() + within;
        loop {
            let (s, v) = self.get(&format!("/api/v1/jobs/{id}")).await;
            assert_eq!(s, 200, "{v}");
            let status = v["status"].as_str().unwrap_or_default().to_string();
            if want.contains(&status.as_str()) {
                return v;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "job {id} still {status} after {within:?}: {v}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

/// A circuit that runs for many seconds with a short source: nested gate
/// definitions expand to 200 layers of rotations and entanglers on 22 qubits
/// (few enough gates that lowering and planning, before the first
/// cancellation check, stay short even in a debug build).
pub fn long_circuit() -> String {
    let n = 22;
    let args: Vec<String> = (0..n).map(|q| format!("a{q}")).collect();
    let params = args.join(",");
    let mut s = String::from("OPENQASM 2.0;\ninclude \"qelib1.inc\";\n");
    let mut body: String = args.iter().map(|a| format!("rx(0.3) {a}; t {a}; ")).collect();
    for q in 0..n - 1 {
        body.push_str(&format!("cx a{q},a{}; ", q + 1));
    }
    s.push_str(&format!("gate layer1 {params} {{ {body}}}\n"));
    let call = format!("layer1 {params}; ");
    s.push_str(&format!("gate layer10 {params} {{ {}}}\n", call.repeat(10)));
    let qs: Vec<String> = (0..n).map(|q| format!("q[{q}]")).collect();
    s.push_str(&format!("qreg q[{n}];\ncreg c[{n}];\n"));
    for _ in 0..20 {
        s.push_str(&format!("layer10 {};\n", qs.join(",")));
    }
    s.push_str("measure q -> c;\n");
    s
}
