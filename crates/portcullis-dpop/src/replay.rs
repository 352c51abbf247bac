//! Proofs already seen, in memory: for a resource server (or a gateway's authorization
//! service) that must refuse a replayed proof without a shared store (RFC 9449 §11.1).
//! Sharded so concurrent requests do not queue on one lock; bounded, so a flood of proofs
//! cannot grow it without limit (a full shard forgets what has expired, then its oldest
//! half).

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

const SHARDS: usize = 16;
const PER_SHARD: usize = 8192;

pub struct SeenProofs {
    shards: Vec<Mutex<HashMap<[u8; 32], i64>>>,
}

impl Default for SeenProofs {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }
}

impl SeenProofs {
    /// Records the proof of key `jkt` with `jti`, remembered until `expires_at`; `false`
    /// when it was seen before (a replay).
    pub fn first_use(&self, jkt: &str, jti: &str, expires_at: i64, now: i64) -> bool {
        let mut h = Sha256::new();
        h.update(jkt.as_bytes());
        h.update([0]);
        h.update(jti.as_bytes());
        let key: [u8; 32] = h.finalize().into();
        let mut shard = self.shards[key[0] as usize % SHARDS]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if shard.get(&key).is_some_and(|exp| *exp > now) {
            return false;
        }
        if shard.len() >= PER_SHARD {
            shard.retain(|_, exp| *exp > now);
            if shard.len() >= PER_SHARD {
                let mut by_expiry: Vec<i64> = shard.values().copied().collect();
                by_expiry.sort_unstable();
                let cut = by_expiry[by_expiry.len() / 2];
                shard.retain(|_, exp| *exp > cut);
            }
        }
        shard.insert(key, expires_at);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_is_accepted_once_within_its_window() {
        let seen = SeenProofs::default();
        assert!(seen.first_use("k", "j1", 160, 100));
        assert!(!seen.first_use("k", "j1", 160, 120));
        assert!(seen.first_use("other-key", "j1", 160, 120), "per key");
        assert!(
            seen.first_use("k", "j1", 260, 200),
            "after its window it is stale anyway"
        );
    }
}
