//! Server configuration: defaults < `qv.toml` < `QV_*` environment < flags.
//!
//! The file is `qv.toml` in the working directory (if present) or the one
//! named by `--config`; its keys are the field names of [`Config`]. Every
//! field can also be set by an environment variable named `QV_` + the field
//! name in upper case (`QV_PORT`, `QV_DATABASE_URL`, `QV_CORS_ORIGINS` as a
//! comma-separated list, ...). Flags win over both. A wrong value is an
//! error naming the file, variable or flag and the field.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Which parts of the server a process runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServerRole {
    /// API and workers (the default, one process does everything).
    #[default]
    All,
    /// API only: jobs are run by `qv worker` processes on the same database.
    Api,
    /// Workers only (`qv worker`).
    Worker,
}

impl ServerRole {
    /// Parses `all`, `api` or `worker`.
    pub fn parse(s: &str) -> Option<ServerRole> {
        match s.trim().to_ascii_lowercase().as_str() {
            "all" => Some(ServerRole::All),
            "api" => Some(ServerRole::Api),
            "worker" => Some(ServerRole::Worker),
            _ => None,
        }
    }

    /// The name (`all`, `api`, `worker`).
    pub fn as_str(self) -> &'static str {
        match self {
            ServerRole::All => "all",
            ServerRole::Api => "api",
            ServerRole::Worker => "worker",
        }
    }
}

/// Everything `qv serve` and `qv worker` can be told.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub bind: String,
    /// Port to listen on (0 picks a free port; the chosen one is logged).
    pub port: u16,
    /// Where the SQLite database, the server key and logs live.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://...`; default `sqlite://<data_dir>/qv.db`.
    pub database_url: Option<String>,
    /// Which parts run in this process.
    pub role: ServerRole,
    /// Worker threads running simulations; 0 = one per core.
    pub workers: usize,
    /// A running job is stopped and FAILED after this many seconds.
    pub job_timeout_s: u64,
    /// A claimed job's lease; a worker renews it while it runs, and a lease
    /// that expires (the worker died) puts the job back in the queue.
    pub lease_s: u64,
    /// On shutdown, running jobs get this long to finish before they are re-queued.
    pub shutdown_grace_s: u64,
    /// Largest circuit accepted, in qubits (state-vector backends; the
    /// stabilizer backend takes up to `max_stabilizer_qubits`).
    pub max_qubits: usize,
    /// Largest Clifford circuit accepted on the stabilizer backend.
    pub max_stabilizer_qubits: usize,
    /// Most shots per job.
    pub max_shots: u64,
    /// Memory one job may use, in bytes (0 = what the machine has).
    pub max_job_memory_bytes: u64,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Origins allowed by CORS (empty: same origin only; `*` any).
    pub cors_origins: Vec<String>,
    /// Requests per second per user or API key (token bucket refill rate).
    pub rate_limit_per_s: f64,
    /// Burst size of the per-user bucket.
    pub rate_limit_burst: f64,
    /// Requests per minute per client IP on the auth routes.
    pub auth_rate_limit_per_min: f64,
    /// Failed logins before an account is locked for a while (doubling).
    pub login_max_failures: u32,
    /// Access-token lifetime in seconds.
    pub access_token_ttl_s: u64,
    /// Refresh-token lifetime in seconds.
    pub refresh_token_ttl_s: u64,
    /// Base64 of the 32-byte server key (JWT signing key and secret
    /// encryption derive from it). Default: `<data_dir>/server.key`, created
    /// at first start. Servers sharing a database must share it.
    pub server_key: Option<String>,
    /// `json` (default) or `text` logs on stdout.
    pub log_format: String,
    /// Log filter (`info`, `qv_server=debug`, ...).
    pub log_level: String,
    /// Whether anyone may register (the first user can always be created by
    /// `qv admin create-user`).
    pub allow_registration: bool,

    // -- connections (see docs/security.md)
    /// Open HTTP connections at most (0: derived from the file-descriptor
    /// limit, which is raised to its hard maximum at start). Connections
    /// over it are closed at once.
    pub max_connections: usize,
    /// Open HTTP connections per client address at most (IPv6 by /64).
    pub max_connections_per_ip: usize,
    /// A client must send a request's headers within this many seconds of
    /// connecting or of its previous response (idle keep-alive included).
    pub header_read_timeout_s: u64,
    /// A request body must arrive within this many seconds.
    pub body_read_timeout_s: u64,
    /// Bearer token that `/metrics` requires. Unset: `/metrics` answers
    /// only clients on loopback addresses.
    pub metrics_token: Option<String>,
    // Abuse limits on authentication and live events (docs/server.md).
    /// Argon2 hashes run at once; 0 = one per core.
    pub argon2_concurrency: usize,
    /// Password checks that may wait for a free Argon2 slot before further
    /// ones are answered 503 `overloaded`; 0 = twice the concurrency.
    pub argon2_queue: usize,
    /// Login attempts per second for the whole server (every client
    /// together; 503 `overloaded` beyond it); 0 disables the limit.
    pub login_rate_limit_per_s: f64,
    /// Wrong two-factor codes before codes are refused for a while (doubling).
    pub mfa_max_failures: u32,
    /// First lock of two-factor codes, in seconds.
    pub mfa_lock_s: u64,
    /// How often an open event stream re-checks its credential, in seconds.
    pub events_recheck_s: u64,
    /// Open event streams per user (per server process).
    pub events_max_sockets_per_user: usize,
    // Abuse limits of the job queue (docs/server.md, "Abuse limits: jobs,
    // results and memory").
    /// Largest result one job may store, in bytes: checked against an
    /// estimate at submit (413) and against the real size after the run.
    pub max_result_bytes: u64,
    /// Memory all running jobs of a worker process may reserve together, in
    /// bytes (their estimates); 0 = 60% of the machine's (or cgroup's) memory.
    pub max_memory_bytes: u64,
    /// Most queued + running jobs per user (0 = no limit).
    pub max_active_jobs_per_user: u64,
    /// New jobs are refused while a user's stored results take this many
    /// bytes, and a result that would go over it fails its job (0 = no limit).
    pub max_result_bytes_per_user: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1".into(),
            port: 8080,
            data_dir: PathBuf::from("./qv-data"),
            database_url: None,
            role: ServerRole::All,
            workers: 0,
            job_timeout_s: 3600,
            lease_s: 30,
            shutdown_grace_s: 20,
            max_qubits: 30,
            max_stabilizer_qubits: 10_000,
            max_shots: 1_000_000,
            max_job_memory_bytes: 0,
            max_body_bytes: 1 << 20,
            cors_origins: Vec::new(),
            rate_limit_per_s: 200.0,
            rate_limit_burst: 400.0,
            auth_rate_limit_per_min: 60.0,
            login_max_failures: 5,
            access_token_ttl_s: 900,
            refresh_token_ttl_s: 30 * 24 * 3600,
            server_key: None,
            log_format: "json".into(),
            log_level: "info".into(),
            allow_registration: true,
            max_connections: 0,
            max_connections_per_ip: 256,
            header_read_timeout_s: 15,
            body_read_timeout_s: 30,
            metrics_token: None,
            argon2_concurrency: 0,
            argon2_queue: 0,
            login_rate_limit_per_s: 100.0,
            mfa_max_failures: 5,
            mfa_lock_s: 900,
            events_recheck_s: 10,
            events_max_sockets_per_user: 8,
            max_result_bytes: 64 << 20,
            max_memory_bytes: 0,
            max_active_jobs_per_user: 1000,
            max_result_bytes_per_user: 1 << 30,
        }
    }
}

impl Config {
    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("qv.db").display()),
        }
    }

    /// Argon2 hashes run at once, in effect.
    pub fn argon2_concurrency(&self) -> usize {
        if self.argon2_concurrency > 0 {
            self.argon2_concurrency
        } else {
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
        }
    }

    /// Password checks that may wait, in effect.
    pub fn argon2_queue(&self) -> usize {
        if self.argon2_queue > 0 {
            self.argon2_queue
        } else {
            2 * self.argon2_concurrency()
        }
    }

    /// Worker threads in effect.
    pub fn worker_count(&self) -> usize {
        if self.workers > 0 {
            self.workers
        } else {
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
        }
    }
}

/// A configuration that could not be loaded; the message names the source
/// (file, variable or flag) and the field.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// Values given as command-line flags (the highest precedence).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub bind: Option<String>,
    pub port: Option<u16>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub workers: Option<usize>,
    pub role: Option<ServerRole>,
    pub log_format: Option<String>,
    pub log_level: Option<String>,
}

/// Every field settable from the environment, as `QV_<NAME>`.
pub const ENV_FIELDS: &[&str] = &[
    "bind",
    "port",
    "data_dir",
    "database_url",
    "role",
    "workers",
    "job_timeout_s",
    "lease_s",
    "shutdown_grace_s",
    "max_qubits",
    "max_stabilizer_qubits",
    "max_shots",
    "max_job_memory_bytes",
    "max_body_bytes",
    "cors_origins",
    "rate_limit_per_s",
    "rate_limit_burst",
    "auth_rate_limit_per_min",
    "login_max_failures",
    "access_token_ttl_s",
    "refresh_token_ttl_s",
    "server_key",
    "log_format",
    "log_level",
    "allow_registration",
    "max_connections",
    "max_connections_per_ip",
    "header_read_timeout_s",
    "body_read_timeout_s",
    "metrics_token",
    "argon2_concurrency",
    "argon2_queue",
    "login_rate_limit_per_s",
    "mfa_max_failures",
    "mfa_lock_s",
    "events_recheck_s",
    "events_max_sockets_per_user",
    "max_result_bytes",
    "max_memory_bytes",
    "max_active_jobs_per_user",
    "max_result_bytes_per_user",
];

fn num<T: std::str::FromStr>(var: &str, value: &str, what: &str) -> Result<T, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| ConfigError(format!("environment variable {var}: `{value}` is not {what}")))
}

fn boolean(var: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError(format!(
            "environment variable {var}: `{value}` is not a boolean (true/false)"
        ))),
    }
}

impl Config {
    /// Loads the configuration: defaults, then the file (`file`, or
    /// `./qv.toml` when it exists), then `QV_*` environment variables, then
    /// `overrides`; and checks the result.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, ConfigError> {
        Config::load_from(file, |name| std::env::var(name).ok(), overrides)
    }

    /// [`Config::load`] with the environment read through `env` (tests).
    pub fn load_from(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let mut config = match file {
            Some(path) => Config::from_file(path)?,
            None => {
                let default = Path::new("qv.toml");
                if default.is_file() {
                    Config::from_file(default)?
                } else {
                    Config::default()
                }
            }
        };
        for field in ENV_FIELDS {
            let var = format!("QV_{}", field.to_ascii_uppercase());
            if let Some(value) = env(&var) {
                config.set_from_env(field, &var, &value)?;
            }
        }
        config.apply(overrides);
        config.validate()?;
        Ok(config)
    }

    /// Parses a TOML file (unknown keys are errors, so a typo is not ignored).
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError(format!("cannot read configuration file {}: {e}", path.display()))
        })?;
        toml::from_str(&text).map_err(|e| {
            ConfigError(format!("configuration file {}: {}", path.display(), e.to_string().trim()))
        })
    }

    fn set_from_env(&mut self, field: &str, var: &str, v: &str) -> Result<(), ConfigError> {
        const INT: &str = "a non-negative integer";
        const NUM: &str = "a number";
        match field {
            "bind" => self.bind = v.trim().to_string(),
            "port" => self.port = num(var, v, "a port number (0-65535)")?,
            "data_dir" => self.data_dir = PathBuf::from(v),
            "database_url" => {
                self.database_url = if v.trim().is_empty() { None } else { Some(v.to_string()) }
            }
            "role" => {
                self.role = ServerRole::parse(v).ok_or_else(|| {
                    ConfigError(format!(
                        "environment variable {var}: `{v}` is not all, api or worker"
                    ))
                })?
            }
            "workers" => self.workers = num(var, v, INT)?,
            "job_timeout_s" => self.job_timeout_s = num(var, v, INT)?,
            "lease_s" => self.lease_s = num(var, v, INT)?,
            "shutdown_grace_s" => self.shutdown_grace_s = num(var, v, INT)?,
            "max_qubits" => self.max_qubits = num(var, v, INT)?,
            "max_stabilizer_qubits" => self.max_stabilizer_qubits = num(var, v, INT)?,
            "max_shots" => self.max_shots = num(var, v, INT)?,
            "max_job_memory_bytes" => self.max_job_memory_bytes = num(var, v, INT)?,
            "max_body_bytes" => self.max_body_bytes = num(var, v, INT)?,
            "cors_origins" => {
                self.cors_origins = v
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            }
            "rate_limit_per_s" => self.rate_limit_per_s = num(var, v, NUM)?,
            "rate_limit_burst" => self.rate_limit_burst = num(var, v, NUM)?,
            "auth_rate_limit_per_min" => self.auth_rate_limit_per_min = num(var, v, NUM)?,
            "login_max_failures" => self.login_max_failures = num(var, v, INT)?,
            "access_token_ttl_s" => self.access_token_ttl_s = num(var, v, INT)?,
            "refresh_token_ttl_s" => self.refresh_token_ttl_s = num(var, v, INT)?,
            "server_key" => {
                self.server_key =
                    if v.trim().is_empty() { None } else { Some(v.trim().to_string()) }
            }
            "log_format" => self.log_format = v.trim().to_string(),
            "log_level" => self.log_level = v.trim().to_string(),
            "allow_registration" => self.allow_registration = boolean(var, v)?,
            "max_connections" => self.max_connections = num(var, v, INT)?,
            "max_connections_per_ip" => self.max_connections_per_ip = num(var, v, INT)?,
            "header_read_timeout_s" => self.header_read_timeout_s = num(var, v, INT)?,
            "body_read_timeout_s" => self.body_read_timeout_s = num(var, v, INT)?,
            "metrics_token" => {
                self.metrics_token =
                    if v.trim().is_empty() { None } else { Some(v.trim().to_string()) }
            }
            "argon2_concurrency" => self.argon2_concurrency = num(var, v, INT)?,
            "argon2_queue" => self.argon2_queue = num(var, v, INT)?,
            "login_rate_limit_per_s" => self.login_rate_limit_per_s = num(var, v, NUM)?,
            "mfa_max_failures" => self.mfa_max_failures = num(var, v, INT)?,
            "mfa_lock_s" => self.mfa_lock_s = num(var, v, INT)?,
            "events_recheck_s" => self.events_recheck_s = num(var, v, INT)?,
            "events_max_sockets_per_user" => self.events_max_sockets_per_user = num(var, v, INT)?,
            "max_result_bytes" => self.max_result_bytes = num(var, v, INT)?,
            "max_memory_bytes" => self.max_memory_bytes = num(var, v, INT)?,
            "max_active_jobs_per_user" => self.max_active_jobs_per_user = num(var, v, INT)?,
            "max_result_bytes_per_user" => self.max_result_bytes_per_user = num(var, v, INT)?,
            _ => {}
        }
        Ok(())
    }

    /// Applies flags.
    pub fn apply(&mut self, o: &Overrides) {
        if let Some(v) = &o.bind {
            self.bind = v.clone();
        }
        if let Some(v) = o.port {
            self.port = v;
        }
        if let Some(v) = &o.data_dir {
            self.data_dir = v.clone();
        }
        if let Some(v) = &o.database_url {
            self.database_url = Some(v.clone());
        }
        if let Some(v) = o.workers {
            self.workers = v;
        }
        if let Some(v) = o.role {
            self.role = v;
        }
        if let Some(v) = &o.log_format {
            self.log_format = v.clone();
        }
        if let Some(v) = &o.log_level {
            self.log_level = v.clone();
        }
    }

    /// Checks values that parse but cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad =
            |field: &str, why: &str| Err(ConfigError(format!("configuration `{field}`: {why}")));
        if self.bind.parse::<std::net::IpAddr>().is_err() && self.bind != "localhost" {
            return bad("bind", &format!("`{}` is not an IP address", self.bind));
        }
        if !matches!(self.log_format.as_str(), "json" | "text") {
            return bad("log_format", &format!("`{}` is not json or text", self.log_format));
        }
        if let Some(url) = &self.database_url {
            let ok = ["sqlite:", "postgres:", "postgresql:"].iter().any(|p| url.starts_with(p));
            if !ok {
                return bad("database_url", "use sqlite://PATH or postgres://USER@HOST/DB");
            }
        }
        for (field, v) in [
            ("rate_limit_per_s", self.rate_limit_per_s),
            ("rate_limit_burst", self.rate_limit_burst),
            ("auth_rate_limit_per_min", self.auth_rate_limit_per_min),
            ("login_rate_limit_per_s", self.login_rate_limit_per_s),
        ] {
            if !v.is_finite() || v < 0.0 {
                return bad(field, "must be a finite number >= 0 (0 disables the limit)");
            }
        }
        if self.max_body_bytes == 0 {
            return bad("max_body_bytes", "must be at least 1");
        }
        if self.max_result_bytes == 0 {
            return bad("max_result_bytes", "must be at least 1");
        }
        if self.lease_s == 0 {
            return bad("lease_s", "must be at least 1 second");
        }
        if self.events_recheck_s == 0 {
            return bad("events_recheck_s", "must be at least 1 second");
        }
        if self.events_max_sockets_per_user == 0 {
            return bad("events_max_sockets_per_user", "must be at least 1");
        }
        if self.mfa_max_failures == 0 || self.mfa_lock_s == 0 {
            return bad("mfa_max_failures and mfa_lock_s", "must be at least 1");
        }
        if self.data_dir.as_os_str().is_empty() {
            return bad("data_dir", "must not be empty");
        }
        for (field, v) in [
            ("max_connections_per_ip", self.max_connections_per_ip as u64),
            ("header_read_timeout_s", self.header_read_timeout_s),
            ("body_read_timeout_s", self.body_read_timeout_s),
        ] {
            if v == 0 {
                return bad(field, "must be at least 1");
            }
        }
        if self.metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            return bad("metrics_token", "must be at least 16 characters");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("qv.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn precedence_defaults_file_env_flags() {
        let (_d, path) = file("port = 9000\nworkers = 3\nbind = \"0.0.0.0\"\nmax_shots = 10\n");
        let e = env(&[("QV_WORKERS", "5"), ("QV_BIND", "::1"), ("QV_TEST_DATABASE_URL", "x")]);
        let flags = Overrides { bind: Some("127.0.0.2".into()), ..Default::default() };
        let c = Config::load_from(Some(&path), e, &flags).unwrap();
        assert_eq!(c.port, 9000, "file over default");
        assert_eq!(c.workers, 5, "env over file");
        assert_eq!(c.bind, "127.0.0.2", "flag over env");
        assert_eq!(c.max_shots, 10);
        assert_eq!(c.job_timeout_s, Config::default().job_timeout_s, "default kept");
        assert_eq!(c.database_url, None, "QV_TEST_DATABASE_URL is not QV_DATABASE_URL");
    }

    #[test]
    fn env_lists_bools_and_roles() {
        let e = env(&[
            ("QV_CORS_ORIGINS", "https://a.example, https://b.example"),
            ("QV_ALLOW_REGISTRATION", "false"),
            ("QV_ROLE", "api"),
            ("QV_RATE_LIMIT_PER_S", "2.5"),
            ("QV_DATABASE_URL", "postgres://u@h/db"),
        ]);
        let c = Config::load_from(None, e, &Overrides::default()).unwrap();
        assert_eq!(c.cors_origins, vec!["https://a.example", "https://b.example"]);
        assert!(!c.allow_registration);
        assert_eq!(c.role, ServerRole::Api);
        assert_eq!(c.rate_limit_per_s, 2.5);
        assert_eq!(c.database_url(), "postgres://u@h/db");
    }

    #[test]
    fn errors_name_the_source_and_field() {
        let e = Config::load_from(None, env(&[("QV_PORT", "80a")]), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("QV_PORT") && e.contains("80a"), "{e}");

        let (_d, path) = file("port = \"x\"\n");
        let e = Config::load_from(Some(&path), env(&[]), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("qv.toml") && e.contains("port"), "{e}");

        let (_d, path) = file("prot = 1\n");
        let e = Config::load_from(Some(&path), env(&[]), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("prot"), "unknown key named: {e}");

        let e = Config::load_from(
            Some(Path::new("/nonexistent/qv.toml")),
            env(&[]),
            &Overrides::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("/nonexistent/qv.toml"), "{e}");

        let e = Config::load_from(None, env(&[("QV_LOG_FORMAT", "xml")]), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("log_format"), "{e}");

        let e = Config::load_from(None, env(&[("QV_ROLE", "boss")]), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("QV_ROLE"), "{e}");
    }

    #[test]
    fn every_field_has_an_env_var() {
        // A new field must be added to ENV_FIELDS (and the docs table).
        let defaults = Config::default();
        let json = serde_json::to_value(&defaults).unwrap();
        let mut keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        let mut listed = ENV_FIELDS.to_vec();
        keys.sort_unstable();
        listed.sort_unstable();
        assert_eq!(keys, listed);
        for field in ENV_FIELDS {
            let mut c = defaults.clone();
            let var = format!("QV_{}", field.to_ascii_uppercase());
            let value = match *field {
                "role" => "api",
                "allow_registration" => "false",
                "log_format" => "text",
                "bind" => "0.0.0.0",
                "database_url" => "sqlite://x.db",
                "cors_origins" => "*",
                "data_dir" | "server_key" | "log_level" => "x",
                _ => "7",
            };
            c.set_from_env(field, &var, value).unwrap();
            assert_ne!(format!("{c:?}"), format!("{defaults:?}"), "{var} changes nothing");
        }
    }
}
