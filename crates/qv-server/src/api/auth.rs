//! Routes: `/auth/*`, `/me`, `/api-keys`, `/mfa/totp/*`, `/admin/users*`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use crate::api::error::{ApiError, ErrorBody};
use crate::auth::{Principal, Scope, TokenPair};
use crate::model::{rfc3339, Role, User};
use crate::store::ApiKeyRecord;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The auth routes (relative to `/api/v1`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(create_api_key, list_api_keys))
        .routes(routes!(delete_api_key))
        .routes(routes!(totp_enroll))
        .routes(routes!(totp_verify))
        .routes(routes!(totp_disable))
        .routes(routes!(admin_list_users))
        .routes(routes!(admin_disable_user))
        .routes(routes!(admin_enable_user))
}

// ---------------------------------------------------------------- extractors

/// A JSON body whose rejections are API errors naming what was wrong
/// (`missing field `username``, a type error with its line and column).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(JsonBody(v)),
            Err(rejection) => {
                let message = rejection.body_text();
                Err(match rejection {
                    JsonRejection::JsonDataError(_) => {
                        ApiError::invalid("validation_error", message)
                    }
                    JsonRejection::MissingJsonContentType(_) => ApiError::new(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "unsupported_media_type",
                        "expected `Content-Type: application/json`",
                    ),
                    other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                        ApiError::too_large("request body too large")
                    }
                    _ => ApiError::bad_request(message),
                })
            }
        }
    }
}

/// The client's address (for the per-IP limit on the auth routes).
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        // Served without connect info (unit tests of the router) every
        // client shares one bucket, which errs on the side of limiting.
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        Ok(ClientIp(ip))
    }
}

/// Identifiers are UUIDs; anything else names no object (and never reaches
/// the database, which may refuse odd bytes).
fn checked_id<'a>(id: &'a str, what: &str) -> Result<&'a str, ApiError> {
    if uuid::Uuid::try_parse(id).is_ok() {
        Ok(id)
    } else {
        Err(ApiError::not_found(what))
    }
}

// ---------------------------------------------------------------- schemas

/// `POST /auth/register`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// One `@` with text on both sides (at most 254 characters, no spaces).
    #[schema(max_length = 254, pattern = r"^[^@\s]+@[^@\s]+$")]
    pub email: String,
    /// 3–32 characters of `A-Z a-z 0-9 _ . -`.
    #[schema(min_length = 3, max_length = 32, pattern = r"^[A-Za-z0-9_.-]+$")]
    pub username: String,
    /// 12–1024 characters, at least 5 different ones; not one of the
    /// 10,000 most common passwords; not containing the username or the
    /// email's local part.
    #[schema(min_length = 12, max_length = 1024)]
    pub password: String,
}

/// `POST /auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// Username (or email).
    pub username: String,
    pub password: String,
    /// A current 6-digit TOTP code or an unused recovery code, when the
    /// account has two-factor authentication.
    #[serde(default)]
    pub totp: Option<String>,
}

/// `POST /auth/refresh` and `POST /auth/logout`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Tokens of a login or refresh.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// EdDSA JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Opaque; single use (each refresh returns a new one).
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the access token is valid.
    pub expires_in: u64,
}

impl From<TokenPair> for TokenResponse {
    fn from(t: TokenPair) -> Self {
        TokenResponse {
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            token_type: "Bearer".into(),
            expires_in: t.expires_in,
        }
    }
}

/// An account.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub username: String,
    pub role: Role,
    pub mfa_enabled: bool,
    pub disabled: bool,
    /// RFC 3339.
    pub created_at: String,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView {
            id: u.id,
            email: u.email,
            username: u.username,
            role: u.role,
            mfa_enabled: u.mfa_enabled,
            disabled: u.disabled,
            created_at: rfc3339(u.created_at),
        }
    }
}

/// `GET /admin/users`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub users: Vec<UserView>,
}

/// `POST /api-keys`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateApiKeyRequest {
    /// 1–100 characters, for your own reference.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// What the key may do (`admin` only for administrators).
    #[schema(value_type = Vec<Scope>)]
    pub scopes: Vec<String>,
    /// 1–3650; no expiry when absent.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<i64>,
}

/// A new API key: `key` is shown only here.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    pub id: String,
    pub name: String,
    /// `qv_` + 43 characters; store it now, it cannot be shown again.
    pub key: String,
    /// The key's first characters, as listings show them.
    pub prefix: String,
    pub scopes: Vec<Scope>,
    /// RFC 3339, or null for no expiry.
    pub expires_at: Option<String>,
    pub created_at: String,
}

/// An API key as listed (without the key).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<String>,
    /// Updated at most once a minute.
    pub last_used_at: Option<String>,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

fn scopes_of(r: &ApiKeyRecord) -> Vec<Scope> {
    r.scopes.split_whitespace().filter_map(Scope::parse).collect()
}

impl From<ApiKeyRecord> for ApiKeyView {
    fn from(r: ApiKeyRecord) -> Self {
        ApiKeyView {
            scopes: scopes_of(&r),
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            expires_at: r.expires_at.map(rfc3339),
            last_used_at: r.last_used_at.map(rfc3339),
            created_at: rfc3339(r.created_at),
            revoked_at: r.revoked_at.map(rfc3339),
        }
    }
}

/// `GET /api-keys`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    pub api_keys: Vec<ApiKeyView>,
}

/// A started TOTP enrolment.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpEnrollment {
    /// Base32 secret, for manual entry.
    pub secret: String,
    /// `otpauth://totp/...` for a QR code.
    pub otpauth_url: String,
}

/// `POST /mfa/totp/verify` and `/disable`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CodeRequest {
    /// A 6-digit code (disable also takes an unused recovery code).
    pub code: String,
}

/// TOTP is on; the recovery codes are shown only here.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpEnabled {
    pub enabled: bool,
    /// Ten single-use codes for when the authenticator is lost.
    pub recovery_codes: Vec<String>,
}

/// TOTP is off.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpDisabled {
    pub enabled: bool,
}

// ---------------------------------------------------------------- handlers

/// Creates an account.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created", body = UserView),
        (status = 400, description = "A field is invalid (the message names it and, for the password, the rule)", body = ErrorBody),
        (status = 403, description = "Registration is disabled on this server", body = ErrorBody),
        (status = 409, description = "Username or email already taken", body = ErrorBody),
        (status = 429, description = "Too many requests from this address", body = ErrorBody),
        (status = 503, description = "`overloaded`: the password queue is full",
            body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(req): JsonBody<RegisterRequest>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    state.services.limits.check_auth_ip(ip)?;
    if !state.config.allow_registration {
        return Err(ApiError::forbidden(
            "registration is disabled on this server; ask an administrator for an account",
        ));
    }
    let user = state
        .services
        .auth
        .create_user(&req.email, &req.username, &req.password, Role::User)
        .await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// Logs in with a password (and a second factor when enabled).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "`invalid_credentials` (wrong password, unknown or locked account, or another login of the account in flight: one answer for all), or `mfa_required` when a TOTP code is needed", body = ErrorBody),
        (status = 403, description = "`account_disabled` (after a correct password)", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many requests from this address; `mfa_locked` (after a correct password): too many wrong two-factor codes",
            body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "`overloaded`: the password queue is full or the server's login budget is spent",
            body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(req): JsonBody<LoginRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    state.services.limits.check_auth_ip(ip)?;
    state.services.limits.check_login_global()?;
    let tokens =
        state.services.auth.login(&req.username, &req.password, req.totp.as_deref()).await?;
    Ok(Json(tokens.into()))
}

/// Exchanges a refresh token for new tokens (the old one is spent).
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenResponse),
        (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Invalid, expired or revoked token; a reused token also revokes its whole family", body = ErrorBody),
        (status = 403, description = "`account_disabled`", body = ErrorBody),
        (status = 429, description = "Too many requests from this address", body = ErrorBody),
    ))]
pub async fn refresh(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(req): JsonBody<RefreshRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    state.services.limits.check_auth_ip(ip)?;
    Ok(Json(state.services.auth.refresh(&req.refresh_token).await?.into()))
}

/// Revokes the refresh token's family (every token rotated from one login).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Logged out (also for unknown tokens)"),
        (status = 400, description = "Malformed request", body = ErrorBody),
    ))]
pub async fn logout(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    state.services.auth.logout(&req.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's account.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = UserView),
    ))]
pub async fn me(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(state.services.auth.user(&principal.user.id).await?.into()))
}

/// Creates an API key (needs an access token, not a key).
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "auth", security(("bearer" = [])),
    request_body = CreateApiKeyRequest,
    responses(
        (status = 201, description = "The key, shown once", body = CreatedApiKey),
        (status = 400, description = "A field is invalid (the message names it)", body = ErrorBody),
        (status = 403, description = "Called with an API key, or `admin` asked by a non-admin", body = ErrorBody),
    ))]
pub async fn create_api_key(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(req): JsonBody<CreateApiKeyRequest>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    let (r, key) = state
        .services
        .auth
        .create_api_key(&principal, &req.name, &req.scopes, req.expires_in_days)
        .await?;
    let body = CreatedApiKey {
        scopes: scopes_of(&r),
        id: r.id,
        name: r.name,
        key,
        prefix: r.prefix,
        expires_at: r.expires_at.map(rfc3339),
        created_at: rfc3339(r.created_at),
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// The caller's API keys, newest first (revoked ones included).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The keys (never the secret part)", body = ApiKeyList),
    ))]
pub async fn list_api_keys(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<ApiKeyList>, ApiError> {
    let keys = state.services.auth.list_api_keys(&principal).await?;
    Ok(Json(ApiKeyList { api_keys: keys.into_iter().map(Into::into).collect() }))
}

/// Revokes one of the caller's API keys (needs an access token).
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = String, Path, description = "API key id")),
    responses(
        (status = 204, description = "Revoked (also when it already was)"),
        (status = 403, description = "Called with an API key", body = ErrorBody),
        (status = 404, description = "The caller has no such key", body = ErrorBody),
    ))]
pub async fn delete_api_key(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = checked_id(&id, "API key")?;
    state.services.auth.revoke_api_key(&principal, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts TOTP enrolment (replaces an unfinished one).
#[utoipa::path(post, path = "/api/v1/mfa/totp/enroll", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "Secret and otpauth URL; confirm with /mfa/totp/verify", body = TotpEnrollment),
        (status = 403, description = "Called with an API key", body = ErrorBody),
        (status = 409, description = "TOTP is already enabled", body = ErrorBody),
    ))]
pub async fn totp_enroll(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<TotpEnrollment>, ApiError> {
    let (secret, otpauth_url) = state.services.auth.totp_enroll(&principal).await?;
    Ok(Json(TotpEnrollment { secret, otpauth_url }))
}

/// Confirms enrolment with a current code and turns TOTP on.
#[utoipa::path(post, path = "/api/v1/mfa/totp/verify", tag = "auth", security(("bearer" = [])),
    request_body = CodeRequest,
    responses(
        (status = 200, description = "Enabled; recovery codes shown once", body = TotpEnabled),
        (status = 400, description = "`invalid_code`, or a malformed request", body = ErrorBody),
        (status = 403, description = "Called with an API key", body = ErrorBody),
        (status = 409, description = "No enrolment in progress, or already enabled", body = ErrorBody),
        (status = 429, description = "`mfa_locked`: too many wrong codes",
            body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn totp_verify(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(req): JsonBody<CodeRequest>,
) -> Result<Json<TotpEnabled>, ApiError> {
    let recovery_codes = state.services.auth.totp_verify(&principal, &req.code).await?;
    Ok(Json(TotpEnabled { enabled: true, recovery_codes }))
}

/// Turns TOTP off (needs a current code or an unused recovery code).
#[utoipa::path(post, path = "/api/v1/mfa/totp/disable", tag = "auth", security(("bearer" = [])),
    request_body = CodeRequest,
    responses(
        (status = 200, description = "Disabled", body = TotpDisabled),
        (status = 400, description = "`invalid_code`, or a malformed request", body = ErrorBody),
        (status = 403, description = "Called with an API key", body = ErrorBody),
        (status = 409, description = "TOTP is not enabled", body = ErrorBody),
        (status = 429, description = "`mfa_locked`: too many wrong codes",
            body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn totp_disable(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(req): JsonBody<CodeRequest>,
) -> Result<Json<TotpDisabled>, ApiError> {
    state.services.auth.totp_disable(&principal, &req.code).await?;
    Ok(Json(TotpDisabled { enabled: false }))
}

/// Every account (administrators).
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "Accounts, oldest first", body = UserList),
        (status = 403, description = "Not an administrator, or a key without the `admin` scope", body = ErrorBody),
    ))]
pub async fn admin_list_users(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<UserList>, ApiError> {
    let users = state.services.auth.list_users(&principal).await?;
    Ok(Json(UserList { users: users.into_iter().map(Into::into).collect() }))
}

async fn set_disabled(
    state: &AppState,
    principal: &Principal,
    id: &str,
    disabled: bool,
) -> Result<Json<UserView>, ApiError> {
    // Authorise before looking at the id, so non-admins learn nothing from it.
    principal.require(Scope::Admin)?;
    let id = checked_id(id, "user")?;
    Ok(Json(state.services.auth.set_disabled(principal, id, disabled).await?.into()))
}

/// Disables an account: its tokens and keys stop working, its refresh
/// tokens are revoked (administrators).
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/disable", tag = "auth", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The account, disabled", body = UserView),
        (status = 403, description = "Not an administrator", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "Administrators cannot disable themselves", body = ErrorBody),
    ))]
pub async fn admin_disable_user(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    set_disabled(&state, &principal, &id, true).await
}

/// Enables a disabled account (administrators).
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/enable", tag = "auth", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The account, enabled", body = UserView),
        (status = 403, description = "Not an administrator", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn admin_enable_user(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    set_disabled(&state, &principal, &id, false).await
}
