//! The application's shared, read-mostly state: built once in `startup` and handed to
//! every handler as `web::Data` (DESIGN.md decision 7). Nothing global. Only `http` and
//! `startup` see it; the rules below them take the few values they need.

use std::sync::Arc;

use crate::clock::{Clock, UnixTime};
use crate::config::Settings;
use crate::domain::password::Passwords;
use crate::http::csrf::CsrfKey;
use crate::keys::KeyManager;
use crate::oidc::discovery::Document;
use crate::revocation::list::Revocations;
use crate::session::backchannel::Backchannel;
use crate::session::login::PasswordChecker;
use crate::status::lists::StatusLists;
use crate::store::Store;
use crate::store::audit_window::FailureWindows;
use crate::store::client_registry::ClientRegistry;
use crate::store::notify::Wakers;
use crate::telemetry::metrics::Metrics;
use crate::token::remote_jwks::RemoteJwks;

pub struct AppState {
    pub settings: Settings,
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub passwords: Passwords,
    pub keys: Arc<KeyManager>,
    pub clients: Arc<ClientRegistry>,
    pub remote_jwks: RemoteJwks,
    pub discovery: Document,
    /// Where the client's address comes from (`http.trusted_proxies`,
    /// `http.client_ip_header`).
    pub client_ip: crate::http::client_ip::ClientIpPolicy,
    /// Signs the CSRF tokens of our forms (derived from the KEK).
    pub csrf: CsrfKey,
    /// Signs the gateway's session tickets (session mode; derived from the KEK).
    pub gateway_ticket: crate::forward_auth::ticket::TicketKey,
    /// Makes and checks DPoP server nonces (derived from the KEK).
    pub dpop_nonce: crate::dpop::NonceKey,
    /// `keys.algorithms` by name: what DPoP proofs may be signed with.
    pub dpop_algorithms: Vec<&'static str>,
    /// DPoP proofs already used at this instance (RFC 9449 §11.1): the whole replay store
    /// on SQLite (one instance) and at `/forward-auth` (no database on that path); in
    /// front of the shared table on PostgreSQL.
    pub dpop_seen: portcullis_dpop::SeenProofs,
    /// Verifiers of DPoP keys seen before (building one costs more than using it).
    pub dpop_keys: portcullis_dpop::KeyCache,
    /// Aggregates repeated client-authentication failures in the audit log.
    pub audit_windows: FailureWindows,
    pub password_checker: PasswordChecker,
    pub revocations: Arc<Revocations>,
    pub status_lists: Arc<StatusLists>,
    pub backchannel: Arc<Backchannel>,
    /// Sends queued mail (`mail::worker`).
    pub mail: Arc<crate::mail::worker::MailWorker>,
    pub metrics: Arc<Metrics>,
    /// Kept here so the LISTEN thread lives as long as the application.
    pub wakers: Arc<Wakers>,
    /// Forward-auth: bearer tokens already verified, sessions already read, and where the
    /// sign-in page may send browsers back to.
    pub forward_auth: ForwardAuth,
    /// The WebAuthn relying party (passkeys), from the issuer.
    pub passkeys: crate::session::passkeys::Passkeys,
    /// Branding, page templates and the default language (`http::look`).
    pub look: Arc<crate::http::look::Look>,
    /// The upstream providers' names, for the sign-in page (`federation::directory`).
    pub upstreams: crate::federation::directory::Directory,
    /// `[ldap]`, when set.
    pub directory: Option<crate::ldap::Directory>,
}

#[derive(Default)]
pub struct ForwardAuth {
    pub verifier: crate::forward_auth::bearer::Verifier,
    pub sessions: crate::forward_auth::sessions::Sessions,
    pub redirect_hosts: Vec<crate::forward_auth::redirect::HostPattern>,
}

impl crate::forward_auth::bearer::Revoked for AppState {
    fn revoked(&self, token: &crate::revocation::list::TokenRef<'_>) -> bool {
        self.revocations.is_revoked(token)
    }

    fn status_bit(&self, list: &str, idx: i64) -> Option<bool> {
        self.status_lists.bit_if_loaded(list, idx)
    }
}

impl AppState {
    pub fn now(&self) -> UnixTime {
        self.clock.now()
    }

    pub fn issuer(&self) -> &str {
        &self.settings.issuer
    }

    /// The client's address (`http::client_ip`), as text.
    pub fn source(&self, req: &actix_web::HttpRequest) -> String {
        self.client_ip.source(req)
    }

    /// Applies revocations written on this instance at once, so this instance's own
    /// answers reflect them (others follow through NOTIFY or their poll). Only the new log
    /// entries are read; nothing is signed here. A failure only delays it: it is logged.
    pub async fn publish_revocations(&self) {
        if let Err(e) = self.revocations.catch_up().await {
            tracing::warn!(error = %e, "revocation list catch-up failed");
        }
    }
}
