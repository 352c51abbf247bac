//! Password sign-in against a real LDAP directory (Debian's slapd, started by the test):
//! people who live there sign in with the directory's password (never stored here) and
//! get roles from their groups; a wrong password, a person removed from the directory and
//! a directory that stopped answering are each refused clearly; local accounts never
//! depend on it.

use std::sync::Arc;

use portcullis::clock::SystemClock;
use portcullis::domain::secret::Secret;

use crate::helpers::slapd::{self, ROOT_DN, ROOT_PW, SUFFIX, Slapd};
use crate::helpers::{PASSWORD, TestApp, TestDb, spawn_app_with};

async fn app_on(dir: &Slapd) -> TestApp {
    let db = TestDb::sqlite();
    let mut s = db.settings();
    s.ldap.url = Some(dir.url());
    s.ldap.bind_dn = Some(ROOT_DN.into());
    s.ldap.bind_password = Some(Secret::new(ROOT_PW.into()));
    s.ldap.user_base = format!("ou=people,{SUFFIX}");
    s.ldap.group_base = Some(format!("ou=groups,{SUFFIX}"));
    s.ldap.group_roles = vec!["admins=admin".into(), "staff=staff".into()];
    s.ldap.timeout_secs = 2;
    spawn_app_with(db, s, Arc::new(SystemClock)).await
}

async fn directory() -> String {
    slapd::ldif(
        &[
            ("lena", "Lena Directory", "lena's directory password"),
            ("max", "Max Mustermann", "max password"),
        ],
        &[("admins", &["lena"]), ("staff", &["lena", "max"])],
    )
}

/// `/signin` with this username and password: the status and the page.
async fn sign_in(app: &TestApp, username: &str, password: &str) -> (u16, String) {
    let mut b = app.browser();
    let page = b.get("/signin").await;
    let (csrf, rd) = (
        page.field("csrf").unwrap(),
        page.field("rd").unwrap_or_default(),
    );
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
    (res.status, res.body)
}

#[actix_web::test]
async fn people_in_the_directory_sign_in_with_its_password_and_get_roles_from_their_groups() {
    let test =
        "ldap::people_in_the_directory_sign_in_with_its_password_and_get_roles_from_their_groups";
    let Some(dir) = Slapd::start(test, &directory().await).await else {
        return;
    };
    let app = app_on(&dir).await;
    let (status, body) = sign_in(&app, "lena", "lena's directory password").await;
    assert_eq!(status, 303, "{body}");
    let lena = portcullis::store::users::find_by_username(&mut app.db.conn(), "lena")
        .unwrap()
        .expect("provisioned at the first sign-in");
    assert_eq!(lena.email.as_deref(), Some("lena@example.org"));
    assert_eq!(lena.display_name.as_deref(), Some("Lena Directory"));
    assert_eq!(lena.roles, ["admin", "staff"]);
    assert_eq!(
        lena.password_hash, "!federated",
        "the directory's password is never kept"
    );
    let shown = app.cli().run(&["user", "show", "lena"]).ok().stdout;
    assert!(
        shown.contains(&format!(
            "linked:         ldap (sub uid=lena,ou=people,{SUFFIX}"
        )),
        "{shown}"
    );

    // Again: the same local user.
    assert_eq!(
        sign_in(&app, "lena", "lena's directory password").await.0,
        303
    );
    let (status, _) = sign_in(&app, "max", "max password").await;
    assert_eq!(status, 303);
    let max = portcullis::store::users::find_by_username(&mut app.db.conn(), "max")
        .unwrap()
        .unwrap();
    assert_eq!(max.roles, ["staff"]);
    assert_eq!(app.db.count("users"), 2);
}

#[actix_web::test]
async fn a_wrong_password_a_removed_person_and_a_stopped_directory_are_refused_and_local_users_are_not_affected()
 {
    let test = "ldap::a_wrong_password_a_removed_person_and_a_stopped_directory_are_refused_and_local_users_are_not_affected";
    let Some(mut dir) = Slapd::start(test, &directory().await).await else {
        return;
    };
    let app = app_on(&dir).await;
    app.user("alice").create();
    // A local account named like a directory person keeps its own password.
    app.user("max").create();

    let (status, body) = sign_in(&app, "lena", "not her password").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("The username or password is not correct"),
        "{body}"
    );
    assert_eq!(
        sign_in(&app, "lena", "").await.0,
        200,
        "an empty password never binds"
    );
    assert_eq!(
        sign_in(&app, "max", "max password").await.0,
        200,
        "not the directory's max"
    );
    assert_eq!(sign_in(&app, "max", PASSWORD).await.0, 303);

    assert_eq!(
        sign_in(&app, "lena", "lena's directory password").await.0,
        303
    );
    dir.delete(&format!("uid=lena,ou=people,{SUFFIX}"));
    let (status, _) = sign_in(&app, "lena", "lena's directory password").await;
    assert_eq!(status, 200, "removed from the directory: no sign-in");

    // The directory stops answering mid-test: a clear page for its people, none for ours.
    dir.stop();
    let (status, body) = sign_in(&app, "someone", "from the directory").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("Sign-in is unavailable right now"), "{body}");
    assert_eq!(
        sign_in(&app, "alice", PASSWORD).await.0,
        303,
        "local users unaffected"
    );
    // It comes back: the kept connection is made again.
    dir.restart().await;
    assert_eq!(sign_in(&app, "max", PASSWORD).await.0, 303);
    let (status, body) = sign_in(&app, "someone", "from the directory").await;
    assert_eq!(status, 200, "{body}");
}

#[test]
fn the_bind_password_stays_out_of_debug_output() {
    let mut s = portcullis::config::Settings::default();
    s.ldap.bind_password = Some(Secret::new("the directory's service password".into()));
    assert!(!format!("{s:?}").contains("service password"));
}

#[actix_web::test]
async fn refresh_tokens_of_someone_removed_from_the_directory_stop_at_the_next_refresh() {
    use crate::helpers::flow::{redeem_spa, spa_request};
    let test =
        "ldap::refresh_tokens_of_someone_removed_from_the_directory_stop_at_the_next_refresh";
    let Some(mut dir) = Slapd::start(test, &directory().await).await else {
        return;
    };
    let app = app_on(&dir).await;
    app.client("spa")
        .public()
        .grant("authorization_code")
        .grant("refresh_token")
        .redirect_uri(crate::helpers::flow::SPA_CB)
        .skip_consent()
        .create()
        .await;
    let mut b = app.browser();
    let login = b.get(&spa_request(&[])).await;
    let back = b.login(&login, "lena", "lena's directory password").await;
    assert_eq!(back.status, 303, "{}", back.body);
    let tokens = redeem_spa(&app, &back.callback()["code"]).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let refresh = |rt: String| {
        let app = &app;
        async move {
            app.token(
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &rt),
                    ("client_id", "spa"),
                ],
                None,
            )
            .await
        }
    };
    let first = refresh(tokens.str("refresh_token")).await;
    assert_eq!(first.status, 200, "still in the directory: {}", first.body);

    // The directory is down: refused for now, nothing revoked.
    dir.stop();
    let down = refresh(first.str("refresh_token")).await;
    down.assert_oauth_error(503, "temporarily_unavailable");
    dir.restart().await;

    dir.delete(&format!("uid=lena,ou=people,{SUFFIX}"));
    let gone = refresh(first.str("refresh_token")).await;
    gone.assert_oauth_error(400, "invalid_grant");
    let lena = portcullis::store::users::find_by_username(&mut app.db.conn(), "lena")
        .unwrap()
        .unwrap();
    assert!(
        portcullis::store::sessions::list_for_user(&mut app.db.conn(), &lena.id)
            .unwrap()
            .is_empty(),
        "their sessions ended too"
    );
}

#[actix_web::test]
async fn the_directory_is_reached_over_ldaps_and_starttls_and_an_untrusted_certificate_is_refused()
{
    let test = "ldap::the_directory_is_reached_over_ldaps_and_starttls_and_an_untrusted_certificate_is_refused";
    let Some(dir) = Slapd::start_tls(test, &directory().await).await else {
        return;
    };
    let ca = dir.tls.as_ref().unwrap().1.clone();
    let spawn = |url: String, starttls: bool, ca_file: Option<std::path::PathBuf>| async move {
        let db = TestDb::sqlite();
        let mut s = db.settings();
        s.ldap.url = Some(url);
        s.ldap.starttls = starttls;
        s.ldap.ca_file = ca_file;
        s.ldap.user_base = format!("ou=people,{SUFFIX}");
        s.ldap.timeout_secs = 2;
        spawn_app_with(db, s, Arc::new(SystemClock)).await
    };
    let ldaps = spawn(dir.ldaps_url(), false, Some(ca.clone())).await;
    assert_eq!(
        sign_in(&ldaps, "lena", "lena's directory password").await.0,
        303
    );
    let starttls = spawn(dir.url(), true, Some(ca)).await;
    assert_eq!(sign_in(&starttls, "max", "max password").await.0, 303);
    // A certificate nobody we trust signed: no connection, so no sign-in.
    let untrusted = spawn(dir.ldaps_url(), false, None).await;
    assert_eq!(
        sign_in(&untrusted, "lena", "lena's directory password")
            .await
            .0,
        503
    );
}

#[actix_web::test]
async fn neither_the_bind_password_nor_a_persons_password_reaches_the_logs() {
    use crate::helpers::ServerProcess;
    use crate::helpers::browser::Browser;
    let test = "ldap::neither_the_bind_password_nor_a_persons_password_reaches_the_logs";
    let Some(dir) = Slapd::start(test, &directory().await).await else {
        return;
    };
    let db = TestDb::sqlite();
    let server = ServerProcess::start(
        db.cli()
            .env("PORTCULLIS_LOG__LEVEL", "debug")
            .env("PORTCULLIS_LDAP__URL", &dir.url())
            .env("PORTCULLIS_LDAP__BIND_DN", ROOT_DN)
            .env("PORTCULLIS_LDAP__BIND_PASSWORD", ROOT_PW)
            .env("PORTCULLIS_LDAP__USER_BASE", &format!("ou=people,{SUFFIX}")),
        &["serve"],
    );
    let mut b = Browser::at(server.url(""));
    let page = b.get("/signin").await;
    let (csrf, rd) = (
        page.field("csrf").unwrap(),
        page.field("rd").unwrap_or_default(),
    );
    for password in ["lena's directory password", "a wrong one"] {
        b.post(
            "/signin",
            &[
                ("csrf", &csrf),
                ("rd", &rd),
                ("username", "lena"),
                ("password", password),
            ],
        )
        .await;
    }
    let stopped = server.stop();
    let logs = format!("{}{}", stopped.stdout, stopped.stderr);
    assert!(logs.contains("/signin"), "the requests were logged");
    for secret in [ROOT_PW, "lena's directory password", "a wrong one"] {
        assert!(!logs.contains(secret), "`{secret}` in the logs:\n{logs}");
    }
}
