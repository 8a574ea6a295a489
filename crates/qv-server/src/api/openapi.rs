//! `/api/openapi.json` (OpenAPI 3.1, merged from every route module) and
//! `/api/docs` (a page served from the binary that renders it).

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContactBuilder, InfoBuilder, LicenseBuilder, ServerBuilder, Tag};

use super::AppState;

/// The docs page: plain HTML + JS that fetches `/api/openapi.json` (no CDN).
const DOCS_HTML: &str = include_str!("../../assets/api-docs.html");

/// Document routes (at the root).
pub fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(document)).route("/api/docs", get(docs))
}

/// The merged document: every route module's paths and schemas, the
/// operations routes, the bearer security scheme, info and servers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = super::documented();
    doc.info = InfoBuilder::new()
        .title("QuantumVibe API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Accounts, API keys, MFA, quantum jobs and live events of a QuantumVibe server. \
             Authenticate with `Authorization: Bearer <access token | API key>`. Errors are \
             `{\"error\": {\"code\", \"message\"}}`.",
        ))
        .license(Some(LicenseBuilder::new().name("Apache-2.0").build()))
        .contact(Some(ContactBuilder::new().name(Some("QuantumVibe")).build()))
        .build();
    doc.servers =
        Some(vec![ServerBuilder::new().url("/").description(Some("this server")).build()]);
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT or qv_ API key")
                .description(Some("An access token from /api/v1/auth/login or an API key (qv_...)"))
                .build(),
        ),
    );
    let mut tags: Vec<Tag> = doc.tags.take().unwrap_or_default();
    for (name, what) in [
        ("auth", "Accounts, tokens, API keys, MFA, administration of users"),
        ("jobs", "Quantum jobs, results and backends"),
        ("circuits", "Gate table and circuit parsing"),
        ("events", "Live job events (WebSocket)"),
        ("operations", "Health, readiness and metrics"),
    ] {
        if !tags.iter().any(|t| t.name == name) {
            let mut tag = Tag::new(name);
            tag.description = Some(what.to_string());
            tags.push(tag);
        }
    }
    doc.tags = Some(tags);
    add_middleware_responses(&mut doc);
    doc
}

/// Adds the answers shared by many operations, so clients and conformance
/// checks see them without each route repeating them: for operations with a
/// body, 400 (malformed), 413 (over `max_body_bytes`) and 415 (not JSON);
/// for authenticated ones, 401 (missing or invalid credential) and 429
/// (rate limit). Operations that document their own keep them.
fn add_middleware_responses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let error = |what: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(what)
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
                )
                .build(),
        )
    };
    for item in doc.paths.paths.values_mut() {
        let ops = [
            item.get.as_mut(),
            item.post.as_mut(),
            item.put.as_mut(),
            item.patch.as_mut(),
            item.delete.as_mut(),
        ];
        for op in ops.into_iter().flatten() {
            let responses = &mut op.responses.responses;
            if op.request_body.is_some() {
                for (code, what) in [
                    ("400", "Malformed or invalid request"),
                    ("413", "Request body over the size limit"),
                    ("415", "The body is not `application/json`"),
                ] {
                    responses.entry(code.to_string()).or_insert_with(|| error(what));
                }
            }
            let authenticated = op.security.as_ref().is_some_and(|s| !s.is_empty());
            if authenticated {
                responses
                    .entry("401".to_string())
                    .or_insert_with(|| error("Missing, invalid or expired credential"));
                responses.entry("429".to_string()).or_insert_with(|| error("Rate limited"));
            }
        }
    }
}

fn document_json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| openapi().to_json().unwrap_or_else(|_| "{}".to_string()))
}

/// `GET /api/openapi.json`.
async fn document() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document_json()).into_response()
}

/// `GET /api/docs`.
async fn docs() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // The page runs only its own inline script and reads only this origin.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                 connect-src 'self'; img-src 'self' data:",
            ),
        ],
        DOCS_HTML,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn document_is_openapi_3_1_with_bearer_scheme() {
        let v: serde_json::Value = serde_json::from_str(super::document_json()).unwrap();
        assert!(v["openapi"].as_str().unwrap().starts_with("3.1"));
        assert_eq!(v["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
        for p in ["/healthz", "/readyz", "/metrics", "/api/v1/events"] {
            assert!(v["paths"].get(p).is_some(), "{p} missing");
        }
    }
}
