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
    End { redirect: Option<String> },
    /// A live session the request cannot be tied to: ask the user first.
    Confirm,
    /// No session to end: go to `redirect` or to our signed-out page.
    Done { redirect: Option<String> },
}

pub fn decide(
    keys: &KeySet,
    issuer: &str,
    clients: impl Fn(&str) -> Option<Arc<Client>>,
    req: &LogoutRequest<'_>,
    session: Option<CurrentSession<'_>>,
) -> LogoutDecision {
    let hint: Option<Hint> = match req.id_token_hint {
        Some(h) => match id_token::verify_hint(keys, issuer, h) {
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
            let registered = clients(&h.client_id)
                .is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r.matches(uri)));
            if !registered {
                return LogoutDecision::Refuse(
                    "The return address is not registered for this application.",
                );
            }
            match with_state(uri, req.state) {
                Some(url) => Some(url),
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
