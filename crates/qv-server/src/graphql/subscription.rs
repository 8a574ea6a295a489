//! The subscription root: live job updates over [`JobWatch`], which
//! enforces the per-user stream cap, re-checks the credential, and ends at
//! token expiry, at shutdown and after a watched job's final state.
//!
//! [`JobWatch`]: crate::service::watch::JobWatch

use async_graphql::{Context, Result, Subscription, ID};
use futures_util::{Stream, StreamExt};

use super::error::{to_gql, OrGql};
use super::types::JobUpdate;
use super::{caller, services};
use crate::service::watch::{WatchEnd, WatchItem};
use crate::service::ServiceError;

#[derive(Debug)]
pub struct Subscription;

#[Subscription]
impl Subscription {
    /// Status changes of one job (its current status first, completing
    /// after its final state) or, without `id`, of every job of the caller.
    /// Ends with an `unauthorized` error when the credential is revoked or
    /// expires; completes at shutdown.
    async fn job_updates(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
    ) -> Result<impl Stream<Item = Result<JobUpdate>> + use<>> {
        let (p, token) = caller(ctx)?;
        let watch =
            services(ctx).jobs.watch(p, token, id.as_deref().map(|s| s.as_str())).await.gql()?;
        Ok(watch.into_stream().filter_map(|item| {
            std::future::ready(match item {
                Ok(WatchItem::Event(e)) => Some(Ok(JobUpdate::event(e))),
                Ok(WatchItem::Lagged(n)) => Some(Ok(JobUpdate::lagged(n))),
                // The stream ends after its first `Err`: an error message
                // for a refused credential, a normal completion otherwise.
                Err(end @ (WatchEnd::Refused(_) | WatchEnd::Expired)) => {
                    Some(Err(to_gql(ServiceError::unauthorized(end.reason()))))
                }
                Err(WatchEnd::Finished | WatchEnd::Shutdown) => None,
            })
        }))
    }
}
