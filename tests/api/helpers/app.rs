//! `TestApp`: the real server started in-process on port 0 against its own database, with
//! one method per endpoint.

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::http::header::HeaderMap;
use actix_web::web;
use portcullis::clock::{Clock, SystemClock};
use portcullis::config::Settings;
use portcullis::startup::Application;
use serde_json::Value;

use super::browser::Browser;
use super::cli::Cli;
use super::db::TestDb;
use super::internals::{AppState, telemetry};

pub const JWKS: &str = "/.well-known/jwks.json";
pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
pub const AUTHORIZATION_SERVER_METADATA: &str = "/.well-known/oauth-authorization-server";

/// The real server, started in-process on a random port.
pub struct TestApp {
    pub address: SocketAddr,
    /// The metrics listener, when the settings turned it on.
    pub metrics_address: Option<SocketAddr>,
    pub db: TestDb,
    pub http: awc::Client,
    /// The server's shared state, for tests that drive background work (key rotation,
    /// sweeps) deterministically instead of waiting for it.
    pub state: web::Data<AppState>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_on(TestDb::sqlite()).await
}

pub async fn spawn_app_on(db: TestDb) -> TestApp {
    let settings = db.settings();
    spawn_app_with(db, settings, Arc::new(SystemClock)).await
}

/// The server with its own address as issuer (`http://<host>:<port>`), so what discovery
/// names resolves: for guards, client libraries and browsers that follow its URLs. `host`
/// is `127.0.0.1`, or `localhost` where a domain is needed (WebAuthn).
pub async fn spawn_app_at_own_address(host: &str, clock: Arc<dyn Clock>) -> TestApp {
    spawn_app_at_own_address_with(host, clock, |_| {}).await
}

/// [`spawn_app_at_own_address`] with settings adjusted (features…).
pub async fn spawn_app_at_own_address_with(
    host: &str,
    clock: Arc<dyn Clock>,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    let port = super::stubs::free_port();
    settings.bind = ([127, 0, 0, 1], port).into();
    settings.issuer = format!("http://{host}:{port}");
    adjust(&mut settings);
    spawn_app_with(db, settings, clock).await
}

/// Starts the server with explicit settings (from `db.settings()`, adjusted) and clock.
pub async fn spawn_app_with(db: TestDb, settings: Settings, clock: Arc<dyn Clock>) -> TestApp {
    // `PORTCULLIS_TEST_LOG=debug cargo test …` shows the servers' logs. The subscriber is
    // installed either way: spans carry the trace ids that audit rows and outgoing
    // requests take.
    telemetry::init(
        &portcullis::config::LogSettings {
            format: portcullis::config::LogFormat::Human,
            level: std::env::var("PORTCULLIS_TEST_LOG").unwrap_or_else(|_| "off".into()),
        },
        &Default::default(),
    );
    let app = Application::build_with_clock(settings, clock)
        .await
        .expect("build app");
    let address = app.address();
    let metrics_address = app.metrics_address();
    let state = app.state().clone();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address,
        metrics_address,
        db,
        http: awc::Client::default(),
        state,
    }
}

/// An answer from the server.
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
    /// The body as JSON (`Null` when it is not JSON).
    pub body: Value,
}

impl Response {
    pub async fn read<S>(mut res: awc::ClientResponse<S>) -> Self
    where
        S: futures_core::Stream<Item = Result<web::Bytes, awc::error::PayloadError>> + Unpin,
    {
        let bytes = res.body().limit(1 << 20).await.expect("body").to_vec();
        Self {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            bytes,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// A string member of the JSON body.
    pub fn str(&self, member: &str) -> String {
        self.body[member]
            .as_str()
            .unwrap_or_else(|| panic!("no {member} in {}", self.body))
            .to_string()
    }

    /// The access token of a successful token response.
    pub fn token(&self) -> &str {
        assert_eq!(self.status, 200, "{}", self.body);
        self.body["access_token"].as_str().expect("access_token")
    }

    /// Asserts an RFC 6749 §5.2 error: status, code, uncached JSON, a description in the
    /// allowed character set, and a Basic challenge for `invalid_client`.
    pub fn assert_oauth_error(&self, status: u16, error: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.body["error"], error, "{}", self.body);
        assert_eq!(self.header("cache-control"), Some("no-store"));
        assert_eq!(self.header("pragma"), Some("no-cache"));
        assert!(
            self.header("content-type")
                .unwrap()
                .starts_with("application/json")
        );
        let desc = self.body["error_description"].as_str().unwrap_or("");
        assert!(
            desc.bytes().all(|b| b == 0x20
                || b == 0x21
                || (0x23..=0x5B).contains(&b)
                || (0x5D..=0x7E).contains(&b)),
            "error_description charset: {desc}"
        );
        if error == "invalid_client" {
            assert!(
                self.header("www-authenticate")
                    .unwrap()
                    .starts_with("Basic")
            );
        }
    }

    /// Asserts `Cache-Control: no-store`, which token-like answers must carry.
    pub fn assert_no_store(&self, what: &str) {
        assert_eq!(self.header("cache-control"), Some("no-store"), "{what}");
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// `Authorization: Basic` with form-url-encoded id and secret (RFC 6749 §2.3.1).
pub fn basic_auth(id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let creds = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("{}:{}", enc(id), enc(secret)),
    );
    format!("Basic {creds}")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    /// Runs the CLI against this app's database and key directory.
    pub fn cli(&self) -> Cli {
        self.db.cli().env(
            "PORTCULLIS_KEYS__DIRECTORY",
            self.db.dir.path().join("keys").to_str().unwrap(),
        )
    }

    /// A cookie-keeping user agent on this app.
    pub fn browser(&self) -> Browser<'_> {
        Browser::new(self)
    }

    // ---- raw requests: the escape hatch for malformed or unusual requests ----

    pub async fn get(&self, path: &str) -> Response {
        self.get_with(path, &[]).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        let mut req = self.http.get(self.url(path));
        for h in headers {
            req = req.insert_header(*h);
        }
        Response::read(req.send().await.expect("request")).await
    }

    /// Any method, no body, redirects not followed (the gateways' forward-auth
    /// subrequests).
    pub async fn send_with(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
        let method = actix_web::http::Method::from_bytes(method.as_bytes()).expect("method");
        let http = awc::Client::builder().disable_redirects().finish();
        let mut req = http.request(method, self.url(path));
        for h in headers {
            req = req.insert_header(*h);
        }
        Response::read(req.send().await.expect("request")).await
    }

    /// The status of a GET, without reading the body (a stream never ends it).
    pub async fn status_of(&self, path: &str) -> u16 {
        let res = self.http.get(self.url(path)).send().await.expect("request");
        res.status().as_u16()
    }

    pub async fn head(&self, path: &str) -> Response {
        let res = self
            .http
            .head(self.url(path))
            .send()
            .await
            .expect("request");
        Response::read(res).await
    }

    /// A CORS preflight from a browser page on another origin.
    pub async fn preflight(&self, path: &str, method: &str) -> Response {
        let res = self
            .http
            .request(actix_web::http::Method::OPTIONS, self.url(path))
            .insert_header(("Origin", "https://spa.example"))
            .insert_header(("Access-Control-Request-Method", method))
            .send()
            .await
            .expect("request");
        Response::read(res).await
    }

    /// POSTs a form, with HTTP Basic credentials when given.
    pub async fn post_form(
        &self,
        path: &str,
        pairs: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> Response {
        self.post_raw(
            path,
            form(pairs),
            basic,
            "application/x-www-form-urlencoded",
        )
        .await
    }

    /// POSTs a form with extra headers (`DPoP`…), and HTTP Basic credentials when given.
    pub async fn post_form_with(
        &self,
        path: &str,
        pairs: &[(&str, &str)],
        basic: Option<(&str, &str)>,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut req = self
            .http
            .post(self.url(path))
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"));
        if let Some((id, secret)) = basic {
            req = req.insert_header(("Authorization", basic_auth(id, secret)));
        }
        for (name, value) in headers {
            req = req.append_header((*name, *value));
        }
        Response::read(req.send_body(form(pairs)).await.expect("request")).await
    }

    pub async fn post_raw(
        &self,
        path: &str,
        body: String,
        basic: Option<(&str, &str)>,
        content_type: &str,
    ) -> Response {
        let mut req = self
            .http
            .post(self.url(path))
            .insert_header(("Content-Type", content_type));
        if let Some((id, secret)) = basic {
            req = req.insert_header(("Authorization", basic_auth(id, secret)));
        }
        Response::read(req.send_body(body).await.expect("request")).await
    }

    // ---- one method per endpoint ----

    pub async fn healthz(&self) -> Response {
        self.get("/healthz").await
    }

    pub async fn readyz(&self) -> Response {
        self.get("/readyz").await
    }

    /// `GET /authorize` without cookies (no session): error pages and error redirects.
    pub async fn authorize(&self, pairs: &[(&str, &str)]) -> Response {
        let res = awc::Client::builder()
            .disable_redirects()
            .finish()
            .get(self.url(&format!("/authorize?{}", form(pairs))))
            .send()
            .await
            .expect("request");
        Response::read(res).await
    }

    /// `POST /login` with a hand-made form (no cookies); `Browser::login` signs in.
    pub async fn login(&self, pairs: &[(&str, &str)]) -> Response {
        self.post_form("/login", pairs, None).await
    }

    /// `POST /consent` with a hand-made form (no cookies); `Browser::consent` answers.
    pub async fn consent(&self, pairs: &[(&str, &str)]) -> Response {
        self.post_form("/consent", pairs, None).await
    }

    /// `GET /logout` without cookies; `Browser::logout` signs a browser out.
    pub async fn logout(&self, pairs: &[(&str, &str)]) -> Response {
        self.get(&format!("/logout?{}", form(pairs))).await
    }

    /// POSTs a form to /token, with HTTP Basic credentials when given.
    pub async fn token(&self, pairs: &[(&str, &str)], basic: Option<(&str, &str)>) -> Response {
        self.post_form("/token", pairs, basic).await
    }

    /// /token with any body and content type.
    pub async fn token_raw(
        &self,
        body: String,
        basic: Option<(&str, &str)>,
        content_type: &str,
    ) -> Response {
        self.post_raw("/token", body, basic, content_type).await
    }

    /// POSTs a form to a client-authenticated endpoint (`/par`, `/token`…).
    pub async fn token_endpoint_like(
        &self,
        path: &str,
        pairs: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> Response {
        self.post_form(path, pairs, basic).await
    }

    /// `grant_type=refresh_token` by a public client.
    pub async fn refresh(&self, refresh_token: &str, client_id: &str) -> Response {
        self.token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("client_id", client_id),
            ],
            None,
        )
        .await
    }

    /// `GET /userinfo` with a Bearer token.
    pub async fn userinfo(&self, token: &str) -> Response {
        self.get_with(
            "/userinfo",
            &[("Authorization", &format!("Bearer {token}"))],
        )
        .await
    }

    /// `POST /userinfo` with a Bearer token.
    pub async fn userinfo_post(&self, token: &str) -> Response {
        let res = self
            .http
            .post(self.url("/userinfo"))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .send()
            .await
            .expect("request");
        Response::read(res).await
    }

    /// `POST /userinfo` with the token as a form field.
    pub async fn userinfo_form(&self, token: &str) -> Response {
        self.post_form("/userinfo", &[("access_token", token)], None)
            .await
    }

    /// `POST /introspect`; every answer carries `Cache-Control: no-store`.
    pub async fn introspect(
        &self,
        pairs: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> Response {
        let res = self.post_form("/introspect", pairs, basic).await;
        res.assert_no_store("/introspect");
        res
    }

    /// What a resource server learns about `token` (a 200 answer's JSON).
    pub async fn introspect_token(&self, token: &str, resource_server: (&str, &str)) -> Value {
        let res = self
            .introspect(&[("token", token)], Some(resource_server))
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
        res.body
    }

    /// `POST /revoke`; every answer carries `Cache-Control: no-store`.
    pub async fn revoke(&self, pairs: &[(&str, &str)], basic: Option<(&str, &str)>) -> Response {
        let res = self.post_form("/revoke", pairs, basic).await;
        res.assert_no_store("/revoke");
        res
    }

    pub async fn jwks(&self) -> Response {
        self.get(JWKS).await
    }

    pub async fn openid_configuration(&self) -> Response {
        self.get(OPENID_CONFIGURATION).await
    }

    pub async fn authorization_server_metadata(&self) -> Response {
        self.get(AUTHORIZATION_SERVER_METADATA).await
    }

    /// The signed revocation list.
    pub async fn revocations(&self) -> Response {
        self.get("/revocations").await
    }

    /// The revocation feed as Server-Sent Events, open until dropped.
    pub async fn revocation_stream(&self) -> super::revocations::EventStream {
        let res = self
            .http
            .get(self.url("/revocations/stream"))
            .send()
            .await
            .expect("request");
        super::revocations::EventStream::new(res)
    }
}
