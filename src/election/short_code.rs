//! The short tracking code: the first 80 bits of a tracking code in Crockford base32, 16
//! characters shown in groups of four (`GRHP-643V-HQRR-S0DA`), short enough to read aloud or type
//! on a phone; and the parser that accepts either form as a voter types it.
//!
//! Spec: `protocol-spec/board.md` §2.1.
//!
//! ```
//! use saylau::election::{ShortCode, TrackingCodeInput};
//!
//! let t = [0x86u8; 32];
//! let short = ShortCode::of(&t);
//! assert_eq!(short.to_string().len(), 19);
//! // Lower case, no hyphens, and a Cyrillic "С" typed on a Russian keyboard all read the same.
//! let typed = short.to_string().to_lowercase().replace('-', " ");
//! assert_eq!(TrackingCodeInput::parse(&typed).unwrap(), TrackingCodeInput::Short(short));
//! ```

use std::fmt;

use thiserror::Error;

use crate::crypto::digest::Hash;

/// Bytes of a tracking code the short form keeps: 80 bits.
pub const SHORT_CODE_BYTES: usize = 10;
/// Characters of the short form, separators not counted.
pub const SHORT_CODE_CHARS: usize = 16;

/// Crockford's base32 alphabet: digits and upper-case letters without I, L, O and U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The first 80 bits of a tracking code (board.md §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShortCode([u8; SHORT_CODE_BYTES]);

/// Why typed text is not a tracking code.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ShortCodeError {
    /// A character that is neither a code character nor a separator.
    #[error("character {found:?} at position {position} is not part of a tracking code")]
    BadCharacter {
        /// The character as typed.
        found: char,
        /// Its 1-based position in the typed text.
        position: usize,
    },
    /// Neither 16 code characters nor 64 hexadecimal digits.
    #[error(
        "a tracking code has 16 characters (short form) or 64 hexadecimal digits; this has {0}"
    )]
    WrongLength(usize),
}

impl ShortCode {
    /// The short form of a tracking code.
    pub fn of(tracking_code: &Hash) -> Self {
        let mut bytes = [0u8; SHORT_CODE_BYTES];
        bytes.copy_from_slice(&tracking_code[..SHORT_CODE_BYTES]);
        Self(bytes)
    }

    /// The 10 bytes (the tracking code's first 10).
    pub fn bytes(&self) -> &[u8; SHORT_CODE_BYTES] {
        &self.0
    }

    /// Whether `tracking_code` begins with these 80 bits.
    pub fn matches(&self, tracking_code: &Hash) -> bool {
        tracking_code[..SHORT_CODE_BYTES] == self.0
    }

    /// The 16 characters without separators.
    pub fn compact(&self) -> String {
        let mut value = 0u128;
        for b in self.0 {
            value = (value << 8) | u128::from(b);
        }
        (0..SHORT_CODE_CHARS)
            .map(|i| {
                let shift = 5 * (SHORT_CODE_CHARS - 1 - i);
                char::from(ALPHABET[((value >> shift) & 31) as usize])
            })
            .collect()
    }

    /// Reads exactly 16 normalized symbols (values 0–31).
    fn from_symbols(symbols: &[u8]) -> Self {
        let value = symbols
            .iter()
            .fold(0u128, |acc, &s| (acc << 5) | u128::from(s));
        let mut bytes = [0u8; SHORT_CODE_BYTES];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (value >> (8 * (SHORT_CODE_BYTES - 1 - i))) as u8;
        }
        Self(bytes)
    }
}

/// `XXXX-XXXX-XXXX-XXXX`.
impl fmt::Display for ShortCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let compact = self.compact();
        for (i, chunk) in compact.as_bytes().chunks(4).enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            // The alphabet is ASCII.
            f.write_str(std::str::from_utf8(chunk).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

/// A tracking code as a voter typed it: the whole code, or its short form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackingCodeInput {
    /// 64 hexadecimal digits: the whole tracking code.
    Full(Hash),
    /// 16 Crockford base32 characters: its first 80 bits.
    Short(ShortCode),
}

impl TrackingCodeInput {
    /// Parses typed text (board.md §2.1): separators (spaces, hyphens and dashes) are dropped,
    /// case is ignored, the Cyrillic letters that look like Latin ones read as those, and then
    /// 64 hexadecimal digits are a whole code and 16 Crockford characters a short one (where `I`
    /// and `L` read as `1` and `O` as `0`).
    pub fn parse(text: &str) -> Result<Self, ShortCodeError> {
        let mut latin = Vec::with_capacity(text.len());
        for (position, c) in (1..).zip(text.chars()) {
            if is_separator(c) {
                continue;
            }
            match to_latin(c) {
                Some(l) => latin.push(l),
                None => return Err(ShortCodeError::BadCharacter { found: c, position }),
            }
        }
        match latin.len() {
            64 => {
                if let Some(i) = latin.iter().position(|l| !l.is_ascii_hexdigit()) {
                    return Err(bad_at(text, i));
                }
                let mut hash = [0u8; 32];
                for (i, pair) in latin.chunks(2).enumerate() {
                    hash[i] = (hex_value(pair[0]) << 4) | hex_value(pair[1]);
                }
                Ok(Self::Full(hash))
            }
            SHORT_CODE_CHARS => {
                let mut symbols = [0u8; SHORT_CODE_CHARS];
                for (i, &l) in latin.iter().enumerate() {
                    symbols[i] = crockford_value(l).ok_or_else(|| bad_at(text, i))?;
                }
                Ok(Self::Short(ShortCode::from_symbols(&symbols)))
            }
            n => Err(ShortCodeError::WrongLength(n)),
        }
    }

    /// The short form this input names (the whole code's first 80 bits).
    pub fn short(&self) -> ShortCode {
        match self {
            Self::Full(hash) => ShortCode::of(hash),
            Self::Short(short) => *short,
        }
    }

    /// Whether `tracking_code` is the code this input names.
    pub fn matches(&self, tracking_code: &Hash) -> bool {
        match self {
            Self::Full(hash) => hash == tracking_code,
            Self::Short(short) => short.matches(tracking_code),
        }
    }
}

/// The error for the `index`-th (0-based) code character of `text`.
fn bad_at(text: &str, index: usize) -> ShortCodeError {
    let (position, found) = (1..)
        .zip(text.chars())
        .filter(|(_, c)| !is_separator(*c))
        .nth(index)
        .unwrap_or((0, '?'));
    ShortCodeError::BadCharacter { found, position }
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '\u{2010}'..='\u{2015}' | '\u{2212}')
}

/// An ASCII letter or digit in upper case, with the Cyrillic look-alikes read as Latin.
fn to_latin(c: char) -> Option<u8> {
    if c.is_ascii_alphanumeric() {
        return Some(c.to_ascii_uppercase() as u8);
    }
    let latin = match c {
        'А' | 'а' => b'A',
        'В' | 'в' => b'B',
        'Е' | 'е' => b'E',
        'К' | 'к' => b'K',
        'М' | 'м' => b'M',
        'Н' | 'н' => b'H',
        'О' | 'о' => b'O',
        'Р' | 'р' => b'P',
        'С' | 'с' => b'C',
        'Т' | 'т' => b'T',
        'Х' | 'х' => b'X',
        _ => return None,
    };
    Some(latin)
}

fn hex_value(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        _ => c - b'A' + 10,
    }
}

/// Crockford's decoding: `I` and `L` are `1`, `O` is `0`; `U` is not a symbol.
fn crockford_value(c: u8) -> Option<u8> {
    let c = match c {
        b'I' | b'L' => b'1',
        b'O' => b'0',
        other => other,
    };
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(hex_text: &str) -> Hash {
        let mut h = [0u8; 32];
        hex::decode_to_slice(hex_text, &mut h).unwrap();
        h
    }

    // board.md §2.1 vectors: the check values of §2.
    const T1: &str = "862363107b8df18c81aacde4cb1abbc425540dc3cef95d1dbbdd3f63a2dbb251";
    const T6: &str = "be26e8649d9be7498200020ddbb74b8478263af530dcc5d3af0c407e3ea7565f";

    #[test]
    fn spec_vectors() {
        assert_eq!(ShortCode::of(&hash(T1)).to_string(), "GRHP-643V-HQRR-S0DA");
        assert_eq!(ShortCode::of(&hash(T6)).to_string(), "QRKE-GS4X-KFKM-K0G0");
        assert_eq!(ShortCode::of(&[0; 32]).to_string(), "0000-0000-0000-0000");
        assert_eq!(
            ShortCode::of(&[0xff; 32]).to_string(),
            "ZZZZ-ZZZZ-ZZZZ-ZZZZ"
        );
    }

    #[test]
    fn round_trips_every_byte_pattern() {
        for seed in 0u8..=255 {
            let mut t = [0u8; 32];
            for (i, b) in t.iter_mut().enumerate() {
                *b = seed.wrapping_mul(31).wrapping_add(i as u8 * 7);
            }
            let short = ShortCode::of(&t);
            let parsed = TrackingCodeInput::parse(&short.to_string()).unwrap();
            assert_eq!(parsed, TrackingCodeInput::Short(short));
            assert!(parsed.matches(&t));
        }
    }

    #[test]
    fn typing_variants_read_the_same() {
        let want = TrackingCodeInput::Short(ShortCode::of(&hash(T1)));
        for typed in [
            "GRHP-643V-HQRR-S0DA",
            "grhp643vhqrrs0da",
            " grhp 643v hqrr s0da ",
            "GRHP–643V—HQRR‐S0DA",
            // O for 0, Crockford's rule.
            "GRHP-643V-HQRR-SODA",
            // Cyrillic Р, Н, С, А, О typed on a kk/ru keyboard.
            "GRНР-643V-НQRR-SОDА",
            "grнр-643v-нqrr-sоdа",
        ] {
            assert_eq!(TrackingCodeInput::parse(typed), Ok(want), "{typed}");
        }
        // I and L read as 1.
        assert_eq!(
            TrackingCodeInput::parse("1111-1111-1111-1111"),
            TrackingCodeInput::parse("IiLl-1111-1111-1111")
        );
    }

    #[test]
    fn long_form_accepts_case_and_look_alikes() {
        let t = hash(T1);
        assert_eq!(TrackingCodeInput::parse(T1), Ok(TrackingCodeInput::Full(t)));
        let upper_cyrillic = T1.to_uppercase().replace('C', "С").replace('A', "А");
        assert_eq!(
            TrackingCodeInput::parse(&upper_cyrillic),
            Ok(TrackingCodeInput::Full(t))
        );
        assert_eq!(TrackingCodeInput::Full(t).short(), ShortCode::of(&t));
    }

    #[test]
    fn refuses_what_is_not_a_code() {
        assert_eq!(
            TrackingCodeInput::parse("GRHP-643V-HQRR-S0D"),
            Err(ShortCodeError::WrongLength(15))
        );
        assert_eq!(
            TrackingCodeInput::parse("GRHP-643V-HQRR-S0DU"),
            Err(ShortCodeError::BadCharacter {
                found: 'U',
                position: 19
            })
        );
        assert_eq!(
            TrackingCodeInput::parse("GRHP-643V-HQRR-S0Dж"),
            Err(ShortCodeError::BadCharacter {
                found: 'ж',
                position: 19
            })
        );
        // 64 characters that are not all hex.
        let not_hex = format!("{}g", &T1[..63]);
        assert_eq!(
            TrackingCodeInput::parse(&not_hex),
            Err(ShortCodeError::BadCharacter {
                found: 'g',
                position: 64
            })
        );
        assert_eq!(
            TrackingCodeInput::parse(""),
            Err(ShortCodeError::WrongLength(0))
        );
    }

    #[test]
    fn matches_only_its_prefix() {
        let t = hash(T1);
        let short = ShortCode::of(&t);
        let mut other = t;
        other[31] ^= 1;
        assert!(short.matches(&other), "bits past 80 are not part of it");
        other[9] ^= 1;
        assert!(!short.matches(&other));
    }
}
