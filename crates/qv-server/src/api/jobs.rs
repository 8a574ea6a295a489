//! Routes: `/jobs*`, `/backends`, `/admin/jobs`.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::JsonBody;
use super::AppState;
use crate::auth::{Principal, Scope};
use crate::error::{ApiError, ErrorBody, ErrorDetail};
use crate::exec::SubmitOptions;
use crate::jobs::SubmitMeta;
use crate::model::{rfc3339, JobStatus};
use crate::store::{JobFilter, JobRow};

/// The job routes (relative to `/api/v1`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/jobs", post(submit_job).get(list_jobs))
        .route("/jobs/{id}", get(get_job).delete(delete_job))
        .route("/jobs/{id}/result", get(get_result))
        .route("/jobs/{id}/cancel", post(cancel_job))
        .route("/backends", get(list_backends))
        .route("/admin/jobs", get(admin_list_jobs))
}

/// OpenAPI description of these routes.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(
        submit_job,
        list_jobs,
        get_job,
        get_result,
        cancel_job,
        delete_job,
        list_backends,
        admin_list_jobs
    ),
    components(schemas(
        SubmitJobRequest,
        ProgramInput,
        OutputOptions,
        SubmitJobResponse,
        JobView,
        ProgramView,
        JobList,
        JobResult,
        ResultMetadata,
        ExpectationValue,
        BackendView,
        BackendList,
        JobStatus,
        ErrorBody,
        ErrorDetail
    ))
)]
pub struct JobsApi;

// ---------------------------------------------------------------- schemas

/// The program of a job.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramInput {
    /// `qasm2` (OpenQASM 2.0).
    pub format: String,
    /// The program text (`include "qelib1.inc";` is built in; other includes are refused).
    pub source: String,
}

/// Extra outputs of a job.
#[derive(Debug, Default, Deserialize, ToSchema)]
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
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitJobRequest {
    pub program: ProgramInput,
    /// 1..=the server's `max_shots` (default 1024).
    #[serde(default)]
    pub shots: Option<u64>,
    /// `auto` (default), `statevector`, `stabilizer`, `density_matrix`, `trajectories`, `reference`.
    #[serde(default)]
    pub backend: Option<String>,
    /// 0..=9 (default 5): orders the caller's own jobs, higher first.
    /// Jobs of different users share the workers in turns whatever their
    /// priority.
    #[serde(default)]
    pub priority: Option<i64>,
    /// Administrators only, 0..=9 (default 0): a job with a value above 0
    /// is claimed before every user's jobs, higher first.
    #[serde(default)]
    pub admin_priority: Option<i64>,
    /// At most 200 characters.
    #[serde(default)]
    pub name: Option<String>,
    /// At most 16 tags of at most 64 characters.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// At most 128 characters; the same key again returns the first job.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// Seed of the sampler (default: chosen by the server, reported in the result).
    #[serde(default)]
    pub seed: Option<u64>,
    /// Return each shot's outcome in order.
    #[serde(default)]
    pub memory: Option<bool>,
    #[serde(default)]
    pub outputs: Option<OutputOptions>,
    /// Pauli sums, e.g. `Z0 Z1` or `0.5 * X0 + Z1`.
    #[serde(default)]
    pub observables: Option<Vec<String>>,
}

/// The answer of `POST /jobs`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmitJobResponse {
    pub id: String,
    pub status: JobStatus,
    /// While queued: 1-based position among the owner's own queued jobs
    /// (fair share interleaves users); else null.
    pub queue_position: Option<i64>,
}

/// The program a job runs, as submitted.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProgramView {
    /// `qasm2`.
    pub format: String,
    pub source: String,
}

/// A job.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    pub id: String,
    /// The owner (admin listings only).
    #[serde(skip_serializing_if = "Option::is_none")]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program: Option<ProgramView>,
}

/// `GET /jobs`.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobList {
    pub jobs: Vec<JobView>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// One observable's expectation value.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ExpectationValue {
    pub observable: String,
    pub value: f64,
    /// Null for exact values.
    pub std_dev: Option<f64>,
}

/// How a result was produced.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResultMetadata {
    pub backend: String,
    pub backend_reason: String,
    pub seed: u64,
    pub shots: u64,
    pub num_qubits: u64,
    pub num_clbits: u64,
    pub time_taken_s: f64,
}

/// `GET /jobs/{id}/result`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JobResult {
    #[serde(default)]
    pub job_id: String,
    /// Shots per outcome (Qiskit keys; empty when nothing is measured).
    pub counts: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<BTreeMap<String, f64>>,
    /// `[[re, im], ...]`, qubit 0 the least significant index bit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statevector: Option<Vec<[f64; 2]>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expectation_values: Option<Vec<ExpectationValue>>,
    pub metadata: ResultMetadata,
}

/// A simulator.
#[derive(Debug, Serialize, ToSchema)]
pub struct BackendView {
    pub name: String,
    /// `statevector`, `stabilizer`, `density_matrix`, `trajectories` or `auto`.
    pub kind: String,
    pub description: String,
    pub max_qubits: u64,
    /// Always `online`.
    pub status: String,
    /// Jobs waiting (all backends share one queue).
    pub queue_depth: i64,
}

/// `GET /backends`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BackendList {
    pub backends: Vec<BackendView>,
}

/// Query of `GET /jobs` (every field a string, parsed here so errors are API errors).
#[derive(Debug, Default, Deserialize)]
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
fn job_id(id: &str) -> Result<&str, ApiError> {
    uuid::Uuid::try_parse(id).map(|_| id).map_err(|_| ApiError::not_found("job"))
}

/// Whose jobs the caller may address: admins (with admin scope) any.
fn owner_filter(p: &Principal) -> Option<&str> {
    if p.is_admin() {
        None
    } else {
        Some(p.user.id.as_str())
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::invalid("validation_error", message)
}

/// 400 naming `field` when `value` holds a control character (NUL, line
/// breaks, escapes: they make no sense in names, tags, keys or filters, and
/// some databases refuse NUL).
fn no_control_chars(field: &str, value: &str) -> Result<(), ApiError> {
    if value.chars().any(char::is_control) {
        return Err(invalid(format!("`{field}` must not contain control characters")));
    }
    Ok(())
}

fn parse_time(field: &str, value: &str) -> Result<i64, ApiError> {
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

fn decode_cursor(cursor: &str) -> Result<(i64, String), ApiError> {
    let bad = || invalid("`cursor` is not a cursor this server returned");
    let bytes =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (at, id) = text.split_once(':').ok_or_else(bad)?;
    let at = at.parse().map_err(|_| bad())?;
    uuid::Uuid::try_parse(id).map_err(|_| bad())?;
    Ok((at, id.to_string()))
}

fn filter_of(q: &ListQuery, user_id: Option<String>) -> Result<JobFilter, ApiError> {
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

async fn list(state: &AppState, mut filter: JobFilter, admin: bool) -> Result<JobList, ApiError> {
    let limit = filter.limit;
    filter.limit = limit + 1;
    let mut rows = state.store.list_jobs(&filter).await?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(encode_cursor)
    } else {
        None
    };
    let mut jobs = Vec::with_capacity(rows.len());
    for row in rows {
        let pos = state.jobs.position_of(&row).await?;
        jobs.push(view(row, pos, admin));
    }
    Ok(JobList { jobs, next_cursor })
}

// ---------------------------------------------------------------- handlers

/// Submits a job: validated (parse, backend, limits) before it is queued.
#[utoipa::path(post, path = "/api/v1/jobs", tag = "jobs", security(("bearer" = [])),
    request_body = SubmitJobRequest,
    responses(
        (status = 201, description = "Queued", body = SubmitJobResponse),
        (status = 200, description = "The idempotency key was used before: the original job", body = SubmitJobResponse),
        (status = 400, description = "`parse_error` (with line and column) or `validation_error`", body = ErrorBody),
        (status = 401, description = "Missing or invalid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks `jobs:write`, or a non-administrator set `admin_priority`", body = ErrorBody),
        (status = 413, description = "`too_large`: too many qubits, too much memory, or a result estimated over `max_result_bytes`", body = ErrorBody),
        (status = 422, description = "`limit_exceeded`: too many shots", body = ErrorBody),
        (status = 429, description = "`quota_exceeded`: too many active jobs or stored result bytes (the message names the limit)", body = ErrorBody),
    ))]
pub async fn submit_job(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(req): JsonBody<SubmitJobRequest>,
) -> Result<(StatusCode, Json<SubmitJobResponse>), ApiError> {
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
        return Err(ApiError::forbidden("`admin_priority` may only be set by administrators"));
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
    let validated = state.jobs.validate(opts).await?;
    let meta = SubmitMeta {
        name: req.name,
        tags,
        priority,
        idempotency_key: req.idempotency_key,
        admin_priority,
    };
    let s = state.jobs.submit(&principal.user.id, validated, meta).await?;
    let status = if s.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((
        status,
        Json(SubmitJobResponse { id: s.id, status: s.status, queue_position: s.queue_position }),
    ))
}

/// Lists the caller's jobs, newest first.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", security(("bearer" = [])),
    params(
        ("status" = Option<String>, Query, description = "QUEUED, RUNNING, CANCELLING, COMPLETED, FAILED or CANCELLED"),
        ("tag" = Option<String>, Query, description = "Jobs carrying this tag"),
        ("backend" = Option<String>, Query, description = "Requested or used backend"),
        ("created_after" = Option<String>, Query, description = "RFC 3339 or ms since the epoch"),
        ("created_before" = Option<String>, Query, description = "RFC 3339 or ms since the epoch"),
        ("limit" = Option<i64>, Query, description = "1..=200, default 50"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of jobs", body = JobList),
        (status = 400, description = "A filter is invalid", body = ErrorBody),
        (status = 401, description = "Missing or invalid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks `jobs:read`", body = ErrorBody),
    ))]
pub async fn list_jobs(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Json<JobList>, ApiError> {
    principal.require(Scope::JobsRead)?;
    let filter = filter_of(&q, Some(principal.user.id.clone()))?;
    Ok(Json(list(&state, filter, false).await?))
}

/// Lists every user's jobs (administrators).
#[utoipa::path(get, path = "/api/v1/admin/jobs", tag = "jobs", security(("bearer" = [])),
    params(
        ("status" = Option<String>, Query, description = "Job state"),
        ("tag" = Option<String>, Query, description = "Jobs carrying this tag"),
        ("backend" = Option<String>, Query, description = "Requested or used backend"),
        ("created_after" = Option<String>, Query, description = "RFC 3339 or ms since the epoch"),
        ("created_before" = Option<String>, Query, description = "RFC 3339 or ms since the epoch"),
        ("limit" = Option<i64>, Query, description = "1..=200, default 50"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of jobs, each with `user_id` and `program`", body = JobList),
        (status = 400, description = "A filter is invalid", body = ErrorBody),
        (status = 401, description = "Missing or invalid credential", body = ErrorBody),
        (status = 403, description = "Not an administrator", body = ErrorBody),
    ))]
pub async fn admin_list_jobs(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Json<JobList>, ApiError> {
    principal.require(Scope::Admin)?;
    let mut filter = filter_of(&q, None)?;
    filter.with_spec = true;
    Ok(Json(list(&state, filter, true).await?))
}

/// A job's state and program.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, description = "The job, with its `program`", body = JobView),
        (status = 401, description = "Missing or invalid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks `jobs:read`", body = ErrorBody),
        (status = 404, description = "No such job (or not yours)", body = ErrorBody),
    ))]
pub async fn get_job(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    principal.require(Scope::JobsRead)?;
    let job = state.store.get_job_with_spec(job_id(&id)?, owner_filter(&principal)).await?;
    let pos = state.jobs.position_of(&job).await?;
    let with_user = principal.is_admin();
    Ok(Json(view(job, pos, with_user)))
}

/// A completed job's result.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/result", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, description = "The result", body = JobResult),
        (status = 401, description = "Missing or invalid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks `jobs:read`", body = ErrorBody),
        (status = 404, description = "No such job (or not yours)", body = ErrorBody),
        (status = 409, description = "`not_ready` (the message says the state) or `job_failed` (with the error)", body = ErrorBody),
    ))]
pub async fn get_result(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<JobResult>, ApiError> {
    principal.require(Scope::JobsRead)?;
    let id = job_id(&id)?;
    let stored = state.store.job_result(id, owner_filter(&principal)).await?;
    match (stored.status, stored.result) {
        (JobStatus::Completed, Some(text)) => {
            let mut result: JobResult = serde_json::from_str(&text).map_err(ApiError::internal)?;
            result.job_id = id.to_string();
            Ok(Json(result))
        }
        (JobStatus::Failed, _) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "job_failed",
            format!("job {id} failed: {}", stored.error.unwrap_or_default()),
        )),
        (status, _) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_ready",
            format!("job {id} is {}: it has no result", status.as_str()),
        )),
    }
}

/// Cancels a queued (at once) or running (cooperatively) job.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/cancel", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, description = "The job: CANCELLED, or CANCELLING while it stops", body = JobView),
        (status = 401, description = "Missing or invalid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks `jobs:write`", body = ErrorBody),
        (status = 404, description = "No such job (or not yours)", body = ErrorBody),
        (status = 409, description = "The job already ended", body = ErrorBody),
    ))]
pub async fn cancel_job(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    principal.require(Scope::JobsWrite)?;
    let job = state.jobs.cancel(job_id(&id)?, owner_filter(&principal)).await?;
    let with_user = principal.is_admin();
    Ok(Json(view(job, None, with_user)))
}

/// Deletes an ended job and its result.
#[utoipa::path(delete, path = "/api/v1/jobs/{id}", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or invalid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks `jobs:write`", body = ErrorBody),
        (status = 404, description = "No such job (or not yours)", body = ErrorBody),
        (status = 409, description = "The job has not ended (cancel it first)", body = ErrorBody),
    ))]
pub async fn delete_job(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::JobsWrite)?;
    state.store.delete_job(job_id(&id)?, owner_filter(&principal)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The simulators jobs can ask for.
#[utoipa::path(get, path = "/api/v1/backends", tag = "jobs", security(("bearer" = [])),
    responses(
        (status = 200, description = "The backends", body = BackendList),
        (status = 401, description = "Missing or invalid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks `jobs:read`", body = ErrorBody),
    ))]
pub async fn list_backends(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<BackendList>, ApiError> {
    principal.require(Scope::JobsRead)?;
    let depth = state.jobs.queue_depth().await?;
    let sv = state.config.max_qubits as u64;
    // A density matrix of n qubits is as large as a state vector of 2n.
    let dm = sv / 2;
    let list = [
        ("auto", "auto", "Chooses from the circuit: stabilizer for Clifford circuits, else the state-vector engine", state.config.max_stabilizer_qubits as u64),
        ("statevector", "statevector", "Fast state-vector engine (gate fusion, SIMD, threads)", sv),
        ("stabilizer", "stabilizer", "Stabilizer tableau simulator for Clifford circuits", state.config.max_stabilizer_qubits as u64),
        ("density_matrix", "density_matrix", "Density-matrix simulator (exact mixed states)", dm),
        ("trajectories", "trajectories", "State-vector quantum trajectories", sv),
        ("reference", "statevector", "Reference state-vector simulator (exact and simple)", sv),
    ];
    let backends = list
        .into_iter()
        .map(|(name, kind, description, max_qubits)| BackendView {
            name: name.into(),
            kind: kind.into(),
            description: description.into(),
            max_qubits,
            status: "online".into(),
            queue_depth: depth,
        })
        .collect();
    Ok(Json(BackendList { backends }))
}
