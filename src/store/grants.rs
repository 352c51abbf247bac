//! Grant storage: what the authorization and token rules need from the database, as one
//! small trait. [`DbGrants`] is the diesel implementation the server runs on;
//! [`memory::MemoryGrants`] keeps the same contract in memory for the rules' unit tests.
//!
//! Every method is one short statement (or one transaction) so the rules can run a whole
//! exchange on one pooled connection inside a blocking section.

use super::codes::{self, CodeRow, RedeemedRow};
use super::device_codes::{self, DeviceCodeRow};
use super::exchanged_tokens::{self, Exchanged};
use super::refresh_tokens::{self, RefreshRow};
use super::{DbConnection, StoreError, backchannel, consents, revoked, status_lists, users};
use crate::clock::UnixTime;
use crate::domain::scope::Scope;
use crate::domain::user::User;
use crate::mfa::level::{self, Level};

pub trait GrantStore {
    /// Stores a new authorization code and records that the session now involves the
    /// client (for back-channel logout).
    fn insert_code(&mut self, row: &CodeRow, now: UnixTime) -> Result<(), StoreError>;
    /// Deletes a pushed authorization request as its code is issued (RFC 9126 §4: one
    /// code per `request_uri`); `false` when it was already used up or expired away.
    fn consume_pushed(&mut self, uri_hash: &[u8]) -> Result<bool, StoreError>;
    /// Removes and returns the code if it was issued to this client, recording in the same
    /// transaction what its redemption will issue: a code can be consumed once, however
    /// many requests race for it, and a replay always finds the record.
    fn consume_code(
        &mut self,
        code_hash: &[u8],
        client_id: &str,
        redemption: &RedeemedRow,
    ) -> Result<Option<CodeRow>, StoreError>;
    /// Whether the redemption of this code is still recorded (not yet taken by a replay).
    fn is_redeemed(&mut self, code_hash: &[u8]) -> Result<bool, StoreError>;
    /// Removes and returns what a code of this client produced, if it was redeemed.
    fn take_redemption(
        &mut self,
        code_hash: &[u8],
        client_id: &str,
    ) -> Result<Option<RedeemedRow>, StoreError>;

    fn find_refresh(&mut self, hash: &[u8]) -> Result<Option<RefreshRow>, StoreError>;
    /// Marks a live refresh token of this client used and returns it; `None` when it is
    /// unknown, expired, already used, revoked or another client's.
    fn consume_refresh(
        &mut self,
        hash: &[u8],
        client_id: &str,
        now: UnixTime,
    ) -> Result<Option<RefreshRow>, StoreError>;
    /// Stores a refresh token and the access token issued with it (revoked with its
    /// family).
    fn insert_refresh(
        &mut self,
        row: &RefreshRow,
        access_jti: &str,
        access_expires_at: UnixTime,
    ) -> Result<(), StoreError>;
    /// Revokes every token of a refresh family and the access tokens issued from it.
    fn revoke_family(&mut self, family_id: &str, now: UnixTime) -> Result<(), StoreError>;
    /// Adds an access token's `jti` to the revocation list until it expires, and sets its
    /// status bit (at `status`, its `status_list` reference, or the index recorded for it).
    fn revoke_jti(
        &mut self,
        jti: &str,
        status: Option<(&str, i64)>,
        exp: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError>;
    /// Records which status index an access token of a user got.
    fn record_status(
        &mut self,
        list_id: &str,
        idx: i64,
        jti: &str,
        sid: Option<&str>,
        exp: UnixTime,
    ) -> Result<(), StoreError>;

    fn find_user(&mut self, id: &str) -> Result<Option<User>, StoreError>;
    /// The highest authentication level the user's enrolled factors can reach.
    fn reachable_level(&mut self, user_id: &str) -> Result<Level, StoreError>;
    /// A device code (RFC 8628) by its hash.
    fn find_device_code(&mut self, hash: &str) -> Result<Option<DeviceCodeRow>, StoreError>;
    /// Records a poll of a device code and the interval from now on.
    fn device_polled(&mut self, hash: &str, interval: i64, now: UnixTime)
    -> Result<(), StoreError>;
    /// Redeems an approved device code once.
    fn redeem_device_code(&mut self, hash: &str, now: UnixTime) -> Result<bool, StoreError>;
    /// The live tokens exchanged from this one (RFC 8693).
    fn exchanged_from(
        &mut self,
        parent_jti: &str,
        now: UnixTime,
    ) -> Result<Vec<Exchanged>, StoreError>;
    /// The scopes this user has granted this client so far.
    fn consent(&mut self, user_id: &str, client_id: &str) -> Result<Scope, StoreError>;
    fn save_consent(
        &mut self,
        user_id: &str,
        client_id: &str,
        scope: &Scope,
        now: UnixTime,
    ) -> Result<(), StoreError>;
}

/// The diesel implementation over one connection. `revoked` tells the caller whether a
/// revocation was written, so it can publish the revocation list at once.
pub struct DbGrants<'a> {
    conn: &'a mut DbConnection,
    revoked: bool,
}

impl<'a> DbGrants<'a> {
    pub fn new(conn: &'a mut DbConnection) -> Self {
        Self {
            conn,
            revoked: false,
        }
    }

    pub fn revoked_anything(&self) -> bool {
        self.revoked
    }
}

impl GrantStore for DbGrants<'_> {
    fn consume_pushed(&mut self, uri_hash: &[u8]) -> Result<bool, StoreError> {
        super::pushed_requests::consume(self.conn, uri_hash)
    }

    fn insert_code(&mut self, row: &CodeRow, now: UnixTime) -> Result<(), StoreError> {
        codes::insert(self.conn, row)?;
        if let Some(sid) = &row.session_sid {
            backchannel::add_session_client(self.conn, sid, &row.client_id, &row.user_id, now)?;
        }
        Ok(())
    }

    fn consume_code(
        &mut self,
        code_hash: &[u8],
        client_id: &str,
        redemption: &RedeemedRow,
    ) -> Result<Option<CodeRow>, StoreError> {
        codes::consume(self.conn, code_hash, client_id, redemption)
    }

    fn is_redeemed(&mut self, code_hash: &[u8]) -> Result<bool, StoreError> {
        codes::is_redeemed(self.conn, code_hash)
    }

    fn take_redemption(
        &mut self,
        code_hash: &[u8],
        client_id: &str,
    ) -> Result<Option<RedeemedRow>, StoreError> {
        codes::take_redeemed(self.conn, code_hash, client_id)
    }

    fn find_refresh(&mut self, hash: &[u8]) -> Result<Option<RefreshRow>, StoreError> {
        refresh_tokens::find(self.conn, hash)
    }

    fn consume_refresh(
        &mut self,
        hash: &[u8],
        client_id: &str,
        now: UnixTime,
    ) -> Result<Option<RefreshRow>, StoreError> {
        refresh_tokens::consume(self.conn, hash, client_id, now)
    }

    fn insert_refresh(
        &mut self,
        row: &RefreshRow,
        access_jti: &str,
        access_expires_at: UnixTime,
    ) -> Result<(), StoreError> {
        refresh_tokens::insert(self.conn, row)?;
        refresh_tokens::record_access_token(
            self.conn,
            access_jti,
            &row.family_id,
            access_expires_at,
        )
    }

    fn revoke_family(&mut self, family_id: &str, now: UnixTime) -> Result<(), StoreError> {
        self.revoked = true;
        refresh_tokens::revoke_family(self.conn, family_id, now).map(|_| ())
    }

    fn revoke_jti(
        &mut self,
        jti: &str,
        status: Option<(&str, i64)>,
        exp: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        self.revoked = true;
        revoked::revoke_token(self.conn, jti, status, exp, now)
    }

    fn record_status(
        &mut self,
        list_id: &str,
        idx: i64,
        jti: &str,
        sid: Option<&str>,
        exp: UnixTime,
    ) -> Result<(), StoreError> {
        status_lists::record_token(self.conn, list_id, idx, jti, sid, exp)
    }

    fn find_user(&mut self, id: &str) -> Result<Option<User>, StoreError> {
        users::find_by_id(self.conn, id)
    }

    fn exchanged_from(
        &mut self,
        parent_jti: &str,
        now: UnixTime,
    ) -> Result<Vec<Exchanged>, StoreError> {
        exchanged_tokens::children(self.conn, parent_jti, now)
    }

    fn find_device_code(&mut self, hash: &str) -> Result<Option<DeviceCodeRow>, StoreError> {
        device_codes::find(self.conn, hash)
    }

    fn device_polled(
        &mut self,
        hash: &str,
        interval: i64,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        device_codes::polled(self.conn, hash, interval, now)
    }

    fn redeem_device_code(&mut self, hash: &str, now: UnixTime) -> Result<bool, StoreError> {
        device_codes::redeem(self.conn, hash, now)
    }

    fn reachable_level(&mut self, user_id: &str) -> Result<Level, StoreError> {
        let e = super::mfa::enrolled(self.conn, user_id)?;
        Ok(level::reachable(
            e.totp,
            e.recovery_codes_left > 0,
            &e.passkeys,
        ))
    }

    fn consent(&mut self, user_id: &str, client_id: &str) -> Result<Scope, StoreError> {
        let granted = consents::granted(self.conn, user_id, client_id)?;
        Scope::from_tokens(granted)
            .map_err(|e| StoreError::Corrupt(format!("consents.scopes: {e}")))
    }

    fn save_consent(
        &mut self,
        user_id: &str,
        client_id: &str,
        scope: &Scope,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        consents::save(self.conn, user_id, client_id, &scope.to_vec(), now)
    }
}

/// The same contract in memory, for unit tests of the rules.
#[cfg(test)]
pub mod memory;
