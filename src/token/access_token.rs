//! JWT access tokens per RFC 9068: header `typ: at+jwt`, `alg`, `kid`; claims `iss`, `sub`,
//! `aud`, `exp`, `iat`, `jti`, `client_id`, `scope`. Issuing one touches no database: the
//! RSA signature is the whole cost.

use josekit::jwt::JwtPayload;
use serde_json::{Value, json};

use crate::clock::UnixTime;
use crate::domain::audience::Audience;
use crate::domain::scope::Scope;
use crate::keys::{KeyError, KeySet, SigningAlg};

/// RFC 9068 §2.1: the media type of a JWT access token, without `application/`.
pub const TYP: &str = "at+jwt";

pub struct AccessTokenRequest<'a> {
    /// The token's `jti` (RFC 7519 §4.1.7), chosen by the caller so it can be recorded
    /// before the token exists (code redemption, revocation on replay).
    pub jti: &'a str,
    pub issuer: &'a str,
    /// The client id for client credentials; the user's id when a user is present.
    pub subject: &'a str,
    pub client_id: &'a str,
    pub audience: &'a [Audience],
    pub scope: &'a Scope,
    pub now: UnixTime,
    pub ttl: i64,
    /// Claims of the signed-in user: `auth_time`, `acr`, `roles`…
    pub extra: serde_json::Map<String, Value>,
    /// Where the token's status lives (draft-ietf-oauth-status-list §6.1): the list's URI
    /// and the token's index in it.
    pub status: Option<(&'a str, i64)>,
    /// What signs it: the client's choice or `tokens.access_token_alg`.
    pub alg: SigningAlg,
    /// The DPoP key it is bound to (`cnf.jkt`, RFC 9449 §6.1).
    pub jkt: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub struct IssuedAccessToken {
    pub token: String,
    pub jti: String,
    pub expires_in: i64,
}

/// A single audience is a string, several an array (RFC 7519 §4.1.3).
pub fn audience_claim(audience: &[Audience]) -> Value {
    match audience {
        [one] => json!(one.as_str()),
        many => json!(many.iter().map(Audience::as_str).collect::<Vec<_>>()),
    }
}

pub fn issue(keys: &KeySet, req: &AccessTokenRequest<'_>) -> Result<IssuedAccessToken, KeyError> {
    let jti = req.jti.to_string();
    let mut p = JwtPayload::new();
    let mut set = |name: &str, value: Value| {
        p.set_claim(name, Some(value))
            .map_err(|e| KeyError::Jose(e.to_string()))
    };
    set("iss", json!(req.issuer))?;
    set("sub", json!(req.subject))?;
    set("aud", audience_claim(req.audience))?;
    // Whole seconds: josekit's own setters would write floats.
    set("iat", json!(req.now))?;
    set("exp", json!(req.now + req.ttl))?;
    set("jti", json!(jti))?;
    set("client_id", json!(req.client_id))?;
    if !req.scope.is_empty() {
        set("scope", json!(req.scope.to_string()))?;
    }
    for (name, value) in &req.extra {
        set(name, value.clone())?;
    }
    if let Some((uri, idx)) = req.status {
        set(
            "status",
            json!({ "status_list": { "idx": idx, "uri": uri } }),
        )?;
    }
    if let Some(jkt) = req.jkt {
        set("cnf", json!({ "jkt": jkt }))?;
    }
    let token = keys.sign_as(req.alg, TYP, &p, req.now)?;
    Ok(IssuedAccessToken {
        token,
        jti,
        expires_in: req.ttl,
    })
}
