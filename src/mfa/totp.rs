//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP) as every authenticator
//! app reads them from an `otpauth://` URI: HMAC-SHA-1, 6 digits, 30-second steps and a
//! 160-bit secret (RFC 4226 §4 R6 recommends 160 bits).
//!
//! A code is accepted for the current step and one step either side (RFC 6238 §5.2's
//! allowance for clock drift and slow typing), and each step at most once: a verified
//! step is recorded and any code for it, or for an earlier step, is refused afterwards
//! (RFC 6238 §5.2: "the verifier MUST NOT accept the second attempt of the same OTP").

use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::clock::UnixTime;
use crate::domain::secret::Secret;

pub const DIGITS: u32 = 6;
pub const STEP_SECS: i64 = 30;
pub const SECRET_BYTES: usize = 20;
/// Steps accepted either side of the current one.
pub const DRIFT_STEPS: i64 = 1;

/// A fresh random secret.
pub fn generate_secret() -> Secret<Vec<u8>> {
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    Secret::new(secret)
}

/// The time step a Unix time falls in (RFC 6238 §4.2, T0 = 0).
pub fn step(now: UnixTime) -> i64 {
    now.div_euclid(STEP_SECS)
}

/// HOTP (RFC 4226 §5.3): HMAC-SHA-1 of the counter, dynamically truncated to 31 bits.
fn hotp(secret: &[u8], counter: u64) -> Option<u32> {
    let key = PKey::hmac(secret).ok()?;
    let mut signer = Signer::new(MessageDigest::sha1(), &key).ok()?;
    signer.update(&counter.to_be_bytes()).ok()?;
    let mac = signer.sign_to_vec().ok()?;
    let offset = usize::from(mac.last()? & 0x0f);
    let bytes: [u8; 4] = mac.get(offset..offset + 4)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes) & 0x7fff_ffff)
}

/// The code for a step, zero-padded to [`DIGITS`].
pub fn code_for_step(secret: &[u8], step: i64) -> Option<String> {
    let counter = u64::try_from(step).ok()?;
    let value = hotp(secret, counter)? % 10u32.pow(DIGITS);
    Some(format!("{value:0width$}", width = DIGITS as usize))
}

/// Why a presented code was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not six digits (after removing spaces): not counted as a guess.
    Malformed,
    /// No step in the window has this code.
    Wrong,
    /// The code is right but its step (or a later one) was already used.
    Replayed,
}

/// Checks a presented code at `now`; `last_used_step` is the last step accepted for this
/// secret. On success, the step to record.
pub fn verify(
    secret: &[u8],
    presented: &str,
    now: UnixTime,
    last_used_step: Option<i64>,
) -> Result<i64, Refusal> {
    let presented: String = presented.chars().filter(|c| !c.is_whitespace()).collect();
    if presented.len() != DIGITS as usize || !presented.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refusal::Malformed);
    }
    let current = step(now);
    // Every candidate is computed and compared, so timing says nothing about which matched.
    let mut matched = None;
    for s in current - DRIFT_STEPS..=current + DRIFT_STEPS {
        let Some(code) = code_for_step(secret, s) else {
            continue;
        };
        if bool::from(code.as_bytes().ct_eq(presented.as_bytes())) && matched.is_none() {
            matched = Some(s);
        }
    }
    let step = matched.ok_or(Refusal::Wrong)?;
    if last_used_step.is_some_and(|last| step <= last) {
        return Err(Refusal::Replayed);
    }
    Ok(step)
}

/// RFC 4648 §6 base32 without padding: how authenticator apps take the secret.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The Key Uri Format authenticator apps scan: `otpauth://totp/<issuer>:<account>?…`.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let label = format!("{issuer}:{account}");
    let label: String = url::form_urlencoded::byte_serialize(label.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("secret", &base32(secret))
        .append_pair("issuer", issuer)
        .append_pair("algorithm", "SHA1")
        .append_pair("digits", &DIGITS.to_string())
        .append_pair("period", &STEP_SECS.to_string())
        .finish();
    format!("otpauth://totp/{label}?{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4226 Appendix D / RFC 6238 Appendix B (SHA-1): the ASCII "12345678901234567890".
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn hotp_matches_the_rfc_4226_test_values() {
        let expected = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (counter, want) in expected.into_iter().enumerate() {
            assert_eq!(hotp(RFC_SECRET, counter as u64).unwrap() % 1_000_000, want);
        }
    }

    #[test]
    fn totp_matches_the_rfc_6238_test_values_in_six_digits() {
        for (time, eight_digits) in [
            (59, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
        ] {
            assert_eq!(
                code_for_step(RFC_SECRET, step(time)).unwrap(),
                eight_digits[2..]
            );
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_but_not_two() {
        let now = 1_800_000_015;
        let at = |s: i64| code_for_step(RFC_SECRET, step(now) + s).unwrap();
        for drift in [-1, 0, 1] {
            assert_eq!(
                verify(RFC_SECRET, &at(drift), now, None),
                Ok(step(now) + drift)
            );
        }
        for drift in [-2, 2] {
            assert_eq!(
                verify(RFC_SECRET, &at(drift), now, None),
                Err(Refusal::Wrong)
            );
        }
    }

    #[test]
    fn a_used_step_and_any_earlier_one_are_refused_as_replays() {
        let now = 1_800_000_015;
        let code = code_for_step(RFC_SECRET, step(now)).unwrap();
        let used = verify(RFC_SECRET, &code, now, None).unwrap();
        assert_eq!(
            verify(RFC_SECRET, &code, now, Some(used)),
            Err(Refusal::Replayed)
        );
        let earlier = code_for_step(RFC_SECRET, step(now) - 1).unwrap();
        assert_eq!(
            verify(RFC_SECRET, &earlier, now, Some(used)),
            Err(Refusal::Replayed)
        );
        let next = code_for_step(RFC_SECRET, step(now) + 1).unwrap();
        assert_eq!(
            verify(RFC_SECRET, &next, now + 30, Some(used)),
            Ok(used + 1)
        );
    }

    #[test]
    fn spaces_are_ignored_and_anything_but_six_digits_is_malformed() {
        let now = 1_800_000_015;
        let code = code_for_step(RFC_SECRET, step(now)).unwrap();
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert!(verify(RFC_SECRET, &spaced, now, None).is_ok());
        for bad in ["", "12345", "1234567", "12a456", "１２３４５６"] {
            assert_eq!(
                verify(RFC_SECRET, bad, now, None),
                Err(Refusal::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn base32_follows_rfc_4648_test_vectors_without_padding() {
        for (input, want) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(input.as_bytes()), want);
        }
        assert_eq!(base32(&generate_secret().expose()[..]).len(), 32);
    }

    #[test]
    fn the_otpauth_uri_names_issuer_account_and_parameters() {
        let uri = otpauth_uri("Portcullis example", "alice", RFC_SECRET);
        assert_eq!(
            uri,
            "otpauth://totp/Portcullis%20example%3Aalice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Portcullis+example&algorithm=SHA1&digits=6&period=30"
        );
    }

    proptest::proptest! {
        #[test]
        fn any_typed_code_is_checked_or_refused_without_panic(input in "\\PC{0,40}", now in 0i64..4_000_000_000) {
            let _ = verify(RFC_SECRET, &input, now, Some(now / 30));
        }
    }
}
