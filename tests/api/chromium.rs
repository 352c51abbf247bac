//! A real browser (Debian's headless Chromium through chromedriver) walks the flow:
//! sign-in page, consent page, back to the client's callback with a code that redeems.
//! Screenshots of the pages at desktop and phone widths go to `target/screenshots/`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::authorize_flow::{PASSWORD, VERIFIER, challenge, query};
use crate::helpers::{TestApp, spawn_app};
use crate::webdriver::{self, Driver};

fn shots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")
}

/// The client application: records what arrives at its callback.
async fn client_callback() -> (String, Arc<Mutex<Option<String>>>) {
    let seen: Arc<Mutex<Option<String>>> = Arc::default();
    let record = seen.clone();
    let server = actix_web::HttpServer::new(move || {
        let record = record.clone();
        actix_web::App::new().route(
            "/cb",
            actix_web::web::get().to(move |req: actix_web::HttpRequest| {
                let record = record.clone();
                async move {
                    *record.lock().unwrap() = Some(req.query_string().to_string());
                    actix_web::HttpResponse::Ok()
                        .content_type("text/html")
                        .body("<!doctype html><title>Client</title><h1>Back at the client</h1>")
                }
            }),
        )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let addr = server.addrs()[0];
    actix_web::rt::spawn(server.run());
    (format!("http://{addr}/cb"), seen)
}

async fn setup(app: &TestApp, redirect: &str) {
    app.create_client(&[
        "--name",
        "Photo Gallery",
        "--id",
        "gallery",
        "--public",
        "--grant-type",
        "authorization_code",
        "--redirect-uri",
        redirect,
    ])
    .await;
    app.cli()
        .run_with_stdin(
            &[
                "user",
                "create",
                "--username",
                "alice",
                "--name",
                "Alice",
                "--email",
                "alice@example.com",
                "--password-stdin",
            ],
            PASSWORD,
        )
        .ok();
}

fn authorize_url(app: &TestApp, redirect: &str) -> String {
    let ch = challenge(VERIFIER);
    app.url(&format!(
        "/authorize?{}",
        query(&[
            ("response_type", "code"),
            ("client_id", "gallery"),
            ("redirect_uri", redirect),
            ("scope", "openid profile email"),
            ("state", "browser-state"),
            ("code_challenge", &ch),
            ("code_challenge_method", "S256"),
            // Both browsers see the consent page, though the grant is remembered.
            ("prompt", "consent"),
        ])
    ))
}

async fn no_horizontal_scroll(driver: &Driver, width: u32) {
    // Measured once the document has loaded (right after a click it may still be the
    // previous, or a blank, document).
    let script = "return document.readyState === 'complete' && document.querySelector('main') \
                  ? document.documentElement.scrollWidth : -1";
    let mut w = -1;
    for _ in 0..30 {
        w = driver.script(script).await.as_i64().unwrap_or(-1);
        if w >= 0 {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let inner = driver.script("return window.innerWidth").await;
    assert!(
        (0..=width as i64).contains(&w),
        "page scrolls sideways at {width}px: {w} (innerWidth {inner}, {})",
        driver.current_url().await
    );
}

/// Signs in and consents in the browser; returns the callback's query string.
async fn walk(
    driver: &Driver,
    app: &TestApp,
    redirect: &str,
    seen: &Mutex<Option<String>>,
    suffix: &str,
    width: Option<u32>,
) -> String {
    driver.goto(&authorize_url(app, redirect)).await;
    driver.find("#username").await;
    if let Some(w) = width {
        no_horizontal_scroll(driver, w).await;
    }
    driver
        .screenshot(&shots().join(format!("login-{suffix}.png")))
        .await;
    driver.type_into("#username", "alice").await;
    driver.type_into("#password", PASSWORD).await;
    driver.click("button[type=submit]").await;
    driver.find("button[value=allow]").await;
    if let Some(w) = width {
        no_horizontal_scroll(driver, w).await;
    }
    driver
        .screenshot(&shots().join(format!("consent-{suffix}.png")))
        .await;
    driver.click("button[value=allow]").await;
    for _ in 0..100 {
        let arrived = seen.lock().unwrap().take();
        if let Some(q) = arrived {
            assert!(driver.current_url().await.starts_with(redirect));
            return q;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "the browser never reached the callback (at {})",
        driver.current_url().await
    );
}

#[actix_web::test]
async fn a_real_browser_signs_in_consents_and_returns_with_a_code_that_redeems() {
    let Some(desktop) = webdriver::start(
        "a_real_browser_signs_in_consents_and_returns_with_a_code_that_redeems",
        None,
    )
    .await
    else {
        return;
    };
    let app = spawn_app().await;
    let (redirect, seen) = client_callback().await;
    setup(&app, &redirect).await;

    let q = walk(&desktop, &app, &redirect, &seen, "desktop", None).await;
    let params: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(params["state"], "browser-state");
    let res = app
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &params["code"]),
                ("redirect_uri", &redirect),
                ("client_id", "gallery"),
                ("code_verifier", VERIFIER),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body["id_token"].is_string());

    // The error page for a redirect URI that is not registered.
    desktop
        .goto(&app.url(&format!(
            "/authorize?{}",
            query(&[
                ("response_type", "code"),
                ("client_id", "gallery"),
                ("redirect_uri", "https://evil.example/cb"),
                ("scope", "openid")
            ])
        )))
        .await;
    desktop.find("p.notice").await;
    desktop.screenshot(&shots().join("error-desktop.png")).await;
    desktop.quit().await;

    // A phone-sized screen (320 px): same flow in a fresh browser, no sideways scrolling.
    let phone = webdriver::start("phone", Some(320))
        .await
        .expect("chromium started once already");
    let q = walk(&phone, &app, &redirect, &seen, "phone", Some(320)).await;
    assert!(q.contains("code="));
    phone
        .goto(&app.url("/authorize?client_id=nobody&response_type=code&scope=openid"))
        .await;
    phone.find("p.notice").await;
    no_horizontal_scroll(&phone, 320).await;
    phone.screenshot(&shots().join("error-phone.png")).await;
    phone.quit().await;
}
