//! Forgot password end to end through a real SMTP server: the link in the mail sets a
//! new password once; the old one stops working and sessions end; used and expired links
//! are refused; an unknown address gets the same answer and no mail.

use std::sync::Arc;

use portcullis::clock::ManualClock;
use portcullis::domain::secret::Secret;

use crate::helpers::browser::Browser;
use crate::helpers::sessions::seed_session;
use crate::helpers::smtp::{SmtpServer, link_in};
use crate::helpers::{PASSWORD, TestApp, TestDb, spawn_app_with, wait_until};

async fn app_with_mail(smtp: &SmtpServer, clock: ManualClock) -> TestApp {
    app_on_clock(smtp, Arc::new(clock)).await
}

/// On the system clock: for mail the CLI queues (it stamps messages with the real time).
async fn app_on_clock(smtp: &SmtpServer, clock: Arc<dyn portcullis::clock::Clock>) -> TestApp {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.smtp.url = Some(Secret::new(smtp.url()));
    spawn_app_with(db, settings, clock).await
}

async fn ask_for_link(b: &mut Browser<'_>, email: &str) -> String {
    let page = b.get("/password/forgot").await;
    let csrf = page.field("csrf").unwrap();
    let sent = b
        .post("/password/forgot", &[("csrf", &csrf), ("email", email)])
        .await;
    assert_eq!(sent.status, 200);
    assert!(
        sent.body.contains("If an account has this address"),
        "{}",
        sent.body
    );
    sent.body
}

async fn sign_in_status(app: &TestApp, password: &str) -> u16 {
    let mut b = app.browser();
    let page = b.get("/signin").await;
    let csrf = page.field("csrf").unwrap();
    let rd = page.field("rd").unwrap_or_default();
    b.post(
        "/signin",
        &[
            ("csrf", &csrf),
            ("rd", &rd),
            ("username", "alice"),
            ("password", password),
        ],
    )
    .await
    .status
}

#[actix_web::test]
async fn a_mailed_link_sets_a_new_password_once_and_ends_every_session() {
    let test = "password_reset::a_mailed_link_sets_a_new_password_once_and_ends_every_session";
    let Some(smtp) = SmtpServer::start(test) else {
        return;
    };
    let clock = ManualClock::at(portcullis::clock::Clock::now(
        &portcullis::clock::SystemClock,
    ));
    let app = app_with_mail(&smtp, clock.clone()).await;
    let alice = app.user("alice").email("Alice@Example.com").create();
    app.first_party_spa().await;
    seed_session(&mut app.db.conn(), "alice-session", &alice.id, "spa");

    let mut b = app.browser();
    let answer_known = ask_for_link(&mut b, "alice@example.com").await;
    let mails = wait_until("the reset mail arrives", || async {
        let m = smtp.messages();
        (!m.is_empty()).then_some(m)
    })
    .await;
    assert!(mails[0].contains("To: Alice@Example.com"), "{}", mails[0]);
    let link = link_in(&mails[0], "/password/reset").expect("a reset link");

    // An unknown address: the same page, and no mail.
    let answer_unknown = ask_for_link(&mut b, "nobody@example.com").await;
    assert_eq!(
        answer_known.replace(char::is_whitespace, "").len(),
        answer_unknown.replace(char::is_whitespace, "").len()
    );

    let form = b.get(&link).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.field("csrf").unwrap();
    let token = form.field("token").unwrap();
    let weak = b
        .post(
            "/password/reset",
            &[("csrf", &csrf), ("token", &token), ("password", "short")],
        )
        .await;
    assert_eq!(weak.status, 422);
    let done = b
        .post(
            "/password/reset",
            &[
                ("csrf", &csrf),
                ("token", &token),
                ("password", "a fresh new password"),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Your password is set"));
    let now = portcullis::store::users::find_by_username(&mut app.db.conn(), "alice")
        .unwrap()
        .unwrap();
    assert!(
        now.email_verified,
        "the link reached the address: it is verified"
    );
    assert_eq!(
        sign_in_status(&app, PASSWORD).await,
        200,
        "the old password fails"
    );
    assert_eq!(sign_in_status(&app, "a fresh new password").await, 303);
    let gone =
        portcullis::store::sessions::find_by_sid(&mut app.db.conn(), "alice-session").unwrap();
    assert!(gone.is_none(), "her sessions ended");

    // The link works once.
    assert_eq!(b.get(&link).await.status, 410);
    let again = b
        .post(
            "/password/reset",
            &[
                ("csrf", &csrf),
                ("token", &token),
                ("password", "yet another password"),
            ],
        )
        .await;
    assert_eq!(again.status, 410);
    assert_eq!(sign_in_status(&app, "a fresh new password").await, 303);
    assert_eq!(smtp.messages().len(), 1, "no mail for the unknown address");

    // An expired link is refused too.
    ask_for_link(&mut b, "alice@example.com").await;
    let second = wait_until("the second mail arrives", || async {
        let m = smtp.messages();
        (m.len() == 2).then_some(m)
    })
    .await;
    let links: Vec<String> = second
        .iter()
        .map(|m| link_in(m, "/password/reset").unwrap())
        .collect();
    let fresh = links.into_iter().find(|l| *l != link).unwrap();
    clock.advance(31 * 60);
    let expired = b.get(&fresh).await;
    assert_eq!(expired.status, 410);
    assert!(expired.body.contains("already been used or has expired"));
}

#[actix_web::test]
async fn an_invitation_leads_from_the_mail_to_a_first_sign_in_with_a_verified_email() {
    let test = "password_reset::an_invitation_leads_from_the_mail_to_a_first_sign_in_with_a_verified_email";
    let Some(smtp) = SmtpServer::start(test) else {
        return;
    };
    let app = app_on_clock(&smtp, Arc::new(portcullis::clock::SystemClock)).await;
    let out = app
        .cli()
        .run(&[
            "user",
            "invite",
            "--email",
            "Nora@Example.com",
            "--role",
            "staff",
        ])
        .ok()
        .stdout;
    assert!(out.contains("invited nora@example.com"), "{out}");
    app.state.mail.wake();
    let mails = wait_until("the invitation arrives", || async {
        let m = smtp.messages();
        (!m.is_empty()).then_some(m)
    })
    .await;
    assert!(mails[0].contains("You are invited"), "{}", mails[0]);
    let link = link_in(&mails[0], "/password/reset").expect("a reset link");

    let mut b = app.browser();
    let form = b.get(&link).await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("Welcome: choose your password"));
    let (csrf, token) = (form.field("csrf").unwrap(), form.field("token").unwrap());
    let done = b
        .post(
            "/password/reset",
            &[
                ("csrf", &csrf),
                ("token", &token),
                ("password", "nora's first password"),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let user = portcullis::store::users::find_by_username(&mut app.db.conn(), "nora@example.com")
        .unwrap()
        .unwrap();
    assert!(user.email_verified, "the link proved the address");
    assert_eq!(user.roles, ["staff"]);

    // First sign-in with the chosen password.
    let mut b = app.browser();
    let page = b.get("/signin").await;
    let csrf = page.field("csrf").unwrap();
    let rd = page.field("rd").unwrap_or_default();
    let signed = b
        .post(
            "/signin",
            &[
                ("csrf", &csrf),
                ("rd", &rd),
                ("username", "nora@example.com"),
                ("password", "nora's first password"),
            ],
        )
        .await;
    assert_eq!(signed.status, 303);
    assert_eq!(b.get(&link).await.status, 410, "the invitation works once");
}

/// Opens a confirmation link and presses its button (the GET alone changes nothing).
async fn confirm(b: &mut crate::helpers::Browser<'_>, link: &str) -> crate::helpers::Page {
    let page = b.get(link).await;
    let (Some(csrf), Some(token)) = (page.field("csrf"), page.field("token")) else {
        return page;
    };
    b.post("/email/confirm", &[("csrf", &csrf), ("token", &token)])
        .await
}

#[actix_web::test]
async fn email_verification_and_change_take_effect_only_through_a_mailed_link() {
    let test =
        "password_reset::email_verification_and_change_take_effect_only_through_a_mailed_link";
    let Some(smtp) = SmtpServer::start(test) else {
        return;
    };
    let clock = ManualClock::at(portcullis::clock::Clock::now(
        &portcullis::clock::SystemClock,
    ));
    let app = app_with_mail(&smtp, clock).await;
    let alice = app.user("alice").email("alice@example.com").create();
    let stored = |app: &TestApp| {
        portcullis::store::users::find_by_id(&mut app.db.conn(), &alice.id)
            .unwrap()
            .unwrap()
    };
    assert!(!stored(&app).email_verified);
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
            ("username", "alice"),
            ("password", PASSWORD),
        ],
    )
    .await;
    let account = b.get("/account").await;
    assert!(account.body.contains("not verified"));
    let csrf = account.field("csrf").unwrap();

    // Verify the current address.
    let sent = b
        .post(
            "/account/email",
            &[("csrf", &csrf), ("email", "alice@example.com")],
        )
        .await;
    assert!(sent.body.contains("A link is on its way"), "{}", sent.body);
    let mails = wait_until("the verification mail", || async {
        let m = smtp.messages();
        (m.len() == 1).then_some(m)
    })
    .await;
    let link = link_in(&mails[0], "/email/confirm").expect("a confirmation link");
    let shown = b.get(&link).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(
        !stored(&app).email_verified,
        "opening the link (a mail scanner may) confirms nothing"
    );
    let verified = confirm(&mut b, &link).await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    assert!(stored(&app).email_verified);

    // Change it: nothing changes until the new address confirms.
    b.post(
        "/account/email",
        &[("csrf", &csrf), ("email", "alice@new.example")],
    )
    .await;
    let mails = wait_until("the change mail", || async {
        let m = smtp.messages();
        (m.len() == 2).then_some(m)
    })
    .await;
    assert_eq!(stored(&app).email.as_deref(), Some("alice@example.com"));
    let to_new = mails
        .iter()
        .find(|m| m.contains("To: alice@new.example"))
        .expect("a mail to the new address");
    let link = link_in(to_new, "/email/confirm").expect("a confirmation link");
    assert_eq!(confirm(&mut b, &link).await.status, 200);
    let now = stored(&app);
    assert_eq!(now.email.as_deref(), Some("alice@new.example"));
    assert!(now.email_verified);
    let told = wait_until("the old address is told", || async {
        let m = smtp.messages();
        m.into_iter()
            .find(|m| m.contains("To: alice@example.com") && m.contains("was changed"))
    })
    .await;
    let told = told.replace("=\r\n", "").replace("=\n", "");
    assert!(told.contains("alice@new.example"), "{told}");
    assert_eq!(b.get(&link).await.status, 410, "a link works once");
    assert_eq!(confirm(&mut b, &link).await.status, 410);

    // Not an address: refused on the page.
    let bad = b
        .post(
            "/account/email",
            &[("csrf", &csrf), ("email", "not an address")],
        )
        .await;
    assert_eq!(bad.status, 422);
}

/// Hardening round 2, finding 13: asking for a reset link answers before the address is
/// even looked up, so a known address cannot be told from an unknown one by the time the
/// answer takes. Shown on PostgreSQL: with the users table locked by another session, both
/// kinds of address are answered at once, and the known one's mail is queued once the
/// lock goes.
#[actix_web::test]
async fn the_answer_to_a_reset_request_does_not_wait_for_the_address_lookup() {
    use diesel::{Connection, RunQueryDsl};
    let test = "password_reset::the_answer_to_a_reset_request_does_not_wait_for_the_address_lookup";
    let Some(db) = TestDb::postgres(test) else {
        return;
    };
    let locker_db = db.another_instance();
    let settings = db.settings();
    let app = spawn_app_with(db, settings, Arc::new(portcullis::clock::SystemClock)).await;
    app.user("alice").email("alice@example.com").create();
    let mut b = app.browser();
    let page = b.get("/password/forgot").await;
    let csrf = page.field("csrf").unwrap();
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let locker = std::thread::spawn(move || {
        let mut conn = locker_db.conn();
        conn.transaction(|c| {
            diesel::sql_query("LOCK TABLE users IN ACCESS EXCLUSIVE MODE").execute(c)?;
            locked_tx.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_secs(4));
            Ok::<_, diesel::result::Error>(())
        })
        .unwrap();
    });
    locked_rx.recv().unwrap();
    for email in ["alice@example.com", "nobody@example.com"] {
        let started = std::time::Instant::now();
        let sent = b
            .post("/password/forgot", &[("csrf", &csrf), ("email", email)])
            .await;
        assert_eq!(sent.status, 200, "{}", sent.body);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{email}: the answer waited for the lookup"
        );
    }
    locker.join().unwrap();
    wait_until("the known address's link is queued", || async {
        portcullis::store::audit::recent(&mut app.db.conn(), 50)
            .unwrap()
            .iter()
            .any(|e| e.event == "password.reset_requested")
    })
    .await;
}
