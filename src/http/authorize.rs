//! `/authorize` (GET and POST), the sign-in form (`POST /login`) and the consent form
//! (`POST /consent`). Handlers are thin: validation lives in `crate::authorize`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::pages::{self, ConsentPage, FormPostPage, LoginPage};
use crate::authorize::error::ErrorCode;
use crate::authorize::flow::{self, Fresh, Step};
use crate::authorize::request::{Params, validate};
use crate::authorize::response::Delivery;
use crate::authorize::{AuthRequest, AuthorizeError};
use crate::error::AppError;
use crate::secret::Secret;
use crate::session::{self, Signed};
use crate::startup::AppState;
use crate::store::audit::{self, AuditEvent};

fn no_store(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn page_error(title: &str, message: &str) -> HttpResponse {
    no_store(pages::error_page(StatusCode::BAD_REQUEST, title, message))
}

/// A sign-in or consent form that does not parse (fields missing, not form-encoded) gets
/// our HTML error page rather than actix's plain-text one.
pub fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(16 * 1024)
        .error_handler(|err, _req| {
            let res = page_error(
                "Invalid form",
                "The form was incomplete. Go back to the application and start again.",
            );
            actix_web::error::InternalError::from_response(err, res).into()
        })
}

/// Sends the browser on: a 303 (never 307 after a POST, RFC 9700 §4.12) or a form_post page.
fn deliver(delivery: Delivery) -> HttpResponse {
    match delivery {
        Delivery::Redirect(url) => no_store(
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, url))
                .finish(),
        ),
        Delivery::FormPost { action, fields } => {
            let origin = url::Url::parse(&action)
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_else(|_| "'none'".into());
            let hash = base64::engine::general_purpose::STANDARD
                .encode(Sha256::digest(pages::FORM_POST_SCRIPT.as_bytes()));
            let mut res = pages::render(
                StatusCode::OK,
                &FormPostPage {
                    action: &action,
                    fields: &fields,
                    script: pages::FORM_POST_SCRIPT,
                },
            );
            let csp = format!(
                "default-src 'none'; script-src 'sha256-{hash}'; form-action {origin}; frame-ancestors 'none'; base-uri 'none'"
            );
            if let Ok(v) = HeaderValue::from_str(&csp) {
                res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
            }
            no_store(res)
        }
    }
}

fn handle_invalid(state: &AppState, err: AuthorizeError) -> HttpResponse {
    match flow::deliver_error(state, &err) {
        Some(d) => deliver(d),
        None => match err {
            AuthorizeError::Page { title, message } => page_error(title, &message),
            AuthorizeError::Redirect { .. } => {
                page_error("Invalid request", "The request is invalid.")
            }
        },
    }
}

struct Render<'a> {
    req: &'a HttpRequest,
    state: &'a AppState,
    auth: &'a AuthRequest,
}

impl Render<'_> {
    fn login(&self, username: &str, error: Option<&str>, status: StatusCode) -> HttpResponse {
        let (csrf, cookie) = session::csrf_token(self.req, &self.state.settings.issuer);
        let username = if username.is_empty() {
            self.auth.login_hint.as_deref().unwrap_or("")
        } else {
            username
        };
        let mut res = pages::render(
            status,
            &LoginPage {
                client_name: &self.auth.client.name,
                params: &self.auth.params,
                csrf: &csrf,
                username,
                error,
            },
        );
        if let Some(c) = cookie {
            let _ = res.add_cookie(&c);
        }
        no_store(res)
    }

    fn consent(&self, signed: &Signed) -> HttpResponse {
        let (csrf, cookie) = session::csrf_token(self.req, &self.state.settings.issuer);
        let mut res = pages::render(
            StatusCode::OK,
            &ConsentPage {
                client_name: &self.auth.client.name,
                scopes: self
                    .auth
                    .scope
                    .iter()
                    .map(|s| pages::describe_scope(s))
                    .collect(),
                username: &signed.user.username,
                params: &self.auth.params,
                csrf: &csrf,
            },
        );
        if let Some(c) = cookie {
            let _ = res.add_cookie(&c);
        }
        no_store(res)
    }

    fn step(&self, step: Step) -> HttpResponse {
        match step {
            Step::Login => self.login("", None, StatusCode::OK),
            Step::Consent(signed) => self.consent(&signed),
            Step::Deliver(d) => deliver(d),
        }
    }
}

/// GET or POST /authorize.
pub async fn authorize_handler(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let encoded = if req.method() == actix_web::http::Method::POST {
        String::from_utf8_lossy(&body).into_owned()
    } else {
        req.query_string().to_string()
    };
    let params = Params::parse(&encoded);
    let auth = match validate(&params, |id| state.clients.get(id)) {
        Ok(a) => a,
        Err(e) => return Ok(handle_invalid(&state, e)),
    };
    let signed = session::current(&req, &state.store, state.clock.now()).await?;
    let step = flow::proceed(&state, &auth, signed, Fresh::default()).await?;
    Ok(Render {
        req: &req,
        state: &state,
        auth: &auth,
    }
    .step(step))
}

#[derive(Deserialize)]
pub struct LoginForm {
    params: String,
    csrf: Option<String>,
    username: String,
    password: String,
}

const EXPIRED: &str = "This sign-in form has expired. Go back to the application and start again.";

/// The authorization request a sign-in or consent form carries, once its CSRF token is
/// checked and the request is validated again (the form is just another request).
fn form_request(
    req: &HttpRequest,
    state: &AppState,
    csrf: Option<&str>,
    params: &str,
) -> Result<AuthRequest, Box<HttpResponse>> {
    if !session::csrf_ok(req, csrf) {
        return Err(Box::new(page_error("Form expired", EXPIRED)));
    }
    validate(&Params::parse(params), |id| state.clients.get(id))
        .map_err(|e| Box::new(handle_invalid(state, e)))
}

/// POST /login: the sign-in form.
pub async fn login_handler(
    req: HttpRequest,
    form: web::Form<LoginForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let auth = match form_request(&req, &state, form.csrf.as_deref(), &form.params) {
        Ok(a) => a,
        Err(res) => return Ok(*res),
    };
    let render = Render {
        req: &req,
        state: &state,
        auth: &auth,
    };
    let now = state.clock.now();
    let ip = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let account = form.username.trim().to_ascii_lowercase();
    let wait = state.login_throttle.wait(&account, &ip, now);
    if wait > 0 {
        let msg = format!("Too many failed attempts. Try again in {wait} seconds.");
        return Ok(render.login(&form.username, Some(&msg), StatusCode::TOO_MANY_REQUESTS));
    }
    let user = state
        .password_checker
        .check(&state.store, &form.username, Secret::new(form.password))
        .await?;
    let Some(user) = user else {
        state.login_throttle.failed(&account, &ip, now);
        record(
            &state,
            "login.failed",
            None,
            &auth.client.id,
            &ip,
            json!({ "username": account }),
        )
        .await;
        return Ok(render.login(
            &form.username,
            Some("The username or password is not correct."),
            StatusCode::OK,
        ));
    };
    state.login_throttle.succeeded(&account);
    record(
        &state,
        "login.succeeded",
        Some(&user.id),
        &auth.client.id,
        &ip,
        json!({}),
    )
    .await;
    let ttl = state.settings.tokens.session_ttl_secs;
    let (cookie_value, row) = session::start(&state.store, &user, now, ttl).await?;
    let signed = Signed { session: row, user };
    let step = flow::proceed(
        &state,
        &auth,
        Some(signed),
        Fresh {
            login: true,
            consent: false,
        },
    )
    .await?;
    let mut res = render.step(step);
    let _ = res.add_cookie(&session::session_cookie(
        &cookie_value,
        &state.settings.issuer,
        ttl,
    ));
    Ok(res)
}

#[derive(Deserialize)]
pub struct ConsentForm {
    params: String,
    csrf: Option<String>,
    decision: String,
}

/// POST /consent: the user's answer.
pub async fn consent_handler(
    req: HttpRequest,
    form: web::Form<ConsentForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let auth = match form_request(&req, &state, form.csrf.as_deref(), &form.params) {
        Ok(a) => a,
        Err(res) => return Ok(*res),
    };
    let Some(signed) = session::current(&req, &state.store, state.clock.now()).await? else {
        return Ok(page_error("Signed out", EXPIRED));
    };
    if form.decision != "allow" {
        let err = auth.fail(ErrorCode::AccessDenied, "the user denied the request");
        return Ok(handle_invalid(&state, err));
    }
    flow::remember_consent(&state, &auth, &signed).await?;
    let step = flow::proceed(
        &state,
        &auth,
        Some(signed),
        Fresh {
            login: true,
            consent: true,
        },
    )
    .await?;
    Ok(Render {
        req: &req,
        state: &state,
        auth: &auth,
    }
    .step(step))
}

async fn record(
    state: &AppState,
    event: &'static str,
    user_id: Option<&str>,
    client_id: &str,
    ip: &str,
    details: serde_json::Value,
) {
    let now = state.clock.now();
    let (user_id, client_id, ip) = (
        user_id.map(str::to_string),
        client_id.to_string(),
        ip.to_string(),
    );
    let result = state
        .store
        .run(move |c| {
            audit::record(
                c,
                &AuditEvent {
                    event,
                    actor: "user",
                    user_id: user_id.as_deref(),
                    client_id: Some(&client_id),
                    ip: Some(&ip),
                    details,
                },
                now,
            )
        })
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "cannot write the audit log");
    }
}
