//! Fixtures for the token rules' unit tests: an issuer with in-memory keys, codes and
//! refresh families in [`MemoryGrants`], without HTTP or a database.

use std::sync::LazyLock;

use super::issue::{self, Authentication, Issuer, TokenStatus, UserGrant};
use crate::authorize::flow::CODE_TTL_SECS;
use crate::clock::UnixTime;
use crate::config::TokenSettings;
use crate::domain::client::Client;
use crate::domain::opaque;
use crate::domain::pkce::CodeChallenge;
use crate::domain::scope::Scope;
use crate::domain::user::{User, fixtures::alice};
use crate::keys::test_keys;
use crate::store::codes::CodeRow;
use crate::store::grants::memory::MemoryGrants;

pub const ISSUER: &str = "https://id.example";
/// An arbitrary, fixed "now".
pub const NOW: UnixTime = 1_800_000_000;
/// RFC 7636 Appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

static TOKENS: LazyLock<TokenSettings> = LazyLock::new(TokenSettings::default);

/// The status index every fixture token gets.
pub static STATUS: LazyLock<TokenStatus> = LazyLock::new(|| TokenStatus {
    uri: format!("{ISSUER}/statuslists/list-1"),
    list_id: "list-1".into(),
    idx: 7,
});

pub fn issuer() -> Issuer<'static> {
    Issuer {
        keys: test_keys(),
        issuer: ISSUER,
        tokens: &TOKENS,
        status: Some(&STATUS),
        dpop_jkt: None,
    }
}

pub fn grants() -> MemoryGrants {
    MemoryGrants::with_user(alice())
}

/// A code for `client` and alice, made at `now` as `/authorize` makes them; `edit`
/// adjusts the row. Returns the code.
pub fn code(
    grants: &mut MemoryGrants,
    client: &Client,
    now: UnixTime,
    edit: impl FnOnce(&mut CodeRow),
) -> String {
    let code = opaque::generate(32).expose().clone();
    let challenge = CodeChallenge::from_request(Some("S256"), Some(CHALLENGE), false)
        .unwrap()
        .unwrap();
    let mut row = CodeRow {
        code_hash: opaque::hash(&code),
        client_id: client.id.to_string(),
        user_id: alice().id,
        session_sid: Some("sid-1".into()),
        redirect_uri: client.redirect_uris[0].to_string(),
        scope: "openid profile offline_access".into(),
        nonce: Some("n-0S6".into()),
        code_challenge: Some(challenge.stored().to_string()),
        code_challenge_method: Some("S256".into()),
        auth_time: now - 5,
        acr: Some("1".into()),
        created_at: now,
        expires_at: now + CODE_TTL_SECS,
        amr: Some(r#"["pwd"]"#.into()),
        dpop_jkt: None,
    };
    edit(&mut row);
    grants.codes.insert(row.code_hash.clone(), row);
    code
}

/// Starts a refresh family for `client` and `user` as a code exchange would; returns the
/// refresh token and the access token's `jti`.
pub fn refresh_family(
    grants: &mut MemoryGrants,
    client: &Client,
    user: &User,
    scope: &str,
    now: UnixTime,
) -> (String, String) {
    let scope = Scope::parse(scope).unwrap();
    let authn = Authentication {
        auth_time: now,
        acr: None,
        amr: vec!["pwd".into()],
        sid: Some("sid-1".into()),
    };
    let issued = issue::issue(
        &issuer(),
        grants,
        UserGrant {
            client,
            user,
            scope: &scope,
            granted_scope: &scope,
            authn: &authn,
            nonce: None,
            family: None,
            access_jti: None,
        },
        now,
    )
    .unwrap();
    (
        issued.body["refresh_token"].as_str().unwrap().to_string(),
        issued.access_jti,
    )
}

/// The claims of a JWT we signed (signature checked with the test keys).
pub fn claims(jwt: &str) -> serde_json::Map<String, serde_json::Value> {
    test_keys()
        .verify_typed(jwt, None)
        .unwrap()
        .claims_set()
        .clone()
}
