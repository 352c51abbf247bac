//! The account page's sessions, connected apps and password change.

use crate::helpers::browser::Browser;
use crate::helpers::flow::{Tokens, redeem_spa, sign_in_and_consent, spa_request, spawn_flow_app};
use crate::helpers::sessions::seed_session;
use crate::helpers::{PASSWORD, TestApp};

/// Signs `username` in at `/signin` in a fresh browser; the answer's status.
async fn sign_in<'a>(app: &'a TestApp, username: &str, password: &str) -> (Browser<'a>, u16) {
    let mut b = app.browser();
    let page = b.get("/signin").await;
    let csrf = page.field("csrf").unwrap();
    let rd = page.field("rd").unwrap_or_default();
    let res = b
        .post(
            "/signin",
            &[
                ("csrf", &csrf),
                ("rd", &rd),
                ("username", username),
                ("password", password),
            ],
        )
        .await;
    (b, res.status)
}

async fn account_status(app: &TestApp, cookie: &str) -> u16 {
    app.send_with(
        "GET",
        "/account",
        &[("Cookie", &format!("portcullis_session={cookie}"))],
    )
    .await
    .status
}

/// A server on the system clock (seeded sessions are live by it) with alice.
async fn alice_app() -> (TestApp, crate::helpers::users::User) {
    let app = crate::helpers::spawn_app().await;
    app.first_party_spa().await;
    let alice = app.user("alice").create();
    (app, alice)
}

#[actix_web::test]
async fn the_account_page_lists_sessions_and_signs_out_one_or_all_the_others() {
    let (app, alice) = alice_app().await;
    let app = &app;
    let (mut b, status) = sign_in(app, "alice", PASSWORD).await;
    assert_eq!(status, 303);
    seed_session(&mut app.db.conn(), "alice-phone", &alice.id, "spa");
    seed_session(&mut app.db.conn(), "alice-laptop", &alice.id, "spa");
    let page = b.get("/account").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("This browser"));
    assert_eq!(page.body.matches("Sign this one out").count(), 2);

    let csrf = page.field("csrf").unwrap();
    let ended = b
        .post(
            "/account/sessions/end",
            &[("csrf", &csrf), ("sid", "alice-phone")],
        )
        .await;
    assert!(
        ended.body.contains("That session is signed out."),
        "{}",
        ended.body
    );
    assert_eq!(account_status(app, "alice-phone").await, 303);
    assert_eq!(account_status(app, "alice-laptop").await, 200);

    // Someone else's session is not ours to end.
    let bob = app.user("bob").create();
    seed_session(&mut app.db.conn(), "bob-session", &bob.id, "spa");
    b.post(
        "/account/sessions/end",
        &[("csrf", &csrf), ("sid", "bob-session")],
    )
    .await;
    let still =
        portcullis::store::sessions::find_by_sid(&mut app.db.conn(), "bob-session").unwrap();
    assert!(still.is_some(), "another user's session stays");

    let others = b
        .post(
            "/account/sessions/end",
            &[("csrf", &csrf), ("sid", "others")],
        )
        .await;
    assert!(
        others.body.contains("One other session was signed out."),
        "{}",
        others.body
    );
    assert_eq!(account_status(app, "alice-laptop").await, 303);
    assert_eq!(b.get("/account").await.status, 200, "this browser stays");

    // Without the form's CSRF token nothing ends.
    seed_session(&mut app.db.conn(), "alice-tablet", &alice.id, "spa");
    let refused = b
        .post("/account/sessions/end", &[("sid", "alice-tablet")])
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(account_status(app, "alice-tablet").await, 200);
}

#[actix_web::test]
async fn removing_an_app_s_access_stops_its_refresh_token_and_asks_for_consent_again() {
    let f = spawn_flow_app().await;
    let app = &f.app;
    let mut b = app.browser();
    let cb = sign_in_and_consent(&mut b, &spa_request(&[])).await;
    let tokens = Tokens::of(&redeem_spa(app, &cb["code"]).await);
    assert!(!tokens.refresh.is_empty());

    let page = b.get("/account").await;
    assert!(page.body.contains("Single Page App"), "{}", page.body);
    let csrf = page.field("csrf").unwrap();
    let removed = b
        .post(
            "/account/apps/revoke",
            &[("csrf", &csrf), ("client_id", "spa")],
        )
        .await;
    assert!(
        removed.body.contains("access is removed"),
        "{}",
        removed.body
    );
    assert!(removed.body.contains("None: no app has your consent."));

    app.refresh(&tokens.refresh, "spa")
        .await
        .assert_oauth_error(400, "invalid_grant");
    // The next authorization asks again.
    let again = b.get(&spa_request(&[])).await;
    assert!(again.is_consent(), "{}", again.body);
}

#[actix_web::test]
async fn changing_the_password_needs_the_current_one_and_signs_out_the_other_sessions() {
    let (app, alice) = alice_app().await;
    let app = &app;
    let (mut b, _) = sign_in(app, "alice", PASSWORD).await;
    seed_session(&mut app.db.conn(), "alice-phone", &alice.id, "spa");
    let page = b.get("/account").await;
    let csrf = page.field("csrf").unwrap();

    let wrong = b
        .post(
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current", "not it"),
                ("new", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("current password is not correct"));
    let short = b
        .post(
            "/account/password",
            &[("csrf", &csrf), ("current", PASSWORD), ("new", "short")],
        )
        .await;
    assert_eq!(short.status, 422);
    assert_eq!(
        account_status(app, "alice-phone").await,
        200,
        "nothing changed yet"
    );

    let changed = b
        .post(
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current", PASSWORD),
                ("new", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert!(
        changed
            .body
            .contains("Password changed; one other session signed out."),
        "{}",
        changed.body
    );
    assert_eq!(account_status(app, "alice-phone").await, 303);
    assert_eq!(b.get("/account").await.status, 200, "this browser stays");
    assert_eq!(
        sign_in(app, "alice", PASSWORD).await.1,
        200,
        "the old password fails"
    );
    assert_eq!(sign_in(app, "alice", "a brand new password").await.1, 303);
}

#[actix_web::test]
async fn a_person_sets_their_own_display_name_under_the_operators_rules() {
    let (app, alice) = alice_app().await;
    let (mut b, _) = sign_in(&app, "alice", PASSWORD).await;
    let csrf = b.get("/account").await.field("csrf").unwrap();
    let saved = b
        .post(
            "/account/profile",
            &[("csrf", &csrf), ("display_name", "Alice L.")],
        )
        .await;
    assert!(saved.body.contains("Profile saved."), "{}", saved.body);
    let stored = portcullis::store::users::find_by_id(&mut app.db.conn(), &alice.id)
        .unwrap()
        .unwrap();
    assert_eq!(stored.display_name.as_deref(), Some("Alice L."));
    let long = "x".repeat(201);
    let refused = b
        .post(
            "/account/profile",
            &[("csrf", &csrf), ("display_name", &long)],
        )
        .await;
    assert_eq!(refused.status, 422);
    let stored = portcullis::store::users::find_by_id(&mut app.db.conn(), &alice.id)
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.display_name.as_deref(),
        Some("Alice L."),
        "unchanged"
    );
}

#[actix_web::test]
async fn each_session_names_the_browser_and_system_it_signed_in_with() {
    let (app, alice) = alice_app().await;
    seed_session(&mut app.db.conn(), "alice-old", &alice.id, "spa");
    let mut b = app.browser();
    b.headers.push((
        "User-Agent".into(),
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0".into(),
    ));
    let page = b.get("/signin").await;
    let (csrf, rd) = (
        page.field("csrf").unwrap(),
        page.field("rd").unwrap_or_default(),
    );
    let signed = b
        .post(
            "/signin",
            &[
                ("csrf", &csrf),
                ("rd", &rd),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(signed.status, 303);
    let account = b.get("/account").await;
    assert!(
        account
            .body
            .contains(r#"<span class="device">Firefox on Linux</span>"#),
        "{}",
        account.body
    );
    // A session whose browser we never learnt says so rather than guess.
    assert!(
        account
            .body
            .contains(r#"<span class="device">Unknown browser</span>"#)
    );
    let stored = portcullis::store::sessions::list_for_user(&mut app.db.conn(), &alice.id).unwrap();
    let ua = stored.iter().find_map(|s| s.user_agent.clone()).unwrap();
    assert!(ua.contains("Firefox/128.0"), "{ua}");
}

#[actix_web::test]
async fn guessing_the_current_password_on_the_account_page_is_throttled_without_locking_the_person_out()
 {
    let (app, _) = alice_app().await;
    let (mut b, status) = sign_in(&app, "alice", PASSWORD).await;
    assert_eq!(status, 303);
    let csrf = b.get("/account").await.field("csrf").unwrap();
    let mut throttled = false;
    for _ in 0..10 {
        let res = b
            .post(
                "/account/password",
                &[
                    ("csrf", &csrf),
                    ("current", "a wrong guess"),
                    ("new", "another password"),
                ],
            )
            .await;
        assert_eq!(res.status, 422);
        if res.body.contains("Too many failed attempts") {
            throttled = true;
            break;
        }
    }
    assert!(throttled, "guesses are slowed, then refused");
    // Its own counters: the person's sign-in elsewhere is not slowed.
    let (_, status) = sign_in(&app, "alice", PASSWORD).await;
    assert_eq!(status, 303);
}
