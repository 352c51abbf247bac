//! Settings of sender-constrained tokens (DPoP) and pushed authorization requests (PAR).

use serde::Deserialize;

/// DPoP (RFC 9449): proofs of possession for sender-constrained tokens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DpopSettings {
    /// Require a server nonce in proofs at the token endpoint (RFC 9449 §8): limits
    /// pre-generated proofs. Clients learn the nonce from `use_dpop_nonce` answers and every
    /// `DPoP-Nonce` header.
    pub require_nonce: bool,
    /// How old a proof's `iat` may be; its `jti` is remembered this long (plus the leeway).
    pub proof_max_age_secs: i64,
    /// How far in the future a proof's `iat` may be.
    pub proof_leeway_secs: i64,
}

impl Default for DpopSettings {
    fn default() -> Self {
        Self {
            require_nonce: false,
            proof_max_age_secs: 60,
            // FAPI 2.0 Security Profile §5.3.2.1: accept `iat` up to 10 s ahead.
            proof_leeway_secs: 10,
        }
    }
}

/// Pushed authorization requests (RFC 9126).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ParSettings {
    /// Every client must push its authorization requests
    /// (`require_pushed_authorization_requests`).
    pub required: bool,
    /// Lifetime of a `request_uri` (`expires_in`).
    pub request_uri_ttl_secs: i64,
}

impl Default for ParSettings {
    fn default() -> Self {
        Self {
            required: false,
            request_uri_ttl_secs: 60,
        }
    }
}
