//! Routes: `GET /events` (WebSocket of the caller's job status changes).
//!
//! The token comes in the `Authorization: Bearer` header or, for browsers
//! (which cannot set headers on a WebSocket), the `access_token` query
//! parameter; an access JWT or an API key. The stream carries text frames
//! `{"type":"job","job_id","status","at","message"?}` for the caller's own
//! jobs only, `{"type":"lagged","missed":N}` when the client fell so far
//! behind that events were dropped (it should re-read its jobs), a ping every
//! 30 s, and a close frame (1001, going away) when the server shuts down.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};

use super::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::model::{JobEvent, JobStatus};

/// Interval of server pings; a client silent for two intervals is dropped.
const PING_EVERY: Duration = Duration::from_secs(30);

/// The events route (relative to `/api/v1`).
pub fn router() -> Router<AppState> {
    Router::new().route("/events", get(events))
}

/// Query of `GET /events`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Access token or API key, for clients that cannot set the
    /// `Authorization` header (browsers).
    pub access_token: Option<String>,
}

/// A text frame of the event stream.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventMessage {
    /// `job` (a status change) or `lagged` (events were dropped: re-read
    /// your jobs).
    #[serde(rename = "type")]
    pub kind: String,
    /// The job (`job` messages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// Its new status (`job` messages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<JobStatus>,
    /// When it changed, RFC 3339 (`job` messages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// The error of a failed job, why it was cancelled, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// How many events were dropped (`lagged` messages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missed: Option<u64>,
}

impl EventMessage {
    fn job(e: &JobEvent) -> EventMessage {
        EventMessage {
            kind: "job".into(),
            job_id: Some(e.job_id.clone()),
            status: Some(e.status),
            at: Some(e.at.clone()),
            message: e.message.clone(),
            missed: None,
        }
    }

    fn lagged(missed: u64) -> EventMessage {
        EventMessage {
            kind: "lagged".into(),
            job_id: None,
            status: None,
            at: None,
            message: None,
            missed: Some(missed),
        }
    }
}

fn bearer(headers: &HeaderMap, query: &EventsQuery) -> Result<String, ApiError> {
    if let Some(v) = headers.get(header::AUTHORIZATION) {
        let v = v.to_str().map_err(|_| ApiError::unauthorized("malformed Authorization header"))?;
        return v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .ok_or_else(|| ApiError::unauthorized("expected `Authorization: Bearer <token>`"));
    }
    query
        .access_token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .ok_or_else(|| {
            ApiError::unauthorized(
                "missing credentials: send `Authorization: Bearer <token>` or `?access_token=`",
            )
        })
}

/// Live status changes of the caller's jobs (WebSocket).
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    params(EventsQuery),
    security(("bearer" = [])),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol; text frames are EventMessage JSON", body = EventMessage),
        (status = 401, description = "Missing, invalid or expired credentials", body = ErrorBody),
        (status = 426, description = "Not a WebSocket upgrade request", body = ErrorBody),
        (status = 429, description = "Rate limited", body = ErrorBody),
    ))]
pub async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<EventsQuery>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    // Authenticate before looking at the upgrade, so a bad token is a 401
    // whatever else is wrong with the request.
    let token = bearer(&headers, &query)?;
    let principal = state.auth.authenticate(&token).await?;
    state.limits.check_principal(&principal.rate_key())?;
    let ws = ws.map_err(|e| {
        ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "upgrade_required",
            format!("this route is a WebSocket: {e}"),
        )
    })?;
    // Subscribe before answering so no event between now and the first
    // read is missed.
    let rx = state.events.subscribe();
    let shutdown = state.shutdown.clone();
    let user_id = principal.user.id.clone();
    Ok(ws.on_upgrade(move |socket| stream(socket, user_id, rx, shutdown)))
}

async fn send_json(socket: &mut WebSocket, msg: &EventMessage) -> bool {
    match serde_json::to_string(msg) {
        Ok(text) => socket.send(Message::Text(text.into())).await.is_ok(),
        Err(_) => true,
    }
}

async fn stream(
    mut socket: WebSocket,
    user_id: String,
    mut rx: broadcast::Receiver<JobEvent>,
    mut shutdown: watch::Receiver<bool>,
) {
    let start = tokio::time::Instant::now();
    let mut ping = tokio::time::interval_at(start + PING_EVERY, PING_EVERY);
    let mut last_heard = start;
    loop {
        if *shutdown.borrow() {
            break;
        }
        tokio::select! {
            ev = rx.recv() => match ev {
                Ok(ev) => {
                    if ev.user_id == user_id && !send_json(&mut socket, &EventMessage::job(&ev)).await {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    if !send_json(&mut socket, &EventMessage::lagged(n)).await {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > 2 * PING_EVERY + Duration::from_secs(5) {
                    tracing::debug!("closing a silent WebSocket");
                    return;
                }
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return;
                }
            }
            msg = socket.recv() => match msg {
                // Pongs and anything the client says count as signs of life;
                // tungstenite answers the client's pings itself.
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => last_heard = tokio::time::Instant::now(),
            },
            changed = shutdown.changed() => {
                if changed.is_err() {
                    break;
                }
            }
        }
    }
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code: 1001,
            reason: "server shutting down".into(),
        })))
        .await;
}

/// OpenAPI description of these routes.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(paths(events), components(schemas(EventMessage, ErrorBody)))]
pub struct EventsApi;
