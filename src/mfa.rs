//! Multi-factor sign-in: the rules of each factor (authenticator codes, recovery codes)
//! and the levels (`acr`) and method references (`amr`) they add up to. Plain functions;
//! storage is in `store::mfa`, pages in `http::account` and `http::second_factor`.

pub mod level;
pub mod recovery;
pub mod totp;
