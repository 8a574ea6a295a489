-- Abuse limits (docs/server.md, "Abuse limits: jobs, results and memory"):
-- each job's memory estimate (memory admission), the size of its stored
-- result (per-user result quota), an administrator's cross-user priority,
-- and one row of queue state per user (quotas and fair share without
-- scanning the queue).
ALTER TABLE jobs ADD COLUMN memory_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN result_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN admin_priority INTEGER NOT NULL DEFAULT 0;
UPDATE jobs SET result_bytes = length(CAST(result AS BLOB)) WHERE result IS NOT NULL;
-- A user's queue head: their own priority, then age.
CREATE INDEX jobs_user_queue ON jobs(status, user_id, priority DESC, created_at, id);
-- Jobs an administrator moved ahead of every user's.
CREATE INDEX jobs_admin_queue ON jobs(status, admin_priority DESC, created_at, id) WHERE admin_priority > 0;

CREATE TABLE user_job_stats (
    user_id           TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    queued            INTEGER NOT NULL DEFAULT 0,   -- jobs QUEUED
    running           INTEGER NOT NULL DEFAULT 0,   -- jobs RUNNING or CANCELLING
    result_bytes      INTEGER NOT NULL DEFAULT 0,   -- stored results, bytes
    last_dispatch_at  INTEGER NOT NULL DEFAULT 0    -- when a job of theirs was last claimed
);
-- Fair share: users with queued jobs, fewest running first, then longest waiting.
CREATE INDEX user_job_stats_ready ON user_job_stats(running, last_dispatch_at, user_id) WHERE queued > 0;
INSERT INTO user_job_stats (user_id, queued, running, result_bytes, last_dispatch_at)
SELECT user_id,
       SUM(CASE WHEN status = 'QUEUED' THEN 1 ELSE 0 END),
       SUM(CASE WHEN status IN ('RUNNING', 'CANCELLING') THEN 1 ELSE 0 END),
       SUM(result_bytes),
       COALESCE(MAX(started_at), 0)
FROM jobs GROUP BY user_id;
