//! Back-Channel Logout 1.0 deliveries: queued in the database with the session's end,
//! sent from the background (never delaying the user's logout), retried with exponential
//! backoff, and claimed with a lease so that one instance sends each delivery.
//!
//! Each receiver (relying party) has a lane of its own (DESIGN.md decision 22): at most
//! [`PER_RECEIVER`] of its deliveries are in flight at once, each under the outgoing
//! request's deadline (`http.outbound_deadline_secs`), and the dispatcher never waits for
//! a lane: it reads which receivers have due deliveries, then each one's own, so one
//! receiver's backlog neither fills a batch nor holds up another's logout token. A
//! receiver that keeps failing is backed off alone.

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
/// Deliveries one receiver gets at once from one instance.
pub const PER_RECEIVER: usize = 2;
/// Failures in a row after which a receiver is backed off (its other deliveries wait).
pub const FAILURES_BEFORE_BACKOFF: u32 = 3;
/// The longest a receiver is backed off; the back-off doubles from 5 s per further failure.
pub const MAX_RECEIVER_BACKOFF_SECS: i64 = 300;
/// Receivers looked at in one pass of the dispatcher.
const RECEIVERS_PER_PASS: i64 = 1_000;

/// One receiver's lane at this instance.
#[derive(Debug, Default)]
struct Lane {
    /// Deliveries handed to the lane and not finished: a pass never hands them twice.
    taken: std::collections::HashSet<String>,
    failures_in_a_row: u32,
    backed_off_until: i64,
}

impl Lane {
    fn idle(&self) -> bool {
        self.taken.is_empty() && self.failures_in_a_row == 0
    }
}

/// How long a receiver waits after its `failures`-th failure in a row (0: not backed off).
pub fn receiver_backoff(failures: u32) -> i64 {
    if failures < FAILURES_BEFORE_BACKOFF {
        return 0;
    }
    let exp = (failures - FAILURES_BEFORE_BACKOFF).min(16);
    (5i64 << exp).min(MAX_RECEIVER_BACKOFF_SECS)
}

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
    /// Receivers' lanes by client id. Held only between awaits, never across one.
    lanes: std::sync::Mutex<std::collections::HashMap<String, Lane>>,
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
            lanes: Default::default(),
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

    fn lanes(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Lane>> {
        self.lanes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One pass of the dispatcher: hands each receiver's due deliveries to its lane, as
    /// many as the lane has room for, and returns how many it started. It waits for none
    /// of them.
    pub async fn deliver_due(self: &Arc<Self>) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let receivers = self
            .store
            .run(move |c| backchannel::due_clients(c, now, RECEIVERS_PER_PASS))
            .await?;
        let mut started = 0;
        for client_id in receivers {
            let (room, taken) = {
                let mut lanes = self.lanes();
                let lane = lanes.entry(client_id.clone()).or_default();
                if lane.backed_off_until > now {
                    continue;
                }
                (
                    PER_RECEIVER.saturating_sub(lane.taken.len()),
                    lane.taken.len(),
                )
            };
            if room == 0 {
                continue;
            }
            let id = client_id.clone();
            let limit = (room + taken) as i64;
            let due = self
                .store
                .run(move |c| backchannel::due_for(c, &id, now, limit))
                .await?;
            let fresh: Vec<Delivery> = {
                let mut lanes = self.lanes();
                let lane = lanes.entry(client_id.clone()).or_default();
                due.into_iter()
                    .filter(|d| lane.taken.insert(d.id.clone()))
                    .take(room)
                    .collect()
            };
            for d in fresh {
                started += 1;
                let me = Arc::clone(self);
                tokio::task::spawn_local(async move { me.deliver_one(d).await });
            }
        }
        Ok(started)
    }

    /// One delivery in its receiver's lane: claimed, sent, then deleted or rescheduled;
    /// the lane learns whether its receiver answered, and the dispatcher is woken to
    /// refill it.
    async fn deliver_one(self: Arc<Self>, d: Delivery) {
        let answered = match self.attempt(&d).await {
            Ok(answered) => answered,
            Err(e) => {
                tracing::warn!(error = %e, client.id = %d.client_id, "a back-channel delivery could not be recorded; will retry");
                None
            }
        };
        {
            let now = self.clock.now();
            let mut lanes = self.lanes();
            let lane = lanes.entry(d.client_id.clone()).or_default();
            lane.taken.remove(&d.id);
            match answered {
                Some(true) => lane.failures_in_a_row = 0,
                Some(false) => {
                    lane.failures_in_a_row += 1;
                    let wait = receiver_backoff(lane.failures_in_a_row);
                    if wait > 0 {
                        lane.backed_off_until = now + wait;
                        tracing::info!(client.id = %d.client_id, failures = lane.failures_in_a_row, wait, "back-channel receiver backed off");
                    }
                }
                None => {}
            }
            if lane.idle() {
                lanes.remove(&d.client_id);
            }
        }
        self.wake();
    }

    /// Claims and sends one delivery: `Some(true)` when the receiver took it,
    /// `Some(false)` when it failed, `None` when another worker had claimed it.
    async fn attempt(&self, d: &Delivery) -> Result<Option<bool>, StoreError> {
        let now = self.clock.now();
        let (id, seen) = (d.id.clone(), d.next_attempt_at);
        let claimed = self
            .store
            .run(move |c| backchannel::claim(c, &id, seen, now, LEASE_SECS))
            .await?;
        if !claimed {
            return Ok(None);
        }
        // The delivery continues the trace of the logout that queued it.
        let span = tracing::info_span!("backchannel.delivery", client.id = %d.client_id);
        let remote = d
            .trace_parent
            .as_deref()
            .and_then(|p| Remote::parse(p, d.trace_state.as_deref()));
        spans::adopt(&span, remote.as_ref());
        match self.send(d).instrument(span).await {
            Ok(()) => {
                let id = d.id.clone();
                self.store.run(move |c| backchannel::delete(c, &id)).await?;
                self.metrics.backchannel_delivery("delivered");
                Ok(Some(true))
            }
            Err(reason) => {
                self.failed(d, self.clock.now(), reason).await?;
                Ok(Some(false))
            }
        }
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
    fn a_receiver_is_backed_off_only_after_failures_in_a_row_and_never_for_long() {
        assert_eq!(receiver_backoff(0), 0);
        assert_eq!(receiver_backoff(FAILURES_BEFORE_BACKOFF - 1), 0);
        assert_eq!(receiver_backoff(FAILURES_BEFORE_BACKOFF), 5);
        assert_eq!(receiver_backoff(FAILURES_BEFORE_BACKOFF + 1), 10);
        assert_eq!(receiver_backoff(u32::MAX), MAX_RECEIVER_BACKOFF_SECS);
    }

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
