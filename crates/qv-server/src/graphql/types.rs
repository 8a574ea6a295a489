//! GraphQL object and input types, converted from and to the service
//! layer's records. No logic beyond the conversion: GraphQL has no maps
//! (counts and probabilities become lists of pairs) and no 64-bit integer
//! (shots, seeds and counts use [`BigInt`]).

use async_graphql::{
    Enum, InputObject, InputValueError, InputValueResult, Scalar, ScalarType, SimpleObject, Value,
    ID,
};

use crate::model::{rfc3339, JobEvent};
use crate::service::backends::BackendView;
use crate::service::jobs::{JobView, OutputOptions, ProgramInput, SubmitJobRequest};
use crate::service::usage::{UsageEntry, UsageReport};
use crate::store::ApiKeyRecord;

/// An unsigned 64-bit integer (shots, seeds, counts). Serialised as a
/// decimal string, since GraphQL's `Int` is 32-bit and JavaScript numbers
/// are exact only below 2^53; accepted as a string or an integer literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BigInt(pub u64);

/// An unsigned 64-bit integer (0 to 18446744073709551615): a decimal
/// string in answers; an integer or a decimal string in arguments.
#[Scalar(name = "BigInt")]
impl ScalarType for BigInt {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::Number(n) => n.as_u64().map(BigInt).ok_or_else(|| {
                InputValueError::custom("BigInt must be an integer from 0 to 18446744073709551615")
            }),
            Value::String(s) => s.trim().parse::<u64>().map(BigInt).map_err(|_| {
                InputValueError::custom(
                    "BigInt must be a decimal integer from 0 to 18446744073709551615",
                )
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// An `i64` as GraphQL `Int` (32-bit), saturating: used for small counts
/// (qubits, queue positions, priorities) that never come near the limit.
fn int(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX })
}

fn big(v: i64) -> BigInt {
    BigInt(u64::try_from(v).unwrap_or(0))
}

/// A job's state.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::model::JobStatus")]
pub enum JobStatus {
    Queued,
    Running,
    Cancelling,
    Completed,
    Failed,
    Cancelled,
}

/// The authenticated account.
#[derive(SimpleObject, Debug)]
pub struct User {
    pub id: ID,
    pub email: String,
    pub username: String,
    /// `admin` or `user`.
    pub role: String,
    pub mfa_enabled: bool,
    /// RFC 3339.
    pub created_at: String,
}

impl From<crate::model::User> for User {
    fn from(u: crate::model::User) -> User {
        User {
            id: ID(u.id),
            email: u.email,
            username: u.username,
            role: u.role.as_str().into(),
            mfa_enabled: u.mfa_enabled,
            created_at: rfc3339(u.created_at),
        }
    }
}

/// A simulator jobs can ask for.
#[derive(SimpleObject, Debug)]
pub struct Backend {
    pub name: String,
    /// `statevector`, `stabilizer`, `density_matrix`, `trajectories` or `auto`.
    pub kind: String,
    pub description: String,
    pub max_qubits: i32,
    /// `online` while a worker pool that runs it has a fresh heartbeat, else `offline`.
    pub status: String,
    /// Queued jobs that asked for this backend.
    pub queue_depth: i32,
}

impl From<BackendView> for Backend {
    fn from(b: BackendView) -> Backend {
        Backend {
            name: b.name,
            kind: b.kind,
            description: b.description,
            max_qubits: int(i64::try_from(b.max_qubits).unwrap_or(i64::MAX)),
            status: b.status,
            queue_depth: int(b.queue_depth),
        }
    }
}

/// The program a job runs, as submitted.
#[derive(SimpleObject, Debug)]
pub struct Program {
    /// `qasm2`.
    pub format: String,
    pub source: String,
}

/// A job.
#[derive(SimpleObject, Debug)]
pub struct Job {
    pub id: ID,
    /// The owner (administrators' views only).
    pub user_id: Option<ID>,
    pub name: Option<String>,
    pub tags: Vec<String>,
    pub status: JobStatus,
    pub priority: i32,
    /// As requested.
    pub backend: String,
    /// The simulator that ran it.
    pub backend_used: Option<String>,
    pub shots: BigInt,
    pub num_qubits: i32,
    /// RFC 3339.
    pub created_at: String,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub execution_time_s: Option<f64>,
    pub error: Option<String>,
    /// While queued: 1-based position among the owner's own queued jobs.
    pub queue_position: Option<i32>,
    /// The program (`job(id)` only; listings leave it out).
    pub program: Option<Program>,
}

impl From<JobView> for Job {
    fn from(j: JobView) -> Job {
        Job {
            id: ID(j.id),
            user_id: j.user_id.map(ID),
            name: j.name,
            tags: j.tags,
            status: j.status.into(),
            priority: int(j.priority),
            backend: j.backend,
            backend_used: j.backend_used,
            shots: big(j.shots),
            num_qubits: int(j.num_qubits),
            created_at: j.created_at,
            started_at: j.started_at,
            ended_at: j.ended_at,
            execution_time_s: j.execution_time_s,
            error: j.error,
            queue_position: j.queue_position.map(int),
            program: j.program.map(|p| Program { format: p.format, source: p.source }),
        }
    }
}

/// One job of a page, with the cursor that continues after it.
#[derive(SimpleObject, Debug)]
pub struct JobEdge {
    pub cursor: String,
    pub node: Job,
}

/// Where a page ends.
#[derive(SimpleObject, Debug)]
pub struct PageInfo {
    pub has_next_page: bool,
    /// The cursor of the last edge; pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// A page of jobs, newest first (a Relay connection).
#[derive(SimpleObject, Debug)]
pub struct JobConnection {
    pub edges: Vec<JobEdge>,
    pub page_info: PageInfo,
}

/// Filters of `jobs`.
#[derive(InputObject, Default, Debug)]
pub struct JobFilter {
    pub status: Option<JobStatus>,
    /// Jobs carrying this tag.
    pub tag: Option<String>,
    /// Requested or used backend.
    pub backend: Option<String>,
    /// RFC 3339 or milliseconds since the epoch.
    pub created_after: Option<String>,
    /// RFC 3339 or milliseconds since the epoch.
    pub created_before: Option<String>,
}

/// Shots of one outcome.
#[derive(SimpleObject, Debug)]
pub struct OutcomeCount {
    /// Classical bits, bit 0 rightmost (Qiskit's order).
    pub outcome: String,
    pub count: BigInt,
}

/// Exact probability of one outcome.
#[derive(SimpleObject, Debug)]
pub struct OutcomeProbability {
    pub outcome: String,
    pub probability: f64,
}

/// One amplitude of a state vector.
#[derive(SimpleObject, Debug)]
pub struct Amplitude {
    pub re: f64,
    pub im: f64,
}

/// One observable's expectation value.
#[derive(SimpleObject, Debug)]
pub struct ExpectationValue {
    pub observable: String,
    pub value: f64,
    /// Null for exact values.
    pub std_dev: Option<f64>,
}

/// How a result was produced.
#[derive(SimpleObject, Debug)]
pub struct ResultMetadata {
    pub backend: String,
    pub backend_reason: String,
    pub seed: BigInt,
    pub shots: BigInt,
    pub num_qubits: i32,
    pub num_clbits: i32,
    pub time_taken_s: f64,
}

/// A completed job's result.
#[derive(SimpleObject, Debug)]
pub struct JobResult {
    pub job_id: ID,
    /// Shots per outcome, outcomes in ascending order.
    pub counts: Vec<OutcomeCount>,
    /// Each shot's outcome in order (when asked for with `memory`).
    pub memory: Option<Vec<String>>,
    pub probabilities: Option<Vec<OutcomeProbability>>,
    /// Amplitudes by basis-state index, qubit 0 the least significant bit.
    pub statevector: Option<Vec<Amplitude>>,
    pub expectation_values: Option<Vec<ExpectationValue>>,
    pub metadata: ResultMetadata,
}

impl From<crate::model::JobResult> for JobResult {
    fn from(r: crate::model::JobResult) -> JobResult {
        let m = r.metadata;
        let small = |v: u64| int(i64::try_from(v).unwrap_or(i64::MAX));
        JobResult {
            job_id: ID(r.job_id),
            counts: r
                .counts
                .into_iter()
                .map(|(outcome, count)| OutcomeCount { outcome, count: BigInt(count) })
                .collect(),
            memory: r.memory,
            probabilities: r.probabilities.map(|p| {
                p.into_iter()
                    .map(|(outcome, probability)| OutcomeProbability { outcome, probability })
                    .collect()
            }),
            statevector: r
                .statevector
                .map(|sv| sv.into_iter().map(|[re, im]| Amplitude { re, im }).collect()),
            expectation_values: r.expectation_values.map(|evs| {
                evs.into_iter()
                    .map(|e| ExpectationValue {
                        observable: e.observable,
                        value: e.value,
                        std_dev: e.std_dev,
                    })
                    .collect()
            }),
            metadata: ResultMetadata {
                backend: m.backend,
                backend_reason: m.backend_reason,
                seed: BigInt(m.seed),
                shots: BigInt(m.shots),
                num_qubits: small(m.num_qubits),
                num_clbits: small(m.num_clbits),
                time_taken_s: m.time_taken_s,
            },
        }
    }
}

/// Usage of one backend on one day.
#[derive(SimpleObject, Debug)]
pub struct UsageDay {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub backend: String,
    /// Completed jobs.
    pub jobs: BigInt,
    pub shots: BigInt,
    pub simulated_seconds: f64,
}

/// Sums over a usage report.
#[derive(SimpleObject, Debug)]
pub struct UsageTotals {
    pub jobs: BigInt,
    pub shots: BigInt,
    pub simulated_seconds: f64,
}

/// Completed jobs, shots and simulated seconds per UTC day and backend.
#[derive(SimpleObject, Debug)]
pub struct Usage {
    /// First day covered, `YYYY-MM-DD`.
    pub from: String,
    /// Last day covered (included).
    pub to: String,
    pub days: Vec<UsageDay>,
    pub totals: UsageTotals,
}

impl From<UsageReport> for Usage {
    fn from(r: UsageReport) -> Usage {
        Usage {
            from: r.from,
            to: r.to,
            days: r
                .days
                .into_iter()
                .map(|d: UsageEntry| UsageDay {
                    day: d.day,
                    backend: d.backend,
                    jobs: big(d.jobs),
                    shots: big(d.shots),
                    simulated_seconds: d.simulated_seconds,
                })
                .collect(),
            totals: UsageTotals {
                jobs: big(r.totals.jobs),
                shots: big(r.totals.shots),
                simulated_seconds: r.totals.simulated_seconds,
            },
        }
    }
}

/// An API key as listed (never the secret).
#[derive(SimpleObject, Debug)]
pub struct ApiKey {
    pub id: ID,
    pub name: String,
    /// The key's first characters.
    pub prefix: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

impl From<ApiKeyRecord> for ApiKey {
    fn from(r: ApiKeyRecord) -> ApiKey {
        ApiKey {
            id: ID(r.id),
            name: r.name,
            prefix: r.prefix,
            scopes: r.scopes.split_whitespace().map(str::to_string).collect(),
            expires_at: r.expires_at.map(rfc3339),
            last_used_at: r.last_used_at.map(rfc3339),
            created_at: rfc3339(r.created_at),
            revoked_at: r.revoked_at.map(rfc3339),
        }
    }
}

/// A new API key: `key` is shown only here.
#[derive(SimpleObject, Debug)]
pub struct CreatedApiKey {
    /// `qv_` + 43 characters; store it now, it cannot be shown again.
    pub key: String,
    pub api_key: ApiKey,
}

/// The program of a submission.
#[derive(InputObject, Debug)]
pub struct ProgramIn {
    /// `qasm2` (OpenQASM 2.0).
    pub format: String,
    /// The program text (`include "qelib1.inc";` is built in).
    pub source: String,
}

/// Extra outputs of a job (circuits of at most 20 qubits).
#[derive(InputObject, Default, Debug)]
pub struct OutputsIn {
    #[graphql(default)]
    pub probabilities: bool,
    #[graphql(default)]
    pub statevector: bool,
}

/// A job to submit; the fields and limits of REST's `POST /api/v1/jobs`.
#[derive(InputObject, Debug)]
pub struct SubmitJobInput {
    pub program: ProgramIn,
    /// 1..=the server's `max_shots` (default 1024).
    pub shots: Option<BigInt>,
    /// `auto` (default), `statevector`, `stabilizer`, `density_matrix`, `trajectories`, `reference`.
    pub backend: Option<String>,
    /// 0..=9 (default 5): orders the caller's own jobs, higher first.
    pub priority: Option<i32>,
    /// Administrators only, 0..=9 (default 0).
    pub admin_priority: Option<i32>,
    /// At most 200 characters.
    pub name: Option<String>,
    /// At most 16 tags of at most 64 characters.
    pub tags: Option<Vec<String>>,
    /// At most 128 characters; the same key again returns the first job.
    pub idempotency_key: Option<String>,
    /// Seed of the sampler, 0..=2^64-1 (default: chosen by the server).
    pub seed: Option<BigInt>,
    /// Return each shot's outcome in order.
    pub memory: Option<bool>,
    pub outputs: Option<OutputsIn>,
    /// Pauli sums, e.g. `Z0 Z1` or `0.5 * X0 + Z1`.
    pub observables: Option<Vec<String>>,
}

impl From<SubmitJobInput> for SubmitJobRequest {
    fn from(i: SubmitJobInput) -> SubmitJobRequest {
        SubmitJobRequest {
            program: ProgramInput { format: i.program.format, source: i.program.source },
            shots: i.shots.map(|s| s.0),
            backend: i.backend,
            priority: i.priority.map(i64::from),
            admin_priority: i.admin_priority.map(i64::from),
            name: i.name,
            tags: i.tags,
            idempotency_key: i.idempotency_key,
            seed: i.seed.map(|s| s.0),
            memory: i.memory,
            outputs: i.outputs.map(|o| OutputOptions {
                probabilities: o.probabilities,
                statevector: o.statevector,
            }),
            observables: i.observables,
        }
    }
}

/// The answer of `submitJob`.
#[derive(SimpleObject, Debug)]
pub struct SubmittedJob {
    pub id: ID,
    pub status: JobStatus,
    /// While queued: 1-based position among the owner's own queued jobs.
    pub queue_position: Option<i32>,
    /// False when the idempotency key returned an earlier job.
    pub created: bool,
}

/// What a `jobUpdates` message reports.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobUpdateKind {
    /// A job changed state.
    Status,
    /// The subscriber fell behind and `missed` updates were dropped (re-read the jobs).
    Lagged,
}

/// One message of `jobUpdates`.
#[derive(SimpleObject, Debug)]
pub struct JobUpdate {
    pub kind: JobUpdateKind,
    pub job_id: Option<ID>,
    pub status: Option<JobStatus>,
    /// When it changed, RFC 3339.
    pub at: Option<String>,
    /// The error of a failed job, why it was cancelled, ...
    pub message: Option<String>,
    /// Updates dropped (`LAGGED` only).
    pub missed: Option<BigInt>,
}

impl JobUpdate {
    pub fn event(e: JobEvent) -> JobUpdate {
        JobUpdate {
            kind: JobUpdateKind::Status,
            job_id: Some(ID(e.job_id)),
            status: Some(e.status.into()),
            at: Some(e.at),
            message: e.message,
            missed: None,
        }
    }

    pub fn lagged(missed: u64) -> JobUpdate {
        JobUpdate {
            kind: JobUpdateKind::Lagged,
            job_id: None,
            status: None,
            at: None,
            message: None,
            missed: Some(BigInt(missed)),
        }
    }
}
