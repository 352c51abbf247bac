//! RFC 9470 checks of `Claims::require_authentication` and their challenge.

use super::*;
use actix_web::ResponseError;

fn claims(acr: Option<&str>, auth_time: Option<i64>) -> Claims {
    let mut all = Map::new();
    if let Some(a) = acr {
        all.insert("acr".into(), Value::from(a));
    }
    if let Some(t) = auth_time {
        all.insert("auth_time".into(), Value::from(t));
    }
    Claims {
        sub: "u".into(),
        client_id: None,
        scope: vec![],
        roles: vec![],
        jti: None,
        sid: None,
        all,
    }
}

#[test]
fn a_higher_or_equal_level_passes_and_a_lower_one_gets_the_rfc_9470_challenge() {
    let now = 10_000;
    assert!(
        claims(Some("2"), Some(now))
            .require_authentication(Some("2"), None, now)
            .is_ok()
    );
    assert!(
        claims(Some("3"), Some(now))
            .require_authentication(Some("2"), None, now)
            .is_ok()
    );
    let err = claims(Some("1"), Some(now))
        .require_authentication(Some("2"), Some(300), now)
        .unwrap_err();
    assert_eq!(err.status_code(), actix_web::http::StatusCode::UNAUTHORIZED);
    let res = err.error_response();
    let challenge = res
        .headers()
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(challenge.starts_with("Bearer error=\"insufficient_user_authentication\""));
    assert!(challenge.contains("acr_values=\"2\""), "{challenge}");
    assert!(challenge.contains("max_age=300"), "{challenge}");
}

#[test]
fn max_age_bounds_the_sign_in_and_machines_meet_no_user_requirement() {
    let now = 10_000;
    let c = claims(Some("2"), Some(now - 301));
    assert!(c.require_authentication(None, Some(300), now).is_err());
    assert!(c.require_authentication(None, Some(301), now).is_ok());
    assert!(
        claims(None, None)
            .require_authentication(Some("1"), None, now)
            .is_err()
    );
    assert!(
        claims(None, None)
            .require_authentication(None, Some(60), now)
            .is_err()
    );
    assert!(
        claims(Some("3"), Some(now))
            .require_authentication(Some("gold"), None, now)
            .is_err()
    );
}
