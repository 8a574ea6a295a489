//! Users, credentials, refresh tokens, API keys, MFA secrets, login failures.
//!
//! Every state change that races (a refresh-token rotation, a TOTP step, a
//! recovery code, a login failure) is one conditional statement or one
//! transaction, so several servers on one database agree. Login attempts and
//! second-factor checks are reserved (and counted) before the check runs.

use sqlx::FromRow;

use super::{Store, StoreError};
use crate::model::{Role, User};
use crate::with_pool;

/// Columns of [`UserRecord`], for `SELECT ... FROM users u LEFT JOIN mfa_totp m`.
const USER_COLUMNS: &str = "u.id, u.email, u.username, u.role, u.disabled, \
     COALESCE(m.enabled, FALSE) AS mfa_enabled, u.created_at, u.password_hash, \
     u.failed_logins, u.locked_until";

/// A user with the credential columns the API never shows.
#[derive(Clone, Debug, FromRow)]
pub struct UserRecord {
    pub id: String,
    pub email: String,
    pub username: String,
    pub role: String,
    pub disabled: bool,
    pub mfa_enabled: bool,
    pub created_at: i64,
    pub password_hash: String,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
}

impl UserRecord {
    /// The public part.
    pub fn user(&self) -> User {
        User {
            id: self.id.clone(),
            email: self.email.clone(),
            username: self.username.clone(),
            // The column has a CHECK constraint; anything else is treated as the lesser role.
            role: Role::parse(&self.role).unwrap_or(Role::User),
            disabled: self.disabled,
            mfa_enabled: self.mfa_enabled,
            created_at: self.created_at,
        }
    }
}

/// A reserved login attempt (see [`Store::reserve_login`]).
#[derive(Clone, Debug)]
pub struct LoginReservation {
    pub id: String,
    pub password_hash: String,
    pub disabled: bool,
    /// Failures counted so far, this attempt included.
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
    /// Whether this attempt may check the password: the account was neither
    /// locked nor busy with another attempt.
    pub admitted: bool,
}

/// The row [`Store::reserve_login`] reads back.
#[derive(FromRow)]
struct ReservedLogin {
    id: String,
    password_hash: String,
    disabled: bool,
    failed_logins: i64,
    locked_until: Option<i64>,
    /// The attempt in flight after the update: ours when admitted.
    login_attempt: Option<String>,
}

/// When repeated failures lock: after `max_failures`, for `base_s`
/// seconds, doubling with each further failure up to `max_s`.
#[derive(Clone, Copy, Debug)]
pub struct LockLimits {
    pub max_failures: i64,
    pub base_s: i64,
    pub max_s: i64,
}

impl LockLimits {
    /// Lock length in ms after `extra` failures past the maximum.
    pub fn lock_ms(&self, extra: i64) -> i64 {
        let doublings = u32::try_from(extra.clamp(0, 32)).unwrap_or(32);
        self.base_s.max(1).saturating_mul(1i64 << doublings).min(self.max_s.max(1)) * 1000
    }

    /// SQL for [`LockLimits::lock_ms`] of the SQL expression `extra`: a
    /// `CASE` over the few doublings before the cap (both dialects; SQLite
    /// has no portable power function). Only numbers are formatted in.
    fn lock_ms_case(&self, extra: &str) -> String {
        let mut sql = format!("(CASE {extra}");
        let mut n = 0;
        while n < 32 && self.lock_ms(n) < self.lock_ms(n + 1) {
            sql.push_str(&format!(" WHEN {n} THEN {}", self.lock_ms(n)));
            n += 1;
        }
        sql.push_str(&format!(" ELSE {} END)", self.lock_ms(n)));
        sql
    }
}

/// A stored refresh token.
#[derive(Clone, Debug, FromRow)]
pub struct RefreshTokenRecord {
    pub id: String,
    pub user_id: String,
    pub family_id: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A stored API key (the hash is not read back).
#[derive(Clone, Debug, FromRow)]
pub struct ApiKeyRecord {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub prefix: String,
    /// Space-separated scope names.
    pub scopes: String,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
}

/// A new API key to store.
#[derive(Clone, Debug)]
pub struct NewApiKey<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub name: &'a str,
    pub prefix: &'a str,
    pub key_hash: &'a str,
    pub scopes: &'a str,
    pub expires_at: Option<i64>,
    pub created_at: i64,
}

/// A user's TOTP enrolment.
#[derive(Clone, Debug, FromRow)]
pub struct TotpRecord {
    pub secret_enc: Vec<u8>,
    pub enabled: bool,
    pub last_step: Option<i64>,
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

impl Store {
    /// Inserts a user; `Conflict` naming the field when the username or
    /// email (case-insensitively) is taken.
    pub async fn insert_user(
        &self,
        id: &str,
        email: &str,
        username: &str,
        password_hash: &str,
        role: Role,
        now: i64,
    ) -> Result<(), StoreError> {
        let (email_key, username_key) = (email.to_lowercase(), username.to_lowercase());
        let result = with_pool!(self, p => sqlx::query(
            "INSERT INTO users (id, email, email_key, username, username_key, password_hash, role, \
             disabled, failed_logins, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, FALSE, 0, $8, $8)",
        )
        .bind(id)
        .bind(email)
        .bind(&email_key)
        .bind(username)
        .bind(&username_key)
        .bind(password_hash)
        .bind(role.as_str())
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected()));
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => {
                let taken: Option<(String,)> = with_pool!(self, p => sqlx::query_as(
                    "SELECT username_key FROM users WHERE username_key = $1",
                )
                .bind(&username_key)
                .fetch_optional(p)
                .await)?;
                Err(StoreError::Conflict(if taken.is_some() {
                    "username: already taken".into()
                } else {
                    "email: already registered".into()
                }))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The user with `id`.
    pub async fn user_by_id(&self, id: &str) -> Result<Option<UserRecord>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u LEFT JOIN mfa_totp m ON m.user_id = u.id WHERE u.id = $1"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)?)
    }

    /// The user whose username or email is `name` (case-insensitively).
    pub async fn user_by_login(&self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        let key = name.to_lowercase();
        let column = if key.contains('@') { "email_key" } else { "username_key" };
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u LEFT JOIN mfa_totp m ON m.user_id = u.id WHERE u.{column} = $1"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&sql).bind(&key).fetch_optional(p).await)?)
    }

    /// Every user, oldest first.
    pub async fn list_users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u LEFT JOIN mfa_totp m ON m.user_id = u.id \
             ORDER BY u.created_at, u.id"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await)?)
    }

    /// Disables or enables a user; `NotFound` when there is none. Disabling
    /// also revokes every refresh token of the user.
    pub async fn set_user_disabled(
        &self,
        id: &str,
        disabled: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        let n = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query("UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3")
                .bind(disabled)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if disabled {
                sqlx::query(
                    "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            n
        });
        if n == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }

    /// Reserves a login attempt on the account whose username or email is
    /// `name`, in one statement, before any password is checked (see
    /// [`LoginReservation`]). `None` when there is no such account.
    ///
    /// Unless the account is locked, the attempt is counted as a failure at
    /// once (a success clears the count), and the attempt that reaches
    /// `limits.max_failures` also sets the lock; so however many attempts
    /// run at once, at most `max_failures` are ever admitted before the
    /// lock. The attempt is admitted (`attempt` becomes the account's
    /// attempt in flight until `lease_until`) unless the account is locked or
    /// another attempt is in flight.
    pub async fn reserve_login(
        &self,
        name: &str,
        attempt: &str,
        now: i64,
        lease_until: i64,
        limits: &LockLimits,
    ) -> Result<Option<LoginReservation>, StoreError> {
        let key = name.to_lowercase();
        let column = if key.contains('@') { "email_key" } else { "username_key" };
        let lock = limits.lock_ms_case("failed_logins + 1 - $3");
        let sql = format!(
            "UPDATE users SET \
             failed_logins = CASE WHEN locked_until > $2 THEN failed_logins ELSE failed_logins + 1 END, \
             locked_until = CASE WHEN locked_until > $2 THEN locked_until \
                 WHEN failed_logins + 1 >= $3 THEN $2 + {lock} ELSE locked_until END, \
             login_attempt = CASE WHEN locked_until > $2 OR login_attempt_until > $2 \
                 THEN login_attempt ELSE $4 END, \
             login_attempt_until = CASE WHEN locked_until > $2 OR login_attempt_until > $2 \
                 THEN login_attempt_until ELSE $5 END \
             WHERE {column} = $1 \
             RETURNING id, password_hash, disabled, failed_logins, locked_until, login_attempt"
        );
        let row: Option<ReservedLogin> = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(&key)
            .bind(now)
            .bind(limits.max_failures)
            .bind(attempt)
            .bind(lease_until)
            .fetch_optional(p)
            .await)?;
        Ok(row.map(|r| LoginReservation {
            admitted: r.login_attempt.as_deref() == Some(attempt),
            id: r.id,
            password_hash: r.password_hash,
            disabled: r.disabled,
            failed_logins: r.failed_logins,
            locked_until: r.locked_until,
        }))
    }

    /// Ends login attempt `attempt` of user `id` after a wrong password (the
    /// failure was counted by [`Store::reserve_login`]).
    pub async fn release_login(&self, id: &str, attempt: &str) -> Result<(), StoreError> {
        with_pool!(self, p => sqlx::query(
            "UPDATE users SET login_attempt = NULL, login_attempt_until = NULL \
             WHERE id = $1 AND login_attempt = $2",
        )
        .bind(id)
        .bind(attempt)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Ends a login attempt whose password was right: clears the failure
    /// count, any lock and the attempt in flight.
    pub async fn login_succeeded(&self, id: &str) -> Result<(), StoreError> {
        with_pool!(self, p => sqlx::query(
            "UPDATE users SET failed_logins = 0, locked_until = NULL, login_attempt = NULL, \
             login_attempt_until = NULL WHERE id = $1",
        )
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Reserves a check of a second-factor code of user `id`, in one
    /// statement, like [`Store::reserve_login`]: unless codes are locked the
    /// check counts as a failure at once, and the one reaching
    /// `limits.max_failures` sets the lock. `Err(until)` (ms) when codes are
    /// locked; `Ok(())` when the check may run.
    pub async fn reserve_mfa_check(
        &self,
        id: &str,
        attempt: &str,
        now: i64,
        limits: &LockLimits,
    ) -> Result<Result<(), i64>, StoreError> {
        let lock = limits.lock_ms_case("mfa_failures + 1 - $3");
        let sql = format!(
            "UPDATE users SET \
             mfa_failures = CASE WHEN mfa_locked_until > $2 THEN mfa_failures ELSE mfa_failures + 1 END, \
             mfa_locked_until = CASE WHEN mfa_locked_until > $2 THEN mfa_locked_until \
                 WHEN mfa_failures + 1 >= $3 THEN $2 + {lock} ELSE mfa_locked_until END, \
             mfa_attempt = CASE WHEN mfa_locked_until > $2 THEN mfa_attempt ELSE $4 END \
             WHERE id = $1 RETURNING mfa_attempt, mfa_locked_until"
        );
        let row: Option<(Option<String>, Option<i64>)> = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(id)
            .bind(now)
            .bind(limits.max_failures)
            .bind(attempt)
            .fetch_optional(p)
            .await)?;
        match row {
            None => Err(StoreError::NotFound("user")),
            Some((holder, _)) if holder.as_deref() == Some(attempt) => Ok(Ok(())),
            Some((_, until)) => Ok(Err(until.unwrap_or(now))),
        }
    }

    /// Clears the wrong-code count and lock of user `id` (a right code).
    pub async fn mfa_succeeded(&self, id: &str) -> Result<(), StoreError> {
        with_pool!(self, p => sqlx::query(
            "UPDATE users SET mfa_failures = 0, mfa_locked_until = NULL, mfa_attempt = NULL \
             WHERE id = $1",
        )
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Stores a refresh token (its SHA-256 hex).
    pub async fn insert_refresh_token(
        &self,
        id: &str,
        user_id: &str,
        family_id: &str,
        token_hash: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, p => sqlx::query(
            "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(user_id)
        .bind(family_id)
        .bind(token_hash)
        .bind(expires_at)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The refresh token with hash `token_hash`.
    pub async fn refresh_token_by_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<RefreshTokenRecord>, StoreError> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, user_id, family_id, expires_at, used_at, revoked_at \
             FROM refresh_tokens WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(p)
        .await)?)
    }

    /// Marks `old_id` used and stores its successor in the same family, in
    /// one transaction. `false` (and nothing stored) when `old_id` was
    /// already used or revoked: the caller treats that as reuse.
    pub async fn rotate_refresh_token(
        &self,
        old_id: &str,
        new_id: &str,
        user_id: &str,
        family_id: &str,
        new_hash: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        Ok(with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE refresh_tokens SET used_at = $1 \
                 WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(old_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                sqlx::query(
                    "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(new_id)
                .bind(user_id)
                .bind(family_id)
                .bind(new_hash)
                .bind(expires_at)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                true
            } else {
                tx.rollback().await?;
                false
            }
        }))
    }

    /// Revokes every token of a refresh-token family.
    pub async fn revoke_refresh_family(&self, family_id: &str, now: i64) -> Result<(), StoreError> {
        with_pool!(self, p => sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(family_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Stores a new API key.
    pub async fn insert_api_key(&self, k: &NewApiKey<'_>) -> Result<(), StoreError> {
        with_pool!(self, p => sqlx::query(
            "INSERT INTO api_keys (id, user_id, name, prefix, key_hash, scopes, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(k.id)
        .bind(k.user_id)
        .bind(k.name)
        .bind(k.prefix)
        .bind(k.key_hash)
        .bind(k.scopes)
        .bind(k.expires_at)
        .bind(k.created_at)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The API key with hash `key_hash` (one indexed lookup).
    pub async fn api_key_by_hash(
        &self,
        key_hash: &str,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, user_id, name, prefix, scopes, expires_at, last_used_at, revoked_at, created_at \
             FROM api_keys WHERE key_hash = $1",
        )
        .bind(key_hash)
        .fetch_optional(p)
        .await)?)
    }

    /// A user's API keys, newest first (revoked ones included).
    pub async fn list_api_keys(&self, user_id: &str) -> Result<Vec<ApiKeyRecord>, StoreError> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, user_id, name, prefix, scopes, expires_at, last_used_at, revoked_at, created_at \
             FROM api_keys WHERE user_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(user_id)
        .fetch_all(p)
        .await)?)
    }

    /// Revokes `user_id`'s key `id` (idempotent); `NotFound` when the user
    /// has no such key, whoever else might.
    pub async fn revoke_api_key(
        &self,
        id: &str,
        user_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let found: Option<(String,)> = with_pool!(self, p => sqlx::query_as(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) \
             WHERE id = $2 AND user_id = $3 RETURNING id",
        )
        .bind(now)
        .bind(id)
        .bind(user_id)
        .fetch_optional(p)
        .await)?;
        found.map(|_| ()).ok_or(StoreError::NotFound("API key"))
    }

    /// Records that a key was used at `now`.
    pub async fn touch_api_key(&self, id: &str, now: i64) -> Result<(), StoreError> {
        with_pool!(self, p => sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// A user's TOTP enrolment, if any.
    pub async fn totp(&self, user_id: &str) -> Result<Option<TotpRecord>, StoreError> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT secret_enc, enabled, last_step FROM mfa_totp WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(p)
        .await)?)
    }

    /// Stores a pending (not yet verified) TOTP secret, replacing an earlier
    /// pending one; `Conflict` when TOTP is already enabled.
    pub async fn put_pending_totp(
        &self,
        user_id: &str,
        secret_enc: &[u8],
        now: i64,
    ) -> Result<(), StoreError> {
        let n = with_pool!(self, p => sqlx::query(
            "INSERT INTO mfa_totp (user_id, secret_enc, enabled, last_step, created_at) \
             VALUES ($1, $2, FALSE, NULL, $3) \
             ON CONFLICT (user_id) DO UPDATE SET secret_enc = excluded.secret_enc, \
             last_step = NULL, created_at = excluded.created_at WHERE mfa_totp.enabled = FALSE",
        )
        .bind(user_id)
        .bind(secret_enc)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::Conflict("TOTP is already enabled; disable it first".into()));
        }
        Ok(())
    }

    /// Accepts TOTP step `step` if it is later than the last accepted one
    /// (the replay guard); `false` otherwise.
    pub async fn accept_totp_step(&self, user_id: &str, step: i64) -> Result<bool, StoreError> {
        let n = with_pool!(self, p => sqlx::query(
            "UPDATE mfa_totp SET last_step = $1 \
             WHERE user_id = $2 AND enabled = TRUE AND (last_step IS NULL OR last_step < $1)",
        )
        .bind(step)
        .bind(user_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Enables a pending enrolment at `step` and replaces the recovery codes,
    /// in one transaction; `false` when there is no pending enrolment (or
    /// the step was already used).
    pub async fn enable_totp(
        &self,
        user_id: &str,
        step: i64,
        recovery_hashes: &[String],
    ) -> Result<bool, StoreError> {
        Ok(with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE mfa_totp SET enabled = TRUE, last_step = $1 \
                 WHERE user_id = $2 AND enabled = FALSE AND (last_step IS NULL OR last_step < $1)",
            )
            .bind(step)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                for hash in recovery_hashes {
                    sqlx::query(
                        "INSERT INTO mfa_recovery_codes (id, user_id, code_hash) VALUES ($1, $2, $3)",
                    )
                    .bind(crate::model::new_id())
                    .bind(user_id)
                    .bind(hash)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                true
            } else {
                tx.rollback().await?;
                false
            }
        }))
    }

    /// Removes TOTP and the recovery codes of a user.
    pub async fn delete_totp(&self, user_id: &str) -> Result<(), StoreError> {
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM mfa_totp WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Spends an unused recovery code; `false` when there is none with this hash.
    pub async fn use_recovery_code(
        &self,
        user_id: &str,
        code_hash: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let n = with_pool!(self, p => sqlx::query(
            "UPDATE mfa_recovery_codes SET used_at = $1 \
             WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
        )
        .bind(now)
        .bind(user_id)
        .bind(code_hash)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}
