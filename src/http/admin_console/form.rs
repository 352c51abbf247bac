//! Form bodies with repeated fields (checkboxes), which `web::Form` cannot take.

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};

use crate::http::body::{self, BodyError};
use crate::http::error::no_store_page;
use crate::http::pages::{self, Ui};

/// The most a console form may carry (a client's JWK set is the largest field).
pub const CONSOLE_FORM_LIMIT: usize = 64 * 1024;

/// A console form read with [`CONSOLE_FORM_LIMIT`]: a larger body gets our HTML page with
/// 413 (hardening round 2, finding 12), never actix-web's plain text.
impl FromRequest for Fields {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, payload) = (req.clone(), payload.take());
        Box::pin(async move {
            let refused = |status, title: &str, message: &str| {
                let ui = Ui::of(&req);
                let page = pages::error_page(&ui, status, &ui.t(title), &ui.t(message));
                actix_web::error::InternalError::from_response("form refused", no_store_page(page))
                    .into()
            };
            match body::read(&req, payload, CONSOLE_FORM_LIMIT).await {
                Ok(bytes) => Ok(Fields::parse(&bytes)),
                Err(BodyError::TooLarge) => Err(refused(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "error-too-large-title",
                    "error-too-large",
                )),
                Err(BodyError::Incomplete) => Err(refused(
                    StatusCode::BAD_REQUEST,
                    "error-invalid-title",
                    "error-incomplete",
                )),
            }
        })
    }
}

/// The fields of an `application/x-www-form-urlencoded` body, in order.
#[derive(Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn parse(body: &web::Bytes) -> Self {
        Fields(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name`, trimmed; empty or absent is `None`.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// Every value of `name` (checkboxes).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// A list typed one per line or separated by spaces or commas.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .unwrap_or("")
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

impl std::fmt::Debug for Fields {
    /// Only the names: a form may carry a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(k, _)| k))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_lists_and_blank_values_are_read_as_a_person_typed_them() {
        let f = Fields::parse(&web::Bytes::from_static(
            b"g=a&g=b&uris=https%3A%2F%2Fa.example%2Fcb%0D%0Ahttps%3A%2F%2Fb.example%2Fcb&name=+&x=1",
        ));
        assert_eq!(f.all("g"), ["a", "b"]);
        assert_eq!(
            f.list("uris"),
            ["https://a.example/cb", "https://b.example/cb"]
        );
        assert_eq!(f.text("name"), None);
        assert!(f.checked("x") && !f.checked("y"));
        assert_eq!(format!("{f:?}"), r#"["g", "g", "uris", "name", "x"]"#);
    }
}
