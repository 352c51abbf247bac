//! Typed settings: defaults, then an optional TOML file, then `PORTCULLIS_*` environment
//! variables (see [`load`]). Every value is checked at start-up, and a bad one stops the
//! process with a message that names the key and the problem.

mod admin;
mod client_ip_header;
mod database_url;
mod features;
mod ldap;
mod load;
mod look;
mod mfa;
mod sender_constraint;
mod validate;

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

pub use admin::{AdminSettings, RegistrationSettings, SmtpSettings};
pub use client_ip_header::ClientIpHeader;
pub use database_url::{DatabaseKind, DatabaseUrl};
pub use features::Features;
pub use ldap::LdapSettings;
pub use look::{BrandingSettings, I18nSettings, TemplatesSettings};
pub use mfa::{MfaPolicy, MfaSettings};
pub use sender_constraint::{DpopSettings, ParSettings};

use crate::domain::secret::Secret;
pub use load::{ConfigError, Loaded, load};
use validate::invalid;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The issuer identifier, used byte-for-byte in discovery, tokens and `iss` parameters.
    pub issuer: String,
    /// Address the HTTP server listens on; port 0 picks a free port.
    pub bind: SocketAddr,
    pub database: DatabaseSettings,
    pub log: LogSettings,
    pub passwords: PasswordSettings,
    pub keys: KeySettings,
    pub tokens: TokenSettings,
    pub cache: CacheSettings,
    pub sweep: SweepSettings,
    pub features: Features,
    pub http: HttpSettings,
    pub metrics: MetricsSettings,
    pub tracing: TracingSettings,
    pub forward_auth: ForwardAuthSettings,
    pub dpop: DpopSettings,
    pub par: ParSettings,
    pub mfa: MfaSettings,
    pub session: SessionSettings,
    pub admin: AdminSettings,
    pub registration: RegistrationSettings,
    pub smtp: SmtpSettings,
    pub branding: BrandingSettings,
    pub templates: TemplatesSettings,
    pub i18n: I18nSettings,
    pub ldap: LdapSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            issuer: "http://127.0.0.1:8080".into(),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database: DatabaseSettings::default(),
            log: LogSettings::default(),
            passwords: PasswordSettings::default(),
            keys: KeySettings::default(),
            tokens: TokenSettings::default(),
            cache: CacheSettings::default(),
            sweep: SweepSettings::default(),
            features: Features::default(),
            http: HttpSettings::default(),
            metrics: MetricsSettings::default(),
            tracing: TracingSettings::default(),
            forward_auth: ForwardAuthSettings::default(),
            dpop: DpopSettings::default(),
            par: ParSettings::default(),
            mfa: MfaSettings::default(),
            session: SessionSettings::default(),
            admin: AdminSettings::default(),
            registration: RegistrationSettings::default(),
            smtp: SmtpSettings::default(),
            branding: BrandingSettings::default(),
            templates: TemplatesSettings::default(),
            i18n: I18nSettings::default(),
            ldap: LdapSettings::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `sqlite://PATH` (or a plain path) or `postgres://…`; chosen at run time.
    pub url: DatabaseUrl,
    /// Most connections the pool opens.
    pub pool_size: u32,
    /// How long a request waits for a free connection (or a new one) before failing.
    pub connect_timeout_secs: u64,
    /// SQLite only: how long a writer waits for the lock before "database is locked".
    pub sqlite_busy_timeout_ms: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: DatabaseUrl::new("sqlite://data/portcullis.db"),
            pool_size: 16,
            connect_timeout_secs: 2,
            sqlite_busy_timeout_ms: 5000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    pub format: LogFormat,
    /// A `tracing` filter, e.g. `info` or `portcullis=debug,info`.
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Human,
            level: "info".into(),
        }
    }
}

/// argon2id parameters for user passwords. The defaults are OWASP's minimum
/// recommendation (19 MiB, 2 passes, 1 lane): about 27 ms per hash in release here.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordSettings {
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    /// Hashes computed at once; each holds `argon2_memory_kib` of memory, so this bounds RSS.
    pub max_concurrent_hashes: u32,
}

impl Default for PasswordSettings {
    fn default() -> Self {
        Self {
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            max_concurrent_hashes: std::thread::available_parallelism()
                .map(|n| n.get() as u32)
                .unwrap_or(2),
        }
    }
}

/// Signing keys: generation, sealing at rest, and the rotation schedule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeySettings {
    /// Base64 of 32 random bytes: the key-encryption key that seals private signing keys
    /// in the database. Every instance must share it. When unset, a key file in
    /// `directory` is used (created on first start).
    pub encryption_key: Option<Secret<String>>,
    /// Where the embedded setup keeps its key-encryption key file.
    pub directory: PathBuf,
    /// The signing algorithms (`RS256`, `PS256`, `ES256`, `EdDSA`): each has its own key
    /// and rotation, all are published in JWKS and advertised in discovery. The first is
    /// the default (ID tokens of clients that chose none, the revocation feed, status lists,
    /// logout tokens).
    pub algorithms: Vec<crate::domain::signing_alg::SigningAlg>,
    /// RSA modulus size for new RS256/PS256 signing keys: 2048, 3072 or 4096.
    pub rsa_bits: usize,
    /// How long a key signs before the next one takes over.
    pub rotation_period_secs: i64,
    /// How long a new key is published in JWKS before it signs. Must cover the JWKS cache
    /// lifetime plus the refresh interval, so every verifier has it before it is needed.
    pub prepublish_secs: i64,
    /// `Cache-Control: max-age` of JWKS and discovery.
    pub jwks_max_age_secs: i64,
    /// How often each instance reloads keys from the database and runs rotation.
    pub refresh_interval_secs: u64,
}

impl Default for KeySettings {
    fn default() -> Self {
        Self {
            encryption_key: None,
            directory: PathBuf::from("keys"),
            algorithms: vec![
                crate::domain::signing_alg::SigningAlg::Rs256,
                crate::domain::signing_alg::SigningAlg::Es256,
            ],
            rsa_bits: 2048,
            rotation_period_secs: 30 * 24 * 3600,
            prepublish_secs: 24 * 3600,
            jwks_max_age_secs: 3600,
            refresh_interval_secs: 60,
        }
    }
}

/// Token lifetimes. A retired signing key stays published for the longest of them plus
/// the clock-skew allowance, so every token it signed can be verified until it expires.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenSettings {
    /// What signs access tokens of clients that chose no algorithm; RS256 by default so
    /// resource servers that know only RS256 keep working. Must be in `keys.algorithms`.
    pub access_token_alg: crate::domain::signing_alg::SigningAlg,
    pub access_token_ttl_secs: i64,
    pub id_token_ttl_secs: i64,
    /// Tolerance for clocks of other parties (resource servers, clients).
    pub clock_skew_secs: i64,
    /// A refresh token unused for this long expires (each rotation restarts the clock).
    pub refresh_token_idle_secs: i64,
    /// A refresh-token family ends this long after the login that started it.
    pub refresh_token_absolute_secs: i64,
    /// How long an SSO session lasts after sign-in.
    pub session_ttl_secs: i64,
    /// How long a link sent by mail (password reset, verification, invitation) works.
    pub link_ttl_secs: i64,
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            access_token_alg: crate::domain::signing_alg::SigningAlg::Rs256,
            access_token_ttl_secs: 600,
            id_token_ttl_secs: 600,
            clock_skew_secs: 60,
            refresh_token_idle_secs: 14 * 24 * 3600,
            refresh_token_absolute_secs: 30 * 24 * 3600,
            session_ttl_secs: 8 * 3600,
            link_ttl_secs: 1800,
        }
    }
}

/// In-memory caches of database tables (clients).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheSettings {
    /// How often each instance checks whether cached tables changed.
    pub poll_interval_ms: u64,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            poll_interval_ms: 1000,
        }
    }
}

/// Expiry sweeps (deleting rows that no longer matter).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SweepSettings {
    pub interval_secs: u64,
    /// Rows per delete statement: bounds how long each statement holds its locks.
    pub batch_size: i64,
    pub audit_retention_days: i64,
}

impl Default for SweepSettings {
    fn default() -> Self {
        Self {
            interval_secs: 60,
            batch_size: 1000,
            audit_retention_days: 90,
        }
    }
}

/// Prometheus metrics, on a listener of their own so they are never public by accident.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSettings {
    /// Where `/metrics` is served, e.g. `127.0.0.1:9464`; unset: no metrics listener.
    pub bind: Option<SocketAddr>,
}

/// Gateways asking us whether a request may pass (`forward_auth`): what a route may
/// require, and the browser mode's session cookie and return addresses.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ForwardAuthSettings {
    /// Set (e.g. `.example.com`): the SSO cookie is issued for this domain, so the apps'
    /// hosts under it can be checked against the browser's session (session mode).
    pub session_cookie_domain: Option<String>,
    /// Where the sign-in page may send the browser back to (`rd`): exact hosts
    /// (`app.example.com`, `app.example.com:8443`) or `*.example.com`.
    pub allowed_redirect_hosts: Vec<String>,
    /// The policy applied when a request names none (must be one of `policies`).
    pub default_policy: Option<String>,
    /// Which gateway asks (`nginx`, `caddy`, `traefik`, `envoy`): only its headers describe
    /// the original request, and only when they come from `http.trusted_proxies`. Unset:
    /// every gateway's headers are looked for, which lets a client behind Caddy or
    /// Traefik (they pass client headers on) name another request with nginx's.
    pub gateway: Option<GatewayKind>,
    /// The audience a token must have on a route that names none (no `audience=` and no
    /// policy with one). Unset: such a route accepts no token at all, only sessions.
    pub default_audience: Option<String>,
    /// Named requirements (`[forward_auth.policies.<name>]`), for gateways that cannot put
    /// them in the auth URL's query (Envoy names one in the path).
    pub policies: std::collections::BTreeMap<String, PolicySettings>,
}

/// What a signed-in session may do without proving itself again.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionSettings {
    /// Sensitive changes (adding a passkey or an authenticator app, changing the email
    /// address, new recovery codes, removing the last second factor, every admin-console
    /// write) need a password or second factor entered within this many seconds ("sudo
    /// mode"); an older session is asked to sign in again first.
    pub reauthenticate_after_secs: i64,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            reauthenticate_after_secs: 600,
        }
    }
}

/// The gateways whose forward-auth requests we read (`forward_auth.gateway`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GatewayKind {
    /// `auth_request`: `X-Original-URL`, `X-Original-URI`, `X-Original-Method`.
    Nginx,
    /// `forward_auth`: `X-Forwarded-Method`, `-Proto`, `-Host`, `-Uri`.
    Caddy,
    /// `forwardAuth`: the same `X-Forwarded-*` headers as Caddy.
    Traefik,
    /// `ext_authz`: the method, `Host` and the path after our prefix.
    Envoy,
}

/// What a route requires of a token: any of `audience`, all of `scope`, any of `role`;
/// a sign-in of at least level `acr` (`"2"`, `"3"`) no more than `max_age` seconds ago.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct PolicySettings {
    pub audience: Vec<String>,
    pub scope: Vec<String>,
    pub role: Vec<String>,
    pub acr: Option<String>,
    pub max_age: Option<i64>,
}

/// Distributed tracing: W3C trace context is always honoured; spans are exported over
/// OTLP/HTTP only when an endpoint is set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TracingSettings {
    /// The collector's OTLP/HTTP base URL, e.g. `http://127.0.0.1:4318` (spans are POSTed
    /// to `<url>/v1/traces`); unset: no exporter.
    pub otlp_endpoint: Option<String>,
    /// `service.name` of the exported spans.
    pub service_name: String,
}

impl Default for TracingSettings {
    fn default() -> Self {
        Self {
            otlp_endpoint: None,
            service_name: "portcullis".into(),
        }
    }
}

/// How the server sits in the network.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSettings {
    /// Proxies (CIDR ranges or addresses) whose `client_ip_header` is believed for the
    /// client's address (throttling, audit). Empty: the TCP peer is the client.
    pub trusted_proxies: Vec<String>,
    /// The one header the proxy in front writes the client's address into:
    /// `x-forwarded-for`, `forwarded` or `x-real-ip`. Unset (the default): no header is
    /// read and the TCP peer is the client. Read only from a peer in `trusted_proxies`,
    /// from the right, past the trusted hops (DESIGN.md decision 23).
    pub client_ip_header: Option<ClientIpHeader>,
    /// Let outgoing requests (client `jwks_uri`, back-channel logout) reach loopback,
    /// private and other special-use addresses: for tests and internal deployments only.
    pub allow_private_destinations: bool,
    /// The whole of one outgoing request, connection to last byte.
    pub outbound_deadline_secs: u64,
    /// The largest answer an outgoing request reads.
    pub outbound_max_bytes: usize,
    /// How long a request's body may take to arrive, from the request's start; past it
    /// the request is refused and the connection closed.
    pub body_timeout_secs: u64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            trusted_proxies: Vec::new(),
            client_ip_header: None,
            allow_private_destinations: false,
            outbound_deadline_secs: 5,
            outbound_max_bytes: 512 * 1024,
            body_timeout_secs: 10,
        }
    }
}

impl HttpSettings {
    /// The parsed ranges (checked at start-up, so none is dropped here).
    pub fn trusted_proxy_ranges(&self) -> Vec<crate::domain::cidr::Cidr> {
        self.trusted_proxies
            .iter()
            .filter_map(|c| crate::domain::cidr::Cidr::parse(c).ok())
            .collect()
    }
}

impl TokenSettings {
    /// How long after its last signature a key must stay published.
    pub fn signature_lifetime(&self) -> i64 {
        self.access_token_ttl_secs.max(self.id_token_ttl_secs) + self.clock_skew_secs
    }
}

#[cfg(test)]
mod tests {
    use super::validate::validate_issuer;
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let warnings = Settings::default().validate().unwrap();
        assert_eq!(warnings.len(), 1, "loopback http issuer warns");
    }

    #[test]
    fn issuer_rules() {
        assert!(validate_issuer("https://id.example.com").unwrap().is_none());
        assert!(
            validate_issuer("https://id.example.com/tenant")
                .unwrap()
                .is_none()
        );
        assert!(validate_issuer("http://localhost:8080").unwrap().is_some());
        for bad in [
            "https://id.exa\tmple.com",
            "https://id.example.com\n",
            " https://id.example.com",
            "http://id.example.com",
            "https://id.example.com/",
            "https://id.example.com?x=1",
            "https://id.example.com#f",
            "ftp://id.example.com",
            "id.example.com",
            "https://id.example.com/\u{202e}moc",
            "https://id.example\u{200b}.com",
            "https://id.example.com/\"x",
            "https://id.example.com/<x>",
            "https://bücher.example",
            "https://u:p@id.example.com",
        ] {
            let err = validate_issuer(bad).unwrap_err().to_string();
            assert!(err.contains("issuer"), "{bad}: {err}");
        }
    }
}
