//! The web app at `/`: files of `web/dist` embedded at build time (see
//! `build.rs`), with the SPA fallback (any other non-API path answers
//! `index.html`) and caching (hashed `assets/*` are immutable; `index.html`
//! is revalidated). Without a built app, `/` explains how to build it.

use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;

use super::AppState;
use crate::api::error::ApiError;

mod assets {
    include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));
}

/// Served when the binary was built without `web/dist`.
const NOT_BUILT: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>QuantumVibe</title></head><body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\">\
<h1>QuantumVibe server is running</h1><p>The web app was not built into this binary. \
Build it with <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>, then rebuild \
<code>qv</code> (or run <code>scripts/serve.sh</code>, which does both).</p>\
<p>The API is at <a href=\"/api/docs\">/api/docs</a>.</p></body></html>";

/// Whether the web app is embedded in this binary.
pub fn is_built() -> bool {
    find("index.html").is_some()
}

fn find(path: &str) -> Option<(&'static str, &'static [u8])> {
    assets::ASSETS.iter().find(|(p, _, _)| *p == path).map(|(_, t, b)| (*t, *b))
}

/// A router whose fallback serves the app; merge it last.
pub fn router() -> Router<AppState> {
    Router::new().fallback(serve)
}

fn file_response(path: &str, content_type: &'static str, body: &'static [u8]) -> Response {
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        body,
    )
        .into_response()
}

/// Serves a file of the app, `index.html` for client-side routes, and a
/// JSON 404 under `/api/`.
pub async fn serve(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        return ApiError::not_found(&format!("route {path}")).into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "use GET")
            .into_response();
    }
    let rel = path.trim_start_matches('/');
    if let Some((t, body)) = find(rel).filter(|_| !rel.is_empty()) {
        return file_response(rel, t, body);
    }
    // A missing hashed asset is a real 404 (an HTML answer would confuse the browser).
    if rel.starts_with("assets/") {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    match find("index.html") {
        Some((t, body)) => file_response("index.html", t, body),
        None => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            NOT_BUILT,
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;

    async fn get(path: &str) -> Response {
        serve(Method::GET, path.parse().expect("uri")).await
    }

    #[tokio::test]
    async fn api_paths_are_json_404() {
        let r = get("/api/v1/nope").await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let body = to_bytes(r.into_body(), 1 << 20).await.expect("body");
        assert!(std::str::from_utf8(&body).expect("utf8").contains("\"not_found\""));
    }

    #[tokio::test]
    async fn client_routes_answer_html() {
        let r = get("/jobs/123").await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-cache");
        let body = to_bytes(r.into_body(), 1 << 24).await.expect("body");
        let text = std::str::from_utf8(&body).expect("utf8");
        if is_built() {
            assert!(text.contains("<div id=\"root\">"), "{text}");
        } else {
            assert!(text.contains("npm run build"), "{text}");
        }
    }

    #[tokio::test]
    async fn hashed_assets_are_immutable_and_missing_ones_404() {
        assert_eq!(get("/assets/missing-abc123.js").await.status(), StatusCode::NOT_FOUND);
        if let Some((p, t, _)) = assets::ASSETS.iter().find(|(p, _, _)| p.starts_with("assets/")) {
            let r = get(&format!("/{p}")).await;
            assert_eq!(r.status(), StatusCode::OK);
            assert_eq!(r.headers()[header::CONTENT_TYPE], *t);
            assert!(r.headers()[header::CACHE_CONTROL]
                .to_str()
                .expect("ascii")
                .contains("immutable"));
        }
    }

    #[tokio::test]
    async fn posts_outside_the_api_are_rejected() {
        let r = serve(Method::POST, "/".parse().expect("uri")).await;
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    }
}
