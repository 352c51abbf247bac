use std::sync::{Arc, RwLock};
use std::time::Duration;

use josekit::jwt::JwtPayload;

use super::generate::GenerateError;
use super::keyring::{KeySet, fingerprint};
use super::lifecycle::Policy;
use super::rotation::Rotator;
use super::sealed::{Kek, SealError, resolve_kek};
use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::secret::Secret;
use crate::domain::signing_alg::SigningAlg;
use crate::store::{Store, StoreError, signing_keys};
use crate::telemetry::metrics::Metrics;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error(transparent)]
    Generate(#[from] GenerateError),
    #[error("JOSE error: {0}")]
    Jose(String),
    #[error(
        "the key-encryption key cannot open signing key {kid}: it is not the key that sealed the signing keys in this database. Start with the original keys.encryption_key (or keys/encryption.key); Portcullis will not replace existing keys"
    )]
    WrongKek { kid: String },
    #[error("no signing key is active")]
    NoActiveKey,
    #[error("no {0} signing key is active (is it in keys.algorithms?)")]
    NoActiveKeyFor(crate::domain::signing_alg::SigningAlg),
}

/// Owns the key cache of this instance: loads it at start, refreshes it on an interval and
/// after its own changes, and runs the rotation schedule. Request paths only read the
/// current snapshot (an `Arc` clone under a read lock), never the database.
pub struct KeyManager {
    store: Store,
    metrics: Arc<Metrics>,
    kek: Kek,
    clock: Arc<dyn Clock>,
    policy: Policy,
    rsa_bits: usize,
    /// `keys.algorithms`: each has its own key and schedule; the first is the default.
    algorithms: Vec<SigningAlg>,
    refresh_interval: Duration,
    current: RwLock<Arc<KeySet>>,
}

impl std::fmt::Debug for KeyManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyManager").finish_non_exhaustive()
    }
}

pub fn policy(settings: &Settings) -> Policy {
    Policy {
        rotation_period: settings.keys.rotation_period_secs,
        prepublish: settings.keys.prepublish_secs,
        retention: settings.tokens.signature_lifetime(),
    }
}

/// Resolves the KEK for this database: the key file may be created only while the
/// database holds no sealed key.
pub async fn kek_for(store: &Store, settings: &Settings) -> Result<Kek, KeyError> {
    let rows = store.run(signing_keys::list).await?;
    let may_create = rows.iter().all(|r| r.private_key_sealed.is_none());
    Ok(resolve_kek(&settings.keys, may_create)?)
}

impl KeyManager {
    /// Loads the keys (creating the first one on an empty database) and checks that the
    /// KEK opens every stored private key.
    pub async fn start(
        store: Store,
        settings: &Settings,
        clock: Arc<dyn Clock>,
        metrics: Arc<Metrics>,
    ) -> Result<Arc<Self>, KeyError> {
        let kek = kek_for(&store, settings).await?;
        let manager = Arc::new(Self {
            store,
            metrics,
            kek,
            clock,
            policy: policy(settings),
            rsa_bits: settings.keys.rsa_bits,
            algorithms: settings.keys.algorithms.clone(),
            refresh_interval: Duration::from_secs(settings.keys.refresh_interval_secs),
            current: RwLock::new(Arc::new(KeySet::empty())),
        });
        // Open existing keys first: a wrong KEK must stop us before anything is written.
        manager.refresh().await?;
        manager.maintain().await?;
        Ok(manager)
    }

    /// The current snapshot.
    pub fn current(&self) -> Arc<KeySet> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// The configured algorithms, in the operator's order.
    pub fn algorithms(&self) -> &[SigningAlg] {
        &self.algorithms
    }

    pub fn default_alg(&self) -> SigningAlg {
        self.algorithms
            .first()
            .copied()
            .unwrap_or(SigningAlg::Rs256)
    }

    /// Reloads keys from the database if they changed.
    pub async fn refresh(&self) -> Result<(), KeyError> {
        let rows = self.store.run(signing_keys::list).await?;
        if self.current().fingerprint() == fingerprint(&rows).as_slice() {
            return Ok(());
        }
        let set = KeySet::load(&rows, &self.kek, self.clock.now(), self.default_alg())?;
        if !self.current().keys().is_empty() {
            self.metrics.cache_reloaded("keys");
        }
        match self.current.write() {
            Ok(mut guard) => *guard = Arc::new(set),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(set),
        }
        Ok(())
    }

    /// One tick of the schedule: create a key if one is due, delete expired keys, reload.
    pub async fn maintain(&self) -> Result<(), KeyError> {
        let kek = self.kek.clone();
        let (policy, rsa_bits, now) = (self.policy, self.rsa_bits, self.clock.now());
        let algorithms = self.algorithms.clone();
        self.store
            .run(move |conn| {
                Rotator {
                    kek: &kek,
                    rsa_bits,
                    policy,
                    actor: "system",
                }
                .maintain(conn, &algorithms, now)
            })
            .await?;
        self.refresh().await
    }

    /// An operator's rotation of `alg` (admin API and console; the CLI does the same
    /// through its own connection): scheduled after the pre-publication time, or `now`
    /// (optionally dropping the previous key from JWKS at once). Reloads this instance;
    /// the others follow through the key schedule's notification.
    pub async fn rotate(
        &self,
        alg: SigningAlg,
        immediately: bool,
        revoke_previous: bool,
        actor: String,
    ) -> Result<super::rotation::Rotated, KeyError> {
        let kek = self.kek.clone();
        let (policy, rsa_bits, now) = (self.policy, self.rsa_bits, self.clock.now());
        let rotated = self
            .store
            .run(move |conn| {
                let rotator = Rotator {
                    kek: &kek,
                    rsa_bits,
                    policy,
                    actor: &actor,
                };
                if immediately {
                    rotator.rotate_now(conn, alg, now, revoke_previous)
                } else {
                    rotator.rotate_scheduled(conn, alg, now)
                }
            })
            .await?;
        self.refresh().await?;
        Ok(rotated)
    }

    /// Runs [`KeyManager::maintain`] every refresh interval, and reloads at once when
    /// another instance (or the CLI) changed the keys.
    pub fn spawn_schedule(self: &Arc<Self>, wakers: Arc<crate::store::notify::Wakers>) {
        let manager = Arc::clone(self);
        tokio::task::spawn_local(async move {
            let mut tick = tokio::time::interval(manager.refresh_interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                let result = tokio::select! {
                    _ = tick.tick() => manager.maintain().await,
                    _ = wakers.keys.notified() => manager.refresh().await,
                };
                if let Err(e) = result {
                    tracing::warn!(error = %e, "signing key maintenance failed; will retry");
                }
            }
        });
    }

    /// Verifies a JWT signed by one of our published keys (signature only: the caller
    /// checks the claims it cares about). `alg: none` and foreign keys fail.
    pub fn verify(&self, jwt: &str) -> Result<JwtPayload, KeyError> {
        self.verify_typed(jwt, None)
    }

    /// A secret for another purpose (e.g. CSRF tokens) derived from the KEK: the same on
    /// every instance, never stored.
    pub fn derive_secret(&self, label: &str) -> Result<Secret<[u8; 32]>, KeyError> {
        Ok(self.kek.derive(label)?)
    }

    /// Seals a small secret that must be stored (an authenticator app's secret) under the
    /// KEK; `context` (e.g. `totp:<user id>`) is bound as associated data, so a sealed
    /// value cannot be moved to another row.
    pub fn seal_secret(&self, context: &str, plaintext: &[u8]) -> Result<Vec<u8>, KeyError> {
        Ok(self.kek.seal(context, plaintext)?)
    }

    /// Opens what [`KeyManager::seal_secret`] sealed for the same `context`.
    pub fn open_secret(&self, context: &str, sealed: &[u8]) -> Result<Secret<Vec<u8>>, KeyError> {
        Ok(self.kek.open(context, sealed)?)
    }

    /// [`KeyManager::verify`], also requiring the header's `typ` (case-insensitive).
    pub fn verify_typed(&self, jwt: &str, typ: Option<&str>) -> Result<JwtPayload, KeyError> {
        self.current().verify_typed(jwt, typ)
    }

    /// Signs a JWT with the active key; the header gets `typ`, `alg` and `kid`.
    pub fn sign(&self, typ: &str, payload: &JwtPayload) -> Result<String, KeyError> {
        self.current().sign(typ, payload, self.clock.now())
    }
}
