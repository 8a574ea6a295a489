//! `/healthz`, `/readyz`, `/metrics`.

use axum::Router;

use super::AppState;

/// Operations routes (at the root).
pub fn router() -> Router<AppState> {
    Router::new()
}
