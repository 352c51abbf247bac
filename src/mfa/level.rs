//! Authentication levels (`acr`) and methods (`amr`, RFC 8176) from the factors a sign-in
//! used. Levels, as advertised in `acr_values_supported`:
//! - `1`: a password (or another single factor);
//! - `2`: two factors (password and an authenticator code, a recovery code or a passkey
//!   without user verification);
//! - `3`: phishing-resistant — a passkey with user verification, alone or as the second
//!   factor (WebAuthn binds the signature to our origin, and user verification makes the
//!   passkey two factors by itself).

use serde::{Deserialize, Serialize};

/// The `acr` values Portcullis issues and understands, lowest first.
pub const ACR_VALUES: [&str; 3] = ["1", "2", "3"];

/// One factor a sign-in used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    Password,
    /// An authenticator app's code (RFC 6238).
    Totp,
    /// A recovery code: a one-time password written down in advance.
    RecoveryCode,
    /// A WebAuthn credential: whether the authenticator verified the user (PIN,
    /// biometrics) and whether the key may be synced to other devices (backup eligible).
    Passkey {
        user_verified: bool,
        synced: bool,
    },
    /// An upstream OpenID provider authenticated the person (`amr` `fed`); `mfa` when it
    /// says it used more than one factor (its `amr` has `mfa`).
    Federated {
        mfa: bool,
    },
}

/// An assurance level, `1`–`3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Level(u8);

impl Level {
    pub const PASSWORD: Level = Level(1);
    pub const TWO_FACTORS: Level = Level(2);
    pub const PHISHING_RESISTANT: Level = Level(3);

    /// The level an `acr` value names; `None` for values we do not define (RFC 9470 and
    /// OIDC Core treat unknown `acr_values` as not satisfiable by us, so they are ignored
    /// when others are requested).
    pub fn parse(acr: &str) -> Option<Level> {
        match acr {
            "1" => Some(Self::PASSWORD),
            "2" => Some(Self::TWO_FACTORS),
            "3" => Some(Self::PHISHING_RESISTANT),
            _ => None,
        }
    }

    pub fn as_acr(self) -> &'static str {
        ACR_VALUES[usize::from(self.0.clamp(1, 3) - 1)]
    }

    /// The level a stored `acr` stands for (sessions from before levels existed: `1`).
    pub fn of_stored(acr: Option<&str>) -> Level {
        acr.and_then(Level::parse).unwrap_or(Self::PASSWORD)
    }
}

/// The lowest of the requested levels we define: any requested value satisfies the
/// request (OIDC Core §3.1.2.1, `acr_values` in order of preference), so the weakest one
/// is what must be reached. `None` when nothing we define is requested.
pub fn requested(acr_values: &str) -> Option<Level> {
    acr_values
        .split_ascii_whitespace()
        .filter_map(Level::parse)
        .min()
}

fn independent_factors(factors: &[Factor]) -> usize {
    let mut kinds = [false; 3]; // knowledge, possession, inherence/PIN on the device
    for f in factors {
        match f {
            Factor::Password => kinds[0] = true,
            Factor::Totp | Factor::RecoveryCode => kinds[1] = true,
            Factor::Passkey { user_verified, .. } => {
                kinds[1] = true;
                kinds[2] |= *user_verified;
            }
            Factor::Federated { mfa } => {
                kinds[0] = true;
                kinds[1] |= *mfa;
            }
        }
    }
    kinds.iter().filter(|k| **k).count()
}

/// The level these factors reach together.
pub fn level(factors: &[Factor]) -> Level {
    let phishing_resistant = factors.iter().any(|f| {
        matches!(
            f,
            Factor::Passkey {
                user_verified: true,
                ..
            }
        )
    });
    if phishing_resistant {
        Level::PHISHING_RESISTANT
    } else if independent_factors(factors) >= 2 {
        Level::TWO_FACTORS
    } else {
        Level::PASSWORD
    }
}

/// RFC 8176 method references, in a stable order.
pub fn amr(factors: &[Factor]) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut push = |v: &'static str| {
        if !out.contains(&v) {
            out.push(v);
        }
    };
    for f in factors {
        match f {
            Factor::Password => push("pwd"),
            Factor::Totp | Factor::RecoveryCode => push("otp"),
            Factor::Passkey {
                user_verified,
                synced,
            } => {
                push(if *synced { "swk" } else { "hwk" });
                if *user_verified {
                    push("user");
                }
            }
            Factor::Federated { .. } => push("fed"),
        }
    }
    if independent_factors(factors) >= 2 {
        push("mfa");
    }
    out
}

/// The highest level a user can reach with what they have enrolled.
pub fn reachable(has_totp: bool, has_recovery: bool, passkeys: &[bool]) -> Level {
    if passkeys.iter().any(|uv| *uv) {
        Level::PHISHING_RESISTANT
    } else if has_totp || has_recovery || !passkeys.is_empty() {
        Level::TWO_FACTORS
    } else {
        Level::PASSWORD
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UV: Factor = Factor::Passkey {
        user_verified: true,
        synced: false,
    };

    #[test]
    fn a_password_alone_is_level_one_with_pwd() {
        assert_eq!(level(&[Factor::Password]), Level::PASSWORD);
        assert_eq!(amr(&[Factor::Password]), ["pwd"]);
    }

    #[test]
    fn a_password_and_a_code_are_two_factors() {
        let f = [Factor::Password, Factor::Totp];
        assert_eq!(level(&f).as_acr(), "2");
        assert_eq!(amr(&f), ["pwd", "otp", "mfa"]);
        assert_eq!(
            level(&[Factor::Password, Factor::RecoveryCode]).as_acr(),
            "2"
        );
    }

    #[test]
    fn a_user_verified_passkey_is_phishing_resistant_alone_or_as_second_factor() {
        assert_eq!(level(&[UV]).as_acr(), "3");
        assert_eq!(amr(&[UV]), ["hwk", "user", "mfa"]);
        assert_eq!(level(&[Factor::Password, UV]).as_acr(), "3");
        let synced = Factor::Passkey {
            user_verified: true,
            synced: true,
        };
        assert_eq!(amr(&[synced]), ["swk", "user", "mfa"]);
    }

    #[test]
    fn a_passkey_without_user_verification_is_one_factor_alone_and_two_with_the_password() {
        let key = Factor::Passkey {
            user_verified: false,
            synced: false,
        };
        assert_eq!(level(&[key]).as_acr(), "1");
        assert_eq!(level(&[Factor::Password, key]).as_acr(), "2");
        assert_eq!(amr(&[Factor::Password, key]), ["pwd", "hwk", "mfa"]);
    }

    #[test]
    fn the_weakest_requested_level_we_define_is_what_must_be_reached() {
        assert_eq!(requested("3 2"), Some(Level::TWO_FACTORS));
        assert_eq!(requested("urn:other 3"), Some(Level::PHISHING_RESISTANT));
        assert_eq!(requested("urn:other"), None);
        assert_eq!(requested(""), None);
    }

    #[test]
    fn what_a_user_can_reach_follows_their_enrolled_factors() {
        assert_eq!(reachable(false, false, &[]), Level::PASSWORD);
        assert_eq!(reachable(true, false, &[]), Level::TWO_FACTORS);
        assert_eq!(reachable(false, true, &[false]), Level::TWO_FACTORS);
        assert_eq!(reachable(false, false, &[true]), Level::PHISHING_RESISTANT);
    }

    #[test]
    fn stored_levels_read_back_and_unknown_ones_count_as_a_password() {
        assert_eq!(Level::of_stored(Some("3")), Level::PHISHING_RESISTANT);
        assert_eq!(Level::of_stored(None), Level::PASSWORD);
        assert_eq!(Level::of_stored(Some("gold")), Level::PASSWORD);
    }
}

#[cfg(test)]
mod federated_tests {
    use super::*;

    #[test]
    fn a_federated_sign_in_says_fed_and_counts_the_upstreams_second_factor() {
        let one = [Factor::Federated { mfa: false }];
        assert_eq!(amr(&one), ["fed"]);
        assert_eq!(level(&one), Level::PASSWORD);
        let two = [Factor::Federated { mfa: true }];
        assert_eq!(amr(&two), ["fed", "mfa"]);
        assert_eq!(level(&two), Level::TWO_FACTORS);
        let stepped = [Factor::Federated { mfa: false }, Factor::Totp];
        assert_eq!(amr(&stepped), ["fed", "otp", "mfa"]);
    }
}
