//! Passkeys (WebAuthn level 3, by webauthn-rs's core): registering one from the account
//! page, using one as the second factor, and signing in with one alone (a discoverable
//! credential: no username).
//!
//! User verification is *preferred* at registration and as a second factor (WebAuthn
//! §5.8.6): a security key without a PIN still makes a second factor (`acr` 2), a passkey
//! that verified the user is phishing-resistant (`acr` 3). Signing in with a passkey alone
//! *requires* user verification — without it a passkey would be one factor. webauthn-rs's
//! high-level passkey type always requires it, so its core is used, with the same checks.
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
use sha2::{Digest, Sha256};
use url::Url;
use webauthn_rs_core::WebauthnCore;
use webauthn_rs_core::proto::{
    AttestationConveyancePreference, AuthenticationResult, Credential, PublicKeyCredential,
    RegisterPublicKeyCredential, UserVerificationPolicy,
};

use crate::clock::UnixTime;
use crate::domain::user::User;
use crate::keys::KeyManager;
use crate::mfa::level::Factor;
use crate::store::mfa::{self, PasskeyRow};
use crate::store::{Store, StoreError};

mod ceremony;

pub use ceremony::CEREMONY_TTL_SECS;
use ceremony::{State, seal, take};

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
    webauthn: Option<WebauthnCore>,
}

/// WebAuthn's user handle: 16 bytes derived from our user id (WebAuthn §14.6.1: not
/// personal data).
pub fn user_handle(user_id: &str) -> [u8; 16] {
    let digest = Sha256::digest(user_id.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes
}

fn stored(row: &PasskeyRow) -> Result<Credential, StoreError> {
    serde_json::from_str(&row.passkey)
        .map_err(|e| StoreError::Corrupt(format!("passkeys.passkey: {e}")))
}

/// A use may move the signature counter and the backup flags (WebAuthn §6.1.3).
fn update(cred: &mut Credential, res: &AuthenticationResult) {
    if res.counter() > cred.counter {
        cred.counter = res.counter();
    }
    cred.backup_state = res.backup_state();
    cred.backup_eligible |= res.backup_eligible();
}

impl Passkeys {
    pub fn new(issuer: &str) -> Self {
        let webauthn = Url::parse(issuer).ok().and_then(|url| {
            // The RP ID is the issuer's host, which must be a domain (WebAuthn §5.1.3).
            let rp_id = url.domain()?.to_string();
            let origin = Url::parse(&url.origin().ascii_serialization()).ok()?;
            Some(WebauthnCore::new_unsafe_experts_only(
                "Portcullis",
                &rp_id,
                vec![origin],
                std::time::Duration::from_secs(CEREMONY_TTL_SECS as u64),
                Some(false),
                Some(false),
            ))
        });
        Self { webauthn }
    }

    pub fn available(&self) -> bool {
        self.webauthn.is_some()
    }

    fn rp(&self) -> Result<&WebauthnCore, PasskeyError> {
        self.webauthn.as_ref().ok_or(PasskeyError::Unavailable)
    }

    /// Options to register a new passkey for `user` (resident key required, so it can
    /// sign in without a username; user verification preferred), excluding the ones they
    /// have.
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
            .map(|c| c.cred_id)
            .collect::<Vec<_>>();
        let display = user.display_name.as_deref().unwrap_or(&user.username);
        let rp = self.rp()?;
        let reject =
            |e: webauthn_rs_core::error::WebauthnError| PasskeyError::Rejected(e.to_string());
        let builder = rp
            .new_challenge_register_builder(&user_handle(&user.id), &user.username, display)
            .map_err(reject)?
            .attestation(AttestationConveyancePreference::None)
            // A discoverable credential (WebAuthn §5.4.6): sign-in without a username.
            .require_resident_key(true)
            .user_verification_policy(UserVerificationPolicy::Preferred)
            .exclude_credentials(Some(exclude));
        let (options, state) = rp.generate_challenge_register(builder).map_err(reject)?;
        let options = serde_json::to_string(&options).map_err(|_| PasskeyError::Malformed)?;
        let state = seal(
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
        } = take(store, keys, sealed, now).await?
        else {
            return Err(PasskeyError::Expired);
        };
        if for_user != user_id {
            return Err(PasskeyError::Expired);
        }
        let answer: RegisterPublicKeyCredential =
            serde_json::from_str(credential).map_err(|_| PasskeyError::Malformed)?;
        let cred = self
            .rp()?
            .register_credential(&answer, &state, None)
            .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
        let json = serde_json::to_string(&cred).map_err(|_| PasskeyError::Malformed)?;
        let row = PasskeyRow {
            credential_id: URL_SAFE_NO_PAD.encode(cred.cred_id.as_ref()),
            user_id: user_id.to_string(),
            name: name.to_string(),
            passkey: json,
            user_verified: cred.user_verified,
            synced: cred.backup_eligible,
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
        let creds: Vec<Credential> = passkeys.iter().filter_map(|r| stored(r).ok()).collect();
        if creds.is_empty() {
            return Err(PasskeyError::Unknown);
        }
        let rp = self.rp()?;
        let reject =
            |e: webauthn_rs_core::error::WebauthnError| PasskeyError::Rejected(e.to_string());
        let builder = rp
            .new_challenge_authenticate_builder(creds, Some(UserVerificationPolicy::Preferred))
            .map_err(reject)?
            .allow_backup_eligible_upgrade(true);
        let (options, state) = rp
            .generate_challenge_authenticate(builder)
            .map_err(reject)?;
        let options = serde_json::to_string(&options).map_err(|_| PasskeyError::Malformed)?;
        let state = seal(
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
        let rp = self.rp()?;
        let reject =
            |e: webauthn_rs_core::error::WebauthnError| PasskeyError::Rejected(e.to_string());
        let builder = rp
            .new_challenge_authenticate_builder(Vec::new(), Some(UserVerificationPolicy::Required))
            .map_err(reject)?
            .allow_backup_eligible_upgrade(true);
        let (options, state) = rp
            .generate_challenge_authenticate(builder)
            .map_err(reject)?;
        let options = serde_json::to_string(&options).map_err(|_| PasskeyError::Malformed)?;
        let state = seal(keys, State::Discover { state }, now)?;
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
        let mut cred = stored(&row)?;
        let rp = self.rp()?;
        let state = match take(store, keys, sealed, now).await? {
            State::Authenticate { user_id, state } => {
                if Some(user_id.as_str()) != expected_user || row.user_id != user_id {
                    return Err(PasskeyError::Unknown);
                }
                state
            }
            State::Discover { mut state } => {
                if expected_user.is_some() {
                    return Err(PasskeyError::Expired);
                }
                // The authenticator names the account: it must be this credential's.
                let handle = answer.get_user_unique_id().ok_or(PasskeyError::Unknown)?;
                if handle != user_handle(&row.user_id) {
                    return Err(PasskeyError::Unknown);
                }
                state.set_allowed_credentials(vec![cred.clone()]);
                state
            }
            State::Register { .. } => return Err(PasskeyError::Expired),
        };
        let result = rp
            .authenticate_credential(&answer, &state)
            .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
        update(&mut cred, &result);
        let json = serde_json::to_string(&cred).map_err(|_| PasskeyError::Malformed)?;
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
        assert_ne!(&user_handle("alice")[..5], b"alice");
    }
}
