//! Distributed tracing (issue 13): a caller's W3C `traceparent` is joined, its trace id is
//! in the request's log lines and audit rows, it travels on our outgoing requests, and the
//! spans are exported over OTLP/HTTP to a collector started here.

use std::collections::HashMap;

use josekit::jws::{JwsHeader, RS256};
use josekit::jwt::JwtPayload;
use serde_json::{Value, json};

use crate::helpers::stubs::{OtlpReceiver, recording_jwks_server};
use crate::helpers::{
    BackchannelReceiver, SPA_CB, ServerProcess, TestDb, sign_in_public, spa_request, spawn_app,
    spawn_flow_app, wait_until,
};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";
const TRACESTATE: &str = "congo=t61rcWkgMzE";
const ISSUER: &str = "http://127.0.0.1:8080";

fn traceparent(trace: &str) -> String {
    format!("00-{trace}-{CALLER_SPAN}-01")
}

/// A `private_key_jwt` client whose keys are at a `jwks_uri`, and an assertion it signs.
struct KeyClient {
    signer: josekit::jws::alg::rsassa::RsassaJwsSigner,
    jwks: String,
}

impl KeyClient {
    fn new() -> Self {
        let pair = RS256.generate_key_pair(2048).unwrap();
        let mut public = pair.to_jwk_public_key();
        public.set_key_id("k1");
        public.set_algorithm("RS256");
        let mut signer = RS256.signer_from_der(pair.to_der_private_key()).unwrap();
        signer.set_key_id("k1");
        Self {
            signer,
            jwks: json!({ "keys": [public] }).to_string(),
        }
    }

    fn assertion(&self, client_id: &str) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let claims = json!({
            "iss": client_id, "sub": client_id, "aud": ISSUER,
            "jti": format!("j-{now}-{}", rand_suffix()), "iat": now, "exp": now + 60,
        });
        let payload = JwtPayload::from_map(claims.as_object().unwrap().clone()).unwrap();
        josekit::jwt::encode_with_signer(&payload, &JwsHeader::new(), &self.signer).unwrap()
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
}

/// The spans of `trace` once `pred` holds for them.
async fn spans_of(otlp: &OtlpReceiver, trace: &str, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    wait_until("the trace's spans reach the collector", || async {
        let spans = otlp.trace(trace);
        pred(&spans).then_some(spans)
    })
    .await
}

fn named<'a>(spans: &'a [Value], name: &str) -> Vec<&'a Value> {
    spans.iter().filter(|s| s["name"] == name).collect()
}

/// Whether `span` descends from the span `ancestor` (by `parentSpanId` links).
fn descends_from(spans: &[Value], span: &Value, ancestor: &str) -> bool {
    let by_id: HashMap<&str, &Value> = spans
        .iter()
        .map(|s| (s["spanId"].as_str().unwrap(), s))
        .collect();
    let mut at = span;
    for _ in 0..16 {
        match at["parentSpanId"].as_str() {
            Some(p) if p == ancestor => return true,
            Some(p) => match by_id.get(p) {
                Some(parent) => at = parent,
                None => return false,
            },
            None => return false,
        }
    }
    false
}

#[actix_web::test]
async fn a_token_request_is_exported_as_one_trace_under_the_callers_trace_id() {
    let otlp = OtlpReceiver::start();
    let key = KeyClient::new();
    let jwks = recording_jwks_server(key.jwks.clone());
    let db = TestDb::sqlite();
    db.cli()
        .client("svc")
        .name("Service")
        .grant("client_credentials")
        .audience("https://api.example")
        .auth_method("private_key_jwt")
        .jwks_uri(&jwks.url)
        .create()
        .await;
    let server = ServerProcess::start(
        db.cli()
            .env("PORTCULLIS_ISSUER", ISSUER)
            .env("PORTCULLIS_TRACING__OTLP_ENDPOINT", &otlp.endpoint),
        &["serve"],
    );

    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair(
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        )
        .append_pair("client_assertion", &key.assertion("svc"))
        .finish();
    let res = awc::Client::default()
        .post(server.url("/token"))
        .insert_header(("traceparent", traceparent(TRACE)))
        .insert_header(("tracestate", TRACESTATE))
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .send_body(form)
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);

    let spans = spans_of(&otlp, TRACE, |s| {
        ["POST /token", "store", "sign", "http.client"]
            .iter()
            .all(|n| !named(s, n).is_empty())
    })
    .await;
    let request = named(&spans, "POST /token")[0];
    assert_eq!(request["kind"], 2, "a server span");
    assert_eq!(
        request["parentSpanId"], CALLER_SPAN,
        "the caller's span is its parent"
    );
    assert_eq!(request["traceState"], TRACESTATE);
    assert_eq!(
        request["resource"]["attributes"][0]["value"]["stringValue"],
        "portcullis"
    );
    let request_id = request["spanId"].as_str().unwrap();
    for name in ["store", "sign", "http.client"] {
        for span in named(&spans, name) {
            assert!(
                descends_from(&spans, span, request_id),
                "{name} is inside the request: {spans:#?}"
            );
        }
    }
    let sign = named(&spans, "sign")[0];
    assert!(
        sign["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["key"] == "jwt.typ" && a["value"]["stringValue"] == "at+jwt")
    );

    // The key fetch carried the trace to the client's key server, tracestate unchanged.
    let fetch = named(&spans, "http.client")[0];
    let (sent_parent, sent_state) = jwks.fetches.lock().unwrap()[0].clone();
    assert_eq!(
        sent_parent.as_deref(),
        Some(format!("00-{TRACE}-{}-01", fetch["spanId"].as_str().unwrap()).as_str())
    );
    assert_eq!(sent_state.as_deref(), Some(TRACESTATE));

    // The request's log line names the trace.
    let logs = server.stop().stderr;
    let line = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["message"] == "request completed" && l.to_string().contains("/token"))
        .unwrap_or_else(|| panic!("no request line:\n{logs}"));
    assert_eq!(line["trace_id"], TRACE, "{line}");
}

#[actix_web::test]
async fn audit_rows_carry_the_trace_id_of_the_request_that_wrote_them() {
    let app = spawn_app().await;
    app.client("svc")
        .confidential()
        .grant("client_credentials")
        .audience("https://api.example")
        .create()
        .await;
    let trace = "0af7651916cd43dd8448eb211c80319c";
    let res = app
        .http
        .post(app.url("/token"))
        .insert_header(("traceparent", traceparent(trace)))
        .basic_auth("svc", "not the secret")
        .send_form(&[("grant_type", "client_credentials")])
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let out = app
        .cli()
        .run_line("audit list --json --event token.client_auth_failed")
        .ok();
    let entry: Value = serde_json::from_str(out.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(entry["trace_id"], trace, "{entry}");
    let table = app.cli().run_line("audit list --limit 1").ok();
    assert!(table.stdout.contains(trace), "{}", table.stdout);

    // Without a traceparent, a new trace is started: still an id, another one. (A failed
    // sign-in: failed client authentications from one source are summarised per window,
    // whatever client id they name.)
    app.first_party_spa().await;
    let mut b = app.browser();
    let page = b.get(&crate::helpers::spa_request(&[])).await;
    b.login(&page, "nobody", "wrong").await;
    let out = app
        .cli()
        .run_line("audit list --json --event login.failed --limit 1")
        .ok();
    let entry: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    let new = entry["trace_id"].as_str().unwrap();
    assert_eq!(new.len(), 32);
    assert_ne!(new, trace);
}

#[actix_web::test]
async fn a_back_channel_logout_continues_the_trace_of_the_logout_that_queued_it() {
    let s = spawn_flow_app().await;
    let app = &s.app;
    let rp = BackchannelReceiver::start().await;
    app.client("rp")
        .name("Relying Party")
        .public()
        .grant("authorization_code")
        .redirect_uri(SPA_CB)
        .backchannel_logout_uri(&rp.url)
        .create()
        .await;
    let mut browser = app.browser();
    let request = spa_request(&[]).replace("client_id=spa", "client_id=rp");
    let tokens = sign_in_public(&mut browser, app, &request, "rp", SPA_CB).await;
    let trace = "5ad7651916cd43dd8448eb211c80319d";
    browser
        .headers
        .push(("traceparent".into(), traceparent(trace)));
    let page = browser
        .logout(&[("id_token_hint", tokens.id_token.as_str())])
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    rp.nth(0).await;
    let sent = rp.traceparents.lock().unwrap()[0].clone().unwrap();
    assert!(
        sent.starts_with(&format!("00-{trace}-")) && sent.ends_with("-01"),
        "{sent}"
    );
    assert!(
        !sent.contains(CALLER_SPAN),
        "our own span is the parent: {sent}"
    );
}
