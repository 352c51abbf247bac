//! Recovery codes: ten single-use codes for when the other factors are lost, shown once
//! and stored only as SHA-256 hashes. Each has 80 bits of randomness, so (as for opaque
//! tokens, see `domain::opaque`) a fast hash cannot be reversed or brute-forced.
//!
//! The alphabet leaves out 0/O and 1/I so a code copied from paper reads back the same;
//! codes are shown in groups of four (`XXXX-XXXX-XXXX-XXXX`) and accepted with or without
//! the dashes, in either case.

use rand::Rng;

use crate::domain::opaque;
use crate::domain::secret::Secret;

pub const COUNT: usize = 10;
const LENGTH: usize = 16;
const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// A new set of codes, formatted for display.
pub fn generate() -> Vec<Secret<String>> {
    let mut rng = rand::rngs::OsRng;
    (0..COUNT)
        .map(|_| {
            let raw: String = (0..LENGTH)
                .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
                .collect();
            Secret::new(display(&raw))
        })
        .collect()
}

fn display(raw: &str) -> String {
    raw.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// The canonical form of a presented code (no dashes or spaces, upper case), or `None`
/// when it cannot be one of ours.
pub fn normalize(presented: &str) -> Option<String> {
    let code: String = presented
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// What is stored of a code.
pub fn hash(code: &str) -> Option<Vec<u8>> {
    normalize(code).map(|c| opaque::hash(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_distinct_codes_in_groups_of_four_from_the_unambiguous_alphabet() {
        let codes = generate();
        assert_eq!(codes.len(), COUNT);
        let mut seen = std::collections::HashSet::new();
        for c in &codes {
            let c = c.expose();
            assert_eq!(c.len(), 19);
            assert_eq!(c.matches('-').count(), 3);
            assert!(normalize(c).is_some(), "{c}");
            assert!(!c.contains(['0', 'O', '1', 'I']));
            assert!(seen.insert(c.clone()));
        }
    }

    #[test]
    fn a_code_matches_with_or_without_dashes_in_either_case() {
        let code = generate().remove(0);
        let stored = hash(code.expose()).unwrap();
        let plain = code.expose().replace('-', "").to_lowercase();
        assert_eq!(hash(&plain).unwrap(), stored);
        assert_eq!(hash(&format!(" {} ", code.expose())).unwrap(), stored);
    }

    #[test]
    fn anything_else_is_not_a_code() {
        for bad in [
            "",
            "ABCD-EFGH",
            "ABCD-EFGH-JKLM-NPQR-S",
            "ABCD-EFGH-JKLM-NPQ0",
            "ÄBCD-EFGH-JKLM-NPQR",
        ] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_typed_recovery_code_normalizes_to_a_code_or_nothing(input in "\\PC{0,40}") {
            if let Some(code) = normalize(&input) {
                proptest::prop_assert_eq!(code.len(), 16);
                proptest::prop_assert_eq!(normalize(&code), Some(code.clone()));
            }
        }
    }
}
