//! Assembly: store, services, workers, HTTP listener (REST and gRPC), graceful shutdown.
//!
//! Start order: data directory, store (migrations), auth (server key), job
//! service, workers (unless the role is `api`), the PostgreSQL event relay,
//! then the listener. Shutdown reverses it: the shutdown flag turns true
//! (`/readyz` answers 503, WebSocket streams close, workers stop claiming),
//! the listener stops accepting and in-flight requests drain, workers finish
//! their jobs within `shutdown_grace_s` or put them back in the queue, and
//! the store closes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::api::{self, AppState};
use crate::auth::AuthService;
use crate::config::{Config, ServerRole};
use crate::events::{self, Events};
use crate::jobs::{Jobs, WorkerPool};
use crate::listener::ConnLimits;
use crate::metrics::Metrics;
use crate::service::ratelimit::RateLimits;
use crate::service::Services;
use crate::store::{Dialect, Store};

/// The PostgreSQL channel job events are announced on.
pub const EVENTS_CHANNEL: &str = "qv_job_events";

/// A failure to start or run the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{0}")]
    Start(String),
}

/// A running server (tests start one on port 0).
#[derive(Debug)]
pub struct Server {
    /// The address it listens on (unspecified, port 0, for the `worker`
    /// role, which has no listener).
    pub addr: SocketAddr,
    store: Store,
    shutdown_tx: watch::Sender<bool>,
    http: Option<JoinHandle<()>>,
    workers: Option<WorkerPool>,
    relay: Option<JoinHandle<()>>,
    grace: Duration,
}

/// Connections per pool: SQLite has one writer at a time, so a small pool
/// (readers run concurrently in WAL mode); PostgreSQL gets room for every
/// worker plus request handlers, capped so several replicas fit under the
/// server's default `max_connections` of 100.
fn max_connections(dialect: Dialect, workers: usize) -> u32 {
    let workers = u32::try_from(workers).unwrap_or(u32::MAX);
    match dialect {
        Dialect::Sqlite => 8u32.max(workers.saturating_add(2)).min(32),
        Dialect::Postgres => workers.saturating_add(8).min(40),
    }
}

/// Sets `path`'s permission bits to `mode` (owner only): other local users
/// must not read the database, the server key or logs.
fn restrict_to_owner(path: &std::path::Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

/// The file of a `sqlite://PATH[?options]` URL (`None` for other databases
/// and in-memory ones).
fn sqlite_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

/// The database URL with any password replaced (for logs).
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((userinfo, host)) = rest.split_once('@') {
            if let Some((user, _)) = userinfo.split_once(':') {
                return format!("{scheme}://{user}:***@{host}");
            }
        }
    }
    url.to_string()
}

impl Server {
    /// Starts the server as configured (port 0 picks a free port) and
    /// returns once it accepts connections.
    pub async fn start(config: Config) -> Result<Server, ServerError> {
        let start_err = ServerError::Start;
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            start_err(format!(
                "cannot create the data directory {}: {e}",
                config.data_dir.display()
            ))
        })?;
        restrict_to_owner(&config.data_dir, 0o700).map_err(|e| {
            start_err(format!(
                "cannot restrict the data directory {} to its owner: {e}",
                config.data_dir.display()
            ))
        })?;
        let url = config.database_url();
        let dialect = if url.starts_with("sqlite:") { Dialect::Sqlite } else { Dialect::Postgres };
        let store = Store::connect(&url, max_connections(dialect, config.worker_count()))
            .await
            .map_err(|e| start_err(format!("database {}: {e}", redact_url(&url))))?;
        if let Some(path) = sqlite_path(&url) {
            // The database and its journal files hold password hashes and jobs.
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let file = std::path::PathBuf::from(format!("{path}{suffix}"));
                if file.exists() {
                    if let Err(e) = restrict_to_owner(&file, 0o600) {
                        store.close().await;
                        return Err(start_err(format!(
                            "cannot restrict {} to its owner: {e}",
                            file.display()
                        )));
                    }
                }
            }
        }
        let config = Arc::new(config);
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let result =
            Server::assemble(config.clone(), store.clone(), shutdown_tx, shutdown_rx).await;
        if result.is_err() {
            store.close().await;
        }
        result
    }

    async fn assemble(
        config: Arc<Config>,
        store: Store,
        shutdown_tx: watch::Sender<bool>,
        shutdown_rx: watch::Receiver<bool>,
    ) -> Result<Server, ServerError> {
        let start_err = ServerError::Start;
        let auth = AuthService::new(store.clone(), config.clone())
            .await
            .map_err(|e| start_err(format!("cannot start authentication: {}", e.message)))?;
        let events = Events::default();
        let metrics = Arc::new(Metrics::new());
        let jobs =
            Arc::new(Jobs::new(store.clone(), config.clone(), events.clone(), metrics.clone()));

        // Bind first: a taken port fails before workers start claiming jobs.
        let listener = if config.role == ServerRole::Worker {
            None
        } else {
            let addr = format!("{}:{}", config.bind, config.port);
            let l = tokio::net::TcpListener::bind(&addr)
                .await
                .map_err(|e| start_err(format!("cannot listen on {addr}: {e}")))?;
            Some(l)
        };

        let relay = match store.pg_pool() {
            Some(pool) if config.role != ServerRole::Worker => Some(tokio::spawn(
                relay_notifications(pool.clone(), events.clone(), shutdown_rx.clone()),
            )),
            _ => None,
        };
        let workers =
            (config.role != ServerRole::Api).then(|| jobs.start_workers(shutdown_rx.clone()));

        let (addr, http) = match listener {
            None => (SocketAddr::from(([0, 0, 0, 0], 0)), None),
            Some(listener) => {
                let addr = listener.local_addr().map_err(|e| start_err(e.to_string()))?;
                let metrics_for_http = metrics.clone();
                let services = Services::new(
                    config.clone(),
                    store.clone(),
                    Arc::new(auth),
                    jobs,
                    events,
                    Arc::new(RateLimits::new(&config)),
                    shutdown_rx.clone(),
                );
                let state = AppState {
                    config: config.clone(),
                    store: store.clone(),
                    services,
                    metrics,
                    shutdown: shutdown_rx.clone(),
                };
                let grpc = crate::grpc::router(state.clone()).await.map_err(start_err)?;
                let app = api::router(state);
                let fd_limit = crate::listener::raise_fd_limit();
                let limits = Arc::new(ConnLimits::new(&config, fd_limit));
                tracing::debug!(
                    fd_limit,
                    max_connections = limits.max_total(),
                    "connection limits"
                );
                let http = tokio::spawn(crate::listener::serve(
                    listener,
                    app,
                    Some(grpc),
                    limits,
                    metrics_for_http,
                    shutdown_rx.clone(),
                ));
                (addr, Some(http))
            }
        };
        Ok(Server {
            addr,
            store,
            shutdown_tx,
            http,
            workers,
            relay,
            grace: Duration::from_secs(config.shutdown_grace_s),
        })
    }

    /// Stops accepting requests, lets running jobs finish (or re-queues
    /// them) and closes the database.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown_tx.send(true);
        // In-flight requests drain; a stuck one does not hold shutdown forever.
        if let Some(http) = self.http.take() {
            let limit = self.grace + Duration::from_secs(5);
            if tokio::time::timeout(limit, http).await.is_err() {
                tracing::warn!("requests still in flight after {}s; closing", limit.as_secs());
            }
        }
        if let Some(pool) = self.workers.take() {
            pool.join().await;
        }
        if let Some(relay) = self.relay.take() {
            let _ = relay.await;
        }
        self.store.close().await;
    }
}

/// Relays `NOTIFY qv_job_events` (sent by any process on the database in
/// the transaction that changed a job) into this process's event bus, and
/// reconnects with backoff when the connection drops.
async fn relay_notifications(
    pool: sqlx::PgPool,
    events: Events,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut backoff = Duration::from_millis(200);
    loop {
        if *shutdown.borrow() {
            return;
        }
        let listener = async {
            let mut l = sqlx::postgres::PgListener::connect_with(&pool).await?;
            l.listen(EVENTS_CHANNEL).await?;
            Ok::<_, sqlx::Error>(l)
        };
        let connected = tokio::select! {
            l = listener => l,
            _ = shutdown.wait_for(|v| *v) => return,
        };
        let mut listener = match connected {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "event relay: cannot LISTEN; retrying in {:?}", backoff);
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = shutdown.wait_for(|v| *v) => return,
                }
                backoff = (backoff * 2).min(Duration::from_secs(10));
                continue;
            }
        };
        backoff = Duration::from_millis(200);
        loop {
            tokio::select! {
                n = listener.try_recv() => match n {
                    Ok(Some(n)) => match events::from_notify_payload(n.payload()) {
                        Some(ev) => events.publish(ev),
                        None => tracing::warn!("event relay: ignoring a malformed notification"),
                    },
                    // The connection was lost (events in the gap are missed;
                    // WebSocket clients re-read their jobs on reconnect).
                    Ok(None) => {
                        tracing::warn!("event relay: connection lost; reconnecting");
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "event relay failed; reconnecting");
                        break;
                    }
                },
                _ = shutdown.wait_for(|v| *v) => return,
            }
        }
    }
}

/// Sets up logging on stdout: JSON lines (default) or text for people,
/// filtered by `log_level` (`RUST_LOG` syntax). Call once per process.
pub fn init_logging(config: &Config) -> Result<(), ServerError> {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(&config.log_level).map_err(|e| {
        ServerError::Start(format!("configuration `log_level`: `{}`: {e}", config.log_level))
    })?;
    let result = if config.log_format == "text" {
        tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init()
    } else {
        tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .try_init()
    };
    result.map_err(|e| ServerError::Start(format!("cannot set up logging: {e}")))
}

/// Runs the server until SIGINT/SIGTERM, then shuts down gracefully.
pub async fn serve(config: Config) -> Result<(), ServerError> {
    let role = config.role;
    let url = redact_url(&config.database_url());
    let workers = if role == ServerRole::Api { 0 } else { config.worker_count() };
    let server = Server::start(config).await?;
    if role == ServerRole::Worker {
        tracing::info!(role = role.as_str(), database = %url, workers, "worker started");
    } else {
        let url_http = match server.addr {
            SocketAddr::V6(a) => format!("http://[{}]:{}", a.ip(), a.port()),
            SocketAddr::V4(a) => format!("http://{a}"),
        };
        tracing::info!(
            addr = %server.addr,
            url = %url_http,
            role = role.as_str(),
            database = %url,
            workers,
            "listening on {url_http}"
        );
    }
    wait_for_signal().await;
    tracing::info!("shutting down: draining requests, finishing or re-queueing running jobs");
    server.shutdown().await;
    tracing::info!("stopped");
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://./qv-data/qv.db"), "sqlite://./qv-data/qv.db");
    }

    #[test]
    fn sqlite_paths() {
        assert_eq!(sqlite_path("sqlite://./qv-data/qv.db").as_deref(), Some("./qv-data/qv.db"));
        assert_eq!(sqlite_path("sqlite:///tmp/a.db?mode=rwc").as_deref(), Some("/tmp/a.db"));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://u@h/db"), None);
    }

    #[test]
    fn pool_sizes() {
        assert_eq!(max_connections(Dialect::Sqlite, 2), 8);
        assert_eq!(max_connections(Dialect::Postgres, 2), 10);
        assert_eq!(max_connections(Dialect::Postgres, 1000), 40);
    }
}
