//! The authorization-code grant (RFC 6749 §4.1.3, RFC 7636 §4.6, OIDC Core §3.1.3).
//! Codes are single use: a second redemption is refused with `invalid_grant` and revokes
//! every token the first one produced (RFC 6749 §4.1.2, RFC 9700 §4.5.3.1).
//!
//! Which check lives where: our rules here run first (code consumption bound to the
//! client and recorded in the same transaction, replay, the 60-second lifetime, exact
//! `redirect_uri`, PKCE downgrade); then
//! oxide-auth's machine (`code_flow`) checks client binding, redirect URI and the PKCE
//! verifier against the values the request presented.

use serde_json::Value;

use super::code_flow::{self, Presented};
use super::form::TokenForm;
use super::issue::{self, Authentication, Issuer, UserGrant};
use super::{ErrorCode, TokenError};
use crate::clock::UnixTime;
use crate::domain::client::{Client, GrantType};
use crate::domain::opaque;
use crate::domain::pkce::CodeVerifier;
use crate::domain::redirect_uri::{self, Resolution};
use crate::store::codes::RedeemedRow;
use crate::store::grants::GrantStore;

/// The parameters of a code exchange (RFC 6749 §4.1.3, RFC 7636 §4.5).
#[derive(Debug, Clone, Default)]
pub struct CodeExchange {
    pub code: String,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
}

impl CodeExchange {
    pub fn from_form(form: &TokenForm) -> Result<Self, TokenError> {
        Ok(Self {
            code: form
                .get("code")
                .ok_or_else(|| TokenError::invalid_request("code is missing"))?
                .to_string(),
            redirect_uri: form.get("redirect_uri").map(str::to_string),
            code_verifier: form.get("code_verifier").map(str::to_string),
        })
    }
}

fn invalid_grant(d: &str) -> TokenError {
    TokenError::invalid_grant(d)
}

/// Redeems a code for the authenticated `client` and issues its tokens.
pub fn exchange(
    ctx: &Issuer<'_>,
    store: &mut impl GrantStore,
    client: &Client,
    req: &CodeExchange,
    now: UnixTime,
) -> Result<Value, TokenError> {
    if !client.may_use(GrantType::AuthorizationCode) {
        return Err(TokenError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the authorization_code grant",
        ));
    }
    let hash = opaque::hash(&req.code);
    // What this redemption will issue is chosen now and recorded with the consumption, so
    // a replay racing it finds the record and revokes these ids.
    let access_jti = opaque::identifier();
    let family = client.may_use(GrantType::RefreshToken).then(|| {
        (
            opaque::identifier(),
            now + ctx.tokens.refresh_token_absolute_secs,
        )
    });
    let redemption = RedeemedRow {
        code_hash: hash.clone(),
        client_id: client.id.to_string(),
        access_jti: access_jti.clone(),
        access_expires_at: now + ctx.tokens.access_token_ttl_secs,
        refresh_family_id: family.as_ref().map(|(id, _)| id.clone()),
        expires_at: now
            + ctx
                .tokens
                .access_token_ttl_secs
                .max(ctx.tokens.refresh_token_absolute_secs),
    };
    let Some(row) = store.consume_code(&hash, &client.id, &redemption)? else {
        // Already redeemed? Then revoke what it produced.
        if let Some(r) = store.take_redemption(&hash, &client.id)? {
            store.revoke_jti(&r.access_jti, r.access_expires_at, now)?;
            if let Some(f) = &r.refresh_family_id {
                store.revoke_family(f, now)?;
            }
            tracing::warn!(client.id = %client.id, access.jti = %r.access_jti, "authorization code replayed; its tokens were revoked");
            return Err(invalid_grant("the authorization code was already used"));
        }
        return Err(invalid_grant(
            "the authorization code is invalid or expired",
        ));
    };
    if row.expires_at <= now {
        return Err(invalid_grant(
            "the authorization code is invalid or expired",
        ));
    }
    // Exact match with the authorization request's URI (RFC 6749 §4.1.3); it may be
    // omitted only when exactly one is registered.
    let redirect_uri =
        match redirect_uri::resolve(&client.redirect_uris, req.redirect_uri.as_deref()) {
            Resolution::Matched(uri) if uri.matches(&row.redirect_uri) => uri.as_str(),
            Resolution::Missing => {
                return Err(TokenError::invalid_request("redirect_uri is missing"));
            }
            _ if req.redirect_uri.is_none() => {
                return Err(TokenError::invalid_request("redirect_uri is missing"));
            }
            _ => {
                return Err(invalid_grant(
                    "redirect_uri does not match the authorization request",
                ));
            }
        };
    let verifier = req
        .code_verifier
        .as_deref()
        .map(CodeVerifier::parse)
        .transpose()
        .map_err(|e| invalid_grant(&e.to_string()))?;
    let (machine, scope) = code_flow::check(
        &row,
        &Presented {
            client_id: &client.id,
            code: &req.code,
            redirect_uri,
            verifier: verifier.as_ref(),
            pkce_required: client.require_pkce,
        },
    )?;
    let user = store
        .find_user(&row.user_id)?
        .filter(|u| !u.disabled)
        .ok_or_else(|| invalid_grant("the user of this code is no longer active"))?;
    let authn = Authentication {
        auth_time: row.auth_time,
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
            granted_scope: &scope,
            authn: &authn,
            nonce: row.nonce.as_deref(),
            family: family.clone(),
            access_jti: Some(access_jti),
        },
        now,
    )?;
    code_flow::finish(
        machine,
        issued.body["access_token"].as_str().unwrap_or_default(),
        issued.body["refresh_token"].as_str().map(str::to_string),
        issued.access_expires_at,
    )?;
    // A replay that came in while we issued took the record and revoked the access token
    // and the family, perhaps before the refresh token existed: revoke it now.
    if !store.is_redeemed(&hash)? {
        if let Some((family_id, _)) = &family {
            store.revoke_family(family_id, now)?;
        }
        return Err(invalid_grant("the authorization code was already used"));
    }
    Ok(issued.body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::client::fixtures::{confidential_web_app, public_spa};
    use crate::domain::redirect_uri::RedirectUri;
    use crate::token::fixtures::{NOW, VERIFIER, claims, code, grants, issuer};

    fn exchange_of(code: &str) -> CodeExchange {
        CodeExchange {
            code: code.into(),
            redirect_uri: None,
            code_verifier: Some(VERIFIER.into()),
        }
    }

    fn error(r: Result<Value, TokenError>) -> (ErrorCode, String) {
        let e = r.unwrap_err();
        (e.code, e.description)
    }

    #[test]
    fn a_code_is_exchanged_for_an_access_token_an_id_token_and_a_refresh_token() {
        let (mut g, client) = (grants(), confidential_web_app());
        let c = code(&mut g, &client, NOW, |_| {});
        let body = exchange(&issuer(), &mut g, &client, &exchange_of(&c), NOW + 1).unwrap();
        let access = claims(body["access_token"].as_str().unwrap());
        assert_eq!(access["sub"], "user-alice");
        assert_eq!(access["client_id"], "web");
        let id = claims(body["id_token"].as_str().unwrap());
        assert_eq!(id["nonce"], "n-0S6");
        assert_eq!(id["aud"], "web");
        assert!(body["refresh_token"].is_string());
        assert_eq!(body["scope"], "openid profile offline_access");
    }

    #[test]
    fn a_code_expires_60_seconds_after_it_was_made() {
        let (mut g, client) = (grants(), confidential_web_app());
        let late = code(&mut g, &client, NOW, |_| {});
        let on_time = code(&mut g, &client, NOW, |_| {});
        assert_eq!(
            error(exchange(
                &issuer(),
                &mut g,
                &client,
                &exchange_of(&late),
                NOW + 60
            ))
            .0,
            ErrorCode::InvalidGrant
        );
        assert!(exchange(&issuer(), &mut g, &client, &exchange_of(&on_time), NOW + 59).is_ok());
    }

    #[test]
    fn a_replayed_code_is_refused_and_revokes_what_its_first_redemption_issued() {
        let (mut g, client) = (grants(), confidential_web_app());
        let c = code(&mut g, &client, NOW, |_| {});
        let first = exchange(&issuer(), &mut g, &client, &exchange_of(&c), NOW).unwrap();
        let jti = claims(first["access_token"].as_str().unwrap())["jti"]
            .as_str()
            .unwrap()
            .to_string();
        let (code, description) = error(exchange(
            &issuer(),
            &mut g,
            &client,
            &exchange_of(&c),
            NOW + 1,
        ));
        assert_eq!(code, ErrorCode::InvalidGrant);
        assert!(description.contains("already used"));
        assert!(g.is_revoked(&jti), "the first access token is revoked");
        let family = g.refresh.values().next().unwrap().family_id.clone();
        assert!(
            g.family_revoked(&family),
            "the first refresh token is revoked"
        );
    }

    /// A replay that runs while the first redemption is issuing its tokens (between the
    /// consumption and the end of the exchange): it must still revoke everything.
    struct ReplayDuringIssue {
        inner: crate::store::grants::memory::MemoryGrants,
        code_hash: Vec<u8>,
        client_id: String,
    }

    impl GrantStore for ReplayDuringIssue {
        fn insert_code(
            &mut self,
            row: &crate::store::codes::CodeRow,
            now: UnixTime,
        ) -> Result<(), crate::store::StoreError> {
            self.inner.insert_code(row, now)
        }
        fn consume_code(
            &mut self,
            h: &[u8],
            c: &str,
            r: &RedeemedRow,
        ) -> Result<Option<crate::store::codes::CodeRow>, crate::store::StoreError> {
            self.inner.consume_code(h, c, r)
        }
        fn is_redeemed(&mut self, h: &[u8]) -> Result<bool, crate::store::StoreError> {
            self.inner.is_redeemed(h)
        }
        fn take_redemption(
            &mut self,
            h: &[u8],
            c: &str,
        ) -> Result<Option<RedeemedRow>, crate::store::StoreError> {
            self.inner.take_redemption(h, c)
        }
        fn find_refresh(
            &mut self,
            h: &[u8],
        ) -> Result<Option<crate::store::refresh_tokens::RefreshRow>, crate::store::StoreError>
        {
            self.inner.find_refresh(h)
        }
        fn consume_refresh(
            &mut self,
            h: &[u8],
            c: &str,
            now: UnixTime,
        ) -> Result<Option<crate::store::refresh_tokens::RefreshRow>, crate::store::StoreError>
        {
            self.inner.consume_refresh(h, c, now)
        }
        fn insert_refresh(
            &mut self,
            row: &crate::store::refresh_tokens::RefreshRow,
            jti: &str,
            exp: UnixTime,
        ) -> Result<(), crate::store::StoreError> {
            // The concurrent replay: takes the record and revokes, as `exchange` does.
            let (hash, client) = (self.code_hash.clone(), self.client_id.clone());
            if let Some(r) = self.inner.take_redemption(&hash, &client)? {
                self.inner
                    .revoke_jti(&r.access_jti, r.access_expires_at, NOW)?;
                if let Some(f) = &r.refresh_family_id {
                    self.inner.revoke_family(f, NOW)?;
                }
            }
            self.inner.insert_refresh(row, jti, exp)
        }
        fn revoke_family(
            &mut self,
            f: &str,
            now: UnixTime,
        ) -> Result<(), crate::store::StoreError> {
            self.inner.revoke_family(f, now)
        }
        fn revoke_jti(
            &mut self,
            j: &str,
            e: UnixTime,
            now: UnixTime,
        ) -> Result<(), crate::store::StoreError> {
            self.inner.revoke_jti(j, e, now)
        }
        fn find_user(
            &mut self,
            id: &str,
        ) -> Result<Option<crate::domain::user::User>, crate::store::StoreError> {
            self.inner.find_user(id)
        }
        fn consent(
            &mut self,
            u: &str,
            c: &str,
        ) -> Result<crate::domain::scope::Scope, crate::store::StoreError> {
            self.inner.consent(u, c)
        }
        fn save_consent(
            &mut self,
            u: &str,
            c: &str,
            s: &crate::domain::scope::Scope,
            now: UnixTime,
        ) -> Result<(), crate::store::StoreError> {
            self.inner.save_consent(u, c, s, now)
        }
    }

    #[test]
    fn a_replay_racing_the_first_redemption_still_revokes_everything_it_issued() {
        let (mut g, client) = (grants(), confidential_web_app());
        let c = code(&mut g, &client, NOW, |_| {});
        let mut racing = ReplayDuringIssue {
            inner: g,
            code_hash: opaque::hash(&c),
            client_id: client.id.to_string(),
        };
        let first = exchange(&issuer(), &mut racing, &client, &exchange_of(&c), NOW);
        assert_eq!(error(first).0, ErrorCode::InvalidGrant);
        let g = racing.inner;
        assert_eq!(g.revoked_jtis.len(), 1, "the access token is revoked");
        let family = g.refresh.values().next().unwrap().family_id.clone();
        assert!(
            g.family_revoked(&family),
            "the refresh token made after the replay revoked its family is revoked too"
        );
    }

    #[test]
    fn a_code_of_another_client_is_refused_and_stays_usable_by_its_own() {
        let mut g = grants();
        let (owner, thief) = (confidential_web_app(), public_spa());
        let c = code(&mut g, &owner, NOW, |_| {});
        let mut thief = thief;
        thief.redirect_uris = owner.redirect_uris.clone();
        assert_eq!(
            error(exchange(&issuer(), &mut g, &thief, &exchange_of(&c), NOW)).0,
            ErrorCode::InvalidGrant
        );
        assert!(exchange(&issuer(), &mut g, &owner, &exchange_of(&c), NOW).is_ok());
    }

    #[test]
    fn the_redirect_uri_must_be_the_authorization_requests_exactly() {
        let (mut g, client) = (grants(), confidential_web_app());
        for variant in [
            "https://app.example/cb/",
            "https://APP.example/cb",
            "https://app.example:443/cb",
            "https://app.example/%63b",
        ] {
            let c = code(&mut g, &client, NOW, |_| {});
            let req = CodeExchange {
                redirect_uri: Some(variant.into()),
                ..exchange_of(&c)
            };
            assert_eq!(
                error(exchange(&issuer(), &mut g, &client, &req, NOW)).0,
                ErrorCode::InvalidGrant,
                "{variant}"
            );
        }
        let c = code(&mut g, &client, NOW, |_| {});
        let exact = CodeExchange {
            redirect_uri: Some("https://app.example/cb".into()),
            ..exchange_of(&c)
        };
        assert!(exchange(&issuer(), &mut g, &client, &exact, NOW).is_ok());
    }

    #[test]
    fn an_omitted_redirect_uri_is_allowed_only_when_one_is_registered() {
        let mut g = grants();
        let mut client = confidential_web_app();
        client
            .redirect_uris
            .push(RedirectUri::from_stored("https://app.example/other".into()));
        let c = code(&mut g, &client, NOW, |_| {});
        let (code, description) =
            error(exchange(&issuer(), &mut g, &client, &exchange_of(&c), NOW));
        assert_eq!(code, ErrorCode::InvalidRequest);
        assert!(description.contains("redirect_uri is missing"));
    }

    #[test]
    fn pkce_a_wrong_verifier_fails() {
        let (mut g, client) = (grants(), confidential_web_app());
        let c = code(&mut g, &client, NOW, |_| {});
        let req = CodeExchange {
            code_verifier: Some("x".repeat(43)),
            ..exchange_of(&c)
        };
        assert_eq!(
            error(exchange(&issuer(), &mut g, &client, &req, NOW)).0,
            ErrorCode::InvalidGrant
        );
    }

    #[test]
    fn pkce_a_verifier_for_a_code_made_without_challenge_is_a_refused_downgrade() {
        let (mut g, client) = (grants(), confidential_web_app());
        let c = code(&mut g, &client, NOW, |row| {
            row.code_challenge = None;
            row.code_challenge_method = None;
        });
        let (code, description) =
            error(exchange(&issuer(), &mut g, &client, &exchange_of(&c), NOW));
        assert_eq!(code, ErrorCode::InvalidGrant);
        assert!(description.contains("no code_challenge"), "{description}");
    }

    #[test]
    fn pkce_is_required_of_a_public_client() {
        let (mut g, client) = (grants(), public_spa());
        let without = code(&mut g, &client, NOW, |row| {
            row.code_challenge = None;
            row.code_challenge_method = None;
        });
        let req = CodeExchange {
            code_verifier: None,
            ..exchange_of(&without)
        };
        assert_eq!(
            error(exchange(&issuer(), &mut g, &client, &req, NOW)).0,
            ErrorCode::InvalidGrant
        );
        let with = code(&mut g, &client, NOW, |_| {});
        let missing_verifier = CodeExchange {
            code_verifier: None,
            ..exchange_of(&with)
        };
        assert_eq!(
            error(exchange(&issuer(), &mut g, &client, &missing_verifier, NOW)).0,
            ErrorCode::InvalidGrant
        );
        let with = code(&mut g, &client, NOW, |_| {});
        assert!(exchange(&issuer(), &mut g, &client, &exchange_of(&with), NOW).is_ok());
    }

    #[test]
    fn a_disabled_users_code_is_refused() {
        let (mut g, client) = (grants(), confidential_web_app());
        g.users.get_mut("user-alice").unwrap().disabled = true;
        let c = code(&mut g, &client, NOW, |_| {});
        assert_eq!(
            error(exchange(&issuer(), &mut g, &client, &exchange_of(&c), NOW)).0,
            ErrorCode::InvalidGrant
        );
    }

    #[test]
    fn a_client_without_the_code_grant_is_unauthorized() {
        let mut g = grants();
        let client = crate::domain::client::fixtures::service();
        assert_eq!(
            error(exchange(&issuer(), &mut g, &client, &exchange_of("x"), NOW)).0,
            ErrorCode::UnauthorizedClient
        );
    }
}
