//! Whether an authorization request may use the browser's session silently, needs a
//! sign-in, needs consent, or must be refused (OIDC Core §3.1.2.1–§3.1.2.6): `prompt`,
//! `max_age`, `id_token_hint`, the authentication level asked for (`acr_values`, the
//! client's `--require-acr`) and what the user already granted. A plain function, no I/O.

use super::error::ErrorCode;
use super::request::{AuthRequest, Prompt};
use crate::clock::UnixTime;
use crate::domain::scope::Scope;
use crate::mfa::level::Level;

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
    /// The session is below the required level and the user can reach it: ask for the
    /// missing factor, keeping the session (and its `sid`).
    StepUp(Level),
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
    /// The level the session reached.
    pub level: Level,
    /// The highest level the user's enrolled factors can reach.
    pub reachable: Level,
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
    // OIDC Core §3.1.2.1 (`acr_values`) and RFC 9470 §4: a session below the level is
    // stepped up, not signed out; a user who cannot reach it is refused per OpenID Connect
    // Unmet Authentication Requirements 1.0.
    if let (Some(required), Some(s)) = (req.required_level(), usable)
        && s.level < required
    {
        if s.reachable < required {
            return Decision::Refuse(
                ErrorCode::UnmetAuthenticationRequirements,
                "the user cannot reach the requested authentication level",
            );
        }
        if req.has_prompt(Prompt::None) {
            return Decision::Refuse(
                ErrorCode::InteractionRequired,
                "the user must confirm the sign-in with a second factor",
            );
        }
        return Decision::StepUp(required);
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::authorize::request::{Params, validate};
    use crate::domain::client::fixtures::confidential_web_app;

    use crate::authorize::fixtures::{NOW, request};

    fn signed_in_at(auth_time: UnixTime) -> SessionFacts<'static> {
        SessionFacts {
            user_id: "user-alice",
            auth_time,
            level: Level::PASSWORD,
            reachable: Level::PHISHING_RESISTANT,
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
        let query = "response_type=code&client_id=web&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=openid";
        let req = validate(&Params::parse(query), |_| Some(Arc::new(client.clone()))).unwrap();
        assert_eq!(
            decide_with(&req, Some(signed_in_at(NOW)), &Scope::default()),
            Decision::Issue
        );
    }
}

#[cfg(test)]
mod level_tests {
    use std::sync::Arc;

    use super::*;
    use crate::authorize::fixtures::{NOW, request};
    use crate::authorize::request::{Params, validate};
    use crate::domain::client::fixtures::confidential_web_app;

    fn session(level: Level, reachable: Level) -> Option<SessionFacts<'static>> {
        Some(SessionFacts {
            user_id: "user-alice",
            auth_time: NOW - 10,
            level,
            reachable,
        })
    }

    fn granted() -> Scope {
        Scope::parse("openid profile").unwrap()
    }

    fn decide_for(req: &AuthRequest, s: Option<SessionFacts<'_>>) -> Decision {
        decide(req, s, Ok(None), &granted(), Fresh::default(), NOW)
    }

    #[test]
    fn a_session_below_the_requested_acr_is_stepped_up_not_signed_out() {
        let req = request("&acr_values=2");
        assert_eq!(
            decide_for(&req, session(Level::PASSWORD, Level::TWO_FACTORS)),
            Decision::StepUp(Level::TWO_FACTORS)
        );
        assert_eq!(
            decide_for(&req, session(Level::TWO_FACTORS, Level::TWO_FACTORS)),
            Decision::Issue
        );
        assert_eq!(
            decide_for(
                &req,
                session(Level::PHISHING_RESISTANT, Level::PHISHING_RESISTANT)
            ),
            Decision::Issue,
            "a higher level satisfies a lower request"
        );
    }

    #[test]
    fn a_user_who_cannot_reach_the_level_gets_unmet_authentication_requirements() {
        let req = request("&acr_values=3");
        assert_eq!(
            decide_for(&req, session(Level::TWO_FACTORS, Level::TWO_FACTORS)),
            Decision::Refuse(
                ErrorCode::UnmetAuthenticationRequirements,
                "the user cannot reach the requested authentication level"
            )
        );
    }

    #[test]
    fn prompt_none_below_the_level_is_interaction_required() {
        let req = request("&acr_values=2&prompt=none");
        assert!(matches!(
            decide_for(&req, session(Level::PASSWORD, Level::TWO_FACTORS)),
            Decision::Refuse(ErrorCode::InteractionRequired, _)
        ));
    }

    #[test]
    fn unknown_acr_values_ask_for_nothing_more() {
        let req = request("&acr_values=urn%3Aexample%3Agold");
        assert_eq!(
            decide_for(&req, session(Level::PASSWORD, Level::PASSWORD)),
            Decision::Issue
        );
    }

    #[test]
    fn a_clients_required_level_applies_without_acr_values() {
        let mut client = confidential_web_app();
        client.require_acr = Some(Level::TWO_FACTORS);
        let query = "response_type=code&client_id=web&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=openid+profile";
        let req = validate(&Params::parse(query), |_| Some(Arc::new(client.clone()))).unwrap();
        assert_eq!(
            decide_for(&req, session(Level::PASSWORD, Level::TWO_FACTORS)),
            Decision::StepUp(Level::TWO_FACTORS)
        );
    }

    #[test]
    fn without_a_session_the_level_is_reached_at_sign_in() {
        assert_eq!(decide_for(&request("&acr_values=3"), None), Decision::Login);
    }
}
