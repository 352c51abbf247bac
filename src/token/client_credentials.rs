//! The client-credentials grant (RFC 6749 §4.4). oxide-auth's state machine validates the
//! request and drives the steps; we answer each step from our own rules: the client is
//! already authenticated (see `client_auth`), scopes and audiences are negotiated here
//! (oxide-auth's registrar has no notion of RFC 8707 resources), and the token is a JWT
//! (see `access_token`) rather than oxide-auth's opaque bearer token.

use std::borrow::Cow;
use std::sync::LazyLock;

use oxide_auth::code_grant::client_credentials::{ClientCredentials, Input, Output, Request};
use oxide_auth::code_grant::error::AccessTokenErrorType;
use oxide_auth::endpoint::Scope as MachineScope;
use oxide_auth::primitives::registrar::{BoundClient, ExactUrl, PreGrant, RegisteredUrl};

use serde_json::{Value, json};

use super::access_token::{self, AccessTokenRequest};
use super::issue::{Issuer, server_error};
use super::{ErrorCode, TokenError};
use crate::clock::UnixTime;
use crate::domain::audience::{self, Audience};
use crate::domain::client::{Client, GrantType};
use crate::domain::scope::Scope;

/// What the grant yields: the scope and audience of the access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    pub scope: Scope,
    pub audience: Vec<Audience>,
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
pub fn negotiate_scope(client: &Client, requested: Option<&str>) -> Result<Scope, TokenError> {
    let Some(requested) = requested else {
        return Ok(client.scopes.clone());
    };
    let scope = Scope::parse(requested)
        .map_err(|_| TokenError::new(ErrorCode::InvalidScope, "the scope is malformed"))?;
    if !scope.is_subset_of(&client.scopes) {
        return Err(TokenError::new(
            ErrorCode::InvalidScope,
            "a requested scope is not allowed for this client",
        ));
    }
    Ok(scope)
}

/// RFC 8707 §2: each `resource` must be an absolute URI the client may address; none
/// means the client's default audience.
pub fn negotiate_audience(
    client: &Client,
    resources: &[String],
) -> Result<Vec<Audience>, TokenError> {
    audience::select(
        &client.audiences,
        client.default_audience.as_ref(),
        resources,
    )
    .map_err(|e| TokenError::new(ErrorCode::InvalidTarget, e.to_string()))
}

/// Client credentials has no redirect URI, yet oxide-auth's bound client must carry one;
/// nothing reads it back. Parsed once: a URL parse per request showed in profiles of the
/// hot path.
static NO_REDIRECT: LazyLock<Option<RegisteredUrl>> = LazyLock::new(|| {
    ExactUrl::new("urn:ietf:params:oauth:grant-type:client_credentials".into())
        .ok()
        .map(RegisteredUrl::from)
});

/// Runs the grant for an authenticated client.
pub fn grant(
    client: &Client,
    scope: Option<&str>,
    resources: &[String],
) -> Result<Granted, TokenError> {
    if !client.may_use(GrantType::ClientCredentials) {
        return Err(TokenError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the client_credentials grant",
        ));
    }
    let audience = negotiate_audience(client, resources)?;
    // Checked before oxide-auth parses the scope, which would call a malformed one
    // invalid_request where RFC 6749 §5.2 says invalid_scope.
    let allowed = negotiate_scope(client, scope)?;
    let redirect = NO_REDIRECT
        .as_ref()
        .ok_or_else(|| TokenError::new(ErrorCode::ServerError, "no placeholder redirect URI"))?;
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
                let scope: MachineScope = allowed.to_string().parse().map_err(|_| {
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
                // oxide-auth's scope is a set; keep the requested order for stable output.
                let issued = Scope::from_tokens(pre_grant.scope.iter()).unwrap_or_default();
                return Ok(Granted {
                    scope: allowed.intersect(&issued),
                    audience,
                });
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

/// The whole grant: negotiation, then an RFC 9068 access token for the client itself
/// (`sub` = `client_id`, RFC 9068 §2.2). No database: the signature is the whole cost.
pub fn exchange(
    ctx: &Issuer<'_>,
    client: &Client,
    scope: Option<&str>,
    resources: &[String],
    now: UnixTime,
) -> Result<Value, TokenError> {
    let granted = grant(client, scope, resources)?;
    let issued = access_token::issue(
        ctx.keys,
        &AccessTokenRequest {
            jti: &crate::domain::opaque::identifier(),
            issuer: ctx.issuer,
            subject: &client.id,
            client_id: &client.id,
            audience: &granted.audience,
            scope: &granted.scope,
            now,
            ttl: ctx.tokens.access_token_ttl_secs,
            extra: Default::default(),
            status: ctx.status.map(|s| (s.uri.as_str(), s.idx)),
            alg: ctx.access_alg(client),
            jkt: ctx.dpop_jkt,
        },
    )
    .map_err(server_error)?;
    let mut body = json!({
        "access_token": issued.token,
        "token_type": ctx.token_type(),
        "expires_in": issued.expires_in,
    });
    if !granted.scope.is_empty() {
        body["scope"] = json!(granted.scope.to_string());
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::client::fixtures;

    fn client() -> Client {
        fixtures::service()
    }

    #[test]
    fn client_credentials_scope_and_audience_default_to_the_clients_and_may_be_narrowed() {
        let g = grant(&client(), None, &[]).unwrap();
        assert_eq!(g.scope.to_string(), "a.read a.write");
        assert_eq!(g.audience, [Audience::from_trusted("https://api.a")]);
        let g = grant(&client(), Some("a.write"), &["https://api.b".into()]).unwrap();
        assert_eq!(g.scope.to_string(), "a.write");
        assert_eq!(g.audience, [Audience::from_trusted("https://api.b")]);
    }

    #[test]
    fn client_credentials_refusals_carry_the_rfc_codes() {
        let code = |r: Result<Granted, TokenError>| r.unwrap_err().code;
        assert_eq!(
            code(grant(&client(), Some("admin"), &[])),
            ErrorCode::InvalidScope
        );
        assert_eq!(
            code(grant(&client(), Some("a\"b"), &[])),
            ErrorCode::InvalidScope
        );
        assert_eq!(
            code(grant(&client(), None, &["https://evil".into()])),
            ErrorCode::InvalidTarget
        );
        assert_eq!(
            code(grant(&client(), None, &["relative".into()])),
            ErrorCode::InvalidTarget
        );
        let mut c = client();
        c.grant_types = vec![GrantType::AuthorizationCode];
        assert_eq!(code(grant(&c, None, &[])), ErrorCode::UnauthorizedClient);
        let mut c = client();
        c.default_audience = None;
        assert_eq!(code(grant(&c, None, &[])), ErrorCode::InvalidTarget);
    }
}
