//! Persistence: one [`Store`] over SQLite (embedded default) or PostgreSQL.
//!
//! Migrations are embedded, one folder per dialect (`migrations/sqlite`,
//! `migrations/postgres`), and run at connect. Queries are written once with
//! `$1`-style parameters, which both drivers accept, and dispatched with
//! [`with_pool!`]; timestamps are milliseconds since the epoch (`BIGINT`),
//! identifiers UUID v7 text, structured values JSON text.
//!
//! Query modules: `auth` (users, credentials, refresh tokens, API keys, MFA,
//! login failures) and `jobs` (jobs, the queue, job events, usage).

mod auth;
mod jobs;
mod usage;

pub use auth::*;
pub use jobs::*;
pub use usage::*;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// A failure of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed or is unreachable (details are logged, never sent to clients).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations failed at start.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The URL names no supported database.
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    /// No such object (the string names what).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness or state conflict, with a message for the client.
    #[error("{0}")]
    Conflict(String),
}

/// Which SQL dialect a store speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$p` bound to the dialect's pool. The body is compiled
/// once per dialect, so it may use either driver's types through sqlx's
/// generic API.
#[macro_export]
#[doc(hidden)]
macro_rules! with_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($p) => $body,
            $crate::store::Pool::Postgres($p) => $body,
        }
    };
}
pub use with_pool;

/// Handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: Pool,
    /// SQLite: one connection for the write transactions of the job queue,
    /// so that writers wait their turn in the pool's queue (FIFO, no
    /// polling) instead of in SQLite's busy handler, which sleeps in steps
    /// of milliseconds while another connection holds the write lock.
    sqlite_writer: Option<SqlitePool>,
}

impl Store {
    /// Connects to `url` (`sqlite://PATH` creates the file; `postgres://...`)
    /// and runs the embedded migrations.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        let mut sqlite_writer = None;
        let pool = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // WAL + NORMAL: a commit survives a process crash (kill -9);
                // only an OS crash can lose the last commits.
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections.max(1))
                .connect_with(options.clone())
                .await?;
            sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
            // A private in-memory database is per connection: no second pool.
            if !url.contains(":memory:") && !url.contains("mode=memory") {
                let writer = SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .connect_with(options)
                    .await?;
                sqlite_writer = Some(writer);
            }
            Pool::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(max_connections.max(1))
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
            Pool::Postgres(pool)
        } else {
            let scheme = url.split(':').next().unwrap_or_default();
            return Err(StoreError::UnsupportedUrl(format!("{scheme}:...")));
        };
        Ok(Store { pool, sqlite_writer })
    }

    /// The store's dialect.
    pub fn dialect(&self) -> Dialect {
        match self.pool {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The SQLite pool for write transactions (the dedicated writer, else `pool`).
    pub(crate) fn sqlite_write_pool<'a>(&'a self, pool: &'a SqlitePool) -> &'a SqlitePool {
        self.sqlite_writer.as_ref().unwrap_or(pool)
    }

    /// The PostgreSQL pool, when the store is on PostgreSQL (LISTEN/NOTIFY).
    pub fn pg_pool(&self) -> Option<&PgPool> {
        match &self.pool {
            Pool::Postgres(p) => Some(p),
            Pool::Sqlite(_) => None,
        }
    }

    /// Checks that the database answers (`/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Closes every connection (graceful shutdown).
    pub async fn close(&self) {
        if let Some(w) = &self.sqlite_writer {
            w.close().await;
        }
        with_pool!(self, p => p.close().await)
    }
}
