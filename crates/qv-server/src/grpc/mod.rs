//! The gRPC API (`quantumvibe.v1`, protos in `proto/quantumvibe/v1`): a
//! thin transport over [`crate::service`], served on the REST port (the
//! listener speaks HTTP/2 with prior knowledge and sends requests with
//! `content-type: application/grpc*` here).
//!
//! Each method authenticates the `authorization` metadata (`Bearer <JWT or
//! API key>`) through [`Services::authenticate`](crate::service::Services::authenticate)
//! (so gRPC shares REST's per-principal rate limits), converts the message
//! into the service's input, calls the service and converts the answer back;
//! a [`ServiceError`] becomes a [`Status`] by [`status`], the one mapping.
//! Health (`grpc.health.v1`) and reflection (v1 and v1alpha) need no credential.
//!
//! Times are RFC 3339 strings, as in the REST API.

use std::pin::Pin;

use futures_util::{Stream, StreamExt};
use tonic::metadata::MetadataValue;
use tonic::{Code, Request, Response, Status};

use crate::api::AppState;
use crate::model::{JobEvent, JobResult, JobStatus};
use crate::service::jobs::{JobView, ListQuery, OutputOptions, ProgramInput, SubmitJobRequest};
use crate::service::usage::UsageQuery;
use crate::service::watch::{WatchEnd, WatchItem};
use crate::service::{ErrorKind, Principal, ServiceError};

/// The messages, services and clients generated from the protos.
#[allow(missing_debug_implementations, clippy::all)]
pub mod pb {
    tonic::include_proto!("quantumvibe.v1");

    /// The encoded descriptor set of the protos (served by reflection).
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/quantumvibe_descriptor.bin"));
}

use pb::backend_service_server::{BackendService, BackendServiceServer};
use pb::job_service_server::{JobService, JobServiceServer};
use pb::usage_service_server::{UsageService, UsageServiceServer};

/// The gRPC services (with health and reflection) as routes, wrapped in
/// the access log, metrics and request-body timeout of the REST API (not
/// its JSON error rewriting: gRPC answers HTTP 200 with a `grpc-status`).
/// Health turns NOT_SERVING for every service (and "") when `state.shutdown` does.
pub async fn router(state: AppState) -> Result<axum::Router, String> {
    let max = state.config.max_body_bytes;
    let api = Api { state: state.clone() };
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<JobServiceServer<Api>>().await;
    health.set_serving::<BackendServiceServer<Api>>().await;
    health.set_serving::<UsageServiceServer<Api>>().await;
    let mut shutdown = state.shutdown.clone();
    let mut health = health;
    tokio::spawn(async move {
        let _ = shutdown.wait_for(|v| *v).await;
        let names = ["", SERVICE_NAMES[0], SERVICE_NAMES[1], SERVICE_NAMES[2]];
        for name in names {
            health.set_service_status(name, tonic_health::ServingStatus::NotServing).await;
        }
        // Health `Watch` streams never end by themselves and would hold
        // their connections through the drain: once probes have had a
        // moment to read NOT_SERVING, dropping the statuses ends them.
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        for name in names {
            health.clear_service_status(name).await;
        }
    });
    // v1, and v1alpha for the clients that still speak only it (Python's
    // grpcio-reflection, older grpcurl).
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1().map_err(|e| format!("gRPC reflection: {e}"))?;
    let reflection_v1alpha =
        reflection().build_v1alpha().map_err(|e| format!("gRPC reflection: {e}"))?;
    let routes = tonic::service::Routes::new(
        JobServiceServer::new(api.clone()).max_decoding_message_size(max),
    )
    .add_service(BackendServiceServer::new(api.clone()).max_decoding_message_size(max))
    .add_service(UsageServiceServer::new(api).max_decoding_message_size(max))
    .add_service(health_service)
    .add_service(reflection_v1)
    .add_service(reflection_v1alpha)
    .prepare();
    let body_timeout = std::time::Duration::from_secs(state.config.body_read_timeout_s.max(1));
    Ok(routes
        .into_axum_router()
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panic_status))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(body_timeout))
        .layer(axum::middleware::from_fn_with_state(state.metrics.clone(), crate::api::observe)))
}

/// A panicking handler answers INTERNAL (the panic is logged) rather than
/// taking down the connection and every other stream on it.
fn panic_status(err: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    status(ServiceError::internal(format!("gRPC handler panicked: {detail}"))).into_http()
}

/// The fully qualified names of our services (health reports each).
pub const SERVICE_NAMES: [&str; 3] =
    ["quantumvibe.v1.JobService", "quantumvibe.v1.BackendService", "quantumvibe.v1.UsageService"];

/// Whether a request is gRPC (by its content type, as gRPC defines it).
pub fn is_grpc<B>(req: &axum::http::Request<B>) -> bool {
    req.headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
}

/// A service error as a gRPC status: the kind picks the code, the message
/// is kept, and metadata carries `qv-error-code` (the service's stable code)
/// and `retry-after` (seconds) when set. `TooLarge` is OUT_OF_RANGE like
/// `LimitExceeded`: RESOURCE_EXHAUSTED is kept for rate limits and quotas,
/// which a client may retry later; a too-large request never succeeds.
pub fn status(e: ServiceError) -> Status {
    let code = match e.kind {
        ErrorKind::Invalid => Code::InvalidArgument,
        ErrorKind::Unauthenticated => Code::Unauthenticated,
        ErrorKind::Forbidden => Code::PermissionDenied,
        ErrorKind::NotFound => Code::NotFound,
        ErrorKind::Conflict => Code::FailedPrecondition,
        ErrorKind::TooLarge | ErrorKind::LimitExceeded => Code::OutOfRange,
        ErrorKind::Exhausted => Code::ResourceExhausted,
        ErrorKind::Unavailable => Code::Unavailable,
        ErrorKind::Internal => Code::Internal,
    };
    let mut s = Status::new(code, e.message);
    if let Ok(v) = MetadataValue::try_from(e.code) {
        s.metadata_mut().insert("qv-error-code", v);
    }
    if let Some(secs) = e.retry_after {
        s.metadata_mut().insert("retry-after", MetadataValue::from(secs));
    }
    s
}

/// The implementation of every `quantumvibe.v1` service.
#[derive(Clone, Debug)]
pub struct Api {
    state: AppState,
}

impl Api {
    /// The caller and their bearer credential, from the `authorization` metadata.
    async fn caller<T>(&self, req: &Request<T>) -> Result<(Principal, String), Status> {
        let value = req.metadata().get("authorization").map(|v| v.as_bytes());
        let token = crate::service::bearer_token(value).map_err(status)?;
        let principal = self.state.services.authenticate(token).await.map_err(status)?;
        Ok((principal, token.to_string()))
    }
}

type EventStream = Pin<Box<dyn Stream<Item = Result<pb::JobEvent, Status>> + Send>>;

#[tonic::async_trait]
impl JobService for Api {
    async fn submit_job(
        &self,
        req: Request<pb::SubmitJobRequest>,
    ) -> Result<Response<pb::SubmitJobResponse>, Status> {
        let (p, _) = self.caller(&req).await?;
        let input = submit_request(req.into_inner()).map_err(status)?;
        let s = self.state.services.jobs.submit(&p, input).await.map_err(status)?;
        Ok(Response::new(pb::SubmitJobResponse {
            id: s.id,
            status: job_status(s.status).into(),
            queue_position: s.queue_position,
            created: s.created,
        }))
    }

    async fn get_job(&self, req: Request<pb::GetJobRequest>) -> Result<Response<pb::Job>, Status> {
        let (p, _) = self.caller(&req).await?;
        let job = self.state.services.jobs.get(&p, &req.get_ref().id).await.map_err(status)?;
        Ok(Response::new(job_of(job)))
    }

    async fn list_jobs(
        &self,
        req: Request<pb::ListJobsRequest>,
    ) -> Result<Response<pb::ListJobsResponse>, Status> {
        let (p, _) = self.caller(&req).await?;
        let q = list_query(req.into_inner()).map_err(status)?;
        let list = self.state.services.jobs.list(&p, &q).await.map_err(status)?;
        Ok(Response::new(pb::ListJobsResponse {
            jobs: list.jobs.into_iter().map(job_of).collect(),
            next_page_token: list.next_cursor.unwrap_or_default(),
        }))
    }

    async fn cancel_job(
        &self,
        req: Request<pb::CancelJobRequest>,
    ) -> Result<Response<pb::Job>, Status> {
        let (p, _) = self.caller(&req).await?;
        let job = self.state.services.jobs.cancel(&p, &req.get_ref().id).await.map_err(status)?;
        Ok(Response::new(job_of(job)))
    }

    async fn get_job_result(
        &self,
        req: Request<pb::GetJobResultRequest>,
    ) -> Result<Response<pb::JobResult>, Status> {
        let (p, _) = self.caller(&req).await?;
        let r = self.state.services.jobs.result(&p, &req.get_ref().id).await.map_err(status)?;
        Ok(Response::new(result_of(r)))
    }

    type WatchJobStream = EventStream;

    async fn watch_job(
        &self,
        req: Request<pb::WatchJobRequest>,
    ) -> Result<Response<EventStream>, Status> {
        let (p, token) = self.caller(&req).await?;
        let id = req.get_ref().id.as_str();
        let watch = self.state.services.jobs.watch(&p, &token, Some(id)).await.map_err(status)?;
        // `into_stream` ends after its first end; the job's end and shutdown
        // close the stream with OK, a credential that no longer holds with
        // UNAUTHENTICATED naming why.
        let stream = watch.into_stream().filter_map(|item| async move {
            match item {
                Ok(WatchItem::Event(ev)) => Some(Ok(event_of(ev))),
                Ok(WatchItem::Lagged(n)) => {
                    Some(Ok(pb::JobEvent { lagged: n, ..Default::default() }))
                }
                Err(WatchEnd::Finished | WatchEnd::Shutdown) => None,
                Err(end @ (WatchEnd::Refused(_) | WatchEnd::Expired)) => {
                    Some(Err(status(ServiceError::unauthorized(end.reason()))))
                }
            }
        });
        Ok(Response::new(Box::pin(stream)))
    }
}

#[tonic::async_trait]
impl BackendService for Api {
    async fn list_backends(
        &self,
        req: Request<pb::ListBackendsRequest>,
    ) -> Result<Response<pb::ListBackendsResponse>, Status> {
        let (p, _) = self.caller(&req).await?;
        let list = self.state.services.backends.list(&p).await.map_err(status)?;
        let backends = list
            .backends
            .into_iter()
            .map(|b| pb::Backend {
                name: b.name,
                kind: b.kind,
                description: b.description,
                max_qubits: b.max_qubits,
                status: b.status,
                queue_depth: b.queue_depth,
            })
            .collect();
        Ok(Response::new(pb::ListBackendsResponse { backends }))
    }
}

#[tonic::async_trait]
impl UsageService for Api {
    async fn get_usage(
        &self,
        req: Request<pb::GetUsageRequest>,
    ) -> Result<Response<pb::UsageReport>, Status> {
        let (p, _) = self.caller(&req).await?;
        let r = req.into_inner();
        let q = UsageQuery { from: r.from_day, to: r.to_day, scope: r.scope };
        let report = self.state.services.usage.report(&p, &q).await.map_err(status)?;
        let days = report
            .days
            .into_iter()
            .map(|d| pb::UsageEntry {
                day: d.day,
                backend: d.backend,
                jobs: d.jobs,
                shots: d.shots,
                simulated_seconds: d.simulated_seconds,
            })
            .collect();
        let t = report.totals;
        Ok(Response::new(pb::UsageReport {
            from_day: report.from,
            to_day: report.to,
            days,
            totals: Some(pb::UsageTotals {
                jobs: t.jobs,
                shots: t.shots,
                simulated_seconds: t.simulated_seconds,
            }),
        }))
    }
}

// ---------------------------------------------------------------- conversions

fn job_status(s: JobStatus) -> pb::JobStatus {
    match s {
        JobStatus::Queued => pb::JobStatus::Queued,
        JobStatus::Running => pb::JobStatus::Running,
        JobStatus::Cancelling => pb::JobStatus::Cancelling,
        JobStatus::Completed => pb::JobStatus::Completed,
        JobStatus::Failed => pb::JobStatus::Failed,
        JobStatus::Cancelled => pb::JobStatus::Cancelled,
    }
}

fn submit_request(r: pb::SubmitJobRequest) -> Result<SubmitJobRequest, ServiceError> {
    let program = r.program.ok_or_else(|| ServiceError::validation("`program` is required"))?;
    Ok(SubmitJobRequest {
        program: ProgramInput { format: program.format, source: program.source },
        shots: r.shots,
        backend: r.backend,
        priority: r.priority,
        admin_priority: r.admin_priority,
        name: r.name,
        tags: Some(r.tags),
        idempotency_key: r.idempotency_key,
        seed: r.seed,
        memory: r.memory,
        outputs: r
            .outputs
            .map(|o| OutputOptions { probabilities: o.probabilities, statevector: o.statevector }),
        observables: Some(r.observables),
    })
}

/// Filters and paging onto the service's query: `page_size` 0 is the
/// default, `page_token` is the service's cursor.
fn list_query(r: pb::ListJobsRequest) -> Result<ListQuery, ServiceError> {
    let status = match pb::JobStatus::try_from(r.status) {
        Ok(pb::JobStatus::Unspecified) => None,
        Ok(s) => Some(s.as_str_name().trim_start_matches("JOB_STATUS_").to_string()),
        Err(_) => return Err(ServiceError::validation(format!("unknown `status` {}", r.status))),
    };
    if !(0..=200).contains(&r.page_size) {
        return Err(ServiceError::validation("`page_size` must be from 0 (default 50) to 200"));
    }
    Ok(ListQuery {
        status,
        tag: r.tag,
        backend: r.backend,
        created_after: r.created_after,
        created_before: r.created_before,
        limit: (r.page_size > 0).then(|| r.page_size.to_string()),
        cursor: (!r.page_token.is_empty()).then_some(r.page_token),
    })
}

fn job_of(j: JobView) -> pb::Job {
    pb::Job {
        id: j.id,
        user_id: j.user_id,
        name: j.name,
        tags: j.tags,
        status: job_status(j.status).into(),
        priority: j.priority,
        backend: j.backend,
        backend_used: j.backend_used,
        shots: j.shots,
        num_qubits: j.num_qubits,
        created_at: j.created_at,
        started_at: j.started_at,
        ended_at: j.ended_at,
        execution_time_s: j.execution_time_s,
        error: j.error,
        queue_position: j.queue_position,
        program: j.program.map(|p| pb::Program { format: p.format, source: p.source }),
    }
}

fn event_of(ev: JobEvent) -> pb::JobEvent {
    pb::JobEvent {
        job_id: ev.job_id,
        status: job_status(ev.status).into(),
        at: ev.at,
        message: ev.message,
        lagged: 0,
    }
}

fn result_of(r: JobResult) -> pb::JobResult {
    let m = r.metadata;
    pb::JobResult {
        job_id: r.job_id,
        counts: r.counts.into_iter().collect(),
        memory: r.memory.unwrap_or_default(),
        probabilities: r.probabilities.unwrap_or_default().into_iter().collect(),
        statevector: r
            .statevector
            .unwrap_or_default()
            .into_iter()
            .map(|[re, im]| pb::Complex { re, im })
            .collect(),
        expectation_values: r
            .expectation_values
            .unwrap_or_default()
            .into_iter()
            .map(|e| pb::ExpectationValue {
                observable: e.observable,
                value: e.value,
                std_dev: e.std_dev,
            })
            .collect(),
        metadata: Some(pb::ResultMetadata {
            backend: m.backend,
            backend_reason: m.backend_reason,
            seed: m.seed,
            shots: m.shots,
            num_qubits: m.num_qubits,
            num_clbits: m.num_clbits,
            time_taken_s: m.time_taken_s,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_has_its_code_and_metadata() {
        let cases = [
            (ErrorKind::Invalid, Code::InvalidArgument),
            (ErrorKind::Unauthenticated, Code::Unauthenticated),
            (ErrorKind::Forbidden, Code::PermissionDenied),
            (ErrorKind::NotFound, Code::NotFound),
            (ErrorKind::Conflict, Code::FailedPrecondition),
            (ErrorKind::TooLarge, Code::OutOfRange),
            (ErrorKind::LimitExceeded, Code::OutOfRange),
            (ErrorKind::Exhausted, Code::ResourceExhausted),
            (ErrorKind::Unavailable, Code::Unavailable),
            (ErrorKind::Internal, Code::Internal),
        ];
        for (kind, code) in cases {
            let s = status(ServiceError::new(kind, "some_code", "what went wrong"));
            assert_eq!((s.code(), s.message()), (code, "what went wrong"), "{kind:?}");
            assert_eq!(s.metadata().get("qv-error-code").unwrap(), "some_code");
            assert!(s.metadata().get("retry-after").is_none());
        }
        let s = status(ServiceError::too_many_requests(7));
        assert_eq!(s.code(), Code::ResourceExhausted);
        assert_eq!(s.metadata().get("retry-after").unwrap(), "7");
        assert_eq!(s.metadata().get("qv-error-code").unwrap(), "rate_limited");
    }

    #[test]
    fn list_requests_map_onto_the_service_query() {
        let q = list_query(pb::ListJobsRequest {
            status: pb::JobStatus::Cancelled.into(),
            tag: Some("t".into()),
            page_size: 10,
            page_token: "abc".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(q.status.as_deref(), Some("CANCELLED"));
        assert_eq!((q.limit.as_deref(), q.cursor.as_deref()), (Some("10"), Some("abc")));
        let q = list_query(pb::ListJobsRequest::default()).unwrap();
        assert_eq!((q.status, q.limit, q.cursor), (None, None, None));
        for bad in [
            pb::ListJobsRequest { page_size: 201, ..Default::default() },
            pb::ListJobsRequest { page_size: -1, ..Default::default() },
            pb::ListJobsRequest { status: 42, ..Default::default() },
        ] {
            assert_eq!(list_query(bad).unwrap_err().kind, ErrorKind::Invalid);
        }
    }

    #[test]
    fn status_names_match_the_model() {
        for s in JobStatus::ALL {
            assert_eq!(job_status(s).as_str_name(), format!("JOB_STATUS_{}", s.as_str()));
        }
    }
}
