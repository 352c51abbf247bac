//! Status indexes for new access tokens, without a database round trip per token: each
//! instance reserves blocks of indexes per client (`store::status_lists::reserve_block`)
//! and hands them out from memory, reserving the next block in the background when half
//! of the current one is used. A block is used for at most [`BLOCK_MAX_AGE_SECS`] (so a
//! list's end of life is known), and dropped when the client's tokens are revoked (a
//! client's not-before covers whole blocks).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use tokio::sync::Mutex;

use crate::clock::Clock;
use crate::store::status_lists::{self, Block};
use crate::store::{Store, StoreError};

/// Indexes per block.
pub const BLOCK: i64 = 1024;
/// Indexes per list: 2^20 (128 KiB of bits before compression).
pub const CAPACITY: i64 = 1 << 20;
/// A block hands out indexes for at most this long.
pub const BLOCK_MAX_AGE_SECS: i64 = 3600;

/// Where an access token's status lives: `idx` in the list `list_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRef {
    pub list_id: String,
    pub idx: i64,
}

#[derive(Debug, Default)]
struct SlotState {
    current: Option<(Block, i64, i64)>, // block, next index, reserved at
    spare: Option<(Block, i64)>,        // block, reserved at
    prefetching: bool,
    /// Bumped by `retire`: a reservation that started before is not used.
    generation: u64,
}

impl SlotState {
    /// The next index from the current block (or the spare), when one is usable.
    fn take(&mut self, now: i64) -> Option<(String, i64, bool)> {
        let usable = |c: &Option<(Block, i64, i64)>| {
            c.as_ref()
                .is_some_and(|(b, next, at)| *next < b.end && now - at < BLOCK_MAX_AGE_SECS)
        };
        if !usable(&self.current) {
            match self.spare.take() {
                Some((b, at)) if now - at < BLOCK_MAX_AGE_SECS => {
                    self.current = Some((b.clone(), b.start, at));
                }
                _ => return None,
            }
        }
        let (block, next, _) = self.current.as_mut()?;
        let idx = *next;
        *next += 1;
        let wants_spare =
            *next - block.start >= BLOCK / 2 && self.spare.is_none() && !self.prefetching;
        Some((block.list_id.clone(), idx, wants_spare))
    }
}

/// One client's blocks. Handing out an index is a few instructions under a plain mutex
/// (never held across an await); only reserving a block waits, one reservation at a time.
#[derive(Debug, Default)]
struct Slot {
    state: std::sync::Mutex<SlotState>,
    reserving: Mutex<()>,
}

impl Slot {
    fn state(&self) -> std::sync::MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub struct Allocator {
    store: Store,
    clock: Arc<dyn Clock>,
    /// How long after a block's last use its tokens can still be alive.
    token_lifetime: i64,
    slots: RwLock<HashMap<String, Arc<Slot>>>,
}

impl Allocator {
    pub fn new(store: Store, clock: Arc<dyn Clock>, token_lifetime: i64) -> Arc<Self> {
        Arc::new(Self {
            store,
            clock,
            token_lifetime,
            slots: RwLock::new(HashMap::new()),
        })
    }

    fn slot(&self, client_id: &str) -> Arc<Slot> {
        if let Some(s) = self
            .slots
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(client_id)
        {
            return s.clone();
        }
        self.slots
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .entry(client_id.to_string())
            .or_default()
            .clone()
    }

    async fn reserve(&self, client_id: &str) -> Result<(Block, i64), StoreError> {
        let now = self.clock.now();
        let expires_at = now + BLOCK_MAX_AGE_SECS + self.token_lifetime;
        let client = client_id.to_string();
        let block = self
            .store
            .run(move |c| status_lists::reserve_block(c, &client, BLOCK, CAPACITY, now, expires_at))
            .await?;
        Ok((block, now))
    }

    /// The next index for a token of `client_id`.
    pub async fn allocate(self: &Arc<Self>, client_id: &str) -> Result<StatusRef, StoreError> {
        let slot = self.slot(client_id);
        loop {
            let now = self.clock.now();
            let taken = slot.state().take(now);
            if let Some((list_id, idx, wants_spare)) = taken {
                if wants_spare {
                    self.prefetch(&slot, client_id);
                }
                return Ok(StatusRef { list_id, idx });
            }
            // The first token of this client here, or a burst past the spare: one caller
            // reserves, the others wait for it and then take from the new block.
            let _reserving = slot.reserving.lock().await;
            let (generation, empty) = {
                let mut s = slot.state();
                let g = s.generation;
                (g, s.take(self.clock.now()).map(|t| (t.0, t.1)))
            };
            if let Some((list_id, idx)) = empty {
                return Ok(StatusRef { list_id, idx });
            }
            let (block, at) = self.reserve(client_id).await?;
            let mut s = slot.state();
            if s.generation == generation {
                s.current = Some((block.clone(), block.start, at));
            }
        }
    }

    fn prefetch(self: &Arc<Self>, slot: &Arc<Slot>, client_id: &str) {
        let generation = {
            let mut s = slot.state();
            if s.prefetching || s.spare.is_some() {
                return;
            }
            s.prefetching = true;
            s.generation
        };
        let (me, slot, client) = (Arc::clone(self), slot.clone(), client_id.to_string());
        actix_web::rt::spawn(async move {
            let reserved = me.reserve(&client).await;
            let mut s = slot.state();
            s.prefetching = false;
            match reserved {
                Ok(spare) if s.generation == generation => s.spare = Some(spare),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot reserve status indexes"),
            }
        });
    }

    /// Stops using a client's blocks: its tokens were revoked by a not-before that covers
    /// them (and their unused indexes).
    pub async fn retire(&self, client_id: &str) {
        let slot = self
            .slots
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(client_id)
            .cloned();
        if let Some(slot) = slot {
            let mut s = slot.state();
            s.current = None;
            s.spare = None;
            s.generation += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(list: &str, start: i64) -> Block {
        Block {
            list_id: list.into(),
            start,
            end: start + BLOCK,
        }
    }

    #[test]
    fn indexes_come_in_order_then_from_the_spare_asked_for_at_half_way() {
        let mut s = SlotState {
            current: Some((block("a", 0), 0, 100)),
            ..Default::default()
        };
        let mut asked = None;
        for i in 0..BLOCK {
            let (list, idx, wants) = s.take(100).unwrap();
            assert_eq!((list.as_str(), idx), ("a", i));
            if wants && asked.is_none() {
                asked = Some(i);
            }
        }
        assert_eq!(
            asked,
            Some(BLOCK / 2 - 1),
            "the spare is asked for half way"
        );
        assert!(s.take(100).is_none(), "used up, no spare yet");
        s.spare = Some((block("b", 2048), 150));
        assert_eq!(s.take(160).map(|t| (t.0, t.1)), Some(("b".into(), 2048)));
    }

    #[test]
    fn a_block_older_than_its_time_is_not_used() {
        let mut s = SlotState {
            current: Some((block("a", 0), 0, 100)),
            spare: Some((block("b", 1024), 100)),
            ..Default::default()
        };
        assert!(s.take(100 + BLOCK_MAX_AGE_SECS).is_none());
    }
}
