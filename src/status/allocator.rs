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
struct Slot {
    current: Option<(Block, i64, i64)>, // block, next index, reserved at
    spare: Option<(Block, i64)>,        // block, reserved at
    prefetching: bool,
    /// Bumped by `retire`: a reservation that started before is not used.
    generation: u64,
}

pub struct Allocator {
    store: Store,
    clock: Arc<dyn Clock>,
    /// How long after a block's last use its tokens can still be alive.
    token_lifetime: i64,
    slots: RwLock<HashMap<String, Arc<Mutex<Slot>>>>,
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

    fn slot(&self, client_id: &str) -> Arc<Mutex<Slot>> {
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
        let mut s = slot.lock().await;
        let now = self.clock.now();
        let usable = |c: &Option<(Block, i64, i64)>| {
            c.as_ref()
                .is_some_and(|(b, next, at)| *next < b.end && now - at < BLOCK_MAX_AGE_SECS)
        };
        if !usable(&s.current) {
            s.current = match s.spare.take() {
                Some((b, at)) if now - at < BLOCK_MAX_AGE_SECS => Some((b.clone(), b.start, at)),
                _ => {
                    // The first token of this client here, or a burst past the spare.
                    let (b, at) = self.reserve(client_id).await?;
                    Some((b.clone(), b.start, at))
                }
            };
        }
        let Some((block, next, _)) = s.current.as_mut() else {
            return Err(StoreError::TaskFailed);
        };
        let idx = *next;
        *next += 1;
        let half_used = *next - block.start >= BLOCK / 2;
        let list_id = block.list_id.clone();
        if half_used && s.spare.is_none() && !s.prefetching {
            s.prefetching = true;
            let generation = s.generation;
            let (me, slot, client) = (Arc::clone(self), slot.clone(), client_id.to_string());
            actix_web::rt::spawn(async move {
                let reserved = me.reserve(&client).await;
                let mut s = slot.lock().await;
                s.prefetching = false;
                match reserved {
                    Ok(spare) if s.generation == generation => s.spare = Some(spare),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot reserve status indexes"),
                }
            });
        }
        Ok(StatusRef { list_id, idx })
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
            let mut s = slot.lock().await;
            s.current = None;
            s.spare = None;
            s.generation += 1;
        }
    }
}
