//! An authenticator app for the tests: RFC 6238 codes computed here, independently of the
//! server's implementation (HMAC-SHA-1 through OpenSSL, RFC 4648 base32 decoding), and
//! the pages of the second step.

use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;

use super::browser::{Browser, Page};

/// Decodes the base32 key the enrolment page shows.
pub fn base32_decode(text: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut out, mut buffer, mut bits) = (Vec::new(), 0u32, 0u32);
    for c in text.trim().bytes().filter(|c| *c != b'=') {
        let v = alphabet.iter().position(|a| *a == c).expect("base32") as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

/// The 6-digit code of a secret at a Unix time (30-second steps from 0).
pub fn code_at(secret: &[u8], unix_time: i64) -> String {
    let counter = (unix_time / 30) as u64;
    let key = PKey::hmac(secret).unwrap();
    let mut signer = Signer::new(MessageDigest::sha1(), &key).unwrap();
    signer.update(&counter.to_be_bytes()).unwrap();
    let mac = signer.sign_to_vec().unwrap();
    let offset = (mac[19] & 0x0f) as usize;
    let value = u32::from_be_bytes(mac[offset..offset + 4].try_into().unwrap()) & 0x7fff_ffff;
    format!("{:06}", value % 1_000_000)
}

/// The text between `start` and the next `end` after it.
pub fn between<'a>(body: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = body.find(start)? + start.len();
    let to = body[from..].find(end)? + from;
    Some(&body[from..to])
}

impl Page {
    pub fn is_second_factor(&self) -> bool {
        self.body.contains("action=\"/login/factor\"")
            || self.body.contains("action=\"/signin/factor\"")
    }

    /// The key of an enrolment page.
    pub fn totp_secret(&self) -> Vec<u8> {
        let key = between(&self.body, "id=\"totp-secret\" class=\"secret\">", "<")
            .unwrap_or_else(|| panic!("not an enrolment page:\n{}", self.body));
        base32_decode(key)
    }

    /// The codes of a recovery-codes page.
    pub fn recovery_codes(&self) -> Vec<String> {
        let list = between(&self.body, "id=\"recovery-codes\">", "</ul>").expect("codes");
        list.split("<code>")
            .skip(1)
            .filter_map(|s| s.split("</code>").next())
            .map(str::to_string)
            .collect()
    }
}

impl Browser<'_> {
    /// Answers a second-factor (or enrolment) page of an authorization request.
    pub async fn second_factor(&mut self, page: &Page, method: &str, code: &str) -> Page {
        assert!(
            page.is_second_factor(),
            "not a second-factor page ({}):\n{}",
            page.status,
            page.body
        );
        let params = page.field("params").expect("params");
        let csrf = page.field("csrf").expect("csrf");
        self.post(
            "/login/factor",
            &[
                ("params", &params),
                ("csrf", &csrf),
                ("method", method),
                ("code", code),
            ],
        )
        .await
    }
}
