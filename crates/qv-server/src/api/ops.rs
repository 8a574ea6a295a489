//! `/healthz`, `/readyz`, `/metrics`.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use sha2::{Digest, Sha256};

use super::AppState;
use crate::api::error::{ApiError, ErrorBody};
use crate::config::Config;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Operations routes (at the root).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz)).routes(routes!(metrics))
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

/// Whether a scrape may read the metrics: with `metrics_token` set, it must
/// come as `Authorization: Bearer <token>`; without one, only clients on a
/// loopback address may read them (a scraper on the same host or behind a
/// local proxy), so job counts and route names are not public.
fn metrics_allowed(config: &Config, parts: &Parts) -> Result<(), ApiError> {
    match &config.metrics_token {
        Some(token) => {
            let given = parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            // Compared as digests: equal length, and no early exit on the first differing byte.
            let (a, b) = (Sha256::digest(given.as_bytes()), Sha256::digest(token.as_bytes()));
            if a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0 {
                Ok(())
            } else {
                Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "/metrics needs `Authorization: Bearer <metrics_token>`",
                ))
            }
        }
        None => {
            let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
            let local = peer.is_some_and(|ip| match ip {
                IpAddr::V4(v4) => v4.is_loopback(),
                IpAddr::V6(v6) => {
                    v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
                }
            });
            if local {
                Ok(())
            } else {
                Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "/metrics answers loopback clients only unless `metrics_token` is set",
                ))
            }
        }
    }
}

/// Prometheus metrics (OpenMetrics text).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "Metrics in the Prometheus/OpenMetrics text format",
            body = String, content_type = "application/openmetrics-text"),
        (status = 403, description = "No `metrics_token` is set and the client is not on a loopback address", body = ErrorBody),
    ))]
pub async fn metrics(State(state): State<AppState>, parts: Parts) -> Response {
    if let Err(e) = metrics_allowed(&state.config, &parts) {
        return e.into_response();
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(peer: Option<&str>, bearer: Option<&str>) -> Parts {
        let mut req = axum::http::Request::get("/metrics");
        if let Some(b) = bearer {
            req = req.header(header::AUTHORIZATION, format!("Bearer {b}"));
        }
        let (mut parts, ()) = req.body(()).unwrap().into_parts();
        if let Some(p) = peer {
            parts.extensions.insert(ConnectInfo(p.parse::<SocketAddr>().unwrap()));
        }
        parts
    }

    #[test]
    fn metrics_without_a_token_answer_loopback_only() {
        let c = Config::default();
        assert!(metrics_allowed(&c, &parts(Some("127.0.0.1:5000"), None)).is_ok());
        assert!(metrics_allowed(&c, &parts(Some("[::1]:5000"), None)).is_ok());
        assert!(metrics_allowed(&c, &parts(Some("[::ffff:127.0.0.1]:5000"), None)).is_ok());
        let e = metrics_allowed(&c, &parts(Some("10.1.2.3:5000"), None)).unwrap_err();
        assert_eq!(e.status, StatusCode::FORBIDDEN);
        assert!(metrics_allowed(&c, &parts(None, None)).is_err(), "unknown peer");
    }

    #[test]
    fn metrics_with_a_token_need_it_from_everywhere() {
        let c = Config { metrics_token: Some("0123456789abcdef".into()), ..Config::default() };
        let e = metrics_allowed(&c, &parts(Some("127.0.0.1:1"), None)).unwrap_err();
        assert_eq!(e.status, StatusCode::UNAUTHORIZED);
        assert!(metrics_allowed(&c, &parts(Some("10.1.2.3:1"), Some("0123456789abcdef"))).is_ok());
        assert!(metrics_allowed(&c, &parts(Some("10.1.2.3:1"), Some("0123456789abcdeX"))).is_err());
    }
}
