//! Dynamic client registration as a sequence of writes (RFC 7591 §3, RFC 7592 §2): who
//! may register or manage a client, and what is stored, each in one transaction with its
//! audit entry. The rules on the metadata are in `domain::registration::metadata`; the
//! HTTP side is `http::register`.

use diesel::Connection;
use serde_json::{Map, Value};

use super::{ManageError, TOKEN_BYTES, create_client, delete_client, update_client};
use crate::clock::UnixTime;
use crate::domain::client::Client;
use crate::domain::opaque;
use crate::domain::registration::metadata::{self, Informational, OperatorGrants, ServerPolicy};
use crate::domain::registration::metadata_error::{MetadataError, error_for};
use crate::domain::secret::Secret;
use crate::store::client_registrations::{self, ClientRegistration};
use crate::store::{DbConnection, StoreError, clients, initial_access_tokens};

/// Why a registration request was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// RFC 6750 §3.1 `invalid_token`: the initial or registration access token is
    /// missing, unknown, expired or used up, or names another client. One answer for all,
    /// so a caller learns nothing about which clients exist (RFC 7592 §2.1).
    #[error("the access token is missing, invalid, expired or used up")]
    InvalidToken,
    /// RFC 7591 §3.2.2.
    #[error(transparent)]
    Metadata(MetadataError),
    /// Past `registration.rate_limit` for this source this hour: retry after this many
    /// seconds (hardening round 2, finding 5).
    #[error("too many registrations from this address: try again in {0} seconds")]
    RateLimited(i64),
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Unexpected(ManageError),
}

/// The window `registration.rate_limit` counts in.
pub const RATE_WINDOW_SECS: i64 = 3600;

/// Counts one `POST /register` from `source` (an IPv6 source per /64) in this hour's
/// window; refused past `limit`, before the body is read or anything is stored.
pub fn admit(
    conn: &mut DbConnection,
    source: &str,
    limit: i64,
    now: UnixTime,
) -> Result<(), RegistrationError> {
    let window = now.div_euclid(RATE_WINDOW_SECS);
    let key = format!(
        "register:{}:{window}",
        crate::domain::source::source_key(source)
    );
    let (attempt, _) = crate::store::login_failures::reserve(conn, &key, now)?;
    if attempt > limit {
        return Err(RegistrationError::RateLimited(
            (window + 1) * RATE_WINDOW_SECS - now,
        ));
    }
    Ok(())
}

impl From<StoreError> for RegistrationError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<diesel::result::Error> for RegistrationError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(e.into())
    }
}

impl From<ManageError> for RegistrationError {
    fn from(e: ManageError) -> Self {
        match e {
            ManageError::Client(c) => Self::Metadata(error_for(&c)),
            ManageError::ClientNotFound(_) => Self::InvalidToken,
            ManageError::Store(s) => Self::Store(s),
            other => Self::Unexpected(other),
        }
    }
}

/// A registered (or updated, or read) client and what the response carries.
pub struct Registered {
    pub client: Client,
    pub info: Informational,
    /// Issued now (registration, or an update that newly needs one): shown once.
    pub client_secret: Option<Secret<String>>,
    /// Issued at registration only (RFC 7592 §3: we do not rotate it).
    pub registration_access_token: Option<Secret<String>>,
}

impl Registered {
    /// The client information response (RFC 7591 §3.2.1), with `registration_client_uri`.
    pub fn response(&self, registration_client_uri: String) -> Map<String, Value> {
        let mut m = metadata::client_information(&self.client, &self.info);
        if let Some(s) = &self.client_secret {
            m.insert("client_secret".into(), s.expose().as_str().into());
        }
        if let Some(t) = &self.registration_access_token {
            m.insert(
                "registration_access_token".into(),
                t.expose().as_str().into(),
            );
        }
        m.insert(
            "registration_client_uri".into(),
            registration_client_uri.into(),
        );
        m
    }
}

/// RFC 7591 §3: registers a client from `metadata`. Without open registration an initial
/// access token is required; a presented one is always checked, and used once (the
/// use is rolled back with everything else if the metadata is refused).
pub fn register(
    conn: &mut DbConnection,
    initial_token: Option<&Secret<String>>,
    open: bool,
    metadata: Result<Map<String, Value>, MetadataError>,
    policy: &ServerPolicy,
    now: UnixTime,
) -> Result<Registered, RegistrationError> {
    conn.transaction(|c| {
        let token_id = match initial_token {
            Some(t) => Some(
                initial_access_tokens::use_once(c, &opaque::hash(t.expose()), now)?
                    .ok_or(RegistrationError::InvalidToken)?,
            ),
            None if open => None,
            None => return Err(RegistrationError::InvalidToken),
        };
        let metadata = metadata.map_err(RegistrationError::Metadata)?;
        let client_id = opaque::identifier();
        let reg = metadata::to_spec(&metadata, &client_id, OperatorGrants::default(), policy)
            .map_err(RegistrationError::Metadata)?;
        let actor = format!("registration:{}", token_id.as_deref().unwrap_or("open"));
        let (client, client_secret) = create_client(c, &actor, reg.spec, now)?;
        let token = opaque::generate(TOKEN_BYTES);
        client_registrations::insert(
            c,
            &ClientRegistration {
                client_id: client.id.to_string(),
                access_token_hash: opaque::hash(token.expose()),
                metadata: serde_json::to_string(&reg.info)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                initial_token_id: token_id,
                created_at: now,
                updated_at: now,
            },
        )?;
        Ok(Registered {
            client,
            info: reg.info,
            client_secret,
            registration_access_token: Some(token),
        })
    })
}

/// A hash no token has, compared against when a client has no registration, so the
/// answer takes as long as for a wrong token.
const NO_HASH: [u8; 32] = [0; 32];

/// RFC 7592 §2: the client `client_id` as its registration access token proves, or
/// `InvalidToken` — unknown clients, clients an operator registered and wrong tokens alike.
fn authenticate(
    c: &mut DbConnection,
    client_id: &str,
    token: Option<&Secret<String>>,
) -> Result<(Client, ClientRegistration), RegistrationError> {
    let token = token.ok_or(RegistrationError::InvalidToken)?;
    let row = client_registrations::find(c, client_id)?;
    let stored = row.as_ref().map_or(&NO_HASH[..], |r| &r.access_token_hash);
    if !opaque::matches(token.expose(), stored) {
        return Err(RegistrationError::InvalidToken);
    }
    let row = row.ok_or(RegistrationError::InvalidToken)?;
    let client = clients::find(c, client_id)?.ok_or(RegistrationError::InvalidToken)?;
    Ok((client, row))
}

fn informational(row: &ClientRegistration) -> Result<Informational, RegistrationError> {
    serde_json::from_str(&row.metadata)
        .map_err(|e| StoreError::Corrupt(format!("client_registrations.metadata: {e}")).into())
}

/// RFC 7592 §2.1: reads a client's current registration.
pub fn read(
    conn: &mut DbConnection,
    client_id: &str,
    token: Option<&Secret<String>>,
) -> Result<Registered, RegistrationError> {
    let (client, row) = authenticate(conn, client_id, token)?;
    Ok(Registered {
        info: informational(&row)?,
        client,
        client_secret: None,
        registration_access_token: None,
    })
}

/// RFC 7592 §2.2: replaces a client's metadata. The body names the client (`client_id`,
/// required and equal) and may carry its current secret (which must then match); what an
/// operator granted stays. A secret is issued only if the client newly needs one.
pub fn update(
    conn: &mut DbConnection,
    client_id: &str,
    token: Option<&Secret<String>>,
    metadata: Result<Map<String, Value>, MetadataError>,
    policy: &ServerPolicy,
    now: UnixTime,
) -> Result<Registered, RegistrationError> {
    conn.transaction(|c| {
        let (current, _) = authenticate(c, client_id, token)?;
        let metadata = metadata.map_err(RegistrationError::Metadata)?;
        if metadata.get("client_id").and_then(Value::as_str) != Some(client_id) {
            return Err(RegistrationError::Metadata(MetadataError::metadata(
                "client_id must be present and equal to this client's id (RFC 7592 section 2.2)",
            )));
        }
        match metadata.get("client_secret") {
            None | Some(Value::Null) => {}
            Some(Value::String(s))
                if current
                    .secret_hash
                    .as_deref()
                    .is_some_and(|h| opaque::matches(s, h)) => {}
            Some(_) => {
                return Err(RegistrationError::Metadata(MetadataError::metadata(
                    "client_secret does not match this client's current secret (RFC 7592 section 2.2)",
                )));
            }
        }
        let reg = metadata::to_spec(
            &metadata,
            client_id,
            OperatorGrants::of(&current),
            policy,
        )
        .map_err(RegistrationError::Metadata)?;
        let actor = format!("client:{client_id}");
        let (client, client_secret) = update_client(c, &actor, client_id, reg.spec, now)?;
        let text = serde_json::to_string(&reg.info).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        client_registrations::set_metadata(c, client_id, &text, now)?;
        Ok(Registered {
            client,
            info: reg.info,
            client_secret,
            registration_access_token: None,
        })
    })
}

/// RFC 7592 §2.3: deletes the client as `portcullis client delete` does (its grants go,
/// its access tokens are revoked), and its registration with it.
pub fn delete(
    conn: &mut DbConnection,
    client_id: &str,
    token: Option<&Secret<String>>,
    now: UnixTime,
) -> Result<(), RegistrationError> {
    conn.transaction(|c| {
        authenticate(c, client_id, token)?;
        delete_client(c, &format!("client:{client_id}"), client_id, now)?;
        Ok(())
    })
}
