//! What every page needs besides its own fields: the language it speaks and the
//! organisation's look. Taken from the request (`Ui` is an extractor).

use std::future::{Ready, ready};
use std::ops::Deref;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest, web};

use super::look::Look;
use crate::i18n::{Locale, Localizer};
use crate::state::AppState;

/// Remembers the language `ui_locales` asked for, so the pages after the first one (the
/// form posts, the forgot-password page, the link in a mail) keep speaking it.
pub const LOCALE_COOKIE: &str = "portcullis_locale";

#[derive(Clone)]
pub struct Ui {
    pub loc: Localizer,
    pub look: Arc<Look>,
}

impl Deref for Ui {
    type Target = Localizer;

    fn deref(&self) -> &Localizer {
        &self.loc
    }
}

impl std::fmt::Debug for Ui {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ui")
            .field("locale", &self.loc.locale)
            .finish()
    }
}

impl Ui {
    /// The language the request asks for, with the server's look.
    pub fn of(req: &HttpRequest) -> Ui {
        let look = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.look.clone())
            .unwrap_or_default();
        let ui_locales = ui_locales_param(req.query_string());
        let remembered = req.cookie(LOCALE_COOKIE);
        let accept = req
            .headers()
            .get(actix_web::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let locale = Locale::negotiate(
            ui_locales.as_deref(),
            remembered.as_ref().map(|c| c.value()),
            accept,
            look.default_locale,
        );
        Ui {
            loc: Localizer::new(locale),
            look,
        }
    }

    /// The same page in the language an authorization request's `ui_locales` asks for
    /// (a pushed request carries it inside, not in the query).
    pub fn preferring(mut self, ui_locales: Option<&str>) -> Ui {
        if let Some(l) = ui_locales.and_then(Locale::from_ui_locales) {
            self.loc = Localizer::new(l);
        }
        self
    }

    /// Outside any request (a mail queued by the CLI): the default language, our look.
    pub fn plain(look: Arc<Look>) -> Ui {
        Ui {
            loc: Localizer::new(look.default_locale),
            look,
        }
    }

    pub fn product(&self) -> &str {
        &self.look.product_name
    }

    pub fn logo(&self) -> Option<&str> {
        self.look.logo_src()
    }

    pub fn primary_color(&self) -> Option<&str> {
        self.look.primary_color.as_deref()
    }

    pub fn has_css(&self) -> bool {
        self.look.has_css()
    }

    /// How mails sent from this request speak: this page's language, our look.
    pub fn voice(&self) -> crate::mail::Voice {
        crate::mail::Voice::new(self.loc, self.product(), self.primary_color())
    }

    /// The admin console and other operator pages, which are in English.
    pub fn english(mut self) -> Ui {
        self.loc = Localizer::new(Locale::En);
        self
    }
}

impl FromRequest for Ui {
    type Error = actix_web::Error;
    type Future = Ready<Result<Ui, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Ui::of(req)))
    }
}

fn ui_locales_param(query: &str) -> Option<String> {
    if !query.contains("ui_locales") {
        return None;
    }
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "ui_locales")
        .map(|(_, v)| v.into_owned())
}

/// Middleware: a request whose `ui_locales` names a language we ship sets the cookie that
/// remembers it (a year, this site only, not readable by script).
pub async fn remember_locale(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // Most requests (every token, JWKS and forward-auth request) name no language: they
    // cost one substring search here.
    let Some(chosen) = ui_locales_param(req.query_string())
        .as_deref()
        .and_then(Locale::from_ui_locales)
    else {
        return next.call(req).await;
    };
    let secure = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.issuer().starts_with("https://"));
    let already = req
        .cookie(LOCALE_COOKIE)
        .is_some_and(|c| c.value() == chosen.tag());
    let mut res = next.call(req).await?;
    if !already {
        let cookie = Cookie::build(LOCALE_COOKIE, chosen.tag())
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::days(365))
            .finish();
        let _ = res.response_mut().add_cookie(&cookie);
    }
    Ok(res)
}
