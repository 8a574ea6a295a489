//! The HTTP API: routes under `/api/v1`, operations routes, middleware and
//! the OpenAPI document.
//!
//! Route modules: [`auth`] (accounts, tokens, API keys, MFA, admin users),
//! [`jobs`] (jobs, results, backends), [`events`] (WebSocket), [`ops`]
//! (health, readiness, metrics), [`openapi`] (document and docs page);
//! [`ratelimit`] holds the token buckets.

pub mod auth;
pub mod events;
pub mod jobs;
pub mod openapi;
pub mod ops;
pub mod ratelimit;

use std::sync::Arc;

use axum::Router;

use crate::auth::Auth;
use crate::config::Config;
use crate::events::Events;
use crate::jobs::Jobs;
use crate::metrics::Metrics;
use crate::store::Store;

/// What every handler can reach; cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub auth: Arc<Auth>,
    pub jobs: Arc<Jobs>,
    pub events: Events,
    pub metrics: Arc<Metrics>,
    pub limits: Arc<ratelimit::RateLimits>,
}

/// The whole application: `/api/v1/...`, `/healthz`, `/readyz`, `/metrics`,
/// `/api/openapi.json`, `/api/docs`, with middleware.
pub fn router(state: AppState) -> Router {
    let v1 = Router::new().merge(auth::router()).merge(jobs::router()).merge(events::router());
    Router::new()
        .nest("/api/v1", v1)
        .merge(ops::router())
        .merge(openapi::router())
        .with_state(state)
}
