//! DPoP (RFC 9449) at the token endpoint, UserInfo and introspection: sender-constrained
//! tokens, every proof rule, server nonces, bound refresh tokens of public clients.

use std::sync::Arc;

use serde_json::json;

use crate::helpers::dpop::{DpopKey, ath};
use crate::helpers::flow::{SPA_CB, VERIFIER, sign_in_and_consent, spa_request, spawn_flow_app};
use crate::helpers::jwt::{unverified_claims, verify};
use crate::helpers::{Client, Response, TestApp, TestDb, spawn_app, spawn_app_with};

const CC: (&str, &str) = ("grant_type", "client_credentials");
const API: &str = "https://api.example.test";

async fn machine(app: &TestApp, id: &str, extra: &[&str]) -> Client {
    app.client(id)
        .grant("client_credentials")
        .scope("orders.read")
        .audience(API)
        .args_also(extra)
        .create()
        .await
}

/// Client credentials with a `DPoP` header.
async fn cc_with_proof(app: &TestApp, svc: &Client, proof: &str) -> Response {
    app.post_form_with("/token", &[CC], svc.basic(), &[("DPoP", proof)])
        .await
}

#[actix_web::test]
async fn a_proof_at_the_token_endpoint_binds_the_access_token_to_the_key() {
    let app = spawn_app().await;
    let svc = machine(&app, "svc", &[]).await;
    let key = DpopKey::es256();
    let res = cc_with_proof(&app, &svc, &key.proof(&app, "POST", "/token")).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["token_type"], "DPoP");
    let (_, claims) = verify(&app, res.token(), API).await;
    assert_eq!(claims["cnf"], json!({ "jkt": key.jkt() }));
    // Without a proof: a plain bearer token, as before.
    let res = app.token(&[CC], svc.basic()).await;
    assert_eq!(res.body["token_type"], "Bearer");
    assert!(unverified_claims(res.token()).get("cnf").is_none());
}

#[actix_web::test]
async fn every_proof_rule_is_enforced_at_the_token_endpoint() {
    let app = spawn_app().await;
    let svc = machine(&app, "svc", &[]).await;
    let key = DpopKey::es256();
    let now = app.state.now();
    let wrong = |what: &str, proof: String| (what.to_string(), proof);
    let mut private = key.spec(&app, "POST", "/token");
    private.jwk = Some(key.private.clone());
    let mut untyped = key.spec(&app, "POST", "/token");
    untyped.typ = "JWT";
    let mut keyless = key.spec(&app, "POST", "/token");
    keyless.jwk = None;
    let cases = [
        wrong("htm", key.proof(&app, "GET", "/token")),
        wrong("htu", key.proof(&app, "POST", "/userinfo")),
        wrong(
            "stale iat",
            key.proof_with(&app, "POST", "/token", "iat", json!(now - 61)),
        ),
        wrong(
            "future iat",
            key.proof_with(&app, "POST", "/token", "iat", json!(now + 30)),
        ),
        wrong("private key", key.sign(private)),
        wrong("typ", key.sign(untyped)),
        wrong("no jwk", key.sign(keyless)),
        wrong("not a JWT", "not-a-jwt".into()),
    ];
    for (what, proof) in cases {
        let res = cc_with_proof(&app, &svc, &proof).await;
        assert_eq!(res.status, 400, "{what}: {}", res.body);
        assert_eq!(res.body["error"], "invalid_dpop_proof", "{what}");
    }
    // Two DPoP headers.
    let p = key.proof(&app, "POST", "/token");
    let res = app
        .post_form_with("/token", &[CC], svc.basic(), &[("DPoP", &p), ("DPoP", &p)])
        .await;
    assert_eq!(res.body["error"], "invalid_dpop_proof");
}

#[actix_web::test]
async fn alg_none_and_symmetric_proofs_are_refused() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let app = spawn_app().await;
    let svc = machine(&app, "svc", &[]).await;
    let key = DpopKey::es256();
    let good = key.proof(&app, "POST", "/token");
    let mut parts = good.split('.');
    let mut header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap();
    let body = parts.next().unwrap();
    for alg in ["none", "HS256"] {
        header["alg"] = json!(alg);
        let forged = format!(
            "{}.{body}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            if alg == "none" { "" } else { "c2lnbmF0dXJl" }
        );
        let res = cc_with_proof(&app, &svc, &forged).await;
        assert_eq!(res.body["error"], "invalid_dpop_proof", "{alg}");
    }
}

#[actix_web::test]
async fn a_replayed_proof_is_refused_across_instances() {
    let Some(db) = TestDb::postgres("a_replayed_proof_is_refused_across_instances") else {
        return;
    };
    let mut settings = db.settings();
    settings.keys.encryption_key = Some(crate::helpers::internals::Secret::new(
        crate::helpers::internals::new_kek(),
    ));
    let other = db.another_instance();
    let clock = Arc::new(portcullis::clock::SystemClock);
    let one = spawn_app_with(db, settings.clone(), clock.clone()).await;
    let two = spawn_app_with(other, settings, clock).await;
    let svc = machine(&one, "svc", &[]).await;
    two.state.clients.refresh().await.unwrap();
    let key = DpopKey::es256();
    // The issuer is the same string on both; the proof names it.
    let proof = key.proof(&one, "POST", "/token");
    assert_eq!(cc_with_proof(&one, &svc, &proof).await.status, 200);
    let again = cc_with_proof(&two, &svc, &proof).await;
    assert_eq!(again.body["error"], "invalid_dpop_proof", "{}", again.body);
    assert!(
        again.body["error_description"]
            .as_str()
            .unwrap()
            .contains("already used")
    );
}

#[actix_web::test]
async fn a_replayed_proof_is_refused() {
    let app = spawn_app().await;
    let svc = machine(&app, "svc", &[]).await;
    let key = DpopKey::es256();
    let proof = key.proof(&app, "POST", "/token");
    assert_eq!(cc_with_proof(&app, &svc, &proof).await.status, 200);
    let res = cc_with_proof(&app, &svc, &proof).await;
    assert_eq!(res.body["error"], "invalid_dpop_proof");
}

#[actix_web::test]
async fn a_client_registered_with_require_dpop_must_send_a_proof() {
    let app = spawn_app().await;
    let svc = machine(&app, "svc", &["--require-dpop"]).await;
    let res = app.token(&[CC], svc.basic()).await;
    res.assert_oauth_error(400, "invalid_request");
    let key = DpopKey::es256();
    let res = cc_with_proof(&app, &svc, &key.proof(&app, "POST", "/token")).await;
    assert_eq!(res.body["token_type"], "DPoP");
}

#[actix_web::test]
async fn required_nonces_are_handed_out_and_checked() {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.dpop.require_nonce = true;
    let app = spawn_app_with(db, settings, Arc::new(portcullis::clock::SystemClock)).await;
    let svc = machine(&app, "svc", &[]).await;
    let key = DpopKey::es256();
    // No nonce: use_dpop_nonce with one to use.
    let res = cc_with_proof(&app, &svc, &key.proof(&app, "POST", "/token")).await;
    res.assert_oauth_error(400, "use_dpop_nonce");
    let nonce = res.header("dpop-nonce").expect("DPoP-Nonce").to_string();
    // An old or made-up nonce: the same answer.
    for bad in ["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "made-up"] {
        let p = key.proof_with(&app, "POST", "/token", "nonce", json!(bad));
        cc_with_proof(&app, &svc, &p)
            .await
            .assert_oauth_error(400, "use_dpop_nonce");
    }
    let p = key.proof_with(&app, "POST", "/token", "nonce", json!(nonce));
    let res = cc_with_proof(&app, &svc, &p).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(
        res.header("dpop-nonce").is_some(),
        "the next nonce comes with the answer"
    );
}

#[actix_web::test]
async fn introspection_reports_the_binding() {
    let app = spawn_app().await;
    let svc = machine(&app, "svc", &[]).await;
    let rs = app
        .client("rs")
        .grant("client_credentials")
        .introspect()
        .create()
        .await;
    let key = DpopKey::es256();
    let res = cc_with_proof(&app, &svc, &key.proof(&app, "POST", "/token")).await;
    let answer = app.introspect_token(res.token(), ("rs", rs.secret())).await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["token_type"], "DPoP");
    assert_eq!(answer["cnf"]["jkt"], key.jkt());
}

/// UserInfo with `Authorization: <scheme> <token>` and an optional proof.
async fn userinfo(app: &TestApp, scheme: &str, token: &str, proof: Option<&str>) -> Response {
    let auth = format!("{scheme} {token}");
    let mut headers = vec![("Authorization", auth.as_str())];
    if let Some(p) = proof {
        headers.push(("DPoP", p));
    }
    app.get_with("/userinfo", &headers).await
}

#[actix_web::test]
async fn userinfo_takes_a_bound_token_only_with_its_proof_and_a_bound_refresh_token_only_from_its_key()
 {
    let f = spawn_flow_app().await;
    let app = &f.app;
    let key = DpopKey::es256();
    let mut b = app.browser();
    let cb = sign_in_and_consent(&mut b, &spa_request(&[])).await;
    let res = app
        .post_form_with(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &cb["code"]),
                ("redirect_uri", SPA_CB),
                ("client_id", "spa"),
                ("code_verifier", VERIFIER),
            ],
            None,
            &[("DPoP", &key.proof(app, "POST", "/token"))],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["token_type"], "DPoP");
    let access = res.body["access_token"].as_str().unwrap().to_string();
    let refresh = res.body["refresh_token"].as_str().unwrap().to_string();

    // As a bearer token: refused, with the DPoP challenge.
    let r = userinfo(app, "Bearer", &access, None).await;
    assert_eq!(r.status, 401);
    assert!(
        r.header("www-authenticate").unwrap().starts_with("DPoP "),
        "{:?}",
        r.header("www-authenticate")
    );
    // DPoP scheme without a proof, with a proof lacking or mismatching ath, or by another key.
    let other = DpopKey::es256();
    let with_ath =
        |k: &DpopKey, token: &str| k.proof_with(app, "GET", "/userinfo", "ath", json!(ath(token)));
    for (what, proof) in [
        ("no proof", None),
        ("no ath", Some(key.proof(app, "GET", "/userinfo"))),
        ("wrong ath", Some(with_ath(&key, "another-token"))),
        ("another key", Some(with_ath(&other, &access))),
    ] {
        let r = userinfo(app, "DPoP", &access, proof.as_deref()).await;
        assert_eq!(r.status, 401, "{what}");
        assert!(
            r.header("www-authenticate")
                .unwrap()
                .contains("error=\"invalid_dpop_proof\""),
            "{what}: {:?}",
            r.header("www-authenticate")
        );
    }
    let r = userinfo(app, "DPoP", &access, Some(&with_ath(&key, &access))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["sub"], f.alice.id.as_str());

    // The public client's refresh token is bound to the same key.
    let refresh_with = |proof: Option<String>| {
        let refresh = refresh.clone();
        async move {
            let headers: Vec<(&str, &str)> = match &proof {
                Some(p) => vec![("DPoP", p.as_str())],
                None => vec![],
            };
            app.post_form_with(
                "/token",
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &refresh),
                    ("client_id", "spa"),
                ],
                None,
                &headers,
            )
            .await
        }
    };
    refresh_with(None)
        .await
        .assert_oauth_error(400, "invalid_grant");
    refresh_with(Some(other.proof(app, "POST", "/token")))
        .await
        .assert_oauth_error(400, "invalid_grant");
    let res = refresh_with(Some(key.proof(app, "POST", "/token"))).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["token_type"], "DPoP");
    assert_eq!(unverified_claims(res.token())["cnf"]["jkt"], key.jkt());
}

#[actix_web::test]
async fn a_code_requested_with_dpop_jkt_is_redeemed_only_with_that_key() {
    let f = spawn_flow_app().await;
    let app = &f.app;
    let key = DpopKey::es256();
    let jkt = key.jkt();
    let mut b = app.browser();
    let cb = sign_in_and_consent(&mut b, &spa_request(&[("dpop_jkt", &jkt)])).await;
    let redeem = |proof: String| {
        let code = cb["code"].clone();
        async move {
            app.post_form_with(
                "/token",
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", SPA_CB),
                    ("client_id", "spa"),
                    ("code_verifier", VERIFIER),
                ],
                None,
                &[("DPoP", &proof)],
            )
            .await
        }
    };
    let res = redeem(DpopKey::es256().proof(app, "POST", "/token")).await;
    res.assert_oauth_error(400, "invalid_grant");
    // The code was consumed by that attempt (single use): a second browser run gets a new one.
    let cb = sign_in_and_consent(&mut b, &spa_request(&[("dpop_jkt", &jkt)])).await;
    let res = app
        .post_form_with(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &cb["code"]),
                ("redirect_uri", SPA_CB),
                ("client_id", "spa"),
                ("code_verifier", VERIFIER),
            ],
            None,
            &[("DPoP", &key.proof(app, "POST", "/token"))],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["token_type"], "DPoP");
}

#[actix_web::test]
async fn discovery_lists_exactly_the_configured_algorithms() {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.keys.algorithms = vec![
        portcullis::keys::SigningAlg::Ps256,
        portcullis::keys::SigningAlg::EdDsa,
    ];
    settings.tokens.access_token_alg = portcullis::keys::SigningAlg::Ps256;
    let app = spawn_app_with(db, settings, Arc::new(portcullis::clock::SystemClock)).await;
    let doc = app.openid_configuration().await.body;
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["PS256", "EdDSA"])
    );
    assert_eq!(
        doc["dpop_signing_alg_values_supported"],
        json!(["PS256", "EdDSA"])
    );
    let default = spawn_app().await.openid_configuration().await.body;
    assert_eq!(
        default["id_token_signing_alg_values_supported"],
        json!(["RS256", "ES256"])
    );
}
