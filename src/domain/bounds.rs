//! The documented bound of every text field a person or client sends (DESIGN.md decision
//! 22): each is checked at the edge, with a clear error, before anything is stored,
//! audited, counted or hashed. Bounds are in bytes of UTF-8 unless they say characters.
//! Fields a store keeps have tighter rules where they are created (a username has at most
//! 64 characters, `user::normalize_username`); these bounds are for what arrives.

/// A username typed into a sign-in form.
pub const USERNAME_BYTES: usize = 255;
/// An email address: RFC 5321 §4.5.3.1.3 bounds a path to 256 octets including `<` and `>`.
pub const EMAIL_BYTES: usize = 254;
/// A display name, in characters.
pub const DISPLAY_NAME_CHARS: usize = 200;
/// A password (argon2 hashes any length; more is only a way to spend our CPU).
pub const PASSWORD_BYTES: usize = super::password::MAX_PASSWORD_BYTES;
/// `state` of an authorization request (the conformance suite sends 128 characters).
pub const STATE_BYTES: usize = 2048;
/// `nonce` of an authorization request.
pub const NONCE_BYTES: usize = 512;
/// `scope` of any request.
pub const SCOPE_BYTES: usize = 2048;
/// `client_id` of any request.
pub const CLIENT_ID_BYTES: usize = 255;
/// `login_hint` of an authorization request.
pub const LOGIN_HINT_BYTES: usize = 512;
/// `acr_values` and `ui_locales` of an authorization request.
pub const SHORT_LIST_BYTES: usize = 256;
/// `id_token_hint` (and any other JWT a request carries).
pub const JWT_BYTES: usize = 16 * 1024;

/// A name and a value as long as a bound allows, for the error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` is longer than {max} bytes")]
pub struct TooLong {
    pub field: &'static str,
    pub max: usize,
}

/// Checks `value` of `field` against `max` bytes.
pub fn check(field: &'static str, value: &str, max: usize) -> Result<(), TooLong> {
    if value.len() > max {
        return Err(TooLong { field, max });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_at_the_bound_passes_and_one_byte_more_is_refused_by_name() {
        assert!(check("nonce", &"n".repeat(NONCE_BYTES), NONCE_BYTES).is_ok());
        let e = check("nonce", &"n".repeat(NONCE_BYTES + 1), NONCE_BYTES).unwrap_err();
        assert_eq!(e.to_string(), "`nonce` is longer than 512 bytes");
    }
}
