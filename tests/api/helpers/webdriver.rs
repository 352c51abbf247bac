//! A minimal W3C WebDriver client over awc, enough to drive Debian's chromedriver: start a
//! session, navigate, type, click, run a script, take screenshots.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use super::skip_unless_required;
use super::wait::wait_until;

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";

pub struct Driver {
    child: Child,
    base: String,
    session: String,
    http: awc::Client,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chromedriver and a headless Chromium session, or returns `None` (skipped)
/// when they are not installed, unless `PORTCULLIS_TEST_REQUIRE_ALL=1`.
pub async fn start(test: &str, mobile_width: Option<u32>) -> Option<Driver> {
    if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
        skip_unless_required(
            test,
            &format!(
                "{CHROMIUM} or {CHROMEDRIVER} not installed (apt-get install chromium chromium-driver)"
            ),
        );
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let http = awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .finish();
    let base = format!("http://127.0.0.1:{port}");
    wait_until("chromedriver answers", || async {
        let res = http.get(format!("{base}/status")).send().await;
        res.is_ok_and(|r| r.status().is_success())
    })
    .await;
    let profile = tempfile::tempdir().unwrap();
    let mut options = json!({
        "binary": CHROMIUM,
        "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--window-size=1280,900",
            format!("--user-data-dir={}", profile.path().display()),
        ],
    });
    if let Some(width) = mobile_width {
        options["mobileEmulation"] =
            json!({ "deviceMetrics": { "width": width, "height": 720, "pixelRatio": 2.0 } });
    }
    let caps = json!({ "capabilities": { "alwaysMatch": { "browserName": "chrome", "goog:chromeOptions": options } } });
    let mut driver = Driver {
        child,
        base,
        session: String::new(),
        http,
        _profile: profile,
    };
    let created = driver.call("POST", "/session", Some(caps)).await;
    driver.session = created["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no WebDriver session: {created}"))
        .to_string();
    Some(driver)
}

impl Driver {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{}", self.base, path);
        let req = match method {
            "POST" => self.http.post(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.get(url),
        };
        let mut res = match body {
            Some(b) => req.send_json(&b).await,
            None if method == "POST" => req.send_json(&json!({})).await,
            None => req.send().await,
        }
        .expect("WebDriver request");
        let bytes = res.body().limit(32 << 20).await.expect("WebDriver body");
        let v: Value = serde_json::from_slice(&bytes).expect("WebDriver JSON");
        v["value"].clone()
    }

    fn path(&self, rest: &str) -> String {
        format!("/session/{}{}", self.session, rest)
    }

    pub async fn goto(&self, url: &str) {
        self.call("POST", &self.path("/url"), Some(json!({ "url": url })))
            .await;
    }

    pub async fn current_url(&self) -> String {
        self.call("GET", &self.path("/url"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The element matching `css`, waiting for it to appear (a click may still be
    /// navigating).
    pub async fn find(&self, css: &str) -> String {
        wait_until(&format!("an element {css} appears"), || async {
            let v = self
                .call(
                    "POST",
                    &self.path("/element"),
                    Some(json!({ "using": "css selector", "value": css })),
                )
                .await;
            if v.get("error").is_some() {
                return None;
            }
            v.as_object()
                .and_then(|o| o.values().next())
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .await
    }

    /// The rendered text of the element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.call("GET", &self.path(&format!("/element/{el}/text")), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.call(
            "POST",
            &self.path(&format!("/element/{el}/value")),
            Some(json!({ "text": text })),
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.call("POST", &self.path(&format!("/element/{el}/click")), None)
            .await;
    }

    pub async fn script(&self, script: &str) -> Value {
        self.call(
            "POST",
            &self.path("/execute/sync"),
            Some(json!({ "script": script, "args": [] })),
        )
        .await
    }

    /// A Chrome DevTools Protocol command, through chromedriver's `goog/cdp/execute`.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.call(
            "POST",
            &self.path("/goog/cdp/execute"),
            Some(json!({ "cmd": cmd, "params": params })),
        )
        .await
    }

    /// Renders as a phone `width` pixels wide (or the window's own size), with the
    /// colour scheme the system would prefer.
    pub async fn emulate(&self, width: Option<u32>, dark: bool) {
        match width {
            Some(w) => {
                self.cdp(
                    "Emulation.setDeviceMetricsOverride",
                    json!({ "width": w, "height": 720, "deviceScaleFactor": 2, "mobile": true }),
                )
                .await;
            }
            None => {
                self.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
                    .await;
            }
        }
        let scheme = if dark { "dark" } else { "light" };
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
        )
        .await;
    }

    /// Saves a PNG screenshot of the viewport.
    pub async fn screenshot(&self, path: &std::path::Path) {
        let v = self.call("GET", &self.path("/screenshot"), None).await;
        let png = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            v.as_str().unwrap(),
        )
        .unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }

    /// A WebAuthn virtual authenticator (Web Authentication §11, WebDriver extension
    /// commands): a platform authenticator with resident keys that verifies the user.
    pub async fn add_virtual_authenticator(&self) -> String {
        self.add_authenticator(true).await
    }

    /// A virtual platform authenticator with resident keys; `verifies_user`: whether it
    /// has user verification (a PIN or biometrics) or only user presence.
    pub async fn add_authenticator(&self, verifies_user: bool) -> String {
        let v = self
            .call(
                "POST",
                &self.path("/webauthn/authenticator"),
                Some(json!({
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": true,
                    "hasUserVerification": verifies_user,
                    "isUserConsenting": true,
                    "isUserVerified": verifies_user,
                })),
            )
            .await;
        v.as_str()
            .unwrap_or_else(|| panic!("no virtual authenticator: {v}"))
            .to_string()
    }

    pub async fn remove_authenticator(&self, id: &str) {
        self.call(
            "DELETE",
            &self.path(&format!("/webauthn/authenticator/{id}")),
            None,
        )
        .await;
    }

    /// Signs the browser out of everything: its cookies go.
    pub async fn delete_cookies(&self) {
        self.call("DELETE", &self.path("/cookie"), None).await;
    }

    pub async fn quit(self) {
        self.call("DELETE", &self.path(""), None).await;
    }
}
