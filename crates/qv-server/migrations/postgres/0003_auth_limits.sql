-- Abuse limits on authentication (docs/server.md, "Abuse limits").
-- A login reserves its attempt in one UPDATE before Argon2 runs: the
-- attempt id and lease mark the one login in flight per account.
ALTER TABLE users ADD COLUMN login_attempt TEXT;
ALTER TABLE users ADD COLUMN login_attempt_until BIGINT;
-- Wrong second-factor codes (TOTP or recovery), counted per user like
-- failed logins, with their own lock; mfa_attempt marks the admitted check.
ALTER TABLE users ADD COLUMN mfa_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN mfa_locked_until BIGINT;
ALTER TABLE users ADD COLUMN mfa_attempt TEXT;
