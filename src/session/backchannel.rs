//! Back-Channel Logout 1.0 deliveries: queued in the database with the session's end,
//! sent from the background (never delaying the user's logout), retried with exponential
//! backoff, and claimed with a lease so that one instance sends each delivery.

use std::sync::Arc;
use std::time::Duration;

use josekit::jwt::JwtPayload;
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::domain::opaque;
use crate::keys::{KeyError, KeyManager, KeySet};
use crate::net::client::Outbound;
use crate::store::audit::{self, AuditEvent};
use crate::store::backchannel::{self, Delivery};
use crate::store::client_registry::ClientRegistry;
use crate::store::{Store, StoreError};
use crate::telemetry::metrics::Metrics;
use crate::telemetry::spans;
use crate::telemetry::trace_context::Remote;
use tracing::Instrument;

/// The event member of a logout token (Back-Channel Logout §2.4).
pub const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
pub const TYP: &str = "logout+jwt";
/// Logout tokens are short-lived: the RP must accept them within this window.
pub const LOGOUT_TOKEN_TTL_SECS: i64 = 120;
/// Attempts before a delivery is abandoned (and audited); backoff doubles up to an hour.
pub const MAX_ATTEMPTS: i64 = 12;
const LEASE_SECS: i64 = 30;
/// Relying parties served at once by one instance's worker.
pub const MAX_PARALLEL_CLIENTS: usize = 8;

pub struct Backchannel {
    store: Store,
    /// Every delivery goes through the outgoing-request policy (deadline, no redirects,
    /// no special-use destinations).
    outbound: Outbound,
    keys: Arc<KeyManager>,
    clients: Arc<ClientRegistry>,
    clock: Arc<dyn Clock>,
    issuer: String,
    metrics: Arc<Metrics>,
    wake: Notify,
}

impl std::fmt::Debug for Backchannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Backchannel")
    }
}

/// The logout token for one client and session (§2.4): no `nonce`, `typ: logout+jwt`.
pub fn logout_token(
    keys: &KeySet,
    issuer: &str,
    d: &Delivery,
    now: i64,
) -> Result<String, KeyError> {
    let mut p = JwtPayload::new();
    let claims = json!({
        "iss": issuer,
        "aud": d.client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_TTL_SECS,
        "jti": opaque::identifier(),
        "sub": d.user_id,
        "sid": d.sid,
        "events": { EVENT: {} },
    });
    if let Value::Object(map) = claims {
        for (k, v) in map {
            p.set_claim(&k, Some(v))
                .map_err(|e| KeyError::Jose(e.to_string()))?;
        }
    }
    keys.sign(TYP, &p, now)
}

impl Backchannel {
    pub fn new(
        store: Store,
        outbound: Outbound,
        keys: Arc<KeyManager>,
        clients: Arc<ClientRegistry>,
        clock: Arc<dyn Clock>,
        issuer: String,
        metrics: Arc<Metrics>,
    ) -> Arc<Self> {
        Arc::new(Self {
            metrics,
            store,
            outbound,
            keys,
            clients,
            clock,
            issuer,
            wake: Notify::new(),
        })
    }

    /// Asks the worker to look for due deliveries now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub fn spawn(self: &Arc<Self>) {
        let me = Arc::clone(self);
        tokio::task::spawn_local(async move {
            loop {
                if let Err(e) = me.deliver_due().await {
                    tracing::warn!(error = %e, "back-channel logout deliveries failed; will retry");
                }
                tokio::select! {
                    _ = me.wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        });
    }

    /// Sends every delivery that is due; returns how many succeeded. Deliveries to one
    /// relying party go one after the other; different relying parties are served
    /// concurrently (at most [`MAX_PARALLEL_CLIENTS`] at once), so one that never answers
    /// delays only its own deliveries.
    pub async fn deliver_due(self: &Arc<Self>) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let due = self
            .store
            .run(move |c| backchannel::due(c, now, 50))
            .await?;
        let mut by_client: Vec<Vec<Delivery>> = Vec::new();
        for d in due {
            match by_client.iter_mut().find(|l| l[0].client_id == d.client_id) {
                Some(list) => list.push(d),
                None => by_client.push(vec![d]),
            }
        }
        let permits = Arc::new(tokio::sync::Semaphore::new(MAX_PARALLEL_CLIENTS));
        let mut tasks = tokio::task::JoinSet::new();
        for list in by_client {
            let (me, permits) = (Arc::clone(self), Arc::clone(&permits));
            tasks.spawn_local(async move {
                let _permit = permits.acquire_owned().await;
                me.deliver_in_order(list).await
            });
        }
        let mut sent = 0;
        let mut failure = None;
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(Ok(n)) => sent += n,
                Ok(Err(e)) => failure = Some(e),
                Err(_) => failure = Some(StoreError::TaskFailed),
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(sent),
        }
    }

    /// One relying party's deliveries, in order; each is claimed just before it is sent.
    async fn deliver_in_order(&self, list: Vec<Delivery>) -> Result<usize, StoreError> {
        let mut sent = 0;
        for d in list {
            let now = self.clock.now();
            let (id, seen) = (d.id.clone(), d.next_attempt_at);
            let claimed = self
                .store
                .run(move |c| backchannel::claim(c, &id, seen, now, LEASE_SECS))
                .await?;
            if !claimed {
                continue;
            }
            // The delivery continues the trace of the logout that queued it.
            let span = tracing::info_span!("backchannel.delivery", client.id = %d.client_id);
            let remote = d
                .trace_parent
                .as_deref()
                .and_then(|p| Remote::parse(p, d.trace_state.as_deref()));
            spans::adopt(&span, remote.as_ref());
            match self.send(&d).instrument(span).await {
                Ok(()) => {
                    let id = d.id.clone();
                    self.store.run(move |c| backchannel::delete(c, &id)).await?;
                    self.metrics.backchannel_delivery("delivered");
                    sent += 1;
                }
                Err(reason) => self.failed(&d, self.clock.now(), reason).await?,
            }
        }
        Ok(sent)
    }

    /// Signs the logout token as it is sent (fresh `iat`, `exp`, `jti`), not when the
    /// batch was read, so a slow batch never delivers an expired token.
    async fn send(&self, d: &Delivery) -> Result<(), String> {
        let client = self
            .clients
            .get(&d.client_id)
            .ok_or("the client no longer exists")?;
        let uri = client
            .backchannel_logout_uri
            .clone()
            .ok_or("the client no longer has a back-channel logout URI")?;
        let token = logout_token(&self.keys.current(), &self.issuer, d, self.clock.now())
            .map_err(|e| e.to_string())?;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("logout_token", &token)
            .finish();
        self.outbound
            .post_form(&uri, body)
            .await
            .map_err(|e| e.to_string())
    }

    async fn failed(&self, d: &Delivery, now: i64, reason: String) -> Result<(), StoreError> {
        let attempts = d.attempts + 1;
        let id = d.id.clone();
        let (client_id, user_id) = (d.client_id.clone(), d.user_id.clone());
        tracing::info!(client.id = %client_id, attempts, reason = %reason, "back-channel logout delivery failed");
        self.metrics
            .backchannel_delivery(if attempts >= MAX_ATTEMPTS {
                "abandoned"
            } else {
                "failed"
            });
        self.store
            .run(move |c| {
                if attempts >= MAX_ATTEMPTS {
                    backchannel::delete(c, &id)?;
                    audit::record(
                        c,
                        &AuditEvent {
                            event: "backchannel.abandoned",
                            actor: "system",
                            client_id: Some(&client_id),
                            user_id: Some(&user_id),
                            details: json!({ "attempts": attempts, "reason": reason }),
                            ..Default::default()
                        },
                        now,
                    )
                } else {
                    let backoff = 1i64 << attempts.min(12);
                    backchannel::reschedule(c, &id, attempts, now + backoff.min(3600), &reason)
                }
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::test_keys;

    #[test]
    fn a_logout_token_names_the_session_and_carries_the_event_but_no_nonce() {
        let d = Delivery {
            id: "d1".into(),
            client_id: "web".into(),
            user_id: "user-alice".into(),
            sid: "sid-1".into(),
            attempts: 0,
            next_attempt_at: 100,
            last_error: None,
            created_at: 100,
            trace_parent: None,
            trace_state: None,
        };
        let token = logout_token(test_keys(), "https://id.example", &d, 100).unwrap();
        let payload = test_keys().verify_typed(&token, Some(TYP)).unwrap();
        let claims = payload.claims_set();
        assert_eq!(claims["iss"], "https://id.example");
        assert_eq!(claims["aud"], "web");
        assert_eq!(claims["sub"], "user-alice");
        assert_eq!(claims["sid"], "sid-1");
        assert_eq!(claims["exp"], 100 + LOGOUT_TOKEN_TTL_SECS);
        assert!(claims["events"][EVENT].is_object());
        assert!(
            claims.get("nonce").is_none(),
            "Back-Channel Logout §2.4 forbids nonce"
        );
        assert!(
            test_keys().verify_typed(&token, Some("JWT")).is_err(),
            "explicitly typed logout+jwt"
        );
    }
}
