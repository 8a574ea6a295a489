//! Records shared by the store, the services and the API.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch (how every timestamp is stored).
pub fn now_ms() -> i64 {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Formats a millisecond timestamp as RFC 3339 (UTC), as the API returns times.
pub fn rfc3339(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// A new random identifier (UUID v7: time-ordered, so indexes stay compact).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A user's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Lists users, disables accounts, sees every job.
    Admin,
    /// Sees and manages their own jobs and keys.
    User,
}

impl Role {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::User => "user",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "user" => Some(Role::User),
            _ => None,
        }
    }
}

/// An account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub username: String,
    pub role: Role,
    pub disabled: bool,
    pub mfa_enabled: bool,
    pub created_at: i64,
}

/// A job's state: `QUEUED → RUNNING → COMPLETED | FAILED | CANCELLED`, with
/// `CANCELLING` while a running job stops. Terminal states never change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    Queued,
    Running,
    Cancelling,
    Completed,
    Failed,
    Cancelled,
}

impl JobStatus {
    /// Every state, in lifecycle order.
    pub const ALL: [JobStatus; 6] = [
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Cancelling,
        JobStatus::Completed,
        JobStatus::Failed,
        JobStatus::Cancelled,
    ];

    /// The stored and serialised name (`QUEUED`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "QUEUED",
            JobStatus::Running => "RUNNING",
            JobStatus::Cancelling => "CANCELLING",
            JobStatus::Completed => "COMPLETED",
            JobStatus::Failed => "FAILED",
            JobStatus::Cancelled => "CANCELLED",
        }
    }

    /// Parses a stored name (also accepts lower case, as query strings use).
    pub fn parse(s: &str) -> Option<JobStatus> {
        JobStatus::ALL.into_iter().find(|j| j.as_str().eq_ignore_ascii_case(s))
    }

    /// Whether the state is final.
    pub fn is_terminal(self) -> bool {
        matches!(self, JobStatus::Completed | JobStatus::Failed | JobStatus::Cancelled)
    }
}

/// A job status change, as stored in `job_events` and sent to WebSocket
/// subscribers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobEvent {
    /// The job.
    pub job_id: String,
    /// The job's owner (events are delivered to the owner and to admins).
    #[serde(skip)]
    pub user_id: String,
    /// The new state.
    pub status: JobStatus,
    /// When it changed (RFC 3339).
    pub at: String,
    /// A message (the error of a failed job, "cancelled by user", ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// One observable's expectation value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExpectationValue {
    pub observable: String,
    pub value: f64,
    /// Null for exact values.
    pub std_dev: Option<f64>,
}

/// How a result was produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResultMetadata {
    pub backend: String,
    pub backend_reason: String,
    pub seed: u64,
    pub shots: u64,
    pub num_qubits: u64,
    pub num_clbits: u64,
    pub time_taken_s: f64,
}

/// A job's result: produced by execution, stored as JSON, served by every
/// API surface and read back by clients (`qv` uses this type).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobResult {
    /// Empty while stored (the job row holds it).
    #[serde(default, skip_serializing_if = "String::is_empty")]
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
