//! The worker pool: a dispatcher that claims jobs in batches, executions on
//! blocking threads, a writer that commits job ends in batches, a heartbeat
//! that renews leases, a recovery sweep and, on PostgreSQL, a listener that
//! wakes the dispatcher when any process queues jobs.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch, Notify, Semaphore};

use super::{Control, Jobs, StopReason, MAX_ATTEMPTS};
use crate::exec::{self, ExecError, JobSpec};
use crate::model::{new_id, JobStatus};
use crate::store::{Claimed, Dialect, Finish, Outcome, JOBS_QUEUED_CHANNEL};

/// How often an idle dispatcher looks for jobs without being woken (jobs
/// queued elsewhere while the PostgreSQL listener is down, or on SQLite by
/// another tool).
const POLL: Duration = Duration::from_millis(500);

/// Most jobs claimed at once (see `dispatch`).
const MAX_CLAIM: usize = 128;

/// A claim whose jobs all started within this time may grow.
const FAST_DRAIN: Duration = Duration::from_millis(50);

/// Most job ends committed in one transaction.
const FINISH_BATCH: usize = 512;

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

pub(super) fn start(jobs: Arc<Jobs>, shutdown: watch::Receiver<bool>) -> WorkerPool {
    let owner = format!("worker-{}", new_id());
    let (finish_tx, finish_rx) = mpsc::unbounded_channel();
    let writer = tokio::spawn(finish_writer(jobs.clone(), finish_rx));
    let (stop_tx, stop_rx) = watch::channel(false);
    let heartbeat = tokio::spawn(heartbeat(jobs.clone(), owner.clone(), stop_rx.clone()));
    let recovery = tokio::spawn(recovery(jobs.clone(), stop_rx.clone()));
    let listener = jobs
        .store
        .pg_pool()
        .map(|pool| tokio::spawn(listen_for_jobs(pool.clone(), jobs.wake.clone(), stop_rx)));
    let dispatcher = tokio::spawn(async move {
        // Startup recovery first, so jobs of a crashed process run again now.
        // With SQLite this process owns the database: every lease is a dead one's.
        let others = (jobs.store.dialect() == Dialect::Sqlite).then_some(owner.as_str());
        match jobs.store.recover_jobs(MAX_ATTEMPTS, others).await {
            Ok(events) => jobs.publish(events),
            Err(e) => tracing::error!(error = %e, "startup recovery failed"),
        }
        dispatch(jobs, owner, shutdown, finish_tx).await;
        let _ = stop_tx.send(true);
        let _ = writer.await;
        let _ = heartbeat.await;
        let _ = recovery.await;
        if let Some(listener) = listener {
            let _ = listener.await;
        }
    });
    WorkerPool { tasks: vec![dispatcher] }
}

/// Claims and starts jobs until shutdown, then drains.
async fn dispatch(
    jobs: Arc<Jobs>,
    owner: String,
    mut shutdown: watch::Receiver<bool>,
    finish_tx: mpsc::UnboundedSender<Finish>,
) {
    let workers = jobs.config.worker_count().max(1);
    let slots = Arc::new(Semaphore::new(workers));
    // A few claimed jobs wait locally so a claim serves several executions.
    // While a full claim drains quickly (short jobs, long queue), the claim
    // grows, up to MAX_CLAIM: every claim ranks the queue's head for fair
    // share, which costs the same for 8 jobs as for 128. Slow jobs bring it
    // back down, so long jobs are not held here while other workers idle.
    let base = (workers * 4).clamp(4, 64);
    let mut batch = base;
    let mut drained_since: Option<(Instant, bool)> = None;
    let lease_ms = lease(&jobs).as_millis() as i64;
    let mut local: VecDeque<Claimed> = VecDeque::new();
    loop {
        if *shutdown.borrow() {
            break;
        }
        if local.is_empty() {
            if let Some((at, full)) = drained_since.take() {
                batch = if full && at.elapsed() < FAST_DRAIN {
                    (batch * 2).min(MAX_CLAIM.max(base))
                } else {
                    (batch / 2).max(base)
                };
            }
            match jobs.store.claim_jobs(&owner, batch as i64, lease_ms).await {
                Ok((claimed, events)) => {
                    if !claimed.is_empty() {
                        drained_since = Some((Instant::now(), claimed.len() == batch));
                    }
                    jobs.publish(events);
                    if let Ok(mut running) = jobs.running.lock() {
                        for c in &claimed {
                            running.insert(c.id.clone(), Arc::new(Control::default()));
                        }
                    }
                    local.extend(claimed);
                }
                Err(e) => tracing::error!(error = %e, "claiming jobs failed"),
            }
            if local.is_empty() {
                tokio::select! {
                    _ = jobs.wake.notified() => {}
                    _ = tokio::time::sleep(POLL) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
        }
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = shutdown.changed() => continue,
        };
        let Some(job) = local.pop_front() else { continue };
        let jobs2 = jobs.clone();
        let tx = finish_tx.clone();
        tokio::spawn(async move {
            let finish = run_one(&jobs2, job).await;
            drop(permit);
            let _ = tx.send(finish);
        });
    }
    // Stop: give back what was claimed but not started.
    for job in local.drain(..) {
        forget(&jobs, &job.id);
        let finish = Finish {
            job_id: job.id,
            fence: job.fence,
            shots: job.shots,
            execution_ms: 0,
            outcome: Outcome::Released,
        };
        let _ = finish_tx.send(finish);
    }
    // Running jobs get the grace period, then are stopped and re-queued.
    let grace = Duration::from_secs(jobs.config.shutdown_grace_s);
    let all = u32::try_from(workers).unwrap_or(u32::MAX);
    if tokio::time::timeout(grace, slots.acquire_many(all)).await.is_err() {
        if let Ok(running) = jobs.running.lock() {
            for control in running.values() {
                control.stop(StopReason::Shutdown);
            }
        }
        let _ = slots.acquire_many(all).await;
    }
}

fn lease(jobs: &Jobs) -> Duration {
    Duration::from_secs(jobs.config.lease_s.max(1))
}

fn forget(jobs: &Jobs, id: &str) {
    if let Ok(mut running) = jobs.running.lock() {
        running.remove(id);
    }
}

/// Runs one claimed job to its end (with the timeout) and says how it ended.
async fn run_one(jobs: &Arc<Jobs>, job: Claimed) -> Finish {
    let control =
        jobs.running.lock().ok().and_then(|r| r.get(&job.id).cloned()).unwrap_or_default();
    let start = Instant::now();
    let timeout_s = jobs.config.job_timeout_s;
    let result = match serde_json::from_str::<JobSpec>(&job.spec) {
        Err(e) => Err(ExecError::Failed(format!("the stored job cannot be read: {e}"))),
        Ok(spec) => {
            let config = jobs.config.clone();
            let flag = control.flag.clone();
            let mut handle =
                tokio::task::spawn_blocking(move || exec::execute(&spec, &config, flag));
            let joined =
                match tokio::time::timeout(Duration::from_secs(timeout_s), &mut handle).await {
                    Ok(joined) => joined,
                    Err(_) => {
                        control.stop(StopReason::Timeout);
                        handle.await
                    }
                };
            joined.unwrap_or_else(|e| {
                tracing::error!(job_id = %job.id, error = %e, "simulation panicked");
                Err(ExecError::Failed("internal error: the simulator stopped unexpectedly".into()))
            })
        }
    };
    forget(jobs, &job.id);
    let elapsed = start.elapsed();
    let (outcome, backend, status) = match result {
        Ok(done) => {
            let mut result = done.result;
            if let Some(obj) = result.as_object_mut() {
                obj.remove("job_id");
            }
            let text = result.to_string();
            (
                Outcome::Completed { result: text, backend_used: done.backend.clone() },
                done.backend,
                JobStatus::Completed,
            )
        }
        Err(ExecError::Failed(error)) => {
            (Outcome::Failed { error }, "unknown".to_string(), JobStatus::Failed)
        }
        Err(ExecError::Cancelled) => match control.reason() {
            StopReason::Timeout => (
                Outcome::Failed { error: format!("timed out after {timeout_s} s") },
                "unknown".to_string(),
                JobStatus::Failed,
            ),
            // Shutdown, or a lease another worker now holds (that write is
            // fenced off anyway): the job goes back to the queue.
            StopReason::Shutdown | StopReason::LeaseLost => {
                (Outcome::Released, "unknown".to_string(), JobStatus::Queued)
            }
            StopReason::User | StopReason::None => {
                (Outcome::Cancelled, "unknown".to_string(), JobStatus::Cancelled)
            }
        },
    };
    if status != JobStatus::Queued {
        jobs.metrics.simulation(&backend, status, elapsed.as_secs_f64());
    }
    Finish {
        job_id: job.id,
        fence: job.fence,
        shots: job.shots,
        execution_ms: i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX),
        outcome,
    }
}

/// Commits job ends in batches until every sender is gone.
async fn finish_writer(jobs: Arc<Jobs>, mut rx: mpsc::UnboundedReceiver<Finish>) {
    let mut batch = Vec::with_capacity(FINISH_BATCH);
    while rx.recv_many(&mut batch, FINISH_BATCH).await > 0 {
        // A failed commit is retried: the leases stay ours meanwhile (the
        // heartbeat renews them), and the fence makes a retry harmless.
        let mut delay = Duration::from_millis(50);
        loop {
            match jobs.store.finish_jobs(&batch).await {
                Ok((_, events)) => {
                    jobs.publish(events);
                    break;
                }
                Err(e) => {
                    tracing::error!(error = %e, jobs = batch.len(), "writing job results failed");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
        batch.clear();
    }
}

/// Renews this pool's leases and stops jobs cancelled by other processes or
/// whose lease was lost.
async fn heartbeat(jobs: Arc<Jobs>, owner: String, mut stop: watch::Receiver<bool>) {
    let lease = lease(&jobs);
    let every = (lease / 3).max(Duration::from_millis(200));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        let renewed_at = Instant::now();
        let held = match jobs.store.renew_leases(&owner, lease.as_millis() as i64).await {
            Ok(held) => held,
            Err(e) => {
                tracing::error!(error = %e, "renewing leases failed");
                continue;
            }
        };
        let Ok(running) = jobs.running.lock() else { continue };
        for (id, status, _) in &held {
            if *status == JobStatus::Cancelling {
                if let Some(c) = running.get(id) {
                    c.stop(StopReason::User);
                }
            }
        }
        for (id, control) in running.iter() {
            // A job claimed after the renewal started is not in `held` yet.
            if control.claimed_at < renewed_at && !held.iter().any(|(h, _, _)| h == id) {
                // Not ours any more (recovered after an expired lease, or
                // being written right now: then the flag is harmless).
                control.stop(StopReason::LeaseLost);
            }
        }
    }
}

/// Re-queues jobs whose lease expired (their worker died).
async fn recovery(jobs: Arc<Jobs>, mut stop: watch::Receiver<bool>) {
    let every = (lease(&jobs) / 2).max(Duration::from_millis(500));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        match jobs.store.recover_jobs(MAX_ATTEMPTS, None).await {
            Ok(events) => {
                if events.iter().any(|e| e.status == JobStatus::Queued) {
                    jobs.wake.notify_one();
                }
                jobs.publish(events);
            }
            Err(e) => tracing::error!(error = %e, "recovering expired leases failed"),
        }
    }
}

/// Wakes the dispatcher on every `NOTIFY qv_jobs_queued` (sent by the
/// transaction of any process that queued jobs), so a job submitted to
/// another process starts without waiting for the poll. Reconnects with
/// backoff; while it is down the poll finds the jobs.
async fn listen_for_jobs(pool: sqlx::PgPool, wake: Arc<Notify>, mut stop: watch::Receiver<bool>) {
    let mut backoff = Duration::from_millis(200);
    loop {
        let connect = async {
            let mut l = sqlx::postgres::PgListener::connect_with(&pool).await?;
            l.listen(JOBS_QUEUED_CHANNEL).await?;
            Ok::<_, sqlx::Error>(l)
        };
        let connected = tokio::select! {
            l = connect => l,
            _ = stop.wait_for(|v| *v) => return,
        };
        match connected {
            Ok(mut listener) => {
                backoff = Duration::from_millis(200);
                // Jobs queued while nobody listened are claimed now.
                wake.notify_one();
                loop {
                    tokio::select! {
                        n = listener.try_recv() => match n {
                            Ok(Some(_)) => wake.notify_one(),
                            // Reconnected (sqlx does it): notifications in the
                            // gap are lost, so look at the queue once.
                            Ok(None) => {
                                tracing::warn!("job listener: connection lost; reconnected");
                                wake.notify_one();
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "job listener failed; reconnecting");
                                break;
                            }
                        },
                        _ = stop.wait_for(|v| *v) => return,
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "job listener: cannot LISTEN; retrying in {backoff:?}");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.wait_for(|v| *v) => return,
        }
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}
