//! Checks presented client credentials against the in-memory registry (RFC 6749 §2.3,
//! RFC 7523 §3). A client may use only its registered method. This is ours rather than
//! oxide-auth's `Registrar`: its `ClientMap` hashes every secret with argon2 (≈220 ms per
//! token request, for a 256-bit random secret that a SHA-256 protects as well), does not
//! form-url-decode Basic credentials (§2.3.1) and knows no `private_key_jwt`; its machines
//! then receive the authenticated client's id. Failures are audited (never with the secret) and answered
//! with `invalid_client` without saying which part was wrong.

use std::sync::Arc;

use serde_json::json;

use super::assertion::{self, AssertionError, Rules};
use super::client_auth::Presented;
use super::remote_jwks::RemoteJwks;
use super::{ErrorCode, TokenError};
use crate::clock::UnixTime;
use crate::domain::client::AuthMethod;
use crate::domain::client::Client;
use crate::domain::opaque;
use crate::store::audit::{self, AuditEvent};
use crate::store::audit_window::FailureWindows;
use crate::store::client_registry::ClientRegistry;
use crate::store::{Store, StoreError, assertion_jtis};

pub struct Authenticator<'a> {
    pub registry: &'a ClientRegistry,
    /// Repeated failures from one source (whatever client ids they name) become one audit
    /// row per window.
    pub audit_windows: &'a FailureWindows,
    pub store: &'a Store,
    pub remote_jwks: &'a RemoteJwks,
    pub issuer: &'a str,
    pub token_endpoint: &'a str,
    pub now: UnixTime,
    pub skew: i64,
}

/// Why authentication failed, for the audit log only.
struct Failure {
    client_id: Option<String>,
    reason: String,
    error: TokenError,
}

/// The most of a presented client id the audit log keeps: an unknown id is attacker
/// input, stored only as a bounded prefix (hardening round 2, finding 4b).
pub const AUDITED_CLIENT_ID_CHARS: usize = 64;

fn fail(client_id: Option<&str>, reason: impl Into<String>) -> Failure {
    Failure {
        client_id: client_id.map(|c| c.chars().take(AUDITED_CLIENT_ID_CHARS).collect()),
        reason: reason.into(),
        error: TokenError::invalid_client("client authentication failed"),
    }
}

impl Authenticator<'_> {
    pub async fn authenticate(
        &self,
        presented: Presented,
        ip: Option<String>,
    ) -> Result<Arc<Client>, TokenError> {
        let method = presented.method();
        match self.check(presented).await {
            Ok(client) => Ok(client),
            Err(f) => {
                tracing::info!(client.id = ?f.client_id, reason = %f.reason, "client authentication failed");
                // Grouped per source whatever the client id (hardening round 2, finding
                // 4b): a random client id per request must not buy a row per request.
                let key = crate::domain::source::source_key(ip.as_deref().unwrap_or(""));
                let admit = self.audit_windows.admit(&key, self.now);
                if !admit.record {
                    return Err(f.error);
                }
                let store = self.store.clone();
                let now = self.now;
                let details = json!({ "reason": f.reason, "method": method.as_str() });
                let client_id = f.client_id.clone();
                // Best effort: an audit failure must not change the answer.
                let recorded = store
                    .run(move |c| {
                        if admit.summary > 0 {
                            audit::record(
                                c,
                                &AuditEvent {
                                    event: "token.client_auth_failed.repeated",
                                    actor: "anonymous",
                                    ip: ip.as_deref(),
                                    details: json!({
                                        "count": admit.summary,
                                        "window_secs": crate::store::audit_window::WINDOW_SECS,
                                    }),
                                    ..Default::default()
                                },
                                now,
                            )?;
                        }
                        audit::record(
                            c,
                            &AuditEvent {
                                event: "token.client_auth_failed",
                                actor: "anonymous",
                                client_id: client_id.as_deref(),
                                ip: ip.as_deref(),
                                details,
                                ..Default::default()
                            },
                            now,
                        )
                    })
                    .await;
                if let Err(e) = recorded {
                    tracing::warn!(error = %e, "cannot record a failed client authentication");
                }
                Err(f.error)
            }
        }
    }

    async fn check(&self, presented: Presented) -> Result<Arc<Client>, Failure> {
        match presented {
            Presented::Secret {
                method,
                client_id,
                secret,
            } => {
                let Some(client) = self.registry.get(&client_id) else {
                    // Same work as for a known client, so timing does not reveal ids.
                    let _ = opaque::matches(secret.expose(), &[0u8; 32]);
                    return Err(fail(Some(&client_id), "unknown client"));
                };
                if client.token_endpoint_auth_method != method {
                    return Err(fail(Some(&client_id), "wrong authentication method"));
                }
                let ok = client
                    .secret_hash
                    .as_deref()
                    .is_some_and(|h| opaque::matches(secret.expose(), h));
                if !ok {
                    return Err(fail(Some(&client_id), "wrong secret"));
                }
                Ok(client)
            }
            Presented::ClientIdOnly { client_id } => {
                let client = self
                    .registry
                    .get(&client_id)
                    .ok_or_else(|| fail(Some(&client_id), "unknown client"))?;
                if client.token_endpoint_auth_method != AuthMethod::None {
                    return Err(fail(
                        Some(&client_id),
                        "no credentials from a confidential client",
                    ));
                }
                Ok(client)
            }
            Presented::Assertion {
                client_id,
                assertion,
            } => self.check_assertion(client_id, &assertion).await,
        }
    }

    async fn check_assertion(
        &self,
        body_id: Option<String>,
        assertion: &str,
    ) -> Result<Arc<Client>, Failure> {
        // The client is named by the assertion's `sub` (and `client_id`, if sent, must agree).
        let claimed = unverified_subject(assertion)
            .ok_or_else(|| fail(body_id.as_deref(), "malformed client assertion"))?;
        if body_id.as_deref().is_some_and(|b| b != claimed) {
            return Err(fail(
                Some(&claimed),
                "client_id differs from the assertion subject",
            ));
        }
        let client = self
            .registry
            .get(&claimed)
            .ok_or_else(|| fail(Some(&claimed), "unknown client"))?;
        if client.token_endpoint_auth_method != AuthMethod::PrivateKeyJwt {
            return Err(fail(Some(&claimed), "wrong authentication method"));
        }
        // FAPI 2.0 Security Profile §5.3.2.1: the issuer is the only audience its
        // clients' assertions may name (RFC 7523bis closes the audience confusion).
        let fapi2 = client.profile == Some(crate::domain::profile::ClientProfile::Fapi2);
        let rules = Rules {
            client_id: &client.id,
            audiences: [
                if fapi2 {
                    self.issuer
                } else {
                    self.token_endpoint
                },
                self.issuer,
            ],
            now: self.now,
            skew: self.skew,
        };
        let verified = match (&client.jwks, &client.jwks_uri) {
            (Some(jwks), _) => assertion::verify(assertion, jwks, &rules),
            (None, Some(uri)) => {
                let jwks = self
                    .remote_jwks
                    .get(uri, false)
                    .await
                    .map_err(|e| fail(Some(&claimed), e))?;
                match assertion::verify(assertion, &jwks, &rules) {
                    Err(AssertionError::UnknownKey) => {
                        let jwks = self
                            .remote_jwks
                            .get(uri, true)
                            .await
                            .map_err(|e| fail(Some(&claimed), e))?;
                        assertion::verify(assertion, &jwks, &rules)
                    }
                    other => other,
                }
            }
            (None, None) => return Err(fail(Some(&claimed), "no registered keys")),
        }
        .map_err(|e| fail(Some(&claimed), e.to_string()))?;

        // Single use: the first insert of (client, jti) wins on every instance.
        let (id, jti, exp) = (client.id.clone(), verified.jti, verified.exp);
        match self
            .store
            .run(move |c| assertion_jtis::insert(c, &id, &jti, exp))
            .await
        {
            Ok(()) => Ok(client),
            Err(StoreError::Duplicate) => Err(fail(Some(&claimed), "client assertion replayed")),
            Err(e) => Err(Failure {
                client_id: Some(claimed),
                reason: e.to_string(),
                error: if e.is_unavailable() {
                    TokenError::new(ErrorCode::TemporarilyUnavailable, "try again shortly")
                } else {
                    TokenError::new(ErrorCode::ServerError, "the request could not be completed")
                },
            }),
        }
    }
}

/// The `sub` of a JWT before verification: only used to find whose keys to verify with.
fn unverified_subject(jwt: &str) -> Option<String> {
    use base64::Engine;
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims["sub"].as_str().map(str::to_string)
}
