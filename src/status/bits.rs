//! A Status List's bits (draft-ietf-oauth-status-list §4.1): one bit per token, index 0
//! the least significant bit of byte 0, `1` meaning INVALID (§7.1); encoded as DEFLATE in
//! the ZLIB format at the highest level (§4.1 recommends it), then base64url without
//! padding (§4.2).

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use flate2::Compression;
use flate2::write::ZlibEncoder;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bits {
    bytes: Vec<u8>,
}

impl Bits {
    /// `capacity` bits, all VALID; rounded up to whole bytes (§13.4).
    pub fn new(capacity: i64) -> Self {
        Self {
            bytes: vec![0; (capacity.max(0) as usize).div_ceil(8)],
        }
    }

    pub fn capacity(&self) -> i64 {
        self.bytes.len() as i64 * 8
    }

    /// Marks `[start, end)` INVALID; indexes outside the list are ignored.
    pub fn set_range(&mut self, start: i64, end: i64) {
        let end = end.min(self.capacity());
        for i in start.max(0)..end {
            self.bytes[(i / 8) as usize] |= 1 << (i % 8);
        }
    }

    pub fn get(&self, idx: i64) -> bool {
        (0..self.capacity()).contains(&idx)
            && self.bytes[(idx / 8) as usize] & (1 << (idx % 8)) != 0
    }

    /// The `lst` member: ZLIB-compressed, base64url without padding.
    pub fn encode(&self) -> String {
        let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
        // Writing to a Vec cannot fail.
        let _ = z.write_all(&self.bytes);
        URL_SAFE_NO_PAD.encode(z.finish().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::ZlibDecoder;
    use std::io::Read;

    fn decode(lst: &str) -> Vec<u8> {
        let raw = URL_SAFE_NO_PAD.decode(lst).unwrap();
        let mut out = Vec::new();
        ZlibDecoder::new(&raw[..]).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn the_drafts_example_decodes_to_the_same_bits_we_write() {
        // §4.2: indexes 0, 3, 4, 5, 7, 8, 9, 13 and 15 INVALID -> [0xb9, 0xa3].
        let mut bits = Bits::new(16);
        for i in [0, 3, 4, 5, 7, 8, 9, 13, 15] {
            bits.set_range(i, i + 1);
        }
        assert_eq!(decode("eNrbuRgAAhcBXQ"), vec![0xb9, 0xa3]);
        assert_eq!(decode(&bits.encode()), vec![0xb9, 0xa3]);
        assert!(bits.get(13) && !bits.get(14) && !bits.get(99));
    }

    #[test]
    fn a_million_tokens_with_one_percent_revoked_fit_in_a_few_kilobytes() {
        let mut bits = Bits::new(1 << 20);
        let mut x: u64 = 42;
        for _ in 0..(1 << 20) / 100 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let i = (x >> 33) as i64 % (1 << 20);
            bits.set_range(i, i + 1);
        }
        let lst = bits.encode();
        assert!(lst.len() < 64 * 1024, "{} bytes", lst.len());
        assert_eq!(decode(&lst).len(), 1 << 17);
    }

    #[test]
    fn ranges_are_clipped_to_the_list() {
        let mut bits = Bits::new(10);
        assert_eq!(bits.capacity(), 16);
        bits.set_range(14, 40);
        bits.set_range(-5, 1);
        assert!(bits.get(0) && bits.get(15) && !bits.get(13));
    }
}
