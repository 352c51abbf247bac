//! Signing in with a passkey alone (a discoverable credential, no username), shared by
//! both sign-in forms (`/login/passkey` in an authorization request, `/signin/passkey`
//! standalone). A passkey with user verification is two factors by itself: the session
//! is phishing-resistant (`acr` 3) at once, and no second step follows.

use actix_web::HttpRequest;

use super::error::AppError;
use crate::domain::secret::Secret;
use crate::session::login::record;
use crate::session::passkeys::PasskeyError;
use crate::session::sso::{self, Signed};
use crate::state::AppState;
use crate::store::users;

/// The new session and its cookie value, or the message for the sign-in page.
pub async fn sign_in(
    req: &HttpRequest,
    state: &AppState,
    ui: &super::pages::Ui,
    sealed: &str,
    credential: &str,
    client_id: Option<&str>,
) -> Result<Result<(Signed, Secret<String>), String>, AppError> {
    let now = state.now();
    let source = state.source(req);
    let proven = state
        .passkeys
        .finish_authentication(&state.store, &state.keys, sealed, credential, None, now)
        .await;
    let (user_id, factor) = match proven {
        Ok(p) => p,
        Err(PasskeyError::Store(e)) => return Err(e.into()),
        Err(e) => {
            state.metrics.login("failed");
            let details = serde_json::json!({ "method": "passkey", "reason": e.to_string() });
            record(
                &state.store,
                "login.failed",
                None,
                client_id,
                &source,
                details,
                now,
            )
            .await;
            return Ok(Err(ui.t("sign-in-passkey-failed")));
        }
    };
    let id = user_id.clone();
    let user = state.store.run(move |c| users::find_by_id(c, &id)).await?;
    let Some(user) = user.filter(|u| !u.disabled) else {
        state.metrics.login("failed");
        return Ok(Err(ui.t("sign-in-passkey-failed")));
    };
    state.metrics.login("succeeded");
    let details = serde_json::json!({ "method": "passkey" });
    record(
        &state.store,
        "login.succeeded",
        Some(&user.id),
        client_id,
        &source,
        details,
        now,
    )
    .await;
    let ttl = state.settings.tokens.session_ttl_secs;
    let (cookie, session) = sso::start(
        &state.store,
        &user,
        &[factor],
        &super::client_ip::device(req),
        None,
        now,
        ttl,
    )
    .await?;
    Ok(Ok((Signed { session, user }, cookie)))
}
