//! Step-up (RFC 9470) end to end: a resource server built on portcullis-guard refuses a
//! token of a password-only sign-in for an operation that needs two factors, with the
//! RFC 9470 challenge; the client asks again with `acr_values=2`; the user, still signed
//! in, is asked only for the second factor (same session, same `sid`), and the new token
//! passes. `/forward-auth?acr=2` answers the same way.

use std::sync::Arc;

use portcullis::clock::SystemClock;
use portcullis_guard::{Guard, GuardConfig, RequireAcr, TwoFactors};

use crate::helpers::spawn_app_at_own_address;
use crate::helpers::totp::code_at;
use crate::helpers::{Browser, PASSWORD, SPA_CB, TestApp, Tokens, decode, pkce_request, redeem};

const API: &str = "https://payments.example";

async fn transfer(user: RequireAcr<TwoFactors>) -> String {
    format!("transfer by {}", user.0.sub)
}

async fn app_at_its_own_address() -> TestApp {
    spawn_app_at_own_address("127.0.0.1", Arc::new(SystemClock)).await
}

async fn guarded_payments(app: &TestApp) -> String {
    let config = GuardConfig::new(app.state.settings.issuer.clone(), API);
    let guard = actix_web::web::Data::new(Guard::discover(config).await.expect("discovery"));
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(guard.clone())
            .route("/transfer", actix_web::web::post().to(transfer))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://{}/transfer", server.addrs()[0]);
    actix_web::rt::spawn(server.run());
    url
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn call(app: &TestApp, url: &str, token: &str) -> (u16, String) {
    let res = app
        .http
        .post(url)
        .insert_header(("Authorization", format!("Bearer {token}")))
        .send()
        .await
        .unwrap();
    let challenge = res
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (res.status().as_u16(), challenge)
}

async fn authorize(b: &mut Browser<'_>, app: &TestApp, extra: &str) -> crate::helpers::Page {
    let page = b
        .get(&format!(
            "{}{extra}",
            pkce_request("bank", SPA_CB, "openid")
        ))
        .await;
    let _ = app;
    page
}

#[actix_web::test]
async fn a_guarded_operation_needing_two_factors_is_reached_by_stepping_up_the_same_session() {
    let app = app_at_its_own_address().await;
    app.client("bank")
        .public()
        .grant("authorization_code")
        .redirect_uri(SPA_CB)
        .audience(API)
        .skip_consent()
        .create()
        .await;
    app.user("bob").create();
    let payments = guarded_payments(&app).await;

    // A password-only sign-in: acr 1.
    let mut b = app.browser();
    let page = authorize(&mut b, &app, "").await;
    let page = b.login(&page, "bob", PASSWORD).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let first = Tokens::of(&redeem(&app, "bank", SPA_CB, &page.callback()["code"]).await);
    let first_id = decode(&app, &first.id_token).await.1;
    assert_eq!(first_id["acr"], "1");
    let (status, challenge) = call(&app, &payments, &first.access).await;
    assert_eq!(status, 401);
    assert!(
        challenge.contains("error=\"insufficient_user_authentication\"")
            && challenge.contains("acr_values=\"2\""),
        "RFC 9470 challenge: {challenge}"
    );
    // So does forward-auth with the same requirement.
    let fa = app
        .get_with(
            "/forward-auth?acr=2&max_age=600&audience=https%3A%2F%2Fpayments.example",
            &[("authorization", &format!("Bearer {}", first.access))],
        )
        .await;
    assert_eq!(fa.status, 401);
    let fa_challenge = fa
        .header("www-authenticate")
        .unwrap_or_default()
        .to_string();
    assert!(
        fa_challenge.contains("insufficient_user_authentication"),
        "{fa_challenge}"
    );
    assert!(fa_challenge.contains("acr_values=\"2\"") && fa_challenge.contains("max_age=600"));

    // Bob sets up an authenticator app (his session stays at level 1).
    let account = b.get("/account").await;
    let enrol = b
        .post(
            "/account/totp",
            &[("csrf", &account.field("csrf").unwrap())],
        )
        .await;
    let secret = enrol.totp_secret();
    let csrf = enrol.field("csrf").unwrap();
    let t = now();
    let confirmed = b
        .post(
            "/account/totp/confirm",
            &[("csrf", &csrf), ("code", &code_at(&secret, t))],
        )
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);

    // The client asks again for level 2: only the second factor is asked for.
    let page = authorize(&mut b, &app, "&acr_values=2").await;
    assert!(
        page.is_second_factor(),
        "a step-up, not a new sign-in: {}",
        page.body
    );
    assert!(!page.is_login());
    // The next step's code (within the allowed drift), so it cannot be a replay.
    let done = b
        .second_factor(&page, "totp", &code_at(&secret, t + 30))
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let second = Tokens::of(&redeem(&app, "bank", SPA_CB, &done.callback()["code"]).await);
    let second_id = decode(&app, &second.id_token).await.1;
    assert_eq!(second_id["acr"], "2");
    assert_eq!(second_id["sid"], first_id["sid"], "the same session");
    assert_eq!(call(&app, &payments, &second.access).await.0, 200);
    let fa = app
        .get_with(
            "/forward-auth?acr=2&max_age=600&audience=https%3A%2F%2Fpayments.example",
            &[("authorization", &format!("Bearer {}", second.access))],
        )
        .await;
    assert_eq!(fa.status, 200);
}

#[actix_web::test]
async fn a_user_who_cannot_reach_the_requested_level_gets_unmet_authentication_requirements() {
    let app = app_at_its_own_address().await;
    app.client("bank")
        .public()
        .grant("authorization_code")
        .redirect_uri(SPA_CB)
        .skip_consent()
        .create()
        .await;
    app.user("bob").create();
    let mut b = app.browser();
    let page = authorize(&mut b, &app, "&acr_values=2").await;
    let page = b.login(&page, "bob", PASSWORD).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        page.callback()["error"],
        "unmet_authentication_requirements"
    );
}
