use std::sync::Arc;

use portcullis::clock::SystemClock;

use crate::helpers::{TestApp, TestDb, spawn_app, spawn_app_with};

const DOCUMENTS: [&str; 3] = [
    "/.well-known/jwks.json",
    "/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
];

async fn https_issuer_app() -> TestApp {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.issuer = "https://id.example.test".into();
    spawn_app_with(db, settings, Arc::new(SystemClock)).await
}

fn header<B>(res: &awc::ClientResponse<B>, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}

#[actix_web::test]
async fn both_metadata_documents_describe_this_issuer_byte_for_byte() {
    let app = https_issuer_app().await;
    for path in &DOCUMENTS[1..] {
        let res = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(header(&res, "content-type").unwrap(), "application/json");
        let doc = app.get_json(path).await;
        assert_eq!(doc["issuer"], "https://id.example.test");
        assert_eq!(
            doc["jwks_uri"],
            "https://id.example.test/.well-known/jwks.json"
        );
        let obj = doc.as_object().unwrap();
        // Checklist §2: every endpoint and URI is https under the issuer, and we serve it.
        for (name, value) in obj {
            if name.ends_with("_endpoint") || name.ends_with("_uri") {
                let url = value.as_str().unwrap();
                let path = url
                    .strip_prefix("https://id.example.test")
                    .unwrap_or_else(|| panic!("{name} = {url} is not under the https issuer"));
                // Status only: the stream endpoint never ends its body.
                let res = app.http.get(app.url(path)).send().await.unwrap();
                assert_ne!(
                    res.status().as_u16(),
                    404,
                    "{name} is advertised but not served"
                );
            }
        }
        // Checklist §2, for everything that is built.
        assert_eq!(
            doc["authorization_endpoint"],
            "https://id.example.test/authorize"
        );
        assert_eq!(doc["token_endpoint"], "https://id.example.test/token");
        assert_eq!(doc["userinfo_endpoint"], "https://id.example.test/userinfo");
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
            assert!(portcullis::domain::scope::is_scope_token(
                scope.as_str().unwrap()
            ));
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
        assert!(has(
            "token_endpoint_auth_signing_alg_values_supported",
            "RS256"
        ));
        assert!(!has(
            "token_endpoint_auth_signing_alg_values_supported",
            "none"
        ));
        assert!(doc["claims_supported"].is_array());
        assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
        for present in [
            "end_session_endpoint",
            "revocation_endpoint",
            "introspection_endpoint",
        ] {
            assert!(obj.contains_key(present), "{present}");
        }
        assert!(!has(
            "introspection_endpoint_auth_methods_supported",
            "none"
        ));
        assert!(has("revocation_endpoint_auth_methods_supported", "none"));
        assert_eq!(doc["backchannel_logout_supported"], true);
        assert_eq!(doc["backchannel_logout_session_supported"], true);
        assert!(doc["portcullis_revocation_feed_endpoint"].is_string());
        // Not built, so not advertised.
        for absent in [
            "registration_endpoint",
            "frontchannel_logout_supported",
            "check_session_iframe",
        ] {
            assert!(
                !obj.contains_key(absent),
                "{absent} advertised before it exists"
            );
        }
    }
}

#[actix_web::test]
async fn public_documents_are_cacheable_with_etags_and_cors() {
    let app = spawn_app().await;
    let max_age = app.state.settings.keys.jwks_max_age_secs;
    assert!(
        max_age + app.state.settings.keys.refresh_interval_secs as i64
            <= app.state.settings.keys.prepublish_secs,
        "a cached JWKS always holds the key that will sign next"
    );
    for path in DOCUMENTS {
        let mut res = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200, "{path}");
        let body = res.body().await.unwrap();
        assert!(!body.is_empty());
        assert_eq!(
            header(&res, "cache-control").unwrap(),
            format!("public, max-age={max_age}")
        );
        assert_eq!(header(&res, "access-control-allow-origin").unwrap(), "*");
        let etag = header(&res, "etag").unwrap();
        assert!(
            etag.starts_with('"') && etag.ends_with('"'),
            "strong ETag: {etag}"
        );

        for matching in [
            etag.clone(),
            format!("W/{etag}"),
            format!("\"other\", {etag}"),
            "*".into(),
        ] {
            let mut res = app
                .http
                .get(app.url(path))
                .insert_header(("If-None-Match", matching.as_str()))
                .send()
                .await
                .unwrap();
            assert_eq!(
                res.status().as_u16(),
                304,
                "{path} If-None-Match: {matching}"
            );
            assert!(res.body().await.unwrap().is_empty());
            assert_eq!(header(&res, "etag").unwrap(), etag);
            assert!(header(&res, "cache-control").is_some());
        }
        let res = app
            .http
            .get(app.url(path))
            .insert_header(("If-None-Match", "\"stale\""))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);

        let mut res = app.http.head(app.url(path)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200, "HEAD {path}");
        assert!(res.body().await.unwrap().is_empty());

        let res = app
            .http
            .request(actix_web::http::Method::OPTIONS, app.url(path))
            .insert_header(("Origin", "https://spa.example"))
            .insert_header(("Access-Control-Request-Method", "GET"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 204);
        assert_eq!(header(&res, "access-control-allow-origin").unwrap(), "*");
    }
}

#[actix_web::test]
async fn the_jwks_etag_changes_when_the_keys_do() {
    let app = spawn_app().await;
    let etag = |res: &awc::ClientResponse<_>| header(res, "etag").unwrap();
    let first = etag(&app.http.get(app.url(DOCUMENTS[0])).send().await.unwrap());
    let again = etag(&app.http.get(app.url(DOCUMENTS[0])).send().await.unwrap());
    assert_eq!(first, again);

    app.db
        .cli()
        .env(
            "PORTCULLIS_KEYS__DIRECTORY",
            app.db.dir.path().join("keys").to_str().unwrap(),
        )
        .run(&["keys", "rotate"])
        .ok();
    app.state.keys.refresh().await.unwrap();
    let after = etag(&app.http.get(app.url(DOCUMENTS[0])).send().await.unwrap());
    assert_ne!(first, after);
}
