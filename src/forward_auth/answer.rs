//! What the gateway is told: allowed with identity headers, or refused the RFC 6750 way.

use super::bearer::Identity;

/// The answer to one forward-auth request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// `200`, empty body, identity headers.
    Allow(Identity),
    /// `401`: no credentials (`error` is `None`, RFC 6750 §3.1) or a bad token.
    Unauthorized {
        error: Option<&'static str>,
        description: Option<String>,
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

/// The identity headers of an allowed request, in a fixed order. Absent values are left
/// out rather than sent empty.
pub fn identity_headers(id: &Identity) -> Vec<(&'static str, String)> {
    let mut h = vec![("X-Portcullis-Subject", id.subject.clone())];
    let mut opt = |name: &'static str, v: &Option<String>| {
        if let Some(v) = v {
            h.push((name, v.clone()));
        }
    };
    opt("X-Portcullis-Client-Id", &id.client_id);
    opt("X-Portcullis-Scope", &id.scope);
    opt("X-Portcullis-Session", &id.sid);
    opt("X-Portcullis-Token-Id", &id.jti);
    opt("X-Portcullis-Username", &id.username);
    opt("Remote-Email", &id.email);
    opt("Remote-Name", &id.name);
    let roles = id.roles.join(",");
    h.push(("X-Portcullis-Roles", roles.clone()));
    h.push(("Remote-Groups", roles));
    h.push((
        "Remote-User",
        id.username.clone().unwrap_or_else(|| id.subject.clone()),
    ));
    h
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
    fn identity_headers_name_the_caller_and_skip_what_is_absent() {
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
        assert_eq!(get("Remote-User"), Some("u1"));
        assert_eq!(get("X-Portcullis-Session"), None);
        assert!(h.iter().all(|(k, _)| {
            HEADER_PREFIXES
                .iter()
                .any(|p| k.to_ascii_lowercase().starts_with(p))
        }));
    }
}
