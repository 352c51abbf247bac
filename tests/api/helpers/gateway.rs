//! Real gateways in front of a tiny upstream: Debian's nginx and Caddy, each started by a
//! test on a free loopback port with its configuration rendered from the template the
//! README shows (`deploy/forward-auth/`), and a browser-like client that keeps cookies
//! by domain (RFC 6265 §5.1.3), so a cookie for `localhost` reaches `app.localhost`.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::Value;

use super::skip_unless_required;
use super::stubs::free_port;
use super::wait::wait_until;

/// The template at `deploy/forward-auth/<name>`, with `{{key}}` replaced.
pub fn render(name: &str, values: &[(&str, &str)]) -> String {
    let path = format!("{}/deploy/forward-auth/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut text = std::fs::read_to_string(&path).expect("template");
    for (k, v) in values {
        text = text.replace(&format!("{{{{{k}}}}}"), v);
    }
    assert!(
        !text.contains("{{"),
        "a placeholder of {name} was not replaced"
    );
    text
}

/// An upstream that answers every request with the headers it received, as JSON.
pub struct Echo {
    pub port: u16,
    handle: actix_web::dev::ServerHandle,
}

impl Echo {
    pub fn start() -> Self {
        let server = HttpServer::new(|| {
            App::new().default_service(web::to(|req: HttpRequest| async move {
                let headers: HashMap<String, String> = req
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
                    .collect();
                HttpResponse::Ok().json(serde_json::json!({
                    "path": req.uri().to_string(),
                    "headers": headers,
                }))
            }))
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .expect("bind echo");
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Self { port, handle }
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        let h = self.handle.clone();
        actix_web::rt::spawn(async move { h.stop(false).await });
    }
}

/// A gateway process; killed when dropped.
pub struct Gateway {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn installed(test: &str, binary: &str, package: &str) -> bool {
    if std::path::Path::new(binary).exists() {
        return true;
    }
    skip_unless_required(
        test,
        &format!("{binary} not installed (apt-get install {package})"),
    );
    false
}

async fn listening(port: u16) {
    wait_until("the gateway listens", || async {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    })
    .await;
}

impl Gateway {
    /// nginx with the README's server block; `None` (skipped) when nginx is absent.
    pub async fn nginx(
        test: &str,
        app_host: &str,
        upstream: u16,
        portcullis: &str,
        requirements: &str,
    ) -> Option<Self> {
        if !installed(test, "/usr/sbin/nginx", "nginx") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let site = render(
            "nginx.conf",
            &[
                ("listen", &format!("127.0.0.1:{port}")),
                ("app_host", app_host),
                ("app_upstream", &format!("http://127.0.0.1:{upstream}")),
                (
                    "portcullis_address",
                    portcullis.trim_start_matches("http://"),
                ),
                ("portcullis_scheme", "http"),
                ("requirements", requirements),
            ],
        );
        Some(Self::start_nginx(dir, port, &site).await)
    }

    /// nginx in front of Portcullis itself, with `deploy/reverse-proxy/nginx.conf`; `None`
    /// (skipped) when nginx is absent.
    pub async fn nginx_in_front(test: &str, portcullis: &str) -> Option<Self> {
        if !installed(test, "/usr/sbin/nginx", "nginx") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let path = format!(
            "{}/deploy/reverse-proxy/nginx.conf",
            env!("CARGO_MANIFEST_DIR")
        );
        let site = std::fs::read_to_string(path)
            .unwrap()
            .replace("{{listen}}", &format!("127.0.0.1:{port}"))
            .replace(
                "{{portcullis_address}}",
                portcullis.trim_start_matches("http://"),
            );
        Some(Self::start_nginx(dir, port, &site).await)
    }

    async fn start_nginx(dir: tempfile::TempDir, port: u16, site: &str) -> Self {
        let d = dir.path().display();
        std::fs::write(dir.path().join("site.conf"), site).unwrap();
        let user = if unsafe_is_root() { "user root;\n" } else { "" };
        let main = format!(
            "{user}worker_processes 1;\ndaemon off;\nerror_log {d}/error.log warn;\npid {d}/nginx.pid;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  \
             fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
             include {d}/site.conf;\n}}\n"
        );
        std::fs::write(dir.path().join("nginx.conf"), main).unwrap();
        let child = Command::new("/usr/sbin/nginx")
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start nginx");
        listening(port).await;
        Self {
            child,
            port,
            _dir: dir,
        }
    }

    /// Caddy with the README's site; `None` (skipped) when Caddy is absent.
    pub async fn caddy(
        test: &str,
        upstream: u16,
        portcullis: &str,
        requirements: &str,
    ) -> Option<Self> {
        if !installed(test, "/usr/bin/caddy", "caddy") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let site = render(
            "Caddyfile",
            &[
                ("site", &format!("http://:{port}")),
                ("app_upstream", &format!("127.0.0.1:{upstream}")),
                ("portcullis", portcullis),
                ("requirements", requirements),
            ],
        );
        let config = format!("{{\n\tadmin off\n\tauto_https off\n}}\n{site}");
        let file = dir.path().join("Caddyfile");
        std::fs::write(&file, config).unwrap();
        let child = Command::new("/usr/bin/caddy")
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&file)
            .env("HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start caddy");
        listening(port).await;
        Some(Self {
            child,
            port,
            _dir: dir,
        })
    }
}

fn unsafe_is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// What a client got back.
pub struct Answer {
    pub status: u16,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The headers the upstream received (it echoes them).
    pub fn upstream_headers(&self) -> HashMap<String, String> {
        let v: Value = serde_json::from_str(&self.body)
            .unwrap_or_else(|_| panic!("not the echo ({}): {}", self.status, self.body));
        serde_json::from_value(v["headers"].clone()).unwrap()
    }

    pub fn field(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')? + start;
        Some(
            self.body[start..end]
                .replace("&#x2f;", "/")
                .replace("&#x2F;", "/")
                .replace("&amp;", "&")
                .replace("&#61;", "=")
                .replace("&#x3D;", "="),
        )
    }
}

struct Stored {
    name: String,
    value: String,
    /// `Some(domain)`: sent to that domain and below; `None`: only to `host`.
    domain: Option<String>,
    host: String,
}

/// A browser without JavaScript that keeps cookies by domain. Every request connects to
/// 127.0.0.1 on the URL's port with the URL's host in `Host`, so `app.localhost` needs no
/// resolver.
#[derive(Default)]
pub struct DomainBrowser {
    cookies: Vec<Stored>,
}

impl DomainBrowser {
    fn cookie_header(&self, host: &str) -> Option<String> {
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .filter(|c| match &c.domain {
                Some(d) => host == d || host.ends_with(&format!(".{d}")),
                None => host == c.host,
            })
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    async fn send(
        &mut self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        form: Option<&[(&str, &str)]>,
    ) -> Answer {
        let u = url::Url::parse(url).expect("absolute url");
        let host = u.host_str().unwrap().to_string();
        let port = u.port_or_known_default().unwrap();
        let target = format!(
            "http://127.0.0.1:{port}{}",
            &url[u[..url::Position::BeforePath].len()..]
        );
        let http = awc::Client::builder().disable_redirects().finish();
        let mut req = http
            .request(method.parse().unwrap(), target)
            .insert_header(("Host", format!("{host}:{port}")));
        for h in headers {
            req = req.insert_header(*h);
        }
        if let Some(c) = self.cookie_header(&host) {
            req = req.insert_header(("Cookie", c));
        }
        let mut res = match form {
            Some(f) => req
                .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                .send_body(
                    url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(f)
                        .finish(),
                )
                .await
                .expect("request"),
            None => req.send().await.expect("request"),
        };
        for v in res.headers().get_all("set-cookie") {
            let Ok(c) = actix_web::cookie::Cookie::parse(v.to_str().unwrap_or("").to_string())
            else {
                continue;
            };
            self.cookies.retain(|s| s.name != c.name());
            if !c.value().is_empty() && !c.max_age().is_some_and(|m| m.is_zero()) {
                self.cookies.push(Stored {
                    name: c.name().to_string(),
                    value: c.value().to_string(),
                    domain: c.domain().map(|d| d.trim_start_matches('.').to_string()),
                    host: host.clone(),
                });
            }
        }
        let body = res.body().limit(1 << 20).await.expect("body");
        Answer {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub async fn get(&mut self, url: &str, headers: &[(&str, &str)]) -> Answer {
        self.send("GET", url, headers, None).await
    }

    pub async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Answer {
        self.send("POST", url, &[], Some(form)).await
    }
}
