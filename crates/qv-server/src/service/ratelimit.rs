//! Token-bucket rate limits: per user or API key, per client IP on the
//! auth routes, and one bucket for all logins of the process (Argon2 work is
//! the server's to ration: beyond it a login is answered 503 `overloaded`).
//!
//! Each bucket holds up to `burst` tokens and refills at `rate` tokens per
//! second; a request takes one token or is answered 429 with `Retry-After`
//! (whole seconds until a token is back). Buckets live in a few mutex-guarded
//! shards; memory is bounded by evicting buckets that have refilled
//! completely (an idle caller's bucket carries no information) once a shard
//! grows past its cap, and by refusing to grow further when every bucket is
//! in use (the new caller is then limited like a fresh one would be, by
//! sharing an overflow bucket).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use crate::service::{ErrorKind, ServiceError};

const SHARDS: usize = 16;
/// Most buckets per shard before idle ones are evicted.
const SHARD_CAP: usize = 4096;

#[derive(Debug)]
struct Shard {
    map: HashMap<String, Bucket>,
    /// Last eviction sweep: at most one a second, so a flood of new keys
    /// cannot make every request scan a full shard.
    swept: Instant,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// One family of buckets with a common rate and burst.
#[derive(Debug)]
pub struct Limiter {
    /// Tokens per second.
    rate: f64,
    burst: f64,
    shards: Vec<Mutex<Shard>>,
    /// Shared by new keys while a shard is full of active buckets.
    overflow: Mutex<Bucket>,
}

impl Limiter {
    /// A limiter refilling `rate` tokens per second up to `burst`. A rate of
    /// 0 or less (or NaN) disables it.
    pub fn new(rate: f64, burst: f64) -> Limiter {
        let burst = if burst.is_finite() { burst.max(1.0) } else { 1.0 };
        Limiter {
            rate,
            burst,
            shards: (0..SHARDS)
                .map(|_| Mutex::new(Shard { map: HashMap::new(), swept: Instant::now() }))
                .collect(),
            overflow: Mutex::new(Bucket { tokens: burst, at: Instant::now() }),
        }
    }

    fn enabled(&self) -> bool {
        self.rate.is_finite() && self.rate > 0.0
    }

    fn take(&self, bucket: &mut Bucket, now: Instant) -> Result<(), u64> {
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.rate;
            Err(wait.ceil().max(1.0) as u64)
        }
    }

    /// Takes one token from `key`'s bucket; `Err(seconds)` to wait when empty.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        if !self.enabled() {
            return Ok(());
        }
        let now = Instant::now();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut h);
        let shard = &self.shards[(h.finish() as usize) % SHARDS];
        let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = shard.map.get_mut(key) {
            return self.take(b, now);
        }
        if shard.map.len() >= SHARD_CAP && now.saturating_duration_since(shard.swept).as_secs() >= 1
        {
            // A bucket that has had time to refill fully is the same as a new one.
            let full_after = self.burst / self.rate;
            shard.map.retain(|_, b| now.saturating_duration_since(b.at).as_secs_f64() < full_after);
            shard.swept = now;
        }
        if shard.map.len() >= SHARD_CAP {
            drop(shard);
            let mut b = self.overflow.lock().unwrap_or_else(|e| e.into_inner());
            return self.take(&mut b, now);
        }
        let mut b = Bucket { tokens: self.burst, at: now };
        let r = self.take(&mut b, now);
        shard.map.insert(key.to_string(), b);
        r
    }

    /// Buckets held (tests check that memory stays bounded).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).map.len()).sum()
    }

    /// Whether no bucket is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Every bucket of the process.
#[derive(Debug)]
pub struct RateLimits {
    principal: Limiter,
    auth_ip: Limiter,
    /// Every login of the process, one key.
    logins: Limiter,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits::new(&crate::config::Config::default())
    }
}

impl RateLimits {
    /// Buckets for `config`'s rates.
    pub fn new(config: &crate::config::Config) -> RateLimits {
        let per_min = config.auth_rate_limit_per_min;
        RateLimits {
            principal: Limiter::new(config.rate_limit_per_s, config.rate_limit_burst),
            // A minute's allowance may be spent at once, then it refills evenly.
            auth_ip: Limiter::new(per_min / 60.0, per_min),
            // A second's allowance at once.
            logins: Limiter::new(config.login_rate_limit_per_s, config.login_rate_limit_per_s),
        }
    }

    /// Takes one token from the caller's bucket, or 429 with `Retry-After`.
    pub fn check_principal(&self, key: &str) -> Result<(), ServiceError> {
        self.principal.check(key).map_err(ServiceError::too_many_requests)
    }

    /// Takes one token from the client IP's auth bucket, or 429.
    pub fn check_auth_ip(&self, ip: IpAddr) -> Result<(), ServiceError> {
        // IPv6 clients usually hold a whole /64: limit the prefix, not each address.
        let key = match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let s = v6.segments();
                    format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
        };
        self.auth_ip.check(&key).map_err(ServiceError::too_many_requests)
    }

    /// Takes one token from the bucket of all logins, or 503 `overloaded`
    /// with `Retry-After` (the server, not this client, is over its budget).
    pub fn check_login_global(&self) -> Result<(), ServiceError> {
        self.logins.check("login").map_err(|secs| ServiceError {
            retry_after: Some(secs.max(1)),
            ..ServiceError::new(
                ErrorKind::Unavailable,
                "overloaded",
                "the server is receiving too many logins; retry in a moment",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_limited_with_retry_after() {
        let l = Limiter::new(0.5, 3.0);
        for _ in 0..3 {
            assert!(l.check("a").is_ok());
        }
        assert_eq!(l.check("a"), Err(2));
        // Another key has its own bucket.
        assert!(l.check("b").is_ok());
    }

    #[test]
    fn disabled_when_rate_is_zero() {
        let l = Limiter::new(0.0, 1.0);
        for _ in 0..100 {
            assert!(l.check("a").is_ok());
        }
        assert!(l.is_empty());
    }

    #[test]
    fn idle_buckets_are_evicted() {
        // Fast refill: every bucket is idle-full almost at once.
        let l = Limiter::new(1e9, 1.0);
        for i in 0..(SHARDS * SHARD_CAP) {
            let _ = l.check(&format!("k{i}"));
        }
        let before = l.len();
        for s in &l.shards {
            let mut s = s.lock().unwrap();
            s.swept = Instant::now() - std::time::Duration::from_secs(2);
        }
        for i in 0..SHARDS * 64 {
            let _ = l.check(&format!("new{i}"));
        }
        assert!(l.len() < before, "{} buckets, {before} before", l.len());
        assert!(l.len() <= SHARDS * SHARD_CAP);
    }

    #[test]
    fn full_shards_share_an_overflow_bucket() {
        // Slow refill: nothing is evictable, so new keys share one bucket.
        let l = Limiter::new(1e-6, 1.0);
        for i in 0..(SHARDS * SHARD_CAP + 10_000) {
            let _ = l.check(&format!("k{i}"));
        }
        assert!(l.len() <= SHARDS * SHARD_CAP);
        assert!(l.check("brand-new").is_err(), "overflow bucket is spent");
    }

    #[test]
    fn global_login_budget_is_shared_and_answers_503() {
        let cfg = crate::config::Config { login_rate_limit_per_s: 2.0, ..Default::default() };
        let r = RateLimits::new(&cfg);
        assert!(r.check_login_global().is_ok());
        assert!(r.check_login_global().is_ok());
        let e = r.check_login_global().unwrap_err();
        assert_eq!(
            (e.kind, e.code, e.retry_after),
            (ErrorKind::Unavailable, "overloaded", Some(1))
        );
        let off = RateLimits::new(&crate::config::Config {
            login_rate_limit_per_s: 0.0,
            ..Default::default()
        });
        assert!((0..1000).all(|_| off.check_login_global().is_ok()), "0 disables it");
    }

    #[test]
    fn ipv6_limited_per_64() {
        let cfg = crate::config::Config { auth_rate_limit_per_min: 2.0, ..Default::default() };
        let r = RateLimits::new(&cfg);
        assert!(r.check_auth_ip("2001:db8::1".parse().unwrap()).is_ok());
        assert!(r.check_auth_ip("2001:db8::2".parse().unwrap()).is_ok());
        let e = r.check_auth_ip("2001:db8::3".parse().unwrap()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Exhausted);
        assert_eq!(e.retry_after, Some(30));
        assert!(r.check_auth_ip("2001:db9::1".parse().unwrap()).is_ok());
    }
}
