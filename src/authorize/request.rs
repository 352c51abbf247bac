//! Parsing and validating an authorization request. The order matters: until the client
//! and redirect URI are known good, every error is a page; after that, errors go back to
//! the client.

use std::collections::HashMap;
use std::sync::Arc;

use super::error::{AuthorizeError, ErrorCode, PageError};
use crate::domain::bounds;
use crate::domain::client::{Client, GrantType};
use crate::domain::pkce::CodeChallenge;
use crate::domain::redirect_uri::{self, RedirectUri, Resolution};
use crate::domain::scope::Scope;
use crate::mfa::level::{self, Level};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    Query,
    FormPost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    None,
    Login,
    Consent,
    SelectAccount,
}

/// A validated authorization request.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub client: Arc<Client>,
    pub redirect_uri: RedirectUri,
    pub response_mode: ResponseMode,
    /// Requested scopes the client may have, in request order.
    pub scope: Scope,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// The PKCE challenge, stored with the code.
    pub pkce: Option<CodeChallenge>,
    pub prompt: Vec<Prompt>,
    pub max_age: Option<i64>,
    /// `acr_values` (OIDC Core §3.1.2.1): the lowest level we define among them, if any.
    pub acr: Option<Level>,
    pub login_hint: Option<String>,
    /// `ui_locales` (OIDC Core §3.1.2.1): the languages our pages should speak.
    pub ui_locales: Option<String>,
    pub id_token_hint: Option<String>,
    /// The request's parameters, re-encoded: carried through the login and consent forms.
    pub params: String,
    /// `dpop_jkt` (RFC 9449 §10): the code is bound to this DPoP key's thumbprint.
    pub dpop_jkt: Option<String>,
    /// The SHA-256 of the `request_uri` when the request was pushed (RFC 9126): used up
    /// when its code is issued.
    pub pushed: Option<Vec<u8>>,
}

impl AuthRequest {
    /// The level this request's sign-in must reach: the client's own requirement or the
    /// request's `acr_values`, whichever is higher.
    pub fn required_level(&self) -> Option<Level> {
        self.client.require_acr.max(self.acr)
    }

    pub fn has_prompt(&self, p: Prompt) -> bool {
        self.prompt.contains(&p)
    }

    pub fn wants_openid(&self) -> bool {
        self.scope.is_openid()
    }

    fn error(&self, code: ErrorCode, description: &'static str) -> AuthorizeError {
        AuthorizeError::Redirect {
            redirect_uri: self.redirect_uri.to_string(),
            response_mode: self.response_mode,
            state: self.state.clone(),
            code,
            description,
        }
    }

    pub fn fail(&self, code: ErrorCode, description: &'static str) -> AuthorizeError {
        self.error(code, description)
    }
}

/// Raw parameters, each name at most once.
pub struct Params {
    values: HashMap<String, String>,
    repeated: bool,
    encoded: String,
}

impl Params {
    /// RFC 6749 §3.1: an empty value counts as absent, but a name sent twice is a repeat
    /// even when one of the values is empty (`state=s&state=`).
    pub fn parse(encoded: &str) -> Self {
        let mut values = HashMap::new();
        let mut seen = std::collections::HashSet::new();
        let mut repeated = false;
        for (k, v) in url::form_urlencoded::parse(encoded.as_bytes()) {
            if !seen.insert(k.clone()) {
                repeated = true;
            }
            if !v.is_empty() {
                values.insert(k.into_owned(), v.into_owned());
            }
        }
        Self {
            values,
            repeated,
            encoded: encoded.to_string(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }
}

/// The longest `state` accepted (the conformance suite sends 128 characters; clients that
/// carry data in it rarely need more than a few hundred).
pub const MAX_STATE_LEN: usize = bounds::STATE_BYTES;

/// The other parameters with a bound (`domain::bounds`), and the error a longer one gets
/// (`invalid_request` at the registered redirect URI).
const BOUNDED: [(&str, usize, &str); 6] = [
    (
        "nonce",
        bounds::NONCE_BYTES,
        "nonce is longer than 512 bytes",
    ),
    (
        "scope",
        bounds::SCOPE_BYTES,
        "scope is longer than 2048 bytes",
    ),
    (
        "login_hint",
        bounds::LOGIN_HINT_BYTES,
        "login_hint is longer than 512 bytes",
    ),
    (
        "acr_values",
        bounds::SHORT_LIST_BYTES,
        "acr_values is longer than 256 bytes",
    ),
    (
        "ui_locales",
        bounds::SHORT_LIST_BYTES,
        "ui_locales is longer than 256 bytes",
    ),
    (
        "id_token_hint",
        bounds::JWT_BYTES,
        "id_token_hint is longer than 16384 bytes",
    ),
];

/// The refusal text for an authorization request's PKCE parameters.
fn pkce_description(e: crate::domain::pkce::PkceError) -> &'static str {
    use crate::domain::pkce::PkceError;
    match e {
        PkceError::MethodWithoutChallenge => "code_challenge_method without code_challenge",
        PkceError::NotS256 => "code_challenge_method must be S256",
        PkceError::MalformedChallenge => "code_challenge is malformed",
        _ => "this client must use PKCE (code_challenge with S256)",
    }
}

/// Validates the request against the client registry (`lookup`).
pub fn validate(
    params: &Params,
    lookup: impl Fn(&str) -> Option<Arc<Client>>,
) -> Result<AuthRequest, AuthorizeError> {
    let client_id = params
        .get("client_id")
        .ok_or(AuthorizeError::Page(PageError::MissingClient))?;
    let client = lookup(client_id).ok_or(AuthorizeError::Page(PageError::UnknownClient))?;
    // RFC 6749 §3.1.2.3 and RFC 9700 §2.1: exact string comparison; omitted only when
    // exactly one is registered.
    let redirect_uri =
        match redirect_uri::resolve(&client.redirect_uris, params.get("redirect_uri")) {
            Resolution::Matched(uri) => uri.clone(),
            Resolution::NotRegistered => {
                return Err(AuthorizeError::Page(PageError::UnregisteredRedirect));
            }
            Resolution::Missing => {
                return Err(AuthorizeError::Page(PageError::MissingRedirect));
            }
        };
    // The state travels back in the redirect and through our sign-in form: a huge one
    // would break both later, so it is refused here, on our page (it cannot be echoed).
    if params.get("state").is_some_and(|s| s.len() > MAX_STATE_LEN) {
        return Err(AuthorizeError::Page(PageError::StateTooLong));
    }
    let too_long = BOUNDED
        .iter()
        .find(|(name, max, _)| params.get(name).is_some_and(|v| v.len() > *max));
    let response_mode = match params.get("response_mode") {
        None | Some("query") => ResponseMode::Query,
        Some("form_post") => ResponseMode::FormPost,
        Some(_) => ResponseMode::Query,
    };
    let mut req = AuthRequest {
        client,
        redirect_uri,
        response_mode,
        scope: Scope::default(),
        state: params.get("state").map(str::to_string),
        nonce: params.get("nonce").map(str::to_string),
        pkce: None,
        prompt: Vec::new(),
        max_age: None,
        acr: params.get("acr_values").and_then(level::requested),
        login_hint: params.get("login_hint").map(str::to_string),
        ui_locales: params.get("ui_locales").map(str::to_string),
        id_token_hint: params.get("id_token_hint").map(str::to_string),
        params: params.encoded.clone(),
        dpop_jkt: None,
        pushed: None,
    };
    if let Some((_, _, description)) = too_long {
        return Err(req.error(ErrorCode::InvalidRequest, description));
    }
    if !matches!(
        params.get("response_mode"),
        None | Some("query") | Some("form_post")
    ) {
        return Err(req.error(ErrorCode::InvalidRequest, "unsupported response_mode"));
    }
    if params.repeated {
        return Err(req.error(ErrorCode::InvalidRequest, "a parameter is repeated"));
    }
    // OIDC Core §3.1.2.1: redirect_uri is REQUIRED in an OpenID Connect request, even when
    // the client has only one (the error goes to that one, which is registered).
    let openid = params
        .get("scope")
        .and_then(|s| Scope::parse(s).ok())
        .is_some_and(|s| s.is_openid());
    if openid && params.get("redirect_uri").is_none() {
        return Err(req.error(
            ErrorCode::InvalidRequest,
            "redirect_uri is required in OpenID Connect requests",
        ));
    }
    // FAPI 2.0 Security Profile §5.3.2.2: the redirect URI is always named.
    if req.client.profile == Some(crate::domain::profile::ClientProfile::Fapi2)
        && params.get("redirect_uri").is_none()
    {
        return Err(req.error(
            ErrorCode::InvalidRequest,
            "redirect_uri is required of this client",
        ));
    }
    if params.get("request").is_some() {
        return Err(req.error(
            ErrorCode::RequestNotSupported,
            "request objects are not supported",
        ));
    }
    if params.get("request_uri").is_some() {
        return Err(req.error(
            ErrorCode::RequestUriNotSupported,
            "request_uri is not supported",
        ));
    }
    match params.get("response_type") {
        None => return Err(req.error(ErrorCode::InvalidRequest, "response_type is missing")),
        Some("code") => {}
        Some(_) => {
            return Err(req.error(
                ErrorCode::UnsupportedResponseType,
                "only response_type=code is supported",
            ));
        }
    }
    if !req.client.may_use(GrantType::AuthorizationCode) {
        return Err(req.error(
            ErrorCode::UnauthorizedClient,
            "this client may not use the authorization code flow",
        ));
    }
    // Scopes the client may not have are dropped (the token response reports the granted
    // scope, RFC 6749 §3.3); a malformed or empty result fails.
    let requested = params
        .get("scope")
        .ok_or_else(|| req.error(ErrorCode::InvalidScope, "scope is missing"))?;
    let scope = Scope::parse(requested)
        .map_err(|_| req.error(ErrorCode::InvalidScope, "the scope is malformed"))?
        .intersect(&req.client.scopes);
    if scope.is_empty() {
        return Err(req.error(
            ErrorCode::InvalidScope,
            "none of the requested scopes is allowed for this client",
        ));
    }
    req.scope = scope;

    // PKCE (RFC 7636, RFC 9700 §2.1.1): S256 only; required of public clients and clients
    // registered with require_pkce.
    req.pkce = CodeChallenge::from_request(
        params.get("code_challenge_method"),
        params.get("code_challenge"),
        req.client.require_pkce,
    )
    .map_err(|e| req.error(ErrorCode::InvalidRequest, pkce_description(e)))?;

    if let Some(p) = params.get("prompt") {
        for value in p.split(' ').filter(|s| !s.is_empty()) {
            let prompt = match value {
                "none" => Prompt::None,
                "login" => Prompt::Login,
                "consent" => Prompt::Consent,
                "select_account" => Prompt::SelectAccount,
                _ => return Err(req.error(ErrorCode::InvalidRequest, "unknown prompt value")),
            };
            req.prompt.push(prompt);
        }
        if req.has_prompt(Prompt::None) && req.prompt.len() > 1 {
            return Err(req.error(ErrorCode::InvalidRequest, "prompt=none cannot be combined"));
        }
    }
    // RFC 9449 §10: a SHA-256 JWK thumbprint, base64url without padding.
    if let Some(jkt) = params.get("dpop_jkt") {
        if !crate::dpop::is_thumbprint(jkt) {
            return Err(req.error(ErrorCode::InvalidRequest, "dpop_jkt is malformed"));
        }
        req.dpop_jkt = Some(jkt.to_string());
    }
    if let Some(m) = params.get("max_age") {
        req.max_age = Some(m.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| {
            req.error(
                ErrorCode::InvalidRequest,
                "max_age must be a non-negative integer",
            )
        })?);
    }
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::client::fixtures::confidential_web_app;

    fn validate_query(query: &str) -> Result<AuthRequest, AuthorizeError> {
        validate(&Params::parse(query), |_| {
            Some(Arc::new(confidential_web_app()))
        })
    }

    const BASE: &str = "response_type=code&client_id=web&scope=openid";

    #[test]
    fn an_openid_request_must_name_its_redirect_uri() {
        let e = validate_query(BASE).unwrap_err();
        assert!(
            matches!(
                e,
                AuthorizeError::Redirect {
                    code: ErrorCode::InvalidRequest,
                    ..
                }
            ),
            "{e:?}"
        );
        let plain_oauth = "response_type=code&client_id=web&scope=profile";
        assert!(validate_query(plain_oauth).is_ok(), "OAuth may omit it");
        let named = format!("{BASE}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb");
        assert!(validate_query(&named).is_ok());
    }

    #[test]
    fn a_parameter_sent_twice_is_refused_even_with_an_empty_value() {
        let q = format!("{BASE}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state=s&state=");
        let e = validate_query(&q).unwrap_err();
        assert!(matches!(
            e,
            AuthorizeError::Redirect {
                description: "a parameter is repeated",
                ..
            }
        ));
    }

    #[test]
    fn an_overlong_state_is_refused_on_our_page() {
        let q = format!(
            "{BASE}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state={}",
            "s".repeat(MAX_STATE_LEN + 1)
        );
        assert!(matches!(validate_query(&q), Err(AuthorizeError::Page(_))));
        let q = format!(
            "{BASE}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state={}",
            "s".repeat(MAX_STATE_LEN)
        );
        assert!(validate_query(&q).is_ok());
    }

    #[test]
    fn every_bounded_parameter_one_byte_too_long_is_invalid_request_naming_it() {
        let cb = "redirect_uri=https%3A%2F%2Fapp.example%2Fcb";
        for (name, max, description) in BOUNDED {
            let at = format!("{BASE}&{cb}&{name}={}", "a".repeat(max));
            assert!(
                !matches!(validate_query(&at), Err(AuthorizeError::Redirect { description: d, .. }) if d == description),
                "{name} at its bound passes the bound"
            );
            let over = format!("{BASE}&{cb}&{name}={}", "a".repeat(max + 1));
            match validate_query(&over) {
                Err(AuthorizeError::Redirect {
                    code: ErrorCode::InvalidRequest,
                    description: d,
                    ..
                }) => assert_eq!(d, description),
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn any_authorization_request_validates_or_fails_without_panic(query in "\\PC{0,200}") {
            let _ = validate_query(&query);
        }

        #[test]
        fn a_refusal_after_the_redirect_is_known_carries_a_spec_code(
            extra in proptest::collection::vec(("(scope|prompt|max_age|code_challenge|code_challenge_method|response_type|response_mode|state|nonce)", "\\PC{0,20}"), 0..5)
        ) {
            let mut q = format!("{BASE}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb");
            for (k, v) in &extra {
                q.push('&');
                q.push_str(&url::form_urlencoded::Serializer::new(String::new()).append_pair(k, v).finish());
            }
            if let Err(AuthorizeError::Redirect { code, .. }) = validate_query(&q) {
                let known = [
                    "invalid_request", "unauthorized_client", "unsupported_response_type",
                    "invalid_scope", "request_not_supported", "request_uri_not_supported",
                ];
                proptest::prop_assert!(known.contains(&code.as_str()));
            }
        }
    }
}
