//! The mutation root: thin calls into the services.

use async_graphql::{Context, Object, Result, ID};

use super::error::OrGql;
use super::types::{CreatedApiKey, Job, SubmitJobInput, SubmittedJob};
use super::{caller, services};

#[derive(Debug)]
pub struct Mutation;

#[Object]
impl Mutation {
    /// Validates a job (parse, backend, every limit) and queues it.
    async fn submit_job(&self, ctx: &Context<'_>, input: SubmitJobInput) -> Result<SubmittedJob> {
        let (p, _) = caller(ctx)?;
        let s = services(ctx).jobs.submit(p, input.into()).await.gql()?;
        Ok(SubmittedJob {
            id: ID(s.id),
            status: s.status.into(),
            queue_position: s.queue_position.map(|n| i32::try_from(n).unwrap_or(i32::MAX)),
            created: s.created,
        })
    }

    /// Cancels a queued (at once) or running (cooperatively) job: the job,
    /// CANCELLED or CANCELLING while it stops.
    async fn cancel_job(&self, ctx: &Context<'_>, id: ID) -> Result<Job> {
        let (p, _) = caller(ctx)?;
        Ok(services(ctx).jobs.cancel(p, &id).await.gql()?.into())
    }

    /// Deletes an ended job and its result (`conflict` while it runs).
    async fn delete_job(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let (p, _) = caller(ctx)?;
        services(ctx).jobs.delete(p, &id).await.gql()?;
        Ok(true)
    }

    /// Creates an API key (needs an access token, not a key). `scopes`:
    /// `jobs:read`, `jobs:write`, `admin`; `expiresInDays` 1..=3650 or none.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        name: String,
        scopes: Vec<String>,
        expires_in_days: Option<i32>,
    ) -> Result<CreatedApiKey> {
        let (p, _) = caller(ctx)?;
        let (record, key) = services(ctx)
            .auth
            .create_api_key(p, &name, &scopes, expires_in_days.map(i64::from))
            .await
            .gql()?;
        Ok(CreatedApiKey { key, api_key: record.into() })
    }

    /// Revokes one of the caller's API keys (needs an access token).
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let (p, _) = caller(ctx)?;
        services(ctx).auth.revoke_api_key(p, &id).await.gql()?;
        Ok(true)
    }
}
