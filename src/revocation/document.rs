//! The signed documents of the revocation feed: the whole list (`kind: snapshot`) or the
//! changes between two versions (`kind: delta`), as compact JWS with `typ`
//! `revocation-list+jwt`, valid for [`FEED_TTL_SECS`].

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use josekit::jwt::JwtPayload;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::state::Entry;
use crate::keys::{KeyError, KeySet};

/// `typ` of every feed document.
pub const FEED_TYP: &str = "revocation-list+jwt";
/// A document is valid this long: a resource server that cannot refresh within that time
/// should fail closed.
pub const FEED_TTL_SECS: i64 = 300;

/// A signed document and what identifies it.
#[derive(Debug)]
pub struct Signed {
    /// The list version the document brings a follower to.
    pub version: i64,
    /// For a delta, the version it starts from.
    pub since: Option<i64>,
    pub body: Bytes,
    /// A strong validator for `If-None-Match`.
    pub etag: String,
    pub signed_at: i64,
}

/// What a document holds besides its entries.
#[derive(Debug, Clone, Copy)]
pub enum Kind<'a> {
    /// The whole list, and why it was sent instead of a delta (when one was asked for).
    Snapshot { reason: Option<&'a str> },
    /// The changes after `since`.
    Delta { since: i64 },
}

fn entry_json(e: &Entry) -> (&'static str, Value) {
    match e {
        Entry::Jti { jti, exp } => ("jtis", json!({ "jti": jti, "exp": exp })),
        Entry::Sid { sid, exp } => ("sids", json!({ "sid": sid, "exp": exp })),
        // Tokens of this client issued before `nbf` are revoked.
        Entry::Client {
            client_id,
            nbf,
            exp,
        } => (
            "clients",
            json!({ "client_id": client_id, "nbf": nbf, "exp": exp }),
        ),
    }
}

/// Signs a document bringing a follower to `version`.
pub fn sign(
    keys: &KeySet,
    issuer: &str,
    kind: Kind<'_>,
    version: i64,
    entries: &[Entry],
    now: i64,
) -> Result<Signed, KeyError> {
    let mut lists = serde_json::Map::new();
    for name in ["jtis", "sids", "clients"] {
        lists.insert(name.into(), Value::Array(Vec::new()));
    }
    for e in entries {
        let (list, value) = entry_json(e);
        if let Some(Value::Array(l)) = lists.get_mut(list) {
            l.push(value);
        }
    }
    let mut p = JwtPayload::new();
    let mut claims = json!({
        "iss": issuer,
        "iat": now,
        "exp": now + FEED_TTL_SECS,
        "version": version,
    });
    match kind {
        Kind::Snapshot { reason } => {
            claims["kind"] = json!("snapshot");
            if let Some(r) = reason {
                claims["reason"] = json!(r);
            }
        }
        Kind::Delta { since } => {
            claims["kind"] = json!("delta");
            claims["since"] = json!(since);
        }
    }
    for (k, v) in claims.as_object().into_iter().flatten().chain(lists.iter()) {
        p.set_claim(k, Some(v.clone()))
            .map_err(|e| KeyError::Jose(e.to_string()))?;
    }
    let body = Bytes::from(keys.sign(FEED_TYP, &p, now)?);
    let etag = format!(
        "\"{}\"",
        URL_SAFE_NO_PAD.encode(&Sha256::digest(&body)[..18])
    );
    Ok(Signed {
        version,
        since: match kind {
            Kind::Delta { since } => Some(since),
            Kind::Snapshot { .. } => None,
        },
        body,
        etag,
        signed_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::test_keys;

    #[test]
    fn a_delta_names_its_versions_and_carries_its_entries_by_kind() {
        let entries = [
            Entry::Jti {
                jti: "j".into(),
                exp: 900,
            },
            Entry::Client {
                client_id: "svc".into(),
                nbf: 100,
                exp: 900,
            },
        ];
        let doc = sign(
            test_keys(),
            "https://id.example",
            Kind::Delta { since: 4 },
            6,
            &entries,
            100,
        )
        .unwrap();
        let jwt = std::str::from_utf8(&doc.body).unwrap();
        let claims = test_keys()
            .verify_typed(jwt, Some(FEED_TYP))
            .unwrap()
            .claims_set()
            .clone();
        assert_eq!(claims["kind"], "delta");
        assert_eq!(
            (claims["since"].as_i64(), claims["version"].as_i64()),
            (Some(4), Some(6))
        );
        assert_eq!(claims["jtis"][0]["jti"], "j");
        assert_eq!(claims["clients"][0]["nbf"], 100);
        assert_eq!(claims["sids"], json!([]));
        assert_eq!(claims["exp"], 100 + FEED_TTL_SECS);
    }
}
