//! Jobs, the durable queue, job events and usage.
//!
//! Every status change writes a `job_events` row in the same transaction and
//! returns the [`JobEvent`]s so that the caller publishes them after commit
//! (SQLite); on PostgreSQL the transaction also runs `pg_notify` so that
//! every process sharing the database hears them, and notifies
//! [`JOBS_QUEUED_CHANNEL`] when it queued jobs.
//!
//! Every transaction that changes a job's state also updates its owner's row
//! of `user_job_stats` (queued and running counts, stored result bytes, last
//! claim time), so quotas and fair share read one row per user instead of
//! counting the queue.
//!
//! Queue (claims in `fair.rs`): a claim takes a batch of `QUEUED` jobs,
//! bumps each job's fencing token (`fence`) and gives the caller a lease.
//! Order: jobs an administrator gave an `admin_priority`, then round-robin
//! over users (fewest running first, then the one whose last claim is
//! oldest), each user's jobs by their own `priority`, then age. Every later
//! write by the worker names the fence, so a worker whose lease expired and
//! whose job was claimed again cannot complete it a second time. `attempts`
//! counts starts ([`Store::start_jobs`]), not claims.

use sqlx::Row;

use super::{Dialect, Store, StoreError};
use crate::model::{now_ms, rfc3339, JobEvent, JobStatus};

/// The PostgreSQL channel notified when a transaction queues jobs (new,
/// given back, or recovered), so idle workers in every process claim them.
pub const JOBS_QUEUED_CHANNEL: &str = "qv_jobs_queued";

/// Queue positions are counted exactly up to this many; a job further back
/// reports one more (counting a user's whole backlog per submission is O(queue)).
pub const QUEUE_POSITION_CAP: i64 = 1000;

/// A job to insert.
#[derive(Clone, Debug)]
pub struct NewJob {
    pub id: String,
    pub user_id: String,
    pub name: Option<String>,
    pub tags: Vec<String>,
    pub priority: i64,
    pub backend: String,
    pub num_qubits: i64,
    pub shots: i64,
    /// JSON of [`crate::exec::JobSpec`].
    pub spec: String,
    pub idempotency_key: Option<String>,
    pub created_at: i64,
    /// Estimated peak memory of the simulation (memory admission).
    pub memory_bytes: i64,
    /// Set by administrators only: claimed before every user's jobs, higher first.
    pub admin_priority: i64,
}

/// Per-user quotas checked when jobs are inserted (0: no limit).
#[derive(Clone, Copy, Debug, Default)]
pub struct JobLimits {
    /// Most queued + running jobs per user.
    pub max_active_per_user: i64,
    /// New jobs are refused while a user's stored results take this many bytes.
    pub max_result_bytes_per_user: i64,
}

/// What an insert did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// A new job and its 1-based queue position, counted in the inserting
    /// transaction (see [`Store::queue_position`]).
    Created { id: String, queue_position: i64 },
    /// The idempotency key was used before: the original job.
    Existing { id: String, status: JobStatus },
    /// Not inserted: a quota of [`JobLimits`] is reached (message for the user).
    Refused { message: String },
}

/// A stored job (without its result; the spec only where asked for).
#[derive(Clone, Debug, PartialEq)]
pub struct JobRow {
    pub id: String,
    pub user_id: String,
    pub name: Option<String>,
    pub tags: Vec<String>,
    pub status: JobStatus,
    pub priority: i64,
    pub backend: String,
    pub backend_used: Option<String>,
    pub num_qubits: i64,
    pub shots: i64,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub execution_ms: Option<i64>,
    pub error: Option<String>,
    pub attempts: i64,
    /// JSON of [`crate::exec::JobSpec`], read by [`Store::get_job_with_spec`]
    /// and listings with [`JobFilter::with_spec`] only.
    pub spec: Option<String>,
}

/// A job claimed by a worker.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub id: String,
    pub user_id: String,
    pub spec: String,
    pub fence: i64,
    pub attempts: i64,
    pub shots: i64,
    /// The owner's ordering of their own jobs.
    pub priority: i64,
    pub admin_priority: i64,
    pub created_at: i64,
    /// Estimated peak memory (reserved from the worker's budget while it runs).
    pub memory_bytes: i64,
}

/// How a claimed job ended.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Ran to completion: the result JSON, the backend that ran it.
    Completed { result: String, backend_used: String },
    /// Failed with a message for the user.
    Failed { error: String },
    /// Stopped because the user cancelled it.
    Cancelled,
    /// Given back unfinished (graceful shutdown): queued again, the attempt not counted.
    Released,
}

/// A worker's write of a job's end, guarded by the fence of its claim.
#[derive(Clone, Debug)]
pub struct Finish {
    pub job_id: String,
    pub fence: i64,
    pub shots: i64,
    pub execution_ms: i64,
    pub outcome: Outcome,
}

/// Filters of a job listing.
#[derive(Clone, Debug, Default)]
pub struct JobFilter {
    /// Only this user's jobs (`None`: every user's, for admins).
    pub user_id: Option<String>,
    pub status: Option<JobStatus>,
    pub tag: Option<String>,
    /// Requested or used backend.
    pub backend: Option<String>,
    pub created_after: Option<i64>,
    pub created_before: Option<i64>,
    /// Continue after this `(created_at, id)`.
    pub after: Option<(i64, String)>,
    pub limit: i64,
    /// Read each job's spec too ([`JobRow::spec`]).
    pub with_spec: bool,
}

/// A job's stored result or why there is none.
#[derive(Clone, Debug)]
pub struct StoredResult {
    pub status: JobStatus,
    pub result: Option<String>,
    pub error: Option<String>,
}

const JOB_COLUMNS: &str = "id, user_id, name, tags, status, priority, backend, backend_used, \
    num_qubits, shots, created_at, started_at, ended_at, execution_ms, error, attempts";

/// A value bound to a dynamically built query.
enum Arg {
    Int(i64),
    Text(String),
}

/// Runs `$body` in a write transaction `$tx`: `BEGIN IMMEDIATE` on SQLite
/// (takes the write lock up front, so a read-then-write transaction cannot
/// fail with a stale snapshot), a plain transaction on PostgreSQL. The body
/// commits.
macro_rules! with_tx {
    ($store:expr, $tx:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite(p) => {
                #[allow(unused_mut)]
                let mut $tx = $store.sqlite_write_pool(p).begin_with("BEGIN IMMEDIATE").await?;
                $body
            }
            $crate::store::Pool::Postgres(p) => {
                #[allow(unused_mut)]
                let mut $tx = p.begin().await?;
                $body
            }
        }
    };
}

/// Inserts `events` into `job_events` (one statement) and, on PostgreSQL,
/// notifies `qv_job_events`; inside the caller's transaction.
/// `($1, $2, ...), (...)` for a multi-row `VALUES` of `rows` rows of
/// `cols` parameters each.
pub(crate) fn values_placeholders(rows: usize, cols: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        out.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..cols {
            if c > 0 {
                out.push_str(", ");
            }
            out.push_str(&format!("${}", r * cols + c + 1));
        }
        out.push(')');
    }
    out
}

macro_rules! record_events {
    ($store:expr, $tx:ident, $events:expr, $now:expr) => {{
        let events: &[JobEvent] = $events;
        for chunk in events.chunks(100) {
            let mut sql = String::from(
                "INSERT INTO job_events (job_id, user_id, status, message, at) VALUES ",
            );
            sql.push_str(&$crate::store::jobs::values_placeholders(chunk.len(), 5));
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q
                    .bind(e.job_id.clone())
                    .bind(e.user_id.clone())
                    .bind(e.status.as_str())
                    .bind(e.message.clone())
                    .bind($now);
            }
            q.execute(&mut *$tx).await?;
        }
        if $store.dialect() == Dialect::Postgres {
            for e in events {
                sqlx::query("SELECT pg_notify('qv_job_events', $1)")
                    .bind(crate::events::to_notify_payload(e))
                    .execute(&mut *$tx)
                    .await?;
            }
            // Wakes the workers of every process (delivered at commit; one
            // per transaction is enough, they claim in batches).
            if events.iter().any(|e| e.status == JobStatus::Queued) {
                sqlx::query("SELECT pg_notify($1, '')")
                    .bind(JOBS_QUEUED_CHANNEL)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
    }};
}

/// Changes to one user's `user_job_stats` row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct StatDelta {
    pub(crate) queued: i64,
    pub(crate) running: i64,
    pub(crate) result_bytes: i64,
    /// A claim's time (the row keeps the latest).
    pub(crate) dispatched_at: i64,
}

/// Per-user deltas, sorted by user so that concurrent PostgreSQL
/// transactions lock stats rows in the same order.
pub(crate) type StatDeltas = std::collections::BTreeMap<String, StatDelta>;

/// Applies `StatDeltas` to `user_job_stats` (one upsert per 100 users) in
/// the caller's transaction.
macro_rules! apply_stats {
    ($tx:ident, $deltas:expr) => {{
        let deltas: &StatDeltas = $deltas;
        let rows: Vec<(&String, &StatDelta)> =
            deltas.iter().filter(|(_, d)| **d != StatDelta::default()).collect();
        for chunk in rows.chunks(100) {
            let mut sql = String::from(
                "INSERT INTO user_job_stats (user_id, queued, running, result_bytes, \
                 last_dispatch_at) VALUES ",
            );
            sql.push_str(&$crate::store::jobs::values_placeholders(chunk.len(), 5));
            sql.push_str(
                " ON CONFLICT (user_id) DO UPDATE SET \
                 queued = user_job_stats.queued + excluded.queued, \
                 running = user_job_stats.running + excluded.running, \
                 result_bytes = user_job_stats.result_bytes + excluded.result_bytes, \
                 last_dispatch_at = CASE WHEN excluded.last_dispatch_at > \
                 user_job_stats.last_dispatch_at THEN excluded.last_dispatch_at \
                 ELSE user_job_stats.last_dispatch_at END",
            );
            let mut q = sqlx::query(&sql);
            for (user, d) in chunk {
                q = q
                    .bind((*user).clone())
                    .bind(d.queued)
                    .bind(d.running)
                    .bind(d.result_bytes)
                    .bind(d.dispatched_at);
            }
            q.execute(&mut *$tx).await?;
        }
    }};
}

fn event(
    job_id: &str,
    user_id: &str,
    status: JobStatus,
    at: i64,
    message: Option<String>,
) -> JobEvent {
    JobEvent {
        job_id: job_id.to_string(),
        user_id: user_id.to_string(),
        status,
        at: rfc3339(at),
        message,
    }
}

fn parse_status(s: &str) -> Result<JobStatus, StoreError> {
    JobStatus::parse(s)
        .ok_or_else(|| StoreError::Conflict(format!("unknown stored job status `{s}`")))
}

/// Why a user over a quota of `limits` may not queue another job.
fn quota_refusal(limits: &JobLimits, active: i64, result_bytes: i64) -> Option<String> {
    if limits.max_active_per_user > 0 && active >= limits.max_active_per_user {
        return Some(format!(
            "you have {active} queued or running jobs and the limit is {} per user \
             (max_active_jobs_per_user); wait for some to finish or cancel some",
            limits.max_active_per_user
        ));
    }
    if limits.max_result_bytes_per_user > 0 && result_bytes >= limits.max_result_bytes_per_user {
        return Some(format!(
            "your stored results take {result_bytes} bytes and the limit is {} bytes per user \
             (max_result_bytes_per_user); delete finished jobs to free space",
            limits.max_result_bytes_per_user
        ));
    }
    None
}

/// A [`JobRow`] from a row of [`JOB_COLUMNS`] (with `spec`: and its `spec` column).
macro_rules! job_row {
    ($r:expr) => {
        job_row!($r, None)
    };
    ($r:expr, spec) => {{
        let r = $r;
        let spec: String = r.try_get("spec")?;
        job_row!(r, Some(spec))
    }};
    ($r:expr, $spec:expr) => {{
        let r = $r;
        let tags: String = r.try_get("tags")?;
        let status: String = r.try_get("status")?;
        JobRow {
            id: r.try_get("id")?,
            user_id: r.try_get("user_id")?,
            name: r.try_get("name")?,
            tags: serde_json::from_str(&tags).unwrap_or_default(),
            status: parse_status(&status)?,
            priority: r.try_get("priority")?,
            backend: r.try_get("backend")?,
            backend_used: r.try_get("backend_used")?,
            num_qubits: r.try_get("num_qubits")?,
            shots: r.try_get("shots")?,
            created_at: r.try_get("created_at")?,
            started_at: r.try_get("started_at")?,
            ended_at: r.try_get("ended_at")?,
            execution_ms: r.try_get("execution_ms")?,
            error: r.try_get("error")?,
            attempts: r.try_get("attempts")?,
            spec: $spec,
        }
    }};
}

impl Store {
    /// Inserts jobs in one transaction (group commit), without quotas (see
    /// [`Store::insert_jobs_with`]).
    pub async fn insert_jobs(
        &self,
        jobs: &[NewJob],
    ) -> Result<(Vec<Inserted>, Vec<JobEvent>), StoreError> {
        self.insert_jobs_with(jobs, &JobLimits::default()).await
    }

    /// Inserts jobs in one transaction (group commit). A job whose
    /// idempotency key its user already used is not inserted: the original
    /// is returned. A job over a quota of `limits` is [`Inserted::Refused`]
    /// (the check and the insert share the transaction, and on PostgreSQL
    /// the user's stats row is locked, so concurrent submissions cannot
    /// overshoot). Returns one [`Inserted`] per job and the events to publish.
    pub async fn insert_jobs_with(
        &self,
        jobs: &[NewJob],
        limits: &JobLimits,
    ) -> Result<(Vec<Inserted>, Vec<JobEvent>), StoreError> {
        let now = now_ms();
        let mut users: Vec<String> = jobs.iter().map(|j| j.user_id.clone()).collect();
        users.sort_unstable();
        users.dedup();
        let limited = limits.max_active_per_user > 0 || limits.max_result_bytes_per_user > 0;
        with_tx!(self, tx => {
            // Each user's (active jobs, stored result bytes) before this batch.
            let mut usage: std::collections::HashMap<String, (i64, i64)> =
                std::collections::HashMap::new();
            if limited {
                for chunk in users.chunks(100) {
                    let list: Vec<String> = (1..=chunk.len()).map(|i| format!("(${i})")).collect();
                    let sql = format!(
                        "INSERT INTO user_job_stats (user_id) VALUES {} ON CONFLICT (user_id) DO NOTHING",
                        list.join(", ")
                    );
                    let mut q = sqlx::query(&sql);
                    for u in chunk {
                        q = q.bind(u.clone());
                    }
                    q.execute(&mut *tx).await?;
                    let ids: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                    let lock = if self.dialect() == Dialect::Postgres { " FOR UPDATE" } else { "" };
                    let sql = format!(
                        "SELECT user_id, queued + running, result_bytes FROM user_job_stats \
                         WHERE user_id IN ({}) ORDER BY user_id{lock}",
                        ids.join(", ")
                    );
                    let mut q = sqlx::query_as::<_, (String, i64, i64)>(&sql);
                    for u in chunk {
                        q = q.bind(u.clone());
                    }
                    for (u, active, bytes) in q.fetch_all(&mut *tx).await? {
                        usage.insert(u, (active, bytes));
                    }
                }
            }
            let mut out = Vec::with_capacity(jobs.len());
            let mut events = Vec::with_capacity(jobs.len());
            let mut deltas = StatDeltas::new();
            for j in jobs {
                // Refused jobs are not inserted; a refused replay of an
                // earlier submission still returns the original below.
                let refusal = if limited {
                    let (active, bytes) = usage.get(&j.user_id).copied().unwrap_or((0, 0));
                    quota_refusal(limits, active, bytes)
                } else {
                    None
                };
                let created = if refusal.is_some() {
                    0
                } else {
                    let tags = serde_json::to_string(&j.tags).unwrap_or_else(|_| "[]".into());
                    sqlx::query(
                        "INSERT INTO jobs (id, user_id, name, tags, status, priority, backend, \
                         num_qubits, shots, spec, idempotency_key, created_at, memory_bytes, \
                         admin_priority) \
                         VALUES ($1, $2, $3, $4, 'QUEUED', $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                         ON CONFLICT (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL \
                         DO NOTHING",
                    )
                    .bind(j.id.clone())
                    .bind(j.user_id.clone())
                    .bind(j.name.clone())
                    .bind(tags)
                    .bind(j.priority)
                    .bind(j.backend.clone())
                    .bind(j.num_qubits)
                    .bind(j.shots)
                    .bind(j.spec.clone())
                    .bind(j.idempotency_key.clone())
                    .bind(j.created_at)
                    .bind(j.memory_bytes)
                    .bind(j.admin_priority)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                };
                if created == 1 {
                    events.push(event(&j.id, &j.user_id, JobStatus::Queued, now, None));
                    deltas.entry(j.user_id.clone()).or_default().queued += 1;
                    if let Some(u) = usage.get_mut(&j.user_id) {
                        u.0 += 1;
                    }
                    // The position is filled in below, once per user for the batch.
                    out.push(Inserted::Created { id: j.id.clone(), queue_position: 0 });
                    continue;
                }
                let existing = match &j.idempotency_key {
                    Some(key) => sqlx::query(
                        "SELECT id, status FROM jobs WHERE user_id = $1 AND idempotency_key = $2",
                    )
                    .bind(j.user_id.clone())
                    .bind(key.clone())
                    .fetch_optional(&mut *tx)
                    .await?,
                    None => None,
                };
                match (existing, refusal) {
                    (Some(row), _) => {
                        let status: String = row.try_get("status")?;
                        out.push(Inserted::Existing {
                            id: row.try_get("id")?,
                            status: parse_status(&status)?,
                        });
                    }
                    (None, Some(message)) => out.push(Inserted::Refused { message }),
                    (None, None) => {
                        return Err(StoreError::Conflict("the job could not be inserted".into()))
                    }
                }
            }
            // Queue positions of the new jobs (within their owner's queue,
            // see [`Store::queue_position`]): one ranking per user and batch.
            let mut by_user: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
            for (j, i) in jobs.iter().zip(&out) {
                if let Inserted::Created { id, .. } = i {
                    by_user.entry(j.user_id.as_str()).or_default().push(id.as_str());
                }
            }
            let mut positions = std::collections::HashMap::new();
            for (user, ids) in &by_user {
                for chunk in ids.chunks(500) {
                    let list: Vec<String> =
                        (2..=chunk.len() + 1).map(|i| format!("${i}")).collect();
                    let sql = format!(
                        "SELECT id, pos FROM (SELECT id, ROW_NUMBER() OVER \
                         (ORDER BY priority DESC, created_at, id) AS pos FROM \
                         (SELECT id, priority, created_at FROM jobs WHERE status = 'QUEUED' \
                         AND user_id = $1 ORDER BY priority DESC, created_at, id \
                         LIMIT {QUEUE_POSITION_CAP}) h) q WHERE id IN ({})",
                        list.join(", ")
                    );
                    let mut q = sqlx::query_as::<_, (String, i64)>(&sql).bind(user.to_string());
                    for id in chunk {
                        q = q.bind(id.to_string());
                    }
                    positions.extend(q.fetch_all(&mut *tx).await?);
                }
            }
            for i in &mut out {
                if let Inserted::Created { id, queue_position } = i {
                    *queue_position =
                        positions.get(id.as_str()).copied().unwrap_or(QUEUE_POSITION_CAP + 1);
                }
            }
            apply_stats!(tx, &deltas);
            record_events!(self, tx, &events, now);
            tx.commit().await?;
            Ok((out, events))
        })
    }

    /// A job by id, visible to `user_id` (`None`: any user, for admins).
    pub async fn get_job(&self, id: &str, user_id: Option<&str>) -> Result<JobRow, StoreError> {
        self.find_job(id, user_id, false).await
    }

    /// [`Store::get_job`] with the job's spec ([`JobRow::spec`]).
    pub async fn get_job_with_spec(
        &self,
        id: &str,
        user_id: Option<&str>,
    ) -> Result<JobRow, StoreError> {
        self.find_job(id, user_id, true).await
    }

    async fn find_job(
        &self,
        id: &str,
        user_id: Option<&str>,
        with_spec: bool,
    ) -> Result<JobRow, StoreError> {
        let spec = if with_spec { ", spec" } else { "" };
        let sql = format!(
            "SELECT {JOB_COLUMNS}{spec} FROM jobs WHERE id = $1 AND ($2 IS NULL OR user_id = $2)"
        );
        let user = user_id.map(str::to_string);
        let row = crate::with_pool!(self, p => {
            match sqlx::query(&sql).bind(id.to_string()).bind(user).fetch_optional(p).await? {
                Some(r) if with_spec => Some(job_row!(r, spec)),
                Some(r) => Some(job_row!(r)),
                None => None,
            }
        });
        row.ok_or(StoreError::NotFound("job"))
    }

    /// A job's status, result and error, visible to `user_id` (`None`: admins).
    pub async fn job_result(
        &self,
        id: &str,
        user_id: Option<&str>,
    ) -> Result<StoredResult, StoreError> {
        let user = user_id.map(str::to_string);
        let found = crate::with_pool!(self, p => {
            match sqlx::query(
                "SELECT status, result, error FROM jobs WHERE id = $1 AND ($2 IS NULL OR user_id = $2)",
            )
            .bind(id.to_string())
            .bind(user)
            .fetch_optional(p)
            .await?
            {
                Some(r) => {
                    let status: String = r.try_get("status")?;
                    Some(StoredResult {
                        status: parse_status(&status)?,
                        result: r.try_get("result")?,
                        error: r.try_get("error")?,
                    })
                }
                None => None,
            }
        });
        found.ok_or(StoreError::NotFound("job"))
    }

    /// Jobs matching `filter`, newest first (`created_at`, then `id`,
    /// descending), at most `filter.limit`.
    pub async fn list_jobs(&self, filter: &JobFilter) -> Result<Vec<JobRow>, StoreError> {
        let spec = if filter.with_spec { ", spec" } else { "" };
        let mut sql = format!("SELECT {JOB_COLUMNS}{spec} FROM jobs WHERE 1 = 1");
        let mut args = Vec::new();
        let push = |sql: &mut String, args: &mut Vec<Arg>, clause: &str, arg: Arg| {
            args.push(arg);
            sql.push_str(&clause.replace('?', &format!("${}", args.len())));
        };
        if let Some(u) = &filter.user_id {
            push(&mut sql, &mut args, " AND user_id = ?", Arg::Text(u.clone()));
        }
        if let Some(s) = filter.status {
            push(&mut sql, &mut args, " AND status = ?", Arg::Text(s.as_str().into()));
        }
        if let Some(t) = &filter.tag {
            // Tags are a JSON array: look for the JSON string, quotes included.
            let needle = serde_json::to_string(t).unwrap_or_default();
            let clause = match self.dialect() {
                Dialect::Sqlite => " AND instr(tags, ?) > 0",
                Dialect::Postgres => " AND strpos(tags, ?) > 0",
            };
            push(&mut sql, &mut args, clause, Arg::Text(needle));
        }
        if let Some(b) = &filter.backend {
            args.push(Arg::Text(b.clone()));
            let n = args.len();
            sql.push_str(&format!(" AND (backend = ${n} OR backend_used = ${n})"));
        }
        if let Some(t) = filter.created_after {
            push(&mut sql, &mut args, " AND created_at > ?", Arg::Int(t));
        }
        if let Some(t) = filter.created_before {
            push(&mut sql, &mut args, " AND created_at < ?", Arg::Int(t));
        }
        if let Some((at, id)) = &filter.after {
            args.push(Arg::Int(*at));
            args.push(Arg::Text(id.clone()));
            let n = args.len();
            sql.push_str(&format!(
                " AND (created_at < ${} OR (created_at = ${} AND id < ${n}))",
                n - 1,
                n - 1
            ));
        }
        args.push(Arg::Int(filter.limit));
        sql.push_str(&format!(" ORDER BY created_at DESC, id DESC LIMIT ${}", args.len()));
        crate::with_pool!(self, p => {
            let mut q = sqlx::query(&sql);
            for a in &args {
                q = match a {
                    Arg::Int(v) => q.bind(*v),
                    Arg::Text(s) => q.bind(s.clone()),
                };
            }
            let rows = q.fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(if filter.with_spec { job_row!(r, spec) } else { job_row!(r) });
            }
            Ok(out)
        })
    }

    /// 1-based position of a queued job in its owner's queue: the owner's
    /// queued jobs ahead of it (their `priority`, then age), plus one. Fair
    /// share interleaves users, so this is the number of the owner's jobs
    /// that start before it, not a global rank. Exact up to
    /// [`QUEUE_POSITION_CAP`]; a job with more ahead of it reports
    /// `QUEUE_POSITION_CAP + 1` (only the head is read, through an index).
    pub async fn queue_position(&self, job: &JobRow) -> Result<i64, StoreError> {
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT priority, created_at, id FROM jobs \
             WHERE status = 'QUEUED' AND user_id = $4 ORDER BY priority DESC, created_at, id \
             LIMIT {QUEUE_POSITION_CAP}) h WHERE priority > $1 OR \
             (priority = $1 AND (created_at < $2 OR (created_at = $2 AND id < $3)))"
        );
        let n: i64 = crate::with_pool!(self, p => {
            sqlx::query_scalar(&sql)
            .bind(job.priority)
            .bind(job.created_at)
            .bind(job.id.clone())
            .bind(job.user_id.clone())
            .fetch_one(p)
            .await?
        });
        Ok(n + 1)
    }

    /// Number of queued jobs.
    pub async fn queue_depth(&self) -> Result<i64, StoreError> {
        let n: i64 = crate::with_pool!(self, p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status = 'QUEUED'").fetch_one(p).await?
        });
        Ok(n)
    }

    /// Jobs per state (every state, zeros included), for `/metrics`.
    pub async fn count_jobs_by_status(&self) -> Result<Vec<(JobStatus, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = crate::with_pool!(self, p => {
            sqlx::query_as("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetch_all(p).await?
        });
        Ok(JobStatus::ALL
            .into_iter()
            .map(|s| (s, rows.iter().find(|(n, _)| n == s.as_str()).map_or(0, |(_, c)| *c)))
            .collect())
    }

    /// Registers (or re-registers) a worker pool with the backends it runs,
    /// and prunes pools whose heartbeat is older than `stale_before_ms`.
    pub async fn register_worker(
        &self,
        id: &str,
        host: &str,
        backends: &[&str],
        stale_before_ms: i64,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        with_tx!(self, tx => {
            sqlx::query("DELETE FROM workers WHERE heartbeat_at < $1")
                .bind(stale_before_ms)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO workers (id, host, backends, started_at, heartbeat_at) \
                 VALUES ($1, $2, $3, $4, $4) ON CONFLICT (id) DO UPDATE SET heartbeat_at = $4",
            )
            .bind(id.to_string())
            .bind(host.to_string())
            .bind(backends.join(","))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Renews a worker pool's heartbeat.
    pub async fn worker_heartbeat(&self, id: &str) -> Result<(), StoreError> {
        with_tx!(self, tx => {
            sqlx::query("UPDATE workers SET heartbeat_at = $1 WHERE id = $2")
                .bind(now_ms())
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Removes a worker pool that is stopping.
    pub async fn remove_worker(&self, id: &str) -> Result<(), StoreError> {
        with_tx!(self, tx => {
            sqlx::query("DELETE FROM workers WHERE id = $1")
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The backends of every worker pool whose heartbeat is at or after
    /// `since_ms`, one list per pool.
    pub async fn live_worker_backends(&self, since_ms: i64) -> Result<Vec<String>, StoreError> {
        let rows: Vec<String> = crate::with_pool!(self, p => {
            sqlx::query_scalar("SELECT backends FROM workers WHERE heartbeat_at >= $1")
                .bind(since_ms)
                .fetch_all(p)
                .await?
        });
        Ok(rows)
    }

    /// Queued jobs per requested backend.
    pub async fn queue_depth_by_backend(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = crate::with_pool!(self, p => {
            sqlx::query_as(
                "SELECT backend, COUNT(*) FROM jobs WHERE status = 'QUEUED' GROUP BY backend",
            )
            .fetch_all(p)
            .await?
        });
        Ok(rows)
    }

    /// Extends the leases `owner` holds; returns `(id, status, fence)` of
    /// each job still leased to it (status tells a worker of a cancel made
    /// by another process).
    pub async fn renew_leases(
        &self,
        owner: &str,
        lease_ms: i64,
    ) -> Result<Vec<(String, JobStatus, i64)>, StoreError> {
        // A transaction only so that SQLite writes go through the writer connection.
        let rows: Vec<(String, String, i64)> = with_tx!(self, tx => {
            let rows = sqlx::query_as(
                "UPDATE jobs SET lease_expires_at = $1 WHERE lease_owner = $2 AND \
                 status IN ('RUNNING', 'CANCELLING') RETURNING id, status, fence",
            )
            .bind(now_ms() + lease_ms)
            .bind(owner.to_string())
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            rows
        });
        rows.into_iter().map(|(id, s, f)| Ok((id, parse_status(&s)?, f))).collect()
    }

    /// Writes the ends of claimed jobs in one transaction. A write whose
    /// fence is stale (the job was claimed again, or already ended) changes
    /// nothing. A job cancelled while it ran ends CANCELLED whatever the
    /// outcome. Returns, per finish, the state written (`None`: stale), and
    /// the events to publish. No per-user result quota: see
    /// [`Store::finish_jobs_with`].
    pub async fn finish_jobs(
        &self,
        finishes: &[Finish],
    ) -> Result<(Vec<Option<JobStatus>>, Vec<JobEvent>), StoreError> {
        self.finish_jobs_with(finishes, 0).await
    }

    /// [`Store::finish_jobs`]; a completed job whose result would take its
    /// owner's stored results over `max_result_bytes_per_user` (0: no limit)
    /// is FAILED instead and its result dropped.
    pub async fn finish_jobs_with(
        &self,
        finishes: &[Finish],
        max_result_bytes_per_user: i64,
    ) -> Result<(Vec<Option<JobStatus>>, Vec<JobEvent>), StoreError> {
        let now = now_ms();
        with_tx!(self, tx => {
            let mut applied = Vec::with_capacity(finishes.len());
            let mut events = Vec::with_capacity(finishes.len());
            let mut usage = Vec::new();
            let mut deltas = StatDeltas::new();
            // Stored result bytes per user, read once per user and batch.
            let mut stored: std::collections::HashMap<String, i64> = Default::default();
            for f in finishes {
                let (status, result, error, backend_used) = match &f.outcome {
                    Outcome::Completed { result, backend_used } => {
                        ("COMPLETED", Some(result.clone()), None, Some(backend_used.clone()))
                    }
                    Outcome::Failed { error } => ("FAILED", None, Some(error.clone()), None),
                    Outcome::Cancelled => ("CANCELLED", None, Some(CANCELLED_BY_USER.to_string()), None),
                    Outcome::Released => ("QUEUED", None, None, None),
                };
                let row = if matches!(f.outcome, Outcome::Released) {
                    sqlx::query(
                        "UPDATE jobs SET \
                         status = CASE WHEN status = 'CANCELLING' THEN 'CANCELLED' ELSE 'QUEUED' END, \
                         error = CASE WHEN status = 'CANCELLING' THEN $1 ELSE NULL END, \
                         ended_at = CASE WHEN status = 'CANCELLING' THEN $2 ELSE NULL END, \
                         started_at = CASE WHEN status = 'CANCELLING' THEN started_at ELSE NULL END, \
                         attempts = CASE WHEN started_at IS NULL THEN attempts ELSE attempts - 1 END, \
                         lease_owner = NULL, lease_expires_at = NULL \
                         WHERE id = $3 AND fence = $4 AND status IN ('RUNNING', 'CANCELLING') \
                         RETURNING user_id, status",
                    )
                    .bind(CANCELLED_BY_USER)
                    .bind(now)
                    .bind(f.job_id.clone())
                    .bind(f.fence)
                    .fetch_optional(&mut *tx)
                    .await?
                } else {
                    sqlx::query(
                        "UPDATE jobs SET \
                         status = CASE WHEN status = 'CANCELLING' THEN 'CANCELLED' ELSE $1 END, \
                         result = CASE WHEN status = 'CANCELLING' THEN NULL ELSE $2 END, \
                         error = CASE WHEN status = 'CANCELLING' THEN $3 ELSE $4 END, \
                         backend_used = $5, ended_at = $6, execution_ms = $7, \
                         result_bytes = CASE WHEN status = 'CANCELLING' THEN 0 ELSE $10 END, \
                         lease_owner = NULL, lease_expires_at = NULL \
                         WHERE id = $8 AND fence = $9 AND status IN ('RUNNING', 'CANCELLING') \
                         RETURNING user_id, status",
                    )
                    .bind(status)
                    .bind(result.clone())
                    .bind(CANCELLED_BY_USER)
                    .bind(error.clone())
                    .bind(backend_used.clone())
                    .bind(now)
                    .bind(f.execution_ms)
                    .bind(f.job_id.clone())
                    .bind(f.fence)
                    .bind(result.as_ref().map_or(0, |r| r.len() as i64))
                    .fetch_optional(&mut *tx)
                    .await?
                };
                let Some(row) = row else {
                    applied.push(None);
                    continue;
                };
                let user_id: String = row.try_get("user_id")?;
                let written: String = row.try_get("status")?;
                let mut written = parse_status(&written)?;
                let mut error = error;
                let delta = deltas.entry(user_id.clone()).or_default();
                delta.running -= 1;
                if written == JobStatus::Queued {
                    delta.queued += 1;
                }
                if written == JobStatus::Completed {
                    let bytes = result.as_ref().map_or(0, |r| r.len() as i64);
                    if !stored.contains_key(&user_id) {
                        let now_stored: Option<i64> = sqlx::query_scalar(
                            "SELECT result_bytes FROM user_job_stats WHERE user_id = $1",
                        )
                        .bind(user_id.clone())
                        .fetch_optional(&mut *tx)
                        .await?;
                        stored.insert(user_id.clone(), now_stored.unwrap_or(0));
                    }
                    let total = stored.get_mut(&user_id).expect("inserted above");
                    if max_result_bytes_per_user > 0
                        && total.saturating_add(bytes) > max_result_bytes_per_user
                    {
                        let message = format!(
                            "the result ({bytes} bytes) would take your stored results to {} \
                             bytes, over the limit of {max_result_bytes_per_user} bytes per user \
                             (max_result_bytes_per_user); delete finished jobs to free space",
                            total.saturating_add(bytes)
                        );
                        sqlx::query(
                            "UPDATE jobs SET status = 'FAILED', result = NULL, result_bytes = 0, \
                             error = $1 WHERE id = $2",
                        )
                        .bind(message.clone())
                        .bind(f.job_id.clone())
                        .execute(&mut *tx)
                        .await?;
                        written = JobStatus::Failed;
                        error = Some(message);
                    } else {
                        *total += bytes;
                        deltas.entry(user_id.clone()).or_default().result_bytes += bytes;
                    }
                }
                let message = match written {
                    JobStatus::Cancelled => Some(CANCELLED_BY_USER.to_string()),
                    JobStatus::Failed => error,
                    _ => None,
                };
                if written == JobStatus::Completed {
                    usage.push((
                        f.job_id.clone(),
                        user_id.clone(),
                        backend_used.unwrap_or_default(),
                        f.shots,
                        f.execution_ms as f64 / 1000.0,
                    ));
                }
                events.push(event(&f.job_id, &user_id, written, now, message));
                applied.push(Some(written));
            }
            // One multi-row statement per 100 records (each statement is a
            // round trip to the driver's connection thread).
            for chunk in usage.chunks(100) {
                let mut sql = String::from(
                    "INSERT INTO usage_records (id, user_id, job_id, backend, shots, \
                     simulated_seconds, at) VALUES ",
                );
                sql.push_str(&values_placeholders(chunk.len(), 7));
                let mut q = sqlx::query(&sql);
                for (job_id, user_id, backend, shots, secs) in chunk {
                    q = q
                        .bind(crate::model::new_id())
                        .bind(user_id.clone())
                        .bind(job_id.clone())
                        .bind(backend.clone())
                        .bind(*shots)
                        .bind(*secs)
                        .bind(now);
                }
                q.execute(&mut *tx).await?;
            }
            apply_stats!(tx, &deltas);
            if !events.is_empty() {
                record_events!(self, tx, &events, now);
            }
            tx.commit().await?;
            Ok((applied, events))
        })
    }

    /// Cancels a job visible to `user_id` (`None`: admins): a queued job is
    /// CANCELLED at once, a running one CANCELLING (its worker stops it).
    /// Terminal jobs are a conflict. Returns the job after the change.
    pub async fn cancel_job(
        &self,
        id: &str,
        user_id: Option<&str>,
    ) -> Result<(JobRow, Vec<JobEvent>), StoreError> {
        let now = now_ms();
        let user = user_id.map(str::to_string);
        let sql = format!(
            "UPDATE jobs SET \
             status = CASE WHEN status = 'QUEUED' THEN 'CANCELLED' ELSE 'CANCELLING' END, \
             ended_at = CASE WHEN status = 'QUEUED' THEN $1 ELSE ended_at END, \
             error = CASE WHEN status = 'QUEUED' THEN $2 ELSE error END \
             WHERE id = $3 AND ($4 IS NULL OR user_id = $4) AND status IN ('QUEUED', 'RUNNING') \
             RETURNING {JOB_COLUMNS}"
        );
        let changed = with_tx!(self, tx => {
            let row = sqlx::query(&sql)
                .bind(now)
                .bind(CANCELLED_BY_USER)
                .bind(id.to_string())
                .bind(user.clone())
                .fetch_optional(&mut *tx)
                .await?;
            let row = match row {
                Some(r) => Some(job_row!(r)),
                None => None,
            };
            let mut events = Vec::new();
            if let Some(job) = &row {
                let message = Some(CANCELLED_BY_USER.to_string());
                events.push(event(&job.id, &job.user_id, job.status, now, message));
                record_events!(self, tx, &events, now);
                if job.status == JobStatus::Cancelled {
                    let mut deltas = StatDeltas::new();
                    deltas.entry(job.user_id.clone()).or_default().queued -= 1;
                    apply_stats!(tx, &deltas);
                }
            }
            tx.commit().await?;
            row.map(|r| (r, events))
        });
        if let Some(done) = changed {
            return Ok(done);
        }
        let job = self.get_job(id, user_id).await?;
        match job.status {
            // Already stopping: asking again is not an error.
            JobStatus::Cancelling => Ok((job, Vec::new())),
            s => Err(StoreError::Conflict(format!(
                "job {} is {}: only queued or running jobs can be cancelled",
                job.id,
                s.as_str()
            ))),
        }
    }

    /// Deletes a terminal job (and its events) visible to `user_id`.
    pub async fn delete_job(&self, id: &str, user_id: Option<&str>) -> Result<(), StoreError> {
        let user = user_id.map(str::to_string);
        let deleted = with_tx!(self, tx => {
            let gone: Option<(String, i64)> = sqlx::query_as(
                "DELETE FROM jobs WHERE id = $1 AND ($2 IS NULL OR user_id = $2) AND \
                 status IN ('COMPLETED', 'FAILED', 'CANCELLED') RETURNING user_id, result_bytes",
            )
            .bind(id.to_string())
            .bind(user.clone())
            .fetch_optional(&mut *tx)
            .await?;
            let n = u64::from(gone.is_some());
            if let Some((owner, bytes)) = gone {
                let mut deltas = StatDeltas::new();
                deltas.entry(owner).or_default().result_bytes -= bytes;
                apply_stats!(tx, &deltas);
                sqlx::query("DELETE FROM job_events WHERE job_id = $1")
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            n > 0
        });
        if deleted {
            return Ok(());
        }
        let job = self.get_job(id, user_id).await?;
        Err(StoreError::Conflict(format!(
            "job {} is {}: only completed, failed or cancelled jobs can be deleted",
            job.id,
            job.status.as_str()
        )))
    }

    /// Puts back jobs whose worker is gone: leases that expired, and with
    /// `other_owners_of` set, every lease not held by that owner (SQLite at
    /// start: one server owns the file, so any other lease is a dead
    /// process's). Such a job is queued again, or FAILED once it has been
    /// started `max_attempts` times; one that was being cancelled ends
    /// CANCELLED. `attempts` counts starts, so a job claimed but never
    /// started does not use one up. Returns the events to publish.
    pub async fn recover_jobs(
        &self,
        max_attempts: i64,
        other_owners_of: Option<&str>,
    ) -> Result<Vec<JobEvent>, StoreError> {
        let now = now_ms();
        let failed = format!(
            "abandoned after {max_attempts} attempts: the worker running it stopped each time \
             (its lease expired)"
        );
        with_tx!(self, tx => {
            let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
                "UPDATE jobs SET \
                 status = CASE WHEN status = 'CANCELLING' THEN 'CANCELLED' \
                   WHEN attempts >= $1 THEN 'FAILED' ELSE 'QUEUED' END, \
                 error = CASE WHEN status = 'CANCELLING' THEN $2 \
                   WHEN attempts >= $1 THEN $3 ELSE error END, \
                 ended_at = CASE WHEN status = 'CANCELLING' OR attempts >= $1 THEN $4 ELSE NULL END, \
                 started_at = CASE WHEN status = 'CANCELLING' OR attempts >= $1 THEN started_at \
                   ELSE NULL END, \
                 lease_owner = NULL, lease_expires_at = NULL \
                 WHERE status IN ('RUNNING', 'CANCELLING') AND \
                 (lease_expires_at < $4 OR ($5 IS NOT NULL AND lease_owner <> $5)) \
                 RETURNING id, user_id, status, error",
            )
            .bind(max_attempts)
            .bind(CANCELLED_BY_USER)
            .bind(failed.clone())
            .bind(now)
            .bind(other_owners_of.map(str::to_string))
            .fetch_all(&mut *tx)
            .await?;
            let mut events = Vec::with_capacity(rows.len());
            let mut deltas = StatDeltas::new();
            for (id, user, status, error) in rows {
                let status = parse_status(&status)?;
                let delta = deltas.entry(user.clone()).or_default();
                delta.running -= 1;
                if status == JobStatus::Queued {
                    delta.queued += 1;
                }
                let message = match status {
                    JobStatus::Queued => Some("re-queued: the worker running it stopped".to_string()),
                    _ => error,
                };
                events.push(event(&id, &user, status, now, message));
            }
            apply_stats!(tx, &deltas);
            if !events.is_empty() {
                record_events!(self, tx, &events, now);
            }
            tx.commit().await?;
            Ok(events)
        })
    }

    /// Status changes of a job, oldest first (`(status, message, at)`).
    pub async fn job_events(
        &self,
        id: &str,
    ) -> Result<Vec<(JobStatus, Option<String>, i64)>, StoreError> {
        let rows: Vec<(String, Option<String>, i64)> = crate::with_pool!(self, p => {
            sqlx::query_as("SELECT status, message, at FROM job_events WHERE job_id = $1 ORDER BY seq")
                .bind(id.to_string())
                .fetch_all(p)
                .await?
        });
        rows.into_iter().map(|(s, m, at)| Ok((parse_status(&s)?, m, at))).collect()
    }
}

/// The error and event message of a job the user cancelled.
pub const CANCELLED_BY_USER: &str = "cancelled by user";

mod fair;
pub use fair::{ClaimRequest, Claims};

#[cfg(test)]
mod tests {
    #[test]
    fn values_placeholders_number_rows_then_columns() {
        assert_eq!(super::values_placeholders(1, 3), "($1, $2, $3)");
        assert_eq!(super::values_placeholders(2, 2), "($1, $2), ($3, $4)");
    }
}
