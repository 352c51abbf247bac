//! The authorization-code redemption driven by oxide-auth's `AccessToken` state machine
//! (RFC 6749 §4.1.3). The machine receives what the request presented — the
//! authenticated client's id, the `redirect_uri` it sent (or, when it sent none, the one
//! URI registered), the code and the PKCE verifier — and the stored grant, and checks:
//! - client binding: the grant was issued to the presenting client;
//! - redirect URI: the presented URI equals the authorization request's (oxide-auth
//!   compares parsed URLs; our exact string comparison ran before it);
//! - PKCE: in its `Extend` step, through oxide-auth's `Pkce` extension
//!   (`domain::pkce::verify`, which adds downgrade protection).
//!
//! Ours, before the machine runs (`authorization_code`): the 60-second lifetime against
//! the injected clock (oxide-auth hard-codes 10 minutes on the wall clock), single use with
//! `invalid_grant` on replay (oxide-auth answers `invalid_request`), and the exact
//! redirect string. The tokens are ours too (JWTs, ID token, rotated refresh token).

use std::borrow::Cow;

use oxide_auth::code_grant::accesstoken::{AccessToken, Authorization, Input, Output, Request};
use oxide_auth::code_grant::extensions::Pkce;
use oxide_auth::endpoint::Scope as MachineScope;
use oxide_auth::primitives::grant::{Extensions, Grant};
use oxide_auth::primitives::issuer::{IssuedToken, TokenType};

use super::TokenError;
use crate::clock::{UnixTime, machine_grant_until, to_chrono};
use crate::domain::pkce::{self, CodeChallenge, CodeVerifier};
use crate::domain::scope::Scope;
use crate::store::codes::CodeRow;

/// What the token request presented.
pub struct Presented<'a> {
    /// The client that authenticated at the token endpoint.
    pub client_id: &'a str,
    pub code: &'a str,
    /// The `redirect_uri` the request sent, or the only registered one when it sent none.
    pub redirect_uri: &'a str,
    pub verifier: Option<&'a CodeVerifier>,
    /// The client must use PKCE (public clients, `require_pkce`).
    pub pkce_required: bool,
}

impl Request for Presented<'_> {
    fn valid(&self) -> bool {
        true
    }
    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self.code))
    }
    fn authorization(&self) -> Authorization<'_> {
        // Credentials were checked before (`authenticate`); the machine gets the
        // authenticated identity with no passphrase.
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
    TokenError::invalid_grant(d)
}

/// Runs the machine up to its `Issue` step with the stored grant `row`. Returns the
/// machine, ready for [`finish`], and the granted scope.
pub fn check(row: &CodeRow, presented: &Presented<'_>) -> Result<(AccessToken, Scope), TokenError> {
    let granted =
        Scope::parse(&row.scope).map_err(|_| invalid_grant("the stored grant is malformed"))?;
    let mut machine = AccessToken::new(presented);
    let mut input = Input::None;
    loop {
        let next = match machine.advance(input) {
            Output::Authenticate { .. } => Input::Authenticated,
            Output::Recover { .. } => {
                let scope: MachineScope = row
                    .scope
                    .parse()
                    .map_err(|_| invalid_grant("the stored grant is malformed"))?;
                let redirect_uri = url::Url::parse(&row.redirect_uri)
                    .map_err(|_| invalid_grant("the stored grant is malformed"))?;
                let mut extensions = Extensions::new();
                if let Some(challenge) = &row.code_challenge {
                    let challenge = CodeChallenge::from_stored(challenge.clone());
                    extensions.set(&Pkce::optional(), challenge.to_extension());
                }
                Input::Recovered(Some(Box::new(Grant {
                    owner_id: row.user_id.clone(),
                    client_id: row.client_id.clone(),
                    scope,
                    redirect_uri,
                    until: machine_grant_until(),
                    extensions,
                })))
            }
            Output::Extend { extensions } => {
                let stored = extensions.remove(&Pkce::optional());
                pkce::verify(stored, presented.verifier, presented.pkce_required)
                    .map_err(|e| invalid_grant(&e.to_string()))?;
                Input::Extended {
                    access_extensions: Extensions::new(),
                }
            }
            Output::Issue { grant } => {
                // oxide-auth's scope is a set; keep the stored order for stable output.
                let allowed = Scope::from_tokens(grant.scope.iter()).unwrap_or_default();
                return Ok((machine, granted.intersect(&allowed)));
            }
            Output::Ok(_) | Output::Err(_) => {
                return Err(invalid_grant("the authorization code is invalid"));
            }
        };
        input = next;
    }
}

/// Hands the issued access token to the machine, which completes the exchange.
pub fn finish(
    mut machine: AccessToken,
    access_token: &str,
    refresh: Option<String>,
    expires_at: UnixTime,
) -> Result<(), TokenError> {
    match machine.advance(Input::Issued(IssuedToken {
        token: access_token.to_string(),
        refresh,
        until: to_chrono(expires_at),
        token_type: TokenType::Bearer,
    })) {
        Output::Ok(_) => Ok(()),
        _ => Err(super::issue::server_error(
            "the code machine refused the issued token",
        )),
    }
}
