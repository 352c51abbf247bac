//! The refresh exchange driven by oxide-auth's `Refresh` state machine: it checks that the
//! token was issued to this client and that the requested scope does not exceed the grant
//! (RFC 6749 §6). Rotation and reuse detection (RFC 9700 §4.14.2) are ours: the token row
//! is consumed before the machine runs, and the family revoked on reuse.

use std::borrow::Cow;

use oxide_auth::code_grant::error::AccessTokenErrorType;
use oxide_auth::code_grant::refresh::{Error, Input, Output, Refresh, Request};
use oxide_auth::endpoint::Scope;
use oxide_auth::primitives::grant::{Extensions, Grant};
use oxide_auth::primitives::issuer::{RefreshedToken, TokenType};

use super::{ErrorCode, TokenError};
use crate::store::refresh_tokens::RefreshRow;

struct Exchange<'a> {
    client_id: &'a str,
    token: &'a str,
    scope: Option<&'a str>,
}

impl Request for Exchange<'_> {
    fn valid(&self) -> bool {
        true
    }
    fn refresh_token(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self.token))
    }
    fn scope(&self) -> Option<Cow<'_, str>> {
        self.scope.map(Cow::Borrowed)
    }
    fn grant_type(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed("refresh_token"))
    }
    fn authorization(&self) -> Option<(Cow<'_, str>, Cow<'_, [u8]>)> {
        Some((Cow::Borrowed(self.client_id), Cow::Borrowed(&[])))
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
        TokenError::new(
            ErrorCode::InvalidGrant,
            "the refresh token is invalid or expired",
        )
    }
}

/// Runs the machine up to issuing; returns it and the (possibly narrowed) scope, in the
/// grant's order.
pub fn check(
    row: &RefreshRow,
    client_id: &str,
    token: &str,
    requested: Option<&str>,
) -> Result<(Refresh, Vec<String>), TokenError> {
    let granted: Vec<String> = row
        .scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let request = Exchange {
        client_id,
        token,
        scope: requested,
    };
    let mut machine = Refresh::new(&request);
    let mut input = Input::None;
    loop {
        let next = match machine.advance(input) {
            Output::Unauthenticated { .. } => Input::Authenticated {
                scope: requested.map(Cow::Borrowed),
            },
            Output::RecoverRefresh { .. } => {
                let scope: Scope = row.scope.parse().map_err(|_| {
                    TokenError::new(ErrorCode::InvalidGrant, "the stored grant is malformed")
                })?;
                let redirect_uri = url::Url::parse("urn:portcullis:refresh")
                    .map_err(|_| TokenError::new(ErrorCode::ServerError, "internal error"))?;
                Input::Recovered {
                    scope: requested.map(Cow::Borrowed),
                    grant: Some(Box::new(Grant {
                        owner_id: row.user_id.clone().unwrap_or_default(),
                        client_id: row.client_id.clone(),
                        scope,
                        redirect_uri,
                        // Expiry was checked against our clock already.
                        until: chrono::Utc::now() + chrono::Duration::seconds(60),
                        extensions: Extensions::new(),
                    })),
                }
            }
            Output::Refresh { grant, .. } => {
                let scope = granted
                    .iter()
                    .filter(|s| grant.scope.iter().any(|g| g == s.as_str()))
                    .cloned()
                    .collect();
                return Ok((machine, scope));
            }
            Output::Ok(_) => {
                return Err(TokenError::new(
                    ErrorCode::InvalidGrant,
                    "the refresh token is invalid",
                ));
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
) -> Result<(), TokenError> {
    match machine.advance(Input::Refreshed(RefreshedToken {
        token: access_token.to_string(),
        refresh,
        until: chrono::Utc::now() + chrono::Duration::seconds(60),
        token_type: TokenType::Bearer,
    })) {
        Output::Ok(_) => Ok(()),
        _ => Err(TokenError::new(
            ErrorCode::ServerError,
            "the token could not be issued",
        )),
    }
}
