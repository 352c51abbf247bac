//! The token request body (RFC 6749 §3.2): `application/x-www-form-urlencoded`, each
//! parameter at most once (RFC 6749 §3.1, except `resource`, which RFC 8707 lets repeat),
//! and an empty value counts as absent.

use std::collections::HashMap;

use super::TokenError;

/// Parameters that may appear more than once.
const REPEATABLE: &[&str] = &["resource"];

#[derive(Debug, Default)]
pub struct TokenForm {
    params: HashMap<String, Vec<String>>,
}

impl TokenForm {
    pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Self, TokenError> {
        let is_form = content_type
            .and_then(|ct| ct.split(';').next())
            .is_some_and(|m| {
                m.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            return Err(TokenError::invalid_request(
                "the request body must be application/x-www-form-urlencoded",
            ));
        }
        let mut params: HashMap<String, Vec<String>> = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(body) {
            if value.is_empty() {
                continue;
            }
            let repeatable = REPEATABLE.contains(&name.as_ref());
            let values = params.entry(name.to_string()).or_default();
            if !values.is_empty() && !repeatable {
                return Err(TokenError::invalid_request(format!(
                    "parameter {} is repeated",
                    printable(&name)
                )));
            }
            values.push(value.into_owned());
        }
        Ok(Self { params })
    }

    /// A single-valued parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    pub fn all(&self, name: &str) -> &[String] {
        self.params.get(name).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// A parameter name safe to echo in an error description.
fn printable(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(40)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: Option<&str> = Some("application/x-www-form-urlencoded; charset=UTF-8");

    #[test]
    fn parses_and_treats_empty_values_as_absent() {
        let f = TokenForm::parse(
            FORM,
            b"grant_type=client_credentials&scope=&resource=a&resource=b",
        )
        .unwrap();
        assert_eq!(f.get("grant_type"), Some("client_credentials"));
        assert_eq!(f.get("scope"), None);
        assert_eq!(f.all("resource"), ["a", "b"]);
    }

    #[test]
    fn refuses_repeats_and_other_media_types() {
        let e = TokenForm::parse(FORM, b"scope=a&scope=b").unwrap_err();
        assert!(e.description.contains("scope is repeated"));
        assert!(TokenForm::parse(Some("application/json"), b"{}").is_err());
        assert!(TokenForm::parse(None, b"grant_type=x").is_err());
    }
}
