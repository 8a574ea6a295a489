//! `GET /graphql`: a small query explorer served from the binary (no CDN:
//! the CSP allows scripts from this origin only, none inline).

use axum::http::header;
use axum::response::IntoResponse;

pub(super) async fn page() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], include_str!("explorer.html"))
}

pub(super) async fn script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("explorer.js"))
}
