//! Routes: `GET /events` (WebSocket of the caller's job status changes).
//!
//! The token comes in the `Authorization: Bearer` header or, for browsers
//! (which cannot set headers on a WebSocket), the `access_token` query
//! parameter; an access JWT or an API key. The stream carries text frames
//! `{"type":"job","job_id","status","at","message"?}` for the caller's own
//! jobs only, `{"type":"lagged","missed":N}` when the client fell so far
//! behind that events were dropped (it should re-read its jobs), a ping every
//! 30 s, and a close frame (1001, going away) when the server shuts down.
//!
//! Abuse limits (docs/server.md, "Abuse limits: authentication and live
//! events"): the credential is checked again every `events_recheck_s`
//! seconds, and the stream is closed with 1008 (policy violation) and the
//! reason once the key is revoked or expired or the account disabled; an
//! access token's stream closes with 1008 when the token expires. Clients
//! may send messages and frames of at most [`MAX_CLIENT_MESSAGE`] bytes (a
//! larger one closes the stream with 1009, before its payload is read). At
//! most `events_max_sockets_per_user` streams per user are open in one
//! process; one more is answered 429 `too_many_streams` before the upgrade.

use std::time::Duration;

use super::AppState;
use crate::api::error::{ApiError, ErrorBody};
use crate::model::{JobEvent, JobStatus};
use crate::service::watch::{JobWatch, WatchEnd, WatchItem};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Interval of server pings; a client silent for two intervals is dropped.
const PING_EVERY: Duration = Duration::from_secs(30);

/// Largest message and frame a client may send, in bytes: clients send
/// only pongs and small control messages, and a larger frame is refused
/// from its header, so a stream never buffers more than this.
pub const MAX_CLIENT_MESSAGE: usize = 4096;

/// Close code for a credential that no longer holds (RFC 6455: policy violation).
const CLOSE_POLICY: u16 = 1008;
/// Close code at shutdown (RFC 6455: going away).
const CLOSE_GOING_AWAY: u16 = 1001;
/// Close code for a client message over the limit (RFC 6455: message too big).
const CLOSE_TOO_BIG: u16 = 1009;

/// The events route (relative to `/api/v1`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventMessage {
    /// `job` (a status change) or `lagged` (events were dropped: re-read
    /// your jobs).
    #[serde(rename = "type")]
    pub kind: String,
    /// The job (`job` messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// Its new status (`job` messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<JobStatus>,
    /// When it changed, RFC 3339 (`job` messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// The error of a failed job, why it was cancelled, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// How many events were dropped (`lagged` messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
        (status = 426, description = "Not a WebSocket upgrade request", body = ErrorBody),
        (status = 429, description = "Rate limited, or `too_many_streams`: the user has `events_max_sockets_per_user` streams open", body = ErrorBody),
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
    let principal = state.services.authenticate(&token).await?;
    let ws = ws.map_err(|e| {
        ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "upgrade_required",
            format!("this route is a WebSocket: {e}"),
        )
    })?;
    // Opened (and subscribed) before answering so no event between now and
    // the first read is missed.
    let watch = state.services.jobs.watch(&principal, &token, None).await?;
    Ok(ws
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| stream(socket, watch)))
}

async fn send_json(socket: &mut WebSocket, msg: &EventMessage) -> bool {
    match serde_json::to_string(msg) {
        Ok(text) => socket.send(Message::Text(text.into())).await.is_ok(),
        Err(_) => true,
    }
}

/// Sends a close frame (best effort: the client may be gone).
async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    // A close reason is at most 123 bytes.
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let frame = CloseFrame { code, reason: reason[..end].to_string().into() };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

async fn stream(mut socket: WebSocket, mut watch: JobWatch) {
    let start = tokio::time::Instant::now();
    let mut ping = tokio::time::interval_at(start + PING_EVERY, PING_EVERY);
    let mut last_heard = start;
    loop {
        tokio::select! {
            item = watch.next() => match item {
                Ok(WatchItem::Event(ev)) => {
                    if !send_json(&mut socket, &EventMessage::job(&ev)).await {
                        return;
                    }
                }
                Ok(WatchItem::Lagged(n)) => {
                    if !send_json(&mut socket, &EventMessage::lagged(n)).await {
                        return;
                    }
                }
                Err(end) => {
                    let code = if end == WatchEnd::Shutdown { CLOSE_GOING_AWAY } else { CLOSE_POLICY };
                    close(&mut socket, code, end.reason()).await;
                    return;
                }
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
                Some(Ok(Message::Close(_))) | None => return,
                Some(Err(e)) => {
                    // The only read error worth telling the client about:
                    // it sent more than the limit (tungstenite refuses the
                    // frame from its header, before reading the payload).
                    let text = e.to_string();
                    if text.contains("too long") || text.contains("too big") {
                        let reason = format!("message too big (limit {MAX_CLIENT_MESSAGE} bytes)");
                        close(&mut socket, CLOSE_TOO_BIG, &reason).await;
                    }
                    tracing::debug!(error = %text, "WebSocket read failed");
                    return;
                }
                Some(Ok(_)) => last_heard = tokio::time::Instant::now(),
            },
        }
    }
}
