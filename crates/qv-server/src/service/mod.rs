//! The service layer: what the platform does, once, for every API surface.
//!
//! REST (`api`), GraphQL (`graphql`) and gRPC (`grpc`) are thin transports
//! over [`Services`]: they turn their requests into the typed inputs here,
//! call a service with the caller's [`Principal`], and map the typed output
//! or [`ServiceError`] back to their wire format. Authentication, rate
//! limits, object-level authorisation (another user's job is `not_found`),
//! validation and every abuse limit live here, so each surface enforces the
//! same rules with the same error codes.
//!
//! Services: [`AuthService`] (accounts, tokens, API keys, MFA),
//! [`JobService`] (submit, read, list, cancel, delete, results, live
//! updates), [`BackendService`] (simulators with live status and queue
//! depth), [`UsageService`] (what the caller ran, per day and backend).

pub mod backends;
pub mod error;
pub mod jobs;
pub mod ratelimit;
pub mod usage;
pub mod watch;

use std::sync::Arc;

pub use crate::auth::{AuthService, Principal, Scope};
pub use backends::BackendService;
pub use error::{ErrorKind, ServiceError};
pub use jobs::JobService;
pub use usage::UsageService;

use crate::config::Config;
use crate::events::Events;
use crate::jobs::Jobs;
use crate::store::Store;

/// Every service; cheap to clone.
#[derive(Clone, Debug)]
pub struct Services {
    pub auth: Arc<AuthService>,
    pub jobs: JobService,
    pub backends: BackendService,
    pub usage: UsageService,
    pub limits: Arc<ratelimit::RateLimits>,
}

impl Services {
    /// Assembles the services over a store, the job orchestrator and the event bus.
    pub fn new(
        config: Arc<Config>,
        store: Store,
        auth: Arc<AuthService>,
        jobs: Arc<Jobs>,
        events: Events,
        limits: Arc<ratelimit::RateLimits>,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> Services {
        Services {
            jobs: JobService::new(
                config.clone(),
                store.clone(),
                jobs.clone(),
                auth.clone(),
                events,
                shutdown,
            ),
            backends: BackendService::new(config, store.clone()),
            usage: UsageService::new(store),
            auth,
            limits,
        }
    }

    /// The caller of a request from its bearer credential (an access JWT or
    /// an API key), charged one token of its rate limit. Every surface
    /// authenticates through here.
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal, ServiceError> {
        let principal = self.auth.authenticate(bearer).await?;
        self.limits.check_principal(&principal.rate_key())?;
        Ok(principal)
    }
}

/// The token of an `Authorization` header value (`Bearer <token>`, the
/// scheme in any case), or why there is none.
pub fn bearer_token(value: Option<&[u8]>) -> Result<&str, ServiceError> {
    let value = value.ok_or_else(|| {
        ServiceError::unauthorized("missing `Authorization: Bearer <token>` header")
    })?;
    let value = std::str::from_utf8(value)
        .map_err(|_| ServiceError::unauthorized("malformed Authorization header"))?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ServiceError::unauthorized("expected `Authorization: Bearer <token>`"));
    }
    Ok(token)
}
