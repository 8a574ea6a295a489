//! Job orchestration: submission, the durable queue, workers, cancellation,
//! timeouts and crash recovery.
//!
//! Throughput comes from batching every database write:
//! - submissions go through one writer task that inserts whatever requests
//!   are waiting in one transaction (group commit); each request is answered
//!   only after that commit, so an acknowledged job survives `kill -9`;
//! - a dispatcher claims a batch of jobs per statement (lease + fencing
//!   token) and runs them on blocking threads, `config.worker_count()` at once;
//! - finished jobs go to a writer task that commits their ends in batches.
//!
//! Workers wake on a [`Notify`] when this process accepts a job; on
//! PostgreSQL every transaction that queues jobs also sends
//! `NOTIFY qv_jobs_queued`, which each worker process LISTENs for, so jobs
//! submitted to another process (`qv serve --role api` + `qv worker`) start
//! at once too. A poll remains the fallback.
//! A heartbeat renews the leases this pool holds and learns of cancels made
//! by other processes; a recovery sweep re-queues jobs whose lease expired.
//!
//! Abuse limits (docs/server.md, "Abuse limits: jobs, results and memory"):
//! quotas per user are checked in the insert's transaction (429
//! `quota_exceeded`); claims follow fair share across users (see
//! `store::jobs::fair`); running jobs reserve their memory estimate from the
//! process's budget; validation of large programs and every simulation run
//! on big-stack threads ([`threads`]), so a deeply nested program cannot
//! overflow a stack and abort the process.

pub mod threads;
mod worker;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::{mpsc, oneshot, Notify};

use crate::config::Config;
use crate::events::Events;
use crate::exec::{self, SubmitOptions, Validated};
use crate::metrics::Metrics;
use crate::model::{new_id, now_ms, JobEvent, JobStatus};
use crate::service::{ErrorKind, ServiceError};
use crate::store::{Dialect, Inserted, JobLimits, JobRow, NewJob, Store, StoreError};
use threads::BigStackPool;

pub use worker::WorkerPool;

/// A job is FAILED after this many starts whose worker vanished.
pub const MAX_ATTEMPTS: i64 = 3;

/// Most submissions committed in one transaction.
const SUBMIT_BATCH: usize = 256;

/// Why a running job is being stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum StopReason {
    None = 0,
    User = 1,
    Timeout = 2,
    Shutdown = 3,
    LeaseLost = 4,
}

/// The cancel flag of a claimed job and why it was set.
#[derive(Debug)]
pub(crate) struct Control {
    pub(crate) flag: Arc<AtomicBool>,
    reason: AtomicU8,
    /// When this process claimed the job.
    pub(crate) claimed_at: std::time::Instant,
}

impl Default for Control {
    fn default() -> Self {
        Control {
            flag: Arc::default(),
            reason: AtomicU8::new(0),
            claimed_at: std::time::Instant::now(),
        }
    }
}

impl Control {
    /// Sets the flag; the first reason given sticks.
    pub(crate) fn stop(&self, reason: StopReason) {
        let _ = self.reason.compare_exchange(0, reason as u8, Ordering::AcqRel, Ordering::Acquire);
        self.flag.store(true, Ordering::Release);
    }

    pub(crate) fn reason(&self) -> StopReason {
        match self.reason.load(Ordering::Acquire) {
            1 => StopReason::User,
            2 => StopReason::Timeout,
            3 => StopReason::Shutdown,
            4 => StopReason::LeaseLost,
            _ => StopReason::None,
        }
    }
}

/// A submission waiting for the group commit.
struct SubmitRequest {
    job: NewJob,
    reply: oneshot::Sender<Result<Inserted, String>>,
}

/// What `POST /jobs` answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submitted {
    pub id: String,
    pub status: JobStatus,
    pub queue_position: Option<i64>,
    /// False when the idempotency key returned an earlier job.
    pub created: bool,
}

/// The fields of a submission besides the program (see [`crate::exec::SubmitOptions`]).
#[derive(Clone, Debug, Default)]
pub struct SubmitMeta {
    pub name: Option<String>,
    pub tags: Vec<String>,
    pub priority: i64,
    pub idempotency_key: Option<String>,
    /// Administrators only: ahead of every user's jobs (0: fair share).
    pub admin_priority: i64,
}

/// The job service.
#[derive(Debug)]
pub struct Jobs {
    pub(crate) store: Store,
    pub(crate) config: Arc<Config>,
    pub(crate) events: Events,
    pub(crate) metrics: Arc<Metrics>,
    /// Wakes this process's dispatcher when a job is accepted.
    pub(crate) wake: Arc<Notify>,
    /// Cancel flags of the jobs this process has claimed, by job id.
    pub(crate) running: Mutex<HashMap<String, Arc<Control>>>,
    submitter: OnceLock<mpsc::Sender<SubmitRequest>>,
    /// Big-stack threads validating large programs (started on first use).
    validator: OnceLock<BigStackPool>,
    /// Users who queued jobs since the dispatcher last looked: one not in
    /// its local batch makes it claim again at once (fair share).
    pub(crate) submitters: Mutex<std::collections::HashSet<String>>,
}

impl std::fmt::Debug for SubmitRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubmitRequest").field("job", &self.job.id).finish()
    }
}

impl Jobs {
    /// Builds the service.
    pub fn new(store: Store, config: Arc<Config>, events: Events, metrics: Arc<Metrics>) -> Jobs {
        Jobs {
            store,
            config,
            events,
            metrics,
            wake: Arc::new(Notify::new()),
            running: Mutex::new(HashMap::new()),
            submitter: OnceLock::new(),
            validator: OnceLock::new(),
            submitters: Mutex::new(Default::default()),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Publishes committed status changes in-process. On PostgreSQL the
    /// transaction notified `qv_job_events` and the platform's listener
    /// relays every notification (this process's included) into the bus.
    pub(crate) fn publish(&self, events: Vec<JobEvent>) {
        if self.store.dialect() == Dialect::Sqlite {
            for e in events {
                self.events.publish(e);
            }
        }
    }

    /// Validates a submission ([`exec::validate`]): small programs here,
    /// large or deeply nested ones on a big-stack thread.
    pub async fn validate(&self, opts: SubmitOptions) -> Result<Validated, ServiceError> {
        if !exec::needs_big_stack(&opts) {
            return exec::validate(&opts, &self.config);
        }
        let config = self.config.clone();
        self.on_big_stack(move || exec::validate(&opts, &config)).await?
    }

    /// Runs CPU work that may recurse deeply (parsing, expanding circuits)
    /// on one of a few big-stack threads; waits while they are all busy.
    pub async fn on_big_stack<F, R>(&self, f: F) -> Result<R, ServiceError>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let pool = match self.validator.get() {
            Some(p) => p,
            None => {
                let threads = self.config.worker_count().clamp(2, 4);
                let pool =
                    BigStackPool::new("qv-validate", threads, 64, threads::VALIDATION_STACK_BYTES)
                        .map_err(ServiceError::internal)?;
                self.validator.get_or_init(|| pool)
            }
        };
        pool.run(f).await.map_err(|e| ServiceError::internal(format!("validation thread: {e:?}")))
    }

    /// Queues a validated job for `user_id`; answers after the row is
    /// committed, or 429 `quota_exceeded` when a per-user quota is reached.
    pub async fn submit(
        &self,
        user_id: &str,
        validated: Validated,
        meta: SubmitMeta,
    ) -> Result<Submitted, ServiceError> {
        let spec = serde_json::to_string(&validated.spec).map_err(ServiceError::internal)?;
        let job = NewJob {
            id: new_id(),
            user_id: user_id.to_string(),
            name: meta.name,
            tags: meta.tags,
            priority: meta.priority,
            backend: validated.spec.backend.clone(),
            num_qubits: validated.num_qubits as i64,
            shots: validated.spec.shots as i64,
            spec,
            idempotency_key: meta.idempotency_key,
            created_at: now_ms(),
            memory_bytes: i64::try_from(validated.memory_bytes).unwrap_or(i64::MAX),
            admin_priority: meta.admin_priority,
        };
        let (reply, rx) = oneshot::channel();
        self.submitter()
            .send(SubmitRequest { job, reply })
            .await
            .map_err(|_| ServiceError::unavailable("the job queue is shutting down"))?;
        let inserted = rx
            .await
            .map_err(|_| ServiceError::unavailable("the job queue is shutting down"))?
            .map_err(ServiceError::internal)?;
        match inserted {
            // Answer from what was inserted (position counted in the insert's
            // transaction), whatever a worker has done since.
            Inserted::Created { id, queue_position } => {
                self.metrics.job_submitted();
                if let Ok(mut s) = self.submitters.lock() {
                    s.insert(user_id.to_string());
                }
                self.wake.notify_one();
                Ok(Submitted {
                    id,
                    status: JobStatus::Queued,
                    queue_position: Some(queue_position),
                    created: true,
                })
            }
            // A replay describes the job as it is now.
            Inserted::Existing { id, .. } => {
                let job = self.store.get_job(&id, Some(user_id)).await?;
                let queue_position = self.position_of(&job).await?;
                Ok(Submitted { id, status: job.status, queue_position, created: false })
            }
            Inserted::Refused { message } => {
                Err(ServiceError::new(ErrorKind::Exhausted, "quota_exceeded", message))
            }
        }
    }

    /// The queue position of a job (`None` unless it is queued).
    pub async fn position_of(&self, job: &JobRow) -> Result<Option<i64>, StoreError> {
        if job.status == JobStatus::Queued {
            Ok(Some(self.store.queue_position(job).await?))
        } else {
            Ok(None)
        }
    }

    /// The group-commit writer, started on first use (inside the runtime).
    fn submitter(&self) -> &mpsc::Sender<SubmitRequest> {
        self.submitter.get_or_init(|| {
            let (tx, rx) = mpsc::channel(4 * SUBMIT_BATCH);
            let limits = JobLimits {
                max_active_per_user: to_i64(self.config.max_active_jobs_per_user),
                max_result_bytes_per_user: to_i64(self.config.max_result_bytes_per_user),
            };
            tokio::spawn(submit_writer(self.store.clone(), self.events.clone(), rx, limits));
            tx
        })
    }

    /// Cancels a job (see [`Store::cancel_job`]); a running job of this
    /// process is told at once, one of another process at its next heartbeat.
    pub async fn cancel(&self, id: &str, user_id: Option<&str>) -> Result<JobRow, ServiceError> {
        let (job, events) = self.store.cancel_job(id, user_id).await?;
        self.publish(events);
        if job.status == JobStatus::Cancelling {
            if let Some(control) = self.running.lock().map_err(ServiceError::internal)?.get(&job.id)
            {
                control.stop(StopReason::User);
            }
        }
        Ok(job)
    }

    /// Number of queued jobs.
    pub async fn queue_depth(&self) -> Result<i64, ServiceError> {
        Ok(self.store.queue_depth().await?)
    }

    /// Starts `config.worker_count()` workers claiming jobs from the queue.
    /// They stop when `shutdown` turns true: running jobs get
    /// `config.shutdown_grace_s` to finish, then are put back in the queue.
    pub fn start_workers(
        self: &Arc<Self>,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> WorkerPool {
        worker::start(self.clone(), shutdown)
    }
}

/// Commits waiting submissions together and answers each.
async fn submit_writer(
    store: Store,
    events: Events,
    mut rx: mpsc::Receiver<SubmitRequest>,
    limits: JobLimits,
) {
    let mut batch = Vec::with_capacity(SUBMIT_BATCH);
    while rx.recv_many(&mut batch, SUBMIT_BATCH).await > 0 {
        let jobs: Vec<NewJob> = batch.iter().map(|r| r.job.clone()).collect();
        match store.insert_jobs_with(&jobs, &limits).await {
            Ok((inserted, published)) => {
                if store.dialect() == Dialect::Sqlite {
                    for e in published {
                        events.publish(e);
                    }
                }
                for (req, ins) in batch.drain(..).zip(inserted) {
                    let _ = req.reply.send(Ok(ins));
                }
            }
            // One bad row must not fail its neighbours: retry one by one.
            Err(_) if batch.len() > 1 => {
                for req in batch.drain(..) {
                    let one = store.insert_jobs_with(std::slice::from_ref(&req.job), &limits).await;
                    let answer = match one {
                        Ok((mut ins, published)) => {
                            if store.dialect() == Dialect::Sqlite {
                                for e in published {
                                    events.publish(e);
                                }
                            }
                            ins.pop().ok_or_else(|| "insert returned nothing".to_string())
                        }
                        Err(e) => Err(e.to_string()),
                    };
                    let _ = req.reply.send(answer);
                }
            }
            Err(e) => {
                for req in batch.drain(..) {
                    let _ = req.reply.send(Err(e.to_string()));
                }
            }
        }
    }
}

/// A configured size as the store's integer (saturating).
pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
