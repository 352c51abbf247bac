//! Signing in with an upstream OpenID provider, end to end: the upstream is a second,
//! separate Portcullis (on `localhost`, so browsers keep its cookies apart from ours on
//! `127.0.0.1`). Its button on our sign-in page → its sign-in and consent → back to us →
//! tokens for our own client whose `sub` is the linked local user; a second sign-in reuses
//! the link; the upstream's back-channel logout ends our session.

use std::sync::Arc;

use portcullis::clock::SystemClock;

use crate::helpers::browser::Browser;
use crate::helpers::flow::{SPA_CB, redeem_spa, spa_request};
use crate::helpers::{PASSWORD, TestApp, decode, spawn_app_at_own_address, wait_until};

struct Pair {
    up: TestApp,
    down: TestApp,
}

/// The upstream with its client `downstream` (our callback and back-channel URIs) and dora;
/// ourselves with the upstream `corp` and our first-party `spa`.
async fn pair(extra: &[&str]) -> Pair {
    pair_with(extra, |_| {}).await
}

async fn pair_with(extra: &[&str], adjust: impl FnOnce(&mut portcullis::config::Settings)) -> Pair {
    let up = spawn_app_at_own_address("localhost", Arc::new(SystemClock)).await;
    let down =
        crate::helpers::spawn_app_at_own_address_with("127.0.0.1", Arc::new(SystemClock), adjust)
            .await;
    let client = up
        .client("downstream")
        .name("Downstream")
        .confidential()
        .grant("authorization_code")
        .redirect_uri(&down.url("/upstream/corp/callback"))
        .backchannel_logout_uri(&down.url("/upstream/corp/backchannel"))
        .skip_consent()
        .create()
        .await;
    up.user("dora")
        .name("Dora Explorer")
        .email("dora@corp.example")
        .role("staff")
        .create();
    down.first_party_spa().await;
    let issuer = up.state.issuer().to_string();
    let mut args = vec![
        "upstream",
        "add",
        "--name",
        "corp",
        "--issuer",
        issuer.as_str(),
        "--client-id",
        "downstream",
        "--client-secret-stdin",
    ];
    args.extend_from_slice(extra);
    let out = down
        .cli()
        .env("PORTCULLIS_ISSUER", &down.url(""))
        .env("PORTCULLIS_HTTP__ALLOW_PRIVATE_DESTINATIONS", "true")
        .run_with_stdin(&args, client.secret())
        .ok();
    assert!(
        out.stdout.contains(&down.url("/upstream/corp/callback")),
        "{}",
        out.stdout
    );
    Pair { up, down }
}

/// Our sign-in page, once it shows the corp button (upstreams are re-read every poll).
async fn sign_in_page_with_corp(down: &mut Browser<'_>) -> crate::helpers::Page {
    for _ in 0..100 {
        let page = down.get(&spa_request(&[])).await;
        if page.body.contains(r#"id="upstream-corp""#) {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no corp button on the sign-in page");
}

/// Our sign-in page → the corp button → the upstream's sign-in → back to us: the answer
/// to our callback (the spa's redirect, with a code).
async fn sign_in_through_corp(p: &Pair, down: &mut Browser<'_>, up: &mut Browser<'_>) -> String {
    let login = sign_in_page_with_corp(down).await;
    let start = login.field_href("upstream-corp");
    let to_upstream = down.get(&start).await;
    assert_eq!(to_upstream.status, 303, "{}", to_upstream.body);
    let there = to_upstream.location().to_string();
    assert!(
        there.starts_with(&format!("{}/authorize?", p.up.state.issuer())),
        "{there}"
    );
    let page = up.get(&path_of(&there)).await;
    let back = if page.is_login() {
        up.login(&page, "dora", PASSWORD).await
    } else {
        page
    };
    assert_eq!(back.status, 303, "{}", back.body);
    let callback = back.location().to_string();
    assert!(
        callback.starts_with(&p.down.url("/upstream/corp/callback?")),
        "{callback}"
    );
    let ours = down.get(&path_of(&callback)).await;
    assert_eq!(ours.status, 303, "{}", ours.body);
    ours.location().to_string()
}

/// The path and query of an absolute URL (the test's user agents know their server).
fn path_of(url: &str) -> String {
    let u = url::Url::parse(url).unwrap();
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    }
}

fn code_of(location: &str) -> String {
    assert!(location.starts_with(SPA_CB), "{location}");
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code")
}

#[actix_web::test]
async fn a_person_signs_in_with_an_upstream_provider_and_gets_our_tokens_for_a_linked_user() {
    let p = pair(&["--userinfo", "--scope", "openid profile email"]).await;
    let mut down = p.down.browser();
    let mut up = p.up.browser();
    let location = sign_in_through_corp(&p, &mut down, &mut up).await;
    let tokens = redeem_spa(&p.down, &code_of(&location)).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let (_, id) = decode(&p.down, tokens.body["id_token"].as_str().unwrap()).await;
    let local =
        portcullis::store::users::find_by_id(&mut p.down.db.conn(), id["sub"].as_str().unwrap())
            .unwrap()
            .expect("the sub is a local user");
    assert_eq!(local.username, "dora", "from preferred_username");
    assert_eq!(local.email.as_deref(), Some("dora@corp.example"));
    assert_eq!(local.display_name.as_deref(), Some("Dora Explorer"));
    assert_ne!(
        id["sub"],
        serde_json::json!(
            portcullis::store::users::find_by_username(&mut p.up.db.conn(), "dora")
                .unwrap()
                .unwrap()
                .id
        ),
        "our own subject, not the upstream's"
    );
    let amr: Vec<String> = serde_json::from_value(id["amr"].clone()).unwrap();
    assert!(amr.contains(&"fed".to_string()), "{amr:?}");
    // The account page and the CLI show the link.
    let account = down.get("/account").await;
    assert!(
        account.body.contains(r#"<span class="client">corp</span>"#),
        "{}",
        account.body
    );
    let shown = p.down.cli().run(&["user", "show", "dora"]).ok();
    assert!(
        shown.stdout.contains("linked:         corp (sub "),
        "{}",
        shown.stdout
    );
    assert!(
        !shown.stdout.contains("(verified)"),
        "the upstream says email_verified false, so neither do we: {}",
        shown.stdout
    );

    // A second sign-in (a new browser) reuses the link: the same local user.
    let mut down2 = p.down.browser();
    let mut up2 = p.up.browser();
    let again = sign_in_through_corp(&p, &mut down2, &mut up2).await;
    let tokens2 = redeem_spa(&p.down, &code_of(&again)).await;
    let (_, id2) = decode(&p.down, tokens2.body["id_token"].as_str().unwrap()).await;
    assert_eq!(id2["sub"], id["sub"]);
    assert_eq!(p.down.db.count("users"), 1);
    assert_eq!(p.down.db.count("identity_links"), 1);

    // The upstream signs dora out: its back-channel logout ends our sessions from it.
    let sessions = || {
        portcullis::store::sessions::list_for_user(&mut p.down.db.conn(), &local.id)
            .unwrap()
            .len()
    };
    assert_eq!(sessions(), 2);
    let confirm = up.get("/logout").await;
    let csrf = confirm.field("csrf").unwrap();
    let out = up
        .post("/logout", &[("csrf", &csrf), ("confirm", "yes")])
        .await;
    assert_eq!(out.status, 200, "{}", out.body);
    wait_until("our session from that upstream session ends", || async {
        (sessions() == 1).then_some(())
    })
    .await;
    let audit = p
        .down
        .cli()
        .run(&["audit", "list", "--event", "login.succeeded", "--json"])
        .ok();
    assert!(
        audit.stdout.contains(r#""upstream":"corp""#),
        "{}",
        audit.stdout
    );
}

#[actix_web::test]
async fn an_answer_for_another_browser_or_a_replayed_state_is_refused() {
    let p = pair(&[]).await;
    let mut down = p.down.browser();
    let mut up = p.up.browser();
    let login = sign_in_page_with_corp(&mut down).await;
    let start = login.field_href("upstream-corp");
    let there = down.get(&start).await.location().to_string();
    let page = up.get(&path_of(&there)).await;
    let back = up.login(&page, "dora", PASSWORD).await;
    let callback = back.location().to_string();
    let path = path_of(&callback);
    // Another browser (no state cookie) bringing this answer: login CSRF, refused.
    let mut attacker = p.down.browser();
    let refused = attacker.get(&path).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("did not complete"));
    // The right browser still completes it, once.
    assert_eq!(down.get(&path).await.status, 303);
    let replay = down.get(&path).await;
    assert_eq!(replay.status, 400, "a state works once");
}

#[actix_web::test]
async fn upstream_commands_list_show_and_delete_without_the_secret() {
    let p = pair(&["--link-by-verified-email", "--claim-mapping", "name=name"]).await;
    let list = p.down.cli().run(&["upstream", "list"]).ok();
    assert!(list.stdout.contains("corp\t"), "{}", list.stdout);
    let show = p.down.cli().run(&["upstream", "show", "corp"]).ok();
    let v: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(v["upstream"]["link_by_verified_email"], true);
    assert_eq!(
        v["upstream"]["metadata"]["token_endpoint"],
        format!("{}/token", p.up.state.issuer())
    );
    assert!(
        !show.stdout.to_lowercase().contains("secret\""),
        "{}",
        show.stdout
    );
    let dup = p
        .down
        .cli()
        .env("PORTCULLIS_HTTP__ALLOW_PRIVATE_DESTINATIONS", "true")
        .run_with_stdin(
            &[
                "upstream",
                "add",
                "--name",
                "corp",
                "--issuer",
                p.up.state.issuer(),
                "--client-id",
                "x",
                "--client-secret-stdin",
            ],
            "s",
        );
    assert_ne!(dup.status, 0, "a name is taken once");
    let bad = p
        .down
        .cli()
        .env("PORTCULLIS_HTTP__ALLOW_PRIVATE_DESTINATIONS", "true")
        .run_with_stdin(
            &[
                "upstream",
                "add",
                "--name",
                "other",
                "--issuer",
                &p.down.url("/nope"),
                "--client-id",
                "x",
                "--client-secret-stdin",
            ],
            "s",
        );
    assert!(
        bad.status != 0 && bad.stderr.contains("cannot read"),
        "{}",
        bad.stderr
    );
    p.down.cli().run(&["upstream", "delete", "corp"]).ok();
    assert!(
        p.down
            .cli()
            .run(&["upstream", "list"])
            .ok()
            .stdout
            .contains("no upstreams")
    );
}

#[actix_web::test]
async fn under_a_required_second_factor_a_federated_sign_in_sets_one_up_and_keeps_its_upstream() {
    use crate::helpers::totp::code_at;
    let p = pair_with(&["--userinfo"], |s| {
        s.mfa.policy = portcullis::config::MfaPolicy::Required;
    })
    .await;
    let mut down = p.down.browser();
    let mut up = p.up.browser();
    let login = sign_in_page_with_corp(&mut down).await;
    let there = down
        .get(&login.field_href("upstream-corp"))
        .await
        .location()
        .to_string();
    let page = up.get(&path_of(&there)).await;
    let back = up.login(&page, "dora", PASSWORD).await;
    let ours = down.get(&path_of(back.location())).await;
    assert_eq!(
        ours.status, 200,
        "a factor is due, not the client: {}",
        ours.body
    );
    assert!(
        ours.body.contains("Set up an authenticator app"),
        "{}",
        ours.body
    );
    let secret = ours.totp_secret();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let done = down
        .second_factor(&ours, "enrol_totp", &code_at(&secret, now))
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let tokens = redeem_spa(&p.down, &code_of(done.location())).await;
    let (_, id) = decode(&p.down, tokens.body["id_token"].as_str().unwrap()).await;
    let amr: Vec<String> = serde_json::from_value(id["amr"].clone()).unwrap();
    assert!(
        amr.contains(&"fed".to_string()) && amr.contains(&"otp".to_string()),
        "{amr:?}"
    );
    assert_eq!(id["acr"], "2");
    // The session still knows its upstream: the upstream's sign-out ends it.
    let sub = id["sub"].as_str().unwrap().to_string();
    let sessions =
        || portcullis::store::sessions::list_for_user(&mut p.down.db.conn(), &sub).unwrap();
    assert_eq!(sessions()[0].upstream.as_deref(), Some("corp"));
    let confirm = up.get("/logout").await;
    let csrf = confirm.field("csrf").unwrap();
    up.post("/logout", &[("csrf", &csrf), ("confirm", "yes")])
        .await;
    wait_until("our session ends with the upstream's", || async {
        sessions().is_empty().then_some(())
    })
    .await;
}

#[actix_web::test]
async fn the_upstream_backchannel_answers_bad_input_with_json_errors_and_ends_nothing() {
    let p = pair(&[]).await;
    let mut down = p.down.browser();
    let mut up = p.up.browser();
    let location = sign_in_through_corp(&p, &mut down, &mut up).await;
    assert!(location.starts_with(SPA_CB));
    let before = p.down.db.count("sessions");
    assert_eq!(before, 1);
    for (path, body) in [
        ("/upstream/corp/backchannel", "logout_token=not-a-jwt"),
        (
            "/upstream/corp/backchannel",
            "logout_token=a&logout_token=b",
        ),
        ("/upstream/corp/backchannel", "%zz"),
        ("/upstream/nobody/backchannel", "logout_token=x"),
    ] {
        let res = p
            .down
            .post_raw(
                path,
                body.to_string(),
                None,
                "application/x-www-form-urlencoded",
            )
            .await;
        assert_eq!(res.status, 400, "{path} {body}: {}", res.text());
        assert_eq!(res.body["error"], "invalid_request", "{path} {body}");
    }
    assert_eq!(p.down.db.count("sessions"), before, "nothing ended");
}
