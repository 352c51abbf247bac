//! The signing keys as an operator sees them: each with its place in the lifecycle
//! (`portcullis keys list`, the admin API and console). Never a private part.

use serde::Serialize;

use super::lifecycle::{self, KeyState, KeyTimes};
use crate::store::signing_keys::SigningKeyRow;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeySummary {
    pub kid: String,
    pub alg: String,
    pub state: KeyState,
    pub generation: i64,
    pub created_at: i64,
    pub activates_at: i64,
    pub retires_at: Option<i64>,
    pub expires_at: Option<i64>,
}

/// Each key with its state among the keys of its algorithm (each rotates on its own).
pub fn summaries(rows: &[SigningKeyRow], now: i64) -> Vec<KeySummary> {
    rows.iter()
        .map(|r| {
            let same: Vec<KeyTimes> = rows
                .iter()
                .filter(|o| o.alg == r.alg)
                .map(KeyTimes::from)
                .collect();
            (r, KeyTimes::from(r), same)
        })
        .map(|(r, t, same)| KeySummary {
            kid: r.kid.clone(),
            alg: r.alg.clone(),
            state: lifecycle::state(&t, &same, now, |k| k),
            generation: r.generation,
            created_at: r.created_at,
            activates_at: r.activates_at,
            retires_at: r.retires_at,
            expires_at: r.expires_at,
        })
        .collect()
}
