//! Multi-factor sign-in without JavaScript: an authenticator app set up from `/account`
//! (codes computed by the test), then asked for at every sign-in; replayed and stale codes
//! refused; five wrong answers void a pending sign-in, and an account's second-factor
//! failures past a budget are refused and mailed to the owner; recovery codes single-use; `mfa.policy =
//! required` sending a user without a factor to enrolment before the client; and the
//! operator's `user mfa list` / `user mfa reset`.

use std::sync::Arc;

use crate::helpers::internals::Secret;
use crate::helpers::smtp::{SmtpServer, link_in};
use crate::helpers::totp::code_at;
use crate::helpers::{
    Browser, FlowApp, PASSWORD, Page, SPA_CB, T0, TestDb, Tokens, decode, pkce_request, redeem,
    sign_in_and_consent, spa_request, spawn_app_with, spawn_flow_app, spawn_flow_app_with,
    wait_until,
};
use portcullis::clock::{Clock, ManualClock};
use portcullis::config::{ClientIpHeader, MfaPolicy};

/// Sets up an authenticator app from the account page of a signed-in browser at `now`;
/// returns its secret and the recovery codes shown once.
async fn enrol(b: &mut Browser<'_>, now: i64) -> (Vec<u8>, Vec<String>) {
    let account = b.get("/account").await;
    assert_eq!(account.status, 200, "{}", account.body);
    assert!(account.body.contains("id=\"totp-add\""));
    let csrf = account.field("csrf").unwrap();
    let enrol = b.post("/account/totp", &[("csrf", &csrf)]).await;
    assert_eq!(enrol.status, 200, "{}", enrol.body);
    assert!(enrol.body.contains("<svg"), "the QR code is inline SVG");
    let secret = enrol.totp_secret();
    assert_eq!(secret.len(), 20, "160-bit secret");
    let csrf = enrol.field("csrf").unwrap();
    let wrong = other_than(&code_at(&secret, now));
    let refused = b
        .post(
            "/account/totp/confirm",
            &[("csrf", &csrf), ("code", &wrong)],
        )
        .await;
    assert!(
        refused.body.contains("id=\"factor-error\""),
        "{}",
        refused.body
    );
    assert_eq!(
        refused.totp_secret(),
        secret,
        "the same key until confirmed"
    );
    let codes = b
        .post(
            "/account/totp/confirm",
            &[("csrf", &csrf), ("code", &code_at(&secret, now))],
        )
        .await;
    assert_eq!(codes.status, 200, "{}", codes.body);
    let recovery = codes.recovery_codes();
    assert_eq!(recovery.len(), 10);
    (secret, recovery)
}

fn other_than(code: &str) -> String {
    if code == "000000" {
        "111111".into()
    } else {
        "000000".into()
    }
}

/// The password step of the spa's request in a new browser: the second-factor page.
async fn password_step<'a>(f: &'a FlowApp) -> (Browser<'a>, Page) {
    password_step_from(f, "").await
}

/// [`password_step`] from `source` (sent as `X-Forwarded-For`; none when empty).
async fn password_step_from<'a>(f: &'a FlowApp, source: &str) -> (Browser<'a>, Page) {
    let mut b = f.app.browser();
    if !source.is_empty() {
        b.headers
            .push(("X-Forwarded-For".to_string(), source.to_string()));
    }
    let page = b.get(&spa_request(&[])).await;
    let page = b.login(&page, "alice", PASSWORD).await;
    assert!(page.is_second_factor(), "{}", page.body);
    (b, page)
}

async fn id_token_claims(f: &FlowApp, page: &Page) -> serde_json::Value {
    assert_eq!(page.status, 303, "{}", page.body);
    let tokens = Tokens::of(&redeem(&f.app, "spa", SPA_CB, &page.callback()["code"]).await);
    decode(&f.app, &tokens.id_token).await.1
}

/// alice, signed in with her password and enrolled at T0.
async fn enrolled_alice() -> (FlowApp, Vec<u8>, Vec<String>) {
    let f = spawn_flow_app().await;
    let mut b = f.app.browser();
    let cb = sign_in_and_consent(&mut b, &spa_request(&[])).await;
    let tokens = Tokens::of(&redeem(&f.app, "spa", SPA_CB, &cb["code"]).await);
    let claims = decode(&f.app, &tokens.id_token).await.1;
    assert_eq!(claims["acr"], "1");
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    let (secret, codes) = enrol(&mut b, T0).await;
    (f, secret, codes)
}

#[actix_web::test]
async fn after_setting_up_an_authenticator_app_every_sign_in_asks_for_a_code_and_reaches_level_two()
{
    let (f, secret, _) = enrolled_alice().await;
    f.clock.advance(30);
    let (mut b, page) = password_step(&f).await;
    assert!(page.body.contains("id=\"totp-form\""));
    let done = b
        .second_factor(&page, "totp", &code_at(&secret, T0 + 30))
        .await;
    let claims = id_token_claims(&f, &done).await;
    assert_eq!(claims["acr"], "2");
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
    // The access token says the same (RFC 9068 §2.2.1).
    let discovery = f.app.get("/.well-known/openid-configuration").await;
    assert_eq!(
        discovery.body["acr_values_supported"],
        serde_json::json!(["1", "2", "3"])
    );
}

#[actix_web::test]
async fn a_replayed_code_and_a_code_two_steps_old_are_refused() {
    let (f, secret, _) = enrolled_alice().await;
    // The enrolment used T0's step: the same code again is a replay.
    let (mut b, page) = password_step(&f).await;
    let replay = b.second_factor(&page, "totp", &code_at(&secret, T0)).await;
    assert_eq!(replay.status, 200);
    assert!(replay.body.contains("already used"), "{}", replay.body);
    f.clock.advance(90);
    let stale = b
        .second_factor(&replay, "totp", &code_at(&secret, T0 + 30))
        .await;
    assert!(
        stale.body.contains("not correct"),
        "two steps old: {}",
        stale.body
    );
    let ok = b
        .second_factor(&stale, "totp", &code_at(&secret, T0 + 90))
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
}

/// Hardening round 2, finding 2: one pending sign-in allows five wrong answers, then it is
/// void and the password must be entered again; this source is then throttled for the
/// account's second factor, and the brake lifts with time (never a lockout).
#[actix_web::test]
async fn six_wrong_codes_void_the_pending_sign_in_and_the_password_is_needed_again() {
    let (f, secret, _) = enrolled_alice().await;
    f.clock.advance(30);
    let now = T0 + 30;
    let (mut b, mut page) = password_step(&f).await;
    let first = page.clone();
    let wrong = other_than(&code_at(&secret, now));
    for _ in 0..4 {
        page = b.second_factor(&page, "totp", &wrong).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("not correct"), "{}", page.body);
    }
    let fifth = b.second_factor(&page, "totp", &wrong).await;
    assert!(fifth.is_login(), "back to the password: {}", fifth.body);
    assert!(fifth.body.contains("Sign in again"), "{}", fifth.body);
    // The sixth answer, even the right code on the page from before, finds nothing.
    let sixth = b
        .second_factor(&first, "totp", &code_at(&secret, now))
        .await;
    assert_ne!(sixth.status, 303, "{}", sixth.body);
    assert!(!sixth.is_second_factor(), "{}", sixth.body);
    let audit = portcullis::store::audit::recent(&mut f.app.db.conn(), 200).unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.event == "mfa.pending_voided")
            .count(),
        1
    );
    // The password again: this source has used its free attempts at alice's second
    // factor, so the right code waits for the brake, which lifts with time.
    let (mut b, page) = password_step(&f).await;
    let right = b.second_factor(&page, "totp", &code_at(&secret, now)).await;
    assert_eq!(right.status, 429, "throttled before the code is looked at");
    f.clock.advance(60);
    let later = b
        .second_factor(&right, "totp", &code_at(&secret, now + 60))
        .await;
    assert_eq!(later.status, 303, "{}", later.body);
}

/// Hardening round 2, finding 2: second-factor failures are counted per account across
/// sources and sign-ins; past the budget (20 an hour) the account's second factor is
/// refused (429), the owner gets a mail, and after the window the right code works.
#[actix_web::test]
async fn past_the_budget_the_second_factor_is_refused_and_the_owner_is_mailed() {
    let test = "mfa::past_the_budget_the_second_factor_is_refused_and_the_owner_is_mailed";
    let Some(smtp) = SmtpServer::start(test) else {
        return;
    };
    let (f, secret, _) =
        enrolled_alice_behind_proxy(|s| s.smtp.url = Some(Secret::new(smtp.url()))).await;
    // Five sources, four wrong codes each: no pending sign-in voided, no source
    // throttled, and yet twenty failures for alice.
    let at = |n: u32| format!("198.51.100.{n}");
    for n in 1..=5 {
        let (mut b, mut page) = password_step_from(&f, &at(n)).await;
        for _ in 0..4 {
            let wrong = other_than(&code_at(&secret, f.clock.now()));
            page = b.second_factor(&page, "totp", &wrong).await;
            assert_eq!(page.status, 200, "{}", page.body);
            assert!(page.body.contains("not correct"), "{}", page.body);
        }
        f.clock.advance(30);
    }
    let (mut b, page) = password_step_from(&f, &at(6)).await;
    let refused = b
        .second_factor(&page, "totp", &code_at(&secret, f.clock.now()))
        .await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    let mail = wait_until("the warning reaches the mailbox", || async {
        smtp.messages()
            .into_iter()
            .find(|m| link_in(m, "/password/forgot").is_some())
    })
    .await;
    assert!(mail.contains("To: alice@example.com"), "{mail}");
    let unfolded = mail.replace("\r\n", "\n").replace("\n ", " ");
    assert!(
        unfolded.contains("could not pass the second step"),
        "{mail}"
    );
    let audit = portcullis::store::audit::recent(&mut f.app.db.conn(), 500).unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.event == "mfa.budget_exhausted")
            .count(),
        1,
        "one warning per window"
    );
    // The next window: the owner's right code works.
    f.clock.advance(3_600);
    let (mut b, page) = password_step_from(&f, &at(7)).await;
    let done = b
        .second_factor(&page, "totp", &code_at(&secret, f.clock.now()))
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
}

/// Recovery codes spend the same budget: past it, even a valid one is refused.
#[actix_web::test]
async fn recovery_codes_spend_the_same_budget() {
    let (f, secret, codes) = enrolled_alice_behind_proxy(|_| {}).await;
    let wrong = other_than(&code_at(&secret, f.clock.now()));
    for n in 1..=5 {
        let (mut b, mut page) = password_step_from(&f, &format!("198.51.100.{n}")).await;
        for _ in 0..4 {
            page = b.second_factor(&page, "totp", &wrong).await;
            assert_eq!(page.status, 200, "{}", page.body);
        }
    }
    let (mut b, page) = password_step_from(&f, "198.51.100.6").await;
    let refused = b.second_factor(&page, "recovery_code", &codes[0]).await;
    assert_eq!(refused.status, 429, "{}", refused.body);
}

/// Failed passkey answers spend the same budget as wrong codes: past it, even the right
/// code is refused.
#[actix_web::test]
async fn failed_passkey_answers_spend_the_same_budget() {
    let (f, secret, _) = enrolled_alice_behind_proxy(|_| {}).await;
    for n in 1..=5 {
        let (mut b, mut page) = password_step_from(&f, &format!("198.51.100.{n}")).await;
        for _ in 0..4 {
            // An assertion that does not verify (no ceremony behind it).
            page = b.second_factor(&page, "passkey", "").await;
            assert_eq!(page.status, 200, "{}", page.body);
            assert!(page.is_second_factor(), "{}", page.body);
        }
    }
    let (mut b, page) = password_step_from(&f, "198.51.100.6").await;
    let refused = b
        .second_factor(&page, "totp", &code_at(&secret, f.clock.now()))
        .await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    let failed = portcullis::store::audit::recent(&mut f.app.db.conn(), 500)
        .unwrap()
        .iter()
        .filter(|e| e.event == "mfa.failed" && e.details.contains("passkey"))
        .count();
    assert_eq!(failed, 20);
}

/// Alice with an authenticator app, on an app behind a trusted proxy on loopback (sources
/// told apart by `X-Forwarded-For`), its settings adjusted further by `adjust`.
async fn enrolled_alice_behind_proxy(
    adjust: impl FnOnce(&mut portcullis::config::Settings),
) -> (FlowApp, Vec<u8>, Vec<String>) {
    let f = spawn_flow_app_with(|s| {
        s.http.trusted_proxies = vec!["127.0.0.1".into()];
        s.http.client_ip_header = Some(ClientIpHeader::XForwardedFor);
        adjust(s);
    })
    .await;
    let mut b = f.app.browser();
    sign_in_and_consent(&mut b, &spa_request(&[])).await;
    let (secret, codes) = enrol(&mut b, T0).await;
    f.clock.advance(30);
    (f, secret, codes)
}

#[actix_web::test]
async fn a_recovery_code_signs_in_once() {
    let (f, _, codes) = enrolled_alice().await;
    let (mut b, page) = password_step(&f).await;
    let done = b
        .second_factor(&page, "recovery_code", &codes[0].to_lowercase())
        .await;
    let claims = id_token_claims(&f, &done).await;
    assert_eq!(claims["acr"], "2");
    let (mut b, page) = password_step(&f).await;
    let again = b.second_factor(&page, "recovery_code", &codes[0]).await;
    assert_eq!(again.status, 200);
    assert!(again.body.contains("already used"), "{}", again.body);
    let other = b.second_factor(&again, "recovery_code", &codes[1]).await;
    assert_eq!(other.status, 303);
    let audit = f.app.cli().run(&["audit", "list", "--json"]).ok().stdout;
    for event in ["mfa.enrolled", "mfa.failed", "mfa.recovery_code_used"] {
        assert!(audit.contains(event), "{event} is audited:\n{audit}");
    }
    assert!(!audit.contains(&codes[0]), "no code in the audit log");
}

#[actix_web::test]
async fn under_mfa_policy_required_a_user_without_a_factor_enrols_before_reaching_the_client() {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.mfa.policy = MfaPolicy::Required;
    let clock = ManualClock::at(T0);
    let app = spawn_app_with(db, settings, Arc::new(clock.clone())).await;
    app.client("spa")
        .public()
        .grant("authorization_code")
        .redirect_uri(SPA_CB)
        .skip_consent()
        .create()
        .await;
    app.user("bob").create();
    let mut b = app.browser();
    let page = b.get(&pkce_request("spa", SPA_CB, "openid")).await;
    let page = b.login(&page, "bob", PASSWORD).await;
    assert_eq!(page.status, 200, "not sent to the client: {}", page.body);
    assert!(
        page.body.contains("Set up an authenticator app"),
        "{}",
        page.body
    );
    let secret = page.totp_secret();
    let done = b
        .second_factor(&page, "enrol_totp", &code_at(&secret, T0))
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(done.location().starts_with(SPA_CB));
    let tokens = Tokens::of(&redeem(&app, "spa", SPA_CB, &done.callback()["code"]).await);
    assert_eq!(decode(&app, &tokens.id_token).await.1["acr"], "2");
}

#[actix_web::test]
async fn user_mfa_reset_removes_every_factor_and_ends_the_sessions_of_a_running_server() {
    let f = spawn_flow_app().await;
    let mut b = f.app.browser();
    sign_in_and_consent(&mut b, &spa_request(&[])).await;
    enrol(&mut b, T0).await;
    let listed = f
        .app
        .cli()
        .run(&["user", "mfa", "list", "alice", "--json"])
        .ok()
        .json();
    assert_eq!(listed["totp"], true);
    assert_eq!(listed["recovery_codes_left"], 10);
    let out = f
        .app
        .cli()
        .run(&["user", "mfa", "reset", "alice"])
        .ok()
        .stdout;
    assert!(out.contains("ended 1 session"), "{out}");
    let account = b.get("/account").await;
    assert_eq!(account.status, 303, "the session is gone");
    assert!(account.location().starts_with("/signin"));
    let listed = f
        .app
        .cli()
        .run(&["user", "mfa", "list", "alice", "--json"])
        .ok()
        .json();
    assert_eq!(listed["totp"], false);
    assert_eq!(listed["recovery_codes_left"], 0);
    // Back to a password alone.
    let mut b = f.app.browser();
    let page = b.get(&spa_request(&[])).await;
    let page = b.login(&page, "alice", PASSWORD).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let audit = f.app.cli().run(&["audit", "list", "--json"]).ok().stdout;
    assert!(audit.contains("mfa.reset"));
}

#[actix_web::test]
async fn removing_the_last_factor_or_replacing_recovery_codes_needs_a_fresh_sign_in() {
    let f = spawn_flow_app().await;
    let mut b = f.app.browser();
    sign_in_and_consent(&mut b, &spa_request(&[])).await;
    let (secret, _) = enrol(&mut b, T0).await;
    // Past ten minutes (`session.reauthenticate_after_secs`) the session is no longer
    // fresh.
    f.clock.advance(601);
    let account = b.get("/account").await;
    let csrf = account.field("csrf").unwrap();
    let mut fresh_sign_in = String::new();
    for path in ["/account/totp/remove", "/account/recovery-codes"] {
        let res = b.post(path, &[("csrf", &csrf)]).await;
        assert_eq!(res.status, 303, "{path}: {}", res.body);
        assert!(res.location().starts_with("/signin?"), "{path}");
        assert!(res.location().contains("prompt=login"), "{path}");
        fresh_sign_in = res.location().to_string();
    }
    // A fresh sign-in (password, then a code) and the same requests go through.
    let signin = b.get(&fresh_sign_in).await;
    assert_eq!(
        signin.status, 200,
        "prompt=login shows the form: {}",
        signin.body
    );
    let now = T0 + 601;
    let csrf = signin.field("csrf").unwrap();
    let rd = signin.field("rd").unwrap();
    let factor = b
        .post(
            "/signin",
            &[
                ("rd", &rd),
                ("csrf", &csrf),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(factor.is_second_factor(), "{}", factor.body);
    let csrf = factor.field("csrf").unwrap();
    let back = b
        .post(
            "/signin/factor",
            &[
                ("rd", &rd),
                ("csrf", &csrf),
                ("method", "totp"),
                ("code", &code_at(&secret, now)),
            ],
        )
        .await;
    assert_eq!(back.status, 303, "{}", back.body);
    let account = b.get("/account").await;
    let csrf = account.field("csrf").unwrap();
    let codes = b.post("/account/recovery-codes", &[("csrf", &csrf)]).await;
    assert_eq!(codes.recovery_codes().len(), 10);
    let removed = b.post("/account/totp/remove", &[("csrf", &csrf)]).await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert!(removed.body.contains("The authenticator app was removed."));
    assert!(
        removed.body.contains("0 unused"),
        "the recovery codes went with it"
    );
    let audit = f.app.cli().run(&["audit", "list", "--json"]).ok().stdout;
    assert!(audit.contains("mfa.removed") && audit.contains("mfa.recovery_codes_generated"));
}

#[actix_web::test]
async fn the_access_token_carries_the_level_and_methods_too() {
    let (f, secret, _) = enrolled_alice().await;
    f.clock.advance(30);
    let (mut b, page) = password_step(&f).await;
    let done = b
        .second_factor(&page, "totp", &code_at(&secret, T0 + 30))
        .await;
    assert_eq!(done.status, 303);
    let tokens = Tokens::of(&redeem(&f.app, "spa", SPA_CB, &done.callback()["code"]).await);
    let access = crate::helpers::jwt::unverified_claims(&tokens.access);
    assert_eq!(access["acr"], "2");
    assert_eq!(access["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
}

#[actix_web::test]
async fn client_create_takes_a_required_level_of_two_or_three_only() {
    let f = spawn_flow_app().await;
    let cli = f.app.cli();
    cli.run(&[
        "client",
        "create",
        "--name",
        "Bank",
        "--id",
        "bank",
        "--public",
        "--grant-type",
        "authorization_code",
        "--redirect-uri",
        "https://bank.example/cb",
        "--require-acr",
        "2",
    ])
    .ok();
    let shown = cli.run(&["client", "show", "bank", "--json"]).ok().json();
    assert_eq!(shown["default_acr_values"], serde_json::json!(["2"]));
    for bad in ["1", "5", "gold"] {
        let out = cli.run(&[
            "client",
            "create",
            "--name",
            "X",
            "--public",
            "--grant-type",
            "authorization_code",
            "--redirect-uri",
            "https://x.example/cb",
            "--require-acr",
            bad,
        ]);
        assert_ne!(out.status, 0, "--require-acr {bad}");
        assert!(out.stderr.contains("--require-acr"), "{}", out.stderr);
    }
}

/// Hardening round 2, finding 6 ("sudo mode"): adding a passkey or an authenticator app and
/// changing the email address need a password or second factor within
/// `session.reauthenticate_after_secs`; an older session is sent to sign in again first,
/// and nothing changes.
#[actix_web::test]
async fn a_session_older_than_the_window_signs_in_again_before_a_sensitive_change() {
    let f = spawn_flow_app().await;
    let mut b = f.app.browser();
    sign_in_and_consent(&mut b, &spa_request(&[])).await;
    f.clock.advance(601);
    let account = b.get("/account").await;
    assert_eq!(account.status, 200, "the page itself stays open");
    let csrf = account.field("csrf").unwrap();
    for (path, extra) in [
        ("/account/totp", vec![]),
        (
            "/account/passkeys",
            vec![("name", "laptop"), ("state", "s"), ("credential", "{}")],
        ),
        ("/account/email", vec![("email", "new@example.com")]),
    ] {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend(extra);
        let res = b.post(path, &form).await;
        assert_eq!(res.status, 303, "{path}: {}", res.body);
        assert!(
            res.location().starts_with("/signin?") && res.location().contains("prompt=login"),
            "{path}: {}",
            res.location()
        );
    }
    let mut conn = f.app.db.conn();
    let alice = portcullis::store::users::find_by_username(&mut conn, "alice")
        .unwrap()
        .unwrap();
    assert_eq!(
        alice.email.as_deref(),
        Some("alice@example.com"),
        "unchanged"
    );
    assert!(
        !portcullis::store::audit::recent(&mut conn, 100)
            .unwrap()
            .iter()
            .any(|e| e.event.starts_with("email.") || e.event == "mfa.enrolled"),
        "nothing asked, nothing enrolled"
    );
}
