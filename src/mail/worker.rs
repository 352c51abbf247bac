//! The sender: claims due messages from the outbox (a lease, so several instances never
//! send one message twice while both are alive), sends each from a blocking thread, and
//! deletes it once the SMTP server accepted it; a failure is retried with backoff.
//!
//! Exactly once across a restart: a message leaves the outbox only after the server took
//! it, and a sender that died holding a lease gives it back when the lease runs out. (A
//! crash in the instant between the server's acceptance and the delete would send it
//! again; nothing short of SMTP-level deduplication can close that window.)

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::smtp::Relay;
use crate::clock::Clock;
use crate::config::SmtpSettings;
use crate::store::{Store, StoreError, mail_outbox};

/// How long a claimed message is ours before another sender may take it.
const LEASE_SECS: i64 = 120;
const BATCH: i64 = 20;

/// Seconds until the next try after `attempts` failures: 30 s doubling, at most an hour.
pub fn backoff(attempts: i64) -> i64 {
    let exp = u32::try_from(attempts.clamp(0, 7)).unwrap_or(7);
    (30_i64 << exp).min(3_600)
}

pub struct MailWorker {
    store: Store,
    clock: Arc<dyn Clock>,
    relay: Option<Arc<Relay>>,
    from: String,
    wake: Notify,
}

impl MailWorker {
    /// Without `smtp.url` mail stays queued: a warning says so once at start.
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        settings: &SmtpSettings,
    ) -> anyhow::Result<Arc<Self>> {
        let relay = match &settings.url {
            Some(url) => Some(Arc::new(Relay::from_url(
                url.expose(),
                Duration::from_secs(settings.timeout_secs.max(1)),
            )?)),
            None => None,
        };
        Ok(Arc::new(Self {
            store,
            clock,
            relay,
            from: settings.from.clone(),
            wake: Notify::new(),
        }))
    }

    /// Look for due messages now (after queueing one).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub fn spawn(self: &Arc<Self>) {
        let Some(relay) = self.relay.clone() else {
            tracing::warn!("smtp.url is not set: mail is queued but not sent");
            return;
        };
        tracing::info!(relay = %relay.address, "sending mail");
        let me = Arc::clone(self);
        tokio::task::spawn_local(async move {
            loop {
                if let Err(e) = me.send_due(&relay).await {
                    tracing::warn!(error = %e, "sending mail failed; will retry");
                }
                tokio::select! {
                    _ = me.wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                }
            }
        });
    }

    /// Sends what is due; how many went out.
    pub async fn send_due(&self, relay: &Arc<Relay>) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let due = self
            .store
            .run(move |c| mail_outbox::claim_due(c, now, LEASE_SECS, BATCH))
            .await?;
        let mut sent = 0;
        for row in due {
            let (relay, from, message) = (relay.clone(), self.from.clone(), row.clone());
            let outcome = tokio::task::spawn_blocking(move || relay.send(&from, &message))
                .await
                .unwrap_or_else(|_| Err("the sending thread failed".into()));
            let id = row.id.clone();
            match outcome {
                Ok(()) => {
                    self.store.run(move |c| mail_outbox::sent(c, &id)).await?;
                    sent += 1;
                }
                Err(error) => {
                    tracing::warn!(mail.id = %row.id, attempts = row.attempts + 1, error = %error, "mail not sent; will retry");
                    let next = self.clock.now() + backoff(row.attempts);
                    self.store
                        .run(move |c| mail_outbox::failed(c, &id, &error, next))
                        .await?;
                }
            }
        }
        Ok(sent)
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn retries_back_off_from_thirty_seconds_to_an_hour() {
        assert_eq!(backoff(0), 30);
        assert_eq!(backoff(1), 60);
        assert_eq!(backoff(3), 240);
        assert_eq!(backoff(10), 3_600);
        assert_eq!(backoff(-1), 30);
    }
}
