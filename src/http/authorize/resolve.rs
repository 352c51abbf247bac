//! The request behind `/authorize` and the forms after it: the parameters themselves, or
//! a pushed request (RFC 9126) named by its `request_uri`.

use actix_web::HttpResponse;

use super::{handle_invalid, page_error, request_page};
use crate::authorize::AuthRequest;
use crate::authorize::error::ErrorCode;
use crate::authorize::error::PageError;
use crate::authorize::pushed;
use crate::authorize::request::{Params, validate};
use crate::http::error::AppError;
use crate::http::pages::Ui;
use crate::state::AppState;
use crate::store::pushed_requests;

/// Who is resolving a request: `/authorize` itself, or a sign-in/consent form after it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Use {
    Authorize,
    Form,
}

/// The validated request behind `encoded`: the request itself, or the pushed request its
/// `request_uri` names (RFC 9126 §4: the pushed parameters only, whatever else the URL
/// says). `/authorize` takes a pushed request once; the forms that follow carry only its
/// reference. A client that must push is refused any other request.
pub(super) async fn resolve(
    state: &AppState,
    ui: &Ui,
    encoded: &str,
    by: Use,
) -> Result<Result<AuthRequest, Box<HttpResponse>>, AppError> {
    let params = Params::parse(encoded);
    let lookup = |id: &str| state.clients.get(id);
    let Some(request_uri) = params
        .get("request_uri")
        .filter(|u| u.starts_with(pushed::URN_PREFIX))
    else {
        let auth = match validate(&params, lookup) {
            Ok(a) => a,
            Err(e) => return Ok(Err(Box::new(handle_invalid(state, ui, e)))),
        };
        if auth.client.must_use_par(state.settings.par.required) {
            let e = auth.fail(
                ErrorCode::InvalidRequest,
                "this client must push its authorization requests (PAR, RFC 9126)",
            );
            return Ok(Err(Box::new(handle_invalid(state, ui, e))));
        }
        return Ok(Ok(auth));
    };
    let Some(client_id) = params.get("client_id").map(str::to_string) else {
        return Ok(Err(Box::new(request_page(ui, PageError::MissingClient))));
    };
    let hash = crate::domain::opaque::hash(request_uri);
    let now = state.now();
    let (h, id) = (hash.clone(), client_id.clone());
    let row = state
        .store
        .run(move |c| {
            let Some(row) = pushed_requests::find_live(c, &h, &id, now)? else {
                return Ok(None);
            };
            let usable = match (by, row.used_at) {
                (Use::Authorize, None) => {
                    pushed_requests::take(c, &h, now, now + pushed::SIGN_IN_WINDOW_SECS)?
                }
                (Use::Form, Some(_)) => true,
                _ => false,
            };
            Ok::<_, crate::store::StoreError>(usable.then_some(row))
        })
        .await?;
    let Some(row) = row else {
        return Ok(Err(Box::new(page_error(
            ui,
            &ui.t("error-pushed-gone-title"),
            &ui.t("error-pushed-gone"),
        ))));
    };
    let mut auth = match validate(&Params::parse(&row.params), lookup) {
        Ok(a) => a,
        Err(e) => return Ok(Err(Box::new(handle_invalid(state, ui, e)))),
    };
    auth.params = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &client_id)
        .append_pair("request_uri", request_uri)
        .finish();
    auth.pushed = Some(hash);
    if auth.dpop_jkt.is_none() {
        auth.dpop_jkt = row.dpop_jkt;
    }
    Ok(Ok(auth))
}
