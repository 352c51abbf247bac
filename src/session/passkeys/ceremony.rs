//! WebAuthn ceremony state between the page and its answer: sealed under the KEK
//! (AES-256-GCM) into the form with an expiry, so showing a page writes nothing, and
//! recorded in `webauthn_ceremonies` when used, so it is used once across instances.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use webauthn_rs_core::proto::{AuthenticationState, RegistrationState};

use super::PasskeyError;
use crate::clock::UnixTime;
use crate::keys::KeyManager;
use crate::store::mfa::{self, CeremonyRow};
use crate::store::{Store, StoreError};

/// How long a page's ceremony stays usable.
pub const CEREMONY_TTL_SECS: i64 = 300;
const SEAL_CONTEXT: &str = "webauthn-ceremony";

/// What a ceremony was started for, sealed with its state.
#[derive(Serialize, Deserialize)]
pub(super) enum State {
    Register {
        user_id: String,
        state: RegistrationState,
    },
    /// A second factor, or a step-up: this user's passkeys.
    Authenticate {
        user_id: String,
        state: AuthenticationState,
    },
    /// Sign-in with a passkey alone.
    Discover { state: AuthenticationState },
}

#[derive(Serialize, Deserialize)]
struct Sealed {
    exp: UnixTime,
    state: State,
}

pub(super) fn seal(keys: &KeyManager, state: State, now: UnixTime) -> Result<String, PasskeyError> {
    let plain = serde_json::to_vec(&Sealed {
        exp: now + CEREMONY_TTL_SECS,
        state,
    })
    .map_err(|_| PasskeyError::Malformed)?;
    let sealed = keys
        .seal_secret(SEAL_CONTEXT, &plain)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(sealed))
}

/// Opens a sealed state and uses it up (once, across instances).
pub(super) async fn take(
    store: &Store,
    keys: &KeyManager,
    sealed: &str,
    now: UnixTime,
) -> Result<State, PasskeyError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(sealed.trim())
        .map_err(|_| PasskeyError::Expired)?;
    let plain = keys
        .open_secret(SEAL_CONTEXT, &bytes)
        .map_err(|_| PasskeyError::Expired)?;
    let opened: Sealed =
        serde_json::from_slice(plain.expose()).map_err(|_| PasskeyError::Expired)?;
    if opened.exp <= now {
        return Err(PasskeyError::Expired);
    }
    let row = CeremonyRow {
        id_hash: Sha256::digest(&bytes).to_vec(),
        user_id: None,
        kind: "used".into(),
        state: String::new(),
        expires_at: opened.exp,
    };
    match store.run(move |c| mfa::insert_ceremony(c, &row)).await {
        Ok(()) => {}
        Err(StoreError::Duplicate) => return Err(PasskeyError::Expired),
        Err(e) => return Err(e.into()),
    }
    Ok(opened.state)
}
