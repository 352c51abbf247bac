//! Creating and retiring keys in the database: synchronous, shared by the background
//! schedule and the CLI. Each algorithm has its own key and its own schedule; generations
//! are numbered across all of them. The key is generated and sealed before the transaction
//! so no lock is held during RSA generation; the unique `generation` column decides a race.

use diesel::Connection;
use serde_json::json;

use super::generate::generate;
use super::lifecycle::{KeyTimes, Policy, due_activation};
use super::manager::KeyError;
use super::sealed::Kek;
use crate::clock::UnixTime;
use crate::domain::signing_alg::SigningAlg;
use crate::store::audit::{self, AuditEvent};
use crate::store::signing_keys::{self, SigningKeyRow};
use crate::store::{DbConnection, StoreError};

/// What `keys rotate` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotated {
    Created {
        kid: String,
        activates_at: UnixTime,
    },
    /// A successor is already scheduled; nothing was created.
    AlreadyPending {
        kid: String,
        activates_at: UnixTime,
    },
    /// Another instance created the same generation first.
    LostRace,
}

pub struct Rotator<'a> {
    pub kek: &'a Kek,
    pub rsa_bits: usize,
    pub policy: Policy,
    pub actor: &'a str,
}

impl Rotator<'_> {
    /// The background schedule, for each configured algorithm: creates its first key, or
    /// the next one when it is due; retires the keys of algorithms no longer configured
    /// (they stay published until their tokens expire); deletes keys past their
    /// publication. Returns the kids created.
    pub fn maintain(
        &self,
        conn: &mut DbConnection,
        algorithms: &[SigningAlg],
        now: UnixTime,
    ) -> Result<Vec<String>, KeyError> {
        let mut created = Vec::new();
        for &alg in algorithms {
            let all = signing_keys::list(conn)?;
            let times: Vec<KeyTimes> = of_alg(&all, alg).map(KeyTimes::from).collect();
            if let Some(at) = due_activation(&times, now, &self.policy)
                && let Rotated::Created { kid, .. } =
                    self.create(conn, &all, alg, at, now, false)?
            {
                created.push(kid);
            }
        }
        for row in signing_keys::list(conn)? {
            let configured = row
                .alg
                .parse::<SigningAlg>()
                .is_ok_and(|a| algorithms.contains(&a));
            if !configured && row.retires_at.is_none() {
                signing_keys::retire(conn, &row.kid, now, now + self.policy.retention)?;
                crate::store::notify::notify(conn, crate::store::notify::Topic::Keys)?;
                tracing::info!(kid = %row.kid, alg = %row.alg, "signing key retired: its algorithm is no longer in keys.algorithms");
            }
        }
        let removed = signing_keys::delete_expired(conn, now)?;
        if removed > 0 {
            tracing::info!(removed, "expired signing keys deleted");
        }
        Ok(created)
    }

    /// `keys rotate`: schedules a successor of `alg`'s key through the normal
    /// pre-publication window.
    pub fn rotate_scheduled(
        &self,
        conn: &mut DbConnection,
        alg: SigningAlg,
        now: UnixTime,
    ) -> Result<Rotated, KeyError> {
        let all = signing_keys::list(conn)?;
        let rows: Vec<&SigningKeyRow> = of_alg(&all, alg).collect();
        if let Some(p) = rows
            .iter()
            .filter(|r| r.activates_at > now)
            .max_by_key(|r| r.generation)
        {
            return Ok(Rotated::AlreadyPending {
                kid: p.kid.clone(),
                activates_at: p.activates_at,
            });
        }
        let at = if rows.iter().any(|r| !KeyTimes::from(*r).is_expired(now)) {
            now + self.policy.prepublish
        } else {
            now
        };
        self.create(conn, &all, alg, at, now, false)
    }

    /// `keys rotate --now`: a new key signs from this instant (pending keys are dropped).
    /// With `revoke_previous` the old key leaves JWKS at once, so tokens it signed stop
    /// verifying: the answer to a compromised key.
    pub fn rotate_now(
        &self,
        conn: &mut DbConnection,
        alg: SigningAlg,
        now: UnixTime,
        revoke_previous: bool,
    ) -> Result<Rotated, KeyError> {
        let all = signing_keys::list(conn)?;
        self.create(conn, &all, alg, now, now, revoke_previous)
    }

    /// Creates a key of `alg`; `all` is every stored key (generations are numbered across
    /// algorithms, so the next one is above all of them).
    fn create(
        &self,
        conn: &mut DbConnection,
        all: &[SigningKeyRow],
        alg: SigningAlg,
        activates_at: UnixTime,
        now: UnixTime,
        revoke_previous: bool,
    ) -> Result<Rotated, KeyError> {
        let key = generate(alg, self.rsa_bits)?;
        let sealed = self.kek.seal(&key.kid, key.private_der.expose())?;
        // The key it supersedes: the newest of its algorithm that already signs.
        let previous = of_alg(all, alg)
            .filter(|r| r.activates_at <= now && !KeyTimes::from(*r).is_expired(now))
            .max_by_key(|r| r.generation);
        let generation = all.iter().map(|r| r.generation).max().unwrap_or(0) + 1;
        let row = SigningKeyRow {
            kid: key.kid.clone(),
            alg: key.alg.to_string(),
            public_jwk: key.public_jwk,
            private_key_sealed: Some(sealed),
            generation,
            created_at: now,
            activates_at,
            retires_at: None,
            expires_at: None,
        };
        let result = conn.transaction(|c| {
            if activates_at <= now {
                // Immediate activation supersedes any scheduled successor.
                signing_keys::delete_pending(c, alg.as_str(), now)?;
            }
            signing_keys::insert(c, &row)?;
            crate::store::notify::notify(c, crate::store::notify::Topic::Keys)?;
            if let Some(prev) = previous {
                if revoke_previous {
                    signing_keys::delete(c, &prev.kid)?;
                } else {
                    signing_keys::retire(
                        c,
                        &prev.kid,
                        activates_at,
                        activates_at + self.policy.retention,
                    )?;
                }
            }
            audit::record(
                c,
                &AuditEvent {
                    event: "keys.created",
                    actor: self.actor,
                    details: json!({ "kid": row.kid, "alg": row.alg, "activates_at": activates_at }),
                    ..Default::default()
                },
                now,
            )?;
            if let (true, Some(prev)) = (revoke_previous, previous) {
                audit::record(
                    c,
                    &AuditEvent {
                        event: "keys.revoked",
                        actor: self.actor,
                        details: json!({ "kid": prev.kid }),
                        ..Default::default()
                    },
                    now,
                )?;
            }
            Ok::<_, StoreError>(())
        });
        match result {
            Ok(()) => {
                tracing::info!(kid = %row.kid, alg = %row.alg, activates_at, "signing key created");
                Ok(Rotated::Created {
                    kid: row.kid,
                    activates_at,
                })
            }
            Err(StoreError::Duplicate) => Ok(Rotated::LostRace),
            Err(e) => Err(e.into()),
        }
    }
}

fn of_alg(rows: &[SigningKeyRow], alg: SigningAlg) -> impl Iterator<Item = &SigningKeyRow> {
    rows.iter().filter(move |r| r.alg == alg.as_str())
}
