//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2–§3): whether a request
//! may end the browser's session at once, must be confirmed, or is refused; and where
//! the browser goes afterwards. A logout tied to the session by a valid `id_token_hint`
//! happens at once; otherwise the user confirms. `post_logout_redirect_uri` is honoured
//! only with a valid hint and an exact match among the client's registered URIs;
//! anything doubtful ends on our own page, never a redirect.

use std::sync::Arc;

use crate::domain::client::Client;
use crate::keys::KeySet;
use crate::oidc::id_token::{self, Hint};

/// The request's parameters (§2), GET or POST.
#[derive(Debug, Clone, Default)]
pub struct LogoutRequest<'a> {
    pub id_token_hint: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub post_logout_redirect_uri: Option<&'a str>,
    pub state: Option<&'a str>,
}

/// The browser's current session, if any.
#[derive(Debug, Clone, Copy)]
pub struct CurrentSession<'a> {
    pub user_id: &'a str,
    pub sid: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutDecision {
    /// Shown on our error page; nothing changes.
    Refuse(&'static str),
    /// The request is tied to this session: end it now, then go to `redirect` (with
    /// `state`) or to our signed-out page.
    End { redirect: Option<Return> },
    /// A live session the request cannot be tied to: ask the user first.
    Confirm,
    /// No session to end: go to `redirect` or to our signed-out page.
    Done { redirect: Option<Return> },
}

/// Where the browser goes after signing out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Return {
    /// The registered URI, with `state`.
    pub url: String,
    /// The destination's host, when the client registered itself: anyone can register
    /// a client, so our signed-out page names the host and the person follows a link
    /// rather than being sent on (hardening round 2, finding 9).
    pub confirm_host: Option<String>,
}

pub fn decide(
    keys: &KeySet,
    issuer: &str,
    clients: impl Fn(&str) -> Option<Arc<Client>> + Copy,
    req: &LogoutRequest<'_>,
    session: Option<CurrentSession<'_>>,
) -> LogoutDecision {
    let hint: Option<Hint> = match req.id_token_hint {
        Some(h) => match id_token::verify_hint(keys, issuer, h, |id| clients(id).is_some()) {
            Some(hint) => Some(hint),
            None => {
                return LogoutDecision::Refuse(
                    "The sign-out request carries an ID token that is not valid here.",
                );
            }
        },
        None => None,
    };
    if let (Some(h), Some(c)) = (&hint, req.client_id) {
        if h.client_id != c {
            return LogoutDecision::Refuse(
                "The sign-out request names two different applications.",
            );
        }
    }
    let redirect = match req.post_logout_redirect_uri {
        None => None,
        Some(uri) => {
            let Some(h) = &hint else {
                return LogoutDecision::Refuse(
                    "A return address needs the application's id_token_hint.",
                );
            };
            let client = clients(&h.client_id);
            let registered = client
                .as_ref()
                .is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r.matches(uri)));
            if !registered {
                return LogoutDecision::Refuse(
                    "The return address is not registered for this application.",
                );
            }
            let self_registered = client.is_some_and(|c| c.self_registered);
            match with_state(uri, req.state) {
                Some(url) => Some(Return {
                    confirm_host: self_registered
                        .then(|| url::Url::parse(&url).ok()?.host_str().map(str::to_string))
                        .flatten(),
                    url,
                }),
                None => {
                    return LogoutDecision::Refuse(
                        "The return address is not registered for this application.",
                    );
                }
            }
        }
    };
    match (session, &hint) {
        (Some(s), Some(h))
            if h.sub == s.user_id && h.sid.as_deref().is_none_or(|sid| sid == s.sid) =>
        {
            LogoutDecision::End { redirect }
        }
        (Some(_), _) => LogoutDecision::Confirm,
        (None, _) => LogoutDecision::Done { redirect },
    }
}

/// The registered URI with `state` appended to its query (§3), built with `url`.
fn with_state(uri: &str, state: Option<&str>) -> Option<String> {
    let mut url = url::Url::parse(uri).ok()?;
    if let Some(st) = state {
        url.query_pairs_mut().append_pair("state", st);
    }
    Some(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::client::fixtures::confidential_web_app;
    use crate::keys::test_keys;
    use crate::oidc::id_token::{IdTokenRequest, issue};

    const ISSUER: &str = "https://id.example";

    fn hint(sid: &str) -> String {
        issue(
            test_keys(),
            &IdTokenRequest {
                issuer: ISSUER,
                subject: "user-alice",
                client_id: "web",
                auth_time: 100,
                nonce: None,
                acr: None,
                amr: vec![],
                sid: Some(sid),
                access_token: "at",
                now: 100,
                ttl: 60,
                alg: crate::keys::SigningAlg::Rs256,
            },
        )
        .unwrap()
    }

    fn clients(id: &str) -> Option<Arc<Client>> {
        (id == "web").then(|| Arc::new(confidential_web_app()))
    }

    const SESSION: CurrentSession<'static> = CurrentSession {
        user_id: "user-alice",
        sid: "sid-1",
    };

    fn decide_for(req: &LogoutRequest<'_>, session: Option<CurrentSession<'_>>) -> LogoutDecision {
        decide(test_keys(), ISSUER, clients, req, session)
    }

    #[test]
    fn a_valid_hint_for_this_session_ends_it_and_returns_to_the_registered_uri_with_state() {
        let h = hint("sid-1");
        let req = LogoutRequest {
            id_token_hint: Some(&h),
            post_logout_redirect_uri: Some("https://app.example/bye"),
            state: Some("xyz"),
            ..Default::default()
        };
        assert_eq!(
            decide_for(&req, Some(SESSION)),
            LogoutDecision::End {
                redirect: Some(Return {
                    url: "https://app.example/bye?state=xyz".into(),
                    confirm_host: None
                })
            }
        );
    }

    #[test]
    fn the_post_logout_redirect_uri_must_match_a_registered_one_exactly() {
        let h = hint("sid-1");
        for variant in [
            "https://app.example/bye/",
            "https://APP.example/bye",
            "https://app.example:443/bye",
            "https://app.example/bye?x=1",
            "https://evil.example/bye",
        ] {
            let req = LogoutRequest {
                id_token_hint: Some(&h),
                post_logout_redirect_uri: Some(variant),
                ..Default::default()
            };
            assert!(
                matches!(decide_for(&req, Some(SESSION)), LogoutDecision::Refuse(_)),
                "{variant}"
            );
        }
    }

    #[test]
    fn a_return_address_without_a_hint_is_refused() {
        let req = LogoutRequest {
            post_logout_redirect_uri: Some("https://app.example/bye"),
            ..Default::default()
        };
        assert!(matches!(
            decide_for(&req, Some(SESSION)),
            LogoutDecision::Refuse(_)
        ));
    }

    #[test]
    fn a_hint_that_is_not_ours_or_names_another_client_is_refused() {
        let req = LogoutRequest {
            id_token_hint: Some("eyJhbGciOiJub25lIn0.e30."),
            ..Default::default()
        };
        assert!(matches!(
            decide_for(&req, Some(SESSION)),
            LogoutDecision::Refuse(_)
        ));
        let h = hint("sid-1");
        let req = LogoutRequest {
            id_token_hint: Some(&h),
            client_id: Some("spa"),
            ..Default::default()
        };
        assert!(matches!(
            decide_for(&req, Some(SESSION)),
            LogoutDecision::Refuse(_)
        ));
    }

    #[test]
    fn a_request_not_tied_to_this_session_asks_the_user_first() {
        assert_eq!(
            decide_for(&LogoutRequest::default(), Some(SESSION)),
            LogoutDecision::Confirm
        );
        let other_session = hint("sid-2");
        let req = LogoutRequest {
            id_token_hint: Some(&other_session),
            ..Default::default()
        };
        assert_eq!(decide_for(&req, Some(SESSION)), LogoutDecision::Confirm);
    }

    #[test]
    fn without_a_session_there_is_nothing_to_end() {
        let h = hint("sid-1");
        let req = LogoutRequest {
            id_token_hint: Some(&h),
            post_logout_redirect_uri: Some("https://app.example/bye"),
            ..Default::default()
        };
        assert_eq!(
            decide_for(&req, None),
            LogoutDecision::Done {
                redirect: Some(Return {
                    url: "https://app.example/bye".into(),
                    confirm_host: None
                })
            }
        );
    }
}
