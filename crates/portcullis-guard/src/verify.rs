//! Offline verification of access tokens: signature by one of the issuer's published
//! keys, `typ: at+jwt` (RFC 9068), `iss`, `aud`, `exp`/`nbf` with leeway, and the
//! revocation feed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::GuardError;
use crate::feed::Revoked;
use crate::keys::{self, KeySet};

#[derive(Debug, Clone)]
pub struct GuardConfig {
    /// The issuer, exactly as in its discovery document.
    pub issuer: String,
    /// This service's identifier, which tokens must carry in `aud`.
    pub audience: String,
    /// Tolerance for clock differences on `exp` and `nbf`.
    pub leeway: Duration,
    /// Least time between two JWKS fetches caused by unknown key ids.
    pub refetch_interval: Duration,
    /// How often to poll the revocation feed (if the issuer has one).
    pub revocation_poll: Duration,
    /// This service's public base URL (`https://orders.example`), which DPoP proofs name
    /// in `htu`. Unset: taken from each request (`Host`, scheme, path).
    pub public_url: Option<String>,
    /// How old a DPoP proof's `iat` may be; proofs are remembered this long.
    pub dpop_max_age: Duration,
    /// The longest the revocation list may go without a signed document from the issuer
    /// (errors and `304`s do not count: neither is signed). Past it, every token is
    /// refused with `503` until the feed answers again: the guard fails closed rather than
    /// accept tokens that may have been revoked meanwhile. Only while following the feed.
    pub max_staleness: Duration,
}

impl GuardConfig {
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            leeway: Duration::from_secs(60),
            refetch_interval: Duration::from_secs(30),
            revocation_poll: Duration::from_secs(1),
            public_url: None,
            dpop_max_age: Duration::from_secs(60),
            max_staleness: Duration::from_secs(300),
        }
    }
}

/// What a verified token says.
#[derive(Debug, Clone)]
pub struct Claims {
    pub sub: String,
    pub client_id: Option<String>,
    pub scope: Vec<String>,
    pub roles: Vec<String>,
    pub jti: Option<String>,
    pub sid: Option<String>,
    /// Every claim, for anything else.
    pub all: Map<String, Value>,
}

impl Claims {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.iter().any(|s| s == scope)
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// RFC 9470: the user signed in at level `acr` or above (Portcullis's levels are
    /// `"1"` password, `"2"` two factors, `"3"` phishing-resistant) and, with `max_age`,
    /// no more than that many seconds before `now`. A token without `acr`/`auth_time` (a
    /// machine's) meets neither. The error answers with the RFC 9470 challenge.
    pub fn require_authentication(
        &self,
        acr: Option<&str>,
        max_age: Option<i64>,
        now: i64,
    ) -> Result<(), GuardError> {
        let level = |v: &str| v.parse::<u8>().ok().filter(|l| (1..=3).contains(l));
        let too_weak = acr.is_some_and(|required| {
            let reached = self.all.get("acr").and_then(|v| v.as_str()).and_then(level);
            match level(required) {
                Some(req) => reached.is_none_or(|r| r < req),
                None => true,
            }
        });
        let too_old = max_age.is_some_and(|m| {
            self.all
                .get("auth_time")
                .and_then(|v| v.as_i64())
                .is_none_or(|t| now - t > m)
        });
        if too_weak || too_old {
            return Err(GuardError::InsufficientUserAuthentication {
                acr_values: acr.map(str::to_string),
                max_age,
            });
        }
        Ok(())
    }
}

pub(crate) struct Inner {
    pub config: GuardConfig,
    pub jwks_uri: String,
    pub feed_uri: Option<String>,
    pub keys: RwLock<Arc<KeySet>>,
    pub last_refetch: Mutex<Option<Instant>>,
    pub fetches: AtomicUsize,
    pub revoked: RwLock<Arc<Revoked>>,
    pub feed_etag: Mutex<Option<String>>,
    /// When the feed was first asked (`None`: the list is not followed) and when its last
    /// signed document arrived.
    pub feed_followed: Mutex<Option<Instant>>,
    pub feed_confirmed: Mutex<Option<Instant>>,
    /// DPoP proofs already used here (RFC 9449 §11.1).
    pub seen_proofs: portcullis_dpop::SeenProofs,
    /// Verifiers of DPoP keys seen before.
    pub dpop_keys: portcullis_dpop::KeyCache,
}

/// Cheap to clone; share one per process (e.g. as `web::Data<Guard>`).
#[derive(Clone)]
pub struct Guard(pub(crate) Arc<Inner>);

/// The DPoP key a token is bound to (`cnf.jkt`, RFC 9449 §6.1).
fn jkt(claims: &Claims) -> Option<&str> {
    claims.all.get("cnf")?.get("jkt")?.as_str()
}

/// What Portcullis may sign access tokens with (its `keys.algorithms` choices).
pub const ALGORITHMS: [&str; 4] = ["RS256", "PS256", "ES256", "EdDSA"];

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub(crate) fn client() -> awc::Client {
    awc::Client::builder()
        .timeout(Duration::from_secs(5))
        .finish()
}

impl Guard {
    /// Reads the issuer's discovery document and keys.
    pub async fn discover(config: GuardConfig) -> Result<Self, GuardError> {
        let url = format!("{}/.well-known/openid-configuration", config.issuer);
        let mut res = client()
            .get(&url)
            .send()
            .await
            .map_err(|e| GuardError::Issuer(format!("discovery: {e}")))?;
        let doc: Value = res
            .json()
            .limit(1 << 20)
            .await
            .map_err(|e| GuardError::Issuer(format!("discovery: {e}")))?;
        if doc["issuer"].as_str() != Some(config.issuer.as_str()) {
            return Err(GuardError::Issuer("discovery names another issuer".into()));
        }
        let jwks_uri = doc["jwks_uri"]
            .as_str()
            .ok_or_else(|| GuardError::Issuer("discovery has no jwks_uri".into()))?
            .to_string();
        let feed_uri = doc["portcullis_revocation_feed_endpoint"]
            .as_str()
            .map(str::to_string);
        let keys = keys::fetch(&client(), &jwks_uri).await?;
        Ok(Guard(Arc::new(Inner {
            config,
            jwks_uri,
            feed_uri,
            keys: RwLock::new(Arc::new(keys)),
            last_refetch: Mutex::new(None),
            fetches: AtomicUsize::new(1),
            revoked: RwLock::new(Arc::new(Revoked::default())),
            feed_etag: Mutex::new(None),
            feed_followed: Mutex::new(None),
            feed_confirmed: Mutex::new(None),
            seen_proofs: portcullis_dpop::SeenProofs::default(),
            dpop_keys: portcullis_dpop::KeyCache::default(),
        })))
    }

    /// How many times the JWKS was fetched (for monitoring and tests).
    pub fn jwks_fetches(&self) -> usize {
        self.0.fetches.load(Ordering::Relaxed)
    }

    fn keys(&self) -> Arc<KeySet> {
        match self.0.keys.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Fetches the JWKS again unless that happened less than `refetch_interval` ago.
    async fn refetch(&self) -> Result<bool, GuardError> {
        {
            let mut last = self
                .0
                .last_refetch
                .lock()
                .map_err(|_| GuardError::NotConfigured)?;
            if last.is_some_and(|t| t.elapsed() < self.0.config.refetch_interval) {
                return Ok(false);
            }
            *last = Some(Instant::now());
        }
        let fresh = keys::fetch(&client(), &self.0.jwks_uri).await?;
        self.0.fetches.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut g) = self.0.keys.write() {
            *g = Arc::new(fresh);
        }
        Ok(true)
    }

    /// The verifier for `kid`, fetching the JWKS again when the key is new to us or our
    /// copy is older than its `max-age`.
    pub(crate) async fn verifier(
        &self,
        kid: &str,
    ) -> Result<Arc<dyn josekit::jws::JwsVerifier>, GuardError> {
        let set = self.keys();
        if set.fetched_at.elapsed() > set.max_age {
            self.refetch().await.ok();
        }
        if let Some(v) = self.keys().by_kid.get(kid) {
            return Ok(v.clone());
        }
        self.refetch().await?;
        self.keys()
            .by_kid
            .get(kid)
            .cloned()
            .ok_or(GuardError::Invalid("signed by an unknown key"))
    }

    /// Verifies a bearer access token and returns its claims. A DPoP-bound token is
    /// refused (RFC 9449 §7.2): use [`Guard::verify_dpop`] for those.
    pub async fn verify(&self, token: &str) -> Result<Claims, GuardError> {
        let claims = self.verify_token(token).await?;
        if jkt(&claims).is_some() {
            return Err(GuardError::DpopBound);
        }
        Ok(claims)
    }

    /// Verifies a token presented as `Authorization: DPoP <token>` with its proof (the
    /// `DPoP` header) for `method url` (RFC 9449 §7.1): the token must be bound to the
    /// proof's key, the proof must name this request, hash the token (`ath`), be recent
    /// and unused here.
    pub async fn verify_dpop(
        &self,
        token: &str,
        proof: Option<&str>,
        method: &str,
        url: &str,
    ) -> Result<Claims, GuardError> {
        use portcullis_dpop::{BindingError, Scheme, binding, proof as dpop_proof};
        let claims = self.verify_token(token).await?;
        let bound = jkt(&claims);
        let max_age = self.0.config.dpop_max_age.as_secs() as i64;
        let leeway = self.0.config.leeway.as_secs().min(60) as i64;
        let now = now();
        let verified = match (bound, proof) {
            (Some(_), Some(text)) => {
                let p = dpop_proof::verify(
                    text,
                    &portcullis_dpop::Rules {
                        method,
                        url,
                        algorithms: &ALGORITHMS,
                        now,
                        max_age,
                        leeway,
                        access_token: Some(token),
                        nonce: None,
                        keys: Some(&self.0.dpop_keys),
                    },
                )
                .map_err(|e| GuardError::InvalidProof(e.to_string()))?;
                if !self
                    .0
                    .seen_proofs
                    .first_use(&p.jkt, &p.jti, p.iat + max_age + leeway + 1, now)
                {
                    return Err(GuardError::InvalidProof(
                        "the DPoP proof was already used".into(),
                    ));
                }
                Some(p.jkt)
            }
            _ => None,
        };
        match binding::check(Scheme::Dpop, bound, verified.as_deref()) {
            Ok(()) => Ok(claims),
            Err(BindingError::UnboundAsDpop) => Err(GuardError::Invalid(
                "not a DPoP-bound token; present it as Bearer",
            )),
            Err(e) => Err(GuardError::InvalidProof(e.to_string())),
        }
    }

    /// Signature, type, issuer, audience, times and revocation.
    async fn verify_token(&self, token: &str) -> Result<Claims, GuardError> {
        let header =
            josekit::jwt::decode_header(token).map_err(|_| GuardError::Invalid("not a JWT"))?;
        let typ = header
            .claim("typ")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !typ.eq_ignore_ascii_case("at+jwt") {
            return Err(GuardError::Invalid("not an access token (typ)"));
        }
        // The algorithms Portcullis may sign with; `none`, MACs and the rest are refused
        // before any key is looked up (RFC 8725 §3.1). The key's own `alg` must match too
        // (josekit checks the header against the verifier).
        let alg = header.claim("alg").and_then(Value::as_str);
        if !alg.is_some_and(|a| ALGORITHMS.contains(&a)) {
            return Err(GuardError::Invalid("unsupported algorithm"));
        }
        let kid = header
            .claim("kid")
            .and_then(Value::as_str)
            .ok_or(GuardError::Invalid("no kid"))?
            .to_string();
        let verifier = self.verifier(&kid).await?;
        let (payload, _) = josekit::jwt::decode_with_verifier(token, &*verifier)
            .map_err(|_| GuardError::Invalid("bad signature"))?;
        let all = payload.claims_set().clone();
        let cfg = &self.0.config;
        let leeway = cfg.leeway.as_secs() as i64;
        let now = now();
        if all.get("iss").and_then(Value::as_str) != Some(cfg.issuer.as_str()) {
            return Err(GuardError::Invalid("wrong issuer"));
        }
        let aud_ok = match all.get("aud") {
            Some(Value::String(a)) => *a == cfg.audience,
            Some(Value::Array(l)) => l.iter().any(|a| a.as_str() == Some(cfg.audience.as_str())),
            _ => false,
        };
        if !aud_ok {
            return Err(GuardError::Invalid("not for this audience"));
        }
        let exp = all
            .get("exp")
            .and_then(Value::as_i64)
            .ok_or(GuardError::Invalid("no exp"))?;
        if exp + leeway <= now {
            return Err(GuardError::Invalid("expired"));
        }
        if all
            .get("nbf")
            .and_then(Value::as_i64)
            .is_some_and(|n| n - leeway > now)
        {
            return Err(GuardError::Invalid("not yet valid"));
        }
        let str_claim = |n: &str| all.get(n).and_then(Value::as_str).map(str::to_string);
        let (jti, sid, client) = (str_claim("jti"), str_claim("sid"), str_claim("client_id"));
        let named = crate::feed::Named {
            jti: jti.as_deref(),
            sid: sid.as_deref(),
            client_id: client.as_deref(),
            iat: all.get("iat").and_then(Value::as_i64),
        };
        if self.revocations_stale() {
            return Err(GuardError::Issuer(
                "the revocation list is stale: no signed update from the issuer within max_staleness"
                    .into(),
            ));
        }
        if self.revoked().contains(named, now) {
            return Err(GuardError::Revoked);
        }
        Ok(Claims {
            sub: str_claim("sub").ok_or(GuardError::Invalid("no sub"))?,
            client_id: str_claim("client_id"),
            scope: str_claim("scope")
                .map(|s| {
                    s.split(' ')
                        .filter(|x| !x.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            roles: all
                .get("roles")
                .and_then(Value::as_array)
                .map(|l| {
                    l.iter()
                        .filter_map(|r| r.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            jti,
            sid,
            all,
        })
    }

    pub(crate) fn revoked(&self) -> Arc<Revoked> {
        match self.0.revoked.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }
}

#[cfg(test)]
#[path = "verify_step_up_tests.rs"]
mod step_up_tests;
