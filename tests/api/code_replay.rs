//! Code replay under concurrency (hardening finding 6).

use crate::helpers::{redeem_spa, sign_in_and_consent, spa_request, spawn_flow_app};

/// Hardening finding 6: however parallel redemptions of one code interleave, at most one
/// gets tokens, and those end up revoked by the replays (the redemption is recorded in the
/// transaction that consumes the code). A first redemption overtaken by a replay while it
/// issues answers `invalid_grant` itself rather than hand out revoked tokens.
#[actix_web::test]
async fn parallel_redemptions_of_one_code_leave_no_token_of_it_active() {
    let s = spawn_flow_app().await;
    let app = &s.app;
    let mut b = app.browser();
    for trial in 0..5 {
        let code = sign_in_and_consent(&mut b, &spa_request(&[])).await["code"].clone();
        let (r1, r2, r3, r4) = tokio::join!(
            redeem_spa(app, &code),
            redeem_spa(app, &code),
            redeem_spa(app, &code),
            redeem_spa(app, &code)
        );
        let answers = [r1, r2, r3, r4];
        let winners: Vec<_> = answers.iter().filter(|r| r.status == 200).collect();
        assert!(winners.len() <= 1, "trial {trial}: one redemption at most");
        for loser in answers.iter().filter(|r| r.status != 200) {
            assert_eq!(loser.body["error"], "invalid_grant", "trial {trial}");
        }
        for winner in winners {
            let access = winner.body["access_token"].as_str().unwrap();
            assert_eq!(
                app.userinfo(access).await.status,
                401,
                "trial {trial}: the winner's access token is revoked by the replays"
            );
        }
    }
}
