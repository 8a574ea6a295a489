//! The GraphQL API: a thin transport over [`Services`], like REST.
//!
//! Routes: `POST /graphql` (queries and mutations, `application/json`),
//! `GET /graphql` (an explorer page, served from the binary with its
//! script at `/graphql/explorer.js`: the CSP allows no inline or remote
//! scripts), `GET /graphql/schema.graphql` (the SDL), and `GET /graphql/ws`
//! (subscriptions, `graphql-transport-ws` protocol; the legacy `graphql-ws`
//! protocol is understood too). See docs/api-graphql.md.
//!
//! Authentication is REST's: `Authorization: Bearer <JWT or API key>`,
//! through [`Services::authenticate`], which charges the caller's rate
//! limit once per request; every root field after the first charges one
//! more, so aliases cannot multiply work past REST's limits. Over the
//! WebSocket the credential comes in the `connection_init` payload. A
//! request without a credential can only introspect; everything else
//! answers `unauthorized`.
//!
//! Errors carry `extensions.code` and `extensions.status` ([`error`]);
//! depth, complexity, parser recursion and directives are bounded
//! ([`MAX_DEPTH`], [`MAX_COMPLEXITY`]); the request body is capped by the
//! API middleware (`max_body_bytes`), WebSocket messages by [`MAX_WS_MESSAGE`].

mod error;
mod explorer;
mod mutation;
mod query;
mod subscription;
pub mod types;

use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::{Context, Data, Schema, SchemaBuilder};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::body::Bytes;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use crate::api::{ApiError, AppState};
use crate::service::{bearer_token, Principal, ServiceError, Services};
use error::{to_gql, with_codes, OrGql};
pub use mutation::Mutation;
pub use query::Query;
pub use subscription::Subscription;

/// The schema type.
pub type QvSchema = Schema<Query, Mutation, Subscription>;

/// Deepest selection accepted. The standard introspection query (GraphiQL,
/// schemathesis) nests 13 deep; nothing in the schema itself recurses, so
/// only introspection can go deeper.
pub const MAX_DEPTH: usize = 15;

/// Most fields one operation may select (aliases count, list sizes do not).
pub const MAX_COMPLEXITY: usize = 500;

/// Largest WebSocket message or frame a client may send, in bytes.
pub const MAX_WS_MESSAGE: usize = 64 * 1024;

/// A WebSocket that has not sent `connection_init` by then is dropped: the
/// upgrade needs no credential, so an idle socket must not be held forever.
pub const WS_INIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query, Mutation, Subscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(32)
        .limit_directives(8)
}

/// The schema over `services`.
pub fn schema(services: Services) -> QvSchema {
    builder().data(services).finish()
}

/// The schema's SDL, as committed in `api/schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// The caller of one request or WebSocket connection.
struct Caller {
    /// The principal and its bearer token, or why there is none.
    auth: Result<(Principal, String), ServiceError>,
    /// Root fields resolved so far (authentication paid for the first).
    fields: AtomicUsize,
}

impl Caller {
    fn new(auth: Result<(Principal, String), ServiceError>) -> Caller {
        Caller { auth, fields: AtomicUsize::new(0) }
    }
}

fn services<'a>(ctx: &Context<'a>) -> &'a Services {
    ctx.data_unchecked::<Services>()
}

/// The authenticated caller and its token, charged one rate-limit token for
/// every root field after the first.
fn caller<'a>(ctx: &Context<'a>) -> async_graphql::Result<(&'a Principal, &'a str)> {
    let c =
        ctx.data::<Caller>().map_err(|_| to_gql(ServiceError::unauthorized("no credential")))?;
    let (p, token) = c.auth.as_ref().map_err(|e| to_gql(e.clone()))?;
    if c.fields.fetch_add(1, Ordering::Relaxed) > 0 {
        services(ctx).limits.check_principal(&p.rate_key()).gql()?;
    }
    Ok((p, token.as_str()))
}

/// State of the GraphQL routes.
#[derive(Clone)]
struct Gql {
    schema: QvSchema,
    services: Services,
    shutdown: tokio::sync::watch::Receiver<bool>,
}

/// The GraphQL routes, to merge into the application router.
pub fn router(state: &AppState) -> Router<AppState> {
    let gql = Gql {
        schema: schema(state.services.clone()),
        services: state.services.clone(),
        shutdown: state.shutdown.clone(),
    };
    Router::new()
        .route("/graphql", get(explorer::page).post(execute))
        .route("/graphql/explorer.js", get(explorer::script))
        .route("/graphql/schema.graphql", get(schema_sdl))
        .route("/graphql/ws", get(subscribe))
        .with_state(gql)
}

/// `POST /graphql`: one operation (no batches), `application/json` so the
/// middleware's JSON checks (NUL escapes) apply. Always 200 with
/// `{data, errors}` once the body is a GraphQL request.
async fn execute(State(g): State<Gql>, headers: HeaderMap, body: Bytes) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"));
    if !is_json {
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the GraphQL request as `Content-Type: application/json`",
        )
        .into_response();
    }
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return ApiError::bad_request(format!("the body is not a GraphQL request: {e}"))
                .into_response()
        }
    };
    let auth = match bearer_token(headers.get(header::AUTHORIZATION).map(|v| v.as_bytes())) {
        Ok(token) => g.services.authenticate(token).await.map(|p| (p, token.to_string())),
        Err(e) => Err(e),
    };
    let response = g.schema.execute(request.data(Caller::new(auth))).await;
    Json(with_codes(response)).into_response()
}

async fn schema_sdl(State(g): State<Gql>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], g.schema.sdl()).into_response()
}

/// `GET /graphql/ws`: subscriptions. The `connection_init` payload must
/// carry the credential (`Authorization`, `authorization` or `token`); a
/// bad one closes the socket with the reason, none within
/// [`WS_INIT_TIMEOUT`] drops it. Sockets close at shutdown.
async fn subscribe(
    State(g): State<Gql>,
    protocol: GraphQLProtocol,
    ws: WebSocketUpgrade,
) -> Response {
    let ws = ws
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(MAX_WS_MESSAGE)
        .max_frame_size(MAX_WS_MESSAGE);
    ws.on_upgrade(move |socket| async move {
        let services = g.services.clone();
        let mut shutdown = g.shutdown.clone();
        let (init_tx, init_rx) = tokio::sync::oneshot::channel::<()>();
        let serve = GraphQLWebSocket::new(socket, g.schema.clone(), protocol)
            .on_connection_init(move |payload| {
                let _ = init_tx.send(());
                connection_init(services, payload)
            })
            .serve();
        let init_overdue = async {
            if tokio::time::timeout(WS_INIT_TIMEOUT, init_rx).await.is_ok() {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            () = serve => {}
            _ = shutdown.wait_for(|s| *s) => {}
            () = init_overdue => {}
        }
    })
}

/// Authenticates a WebSocket from its `connection_init` payload.
async fn connection_init(
    services: Services,
    payload: serde_json::Value,
) -> async_graphql::Result<Data> {
    let field = |name: &str| payload.get(name).and_then(|v| v.as_str());
    let token = match (field("Authorization").or_else(|| field("authorization")), field("token")) {
        (Some(header), _) => bearer_token(Some(header.as_bytes())),
        (None, Some(token)) if !token.trim().is_empty() => Ok(token.trim()),
        _ => Err(ServiceError::unauthorized(
            "send the credential in the connection_init payload: {\"Authorization\": \"Bearer <token>\"}",
        )),
    };
    let auth = match token {
        Ok(token) => services.authenticate(token).await.map(|p| (p, token.to_string())),
        Err(e) => Err(e),
    };
    match auth {
        Ok(auth) => {
            let mut data = Data::default();
            data.insert(Caller::new(Ok(auth)));
            Ok(data)
        }
        Err(e) => Err(async_graphql::Error::new(format!("{}: {}", e.code, e.message))),
    }
}
