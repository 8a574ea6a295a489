//! `/api/openapi.json` (OpenAPI 3.1, merged from every route module) and
//! `/api/docs` (a page served from the binary that renders it).

use axum::Router;

use super::AppState;

/// Document routes (at the root).
pub fn router() -> Router<AppState> {
    Router::new()
}
