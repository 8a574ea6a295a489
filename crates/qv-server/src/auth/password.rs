//! Argon2id password hashing (the `argon2` crate's defaults: 19 MiB, two
//! passes, one lane), run on the blocking pool behind a semaphore so a burst
//! of logins cannot take all the memory or starve the async workers.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use tokio::sync::Semaphore;

use crate::error::ApiError;

/// Hashes and verifies passwords.
#[derive(Debug)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// A hash of a random password: unknown users are verified against it so
    /// that they take as long as known ones.
    dummy: String,
}

impl Passwords {
    /// A hasher allowing `concurrency` hashes at once.
    pub fn new(concurrency: usize) -> Result<Passwords, ApiError> {
        let random: [u8; 24] = rand::random();
        let dummy = hash_now(&super::keys::hex(&random))?;
        Ok(Passwords { permits: Arc::new(Semaphore::new(concurrency.max(1))), dummy })
    }

    /// The PHC string of `password`.
    pub async fn hash(&self, password: &str) -> Result<String, ApiError> {
        let _permit = self.permits.acquire().await.map_err(ApiError::internal)?;
        let password = password.to_string();
        tokio::task::spawn_blocking(move || hash_now(&password))
            .await
            .map_err(ApiError::internal)?
    }

    /// Whether `password` matches `phc` (`None`: check against the dummy
    /// hash and answer `false`, in the same time).
    pub async fn verify(&self, phc: Option<&str>, password: &str) -> Result<bool, ApiError> {
        let _permit = self.permits.acquire().await.map_err(ApiError::internal)?;
        let known = phc.is_some();
        let phc = phc.unwrap_or(&self.dummy).to_string();
        let password = password.to_string();
        let ok = tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&phc).map_err(ApiError::internal)?;
            Ok::<_, ApiError>(
                Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
            )
        })
        .await
        .map_err(ApiError::internal)??;
        Ok(known && ok)
    }
}

fn hash_now(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let p = Passwords::new(2).unwrap();
        let h = p.hash("correct horse battery staple").await.unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(p.verify(Some(&h), "correct horse battery staple").await.unwrap());
        assert!(!p.verify(Some(&h), "wrong horse battery staple").await.unwrap());
        assert!(!p.verify(None, "correct horse battery staple").await.unwrap());
    }
}
