//! The token request body (RFC 6749 §3.2): `application/x-www-form-urlencoded`, each
//! parameter at most once (RFC 6749 §3.1, except `resource` and `audience`, which RFC 8707
//! and RFC 8693 let repeat), and an empty value counts as absent.

use std::collections::HashMap;

use super::TokenError;

/// Parameters that may appear more than once: RFC 8707 §2 (`resource`) and RFC 8693 §2.1 (`audience`) allow several values.
const REPEATABLE: &[&str] = &["resource", "audience"];

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
        let mut seen = std::collections::HashSet::new();
        for (name, value) in url::form_urlencoded::parse(body) {
            let repeatable = REPEATABLE.contains(&name.as_ref());
            // A repeat is a repeat even when one of the values is empty.
            if !seen.insert(name.clone()) && !repeatable {
                return Err(TokenError::invalid_request(format!(
                    "parameter {} is repeated",
                    printable(&name)
                )));
            }
            if value.is_empty() {
                continue;
            }
            params
                .entry(name.to_string())
                .or_default()
                .push(value.into_owned());
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

    /// Every parameter with a value, by name.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params
            .iter()
            .flat_map(|(k, vs)| vs.iter().map(move |v| (k.as_str(), v.as_str())))
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
        let e = TokenForm::parse(FORM, b"scope=a&scope=").unwrap_err();
        assert!(e.description.contains("scope is repeated"));
        assert!(TokenForm::parse(Some("application/json"), b"{}").is_err());
        assert!(TokenForm::parse(None, b"grant_type=x").is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_body_parses_or_is_an_invalid_request(body in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            match TokenForm::parse(FORM, &body) {
                Ok(_) => {}
                Err(e) => proptest::prop_assert_eq!(e.code, crate::token::ErrorCode::InvalidRequest),
            }
        }

        #[test]
        fn a_repeated_parameter_is_always_refused(name in "[a-z_]{1,12}", a in "[a-z]{0,5}", b in "[a-z]{0,5}") {
            proptest::prop_assume!(!REPEATABLE.contains(&name.as_str()));
            let body = format!("{name}={a}&{name}={b}");
            proptest::prop_assert!(TokenForm::parse(FORM, body.as_bytes()).is_err());
        }
    }
}
