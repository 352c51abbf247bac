//! Authorization responses: the parameters, and how they travel (query or form_post).
//! Every response carries `iss` (RFC 9207).

use super::error::ErrorCode;
use super::request::ResponseMode;

/// Where the browser goes next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// A `303 See Other` to this URL (parameters in its query).
    Redirect(String),
    /// An auto-submitting form POSTing these fields to `action` (form_post).
    FormPost {
        action: String,
        fields: Vec<(String, String)>,
    },
}

fn deliver(redirect_uri: &str, mode: ResponseMode, fields: Vec<(String, String)>) -> Delivery {
    match mode {
        ResponseMode::FormPost => Delivery::FormPost {
            action: redirect_uri.to_string(),
            fields,
        },
        ResponseMode::Query => {
            // The registered URI may carry its own query, which is preserved.
            let mut url = match url::Url::parse(redirect_uri) {
                Ok(u) => u,
                Err(_) => return Delivery::Redirect(redirect_uri.to_string()),
            };
            url.query_pairs_mut().extend_pairs(&fields);
            Delivery::Redirect(url.to_string())
        }
    }
}

pub fn success(
    redirect_uri: &str,
    mode: ResponseMode,
    code: &str,
    state: Option<&str>,
    issuer: &str,
) -> Delivery {
    let mut fields = vec![("code".to_string(), code.to_string())];
    if let Some(s) = state {
        fields.push(("state".into(), s.to_string()));
    }
    fields.push(("iss".into(), issuer.to_string()));
    deliver(redirect_uri, mode, fields)
}

pub fn error(
    redirect_uri: &str,
    mode: ResponseMode,
    code: ErrorCode,
    description: &str,
    state: Option<&str>,
    issuer: &str,
) -> Delivery {
    let mut fields = vec![
        ("error".to_string(), code.as_str().to_string()),
        ("error_description".to_string(), description.to_string()),
    ];
    if let Some(s) = state {
        fields.push(("state".into(), s.to_string()));
    }
    fields.push(("iss".into(), issuer.to_string()));
    deliver(redirect_uri, mode, fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_responses_keep_the_registered_query_and_carry_iss() {
        let d = success(
            "https://rp.example/cb?tenant=a",
            ResponseMode::Query,
            "c0de",
            Some("s t"),
            "https://id.example",
        );
        assert_eq!(
            d,
            Delivery::Redirect(
                "https://rp.example/cb?tenant=a&code=c0de&state=s+t&iss=https%3A%2F%2Fid.example"
                    .into()
            )
        );
    }
}
