//! Routes: `GET /events` (WebSocket of the caller's job status changes).

use axum::Router;

use super::AppState;

/// The events route (relative to `/api/v1`).
pub fn router() -> Router<AppState> {
    Router::new()
}

/// OpenAPI description of these routes.
#[derive(Debug, utoipa::OpenApi)]
#[openapi()]
pub struct EventsApi;
