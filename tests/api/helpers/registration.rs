//! Dynamic client registration (RFC 7591, RFC 7592): the endpoints as `TestApp` methods,
//! and the CLI's initial access tokens.

use serde_json::Value;

use super::app::{Response, TestApp};
use super::cli::Cli;

/// An initial access token made by `portcullis client registration-token create`.
pub struct InitialToken {
    pub id: String,
    pub token: String,
}

impl Cli {
    /// `portcullis client registration-token create --json` with further arguments
    /// (`--max-uses 1`, `--expires-in 1h`).
    pub fn registration_token(&self, args: &[&str]) -> InitialToken {
        let mut all = vec!["client", "registration-token", "create", "--json"];
        all.extend_from_slice(args);
        let out = self.run(&all).ok().json();
        InitialToken {
            id: out["id"].as_str().expect("id").to_string(),
            token: out["token"].as_str().expect("token").to_string(),
        }
    }
}

impl TestApp {
    /// Any method at a registration path, with a JSON body and a Bearer token when given.
    pub async fn registration_request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        bearer: Option<&str>,
    ) -> Response {
        let method = actix_web::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = bearer {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        let res = match body {
            Some(b) => {
                req.insert_header(("Content-Type", "application/json"))
                    .send_body(b.to_string())
                    .await
            }
            None => req.send().await,
        };
        Response::read(res.expect("request")).await
    }

    /// `POST /register`.
    pub async fn register(&self, metadata: &Value, bearer: Option<&str>) -> Response {
        self.registration_request("POST", "/register", Some(metadata), bearer)
            .await
    }

    /// The path of a `registration_client_uri` (`/register/<id>`).
    pub fn registration_path(&self, registered: &Response) -> String {
        let uri = registered.str("registration_client_uri");
        let path = uri.split_once("/register/").expect("a /register/ URI").1;
        format!("/register/{path}")
    }
}
