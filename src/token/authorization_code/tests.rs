//! Unit tests of the authorization-code grant, without HTTP or a database.
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
    fn consume_pushed(&mut self, h: &[u8]) -> Result<bool, crate::store::StoreError> {
        self.inner.consume_pushed(h)
    }
    fn find_device_code(
        &mut self,
        hash: &str,
    ) -> Result<Option<crate::store::device_codes::DeviceCodeRow>, crate::store::StoreError> {
        self.inner.find_device_code(hash)
    }
    fn device_polled(
        &mut self,
        hash: &str,
        interval: i64,
        now: UnixTime,
    ) -> Result<(), crate::store::StoreError> {
        self.inner.device_polled(hash, interval, now)
    }
    fn redeem_device_code(
        &mut self,
        hash: &str,
        now: UnixTime,
    ) -> Result<bool, crate::store::StoreError> {
        self.inner.redeem_device_code(hash, now)
    }
    fn exchanged_from(
        &mut self,
        parent_jti: &str,
        now: UnixTime,
    ) -> Result<Vec<crate::store::exchanged_tokens::Exchanged>, crate::store::StoreError> {
        self.inner.exchanged_from(parent_jti, now)
    }
    fn reachable_level(
        &mut self,
        user_id: &str,
    ) -> Result<crate::mfa::level::Level, crate::store::StoreError> {
        self.inner.reachable_level(user_id)
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
    ) -> Result<Option<crate::store::refresh_tokens::RefreshRow>, crate::store::StoreError> {
        self.inner.find_refresh(h)
    }
    fn consume_refresh(
        &mut self,
        h: &[u8],
        c: &str,
        now: UnixTime,
    ) -> Result<Option<crate::store::refresh_tokens::RefreshRow>, crate::store::StoreError> {
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
                .revoke_jti(&r.access_jti, None, r.access_expires_at, NOW)?;
            if let Some(f) = &r.refresh_family_id {
                self.inner.revoke_family(f, NOW)?;
            }
        }
        self.inner.insert_refresh(row, jti, exp)
    }
    fn revoke_family(&mut self, f: &str, now: UnixTime) -> Result<(), crate::store::StoreError> {
        self.inner.revoke_family(f, now)
    }
    fn revoke_jti(
        &mut self,
        j: &str,
        s: Option<(&str, i64)>,
        e: UnixTime,
        now: UnixTime,
    ) -> Result<(), crate::store::StoreError> {
        self.inner.revoke_jti(j, s, e, now)
    }
    fn record_status(
        &mut self,
        l: &str,
        i: i64,
        j: &str,
        s: Option<&str>,
        e: UnixTime,
    ) -> Result<(), crate::store::StoreError> {
        self.inner.record_status(l, i, j, s, e)
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
    let (code, description) = error(exchange(&issuer(), &mut g, &client, &exchange_of(&c), NOW));
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
    let (code, description) = error(exchange(&issuer(), &mut g, &client, &exchange_of(&c), NOW));
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
