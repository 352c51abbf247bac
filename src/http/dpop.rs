//! DPoP at the HTTP edge (RFC 9449): reading the `DPoP` header, checking the proof for this
//! request (method and public URL), recording its `jti`, and the `DPoP-Nonce` header.

use actix_web::HttpRequest;
use actix_web::http::header::HeaderName;

use crate::dpop::{DpopError, Proof, Rules, proof};
use crate::state::AppState;
use crate::store::StoreError;
use crate::token::{ErrorCode, TokenError};

/// `DPoP-Nonce` (RFC 9449 §8.1).
pub const DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");
/// `DPoP` (RFC 9449 §4.1).
pub const DPOP: HeaderName = HeaderName::from_static("dpop");

/// The request's proof: none, or exactly one `DPoP` header (RFC 9449 §4.3 step 1).
pub fn proof_header(req: &HttpRequest) -> Result<Option<&str>, DpopError> {
    let mut values = req.headers().get_all(DPOP);
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(DpopError::Invalid("more than one DPoP header"));
    }
    first
        .to_str()
        .map(Some)
        .map_err(|_| DpopError::Invalid("the DPoP header is not a JWT"))
}

/// The rules for a proof sent to `url` (our public URL of the endpoint) with `method`;
/// `nonce` checks a server nonce when the endpoint requires one.
pub fn rules<'a>(
    state: &'a AppState,
    method: &'a str,
    url: &'a str,
    access_token: Option<&'a str>,
    nonce: Option<&'a dyn Fn(&str) -> bool>,
) -> Rules<'a> {
    let d = &state.settings.dpop;
    Rules {
        method,
        url,
        algorithms: &state.dpop_algorithms,
        now: state.now(),
        max_age: d.proof_max_age_secs,
        leeway: d.proof_leeway_secs,
        access_token,
        nonce,
        keys: Some(&state.dpop_keys),
    }
}

/// Records the proof's `jti`: a proof is good for one request on any instance (RFC 9449
/// §11.1), for as long as its `iat` is acceptable. This instance's memory answers first;
/// on PostgreSQL (several instances) the shared table decides, one insert per proof; on
/// SQLite (one instance) memory is the whole store, so a DPoP request costs no write.
pub async fn record(state: &AppState, proof: &Proof) -> Result<(), DpopError> {
    let d = &state.settings.dpop;
    let expires_at = proof.iat + d.proof_max_age_secs + d.proof_leeway_secs + 1;
    let replayed = DpopError::Invalid("the DPoP proof was already used");
    if !state
        .dpop_seen
        .first_use(&proof.jkt, &proof.jti, expires_at, state.now())
    {
        return Err(replayed);
    }
    if state.store.backend() != "postgres" {
        return Ok(());
    }
    let (jkt, jti) = (proof.jkt.clone(), proof.jti.clone());
    match state
        .store
        .run(move |c| crate::store::dpop_jtis::insert(c, &jkt, &jti, expires_at))
        .await
    {
        Ok(()) => Ok(()),
        Err(StoreError::Duplicate) => Err(replayed),
        Err(e) => {
            tracing::error!(error = %e, "cannot record a DPoP proof");
            Err(DpopError::Invalid(
                "the DPoP proof could not be checked; retry",
            ))
        }
    }
}

/// The token endpoint's check (RFC 9449 §5): the proof, if any, is valid for `POST <url>`
/// and unused; a client that must use DPoP sent one. Returns the key to bind tokens to.
pub async fn at_token_endpoint(
    req: &HttpRequest,
    state: &AppState,
    url: &str,
    must_use_dpop: bool,
) -> Result<Option<Proof>, TokenError> {
    let require_nonce = state.settings.dpop.require_nonce;
    let fresh_nonce = || require_nonce.then(|| state.dpop_nonce.current(state.now()));
    let header = proof_header(req).map_err(|e| TokenError::dpop(e, fresh_nonce()))?;
    let Some(text) = header else {
        if must_use_dpop {
            return Err(TokenError::new(
                ErrorCode::InvalidRequest,
                "this client's access tokens must be DPoP-bound: send a DPoP proof",
            ));
        }
        return Ok(None);
    };
    let now = state.now();
    let is_current = |n: &str| state.dpop_nonce.accepts(n, now);
    let nonce: Option<&dyn Fn(&str) -> bool> = require_nonce.then_some(&is_current);
    let proof = proof::verify(text, &rules(state, "POST", url, None, nonce))
        .map_err(|e| TokenError::dpop(e, fresh_nonce()))?;
    record(state, &proof)
        .await
        .map_err(|e| TokenError::dpop(e, fresh_nonce()))?;
    Ok(Some(proof))
}

/// Why a resource (UserInfo, forward-auth) refused a token's proof, with the RFC 9449 §7.1
/// challenge to send.
#[derive(Debug, Clone)]
pub struct ResourceRefusal {
    /// `invalid_token` or `invalid_dpop_proof`.
    pub error: &'static str,
    pub description: String,
}

impl ResourceRefusal {
    /// `WWW-Authenticate: DPoP algs="…", error="…", error_description="…"`.
    pub fn challenge(&self, algorithms: &[crate::keys::SigningAlg]) -> String {
        let algs: Vec<&str> = algorithms.iter().map(|a| a.as_str()).collect();
        format!(
            "DPoP algs=\"{}\", error=\"{}\", error_description=\"{}\"",
            algs.join(" "),
            self.error,
            self.description
        )
    }
}

/// A resource's check of a presented token (RFC 9449 §7): the scheme fits the token, and a
/// bound token comes with a valid, unused proof for `method url` by its key, hashing it
/// (`ath`).
pub async fn at_resource(
    req: &HttpRequest,
    state: &AppState,
    scheme: crate::dpop::binding::Scheme,
    token: &str,
    token_jkt: Option<&str>,
    method: &str,
    url: &str,
) -> Result<(), ResourceRefusal> {
    use crate::dpop::binding::{self, Scheme};
    let proof_error = |e: DpopError| ResourceRefusal {
        error: "invalid_dpop_proof",
        description: e.to_string(),
    };
    let proof = match (scheme, token_jkt) {
        (Scheme::Dpop, Some(_)) => match proof_header(req).map_err(proof_error)? {
            Some(text) => {
                let p = proof::verify(text, &rules(state, method, url, Some(token), None))
                    .map_err(proof_error)?;
                record(state, &p).await.map_err(proof_error)?;
                Some(p)
            }
            None => None,
        },
        _ => None,
    };
    binding::check(scheme, token_jkt, proof.as_ref().map(|p| p.jkt.as_str())).map_err(|e| {
        ResourceRefusal {
            error: if e.is_proof_error() {
                "invalid_dpop_proof"
            } else {
                "invalid_token"
            },
            description: e.to_string(),
        }
    })
}
