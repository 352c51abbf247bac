//! The request the gateway is asking about, read from the headers each gateway sends:
//! nginx (`X-Original-URI`, `X-Original-Method`, and `X-Original-URL` where the config
//! passes the whole URL), Traefik and Caddy (`X-Forwarded-Method`, `-Proto`, `-Host`,
//! `-Uri`), Envoy (`ext_authz` keeps the method and `Host` and puts the path after our
//! prefix).

use crate::config::GatewayKind;

/// What the gateway told us about the original request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Original {
    pub method: String,
    /// Path and query, as the client sent them.
    pub uri: String,
    pub host: Option<String>,
    pub proto: String,
    /// nginx's `auth_request` passes only 2xx, 401 and 403 on: a sign-in redirect is
    /// sent as a 401 with `Location`, which the documented config turns into a 302.
    pub nginx: bool,
    /// The whole URL, when the gateway sent it (`X-Original-URL`).
    pub url: Option<String>,
}

/// The headers each gateway writes; any other is the client's and never read once the
/// operator named the gateway (hardening round 2, finding 10).
fn written_by(gateway: GatewayKind, name: &str) -> bool {
    match gateway {
        GatewayKind::Nginx => matches!(
            name,
            "x-original-url" | "x-original-uri" | "x-original-method"
        ),
        GatewayKind::Caddy | GatewayKind::Traefik => matches!(
            name,
            "x-forwarded-method" | "x-forwarded-proto" | "x-forwarded-host" | "x-forwarded-uri"
        ),
        GatewayKind::Envoy => name == "host",
    }
}

impl Original {
    /// The original request as `gateway` describes it. `trusted`: the request comes from
    /// `http.trusted_proxies` (or none are configured and no gateway is named); otherwise
    /// no header describes anything and the request is taken as it reached us.
    pub fn read_from<'a>(
        gateway: Option<GatewayKind>,
        trusted: bool,
        header: impl Fn(&str) -> Option<&'a str>,
        own_method: &str,
        ext_authz_path: Option<&str>,
    ) -> Self {
        let filtered = |name: &str| match (gateway, trusted) {
            (_, false) => None,
            (Some(g), true) if !written_by(g, name) => None,
            _ => header(name),
        };
        Self::read(filtered, own_method, ext_authz_path)
    }

    /// `header` looks a request header up; `own_method` is the method of the request to
    /// us; `ext_authz_path` is the original path for Envoy.
    pub fn read<'a>(
        header: impl Fn(&str) -> Option<&'a str>,
        own_method: &str,
        ext_authz_path: Option<&str>,
    ) -> Self {
        let method = header("x-original-method")
            .or_else(|| header("x-forwarded-method"))
            .unwrap_or(own_method)
            .to_ascii_uppercase();
        let url = header("x-original-url").map(str::to_string);
        let from_url = url.as_deref().and_then(|u| url::Url::parse(u).ok());
        let uri = ext_authz_path
            .map(str::to_string)
            .or_else(|| header("x-original-uri").map(str::to_string))
            .or_else(|| header("x-forwarded-uri").map(str::to_string))
            .or_else(|| {
                from_url.as_ref().map(|u| match u.query() {
                    Some(q) => format!("{}?{q}", u.path()),
                    None => u.path().to_string(),
                })
            })
            .unwrap_or_else(|| "/".into());
        let host = header("x-forwarded-host")
            .or_else(|| ext_authz_path.and_then(|_| header("host")))
            .map(str::to_string)
            .or_else(|| {
                from_url.as_ref().and_then(|u| {
                    u.host_str().map(|h| match u.port() {
                        Some(p) => format!("{h}:{p}"),
                        None => h.to_string(),
                    })
                })
            });
        let proto = header("x-forwarded-proto")
            .map(|p| p.to_ascii_lowercase())
            .or_else(|| from_url.as_ref().map(|u| u.scheme().to_string()))
            .unwrap_or_else(|| "https".into());
        let nginx = header("x-original-uri").is_some() || url.is_some();
        Self {
            method,
            uri,
            host,
            proto,
            nginx,
            url,
        }
    }

    /// The original URL, for the sign-in page's `rd`.
    pub fn full_url(&self) -> Option<String> {
        if let Some(u) = &self.url {
            return Some(u.clone());
        }
        let host = self.host.as_deref()?;
        let path = if self.uri.starts_with('/') {
            self.uri.as_str()
        } else {
            "/"
        };
        Some(format!("{}://{host}{path}", self.proto))
    }

    /// Only a page load may be sent to the sign-in page.
    pub fn is_page_load(&self, accept: Option<&str>) -> bool {
        matches!(self.method.as_str(), "GET" | "HEAD") && prefers_html(accept)
    }
}

/// Whether an `Accept` header ranks HTML at least as high as anything else (RFC 9110
/// §12.5.1); an absent header, or `*/*` alone, is an API client's.
pub fn prefers_html(accept: Option<&str>) -> bool {
    let Some(accept) = accept else { return false };
    let mut html = 0.0f32;
    let mut best_other = 0.0f32;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|v| v.trim().parse::<f32>().ok())
            })
            .next()
            .unwrap_or(1.0);
        if media == "text/html" || media == "application/xhtml+xml" {
            html = html.max(q);
        } else if media != "*/*" && media != "text/*" {
            best_other = best_other.max(q);
        }
    }
    html > 0.0 && html >= best_other
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(headers: &[(&str, &str)], method: &str, ext: Option<&str>) -> Original {
        let lookup = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
        };
        Original::read(lookup, method, ext)
    }

    #[test]
    fn nginx_sends_the_uri_method_and_whole_url() {
        let o = read(
            &[
                ("X-Original-URI", "/orders?id=1"),
                ("X-Original-Method", "post"),
                ("X-Original-URL", "https://app.example.com/orders?id=1"),
            ],
            "GET",
            None,
        );
        assert_eq!(o.method, "POST");
        assert_eq!(o.uri, "/orders?id=1");
        assert!(o.nginx);
        assert_eq!(
            o.full_url().as_deref(),
            Some("https://app.example.com/orders?id=1")
        );
        assert_eq!(o.host.as_deref(), Some("app.example.com"));
    }

    #[test]
    fn traefik_and_caddy_send_forwarded_headers() {
        let o = read(
            &[
                ("X-Forwarded-Method", "DELETE"),
                ("X-Forwarded-Proto", "http"),
                ("X-Forwarded-Host", "app.localhost:8080"),
                ("X-Forwarded-Uri", "/a/b?c=d"),
            ],
            "GET",
            None,
        );
        assert_eq!(o.method, "DELETE");
        assert!(!o.nginx);
        assert_eq!(
            o.full_url().as_deref(),
            Some("http://app.localhost:8080/a/b?c=d")
        );
    }

    #[test]
    fn envoy_keeps_the_method_and_host_and_the_path_comes_from_ours() {
        let o = read(&[("Host", "shop.example.com")], "PUT", Some("/cart/1"));
        assert_eq!((o.method.as_str(), o.uri.as_str()), ("PUT", "/cart/1"));
        assert_eq!(
            o.full_url().as_deref(),
            Some("https://shop.example.com/cart/1")
        );
    }

    #[test]
    fn html_must_be_preferred_for_a_page_load() {
        assert!(prefers_html(Some(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        )));
        assert!(!prefers_html(Some("application/json")));
        assert!(!prefers_html(Some("*/*")));
        assert!(!prefers_html(None));
        assert!(!prefers_html(Some("application/json, text/html;q=0.5")));
        assert!(!prefers_html(Some("text/html;q=0")));
    }

    #[test]
    fn a_named_gateway_is_described_by_its_own_headers_only_and_only_when_trusted() {
        let sent = [
            ("x-original-url", "http://evil.example/steal"),
            ("x-original-method", "POST"),
            ("x-forwarded-method", "GET"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "app.example"),
            ("x-forwarded-uri", "/board"),
        ];
        let header = |n: &str| sent.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
        let caddy = Original::read_from(Some(GatewayKind::Caddy), true, header, "GET", None);
        assert_eq!(
            caddy.full_url().as_deref(),
            Some("https://app.example/board")
        );
        assert_eq!(caddy.method, "GET");
        assert!(
            !caddy.nginx,
            "a client's X-Original-* does not make it nginx"
        );
        let untrusted = Original::read_from(Some(GatewayKind::Caddy), false, header, "GET", None);
        assert_eq!(
            untrusted.host, None,
            "nothing is believed from an untrusted peer"
        );
        let nginx = Original::read_from(Some(GatewayKind::Nginx), true, header, "GET", None);
        assert_eq!(nginx.method, "POST");
        assert_eq!(nginx.url.as_deref(), Some("http://evil.example/steal"));
        assert_eq!(
            nginx.host.as_deref(),
            Some("evil.example"),
            "X-Forwarded-Host ignored"
        );
    }
}
