//! The HTTP API: routes under `/api/v1`, operations routes, middleware and
//! the OpenAPI document.
//!
//! Route modules: [`auth`] (accounts, tokens, API keys, MFA, admin users),
//! [`jobs`] (jobs, results, backends), [`circuits`] (gate table, parse),
//! [`events`] (WebSocket), [`ops`] (health, readiness, metrics), [`openapi`]
//! (document and docs page), [`web`] (the embedded web app). Handlers are
//! thin: they call [`crate::service`] with the caller's [`Principal`]
//! (extracted here from `Authorization`) and map its errors with [`ApiError`].
//!
//! Middleware, outermost first: request id + access log + metrics (one
//! layer, so the log line and the metric see the final status), CORS, the
//! request-size check, the error-shape normaliser (every 4xx/5xx that is not
//! already JSON — axum's extractor rejections, 405s, body-limit errors —
//! becomes `{"error":{"code","message"}}`; axum's 422 for a body of the
//! wrong shape becomes 400 `validation_error`), and panic catching (a panicking
//! handler answers a generic 500). Route modules may use `axum::Json`
//! directly: its rejections are normalised here.

pub mod auth;
pub mod circuits;
pub mod error;
pub mod events;
pub mod jobs;
pub mod openapi;
pub mod ops;
pub mod web;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::RequestBodyTimeoutLayer;
use tracing::Instrument;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::service::{Principal, Services};
use crate::store::Store;

pub use error::{ApiError, ErrorBody, ErrorDetail};

/// What every handler can reach; cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    pub config: Arc<Config>,
    /// For readiness and metrics only; everything else goes through `services`.
    pub store: Store,
    pub services: Services,
    pub metrics: Arc<Metrics>,
    /// Turns true when the server starts shutting down (`/readyz` answers
    /// 503, WebSocket streams close).
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

impl axum::extract::FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, ApiError> {
        let value = parts.headers.get(header::AUTHORIZATION).map(HeaderValue::as_bytes);
        let token = crate::service::bearer_token(value)?;
        Ok(state.services.authenticate(token).await?)
    }
}

/// The request-id header (taken from the client when sane, else generated;
/// always echoed).
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request id of a request, in its extensions.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The whole application: `/api/v1/...`, `/graphql` ([`crate::graphql`]),
/// `/healthz`, `/readyz`, `/metrics`, `/api/openapi.json`, `/api/docs`, with
/// middleware.
pub fn router(state: AppState) -> Router {
    let (documented, _) = documented();
    let app = Router::new()
        .merge(documented)
        .merge(openapi::router())
        .merge(crate::graphql::router(&state))
        // Last: its fallback serves the web app and JSON 404s under /api/.
        .merge(web::router())
        .with_state(state.clone());
    with_middleware(app, &state.config, state.metrics.clone())
}

/// The documented routes with their OpenAPI paths: each route is declared
/// once, by its handler's `#[utoipa::path]` (`utoipa_axum::routes!` takes
/// the method and path from it).
pub fn documented() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    utoipa_axum::router::OpenApiRouter::new()
        .merge(auth::router())
        .merge(jobs::router())
        .merge(events::router())
        .merge(circuits::router())
        .merge(ops::router())
        .split_for_parts()
}

/// Wraps routes in the middleware stack (see the module documentation).
pub fn with_middleware(app: Router, config: &Config, metrics: Arc<Metrics>) -> Router {
    let max_body = config.max_body_bytes;
    let body_timeout = Duration::from_secs(config.body_read_timeout_s.max(1));
    let app = app
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn_with_state(max_body, reject_nul))
        .layer(middleware::from_fn(normalise_errors))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(RequestBodyTimeoutLayer::new(body_timeout))
        .layer(middleware::from_fn_with_state(max_body, check_content_length))
        .layer(middleware::from_fn(security_headers));
    let app = match cors_layer(&config.cors_origins) {
        Some(cors) => app.layer(cors),
        None => app,
    };
    app.layer(middleware::from_fn_with_state(metrics, observe))
}

/// CORS from `cors_origins`: none (same origin only), `*` (any origin, no
/// credentials), or a list of origins.
fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        let list: Vec<HeaderValue> = origins
            .iter()
            .filter_map(|o| match HeaderValue::from_str(o.trim_end_matches('/')) {
                Ok(v) => Some(v),
                Err(_) => {
                    tracing::warn!(origin = %o, "ignoring a CORS origin that is not a valid header value");
                    None
                }
            })
            .collect();
        AllowOrigin::list(list)
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, REQUEST_ID.clone()])
            .expose_headers([REQUEST_ID.clone(), header::RETRY_AFTER])
            .max_age(Duration::from_secs(600)),
    )
}

/// A client-supplied id is kept when it is short visible ASCII (it goes into
/// logs); anything else is replaced.
fn request_id(req: &Request) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(crate::model::new_id)
}

/// Request id, access log and HTTP metrics (the gRPC routes use it too).
pub(crate) async fn observe(
    State(metrics): State<Arc<Metrics>>,
    mut req: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let id = request_id(&req);
    req.extensions_mut().insert(RequestId(id.clone()));
    // The template, never the raw path: label cardinality stays bounded.
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = next.run(req).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let secs = start.elapsed().as_secs_f64();
    metrics.http_request(method.as_str(), &route, status, secs);
    span.in_scope(|| {
        tracing::info!(
            target: "qv_server::http",
            method = %method,
            route = %route,
            status,
            latency_ms = secs * 1e3,
            "request"
        );
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID.clone(), v);
    }
    response
}

/// 413 before reading a body whose declared length is over the limit.
async fn check_content_length(State(max): State<usize>, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return body_too_large(max).into_response();
    }
    next.run(req).await
}

fn body_timed_out() -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        "the request body did not arrive in time",
    )
}

fn body_too_large(max: usize) -> ApiError {
    ApiError::too_large(format!("the request body is larger than the limit of {max} bytes"))
}

/// The web app's content security policy: its own scripts only, styles
/// inline too (MUI's emotion inserts style elements), images from data/blob
/// URLs (QR codes, downloads), no framing, no plugins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; \
     connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

/// Security headers on every response; a route that sets its own policy
/// (the API docs page) keeps it.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    let defaults = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

/// Whether a JSON text holds a `\u0000` escape (a raw NUL is not valid
/// JSON and is refused by the parser). Escapes are skipped as pairs, so
/// `"\\u0000"` (a backslash, then `u0000`) is not one.
fn json_has_nul_escape(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            if bytes.get(i + 1) == Some(&b'u') && bytes.get(i + 2..i + 6) == Some(b"0000") {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// Refuses NUL characters in the path, the query string and JSON bodies
/// with a 400 naming where: no database stores them (PostgreSQL refuses
/// them in text), and no identifier or name needs them.
async fn reject_nul(State(max_body): State<usize>, req: Request, next: Next) -> Response {
    let nul = |s: &str| s.contains('\0') || s.to_ascii_lowercase().contains("%00");
    if nul(req.uri().path()) {
        return ApiError::bad_request("the path contains a NUL character").into_response();
    }
    if req.uri().query().is_some_and(nul) {
        return ApiError::invalid("validation_error", "the query string contains a NUL character")
            .into_response();
    }
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"));
    if !is_json {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, max_body).await {
        Ok(b) => b,
        Err(e) => {
            // Over the limit, too slow, or broken off.
            let mut causes = std::iter::successors(std::error::Error::source(&e), |c| c.source());
            let is = |c: &&(dyn std::error::Error + 'static)| {
                (
                    c.is::<http_body_util::LengthLimitError>(),
                    c.is::<tower_http::timeout::TimeoutError>(),
                )
            };
            let (too_large, too_slow) = causes
                .find_map(|c| match is(&c) {
                    (false, false) => None,
                    found => Some(found),
                })
                .unwrap_or((false, false));
            return if too_large {
                body_too_large(max_body).into_response()
            } else if too_slow {
                body_timed_out().into_response()
            } else {
                ApiError::bad_request("the request body could not be read").into_response()
            };
        }
    };
    if json_has_nul_escape(&bytes) {
        return ApiError::invalid(
            "validation_error",
            "the JSON body contains a NUL character (\\u0000)",
        )
        .into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// Rewrites error responses that are not JSON (axum's extractor rejections
/// are plain text; 405s are empty) into `{"error":{"code","message"}}`.
async fn normalise_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, 16 * 1024).await {
        Ok(b) => String::from_utf8_lossy(&b).trim().to_string(),
        Err(_) => String::new(),
    };
    let (code, message) = match status {
        StatusCode::BAD_REQUEST => ("bad_request", text),
        StatusCode::NOT_FOUND => ("not_found", text),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", text),
        StatusCode::PAYLOAD_TOO_LARGE => {
            ("too_large", "the request body is larger than the limit".to_string())
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", text),
        // axum answers 422 for a body of the wrong shape; the API answers
        // 400 `validation_error` for that everywhere (as the auth extractor does).
        StatusCode::UNPROCESSABLE_ENTITY => ("validation_error", text),
        StatusCode::TOO_MANY_REQUESTS => ("rate_limited", text),
        s if s.is_server_error() => ("internal", String::new()),
        _ => ("error", text),
    };
    let message = if message.is_empty() {
        status.canonical_reason().unwrap_or("error").to_lowercase()
    } else {
        message
    };
    let status =
        if status == StatusCode::UNPROCESSABLE_ENTITY { StatusCode::BAD_REQUEST } else { status };
    let mut out = ApiError::new(status, code, message).into_response();
    // Keep headers such as Allow (405) and Retry-After.
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// A panicking handler answers a generic 500 (the panic is logged).
fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let detail = if let Some(s) = err.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = err.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        "unknown panic".to_string()
    };
    ApiError::internal(format!("handler panicked: {detail}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::{get, post};
    use tower::ServiceExt;

    fn app() -> (Router, Arc<Metrics>) {
        #[derive(serde::Deserialize)]
        struct In {
            #[allow(dead_code)]
            name: String,
        }
        async fn boom() -> &'static str {
            panic!("secret detail")
        }
        let metrics = Arc::new(Metrics::new());
        let routes = Router::new()
            .route("/boom", get(boom))
            .route("/items/{id}", get(|| async { "ok" }))
            .route("/echo", post(|axum::Json(_): axum::Json<In>| async { "ok" }));
        let config = Config { max_body_bytes: 64, ..Config::default() };
        (with_middleware(routes, &config, metrics.clone()), metrics)
    }

    async fn call(app: &Router, req: axum::http::Request<Body>) -> (StatusCode, serde_json::Value) {
        let r = app.clone().oneshot(req).await.unwrap();
        let status = r.status();
        assert!(r.headers().contains_key(&REQUEST_ID));
        let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null))
    }

    fn post_json(body: &str, content_type: &str) -> axum::http::Request<Body> {
        axum::http::Request::post("/echo")
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_string()))
            .unwrap()
    }

    #[tokio::test]
    async fn panics_are_generic_500s() {
        let (app, _) = app();
        let (status, v) =
            call(&app, axum::http::Request::get("/boom").body(Body::empty()).unwrap()).await;
        assert_eq!(status, 500);
        assert_eq!(v["error"]["code"], "internal");
        assert!(!v.to_string().contains("secret"), "{v}");
    }

    #[tokio::test]
    async fn rejections_have_our_shape() {
        let (app, _) = app();
        let (s, v) = call(&app, post_json("{", "application/json")).await;
        assert_eq!((s.as_u16(), v["error"]["code"].as_str()), (400, Some("bad_request")), "{v}");
        let (s, v) = call(&app, post_json("{}", "text/plain")).await;
        assert_eq!(
            (s.as_u16(), v["error"]["code"].as_str()),
            (415, Some("unsupported_media_type"))
        );
        let (s, v) = call(&app, post_json("{}", "application/json")).await;
        assert_eq!((s.as_u16(), v["error"]["code"].as_str()), (400, Some("validation_error")));
        assert!(v["error"]["message"].as_str().unwrap().contains("name"), "{v}");
        let big = format!("{{\"name\":\"{}\"}}", "x".repeat(100));
        let (s, v) = call(&app, post_json(&big, "application/json")).await;
        assert_eq!((s.as_u16(), v["error"]["code"].as_str()), (413, Some("too_large")));
        let (s, v) =
            call(&app, axum::http::Request::delete("/echo").body(Body::empty()).unwrap()).await;
        assert_eq!((s.as_u16(), v["error"]["code"].as_str()), (405, Some("method_not_allowed")));
        // A body over the limit without Content-Length (streamed) is caught by the extractor.
        let stream = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(big.clone())]);
        let req = axum::http::Request::post("/echo")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from_stream(stream))
            .unwrap();
        let (s, v) = call(&app, req).await;
        assert_eq!((s.as_u16(), v["error"]["code"].as_str()), (413, Some("too_large")), "{v}");
    }

    #[tokio::test]
    async fn metrics_use_route_templates() {
        let (app, metrics) = app();
        let _ = call(&app, axum::http::Request::get("/items/abc123").body(Body::empty()).unwrap())
            .await;
        let _ =
            call(&app, axum::http::Request::get("/nowhere/xyz789").body(Body::empty()).unwrap())
                .await;
        let text = metrics.render(&[]);
        assert!(text.contains(r#"route="/items/{id}",status="200""#), "{text}");
        assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
        assert!(!text.contains("abc123") && !text.contains("xyz789"));
    }

    #[test]
    fn nul_escapes_are_found_and_escaped_backslashes_are_not() {
        assert!(json_has_nul_escape(br#"{"a":"x\u0000"}"#));
        assert!(json_has_nul_escape(br#"{"a\u0000":1}"#));
        assert!(!json_has_nul_escape(br#"{"a":"x\\u0000"}"#), "an escaped backslash");
        assert!(json_has_nul_escape(br#"{"a":"x\\\u0000"}"#), "backslash, then NUL");
        assert!(!json_has_nul_escape(br#"{"a":"\u00001"}"#.split_at(10).0));
        assert!(!json_has_nul_escape(br#"{"a":"\u0001"}"#));
        assert!(!json_has_nul_escape(b"\\"));
    }

    #[tokio::test]
    async fn request_ids_are_echoed_or_replaced() {
        let (app, _) = app();
        let req = axum::http::Request::get("/items/1")
            .header("x-request-id", "abc-123")
            .body(Body::empty())
            .unwrap();
        let r = app.clone().oneshot(req).await.unwrap();
        assert_eq!(r.headers()[&REQUEST_ID], "abc-123");
        let req = axum::http::Request::get("/items/1")
            .header("x-request-id", "x".repeat(300))
            .body(Body::empty())
            .unwrap();
        let r = app.clone().oneshot(req).await.unwrap();
        assert_eq!(r.headers()[&REQUEST_ID].len(), 36, "a fresh UUID replaces an overlong id");
    }
}
