//! Outgoing mail through a real SMTP server (aiosmtpd): queued in the database, sent by the
//! server's worker with a plain-text and an HTML part, exactly once across instances.

use std::sync::Arc;
use std::time::Duration;

use portcullis::clock::SystemClock;
use portcullis::domain::secret::Secret;

use crate::helpers::smtp::SmtpServer;
use crate::helpers::{TestDb, spawn_app_with, wait_until};

#[actix_web::test]
async fn a_queued_message_reaches_a_real_smtp_server_with_text_and_html_parts() {
    let Some(smtp) = SmtpServer::start(
        "mail::a_queued_message_reaches_a_real_smtp_server_with_text_and_html_parts",
    ) else {
        return;
    };
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.smtp.url = Some(Secret::new(smtp.url()));
    settings.smtp.from = "Portcullis <id@example.com>".into();
    let app = spawn_app_with(db, settings, Arc::new(SystemClock)).await;
    app.cli()
        .run(&["mail", "test", "--to", "ops@example.com"])
        .ok();
    app.state.mail.wake();
    let messages = wait_until("the SMTP server has the message", || async {
        let m = smtp.messages();
        (!m.is_empty()).then_some(m)
    })
    .await;
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert!(m.contains("Subject: Portcullis: test message"), "{m}");
    assert!(m.contains("To: ops@example.com"), "{m}");
    assert!(m.contains("From: Portcullis <id@example.com>"), "{m}");
    assert!(m.contains("multipart/alternative"), "{m}");
    assert!(m.contains("text/plain") && m.contains("text/html"), "{m}");
    // Deleted from the outbox once the server took it (just after it arrived there).
    wait_until("the outbox is empty", || async {
        let pending = app.cli().run(&["mail", "status"]).ok().stdout;
        pending.contains("0 message(s) waiting").then_some(())
    })
    .await;
}

#[actix_web::test]
async fn mail_queued_while_no_server_sends_goes_out_once_when_one_starts() {
    let Some(smtp) =
        SmtpServer::start("mail::mail_queued_while_no_server_sends_goes_out_once_when_one_starts")
    else {
        return;
    };
    let db = TestDb::sqlite();
    let kek = crate::helpers::internals::new_kek();
    let settings = |db: &TestDb, smtp_url: Option<String>| {
        let mut s = db.settings();
        s.keys.encryption_key = Some(Secret::new(kek.clone()));
        s.smtp.url = smtp_url.map(Secret::new);
        s
    };
    // The first instance has no SMTP settings: it queues, it does not send.
    let quiet = settings(&db, None);
    let second = db.another_instance();
    let third = db.another_instance();
    let sending = settings(&second, Some(smtp.url()));
    let also_sending = settings(&third, Some(smtp.url()));
    let first = spawn_app_with(db, quiet, Arc::new(SystemClock)).await;
    first
        .cli()
        .run(&["mail", "test", "--to", "ops@example.com"])
        .ok();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(smtp.messages().is_empty(), "nothing sends it yet");

    // Two instances that send start on the same database: it goes out once.
    let a = spawn_app_with(second, sending, Arc::new(SystemClock)).await;
    let b = spawn_app_with(third, also_sending, Arc::new(SystemClock)).await;
    a.state.mail.wake();
    b.state.mail.wake();
    wait_until("the message arrives", || async {
        (!smtp.messages().is_empty()).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(smtp.messages().len(), 1, "exactly once");
    wait_until("the outbox is empty", || async {
        let pending = first.cli().run(&["mail", "status"]).ok().stdout;
        pending.contains("0 message(s) waiting").then_some(())
    })
    .await;
}

#[actix_web::test]
async fn a_reset_mail_queued_before_a_crash_is_sent_exactly_once_by_the_restarted_server() {
    use crate::helpers::ServerProcess;
    use crate::helpers::browser::Browser;
    use crate::helpers::stubs::free_port;

    let test =
        "mail::a_reset_mail_queued_before_a_crash_is_sent_exactly_once_by_the_restarted_server";
    let Some(smtp) = SmtpServer::start(test) else {
        return;
    };
    let db = TestDb::sqlite();
    db.cli().user("alice").email("alice@example.com").create();
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let issuer = format!("http://{bind}");
    // The first process has no SMTP relay yet: the reset mail is queued, not sent.
    let first = ServerProcess::start_bound(
        db.cli().env("PORTCULLIS_ISSUER", &issuer),
        &["serve"],
        &bind,
    );
    let mut b = Browser::at(issuer.clone());
    let page = b.get("/password/forgot").await;
    let csrf = page.field("csrf").unwrap();
    let sent = b
        .post(
            "/password/forgot",
            &[("csrf", &csrf), ("email", "alice@example.com")],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    wait_until("the mail is queued", || async {
        let out = db.cli().run(&["mail", "status"]).ok().stdout;
        out.contains("1 message(s) waiting").then_some(())
    })
    .await;
    first.kill();

    // The restarted server (now with a relay) sends it, once.
    let second = ServerProcess::start_bound(
        db.cli()
            .env("PORTCULLIS_ISSUER", &issuer)
            .env("PORTCULLIS_SMTP__URL", &smtp.url()),
        &["serve"],
        &bind,
    );
    let mail = wait_until("the mail arrives", || async { smtp.messages().pop() }).await;
    assert!(mail.contains("To: alice@example.com"), "{mail}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(smtp.messages().len(), 1, "exactly once");
    let stopped = second.stop();
    assert_eq!(stopped.status, 0);
    let out = db.cli().run(&["mail", "status"]).ok().stdout;
    assert!(out.contains("0 message(s) waiting"), "{out}");
}
