//! Passkeys (WebAuthn level 3, by webauthn-rs): registering one from the account page,
//! using one as the second factor, and signing in with one alone (a discoverable
//! credential: no username).
//!
//! Ceremony state never sits in the database while a page is open: it is sealed under
//! the KEK (AES-256-GCM) into the page's form with its expiry, so showing a sign-in page
//! writes nothing. Each ceremony is finished at most once: its sealed state's hash is
//! recorded in `webauthn_ceremonies` when it is used, and a second use is refused.
//!
//! WebAuthn needs a domain as RP ID (an IP address is not one): under an issuer such as
//! `http://127.0.0.1:8080` passkeys are not offered; `http://localhost:8080` works.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn,
    WebauthnBuilder,
};

use crate::clock::UnixTime;
use crate::domain::user::User;
use crate::keys::KeyManager;
use crate::mfa::level::Factor;
use crate::store::mfa::{self, CeremonyRow, PasskeyRow};
use crate::store::{Store, StoreError};

/// How long a page's ceremony stays usable.
pub const CEREMONY_TTL_SECS: i64 = 300;
const SEAL_CONTEXT: &str = "webauthn-ceremony";

#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    #[error("passkeys need the issuer to have a domain name")]
    Unavailable,
    #[error("the passkey request expired or was already used")]
    Expired,
    #[error("the passkey answer is malformed")]
    Malformed,
    #[error("the passkey was not accepted: {0}")]
    Rejected(String),
    #[error("this passkey is not registered here")]
    Unknown,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a ceremony was started for, sealed with its state.
#[derive(Serialize, Deserialize)]
enum State {
    Register {
        user_id: String,
        state: PasskeyRegistration,
    },
    /// A second factor, or a step-up: this user's passkeys.
    Authenticate {
        user_id: String,
        state: PasskeyAuthentication,
    },
    /// Sign-in with a passkey alone.
    Discover { state: DiscoverableAuthentication },
}

#[derive(Serialize, Deserialize)]
struct Sealed {
    exp: UnixTime,
    state: State,
}

/// A ceremony for a page: the options for `navigator.credentials` (JSON) and the sealed
/// state the form carries back.
pub struct Ceremony {
    pub options: String,
    pub state: String,
}

/// The browser's answer to a registration ceremony, for a signed-in user.
#[derive(Clone, Copy)]
pub struct RegistrationAnswer<'a> {
    pub user_id: &'a str,
    /// The sealed ceremony state the form carried back.
    pub sealed: &'a str,
    /// The `PublicKeyCredential` (JSON) from `navigator.credentials.create`.
    pub credential: &'a str,
    pub name: &'a str,
}

/// The relying party, from the issuer: RP ID = its host, origin = the issuer's origin.
pub struct Passkeys {
    webauthn: Option<Webauthn>,
}

/// WebAuthn's user handle: a UUID derived from our user id (not personal data).
pub fn user_handle(user_id: &str) -> Uuid {
    let digest = Sha256::digest(user_id.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

fn stored(row: &PasskeyRow) -> Result<Passkey, StoreError> {
    serde_json::from_str(&row.passkey)
        .map_err(|e| StoreError::Corrupt(format!("passkeys.passkey: {e}")))
}

impl Passkeys {
    pub fn new(issuer: &str) -> Self {
        let webauthn = Url::parse(issuer).ok().and_then(|origin| {
            let rp_id = origin.domain()?.to_string();
            WebauthnBuilder::new(&rp_id, &origin)
                .ok()?
                .rp_name("Portcullis")
                .build()
                .ok()
        });
        Self { webauthn }
    }

    pub fn available(&self) -> bool {
        self.webauthn.is_some()
    }

    fn rp(&self) -> Result<&Webauthn, PasskeyError> {
        self.webauthn.as_ref().ok_or(PasskeyError::Unavailable)
    }

    fn seal(&self, keys: &KeyManager, state: State, now: UnixTime) -> Result<String, PasskeyError> {
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
    async fn take(
        &self,
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

    /// Options to register a new passkey for `user` (resident key required, so it can
    /// sign in without a username; user verification required by webauthn-rs's passkey
    /// profile), excluding the ones they have.
    pub fn start_registration(
        &self,
        keys: &KeyManager,
        user: &User,
        existing: &[PasskeyRow],
        now: UnixTime,
    ) -> Result<Ceremony, PasskeyError> {
        let exclude = existing
            .iter()
            .filter_map(|r| stored(r).ok())
            .map(|p| p.cred_id().clone())
            .collect::<Vec<_>>();
        let display = user.display_name.as_deref().unwrap_or(&user.username);
        let (options, state) = self
            .rp()?
            .start_passkey_registration(
                user_handle(&user.id),
                &user.username,
                display,
                Some(exclude),
            )
            .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
        // A discoverable credential (WebAuthn §5.4.6): sign-in without a username.
        let mut options = serde_json::to_value(&options).map_err(|_| PasskeyError::Malformed)?;
        if let Some(sel) = options.pointer_mut("/publicKey/authenticatorSelection") {
            sel["residentKey"] = "required".into();
            sel["requireResidentKey"] = true.into();
        }
        let options = options.to_string();
        let state = self.seal(
            keys,
            State::Register {
                user_id: user.id.clone(),
                state,
            },
            now,
        )?;
        Ok(Ceremony { options, state })
    }

    /// Checks a registration answer and stores the passkey under its name.
    pub async fn finish_registration(
        &self,
        store: &Store,
        keys: &KeyManager,
        answer: &RegistrationAnswer<'_>,
        now: UnixTime,
    ) -> Result<PasskeyRow, PasskeyError> {
        let RegistrationAnswer {
            user_id,
            sealed,
            credential,
            name,
        } = *answer;
        let State::Register {
            user_id: for_user,
            state,
        } = self.take(store, keys, sealed, now).await?
        else {
            return Err(PasskeyError::Expired);
        };
        if for_user != user_id {
            return Err(PasskeyError::Expired);
        }
        let answer: RegisterPublicKeyCredential =
            serde_json::from_str(credential).map_err(|_| PasskeyError::Malformed)?;
        let passkey = self
            .rp()?
            .finish_passkey_registration(&answer, &state)
            .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
        let json = serde_json::to_value(&passkey).map_err(|_| PasskeyError::Malformed)?;
        let synced = json
            .pointer("/cred/backup_eligible")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        let row = PasskeyRow {
            credential_id: URL_SAFE_NO_PAD.encode(passkey.cred_id().as_ref()),
            user_id: user_id.to_string(),
            name: name.to_string(),
            passkey: json.to_string(),
            // The passkey profile requires user verification at registration.
            user_verified: true,
            synced,
            created_at: now,
            last_used_at: None,
        };
        let insert = row.clone();
        store
            .run(move |c| mfa::insert_passkey(c, &insert))
            .await
            .map_err(|e| match e {
                StoreError::Duplicate => PasskeyError::Rejected("already registered".into()),
                e => PasskeyError::Store(e),
            })?;
        Ok(row)
    }

    /// Options to prove one of this user's passkeys (second factor, step-up).
    pub fn start_authentication(
        &self,
        keys: &KeyManager,
        user_id: &str,
        passkeys: &[PasskeyRow],
        now: UnixTime,
    ) -> Result<Ceremony, PasskeyError> {
        let creds: Vec<Passkey> = passkeys.iter().filter_map(|r| stored(r).ok()).collect();
        if creds.is_empty() {
            return Err(PasskeyError::Unknown);
        }
        let (options, state) = self
            .rp()?
            .start_passkey_authentication(&creds)
            .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
        let options = serde_json::to_string(&options).map_err(|_| PasskeyError::Malformed)?;
        let state = self.seal(
            keys,
            State::Authenticate {
                user_id: user_id.to_string(),
                state,
            },
            now,
        )?;
        Ok(Ceremony { options, state })
    }

    /// Options for signing in with a passkey alone (no username).
    pub fn start_discoverable(
        &self,
        keys: &KeyManager,
        now: UnixTime,
    ) -> Result<Ceremony, PasskeyError> {
        let (options, state) = self
            .rp()?
            .start_discoverable_authentication()
            .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
        let options = serde_json::to_string(&options).map_err(|_| PasskeyError::Malformed)?;
        let state = self.seal(keys, State::Discover { state }, now)?;
        Ok(Ceremony { options, state })
    }

    /// Checks an assertion: the user it proves and the factor. `expected_user` is the user
    /// of a second-factor or step-up ceremony; a discoverable one finds the user from the
    /// credential.
    pub async fn finish_authentication(
        &self,
        store: &Store,
        keys: &KeyManager,
        sealed: &str,
        credential: &str,
        expected_user: Option<&str>,
        now: UnixTime,
    ) -> Result<(String, Factor), PasskeyError> {
        let answer: PublicKeyCredential =
            serde_json::from_str(credential).map_err(|_| PasskeyError::Malformed)?;
        let credential_id = URL_SAFE_NO_PAD.encode(answer.get_credential_id());
        let id = credential_id.clone();
        let row = store
            .run(move |c| mfa::find_passkey(c, &id))
            .await?
            .ok_or(PasskeyError::Unknown)?;
        let mut passkey = stored(&row)?;
        let rp = self.rp()?;
        let result = match self.take(store, keys, sealed, now).await? {
            State::Authenticate { user_id, state } => {
                if Some(user_id.as_str()) != expected_user || row.user_id != user_id {
                    return Err(PasskeyError::Unknown);
                }
                rp.finish_passkey_authentication(&answer, &state)
            }
            State::Discover { state } => {
                if expected_user.is_some() {
                    return Err(PasskeyError::Expired);
                }
                let (handle, _) = rp
                    .identify_discoverable_authentication(&answer)
                    .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
                if handle != user_handle(&row.user_id) {
                    return Err(PasskeyError::Unknown);
                }
                rp.finish_discoverable_authentication(
                    &answer,
                    state,
                    &[DiscoverableKey::from(&passkey)],
                )
            }
            State::Register { .. } => return Err(PasskeyError::Expired),
        }
        .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
        passkey.update_credential(&result);
        let json = serde_json::to_string(&passkey).map_err(|_| PasskeyError::Malformed)?;
        store
            .run(move |c| mfa::touch_passkey(c, &credential_id, &json, now))
            .await?;
        Ok((
            row.user_id,
            Factor::Passkey {
                user_verified: result.user_verified(),
                synced: result.backup_eligible(),
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passkeys_need_an_issuer_with_a_domain_name() {
        assert!(!Passkeys::new("http://127.0.0.1:8080").available());
        assert!(!Passkeys::new("not a url").available());
        assert!(Passkeys::new("http://localhost:8080").available());
        assert!(Passkeys::new("https://id.example.com").available());
    }

    #[test]
    fn the_user_handle_is_stable_per_user_and_reveals_nothing_of_the_id() {
        assert_eq!(user_handle("user-1"), user_handle("user-1"));
        assert_ne!(user_handle("user-1"), user_handle("user-2"));
        assert!(!user_handle("alice").to_string().contains("alice"));
    }
}
