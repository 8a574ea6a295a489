//! Routes: `/auth/*`, `/me`, `/api-keys`, `/mfa/totp/*`, `/admin/users*`.

use axum::Router;

use super::AppState;

/// The auth routes (relative to `/api/v1`).
pub fn router() -> Router<AppState> {
    Router::new()
}

/// OpenAPI description of these routes.
#[derive(Debug, utoipa::OpenApi)]
#[openapi()]
pub struct AuthApi;
