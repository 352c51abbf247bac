//! `end_session_endpoint` (OpenID Connect RP-Initiated Logout 1.0), GET and POST. The
//! decision is `session::logout::decide`; ending a session is `store::session_end` (in one
//! transaction with its audit record), then the revocation list is published and the
//! back-channel worker woken.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::cookies;
use super::csrf::CsrfRefusal;
use super::error::{AppError, no_store_page as no_store};
use super::pages::{self, LoggedOutPage, LogoutConfirmPage, Ui};
use super::params;
use crate::session::logout::{self, CurrentSession, LogoutDecision, LogoutRequest, Return};
use crate::session::sso::{self, Signed};
use crate::state::AppState;
use crate::store::audit::{self, AuditEvent};
use crate::store::session_end;

fn refuse(ui: &Ui, message: &str) -> HttpResponse {
    no_store(pages::error_page(
        ui,
        StatusCode::BAD_REQUEST,
        &ui.t("logout-refused-title"),
        message,
    ))
}

async fn end(state: &AppState, req: &HttpRequest, signed: &Signed) -> Result<(), AppError> {
    let now = state.now();
    let t = &state.settings.tokens;
    let block_until = now + t.access_token_ttl_secs + t.clock_skew_secs;
    let sid = signed.session.sid.clone();
    let user_id = signed.user.id.clone();
    let ip = Some(state.source(req)).filter(|s| !s.is_empty());
    state
        .store
        .run(move |c| {
            let queued = session_end::end_session(c, &sid, now, block_until)?;
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
    state.publish_revocations().await;
    state.backchannel.wake();
    Ok(())
}

fn signed_out(state: &AppState, ui: &Ui, redirect: Option<Return>) -> HttpResponse {
    let mut res = match redirect {
        Some(Return {
            url,
            confirm_host: None,
        }) => no_store(
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, url))
                .finish(),
        ),
        // A self-registered client's address: the person sees the host and follows the
        // link themselves.
        Some(Return {
            url,
            confirm_host: Some(host),
        }) => no_store(pages::show(
            StatusCode::OK,
            &LoggedOutPage {
                ui,
                continue_to: Some(url),
                continue_host: Some(host),
            },
        )),
        None => no_store(pages::show(
            StatusCode::OK,
            &LoggedOutPage {
                ui,
                continue_to: None,
                continue_host: None,
            },
        )),
    };
    let _ = res.add_cookie(&cookies::clear_session_cookie(state.issuer()));
    if let Some(domain) = state.settings.forward_auth.session_cookie_domain.as_deref() {
        let _ = res.add_cookie(&cookies::clear_gateway_cookie(state.issuer(), domain));
    }
    res
}

pub async fn logout_handler(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    ui: Ui,
) -> Result<HttpResponse, AppError> {
    let encoded = match params::encoded(&req, payload, &ui).await {
        Ok(e) => e,
        Err(page) => return Ok(page),
    };
    let params: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(encoded.as_bytes())
            .into_owned()
            .filter(|(_, v)| !v.is_empty())
            .collect();
    let get = |k: &str| params.get(k).map(String::as_str);
    let signed = sso::current(&state.store, cookies::session_value(&req), state.now()).await?;

    // The confirmation form.
    if get("confirm") == Some("yes") {
        match state.csrf.check(&req, get("csrf"), state.issuer()) {
            Ok(()) => {}
            Err(CsrfRefusal::Token) => {
                return Ok(refuse(&ui, &ui.t("logout-expired")));
            }
            Err(CsrfRefusal::Origin) => return Ok(super::authorize::cross_site(&ui)),
        }
        if let Some(s) = &signed {
            end(&state, &req, s).await?;
        }
        return Ok(signed_out(&state, &ui, None));
    }

    let request = LogoutRequest {
        id_token_hint: get("id_token_hint"),
        client_id: get("client_id"),
        post_logout_redirect_uri: get("post_logout_redirect_uri"),
        state: get("state"),
    };
    let session = signed.as_ref().map(|s| CurrentSession {
        user_id: &s.user.id,
        sid: &s.session.sid,
    });
    let keys = state.keys.current();
    match logout::decide(
        &keys,
        state.issuer(),
        |id| state.clients.get(id),
        &request,
        session,
    ) {
        LogoutDecision::Refuse(message) => Ok(refuse(&ui, message)),
        LogoutDecision::Confirm => {
            let username = signed
                .as_ref()
                .map(|s| s.user.username.as_str())
                .unwrap_or("");
            let (csrf, cookie) = state.csrf.token(&req, state.issuer());
            let mut res = no_store(pages::show(
                StatusCode::OK,
                &LogoutConfirmPage {
                    ui: &ui,
                    username,
                    csrf: &csrf,
                },
            ));
            if let Some(c) = cookie {
                let _ = res.add_cookie(&c);
            }
            Ok(res)
        }
        LogoutDecision::End { redirect } => {
            if let Some(s) = &signed {
                end(&state, &req, s).await?;
            }
            Ok(signed_out(&state, &ui, redirect))
        }
        LogoutDecision::Done { redirect } => Ok(signed_out(&state, &ui, redirect)),
    }
}
