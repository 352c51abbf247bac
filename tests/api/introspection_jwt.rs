//! JWT introspection responses (RFC 9701): with `Accept: application/token-introspection+jwt`
//! `/introspect` answers a JWT (`typ: token-introspection+jwt`) signed with a key of the
//! served JWKS, verified here by an independent JOSE library.

use crate::helpers::jwt::{jwks_of, unverified_claims};
use crate::helpers::spawn_app;

#[actix_web::test]
async fn a_signed_introspection_answer_verifies_with_the_served_keys() {
    let app = spawn_app().await;
    let rs = app
        .client("rs")
        .confidential()
        .grant("client_credentials")
        .audience("https://api.example")
        .introspect()
        .create()
        .await;
    let token = app
        .token(&[("grant_type", "client_credentials")], rs.basic())
        .await
        .str("access_token");
    let res = app
        .post_form_with(
            "/introspect",
            &[("token", &token)],
            rs.basic(),
            &[("accept", "application/token-introspection+jwt")],
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("content-type"),
        Some("application/token-introspection+jwt")
    );
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let jwt = String::from_utf8(res.bytes.clone()).unwrap();
    let header = jsonwebtoken::decode_header(&jwt).unwrap();
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_slice(&jwks_of(&app).await).unwrap();
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("kid in the JWKS");
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_audience(&["rs"]);
    validation.set_issuer(&[app.state.settings.issuer.as_str()]);
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<serde_json::Value>(
        &jwt,
        &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(),
        &validation,
    )
    .expect("an independent library verifies it");
    assert_eq!(header.typ.as_deref(), Some("token-introspection+jwt"));
    let claims = unverified_claims(&jwt);
    assert_eq!(claims["iss"], app.state.settings.issuer.as_str());
    assert_eq!(claims["aud"], "rs");
    assert!(claims["iat"].is_i64());
    assert_eq!(claims["token_introspection"]["active"], true);
    assert_eq!(claims["token_introspection"]["client_id"], "rs");
    // Plain JSON stays the default.
    let plain = app
        .post_form("/introspect", &[("token", &token)], rs.basic())
        .await;
    assert_eq!(plain.body["active"], true);
    let doc = app.get("/.well-known/openid-configuration").await;
    assert!(doc.body["introspection_signing_alg_values_supported"].is_array());
}
