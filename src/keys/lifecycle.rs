//! The key lifecycle as pure functions of stored timestamps and the current time, so every
//! instance reaches the same answer without talking to the others.
//!
//! ```text
//! created_at ──published──▶ activates_at ──active (signs)──▶ retires_at ──retired──▶ expires_at
//! ```
//! - *pending*: in JWKS, not yet signing. It waits at least the JWKS cache lifetime, so
//!   every verifier has the key before the first token it signs.
//! - *active*: the newest key (highest generation) whose `activates_at` has passed; so
//!   exactly one key is active at any instant once one exists.
//! - *retired*: superseded; still in JWKS until every token it signed has expired.
//! - after `expires_at` the row, private part included, is deleted.

use serde::Serialize;

use crate::clock::UnixTime;
use crate::store::signing_keys::SigningKeyRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyTimes {
    /// Strictly increasing per key; unique in the database, which is what makes two
    /// instances rotating at the same moment produce one key, not two.
    pub generation: i64,
    pub created_at: UnixTime,
    pub activates_at: UnixTime,
    pub retires_at: Option<UnixTime>,
    pub expires_at: Option<UnixTime>,
}

impl From<&SigningKeyRow> for KeyTimes {
    fn from(r: &SigningKeyRow) -> Self {
        KeyTimes {
            generation: r.generation,
            created_at: r.created_at,
            activates_at: r.activates_at,
            retires_at: r.retires_at,
            expires_at: r.expires_at,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    Pending,
    Active,
    Retired,
    Expired,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Pending => "pending",
            KeyState::Active => "active",
            KeyState::Retired => "retired",
            KeyState::Expired => "expired",
        }
    }
}

/// The rotation schedule, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// How long a key signs before its successor takes over.
    pub rotation_period: i64,
    /// How long a new key is published before it signs.
    pub prepublish: i64,
    /// How long a retired key stays published: the longest token lifetime plus the
    /// clock-skew allowance.
    pub retention: i64,
}

impl KeyTimes {
    pub fn is_expired(&self, now: UnixTime) -> bool {
        self.expires_at.is_some_and(|e| e <= now)
    }

    /// In JWKS: from creation until expiry.
    pub fn is_published(&self, now: UnixTime) -> bool {
        !self.is_expired(now)
    }
}

/// The key that signs at `now`: the highest generation already activated and not expired.
pub fn active<T>(keys: &[T], now: UnixTime, times: impl Fn(&T) -> &KeyTimes) -> Option<&T> {
    keys.iter()
        .filter(|k| {
            let t = times(k);
            t.activates_at <= now && !t.is_expired(now)
        })
        .max_by_key(|k| times(k).generation)
}

pub fn state<T>(key: &T, keys: &[T], now: UnixTime, times: impl Fn(&T) -> &KeyTimes) -> KeyState {
    let t = times(key);
    if t.is_expired(now) {
        KeyState::Expired
    } else if t.activates_at > now {
        KeyState::Pending
    } else if active(keys, now, &times).is_some_and(|a| times(a).generation == t.generation) {
        KeyState::Active
    } else {
        KeyState::Retired
    }
}

/// When the next key should activate, if one should be created now by the automatic
/// schedule: immediately when there is no key at all (nothing can have cached a key that
/// does not exist), else one rotation period after the newest key activated, created
/// `prepublish` ahead of that. `None` while a successor is already pending.
pub fn due_activation(keys: &[KeyTimes], now: UnixTime, policy: &Policy) -> Option<UnixTime> {
    let live: Vec<&KeyTimes> = keys.iter().filter(|k| !k.is_expired(now)).collect();
    let Some(newest) = live.iter().max_by_key(|k| k.generation) else {
        return Some(now);
    };
    if newest.activates_at > now {
        return None;
    }
    let due = newest.activates_at + policy.rotation_period;
    (due - policy.prepublish <= now).then(|| due.max(now + policy.prepublish))
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Policy = Policy {
        rotation_period: 1000,
        prepublish: 100,
        retention: 50,
    };

    fn key(generation: i64, activates_at: i64) -> KeyTimes {
        KeyTimes {
            generation,
            created_at: activates_at - POLICY.prepublish,
            activates_at,
            retires_at: None,
            expires_at: None,
        }
    }

    fn id(k: &KeyTimes) -> &KeyTimes {
        k
    }

    #[test]
    fn the_first_key_activates_at_once() {
        assert_eq!(due_activation(&[], 5, &POLICY), Some(5));
    }

    #[test]
    fn a_successor_is_created_prepublish_ahead_of_its_activation() {
        let keys = [key(1, 0)];
        assert_eq!(due_activation(&keys, 899, &POLICY), None);
        assert_eq!(due_activation(&keys, 900, &POLICY), Some(1000));
        // Late (instances were down): still a full prepublish window.
        assert_eq!(due_activation(&keys, 5000, &POLICY), Some(5100));
    }

    #[test]
    fn nothing_is_due_while_a_successor_is_pending() {
        let keys = [key(1, 0), key(2, 1000)];
        assert_eq!(due_activation(&keys, 950, &POLICY), None);
    }

    #[test]
    fn exactly_one_key_is_active_at_each_instant() {
        let mut old = key(1, 0);
        old.retires_at = Some(1000);
        old.expires_at = Some(1050);
        let keys = [old, key(2, 1000)];
        for now in [0, 500, 999, 1000, 1049, 1050, 5000] {
            let states: Vec<KeyState> = keys.iter().map(|k| state(k, &keys, now, id)).collect();
            let actives = states.iter().filter(|s| **s == KeyState::Active).count();
            assert_eq!(actives, 1, "at {now}: {states:?}");
        }
        assert_eq!(state(&keys[1], &keys, 999, id), KeyState::Pending);
        assert_eq!(state(&keys[0], &keys, 1000, id), KeyState::Retired);
        assert!(keys[0].is_published(1049));
        assert!(!keys[0].is_published(1050));
        assert_eq!(active(&keys, 999, id).unwrap().generation, 1);
        assert_eq!(active(&keys, 1000, id).unwrap().generation, 2);
    }
}
