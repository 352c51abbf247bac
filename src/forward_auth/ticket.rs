//! The gateway's own cookie in session mode (hardening round 2, finding 6). The SSO
//! session cookie stays host-only on the issuer: it opens `/account` and `/admin`, and
//! every app behind the gateway (and its logs) would otherwise receive a replayable copy.
//! What `forward_auth.session_cookie_domain` covers instead is a ticket: the session's
//! stored hash (SHA-256 of the cookie value, which cannot be turned back into it) with an
//! HMAC under a key derived from the KEK. Only `/forward-auth` and `/ext-authz` accept it,
//! and it names the SSO session itself, so ending the session ends the ticket.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

use crate::domain::opaque;
use crate::domain::secret::Secret;

/// What the ticket key is derived under; never change it (every ticket would fail).
pub const KEY_LABEL: &str = "portcullis gateway ticket v1";

pub struct TicketKey(Secret<[u8; 32]>);

impl TicketKey {
    pub fn new(key: Secret<[u8; 32]>) -> Self {
        Self(key)
    }

    fn mac(&self, id_hash: &[u8]) -> Vec<u8> {
        openssl::pkey::PKey::hmac(self.0.expose())
            .and_then(|k| {
                openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &k)?
                    .sign_oneshot_to_vec(id_hash)
            })
            .unwrap_or_default()
    }

    /// The ticket of the session whose cookie value is `session_value`.
    pub fn issue(&self, session_value: &str) -> String {
        let id_hash = opaque::hash(session_value);
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&id_hash),
            URL_SAFE_NO_PAD.encode(self.mac(&id_hash))
        )
    }

    /// The session hash a genuine ticket names; `None` for anything else.
    pub fn open(&self, ticket: &str) -> Option<Vec<u8>> {
        let (hash, mac) = ticket.split_once('.')?;
        let hash = URL_SAFE_NO_PAD.decode(hash).ok()?;
        let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
        if hash.len() != 32 || !bool::from(self.mac(&hash).ct_eq(&mac)) {
            return None;
        }
        Some(hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> TicketKey {
        TicketKey::new(Secret::new([b; 32]))
    }

    #[test]
    fn a_ticket_names_its_session_and_nothing_else_opens() {
        let ticket = key(1).issue("the-session-cookie-value");
        assert_eq!(
            key(1).open(&ticket),
            Some(opaque::hash("the-session-cookie-value"))
        );
        assert!(
            !ticket.contains("the-session-cookie-value"),
            "the cookie value is not in it"
        );
        assert_eq!(key(2).open(&ticket), None, "another key");
        let (h, _) = ticket.split_once('.').unwrap();
        assert_eq!(key(1).open(&format!("{h}.AAAA")), None, "a forged mac");
        assert_eq!(key(1).open("garbage"), None);
        assert_eq!(key(1).open(""), None);
    }
}
