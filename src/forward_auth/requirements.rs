//! What a route requires, chosen by the gateway's configuration: `audience=` (any of),
//! `scope=` (all of), `role=` (any of), and how the user must have signed in — `acr=` (at
//! least this level) and `max_age=` (at most this many seconds ago), RFC 9470 — on the
//! auth URL's query, and/or `policy=<name>` naming `[forward_auth.policies.<name>]` with
//! the same keys.

use crate::config::{ForwardAuthSettings, PolicySettings};
use crate::mfa::level::Level;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requirements {
    pub audiences: Vec<String>,
    pub scopes: Vec<String>,
    pub roles: Vec<String>,
    /// The lowest level the sign-in must have reached.
    pub acr: Option<Level>,
    /// The longest time since the sign-in, in seconds.
    pub max_age: Option<i64>,
}

/// Which requirement a caller did not meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unmet {
    Audience,
    Scope,
    Role,
    /// RFC 9470 §3: `insufficient_user_authentication`.
    Authentication,
}

/// A requirement value that cannot be met by anything (an unknown `acr`, a negative
/// `max_age`) is a gateway misconfiguration, refused like an unknown policy.
fn bad_value(key: &str, value: &str) -> UnknownPolicy {
    UnknownPolicy(format!(
        "{key}={}",
        value.chars().take(32).collect::<String>()
    ))
}

/// Why a token is refused before the route's requirements are looked at (hardening round 2,
/// finding 14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    /// The route names no audience and `forward_auth.default_audience` is unset: any of our
    /// tokens would pass, those for other services too.
    NoAudience,
    /// A token for the admin API is never accepted by a gateway.
    AdminToken,
}

impl TokenRefusal {
    pub fn describe(self) -> &'static str {
        match self {
            TokenRefusal::NoAudience => {
                "the route names no audience (audience= or forward_auth.default_audience)"
            }
            TokenRefusal::AdminToken => "an admin API token is not accepted here",
        }
    }
}

impl Unmet {
    pub fn describe(self) -> &'static str {
        match self {
            Unmet::Audience => "the token is not meant for this service",
            Unmet::Scope => "the token lacks a required scope",
            Unmet::Role => "the user has none of the required roles",
            Unmet::Authentication => "a stronger or more recent sign-in is required",
        }
    }
}

/// A policy name the request used but the settings do not define.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no forward-auth policy is named `{0}`")]
pub struct UnknownPolicy(pub String);

/// Policy names travel in URL paths (Envoy) and queries.
pub fn is_policy_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn push_all(into: &mut Vec<String>, values: &[String]) {
    for v in values {
        if !into.contains(v) {
            into.push(v.clone());
        }
    }
}

impl Requirements {
    fn add_policy(&mut self, p: &PolicySettings) {
        push_all(&mut self.audiences, &p.audience);
        push_all(&mut self.scopes, &p.scope);
        push_all(&mut self.roles, &p.role);
        self.acr = self.acr.max(p.acr.as_deref().and_then(Level::parse));
        self.tighten_max_age(p.max_age);
    }

    fn tighten_max_age(&mut self, max_age: Option<i64>) {
        if let Some(m) = max_age {
            self.max_age = Some(self.max_age.map_or(m, |old| old.min(m)));
        }
    }

    fn add_named(
        &mut self,
        name: &str,
        settings: &ForwardAuthSettings,
    ) -> Result<(), UnknownPolicy> {
        let p = settings
            .policies
            .get(name)
            .ok_or_else(|| UnknownPolicy(name.chars().take(64).collect()))?;
        self.add_policy(p);
        Ok(())
    }

    /// The requirements of a `/forward-auth` request: its query's keys (other keys are
    /// the gateway's business and ignored), plus the named policy, or else the default
    /// policy. Space-separated scope values count as several.
    pub fn from_query(query: &str, settings: &ForwardAuthSettings) -> Result<Self, UnknownPolicy> {
        let mut r = Self::default();
        let mut named = false;
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            match k.as_ref() {
                "audience" if !v.is_empty() => push_all(&mut r.audiences, &[v.into_owned()]),
                "scope" => {
                    let scopes: Vec<String> = v
                        .split(' ')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect();
                    push_all(&mut r.scopes, &scopes);
                }
                "role" if !v.is_empty() => push_all(&mut r.roles, &[v.into_owned()]),
                "acr" => {
                    let level = Level::parse(&v).ok_or_else(|| bad_value("acr", &v))?;
                    r.acr = r.acr.max(Some(level));
                }
                "max_age" => {
                    let secs = v
                        .parse::<i64>()
                        .ok()
                        .filter(|s| *s >= 0)
                        .ok_or_else(|| bad_value("max_age", &v))?;
                    r.tighten_max_age(Some(secs));
                }
                "policy" => {
                    r.add_named(&v, settings)?;
                    named = true;
                }
                _ => {}
            }
        }
        if !named {
            if let Some(default) = &settings.default_policy {
                r.add_named(default, settings)?;
            }
        }
        Ok(r)
    }

    /// The requirements of a named policy (Envoy's path segment).
    pub fn named(name: &str, settings: &ForwardAuthSettings) -> Result<Self, UnknownPolicy> {
        let mut r = Self::default();
        r.add_named(name, settings)?;
        Ok(r)
    }

    /// What a route asks of a token's audience: its own `audience=` values, else
    /// `default_audience`; a token for the admin API (`admin_audience`) never passes.
    pub fn for_token(
        mut self,
        token_audiences: &[String],
        default_audience: Option<&str>,
        admin_audience: &str,
    ) -> Result<Self, TokenRefusal> {
        if token_audiences.iter().any(|a| a == admin_audience) {
            return Err(TokenRefusal::AdminToken);
        }
        if self.audiences.is_empty() {
            let default = default_audience.ok_or(TokenRefusal::NoAudience)?;
            self.audiences.push(default.to_string());
        }
        Ok(self)
    }

    /// Checks a caller: `audiences` and `scopes` are `None` for a browser session, which
    /// has neither, so a route that requires them is never opened by a session alone.
    pub fn check(
        &self,
        audiences: Option<&[String]>,
        scopes: Option<&str>,
        roles: &[String],
    ) -> Result<(), Unmet> {
        if !self.audiences.is_empty() {
            let has = audiences.is_some_and(|aud| aud.iter().any(|a| self.audiences.contains(a)));
            if !has {
                return Err(Unmet::Audience);
            }
        }
        if !self.scopes.is_empty() {
            let granted: Vec<&str> = scopes.map(|s| s.split(' ').collect()).unwrap_or_default();
            if !self.scopes.iter().all(|s| granted.contains(&s.as_str())) {
                return Err(Unmet::Scope);
            }
        }
        if !self.roles.is_empty() && !roles.iter().any(|r| self.roles.contains(r)) {
            return Err(Unmet::Role);
        }
        Ok(())
    }

    /// RFC 9470 §3: the caller's sign-in (`acr`, `auth_time`) against `acr=` and
    /// `max_age=`. A caller without them (a machine's token) meets neither.
    pub fn check_authentication(
        &self,
        acr: Option<&str>,
        auth_time: Option<i64>,
        now: i64,
    ) -> Result<(), Unmet> {
        if let Some(required) = self.acr {
            let reached = acr.and_then(Level::parse);
            if reached.is_none_or(|l| l < required) {
                return Err(Unmet::Authentication);
            }
        }
        if let Some(max_age) = self.max_age
            && auth_time.is_none_or(|t| now - t > max_age)
        {
            return Err(Unmet::Authentication);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ForwardAuthSettings {
        let mut s = ForwardAuthSettings::default();
        s.policies.insert(
            "orders".into(),
            PolicySettings {
                audience: vec!["https://orders.example".into()],
                scope: vec!["orders:read".into()],
                role: vec![],
                ..PolicySettings::default()
            },
        );
        s
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn query_keys_repeat_and_a_policy_adds_its_own() {
        let r = Requirements::from_query(
            "audience=a&audience=b&scope=x%20y&scope=z&role=admin&policy=orders&rd=ignored",
            &settings(),
        )
        .unwrap();
        assert_eq!(r.audiences, strings(&["a", "b", "https://orders.example"]));
        assert_eq!(r.scopes, strings(&["x", "y", "z", "orders:read"]));
        assert_eq!(r.roles, strings(&["admin"]));
    }

    #[test]
    fn an_unknown_policy_is_an_error_and_the_default_applies_when_none_is_named() {
        assert_eq!(
            Requirements::from_query("policy=nope", &settings()),
            Err(UnknownPolicy("nope".into()))
        );
        let mut s = settings();
        s.default_policy = Some("orders".into());
        assert_eq!(
            Requirements::from_query("", &s).unwrap().scopes,
            strings(&["orders:read"])
        );
    }

    #[test]
    fn audience_is_any_of_scope_all_of_role_any_of() {
        let r = Requirements {
            audiences: strings(&["a", "b"]),
            scopes: strings(&["x", "y"]),
            roles: strings(&["admin", "ops"]),
            ..Requirements::default()
        };
        let aud = strings(&["b"]);
        let roles = strings(&["ops"]);
        assert_eq!(r.check(Some(&aud), Some("y x z"), &roles), Ok(()));
        assert_eq!(
            r.check(Some(&strings(&["c"])), Some("x y"), &roles),
            Err(Unmet::Audience)
        );
        assert_eq!(r.check(Some(&aud), Some("x"), &roles), Err(Unmet::Scope));
        assert_eq!(
            r.check(Some(&aud), Some("x y"), &strings(&["user"])),
            Err(Unmet::Role)
        );
    }

    #[test]
    fn a_session_meets_roles_but_never_audience_or_scope() {
        let roles_only = Requirements {
            roles: strings(&["ops"]),
            ..Default::default()
        };
        assert_eq!(roles_only.check(None, None, &strings(&["ops"])), Ok(()));
        let scoped = Requirements {
            scopes: strings(&["x"]),
            ..Default::default()
        };
        assert_eq!(
            scoped.check(None, None, &strings(&["ops"])),
            Err(Unmet::Scope)
        );
        assert_eq!(Requirements::default().check(None, None, &[]), Ok(()));
    }

    #[test]
    fn policy_names_are_path_safe() {
        assert!(is_policy_name("orders-read_2"));
        for bad in ["", "a/b", "a b", "..", &"x".repeat(65)] {
            assert!(!is_policy_name(bad), "{bad}");
        }
    }
}

#[cfg(test)]
mod authentication_tests {
    use super::*;

    fn from(query: &str) -> Requirements {
        Requirements::from_query(query, &ForwardAuthSettings::default()).unwrap()
    }

    #[test]
    fn acr_is_at_least_and_max_age_bounds_the_age_of_the_sign_in() {
        let r = from("acr=2&max_age=300");
        assert_eq!(
            r.check_authentication(Some("2"), Some(1_000), 1_300),
            Ok(())
        );
        assert_eq!(
            r.check_authentication(Some("3"), Some(1_000), 1_000),
            Ok(())
        );
        assert_eq!(
            r.check_authentication(Some("1"), Some(1_000), 1_000),
            Err(Unmet::Authentication)
        );
        assert_eq!(
            r.check_authentication(Some("2"), Some(1_000), 1_301),
            Err(Unmet::Authentication)
        );
        assert_eq!(
            r.check_authentication(None, None, 1_000),
            Err(Unmet::Authentication),
            "a machine's token has no sign-in"
        );
        assert_eq!(
            Requirements::default().check_authentication(None, None, 0),
            Ok(())
        );
    }

    #[test]
    fn the_strictest_of_repeated_values_applies_and_nonsense_is_a_misconfiguration() {
        let r = from("acr=3&acr=2&max_age=60&max_age=600");
        assert_eq!(
            (r.acr, r.max_age),
            (Some(Level::PHISHING_RESISTANT), Some(60))
        );
        let s = ForwardAuthSettings::default();
        assert!(Requirements::from_query("acr=gold", &s).is_err());
        assert!(Requirements::from_query("max_age=-1", &s).is_err());
        assert!(Requirements::from_query("max_age=soon", &s).is_err());
    }

    #[test]
    fn a_token_needs_an_audience_named_by_the_route_or_the_default_and_never_the_admin_one() {
        let aud = vec!["https://api.example".to_string()];
        let admin = "https://id.example/admin";
        let bare = Requirements::default();
        assert_eq!(
            bare.clone().for_token(&aud, None, admin),
            Err(TokenRefusal::NoAudience)
        );
        let with_default = bare
            .clone()
            .for_token(&aud, Some("https://api.example"), admin)
            .unwrap();
        assert_eq!(with_default.check(Some(&aud), None, &[]), Ok(()));
        let other = bare
            .clone()
            .for_token(&aud, Some("https://other.example"), admin)
            .unwrap();
        assert_eq!(other.check(Some(&aud), None, &[]), Err(Unmet::Audience));
        let admin_token = vec![admin.to_string()];
        let named = Requirements {
            audiences: vec![admin.to_string()],
            ..Default::default()
        };
        assert_eq!(
            named.for_token(&admin_token, None, admin),
            Err(TokenRefusal::AdminToken),
            "even a route that names the admin audience"
        );
    }
}
