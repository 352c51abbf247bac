//! The device authorization grant (RFC 8628) as plain rules: user codes (§6.1: 8
//! characters from `BCDFGHJKLMNPQRSTVWXZ` — no vowels, so no words; 20^8 ≈ 2.6·10^10 —
//! shown as `XXXX-XXXX`, typed in any case and with or without the dash), and what a poll
//! of the token endpoint gets (§3.5).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use serde_json::Value;

use super::issue::{self, Authentication, Issuer, UserGrant};
use super::{ErrorCode, TokenError};
use crate::clock::UnixTime;
use crate::domain::client::{Client, GrantType};
use crate::domain::opaque;
use crate::domain::scope::Scope;
use crate::store::grants::GrantStore;

pub const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// §3.2 `expires_in`.
pub const CODE_TTL_SECS: i64 = 600;
/// §3.2 `interval`; §3.5: `slow_down` adds 5 seconds.
pub const INTERVAL_SECS: i64 = 5;
pub const SLOW_DOWN_STEP_SECS: i64 = 5;
const ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
const LENGTH: usize = 8;

/// A new user code, normalized (no dash).
pub fn new_user_code() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..LENGTH)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// `XXXX-XXXX`.
pub fn display(code: &str) -> String {
    if code.len() == LENGTH {
        format!("{}-{}", &code[..4], &code[4..])
    } else {
        code.to_string()
    }
}

/// The normalized form of what a user typed, or `None` when it cannot be a code.
pub fn normalize(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// What the user decided on `/device`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Approved,
    Denied,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Denied => "denied",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "pending" => Some(Status::Pending),
            "approved" => Some(Status::Approved),
            "denied" => Some(Status::Denied),
            _ => None,
        }
    }
}

/// How a device code is stored: SHA-256, base64url (it has 256 bits of randomness).
pub fn hash_device_code(code: &str) -> String {
    URL_SAFE_NO_PAD.encode(opaque::hash(code))
}

/// A device code as a poll sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polled {
    pub status: Status,
    pub interval: i64,
    pub last_poll_at: Option<UnixTime>,
    pub expires_at: UnixTime,
    pub redeemed: bool,
}

/// The answer to one poll (RFC 8628 §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Poll {
    /// `authorization_pending`.
    Pending,
    /// `slow_down`: polled before the interval passed; the interval becomes this.
    SlowDown(i64),
    /// `access_denied`.
    Denied,
    /// `expired_token` (also for a code already redeemed: it is gone).
    Expired,
    /// Issue the tokens (once).
    Approved,
}

pub fn poll(code: &Polled, now: UnixTime) -> Poll {
    if code.redeemed || code.expires_at <= now {
        return Poll::Expired;
    }
    if code
        .last_poll_at
        .is_some_and(|last| now - last < code.interval)
    {
        return Poll::SlowDown(code.interval + SLOW_DOWN_STEP_SECS);
    }
    match code.status {
        Status::Pending => Poll::Pending,
        Status::Denied => Poll::Denied,
        Status::Approved => Poll::Approved,
    }
}

/// The token endpoint's answer to a poll with `device_code` (RFC 8628 §3.4–§3.5): an error
/// while pending, slowed, denied or expired; the tokens once after approval.
pub fn exchange(
    ctx: &Issuer<'_>,
    store: &mut impl GrantStore,
    client: &Client,
    device_code: &str,
    now: UnixTime,
) -> Result<Value, TokenError> {
    if !client.may_use(GrantType::DeviceCode) {
        return Err(TokenError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the device grant",
        ));
    }
    let hash = hash_device_code(device_code);
    let row = store
        .find_device_code(&hash)?
        .filter(|r| r.client_id == client.id.as_str())
        .ok_or_else(|| TokenError::invalid_grant("the device_code is not valid"))?;
    let polled = Polled {
        status: Status::parse(&row.status).unwrap_or(Status::Denied),
        interval: row.poll_interval,
        last_poll_at: row.last_poll_at,
        expires_at: row.expires_at,
        redeemed: row.redeemed_at.is_some(),
    };
    match poll(&polled, now) {
        Poll::Pending => {
            store.device_polled(&hash, row.poll_interval, now)?;
            Err(TokenError::new(
                ErrorCode::AuthorizationPending,
                "the user has not approved the request yet",
            ))
        }
        Poll::SlowDown(interval) => {
            store.device_polled(&hash, interval, now)?;
            Err(TokenError::new(
                ErrorCode::SlowDown,
                format!("poll at most every {interval} seconds"),
            ))
        }
        Poll::Denied => Err(TokenError::new(
            ErrorCode::AccessDenied,
            "the user denied the request",
        )),
        Poll::Expired => Err(TokenError::new(
            ErrorCode::ExpiredToken,
            "the device_code has expired",
        )),
        Poll::Approved => {
            if !store.redeem_device_code(&hash, now)? {
                return Err(TokenError::new(
                    ErrorCode::ExpiredToken,
                    "the device_code was already used",
                ));
            }
            let user = row
                .user_id
                .as_deref()
                .map(|id| store.find_user(id))
                .transpose()?
                .flatten()
                .filter(|u| !u.disabled)
                .ok_or_else(|| TokenError::invalid_grant("the user is no longer active"))?;
            let scope = Scope::parse(&row.scope).unwrap_or_default();
            let authn = Authentication {
                auth_time: row.auth_time.unwrap_or(now),
                acr: row.acr.clone(),
                amr: issue::parse_amr(row.amr.as_deref()),
                sid: row.session_sid.clone(),
            };
            let issued = issue::issue(
                ctx,
                store,
                UserGrant {
                    client,
                    user: &user,
                    scope: &scope,
                    granted_scope: &scope,
                    authn: &authn,
                    nonce: None,
                    family: None,
                    access_jti: None,
                },
                now,
            )?;
            Ok(issued.body)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> Polled {
        Polled {
            status: Status::Pending,
            interval: INTERVAL_SECS,
            last_poll_at: None,
            expires_at: 1_000,
            redeemed: false,
        }
    }

    #[test]
    fn user_codes_are_eight_consonants_shown_in_two_groups_and_typed_loosely() {
        let code = new_user_code();
        assert_eq!(code.len(), 8);
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)));
        let shown = display(&code);
        assert_eq!(shown.len(), 9);
        assert_eq!(normalize(&shown.to_lowercase()), Some(code.clone()));
        assert_eq!(normalize(&format!(" {} ", code)), Some(code));
        for bad in ["", "BCDF-GHJ", "BCDF-GHJKL", "ABCD-EFGH", "BCDF-GHJ1"] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_poll_is_pending_until_the_user_decides() {
        assert_eq!(poll(&pending(), 100), Poll::Pending);
        let approved = Polled {
            status: Status::Approved,
            ..pending()
        };
        assert_eq!(poll(&approved, 100), Poll::Approved);
        let denied = Polled {
            status: Status::Denied,
            ..pending()
        };
        assert_eq!(poll(&denied, 100), Poll::Denied);
    }

    #[test]
    fn polling_faster_than_the_interval_slows_down_by_five_seconds() {
        let polled = Polled {
            last_poll_at: Some(100),
            ..pending()
        };
        assert_eq!(poll(&polled, 104), Poll::SlowDown(10));
        assert_eq!(poll(&polled, 105), Poll::Pending);
    }

    #[test]
    fn an_expired_or_redeemed_code_is_expired_token() {
        assert_eq!(poll(&pending(), 1_000), Poll::Expired);
        let approved = Polled {
            status: Status::Approved,
            redeemed: true,
            ..pending()
        };
        assert_eq!(poll(&approved, 100), Poll::Expired);
    }

    proptest::proptest! {
        #[test]
        fn any_typed_user_code_normalizes_to_a_code_or_nothing(input in "\\PC{0,40}") {
            if let Some(code) = normalize(&input) {
                proptest::prop_assert_eq!(normalize(&display(&code)), Some(code.clone()));
            }
        }
    }
}
