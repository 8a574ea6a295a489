//! The worker pool: a dispatcher that claims jobs in batches (fair share,
//! memory admission), a writer that commits job starts (each simulation
//! begins after its start, which counts an attempt, is committed),
//! executions on big-stack threads, a writer that commits job ends in
//! batches, a heartbeat that renews leases, a recovery sweep and, on
//! PostgreSQL, a listener that wakes the dispatcher when any process queues
//! jobs.
//!
//! Memory admission: every claimed job reserves its memory estimate from
//! the process's budget (`max_memory_bytes`) until it ends; a claim only
//! takes jobs that fit what is free. A job that does not fit is skipped, so
//! smaller jobs behind it still run; once it has waited [`STARVE_AFTER`],
//! the dispatcher claims nothing else until it fits, then claims it first.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch, Notify, Semaphore};

use super::threads::{BigStackPool, WORKER_STACK_BYTES};
use super::{Control, Jobs, StopReason, MAX_ATTEMPTS};
use crate::exec::{self, ExecError, JobSpec};
use crate::model::{new_id, now_ms, JobStatus};
use crate::store::{ClaimRequest, Claimed, Dialect, Finish, Outcome, JOBS_QUEUED_CHANNEL};

/// How often an idle dispatcher looks for jobs without being woken (jobs
/// queued elsewhere while the PostgreSQL listener is down, or on SQLite by
/// another tool).
const POLL: Duration = Duration::from_millis(500);

/// Most jobs claimed at once (see `dispatch`).
const MAX_CLAIM: usize = 128;

/// A claim whose jobs all started within this time may grow.
const FAST_DRAIN: Duration = Duration::from_millis(50);

/// Most job ends (or starts) committed in one transaction.
const FINISH_BATCH: usize = 512;

/// Jobs whose memory estimate is at least this (16 qubits of state vector)
/// use every core and count against `workers`.
const BIG_JOB_BYTES: i64 = 1 << 20;

/// Small jobs (single-threaded, short) may run this many per worker at once.
/// Each job waits for the commit of its start before it simulates (so that
/// `attempts` counts real starts); overlapping several small jobs per core
/// keeps the cores busy during those commits, while every job still starts
/// on its own thread the moment its start is committed.
const SMALL_JOB_OVERLAP: usize = 8;

/// A job skipped for memory this long makes the dispatcher stop claiming
/// other jobs until enough memory is free for it (it must not starve while
/// smaller jobs keep filling the budget).
const STARVE_AFTER: Duration = Duration::from_secs(30);

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
    let (start_tx, start_rx) = mpsc::unbounded_channel();
    let starter = tokio::spawn(start_writer(jobs.clone(), start_rx));
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
        // Registered first, so backends show online as soon as jobs can run.
        let stale_before = now_ms() - 2 * lease(&jobs).as_millis() as i64;
        if let Err(e) = jobs
            .store
            .register_worker(&owner, &host_name(), &crate::exec::BACKENDS, stale_before)
            .await
        {
            tracing::error!(error = %e, "registering the worker pool failed");
        }
        match jobs.store.recover_jobs(MAX_ATTEMPTS, others).await {
            Ok(events) => jobs.publish(events),
            Err(e) => tracing::error!(error = %e, "startup recovery failed"),
        }
        let workers = jobs.config.worker_count().max(1);
        let threads = workers * SMALL_JOB_OVERLAP;
        match BigStackPool::new("qv-worker", threads, threads, WORKER_STACK_BYTES) {
            Ok(runner) => {
                let ctx = Ctx {
                    jobs: jobs.clone(),
                    runner,
                    start_tx,
                    reserved: Arc::new(AtomicI64::new(0)),
                    freed: Arc::new(Notify::new()),
                };
                dispatch(ctx, owner.clone(), shutdown, finish_tx).await;
            }
            Err(e) => tracing::error!(error = %e, "cannot start worker threads; no job will run"),
        }
        let _ = stop_tx.send(true);
        let _ = writer.await;
        let _ = starter.await;
        let _ = heartbeat.await;
        let _ = recovery.await;
        if let Some(listener) = listener {
            let _ = listener.await;
        }
        if let Err(e) = jobs.store.remove_worker(&owner).await {
            tracing::warn!(error = %e, "unregistering the worker pool failed");
        }
    });
    WorkerPool { tasks: vec![dispatcher] }
}

/// What every execution of this pool shares.
#[derive(Clone)]
struct Ctx {
    jobs: Arc<Jobs>,
    /// Big-stack threads that run the simulations.
    runner: BigStackPool,
    /// Start marks, committed before each simulation begins.
    start_tx: mpsc::UnboundedSender<(String, i64, oneshot::Sender<bool>)>,
    /// Memory estimates of the jobs this pool holds (claimed or running).
    reserved: Arc<AtomicI64>,
    /// Notified whenever a job ends (memory may have become free).
    freed: Arc<Notify>,
}

/// Claimed jobs waiting here for a worker, one queue per user, taken in
/// turns: jobs with an `admin_priority` first, then the user whose last
/// start in this process is oldest.
#[derive(Default)]
struct Local {
    users: HashMap<String, VecDeque<Claimed>>,
    /// Sequence number of each user's last start.
    last_start: HashMap<String, u64>,
    seq: u64,
    len: usize,
}

impl Local {
    fn push(&mut self, job: Claimed) {
        let q = self.users.entry(job.user_id.clone()).or_default();
        let key = |c: &Claimed| (-c.admin_priority, -c.priority, c.created_at);
        // Claims arrive in order: usually the job goes last.
        let at = match q.back() {
            Some(last) if key(last) > key(&job) => {
                q.iter().position(|c| key(c) > key(&job)).unwrap_or(q.len())
            }
            _ => q.len(),
        };
        q.insert(at, job);
        self.len += 1;
    }

    fn pop(&mut self) -> Option<Claimed> {
        let urgent = self
            .users
            .iter()
            .filter_map(|(u, q)| q.front().filter(|c| c.admin_priority > 0).map(|c| (u, c)))
            .max_by_key(|(_, c)| (c.admin_priority, -c.created_at))
            .map(|(u, _)| u.clone());
        let user = urgent.or_else(|| {
            self.users
                .keys()
                .min_by_key(|u| (self.last_start.get(*u).copied().unwrap_or(0), (*u).clone()))
                .cloned()
        })?;
        let q = self.users.get_mut(&user)?;
        let job = q.pop_front()?;
        if q.is_empty() {
            self.users.remove(&user);
        }
        self.len -= 1;
        self.seq += 1;
        if self.last_start.len() > 10_000 {
            self.last_start.retain(|u, _| self.users.contains_key(u));
        }
        self.last_start.insert(user, self.seq);
        Some(job)
    }

    fn drain(&mut self) -> Vec<Claimed> {
        self.len = 0;
        self.users.drain().flat_map(|(_, q)| q).collect()
    }
}

/// Claims and starts jobs until shutdown, then drains.
async fn dispatch(
    ctx: Ctx,
    owner: String,
    mut shutdown: watch::Receiver<bool>,
    finish_tx: mpsc::UnboundedSender<Ended>,
) {
    let jobs = ctx.jobs.clone();
    let workers = jobs.config.worker_count().max(1);
    // Up to SMALL_JOB_OVERLAP × workers jobs at once, of which at most
    // `workers` big ones (see SMALL_JOB_OVERLAP).
    let slots = Arc::new(Semaphore::new(workers * SMALL_JOB_OVERLAP));
    let big = Arc::new(Semaphore::new(workers));
    // A few claimed jobs wait locally so a claim serves several executions.
    // While a full claim drains quickly (short jobs, long queue), the claim
    // grows, up to MAX_CLAIM (a claim costs about the same for 8 jobs as for
    // 128). Slow jobs bring it back down, so long jobs are not held here
    // while other workers idle. A user who submits while none of their jobs
    // wait here makes the dispatcher claim again at once (a small batch), so
    // a long local batch of another user's jobs does not delay them.
    let base = (workers * 4).clamp(4, 64);
    let mut batch = base;
    let mut drained_since: Option<(Instant, bool)> = None;
    let lease_ms = lease(&jobs).as_millis() as i64;
    let budget = crate::jobs::to_i64(crate::exec::running_memory_budget(&jobs.config));
    let mut local = Local::default();
    // A job skipped for memory: (id, bytes, since).
    let mut starving: Option<(String, i64, Instant)> = None;
    loop {
        if *shutdown.borrow() {
            break;
        }
        let newcomers = jobs
            .submitters
            .lock()
            .map(|mut s| {
                let fresh = s.iter().any(|u| !local.users.contains_key(u));
                s.clear();
                fresh
            })
            .unwrap_or(false);
        if local.len == 0 || (newcomers && local.len < MAX_CLAIM * 2) {
            let size = if local.len == 0 {
                if let Some((at, full)) = drained_since.take() {
                    batch = if full && at.elapsed() < FAST_DRAIN {
                        (batch * 2).min(MAX_CLAIM.max(base))
                    } else {
                        (batch / 2).max(base)
                    };
                }
                batch
            } else {
                workers
            };
            let free = budget - ctx.reserved.load(Ordering::Acquire);
            // A job that waited for memory long enough is taken first once
            // it fits; until then nothing else may take memory.
            let (free, prefer) = match &starving {
                Some((id, bytes, since)) if since.elapsed() >= STARVE_AFTER => {
                    if free >= *bytes {
                        (free, Some(id.clone()))
                    } else {
                        (0, None)
                    }
                }
                _ => (free, None),
            };
            let req = ClaimRequest {
                owner: &owner,
                max: size as i64,
                lease_ms,
                free_memory: free.max(0),
                prefer: prefer.as_deref(),
            };
            match jobs.store.claim_jobs_with(&req).await {
                Ok(claims) => {
                    let claimed = claims.claimed;
                    if local.len == 0 && !claimed.is_empty() {
                        drained_since = Some((Instant::now(), claimed.len() == size));
                    }
                    jobs.publish(claims.events);
                    let waited_for = starving.as_ref().map(|(id, _, _)| id.clone());
                    if let Some(id) = waited_for {
                        if prefer.is_some() || claimed.iter().any(|c| c.id == id) {
                            starving = None;
                        }
                    }
                    if let Some((id, bytes)) = claims.skipped_for_memory {
                        // One over the whole budget (validated by a process
                        // with a larger one) can never run here: not waited for.
                        if starving.is_none() && bytes <= budget {
                            tracing::info!(job_id = %id, bytes, "job waits for memory");
                            starving = Some((id, bytes, Instant::now()));
                        }
                    }
                    if let Ok(mut running) = jobs.running.lock() {
                        for c in &claimed {
                            running.insert(c.id.clone(), Arc::new(Control::default()));
                        }
                    }
                    for c in claimed {
                        ctx.reserved.fetch_add(c.memory_bytes, Ordering::AcqRel);
                        local.push(c);
                    }
                }
                Err(e) => tracing::error!(error = %e, "claiming jobs failed"),
            }
            if local.len == 0 {
                tokio::select! {
                    _ = jobs.wake.notified() => {}
                    _ = ctx.freed.notified(), if starving.is_some() => {}
                    _ = tokio::time::sleep(POLL) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
        }
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = shutdown.changed() => continue,
            // Look for newcomers (fair share) while every worker is busy.
            _ = jobs.wake.notified() => continue,
        };
        let Some(job) = local.pop() else { continue };
        let ctx2 = ctx.clone();
        let tx = finish_tx.clone();
        let big = (job.memory_bytes >= BIG_JOB_BYTES).then(|| big.clone());
        // Small jobs ask for their start here, so starts are recorded in the
        // order jobs leave the local queue; a big one once it has a big slot.
        let early = match big {
            None => Some(request_start(&ctx, &job)),
            Some(_) => None,
        };
        tokio::spawn(async move {
            let memory = job.memory_bytes;
            let big_permit = match big {
                Some(big) => big.acquire_owned().await.ok(),
                None => None,
            };
            let started = match early {
                Some(rx) => rx,
                None => request_start(&ctx2, &job),
            };
            let finish = run_one(&ctx2, job, started).await;
            drop(big_permit);
            drop(permit);
            // The memory stays reserved until the end is committed, so the
            // next job's start is never recorded before this one's end.
            let (ack, committed) = oneshot::channel();
            let _ = tx.send((finish, Some(ack)));
            let _ = committed.await;
            ctx2.reserved.fetch_sub(memory, Ordering::AcqRel);
            ctx2.freed.notify_one();
        });
    }
    // Stop: give back what was claimed but not started.
    for job in local.drain() {
        forget(&jobs, &job.id);
        ctx.reserved.fetch_sub(job.memory_bytes, Ordering::AcqRel);
        let finish = Finish {
            job_id: job.id,
            fence: job.fence,
            shots: job.shots,
            execution_ms: 0,
            outcome: Outcome::Released,
        };
        let _ = finish_tx.send((finish, None));
    }
    // Running jobs get the grace period, then are stopped and re-queued.
    let grace = Duration::from_secs(jobs.config.shutdown_grace_s);
    let all = u32::try_from(workers * SMALL_JOB_OVERLAP).unwrap_or(u32::MAX);
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

/// Asks the start writer to record `job`'s start; the answer says whether
/// it may run.
fn request_start(ctx: &Ctx, job: &Claimed) -> oneshot::Receiver<bool> {
    let (reply, started) = oneshot::channel();
    let _ = ctx.start_tx.send((job.id.clone(), job.fence, reply));
    started
}

/// Runs one claimed job to its end (with the timeout) and says how it
/// ended: once `started` says its start is committed (it counts an
/// attempt), the simulation runs on a big-stack thread.
async fn run_one(ctx: &Ctx, job: Claimed, started: oneshot::Receiver<bool>) -> Finish {
    let jobs = &ctx.jobs;
    let control =
        jobs.running.lock().ok().and_then(|r| r.get(&job.id).cloned()).unwrap_or_default();
    if !started.await.unwrap_or(false) {
        // No longer ours (lease lost) or shutting down: whatever we write is fenced off.
        forget(jobs, &job.id);
        return Finish {
            job_id: job.id,
            fence: job.fence,
            shots: job.shots,
            execution_ms: 0,
            outcome: Outcome::Released,
        };
    }
    let start = Instant::now();
    let timeout_s = jobs.config.job_timeout_s;
    let max_result = jobs.config.max_result_bytes;
    let result = match serde_json::from_str::<JobSpec>(&job.spec) {
        Err(e) => Err(ExecError::Failed(format!("the stored job cannot be read: {e}"))),
        Ok(spec) => {
            let config = jobs.config.clone();
            let flag = control.flag.clone();
            let run = ctx.runner.run(move || exec::execute(&spec, &config, flag));
            tokio::pin!(run);
            let joined = match tokio::time::timeout(Duration::from_secs(timeout_s), &mut run).await
            {
                Ok(joined) => joined,
                Err(_) => {
                    control.stop(StopReason::Timeout);
                    run.await
                }
            };
            joined.unwrap_or_else(|e| {
                tracing::error!(job_id = %job.id, error = ?e, "simulation stopped unexpectedly");
                Err(ExecError::Failed("internal error: the simulator stopped unexpectedly".into()))
            })
        }
    };
    forget(jobs, &job.id);
    let elapsed = start.elapsed();
    let (outcome, backend, status) = match result {
        Ok(done) => {
            // Stored without `job_id`, which is added when it is served.
            let text = match serde_json::to_string(&done.result) {
                Ok(text) => text,
                Err(e) => {
                    tracing::error!(job_id = %job.id, error = %e, "result not serialisable");
                    "{}".to_string()
                }
            };
            if text.len() as u64 > max_result {
                let error = format!(
                    "the result takes {} bytes, over the limit of {max_result} bytes per job \
                     (max_result_bytes); it was not stored",
                    text.len()
                );
                (Outcome::Failed { error }, done.backend, JobStatus::Failed)
            } else {
                (
                    Outcome::Completed { result: text, backend_used: done.backend.clone() },
                    done.backend,
                    JobStatus::Completed,
                )
            }
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

/// Commits start marks in batches ([`crate::store::Store::start_jobs`])
/// and tells each job whether it may start.
async fn start_writer(
    jobs: Arc<Jobs>,
    mut rx: mpsc::UnboundedReceiver<(String, i64, oneshot::Sender<bool>)>,
) {
    let mut batch = Vec::with_capacity(FINISH_BATCH);
    while rx.recv_many(&mut batch, FINISH_BATCH).await > 0 {
        let marks: Vec<(String, i64)> = batch.iter().map(|(id, f, _)| (id.clone(), *f)).collect();
        let mut delay = Duration::from_millis(50);
        let started = loop {
            match jobs.store.start_jobs(&marks).await {
                Ok(started) => break started,
                Err(e) => {
                    tracing::error!(error = %e, jobs = marks.len(), "recording job starts failed");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        };
        for (id, _, reply) in batch.drain(..) {
            let _ = reply.send(started.contains(&id));
        }
    }
}

/// A job's end and who waits for its commit.
type Ended = (Finish, Option<oneshot::Sender<()>>);

/// Commits job ends in batches until every sender is gone.
async fn finish_writer(jobs: Arc<Jobs>, mut rx: mpsc::UnboundedReceiver<Ended>) {
    let mut ended = Vec::with_capacity(FINISH_BATCH);
    while rx.recv_many(&mut ended, FINISH_BATCH).await > 0 {
        let (batch, acks): (Vec<Finish>, Vec<_>) = ended.drain(..).unzip();
        // A failed commit is retried: the leases stay ours meanwhile (the
        // heartbeat renews them), and the fence makes a retry harmless.
        let mut delay = Duration::from_millis(50);
        loop {
            let cap = super::to_i64(jobs.config.max_result_bytes_per_user);
            match jobs.store.finish_jobs_with(&batch, cap).await {
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
        for ack in acks.into_iter().flatten() {
            let _ = ack.send(());
        }
    }
}

/// The machine's name, as worker pools register it.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().chars().take(253).collect())
        .filter(|h: &String| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Renews this pool's heartbeat and leases, and stops jobs cancelled by other processes or
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
        if let Err(e) = jobs.store.worker_heartbeat(&owner).await {
            tracing::error!(error = %e, "renewing the worker heartbeat failed");
        }
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
