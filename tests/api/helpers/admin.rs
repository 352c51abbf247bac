//! A caller of the admin API: a machine client registered (through the CLI) with the
//! admin audience and scopes, its client credentials token, and JSON requests with it.

use serde_json::Value;

use super::app::{Response, TestApp};

pub const READ: &str = "portcullis:admin:read";
pub const WRITE: &str = "portcullis:admin:write";

pub struct AdminApi<'a> {
    pub app: &'a TestApp,
    pub token: String,
    #[allow(dead_code)]
    pub client_id: String,
}

impl TestApp {
    /// The admin API's audience for this server.
    pub fn admin_audience(&self) -> String {
        format!("{}/admin", self.state.settings.issuer)
    }

    /// A client `id` allowed `scope` at the admin API, and a token for it.
    pub async fn admin_api(&self, id: &str, scope: &str) -> AdminApi<'_> {
        let client = self
            .client(id)
            .confidential()
            .grant("client_credentials")
            .scope(scope)
            .audience(&self.admin_audience())
            .create()
            .await;
        let res = self
            .token(&[("grant_type", "client_credentials")], client.basic())
            .await;
        AdminApi {
            app: self,
            token: res.token().to_string(),
            client_id: id.to_string(),
        }
    }
}

impl AdminApi<'_> {
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Response {
        let method = actix_web::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .app
            .http
            .request(method, self.app.url(&format!("/admin/api/v1{path}")))
            .insert_header(("Authorization", format!("Bearer {}", self.token)));
        for h in headers {
            req = req.insert_header(*h);
        }
        let res = match body {
            Some(b) => req.send_json(b).await,
            None => req.send().await,
        };
        Response::read(res.expect("admin API request")).await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send("GET", path, None, &[]).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.send("POST", path, Some(body), &[]).await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.send("DELETE", path, None, &[]).await
    }
}

impl Response {
    /// Asserts an RFC 9457 problem with `status`.
    pub fn assert_problem(&self, status: u16) {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.text()
        );
        assert_eq!(self.body["status"], status);
        assert!(self.body["title"].is_string() && self.body["type"].is_string());
    }
}
