//! `/authorize` (GET and POST), the sign-in form (`POST /login`) and the consent form
//! (`POST /consent`). Handlers are thin: validation lives in `crate::authorize`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::cookies;
use super::csrf::CsrfRefusal;
use super::error::{AppError, no_store_page as no_store};
use super::pages::{self, ConsentPage, FormPostPage, LoginPage, Ui};
use super::params;
use super::password::{self, Outcome};
use super::second_factor::{self, Place, Proving};
use crate::authorize::decision::Fresh;
use crate::authorize::error::{ErrorCode, PageError};
use crate::authorize::flow::{self, Step};
use crate::authorize::response::{self, Delivery};
use crate::authorize::{AuthRequest, AuthorizeError};
use crate::session::sso::{self, Signed};
use crate::state::AppState;
use crate::store::grants::DbGrants;

/// A form POSTed from another site (`http::csrf`).
mod further_factors;
mod resolve;
pub use further_factors::{login_factor_handler, login_passkey_handler};
use resolve::{Use, resolve};

pub fn cross_site(ui: &Ui) -> HttpResponse {
    no_store(pages::error_page(
        ui,
        StatusCode::FORBIDDEN,
        &ui.t("error-cross-site-title"),
        &ui.t("error-cross-site"),
    ))
}

fn page_error(ui: &Ui, title: &str, message: &str) -> HttpResponse {
    no_store(pages::error_page(
        ui,
        StatusCode::BAD_REQUEST,
        title,
        message,
    ))
}

/// The host of a URL we hold (a registered redirect URI), for the person to read.
fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default()
}

/// An expired sign-in or consent form.
fn expired(ui: &Ui, title_key: &str) -> HttpResponse {
    page_error(ui, &ui.t(title_key), &ui.t("error-form-expired"))
}

/// A request we cannot answer at a redirect URI, on our page in the person's language.
fn request_page(ui: &Ui, e: PageError) -> HttpResponse {
    let (title, message) = match e {
        PageError::MissingClient => ("error-invalid-title", "error-no-client"),
        PageError::UnknownClient => ("error-unknown-client-title", "error-unknown-client"),
        PageError::UnregisteredRedirect => ("error-redirect-title", "error-redirect-unregistered"),
        PageError::MissingRedirect => ("error-invalid-title", "error-redirect-missing"),
        PageError::StateTooLong => ("error-invalid-title", "error-state-too-long"),
    };
    page_error(ui, &ui.t(title), &ui.t(message))
}

/// A sign-in or consent form that does not parse (fields missing, not form-encoded) gets
/// our HTML error page rather than actix's plain-text one.
pub fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(16 * 1024)
        .error_handler(|err, req| {
            let ui = Ui::of(req);
            let res = page_error(&ui, &ui.t("error-form-title"), &ui.t("error-form"));
            actix_web::error::InternalError::from_response(err, res).into()
        })
}

/// A page's query string that does not parse (a parameter given twice, say) gets our
/// HTML error page in the person's language rather than actix's plain-text one.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, req| {
        let ui = Ui::of(req);
        let res = page_error(&ui, &ui.t("error-invalid-title"), &ui.t("error-incomplete"));
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

/// An invalid request: our page when redirecting would be unsafe, otherwise an error
/// sent back to the validated redirect URI with `iss` (RFC 6749 §4.1.2.1, RFC 9207).
fn handle_invalid(state: &AppState, ui: &Ui, err: AuthorizeError) -> HttpResponse {
    match err {
        AuthorizeError::Page(e) => request_page(ui, e),
        AuthorizeError::Redirect {
            redirect_uri,
            response_mode,
            state: st,
            code,
            description,
        } => deliver(response::error(
            &redirect_uri,
            response_mode,
            code,
            description,
            st.as_deref(),
            state.issuer(),
        )),
    }
}

/// The "Sign in with a passkey" part of a sign-in page, when passkeys are available.
pub fn passkey_sign_in(state: &AppState, action: &'static str) -> Option<pages::PasskeyForm> {
    if !state.passkeys.available() {
        return None;
    }
    match state.passkeys.start_discoverable(&state.keys, state.now()) {
        Ok(c) => Some(pages::PasskeyForm::new(action, c)),
        Err(e) => {
            tracing::warn!(error = %e, "cannot offer passkey sign-in");
            None
        }
    }
}

struct Render<'a> {
    req: &'a HttpRequest,
    state: &'a AppState,
    auth: &'a AuthRequest,
    ui: Ui,
}

impl<'a> Render<'a> {
    /// The pages of `auth`, in the language it asks for (`ui_locales`) or `ui`'s.
    fn of(req: &'a HttpRequest, state: &'a AppState, ui: &Ui, auth: &'a AuthRequest) -> Self {
        Render {
            req,
            state,
            auth,
            ui: ui.clone().preferring(auth.ui_locales.as_deref()),
        }
    }

    fn login(&self, username: &str, error: Option<&str>, status: StatusCode) -> HttpResponse {
        let (csrf, cookie) = self.state.csrf.token(self.req, self.state.issuer());
        let username = if username.is_empty() {
            self.auth.login_hint.as_deref().unwrap_or("")
        } else {
            username
        };
        let passkey = passkey_sign_in(self.state, "/login/passkey");
        let with_script = passkey.is_some();
        let mut res = pages::show(
            status,
            &LoginPage {
                ui: &self.ui,
                destination: &self.auth.client.name,
                action: "/login",
                carry_name: "params",
                carry_value: &self.auth.params,
                csrf: &csrf,
                username,
                error,
                passkey,
                script: pages::WEBAUTHN_SCRIPT,
                signup: self.state.settings.registration.self_service,
                upstreams: pages::upstream_buttons(self.state, "params", &self.auth.params),
            },
        );
        if with_script {
            pages::allow_webauthn_script(&self.ui, &mut res);
        }
        if let Some(c) = cookie {
            let _ = res.add_cookie(&c);
        }
        no_store(res)
    }

    fn consent(&self, signed: &Signed) -> HttpResponse {
        let (csrf, cookie) = self.state.csrf.token(self.req, self.state.issuer());
        let mut res = pages::show(
            StatusCode::OK,
            &ConsentPage {
                ui: &self.ui,
                client_name: &self.auth.client.name,
                self_registered_host: self
                    .auth
                    .client
                    .self_registered
                    .then(|| host_of(self.auth.redirect_uri.as_str())),
                scopes: self
                    .auth
                    .scope
                    .iter()
                    .map(|s| pages::describe_scope(&self.ui, s))
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

    fn place(&self) -> Place<'_> {
        Place {
            action: "/login/factor",
            carry_name: "params",
            carry_value: &self.auth.params,
            destination: &self.auth.client.name,
            client_id: Some(self.auth.client.id.as_str()),
        }
    }

    /// The second-factor page for a pending sign-in or a step-up.
    async fn factor(
        &self,
        proving: &Proving,
        error: Option<&str>,
        status: StatusCode,
    ) -> Result<HttpResponse, AppError> {
        second_factor::page(
            self.req,
            self.state,
            &self.ui,
            &self.place(),
            proving,
            self.auth.required_level(),
            error,
            status,
        )
        .await
    }

    async fn step(&self, step: Step) -> Result<HttpResponse, AppError> {
        Ok(match step {
            Step::Login => self.login("", None, StatusCode::OK),
            Step::StepUp(signed, _) => {
                self.factor(&Proving::Session(*signed), None, StatusCode::OK)
                    .await?
            }
            Step::Consent(signed) => self.consent(&signed),
            Step::Deliver(d) => deliver(d),
        })
    }
}

/// Runs the authorization decision (`authorize::flow`) on one pooled connection.
async fn proceed(
    state: &AppState,
    auth: &AuthRequest,
    signed: Option<Signed>,
    fresh: Fresh,
) -> Result<Step, AppError> {
    let (keys, issuer, now) = (
        state.keys.current(),
        state.settings.issuer.clone(),
        state.now(),
    );
    let (auth, clients) = (auth.clone(), state.clients.clone());
    Ok(state
        .store
        .run(move |c| {
            let is_client = |id: &str| clients.get(id).is_some();
            let server = flow::Server {
                keys: &keys,
                issuer: &issuer,
                is_client: &is_client,
            };
            flow::proceed(&server, &mut DbGrants::new(c), &auth, signed, fresh, now)
        })
        .await?)
}

/// The browser's live session, if any.
async fn current_session(req: &HttpRequest, state: &AppState) -> Result<Option<Signed>, AppError> {
    Ok(sso::current(&state.store, cookies::session_value(req), state.now()).await?)
}

/// GET or POST /authorize.
pub async fn authorize_handler(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    ui: Ui,
) -> Result<HttpResponse, AppError> {
    let encoded = match params::encoded(&req, payload, &ui).await {
        Ok(e) => e,
        Err(page) => return Ok(page),
    };
    let auth = match resolve(&state, &ui, &encoded, Use::Authorize).await? {
        Ok(a) => a,
        Err(res) => return Ok(*res),
    };
    let signed = current_session(&req, &state).await?;
    let step = proceed(&state, &auth, signed, Fresh::default()).await?;
    Render::of(&req, &state, &ui, &auth).step(step).await
}

#[derive(Deserialize)]
pub struct LoginForm {
    params: String,
    csrf: Option<String>,
    username: String,
    password: String,
}

/// The authorization request a sign-in or consent form carries, once its CSRF token is
/// checked and the request is validated again (the form is just another request).
async fn form_request(
    req: &HttpRequest,
    state: &AppState,
    ui: &Ui,
    csrf: Option<&str>,
    params: &str,
) -> Result<Result<AuthRequest, Box<HttpResponse>>, AppError> {
    match state.csrf.check(req, csrf, state.issuer()) {
        Ok(()) => {}
        Err(CsrfRefusal::Token) => {
            return Ok(Err(Box::new(expired(ui, "error-form-expired-title"))));
        }
        Err(CsrfRefusal::Origin) => return Ok(Err(Box::new(cross_site(ui)))),
    }
    resolve(state, ui, params, Use::Form).await
}

/// POST /login: the sign-in form.
pub async fn login_handler(
    req: HttpRequest,
    form: web::Form<LoginForm>,
    state: web::Data<AppState>,
    ui: Ui,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let auth = match form_request(&req, &state, &ui, form.csrf.as_deref(), &form.params).await? {
        Ok(a) => a,
        Err(res) => return Ok(*res),
    };
    let render = Render::of(&req, &state, &ui, &auth);
    let outcome = password::sign_in(
        &req,
        &state,
        &render.ui,
        &form.username,
        form.password,
        Some(&auth.client.id),
    )
    .await?;
    let (signed, cookie_value) = match outcome {
        Outcome::Refused(message, status) => {
            return Ok(render.login(&form.username, Some(&message), status));
        }
        Outcome::SignedIn(signed, cookie_value) => (*signed, cookie_value),
        Outcome::Pending(pending) => {
            let proving = second_factor::proving_pending(&state, &pending).await?;
            let mut res = render.factor(&proving, None, StatusCode::OK).await?;
            password::set_pending_cookie(&mut res, &state, &pending.cookie_value);
            return Ok(res);
        }
    };
    let fresh = Fresh {
        login: true,
        consent: false,
    };
    let step = proceed(&state, &auth, Some(signed), fresh).await?;
    let mut res = render.step(step).await?;
    password::set_session_cookie(&mut res, &state, &cookie_value);
    Ok(res)
}

/// After a sign-in elsewhere (an upstream provider): the authorization request `params`
/// continues with this new session, as after the password form. The caller sets the
/// session cookie.
pub async fn continue_signed_in(
    req: &HttpRequest,
    state: &AppState,
    ui: &Ui,
    params: &str,
    signed: Signed,
) -> Result<HttpResponse, AppError> {
    let auth = match resolve(state, ui, params, Use::Form).await? {
        Ok(a) => a,
        Err(res) => return Ok(*res),
    };
    let fresh = Fresh {
        login: true,
        consent: false,
    };
    let step = proceed(state, &auth, Some(signed), fresh).await?;
    Render::of(req, state, ui, &auth).step(step).await
}

/// After a sign-in elsewhere that still owes a second factor: the factor page of the
/// authorization request `params`. The caller sets the pending sign-in's cookie.
pub async fn factor_for_pending(
    req: &HttpRequest,
    state: &AppState,
    ui: &Ui,
    params: &str,
    pending: &crate::session::login::Pending,
) -> Result<HttpResponse, AppError> {
    let auth = match resolve(state, ui, params, Use::Form).await? {
        Ok(a) => a,
        Err(res) => return Ok(*res),
    };
    let proving = second_factor::proving_pending(state, pending).await?;
    Render::of(req, state, ui, &auth)
        .factor(&proving, None, StatusCode::OK)
        .await
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
    ui: Ui,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let auth = match form_request(&req, &state, &ui, form.csrf.as_deref(), &form.params).await? {
        Ok(a) => a,
        Err(res) => return Ok(*res),
    };
    let ui = ui.preferring(auth.ui_locales.as_deref());
    let Some(signed) = current_session(&req, &state).await? else {
        return Ok(expired(&ui, "error-signed-out-title"));
    };
    if form.decision != "allow" {
        let err = auth.fail(ErrorCode::AccessDenied, "the user denied the request");
        return Ok(handle_invalid(&state, &ui, err));
    }
    let (remembered, who, now) = (auth.clone(), signed.clone(), state.now());
    state
        .store
        .run(move |c| flow::remember_consent(&mut DbGrants::new(c), &remembered, &who, now))
        .await?;
    let fresh = Fresh {
        login: true,
        consent: true,
    };
    let step = proceed(&state, &auth, Some(signed), fresh).await?;
    Render::of(&req, &state, &ui, &auth).step(step).await
}
