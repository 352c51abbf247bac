//! Discovery (both metadata documents) and the JWKS: what they advertise, and how they are
//! cached.

use std::sync::Arc;

use portcullis::clock::SystemClock;
use serde_json::Value;

use crate::helpers::app::{AUTHORIZATION_SERVER_METADATA, JWKS, OPENID_CONFIGURATION};
use crate::helpers::internals::is_scope_token;
use crate::helpers::{TestApp, TestDb, spawn_app, spawn_app_with};

const DOCUMENTS: [&str; 3] = [JWKS, OPENID_CONFIGURATION, AUTHORIZATION_SERVER_METADATA];
const ISSUER: &str = "https://id.example.test";

async fn https_issuer_app() -> TestApp {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.issuer = ISSUER.into();
    spawn_app_with(db, settings, Arc::new(SystemClock)).await
}

/// Both metadata documents, each checked to be served as JSON.
async fn metadata(app: &TestApp) -> [Value; 2] {
    let mut docs = [
        app.openid_configuration().await,
        app.authorization_server_metadata().await,
    ];
    for res in &docs {
        assert_eq!(res.status, 200);
        assert_eq!(res.header("content-type"), Some("application/json"));
    }
    docs.each_mut().map(|res| std::mem::take(&mut res.body))
}

#[actix_web::test]
async fn both_metadata_documents_name_this_issuer_and_its_jwks() {
    let app = https_issuer_app().await;
    for doc in metadata(&app).await {
        assert_eq!(doc["issuer"], ISSUER);
        assert_eq!(doc["jwks_uri"], format!("{ISSUER}/.well-known/jwks.json"));
        assert_eq!(doc["authorization_endpoint"], format!("{ISSUER}/authorize"));
        assert_eq!(doc["token_endpoint"], format!("{ISSUER}/token"));
        assert_eq!(doc["userinfo_endpoint"], format!("{ISSUER}/userinfo"));
    }
}

#[actix_web::test]
async fn every_advertised_endpoint_is_https_under_the_issuer_and_served() {
    let app = https_issuer_app().await;
    for doc in metadata(&app).await {
        // Checklist §2.
        for (name, value) in doc.as_object().unwrap() {
            if name.ends_with("_endpoint") || name.ends_with("_uri") {
                let url = value.as_str().unwrap();
                let path = url
                    .strip_prefix(ISSUER)
                    .unwrap_or_else(|| panic!("{name} = {url} is not under the https issuer"));
                assert_ne!(
                    app.status_of(path).await,
                    404,
                    "{name} is advertised but not served"
                );
            }
        }
    }
}

#[actix_web::test]
async fn the_metadata_advertises_what_is_built() {
    let app = https_issuer_app().await;
    for doc in metadata(&app).await {
        let has = |field: &str, value: &str| {
            doc[field]
                .as_array()
                .unwrap_or_else(|| panic!("{field} is an array"))
                .iter()
                .any(|v| v == value)
        };
        assert!(has("response_types_supported", "code"));
        assert!(has("subject_types_supported", "public"));
        assert!(has("id_token_signing_alg_values_supported", "RS256"));
        for scope in [
            "openid",
            "profile",
            "email",
            "address",
            "phone",
            "offline_access",
        ] {
            assert!(has("scopes_supported", scope), "{scope}");
        }
        for scope in doc["scopes_supported"].as_array().unwrap() {
            assert!(is_scope_token(scope.as_str().unwrap()));
        }
        assert!(has("code_challenge_methods_supported", "S256"));
        assert!(!has("code_challenge_methods_supported", "plain"));
        for m in [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ] {
            assert!(has("token_endpoint_auth_methods_supported", m), "{m}");
        }
        for g in ["authorization_code", "refresh_token", "client_credentials"] {
            assert!(has("grant_types_supported", g), "{g}");
        }
        assert!(has("response_modes_supported", "form_post"));
        let alg = "token_endpoint_auth_signing_alg_values_supported";
        assert!(has(alg, "RS256"));
        assert!(!has(alg, "none"));
        assert!(doc["claims_supported"].is_array());
        assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
        for present in [
            "end_session_endpoint",
            "revocation_endpoint",
            "introspection_endpoint",
        ] {
            assert!(doc.get(present).is_some(), "{present}");
        }
        assert!(!has(
            "introspection_endpoint_auth_methods_supported",
            "none"
        ));
        assert!(has("revocation_endpoint_auth_methods_supported", "none"));
        assert_eq!(doc["backchannel_logout_supported"], true);
        assert_eq!(doc["backchannel_logout_session_supported"], true);
        assert!(doc["portcullis_revocation_feed_endpoint"].is_string());
    }
}

#[actix_web::test]
async fn the_metadata_does_not_advertise_what_is_not_built() {
    let app = https_issuer_app().await;
    for doc in metadata(&app).await {
        for absent in [
            "registration_endpoint",
            "frontchannel_logout_supported",
            "check_session_iframe",
        ] {
            assert!(
                doc.get(absent).is_none(),
                "{absent} advertised before it exists"
            );
        }
    }
}

#[actix_web::test]
async fn a_cached_jwks_always_holds_the_key_that_signs_next() {
    let app = spawn_app().await;
    let keys = &app.state.settings.keys;
    assert!(
        keys.jwks_max_age_secs + keys.refresh_interval_secs as i64 <= keys.prepublish_secs,
        "a cached JWKS always holds the key that will sign next"
    );
}

#[actix_web::test]
async fn public_documents_are_cacheable_with_strong_etags_and_cors() {
    let app = spawn_app().await;
    let max_age = app.state.settings.keys.jwks_max_age_secs;
    for path in DOCUMENTS {
        let res = app.get(path).await;
        assert_eq!(res.status, 200, "{path}");
        assert!(!res.bytes.is_empty());
        assert_eq!(
            res.header("cache-control").unwrap(),
            format!("public, max-age={max_age}")
        );
        assert_eq!(res.header("access-control-allow-origin"), Some("*"));
        let etag = res.header("etag").unwrap();
        assert!(
            etag.starts_with('"') && etag.ends_with('"'),
            "strong ETag: {etag}"
        );
    }
}

#[actix_web::test]
async fn public_documents_answer_304_to_a_matching_etag_only() {
    let app = spawn_app().await;
    for path in DOCUMENTS {
        let etag = app.get(path).await.header("etag").unwrap().to_string();
        for matching in [
            etag.clone(),
            format!("W/{etag}"),
            format!("\"other\", {etag}"),
            "*".into(),
        ] {
            let res = app
                .get_with(path, &[("If-None-Match", matching.as_str())])
                .await;
            assert_eq!(res.status, 304, "{path} If-None-Match: {matching}");
            assert!(res.bytes.is_empty());
            assert_eq!(res.header("etag"), Some(etag.as_str()));
            assert!(res.header("cache-control").is_some());
        }
        let res = app.get_with(path, &[("If-None-Match", "\"stale\"")]).await;
        assert_eq!(res.status, 200);
    }
}

#[actix_web::test]
async fn public_documents_answer_head_and_cors_preflights() {
    let app = spawn_app().await;
    for path in DOCUMENTS {
        let res = app.head(path).await;
        assert_eq!(res.status, 200, "HEAD {path}");
        assert!(res.bytes.is_empty());
        let res = app.preflight(path, "GET").await;
        assert_eq!(res.status, 204);
        assert_eq!(res.header("access-control-allow-origin"), Some("*"));
    }
}

#[actix_web::test]
async fn the_jwks_etag_changes_when_the_keys_do() {
    let app = spawn_app().await;
    let etag = |res: crate::helpers::Response| res.header("etag").unwrap().to_string();
    let first = etag(app.jwks().await);
    let again = etag(app.jwks().await);
    assert_eq!(first, again);
    app.cli().rotate_keys();
    app.state.keys.refresh().await.unwrap();
    let after = etag(app.jwks().await);
    assert_ne!(first, after);
}

/// Hardening finding 13: HSTS under an https issuer only (RFC 6797).
#[actix_web::test]
async fn an_https_issuer_sends_hsts_and_a_loopback_http_one_does_not() {
    let https = https_issuer_app().await;
    let res = https.get(JWKS).await;
    assert_eq!(
        res.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    let http = spawn_app().await;
    assert!(
        http.get(JWKS)
            .await
            .header("strict-transport-security")
            .is_none()
    );
}
