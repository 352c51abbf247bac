//! Settings of multi-factor sign-in.

use serde::Deserialize;

/// When a second factor is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MfaPolicy {
    /// Users who enrolled a second factor are asked for it at every sign-in; others sign
    /// in with their password.
    #[default]
    Optional,
    /// Every user needs a second factor: one without is asked to enrol at their next
    /// sign-in, before going on to the client.
    Required,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MfaSettings {
    pub policy: MfaPolicy,
}
