//! What happens to a valid authorization request: [`proceed`] verifies the
//! `id_token_hint`, loads the user's consent, asks `decision::decide`, and carries the
//! decision out — a sign-in page, a consent page, an error for the client, or a
//! single-use code (RFC 6749 §4.1.2) bound to everything the token request must match.

use super::decision::{Decision, Fresh, SessionFacts, decide};
use super::error::ErrorCode;
use super::request::AuthRequest;
use super::response::{self, Delivery};
use crate::clock::UnixTime;
use crate::domain::opaque;
use crate::domain::scope::Scope;
use crate::domain::secret::Secret;
use crate::keys::KeySet;
use crate::mfa::level::Level;
use crate::oidc::id_token;
use crate::session::sso::Signed;
use crate::store::StoreError;
use crate::store::codes::CodeRow;
use crate::store::grants::GrantStore;

/// RFC 6749 §4.1.2 recommends at most 10 minutes; one is plenty for a redirect. Checked
/// against the injected clock when the code is redeemed.
pub const CODE_TTL_SECS: i64 = 60;
/// Codes carry 256 bits of randomness (certification asks for ≥128).
pub const CODE_BYTES: usize = 32;

pub enum Step {
    /// Show the sign-in form.
    Login,
    /// Ask the signed-in user for a further factor, to reach this level.
    StepUp(Box<Signed>, Level),
    /// Show the consent page for the signed-in user.
    Consent(Box<Signed>),
    /// Send the browser back to the client (a code or an error).
    Deliver(Delivery),
}

/// An error for the client, sent back to its (validated) redirect URI with `iss`.
pub fn refusal(req: &AuthRequest, issuer: &str, code: ErrorCode, description: &str) -> Delivery {
    response::error(
        req.redirect_uri.as_str(),
        req.response_mode,
        code,
        description,
        req.state.as_deref(),
        issuer,
    )
}

/// What the server is, for the decision: the keys that verify an `id_token_hint`, the
/// issuer, and whether an id names a registered client (a hint's audience must).
pub struct Server<'a> {
    pub keys: &'a KeySet,
    pub issuer: &'a str,
    pub is_client: &'a dyn Fn(&str) -> bool,
}

/// Loads the consent and verifies the hint, decides, and carries the decision out.
pub fn proceed(
    server: &Server<'_>,
    store: &mut impl GrantStore,
    req: &AuthRequest,
    signed: Option<Signed>,
    fresh: Fresh,
    now: UnixTime,
) -> Result<Step, StoreError> {
    let hint = match &req.id_token_hint {
        Some(h) => id_token::verify_hint(server.keys, server.issuer, h, server.is_client)
            .ok_or(())
            .map(Some),
        None => Ok(None),
    };
    let consented = match &signed {
        Some(s) if !req.client.skip_consent && !fresh.consent => {
            store.consent(&s.user.id, &req.client.id)?
        }
        _ => Scope::default(),
    };
    let level = signed.as_ref().map_or(Level::PASSWORD, |s| {
        Level::of_stored(s.session.acr.as_deref())
    });
    // What the user could reach matters only when the session falls short.
    let reachable = match (&signed, req.required_level()) {
        (Some(s), Some(required)) if level < required => store.reachable_level(&s.user.id)?,
        _ => level,
    };
    let facts = signed.as_ref().map(|s| SessionFacts {
        user_id: &s.user.id,
        auth_time: s.session.auth_time,
        level,
        reachable,
    });
    let hinted = hint.as_ref().map(|h| h.as_ref().map(|h| h.sub.as_str()));
    let decision = decide(req, facts, hinted.map_err(|_| ()), &consented, fresh, now);
    Ok(match (decision, signed) {
        (Decision::Refuse(code, description), _) => {
            Step::Deliver(refusal(req, server.issuer, code, description))
        }
        (Decision::Login, _) | (_, None) => Step::Login,
        (Decision::StepUp(level), Some(s)) => Step::StepUp(Box::new(s), level),
        (Decision::Consent, Some(s)) => Step::Consent(Box::new(s)),
        (Decision::Issue, Some(s)) => {
            // RFC 9126 §4: a pushed request yields one code.
            if let Some(hash) = &req.pushed
                && !store.consume_pushed(hash)?
            {
                return Ok(Step::Deliver(refusal(
                    req,
                    server.issuer,
                    ErrorCode::InvalidRequest,
                    "the pushed authorization request was already used or has expired",
                )));
            }
            let code = issue_code(store, req, &s, now)?;
            Step::Deliver(response::success(
                req.redirect_uri.as_str(),
                req.response_mode,
                code.expose(),
                req.state.as_deref(),
                server.issuer,
            ))
        }
    })
}

/// Stores a new code (hashed) bound to everything the token request must match.
fn issue_code(
    store: &mut impl GrantStore,
    req: &AuthRequest,
    signed: &Signed,
    now: UnixTime,
) -> Result<Secret<String>, StoreError> {
    let code = opaque::generate(CODE_BYTES);
    store.insert_code(
        &CodeRow {
            code_hash: opaque::hash(code.expose()),
            client_id: req.client.id.to_string(),
            user_id: signed.user.id.clone(),
            session_sid: Some(signed.session.sid.clone()),
            redirect_uri: req.redirect_uri.to_string(),
            scope: req.scope.to_string(),
            nonce: req.nonce.clone(),
            code_challenge: req.pkce.as_ref().map(|c| c.stored().to_string()),
            code_challenge_method: req.pkce.as_ref().map(|_| "S256".to_string()),
            auth_time: signed.session.auth_time,
            acr: signed.session.acr.clone(),
            created_at: now,
            expires_at: now + CODE_TTL_SECS,
            amr: Some(signed.session.amr.clone()),
            dpop_jkt: req.dpop_jkt.clone(),
        },
        now,
    )?;
    Ok(code)
}

/// Records that the user granted these scopes to the client (added to earlier grants).
pub fn remember_consent(
    store: &mut impl GrantStore,
    req: &AuthRequest,
    signed: &Signed,
    now: UnixTime,
) -> Result<(), StoreError> {
    let granted = store.consent(&signed.user.id, &req.client.id)?;
    store.save_consent(
        &signed.user.id,
        &req.client.id,
        &granted.union(&req.scope),
        now,
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::authorize::request::{Params, validate};
    use crate::domain::client::fixtures::confidential_web_app;
    use crate::domain::user::fixtures::alice;
    use crate::store::grants::memory::MemoryGrants;
    use crate::store::sessions::SessionRow;

    use crate::authorize::fixtures::{NOW, request};

    fn test_server() -> Server<'static> {
        Server {
            keys: crate::keys::test_keys(),
            issuer: "https://id.example",
            is_client: &|_| true,
        }
    }

    fn signed() -> Signed {
        Signed {
            session: SessionRow {
                id_hash: vec![0; 32],
                sid: "sid-1".into(),
                user_id: "user-alice".into(),
                auth_time: NOW - 10,
                amr: r#"["pwd"]"#.into(),
                acr: Some("1".into()),
                created_at: NOW - 10,
                last_seen_at: NOW - 10,
                expires_at: NOW + 3600,
                user_agent: None,
                upstream: None,
                upstream_sub: None,
                upstream_sid: None,
            },
            user: alice(),
        }
    }

    #[test]
    fn consent_is_remembered_and_accumulates() {
        let mut g = MemoryGrants::with_user(alice());
        let openid = {
            let q = "response_type=code&client_id=web&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=openid";
            validate(&Params::parse(q), |_| {
                Some(Arc::new(confidential_web_app()))
            })
            .unwrap()
        };
        remember_consent(&mut g, &openid, &signed(), NOW).unwrap();
        remember_consent(&mut g, &request(""), &signed(), NOW).unwrap();
        assert_eq!(
            g.consent("user-alice", "web").unwrap().to_string(),
            "openid profile"
        );
        let step = proceed(
            &test_server(),
            &mut g,
            &request(""),
            Some(signed()),
            Fresh::default(),
            NOW,
        )
        .unwrap();
        assert!(
            matches!(step, Step::Deliver(Delivery::Redirect(_))),
            "no consent page"
        );
    }

    #[test]
    fn an_issued_code_lives_60_seconds_and_binds_the_request() {
        let mut g = MemoryGrants::with_user(alice());
        let req = request(
            "&nonce=n1&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        );
        let fresh = Fresh {
            login: true,
            consent: true,
        };
        let step = proceed(&test_server(), &mut g, &req, Some(signed()), fresh, NOW).unwrap();
        let Step::Deliver(Delivery::Redirect(location)) = step else {
            panic!("expected a redirect");
        };
        assert!(location.starts_with("https://app.example/cb?code="));
        assert!(location.ends_with("&state=s&iss=https%3A%2F%2Fid.example"));
        let row = g.codes.values().next().unwrap();
        assert_eq!(row.expires_at - row.created_at, 60);
        assert_eq!(row.redirect_uri, "https://app.example/cb");
        assert_eq!(row.nonce.as_deref(), Some("n1"));
        assert_eq!(row.session_sid.as_deref(), Some("sid-1"));
        assert!(row.code_challenge.is_some());
    }
}
