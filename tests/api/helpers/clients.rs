//! `ClientBuilder`: registers a client through the real CLI (`portcullis client create`), so
//! tests say what kind of client they need instead of spelling out arguments.

use std::path::PathBuf;

use super::app::TestApp;
use super::cli::Cli;

/// A registered client.
#[derive(Clone, Debug)]
pub struct Client {
    pub id: String,
    /// `None` for public clients and `private_key_jwt` clients.
    pub secret: Option<String>,
}

impl Client {
    pub fn secret(&self) -> &str {
        self.secret
            .as_deref()
            .unwrap_or_else(|| panic!("client {} has no secret", self.id))
    }

    /// HTTP Basic credentials (`client_secret_basic`).
    pub fn basic(&self) -> Option<(&str, &str)> {
        Some((self.id.as_str(), self.secret()))
    }
}

#[must_use = "a client is registered by `create()`"]
pub struct ClientBuilder<'a> {
    cli: Cli,
    /// Refreshed after creation, so the client works at once.
    app: Option<&'a TestApp>,
    id: String,
    name: Option<String>,
    public: bool,
    grants: Vec<String>,
    redirect_uris: Vec<String>,
    scopes: Vec<String>,
    audience: Option<String>,
    allowed_audiences: Vec<String>,
    auth_method: Option<String>,
    jwks_file: Option<PathBuf>,
    jwks_uri: Option<String>,
    post_logout_redirect_uris: Vec<String>,
    backchannel_logout_uri: Option<String>,
    skip_consent: bool,
    introspect: bool,
    /// Further `client create` arguments (`--require-dpop`, `--profile fapi2`…).
    extra: Vec<String>,
}

impl Cli {
    /// A client to register with this CLI; `id` is also its default name.
    pub fn client(&self, id: &str) -> ClientBuilder<'static> {
        ClientBuilder {
            cli: self.clone(),
            app: None,
            id: id.to_string(),
            name: None,
            public: false,
            grants: Vec::new(),
            redirect_uris: Vec::new(),
            scopes: Vec::new(),
            audience: None,
            allowed_audiences: Vec::new(),
            auth_method: None,
            jwks_file: None,
            jwks_uri: None,
            post_logout_redirect_uris: Vec::new(),
            backchannel_logout_uri: None,
            skip_consent: false,
            introspect: false,
            extra: Vec::new(),
        }
    }
}

impl TestApp {
    /// A client to register; the running server knows it as soon as `create()` returns.
    pub fn client(&self, id: &str) -> ClientBuilder<'_> {
        ClientBuilder {
            app: Some(self),
            ..self.cli().client(id)
        }
    }

    /// `portcullis client rotate-secret`: the new secret. The server notices by itself.
    pub fn rotate_client_secret(&self, id: &str) -> String {
        self.cli().rotate_client_secret(id)
    }

    /// `spa`: a public, first-party browser client (no consent page) at `SPA_CB`, the
    /// client of `spa_request`.
    pub async fn first_party_spa(&self) {
        self.client("spa")
            .public()
            .grant("authorization_code")
            .redirect_uri(super::flow::SPA_CB)
            .skip_consent()
            .create()
            .await;
    }

    /// `portcullis client rotate-secret --revoke-tokens`: the new secret.
    pub fn rotate_client_secret_revoking_tokens(&self, id: &str) -> String {
        self.cli()
            .run(&["client", "rotate-secret", id, "--revoke-tokens", "--json"])
            .ok()
            .json()["client_secret"]
            .as_str()
            .expect("client_secret")
            .to_string()
    }

    /// `portcullis client delete`.
    pub fn delete_client(&self, id: &str) {
        self.cli().run(&["client", "delete", id]).ok();
    }
}

impl Cli {
    pub fn rotate_client_secret(&self, id: &str) -> String {
        self.run(&["client", "rotate-secret", id, "--json"])
            .ok()
            .json()["client_secret"]
            .as_str()
            .expect("client_secret")
            .to_string()
    }
}

impl ClientBuilder<'_> {
    /// The display name shown on the sign-in and consent pages (default: the id).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }

    /// With a secret (the default); reads better next to `public()`.
    pub fn confidential(mut self) -> Self {
        self.public = false;
        self
    }

    /// No secret, PKCE required.
    pub fn public(mut self) -> Self {
        self.public = true;
        self
    }

    pub fn grant(mut self, grant: &str) -> Self {
        self.grants.push(grant.into());
        self
    }

    pub fn redirect_uri(mut self, uri: &str) -> Self {
        self.redirect_uris.push(uri.into());
        self
    }

    /// Allowed scopes, space-separated.
    pub fn scope(mut self, scope: &str) -> Self {
        self.scopes
            .extend(scope.split_whitespace().map(str::to_string));
        self
    }

    pub fn audience(mut self, audience: &str) -> Self {
        self.audience = Some(audience.into());
        self
    }

    pub fn allowed_audience(mut self, audience: &str) -> Self {
        self.allowed_audiences.push(audience.into());
        self
    }

    pub fn auth_method(mut self, method: &str) -> Self {
        self.auth_method = Some(method.into());
        self
    }

    /// `private_key_jwt` with the public JWK set in a file.
    pub fn jwks_file(mut self, path: PathBuf) -> Self {
        self.jwks_file = Some(path);
        self
    }

    /// `private_key_jwt` with the public JWK set fetched from a URL.
    pub fn jwks_uri(mut self, uri: &str) -> Self {
        self.jwks_uri = Some(uri.into());
        self
    }

    pub fn post_logout_redirect_uri(mut self, uri: &str) -> Self {
        self.post_logout_redirect_uris.push(uri.into());
        self
    }

    pub fn backchannel_logout_uri(mut self, uri: &str) -> Self {
        self.backchannel_logout_uri = Some(uri.into());
        self
    }

    /// A first-party client: users are never asked for consent.
    pub fn skip_consent(mut self) -> Self {
        self.skip_consent = true;
        self
    }

    /// A resource server: may introspect any token.
    pub fn introspect(mut self) -> Self {
        self.introspect = true;
        self
    }

    /// Any further `client create` arguments, e.g. `["--require-dpop"]`.
    pub fn args_also(mut self, args: &[&str]) -> Self {
        self.extra.extend(args.iter().map(|a| a.to_string()));
        self
    }

    fn args(&self) -> Vec<String> {
        let mut args: Vec<String> = ["client", "create", "--json", "--id", &self.id, "--name"]
            .map(String::from)
            .into();
        args.push(self.name.clone().unwrap_or_else(|| self.id.clone()));
        let mut many = |flag: &str, values: &[String]| {
            if !values.is_empty() {
                args.push(flag.into());
                args.extend(values.iter().cloned());
            }
        };
        many("--grant-type", &self.grants);
        many("--redirect-uri", &self.redirect_uris);
        many("--scope", &self.scopes);
        many("--allowed-audience", &self.allowed_audiences);
        many(
            "--post-logout-redirect-uri",
            &self.post_logout_redirect_uris,
        );
        let jwks = self.jwks_file.as_ref().map(|p| p.display().to_string());
        for (flag, value) in [
            ("--audience", &self.audience),
            ("--auth-method", &self.auth_method),
            ("--jwks", &jwks),
            ("--jwks-uri", &self.jwks_uri),
            ("--backchannel-logout-uri", &self.backchannel_logout_uri),
        ] {
            if let Some(v) = value {
                args.push(flag.into());
                args.push(v.clone());
            }
        }
        for (flag, on) in [
            ("--public", self.public),
            ("--skip-consent", self.skip_consent),
            ("--introspect", self.introspect),
        ] {
            if on {
                args.push(flag.into());
            }
        }
        args.extend(self.extra.iter().cloned());
        args
    }

    /// Registers the client through the CLI; the CLI's error output when it refuses.
    pub fn try_create(self) -> Result<Client, String> {
        let args = self.args();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.cli.run(&args);
        if out.status != 0 {
            return Err(out.stderr);
        }
        let created = out.json();
        Ok(Client {
            id: self.id,
            secret: created["client_secret"].as_str().map(str::to_string),
        })
    }

    pub async fn create(self) -> Client {
        let args = self.args();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let created = self.cli.run(&args).ok().json();
        if let Some(app) = self.app {
            app.state
                .clients
                .refresh()
                .await
                .expect("refresh client cache");
        }
        Client {
            id: self.id,
            secret: created["client_secret"].as_str().map(str::to_string),
        }
    }
}
