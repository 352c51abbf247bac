//! Token revocation (RFC 7009). The client has authenticated; it may revoke only its own
//! tokens (§2.1). An access token's `jti` joins the revocation list until the token
//! expires; a refresh token takes its whole family with it, and the access tokens issued
//! from it (§2.1: "SHOULD also invalidate the access token"). Unknown, invalid or foreign
//! tokens change nothing and still get 200 (§2.2), so the endpoint reveals nothing.

use super::inspect;
use crate::clock::UnixTime;
use crate::domain::client::Client;
use crate::domain::opaque;
use crate::keys::KeySet;
use crate::store::StoreError;
use crate::store::grants::GrantStore;

/// The `token_type_hint` only orders the search (§2.1); both kinds are tried.
pub fn revoke(
    keys: &KeySet,
    issuer: &str,
    store: &mut impl GrantStore,
    client: &Client,
    token: &str,
    now: UnixTime,
) -> Result<(), StoreError> {
    if let Some(claims) = inspect::access_token(keys, issuer, token) {
        let own = claims.str("client_id") == Some(client.id.as_str());
        if let (true, Some(jti), Some(exp)) = (own, claims.str("jti"), claims.num("exp")) {
            if exp > now {
                store.revoke_jti(jti, exp, now)?;
            }
        }
        return Ok(());
    }
    if let Some(row) = store.find_refresh(&opaque::hash(token))? {
        if client.id == row.client_id.as_str() {
            store.revoke_family(&row.family_id, now)?;
        }
    }
    Ok(())
}
