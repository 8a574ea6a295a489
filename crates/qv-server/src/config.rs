//! Server configuration: defaults < `qv.toml` < `QV_*` environment < flags.

use std::path::PathBuf;

use serde::Deserialize;

/// Which parts of the server a process runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
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

/// Everything `qv serve` and `qv worker` can be told.
#[derive(Clone, Debug, Deserialize)]
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

    /// Worker threads in effect.
    pub fn worker_count(&self) -> usize {
        if self.workers > 0 {
            self.workers
        } else {
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
        }
    }
}
