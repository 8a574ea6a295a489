//! `/healthz`, `/readyz`, `/metrics`.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::AppState;
use crate::error::{ApiError, ErrorBody};

/// Operations routes (at the root).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// `{"status": ...}` of the health routes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatusBody {
    /// `ok` (`/healthz`) or `ready` (`/readyz`).
    pub status: String,
}

/// Liveness: the process answers HTTP.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is alive", body = StatusBody)))]
pub async fn healthz() -> Json<StatusBody> {
    Json(StatusBody { status: "ok".into() })
}

/// Readiness: the database answers and the server is not shutting down.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready to take requests", body = StatusBody),
        (status = 503, description = "Shutting down or the database is unreachable", body = ErrorBody),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<StatusBody>, ApiError> {
    if *state.shutdown.borrow() {
        return Err(ApiError::unavailable("the server is shutting down"));
    }
    let ping = tokio::time::timeout(std::time::Duration::from_secs(2), state.store.ping()).await;
    match ping {
        Ok(Ok(())) => Ok(Json(StatusBody { status: "ready".into() })),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: database ping failed");
            Err(ApiError::unavailable("the database is unreachable"))
        }
        Err(_) => Err(ApiError::unavailable("the database does not answer")),
    }
}

/// Prometheus metrics (OpenMetrics text).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Metrics in the Prometheus/OpenMetrics text format",
        body = String, content_type = "application/openmetrics-text")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    // Jobs by state are read at scrape time; a failing read still serves
    // the process-local metrics (a scrape should not fail because of it).
    let jobs = match state.store.count_jobs_by_status().await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "metrics: counting jobs failed");
            Vec::new()
        }
    };
    let text = state.metrics.render(&jobs);
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text)
        .into_response()
}

/// OpenAPI description of these routes.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(paths(healthz, readyz, metrics), components(schemas(StatusBody, ErrorBody)))]
pub struct OpsApi;
