//! Job status changes, fanned out to WebSocket subscribers.
//!
//! Every change is stored in `job_events` by the code that makes it (in the
//! same transaction) and then published here. In-process the bus is a
//! broadcast channel; on PostgreSQL the server also relays `NOTIFY
//! qv_job_events` from other processes (workers on other machines) into it.

use tokio::sync::broadcast;

use crate::model::JobEvent;

/// The in-process event bus; cheap to clone.
#[derive(Clone, Debug)]
pub struct Events {
    tx: broadcast::Sender<JobEvent>,
}

impl Default for Events {
    fn default() -> Self {
        Events::new(4096)
    }
}

impl Events {
    /// A bus that keeps up to `capacity` events for slow subscribers (a
    /// subscriber that falls further behind is told it lagged).
    pub fn new(capacity: usize) -> Events {
        let (tx, _) = broadcast::channel(capacity.max(16));
        Events { tx }
    }

    /// Publishes an event to current subscribers (none is fine).
    pub fn publish(&self, event: JobEvent) {
        let _ = self.tx.send(event);
    }

    /// Subscribes to every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<JobEvent> {
        self.tx.subscribe()
    }
}

/// The payload of `NOTIFY qv_job_events` (PostgreSQL): the event with its owner.
#[derive(serde::Serialize, serde::Deserialize)]
struct NotifyPayload {
    job_id: String,
    user_id: String,
    status: crate::model::JobStatus,
    at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

/// Serialises an event for `pg_notify('qv_job_events', ...)`.
pub fn to_notify_payload(event: &JobEvent) -> String {
    let p = NotifyPayload {
        job_id: event.job_id.clone(),
        user_id: event.user_id.clone(),
        status: event.status,
        at: event.at.clone(),
        message: event.message.clone(),
    };
    serde_json::to_string(&p).unwrap_or_default()
}

/// Parses a `qv_job_events` notification (`None` for anything else).
pub fn from_notify_payload(payload: &str) -> Option<JobEvent> {
    let p: NotifyPayload = serde_json::from_str(payload).ok()?;
    Some(JobEvent {
        job_id: p.job_id,
        user_id: p.user_id,
        status: p.status,
        at: p.at,
        message: p.message,
    })
}
