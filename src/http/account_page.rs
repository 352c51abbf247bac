//! The `/account` page itself: what it shows (second factors, passkeys, sessions,
//! connected apps, profile) and how it is rendered; the handlers that change things are in
//! `account` and `account_activity`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

use super::error::{AppError, no_store_page as no_store};
use super::pages::{self, AccountPage, PasskeyItem, Ui};
use crate::session::sso::Signed;
use crate::state::AppState;
use crate::store::mfa;

pub async fn account_page(
    req: &HttpRequest,
    state: &AppState,
    signed: &Signed,
    notice: Option<&str>,
) -> Result<HttpResponse, AppError> {
    account_page_with(req, state, signed, notice, None, StatusCode::OK).await
}

pub async fn account_page_with(
    req: &HttpRequest,
    state: &AppState,
    signed: &Signed,
    notice: Option<&str>,
    password_error: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let id = signed.user.id.clone();
    let (enrolled, rows, session_rows, consents, links) = state
        .store
        .run(move |c| {
            let enrolled = mfa::enrolled(c, &id)?;
            let sessions = crate::store::sessions::list_for_user(c, &id)?;
            let consents = crate::store::consents::list_for_user(c, &id)?;
            let links = crate::store::upstreams::links_of(c, &id)?;
            Ok::<_, crate::store::StoreError>((
                enrolled,
                mfa::passkeys_of(c, &id)?,
                sessions,
                consents,
                links,
            ))
        })
        .await?;
    let links = links
        .into_iter()
        .map(|(upstream, _, at, used)| pages::LinkItem {
            upstream,
            since: crate::clock::rfc3339(at),
            last_used: crate::clock::rfc3339(used),
        })
        .collect();
    let ui = Ui::of(req);
    let now = state.now();
    let mut sessions: Vec<pages::SessionItem> = session_rows
        .iter()
        .filter(|s| s.expires_at > now)
        .map(|s| pages::SessionItem {
            sid: s.sid.clone(),
            device: device_label(&ui, s.user_agent.as_deref()),
            signed_in: crate::clock::rfc3339(s.auth_time),
            last_seen: crate::clock::rfc3339(s.last_seen_at),
            methods: serde_json::from_str::<Vec<String>>(&s.amr)
                .unwrap_or_default()
                .join(", "),
            current: s.sid == signed.session.sid,
        })
        .collect();
    sessions.sort_by_key(|s| !s.current);
    let apps = consents
        .into_iter()
        .map(|c| pages::AppItem {
            name: state
                .clients
                .get(&c.client_id)
                .map(|cl| cl.name.clone())
                .unwrap_or_else(|| c.client_id.clone()),
            client_id: c.client_id,
            scopes: c.scopes.join(" "),
            granted: crate::clock::rfc3339(c.updated_at),
        })
        .collect();
    let new_passkey = if state.passkeys.available() {
        match state
            .passkeys
            .start_registration(&state.keys, &signed.user, &rows, state.now())
        {
            Ok(c) => Some(pages::PasskeyForm::new("/account/passkeys", c)),
            Err(e) => {
                tracing::warn!(error = %e, "cannot offer passkey registration");
                None
            }
        }
    } else {
        None
    };
    let with_script = new_passkey.is_some();
    let passkeys = rows
        .into_iter()
        .map(|r| PasskeyItem {
            id: r.credential_id,
            name: r.name,
        })
        .collect();
    let (csrf, cookie) = state.csrf.token(req, state.issuer());
    let mut res = pages::show(
        status,
        &AccountPage {
            ui: &ui,
            username: &signed.user.username,
            display_name: signed.user.display_name.as_deref().unwrap_or(""),
            email: signed.user.email.as_deref().unwrap_or(""),
            email_verified: signed.user.email_verified,
            notice,
            totp: enrolled.totp,
            recovery_left: enrolled.recovery_codes_left,
            passkeys,
            new_passkey,
            script: pages::WEBAUTHN_SCRIPT,
            csrf: &csrf,
            sessions,
            apps,
            password_error,
            links,
        },
    );
    if with_script {
        pages::allow_webauthn_script(&ui, &mut res);
    }
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    Ok(no_store(res))
}

/// "Firefox on Linux", or as much of it as the session's `User-Agent` tells.
fn device_label(ui: &Ui, user_agent: Option<&str>) -> String {
    match super::user_agent::describe(user_agent.unwrap_or("")) {
        (Some(browser), Some(os)) => ui.t2("account-device-label", "name", browser, "device", os),
        (Some(name), None) | (None, Some(name)) => name.to_string(),
        (None, None) => ui.t("account-device-unknown"),
    }
}
