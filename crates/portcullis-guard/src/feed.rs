//! Following the issuer's revocation feed: a signed list of revoked token ids, ended
//! sessions and client not-befores, fetched whole once and then followed by deltas
//! (`?since=<version>`: `304` while current, the changes otherwise), so revoked tokens are
//! refused without a call to the issuer per request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use crate::GuardError;
use crate::verify::{Guard, client, now};

#[derive(Debug, Default, Clone)]
pub(crate) struct Revoked {
    pub version: i64,
    pub jtis: HashMap<String, i64>,
    pub sids: HashMap<String, i64>,
    /// `client_id` → (`nbf`, `exp`): the client's tokens issued before `nbf` are revoked.
    pub clients: HashMap<String, (i64, i64)>,
}

/// The claims of a token that the revocation list can name.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Named<'a> {
    pub jti: Option<&'a str>,
    pub sid: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub iat: Option<i64>,
}

impl Revoked {
    /// Adds a delta's entries and drops what has expired.
    fn apply(&mut self, version: i64, claims: &serde_json::Map<String, Value>, now: i64) {
        self.jtis.extend(entries(&claims["jtis"], "jti"));
        self.sids.extend(entries(&claims["sids"], "sid"));
        self.clients.extend(client_entries(
            claims.get("clients").unwrap_or(&Value::Null),
        ));
        self.jtis.retain(|_, exp| *exp > now);
        self.sids.retain(|_, exp| *exp > now);
        self.clients.retain(|_, (_, exp)| *exp > now);
        self.version = version;
    }

    pub fn contains(&self, t: Named<'_>, now: i64) -> bool {
        t.jti
            .and_then(|j| self.jtis.get(j))
            .is_some_and(|exp| *exp > now)
            || t.sid
                .and_then(|s| self.sids.get(s))
                .is_some_and(|exp| *exp > now)
            || t.client_id
                .and_then(|c| self.clients.get(c))
                .is_some_and(|(nbf, exp)| *exp > now && t.iat.unwrap_or(0) < *nbf)
    }
}

fn client_entries(v: &Value) -> HashMap<String, (i64, i64)> {
    v.as_array()
        .map(|l| {
            l.iter()
                .filter_map(|e| {
                    Some((
                        e["client_id"].as_str()?.to_string(),
                        (e["nbf"].as_i64()?, e["exp"].as_i64()?),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn entries(v: &Value, key: &str) -> HashMap<String, i64> {
    v.as_array()
        .map(|l| {
            l.iter()
                .filter_map(|e| Some((e[key].as_str()?.to_string(), e["exp"].as_i64()?)))
                .collect()
        })
        .unwrap_or_default()
}

impl Guard {
    /// Fetches the feed once — the whole list the first time, then the changes after the
    /// version held — and returns whether the list changed.
    pub async fn refresh_revocations(&self) -> Result<bool, GuardError> {
        let Some(uri) = self.0.feed_uri.clone() else {
            return Ok(false);
        };
        if let Ok(mut f) = self.0.feed_followed.lock() {
            f.get_or_insert_with(Instant::now);
        }
        let held = self.revoked().version;
        // Halfway to `max_staleness` without a signed document (a run of `304`s is
        // unsigned), ask for the whole list, which is.
        let confirmed_recently = self
            .0
            .feed_confirmed
            .lock()
            .ok()
            .and_then(|c| *c)
            .is_some_and(|c| c.elapsed() < self.0.config.max_staleness / 2);
        let following =
            confirmed_recently && self.0.feed_etag.lock().ok().is_some_and(|e| e.is_some());
        let url = if following {
            let sep = if uri.contains('?') { '&' } else { '?' };
            format!("{uri}{sep}since={held}")
        } else {
            uri
        };
        let mut res = client()
            .get(&url)
            .send()
            .await
            .map_err(|e| GuardError::Issuer(format!("feed: {e}")))?;
        if res.status().as_u16() == 304 {
            return Ok(false);
        }
        if !res.status().is_success() {
            return Err(GuardError::Issuer(format!(
                "feed answered {}",
                res.status()
            )));
        }
        let etag = res
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map_or_else(|| "followed".to_string(), str::to_string);
        let body = res
            .body()
            .limit(64 << 20)
            .await
            .map_err(|e| GuardError::Issuer(format!("feed: {e}")))?;
        let jwt = std::str::from_utf8(&body)
            .map_err(|_| GuardError::Issuer("feed is not text".into()))?;
        let header = josekit::jwt::decode_header(jwt)
            .map_err(|_| GuardError::Issuer("feed is not a JWT".into()))?;
        if header.claim("typ").and_then(Value::as_str) != Some("revocation-list+jwt") {
            return Err(GuardError::Issuer("feed has the wrong typ".into()));
        }
        let kid = header
            .claim("kid")
            .and_then(Value::as_str)
            .ok_or_else(|| GuardError::Issuer("feed has no kid".into()))?;
        let verifier = self.verifier(kid).await?;
        let (payload, _) = josekit::jwt::decode_with_verifier(jwt, &*verifier)
            .map_err(|_| GuardError::Issuer("feed signature is invalid".into()))?;
        let claims = payload.claims_set();
        if claims.get("iss").and_then(Value::as_str) != Some(self.0.config.issuer.as_str()) {
            return Err(GuardError::Issuer("feed from another issuer".into()));
        }
        let now = now();
        if claims
            .get("exp")
            .and_then(Value::as_i64)
            .is_none_or(|e| e <= now)
        {
            return Err(GuardError::Issuer("feed document expired".into()));
        }
        let version = claims.get("version").and_then(Value::as_i64).unwrap_or(0);
        let delta = claims.get("kind").and_then(Value::as_str) == Some("delta");
        // A signed, current document from the issuer: the list is confirmed as of now.
        if let Ok(mut c) = self.0.feed_confirmed.lock() {
            *c = Some(Instant::now());
        }
        let Ok(mut current) = self.0.revoked.write() else {
            return Ok(false);
        };
        if delta {
            // A delta applies only on top of the version it starts from.
            let since = claims.get("since").and_then(Value::as_i64);
            if since != Some(current.version) || version <= current.version {
                drop(current);
                if let Ok(mut e) = self.0.feed_etag.lock() {
                    *e = None; // start again from the whole list
                }
                return Ok(false);
            }
            Arc::make_mut(&mut current).apply(version, claims, now);
        } else {
            // Never go back to an older list (a replayed document).
            if version < current.version {
                return Ok(false);
            }
            *current = Arc::new(Revoked {
                version,
                jtis: entries(&claims["jtis"], "jti"),
                sids: entries(&claims["sids"], "sid"),
                // Older issuers send no `clients` list.
                clients: client_entries(claims.get("clients").unwrap_or(&Value::Null)),
            });
        }
        drop(current);
        if let Ok(mut e) = self.0.feed_etag.lock() {
            *e = Some(etag);
        }
        Ok(true)
    }

    /// Whether the list is followed and has had no signed document for longer than
    /// `max_staleness` (counted from the first request to the feed until one arrives).
    pub fn revocations_stale(&self) -> bool {
        let Some(followed) = self.0.feed_followed.lock().ok().and_then(|f| *f) else {
            return false;
        };
        let since = self
            .0
            .feed_confirmed
            .lock()
            .ok()
            .and_then(|c| *c)
            .unwrap_or(followed);
        since.elapsed() > self.0.config.max_staleness
    }

    /// Polls the feed every `revocation_poll` in the background (actix runtime).
    pub fn follow_revocations(&self) {
        let guard = self.clone();
        actix_web::rt::spawn(async move {
            loop {
                if let Err(e) = guard.refresh_revocations().await {
                    tracing::warn!(error = %e, "revocation feed refresh failed");
                }
                actix_web::rt::time::sleep(guard.0.config.revocation_poll).await;
            }
        });
    }
}
