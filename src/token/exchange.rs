//! Token exchange (RFC 8693): a service holding a user's token meant for it obtains a new,
//! narrower access token for another service, naming both the user (`sub`) and itself
//! (`act`, RFC 8693 §4.1; nested when the subject token already had one, so delegation
//! chains stay visible).
//!
//! Policy: the caller must be registered for the grant and for the target audience
//! (`--exchange-audience`); the subject token must have been meant for the caller (its `aud`
//! names the caller's client id or one of its audiences), be ours, unexpired and not
//! revoked; scope may only narrow. The caller names itself as the actor with an
//! `actor_token` (one of our access tokens whose `sub` is the caller — e.g. its own client
//! credentials token): delegation. Without one the request asks for impersonation (no
//! `act`), which only `--exchange-impersonate` clients get. The new token carries the
//! subject's `sid`, `auth_time`, `acr` and `amr`, so ending the session ends it too, and
//! expires no later than the subject token. No refresh token is issued.

use serde_json::{Map, Value, json};

use super::access_token::{self, AccessTokenRequest};
use super::form::TokenForm;
use super::inspect::{self, AccessClaims};
use super::issue::{Issuer, server_error};
use super::{ErrorCode, TokenError};
use crate::clock::UnixTime;
use crate::domain::audience::Audience;
use crate::domain::client::{Client, GrantType};
use crate::domain::opaque;
use crate::domain::scope::Scope;
use crate::oidc::id_token;
use crate::revocation::list::TokenRef;
use crate::store::exchanged_tokens::Exchanged;

/// The grant type (RFC 8693 §2.1).
pub const GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
pub const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";

/// The parameters of an exchange (RFC 8693 §2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeRequest {
    pub subject_token: String,
    pub subject_token_type: String,
    pub actor_token: Option<String>,
    pub actor_token_type: Option<String>,
    /// `audience` and `resource` together: the target.
    pub targets: Vec<String>,
    pub scope: Option<String>,
    pub requested_token_type: Option<String>,
}

impl ExchangeRequest {
    pub fn from_form(form: &TokenForm) -> Result<Self, TokenError> {
        let required = |name: &str| {
            form.get(name)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .ok_or_else(|| TokenError::invalid_request(format!("{name} is missing")))
        };
        let mut targets: Vec<String> = form.all("audience").to_vec();
        targets.extend(form.all("resource").iter().cloned());
        let actor_token = form.get("actor_token").map(str::to_string);
        let actor_token_type = form.get("actor_token_type").map(str::to_string);
        // RFC 8693 §2.1: actor_token_type is REQUIRED with an actor_token, and only then.
        if actor_token.is_some() != actor_token_type.is_some() {
            return Err(TokenError::invalid_request(
                "actor_token and actor_token_type go together",
            ));
        }
        Ok(Self {
            subject_token: required("subject_token")?,
            subject_token_type: required("subject_token_type")?,
            actor_token,
            actor_token_type,
            targets,
            scope: form.get("scope").map(str::to_string),
            requested_token_type: form.get("requested_token_type").map(str::to_string),
        })
    }
}

/// What the rule needs from outside: our keys (in `Issuer`) and whether a token of ours is
/// revoked (the in-memory revocation list; no database).
pub struct Checks<'a> {
    pub revoked: &'a dyn Fn(&TokenRef<'_>) -> bool,
    pub skew: i64,
}

fn refused(description: &str) -> TokenError {
    TokenError::invalid_request(description.to_string())
}

/// A subject or actor token read back: its claims, if it is one of ours, of the named
/// type, unexpired and not revoked.
fn read(
    ctx: &Issuer<'_>,
    checks: &Checks<'_>,
    token: &str,
    token_type: &str,
    now: UnixTime,
) -> Result<AccessClaims, &'static str> {
    let claims = match token_type {
        ACCESS_TOKEN_TYPE => inspect::access_token(ctx.keys, ctx.issuer, token)
            .ok_or("the token is not an access token of this issuer")?,
        ID_TOKEN_TYPE => {
            let payload = ctx
                .keys
                .verify_typed(token, Some(id_token::TYP))
                .map_err(|_| "the token is not an ID token of this issuer")?;
            if payload.issuer() != Some(ctx.issuer) {
                return Err("the token is not an ID token of this issuer");
            }
            AccessClaims {
                claims: payload.claims_set().clone(),
            }
        }
        _ => return Err("unsupported token type"),
    };
    if claims.num("exp").is_none_or(|exp| exp + checks.skew <= now) {
        return Err("the token has expired");
    }
    // An ID token has no `jti`: it is revoked with its session (`sid`) or its client.
    let revoked = (checks.revoked)(&TokenRef {
        jti: claims.str("jti").unwrap_or(""),
        sid: claims.str("sid"),
        client_id: claims.str("client_id").or_else(|| claims.str("azp")),
        iat: claims.num("iat"),
    });
    if revoked {
        return Err("the token was revoked");
    }
    Ok(claims)
}

/// Whether a token was meant for `client`: its `aud` names the client id or one of the
/// audiences registered for it.
pub fn meant_for(client: &Client, audiences: &[&str]) -> bool {
    audiences.iter().any(|a| {
        *a == client.id.as_str()
            || client.audiences.iter().any(|c| c.as_str() == *a)
            || client
                .default_audience
                .as_ref()
                .is_some_and(|c| c.as_str() == *a)
    })
}

/// What an exchange yields: the response, and the link to record between the new token
/// and the token it came from (none for an ID token, which is revoked with its session).
#[derive(Debug)]
pub struct Exchange {
    pub body: Value,
    pub link: Option<(Exchanged, String)>,
}

/// The exchange: an access token for the target, with `issued_token_type`.
pub fn exchange(
    ctx: &Issuer<'_>,
    checks: &Checks<'_>,
    client: &Client,
    req: &ExchangeRequest,
    now: UnixTime,
) -> Result<Exchange, TokenError> {
    if !client.may_use(GrantType::TokenExchange) {
        return Err(TokenError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use token exchange",
        ));
    }
    if req
        .requested_token_type
        .as_deref()
        .is_some_and(|t| t != ACCESS_TOKEN_TYPE)
    {
        return Err(refused("only access tokens can be requested"));
    }
    let subject = read(
        ctx,
        checks,
        &req.subject_token,
        &req.subject_token_type,
        now,
    )
    .map_err(|e| refused(&format!("subject_token: {e}")))?;
    if !meant_for(client, &subject.audiences()) {
        return Err(refused(
            "subject_token: the token was not meant for this client",
        ));
    }
    let sub = subject
        .str("sub")
        .ok_or_else(|| refused("subject_token: no subject"))?
        .to_string();
    // The actor: the caller itself, proven by its own token (delegation).
    let act = match (&req.actor_token, &req.actor_token_type) {
        (Some(token), Some(token_type)) => {
            let actor = read(ctx, checks, token, token_type, now)
                .map_err(|e| refused(&format!("actor_token: {e}")))?;
            if actor.str("sub") != Some(client.id.as_str()) {
                return Err(refused("actor_token: the actor must be the calling client"));
            }
            let mut act = Map::new();
            act.insert("sub".into(), json!(client.id.as_str()));
            // RFC 8693 §4.1: earlier actors nest inside the current one.
            if let Some(prior) = subject.claims.get("act") {
                act.insert("act".into(), prior.clone());
            }
            Some(Value::Object(act))
        }
        _ if client.exchange_impersonate => None,
        _ => {
            return Err(TokenError::new(
                ErrorCode::UnauthorizedClient,
                "impersonation is not allowed for this client: present an actor_token",
            ));
        }
    };
    let audience = target(client, &req.targets)?;
    let granted = subject_scope(&subject);
    let scope = match req.scope.as_deref() {
        None => granted,
        Some(requested) => {
            let scope = Scope::parse(requested)
                .map_err(|_| TokenError::new(ErrorCode::InvalidScope, "the scope is malformed"))?;
            if !scope.is_subset_of(&granted) {
                return Err(TokenError::new(
                    ErrorCode::InvalidScope,
                    "the scope may only narrow the subject token's",
                ));
            }
            scope
        }
    };
    let mut extra = Map::new();
    for name in [
        "sid",
        "auth_time",
        "acr",
        "amr",
        "roles",
        "preferred_username",
    ] {
        if let Some(v) = subject.claims.get(name) {
            extra.insert(name.into(), v.clone());
        }
    }
    if let Some(act) = act {
        extra.insert("act".into(), act);
    }
    // Never outlives what it was exchanged from.
    let subject_exp = subject.num("exp").unwrap_or(now);
    let ttl = ctx
        .tokens
        .access_token_ttl_secs
        .min(subject_exp - now)
        .max(1);
    let jti = opaque::identifier();
    let issued = access_token::issue(
        ctx.keys,
        &AccessTokenRequest {
            jti: &jti,
            issuer: ctx.issuer,
            subject: &sub,
            client_id: &client.id,
            audience: &audience,
            scope: &scope,
            now,
            ttl,
            extra,
            status: ctx.status.map(|s| (s.uri.as_str(), s.idx)),
            alg: ctx.access_alg(client),
            jkt: ctx.dpop_jkt,
        },
    )
    .map_err(server_error)?;
    let mut body = json!({
        "access_token": issued.token,
        "issued_token_type": ACCESS_TOKEN_TYPE,
        "token_type": ctx.token_type(),
        "expires_in": issued.expires_in,
    });
    if !scope.is_empty() {
        body["scope"] = json!(scope.to_string());
    }
    let link = subject.str("jti").map(|parent| {
        let child = Exchanged {
            jti,
            status: ctx.status.map(|s| (s.list_id.clone(), s.idx)),
            exp: now + ttl,
        };
        (child, parent.to_string())
    });
    Ok(Exchange { body, link })
}

/// The target audiences: each must be registered for the caller; none given means its one
/// registered audience (several registered: the caller must choose).
fn target(client: &Client, requested: &[String]) -> Result<Vec<Audience>, TokenError> {
    if requested.is_empty() {
        return match client.exchange_audiences.as_slice() {
            [one] => Ok(vec![one.clone()]),
            _ => Err(TokenError::invalid_request(
                "name the target with audience or resource",
            )),
        };
    }
    let mut out: Vec<Audience> = Vec::new();
    for r in requested {
        let Some(a) = client.exchange_audiences.iter().find(|a| a.as_str() == r) else {
            return Err(TokenError::new(
                ErrorCode::InvalidTarget,
                "this client may not obtain tokens for that audience",
            ));
        };
        if !out.contains(a) {
            out.push(a.clone());
        }
    }
    Ok(out)
}

/// What the subject token grants: its scope (an ID token grants none).
fn subject_scope(subject: &AccessClaims) -> Scope {
    subject
        .str("scope")
        .and_then(|s| Scope::parse(s).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
