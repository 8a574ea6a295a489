//! The query root: thin calls into the services.

use async_graphql::{Context, Object, Result, ID};

use super::error::OrGql;
use super::types::{
    ApiKey, Backend, Job, JobConnection, JobEdge, JobFilter, JobResult, PageInfo, Usage, User,
};
use super::{caller, services};
use crate::service::jobs::{cursor_after, ListQuery};
use crate::service::usage::UsageQuery;

#[derive(Debug)]
pub struct Query;

#[Object]
impl Query {
    /// The authenticated account.
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        let (p, _) = caller(ctx)?;
        Ok(services(ctx).auth.user(&p.user.id).await.gql()?.into())
    }

    /// The simulators jobs can ask for, with status and queue depth.
    async fn backends(&self, ctx: &Context<'_>) -> Result<Vec<Backend>> {
        let (p, _) = caller(ctx)?;
        let list = services(ctx).backends.list(p).await.gql()?;
        Ok(list.backends.into_iter().map(Backend::from).collect())
    }

    /// A job with its program (`not_found` for another user's job).
    async fn job(&self, ctx: &Context<'_>, id: ID) -> Result<Job> {
        let (p, _) = caller(ctx)?;
        Ok(services(ctx).jobs.get(p, &id).await.gql()?.into())
    }

    /// The caller's jobs, newest first. `first` is the page size (1..=200,
    /// default 50; the service reports it as `limit`), `after` the
    /// `endCursor` (or any edge's cursor) of an earlier page.
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        filter: Option<JobFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<JobConnection> {
        let (p, _) = caller(ctx)?;
        let f = filter.unwrap_or_default();
        let q = ListQuery {
            status: f.status.map(|s| crate::model::JobStatus::from(s).as_str().to_string()),
            tag: f.tag,
            backend: f.backend,
            created_after: f.created_after,
            created_before: f.created_before,
            limit: first.map(|n| n.to_string()),
            cursor: after,
        };
        let page = services(ctx).jobs.list(p, &q).await.gql()?;
        let edges: Vec<JobEdge> = page
            .jobs
            .into_iter()
            .map(|job| JobEdge { cursor: cursor_after(&job).unwrap_or_default(), node: job.into() })
            .collect();
        let page_info = PageInfo {
            has_next_page: page.next_cursor.is_some(),
            end_cursor: edges.last().map(|e| e.cursor.clone()),
        };
        Ok(JobConnection { edges, page_info })
    }

    /// A completed job's result (`not_ready` before it completes,
    /// `job_failed` when it failed).
    async fn job_result(&self, ctx: &Context<'_>, id: ID) -> Result<JobResult> {
        let (p, _) = caller(ctx)?;
        Ok(services(ctx).jobs.result(p, &id).await.gql()?.into())
    }

    /// Completed jobs, shots and simulated seconds per UTC day and backend.
    /// `from`/`to` are `YYYY-MM-DD` (default: the last 30 days); `scope`
    /// `all` (administrators) reports every user.
    async fn usage(
        &self,
        ctx: &Context<'_>,
        from: Option<String>,
        to: Option<String>,
        scope: Option<String>,
    ) -> Result<Usage> {
        let (p, _) = caller(ctx)?;
        let q = UsageQuery { from, to, scope };
        Ok(services(ctx).usage.report(p, &q).await.gql()?.into())
    }

    /// The caller's API keys (never the secret part).
    async fn api_keys(&self, ctx: &Context<'_>) -> Result<Vec<ApiKey>> {
        let (p, _) = caller(ctx)?;
        let keys = services(ctx).auth.list_api_keys(p).await.gql()?;
        Ok(keys.into_iter().map(ApiKey::from).collect())
    }
}
