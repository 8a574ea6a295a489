//! Job orchestration: submission, the durable queue, workers, cancellation,
//! timeouts and crash recovery.

use std::sync::Arc;

use crate::config::Config;
use crate::events::Events;
use crate::metrics::Metrics;
use crate::store::Store;

/// The job service.
#[derive(Debug)]
pub struct Jobs {
    pub(crate) store: Store,
    pub(crate) config: Arc<Config>,
    pub(crate) events: Events,
    pub(crate) metrics: Arc<Metrics>,
}

impl Jobs {
    /// Builds the service.
    pub fn new(store: Store, config: Arc<Config>, events: Events, metrics: Arc<Metrics>) -> Jobs {
        Jobs { store, config, events, metrics }
    }

    /// Starts `config.worker_count()` workers claiming jobs from the queue.
    /// They stop when `shutdown` turns true: running jobs get
    /// `config.shutdown_grace_s` to finish, then are put back in the queue.
    pub fn start_workers(
        self: &Arc<Self>,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> WorkerPool {
        let _ = shutdown;
        WorkerPool { tasks: Vec::new() }
    }
}

/// Running workers.
#[derive(Debug)]
pub struct WorkerPool {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl WorkerPool {
    /// Waits until every worker has stopped (after the shutdown signal).
    pub async fn join(self) {
        for t in self.tasks {
            let _ = t.await;
        }
    }
}
