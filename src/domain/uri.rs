//! URI rules shared by redirect URIs, logout URIs and audiences.

use url::{Host, Url};

/// Why a URI was refused, in words an operator can act on.
pub type UriProblem = &'static str;

/// RFC 6749 §3.1.2 and RFC 9700 §2.1/§4.1: a redirect URI is absolute, has no fragment, and
/// uses https, except `http` on a loopback host and private-use schemes (`com.example.app:`)
/// for native apps (RFC 8252 §7.1, §7.3). Compared later as exact strings, so it is kept as
/// given rather than normalised.
pub fn check_redirect_uri(uri: &str) -> Result<(), UriProblem> {
    let url = absolute(uri)?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err("http is allowed only for loopback hosts; use https"),
        "javascript" | "data" | "file" | "vbscript" | "blob" | "about" => {
            Err("this scheme cannot be a redirect target")
        }
        scheme if scheme.contains('.') => Ok(()),
        _ => Err("use https, http on loopback, or a private-use scheme like com.example.app"),
    }
}

/// A back-channel logout URI is called server to server: https, or http on loopback.
pub fn check_https_uri(uri: &str) -> Result<(), UriProblem> {
    let url = absolute(uri)?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        _ => Err("must be https (http only for loopback hosts)"),
    }
}

/// RFC 8707 §2: a resource indicator (our audience) is an absolute URI without fragment.
pub fn check_resource_uri(uri: &str) -> Result<(), UriProblem> {
    absolute(uri).map(|_| ())
}

fn absolute(uri: &str) -> Result<Url, UriProblem> {
    if uri.is_empty() || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must be a non-empty URI without spaces");
    }
    let url = Url::parse(uri).map_err(|_| "must be an absolute URI")?;
    if url.fragment().is_some() || uri.contains('#') {
        return Err("must not contain a fragment (#…)");
    }
    Ok(url)
}

pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uri_rules() {
        for ok in [
            "https://app.example.com/callback",
            "https://app.example.com/cb?tenant=1",
            "http://127.0.0.1:9000/callback",
            "http://localhost/cb",
            "http://[::1]:8000/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert!(check_redirect_uri(ok).is_ok(), "{ok}");
        }
        for bad in [
            "/callback",
            "app.example.com/cb",
            "https://app.example.com/cb#frag",
            "http://app.example.com/cb",
            "javascript:alert(1)",
            "myapp:/cb",
            "https://app.example.com/c b",
            "",
        ] {
            assert!(check_redirect_uri(bad).is_err(), "{bad}");
        }
    }
}
