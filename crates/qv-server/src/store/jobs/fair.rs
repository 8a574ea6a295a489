//! Claims in fair-share order, and start marks.
//!
//! A claim reads at most a batch's worth of rows through indexes, whatever
//! the queue's length: jobs an administrator gave an `admin_priority`
//! (`jobs_admin_queue`, usually empty), the users with queued jobs from
//! `user_job_stats` (fewest running first, then the one whose last claim is
//! oldest: round-robin), and the head of each such user's own queue
//! (`jobs_user_queue`: their `priority`, then age). The batch takes those
//! users' heads in turns, and only jobs whose memory estimate fits what the
//! caller has free; a job that does not fit is skipped (jobs behind it still
//! run) and reported, so that the caller can hold memory back for it.
//!
//! On PostgreSQL the candidate rows are read `FOR UPDATE SKIP LOCKED`, so
//! concurrent claimers never take the same job; SQLite has one writer.

use sqlx::Row;

use super::{
    event, Claimed, Dialect, JobEvent, JobStatus, StatDelta, StatDeltas, Store, StoreError,
    JOBS_QUEUED_CHANNEL,
};
use crate::model::now_ms;

/// What a claim asks for.
#[derive(Clone, Debug)]
pub struct ClaimRequest<'a> {
    /// The worker pool claiming (its leases carry this name).
    pub owner: &'a str,
    /// Most jobs to claim.
    pub max: i64,
    pub lease_ms: i64,
    /// Memory the claimed jobs may reserve together (their estimates).
    pub free_memory: i64,
    /// A job to take first if it is still queued and fits (one that waited
    /// for memory long enough).
    pub prefer: Option<&'a str>,
}

/// What a claim took.
#[derive(Clone, Debug, Default)]
pub struct Claims {
    pub claimed: Vec<Claimed>,
    /// Status events to publish.
    pub events: Vec<JobEvent>,
    /// The first job in fair-share order that was skipped because its
    /// memory estimate did not fit: `(id, memory_bytes)`.
    pub skipped_for_memory: Option<(String, i64)>,
}

/// A queued job considered by a claim.
#[derive(Clone, Debug)]
struct Candidate {
    id: String,
    user_id: String,
    priority: i64,
    created_at: i64,
    memory_bytes: i64,
}

const CANDIDATE_COLUMNS: &str = "id, user_id, priority, created_at, memory_bytes";

macro_rules! candidates {
    ($q:expr, $tx:ident) => {{
        let rows = $q.fetch_all(&mut *$tx).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(Candidate {
                id: r.try_get("id")?,
                user_id: r.try_get("user_id")?,
                priority: r.try_get("priority")?,
                created_at: r.try_get("created_at")?,
                memory_bytes: r.try_get("memory_bytes")?,
            });
        }
        out
    }};
}

impl Store {
    /// Claims up to `max` queued jobs for `owner` with a lease of
    /// `lease_ms`, without a memory limit (see [`Store::claim_jobs_with`]).
    pub async fn claim_jobs(
        &self,
        owner: &str,
        max: i64,
        lease_ms: i64,
    ) -> Result<(Vec<Claimed>, Vec<JobEvent>), StoreError> {
        let req = ClaimRequest { owner, max, lease_ms, free_memory: i64::MAX, prefer: None };
        let c = self.claim_jobs_with(&req).await?;
        Ok((c.claimed, c.events))
    }

    /// Claims queued jobs in fair-share order (see the module
    /// documentation): each becomes RUNNING with a lease and a new fence.
    /// `attempts` and `started_at` are left to [`Store::start_jobs`].
    pub async fn claim_jobs_with(&self, req: &ClaimRequest<'_>) -> Result<Claims, StoreError> {
        let now = now_ms();
        let max = req.max.max(1);
        let pg = self.dialect() == Dialect::Postgres;
        let lock = if pg { " FOR UPDATE SKIP LOCKED" } else { "" };
        with_tx!(self, tx => {
            let mut first: Vec<Candidate> = Vec::new();
            if let Some(id) = req.prefer {
                let sql = format!(
                    "SELECT {CANDIDATE_COLUMNS} FROM jobs WHERE id = $1 AND status = 'QUEUED'{lock}"
                );
                first.extend(candidates!(sqlx::query(&sql).bind(id.to_string()), tx));
            }
            let sql = format!(
                "SELECT {CANDIDATE_COLUMNS} FROM jobs WHERE status = 'QUEUED' AND \
                 admin_priority > 0 ORDER BY admin_priority DESC, created_at, id LIMIT $1{lock}"
            );
            first.extend(candidates!(sqlx::query(&sql).bind(max), tx));
            let users: Vec<String> = sqlx::query_scalar(
                "SELECT user_id FROM user_job_stats WHERE queued > 0 \
                 ORDER BY running, last_dispatch_at, user_id LIMIT $1",
            )
            .bind(max)
            .fetch_all(&mut *tx)
            .await?;
            let mut heads: Vec<Vec<Candidate>> = vec![Vec::new(); users.len()];
            if !users.is_empty() {
                // Enough of each user's head for the batch to be taken in turns.
                let per_user = (max + users.len() as i64 - 1) / users.len() as i64;
                let sql = heads_sql(pg, users.len(), per_user);
                let mut q = sqlx::query(&sql);
                for u in &users {
                    q = q.bind(u.clone());
                }
                for c in candidates!(q, tx) {
                    if let Some(i) = users.iter().position(|u| *u == c.user_id) {
                        heads[i].push(c);
                    }
                }
                for h in &mut heads {
                    h.sort_by(|a, b| {
                        (b.priority, a.created_at, &a.id).cmp(&(a.priority, b.created_at, &b.id))
                    });
                }
            }
            let (picked, skipped) = pick(first, heads, max as usize, req.free_memory);
            let mut claims = Claims { skipped_for_memory: skipped, ..Claims::default() };
            if picked.is_empty() {
                tx.commit().await?;
                return Ok(claims);
            }
            let list: Vec<String> = (3..picked.len() + 3).map(|i| format!("${i}")).collect();
            let sql = format!(
                "UPDATE jobs SET status = 'RUNNING', lease_owner = $1, lease_expires_at = $2, \
                 fence = fence + 1 WHERE status = 'QUEUED' AND id IN ({}) \
                 RETURNING id, user_id, spec, fence, attempts, shots, priority, admin_priority, \
                 created_at, memory_bytes",
                list.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(req.owner.to_string()).bind(now + req.lease_ms);
            for id in &picked {
                q = q.bind(id.clone());
            }
            let rows = q.fetch_all(&mut *tx).await?;
            let mut deltas = StatDeltas::new();
            for r in rows {
                let c = Claimed {
                    id: r.try_get("id")?,
                    user_id: r.try_get("user_id")?,
                    spec: r.try_get("spec")?,
                    fence: r.try_get("fence")?,
                    attempts: r.try_get("attempts")?,
                    shots: r.try_get("shots")?,
                    priority: r.try_get("priority")?,
                    admin_priority: r.try_get("admin_priority")?,
                    created_at: r.try_get("created_at")?,
                    memory_bytes: r.try_get("memory_bytes")?,
                };
                let d = deltas.entry(c.user_id.clone()).or_default();
                d.queued -= 1;
                d.running += 1;
                d.dispatched_at = now;
                claims.claimed.push(c);
            }
            // Back in fair-share order (RETURNING has none).
            claims.claimed.sort_by_key(|c| picked.iter().position(|p| *p == c.id));
            apply_stats!(tx, &deltas);
            claims.events = claims
                .claimed
                .iter()
                .map(|c| event(&c.id, &c.user_id, JobStatus::Running, now, None))
                .collect();
            record_events!(self, tx, &claims.events, now);
            tx.commit().await?;
            Ok(claims)
        })
    }

    /// Records that claimed jobs start now: sets `started_at` and counts the
    /// attempt, for each `(id, fence)` still held with that fence. Returns
    /// the ids written. A worker calls it (and waits for the commit) just
    /// before the simulation begins, so a job that brings its worker down
    /// uses up its attempts, and one claimed but never started does not.
    pub async fn start_jobs(&self, jobs: &[(String, i64)]) -> Result<Vec<String>, StoreError> {
        let now = now_ms();
        let mut started = Vec::with_capacity(jobs.len());
        for chunk in jobs.chunks(200) {
            // `id IN (...)` finds the rows through the primary key (a
            // row-value `(id, fence) IN (VALUES ...)` made SQLite scan).
            let ids: Vec<String> = (0..chunk.len()).map(|i| format!("${}", 2 * i + 2)).collect();
            let fences: Vec<String> = (0..chunk.len())
                .map(|i| format!("WHEN ${} THEN ${}", 2 * i + 2, 2 * i + 3))
                .collect();
            let sql = format!(
                "UPDATE jobs SET started_at = $1, attempts = attempts + 1 \
                 WHERE id IN ({}) AND fence = CASE id {} END \
                 AND status IN ('RUNNING', 'CANCELLING') AND started_at IS NULL RETURNING id",
                ids.join(", "),
                fences.join(" ")
            );
            // One statement, atomic by itself: no BEGIN/COMMIT round trips
            // (each job waits for this before it simulates). SQLite writes
            // go through the writer connection.
            macro_rules! run {
                ($executor:expr) => {{
                    let mut q = sqlx::query_scalar::<_, String>(&sql).bind(now);
                    for (id, fence) in chunk {
                        q = q.bind(id.clone()).bind(*fence);
                    }
                    q.fetch_all($executor).await?
                }};
            }
            started.extend(match &self.pool {
                crate::store::Pool::Sqlite(p) => run!(self.sqlite_write_pool(p)),
                crate::store::Pool::Postgres(p) => run!(p),
            });
        }
        Ok(started)
    }
}

/// Candidate rows of the heads of `users` user queues, `per_user` each
/// (parameters `$1..$users` are the user ids).
fn heads_sql(pg: bool, users: usize, per_user: i64) -> String {
    if pg {
        // LATERAL: one index range per user, locked and skipped row by row.
        let values: Vec<String> = (1..=users).map(|i| format!("(${i})")).collect();
        format!(
            "SELECT j.id, j.user_id, j.priority, j.created_at, j.memory_bytes \
             FROM (VALUES {}) AS u(uid) CROSS JOIN LATERAL \
             (SELECT id, user_id, priority, created_at, memory_bytes FROM jobs \
             WHERE status = 'QUEUED' AND user_id = u.uid \
             ORDER BY priority DESC, created_at, id LIMIT {per_user} FOR UPDATE SKIP LOCKED) j",
            values.join(", ")
        )
    } else {
        let parts: Vec<String> = (1..=users)
            .map(|i| {
                format!(
                    "SELECT * FROM (SELECT {CANDIDATE_COLUMNS} FROM jobs WHERE status = 'QUEUED' \
                     AND user_id = ${i} ORDER BY priority DESC, created_at, id LIMIT {per_user})"
                )
            })
            .collect();
        parts.join(" UNION ALL ")
    }
}

/// The ids to claim: `first` in order, then the users' heads in turns, each
/// only if its memory estimate fits what is left of `free_memory`. Also
/// returns the first job skipped for memory.
fn pick(
    first: Vec<Candidate>,
    heads: Vec<Vec<Candidate>>,
    max: usize,
    free_memory: i64,
) -> (Vec<String>, Option<(String, i64)>) {
    let mut free = free_memory;
    let mut picked: Vec<String> = Vec::new();
    let mut skipped = None;
    let mut consider = |c: Candidate, picked: &mut Vec<String>| {
        if picked.len() >= max || picked.contains(&c.id) {
            return;
        }
        if c.memory_bytes <= free {
            free -= c.memory_bytes;
            picked.push(c.id);
        } else if skipped.is_none() {
            skipped = Some((c.id, c.memory_bytes));
        }
    };
    for c in first {
        consider(c, &mut picked);
    }
    let mut queues: Vec<std::collections::VecDeque<Candidate>> =
        heads.into_iter().map(Into::into).collect();
    while picked.len() < max && queues.iter().any(|q| !q.is_empty()) {
        for q in &mut queues {
            if let Some(c) = q.pop_front() {
                consider(c, &mut picked);
            }
        }
    }
    (picked, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: &str, user: &str, mem: i64) -> Candidate {
        Candidate {
            id: id.into(),
            user_id: user.into(),
            priority: 0,
            created_at: 0,
            memory_bytes: mem,
        }
    }

    #[test]
    fn users_take_turns_and_big_jobs_are_skipped_not_blocking() {
        let heads =
            vec![vec![c("a1", "a", 1), c("a2", "a", 100), c("a3", "a", 1)], vec![c("b1", "b", 1)]];
        let (picked, skipped) = pick(vec![c("x", "z", 1)], heads, 10, 10);
        assert_eq!(picked, ["x", "a1", "b1", "a3"]);
        assert_eq!(skipped, Some(("a2".to_string(), 100)));
        let heads = vec![vec![c("a1", "a", 1), c("a2", "a", 1)], vec![c("b1", "b", 1)]];
        let (picked, _) = pick(vec![], heads, 2, i64::MAX);
        assert_eq!(picked, ["a1", "b1"], "the batch limit cuts after a full turn");
    }
}
