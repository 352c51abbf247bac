//! Parsing and validating an authorization request. The order matters: until the client
//! and redirect URI are known good, every error is a page; after that, errors go back to
//! the client.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use oxide_auth::code_grant::extensions::Pkce;

use super::error::{AuthorizeError, ErrorCode};
use crate::domain::client::{GrantType, is_scope_token};
use crate::store::clients::Client;

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
    pub redirect_uri: String,
    pub response_mode: ResponseMode,
    /// Requested scopes the client may have, in request order.
    pub scope: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// oxide-auth's encoding of the PKCE challenge (method and value), stored with the code.
    pub pkce: Option<String>,
    pub prompt: Vec<Prompt>,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub id_token_hint: Option<String>,
    /// The request's parameters, re-encoded: carried through the login and consent forms.
    pub params: String,
}

impl AuthRequest {
    pub fn has_prompt(&self, p: Prompt) -> bool {
        self.prompt.contains(&p)
    }

    pub fn wants_openid(&self) -> bool {
        self.scope.iter().any(|s| s == "openid")
    }

    fn error(&self, code: ErrorCode, description: &'static str) -> AuthorizeError {
        AuthorizeError::Redirect {
            redirect_uri: self.redirect_uri.clone(),
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
    pub fn parse(encoded: &str) -> Self {
        let mut values = HashMap::new();
        let mut repeated = false;
        for (k, v) in url::form_urlencoded::parse(encoded.as_bytes()) {
            if v.is_empty() {
                continue;
            }
            if values.insert(k.into_owned(), v.into_owned()).is_some() {
                repeated = true;
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

/// Validates the request against the client registry (`lookup`).
pub fn validate(
    params: &Params,
    lookup: impl Fn(&str) -> Option<Arc<Client>>,
) -> Result<AuthRequest, AuthorizeError> {
    let client_id = params.get("client_id").ok_or_else(|| {
        AuthorizeError::page(
            "Invalid request",
            "The request does not name a client (client_id is missing).",
        )
    })?;
    let client = lookup(client_id).ok_or_else(|| {
        AuthorizeError::page(
            "Unknown application",
            "The application that sent you here is not registered.",
        )
    })?;
    // RFC 6749 §3.1.2.3 and RFC 9700 §2.1: exact string comparison; omitted only when
    // exactly one is registered.
    let redirect_uri = match params.get("redirect_uri") {
        Some(uri) if client.redirect_uris.iter().any(|r| r == uri) => uri.to_string(),
        Some(_) => {
            return Err(AuthorizeError::page(
                "Invalid redirect",
                "The address this application asked to return to is not registered for it.",
            ));
        }
        None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
        None => {
            return Err(AuthorizeError::page(
                "Invalid request",
                "The application did not say where to return to (redirect_uri is missing).",
            ));
        }
    };
    let response_mode = match params.get("response_mode") {
        None | Some("query") => ResponseMode::Query,
        Some("form_post") => ResponseMode::FormPost,
        Some(_) => ResponseMode::Query,
    };
    let mut req = AuthRequest {
        client,
        redirect_uri,
        response_mode,
        scope: Vec::new(),
        state: params.get("state").map(str::to_string),
        nonce: params.get("nonce").map(str::to_string),
        pkce: None,
        prompt: Vec::new(),
        max_age: None,
        login_hint: params.get("login_hint").map(str::to_string),
        id_token_hint: params.get("id_token_hint").map(str::to_string),
        params: params.encoded.clone(),
    };
    if !matches!(
        params.get("response_mode"),
        None | Some("query") | Some("form_post")
    ) {
        return Err(req.error(ErrorCode::InvalidRequest, "unsupported response_mode"));
    }
    if params.repeated {
        return Err(req.error(ErrorCode::InvalidRequest, "a parameter is repeated"));
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
    if !req
        .client
        .grant_types
        .contains(&GrantType::AuthorizationCode)
    {
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
    let mut scope = Vec::new();
    for s in requested.split(' ').filter(|s| !s.is_empty()) {
        if !is_scope_token(s) {
            return Err(req.error(ErrorCode::InvalidScope, "the scope is malformed"));
        }
        if req.client.scopes.iter().any(|c| c == s) && !scope.iter().any(|x| x == s) {
            scope.push(s.to_string());
        }
    }
    if scope.is_empty() {
        return Err(req.error(
            ErrorCode::InvalidScope,
            "none of the requested scopes is allowed for this client",
        ));
    }
    req.scope = scope;

    // PKCE (RFC 7636, RFC 9700 §2.1.1): S256 only; required of public clients and clients
    // registered with require_pkce.
    let method = params.get("code_challenge_method");
    let challenge = params.get("code_challenge");
    if method.is_some() && challenge.is_none() {
        return Err(req.error(
            ErrorCode::InvalidRequest,
            "code_challenge_method without code_challenge",
        ));
    }
    if challenge.is_some() && method != Some("S256") {
        return Err(req.error(
            ErrorCode::InvalidRequest,
            "code_challenge_method must be S256",
        ));
    }
    if let Some(c) = challenge {
        let ok = (43..=128).contains(&c.len())
            && c.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        if !ok {
            return Err(req.error(ErrorCode::InvalidRequest, "code_challenge is malformed"));
        }
    }
    let pkce = if req.client.require_pkce {
        Pkce::required()
    } else {
        Pkce::optional()
    };
    req.pkce = pkce
        .challenge(method.map(Cow::Borrowed), challenge.map(Cow::Borrowed))
        .map_err(|()| {
            req.error(
                ErrorCode::InvalidRequest,
                "this client must use PKCE (code_challenge with S256)",
            )
        })?
        .and_then(|v| v.into_private_value().ok().flatten());

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
