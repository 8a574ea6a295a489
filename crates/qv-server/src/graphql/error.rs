//! Service errors as GraphQL errors: `message` is the service's message,
//! `extensions` carry `code` (the service's stable code, as REST answers
//! it), `status` (the HTTP status REST would answer) and, for rate limits,
//! `retryAfter` (seconds). The mapping lives here only.

use async_graphql::{ErrorExtensions, Response, Value};

use crate::api::error::status_of;
use crate::service::ServiceError;

/// A service error as a GraphQL error with code, status and retry hint.
pub(crate) fn to_gql(e: ServiceError) -> async_graphql::Error {
    let status = status_of(e.kind).as_u16();
    async_graphql::Error::new(e.message).extend_with(|_, ext| {
        ext.set("code", e.code);
        ext.set("status", status);
        if let Some(s) = e.retry_after {
            ext.set("retryAfter", s);
        }
    })
}

/// `?` for service results inside resolvers. A plain `?` would compile too
/// (async-graphql converts anything `Display`) but would drop the code.
pub(crate) trait OrGql<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> OrGql<T> for Result<T, ServiceError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(to_gql)
    }
}

/// Gives errors raised by async-graphql itself (syntax, validation, depth
/// and complexity limits, argument coercion) the code REST uses for a bad
/// request, so every error a client sees has `extensions.code`.
pub(crate) fn with_codes(mut response: Response) -> Response {
    for err in &mut response.errors {
        let ext = err.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", Value::from("bad_request"));
            ext.set("status", Value::from(400));
        }
    }
    response
}
