//! Argon2id password hashing (the `argon2` crate's defaults: 19 MiB, two
//! passes, one lane), run on the blocking pool behind a bounded queue so a
//! burst of logins can neither take all the memory, nor starve the async
//! workers, nor make a real login wait behind thousands of others.
//!
//! At most `concurrency` hashes run at once and at most `queue` more wait;
//! a request arriving when both are full is refused at once with 503
//! `overloaded` and `Retry-After` ([`Passwords::slot`]). A request takes its
//! [`Slot`] before any other work, so a refused one costs nothing.
//!
//! Process-wide counters of verifications ([`verifications`]) let tests
//! check that lockouts bound the work done against an account's real hash
//! and that unknown or locked accounts cost a dummy verification.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use tokio::sync::Semaphore;

use crate::service::{ErrorKind, ServiceError};

/// Verifications against accounts' hashes, process-wide.
static ACCOUNT_VERIFICATIONS: AtomicU64 = AtomicU64::new(0);
/// Verifications against the dummy hash (unknown, locked or busy accounts).
static DUMMY_VERIFICATIONS: AtomicU64 = AtomicU64::new(0);

/// Argon2 verifications run by this process so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Verifications {
    /// Against a stored password hash.
    pub account: u64,
    /// Against the dummy hash, for the same work without an account.
    pub dummy: u64,
}

/// Verifications so far, in this process (every server in it together).
pub fn verifications() -> Verifications {
    Verifications {
        account: ACCOUNT_VERIFICATIONS.load(Ordering::Relaxed),
        dummy: DUMMY_VERIFICATIONS.load(Ordering::Relaxed),
    }
}

/// Hashes and verifies passwords.
#[derive(Debug)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// Slots held (running or waiting).
    held: Arc<AtomicUsize>,
    /// Most slots held at once: `concurrency + queue`.
    capacity: usize,
    /// A hash of a random password: unknown users are verified against it so
    /// that they take as long as known ones.
    dummy: String,
}

/// The right to run one hash or verification: held from admission until
/// the work is done. Dropping it frees the place in the queue.
#[derive(Debug)]
pub struct Slot {
    permits: Arc<Semaphore>,
    held: Arc<AtomicUsize>,
    dummy: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.held.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Passwords {
    /// A hasher running `concurrency` hashes at once, with up to `queue`
    /// more waiting.
    pub fn new(concurrency: usize, queue: usize) -> Result<Passwords, ServiceError> {
        let random: [u8; 24] = rand::random();
        let dummy = hash_now(&super::keys::hex(&random))?;
        let concurrency = concurrency.max(1);
        Ok(Passwords {
            permits: Arc::new(Semaphore::new(concurrency)),
            held: Arc::new(AtomicUsize::new(0)),
            capacity: concurrency.saturating_add(queue),
            dummy,
        })
    }

    /// A place in the queue, or 503 `overloaded` (with `Retry-After: 1`)
    /// when every place is taken.
    pub fn slot(&self) -> Result<Slot, ServiceError> {
        let taken = self.held.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < self.capacity).then_some(n + 1)
        });
        if taken.is_err() {
            tracing::warn!(capacity = self.capacity, "password queue full: refusing a request");
            return Err(ServiceError {
                retry_after: Some(1),
                ..ServiceError::new(
                    ErrorKind::Unavailable,
                    "overloaded",
                    "the server is busy checking passwords; retry in a moment",
                )
            });
        }
        Ok(Slot {
            permits: self.permits.clone(),
            held: self.held.clone(),
            dummy: self.dummy.clone(),
        })
    }

    /// The PHC string of `password` (503 when the queue is full).
    pub async fn hash(&self, password: &str) -> Result<String, ServiceError> {
        self.slot()?.hash(password).await
    }

    /// Whether `password` matches `phc` (see [`Slot::verify`]).
    pub async fn verify(&self, phc: Option<&str>, password: &str) -> Result<bool, ServiceError> {
        self.slot()?.verify(phc, password).await
    }
}

impl Slot {
    /// The PHC string of `password`.
    pub async fn hash(self, password: &str) -> Result<String, ServiceError> {
        let _permit = self.permits.acquire().await.map_err(ServiceError::internal)?;
        let password = password.to_string();
        tokio::task::spawn_blocking(move || hash_now(&password))
            .await
            .map_err(ServiceError::internal)?
    }

    /// Whether `password` matches `phc` (`None`: check against the dummy
    /// hash and answer `false`, in the same time).
    pub async fn verify(self, phc: Option<&str>, password: &str) -> Result<bool, ServiceError> {
        let _permit = self.permits.acquire().await.map_err(ServiceError::internal)?;
        let known = phc.is_some();
        let counter = if known { &ACCOUNT_VERIFICATIONS } else { &DUMMY_VERIFICATIONS };
        counter.fetch_add(1, Ordering::Relaxed);
        let phc = phc.unwrap_or(&self.dummy).to_string();
        let password = password.to_string();
        let ok = tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&phc).map_err(ServiceError::internal)?;
            Ok::<_, ServiceError>(
                Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
            )
        })
        .await
        .map_err(ServiceError::internal)??;
        Ok(known && ok)
    }
}

fn hash_now(password: &str) -> Result<String, ServiceError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ServiceError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let p = Passwords::new(2, 4).unwrap();
        let h = p.hash("correct horse battery staple").await.unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(p.verify(Some(&h), "correct horse battery staple").await.unwrap());
        assert!(!p.verify(Some(&h), "wrong horse battery staple").await.unwrap());
        assert!(!p.verify(None, "correct horse battery staple").await.unwrap());
    }

    #[tokio::test]
    async fn full_queue_answers_503_and_frees_places() {
        let p = Passwords::new(1, 1).unwrap();
        let a = p.slot().unwrap();
        let b = p.slot().unwrap();
        let e = p.slot().unwrap_err();
        assert_eq!(
            (e.kind, e.code, e.retry_after),
            (ErrorKind::Unavailable, "overloaded", Some(1))
        );
        drop(a);
        let c = p.slot().expect("a dropped slot frees its place");
        assert!(!c.verify(None, "x").await.unwrap());
        drop(b);
        assert!(p.slot().is_ok(), "a finished verification frees its place");
    }
}
