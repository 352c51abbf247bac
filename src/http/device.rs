//! The device authorization grant's HTTP side (RFC 8628): `POST /device_authorization`
//! (§3.1–3.2) for the device, and `/device` (§3.3) for the person: enter the code (signed
//! in first, with the second factor when one is enrolled), see which client asks for what,
//! allow or deny. Looking codes up is throttled per source and across all sources with the
//! sign-in counters (a user code has about 34 bits), and failures are audited.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::authorize::cross_site;
use super::cookies;
use super::error::{AppError, no_store, no_store_page};
use super::pages::{self, DeviceConfirmPage, DeviceDonePage, DeviceEntryPage, Ui};
use super::token::{authenticate_client, read_form};
use crate::domain::client::GrantType;
use crate::domain::opaque;
use crate::endpoints::Endpoint;
use crate::session::login::{self, record};
use crate::session::sso::{self, Signed};
use crate::session::throttle::{self, Verdict};
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::device_codes::{self, Approval, DeviceCodeRow};
use crate::token::client_credentials::negotiate_scope;
use crate::token::device::{self, Status};
use crate::token::{ErrorCode, TokenError};

/// POST /device_authorization: a device code and a user code for the client.
pub async fn device_authorization_handler(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, TokenError> {
    let (form, presented) = read_form(&req, payload).await?;
    let client = authenticate_client(&req, &state, presented).await?;
    if !client.may_use(GrantType::DeviceCode) {
        return Err(TokenError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the device grant",
        ));
    }
    let scope = negotiate_scope(&client, form.get("scope"))?;
    let device_code = opaque::generate(32);
    let now = state.now();
    let mut user_code = device::new_user_code();
    // A live user code is unique; a collision (1 in 2.6·10^10 per live code) draws again.
    for attempt in 0..3 {
        let row = DeviceCodeRow {
            device_code_hash: device::hash_device_code(device_code.expose()),
            user_code: user_code.clone(),
            client_id: client.id.to_string(),
            scope: scope.to_string(),
            status: Status::Pending.as_str().into(),
            user_id: None,
            session_sid: None,
            auth_time: None,
            acr: None,
            amr: None,
            poll_interval: device::INTERVAL_SECS,
            last_poll_at: None,
            created_at: now,
            expires_at: now + device::CODE_TTL_SECS,
            redeemed_at: None,
        };
        match state
            .store
            .run(move |c| device_codes::insert(c, &row))
            .await
        {
            Ok(()) => break,
            Err(StoreError::Duplicate) if attempt < 2 => user_code = device::new_user_code(),
            Err(e) => return Err(e.into()),
        }
    }
    let uri = Endpoint::Device.url(state.issuer());
    let shown = device::display(&user_code);
    let complete = format!(
        "{uri}?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("user_code", &shown)
            .finish()
    );
    let mut res = HttpResponse::Ok().json(json!({
        "device_code": device_code.expose(),
        "user_code": shown,
        "verification_uri": uri,
        "verification_uri_complete": complete,
        "expires_in": device::CODE_TTL_SECS,
        "interval": device::INTERVAL_SECS,
    }));
    no_store(&mut res);
    Ok(res)
}

fn page(status: StatusCode, page: &impl pages::Page) -> HttpResponse {
    no_store_page(pages::show(status, page))
}

/// The page that ends a decision: its title and message keys.
fn done(ui: &Ui, status: StatusCode, title: &str, message: &str) -> HttpResponse {
    page(
        status,
        &DeviceDonePage {
            ui,
            title: &ui.t(title),
            message: &ui.t(message),
        },
    )
}

/// Not signed in: the sign-in page, coming back to the same `/device` URL.
fn sign_in_first(req: &HttpRequest, state: &AppState) -> HttpResponse {
    let here = format!("{}{}", state.issuer(), req.uri());
    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("rd", &here)
        .finish();
    no_store_page(
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/signin?{q}")))
            .finish(),
    )
}

#[derive(Deserialize)]
pub struct DeviceQuery {
    user_code: Option<String>,
}

/// Looks a typed code up under the guessing brake: `Ok(None)` when it names no pending
/// code (counted as a failure), `Err(wait)` when this source must wait.
async fn look_up(
    req: &HttpRequest,
    state: &AppState,
    signed: &Signed,
    typed: &str,
) -> Result<Result<Option<DeviceCodeRow>, i64>, AppError> {
    let source = state.source(req);
    let now = state.now();
    let keys = throttle::keys("device-code", &source);
    match login::reserve(&state.store, &keys, now).await? {
        Verdict::Refuse(wait) => return Ok(Err(wait)),
        Verdict::Proceed(pause) if !pause.is_zero() => tokio::time::sleep(pause).await,
        Verdict::Proceed(_) => {}
    }
    let found = match device::normalize(typed) {
        Some(code) => {
            state
                .store
                .run(move |c| device_codes::find_pending_by_user_code(c, &code, now))
                .await?
        }
        None => None,
    };
    if found.is_some() {
        login::settle(&state.store, keys).await?;
    } else {
        let details = json!({ "reason": "unknown or expired user code" });
        record(
            &state.store,
            "device.code_failed",
            Some(&signed.user.id),
            None,
            &source,
            details,
            now,
        )
        .await;
    }
    Ok(Ok(found))
}

/// GET /device[?user_code=…]: the code form, or the approval page for a valid code.
pub async fn device_page_handler(
    req: HttpRequest,
    query: web::Query<DeviceQuery>,
    state: web::Data<AppState>,
    ui: Ui,
) -> Result<HttpResponse, AppError> {
    let Some(signed) =
        sso::current(&state.store, cookies::session_value(&req), state.now()).await?
    else {
        return Ok(sign_in_first(&req, &state));
    };
    let username = signed.user.username.clone();
    let Some(typed) = query.user_code.as_deref().filter(|c| !c.trim().is_empty()) else {
        return Ok(page(
            StatusCode::OK,
            &DeviceEntryPage {
                ui: &ui,
                username: &username,
                error: None,
            },
        ));
    };
    let row = match look_up(&req, &state, &signed, typed).await? {
        Err(wait) => {
            let error = ui.tn("too-many-attempts", "count", wait);
            return Ok(page(
                StatusCode::TOO_MANY_REQUESTS,
                &DeviceEntryPage {
                    ui: &ui,
                    username: &username,
                    error: Some(&error),
                },
            ));
        }
        Ok(None) => {
            let error = ui.t("device-code-invalid");
            return Ok(page(
                StatusCode::OK,
                &DeviceEntryPage {
                    ui: &ui,
                    username: &username,
                    error: Some(&error),
                },
            ));
        }
        Ok(Some(row)) => row,
    };
    let client = state.clients.get(&row.client_id);
    let client_name = client
        .as_ref()
        .map(|c| c.name.clone())
        .unwrap_or_else(|| row.client_id.clone());
    // A self-registered client's name is its own word; a device client usually has no
    // redirect URI, so the notice names its first one only when it has one.
    let self_registered_host = client.as_ref().filter(|c| c.self_registered).map(|c| {
        c.redirect_uris
            .first()
            .and_then(|u| url::Url::parse(u.as_str()).ok())
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default()
    });
    let scopes = crate::domain::scope::Scope::parse(&row.scope)
        .map(|s| s.iter().map(|s| pages::describe_scope(&ui, s)).collect())
        .unwrap_or_default();
    let (csrf, cookie) = state.csrf.token(&req, state.issuer());
    let shown = device::display(&row.user_code);
    let mut res = page(
        StatusCode::OK,
        &DeviceConfirmPage {
            ui: &ui,
            username: &username,
            client_name: &client_name,
            self_registered_host,
            scopes,
            user_code: &shown,
            csrf: &csrf,
        },
    );
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    Ok(res)
}

#[derive(Deserialize)]
pub struct DecisionForm {
    csrf: Option<String>,
    user_code: String,
    decision: String,
}

/// POST /device/decision: allow (with this session's sign-in) or deny.
pub async fn device_decision_handler(
    req: HttpRequest,
    form: web::Form<DecisionForm>,
    state: web::Data<AppState>,
    ui: Ui,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    if state
        .csrf
        .check(&req, form.csrf.as_deref(), state.issuer())
        .is_err()
    {
        return Ok(cross_site(&ui));
    }
    let now = state.now();
    let Some(signed) = sso::current(&state.store, cookies::session_value(&req), now).await? else {
        return Ok(sign_in_first(&req, &state));
    };
    let Some(code) = device::normalize(&form.user_code) else {
        return Ok(done(
            &ui,
            StatusCode::BAD_REQUEST,
            "device-start-again-title",
            "device-start-again",
        ));
    };
    let allow = match form.decision.as_str() {
        "allow" => true,
        "deny" => false,
        _ => {
            return Ok(done(
                &ui,
                StatusCode::BAD_REQUEST,
                "device-undecided-title",
                "device-undecided",
            ));
        }
    };
    let approval = allow.then(|| Approval {
        user_id: signed.user.id.clone(),
        session_sid: signed.session.sid.clone(),
        auth_time: signed.session.auth_time,
        acr: signed.session.acr.clone(),
        amr: signed.session.amr.clone(),
    });
    // The client, for the audit log (which never holds the user code).
    let decided = state
        .store
        .run(move |c| {
            let client =
                device_codes::find_pending_by_user_code(c, &code, now)?.map(|r| r.client_id);
            let decided = device_codes::decide(c, &code, approval.as_ref(), now)?;
            Ok::<_, StoreError>(client.filter(|_| decided))
        })
        .await?;
    let Some(client_id) = decided else {
        return Ok(done(
            &ui,
            StatusCode::OK,
            "device-expired-title",
            "device-expired",
        ));
    };
    let event = if allow {
        "device.approved"
    } else {
        "device.denied"
    };
    record(
        &state.store,
        event,
        Some(&signed.user.id),
        Some(&client_id),
        &state.source(&req),
        json!({}),
        now,
    )
    .await;
    Ok(if allow {
        done(
            &ui,
            StatusCode::OK,
            "device-allowed-title",
            "device-allowed",
        )
    } else {
        done(&ui, StatusCode::OK, "device-denied-title", "device-denied")
    })
}
