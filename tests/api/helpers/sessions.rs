//! Sessions written straight into the database, as a browser sign-in would leave them, for
//! tests of what happens to them across crashes and restarts.

use diesel::prelude::*;
use portcullis::store::schema::sessions;
use portcullis::store::{DbConnection, backchannel};

use super::internals::opaque;

/// A live session `sid` of `user_id` (an hour left) in which `client_id` received tokens,
/// so ending it owes that client a back-channel logout.
pub fn seed_session(conn: &mut DbConnection, sid: &str, user_id: &str, client_id: &str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    diesel::insert_into(sessions::table)
        .values((
            sessions::id_hash.eq(opaque::hash(sid)),
            sessions::sid.eq(sid),
            sessions::user_id.eq(user_id),
            sessions::auth_time.eq(now),
            sessions::amr.eq("[\"pwd\"]"),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(now + 3600),
        ))
        .execute(conn)
        .unwrap();
    backchannel::add_session_client(conn, sid, client_id, user_id, now).unwrap();
}
