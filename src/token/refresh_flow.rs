//! The refresh exchange driven by oxide-auth's `Refresh` state machine (RFC 6749 §6). It
//! receives the authenticated client's id, the presented token and the requested scope,
//! and the stored grant, and checks that the token was issued to that client and that
//! the requested scope does not exceed the grant.
//!
//! Ours (`refresh`): the token's own client, liveness against the injected clock, the
//! scope grammar, rotation and reuse detection (RFC 9700 §4.14.2). The token row is
//! looked up first and consumed only after every check, including the machine's, has
//! passed, so a refused request (a widened scope, say) leaves the token usable.

use std::borrow::Cow;

use oxide_auth::code_grant::error::AccessTokenErrorType;
use oxide_auth::code_grant::refresh::{Error, Input, Output, Refresh, Request};
use oxide_auth::endpoint::Scope as MachineScope;
use oxide_auth::primitives::grant::{Extensions, Grant};
use oxide_auth::primitives::issuer::{RefreshedToken, TokenType};

use super::{ErrorCode, TokenError};
use crate::clock::{UnixTime, machine_grant_until, to_chrono};
use crate::domain::scope::Scope;
use crate::store::refresh_tokens::RefreshRow;

/// What the refresh request presented.
pub struct Presented<'a> {
    /// The client that authenticated at the token endpoint.
    pub client_id: &'a str,
    pub token: &'a str,
    /// The requested scope, if any, already checked against the RFC 6749 §3.3 grammar.
    pub scope: Option<&'a Scope>,
}

/// The machine's view of the request; `scope` is the canonical form of the request's.
struct Exchange<'a> {
    presented: &'a Presented<'a>,
    scope: Option<String>,
}

impl Request for Exchange<'_> {
    fn valid(&self) -> bool {
        true
    }
    fn refresh_token(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self.presented.token))
    }
    fn scope(&self) -> Option<Cow<'_, str>> {
        self.scope.as_deref().map(Cow::Borrowed)
    }
    fn grant_type(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed("refresh_token"))
    }
    fn authorization(&self) -> Option<(Cow<'_, str>, Cow<'_, [u8]>)> {
        // Credentials were checked before (`authenticate`).
        Some((Cow::Borrowed(self.presented.client_id), Cow::Borrowed(&[])))
    }
    fn extension(&self, _: &str) -> Option<Cow<'_, str>> {
        None
    }
}

fn map_error(mut e: Error) -> TokenError {
    if let Some(AccessTokenErrorType::InvalidScope) = e.description().map(|d| d.kind()) {
        TokenError::new(
            ErrorCode::InvalidScope,
            "the scope exceeds the original grant",
        )
    } else {
        TokenError::invalid_grant("the refresh token is invalid or expired")
    }
}

/// Runs the machine up to issuing with the stored grant `row`; returns it and the
/// (possibly narrowed) scope, in the grant's order.
pub fn check(row: &RefreshRow, presented: &Presented<'_>) -> Result<(Refresh, Scope), TokenError> {
    let malformed = || TokenError::invalid_grant("the stored grant is malformed");
    let granted = Scope::parse(&row.scope).map_err(|_| malformed())?;
    let request = Exchange {
        presented,
        scope: presented.scope.map(|s| s.to_string()),
    };
    let mut machine = Refresh::new(&request);
    let mut input = Input::None;
    loop {
        let next = match machine.advance(input) {
            Output::Unauthenticated { .. } => Input::Authenticated {
                scope: request.scope(),
            },
            Output::RecoverRefresh { .. } => {
                let scope: MachineScope = row.scope.parse().map_err(|_| malformed())?;
                // A refresh grant has no redirect; the machine's grant still needs a URL.
                let redirect_uri = url::Url::parse("urn:portcullis:refresh")
                    .map_err(|_| super::issue::server_error("refresh grant URL"))?;
                Input::Recovered {
                    scope: request.scope(),
                    grant: Some(Box::new(Grant {
                        owner_id: row.user_id.clone().unwrap_or_default(),
                        client_id: row.client_id.clone(),
                        scope,
                        redirect_uri,
                        until: machine_grant_until(),
                        extensions: Extensions::new(),
                    })),
                }
            }
            Output::Refresh { grant, .. } => {
                let narrowed = Scope::from_tokens(grant.scope.iter()).unwrap_or_default();
                return Ok((machine, granted.intersect(&narrowed)));
            }
            Output::Ok(_) => {
                return Err(TokenError::invalid_grant("the refresh token is invalid"));
            }
            Output::Err(e) => return Err(map_error(e)),
        };
        input = next;
    }
}

pub fn finish(
    mut machine: Refresh,
    access_token: &str,
    refresh: Option<String>,
    expires_at: UnixTime,
) -> Result<(), TokenError> {
    match machine.advance(Input::Refreshed(RefreshedToken {
        token: access_token.to_string(),
        refresh,
        until: to_chrono(expires_at),
        token_type: TokenType::Bearer,
    })) {
        Output::Ok(_) => Ok(()),
        _ => Err(super::issue::server_error(
            "the refresh machine refused the issued token",
        )),
    }
}
