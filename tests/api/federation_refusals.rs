//! An upstream's ID token is accepted only when every check holds: a stub upstream (our
//! test's own small OpenID provider) answers the code with ID tokens that are wrong in
//! one way each — the nonce of another sign-in, another audience, a signature by a key
//! not in its set — and we refuse each with our page, signing nobody in; the right one
//! signs the person in.

use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, HttpServer, web};
use josekit::jwk::Jwk;
use josekit::jwk::alg::ec::EcCurve;
use josekit::jws::{ES256, JwsHeader};
use josekit::jwt::{self, JwtPayload};
use portcullis::clock::SystemClock;
use serde_json::{Value, json};

use crate::helpers::browser::Browser;
use crate::helpers::flow::spa_request;
use crate::helpers::{TestApp, spawn_app_at_own_address};

/// What the stub's token endpoint puts in its next ID token.
#[derive(Clone, Copy, PartialEq)]
enum Flaw {
    None,
    Nonce,
    Audience,
    Signature,
    /// Not a flaw of the token: the upstream says it did not verify the address.
    Unverified,
}

struct Stub {
    issuer: String,
    key: Jwk,
    impostor: Jwk,
    /// The nonce of the sign-in in progress, and the flaw to put in.
    next: Mutex<(String, Flaw)>,
}

impl Stub {
    fn id_token(&self) -> String {
        let (nonce, flaw) = self.next.lock().unwrap().clone();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let claims = json!({
            "iss": self.issuer,
            "aud": if flaw == Flaw::Audience { "someone-else" } else { "ours" },
            "sub": "stub-user-1",
            "iat": now, "exp": now + 300,
            "nonce": if flaw == Flaw::Nonce { "a nonce from another sign-in".to_string() } else { nonce },
            "preferred_username": "stubby",
            "email": "stubby@example.com",
            "email_verified": flaw != Flaw::Unverified,
        });
        let mut header = JwsHeader::new();
        header.set_key_id("stub-key");
        let key = if flaw == Flaw::Signature {
            &self.impostor
        } else {
            &self.key
        };
        let payload = JwtPayload::from_map(claims.as_object().unwrap().clone()).unwrap();
        jwt::encode_with_signer(&payload, &header, &ES256.signer_from_jwk(key).unwrap()).unwrap()
    }
}

fn key() -> Jwk {
    let mut k = Jwk::generate_ec_key(EcCurve::P256).unwrap();
    k.set_key_id("stub-key");
    k
}

/// The stub provider: discovery, JWK set, token endpoint.
fn start_stub() -> Arc<Stub> {
    let port = crate::helpers::stubs::free_port();
    let stub = Arc::new(Stub {
        issuer: format!("http://localhost:{port}"),
        key: key(),
        impostor: key(),
        next: Mutex::new((String::new(), Flaw::None)),
    });
    let s = stub.clone();
    let server = HttpServer::new(move || {
        let s = s.clone();
        App::new()
            .app_data(web::Data::from(s))
            .route(
                "/.well-known/openid-configuration",
                web::get().to(|s: web::Data<Stub>| async move {
                    HttpResponse::Ok().json(json!({
                        "issuer": s.issuer,
                        "authorization_endpoint": format!("{}/authorize", s.issuer),
                        "token_endpoint": format!("{}/token", s.issuer),
                        "jwks_uri": format!("{}/jwks", s.issuer),
                        "response_types_supported": ["code"],
                        "id_token_signing_alg_values_supported": ["ES256"],
                    }))
                }),
            )
            .route(
                "/jwks",
                web::get().to(|s: web::Data<Stub>| async move {
                    let mut public = s.key.to_public_key().unwrap();
                    public.set_key_id("stub-key");
                    let v: Value = serde_json::to_value(&public).unwrap();
                    HttpResponse::Ok().json(json!({ "keys": [v] }))
                }),
            )
            .route(
                "/token",
                web::post().to(|s: web::Data<Stub>| async move {
                    HttpResponse::Ok().json(json!({
                        "access_token": "stub-access", "token_type": "Bearer",
                        "id_token": s.id_token(),
                    }))
                }),
            )
    })
    .workers(1)
    .bind(("127.0.0.1", port))
    .unwrap();
    actix_web::rt::spawn(server.run());
    stub
}

async fn down_with_stub(stub: &Stub) -> TestApp {
    down_with_stub_and(stub, &[]).await
}

async fn down_with_stub_and(stub: &Stub, extra: &[&str]) -> TestApp {
    let down = spawn_app_at_own_address("127.0.0.1", Arc::new(SystemClock)).await;
    down.first_party_spa().await;
    let mut args = vec![
        "upstream",
        "add",
        "--name",
        "stub",
        "--issuer",
        &stub.issuer,
        "--client-id",
        "ours",
        "--client-secret-stdin",
    ];
    args.extend_from_slice(extra);
    down.cli()
        .env("PORTCULLIS_HTTP__ALLOW_PRIVATE_DESTINATIONS", "true")
        .run_with_stdin(&args, "stub secret")
        .ok();
    down
}

/// One sign-in through the stub with `flaw`: our answer to the callback.
async fn attempt(down: &TestApp, stub: &Stub, flaw: Flaw) -> crate::helpers::Page {
    let mut b: Browser<'_> = down.browser();
    let mut login = b.get(&spa_request(&[])).await;
    for _ in 0..100 {
        if login.body.contains(r#"id="upstream-stub""#) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        login = b.get(&spa_request(&[])).await;
    }
    let to_stub = b.get(&login.field_href("upstream-stub")).await;
    let there = url::Url::parse(to_stub.location()).unwrap();
    let q: std::collections::HashMap<String, String> = there.query_pairs().into_owned().collect();
    *stub.next.lock().unwrap() = (q["nonce"].clone(), flaw);
    let state = &q["state"];
    b.get(&format!("/upstream/stub/callback?code=c&state={state}"))
        .await
}

#[actix_web::test]
async fn id_tokens_with_a_wrong_nonce_audience_or_signature_are_refused() {
    let stub = start_stub();
    let down = down_with_stub(&stub).await;
    for flaw in [Flaw::Nonce, Flaw::Audience, Flaw::Signature] {
        let answer = attempt(&down, &stub, flaw).await;
        assert_eq!(answer.status, 400, "{}", answer.body);
        assert!(answer.body.contains("did not complete"), "{}", answer.body);
        assert!(
            answer
                .header("set-cookie")
                .is_none_or(|c| !c.contains("portcullis_session="))
        );
    }
    assert_eq!(down.db.count("users"), 0, "nobody was signed in or created");
    let failures = down
        .cli()
        .run(&["audit", "list", "--event", "login.failed", "--json"])
        .ok();
    assert!(
        failures.stdout.contains("nonce is not the one we sent"),
        "{}",
        failures.stdout
    );
    assert!(
        failures.stdout.contains("aud is not"),
        "{}",
        failures.stdout
    );
    assert!(failures.stdout.contains("signature"), "{}", failures.stdout);

    let good = attempt(&down, &stub, Flaw::None).await;
    assert_eq!(good.status, 303, "{}", good.body);
    assert_eq!(down.db.count("users"), 1);
    let user = portcullis::store::users::find_by_username(&mut down.db.conn(), "stubby")
        .unwrap()
        .expect("the linked user");
    assert!(
        user.email_verified,
        "the upstream says it verified the address"
    );
}

#[actix_web::test]
async fn an_existing_account_is_matched_by_email_only_when_allowed_and_verified_upstream() {
    let stub = start_stub();
    // Not allowed: a new user, and the address stays with the account that has it.
    let down = down_with_stub(&stub).await;
    let existing = down.user("stella").email("stubby@example.com").create();
    assert_eq!(attempt(&down, &stub, Flaw::None).await.status, 303);
    assert_eq!(down.db.count("users"), 2);
    let newcomer = portcullis::store::users::find_by_username(&mut down.db.conn(), "stubby")
        .unwrap()
        .unwrap();
    assert_eq!(newcomer.email, None, "one address, one account");

    // Allowed (--link-by-verified-email) and verified upstream: the existing account.
    let down = down_with_stub_and(&stub, &["--link-by-verified-email"]).await;
    let existing2 = down.user("stella").email("stubby@example.com").create();
    assert_eq!(attempt(&down, &stub, Flaw::None).await.status, 303);
    assert_eq!(down.db.count("users"), 1);
    let shown = down.cli().run(&["user", "show", "stella"]).ok().stdout;
    assert!(
        shown.contains("linked:         stub (sub stub-user-1"),
        "{shown}"
    );
    assert_ne!(existing.id, existing2.id);

    // Allowed, but the upstream did not verify the address: a new user again.
    let down = down_with_stub_and(&stub, &["--link-by-verified-email"]).await;
    down.user("stella").email("stubby@example.com").create();
    assert_eq!(attempt(&down, &stub, Flaw::Unverified).await.status, 303);
    assert_eq!(down.db.count("users"), 2);
}
