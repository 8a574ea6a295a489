//! [`JobService`]: submitting, reading, listing, cancelling and deleting
//! jobs, their results and live updates, with object-level authorisation:
//! a caller addresses their own jobs; an administrator (admin scope) any.
//! Another user's job is `not_found`, never `forbidden`, so ids reveal nothing.

use std::sync::Arc;

use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::watch::{JobWatch, WatchTarget};
use super::{AuthService, Principal, Scope, ServiceError};
use crate::config::Config;
use crate::events::Events;
use crate::exec::SubmitOptions;
use crate::jobs::{Jobs, SubmitMeta};
use crate::model::{rfc3339, JobResult, JobStatus};
use crate::store::{JobFilter, JobRow, Store};

/// The job service; cheap to clone.
#[derive(Clone, Debug)]
pub struct JobService {
    config: Arc<Config>,
    store: Store,
    jobs: Arc<Jobs>,
    auth: Arc<AuthService>,
    events: Events,
    shutdown: tokio::sync::watch::Receiver<bool>,
}

impl JobService {
    pub(crate) fn new(
        config: Arc<Config>,
        store: Store,
        jobs: Arc<Jobs>,
        auth: Arc<AuthService>,
        events: Events,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> JobService {
        JobService { config, store, jobs, auth, events, shutdown }
    }

    /// Validates a submission (parse, backend, every limit) and queues it.
    /// `created` is false when the idempotency key returned an earlier job.
    pub async fn submit(
        &self,
        principal: &Principal,
        req: SubmitJobRequest,
    ) -> Result<crate::jobs::Submitted, ServiceError> {
        principal.require(Scope::JobsWrite)?;
        let priority = req.priority.unwrap_or(5);
        if !(0..=9).contains(&priority) {
            return Err(invalid("`priority` must be an integer from 0 to 9"));
        }
        let admin_priority = req.admin_priority.unwrap_or(0);
        if !(0..=9).contains(&admin_priority) {
            return Err(invalid("`admin_priority` must be an integer from 0 to 9"));
        }
        if admin_priority > 0 && !principal.is_admin() {
            return Err(ServiceError::forbidden(
                "`admin_priority` may only be set by administrators",
            ));
        }
        let tags = req.tags.unwrap_or_default();
        if tags.len() > 16 || tags.iter().any(|t| t.is_empty() || t.chars().count() > 64) {
            return Err(invalid("`tags`: at most 16 tags of 1 to 64 characters each"));
        }
        for t in &tags {
            no_control_chars("tags", t)?;
        }
        if let Some(name) = &req.name {
            if name.chars().count() > 200 {
                return Err(invalid("`name` is longer than 200 characters"));
            }
            no_control_chars("name", name)?;
        }
        if let Some(key) = &req.idempotency_key {
            if key.is_empty() || key.chars().count() > 128 {
                return Err(invalid("`idempotency_key` must have 1 to 128 characters"));
            }
            no_control_chars("idempotency_key", key)?;
        }
        let outputs = req.outputs.unwrap_or_default();
        let opts = SubmitOptions {
            format: req.program.format,
            source: req.program.source,
            shots: req.shots,
            backend: req.backend,
            seed: req.seed,
            memory: req.memory.unwrap_or(false),
            probabilities: outputs.probabilities,
            statevector: outputs.statevector,
            observables: req.observables.unwrap_or_default(),
        };
        // Large or nested programs are validated on a big-stack thread.
        let validated = self.jobs.validate(opts).await?;
        let meta = SubmitMeta {
            name: req.name,
            tags,
            priority,
            idempotency_key: req.idempotency_key,
            admin_priority,
        };
        self.jobs.submit(&principal.user.id, validated, meta).await
    }

    /// A job with its program.
    pub async fn get(&self, principal: &Principal, id: &str) -> Result<JobView, ServiceError> {
        principal.require(Scope::JobsRead)?;
        let job = self.store.get_job_with_spec(job_id(id)?, owner_filter(principal)).await?;
        let pos = self.jobs.position_of(&job).await?;
        Ok(view(job, pos, principal.is_admin()))
    }

    /// A page of the caller's jobs, newest first (without programs).
    pub async fn list(
        &self,
        principal: &Principal,
        q: &ListQuery,
    ) -> Result<JobList, ServiceError> {
        principal.require(Scope::JobsRead)?;
        let filter = filter_of(q, Some(principal.user.id.clone()))?;
        self.page(filter, false).await
    }

    /// A page of every user's jobs with owners and programs (administrators).
    pub async fn list_all(
        &self,
        principal: &Principal,
        q: &ListQuery,
    ) -> Result<JobList, ServiceError> {
        principal.require(Scope::Admin)?;
        let mut filter = filter_of(q, None)?;
        filter.with_spec = true;
        self.page(filter, true).await
    }

    async fn page(&self, mut filter: JobFilter, admin: bool) -> Result<JobList, ServiceError> {
        let limit = filter.limit;
        filter.limit = limit + 1;
        let mut rows = self.store.list_jobs(&filter).await?;
        let next_cursor = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(encode_cursor)
        } else {
            None
        };
        let mut jobs = Vec::with_capacity(rows.len());
        for row in rows {
            let pos = self.jobs.position_of(&row).await?;
            jobs.push(view(row, pos, admin));
        }
        Ok(JobList { jobs, next_cursor })
    }

    /// A completed job's result; `not_ready` (conflict) before it completes,
    /// `job_failed` (conflict, with the error) when it failed.
    pub async fn result(&self, principal: &Principal, id: &str) -> Result<JobResult, ServiceError> {
        principal.require(Scope::JobsRead)?;
        let id = job_id(id)?;
        let stored = self.store.job_result(id, owner_filter(principal)).await?;
        match (stored.status, stored.result) {
            (JobStatus::Completed, Some(text)) => {
                let mut result: JobResult =
                    serde_json::from_str(&text).map_err(ServiceError::internal)?;
                result.job_id = id.to_string();
                Ok(result)
            }
            (JobStatus::Failed, _) => Err(ServiceError::new(
                super::ErrorKind::Conflict,
                "job_failed",
                format!("job {id} failed: {}", stored.error.unwrap_or_default()),
            )),
            (status, _) => Err(ServiceError::new(
                super::ErrorKind::Conflict,
                "not_ready",
                format!("job {id} is {}: it has no result", status.as_str()),
            )),
        }
    }

    /// Cancels a queued (at once) or running (cooperatively) job: the job,
    /// CANCELLED or CANCELLING while it stops; `conflict` once it has ended.
    pub async fn cancel(&self, principal: &Principal, id: &str) -> Result<JobView, ServiceError> {
        principal.require(Scope::JobsWrite)?;
        let job = self.jobs.cancel(job_id(id)?, owner_filter(principal)).await?;
        Ok(view(job, None, principal.is_admin()))
    }

    /// Deletes an ended job and its result (`conflict` while it has not ended).
    pub async fn delete(&self, principal: &Principal, id: &str) -> Result<(), ServiceError> {
        principal.require(Scope::JobsWrite)?;
        self.store.delete_job(job_id(id)?, owner_filter(principal)).await?;
        Ok(())
    }

    /// Runs CPU work that may recurse deeply (parsing, expanding circuits)
    /// on the big-stack threads that validate large programs.
    pub async fn on_big_stack<F, R>(&self, f: F) -> Result<R, ServiceError>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.jobs.on_big_stack(f).await
    }

    /// Live status changes of the caller's jobs (or of one job, which must
    /// be visible to the caller), under the stream limits: at most
    /// `events_max_sockets_per_user` open per user, the credential checked
    /// again every `events_recheck_s`, the end at the token's expiry or at
    /// shutdown. `bearer` is the credential the caller authenticated with.
    pub async fn watch(
        &self,
        principal: &Principal,
        bearer: &str,
        job: Option<&str>,
    ) -> Result<JobWatch, ServiceError> {
        principal.require(Scope::JobsRead)?;
        // Subscribed before the job is read, so no change in between is missed.
        let rx = self.events.subscribe();
        let target = match job {
            Some(id) => {
                let job = self.store.get_job(job_id(id)?, owner_filter(principal)).await?;
                WatchTarget::Job { id: job.id, status: job.status }
            }
            None => WatchTarget::Owner,
        };
        JobWatch::open(
            principal,
            bearer,
            target,
            rx,
            self.auth.clone(),
            &self.config,
            self.shutdown.clone(),
        )
    }
}

// ---------------------------------------------------------------- records

/// The program of a job.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramInput {
    /// `qasm2` (OpenQASM 2.0).
    pub format: String,
    /// The program text (`include "qelib1.inc";` is built in; other includes are refused).
    pub source: String,
}

/// Extra outputs of a job.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputOptions {
    /// Exact outcome probabilities (circuits of at most 20 qubits).
    #[serde(default)]
    pub probabilities: bool,
    /// The final state vector (circuits of at most 20 qubits, no mid-circuit measurement).
    #[serde(default)]
    pub statevector: bool,
}

/// `POST /jobs`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitJobRequest {
    pub program: ProgramInput,
    /// 1..=the server's `max_shots` (default 1024).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shots: Option<u64>,
    /// `auto` (default), `statevector`, `stabilizer`, `density_matrix`, `trajectories`, `reference`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// 0..=9 (default 5): orders the caller's own jobs, higher first.
    /// Jobs of different users share the workers in turns whatever their
    /// priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// Administrators only, 0..=9 (default 0): a job with a value above 0
    /// is claimed before every user's jobs, higher first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_priority: Option<i64>,
    /// At most 200 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// At most 16 tags of at most 64 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// At most 128 characters; the same key again returns the first job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// Seed of the sampler (default: chosen by the server, reported in the result).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Return each shot's outcome in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<OutputOptions>,
    /// Pauli sums, e.g. `Z0 Z1` or `0.5 * X0 + Z1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observables: Option<Vec<String>>,
}

/// The answer of `POST /jobs`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SubmitJobResponse {
    pub id: String,
    pub status: JobStatus,
    /// While queued: 1-based position among the owner's own queued jobs
    /// (fair share interleaves users); else null.
    pub queue_position: Option<i64>,
}

/// The program a job runs, as submitted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProgramView {
    /// `qasm2`.
    pub format: String,
    pub source: String,
}

/// A job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JobView {
    pub id: String,
    /// The owner (admin listings only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub tags: Vec<String>,
    pub status: JobStatus,
    pub priority: i64,
    /// As requested.
    pub backend: String,
    /// The simulator that ran it.
    pub backend_used: Option<String>,
    pub shots: i64,
    pub num_qubits: i64,
    /// RFC 3339.
    pub created_at: String,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub execution_time_s: Option<f64>,
    pub error: Option<String>,
    /// While queued: 1-based position among the owner's own queued jobs
    /// (fair share interleaves users); else null.
    pub queue_position: Option<i64>,
    /// The program (`GET /jobs/{id}` and the admin listing only; the
    /// caller's listing leaves it out to stay light).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<ProgramView>,
}

/// `GET /jobs`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JobList {
    pub jobs: Vec<JobView>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Filters of a job listing (every field a string, as a query string
/// carries them, parsed by the service so every surface reports the same errors).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
    pub tag: Option<String>,
    pub backend: Option<String>,
    pub created_after: Option<String>,
    pub created_before: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

// ---------------------------------------------------------------- helpers

/// The program in a stored spec (a [`exec::JobSpec`]; its other fields are ignored).
fn program_of(job: &JobRow) -> Option<ProgramView> {
    let spec = job.spec.as_deref()?;
    serde_json::from_str(spec)
        .map_err(|e| tracing::error!(job_id = %job.id, error = %e, "stored job spec unreadable"))
        .ok()
}

fn view(job: JobRow, queue_position: Option<i64>, with_user: bool) -> JobView {
    JobView {
        program: program_of(&job),
        user_id: with_user.then(|| job.user_id.clone()),
        id: job.id,
        name: job.name,
        tags: job.tags,
        status: job.status,
        priority: job.priority,
        backend: job.backend,
        backend_used: job.backend_used,
        shots: job.shots,
        num_qubits: job.num_qubits,
        created_at: rfc3339(job.created_at),
        started_at: job.started_at.map(rfc3339),
        ended_at: job.ended_at.map(rfc3339),
        execution_time_s: job.execution_ms.map(|ms| ms as f64 / 1000.0),
        error: job.error,
        queue_position,
    }
}

/// Job ids are UUIDs; anything else names no job.
pub fn job_id(id: &str) -> Result<&str, ServiceError> {
    uuid::Uuid::try_parse(id).map(|_| id).map_err(|_| ServiceError::not_found("job"))
}

/// Whose jobs the caller may address: admins (with admin scope) any.
fn owner_filter(p: &Principal) -> Option<&str> {
    if p.is_admin() {
        None
    } else {
        Some(p.user.id.as_str())
    }
}

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::validation(message)
}

/// 400 naming `field` when `value` holds a control character (NUL, line
/// breaks, escapes: they make no sense in names, tags, keys or filters, and
/// some databases refuse NUL).
fn no_control_chars(field: &str, value: &str) -> Result<(), ServiceError> {
    if value.chars().any(char::is_control) {
        return Err(invalid(format!("`{field}` must not contain control characters")));
    }
    Ok(())
}

fn parse_time(field: &str, value: &str) -> Result<i64, ServiceError> {
    if let Ok(ms) = value.parse::<i64>() {
        return Ok(ms);
    }
    let t = time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
        .map_err(|_| {
            invalid(format!("`{field}` must be an RFC 3339 time or milliseconds since the epoch"))
        })?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| invalid(format!("`{field}` is out of range")))
}

fn encode_cursor(job: &JobRow) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("{}:{}", job.created_at, job.id))
}

fn decode_cursor(cursor: &str) -> Result<(i64, String), ServiceError> {
    let bad = || invalid("`cursor` is not a cursor this server returned");
    let bytes =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (at, id) = text.split_once(':').ok_or_else(bad)?;
    let at = at.parse().map_err(|_| bad())?;
    uuid::Uuid::try_parse(id).map_err(|_| bad())?;
    Ok((at, id.to_string()))
}

/// The cursor that continues a listing after `job` (as `next_cursor` does
/// after a page's last job): for transports that give every item a cursor
/// (GraphQL connection edges). `None` if `created_at` is not one this
/// service wrote.
pub fn cursor_after(job: &JobView) -> Option<String> {
    let t = time::OffsetDateTime::parse(
        &job.created_at,
        &time::format_description::well_known::Rfc3339,
    )
    .ok()?;
    let ms = i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()?;
    Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{ms}:{}", job.id)))
}

fn filter_of(q: &ListQuery, user_id: Option<String>) -> Result<JobFilter, ServiceError> {
    for (field, value) in [
        ("status", &q.status),
        ("tag", &q.tag),
        ("backend", &q.backend),
        ("created_after", &q.created_after),
        ("created_before", &q.created_before),
        ("cursor", &q.cursor),
    ] {
        if let Some(v) = value {
            no_control_chars(field, v)?;
            if v.chars().count() > 256 {
                return Err(invalid(format!("`{field}` is longer than 256 characters")));
            }
        }
    }
    let status = match &q.status {
        Some(s) => Some(JobStatus::parse(s).ok_or_else(|| {
            invalid(format!(
                "unknown status `{s}` (known: QUEUED, RUNNING, CANCELLING, COMPLETED, FAILED, CANCELLED)"
            ))
        })?),
        None => None,
    };
    let limit = match &q.limit {
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=200).contains(l))
            .ok_or_else(|| invalid("`limit` must be an integer from 1 to 200"))?,
        None => 50,
    };
    Ok(JobFilter {
        user_id,
        status,
        tag: q.tag.clone(),
        backend: q.backend.clone(),
        created_after: q
            .created_after
            .as_deref()
            .map(|v| parse_time("created_after", v))
            .transpose()?,
        created_before: q
            .created_before
            .as_deref()
            .map(|v| parse_time("created_before", v))
            .transpose()?,
        after: q.cursor.as_deref().map(decode_cursor).transpose()?,
        limit,
        with_spec: false,
    })
}
