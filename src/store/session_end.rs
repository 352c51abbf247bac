//! Ending SSO sessions, whoever asks (RP-initiated logout, an operator, disabling a user):
//! the session row goes, its `sid` is revoked so resource servers drop its tokens through
//! the revocation feed, its refresh-token families (and their access tokens) are revoked,
//! and each of its clients with a back-channel logout URI gets a delivery queued — in one
//! transaction, so a crash cannot end a session without its notifications.

use diesel::Connection;

use crate::clock::UnixTime;
use crate::domain::opaque;
use crate::store::backchannel::{self, Delivery};
use crate::store::{DbConnection, StoreError, clients, refresh_tokens, revoked, sessions};

/// Returns the number of back-channel deliveries queued. `block_until` is when every
/// access token of the session has expired (issue time + lifetime + skew).
pub fn end_session(
    conn: &mut DbConnection,
    sid: &str,
    now: UnixTime,
    block_until: UnixTime,
) -> Result<usize, StoreError> {
    conn.transaction(|c| {
        sessions::delete_by_sid(c, sid)?;
        revoked::revoke_session(c, sid, block_until, now)?;
        refresh_tokens::revoke_session(c, sid, now)?;
        let mut queued = 0;
        let trace = crate::telemetry::spans::current();
        for (client_id, user_id) in backchannel::take_session_clients(c, sid)? {
            let wants =
                clients::find(c, &client_id)?.is_some_and(|cl| cl.backchannel_logout_uri.is_some());
            if wants {
                backchannel::enqueue(
                    c,
                    &Delivery {
                        id: opaque::identifier(),
                        client_id,
                        user_id,
                        sid: sid.to_string(),
                        attempts: 0,
                        next_attempt_at: now,
                        last_error: None,
                        created_at: now,
                        trace_parent: trace.as_ref().map(|t| t.traceparent()),
                        trace_state: trace.as_ref().and_then(|t| t.state.clone()),
                    },
                )?;
                queued += 1;
            }
        }
        Ok(queued)
    })
}

/// Ends every session of a user; returns how many.
pub fn end_user_sessions(
    conn: &mut DbConnection,
    user_id: &str,
    now: UnixTime,
    block_until: UnixTime,
) -> Result<usize, StoreError> {
    let list = sessions::list_for_user(conn, user_id)?;
    for s in &list {
        end_session(conn, &s.sid, now, block_until)?;
    }
    Ok(list.len())
}
