//! The guard against a fake issuer: discovery, a JWKS that changes, a revocation feed.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::{App, HttpResponse, test, web};
use josekit::jwk::alg::ed::EdCurve;
use josekit::jws::{ES256, EdDSA, HS256, JwsHeader, JwsSigner, RS256};
use josekit::jwt::JwtPayload;
use portcullis_guard::{Authenticated, Guard, GuardConfig, GuardError, Name, RequireScope};
use serde_json::{Value, json};

struct Key {
    signer: Box<dyn JwsSigner>,
    public: Value,
}

fn key(kid: &str) -> Key {
    key_of("RS256", kid)
}

/// A key of one of the algorithms Portcullis signs with, published as it publishes them.
fn key_of(alg: &str, kid: &str) -> Key {
    let (der, mut public) = match alg {
        "RS256" => {
            let pair = RS256.generate_key_pair(2048).unwrap();
            (pair.to_der_private_key(), pair.to_jwk_public_key())
        }
        "ES256" => {
            let pair = ES256.generate_key_pair().unwrap();
            (pair.to_der_private_key(), pair.to_jwk_public_key())
        }
        "EdDSA" => {
            let pair = EdDSA.generate_key_pair(EdCurve::Ed25519).unwrap();
            (pair.to_der_private_key(), pair.to_jwk_public_key())
        }
        other => panic!("no fixture for {other}"),
    };
    public.set_key_id(kid);
    public.set_algorithm(alg);
    public.set_key_use("sig");
    let signer: Box<dyn JwsSigner> = match alg {
        "RS256" => {
            let mut s = RS256.signer_from_der(der).unwrap();
            s.set_key_id(kid);
            Box::new(s)
        }
        "ES256" => {
            let mut s = ES256.signer_from_der(der).unwrap();
            s.set_key_id(kid);
            Box::new(s)
        }
        _ => {
            let mut s = EdDSA.signer_from_der(der).unwrap();
            s.set_key_id(kid);
            Box::new(s)
        }
    };
    Key {
        signer,
        public: serde_json::from_str(&public.to_string()).unwrap(),
    }
}

#[derive(Default)]
struct Fake {
    jwks: Vec<Value>,
    fetches: usize,
    feed: String,
}

struct Issuer {
    base: String,
    state: Arc<Mutex<Fake>>,
}

async fn issuer() -> Issuer {
    let state: Arc<Mutex<Fake>> = Arc::default();
    let s = state.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let b = base.clone();
    let server = actix_web::HttpServer::new(move || {
        let (s1, s2, b) = (s.clone(), s.clone(), b.clone());
        App::new()
            .route(
                "/.well-known/openid-configuration",
                web::get().to(move || {
                    let b = b.clone();
                    async move {
                        HttpResponse::Ok().json(json!({
                            "issuer": b,
                            "jwks_uri": format!("{b}/jwks"),
                            "portcullis_revocation_feed_endpoint": format!("{b}/feed"),
                        }))
                    }
                }),
            )
            .route(
                "/jwks",
                web::get().to(move || {
                    let s = s1.clone();
                    async move {
                        let mut f = s.lock().unwrap();
                        f.fetches += 1;
                        HttpResponse::Ok()
                            .insert_header(("Cache-Control", "public, max-age=300"))
                            .json(json!({ "keys": f.jwks }))
                    }
                }),
            )
            .route(
                "/feed",
                web::get().to(move || {
                    let s = s2.clone();
                    async move {
                        HttpResponse::Ok()
                            .content_type("application/jwt")
                            .body(s.lock().unwrap().feed.clone())
                    }
                }),
            )
    })
    .workers(1)
    .listen(listener)
    .unwrap();
    actix_web::rt::spawn(server.run());
    Issuer { base, state }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn sign(key: &Key, typ: &str, claims: Value) -> String {
    let mut header = JwsHeader::new();
    header.set_token_type(typ);
    let payload = JwtPayload::from_map(claims.as_object().unwrap().clone()).unwrap();
    josekit::jwt::encode_with_signer(&payload, &header, &*key.signer).unwrap()
}

fn claims(iss: &str) -> Value {
    json!({
        "iss": iss, "sub": "alice", "aud": "https://orders.example", "iat": now(),
        "exp": now() + 600, "jti": "j-1", "client_id": "web", "scope": "openid orders.read",
        "roles": ["admin"], "sid": "s-1",
    })
}

async fn guard_for(iss: &Issuer) -> Guard {
    Guard::discover(GuardConfig::new(iss.base.clone(), "https://orders.example"))
        .await
        .unwrap()
}

#[actix_web::test]
async fn old_and_new_keys_both_verify_during_a_rotation() {
    let iss = issuer().await;
    let (old, new) = (key("old"), key("new"));
    iss.state.lock().unwrap().jwks = vec![old.public.clone(), new.public.clone()];
    let guard = guard_for(&iss).await;
    for k in [&old, &new] {
        let c = guard
            .verify(&sign(k, "at+jwt", claims(&iss.base)))
            .await
            .unwrap();
        assert_eq!(c.sub, "alice");
        assert!(c.has_scope("orders.read") && c.has_role("admin"));
    }
    assert_eq!(guard.jwks_fetches(), 1);
}

#[actix_web::test]
async fn an_unknown_kid_triggers_exactly_one_refetch() {
    let iss = issuer().await;
    let (k1, k2, k3) = (key("k1"), key("k2"), key("k3"));
    iss.state.lock().unwrap().jwks = vec![k1.public.clone()];
    let guard = guard_for(&iss).await;
    assert_eq!(guard.jwks_fetches(), 1);
    // The issuer publishes k2; a token signed with it makes the guard look again, once.
    iss.state.lock().unwrap().jwks.push(k2.public.clone());
    guard
        .verify(&sign(&k2, "at+jwt", claims(&iss.base)))
        .await
        .unwrap();
    assert_eq!(guard.jwks_fetches(), 2);
    assert_eq!(iss.state.lock().unwrap().fetches, 2);
    // A made-up kid right after does not cause another fetch.
    let err = guard
        .verify(&sign(&k3, "at+jwt", claims(&iss.base)))
        .await
        .unwrap_err();
    assert!(matches!(err, GuardError::Invalid(_)));
    assert_eq!(iss.state.lock().unwrap().fetches, 2);
    guard
        .verify(&sign(&k2, "at+jwt", claims(&iss.base)))
        .await
        .unwrap();
    assert_eq!(iss.state.lock().unwrap().fetches, 2);
}

#[actix_web::test]
async fn every_claim_rule_is_enforced() {
    let iss = issuer().await;
    let k = key("k");
    iss.state.lock().unwrap().jwks = vec![k.public.clone()];
    let guard = guard_for(&iss).await;
    let mut cases: Vec<(String, Value)> = Vec::new();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = claims(&iss.base);
        f(&mut c);
        c
    };
    cases.push((
        "at+jwt".into(),
        with(&|c| c["iss"] = json!("https://elsewhere")),
    ));
    cases.push((
        "at+jwt".into(),
        with(&|c| c["aud"] = json!("https://other-api")),
    ));
    cases.push(("at+jwt".into(), with(&|c| c["exp"] = json!(now() - 120))));
    cases.push(("at+jwt".into(), with(&|c| c["nbf"] = json!(now() + 600))));
    cases.push((
        "at+jwt".into(),
        with(&|c| {
            c.as_object_mut().unwrap().remove("exp");
        }),
    ));
    cases.push(("JWT".into(), claims(&iss.base)));
    for (typ, c) in cases {
        assert!(
            guard.verify(&sign(&k, &typ, c.clone())).await.is_err(),
            "{typ} {c}"
        );
    }
    // Within the leeway.
    let c = with(&|c| c["exp"] = json!(now() - 30));
    guard.verify(&sign(&k, "at+jwt", c)).await.unwrap();
    assert!(guard.verify("not.a.jwt").await.is_err());
}

#[actix_web::test]
async fn revoked_tokens_and_sessions_from_the_feed_are_refused() {
    let iss = issuer().await;
    let k = key("k");
    iss.state.lock().unwrap().jwks = vec![k.public.clone()];
    let guard = guard_for(&iss).await;
    let token = sign(&k, "at+jwt", claims(&iss.base));
    guard.verify(&token).await.unwrap();

    let feed = |version: i64, jtis: Value, sids: Value| {
        sign(
            &k,
            "revocation-list+jwt",
            json!({
                "iss": iss.base, "iat": now(), "exp": now() + 300, "version": version,
                "jtis": jtis, "sids": sids,
            }),
        )
    };
    iss.state.lock().unwrap().feed =
        feed(1, json!([{ "jti": "j-1", "exp": now() + 600 }]), json!([]));
    assert!(guard.refresh_revocations().await.unwrap());
    assert!(matches!(
        guard.verify(&token).await,
        Err(GuardError::Revoked)
    ));

    // An ended session blocks its tokens too; an older list is ignored.
    let other = sign(&k, "at+jwt", {
        let mut c = claims(&iss.base);
        c["jti"] = json!("j-2");
        c
    });
    iss.state.lock().unwrap().feed =
        feed(2, json!([]), json!([{ "sid": "s-1", "exp": now() + 600 }]));
    guard.refresh_revocations().await.unwrap();
    assert!(matches!(
        guard.verify(&other).await,
        Err(GuardError::Revoked)
    ));
    iss.state.lock().unwrap().feed = feed(1, json!([]), json!([]));
    assert!(!guard.refresh_revocations().await.unwrap());
    assert!(guard.verify(&other).await.is_err());
}

#[actix_web::test]
async fn a_clients_not_before_from_the_feed_revokes_its_earlier_tokens() {
    let iss = issuer().await;
    let k = key("k");
    iss.state.lock().unwrap().jwks = vec![k.public.clone()];
    let guard = guard_for(&iss).await;
    let issued_before = sign(&k, "at+jwt", {
        let mut c = claims(&iss.base);
        c["iat"] = json!(now() - 60);
        c
    });
    let issued_after = sign(&k, "at+jwt", {
        let mut c = claims(&iss.base);
        c["iat"] = json!(now() + 5);
        c["jti"] = json!("j-3");
        c
    });
    iss.state.lock().unwrap().feed = sign(
        &k,
        "revocation-list+jwt",
        json!({
            "iss": iss.base, "iat": now(), "exp": now() + 300, "version": 1,
            "jtis": [], "sids": [],
            "clients": [{ "client_id": "web", "nbf": now(), "exp": now() + 600 }],
        }),
    );
    assert!(guard.refresh_revocations().await.unwrap());
    assert!(matches!(
        guard.verify(&issued_before).await,
        Err(GuardError::Revoked)
    ));
    guard.verify(&issued_after).await.unwrap();
}

struct OrdersWrite;
impl Name for OrdersWrite {
    const NAME: &'static str = "orders.write";
}
struct OrdersRead;
impl Name for OrdersRead {
    const NAME: &'static str = "orders.read";
}

#[actix_web::test]
async fn the_extractors_answer_per_rfc6750() {
    let iss = issuer().await;
    let k = key("k");
    iss.state.lock().unwrap().jwks = vec![k.public.clone()];
    let guard = web::Data::new(guard_for(&iss).await);
    let app = test::init_service(
        App::new()
            .app_data(guard)
            .route(
                "/me",
                web::get().to(|u: Authenticated| async move { u.0.sub }),
            )
            .route(
                "/read",
                web::get().to(|_: RequireScope<OrdersRead>| async { "ok" }),
            )
            .route(
                "/write",
                web::get().to(|_: RequireScope<OrdersWrite>| async { "ok" }),
            ),
    )
    .await;
    let token = sign(&k, "at+jwt", claims(&iss.base));
    let call = |path: &str, auth: Option<String>| {
        let mut req = test::TestRequest::get().uri(path);
        if let Some(a) = auth {
            req = req.insert_header(("Authorization", a));
        }
        req.to_request()
    };
    let res = test::call_service(&app, call("/me", None)).await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers().get("www-authenticate").unwrap(), "Bearer");
    let res = test::call_service(&app, call("/me", Some("Bearer garbage".into()))).await;
    assert_eq!(res.status(), 401);
    assert!(
        res.headers()
            .get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    let res = test::call_service(&app, call("/read", Some(format!("Bearer {token}")))).await;
    assert_eq!(res.status(), 200);
    let res = test::call_service(&app, call("/write", Some(format!("Bearer {token}")))).await;
    assert_eq!(res.status(), 403);
    assert!(
        res.headers()
            .get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
}

#[actix_web::test]
async fn tokens_of_every_portcullis_algorithm_verify_and_others_are_refused() {
    let iss = issuer().await;
    let keys: Vec<Key> = ["RS256", "ES256", "EdDSA"]
        .iter()
        .map(|alg| key_of(alg, alg))
        .collect();
    iss.state.lock().unwrap().jwks = keys.iter().map(|k| k.public.clone()).collect();
    let guard = guard_for(&iss).await;
    for k in &keys {
        guard
            .verify(&sign(k, "at+jwt", claims(&iss.base)))
            .await
            .unwrap();
    }
    // A MAC "signed" with a published key's id is refused before any key is used.
    let mut mac = HS256
        .signer_from_bytes(b"0123456789abcdef0123456789abcdef")
        .unwrap();
    mac.set_key_id("ES256");
    let mut header = JwsHeader::new();
    header.set_token_type("at+jwt");
    let payload = JwtPayload::from_map(claims(&iss.base).as_object().unwrap().clone()).unwrap();
    let forged = josekit::jwt::encode_with_signer(&payload, &header, &mac).unwrap();
    assert!(matches!(
        guard.verify(&forged).await,
        Err(GuardError::Invalid("unsupported algorithm"))
    ));
}

#[actix_web::test]
async fn a_dpop_bound_token_is_not_accepted_as_a_bearer_token() {
    let iss = issuer().await;
    let k = key("k");
    iss.state.lock().unwrap().jwks = vec![k.public.clone()];
    let guard = guard_for(&iss).await;
    let mut c = claims(&iss.base);
    c["cnf"] = json!({ "jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" });
    assert!(matches!(
        guard.verify(&sign(&k, "at+jwt", c)).await,
        Err(GuardError::DpopBound)
    ));
}

/// A client's DPoP key: its proofs, and the thumbprint tokens are bound to.
struct ProofKey {
    signer: Box<dyn JwsSigner>,
    public: josekit::jwk::Jwk,
}

impl ProofKey {
    fn new() -> Self {
        let pair = ES256.generate_key_pair().unwrap();
        Self {
            signer: Box::new(ES256.signer_from_der(pair.to_der_private_key()).unwrap()),
            public: pair.to_jwk_public_key(),
        }
    }

    fn jkt(&self) -> String {
        portcullis_dpop::thumbprint(&self.public).unwrap()
    }

    fn proof(&self, method: &str, url: &str, token: &str) -> String {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let mut header = JwsHeader::new();
        header.set_token_type("dpop+jwt");
        header.set_jwk(self.public.clone());
        let claims = json!({
            "jti": format!("j-{}", N.fetch_add(1, Ordering::Relaxed)), "htm": method,
            "htu": url, "iat": now(), "ath": portcullis_dpop::access_token_hash(token),
        });
        let payload = JwtPayload::from_map(claims.as_object().unwrap().clone()).unwrap();
        josekit::jwt::encode_with_signer(&payload, &header, &*self.signer).unwrap()
    }
}

#[actix_web::test]
async fn the_extractors_take_a_dpop_bound_token_only_with_a_proof_by_its_key() {
    let iss = issuer().await;
    let k = key("k");
    iss.state.lock().unwrap().jwks = vec![k.public.clone()];
    let mut config = GuardConfig::new(iss.base.clone(), "https://orders.example");
    config.public_url = Some("https://orders.example".into());
    let guard = web::Data::new(Guard::discover(config).await.unwrap());
    let app = test::init_service(App::new().app_data(guard).route(
        "/me",
        web::get().to(|u: Authenticated| async move { u.0.sub }),
    ))
    .await;
    let client = ProofKey::new();
    let mut c = claims(&iss.base);
    c["cnf"] = json!({ "jkt": client.jkt() });
    let token = sign(&k, "at+jwt", c);
    const URL: &str = "https://orders.example/me";
    let call = |auth: String, proof: Option<String>| {
        let mut req = test::TestRequest::get()
            .uri("/me")
            .insert_header(("Authorization", auth));
        if let Some(p) = proof {
            req = req.insert_header(("DPoP", p));
        }
        req.to_request()
    };
    let challenge = |res: &actix_web::dev::ServiceResponse| {
        res.headers()
            .get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    };
    // As Bearer: refused with the DPoP challenge.
    let res = test::call_service(&app, call(format!("Bearer {token}"), None)).await;
    assert_eq!(res.status(), 401);
    assert!(challenge(&res).starts_with("DPoP "), "{}", challenge(&res));
    // DPoP without proof, with another key's, for another URL, method or token.
    let other = ProofKey::new();
    for (what, proof) in [
        ("no proof", None),
        ("other key", Some(other.proof("GET", URL, &token))),
        (
            "other URL",
            Some(client.proof("GET", "https://orders.example/x", &token)),
        ),
        ("other method", Some(client.proof("POST", URL, &token))),
        ("other token", Some(client.proof("GET", URL, "another"))),
    ] {
        let res = test::call_service(&app, call(format!("DPoP {token}"), proof)).await;
        assert_eq!(res.status(), 401, "{what}");
        assert!(
            challenge(&res).contains("invalid_dpop_proof"),
            "{what}: {}",
            challenge(&res)
        );
    }
    let proof = client.proof("GET", URL, &token);
    let res = test::call_service(&app, call(format!("DPoP {token}"), Some(proof.clone()))).await;
    assert_eq!(res.status(), 200);
    // The same proof again: a replay.
    let res = test::call_service(&app, call(format!("DPoP {token}"), Some(proof))).await;
    assert_eq!(res.status(), 401);
    assert!(challenge(&res).contains("already used"));
    // An unbound token presented with the DPoP scheme is refused too.
    let plain = sign(&k, "at+jwt", claims(&iss.base));
    let p = client.proof("GET", URL, &plain);
    let res = test::call_service(&app, call(format!("DPoP {plain}"), Some(p))).await;
    assert_eq!(res.status(), 401);
}
