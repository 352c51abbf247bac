use super::*;

fn spec() -> ClientSpec {
    ClientSpec {
        name: "App".into(),
        grant_types: vec!["authorization_code".into()],
        redirect_uris: vec!["https://app.example.com/cb".into()],
        algorithms: vec![SigningAlg::Rs256, SigningAlg::Es256],
        ..Default::default()
    }
}

fn fapi2() -> ClientSpec {
    ClientSpec {
        profile: Some("fapi2".into()),
        auth_method: Some("private_key_jwt".into()),
        jwks: Some(crate::domain::jwks::fixtures::public_jwks()),
        ..spec()
    }
}

#[test]
fn a_fapi2_client_gets_every_rule_of_the_profile() {
    let c = fapi2().validate("g".into()).unwrap();
    assert!(c.require_par && c.require_dpop && c.require_pkce);
    assert!(c.must_use_par(false) && c.must_use_dpop());
    assert_eq!(c.access_token_alg, Some(SigningAlg::Es256));
    assert_eq!(c.id_token_alg, Some(SigningAlg::Es256));
}

#[test]
fn the_fapi2_profile_refuses_what_it_forbids() {
    let cases: Vec<(ClientSpec, &str)> = vec![
        (
            ClientSpec {
                auth_method: Some("client_secret_basic".into()),
                jwks: None,
                ..fapi2()
            },
            "private_key_jwt",
        ),
        (
            ClientSpec {
                access_token_alg: Some("RS256".into()),
                ..fapi2()
            },
            "not RS256",
        ),
        (
            ClientSpec {
                algorithms: vec![SigningAlg::Rs256],
                ..fapi2()
            },
            "needs PS256",
        ),
        (
            ClientSpec {
                public: true,
                auth_method: None,
                jwks: None,
                ..fapi2()
            },
            "confidential",
        ),
    ];
    for (s, expected) in cases {
        let e = s.validate("g".into()).unwrap_err().to_string();
        assert!(e.contains(expected), "{e}");
    }
}

#[test]
fn token_algorithms_must_be_configured() {
    let c = ClientSpec {
        access_token_alg: Some("ES256".into()),
        id_token_alg: Some("RS256".into()),
        ..spec()
    }
    .validate("g".into())
    .unwrap();
    assert_eq!(c.access_token_alg, Some(SigningAlg::Es256));
    let e = ClientSpec {
        id_token_alg: Some("EdDSA".into()),
        ..spec()
    }
    .validate("g".into())
    .unwrap_err()
    .to_string();
    assert!(e.contains("not one of keys.algorithms"), "{e}");
    let e = ClientSpec {
        access_token_alg: Some("HS256".into()),
        ..spec()
    }
    .validate("g".into())
    .unwrap_err()
    .to_string();
    assert!(e.contains("unsupported signing algorithm"), "{e}");
}

#[test]
fn a_confidential_code_client_gets_defaults() {
    let c = spec().validate("gen".into()).unwrap();
    assert_eq!(c.id.as_str(), "gen");
    assert_eq!(c.token_endpoint_auth_method, AuthMethod::ClientSecretBasic);
    assert_eq!(c.scopes.to_string(), "openid profile email");
    assert!(!c.require_pkce);
}

#[test]
fn a_public_client_requires_pkce_and_no_secret() {
    let c = ClientSpec {
        public: true,
        ..spec()
    }
    .validate("g".into())
    .unwrap();
    assert!(c.require_pkce);
    assert_eq!(c.token_endpoint_auth_method, AuthMethod::None);
}

#[test]
fn bad_registrations_are_refused() {
    let cases: Vec<(ClientSpec, &str)> = vec![
        (
            ClientSpec {
                grant_types: vec!["password".into()],
                ..spec()
            },
            "unknown grant type",
        ),
        (
            ClientSpec {
                redirect_uris: vec!["/cb".into()],
                ..spec()
            },
            "absolute",
        ),
        (
            ClientSpec {
                redirect_uris: vec![],
                ..spec()
            },
            "redirect-uri",
        ),
        (
            ClientSpec {
                public: true,
                grant_types: vec!["client_credentials".into()],
                redirect_uris: vec![],
                ..spec()
            },
            "public client",
        ),
        (
            ClientSpec {
                id: Some("has space".into()),
                ..spec()
            },
            "client id",
        ),
        (
            ClientSpec {
                scopes: vec!["ok \"bad\"".into()],
                ..spec()
            },
            "scope",
        ),
    ];
    for (s, expected) in cases {
        let e = s.validate("g".into()).unwrap_err().to_string();
        assert!(e.contains(expected), "{e}");
    }
}

#[test]
fn a_client_s_own_spec_validates_back_to_the_same_client() {
    let mut s = spec();
    s.audience = Some("https://api.example".into());
    s.allowed_audiences = vec!["https://other.example".into()];
    let client = s.validate("g".into()).unwrap();
    let again = ClientSpec::of(&client, &[SigningAlg::Rs256], false)
        .validate("unused".into())
        .unwrap();
    assert_eq!(
        serde_json::to_value(&again).unwrap(),
        serde_json::to_value(&client).unwrap()
    );
}
