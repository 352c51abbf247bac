//! Layering: defaults → TOML file → `PORTCULLIS_*` environment.
//!
//! Environment names: `PORTCULLIS_<KEY>` for top-level keys (`PORTCULLIS_ISSUER`,
//! `PORTCULLIS_BIND`), `PORTCULLIS_<SECTION>__<KEY>` for the rest
//! (`PORTCULLIS_DATABASE__POOL_SIZE`), plus the aliases in [`ALIASES`].

use std::path::{Path, PathBuf};

use toml::{Table, Value};

use super::Settings;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("invalid configuration: `{key}` {message}")]
    Invalid { key: String, message: String },
    #[error("invalid environment variable {var}: {message}")]
    Env { var: String, message: String },
}

/// Settings plus the warnings found while loading them, which the caller logs once
/// logging is set up (the log settings are among the settings).
#[derive(Debug)]
pub struct Loaded {
    pub settings: Settings,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Str,
    Int,
    Bool,
    /// Comma-separated in the environment.
    List,
}

/// Every settable key and how an environment string converts to it. A unit test checks
/// this list against the `Settings` structs, so it cannot drift.
const KEYS: &[(&str, Kind)] = &[
    ("issuer", Kind::Str),
    ("bind", Kind::Str),
    ("database.url", Kind::Str),
    ("database.pool_size", Kind::Int),
    ("database.connect_timeout_secs", Kind::Int),
    ("database.sqlite_busy_timeout_ms", Kind::Int),
    ("log.format", Kind::Str),
    ("log.level", Kind::Str),
    ("passwords.argon2_memory_kib", Kind::Int),
    ("passwords.argon2_iterations", Kind::Int),
    ("passwords.argon2_parallelism", Kind::Int),
    ("passwords.max_concurrent_hashes", Kind::Int),
    ("keys.encryption_key", Kind::Str),
    ("keys.directory", Kind::Str),
    ("keys.algorithms", Kind::List),
    ("keys.rsa_bits", Kind::Int),
    ("keys.rotation_period_secs", Kind::Int),
    ("keys.prepublish_secs", Kind::Int),
    ("keys.jwks_max_age_secs", Kind::Int),
    ("keys.refresh_interval_secs", Kind::Int),
    ("tokens.access_token_alg", Kind::Str),
    ("tokens.access_token_ttl_secs", Kind::Int),
    ("tokens.id_token_ttl_secs", Kind::Int),
    ("tokens.clock_skew_secs", Kind::Int),
    ("tokens.refresh_token_idle_secs", Kind::Int),
    ("tokens.refresh_token_absolute_secs", Kind::Int),
    ("tokens.session_ttl_secs", Kind::Int),
    ("tokens.link_ttl_secs", Kind::Int),
    ("cache.poll_interval_ms", Kind::Int),
    ("sweep.interval_secs", Kind::Int),
    ("sweep.batch_size", Kind::Int),
    ("sweep.audit_retention_days", Kind::Int),
    ("features.revocation_feed", Kind::Bool),
    ("features.introspection", Kind::Bool),
    ("features.forward_auth", Kind::Bool),
    ("features.token_exchange", Kind::Bool),
    ("features.device_authorization", Kind::Bool),
    ("features.admin_api", Kind::Bool),
    ("features.admin_console", Kind::Bool),
    ("features.registration", Kind::Bool),
    ("admin.require_mfa", Kind::Bool),
    ("registration.open", Kind::Bool),
    ("registration.self_service", Kind::Bool),
    ("registration.allowed_email_domains", Kind::List),
    ("registration.rate_limit", Kind::Int),
    ("smtp.url", Kind::Str),
    ("smtp.from", Kind::Str),
    ("smtp.timeout_secs", Kind::Int),
    ("branding.product_name", Kind::Str),
    ("branding.logo", Kind::Str),
    ("branding.primary_color", Kind::Str),
    ("branding.css", Kind::Str),
    ("templates.directory", Kind::Str),
    ("i18n.default_locale", Kind::Str),
    ("ldap.url", Kind::Str),
    ("ldap.starttls", Kind::Bool),
    ("ldap.bind_dn", Kind::Str),
    ("ldap.bind_password", Kind::Str),
    ("ldap.user_base", Kind::Str),
    ("ldap.user_filter", Kind::Str),
    ("ldap.username_attribute", Kind::Str),
    ("ldap.email_attribute", Kind::Str),
    ("ldap.name_attribute", Kind::Str),
    ("ldap.group_base", Kind::Str),
    ("ldap.group_filter", Kind::Str),
    ("ldap.group_name_attribute", Kind::Str),
    ("ldap.group_roles", Kind::List),
    ("ldap.timeout_secs", Kind::Int),
    ("ldap.ca_file", Kind::Str),
    ("forward_auth.session_cookie_domain", Kind::Str),
    ("forward_auth.allowed_redirect_hosts", Kind::List),
    ("forward_auth.default_audience", Kind::Str),
    ("forward_auth.gateway", Kind::Str),
    ("http.trusted_proxies", Kind::List),
    ("http.client_ip_header", Kind::Str),
    ("http.allow_private_destinations", Kind::Bool),
    ("http.outbound_deadline_secs", Kind::Int),
    ("http.outbound_max_bytes", Kind::Int),
    ("http.body_timeout_secs", Kind::Int),
    ("dpop.require_nonce", Kind::Bool),
    ("dpop.proof_max_age_secs", Kind::Int),
    ("dpop.proof_leeway_secs", Kind::Int),
    ("par.required", Kind::Bool),
    ("par.request_uri_ttl_secs", Kind::Int),
    ("mfa.policy", Kind::Str),
    ("session.reauthenticate_after_secs", Kind::Int),
    ("metrics.bind", Kind::Str),
    ("tracing.otlp_endpoint", Kind::Str),
    ("tracing.service_name", Kind::Str),
];

/// Short names operators expect from other servers (`DATABASE_URL`) and that the
/// documentation promises.
const ALIASES: &[(&str, &str)] = &[
    ("DATABASE_URL", "database.url"),
    ("LOG_FORMAT", "log.format"),
    ("LOG_LEVEL", "log.level"),
];

/// Variables with our prefix that are not settings: the config path itself and the test
/// harness's switches.
fn is_reserved(var: &str) -> bool {
    var == "PORTCULLIS_CONFIG" || var.starts_with("PORTCULLIS_TEST_")
}

/// Loads settings from an optional TOML file and the given environment (normally
/// `std::env::vars()`; tests pass their own).
pub fn load(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Loaded, ConfigError> {
    let mut table = match file {
        Some(path) => read_file(path)?,
        None => Table::new(),
    };
    let mut warnings = Vec::new();
    let mut vars: Vec<(String, String)> = env
        .into_iter()
        .filter(|(k, _)| k.starts_with("PORTCULLIS_") && !is_reserved(k))
        .collect();
    vars.sort();
    for (var, raw) in vars {
        match env_key(&var) {
            Some((key, kind)) => {
                let value = convert(&var, &raw, kind)?;
                set(&mut table, key, value);
            }
            None => warnings.push(format!("ignoring unknown environment variable {var}")),
        }
    }
    let settings: Settings =
        serde_path_to_error::deserialize(Value::Table(table)).map_err(|e| {
            let key = e.path().to_string();
            ConfigError::Invalid {
                key: if key == "." {
                    "(top level)".into()
                } else {
                    key
                },
                message: e.into_inner().to_string(),
            }
        })?;
    warnings.extend(settings.validate()?);
    Ok(Loaded { settings, warnings })
}

fn read_file(path: &Path) -> Result<Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    text.parse::<Table>().map_err(|e| ConfigError::Syntax {
        path: path.to_path_buf(),
        message: syntax_message(&text, &e),
    })
}

/// Where and what, never the offending text: the line may hold a secret
/// (`encryption_key = "…`).
fn syntax_message(text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {column}: {}", e.message())
        }
        None => e.message().to_string(),
    }
}

fn env_key(var: &str) -> Option<(&'static str, Kind)> {
    let suffix = var.strip_prefix("PORTCULLIS_")?;
    let wanted = ALIASES
        .iter()
        .find(|(alias, _)| *alias == suffix)
        .map(|(_, key)| key.to_string())
        .unwrap_or_else(|| suffix.to_ascii_lowercase().replacen("__", ".", 1));
    KEYS.iter()
        .find(|(key, _)| *key == wanted)
        .map(|(key, kind)| (*key, *kind))
}

fn convert(var: &str, raw: &str, kind: Kind) -> Result<Value, ConfigError> {
    match kind {
        Kind::Str => Ok(Value::String(raw.to_string())),
        Kind::Int => raw
            .trim()
            .parse::<i64>()
            .map(Value::Integer)
            .map_err(|_| ConfigError::Env {
                var: var.to_string(),
                message: format!("expected an integer, got `{raw}`"),
            }),
        Kind::List => Ok(Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_string()))
                .collect(),
        )),
        Kind::Bool => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(Value::Boolean(true)),
            "false" | "0" | "no" | "off" => Ok(Value::Boolean(false)),
            _ => Err(ConfigError::Env {
                var: var.to_string(),
                message: format!("expected true or false, got `{raw}`"),
            }),
        },
    }
}

fn set(table: &mut Table, dotted: &str, value: Value) {
    match dotted.split_once('.') {
        None => {
            table.insert(dotted.to_string(), value);
        }
        Some((section, key)) => {
            let entry = table
                .entry(section.to_string())
                .or_insert_with(|| Value::Table(Table::new()));
            if !entry.is_table() {
                *entry = Value::Table(Table::new());
            }
            if let Value::Table(inner) = entry {
                inner.insert(key.to_string(), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_syntax_error_names_the_line_but_never_echoes_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(
            &path,
            "issuer = \"https://id.example\"\n[keys]\nencryption_key = \"c2VjcmV0LXNlY3JldA==\n",
        )
        .unwrap();
        let e = load(Some(&path), Vec::new()).unwrap_err().to_string();
        assert!(e.contains("line 3"), "{e}");
        assert!(!e.contains("c2VjcmV0"), "{e}");
    }

    #[test]
    fn every_known_key_is_a_real_setting() {
        // Setting every key through the environment must deserialize: a typo in KEYS
        // would hit `deny_unknown_fields`.
        let vars: Vec<(String, String)> = KEYS
            .iter()
            .map(|(key, kind)| {
                let var = format!("PORTCULLIS_{}", key.replace('.', "__").to_uppercase());
                let value = match (key, kind) {
                    (&"issuer", _) => "https://id.example.com",
                    (&"http.outbound_max_bytes", _) => "65536",
                    (&"metrics.bind", _) => "127.0.0.1:0",
                    (&"tracing.otlp_endpoint", _) => "http://127.0.0.1:4318",
                    (&"forward_auth.session_cookie_domain", _) => ".example.com",
                    (&"forward_auth.allowed_redirect_hosts", _) => "app.example.com, *.example.com",
                    (&"bind", _) => "127.0.0.1:0",
                    (&"database.url", _) => "sqlite://x.db",
                    (&"log.format", _) => "json",
                    (&"log.level", _) => "debug",
                    (&"passwords.argon2_memory_kib", _) => "19456",
                    (&"keys.encryption_key", _) => "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                    (&"keys.rsa_bits", _) => "3072",
                    (&"keys.rotation_period_secs", _) => "100000",
                    (&"keys.prepublish_secs", _) => "4000",
                    (&"keys.jwks_max_age_secs", _) => "600",
                    (&"keys.refresh_interval_secs", _) => "10",
                    (&"cache.poll_interval_ms", _) => "500",
                    (&"keys.algorithms", _) => "ES256, RS256",
                    (&"tokens.access_token_alg", _) => "ES256",
                    (&"dpop.proof_max_age_secs", _) => "60",
                    (&"par.request_uri_ttl_secs", _) => "60",
                    (&"mfa.policy", _) => "required",
                    (&"tokens.refresh_token_idle_secs", _) => "3600",
                    (&"tokens.refresh_token_absolute_secs", _) => "7200",
                    (&"tokens.session_ttl_secs", _) => "3600",
                    (&"tokens.link_ttl_secs", _) => "1800",
                    (&"smtp.url", _) => "smtp://127.0.0.1:2525",
                    (&"smtp.from", _) => "Portcullis <id@example.com>",
                    (&"branding.primary_color", _) => "#1a4d8f",
                    (&"i18n.default_locale", _) => "de",
                    (&"registration.allowed_email_domains", _) => "example.com, example.org",
                    (&"ldap.url", _) => "ldap://127.0.0.1:389",
                    (&"ldap.user_filter", _) => "(uid={username})",
                    (&"ldap.group_filter", _) => "(member={dn})",
                    (&"ldap.group_roles", _) => "admins=admin, staff=staff",
                    (&"http.client_ip_header", _) => "x-forwarded-for",
                    (&"forward_auth.gateway", _) => "caddy",
                    (&"session.reauthenticate_after_secs", _) => "600",
                    (_, Kind::Int) => "2",
                    (_, Kind::Bool) => "false",
                    (_, Kind::List) => "10.0.0.0/8, 192.0.2.1",
                    (_, Kind::Str) => "x",
                };
                (var, value.to_string())
            })
            .collect();
        let loaded = load(None, vars).unwrap();
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        assert_eq!(loaded.settings.database.pool_size, 2);
    }

    #[test]
    fn environment_overrides_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(
            &path,
            "issuer = \"https://file.example\"\n[database]\npool_size = 3\n",
        )
        .unwrap();
        let loaded = load(
            Some(&path),
            env(&[
                ("PORTCULLIS_ISSUER", "https://env.example"),
                ("PORTCULLIS_DATABASE_URL", "postgres://u@h/db"),
            ]),
        )
        .unwrap();
        assert_eq!(loaded.settings.issuer, "https://env.example");
        assert_eq!(loaded.settings.database.pool_size, 3);
        assert_eq!(loaded.settings.database.url.expose(), "postgres://u@h/db");
    }

    #[test]
    fn unknown_variables_are_warned_about_not_fatal() {
        let loaded = load(
            None,
            env(&[
                ("PORTCULLIS_ISSUR", "x"),
                ("PORTCULLIS_TEST_REQUIRE_ALL", "1"),
                ("OTHER", "y"),
            ]),
        )
        .unwrap();
        assert_eq!(loaded.warnings.len(), 2, "{:?}", loaded.warnings);
        assert!(loaded.warnings[0].contains("PORTCULLIS_ISSUR"));
    }

    #[test]
    fn errors_name_the_key() {
        let e = load(None, env(&[("PORTCULLIS_DATABASE__POOL_SIZE", "many")])).unwrap_err();
        assert!(
            e.to_string().contains("PORTCULLIS_DATABASE__POOL_SIZE"),
            "{e}"
        );

        let e = load(None, env(&[("PORTCULLIS_BIND", "nowhere")])).unwrap_err();
        assert!(e.to_string().contains("`bind`"), "{e}");

        let e = load(None, env(&[("PORTCULLIS_LOG_FORMAT", "xml")])).unwrap_err();
        assert!(e.to_string().contains("`log.format`"), "{e}");

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(&path, "[database]\npool_sise = 3\n").unwrap();
        let e = load(Some(&path), env(&[])).unwrap_err();
        assert!(e.to_string().contains("pool_sise"), "{e}");
    }

    proptest::proptest! {
        #[test]
        fn any_environment_value_loads_or_names_the_variable(value in "\\PC{0,40}") {
            for var in ["PORTCULLIS_ISSUER", "PORTCULLIS_DATABASE__POOL_SIZE", "PORTCULLIS_FEATURES__INTROSPECTION", "PORTCULLIS_BIND"] {
                if let Err(e) = load(None, vec![(var.to_string(), value.clone())]) {
                    let text = e.to_string();
                    let named = text.contains(var) || text.contains("issuer") || text.contains("database") || text.contains("features") || text.contains("bind");
                    proptest::prop_assert!(named, "{text}");
                }
            }
        }

        #[test]
        fn any_config_file_loads_or_fails_without_echoing_it(text in "\\PC{0,120}") {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("c.toml");
            std::fs::write(&path, &text).unwrap();
            let _ = load(Some(&path), Vec::new());
        }
    }
}
