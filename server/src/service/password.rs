//! Passwords: argon2id PHC strings with the crate's default parameters (OWASP's minimum:
//! 19 MiB, 2 passes), hashed and checked on blocking threads. A successful check is remembered
//! for a few minutes so that HTTP Basic on every request does not cost an argon2 run each time:
//! the cache holds SHA-256 digests keyed by a random per-process salt, never a password.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};

use super::{keys, ServiceError};
use crate::store::UserRow;

/// How long a successful password check is remembered.
const REMEMBER: Duration = Duration::from_secs(300);

/// Most argon2 runs at once: each takes 19 MiB and a core for tens of milliseconds, so a flood
/// of wrong passwords queues here rather than exhausting memory.
const MAX_CONCURRENT_CHECKS: usize = 4;

/// Most remembered checks; past it the cache is emptied (a memory bound, not a policy).
const MAX_REMEMBERED: usize = 10_000;

/// Hashes a password (argon2id, random salt).
///
/// # Errors
/// `Internal` when the random source or the hasher fails.
pub fn hash_password(password: &str) -> Result<String, ServiceError> {
    let salt = keys::random::<16>().map_err(|e| ServiceError::Internal(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| ServiceError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(e.to_string()))
}

/// Checks a password against a PHC string (false for a malformed one).
fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Remembered successful checks, and a stand-in hash for unknown users.
pub struct PasswordCache {
    salt: [u8; 32],
    ok: Mutex<HashMap<[u8; 32], Instant>>,
    stand_in: Arc<OnceLock<String>>,
    permits: tokio::sync::Semaphore,
}

impl Default for PasswordCache {
    fn default() -> Self {
        Self {
            // A failed random source leaves a fixed salt: the cache still works, only less
            // opaque.
            salt: keys::random::<32>().unwrap_or([0; 32]),
            ok: Mutex::new(HashMap::new()),
            stand_in: Arc::new(OnceLock::new()),
            permits: tokio::sync::Semaphore::new(MAX_CONCURRENT_CHECKS),
        }
    }
}

impl PasswordCache {
    fn digest(&self, user: &UserRow, password: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.salt);
        for part in [
            user.id.as_bytes(),
            user.password_hash.as_bytes(),
            password.as_bytes(),
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        h.finalize().into()
    }

    /// Spends what checking a password costs, for a user that does not exist, so that the
    /// time of a refusal does not tell unknown users from wrong passwords. Always false.
    pub async fn check_unknown(&self, password: &str) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let stand_in = Arc::clone(&self.stand_in);
        let password = password.to_owned();
        let _ = tokio::task::spawn_blocking(move || {
            let hash = stand_in.get_or_init(|| hash_password("stand-in").unwrap_or_default());
            verify_password(hash, &password)
        })
        .await;
        false
    }

    /// Whether `password` is the user's.
    pub async fn check(&self, user: &UserRow, password: &str) -> bool {
        let digest = self.digest(user, password);
        let remembered = self
            .ok
            .lock()
            .ok()
            .and_then(|m| m.get(&digest).copied())
            .is_some_and(|at| at.elapsed() < REMEMBER);
        if remembered {
            return true;
        }
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let hash = user.password_hash.clone();
        let password = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
            .await
            .unwrap_or(false);
        if ok {
            if let Ok(mut m) = self.ok.lock() {
                if m.len() >= MAX_REMEMBERED {
                    m.clear();
                }
                m.insert(digest, Instant::now());
            }
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn right_and_wrong_passwords() {
        let row = UserRow {
            id: "u".into(),
            name: "n".into(),
            password_hash: hash_password("s3cret").expect("hash"),
            generation: 0,
            created: 0,
        };
        assert!(row.password_hash.starts_with("$argon2id$"));
        let cache = PasswordCache::default();
        assert!(!cache.check(&row, "wrong").await);
        assert!(cache.check(&row, "s3cret").await);
        // Remembered, and still only for the right password.
        assert!(cache.check(&row, "s3cret").await);
        assert!(!cache.check(&row, "s3cret ").await);
        assert!(!cache.check_unknown("s3cret").await);
        let garbage = UserRow {
            password_hash: "not a hash".into(),
            ..row
        };
        assert!(!cache.check(&garbage, "s3cret").await);
    }
}
