//! Routes: `/jobs*`, `/backends`, `/admin/jobs`.

use axum::Router;

use super::AppState;

/// The job routes (relative to `/api/v1`).
pub fn router() -> Router<AppState> {
    Router::new()
}

/// OpenAPI description of these routes.
#[derive(Debug, utoipa::OpenApi)]
#[openapi()]
pub struct JobsApi;
