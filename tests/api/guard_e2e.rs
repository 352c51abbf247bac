//! End to end: a resource server built on portcullis-guard accepts a user's access token,
//! the user signs out at Portcullis, and within a second the resource server refuses the
//! same (unexpired) token through the revocation feed — without calling Portcullis per
//! request. The client's back-channel endpoint gets its logout token, and introspection
//! says the token is inactive.

use std::sync::Arc;
use std::time::Duration;

use portcullis::clock::SystemClock;
use portcullis_guard::{Authenticated, Guard, GuardConfig};

use crate::helpers::spawn_app_at_own_address;
use crate::helpers::wait::{REACHES_EVERYWHERE_WITHIN, wait_within};
use crate::helpers::{
    BackchannelReceiver, Browser, Client, SPA_CB, TestApp, Tokens, decode, pkce_request,
    sign_in_public,
};

const API: &str = "https://orders.example";

async fn orders(user: Authenticated) -> String {
    format!("orders of {}", user.0.sub)
}

/// Portcullis with its real address as issuer, so discovery URLs resolve.
async fn app_at_its_own_address() -> TestApp {
    spawn_app_at_own_address("127.0.0.1", Arc::new(SystemClock)).await
}

/// The orders service, guarded, following the revocation feed; returns its URL.
async fn guarded_orders_service(app: &TestApp) -> String {
    let mut config = GuardConfig::new(app.state.settings.issuer.clone(), API);
    config.revocation_poll = Duration::from_millis(200);
    let guard = Guard::discover(config).await.expect("discovery");
    guard.follow_revocations();
    let guard = actix_web::web::Data::new(guard);
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(guard.clone())
            .route("/orders", actix_web::web::get().to(orders))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://{}/orders", server.addrs()[0]);
    actix_web::rt::spawn(server.run());
    url
}

/// The shop (public, with the orders audience and a back-channel endpoint), the orders
/// resource server, and alice signed in to the shop.
struct Shop {
    app: TestApp,
    backchannel: BackchannelReceiver,
    orders_rs: Client,
    tokens: Tokens,
}

async fn signed_in_shop() -> (Shop, Browser<'static>) {
    let app = app_at_its_own_address().await;
    let backchannel = BackchannelReceiver::start().await;
    app.client("shop")
        .public()
        .grant("authorization_code")
        .redirect_uri(SPA_CB)
        .post_logout_redirect_uri("https://shop.example/bye")
        .backchannel_logout_uri(&backchannel.url)
        .audience(API)
        .create()
        .await;
    let orders_rs = app
        .client("orders")
        .grant("client_credentials")
        .audience(API)
        .introspect()
        .create()
        .await;
    app.user("alice").create();
    let mut browser = Browser::at(format!("http://{}", app.address));
    let url = pkce_request("shop", SPA_CB, "openid");
    let tokens = sign_in_public(&mut browser, &app, &url, "shop", SPA_CB).await;
    let shop = Shop {
        app,
        backchannel,
        orders_rs,
        tokens,
    };
    (shop, browser)
}

/// RP-initiated logout of the shop's session.
async fn log_out(shop: &Shop, browser: &mut Browser<'_>) {
    let page = browser
        .logout(&[
            ("id_token_hint", &shop.tokens.id_token),
            ("post_logout_redirect_uri", "https://shop.example/bye"),
            ("state", "z"),
        ])
        .await;
    assert_eq!(page.status, 303);
}

#[actix_web::test]
async fn a_logout_reaches_a_guarded_resource_server_within_a_second() {
    let (shop, mut browser) = signed_in_shop().await;
    let orders = guarded_orders_service(&shop.app).await;
    let call = || async {
        shop.app
            .http
            .get(&orders)
            .insert_header(("Authorization", format!("Bearer {}", shop.tokens.access)))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(call().await, 200, "the resource server accepts the token");

    log_out(&shop, &mut browser).await;

    // Within one second the same, unexpired token is refused by the resource server.
    wait_within(
        "the resource server refuses the token",
        REACHES_EVERYWHERE_WITHIN,
        || async { call().await == 401 },
    )
    .await;
}

#[actix_web::test]
async fn after_a_logout_the_shop_hears_of_it_and_introspection_agrees() {
    let (shop, mut browser) = signed_in_shop().await;
    log_out(&shop, &mut browser).await;
    let (_, claims) = decode(&shop.app, &shop.backchannel.nth(0).await).await;
    assert_eq!(claims["aud"], "shop");
    let info = shop
        .app
        .introspect_token(&shop.tokens.access, shop.orders_rs.basic().unwrap())
        .await;
    assert_eq!(info, serde_json::json!({ "active": false }));
}

/// Hardening round 2, finding 14: a guard that follows the revocation feed but has had no
/// signed document from it for longer than `max_staleness` fails closed (503), whatever
/// the token; the next signed document opens it again.
#[actix_web::test]
async fn a_guard_whose_revocation_list_went_stale_fails_closed() {
    let app = app_at_its_own_address().await;
    let svc = app
        .client("svc")
        .confidential()
        .grant("client_credentials")
        .audience(API)
        .create()
        .await;
    let token = app
        .token(&[("grant_type", "client_credentials")], svc.basic())
        .await
        .token()
        .to_string();
    let mut config = GuardConfig::new(app.state.settings.issuer.clone(), API);
    config.max_staleness = Duration::from_secs(2);
    let guard = Guard::discover(config).await.expect("discovery");
    assert!(guard.refresh_revocations().await.expect("the feed answers"));
    guard.verify(&token).await.expect("a fresh list");
    // Nothing signed arrives (the feed is not asked): past the limit, refused.
    actix_web::rt::time::sleep(Duration::from_millis(2_300)).await;
    let e = guard.verify(&token).await.unwrap_err();
    assert!(e.to_string().contains("stale"), "{e}");
    assert_eq!(
        actix_web::ResponseError::status_code(&e).as_u16(),
        503,
        "fails closed"
    );
    // Halfway past the limit, a refresh asks for the whole (signed) list, not a 304.
    assert!(guard.refresh_revocations().await.expect("the feed answers"));
    guard.verify(&token).await.expect("confirmed again");
}
