//! The `dpop_proof_jtis` table: the replay store for DPoP proofs (RFC 9449 §11.1), shared
//! by every instance. Keyed by SHA-256 of the key's thumbprint and the `jti`, so two
//! clients cannot collide and nothing the client chose is stored as such.

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::schema::dpop_proof_jtis;
use super::{DbConnection, StoreError};
use crate::clock::UnixTime;

/// Records a proof; [`StoreError::Duplicate`] when it was seen before.
pub fn insert(
    conn: &mut DbConnection,
    jkt: &str,
    jti: &str,
    expires_at: UnixTime,
) -> Result<(), StoreError> {
    let mut h = Sha256::new();
    h.update(jkt.as_bytes());
    h.update([0]);
    h.update(jti.as_bytes());
    diesel::insert_into(dpop_proof_jtis::table)
        .values((
            dpop_proof_jtis::id_hash.eq(h.finalize().to_vec()),
            dpop_proof_jtis::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}
