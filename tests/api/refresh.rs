//! Refresh tokens: rotation, narrowing, reuse detection, idle expiry.

use crate::helpers::{
    FlowApp, Tokens, decode, redeem_spa, sign_in_and_consent, spa_request, spawn_flow_app,
};

/// The spa signed in: the first token response's tokens.
async fn first_tokens(s: &FlowApp) -> Tokens {
    let mut b = s.app.browser();
    let cb = sign_in_and_consent(&mut b, &spa_request(&[])).await;
    Tokens::of(&redeem_spa(&s.app, &cb["code"]).await)
}

/// A spa refresh, optionally asking for `scope`.
async fn refresh(s: &FlowApp, token: &str, scope: Option<&str>) -> crate::helpers::Response {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", token),
        ("client_id", "spa"),
    ];
    form.extend(scope.map(|sc| ("scope", sc)));
    s.app.token(&form, None).await
}

#[actix_web::test]
async fn a_refresh_rotates_the_token_and_keeps_the_id_token_claims() {
    let s = spawn_flow_app().await;
    let first = first_tokens(&s).await;
    let (_, first_id) = decode(&s.app, &first.id_token).await;
    s.clock.advance(1);
    let second = refresh(
        &s,
        &first.refresh,
        Some("openid profile email offline_access"),
    )
    .await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.header("cache-control"), Some("no-store"));
    assert_ne!(first.refresh, second.str("refresh_token"), "rotated");
    let (_, id2) = decode(&s.app, &second.str("id_token")).await;
    for claim in ["iss", "sub", "aud", "azp", "auth_time"] {
        assert_eq!(id2[claim], first_id[claim], "{claim} kept");
    }
    assert_ne!(id2["iat"], first_id["iat"]);
    assert_eq!(s.app.userinfo(second.token()).await.status, 200);
}

#[actix_web::test]
async fn a_refresh_may_narrow_the_scope_but_not_widen_it_and_a_refusal_burns_nothing() {
    let s = spawn_flow_app().await;
    let first = first_tokens(&s).await;
    let narrowed = refresh(&s, &first.refresh, Some("openid")).await;
    assert_eq!(narrowed.body["scope"], "openid");
    let r2 = narrowed.str("refresh_token");
    let widened = refresh(&s, &r2, Some("openid admin")).await;
    assert_eq!(widened.body["error"], "invalid_scope");
    let again = refresh(&s, &r2, None).await;
    assert_eq!(again.status, 200, "{}", again.body);
}

#[actix_web::test]
async fn another_client_presenting_a_refresh_token_gets_invalid_grant() {
    let s = spawn_flow_app().await;
    let first = first_tokens(&s).await;
    let other = s
        .app
        .token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &first.refresh),
            ],
            s.web.basic(),
        )
        .await;
    assert_eq!(other.status, 400);
    assert_eq!(other.body["error"], "invalid_grant");
}

#[actix_web::test]
async fn reusing_a_rotated_refresh_token_revokes_its_family() {
    let s = spawn_flow_app().await;
    let first = first_tokens(&s).await;
    let second = refresh(&s, &first.refresh, None).await;
    let r2 = second.str("refresh_token");
    let reused = refresh(&s, &first.refresh, None).await;
    assert_eq!(reused.body["error"], "invalid_grant");
    let after = refresh(&s, &r2, None).await;
    assert_eq!(after.body["error"], "invalid_grant");
}

#[actix_web::test]
async fn refresh_tokens_expire_when_idle() {
    let s = spawn_flow_app().await;
    let first = first_tokens(&s).await;
    s.clock
        .advance(s.app.state.settings.tokens.refresh_token_idle_secs + 1);
    let res = s.app.refresh(&first.refresh, "spa").await;
    assert_eq!(res.body["error"], "invalid_grant");
}
