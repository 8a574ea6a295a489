//! QuantumVibe platform server: `qv serve` and `qv worker`.
//!
//! One process runs the HTTP API (axum), the job orchestrator (a durable
//! queue in the database with leases and fencing tokens, a worker pool that
//! runs the simulators of `qv-sim`), live events and metrics. Embedded
//! defaults need nothing installed (SQLite in the data directory, an
//! in-process event bus); pointed at PostgreSQL, several servers and
//! `qv worker` processes share one database.
//!
//! Modules: [`config`] (defaults < `qv.toml` < `QV_*` < flags), [`service`]
//! (the typed service layer every API surface calls), [`store`]
//! (sqlx pools, embedded migrations per dialect, queries), [`auth`]
//! (passwords, tokens, API keys, TOTP, principals), [`jobs`] (submission,
//! queue, workers, cancellation, recovery), [`exec`] (a job's circuit on a
//! simulator), [`events`] (job status changes to WebSocket subscribers),
//! [`metrics`] (Prometheus), [`api`] (routes, middleware, OpenAPI),
//! [`graphql`] (the GraphQL transport over the services),
//! [`grpc`] (the gRPC API `quantumvibe.v1` on the same port),
//! [`listener`] (connection caps and timeouts), and [`server`] (assembly
//! and graceful shutdown).

pub mod api;
pub mod auth;
pub mod config;
pub mod events;
pub mod exec;
pub mod graphql;
pub mod grpc;
pub mod jobs;
pub mod listener;
pub mod metrics;
pub mod model;
pub mod server;
pub mod service;
pub mod store;

pub use api::ApiError;
pub use config::Config;
pub use server::{serve, Server};
