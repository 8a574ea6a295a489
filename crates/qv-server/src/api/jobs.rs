//! Routes: `/jobs*`, `/backends`, `/usage`, `/admin/jobs`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;

use super::auth::JsonBody;
use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::model::JobResult;
use crate::service::backends::BackendList;
use crate::service::jobs::{JobList, JobView, ListQuery, SubmitJobRequest, SubmitJobResponse};
use crate::service::usage::{UsageQuery, UsageReport};
use crate::service::Principal;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The job routes (relative to `/api/v1`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(submit_job, list_jobs))
        .routes(routes!(admin_list_jobs))
        .routes(routes!(get_job, delete_job))
        .routes(routes!(get_result))
        .routes(routes!(cancel_job))
        .routes(routes!(list_backends))
        .routes(routes!(usage))
}

// ---------------------------------------------------------------- handlers

/// Submits a job: validated (parse, backend, limits) before it is queued.
#[utoipa::path(post, path = "/api/v1/jobs", tag = "jobs", security(("bearer" = [])),
    request_body = SubmitJobRequest,
    responses(
        (status = 201, description = "Queued", body = SubmitJobResponse),
        (status = 200, description = "The idempotency key was used before: the original job", body = SubmitJobResponse),
        (status = 400, description = "`parse_error` (with line and column) or `validation_error`", body = ErrorBody),
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
    let s = state.services.jobs.submit(&principal, req).await?;
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
        (status = 403, description = "The credential lacks `jobs:read`", body = ErrorBody),
    ))]
pub async fn list_jobs(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Json<JobList>, ApiError> {
    Ok(Json(state.services.jobs.list(&principal, &q).await?))
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
        (status = 403, description = "Not an administrator", body = ErrorBody),
    ))]
pub async fn admin_list_jobs(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Json<JobList>, ApiError> {
    Ok(Json(state.services.jobs.list_all(&principal, &q).await?))
}

/// A job's state and program.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, description = "The job, with its `program`", body = JobView),
        (status = 403, description = "The credential lacks `jobs:read`", body = ErrorBody),
        (status = 404, description = "No such job (or not yours)", body = ErrorBody),
    ))]
pub async fn get_job(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    Ok(Json(state.services.jobs.get(&principal, &id).await?))
}

/// A completed job's result.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/result", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, description = "The result", body = JobResult),
        (status = 403, description = "The credential lacks `jobs:read`", body = ErrorBody),
        (status = 404, description = "No such job (or not yours)", body = ErrorBody),
        (status = 409, description = "`not_ready` (the message says the state) or `job_failed` (with the error)", body = ErrorBody),
    ))]
pub async fn get_result(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<JobResult>, ApiError> {
    Ok(Json(state.services.jobs.result(&principal, &id).await?))
}

/// Cancels a queued (at once) or running (cooperatively) job.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/cancel", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, description = "The job: CANCELLED, or CANCELLING while it stops", body = JobView),
        (status = 403, description = "The credential lacks `jobs:write`", body = ErrorBody),
        (status = 404, description = "No such job (or not yours)", body = ErrorBody),
        (status = 409, description = "The job already ended", body = ErrorBody),
    ))]
pub async fn cancel_job(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    Ok(Json(state.services.jobs.cancel(&principal, &id).await?))
}

/// Deletes an ended job and its result.
#[utoipa::path(delete, path = "/api/v1/jobs/{id}", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "The credential lacks `jobs:write`", body = ErrorBody),
        (status = 404, description = "No such job (or not yours)", body = ErrorBody),
        (status = 409, description = "The job has not ended (cancel it first)", body = ErrorBody),
    ))]
pub async fn delete_job(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.services.jobs.delete(&principal, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The simulators jobs can ask for.
#[utoipa::path(get, path = "/api/v1/backends", tag = "jobs", security(("bearer" = [])),
    responses(
        (status = 200, description = "The backends", body = BackendList),
        (status = 403, description = "The credential lacks `jobs:read`", body = ErrorBody),
    ))]
pub async fn list_backends(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<BackendList>, ApiError> {
    Ok(Json(state.services.backends.list(&principal).await?))
}

/// Completed jobs, shots and simulated seconds per UTC day and backend.
#[utoipa::path(get, path = "/api/v1/usage", tag = "jobs", security(("bearer" = [])),
    params(UsageQuery),
    responses(
        (status = 200, description = "The usage report", body = UsageReport),
        (status = 400, description = "A date is invalid, `from` is after `to`, or the period is over 366 days", body = ErrorBody),
        (status = 403, description = "The credential lacks `jobs:read`, or `scope=all` without admin", body = ErrorBody),
    ))]
pub async fn usage(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<UsageQuery>,
) -> Result<Json<UsageReport>, ApiError> {
    Ok(Json(state.services.usage.report(&principal, &q).await?))
}
