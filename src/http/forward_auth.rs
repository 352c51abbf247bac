//! `/forward-auth` (nginx, Caddy, Traefik) and `/ext-authz/<policy>/…` (Envoy's HTTP
//! ext_authz): read the gateway's view of the request, let `forward_auth` decide, and
//! write the answer. Bearer tokens never cost a database read; a session costs one per
//! [`sessions::REMEMBER_SECS`].
//!
//! [`sessions::REMEMBER_SECS`]: crate::forward_auth::sessions::REMEMBER_SECS

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use super::cookies;
use crate::dpop::binding::Scheme;
use crate::endpoints::Endpoint;
use crate::forward_auth::answer::{self, Decision};
use crate::forward_auth::original::Original;
use crate::forward_auth::redirect;
use crate::forward_auth::requirements::{Requirements, UnknownPolicy};
use crate::forward_auth::sessions::REMEMBER_SECS;
use crate::revocation::list::TokenRef;
use crate::state::AppState;

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The original request as the named gateway describes it, believed only from a trusted
/// proxy once a gateway is named (`forward_auth.gateway`, `http.trusted_proxies`).
fn original(req: &HttpRequest, state: &AppState, ext_authz_path: Option<&str>) -> Original {
    let gateway = state.settings.forward_auth.gateway;
    let trusted = match gateway {
        None => true,
        Some(_) => req
            .peer_addr()
            .is_some_and(|p| state.client_ip.is_trusted_peer(p.ip())),
    };
    Original::read_from(
        gateway,
        trusted,
        |n| header(req, n),
        req.method().as_str(),
        ext_authz_path,
    )
}

/// `/forward-auth`, any method: requirements from the query string.
pub async fn forward_auth_handler(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let original = original(&req, &state, None);
    let requirements = Requirements::from_query(req.query_string(), &state.settings.forward_auth);
    let decision = decide(&req, &state, &original, requirements).await;
    respond(&state, decision)
}

/// `/ext-authz/<policy><original path>`: Envoy keeps the original method, `Host` and
/// query; the policy is the path segment after our prefix.
pub async fn ext_authz_handler(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let policy = req
        .match_info()
        .get("policy")
        .unwrap_or_default()
        .to_string();
    let rest = req
        .path()
        .strip_prefix("/ext-authz/")
        .and_then(|p| p.strip_prefix(policy.as_str()))
        .unwrap_or("");
    let mut path = if rest.starts_with('/') {
        rest.to_string()
    } else {
        format!("/{rest}")
    };
    if let Some(q) = req.uri().query() {
        path = format!("{path}?{q}");
    }
    let original = original(&req, &state, Some(&path));
    let requirements = Requirements::named(&policy, &state.settings.forward_auth);
    let decision = decide(&req, &state, &original, requirements).await;
    respond(&state, decision)
}

/// The token of `Authorization` with its scheme, `Bearer` (RFC 6750 §2.1) or `DPoP`
/// (RFC 9449 §7.1); other schemes are no token.
fn credentials(req: &HttpRequest) -> Option<(Scheme, &str)> {
    let raw = req.headers().get("authorization")?;
    // Not text at all: a malformed credential, refused as a bad token.
    let Ok(v) = raw.to_str().map(str::trim) else {
        return Some((Scheme::Bearer, ""));
    };
    let (scheme, token) = v.split_once(' ').unwrap_or((v, ""));
    // A scheme with no token is a bad token, not an absent one.
    Scheme::parse(scheme).map(|s| (s, token.trim()))
}

/// RFC 9449 §7: a bound token only with the `DPoP` scheme and a proof, by its key, for
/// the original request (method and URL from the gateway's headers), hashing the token,
/// recent, and not used before at this instance (in memory: no database on this path).
fn dpop_binding(
    req: &HttpRequest,
    state: &AppState,
    original: &Original,
    scheme: Scheme,
    token: &str,
    bound: Option<&str>,
    now: i64,
) -> Result<(), Decision> {
    let refused =
        |error: &'static str, description: String| Decision::DpopRefused { error, description };
    let proof_error = |e: portcullis_dpop::DpopError| refused("invalid_dpop_proof", e.to_string());
    let mut verified = None;
    if let (Scheme::Dpop, Some(_)) = (scheme, bound) {
        if let Some(text) = super::dpop::proof_header(req).map_err(proof_error)? {
            let url = original.full_url().unwrap_or_default();
            let p = portcullis_dpop::verify(
                text,
                &super::dpop::rules(state, &original.method, &url, Some(token), None),
            )
            .map_err(proof_error)?;
            let d = &state.settings.dpop;
            let until = p.iat + d.proof_max_age_secs + d.proof_leeway_secs + 1;
            if !state.dpop_seen.first_use(&p.jkt, &p.jti, until, now) {
                return Err(refused(
                    "invalid_dpop_proof",
                    "the DPoP proof was already used".into(),
                ));
            }
            verified = Some(p.jkt);
        }
    }
    portcullis_dpop::binding::check(scheme, bound, verified.as_deref()).map_err(|e| {
        refused(
            if e.is_proof_error() {
                "invalid_dpop_proof"
            } else {
                "invalid_token"
            },
            e.to_string(),
        )
    })
}

async fn decide(
    req: &HttpRequest,
    state: &AppState,
    original: &Original,
    requirements: Result<Requirements, UnknownPolicy>,
) -> Decision {
    let requirements = match requirements {
        Ok(r) => r,
        Err(UnknownPolicy(policy)) => return Decision::Misconfigured { policy },
    };
    let settings = &state.settings;
    let now = state.now();
    let identity = if let Some((scheme, token)) = credentials(req) {
        match state.forward_auth.verifier.check(
            token,
            &state.keys.current(),
            state.issuer(),
            now,
            settings.tokens.clock_skew_secs,
            state,
        ) {
            Ok(v) => {
                if let Err(refusal) =
                    dpop_binding(req, state, original, scheme, token, v.jkt.as_deref(), now)
                {
                    return refusal;
                }
                v.caller.clone()
            }
            Err(e) => {
                return Decision::Unauthorized {
                    error: Some("invalid_token"),
                    description: Some(e.to_string()),
                };
            }
        }
    } else {
        let session_mode = settings.forward_auth.session_cookie_domain.is_some();
        // Only the gateway's ticket, never the SSO cookie itself (finding 6).
        let ticket = cookies::gateway_value(req)
            .filter(|_| session_mode)
            .and_then(|t| state.gateway_ticket.open(&t));
        let signed_in = match ticket {
            Some(c) => {
                let remember = REMEMBER_SECS.min(settings.tokens.access_token_ttl_secs);
                let sid_revoked = |sid: &str| {
                    state.revocations.is_revoked(&TokenRef {
                        jti: "",
                        sid: Some(sid),
                        client_id: None,
                        iat: None,
                    })
                };
                match state
                    .forward_auth
                    .sessions
                    .identity(&state.store, &c, now, remember, sid_revoked)
                    .await
                {
                    Ok(id) => id,
                    Err(e) => {
                        // Fail closed: without the database a session cannot be confirmed.
                        tracing::warn!(error = %e, "forward-auth: cannot read the session");
                        None
                    }
                }
            }
            None => None,
        };
        match signed_in {
            Some(id) => id,
            None => return not_signed_in(req, state, original, session_mode),
        }
    };
    let id = &identity.identity;
    let requirements = match &id.audiences {
        Some(audiences) => match requirements.for_token(
            audiences,
            settings.forward_auth.default_audience.as_deref(),
            &crate::admin::access::audience(state.issuer()),
        ) {
            Ok(r) => r,
            Err(refusal) => {
                return Decision::Forbidden {
                    scope: Vec::new(),
                    description: refusal.describe(),
                };
            }
        },
        None => requirements,
    };
    if let Err(unmet) = requirements.check(id.audiences.as_deref(), id.scope.as_deref(), &id.roles)
    {
        return Decision::Forbidden {
            scope: requirements.scopes,
            description: unmet.describe(),
        };
    }
    if requirements
        .check_authentication(id.acr.as_deref(), id.auth_time, now)
        .is_err()
    {
        return Decision::StepUp {
            acr_values: requirements.acr.map(|l| l.as_acr().to_string()),
            max_age: requirements.max_age,
        };
    }
    Decision::Allow(identity)
}

/// No credentials: a page load in session mode goes to the sign-in page (when its URL
/// may be returned to), anything else is a plain challenge.
fn not_signed_in(
    req: &HttpRequest,
    state: &AppState,
    original: &Original,
    session_mode: bool,
) -> Decision {
    let challenge = Decision::Unauthorized {
        error: None,
        description: None,
    };
    if !session_mode || !original.is_page_load(header(req, "accept")) {
        return challenge;
    }
    let Some(url) = original.full_url() else {
        return challenge;
    };
    if redirect::allowed(&url, state.issuer(), &state.forward_auth.redirect_hosts).is_none() {
        tracing::warn!(
            host = original.host.as_deref().unwrap_or(""),
            "forward-auth: a browser is not signed in, but its host is not in forward_auth.allowed_redirect_hosts; answering 401"
        );
        return challenge;
    }
    let location = format!(
        "{}?{}",
        Endpoint::SignIn.url(state.issuer()),
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("rd", &url)
            .finish()
    );
    Decision::SignIn {
        location,
        as_401: original.nginx,
    }
}

fn respond(state: &AppState, decision: Decision) -> HttpResponse {
    let realm = state.issuer();
    let (result, mut res) = match decision {
        Decision::Allow(caller) => {
            let mut res = HttpResponse::Ok().finish();
            let headers = res.headers_mut();
            for (name, value) in &caller.headers {
                headers.insert(name.clone(), value.clone());
            }
            ("allowed", res)
        }
        Decision::Unauthorized { error, description } => {
            let challenge = answer::www_authenticate(realm, error, description.as_deref(), &[]);
            let res = HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, challenge))
                .finish();
            (
                if error.is_some() {
                    "invalid_token"
                } else {
                    "no_credentials"
                },
                res,
            )
        }
        Decision::DpopRefused { error, description } => {
            let challenge = format!(
                "DPoP algs=\"{}\", error=\"{error}\", error_description=\"{}\"",
                state.dpop_algorithms.join(" "),
                description.replace(['"', '\\'], "'")
            );
            let res = HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, challenge))
                .finish();
            (error, res)
        }
        Decision::StepUp {
            acr_values,
            max_age,
        } => {
            let challenge = answer::step_up_challenge(realm, acr_values.as_deref(), max_age);
            let res = HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, challenge))
                .finish();
            ("insufficient_user_authentication", res)
        }
        Decision::Forbidden { scope, description } => {
            let challenge = answer::www_authenticate(
                realm,
                Some("insufficient_scope"),
                Some(description),
                &scope,
            );
            let res = HttpResponse::Forbidden()
                .insert_header((header::WWW_AUTHENTICATE, challenge))
                .finish();
            ("forbidden", res)
        }
        Decision::SignIn { location, as_401 } => {
            let status = if as_401 {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::FOUND
            };
            let mut b = HttpResponse::build(status);
            b.insert_header((header::LOCATION, location));
            if as_401 {
                b.insert_header((
                    header::WWW_AUTHENTICATE,
                    answer::www_authenticate(realm, None, None, &[]),
                ));
            }
            ("sign_in", b.finish())
        }
        Decision::Misconfigured { policy } => {
            tracing::error!(
                policy = %policy,
                "forward-auth: the gateway names a policy that is not in [forward_auth.policies]; every request of that route is refused"
            );
            ("unknown_policy", HttpResponse::Forbidden().finish())
        }
    };
    state.metrics.forward_auth(result);
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
