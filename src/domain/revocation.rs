//! One revocation: what the revocation log stores, instances apply and followers read.

/// One revocation, as the database hands it over and as deltas carry it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// An access token, by `jti`, until `exp`.
    Jti { jti: String, exp: i64 },
    /// Every token of a session, until `exp`.
    Sid { sid: String, exp: i64 },
    /// Every token of a client issued before `nbf`, until `exp`.
    Client {
        client_id: String,
        nbf: i64,
        exp: i64,
    },
}

impl Entry {
    pub fn exp(&self) -> i64 {
        match self {
            Entry::Jti { exp, .. } | Entry::Sid { exp, .. } | Entry::Client { exp, .. } => *exp,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Entry::Jti { .. } => "jti",
            Entry::Sid { .. } => "sid",
            Entry::Client { .. } => "client",
        }
    }
}
