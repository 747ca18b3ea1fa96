//! Argon2id password hashes and the password policy.

use crate::error::Error;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use std::sync::OnceLock;

pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 128;

/// Checks the policy; the error names `field`.
pub fn check_policy(field: &'static str, password: &str) -> Result<(), Error> {
    let chars = password.chars().count();
    if chars < MIN_LEN {
        return Err(Error::invalid(
            field,
            format!("must be at least {MIN_LEN} characters"),
        ));
    }
    if chars > MAX_LEN {
        return Err(Error::invalid(
            field,
            format!("must be at most {MAX_LEN} characters"),
        ));
    }
    if is_common(password) {
        return Err(Error::invalid(
            field,
            "is too common: it, or it with digits or symbols added, is on lists of breached passwords; choose a longer, less predictable one",
        ));
    }
    Ok(())
}

/// The 10,000 most common passwords of the zxcvbn frequency list (from
/// breach corpora), lowercased, one per line.
const COMMON: &str = include_str!("common_passwords.txt");

fn common_set() -> &'static std::collections::HashSet<&'static str> {
    static SET: OnceLock<std::collections::HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON.lines().filter(|l| !l.is_empty()).collect())
}

/// Whether the password is a common one, ignoring case, or a common word of
/// at least four letters with only digits and symbols around it
/// (`Password2026!`, `!!monkey123`), or one character repeated.
pub fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    let set = common_set();
    if set.contains(lower.as_str()) {
        return true;
    }
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    if core.chars().count() >= 4 && set.contains(core) {
        return true;
    }
    let mut chars = lower.chars();
    let first = chars.next();
    first.is_some() && chars.all(|c| Some(c) == first)
}

/// Hashes with argon2id and a random salt. CPU-heavy: run off the async
/// executor's hot path (see [`hash_blocking`]).
pub fn hash(password: &str) -> Result<String, Error> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Unexpected(anyhow::anyhow!("hashing password: {e}")))
}

/// Verifies against a stored hash; a malformed hash verifies as false.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Runs `verify` against a fixed hash, so that an unknown account costs the
/// same time as a wrong password and does not reveal itself.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash("dummy password for timing").unwrap_or_default());
    let _ = verify(password, stored);
}

pub async fn hash_blocking(password: String) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| Error::Unexpected(e.into()))?
}

pub async fn verify_blocking(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match stored {
        Some(stored) => verify(&password, &stored),
        None => {
            verify_dummy(&password);
            false
        }
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_and_nothing_else() {
        let h = hash("correct horse battery").expect("hashes");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterx", &h));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn short_passwords_are_refused_with_the_field() {
        assert_eq!(
            check_policy("password", "short")
                .expect_err("short")
                .field(),
            Some("password")
        );
        assert!(check_policy("password", "long enough pw").is_ok());
    }

    #[test]
    fn common_passwords_and_their_decorations_are_refused() {
        for common in [
            "qwertyuiop",
            "Password123",
            "1234567890",
            "Monkey2026!!",
            "!!sunshine99",
            "aaaaaaaaaaaa",
        ] {
            let err = check_policy("password", common).expect_err(common);
            assert_eq!(err.field(), Some("password"), "{common}");
            assert!(err.public_message().contains("too common"), "{common}");
        }
        for fine in [
            "correct horse battery",
            "tangerine-orbit-57",
            "Zq8#pL2v!rT0",
        ] {
            assert!(check_policy("password", fine).is_ok(), "{fine}");
        }
    }
}
