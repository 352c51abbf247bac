//! The password step shared by both sign-in forms (the authorization request's `/login`
//! and the standalone `/signin`): the throttled attempt, its metric, the message a refused
//! attempt shows, and the SSO cookie of a success.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

use super::cookies;
use super::error::AppError;
use super::pages::Ui;
use crate::domain::secret::Secret;
use crate::session::login::{self, Attempt, Pending, SignIn};
use crate::session::sso::Signed;
use crate::state::AppState;

/// What the form shows next.
pub enum Outcome {
    /// The form again, with this message and status.
    Refused(String, StatusCode),
    /// A new session and the cookie value that names it.
    SignedIn(Box<Signed>, Secret<String>),
    /// The password was right; a second factor (or an enrolment) is due.
    Pending(Box<Pending>),
}

/// Checks a username and password; `client_id` is the client the sign-in is for (audit).
pub async fn sign_in(
    req: &HttpRequest,
    state: &AppState,
    ui: &Ui,
    username: &str,
    password: String,
    client_id: Option<&str>,
) -> Result<Outcome, AppError> {
    let source = state.source(req);
    let outcome = login::sign_in(
        &state.password_checker,
        &state.store,
        Attempt {
            username,
            password: Secret::new(password),
            source: &source,
            client_id,
            policy: state.settings.mfa.policy,
            device: super::client_ip::device(req),
            directory: state.directory.as_ref(),
        },
        state.settings.tokens.session_ttl_secs,
        state.now(),
    )
    .await?;
    Ok(match outcome {
        SignIn::Throttled(wait) => {
            state.metrics.login("throttled");
            Outcome::Refused(
                ui.tn("too-many-attempts", "count", wait),
                StatusCode::TOO_MANY_REQUESTS,
            )
        }
        SignIn::Failed => {
            state.metrics.login("failed");
            Outcome::Refused(ui.t("sign-in-wrong"), StatusCode::OK)
        }
        SignIn::Malformed => {
            state.metrics.login("failed");
            Outcome::Refused(
                ui.t1(
                    "sign-in-username-too-long",
                    "max",
                    crate::domain::bounds::USERNAME_BYTES,
                ),
                StatusCode::BAD_REQUEST,
            )
        }
        SignIn::Unavailable => {
            state.metrics.login("unavailable");
            Outcome::Refused(ui.t("sign-in-unavailable"), StatusCode::SERVICE_UNAVAILABLE)
        }
        SignIn::SignedIn(signed, cookie_value) => {
            state.metrics.login("succeeded");
            Outcome::SignedIn(signed, cookie_value)
        }
        SignIn::Pending(pending) => {
            state.metrics.login("second_factor_due");
            Outcome::Pending(pending)
        }
    })
}

/// Adds the SSO cookie of a new session (host-only), and in session mode
/// (`forward_auth.session_cookie_domain`) the gateway's ticket for that session.
pub fn set_session_cookie(res: &mut HttpResponse, state: &AppState, value: &Secret<String>) {
    let ttl = state.settings.tokens.session_ttl_secs;
    let _ = res.add_cookie(&cookies::session_cookie(value, state.issuer(), ttl));
    if let Some(domain) = state.settings.forward_auth.session_cookie_domain.as_deref() {
        let ticket = state.gateway_ticket.issue(value.expose());
        let _ = res.add_cookie(&cookies::gateway_cookie(
            ticket,
            state.issuer(),
            ttl,
            domain,
        ));
    }
}

/// Adds the cookie of a pending sign-in (waiting for its second factor).
pub fn set_pending_cookie(res: &mut HttpResponse, state: &AppState, value: &Secret<String>) {
    let _ = res.add_cookie(&cookies::pending_cookie(value, state.issuer()));
}
