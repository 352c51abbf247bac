//! What happens to a valid authorization request: sign-in if needed, consent if needed,
//! then a single-use code (RFC 6749 §4.1.2). `prompt`, `max_age` and `id_token_hint`
//! decide whether the current session may be used silently (OIDC Core §3.1.2.1–§3.1.2.6).
//! [`decide`] is the rule, with no I/O; [`proceed`] loads what it needs and carries the
//! decision out.

use super::error::ErrorCode;
use super::request::{AuthRequest, Prompt};
use super::response::{self, Delivery};
use crate::clock::UnixTime;
use crate::domain::opaque;
use crate::domain::scope::Scope;
use crate::domain::secret::Secret;
use crate::keys::KeySet;
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

/// Flags from the forms that just ran: a fresh sign-in satisfies `prompt=login` and
/// `max_age`; a fresh consent satisfies `prompt=consent`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fresh {
    pub login: bool,
    pub consent: bool,
}

/// The decision for one authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Show the sign-in form.
    Login,
    /// Show the consent page for the signed-in user.
    Consent,
    /// Issue a code for the signed-in user.
    Issue,
    /// Send an error back to the client's (validated) redirect URI.
    Refuse(ErrorCode, &'static str),
}

/// What the browser's session says, for the decision.
#[derive(Debug, Clone, Copy)]
pub struct SessionFacts<'a> {
    pub user_id: &'a str,
    pub auth_time: UnixTime,
}

/// The rule. `hinted` is the `sub` of a valid `id_token_hint` (`Err` if the hint was
/// present but not one of our ID tokens); `consented` what the user already granted the
/// client.
pub fn decide(
    req: &AuthRequest,
    session: Option<SessionFacts<'_>>,
    hinted: Result<Option<&str>, ()>,
    consented: &Scope,
    fresh: Fresh,
    now: UnixTime,
) -> Decision {
    let Ok(hinted) = hinted else {
        return Decision::Refuse(
            ErrorCode::InvalidRequest,
            "id_token_hint is not a valid ID token of this issuer",
        );
    };
    // OIDC Core §3.1.2.1: prompt=login and select_account ask for a sign-in; max_age
    // bounds the age of the last one; a hint for another user cannot use this session.
    let usable = session.filter(|s| {
        if fresh.login {
            return true;
        }
        let too_old = req.max_age.is_some_and(|m| now - s.auth_time > m);
        let other_user = hinted.is_some_and(|sub| sub != s.user_id);
        !(req.has_prompt(Prompt::Login)
            || req.has_prompt(Prompt::SelectAccount)
            || too_old
            || other_user)
    });
    if usable.is_none() {
        if req.has_prompt(Prompt::None) {
            return Decision::Refuse(ErrorCode::LoginRequired, "the user must sign in");
        }
        return Decision::Login;
    }
    if !req.client.skip_consent && !fresh.consent {
        let covered = req.scope.is_subset_of(consented);
        if req.has_prompt(Prompt::Consent) || !covered {
            if req.has_prompt(Prompt::None) {
                return Decision::Refuse(ErrorCode::ConsentRequired, "the user must consent");
            }
            return Decision::Consent;
        }
    }
    Decision::Issue
}

pub enum Step {
    /// Show the sign-in form.
    Login,
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

/// Loads the consent and verifies the hint, decides, and carries the decision out.
pub fn proceed(
    keys: &KeySet,
    issuer: &str,
    store: &mut impl GrantStore,
    req: &AuthRequest,
    signed: Option<Signed>,
    fresh: Fresh,
    now: UnixTime,
) -> Result<Step, StoreError> {
    let hint = match &req.id_token_hint {
        Some(h) => id_token::verify_hint(keys, issuer, h).ok_or(()).map(Some),
        None => Ok(None),
    };
    let consented = match &signed {
        Some(s) if !req.client.skip_consent && !fresh.consent => {
            store.consent(&s.user.id, &req.client.id)?
        }
        _ => Scope::default(),
    };
    let facts = signed.as_ref().map(|s| SessionFacts {
        user_id: &s.user.id,
        auth_time: s.session.auth_time,
    });
    let hinted = hint.as_ref().map(|h| h.as_ref().map(|h| h.sub.as_str()));
    let decision = decide(req, facts, hinted.map_err(|_| ()), &consented, fresh, now);
    Ok(match (decision, signed) {
        (Decision::Refuse(code, description), _) => {
            Step::Deliver(refusal(req, issuer, code, description))
        }
        (Decision::Login, _) | (_, None) => Step::Login,
        (Decision::Consent, Some(s)) => Step::Consent(Box::new(s)),
        (Decision::Issue, Some(s)) => {
            let code = issue_code(store, req, &s, now)?;
            Step::Deliver(response::success(
                req.redirect_uri.as_str(),
                req.response_mode,
                code.expose(),
                req.state.as_deref(),
                issuer,
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

    const NOW: UnixTime = 1_800_000_000;

    fn request(extra: &str) -> AuthRequest {
        let query = format!("response_type=code&client_id=web&scope=openid+profile&state=s{extra}");
        validate(&Params::parse(&query), |_| {
            Some(Arc::new(confidential_web_app()))
        })
        .unwrap()
    }

    fn signed_in_at(auth_time: UnixTime) -> SessionFacts<'static> {
        SessionFacts {
            user_id: "user-alice",
            auth_time,
        }
    }

    fn all_granted() -> Scope {
        Scope::parse("openid profile").unwrap()
    }

    fn decide_with(
        req: &AuthRequest,
        session: Option<SessionFacts<'_>>,
        consent: &Scope,
    ) -> Decision {
        decide(req, session, Ok(None), consent, Fresh::default(), NOW)
    }

    #[test]
    fn without_a_session_the_user_signs_in() {
        assert_eq!(
            decide_with(&request(""), None, &all_granted()),
            Decision::Login
        );
    }

    #[test]
    fn prompt_none_without_a_session_is_login_required() {
        assert_eq!(
            decide_with(&request("&prompt=none"), None, &all_granted()),
            Decision::Refuse(ErrorCode::LoginRequired, "the user must sign in")
        );
    }

    #[test]
    fn prompt_none_with_a_session_and_consent_issues_silently() {
        assert_eq!(
            decide_with(
                &request("&prompt=none"),
                Some(signed_in_at(NOW - 10)),
                &all_granted()
            ),
            Decision::Issue
        );
    }

    #[test]
    fn prompt_login_asks_for_a_fresh_sign_in_even_with_a_session() {
        let req = request("&prompt=login");
        assert_eq!(
            decide_with(&req, Some(signed_in_at(NOW - 10)), &all_granted()),
            Decision::Login
        );
        let fresh = Fresh {
            login: true,
            consent: false,
        };
        assert_eq!(
            decide(
                &req,
                Some(signed_in_at(NOW)),
                Ok(None),
                &all_granted(),
                fresh,
                NOW
            ),
            Decision::Issue,
            "the sign-in that just happened satisfies it"
        );
    }

    #[test]
    fn max_age_older_than_the_last_sign_in_asks_for_a_new_one() {
        let req = request("&max_age=60");
        assert_eq!(
            decide_with(&req, Some(signed_in_at(NOW - 61)), &all_granted()),
            Decision::Login
        );
        assert_eq!(
            decide_with(&req, Some(signed_in_at(NOW - 60)), &all_granted()),
            Decision::Issue
        );
        assert_eq!(
            decide_with(
                &request("&max_age=60&prompt=none"),
                Some(signed_in_at(NOW - 61)),
                &all_granted()
            ),
            Decision::Refuse(ErrorCode::LoginRequired, "the user must sign in")
        );
    }

    #[test]
    fn an_id_token_hint_for_another_user_cannot_use_this_session() {
        let req = request("");
        let session = Some(signed_in_at(NOW - 10));
        let other = decide(
            &req,
            session,
            Ok(Some("user-bob")),
            &all_granted(),
            Fresh::default(),
            NOW,
        );
        assert_eq!(other, Decision::Login);
        let same = decide(
            &req,
            session,
            Ok(Some("user-alice")),
            &all_granted(),
            Fresh::default(),
            NOW,
        );
        assert_eq!(same, Decision::Issue);
        let invalid = decide(
            &req,
            session,
            Err(()),
            &all_granted(),
            Fresh::default(),
            NOW,
        );
        assert!(matches!(
            invalid,
            Decision::Refuse(ErrorCode::InvalidRequest, _)
        ));
    }

    #[test]
    fn consent_is_asked_for_scopes_not_yet_granted() {
        let session = Some(signed_in_at(NOW - 10));
        let partial = Scope::parse("openid").unwrap();
        assert_eq!(
            decide_with(&request(""), session, &partial),
            Decision::Consent
        );
        assert_eq!(
            decide_with(&request("&prompt=none"), session, &partial),
            Decision::Refuse(ErrorCode::ConsentRequired, "the user must consent")
        );
        assert_eq!(
            decide_with(&request("&prompt=consent"), session, &all_granted()),
            Decision::Consent,
            "prompt=consent asks again"
        );
    }

    #[test]
    fn a_first_party_client_skips_consent() {
        let mut client = confidential_web_app();
        client.skip_consent = true;
        let query = "response_type=code&client_id=web&scope=openid";
        let req = validate(&Params::parse(query), |_| Some(Arc::new(client.clone()))).unwrap();
        assert_eq!(
            decide_with(&req, Some(signed_in_at(NOW)), &Scope::default()),
            Decision::Issue
        );
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
            },
            user: alice(),
        }
    }

    #[test]
    fn consent_is_remembered_and_accumulates() {
        let mut g = MemoryGrants::with_user(alice());
        let openid = {
            let q = "response_type=code&client_id=web&scope=openid";
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
        let keys = crate::keys::test_keys();
        let step = proceed(
            keys,
            "https://id.example",
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
        let keys = crate::keys::test_keys();
        let step = proceed(
            keys,
            "https://id.example",
            &mut g,
            &req,
            Some(signed()),
            fresh,
            NOW,
        )
        .unwrap();
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
