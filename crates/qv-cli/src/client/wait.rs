//! Following a job to the end: live over the events WebSocket, or by polling
//! `GET /jobs/{id}` with backoff when the WebSocket is unavailable.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::Method;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::config::websocket_url;
use qv_server::api::events::EventMessage;
use qv_server::model::JobStatus;
use qv_server::service::jobs::JobView;

use super::format::job_line;
use super::http::{Api, API};
use crate::error::CliError;

/// An open events stream.
pub type EventStream = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// With no event for this long, the job is checked over HTTP (an event can
/// be missed if the server's bus overflowed).
const QUIET_CHECK: Duration = Duration::from_secs(15);

/// Opens the events WebSocket (before submitting, so no event is missed).
pub async fn connect_events(api: &mut Api) -> Result<EventStream, String> {
    api.ensure_fresh().await.map_err(|e| super::message(&e))?;
    let url = websocket_url(&api.server, &format!("{API}/events"));
    let mut req = url.as_str().into_client_request().map_err(|e| e.to_string())?;
    if let Some(token) = api.bearer() {
        let value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|e| e.to_string())?;
        req.headers_mut().insert("authorization", value);
    }
    match tokio::time::timeout(Duration::from_secs(5), tokio_tungstenite::connect_async(req)).await
    {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".into()),
    }
}

/// Fetches a job.
pub async fn get_job(api: &mut Api, id: &str) -> Result<JobView, CliError> {
    Ok(api.json::<JobView>(Method::GET, &format!("/jobs/{id}"), None).await?)
}

/// Prints status changes to stderr until the job is final, and returns it.
pub async fn wait_for(
    api: &mut Api,
    id: &str,
    mut events: Option<EventStream>,
) -> Result<JobView, CliError> {
    let mut last = None;
    let mut report = |status: JobStatus, job: Option<&JobView>, message: Option<&str>| {
        if Some(status) != last {
            let status = status.as_str();
            match (job, message) {
                (Some(j), _) => eprintln!("{}", job_line(j)),
                (None, Some(m)) if !m.is_empty() => eprintln!("job {id}: {status}: {m}"),
                _ => eprintln!("job {id}: {status}"),
            }
        }
        last = Some(status);
    };
    let job = get_job(api, id).await?;
    report(job.status, Some(&job), None);
    if job.status.is_terminal() {
        return Ok(job);
    }
    if let Some(ws) = events.as_mut() {
        loop {
            match tokio::time::timeout(QUIET_CHECK, ws.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => {
                    let Ok(ev) = serde_json::from_str::<EventMessage>(&text) else { continue };
                    let Some(status) = ev.status.filter(|_| ev.job_id.as_deref() == Some(id))
                    else {
                        continue;
                    };
                    if status.is_terminal() {
                        let job = get_job(api, id).await?;
                        report(job.status, Some(&job), None);
                        return Ok(job);
                    }
                    report(status, None, ev.message.as_deref());
                }
                Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => {
                    eprintln!("(the live event stream closed; checking the job every few seconds)");
                    break;
                }
                // Pings (answered by the library), pongs, binary frames.
                Ok(Some(Ok(_))) => {}
                Err(_) => {
                    let job = get_job(api, id).await?;
                    report(job.status, Some(&job), None);
                    if job.status.is_terminal() {
                        return Ok(job);
                    }
                }
            }
        }
    }
    let mut delay = Duration::from_millis(100);
    loop {
        tokio::time::sleep(delay).await;
        delay = next_delay(delay);
        let job = get_job(api, id).await?;
        report(job.status, Some(&job), None);
        if job.status.is_terminal() {
            return Ok(job);
        }
    }
}

/// Polling backoff: ×1.5 up to 2 s.
pub fn next_delay(d: Duration) -> Duration {
    (d * 3 / 2).min(Duration::from_secs(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let mut d = Duration::from_millis(100);
        let mut seen = vec![];
        for _ in 0..12 {
            seen.push(d.as_millis());
            d = next_delay(d);
        }
        assert_eq!(&seen[..4], &[100, 150, 225, 337]);
        assert_eq!(*seen.last().unwrap(), 2000);
    }
}
