//! Signing in with an upstream OpenID provider: `/upstream/<name>/start` (the button on
//! the sign-in page), `/upstream/<name>/callback` (its answer) and
//! `/upstream/<name>/backchannel` (its back-channel logout). The rules are in
//! `federation` and `session::federated`; talking to the upstream (its token endpoint,
//! JWK set and UserInfo) is in `exchange`.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::error::{AppError, no_store_page as no_store};
use super::pages::{self, Ui};
use crate::cli::upstream::{callback_url, secret_context};
use crate::domain::opaque;
use crate::federation::id_token::{self, Expected};
use crate::federation::mapping;
use crate::federation::upstream::Upstream;
use crate::mfa::level::Factor;
use crate::session::federated::{self, Linked};
use crate::session::login::record;
use crate::session::sso::{self, Upstreamed};
use crate::state::AppState;
use crate::store::upstreams::{self, PendingLogin};

mod backchannel;
mod exchange;
pub use backchannel::{backchannel_form_config, backchannel_handler};
use exchange::{Refusal, redeem, userinfo, verify_with_refetch};

/// Binds a pending upstream sign-in to the browser that started it (RFC 9700 §4.7: a
/// `state` from another browser — login CSRF — is refused).
const STATE_COOKIE: &str = "portcullis_upstream";
/// How long the person may take at the upstream.
const PENDING_SECS: i64 = 600;

fn failed(ui: &Ui, status: StatusCode, name: &str) -> HttpResponse {
    no_store(pages::error_page(
        ui,
        status,
        &ui.t("upstream-failed-title"),
        &ui.t1("upstream-failed", "name", name),
    ))
}

async fn find(state: &AppState, name: &str) -> Result<Option<(Upstream, Vec<u8>)>, AppError> {
    if !crate::federation::upstream::valid_name(name) {
        return Ok(None);
    }
    let n = name.to_string();
    Ok(state.store.run(move |c| upstreams::find(c, &n)).await?)
}

fn state_cookie(state: &AppState, value: &str, max_age: i64) -> Cookie<'static> {
    Cookie::build(STATE_COOKIE, value.to_string())
        .path("/upstream/")
        .http_only(true)
        .secure(state.issuer().starts_with("https://"))
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(max_age))
        .finish()
}

#[derive(Deserialize)]
pub struct StartQuery {
    params: Option<String>,
    rd: Option<String>,
}

/// GET /upstream/<name>/start?params=…|rd=…: to the upstream's authorization endpoint,
/// with code + PKCE (S256), a `state` bound to this browser and a `nonce`.
pub async fn start_handler(
    path: web::Path<String>,
    query: web::Query<StartQuery>,
    state: web::Data<AppState>,
    ui: Ui,
) -> Result<HttpResponse, AppError> {
    let name = path.into_inner();
    let Some((upstream, _)) = find(&state, &name).await? else {
        return Ok(pages::not_found_for(&ui));
    };
    let q = query.into_inner();
    let (carry_name, carry_value) = match (q.params, q.rd) {
        (Some(p), None) if !p.is_empty() && p.len() <= 16 * 1024 => ("params", p),
        (None, Some(rd)) if super::signin::destination(&state, Some(&rd)).is_some() => ("rd", rd),
        _ => return Ok(failed(&ui, StatusCode::BAD_REQUEST, &name)),
    };
    let (state_value, nonce, verifier) = (
        opaque::generate(32),
        opaque::generate(32),
        opaque::generate(48),
    );
    let now = state.now();
    let row = PendingLogin {
        state_hash: opaque::hash(state_value.expose()),
        upstream: name.clone(),
        nonce: nonce.expose().clone(),
        verifier: verifier.expose().clone(),
        carry_name: carry_name.into(),
        carry_value,
        created_at: now,
        expires_at: now + PENDING_SECS,
        used_at: None,
    };
    state
        .store
        .run(move |c| upstreams::start_login(c, &row))
        .await?;
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.expose().as_bytes()));
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &upstream.client_id)
        .append_pair("redirect_uri", &callback_url(state.issuer(), &name))
        .append_pair("scope", &upstream.scopes.join(" "))
        .append_pair("state", state_value.expose())
        .append_pair("nonce", nonce.expose())
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("ui_locales", ui.lang())
        .finish();
    let endpoint = &upstream.metadata.authorization_endpoint;
    let sep = if endpoint.contains('?') { '&' } else { '?' };
    let mut res = no_store(
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("{endpoint}{sep}{query}")))
            .finish(),
    );
    let _ = res.add_cookie(&state_cookie(&state, state_value.expose(), PENDING_SECS));
    Ok(res)
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

/// GET /upstream/<name>/callback: the upstream's answer.
pub async fn callback_handler(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<CallbackQuery>,
    state: web::Data<AppState>,
    ui: Ui,
) -> Result<HttpResponse, AppError> {
    let name = path.into_inner();
    let q = query.into_inner();
    let mut res = match callback(&req, &state, &ui, &name, q).await? {
        Ok(res) => res,
        Err(refusal) => {
            tracing::warn!(upstream = %name, reason = %refusal, "upstream sign-in refused");
            let details =
                json!({ "method": "upstream", "upstream": name, "reason": refusal.to_string() });
            record(
                &state.store,
                "login.failed",
                None,
                None,
                &state.source(&req),
                details,
                state.now(),
            )
            .await;
            failed(&ui, StatusCode::BAD_REQUEST, &name)
        }
    };
    let _ = res.add_cookie(&state_cookie(&state, "", 0));
    Ok(res)
}

async fn callback(
    req: &HttpRequest,
    state: &AppState,
    ui: &Ui,
    name: &str,
    q: CallbackQuery,
) -> Result<Result<HttpResponse, Refusal>, AppError> {
    let Some((upstream, sealed)) = find(state, name).await? else {
        return Ok(Ok(pages::not_found_for(ui)));
    };
    let cookie = req.cookie(STATE_COOKIE).map(|c| c.value().to_string());
    let Some(state_value) = q.state.filter(|s| {
        cookie
            .as_deref()
            .is_some_and(|c| subtle::ConstantTimeEq::ct_eq(c.as_bytes(), s.as_bytes()).into())
    }) else {
        return Ok(Err(Refusal::State));
    };
    let (hash, n, now) = (opaque::hash(&state_value), name.to_string(), state.now());
    let Some(pending) = state
        .store
        .run(move |c| upstreams::take_login(c, &hash, &n, now))
        .await?
    else {
        return Ok(Err(Refusal::State));
    };
    if let Some(error) = q.error {
        return Ok(Err(Refusal::Upstream(error.chars().take(64).collect())));
    }
    if q.iss.as_deref().is_some_and(|iss| iss != upstream.issuer) {
        return Ok(Err(Refusal::Issuer));
    }
    let Some(code) = q.code else {
        return Ok(Err(Refusal::Token("no code".into())));
    };
    let secret = state
        .keys
        .open_secret(&secret_context(name), &sealed)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("upstream secret: {e}")))?;
    let secret = String::from_utf8_lossy(secret.expose()).into_owned();
    let tokens = match redeem(state, &upstream, &code, &pending.verifier, &secret).await {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    let id_token = tokens.get("id_token").and_then(Value::as_str).unwrap_or("");
    let expected = Expected {
        issuer: &upstream.issuer,
        client_id: &upstream.client_id,
        nonce: &pending.nonce,
        algs: &upstream.metadata.id_token_algs,
        now: state.now(),
        skew: state.settings.tokens.clock_skew_secs,
    };
    let verified = match verify_with_refetch(state, &upstream, |jwks| {
        id_token::verify(id_token, jwks, &expected)
    })
    .await
    {
        Ok(v) => v,
        Err(e) => return Ok(Err(e)),
    };
    let mut claims = verified.claims.clone();
    if upstream.userinfo {
        let access = tokens.get("access_token").and_then(Value::as_str);
        match userinfo(state, &upstream, access, &verified.sub).await {
            Ok(more) => {
                for (k, v) in more {
                    claims.entry(k).or_insert(v);
                }
            }
            Err(e) => return Ok(Err(e)),
        }
    }
    let mapped = mapping::map(
        &claims,
        &upstream.claim_mapping,
        upstream.role_from_claim.as_deref(),
        name,
        &verified.sub,
    );
    let (u, sub, now) = (upstream.clone(), verified.sub.clone(), state.now());
    let linked = state
        .store
        .run(move |c| federated::link_or_create(c, (&u).into(), &sub, &mapped, now))
        .await?;
    let user = match linked {
        Linked::User { user, .. } => user,
        Linked::Disabled => {
            return Ok(Ok(no_store(pages::error_page(
                ui,
                StatusCode::FORBIDDEN,
                &ui.t("upstream-failed-title"),
                &ui.t("upstream-disabled"),
            ))));
        }
    };
    let upstream_mfa = claims
        .get("amr")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|m| m == "mfa"));
    let origin = Upstreamed {
        upstream: name.to_string(),
        sub: verified.sub.clone(),
        sid: verified.sid.clone(),
    };
    let carry = (pending.carry_name.clone(), pending.carry_value.clone());
    record(
        &state.store,
        "login.succeeded",
        Some(&user.id),
        None,
        &state.source(req),
        json!({ "method": "upstream", "upstream": name }),
        state.now(),
    )
    .await;
    // A second factor is still due when the person enrolled one here, or the policy asks
    // everyone for one, and the upstream did not already use more than one factor.
    let id = user.id.clone();
    let enrolled = state
        .store
        .run(move |c| crate::store::mfa::enrolled(c, &id))
        .await?;
    let policy = state.settings.mfa.policy;
    if !upstream_mfa
        && (enrolled.any_second_factor() || policy == crate::config::MfaPolicy::Required)
    {
        let cookie_value = crate::session::login::start_pending_from(
            &state.store,
            &user.id,
            &[Factor::Federated { mfa: false }],
            Some(&origin),
            state.now(),
        )
        .await?;
        let pending = crate::session::login::Pending {
            cookie_value,
            user: *user,
            enrolled,
        };
        let mut res = continue_pending(req, state, ui, name, &carry, &pending).await?;
        super::password::set_pending_cookie(&mut res, state, &pending.cookie_value);
        return Ok(Ok(res));
    }
    let (cookie_value, session) = sso::start(
        &state.store,
        &user,
        &[Factor::Federated { mfa: upstream_mfa }],
        &super::client_ip::device(req),
        Some(&origin),
        state.now(),
        state.settings.tokens.session_ttl_secs,
    )
    .await?;
    state.metrics.login("succeeded");
    let signed = sso::Signed {
        session,
        user: *user,
    };
    let mut res = match carry.0.as_str() {
        "params" => super::authorize::continue_signed_in(req, state, ui, &carry.1, signed).await?,
        _ => match super::signin::destination(state, Some(&carry.1)) {
            Some(rd) => no_store(
                HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, rd.as_str()))
                    .finish(),
            ),
            None => failed(ui, StatusCode::BAD_REQUEST, name),
        },
    };
    super::password::set_session_cookie(&mut res, state, &cookie_value);
    Ok(Ok(res))
}

/// The factor page of a federated sign-in that owes a second factor.
async fn continue_pending(
    req: &HttpRequest,
    state: &AppState,
    ui: &Ui,
    name: &str,
    carry: &(String, String),
    pending: &crate::session::login::Pending,
) -> Result<HttpResponse, AppError> {
    Ok(match carry.0.as_str() {
        "params" => super::authorize::factor_for_pending(req, state, ui, &carry.1, pending).await?,
        _ => match super::signin::destination(state, Some(&carry.1)) {
            Some(rd) => super::signin::factor_for_pending(req, state, ui, &rd, pending).await?,
            None => failed(ui, StatusCode::BAD_REQUEST, name),
        },
    })
}
