//! User passwords: argon2id with the configured parameters (PHC string format, so the
//! parameters travel with each hash and can be raised later without a migration).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::config::PasswordSettings;
use crate::domain::secret::Secret;

/// NIST SP 800-63B §5.1.1.2: at least 8 characters. The upper bound keeps a single
/// request from making us hash megabytes.
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_BYTES: usize = 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("the password must have at most {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

#[derive(Clone)]
pub struct Passwords {
    argon2: Argon2<'static>,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passwords")
    }
}

impl Passwords {
    pub fn new(settings: &PasswordSettings) -> Result<Self, PasswordError> {
        let params = Params::new(
            settings.argon2_memory_kib,
            settings.argon2_iterations,
            settings.argon2_parallelism,
            None,
        )
        .map_err(|e| PasswordError::Hashing(e.to_string()))?;
        Ok(Self {
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
        })
    }

    pub fn check_policy(password: &Secret<String>) -> Result<(), PasswordError> {
        let p = password.expose();
        if p.len() > MAX_PASSWORD_BYTES {
            return Err(PasswordError::TooLong);
        }
        if p.chars().count() < MIN_PASSWORD_CHARS {
            return Err(PasswordError::TooShort);
        }
        Ok(())
    }

    /// Hashes a password that passed the policy. CPU- and memory-heavy: call it from a
    /// blocking thread.
    pub fn hash(&self, password: &Secret<String>) -> Result<String, PasswordError> {
        Self::check_policy(password)?;
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        self.argon2
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Hashing(e.to_string()))
    }

    /// Like [`Passwords::verify`], but computes in `memory`, which is kept between calls:
    /// argon2's 19 MiB per hash then comes from one buffer per worker instead of the
    /// allocator, which would keep a copy per thread (RSS grew past 400 MB under load).
    pub fn verify_in(
        &self,
        password: &Secret<String>,
        stored: &str,
        memory: &mut Vec<argon2::Block>,
    ) -> bool {
        use subtle::ConstantTimeEq;
        if password.expose().len() > MAX_PASSWORD_BYTES {
            return false;
        }
        let mut check = || -> Option<bool> {
            let h = PasswordHash::new(stored).ok()?;
            let algorithm = Algorithm::try_from(h.algorithm).ok()?;
            let version = match h.version {
                Some(v) => Version::try_from(v).ok()?,
                None => Version::default(),
            };
            let params = Params::try_from(&h).ok()?;
            let mut salt_buf = [0u8; 64];
            let salt = h.salt?.decode_b64(&mut salt_buf).ok()?;
            let expected = h.hash?;
            let mut out = vec![0u8; expected.len()];
            if memory.len() < params.block_count() {
                memory.resize(params.block_count(), argon2::Block::default());
            }
            Argon2::new(algorithm, version, params.clone())
                .hash_password_into_with_memory(
                    password.expose().as_bytes(),
                    salt,
                    &mut out,
                    &mut memory[..params.block_count()],
                )
                .ok()?;
            Some(bool::from(expected.as_bytes().ct_eq(&out)))
        };
        check().unwrap_or(false)
    }

    /// Verifies with the parameters stored in the hash itself.
    pub fn verify(&self, password: &Secret<String>, stored: &str) -> bool {
        if password.expose().len() > MAX_PASSWORD_BYTES {
            return false;
        }
        PasswordHash::new(stored)
            .map(|h| {
                self.argon2
                    .verify_password(password.expose().as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> Passwords {
        Passwords::new(&PasswordSettings {
            argon2_memory_kib: 1024,
            argon2_iterations: 1,
            argon2_parallelism: 1,
            max_concurrent_hashes: 1,
        })
        .unwrap()
    }

    #[test]
    fn hashes_verify_and_are_argon2id() {
        let p = fast();
        let pw = Secret::new("correct horse".to_string());
        let h = p.hash(&pw).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(p.verify(&pw, &h));
        assert!(!p.verify(&Secret::new("wrong horse".into()), &h));
        assert!(!p.verify(&pw, "not a hash"));
    }

    #[test]
    fn verifying_in_reused_memory_agrees_with_the_library() {
        let p = fast();
        let pw = Secret::new("correct horse".to_string());
        let h = p.hash(&pw).unwrap();
        let mut memory = Vec::new();
        assert!(p.verify_in(&pw, &h, &mut memory));
        assert!(!p.verify_in(&Secret::new("wrong horse".into()), &h, &mut memory));
        assert!(p.verify_in(&pw, &h, &mut memory), "memory is reusable");
        assert!(!p.verify_in(&pw, "garbage", &mut memory));
    }

    #[test]
    fn policy_is_enforced() {
        let p = fast();
        assert_eq!(
            p.hash(&Secret::new("short".into())),
            Err(PasswordError::TooShort)
        );
        assert_eq!(
            p.hash(&Secret::new("x".repeat(2000))),
            Err(PasswordError::TooLong)
        );
    }
}
