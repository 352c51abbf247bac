use serde_json::json;

use super::*;
use crate::domain::auth_method::AuthMethod;
use crate::domain::grant_type::GrantType;
use crate::domain::registration::ClientError;

const ID: &str = "generated-id";

fn policy() -> ServerPolicy {
    ServerPolicy {
        allow_private_destinations: false,
        algorithms: vec![SigningAlg::Rs256, SigningAlg::Es256],
    }
}

fn map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn map_spec(v: Value) -> Result<Registrable, MetadataError> {
    to_spec(&map(v), ID, OperatorGrants::default(), &policy())
}

fn client_of(v: Value) -> Client {
    map_spec(v).unwrap().spec.validate(ID.into()).unwrap()
}

fn refused(v: Value) -> MetadataError {
    map_spec(v).expect_err("refused")
}

#[test]
fn a_minimal_web_client_gets_the_rfc_7591_defaults() {
    let c = client_of(json!({ "redirect_uris": ["https://app.example/cb"] }));
    assert_eq!(c.id.as_str(), ID);
    assert_eq!(c.name, ID, "no client_name: the id, which claims nothing");
    assert_eq!(
        c.token_endpoint_auth_method,
        AuthMethod::ClientSecretBasic,
        "RFC 7591 §2 default"
    );
    assert_eq!(c.grant_types, vec![GrantType::AuthorizationCode]);
    assert!(!c.public && !c.skip_consent && c.permissions.is_empty());
    assert_eq!(c.scopes.to_string(), "openid profile email");
}

#[test]
fn registration_never_grants_what_only_operators_may() {
    let c = client_of(json!({
        "client_id": "chosen",
        "redirect_uris": ["https://app.example/cb"],
        "skip_consent": true,
        "permissions": ["introspect"],
        "exchange_impersonate": true,
        "audience": "https://api.example",
    }));
    assert_eq!(c.id.as_str(), ID, "the id is always generated");
    assert!(!c.skip_consent);
    assert!(c.permissions.is_empty());
    assert!(!c.exchange_impersonate);
    assert!(c.audiences.is_empty() && c.default_audience.is_none());
}

#[test]
fn an_update_keeps_what_an_operator_granted() {
    let grants = OperatorGrants {
        permissions: vec!["introspect".into()],
        skip_consent: true,
        audience: Some("https://api.example".into()),
        ..Default::default()
    };
    let r = to_spec(
        &map(json!({ "grant_types": ["client_credentials"] })),
        ID,
        grants,
        &policy(),
    )
    .unwrap();
    let c = r.spec.validate(ID.into()).unwrap();
    assert_eq!(c.permissions, vec!["introspect".to_string()]);
    assert!(c.skip_consent);
    assert_eq!(c.default_audience.unwrap().as_str(), "https://api.example");
}

#[test]
fn every_supported_member_reaches_the_client() {
    let c = client_of(json!({
        "client_name": "Example",
        "redirect_uris": ["https://app.example/cb"],
        "post_logout_redirect_uris": ["https://app.example/bye"],
        "backchannel_logout_uri": "https://app.example/bcl",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_post",
        "scope": "openid email offline_access",
        "id_token_signed_response_alg": "ES256",
        "dpop_bound_access_tokens": true,
        "require_pushed_authorization_requests": true,
        "default_acr_values": ["3", "2"],
        "subject_type": "public",
    }));
    assert_eq!(c.name, "Example");
    assert_eq!(
        c.post_logout_redirect_uris[0].as_str(),
        "https://app.example/bye"
    );
    assert_eq!(
        c.backchannel_logout_uri.as_deref(),
        Some("https://app.example/bcl")
    );
    assert_eq!(c.token_endpoint_auth_method, AuthMethod::ClientSecretPost);
    assert_eq!(c.scopes.to_string(), "openid email offline_access");
    assert_eq!(c.id_token_alg, Some(SigningAlg::Es256));
    assert!(c.require_dpop && c.require_par);
    assert_eq!(
        c.require_acr,
        Some(Level::TWO_FACTORS),
        "the weakest listed"
    );
}

#[test]
fn a_public_native_client_may_use_loopback_and_private_use_redirects() {
    let c = client_of(json!({
        "application_type": "native",
        "token_endpoint_auth_method": "none",
        "redirect_uris": ["http://127.0.0.1:8123/cb", "com.example.app:/cb"],
    }));
    assert!(c.public && c.require_pkce);
}

#[test]
fn a_web_client_must_use_https_redirects() {
    for uri in [
        "http://127.0.0.1:8123/cb",
        "com.example.app:/cb",
        "http://app.example/cb",
    ] {
        let e = refused(json!({ "redirect_uris": [uri] }));
        assert_eq!(e.code, RegistrationErrorCode::InvalidRedirectUri, "{uri}");
        assert!(e.description.contains(uri), "{}", e.description);
    }
}

#[test]
fn bad_redirect_uris_are_invalid_redirect_uri() {
    for body in [
        json!({ "redirect_uris": ["https://app.example/cb#frag"] }),
        json!({ "redirect_uris": ["not a uri"] }),
        json!({ "redirect_uris": [] }),
        json!({ "grant_types": ["client_credentials"], "redirect_uris": ["https://a.example/cb"] }),
    ] {
        assert_eq!(
            refused(body.clone()).code,
            RegistrationErrorCode::InvalidRedirectUri,
            "{body}"
        );
    }
}

#[test]
fn response_types_must_agree_with_grant_types() {
    for body in [
        json!({ "redirect_uris": ["https://a.example/cb"], "response_types": ["token"] }),
        json!({ "redirect_uris": ["https://a.example/cb"], "response_types": ["code id_token"] }),
        json!({ "redirect_uris": ["https://a.example/cb"], "response_types": [] }),
        json!({ "grant_types": ["client_credentials"], "response_types": ["code"] }),
    ] {
        let e = refused(body.clone());
        assert_eq!(
            e.code,
            RegistrationErrorCode::InvalidClientMetadata,
            "{body}"
        );
    }
    // Omitted: derived from the grant types, so a service needs no empty list.
    client_of(json!({ "grant_types": ["client_credentials"] }));
    client_of(json!({ "grant_types": ["client_credentials"], "response_types": [] }));
}

#[test]
fn unknown_grants_and_public_client_credentials_are_invalid_client_metadata() {
    let e = refused(json!({ "grant_types": ["password"] }));
    assert_eq!(e.code, RegistrationErrorCode::InvalidClientMetadata);
    assert!(e.description.contains("password"), "{}", e.description);
    let e = refused(json!({
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "none",
    }));
    assert_eq!(e.code, RegistrationErrorCode::InvalidClientMetadata);
    assert!(e.description.contains("public client"), "{}", e.description);
}

#[test]
fn api_scopes_are_for_operators_to_grant() {
    let e = refused(json!({ "grant_types": ["client_credentials"], "scope": "admin" }));
    assert_eq!(e.code, RegistrationErrorCode::InvalidClientMetadata);
    assert!(e.description.contains("admin"));
}

#[test]
fn a_software_statement_is_invalid_software_statement() {
    let e = refused(json!({ "software_statement": "eyJhbGciOiJSUzI1NiJ9.e30.sig" }));
    assert_eq!(e.code, RegistrationErrorCode::InvalidSoftwareStatement);
}

/// OpenID Connect Dynamic Client Registration 1.0 §3.1, the example request.
fn oidf_example() -> Value {
    json!({
        "application_type": "web",
        "redirect_uris": ["https://client.example.org/callback", "https://client.example.org/callback2"],
        "client_name": "My Example",
        "client_name#ja-Jpan-JP": "クライアント名",
        "logo_uri": "https://client.example.org/logo.png",
        "subject_type": "pairwise",
        "sector_identifier_uri": "https://other.example.net/file_of_redirect_uris.json",
        "token_endpoint_auth_method": "client_secret_basic",
        "jwks_uri": "https://client.example.org/my_public_keys.jwks",
        "userinfo_encrypted_response_alg": "RSA1_5",
        "userinfo_encrypted_response_enc": "A128CBC-HS256",
        "contacts": ["ve7jtb@example.org", "mary@example.org"],
        "request_uris": ["https://client.example.org/rf.txt#qpXaRLh_n93TTR9F252ValdatUQvQiJi5BDub2BeznA"]
    })
}

#[test]
fn each_unsupported_member_of_the_oidc_registration_example_is_refused_by_name() {
    let unsupported = [
        "subject_type",
        "sector_identifier_uri",
        "jwks_uri",
        "userinfo_encrypted_response_alg",
        "userinfo_encrypted_response_enc",
        "request_uris",
    ];
    for keep in unsupported {
        let mut body = map(oidf_example());
        for other in unsupported.iter().filter(|m| **m != keep) {
            body.remove(*other);
        }
        let e = to_spec(&body, ID, OperatorGrants::default(), &policy()).expect_err(keep);
        assert_eq!(
            e.code,
            RegistrationErrorCode::InvalidClientMetadata,
            "{keep}"
        );
        assert!(e.description.contains(keep), "{keep}: {}", e.description);
    }
}

#[test]
fn the_oidc_registration_example_without_its_unsupported_members_registers() {
    let mut body = map(oidf_example());
    for m in [
        "sector_identifier_uri",
        "jwks_uri",
        "userinfo_encrypted_response_alg",
        "userinfo_encrypted_response_enc",
        "request_uris",
    ] {
        body.remove(m);
    }
    body.insert("subject_type".into(), json!("public"));
    let r = to_spec(&body, ID, OperatorGrants::default(), &policy()).unwrap();
    assert_eq!(
        r.info.logo_uri.as_deref(),
        Some("https://client.example.org/logo.png")
    );
    assert_eq!(r.info.contacts.len(), 2);
    let client = r.spec.clone().validate(ID.into()).unwrap();
    let info = client_information(&client, &r.info);
    assert_eq!(info["client_name"], "My Example");
    assert_eq!(info["logo_uri"], "https://client.example.org/logo.png");
    assert_eq!(info["application_type"], "web");
    assert!(
        info.get("client_name#ja-Jpan-JP").is_none(),
        "ignored members are not echoed"
    );
}

#[test]
fn null_and_false_ask_for_nothing() {
    client_of(json!({
        "redirect_uris": ["https://a.example/cb"],
        "request_uris": null,
        "tls_client_certificate_bound_access_tokens": false,
        "software_statement": null,
    }));
}

#[test]
fn wrong_json_types_and_bodies_are_invalid_client_metadata() {
    for body in [
        json!({ "redirect_uris": "https://a.example/cb" }),
        json!({ "client_name": 5 }),
        json!({ "jwks": "[]", "token_endpoint_auth_method": "private_key_jwt" }),
        json!({ "application_type": "desktop" }),
        json!({ "subject_type": "pairwise" }),
        json!({ "default_acr_values": ["gold"] }),
        json!({ "redirect_uris": ["https://a.example/cb"], "logo_uri": "javascript:alert(1)" }),
        json!({ "redirect_uris": ["https://a.example/cb"], "contacts": [""] }),
    ] {
        assert_eq!(
            refused(body.clone()).code,
            RegistrationErrorCode::InvalidClientMetadata,
            "{body}"
        );
    }
    for body in [&b"[]"[..], b"", b"{", b"\"x\"", b"null"] {
        assert_eq!(
            parse(body).unwrap_err().code,
            RegistrationErrorCode::InvalidClientMetadata
        );
    }
}

#[test]
fn private_key_jwt_clients_register_their_keys() {
    let jwks: Value = serde_json::from_str(&crate::domain::jwks::fixtures::public_jwks()).unwrap();
    let c = client_of(json!({
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": jwks,
    }));
    assert_eq!(c.token_endpoint_auth_method, AuthMethod::PrivateKeyJwt);
    let info = client_information(&c, &Informational::default());
    assert_eq!(info["jwks"], jwks);
    assert!(info.get("client_secret_expires_at").is_none());
}

#[test]
fn the_client_information_response_names_every_registered_member() {
    let c = client_of(json!({
        "client_name": "Example",
        "redirect_uris": ["https://app.example/cb"],
        "grant_types": ["authorization_code", "refresh_token"],
        "default_acr_values": ["2"],
    }));
    let info = client_information(&c, &Informational::default());
    assert_eq!(info["client_id"], ID);
    assert_eq!(info["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(info["client_secret_expires_at"], 0);
    assert_eq!(
        info["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(info["response_types"], json!(["code"]));
    assert_eq!(info["redirect_uris"], json!(["https://app.example/cb"]));
    assert_eq!(info["scope"], "openid profile email offline_access");
    assert_eq!(info["default_acr_values"], json!(["2"]));
    assert_eq!(info["subject_type"], "public");
    assert_eq!(info["application_type"], "web");
    assert!(
        info.get("client_secret").is_none(),
        "issued once, by the caller"
    );
}

#[test]
fn registrable_scopes_are_the_advertised_ones() {
    let caps = crate::oidc::discovery::Capabilities::current(
        &crate::config::Features::default(),
        &[SigningAlg::Rs256],
        false,
    );
    assert_eq!(caps.scopes, REGISTRABLE_SCOPES.to_vec());
}

#[test]
fn each_validation_refusal_maps_to_its_rfc_7591_code() {
    use RegistrationErrorCode::*;
    let cases = [
        (
            ClientError::InvalidUri {
                field: "redirect URI",
                uri: "x".into(),
                problem: "p",
            },
            InvalidRedirectUri,
        ),
        (ClientError::MissingRedirectUri, InvalidRedirectUri),
        (ClientError::RedirectWithoutCodeGrant, InvalidRedirectUri),
        (
            ClientError::InvalidUri {
                field: "back-channel logout URI",
                uri: "x".into(),
                problem: "p",
            },
            InvalidClientMetadata,
        ),
        (ClientError::InvalidName, InvalidClientMetadata),
        (
            ClientError::UnknownGrantType("x".into()),
            InvalidClientMetadata,
        ),
        (
            ClientError::UnknownAuthMethod("x".into()),
            InvalidClientMetadata,
        ),
        (ClientError::NoGrantType, InvalidClientMetadata),
        (ClientError::PublicClientCredentials, InvalidClientMetadata),
        (ClientError::PrivateKeyJwtNeedsKeys, InvalidClientMetadata),
        (ClientError::UnexpectedKeys, InvalidClientMetadata),
        (ClientError::ExchangeAudiences, InvalidClientMetadata),
    ];
    for (e, code) in cases {
        let mapped = super::super::metadata_error::error_for(&e);
        assert_eq!(mapped.code, code, "{e:?}");
        assert!(
            !mapped.description.contains("--"),
            "no CLI flags: {}",
            mapped.description
        );
    }
}

fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,24}".prop_map(Value::from),
        prop_oneof![
            Just("https://a.example/cb"),
            Just("http://127.0.0.1/cb"),
            Just("none"),
            Just("client_credentials"),
            Just("authorization_code"),
            Just("code"),
            Just("native"),
            Just("openid"),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map("[a-z]{1,6}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest::proptest! {
    #[test]
    fn any_metadata_is_mapped_or_refused_without_panicking(
        members in proptest::collection::btree_map(
            proptest::sample::select(vec![
                "redirect_uris", "token_endpoint_auth_method", "grant_types",
                "response_types", "client_name", "scope", "jwks", "jwks_uri",
                "post_logout_redirect_uris", "backchannel_logout_uri",
                "id_token_signed_response_alg", "dpop_bound_access_tokens",
                "default_acr_values", "application_type", "subject_type", "logo_uri",
                "contacts", "software_statement", "request_uris", "client_id",
            ]),
            json_value(),
            0..8,
        )
    ) {
        let body: Map<String, Value> = members.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        if let Ok(r) = to_spec(&body, ID, OperatorGrants::default(), &policy()) {
            let c = r.spec.validate(ID.into()).expect("to_spec validated it");
            proptest::prop_assert!(!c.skip_consent && c.permissions.is_empty());
            let _ = client_information(&c, &r.info);
        }
    }

    #[test]
    fn any_body_is_parsed_or_refused_without_panicking(body in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
        let _ = parse(&body);
    }
}

#[test]
fn registration_cannot_give_a_client_a_grant_type_an_operator_did_not() {
    let exchange = "urn:ietf:params:oauth:grant-type:token-exchange";
    let asked = map(json!({ "grant_types": ["client_credentials", exchange] }));
    let e = to_spec(&asked, ID, OperatorGrants::default(), &policy()).unwrap_err();
    assert!(e.description.contains("given by an operator"), "{e:?}");
    // An operator who set exchange audiences but not the grant: the client's own update
    // still cannot add it.
    let audiences_only = OperatorGrants {
        exchange_audiences: vec!["https://api.example".into()],
        ..Default::default()
    };
    let e = to_spec(&asked, ID, audiences_only.clone(), &policy()).unwrap_err();
    assert!(e.description.contains("given by an operator"), "{e:?}");
    // One an operator gave stays available to the client's own updates.
    let given = OperatorGrants {
        grant_types: vec![exchange.into()],
        ..audiences_only
    };
    let kept = to_spec(&asked, ID, given, &policy());
    assert!(kept.is_ok(), "{kept:?}");
}
