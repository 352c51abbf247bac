//! The HTTP layer: thin actix-web handlers (parse, call a rule, map the decision to a
//! response), middleware, cookies, pages, routes, and the one error-to-response mapping.

pub mod account;
pub mod admin_api;
pub mod admin_console;
pub mod authorize;
pub mod body;
pub mod cacheable;
pub mod client_ip;
pub mod cookies;
pub mod csrf;
pub mod device;
pub mod discovery;
pub mod dpop;
pub mod error;
pub mod feed;
pub mod forward_auth;
pub mod headers;
pub mod health;
pub mod introspect;
pub mod jwks;
pub mod logout;
pub mod metrics;
pub mod pages;
pub mod par;
pub mod params;
pub mod passkey_sign_in;
pub mod password;
pub mod register;
pub mod request_id;
pub mod revoke;
pub mod routes;
pub mod second_factor;
pub mod signin;
pub mod status_list;
pub mod token;
pub mod userinfo;
