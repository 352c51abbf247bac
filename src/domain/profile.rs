//! Security profiles a client can be registered under: a name for a set of rules that the
//! authorization and token endpoints enforce together.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ClientProfile {
    /// FAPI 2.0 Security Profile (final), authorization-server requirements (§5.3.2):
    /// pushed authorization requests only, PKCE S256, `private_key_jwt`, DPoP-bound
    /// tokens, PS256/ES256/EdDSA signatures, codes of at most 60 s.
    #[serde(rename = "fapi2")]
    Fapi2,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown client profile `{0}` (expected fapi2)")]
pub struct UnknownProfile(pub String);

impl ClientProfile {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientProfile::Fapi2 => "fapi2",
        }
    }
}

impl FromStr for ClientProfile {
    type Err = UnknownProfile;
    fn from_str(s: &str) -> Result<Self, UnknownProfile> {
        match s {
            "fapi2" => Ok(ClientProfile::Fapi2),
            other => Err(UnknownProfile(other.to_string())),
        }
    }
}

impl fmt::Display for ClientProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
