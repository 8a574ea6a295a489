//! Authentication and authorisation.
//!
//! Passwords are Argon2id; access tokens are EdDSA (Ed25519) JWTs with
//! `iss`, `aud` and `typ` checked and `alg` pinned; refresh tokens are opaque,
//! stored as SHA-256 and rotated (reuse revokes the family); API keys are
//! `qv_` + random bits, stored as SHA-256, with scopes; TOTP secrets are
//! encrypted under a key derived from the server key.
//!
//! Abuse limits (docs/server.md, "Abuse limits: authentication and live
//! events"): a login takes a place in the bounded Argon2 queue first (503
//! when full), then reserves its attempt on the account in one statement
//! (counted as a failure until it succeeds; the attempt that reaches
//! `login_max_failures` locks the account; one attempt in flight per
//! account), so concurrent guesses never get more than `login_max_failures`
//! checks of the real hash. Unknown, locked and busy accounts are checked
//! against a dummy hash and answered exactly like a wrong password.
//! Second-factor codes are counted the same way per user, with their own
//! lock (429 `mfa_locked`). New passwords follow [`policy`].

pub mod jwt;
pub mod keys;
pub mod password;
pub mod policy;
pub mod totp;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::model::{new_id, now_ms, Role, User};
use crate::service::{ErrorKind, ServiceError};
use crate::store::{ApiKeyRecord, LockLimits, NewApiKey, Store, UserRecord};
use keys::ServerKeys;
use password::Passwords;

/// What a credential allows.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub enum Scope {
    /// Read own jobs and results.
    #[serde(rename = "jobs:read")]
    JobsRead,
    /// Submit, cancel and delete own jobs.
    #[serde(rename = "jobs:write")]
    JobsWrite,
    /// Admin routes (only effective for admin users).
    #[serde(rename = "admin")]
    Admin,
}

impl Scope {
    /// The scope's name (`jobs:read`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::JobsRead => "jobs:read",
            Scope::JobsWrite => "jobs:write",
            Scope::Admin => "admin",
        }
    }

    /// Parses a scope name.
    pub fn parse(s: &str) -> Option<Scope> {
        [Scope::JobsRead, Scope::JobsWrite, Scope::Admin].into_iter().find(|x| x.as_str() == s)
    }
}

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct Principal {
    /// The account (never disabled: disabled accounts do not authenticate).
    pub user: User,
    /// What this credential may do: every scope of the role for an access
    /// token, the key's scopes (minus `admin` for non-admins) for an API key.
    pub scopes: Vec<Scope>,
    /// The API key used, if any.
    pub api_key_id: Option<String>,
}

impl Principal {
    /// Whether the caller is an admin acting with admin scope.
    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin && self.scopes.contains(&Scope::Admin)
    }

    /// 403 unless the credential carries `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ServiceError> {
        if scope == Scope::Admin && !self.is_admin() {
            return Err(ServiceError::forbidden("this route is for administrators"));
        }
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(ServiceError::forbidden(format!(
                "the credential lacks the `{}` scope",
                scope.as_str()
            )))
        }
    }

    /// Key of the caller's rate-limit bucket (per API key, else per user).
    pub fn rate_key(&self) -> String {
        match &self.api_key_id {
            Some(k) => format!("key:{k}"),
            None => format!("user:{}", self.user.id),
        }
    }
}

/// Seconds a resolved user or API key is reused without asking the
/// database. Changes made through this server (disable, revoke) take effect
/// at once (a lookup racing with them cannot put the old record back: see
/// [`TtlCache::put_if_current`]); other servers on the same database see
/// them within this time.
const CACHE_TTL: Duration = Duration::from_secs(2);
/// Entries per cache before stale ones are dropped.
const CACHE_CAP: usize = 10_000;
/// `last_used_at` of an API key is written at most this often (ms).
const TOUCH_EVERY_MS: i64 = 60_000;
/// First lock after too many failed logins, doubling with each further failure.
const LOCK_BASE_S: i64 = 30;
/// Longest lock.
const LOCK_MAX_S: i64 = 3600;
/// Longest lock of second-factor codes (they double from `mfa_lock_s`).
const MFA_LOCK_MAX_S: i64 = 86_400;
/// How long a login attempt marks its account busy at most (the mark of a
/// server that died mid-login expires after this).
const LOGIN_LEASE_MS: i64 = 30_000;
/// Length of a key: `qv_` + 43 base64url characters (32 bytes).
const API_KEY_LEN: usize = 3 + 43;
/// Characters of a key kept in listings.
const API_KEY_PREFIX_LEN: usize = 11;

/// Access and refresh token of a login or refresh.
#[derive(Clone, Debug)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds the access token is valid.
    pub expires_in: u64,
}

/// A small map with a time-to-live per entry.
#[derive(Debug)]
struct TtlCache<V> {
    map: Mutex<HashMap<String, (Instant, V)>>,
    /// Bumped by every removal: a lookup that read the database before a
    /// removal must not store what it read after it.
    generation: AtomicU64,
}

impl<V: Clone> TtlCache<V> {
    fn new() -> Self {
        TtlCache { map: Mutex::new(HashMap::new()), generation: AtomicU64::new(0) }
    }

    /// The generation to pass to [`TtlCache::put_if_current`]; read it
    /// before reading the database.
    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Stores `value` unless a removal happened since `generation` was read
    /// (the value may be what the removal meant to forget).
    fn put_if_current(&self, key: String, value: V, generation: u64) {
        let mut map = self.lock();
        if self.generation() == generation {
            Self::insert(&mut map, key, value);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, V)>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, key: &str) -> Option<V> {
        let map = self.lock();
        map.get(key).filter(|(at, _)| at.elapsed() < CACHE_TTL).map(|(_, v)| v.clone())
    }

    fn insert(map: &mut HashMap<String, (Instant, V)>, key: String, value: V) {
        if map.len() >= CACHE_CAP {
            map.retain(|_, (at, _)| at.elapsed() < CACHE_TTL);
            if map.len() >= CACHE_CAP {
                map.clear();
            }
        }
        map.insert(key, (Instant::now(), value));
    }

    fn remove_where(&self, f: impl Fn(&str, &V) -> bool) {
        // Bump before taking the lock: any put after this sees the change.
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.lock().retain(|k, (_, v)| !f(k, v));
    }
}

/// The authentication service.
pub struct AuthService {
    pub(crate) store: Store,
    pub(crate) config: Arc<Config>,
    keys: ServerKeys,
    verifying: VerifyingKey,
    passwords: Passwords,
    users: TtlCache<User>,
    /// API keys by hash.
    api_keys: TtlCache<ApiKeyRecord>,
    /// When this process last wrote each key's `last_used_at` (ms).
    touched: Mutex<HashMap<String, i64>>,
}

impl std::fmt::Debug for AuthService {
    // Caches hold accounts and key records: keep them out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthService").field("keys", &self.keys).finish_non_exhaustive()
    }
}

fn sha256_hex(s: &str) -> String {
    keys::hex(&Sha256::digest(s.as_bytes()))
}

fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

fn validation(message: impl Into<String>) -> ServiceError {
    ServiceError::invalid("validation_error", message)
}

/// The one answer to a login that did not check out: wrong password,
/// unknown account, locked account or another attempt in flight (telling
/// them apart would tell which accounts exist and which are locked).
fn invalid_credentials() -> ServiceError {
    ServiceError::new(
        ErrorKind::Unauthenticated,
        "invalid_credentials",
        "invalid username or password (after repeated failures an account is locked for a while)",
    )
}

/// 429 while a user's second-factor codes are locked.
fn mfa_locked(until_ms: i64, now_ms: i64) -> ServiceError {
    let secs = u64::try_from((until_ms - now_ms + 999) / 1000).unwrap_or(1).max(1);
    ServiceError {
        retry_after: Some(secs),
        ..ServiceError::new(
            ErrorKind::Exhausted,
            "mfa_locked",
            format!("too many wrong two-factor codes: codes are refused for {secs} s"),
        )
    }
}

/// `password` cut to [`policy::MAX_CHARS`] characters (bounds the Argon2
/// input of a login whose password can match no account), and whether it was cut.
fn bounded(password: &str) -> (&str, bool) {
    match password.char_indices().nth(policy::MAX_CHARS) {
        Some((at, _)) => (&password[..at], true),
        None => (password, false),
    }
}

/// Checks the registration fields; the error names the first bad one.
pub fn validate_registration(
    email: &str,
    username: &str,
    password: &str,
) -> Result<(), ServiceError> {
    let ulen = username.chars().count();
    if !(3..=32).contains(&ulen)
        || !username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err(validation(
            "username: must be 3 to 32 characters of letters, digits, `_`, `.` and `-`",
        ));
    }
    let parts: Vec<&str> = email.split('@').collect();
    if parts.len() != 2
        || parts.iter().any(|p| p.is_empty())
        || email.len() > 254
        || email.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(validation(
            "email: must be an address with one `@` and text on both sides (at most 254 characters, no spaces)",
        ));
    }
    match policy::check(password, username, email) {
        Some(why) => Err(validation(why)),
        None => Ok(()),
    }
}

/// Every scope an access token of `role` carries.
pub fn role_scopes(role: Role) -> Vec<Scope> {
    match role {
        Role::Admin => vec![Scope::JobsRead, Scope::JobsWrite, Scope::Admin],
        Role::User => vec![Scope::JobsRead, Scope::JobsWrite],
    }
}

impl AuthService {
    /// Builds the service: loads (or creates) the server key.
    pub async fn new(store: Store, config: Arc<Config>) -> Result<AuthService, ServiceError> {
        let keys = {
            let config = config.clone();
            tokio::task::spawn_blocking(move || ServerKeys::load(&config))
                .await
                .map_err(ServiceError::internal)?
                .map_err(ServiceError::unavailable)?
        };
        let (concurrency, queue) = (config.argon2_concurrency(), config.argon2_queue());
        let passwords = {
            let p = tokio::task::spawn_blocking(move || Passwords::new(concurrency, queue));
            p.await.map_err(ServiceError::internal)??
        };
        Ok(AuthService {
            store,
            config,
            verifying: keys.jwt.verifying_key(),
            keys,
            passwords,
            users: TtlCache::new(),
            api_keys: TtlCache::new(),
            touched: Mutex::new(HashMap::new()),
        })
    }

    /// When an access token expires (Unix seconds, its `exp`); `None` for
    /// API keys and for tokens that do not verify.
    pub fn access_token_expiry(&self, bearer: &str) -> Option<i64> {
        if bearer.starts_with("qv_") {
            return None;
        }
        jwt::verify(&self.verifying, bearer, now_ms() / 1000).ok().map(|c| c.exp)
    }

    /// The public key that verifies access tokens.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying
    }

    /// Resolves a bearer credential (an access JWT or an API key) to a
    /// principal; 401 when it is missing, invalid, expired or revoked, or
    /// the account is disabled.
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal, ServiceError> {
        if bearer.starts_with("qv_") {
            return self.authenticate_key(bearer).await;
        }
        let claims = jwt::verify(&self.verifying, bearer, now_ms() / 1000).map_err(|e| {
            tracing::debug!(reason = %e, "access token refused");
            ServiceError::unauthorized("invalid or expired access token")
        })?;
        let user = self.active_user(&claims.sub).await?;
        Ok(Principal { scopes: role_scopes(user.role), user, api_key_id: None })
    }

    async fn authenticate_key(&self, key: &str) -> Result<Principal, ServiceError> {
        let invalid = || ServiceError::unauthorized("invalid API key");
        if key.len() != API_KEY_LEN {
            return Err(invalid());
        }
        let hash = sha256_hex(key);
        let record = match self.api_keys.get(&hash) {
            Some(r) => r,
            None => {
                let generation = self.api_keys.generation();
                let r = self.store.api_key_by_hash(&hash).await?.ok_or_else(invalid)?;
                self.api_keys.put_if_current(hash, r.clone(), generation);
                r
            }
        };
        let now = now_ms();
        if record.revoked_at.is_some() {
            return Err(ServiceError::unauthorized("API key revoked"));
        }
        if record.expires_at.is_some_and(|e| e <= now) {
            return Err(ServiceError::unauthorized("API key expired"));
        }
        let user = self.active_user(&record.user_id).await?;
        let scopes = record
            .scopes
            .split_whitespace()
            .filter_map(Scope::parse)
            .filter(|s| *s != Scope::Admin || user.role == Role::Admin)
            .collect();
        self.touch(&record, now).await;
        Ok(Principal { user, scopes, api_key_id: Some(record.id) })
    }

    /// Writes `last_used_at` when this process has not for a minute.
    async fn touch(&self, record: &ApiKeyRecord, now: i64) {
        {
            let mut touched = self.touched.lock().unwrap_or_else(|e| e.into_inner());
            let last = touched.get(&record.id).copied().max(record.last_used_at).unwrap_or(0);
            if now - last < TOUCH_EVERY_MS {
                return;
            }
            if touched.len() >= CACHE_CAP * 10 {
                touched.clear();
            }
            touched.insert(record.id.clone(), now);
        }
        // Best effort: a failed write must not fail the request.
        if let Err(e) = self.store.touch_api_key(&record.id, now).await {
            tracing::warn!(error = %e, "could not record API key use");
        }
    }

    /// The user `id`, if it exists and is not disabled (401 otherwise).
    async fn active_user(&self, id: &str) -> Result<User, ServiceError> {
        let user = match self.users.get(id) {
            Some(u) => u,
            None => {
                let generation = self.users.generation();
                let u = self
                    .store
                    .user_by_id(id)
                    .await?
                    .ok_or_else(|| ServiceError::unauthorized("the account no longer exists"))?
                    .user();
                self.users.put_if_current(id.to_string(), u.clone(), generation);
                u
            }
        };
        if user.disabled {
            return Err(ServiceError::unauthorized("the account is disabled"));
        }
        Ok(user)
    }

    fn forget_user(&self, id: &str) {
        self.users.remove_where(|k, _| k == id);
        self.api_keys.remove_where(|_, r| r.user_id == id);
    }

    /// Creates an account (used by registration and `qv admin create-user`).
    pub async fn create_user(
        &self,
        email: &str,
        username: &str,
        password: &str,
        role: Role,
    ) -> Result<User, ServiceError> {
        validate_registration(email, username, password)?;
        let hash = self.passwords.hash(password).await?;
        let id = new_id();
        self.store.insert_user(&id, email, username, &hash, role, now_ms()).await?;
        self.user(&id).await
    }

    /// The current state of user `id` (404 when there is none).
    pub async fn user(&self, id: &str) -> Result<User, ServiceError> {
        Ok(self.store.user_by_id(id).await?.ok_or_else(|| ServiceError::not_found("user"))?.user())
    }

    /// Checks a password (and second factor) and issues tokens.
    ///
    /// Wrong password, unknown account, locked account and an account with
    /// another login in flight all cost one Argon2 verification and get the
    /// same answer, [`invalid_credentials`]. 503 `overloaded` when the
    /// Argon2 queue is full (before any other work).
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        totp: Option<&str>,
    ) -> Result<TokenPair, ServiceError> {
        let slot = self.passwords.slot()?;
        let name = username.trim();
        let (password, too_long) = bounded(password);
        // Nothing that could never be a username or email reaches the
        // database (PostgreSQL refuses NUL bytes in text); a password over
        // the policy's limit matches no account.
        let plausible = !name.is_empty() && name.len() <= 254 && !name.contains('\0') && !too_long;
        let now = now_ms();
        let attempt = new_id();
        let reservation = if plausible {
            let lease = now + LOGIN_LEASE_MS;
            self.store.reserve_login(name, &attempt, now, lease, &self.login_limits()).await?
        } else {
            None
        };
        let Some(r) = reservation.filter(|r| r.admitted) else {
            slot.verify(None, password).await?;
            return Err(invalid_credentials());
        };
        let ok = match slot.verify(Some(&r.password_hash), password).await {
            Ok(ok) => ok,
            Err(e) => {
                let _ = self.store.release_login(&r.id, &attempt).await;
                return Err(e);
            }
        };
        if !ok {
            self.store.release_login(&r.id, &attempt).await?;
            if r.locked_until.is_some_and(|u| u > now) {
                let (user_id, failures) = (&r.id, r.failed_logins);
                tracing::warn!(user_id, failures, "account locked after failed logins");
            }
            return Err(invalid_credentials());
        }
        // The password is right: its failures are forgotten (wrong second
        // factors are counted apart, by `checked_second_factor`).
        self.store.login_succeeded(&r.id).await?;
        if r.disabled {
            return Err(ServiceError::new(
                ErrorKind::Forbidden,
                "account_disabled",
                "the account is disabled; ask an administrator",
            ));
        }
        if self.store.totp(&r.id).await?.is_some_and(|t| t.enabled) {
            let Some(code) = totp.map(str::trim).filter(|c| !c.is_empty()) else {
                return Err(ServiceError::new(
                    ErrorKind::Unauthenticated,
                    "mfa_required",
                    "this account uses two-factor authentication: send `totp` (a 6-digit code or a recovery code)",
                ));
            };
            if !self.checked_second_factor(&r.id, code).await? {
                return Err(invalid_credentials());
            }
        }
        self.issue(&r.id, &new_id(), None).await
    }

    fn login_limits(&self) -> LockLimits {
        LockLimits {
            max_failures: i64::from(self.config.login_max_failures.max(1)),
            base_s: LOCK_BASE_S,
            max_s: LOCK_MAX_S,
        }
    }

    fn mfa_limits(&self) -> LockLimits {
        LockLimits {
            max_failures: i64::from(self.config.mfa_max_failures.max(1)),
            base_s: i64::try_from(self.config.mfa_lock_s).unwrap_or(MFA_LOCK_MAX_S),
            max_s: MFA_LOCK_MAX_S,
        }
    }

    /// Reserves (and counts) a second-factor check of `user_id`; 429
    /// `mfa_locked` while codes are locked.
    async fn reserve_mfa_check(&self, user_id: &str) -> Result<(), ServiceError> {
        let now = now_ms();
        let attempt = new_id();
        match self.store.reserve_mfa_check(user_id, &attempt, now, &self.mfa_limits()).await? {
            Ok(()) => Ok(()),
            Err(until) => Err(mfa_locked(until, now)),
        }
    }

    /// [`AuthService::second_factor`] behind the per-user limit on wrong codes.
    async fn checked_second_factor(&self, user_id: &str, code: &str) -> Result<bool, ServiceError> {
        self.reserve_mfa_check(user_id).await?;
        let ok = self.second_factor(user_id, code).await?;
        if ok {
            self.store.mfa_succeeded(user_id).await?;
        } else {
            tracing::info!(user_id, "wrong second-factor code");
        }
        Ok(ok)
    }

    /// Checks a TOTP code (replays refused) or spends a recovery code.
    async fn second_factor(&self, user_id: &str, code: &str) -> Result<bool, ServiceError> {
        if code.len() == totp::DIGITS as usize && code.bytes().all(|b| b.is_ascii_digit()) {
            let Some(record) = self.store.totp(user_id).await? else { return Ok(false) };
            if !record.enabled {
                return Ok(false);
            }
            let secret = self.open_secret(user_id, &record.secret_enc)?;
            let Some(step) = totp::matching_step(&secret, code, now_ms() / 1000) else {
                return Ok(false);
            };
            Ok(self.store.accept_totp_step(user_id, step).await?)
        } else {
            let hash = totp::recovery_hash(&self.keys.recovery, code);
            Ok(self.store.use_recovery_code(user_id, &hash, now_ms()).await?)
        }
    }

    fn open_secret(&self, user_id: &str, sealed: &[u8]) -> Result<Vec<u8>, ServiceError> {
        totp::open(&self.keys.totp, user_id, sealed).ok_or_else(|| {
            ServiceError::internal(format!(
                "TOTP secret of user {user_id} does not decrypt (was the server key changed?)"
            ))
        })
    }

    /// Issues an access token and a refresh token in `family`; rotating
    /// `previous` (a refresh-token id) when given.
    async fn issue(
        &self,
        user_id: &str,
        family: &str,
        previous: Option<&str>,
    ) -> Result<TokenPair, ServiceError> {
        let now = now_ms();
        let refresh = random_token();
        let ttl_ms =
            i64::try_from(self.config.refresh_token_ttl_s.saturating_mul(1000)).unwrap_or(i64::MAX);
        let expires = now.saturating_add(ttl_ms);
        let id = new_id();
        let hash = sha256_hex(&refresh);
        match previous {
            None => {
                self.store.insert_refresh_token(&id, user_id, family, &hash, expires, now).await?
            }
            Some(old) => {
                let rotated = self
                    .store
                    .rotate_refresh_token(old, &id, user_id, family, &hash, expires, now)
                    .await?;
                if !rotated {
                    return Err(self.reuse_detected(family).await);
                }
            }
        }
        let ttl = self.config.access_token_ttl_s;
        let claims = jwt::Claims::access(user_id, now / 1000, ttl);
        Ok(TokenPair {
            access_token: jwt::sign(&self.keys.jwt, &claims),
            refresh_token: refresh,
            expires_in: ttl,
        })
    }

    async fn reuse_detected(&self, family: &str) -> ServiceError {
        tracing::warn!(family, "refresh token reused: revoking its family");
        if let Err(e) = self.store.revoke_refresh_family(family, now_ms()).await {
            return ServiceError::from(e);
        }
        ServiceError::unauthorized(
            "refresh token already used: every session of this login was revoked; log in again",
        )
    }

    /// Rotates a refresh token: the old one is spent, a new pair issued.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, ServiceError> {
        let hash = sha256_hex(refresh_token.trim());
        let record = self
            .store
            .refresh_token_by_hash(&hash)
            .await?
            .ok_or_else(|| ServiceError::unauthorized("invalid refresh token"))?;
        if record.revoked_at.is_some() {
            return Err(ServiceError::unauthorized("refresh token revoked; log in again"));
        }
        if record.used_at.is_some() {
            return Err(self.reuse_detected(&record.family_id).await);
        }
        if record.expires_at <= now_ms() {
            return Err(ServiceError::unauthorized("refresh token expired; log in again"));
        }
        let user = self.user(&record.user_id).await?;
        if user.disabled {
            return Err(ServiceError::new(
                ErrorKind::Forbidden,
                "account_disabled",
                "the account is disabled; ask an administrator",
            ));
        }
        self.issue(&record.user_id, &record.family_id, Some(&record.id)).await
    }

    /// Revokes the family of a refresh token (unknown tokens are ignored,
    /// so the answer says nothing about which tokens exist).
    pub async fn logout(&self, refresh_token: &str) -> Result<(), ServiceError> {
        let hash = sha256_hex(refresh_token.trim());
        if let Some(record) = self.store.refresh_token_by_hash(&hash).await? {
            self.store.revoke_refresh_family(&record.family_id, now_ms()).await?;
        }
        Ok(())
    }

    /// Creates an API key for the caller; returns the record and the key
    /// (shown once). Only an access token may create keys.
    pub async fn create_api_key(
        &self,
        principal: &Principal,
        name: &str,
        scopes: &[String],
        expires_in_days: Option<i64>,
    ) -> Result<(ApiKeyRecord, String), ServiceError> {
        if principal.api_key_id.is_some() {
            return Err(ServiceError::forbidden(
                "API keys can only be created with an access token (log in), not with an API key",
            ));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(validation(
                "name: must be 1 to 100 characters, none of them control characters",
            ));
        }
        if scopes.is_empty() {
            return Err(validation("scopes: name at least one of jobs:read, jobs:write, admin"));
        }
        let mut parsed: Vec<Scope> = Vec::new();
        for s in scopes {
            let scope = Scope::parse(s).ok_or_else(|| {
                validation(format!(
                    "scopes: unknown scope `{s}` (expected jobs:read, jobs:write or admin)"
                ))
            })?;
            if !parsed.contains(&scope) {
                parsed.push(scope);
            }
        }
        if parsed.contains(&Scope::Admin) && principal.user.role != Role::Admin {
            return Err(ServiceError::forbidden(
                "scopes: only administrators may create keys with the `admin` scope",
            ));
        }
        let now = now_ms();
        let expires_at = match expires_in_days {
            None => None,
            Some(d) if (1..=3650).contains(&d) => Some(now + d * 86_400_000),
            Some(_) => return Err(validation("expires_in_days: must be between 1 and 3650")),
        };
        let key = format!("qv_{}", random_token());
        let scopes = parsed.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ");
        let id = new_id();
        let prefix = &key[..API_KEY_PREFIX_LEN];
        self.store
            .insert_api_key(&NewApiKey {
                id: &id,
                user_id: &principal.user.id,
                name,
                prefix,
                key_hash: &sha256_hex(&key),
                scopes: &scopes,
                expires_at,
                created_at: now,
            })
            .await?;
        let record = ApiKeyRecord {
            id,
            user_id: principal.user.id.clone(),
            name: name.to_string(),
            prefix: prefix.to_string(),
            scopes,
            expires_at,
            last_used_at: None,
            revoked_at: None,
            created_at: now,
        };
        Ok((record, key))
    }

    /// The caller's API keys (hashes never leave the store).
    pub async fn list_api_keys(
        &self,
        principal: &Principal,
    ) -> Result<Vec<ApiKeyRecord>, ServiceError> {
        Ok(self.store.list_api_keys(&principal.user.id).await?)
    }

    /// Revokes the caller's key `id` (404 when the caller has none such).
    pub async fn revoke_api_key(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<(), ServiceError> {
        if principal.api_key_id.is_some() {
            return Err(ServiceError::forbidden(
                "API keys can only be revoked with an access token (log in), not with an API key",
            ));
        }
        self.store.revoke_api_key(id, &principal.user.id, now_ms()).await?;
        self.api_keys.remove_where(|_, r| r.id == id);
        Ok(())
    }

    /// Starts a TOTP enrolment: a new secret (base32) and its otpauth URL.
    pub async fn totp_enroll(
        &self,
        principal: &Principal,
    ) -> Result<(String, String), ServiceError> {
        require_session(principal)?;
        let secret: [u8; totp::SECRET_LEN] = rand::random();
        let user = &principal.user;
        let sealed = totp::seal(&self.keys.totp, &user.id, &secret);
        self.store.put_pending_totp(&user.id, &sealed, now_ms()).await?;
        let b32 = totp::encode_secret(&secret);
        let url = totp::otpauth_url(&user.username, &b32);
        Ok((b32, url))
    }

    /// Confirms an enrolment with a current code; returns the recovery codes.
    pub async fn totp_verify(
        &self,
        principal: &Principal,
        code: &str,
    ) -> Result<Vec<String>, ServiceError> {
        require_session(principal)?;
        let user_id = &principal.user.id;
        let record = self.store.totp(user_id).await?.ok_or_else(|| {
            ServiceError::conflict(
                "no TOTP enrolment in progress: POST /api/v1/mfa/totp/enroll first",
            )
        })?;
        if record.enabled {
            return Err(ServiceError::conflict("TOTP is already enabled"));
        }
        let secret = self.open_secret(user_id, &record.secret_enc)?;
        let wrong =
            || ServiceError::invalid("invalid_code", "code: incorrect or expired TOTP code");
        self.reserve_mfa_check(user_id).await?;
        let step = totp::matching_step(&secret, code.trim(), now_ms() / 1000).ok_or_else(wrong)?;
        let codes: Vec<String> =
            (0..totp::RECOVERY_CODES).map(|_| totp::new_recovery_code()).collect();
        let hashes: Vec<String> =
            codes.iter().map(|c| totp::recovery_hash(&self.keys.recovery, c)).collect();
        if !self.store.enable_totp(user_id, step, &hashes).await? {
            return Err(wrong());
        }
        self.store.mfa_succeeded(user_id).await?;
        self.forget_user(user_id);
        Ok(codes)
    }

    /// Turns TOTP off, given a current code or an unused recovery code.
    pub async fn totp_disable(
        &self,
        principal: &Principal,
        code: &str,
    ) -> Result<(), ServiceError> {
        require_session(principal)?;
        let user_id = &principal.user.id;
        let enabled = self.store.totp(user_id).await?.is_some_and(|r| r.enabled);
        if !enabled {
            return Err(ServiceError::conflict("TOTP is not enabled"));
        }
        if !self.checked_second_factor(user_id, code.trim()).await? {
            return Err(ServiceError::invalid(
                "invalid_code",
                "code: incorrect, expired or already used code",
            ));
        }
        self.store.delete_totp(user_id).await?;
        self.forget_user(user_id);
        Ok(())
    }

    /// Every account (admin).
    pub async fn list_users(&self, principal: &Principal) -> Result<Vec<User>, ServiceError> {
        principal.require(Scope::Admin)?;
        Ok(self.store.list_users().await?.iter().map(UserRecord::user).collect())
    }

    /// Disables or enables an account (admin). Disabling revokes its
    /// refresh tokens; its access tokens and keys stop working at once.
    pub async fn set_disabled(
        &self,
        principal: &Principal,
        id: &str,
        disabled: bool,
    ) -> Result<User, ServiceError> {
        principal.require(Scope::Admin)?;
        if disabled && id == principal.user.id {
            return Err(ServiceError::conflict("you cannot disable your own account"));
        }
        self.store.set_user_disabled(id, disabled, now_ms()).await?;
        self.forget_user(id);
        self.user(id).await
    }
}

/// MFA settings need a logged-in session, not an API key.
fn require_session(principal: &Principal) -> Result<(), ServiceError> {
    if principal.api_key_id.is_some() {
        return Err(ServiceError::forbidden(
            "two-factor settings need an access token (log in), not an API key",
        ));
    }
    Ok(())
}
