//! What the gateway is told: allowed with identity headers, or refused the RFC 6750 way.

use std::sync::Arc;

use actix_web::http::header::{HeaderName, HeaderValue};

use super::bearer::Identity;

/// A caller with its identity headers rendered once: a gateway asks about the same token
/// or session many times, and each answer only copies them.
#[derive(Debug, PartialEq, Eq)]
pub struct Caller {
    pub identity: Identity,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl Caller {
    pub fn new(identity: Identity) -> Arc<Self> {
        let headers = identity_headers(&identity)
            .into_iter()
            // Values come from our own tokens and users; one that is not a valid header
            // value (a control character) is left out rather than mangled.
            .filter_map(|(n, v)| {
                Some((
                    HeaderName::from_bytes(n.as_bytes()).ok()?,
                    HeaderValue::from_bytes(v.as_bytes()).ok()?,
                ))
            })
            .collect();
        Arc::new(Self { identity, headers })
    }
}

/// The answer to one forward-auth request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// `200`, empty body, identity headers.
    Allow(Arc<Caller>),
    /// `401`: no credentials (`error` is `None`, RFC 6750 §3.1) or a bad token.
    Unauthorized {
        error: Option<&'static str>,
        description: Option<String>,
    },
    /// `401` with the `DPoP` challenge (RFC 9449 §7.1): a bound token without a good
    /// proof (`invalid_dpop_proof`), or presented as a bearer token (`invalid_token`).
    DpopRefused {
        error: &'static str,
        description: String,
    },
    /// `401` (RFC 9470 §3): the sign-in behind the token or session is too weak or too
    /// old; the challenge names what would do.
    StepUp {
        acr_values: Option<String>,
        max_age: Option<i64>,
    },
    /// `403`: a good token or session without what the route requires.
    Forbidden {
        scope: Vec<String>,
        description: &'static str,
    },
    /// A browser that is not signed in: to the sign-in page, as a `302`, or for nginx as
    /// a `401` with `Location` (its `auth_request` passes nothing else on).
    SignIn { location: String, as_401: bool },
    /// The route names a policy that does not exist: `403`, and a log line for the
    /// operator.
    Misconfigured { policy: String },
}

/// Prefixes of the identity headers: a client's own headers with them must never reach
/// the service (the README's gateway configs strip them; ours overwrite them).
pub const HEADER_PREFIXES: [&str; 2] = ["x-portcullis-", "remote-"];

/// The identity headers of an allowed request, in a fixed order. Every one is always
/// sent, empty when the caller has no such value (a machine has no session, a session no
/// client): a gateway that copies named headers then overwrites whatever the client sent
/// under that name (Caddy 2.6 would otherwise copy its own placeholder text; nginx drops
/// an empty header).
///
/// A person and a machine never share a header (hardening round 2, finding 7):
/// `Remote-User` / `X-Portcullis-User` carry only a person's username (empty for a
/// machine's token), and `X-Portcullis-Client` / `Remote-Client` only a machine's client
/// id (empty for a person). `X-Portcullis-Client-Id` stays the client a token was issued
/// to, whoever it acts for.
pub fn identity_headers(id: &Identity) -> Vec<(&'static str, String)> {
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let roles = id.roles.join(",");
    let person = if id.is_machine() {
        String::new()
    } else {
        v(&id.username)
    };
    let machine = if id.is_machine() {
        id.subject.clone()
    } else {
        String::new()
    };
    vec![
        ("X-Portcullis-Subject", id.subject.clone()),
        ("X-Portcullis-Client-Id", v(&id.client_id)),
        ("X-Portcullis-Scope", v(&id.scope)),
        ("X-Portcullis-Roles", roles.clone()),
        ("X-Portcullis-Session", v(&id.sid)),
        ("X-Portcullis-Token-Id", v(&id.jti)),
        ("X-Portcullis-Username", person.clone()),
        ("X-Portcullis-User", person.clone()),
        ("X-Portcullis-Client", machine.clone()),
        ("Remote-User", person),
        ("Remote-Client", machine),
        ("Remote-Groups", roles),
        ("Remote-Email", v(&id.email)),
        ("Remote-Name", v(&id.name)),
    ]
}

/// RFC 9470 §3: `WWW-Authenticate: Bearer realm="…", error="insufficient_user_authentication",
/// error_description="…"[, acr_values="…"][, max_age=…]`.
pub fn step_up_challenge(realm: &str, acr_values: Option<&str>, max_age: Option<i64>) -> String {
    let mut v = www_authenticate(
        realm,
        Some("insufficient_user_authentication"),
        Some("a stronger or more recent sign-in is required"),
        &[],
    );
    if let Some(a) = acr_values {
        v.push_str(&format!(", acr_values={}", quoted(a)));
    }
    if let Some(m) = max_age {
        v.push_str(&format!(", max_age={m}"));
    }
    v
}

/// Quotes a value for an auth-param (RFC 9110 §11.2, quoted-string).
fn quoted(v: &str) -> String {
    let clean: String = v
        .chars()
        .filter(|c| !c.is_control())
        .flat_map(|c| match c {
            '"' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("\"{clean}\"")
}

/// `WWW-Authenticate: Bearer realm="…"[, error="…", error_description="…", scope="…"]`
/// (RFC 6750 §3).
pub fn www_authenticate(
    realm: &str,
    error: Option<&str>,
    description: Option<&str>,
    scope: &[String],
) -> String {
    let mut v = format!("Bearer realm={}", quoted(realm));
    if let Some(e) = error {
        v.push_str(&format!(", error={}", quoted(e)));
    }
    if let Some(d) = description {
        v.push_str(&format!(", error_description={}", quoted(d)));
    }
    if !scope.is_empty() {
        v.push_str(&format!(", scope={}", quoted(&scope.join(" "))));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_has_no_error_without_a_token_and_names_required_scopes() {
        assert_eq!(
            www_authenticate("https://id.example", None, None, &[]),
            "Bearer realm=\"https://id.example\""
        );
        assert_eq!(
            www_authenticate(
                "r",
                Some("insufficient_scope"),
                Some("needs \"x\""),
                &["a".into(), "b".into()]
            ),
            "Bearer realm=\"r\", error=\"insufficient_scope\", error_description=\"needs \\\"x\\\"\", scope=\"a b\""
        );
    }

    #[test]
    fn identity_headers_name_the_caller_and_are_empty_for_what_is_absent() {
        let id = Identity {
            subject: "u1".into(),
            client_id: Some("app".into()),
            roles: vec!["ops".into(), "admin".into()],
            ..Default::default()
        };
        let h = identity_headers(&id);
        let get = |n: &str| h.iter().find(|(k, _)| *k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("X-Portcullis-Subject"), Some("u1"));
        assert_eq!(get("X-Portcullis-Client-Id"), Some("app"));
        assert_eq!(get("X-Portcullis-Roles"), Some("ops,admin"));
        assert_eq!(get("Remote-Groups"), Some("ops,admin"));
        assert_eq!(
            get("Remote-User"),
            Some(""),
            "no username: never the subject"
        );
        assert_eq!(get("X-Portcullis-Session"), Some(""));
        assert_eq!(h.len(), 14, "every header, always");
        assert!(h.iter().all(|(k, _)| {
            HEADER_PREFIXES
                .iter()
                .any(|p| k.to_ascii_lowercase().starts_with(p))
        }));
    }

    #[test]
    fn a_person_and_a_machine_never_share_a_header() {
        let person = Identity {
            subject: "u1".into(),
            client_id: Some("app".into()),
            username: Some("alice".into()),
            auth_time: Some(1),
            audiences: Some(vec![]),
            ..Default::default()
        };
        let machine = Identity {
            subject: "billing".into(),
            client_id: Some("billing".into()),
            // Even a claim that looks like a username does not make a machine a person.
            username: Some("billing".into()),
            audiences: Some(vec![]),
            ..Default::default()
        };
        let get = |id: &Identity, n: &str| {
            identity_headers(id)
                .into_iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v)
                .unwrap()
        };
        for n in ["Remote-User", "X-Portcullis-User", "X-Portcullis-Username"] {
            assert_eq!(get(&person, n), "alice", "{n}");
            assert_eq!(get(&machine, n), "", "{n}");
        }
        for n in ["Remote-Client", "X-Portcullis-Client"] {
            assert_eq!(get(&person, n), "", "{n}");
            assert_eq!(get(&machine, n), "billing", "{n}");
        }
    }
}
