//! The second step of both sign-in forms — `/login/factor` in an authorization request,
//! `/signin/factor` on the standalone sign-in — and the step-up of a live session
//! (RFC 9470 §4): the page that asks for a factor able to reach the level, its answer,
//! and, under `mfa.policy = required`, the enrolment of a first factor.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

use super::cookies;
use super::error::{AppError, no_store_page as no_store};
use super::pages::{self, SecondFactorPage, TotpEnrolPage, Ui};
use crate::domain::secret::Secret;
use crate::domain::user::User;
use crate::mfa::level::{self, Factor, Level};
use crate::mfa::totp;
use crate::session::passkeys::PasskeyError;
use crate::session::second_factor::{self, Checked, PendingSignIn, Proof, Refusal, Who};
use crate::session::sso::{self, Signed};
use crate::state::AppState;
use crate::store::mfa;

/// Who is proving a further factor: a sign-in past its password (no session yet), or the
/// user of a live session stepping up.
#[derive(Debug, Clone)]
pub enum Proving {
    Pending(PendingSignIn),
    Session(Signed),
}

impl Proving {
    pub fn user(&self) -> &User {
        match self {
            Proving::Pending(p) => &p.user,
            Proving::Session(s) => &s.user,
        }
    }

    fn factors(&self) -> Vec<Factor> {
        match self {
            Proving::Pending(p) => p.factors.clone(),
            Proving::Session(s) => sso::factors_of(&s.session),
        }
    }
}

/// The browser's pending sign-in if it has one, else its live session.
pub async fn proving(req: &HttpRequest, state: &AppState) -> Result<Option<Proving>, AppError> {
    let now = state.now();
    if let Some(p) = second_factor::pending(&state.store, cookies::pending_value(req), now).await? {
        return Ok(Some(Proving::Pending(p)));
    }
    Ok(sso::current(&state.store, cookies::session_value(req), now)
        .await?
        .map(Proving::Session))
}

/// The pending sign-in a password step just started.
pub async fn proving_pending(
    state: &AppState,
    pending: &crate::session::login::Pending,
) -> Result<Proving, AppError> {
    let found = second_factor::pending(
        &state.store,
        Some(pending.cookie_value.expose().clone()),
        state.now(),
    )
    .await?;
    found.map(Proving::Pending).ok_or_else(|| {
        AppError::Unexpected(anyhow::anyhow!("the pending sign-in just made is gone"))
    })
}

/// Why a code was refused, in the page's language.
pub fn refusal_text(ui: &Ui, r: Refusal) -> String {
    match r {
        Refusal::NoAuthenticator => ui.t("factor-no-authenticator"),
        Refusal::AlreadyEnrolled => ui.t("totp-already"),
        Refusal::EnrolmentGone => ui.t("factor-enrolment-gone"),
        Refusal::Malformed => ui.t("factor-malformed"),
        Refusal::Wrong => ui.t("factor-wrong-code"),
        Refusal::Replayed => ui.t("factor-replayed"),
        Refusal::NotRecoveryCode => ui.t("factor-not-recovery-code"),
        Refusal::RecoveryCodeUnknown => ui.t("factor-recovery-unknown"),
        Refusal::Passkey => ui.t("factor-passkey-refused"),
    }
}

/// Where the page posts and what it carries along.
pub struct Place<'a> {
    pub action: &'static str,
    pub carry_name: &'static str,
    pub carry_value: &'a str,
    /// What the user signs in to: the client's name or the host they return to.
    pub destination: &'a str,
    pub client_id: Option<&'a str>,
}

/// The factor page (or, for a pending sign-in of a user with no factor, the enrolment the
/// policy requires). `need`: the level to reach, if the request names one.
#[allow(clippy::too_many_arguments)]
pub async fn page(
    req: &HttpRequest,
    state: &AppState,
    ui: &Ui,
    place: &Place<'_>,
    proving: &Proving,
    need: Option<Level>,
    error: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let user = proving.user();
    let id = user.id.clone();
    let enrolled = state.store.run(move |c| mfa::enrolled(c, &id)).await?;
    if matches!(proving, Proving::Pending(_)) && !enrolled.any_second_factor() {
        return enrol_page(
            req,
            state,
            ui,
            place.action,
            Some((place.carry_name, place.carry_value)),
            user,
            error,
            status,
            true,
        )
        .await;
    }
    let have = proving.factors();
    let reaches = |f: Factor| {
        let mut all = have.clone();
        all.push(f);
        need.is_none_or(|n| level::level(&all) >= n)
    };
    let passkey = if !enrolled.passkeys.is_empty()
        && reaches(Factor::Passkey {
            user_verified: true,
            synced: false,
        })
        && state.passkeys.available()
    {
        let id = user.id.clone();
        let rows = state.store.run(move |c| mfa::passkeys_of(c, &id)).await?;
        match state
            .passkeys
            .start_authentication(&state.keys, &user.id, &rows, state.now())
        {
            Ok(c) => Some(pages::PasskeyForm::new(place.action, c)),
            Err(e) => {
                tracing::warn!(error = %e, "cannot offer a passkey");
                None
            }
        }
    } else {
        None
    };
    let with_script = passkey.is_some();
    let (csrf, cookie) = state.csrf.token(req, state.issuer());
    let mut res = pages::show(
        status,
        &SecondFactorPage {
            ui,
            username: &user.username,
            destination: place.destination,
            stepping_up: matches!(proving, Proving::Session(_)),
            error,
            totp: enrolled.totp && reaches(Factor::Totp),
            recovery: enrolled.recovery_codes_left > 0 && reaches(Factor::RecoveryCode),
            passkey,
            script: pages::WEBAUTHN_SCRIPT,
            action: place.action,
            carry_name: place.carry_name,
            carry_value: place.carry_value,
            csrf: &csrf,
        },
    );
    if with_script {
        pages::allow_webauthn_script(ui, &mut res);
    }
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    Ok(no_store(res))
}

/// The QR code of an `otpauth://` URI, as an inline SVG element.
fn qr_svg(uri: &str) -> Result<String, AppError> {
    let code = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("QR code: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    // The renderer writes an XML declaration first; inline SVG starts at the element.
    Ok(svg
        .find("<svg")
        .map_or(svg.clone(), |i| svg[i..].to_string()))
}

/// What authenticator apps show as the account's issuer: the issuer's host.
fn issuer_label(issuer: &str) -> String {
    url::Url::parse(issuer)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "Portcullis".into())
}

/// The authenticator-app enrolment page (a new secret, or the one being set up).
#[allow(clippy::too_many_arguments)]
pub async fn enrol_page(
    req: &HttpRequest,
    state: &AppState,
    ui: &Ui,
    action: &str,
    carry: Option<(&str, &str)>,
    user: &User,
    error: Option<&str>,
    status: StatusCode,
    required: bool,
) -> Result<HttpResponse, AppError> {
    let secret = second_factor::totp_enrolment(&state.store, &state.keys, &user.id, state.now())
        .await?
        .unwrap_or_else(|| Secret::new(Vec::new()));
    if secret.expose().is_empty() {
        return Ok(no_store(pages::error_page(
            ui,
            StatusCode::CONFLICT,
            &ui.t("totp-already-title"),
            &ui.t("totp-already"),
        )));
    }
    let uri = totp::otpauth_uri(
        &issuer_label(state.issuer()),
        &user.username,
        secret.expose(),
    );
    let svg = qr_svg(&uri)?;
    let key = totp::base32(secret.expose());
    let (csrf, cookie) = state.csrf.token(req, state.issuer());
    let mut res = pages::show(
        status,
        &TotpEnrolPage {
            ui,
            required,
            qr_svg: &svg,
            secret: &key,
            error,
            action,
            carry,
            csrf: &csrf,
        },
    );
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    Ok(no_store(res))
}

/// The answer of a factor page's form: a code, or a passkey's assertion with the sealed
/// ceremony state.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Answer {
    pub method: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub credential: String,
}

/// How an answer on the factor page ended.
pub enum Submitted {
    /// Proven: the (new or stepped-up) session, and the cookie value of a new one.
    Accepted(Box<Signed>, Option<Secret<String>>),
    /// The page again with this message and status.
    Refused(String, StatusCode),
    /// The pending sign-in was used up meanwhile.
    Gone,
    /// That wrong answer was the pending sign-in's last: it is void, and the person signs
    /// in again from the password (this message says so).
    Voided(String),
}

/// Checks the answer (`method`: `totp`, `recovery_code`, or `enrol_totp` for a pending
/// sign-in setting up its first factor) and completes or steps up on success.
pub async fn submit(
    req: &HttpRequest,
    state: &AppState,
    ui: &Ui,
    proving: &Proving,
    answer: &Answer,
    client_id: Option<&str>,
) -> Result<Submitted, AppError> {
    let (method, code) = (answer.method.as_str(), answer.code.as_str());
    let now = state.now();
    let source = state.source(req);
    let voice = ui.voice();
    let who = Who {
        user_id: &proving.user().id,
        source: &source,
        client_id,
        pending: match proving {
            Proving::Pending(p) => Some(&p.row.id_hash),
            Proving::Session(_) => None,
        },
        notice: Some(second_factor::Notice {
            voice: &voice,
            issuer: state.issuer(),
        }),
    };
    let checked = if method == "passkey" {
        // Passkeys spend the same budget as codes: a stolen password must not buy
        // unlimited assertions either.
        second_factor::guarded(&state.store, &who, "passkey", true, now, || async {
            let user_id = proving.user().id.clone();
            match state
                .passkeys
                .finish_authentication(
                    &state.store,
                    &state.keys,
                    &answer.state,
                    &answer.credential,
                    Some(&user_id),
                    now,
                )
                .await
            {
                Ok((_, factor)) => Ok(Ok(factor)),
                Err(PasskeyError::Store(e)) => Err(e),
                Err(e) => Ok(Err((Refusal::Passkey, Some(e.to_string())))),
            }
        })
        .await?
    } else {
        let proof = match method {
            "totp" => Proof::Totp(code),
            "recovery_code" => Proof::RecoveryCode(code),
            "enrol_totp" if matches!(proving, Proving::Pending(_)) => Proof::TotpEnrolment(code),
            _ => {
                return Ok(Submitted::Refused(
                    ui.t("factor-choose"),
                    StatusCode::BAD_REQUEST,
                ));
            }
        };
        second_factor::check(&state.store, &state.keys, &who, proof, now).await?
    };
    let factor = match checked {
        Checked::Accepted(f) => f,
        Checked::Refused(r) => {
            state.metrics.login("second_factor_failed");
            // The failure that exhausts the budget queued a mail to the person.
            state.mail.wake();
            return Ok(Submitted::Refused(refusal_text(ui, r), StatusCode::OK));
        }
        Checked::Throttled(wait) => {
            state.metrics.login("throttled");
            return Ok(Submitted::Refused(
                ui.tn("too-many-attempts", "count", wait),
                StatusCode::TOO_MANY_REQUESTS,
            ));
        }
        Checked::Voided => {
            state.metrics.login("second_factor_failed");
            return Ok(Submitted::Voided(ui.t("factor-voided")));
        }
    };
    accepted(req, state, proving, factor).await
}

/// A further factor proven: the pending sign-in becomes a session, or the session steps up.
async fn accepted(
    req: &HttpRequest,
    state: &AppState,
    proving: &Proving,
    factor: Factor,
) -> Result<Submitted, AppError> {
    let now = state.now();
    state.metrics.login("succeeded");
    Ok(match proving.clone() {
        Proving::Pending(p) => {
            let ttl = state.settings.tokens.session_ttl_secs;
            match second_factor::complete(
                &state.store,
                p,
                factor,
                &super::client_ip::device(req),
                now,
                ttl,
            )
            .await?
            {
                Some((signed, cookie)) => Submitted::Accepted(Box::new(signed), Some(cookie)),
                None => Submitted::Gone,
            }
        }
        Proving::Session(s) => Submitted::Accepted(
            Box::new(second_factor::step_up(&state.store, s, factor, now).await?),
            None,
        ),
    })
}

/// The cookies of an accepted answer: the new session's, and the pending one cleared.
pub fn set_cookies(res: &mut HttpResponse, state: &AppState, new_session: Option<&Secret<String>>) {
    if let Some(value) = new_session {
        super::password::set_session_cookie(res, state, value);
        let _ = res.add_cookie(&cookies::clear_pending_cookie(state.issuer()));
    }
}
