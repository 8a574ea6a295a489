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
