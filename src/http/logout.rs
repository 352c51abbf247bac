//! `end_session_endpoint` (OpenID Connect RP-Initiated Logout 1.0), GET and POST.
//! A logout tied to the session by a valid `id_token_hint` happens at once; otherwise the
//! user confirms. `post_logout_redirect_uri` is honoured only with a valid hint and an
//! exact match; anything doubtful ends on our own page, never a redirect.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::pages::{self, LoggedOutPage, LogoutConfirmPage};
use crate::error::AppError;
use crate::session::{self, Signed};
use crate::startup::AppState;
use crate::store::audit::{self, AuditEvent};

pub const LOGOUT_PATH: &str = "/logout";

fn no_store(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn refuse(message: &str) -> HttpResponse {
    no_store(pages::error_page(
        StatusCode::BAD_REQUEST,
        "Sign-out request refused",
        message,
    ))
}

struct Hint {
    sub: String,
    sid: Option<String>,
    client_id: String,
}

/// Our own ID token (expired ones included, OIDC RP-Initiated Logout §2); `alg: none`
/// and foreign signatures fail in `KeyManager::verify`.
fn verify_hint(state: &AppState, hint: &str) -> Option<Hint> {
    let payload = state.keys.verify(hint).ok()?;
    if payload.issuer() != Some(state.settings.issuer.as_str()) {
        return None;
    }
    let claims = payload.claims_set();
    let client_id = claims
        .get("azp")
        .and_then(|v| v.as_str())
        .or_else(|| match claims.get("aud") {
            Some(serde_json::Value::String(a)) => Some(a.as_str()),
            Some(serde_json::Value::Array(l)) => l.first().and_then(|v| v.as_str()),
            _ => None,
        })?
        .to_string();
    Some(Hint {
        sub: payload.subject()?.to_string(),
        sid: claims
            .get("sid")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        client_id,
    })
}

async fn end(state: &AppState, req: &HttpRequest, signed: &Signed) -> Result<(), AppError> {
    let now = state.clock.now();
    let t = &state.settings.tokens;
    let block_until = now + t.access_token_ttl_secs + t.clock_skew_secs;
    let sid = signed.session.sid.clone();
    let user_id = signed.user.id.clone();
    let ip = req.peer_addr().map(|a| a.ip().to_string());
    state
        .store
        .run(move |c| {
            let queued = crate::logout::end_session(c, &sid, now, block_until)?;
            audit::record(
                c,
                &AuditEvent {
                    event: "logout",
                    actor: "user",
                    user_id: Some(&user_id),
                    ip: ip.as_deref(),
                    details: json!({ "sid": sid, "backchannel_deliveries": queued }),
                    ..Default::default()
                },
                now,
            )
        })
        .await?;
    if let Err(e) = state.revocations.refresh(false).await {
        tracing::warn!(error = %e, "revocation list refresh failed");
    }
    state.backchannel.wake();
    Ok(())
}

fn signed_out(state: &AppState) -> HttpResponse {
    let mut res = no_store(pages::render(StatusCode::OK, &LoggedOutPage));
    let _ = res.add_cookie(&session::clear_session_cookie(&state.settings.issuer));
    res
}

pub async fn logout_handler(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let encoded = if req.method() == actix_web::http::Method::POST {
        String::from_utf8_lossy(&body).into_owned()
    } else {
        req.query_string().to_string()
    };
    let params: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(encoded.as_bytes())
            .into_owned()
            .filter(|(_, v)| !v.is_empty())
            .collect();
    let get = |k: &str| params.get(k).map(String::as_str);
    let signed = session::current(&req, &state.store, state.clock.now()).await?;

    // The confirmation form.
    if get("confirm") == Some("yes") {
        if !session::csrf_ok(&req, get("csrf")) {
            return Ok(refuse("This sign-out form has expired. Please try again."));
        }
        if let Some(s) = &signed {
            end(&state, &req, s).await?;
        }
        return Ok(signed_out(&state));
    }

    let hint = match get("id_token_hint") {
        Some(h) => match verify_hint(&state, h) {
            Some(hint) => Some(hint),
            None => {
                return Ok(refuse(
                    "The sign-out request carries an ID token that is not valid here.",
                ));
            }
        },
        None => None,
    };
    if let (Some(h), Some(c)) = (&hint, get("client_id")) {
        if h.client_id != c {
            return Ok(refuse(
                "The sign-out request names two different applications.",
            ));
        }
    }
    let redirect = match get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let Some(h) = &hint else {
                return Ok(refuse(
                    "A return address needs the application's id_token_hint.",
                ));
            };
            let registered = state
                .clients
                .get(&h.client_id)
                .is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r == uri));
            if !registered {
                return Ok(refuse(
                    "The return address is not registered for this application.",
                ));
            }
            Some(uri.to_string())
        }
    };

    match (&signed, &hint) {
        // Tied to this session by the hint: sign out now.
        (Some(s), Some(h))
            if h.sub == s.user.id && h.sid.as_deref().is_none_or(|sid| sid == s.session.sid) =>
        {
            end(&state, &req, s).await?;
        }
        // A live session the request cannot be tied to: ask.
        (Some(s), _) => {
            let (csrf, cookie) = session::csrf_token(&req, &state.settings.issuer);
            let mut res = no_store(pages::render(
                StatusCode::OK,
                &LogoutConfirmPage {
                    username: &s.user.username,
                    csrf: &csrf,
                },
            ));
            if let Some(c) = cookie {
                let _ = res.add_cookie(&c);
            }
            return Ok(res);
        }
        // Already signed out.
        (None, _) => {}
    }
    match redirect {
        Some(uri) => {
            let mut url = url::Url::parse(&uri).map_err(|e| AppError::Unexpected(e.into()))?;
            if let Some(st) = get("state") {
                url.query_pairs_mut().append_pair("state", st);
            }
            let mut res = no_store(
                HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, url.to_string()))
                    .finish(),
            );
            let _ = res.add_cookie(&session::clear_session_cookie(&state.settings.issuer));
            Ok(res)
        }
        None => Ok(signed_out(&state)),
    }
}
