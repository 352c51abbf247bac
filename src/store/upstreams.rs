//! The `upstreams`, `identity_links` and `upstream_logins` tables.

use diesel::prelude::*;

use super::schema::{identity_links, upstream_logins, upstreams};
use super::{DbConnection, StoreError, json};
use crate::clock::UnixTime;
use crate::federation::upstream::Upstream;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = upstreams)]
struct UpstreamRow {
    name: String,
    issuer: String,
    client_id: String,
    client_secret_sealed: Vec<u8>,
    scopes: String,
    claim_mapping: String,
    role_from_claim: Option<String>,
    link_by_verified_email: bool,
    userinfo: bool,
    metadata: String,
    created_at: i64,
}

impl UpstreamRow {
    fn into_upstream(self) -> Result<(Upstream, Vec<u8>), StoreError> {
        Ok((
            Upstream {
                scopes: json::decode("upstreams.scopes", &self.scopes)?,
                claim_mapping: json::decode_value("upstreams.claim_mapping", &self.claim_mapping)?,
                metadata: json::decode_value("upstreams.metadata", &self.metadata)?,
                name: self.name,
                issuer: self.issuer,
                client_id: self.client_id,
                role_from_claim: self.role_from_claim,
                link_by_verified_email: self.link_by_verified_email,
                userinfo: self.userinfo,
            },
            self.client_secret_sealed,
        ))
    }
}

/// Adds an upstream; [`StoreError::Duplicate`] if the name is taken.
pub fn insert(
    conn: &mut DbConnection,
    u: &Upstream,
    secret_sealed: &[u8],
    now: UnixTime,
) -> Result<(), StoreError> {
    diesel::insert_into(upstreams::table)
        .values(UpstreamRow {
            name: u.name.clone(),
            issuer: u.issuer.clone(),
            client_id: u.client_id.clone(),
            client_secret_sealed: secret_sealed.to_vec(),
            scopes: json::encode(&u.scopes),
            claim_mapping: json::encode_value(&u.claim_mapping),
            role_from_claim: u.role_from_claim.clone(),
            link_by_verified_email: u.link_by_verified_email,
            userinfo: u.userinfo,
            metadata: json::encode_value(&u.metadata),
            created_at: now,
        })
        .execute(conn)?;
    Ok(())
}

/// An upstream and its sealed client secret.
pub fn find(
    conn: &mut DbConnection,
    name: &str,
) -> Result<Option<(Upstream, Vec<u8>)>, StoreError> {
    upstreams::table
        .find(name)
        .select(UpstreamRow::as_select())
        .first(conn)
        .optional()?
        .map(UpstreamRow::into_upstream)
        .transpose()
}

/// Every upstream, by name.
pub fn list(conn: &mut DbConnection) -> Result<Vec<Upstream>, StoreError> {
    upstreams::table
        .order(upstreams::name)
        .select(UpstreamRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|r| r.into_upstream().map(|(u, _)| u))
        .collect()
}

/// Deletes an upstream and, with it, its links (the local users stay).
pub fn delete(conn: &mut DbConnection, name: &str) -> Result<bool, StoreError> {
    diesel::delete(identity_links::table.filter(identity_links::upstream.eq(name)))
        .execute(conn)?;
    Ok(diesel::delete(upstreams::table.find(name)).execute(conn)? > 0)
}

/// The local user an upstream identity is linked to.
pub fn linked_user(
    conn: &mut DbConnection,
    upstream: &str,
    subject: &str,
) -> Result<Option<String>, StoreError> {
    Ok(identity_links::table
        .find((upstream, subject))
        .select(identity_links::user_id)
        .first(conn)
        .optional()?)
}

pub fn link(
    conn: &mut DbConnection,
    upstream: &str,
    subject: &str,
    user_id: &str,
    now: UnixTime,
) -> Result<(), StoreError> {
    diesel::insert_into(identity_links::table)
        .values((
            identity_links::upstream.eq(upstream),
            identity_links::subject.eq(subject),
            identity_links::user_id.eq(user_id),
            identity_links::created_at.eq(now),
            identity_links::last_used_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn touch_link(
    conn: &mut DbConnection,
    upstream: &str,
    subject: &str,
    now: UnixTime,
) -> Result<(), StoreError> {
    diesel::update(identity_links::table.find((upstream, subject)))
        .set(identity_links::last_used_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// A user's linked identities: (upstream, subject, linked at, last used).
pub fn links_of(
    conn: &mut DbConnection,
    user_id: &str,
) -> Result<Vec<(String, String, i64, i64)>, StoreError> {
    Ok(identity_links::table
        .filter(identity_links::user_id.eq(user_id))
        .order(identity_links::upstream)
        .select((
            identity_links::upstream,
            identity_links::subject,
            identity_links::created_at,
            identity_links::last_used_at,
        ))
        .load(conn)?)
}

/// A sign-in sent to an upstream, until it comes back.
#[derive(Queryable, Insertable)]
#[diesel(table_name = upstream_logins)]
pub struct PendingLogin {
    pub state_hash: Vec<u8>,
    pub upstream: String,
    pub nonce: String,
    pub verifier: String,
    pub carry_name: String,
    pub carry_value: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingLogin")
            .field("upstream", &self.upstream)
            .finish_non_exhaustive()
    }
}

/// Stores a pending sign-in, and forgets the expired ones.
pub fn start_login(conn: &mut DbConnection, row: &PendingLogin) -> Result<(), StoreError> {
    diesel::delete(upstream_logins::table.filter(upstream_logins::expires_at.le(row.created_at)))
        .execute(conn)?;
    diesel::insert_into(upstream_logins::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Takes a pending sign-in once (a conditional update), if it is still live.
pub fn take_login(
    conn: &mut DbConnection,
    state_hash: &[u8],
    upstream: &str,
    now: UnixTime,
) -> Result<Option<PendingLogin>, StoreError> {
    Ok(diesel::update(
        upstream_logins::table
            .find(state_hash)
            .filter(upstream_logins::upstream.eq(upstream))
            .filter(upstream_logins::used_at.is_null())
            .filter(upstream_logins::expires_at.gt(now)),
    )
    .set(upstream_logins::used_at.eq(Some(now)))
    .returning(upstream_logins::all_columns)
    .get_result(conn)
    .optional()?)
}
