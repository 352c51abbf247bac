//! The checks serde's types cannot express: shapes, ranges and relations between keys.
//! Each error names the key and the problem.

use super::{ConfigError, Settings};

impl Settings {
    /// Checks what serde's types cannot: the issuer's shape, ranges, parameter sets.
    pub fn validate(&self) -> Result<Vec<String>, ConfigError> {
        let mut warnings = Vec::new();
        if let Some(w) = validate_issuer(&self.issuer)? {
            warnings.push(w);
        }
        self.database.url.kind()?;
        if !(1..=1000).contains(&self.database.pool_size) {
            return Err(invalid("database.pool_size", "must be between 1 and 1000"));
        }
        if self.database.connect_timeout_secs == 0 {
            return Err(invalid(
                "database.connect_timeout_secs",
                "must be at least 1",
            ));
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            return Err(invalid(
                "log.level",
                "is not a tracing filter (try `info` or `portcullis=debug`)",
            ));
        }
        let p = &self.passwords;
        if let Err(e) = argon2::Params::new(
            p.argon2_memory_kib,
            p.argon2_iterations,
            p.argon2_parallelism,
            None,
        ) {
            return Err(invalid(
                "passwords",
                &format!("invalid argon2 parameters: {e}"),
            ));
        }
        if p.max_concurrent_hashes == 0 {
            return Err(invalid(
                "passwords.max_concurrent_hashes",
                "must be at least 1",
            ));
        }
        if !(10..=60_000).contains(&self.cache.poll_interval_ms) {
            return Err(invalid(
                "cache.poll_interval_ms",
                "must be between 10 and 60000",
            ));
        }
        if self.sweep.interval_secs == 0 || !(1..=100_000).contains(&self.sweep.batch_size) {
            return Err(invalid(
                "sweep",
                "interval_secs must be at least 1 and batch_size between 1 and 100000",
            ));
        }
        if self.sweep.audit_retention_days < 1 {
            return Err(invalid("sweep.audit_retention_days", "must be at least 1"));
        }
        if !(10..=600).contains(&self.dpop.proof_max_age_secs) {
            return Err(invalid(
                "dpop.proof_max_age_secs",
                "must be between 10 and 600",
            ));
        }
        if !(0..=60).contains(&self.dpop.proof_leeway_secs) {
            return Err(invalid(
                "dpop.proof_leeway_secs",
                "must be between 0 and 60",
            ));
        }
        // RFC 9126 §2.2: short-lived; FAPI 2.0 expects under 600 s.
        if !(5..=600).contains(&self.par.request_uri_ttl_secs) {
            return Err(invalid(
                "par.request_uri_ttl_secs",
                "must be between 5 and 600",
            ));
        }
        self.validate_keys()?;
        self.validate_tokens()?;
        self.validate_http()?;
        validate_forward_auth(&self.issuer, &self.forward_auth)?;
        Ok(warnings)
    }

    fn validate_keys(&self) -> Result<(), ConfigError> {
        let k = &self.keys;
        if let Some(kek) = &k.encryption_key {
            crate::keys::sealed::Kek::from_base64(kek.expose()).map_err(|_| {
                invalid(
                    "keys.encryption_key",
                    &format!(
                        "must be 32 random bytes in base64, for example {}",
                        crate::keys::sealed::Kek::generate().to_base64().expose()
                    ),
                )
            })?;
        }
        if k.algorithms.is_empty() {
            return Err(invalid(
                "keys.algorithms",
                "name at least one of RS256, PS256, ES256, EdDSA",
            ));
        }
        if let Some(twice) = k
            .algorithms
            .iter()
            .enumerate()
            .find(|(i, a)| k.algorithms[..*i].contains(a))
        {
            return Err(invalid(
                "keys.algorithms",
                &format!("{} is listed twice", twice.1),
            ));
        }
        if !k.algorithms.contains(&self.tokens.access_token_alg) {
            return Err(invalid(
                "tokens.access_token_alg",
                &format!(
                    "{} is not in keys.algorithms ({})",
                    self.tokens.access_token_alg,
                    k.algorithms
                        .iter()
                        .map(|a| a.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            ));
        }
        if ![2048, 3072, 4096].contains(&k.rsa_bits) {
            return Err(invalid("keys.rsa_bits", "must be 2048, 3072 or 4096"));
        }
        if k.jwks_max_age_secs < 0 {
            return Err(invalid("keys.jwks_max_age_secs", "must not be negative"));
        }
        if k.refresh_interval_secs == 0 {
            return Err(invalid("keys.refresh_interval_secs", "must be at least 1"));
        }
        if k.prepublish_secs < k.jwks_max_age_secs + k.refresh_interval_secs as i64 {
            return Err(invalid(
                "keys.prepublish_secs",
                "must be at least keys.jwks_max_age_secs + keys.refresh_interval_secs, or \
                 verifiers could meet a token signed by a key missing from their cached JWKS",
            ));
        }
        if k.rotation_period_secs <= k.prepublish_secs {
            return Err(invalid(
                "keys.rotation_period_secs",
                "must be longer than keys.prepublish_secs",
            ));
        }
        Ok(())
    }

    fn validate_http(&self) -> Result<(), ConfigError> {
        if !(1..=60).contains(&self.http.outbound_deadline_secs) {
            return Err(invalid(
                "http.outbound_deadline_secs",
                "must be between 1 and 60 seconds",
            ));
        }
        if !(1024..=16 << 20).contains(&self.http.outbound_max_bytes) {
            return Err(invalid(
                "http.outbound_max_bytes",
                "must be between 1 KiB and 16 MiB",
            ));
        }
        for range in &self.http.trusted_proxies {
            crate::domain::cidr::Cidr::parse(range)
                .map_err(|e| invalid("http.trusted_proxies", &e))?;
        }
        if !(1..=3600).contains(&self.http.body_timeout_secs) {
            return Err(invalid(
                "http.body_timeout_secs",
                "must be between 1 and 3600",
            ));
        }
        if !(30..=86_400).contains(&self.session.reauthenticate_after_secs) {
            return Err(invalid(
                "session.reauthenticate_after_secs",
                "must be between 30 and 86400",
            ));
        }
        if self.registration.rate_limit < 1 {
            return Err(invalid(
                "registration.rate_limit",
                "must be at least 1 (registrations per source per hour)",
            ));
        }
        if self.http.client_ip_header.is_some() && self.http.trusted_proxies.is_empty() {
            return Err(invalid(
                "http.client_ip_header",
                "is read only from a proxy in http.trusted_proxies: name your proxy's address there too",
            ));
        }
        if let Some(endpoint) = &self.tracing.otlp_endpoint {
            let url = url::Url::parse(endpoint)
                .map_err(|e| invalid("tracing.otlp_endpoint", &format!("is not a URL ({e})")))?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(invalid(
                    "tracing.otlp_endpoint",
                    "must be an http(s) URL of an OTLP/HTTP collector, e.g. http://127.0.0.1:4318",
                ));
            }
            if !url.username().is_empty() || url.password().is_some() {
                return Err(invalid(
                    "tracing.otlp_endpoint",
                    "must not contain credentials",
                ));
            }
        }
        Ok(())
    }

    fn validate_tokens(&self) -> Result<(), ConfigError> {
        let t = &self.tokens;
        for (key, v) in [
            ("tokens.access_token_ttl_secs", t.access_token_ttl_secs),
            ("tokens.id_token_ttl_secs", t.id_token_ttl_secs),
        ] {
            if !(1..=86_400).contains(&v) {
                return Err(invalid(key, "must be between 1 and 86400 seconds"));
            }
        }
        for (key, v) in [
            ("tokens.refresh_token_idle_secs", t.refresh_token_idle_secs),
            (
                "tokens.refresh_token_absolute_secs",
                t.refresh_token_absolute_secs,
            ),
            ("tokens.session_ttl_secs", t.session_ttl_secs),
        ] {
            if !(60..=366 * 86_400).contains(&v) {
                return Err(invalid(key, "must be between 60 seconds and 366 days"));
            }
        }
        if !(300..=7 * 86_400).contains(&t.link_ttl_secs) {
            return Err(invalid(
                "tokens.link_ttl_secs",
                "must be between 300 seconds and 7 days",
            ));
        }
        super::look::validate(&self.branding, &self.i18n)?;
        self.ldap.validate()?;
        for d in &self.registration.allowed_email_domains {
            if !crate::session::signup::is_domain(d) {
                return Err(invalid(
                    "registration.allowed_email_domains",
                    &format!("`{d}` is not a domain name such as example.com"),
                ));
            }
        }
        if let Some(url) = &self.smtp.url {
            crate::mail::smtp::Relay::from_url(url.expose(), std::time::Duration::from_secs(1))
                .map_err(|e| invalid("smtp.url", &e.to_string()))?;
        }
        if self.smtp.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(invalid(
                "smtp.from",
                "must be an address such as `Portcullis <id@example.com>`",
            ));
        }
        if t.refresh_token_idle_secs > t.refresh_token_absolute_secs {
            return Err(invalid(
                "tokens.refresh_token_idle_secs",
                "must not exceed tokens.refresh_token_absolute_secs",
            ));
        }
        if !(0..=600).contains(&t.clock_skew_secs) {
            return Err(invalid(
                "tokens.clock_skew_secs",
                "must be between 0 and 600",
            ));
        }
        Ok(())
    }
}

pub(super) fn invalid(key: &str, message: &str) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_string(),
        message: message.to_string(),
    }
}

/// OpenID Connect Discovery §3 / RFC 8414 §2: the issuer is an `https` URL with no query or
/// fragment. Plain `http` is accepted only on loopback, for development, with a warning.
/// A trailing slash is refused because every endpoint URL is built by appending a path.
/// A cookie's `Domain` must cover the host that sets it (RFC 6265 §5.3 step 6), policy
/// names travel in URL paths, and the default policy must exist.
fn validate_forward_auth(issuer: &str, f: &super::ForwardAuthSettings) -> Result<(), ConfigError> {
    if let Some(domain) = &f.session_cookie_domain {
        let key = "forward_auth.session_cookie_domain";
        let bare = domain.strip_prefix('.').unwrap_or(domain);
        if bare.is_empty()
            || !bare
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
            || bare.starts_with('.')
            || bare.ends_with('.')
            || bare.contains("..")
        {
            return Err(invalid(
                key,
                "must be a lowercase domain name such as `.example.com`",
            ));
        }
        let host = url::Url::parse(issuer)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        if host != bare && !host.ends_with(&format!(".{bare}")) {
            return Err(invalid(
                key,
                &format!(
                    "must be the issuer's host ({host}) or a domain above it, or browsers refuse the cookie"
                ),
            ));
        }
    }
    for h in &f.allowed_redirect_hosts {
        if crate::forward_auth::redirect::HostPattern::parse(h).is_none() {
            return Err(invalid(
                "forward_auth.allowed_redirect_hosts",
                &format!("`{h}` is not a host, a host:port or `*.domain`"),
            ));
        }
    }
    for (name, p) in &f.policies {
        if !crate::forward_auth::requirements::is_policy_name(name) {
            return Err(invalid(
                &format!("forward_auth.policies.{name}"),
                "names use 1-64 characters from a-z A-Z 0-9 _ -",
            ));
        }
        if let Some(acr) = &p.acr
            && crate::mfa::level::Level::parse(acr).is_none()
        {
            return Err(invalid(
                &format!("forward_auth.policies.{name}.acr"),
                &format!("`{acr}` is not a level: use \"1\", \"2\" or \"3\""),
            ));
        }
        if p.max_age.is_some_and(|m| m < 0) {
            return Err(invalid(
                &format!("forward_auth.policies.{name}.max_age"),
                "must be a number of seconds, 0 or more",
            ));
        }
    }
    if let Some(name) = &f.default_policy {
        if !f.policies.contains_key(name) {
            return Err(invalid(
                "forward_auth.default_policy",
                &format!("names `{name}`, which is not among [forward_auth.policies]"),
            ));
        }
    }
    Ok(())
}

pub(super) fn validate_issuer(issuer: &str) -> Result<Option<String>, ConfigError> {
    // URL parsers drop tabs and newlines silently (WHATWG URL): refuse them outright, so
    // the issuer published is the one configured, byte for byte.
    if issuer.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            "issuer",
            "must not contain whitespace or control characters",
        ));
    }
    // Only what an https URL needs (RFC 3986 §3: unreserved, sub-delims, `:`, `/`, `@`,
    // `%`, and `[` `]` around an IPv6 host; a non-ASCII host in its punycode form): the
    // issuer is printed into pages, headers and tokens, so bidi and zero-width characters,
    // quotes and angle brackets must never reach them (hardening round 2, finding 14).
    if let Some(c) = issuer
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:/@%[]?#".contains(*c)))
    {
        return Err(invalid(
            "issuer",
            &format!(
                "must contain only the characters of an https URL (not {:?}); write an international host name in its xn-- form",
                c
            ),
        ));
    }
    let url = url::Url::parse(issuer)
        .map_err(|e| invalid("issuer", &format!("is not an absolute URL ({e})")))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("issuer", "must not have a query or a fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("issuer", "must not contain credentials"));
    }
    if issuer.ends_with('/') {
        return Err(invalid("issuer", "must not end with `/`"));
    }
    match url.scheme() {
        "https" => Ok(None),
        "http" if crate::domain::uri::is_loopback(&url) => Ok(Some(format!(
            "issuer {issuer} is plain http: acceptable on loopback for development only"
        ))),
        "http" => Err(invalid(
            "issuer",
            "must use https unless its host is loopback (localhost, 127.0.0.1, [::1])",
        )),
        other => Err(invalid(
            "issuer",
            &format!("has scheme `{other}`; expected https"),
        )),
    }
}
