//! Self-service sign-up (`registration.self_service`) through a real SMTP server: the
//! account exists only once the mailed link is used, its address verified; the page never
//! tells whether an address has an account; allowed domains and taken usernames refused.

use std::sync::Arc;

use portcullis::clock::SystemClock;
use portcullis::domain::secret::Secret;

use crate::helpers::browser::Browser;
use crate::helpers::smtp::{SmtpServer, link_in};
use crate::helpers::{TestApp, TestDb, spawn_app, spawn_app_with, wait_until};

const NEW_PASSWORD: &str = "a sign-up password";

async fn app_with_sign_up(smtp: &SmtpServer, domains: &[&str]) -> TestApp {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.smtp.url = Some(Secret::new(smtp.url()));
    settings.registration.self_service = true;
    settings.registration.allowed_email_domains = domains.iter().map(|d| d.to_string()).collect();
    spawn_app_with(db, settings, Arc::new(SystemClock)).await
}

async fn sign_up(b: &mut Browser<'_>, username: &str, email: &str) -> crate::helpers::Page {
    let form = b.get("/signup").await;
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.field("csrf").unwrap();
    b.post(
        "/signup",
        &[
            ("csrf", &csrf),
            ("username", username),
            ("email", email),
            ("password", NEW_PASSWORD),
        ],
    )
    .await
}

async fn sign_in_status(app: &TestApp, username: &str) -> u16 {
    let mut b = app.browser();
    let page = b.get("/signin").await;
    let (csrf, rd) = (
        page.field("csrf").unwrap(),
        page.field("rd").unwrap_or_default(),
    );
    b.post(
        "/signin",
        &[
            ("csrf", &csrf),
            ("rd", &rd),
            ("username", username),
            ("password", NEW_PASSWORD),
        ],
    )
    .await
    .status
}

#[actix_web::test]
async fn sign_up_is_off_unless_the_operator_turns_it_on() {
    let app = spawn_app().await;
    assert_eq!(app.get("/signup").await.status, 404);
    assert_eq!(app.get("/signup/confirm?token=x").await.status, 404);
    assert!(!app.get("/signin").await.text().contains("/signup"));
}

#[actix_web::test]
async fn a_new_account_exists_only_once_its_mailed_link_is_used() {
    let test = "signup::a_new_account_exists_only_once_its_mailed_link_is_used";
    let Some(smtp) = SmtpServer::start(test) else {
        return;
    };
    let app = app_with_sign_up(&smtp, &[]).await;
    assert!(
        app.get("/signin")
            .await
            .text()
            .contains(r#"href="/signup""#)
    );
    let mut b = app.browser();
    let sent = sign_up(&mut b, "dora", "dora@example.com").await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.contains(r#"id="signup-sent""#), "{}", sent.body);
    app.state.mail.wake();
    let mail = wait_until("the sign-up mail", || async { smtp.messages().pop() }).await;
    assert!(mail.contains("To: dora@example.com"), "{mail}");
    let link = link_in(&mail, "/signup/confirm").expect("a sign-up link");

    // Nothing to sign in to yet; opening the link (a mail scanner may) creates nothing.
    assert_eq!(
        sign_in_status(&app, "dora").await,
        200,
        "the form again: no account"
    );
    let shown = b.get(&link).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(shown.body.contains("dora@example.com"));
    assert_eq!(sign_in_status(&app, "dora").await, 200);

    let csrf = shown.field("csrf").unwrap();
    let token = shown.field("token").unwrap();
    let done = b
        .post("/signup/confirm", &[("csrf", &csrf), ("token", &token)])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains(r#"id="signup-done""#));
    let user = portcullis::store::users::find_by_username(&mut app.db.conn(), "dora")
        .unwrap()
        .expect("the account");
    assert!(user.email_verified, "the link proved the address");
    assert!(user.roles.is_empty(), "sign-up gives no role");
    assert_eq!(sign_in_status(&app, "dora").await, 303, "signs in now");

    // The link works once.
    let again = b
        .post("/signup/confirm", &[("csrf", &csrf), ("token", &token)])
        .await;
    assert_eq!(again.status, 410);
    assert_eq!(b.get(&link).await.status, 410);
    let audit = app
        .cli()
        .run(&["audit", "list", "--event", "user.signed_up"])
        .ok();
    assert!(audit.stdout.contains("user.signed_up"), "{}", audit.stdout);
}

#[actix_web::test]
async fn an_address_with_an_account_gets_the_same_answer_and_a_mail_not_an_account() {
    let test = "signup::an_address_with_an_account_gets_the_same_answer_and_a_mail_not_an_account";
    let Some(smtp) = SmtpServer::start(test) else {
        return;
    };
    let app = app_with_sign_up(&smtp, &[]).await;
    app.user("alice").email("alice@example.com").create();
    let mut b = app.browser();
    let answer = sign_up(&mut b, "alice2", "alice@example.com").await;
    assert_eq!(answer.status, 200);
    assert!(
        answer.body.contains(r#"id="signup-sent""#),
        "the same page as for anyone"
    );
    app.state.mail.wake();
    let mail = wait_until("the notice", || async { smtp.messages().pop() }).await;
    let text = mail.replace("=\r\n", "").replace("=\n", "");
    assert!(text.contains("already has one"), "{text}");
    assert!(text.contains("/password/forgot"), "{text}");
    assert!(
        !text.contains("/signup/confirm"),
        "no way to a second account"
    );
    assert!(
        portcullis::store::users::find_by_username(&mut app.db.conn(), "alice2")
            .unwrap()
            .is_none()
    );
}

#[actix_web::test]
async fn addresses_outside_the_allowed_domains_and_taken_usernames_are_refused() {
    let test = "signup::addresses_outside_the_allowed_domains_and_taken_usernames_are_refused";
    let Some(smtp) = SmtpServer::start(test) else {
        return;
    };
    let app = app_with_sign_up(&smtp, &["example.com"]).await;
    app.user("taken").create();
    let mut b = app.browser();
    let outside = sign_up(&mut b, "eve", "eve@mail.example.com").await;
    assert_eq!(outside.status, 422);
    assert!(outside.body.contains("example.com"), "{}", outside.body);
    assert!(
        outside.body.contains(r#"value="eve""#),
        "what was typed stays"
    );
    let taken = sign_up(&mut b, "taken", "taken@example.com").await;
    assert_eq!(taken.status, 422);
    assert!(
        taken.body.contains("That username is taken"),
        "{}",
        taken.body
    );
    let bad = sign_up(&mut b, "Not A Name!", "x@example.com").await;
    assert_eq!(bad.status, 422);
    let short = {
        let form = b.get("/signup").await;
        let csrf = form.field("csrf").unwrap();
        b.post(
            "/signup",
            &[
                ("csrf", &csrf),
                ("username", "frank"),
                ("email", "frank@example.com"),
                ("password", "short"),
            ],
        )
        .await
    };
    assert_eq!(short.status, 422);
    assert!(
        short.body.contains("at least 8 characters"),
        "{}",
        short.body
    );
    // No CSRF token: refused, nothing queued.
    let forged = b
        .post(
            "/signup",
            &[
                ("username", "mallory"),
                ("email", "m@example.com"),
                ("password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(smtp.messages().is_empty(), "no mail for a refused sign-up");
}
