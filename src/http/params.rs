//! Parameters of endpoints that take both GET and POST (`/authorize`, OIDC Core §3.1.2.1;
//! `/logout`, RP-Initiated Logout §2): the query string of a GET, the form body of a POST.

use actix_web::HttpRequest;
use actix_web::http::Method;

/// The request's parameters, still form-encoded.
pub fn encoded(req: &HttpRequest, body: &[u8]) -> String {
    if req.method() == Method::POST {
        String::from_utf8_lossy(body).into_owned()
    } else {
        req.query_string().to_string()
    }
}
