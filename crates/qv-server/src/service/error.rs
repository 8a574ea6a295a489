//! The services' error: what went wrong, in terms every transport can map.
//!
//! A service never speaks HTTP, GraphQL or gRPC. It answers a
//! [`ServiceError`] with a [`ErrorKind`] (the class of failure), a stable
//! machine-readable `code` (`parse_error`, `not_ready`, `quota_exceeded`, ...,
//! the same on every surface) and a message for a person. REST maps the kind
//! to an HTTP status (`api::ApiError`), GraphQL to `extensions.code`, gRPC to
//! a `tonic::Code`. Messages never carry internal detail: [`ServiceError::internal`]
//! logs the detail and answers a generic message.

/// The class of a failure, from which each transport picks its status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Malformed or invalid input (HTTP 400, gRPC INVALID_ARGUMENT).
    Invalid,
    /// Missing, invalid or expired credentials (401, UNAUTHENTICATED).
    Unauthenticated,
    /// Authenticated but not allowed (403, PERMISSION_DENIED).
    Forbidden,
    /// No such object, or not visible to the caller (404, NOT_FOUND).
    NotFound,
    /// The request conflicts with the object's state (409, FAILED_PRECONDITION).
    Conflict,
    /// The input or the work it asks for is too large (413, OUT_OF_RANGE).
    TooLarge,
    /// Well-formed but over a limit (422, OUT_OF_RANGE).
    LimitExceeded,
    /// A rate limit or quota (429, RESOURCE_EXHAUSTED).
    Exhausted,
    /// Not available now: overloaded, shutting down (503, UNAVAILABLE).
    Unavailable,
    /// A fault of the server (500, INTERNAL).
    Internal,
}

/// An error answered by a service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceError {
    pub kind: ErrorKind,
    /// Stable machine-readable code (`bad_request`, `not_found`, ...).
    pub code: &'static str,
    /// What was wrong, for a person.
    pub message: String,
    /// Seconds until a retry may succeed (rate limits, lockouts, overload).
    pub retry_after: Option<u64>,
}

impl ServiceError {
    /// An error of a kind, with a code and message.
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> ServiceError {
        ServiceError { kind, code, message: message.into(), retry_after: None }
    }

    /// The same error, retryable after `seconds` (at least 1).
    pub fn retry_after(mut self, seconds: u64) -> ServiceError {
        self.retry_after = Some(seconds.max(1));
        self
    }

    /// Malformed input (`bad_request`).
    pub fn bad_request(message: impl Into<String>) -> ServiceError {
        ServiceError::new(ErrorKind::Invalid, "bad_request", message)
    }

    /// Invalid input with a specific code (`parse_error`, `validation_error`, ...).
    pub fn invalid(code: &'static str, message: impl Into<String>) -> ServiceError {
        ServiceError::new(ErrorKind::Invalid, code, message)
    }

    /// `validation_error`.
    pub fn validation(message: impl Into<String>) -> ServiceError {
        ServiceError::invalid("validation_error", message)
    }

    /// Missing, invalid or expired credentials.
    pub fn unauthorized(message: impl Into<String>) -> ServiceError {
        ServiceError::new(ErrorKind::Unauthenticated, "unauthorized", message)
    }

    /// Authenticated but not allowed.
    pub fn forbidden(message: impl Into<String>) -> ServiceError {
        ServiceError::new(ErrorKind::Forbidden, "forbidden", message)
    }

    /// No such object, or not the caller's (another user's job).
    pub fn not_found(what: &str) -> ServiceError {
        ServiceError::new(ErrorKind::NotFound, "not_found", format!("{what} not found"))
    }

    /// The request conflicts with the object's state.
    pub fn conflict(message: impl Into<String>) -> ServiceError {
        ServiceError::new(ErrorKind::Conflict, "conflict", message)
    }

    /// The request or the work it asks for is too large.
    pub fn too_large(message: impl Into<String>) -> ServiceError {
        ServiceError::new(ErrorKind::TooLarge, "too_large", message)
    }

    /// Well-formed but over a limit or unsupported.
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> ServiceError {
        ServiceError::new(ErrorKind::LimitExceeded, code, message)
    }

    /// A rate limit: retry after `retry_after_s`.
    pub fn too_many_requests(retry_after_s: u64) -> ServiceError {
        ServiceError::new(ErrorKind::Exhausted, "rate_limited", "too many requests; retry later")
            .retry_after(retry_after_s)
    }

    /// Not ready or shutting down.
    pub fn unavailable(message: impl Into<String>) -> ServiceError {
        ServiceError::new(ErrorKind::Unavailable, "unavailable", message)
    }

    /// Logs `detail` (never sent) and answers a generic message.
    pub fn internal(detail: impl std::fmt::Display) -> ServiceError {
        tracing::error!(error = %detail, "internal error");
        ServiceError::new(ErrorKind::Internal, "internal", "internal server error")
    }
}

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ServiceError {}

impl From<crate::store::StoreError> for ServiceError {
    fn from(e: crate::store::StoreError) -> ServiceError {
        match e {
            crate::store::StoreError::NotFound(what) => ServiceError::not_found(what),
            crate::store::StoreError::Conflict(message) => ServiceError::conflict(message),
            other => ServiceError::internal(other),
        }
    }
}
