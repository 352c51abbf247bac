//! SSO behaviour: prompt, max_age, id_token_hint, consent memory, form_post, sign-in
//! failures, CSRF and page headers.

use crate::authorize_flow::{PASSWORD_FOR_TESTS as _, challenge, decode, query, setup, sign_in_and_consent, spa_request, VERIFIER};
use crate::browser::Browser;
