//! The refresh-token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700
//! §4.14.2): each use returns a new token of the same family; presenting a token that was
//! already used revokes the family and every access token issued from it.

use serde_json::Value;

use super::form::TokenForm;
use super::issue::{self, Authentication, Issuer, UserGrant};
use super::refresh_flow::{self, Presented};
use super::{ErrorCode, TokenError};
use crate::clock::UnixTime;
use crate::domain::client::{Client, GrantType};
use crate::domain::opaque;
use crate::domain::scope::Scope;
use crate::store::grants::GrantStore;

/// The parameters of a refresh request (RFC 6749 §6).
#[derive(Debug, Clone, Default)]
pub struct RefreshExchange {
    pub refresh_token: String,
    pub scope: Option<Scope>,
}

impl RefreshExchange {
    pub fn from_form(form: &TokenForm) -> Result<Self, TokenError> {
        let refresh_token = form
            .get("refresh_token")
            .ok_or_else(|| TokenError::invalid_request("refresh_token is missing"))?
            .to_string();
        let scope = form
            .get("scope")
            .map(Scope::parse)
            .transpose()
            .map_err(|_| TokenError::new(ErrorCode::InvalidScope, "the scope is malformed"))?;
        Ok(Self {
            refresh_token,
            scope,
        })
    }
}

fn invalid_grant(d: &str) -> TokenError {
    TokenError::invalid_grant(d)
}

/// A used or revoked refresh token came back: revoke its whole family.
fn reuse(store: &mut impl GrantStore, family: &str, client: &Client, now: UnixTime) -> TokenError {
    tracing::warn!(client.id = %client.id, "refresh token reused; its family was revoked");
    if let Err(e) = store.revoke_family(family, now) {
        return e.into();
    }
    invalid_grant("the refresh token was already used; the grant is revoked")
}

pub fn exchange(
    ctx: &Issuer<'_>,
    store: &mut impl GrantStore,
    client: &Client,
    req: &RefreshExchange,
    now: UnixTime,
) -> Result<Value, TokenError> {
    if !client.may_use(GrantType::RefreshToken) {
        return Err(TokenError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the refresh_token grant",
        ));
    }
    let hash = opaque::hash(&req.refresh_token);
    // Another client's token is simply invalid here (RFC 6749 §5.2): it is neither
    // consumed nor revoked by a client that may have stolen it.
    let row = store
        .find_refresh(&hash)?
        .filter(|r| client.id == r.client_id.as_str())
        .ok_or_else(|| invalid_grant("the refresh token is invalid or expired"))?;
    if row.consumed_at.is_some() || row.revoked_at.is_some() {
        return Err(reuse(store, &row.family_id, client, now));
    }
    let family_end = row.family_expires_at.unwrap_or(row.expires_at);
    if row.expires_at <= now || family_end <= now {
        return Err(invalid_grant("the refresh token is invalid or expired"));
    }
    // RFC 9449 §5: a public client's refresh token is bound to the DPoP key it was issued
    // with; only a proof by that key may use it.
    if let Some(bound) = row.dpop_jkt.as_deref()
        && ctx.dpop_jkt != Some(bound)
    {
        return Err(invalid_grant(
            "the refresh token is bound to a DPoP key; send a DPoP proof made with it",
        ));
    }
    let granted =
        Scope::parse(&row.scope).map_err(|_| invalid_grant("the stored grant is malformed"))?;
    let (machine, scope) = refresh_flow::check(
        &row,
        &Presented {
            client_id: &client.id,
            token: &req.refresh_token,
            scope: req.scope.as_ref(),
        },
    )?;
    // Rotation: exactly one request can consume the token; a concurrent one is a reuse.
    if store.consume_refresh(&hash, &client.id, now)?.is_none() {
        return Err(reuse(store, &row.family_id, client, now));
    }
    let user = store
        .find_user(row.user_id.as_deref().unwrap_or_default())?
        .filter(|u| !u.disabled)
        .ok_or_else(|| invalid_grant("the user of this grant is no longer active"))?;
    let authn = Authentication {
        auth_time: row.auth_time.unwrap_or(row.issued_at),
        acr: row.acr.clone(),
        amr: issue::parse_amr(row.amr.as_deref()),
        sid: row.session_sid.clone(),
    };
    let issued = issue::issue(
        ctx,
        store,
        UserGrant {
            client,
            user: &user,
            scope: &scope,
            granted_scope: &granted,
            authn: &authn,
            nonce: None,
            family: Some((row.family_id.clone(), family_end)),
            access_jti: None,
        },
        now,
    )?;
    refresh_flow::finish(
        machine,
        issued.body["access_token"].as_str().unwrap_or_default(),
        issued.body["refresh_token"].as_str().map(str::to_string),
        issued.access_expires_at,
    )?;
    Ok(issued.body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::client::fixtures::{confidential_web_app, public_spa};
    use crate::domain::user::fixtures::alice;
    use crate::token::fixtures::{NOW, claims, grants, issuer, refresh_family};

    fn request(token: &str, scope: Option<&str>) -> RefreshExchange {
        RefreshExchange {
            refresh_token: token.into(),
            scope: scope.map(|s| Scope::parse(s).unwrap()),
        }
    }

    fn code_of(r: Result<Value, TokenError>) -> ErrorCode {
        r.unwrap_err().code
    }

    #[test]
    fn a_refresh_rotates_the_token_within_its_family() {
        let (mut g, client) = (grants(), confidential_web_app());
        let (first, _) = refresh_family(&mut g, &client, &alice(), "openid profile", NOW);
        let body = exchange(&issuer(), &mut g, &client, &request(&first, None), NOW + 10).unwrap();
        let second = body["refresh_token"].as_str().unwrap();
        assert_ne!(second, first);
        let families: Vec<_> = g.refresh.values().map(|r| r.family_id.clone()).collect();
        assert_eq!(families.len(), 2);
        assert_eq!(
            families[0], families[1],
            "the new token continues the family"
        );
        assert!(exchange(&issuer(), &mut g, &client, &request(second, None), NOW + 20).is_ok());
    }

    #[test]
    fn a_reused_refresh_token_revokes_its_family_and_the_access_tokens_it_issued() {
        let (mut g, client) = (grants(), confidential_web_app());
        let (first, first_jti) = refresh_family(&mut g, &client, &alice(), "openid", NOW);
        let body = exchange(&issuer(), &mut g, &client, &request(&first, None), NOW + 10).unwrap();
        let second = body["refresh_token"].as_str().unwrap().to_string();
        let second_jti = claims(body["access_token"].as_str().unwrap())["jti"]
            .as_str()
            .unwrap()
            .to_string();
        let reuse = exchange(&issuer(), &mut g, &client, &request(&first, None), NOW + 20);
        assert_eq!(code_of(reuse), ErrorCode::InvalidGrant);
        assert!(g.is_revoked(&first_jti) && g.is_revoked(&second_jti));
        assert_eq!(
            code_of(exchange(
                &issuer(),
                &mut g,
                &client,
                &request(&second, None),
                NOW + 30
            )),
            ErrorCode::InvalidGrant,
            "the latest token of the family is revoked too"
        );
    }

    #[test]
    fn a_refresh_may_narrow_the_scope() {
        let (mut g, client) = (grants(), confidential_web_app());
        let (token, _) = refresh_family(&mut g, &client, &alice(), "openid profile email", NOW);
        let body = exchange(
            &issuer(),
            &mut g,
            &client,
            &request(&token, Some("email openid")),
            NOW,
        )
        .unwrap();
        assert_eq!(body["scope"], "openid email", "the grant's order");
        let refreshed = g
            .refresh
            .values()
            .find(|r| r.consumed_at.is_none())
            .unwrap();
        assert_eq!(
            refreshed.scope, "openid profile email",
            "the family keeps the whole grant"
        );
    }

    #[test]
    fn a_refresh_may_not_widen_the_scope_and_the_token_stays_usable() {
        let (mut g, client) = (grants(), confidential_web_app());
        let (token, _) = refresh_family(&mut g, &client, &alice(), "openid", NOW);
        let wider = exchange(
            &issuer(),
            &mut g,
            &client,
            &request(&token, Some("openid email")),
            NOW,
        );
        assert_eq!(code_of(wider), ErrorCode::InvalidScope);
        assert!(exchange(&issuer(), &mut g, &client, &request(&token, None), NOW).is_ok());
    }

    #[test]
    fn another_clients_refresh_token_is_invalid_and_left_alone() {
        let mut g = grants();
        let (owner, mut other) = (confidential_web_app(), public_spa());
        other.grant_types = owner.grant_types.clone();
        let (token, _) = refresh_family(&mut g, &owner, &alice(), "openid", NOW);
        assert_eq!(
            code_of(exchange(
                &issuer(),
                &mut g,
                &other,
                &request(&token, None),
                NOW
            )),
            ErrorCode::InvalidGrant
        );
        assert!(exchange(&issuer(), &mut g, &owner, &request(&token, None), NOW).is_ok());
    }

    #[test]
    fn an_idle_refresh_token_expires() {
        let (mut g, client) = (grants(), confidential_web_app());
        let (token, _) = refresh_family(&mut g, &client, &alice(), "openid", NOW);
        let idle = issuer().tokens.refresh_token_idle_secs;
        assert_eq!(
            code_of(exchange(
                &issuer(),
                &mut g,
                &client,
                &request(&token, None),
                NOW + idle
            )),
            ErrorCode::InvalidGrant
        );
    }

    #[test]
    fn a_malformed_scope_is_invalid_scope() {
        let form = TokenForm::parse(
            Some("application/x-www-form-urlencoded"),
            b"refresh_token=x&scope=a%22b",
        )
        .unwrap();
        assert_eq!(
            RefreshExchange::from_form(&form).unwrap_err().code,
            ErrorCode::InvalidScope
        );
    }
}
