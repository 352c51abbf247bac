//! The authorization-code redemption driven by oxide-auth's `AccessToken` state machine.
//! We answer its steps from our own store and rules: the client is already authenticated
//! (see `client_auth`), the grant is the consumed code row, its PKCE challenge is checked
//! with oxide-auth's `Pkce` extension, and the tokens are ours (JWTs, ID token, rotated
//! refresh token). Code lifetime and exact redirect-URI matching are enforced before the
//! machine runs: oxide-auth compares redirect URIs semantically and hard-codes a 10-minute
//! code lifetime on the wall clock.

use std::borrow::Cow;

use oxide_auth::code_grant::accesstoken::{AccessToken, Authorization, Input, Output, Request};
use oxide_auth::code_grant::extensions::Pkce;
use oxide_auth::endpoint::Scope;
use oxide_auth::primitives::grant::{Extensions, Grant, Value};
use oxide_auth::primitives::issuer::{IssuedToken, TokenType};

use super::{ErrorCode, TokenError};
use crate::store::codes::CodeRow;

const PKCE: &str = "pkce";

struct Redeem<'a> {
    client_id: &'a str,
    code: &'a str,
    redirect_uri: &'a str,
}

impl Request for Redeem<'_> {
    fn valid(&self) -> bool {
        true
    }
    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self.code))
    }
    fn authorization(&self) -> Authorization<'_> {
        Authorization::UsernamePassword(Cow::Borrowed(self.client_id), Cow::Borrowed(&[]))
    }
    fn client_id(&self) -> Option<Cow<'_, str>> {
        None
    }
    fn redirect_uri(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self.redirect_uri))
    }
    fn grant_type(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed("authorization_code"))
    }
    fn extension(&self, _: &str) -> Option<Cow<'_, str>> {
        None
    }
}

fn invalid_grant(d: &str) -> TokenError {
    TokenError::new(ErrorCode::InvalidGrant, d)
}

/// Runs the machine up to its `Issue` step: client binding, redirect URI, scope and the
/// PKCE verifier. Returns the machine, ready for [`finish`], and the granted scope.
pub fn check(
    row: &CodeRow,
    code: &str,
    verifier: Option<&str>,
    pkce_required: bool,
) -> Result<(AccessToken, Vec<String>), TokenError> {
    let request = Redeem {
        client_id: &row.client_id,
        code,
        redirect_uri: &row.redirect_uri,
    };
    let mut machine = AccessToken::new(&request);
    let mut input = Input::None;
    loop {
        let next = match machine.advance(input) {
            Output::Authenticate { .. } => Input::Authenticated,
            Output::Recover { .. } => {
                let scope: Scope = row
                    .scope
                    .parse()
                    .map_err(|_| invalid_grant("the stored grant is malformed"))?;
                let redirect_uri = url::Url::parse(&row.redirect_uri)
                    .map_err(|_| invalid_grant("the stored grant is malformed"))?;
                let mut extensions = Extensions::new();
                if let Some(challenge) = &row.code_challenge {
                    extensions.set_raw(PKCE.into(), Value::private(Some(challenge.clone())));
                }
                Input::Recovered(Some(Box::new(Grant {
                    owner_id: row.user_id.clone(),
                    client_id: row.client_id.clone(),
                    scope,
                    redirect_uri,
                    // Expiry was checked against our clock already.
                    until: chrono::Utc::now() + chrono::Duration::seconds(60),
                    extensions,
                })))
            }
            Output::Extend { extensions } => {
                let stored = extensions.remove(&Pkce::optional());
                let pkce = if pkce_required {
                    Pkce::required()
                } else {
                    Pkce::optional()
                };
                if pkce.verify(stored, verifier.map(Cow::Borrowed)).is_err() {
                    return Err(invalid_grant(
                        "the code_verifier does not match the code_challenge",
                    ));
                }
                Input::Extended {
                    access_extensions: Extensions::new(),
                }
            }
            Output::Issue { grant } => {
                let scope = row
                    .scope
                    .split(' ')
                    .filter(|s| !s.is_empty() && grant.scope.iter().any(|g| g == *s))
                    .map(str::to_string)
                    .collect();
                return Ok((machine, scope));
            }
            Output::Ok(_) => return Err(invalid_grant("the authorization code is invalid")),
            Output::Err(_) => return Err(invalid_grant("the authorization code is invalid")),
        };
        input = next;
    }
}

/// Hands the issued access token to the machine, which completes the exchange.
pub fn finish(
    mut machine: AccessToken,
    access_token: &str,
    refresh: Option<String>,
) -> Result<(), TokenError> {
    match machine.advance(Input::Issued(IssuedToken {
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
