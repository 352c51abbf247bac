#![doc = include_str!("../README.md")]

mod error;
mod extract;
mod feed;
mod keys;
mod verify;

pub use error::GuardError;
pub use extract::{
    Acr, Authenticated, Name, PhishingResistant, RequireAcr, RequireRole, RequireScope, TwoFactors,
};
pub use verify::{Claims, Guard, GuardConfig};
