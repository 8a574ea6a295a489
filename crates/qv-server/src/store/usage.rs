//! Queries of `usage_records` (one row per completed job).

use super::{Store, StoreError};

/// Usage of one backend on one UTC day.
#[derive(Clone, Debug, PartialEq)]
pub struct UsageRow {
    /// Days since the Unix epoch (UTC).
    pub day: i64,
    pub backend: String,
    pub jobs: i64,
    pub shots: i64,
    pub simulated_seconds: f64,
}

/// Milliseconds in a day (usage is reported per UTC day).
pub const DAY_MS: i64 = 86_400_000;

impl Store {
    /// Usage per UTC day and backend of `user_id` (every user's when
    /// `None`) in `[from_ms, to_ms)`, oldest day first.
    pub async fn usage_by_day(
        &self,
        user_id: Option<&str>,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<UsageRow>, StoreError> {
        let user = user_id.map(str::to_string);
        let rows: Vec<(i64, String, i64, i64, f64)> = crate::with_pool!(self, p => {
            sqlx::query_as(
                "SELECT at / $1 AS day, backend, COUNT(*), CAST(SUM(shots) AS BIGINT), \
                 CAST(SUM(simulated_seconds) AS DOUBLE PRECISION) FROM usage_records \
                 WHERE at >= $2 AND at < $3 AND (CAST($4 AS TEXT) IS NULL OR user_id = $4) \
                 GROUP BY day, backend ORDER BY day, backend",
            )
            .bind(DAY_MS)
            .bind(from_ms)
            .bind(to_ms)
            .bind(user.clone())
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(day, backend, jobs, shots, simulated_seconds)| UsageRow {
                day,
                backend,
                jobs,
                shots,
                simulated_seconds,
            })
            .collect())
    }
}
