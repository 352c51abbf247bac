//! The client-credentials grant (RFC 6749 §4.4). oxide-auth's state machine validates the
//! request and drives the steps; we answer each step from our own rules: the client is
//! already authenticated (see `client_auth`), scopes and audiences are negotiated here
//! (oxide-auth's registrar has no notion of RFC 8707 resources), and the token is a JWT
//! (see `access_token`) rather than oxide-auth's opaque bearer token.

use std::borrow::Cow;

use oxide_auth::code_grant::client_credentials::{ClientCredentials, Input, Output, Request};
use oxide_auth::code_grant::error::AccessTokenErrorType;
use oxide_auth::endpoint::Scope;
use oxide_auth::primitives::registrar::{BoundClient, ExactUrl, PreGrant, RegisteredUrl};

use super::{ErrorCode, TokenError};
use crate::domain::client::{GrantType, is_scope_token};
use crate::domain::uri;
use crate::store::clients::Client;

/// What the grant yields: the scope and audience of the access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    pub scope: Vec<String>,
    pub audience: Vec<String>,
}

/// The request as oxide-auth sees it: credentials were checked before, so they are
/// presented as the authenticated client with no passphrase.
struct Authenticated<'a> {
    client_id: &'a str,
    scope: Option<&'a str>,
}

impl Request for Authenticated<'_> {
    fn valid(&self) -> bool {
        true
    }
    fn authorization(&self) -> Option<(Cow<'_, str>, Cow<'_, [u8]>)> {
        Some((Cow::Borrowed(self.client_id), Cow::Borrowed(&[])))
    }
    fn scope(&self) -> Option<Cow<'_, str>> {
        self.scope.map(Cow::Borrowed)
    }
    fn grant_type(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed("client_credentials"))
    }
    fn extension(&self, _: &str) -> Option<Cow<'_, str>> {
        None
    }
}

/// RFC 6749 §3.3 and §4.4.2: requested scopes must all be allowed; none requested means
/// the client's full allowed set.
pub fn negotiate_scope(
    client: &Client,
    requested: Option<&str>,
) -> Result<Vec<String>, TokenError> {
    let Some(requested) = requested else {
        return Ok(client.scopes.clone());
    };
    let mut scope: Vec<String> = Vec::new();
    for token in requested.split(' ').filter(|s| !s.is_empty()) {
        if !is_scope_token(token) {
            return Err(TokenError::new(
                ErrorCode::InvalidScope,
                "the scope is malformed",
            ));
        }
        if !client.scopes.iter().any(|s| s == token) {
            return Err(TokenError::new(
                ErrorCode::InvalidScope,
                "a requested scope is not allowed for this client",
            ));
        }
        if !scope.iter().any(|s| s == token) {
            scope.push(token.to_string());
        }
    }
    Ok(scope)
}

/// RFC 8707 §2: each `resource` must be an absolute URI the client may address; none
/// means the client's default audience.
pub fn negotiate_audience(
    client: &Client,
    resources: &[String],
) -> Result<Vec<String>, TokenError> {
    if resources.is_empty() {
        return match &client.default_audience {
            Some(a) => Ok(vec![a.clone()]),
            None => Err(TokenError::new(
                ErrorCode::InvalidTarget,
                "this client has no default audience; send a resource parameter",
            )),
        };
    }
    let mut audience = Vec::new();
    for r in resources {
        if uri::check_resource_uri(r).is_err() {
            return Err(TokenError::new(
                ErrorCode::InvalidTarget,
                "resource must be an absolute URI without a fragment",
            ));
        }
        if !client.audiences.contains(r) {
            return Err(TokenError::new(
                ErrorCode::InvalidTarget,
                "the requested resource is not allowed for this client",
            ));
        }
        if !audience.contains(r) {
            audience.push(r.clone());
        }
    }
    Ok(audience)
}

/// Runs the grant for an authenticated client.
pub fn grant(
    client: &Client,
    token_endpoint: &str,
    scope: Option<&str>,
    resources: &[String],
) -> Result<Granted, TokenError> {
    if !client.grant_types.contains(&GrantType::ClientCredentials) {
        return Err(TokenError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the client_credentials grant",
        ));
    }
    let audience = negotiate_audience(client, resources)?;
    // Checked before oxide-auth parses the scope, which would call a malformed one
    // invalid_request where RFC 6749 §5.2 says invalid_scope.
    let allowed = negotiate_scope(client, scope)?;
    // Client credentials has no redirect; oxide-auth still wants a URL on the bound client.
    let redirect: RegisteredUrl = ExactUrl::new(token_endpoint.to_string())
        .map_err(|_| TokenError::new(ErrorCode::ServerError, "the issuer is not a URL"))?
        .into();
    let request = Authenticated {
        client_id: &client.id,
        scope,
    };
    let mut flow = ClientCredentials::new(&request);
    let mut input = Input::None;
    loop {
        let next = match flow.advance(input) {
            Output::Authenticate { .. } => Input::Authenticated,
            Output::Binding { client_id } => Input::Bound {
                bound_client: BoundClient {
                    client_id: Cow::Owned(client_id.to_string()),
                    redirect_uri: Cow::Owned(redirect.clone()),
                },
            },
            Output::Extend => Input::Extended {
                extensions: Default::default(),
            },
            Output::Negotiate { bound_client, .. } => {
                let scope: Scope = allowed.join(" ").parse().map_err(|_| {
                    TokenError::new(ErrorCode::InvalidScope, "the scope is malformed")
                })?;
                Input::Negotiated {
                    pre_grant: PreGrant {
                        client_id: bound_client.client_id.to_string(),
                        redirect_uri: bound_client.redirect_uri.as_ref().clone(),
                        scope,
                    },
                }
            }
            Output::Ok { pre_grant, .. } => {
                // oxide-auth's scope is a set; keep the client's order for stable output.
                let mut scope = allowed.clone();
                scope.retain(|s| pre_grant.scope.iter().any(|g| g == s));
                return Ok(Granted { scope, audience });
            }
            Output::Err(mut e) => {
                let code = match e.description().map(|d| d.kind()) {
                    Some(AccessTokenErrorType::InvalidScope) => ErrorCode::InvalidScope,
                    Some(AccessTokenErrorType::UnsupportedGrantType) => {
                        ErrorCode::UnsupportedGrantType
                    }
                    Some(AccessTokenErrorType::InvalidClient) => ErrorCode::InvalidClient,
                    _ => ErrorCode::InvalidRequest,
                };
                return Err(TokenError::new(
                    code,
                    "the client credentials request is invalid",
                ));
            }
        };
        input = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::client::AuthMethod;

    fn client() -> Client {
        Client {
            id: "svc".into(),
            name: "Svc".into(),
            public: false,
            secret_hash: None,
            grant_types: vec![GrantType::ClientCredentials],
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            backchannel_logout_uri: None,
            scopes: vec!["a.read".into(), "a.write".into()],
            audiences: vec!["https://api.a".into(), "https://api.b".into()],
            default_audience: Some("https://api.a".into()),
            skip_consent: false,
            require_pkce: false,
            token_endpoint_auth_method: AuthMethod::ClientSecretBasic,
            jwks: None,
            jwks_uri: None,
            permissions: vec![],
            created_at: 0,
            updated_at: 0,
        }
    }

    const TOKEN: &str = "https://id.example/token";

    #[test]
    fn defaults_and_subsets() {
        let g = grant(&client(), TOKEN, None, &[]).unwrap();
        assert_eq!(g.scope, ["a.read", "a.write"]);
        assert_eq!(g.audience, ["https://api.a"]);
        let g = grant(&client(), TOKEN, Some("a.write"), &["https://api.b".into()]).unwrap();
        assert_eq!(g.scope, ["a.write"]);
        assert_eq!(g.audience, ["https://api.b"]);
    }

    #[test]
    fn refusals_carry_the_rfc_codes() {
        let code = |r: Result<Granted, TokenError>| r.unwrap_err().code;
        assert_eq!(
            code(grant(&client(), TOKEN, Some("admin"), &[])),
            ErrorCode::InvalidScope
        );
        assert_eq!(
            code(grant(&client(), TOKEN, Some("a\"b"), &[])),
            ErrorCode::InvalidScope
        );
        assert_eq!(
            code(grant(&client(), TOKEN, None, &["https://evil".into()])),
            ErrorCode::InvalidTarget
        );
        assert_eq!(
            code(grant(&client(), TOKEN, None, &["relative".into()])),
            ErrorCode::InvalidTarget
        );
        let mut c = client();
        c.grant_types = vec![GrantType::AuthorizationCode];
        assert_eq!(
            code(grant(&c, TOKEN, None, &[])),
            ErrorCode::UnauthorizedClient
        );
        let mut c = client();
        c.default_audience = None;
        assert_eq!(code(grant(&c, TOKEN, None, &[])), ErrorCode::InvalidTarget);
    }
}
