//! Client authentication at the token endpoint (RFC 6749 §2.3, RFC 7523 §2.2), done before
//! oxide-auth's flow runs: oxide-auth's registrar knows only passphrases, neither decodes
//! Basic credentials as §2.3.1 requires nor supports `private_key_jwt`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::TokenError;
use super::form::TokenForm;
use crate::domain::client::AuthMethod;
use crate::domain::secret::Secret;

/// RFC 7523 §2.2.
pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The credentials a request carries, before they are checked.
#[derive(Debug)]
pub enum Presented {
    /// `client_secret_basic` / `client_secret_post`.
    Secret {
        method: AuthMethod,
        client_id: String,
        secret: Secret<String>,
    },
    /// `private_key_jwt`.
    Assertion {
        client_id: Option<String>,
        assertion: String,
    },
    /// `none`: a public client names itself.
    ClientIdOnly { client_id: String },
}

impl Presented {
    pub fn method(&self) -> AuthMethod {
        match self {
            Presented::Secret { method, .. } => *method,
            Presented::Assertion { .. } => AuthMethod::PrivateKeyJwt,
            Presented::ClientIdOnly { .. } => AuthMethod::None,
        }
    }

    /// The client id the request claims, when it names one.
    pub fn claimed_id(&self) -> Option<&str> {
        match self {
            Presented::Secret { client_id, .. } | Presented::ClientIdOnly { client_id } => {
                Some(client_id)
            }
            Presented::Assertion { client_id, .. } => client_id.as_deref(),
        }
    }
}

/// Reads the credentials from the `Authorization` header and the form. Exactly one
/// method may be used (RFC 6749 §2.3).
pub fn presented(authorization: Option<&str>, form: &TokenForm) -> Result<Presented, TokenError> {
    let basic = match authorization {
        Some(value) => Some(parse_basic(value)?),
        None => None,
    };
    let body_secret = form.get("client_secret");
    let assertion = form.get("client_assertion");
    let assertion_type = form.get("client_assertion_type");
    let body_id = form.get("client_id");

    let methods = [
        basic.is_some(),
        body_secret.is_some(),
        assertion.is_some() || assertion_type.is_some(),
    ]
    .iter()
    .filter(|m| **m)
    .count();
    if methods > 1 {
        return Err(TokenError::invalid_request(
            "use exactly one client authentication method",
        ));
    }
    if let Some((id, secret)) = basic {
        if body_id.is_some_and(|b| b != id) {
            return Err(TokenError::invalid_request(
                "client_id does not match the Authorization header",
            ));
        }
        return Ok(Presented::Secret {
            method: AuthMethod::ClientSecretBasic,
            client_id: id,
            secret,
        });
    }
    if let Some(secret) = body_secret {
        let id = body_id.ok_or_else(|| {
            TokenError::invalid_request("client_secret was sent without client_id")
        })?;
        return Ok(Presented::Secret {
            method: AuthMethod::ClientSecretPost,
            client_id: id.to_string(),
            secret: Secret::new(secret.to_string()),
        });
    }
    if assertion.is_some() || assertion_type.is_some() {
        if assertion_type != Some(JWT_BEARER_ASSERTION) {
            return Err(TokenError::invalid_request(format!(
                "client_assertion_type must be {JWT_BEARER_ASSERTION}"
            )));
        }
        let assertion =
            assertion.ok_or_else(|| TokenError::invalid_request("client_assertion is missing"))?;
        return Ok(Presented::Assertion {
            client_id: body_id.map(str::to_string),
            assertion: assertion.to_string(),
        });
    }
    match body_id {
        Some(id) => Ok(Presented::ClientIdOnly {
            client_id: id.to_string(),
        }),
        None => Err(TokenError::invalid_client(
            "client authentication is required",
        )),
    }
}

/// RFC 7617 Basic credentials whose parts are form-urlencoded (RFC 6749 §2.3.1).
fn parse_basic(header: &str) -> Result<(String, Secret<String>), TokenError> {
    let bad = || TokenError::invalid_client("malformed Basic credentials");
    let (scheme, encoded) = header.trim().split_once(' ').ok_or_else(bad)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(TokenError::invalid_request(
            "unsupported Authorization scheme; use Basic",
        ));
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let id = form_decode(id).ok_or_else(bad)?;
    let secret = form_decode(secret).ok_or_else(bad)?;
    if id.is_empty() {
        return Err(bad());
    }
    Ok((id, Secret::new(secret)))
}

/// `application/x-www-form-urlencoded` decoding of one value ('+' is a space).
fn form_decode(s: &str) -> Option<String> {
    let spaced = s.replace('+', " ");
    percent_decode(&spaced)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let v = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
            out.push(v);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> TokenForm {
        TokenForm::parse(Some("application/x-www-form-urlencoded"), body.as_bytes()).unwrap()
    }

    fn basic(id: &str, secret: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    #[test]
    fn basic_credentials_are_form_url_decoded() {
        let p = presented(Some(&basic("my%3Aclient", "s%2Bc+r%25t")), &form("")).unwrap();
        match p {
            Presented::Secret {
                method,
                client_id,
                secret,
            } => {
                assert_eq!(method, AuthMethod::ClientSecretBasic);
                assert_eq!(client_id, "my:client");
                assert_eq!(secret.expose(), "s+c r%t");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn one_method_at_a_time() {
        let e =
            presented(Some(&basic("a", "b")), &form("client_id=a&client_secret=b")).unwrap_err();
        assert_eq!(e.code, super::super::ErrorCode::InvalidRequest);
        let e = presented(
            None,
            &form("client_id=a&client_secret=b&client_assertion=x"),
        )
        .unwrap_err();
        assert_eq!(e.code, super::super::ErrorCode::InvalidRequest);
    }

    #[test]
    fn malformed_or_missing_credentials() {
        for h in [
            "Basic !!!",
            "Basic",
            &format!("Basic {}", STANDARD.encode("nocolon")),
            &basic("a", "%zz"),
        ] {
            assert!(presented(Some(h), &form("")).is_err(), "{h}");
        }
        assert_eq!(
            presented(None, &form("grant_type=client_credentials"))
                .unwrap_err()
                .code,
            super::super::ErrorCode::InvalidClient
        );
        assert_eq!(
            presented(Some("Bearer x"), &form("")).unwrap_err().code,
            super::super::ErrorCode::InvalidRequest
        );
    }

    proptest::proptest! {
        #[test]
        fn any_authorization_header_is_read_or_refused_as_invalid_client_or_request(header in "\\PC{0,80}") {
            if let Err(e) = presented(Some(&header), &form("")) {
                proptest::prop_assert!(matches!(
                    e.code,
                    crate::token::ErrorCode::InvalidClient | crate::token::ErrorCode::InvalidRequest
                ));
            }
        }

        #[test]
        fn basic_credentials_round_trip_through_form_url_encoding(id in "\\PC{1,20}", secret in "\\PC{1,20}") {
            let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let header = basic(&enc(&id), &enc(&secret));
            match presented(Some(&header), &form("")) {
                Ok(Presented::Secret { client_id, secret: s, .. }) => {
                    proptest::prop_assert_eq!(client_id, id);
                    proptest::prop_assert_eq!(s.expose(), &secret);
                }
                other => proptest::prop_assert!(false, "{other:?}"),
            }
        }
    }
}
