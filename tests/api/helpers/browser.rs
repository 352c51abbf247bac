//! A cookie-keeping HTTP client that walks the sign-in pages like a browser without
//! JavaScript: it follows nothing by itself, so each redirect can be inspected.

use std::collections::HashMap;

use actix_web::http::header::HeaderMap;

use super::app::TestApp;

#[derive(Clone)]
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn location(&self) -> &str {
        self.header("location")
            .unwrap_or_else(|| panic!("no redirect (status {}):\n{}", self.status, self.body))
    }

    /// The value of a hidden form field, HTML-unescaped.
    pub fn field(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')? + start;
        Some(unescape(&self.body[start..end]))
    }

    /// The `href` of the link with this `id`, HTML-unescaped.
    pub fn field_href(&self, id: &str) -> String {
        let at = self
            .body
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("no element {id}:\n{}", self.body));
        let tag_start = self.body[..at].rfind('<').unwrap();
        let tag = &self.body[tag_start..at];
        let start = tag.find("href=\"").expect("an href") + "href=\"".len();
        let end = tag[start..].find('"').unwrap() + start;
        unescape(&tag[start..end])
    }

    pub fn is_login(&self) -> bool {
        self.body.contains("action=\"/login\"")
    }

    pub fn is_consent(&self) -> bool {
        self.body.contains("action=\"/consent\"")
    }

    /// Query parameters of the redirect target.
    pub fn callback(&self) -> HashMap<String, String> {
        let url = url::Url::parse(self.location()).expect("absolute redirect");
        url.query_pairs().into_owned().collect()
    }
}

fn unescape(s: &str) -> String {
    s.replace("&#34;", "\"")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

pub struct Browser<'a> {
    /// Where requests go: `http://host:port`. Tests of several instances change it
    /// between steps; cookies stay.
    pub base: String,
    http: awc::Client,
    pub cookies: HashMap<String, String>,
    /// Sent with every request (e.g. a `traceparent`).
    pub headers: Vec<(String, String)>,
    _app: std::marker::PhantomData<&'a TestApp>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self::at(format!("http://{}", app.address))
    }

    pub fn at(base: String) -> Self {
        Self {
            base,
            http: awc::Client::builder().disable_redirects().finish(),
            cookies: HashMap::new(),
            headers: Vec::new(),
            _app: std::marker::PhantomData,
        }
    }

    /// Sends the next requests to another instance.
    pub fn switch_to(&mut self, app: &TestApp) {
        self.base = format!("http://{}", app.address);
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, req: awc::ClientRequest, body: Option<String>) -> Page {
        let req = self
            .headers
            .iter()
            .fold(req, |r, (k, v)| r.insert_header((k.as_str(), v.as_str())));
        let req = if self.cookies.is_empty() {
            req
        } else {
            req.insert_header(("Cookie", self.cookie_header()))
        };
        let mut res = match body {
            Some(b) => req
                .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                .send_body(b)
                .await
                .expect("request"),
            None => req.send().await.expect("request"),
        };
        let set: Vec<actix_web::cookie::Cookie<'static>> = res
            .headers()
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| actix_web::cookie::Cookie::parse(v.to_string()).ok())
            .collect();
        for c in &set {
            if c.value().is_empty() || c.max_age().is_some_and(|m| m.is_zero()) {
                self.cookies.remove(c.name());
            } else {
                self.cookies
                    .insert(c.name().to_string(), c.value().to_string());
            }
        }
        let body = res.body().limit(1 << 20).await.expect("body");
        Page {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub async fn get(&mut self, path_and_query: &str) -> Page {
        let req = self.http.get(self.url(path_and_query));
        self.send(req, None).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let req = self.http.post(self.url(path));
        self.send(req, Some(body)).await
    }

    /// `GET /logout?…` with this browser's session.
    pub async fn logout(&mut self, pairs: &[(&str, &str)]) -> Page {
        self.get(&format!("/logout?{}", super::flow::query(pairs)))
            .await
    }

    /// Submits the sign-in form of `page`.
    pub async fn login(&mut self, page: &Page, username: &str, password: &str) -> Page {
        assert!(
            page.is_login(),
            "not a sign-in page ({}):\n{}",
            page.status,
            page.body
        );
        let params = page.field("params").unwrap();
        let csrf = page.field("csrf").unwrap();
        self.post(
            "/login",
            &[
                ("params", &params),
                ("csrf", &csrf),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }

    /// Answers the consent page of `page`.
    pub async fn consent(&mut self, page: &Page, decision: &str) -> Page {
        assert!(
            page.is_consent(),
            "not a consent page ({}):\n{}",
            page.status,
            page.body
        );
        let params = page.field("params").unwrap();
        let csrf = page.field("csrf").unwrap();
        self.post(
            "/consent",
            &[("params", &params), ("csrf", &csrf), ("decision", decision)],
        )
        .await
    }
}
