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

/// RFC 8693 chains: what was exchanged from a revoked token goes too, down the chain
/// (breadth first, each token once).
pub fn revoke_exchanged(
    store: &mut impl GrantStore,
    root_jti: &str,
    now: UnixTime,
) -> Result<(), StoreError> {
    let mut queue = vec![root_jti.to_string()];
    let mut seen = std::collections::HashSet::new();
    while let Some(parent) = queue.pop() {
        if !seen.insert(parent.clone()) {
            continue;
        }
        for child in store.exchanged_from(&parent, now)? {
            let status = child.status.as_ref().map(|(l, i)| (l.as_str(), *i));
            store.revoke_jti(&child.jti, status, child.exp, now)?;
            queue.push(child.jti);
        }
    }
    Ok(())
}

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
                store.revoke_jti(jti, claims.status(issuer), exp, now)?;
                revoke_exchanged(store, jti, now)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::client::fixtures::{confidential_web_app, public_spa, service};
    use crate::domain::user::fixtures::alice;
    use crate::token::client_credentials;
    use crate::token::fixtures::{ISSUER, NOW, claims, grants, issuer, refresh_family};

    fn service_token() -> (String, String) {
        let body = client_credentials::exchange(&issuer(), &service(), None, &[], NOW).unwrap();
        let token = body["access_token"].as_str().unwrap().to_string();
        let jti = claims(&token)["jti"].as_str().unwrap().to_string();
        (token, jti)
    }

    #[test]
    fn a_client_revokes_its_own_access_token_until_it_expires() {
        let mut g = grants();
        let (token, jti) = service_token();
        revoke(
            crate::keys::test_keys(),
            ISSUER,
            &mut g,
            &service(),
            &token,
            NOW,
        )
        .unwrap();
        assert_eq!(g.revoked_jtis.get(&jti), Some(&(NOW + 600)));
    }

    #[test]
    fn another_clients_access_token_is_left_alone() {
        let mut g = grants();
        let (token, jti) = service_token();
        revoke(
            crate::keys::test_keys(),
            ISSUER,
            &mut g,
            &confidential_web_app(),
            &token,
            NOW,
        )
        .unwrap();
        assert!(!g.is_revoked(&jti));
    }

    #[test]
    fn revoking_a_refresh_token_revokes_its_family_and_its_access_tokens() {
        let (mut g, client) = (grants(), confidential_web_app());
        let (refresh, jti) = refresh_family(&mut g, &client, &alice(), "openid", NOW);
        let mut other = public_spa();
        other.grant_types = client.grant_types.clone();
        revoke(
            crate::keys::test_keys(),
            ISSUER,
            &mut g,
            &other,
            &refresh,
            NOW,
        )
        .unwrap();
        assert!(!g.is_revoked(&jti), "not by another client");
        revoke(
            crate::keys::test_keys(),
            ISSUER,
            &mut g,
            &client,
            &refresh,
            NOW,
        )
        .unwrap();
        assert!(g.is_revoked(&jti));
        let family = g.refresh.values().next().unwrap().family_id.clone();
        assert!(g.family_revoked(&family));
    }

    #[test]
    fn an_unknown_token_changes_nothing() {
        let mut g = grants();
        revoke(
            crate::keys::test_keys(),
            ISSUER,
            &mut g,
            &service(),
            "nonsense",
            NOW,
        )
        .unwrap();
        assert!(g.revoked_jtis.is_empty());
    }
}
