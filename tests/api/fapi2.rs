//! The FAPI 2.0 client profile (`client create --profile fapi2`): what registration refuses,
//! and a FAPI 2.0 Security Profile code flow — PAR, PKCE S256, private_key_jwt, DPoP,
//! ES256 — with each missing piece refused on the way.

use josekit::jws::{ES256, JwsHeader, JwsSigner};
use josekit::jwt::JwtPayload;
use serde_json::json;

use crate::helpers::dpop::DpopKey;
use crate::helpers::flow::{
    VERIFIER, WEB_CB, authorize_path, challenge, sign_in_and_consent, spawn_flow_app,
};
use crate::helpers::jwt::decode;
use crate::helpers::{Response, TestApp};

/// The client's own signing key (private_key_jwt) and its public JWK set.
struct ClientKey {
    signer: Box<dyn JwsSigner>,
    jwks: String,
}

fn client_key() -> ClientKey {
    let pair = ES256.generate_key_pair().unwrap();
    let mut public = pair.to_jwk_public_key();
    public.set_key_id("bank-1");
    public.set_algorithm("ES256");
    let mut signer = ES256.signer_from_der(pair.to_der_private_key()).unwrap();
    signer.set_key_id("bank-1");
    ClientKey {
        signer: Box::new(signer),
        jwks: json!({ "keys": [public] }).to_string(),
    }
}

/// A fresh client assertion for the issuer (FAPI 2.0 §5.3.2.1: `aud` is the issuer).
fn assertion(app: &TestApp, key: &ClientKey) -> String {
    assertion_for(app, key, app.state.issuer())
}

fn assertion_for(app: &TestApp, key: &ClientKey, aud: &str) -> String {
    let now = app.state.now();
    let claims = json!({
        "iss": "bank", "sub": "bank", "aud": aud,
        "jti": portcullis::domain::opaque::identifier(), "iat": now, "exp": now + 60,
    });
    let payload = JwtPayload::from_map(claims.as_object().unwrap().clone()).unwrap();
    josekit::jwt::encode_with_signer(&payload, &JwsHeader::new(), &*key.signer).unwrap()
}

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A POST authenticated with private_key_jwt, with `DPoP` when given.
async fn post(
    app: &TestApp,
    key: &ClientKey,
    path: &str,
    pairs: &[(&str, &str)],
    dpop: Option<&str>,
) -> Response {
    let assertion = assertion(app, key);
    let mut all = pairs.to_vec();
    all.push(("client_assertion_type", ASSERTION_TYPE));
    all.push(("client_assertion", &assertion));
    let headers: Vec<(&str, &str)> = dpop.map(|p| vec![("DPoP", p)]).unwrap_or_default();
    app.post_form_with(path, &all, None, &headers).await
}

#[actix_web::test]
async fn registration_refuses_what_the_fapi2_profile_forbids() {
    let f = spawn_flow_app().await;
    let key = client_key();
    let jwks = f.app.db.dir.path().join("bank-jwks.json");
    std::fs::write(&jwks, &key.jwks).unwrap();
    let base = |id: &str| {
        f.app
            .cli()
            .client(id)
            .grant("authorization_code")
            .redirect_uri(WEB_CB)
    };
    let secret = base("a").args_also(&["--profile", "fapi2"]).try_create();
    assert!(secret.unwrap_err().contains("private_key_jwt"));
    let rs256 = base("b")
        .auth_method("private_key_jwt")
        .jwks_file(jwks.clone())
        .args_also(&["--profile", "fapi2", "--access-token-alg", "RS256"])
        .try_create();
    assert!(rs256.unwrap_err().contains("not RS256"));
    let public = base("c")
        .public()
        .args_also(&["--profile", "fapi2"])
        .try_create();
    assert!(public.is_err());
}

#[actix_web::test]
async fn a_fapi2_client_completes_par_pkce_private_key_jwt_and_dpop_and_is_refused_without_each() {
    let f = spawn_flow_app().await;
    let app = &f.app;
    let key = client_key();
    let jwks = app.db.dir.path().join("bank-jwks.json");
    std::fs::write(&jwks, &key.jwks).unwrap();
    app.client("bank")
        .grant("authorization_code")
        .grant("refresh_token")
        .redirect_uri(WEB_CB)
        .auth_method("private_key_jwt")
        .jwks_file(jwks)
        .args_also(&["--profile", "fapi2"])
        .create()
        .await;
    // The registration says what it implies, under the registration metadata's names.
    let shown = app
        .cli()
        .run(&["client", "show", "bank", "--json"])
        .ok()
        .json();
    assert_eq!(shown["profile"], "fapi2");
    assert_eq!(shown["dpop_bound_access_tokens"], true);
    assert_eq!(shown["require_pushed_authorization_requests"], true);
    assert_eq!(shown["require_pkce"], true);
    assert_eq!(shown["access_token_alg"], "ES256");
    assert_eq!(shown["id_token_signed_response_alg"], "ES256");
    let ch = challenge(VERIFIER);
    let request = [
        ("response_type", "code"),
        ("client_id", "bank"),
        ("redirect_uri", WEB_CB),
        ("scope", "openid"),
        ("state", "fapi-state"),
        ("nonce", "fapi-nonce"),
        ("code_challenge", ch.as_str()),
        ("code_challenge_method", "S256"),
    ];

    // Not pushed: refused at the registered redirect URI.
    let res = app.browser().get(&authorize_path(&request)).await;
    assert_eq!(res.callback()["error"], "invalid_request");

    // Pushed without PKCE: refused by /par.
    let no_pkce: Vec<(&str, &str)> = request
        .iter()
        .copied()
        .filter(|(k, _)| !k.starts_with("code_challenge"))
        .collect();
    post(app, &key, "/par", &no_pkce, None)
        .await
        .assert_oauth_error(400, "invalid_request");

    // Pushed without redirect_uri, even as plain OAuth with the client's only registered
    // URI: refused all the same.
    let no_redirect: Vec<(&str, &str)> = request
        .iter()
        .copied()
        .filter(|(k, _)| *k != "redirect_uri")
        .map(|(k, v)| if k == "scope" { (k, "profile") } else { (k, v) })
        .collect();
    post(app, &key, "/par", &no_redirect, None)
        .await
        .assert_oauth_error(400, "invalid_request");

    // Pushed properly, bound to the DPoP key.
    let dpop = DpopKey::es256();
    let pushed = post(
        app,
        &key,
        "/par",
        &request,
        Some(&dpop.proof(app, "POST", "/par")),
    )
    .await;
    assert_eq!(pushed.status, 201, "{}", pushed.body);
    let uri = pushed.body["request_uri"].as_str().unwrap();
    let mut b = app.browser();
    let cb = sign_in_and_consent(
        &mut b,
        &authorize_path(&[("client_id", "bank"), ("request_uri", uri)]),
    )
    .await;
    assert_eq!(
        cb["iss"],
        app.state.issuer(),
        "RFC 9207 iss in the response"
    );
    let redeem = [
        ("grant_type", "authorization_code"),
        ("code", cb["code"].as_str()),
        ("redirect_uri", WEB_CB),
        ("code_verifier", VERIFIER),
    ];
    // Without DPoP: refused, and the code is still good.
    post(app, &key, "/token", &redeem, None)
        .await
        .assert_oauth_error(400, "invalid_request");
    // An assertion addressed to the token endpoint rather than the issuer: refused.
    let to_endpoint = assertion_for(app, &key, &format!("{}/token", app.state.issuer()));
    let mut pairs = redeem.to_vec();
    pairs.push(("client_assertion_type", ASSERTION_TYPE));
    pairs.push(("client_assertion", &to_endpoint));
    let proof = dpop.proof(app, "POST", "/token");
    app.post_form_with("/token", &pairs, None, &[("DPoP", &proof)])
        .await
        .assert_oauth_error(401, "invalid_client");
    // A client secret is no way in for this client.
    app.token(&redeem, Some(("bank", "guess")))
        .await
        .assert_oauth_error(401, "invalid_client");
    let res = post(
        app,
        &key,
        "/token",
        &redeem,
        Some(&dpop.proof(app, "POST", "/token")),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["token_type"], "DPoP");
    let (header, claims) = decode(app, res.token()).await;
    assert_eq!(
        header.alg,
        jsonwebtoken::Algorithm::ES256,
        "no RS256 for FAPI"
    );
    assert_eq!(claims["cnf"]["jkt"], dpop.jkt());
    let (id_header, id_claims) = decode(app, res.body["id_token"].as_str().unwrap()).await;
    assert_eq!(id_header.alg, jsonwebtoken::Algorithm::ES256);
    assert_eq!(id_claims["nonce"], "fapi-nonce");
}
