//! People's sessions: password sign-in (throttled, argon2id off the executor), the second
//! factor and step-up, SSO sessions, RP-initiated logout rules and back-channel logout
//! deliveries.

pub mod account;
pub mod backchannel;
pub mod directory;
pub mod email;
pub mod factor_brakes;
pub mod federated;
pub mod login;
pub mod logout;
pub mod mailed_link;
pub mod passkeys;
pub mod recovery;
pub mod second_factor;
pub mod signup;
pub mod sso;
pub mod throttle;
