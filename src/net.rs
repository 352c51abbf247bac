//! Outgoing HTTP under one policy (DESIGN.md decision 16): every fetch and delivery
//! Portcullis makes on its own (client `jwks_uri`, back-channel logout; later federation)
//! goes through [`client::Outbound`] (destination rules in `domain::destination`), because the URLs come from client registrations and
//! are attacker input (SSRF).

pub mod client;
