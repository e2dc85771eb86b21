//! Exact non-negative fractions for shares, thresholds and quotas (spec `rules.md` §1.3): the
//! canonical `"num/den"` form, lowest terms, and comparisons that never overflow.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{RulesError, MAX_THRESHOLD_DECIMALS};

/// A non-negative rational number in lowest terms, with `u64` numerator and denominator.
///
/// Serialized as the string `"num/den"` (for example `"1/20"`), and only that canonical form is
/// accepted when decoding: lowest terms, denominator above 0, no signs, spaces or leading zeros.
/// Comparisons multiply crosswise in `u128`, which never overflows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ratio {
    num: u64,
    den: u64,
}

impl Ratio {
    /// `num / den` in lowest terms, or `None` when `den` is 0.
    pub fn new(num: u64, den: u64) -> Option<Ratio> {
        if den == 0 {
            return None;
        }
        let g = gcd(num, den);
        Some(Ratio {
            num: num / g,
            den: den / g,
        })
    }

    /// The numerator, in lowest terms.
    pub fn numer(&self) -> u64 {
        self.num
    }

    /// The denominator, in lowest terms (never 0).
    pub fn denom(&self) -> u64 {
        self.den
    }

    /// Parses a percent written as a plain decimal (`"5"`, `"5.5"`, `"7.25"`, `"0"`, `"100"`)
    /// into the exact share of 1 it stands for (`"5"` gives `1/20`).
    ///
    /// Accepted: one or more ASCII digits, optionally followed by `.` and one or more digits, at
    /// most [`MAX_THRESHOLD_DECIMALS`] significant digits after the point, value at most 100.
    /// Refused: signs, exponents, spaces, a bare `.5` or `5.`, and anything above 100.
    pub fn from_percent_str(text: &str) -> Result<Ratio, RulesError> {
        let malformed = |reason| RulesError::MalformedThreshold {
            value: text.to_owned(),
            reason,
        };
        let (int_part, frac_part) = match text.split_once('.') {
            Some((i, f)) => (i, f),
            None => (text, ""),
        };
        if int_part.is_empty() {
            return Err(malformed("there must be a digit before the point"));
        }
        if text.contains('.') && frac_part.is_empty() {
            return Err(malformed("there must be a digit after the point"));
        }
        if !int_part.bytes().all(|b| b.is_ascii_digit())
            || !frac_part.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(malformed("only digits and one decimal point are allowed"));
        }
        let frac_part = frac_part.trim_end_matches('0');
        if frac_part.len() > MAX_THRESHOLD_DECIMALS {
            return Err(malformed("at most 9 digits after the decimal point"));
        }
        let int_part = int_part.trim_start_matches('0');
        // More than three significant integer digits is above 100 whatever follows.
        if int_part.len() > 3 {
            return Err(RulesError::ThresholdOutOfRange {
                value: text.to_owned(),
            });
        }
        // At most 3 + 9 digits: fits in u64.
        let digits = format!("{int_part}{frac_part}");
        let scaled: u64 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| malformed("not a number"))?
        };
        let scale = 10u64.pow(frac_part.len() as u32);
        // percent = scaled / scale, share = scaled / (100 * scale)
        if scaled > 100 * scale {
            return Err(RulesError::ThresholdOutOfRange {
                value: text.to_owned(),
            });
        }
        Ratio::new(scaled, 100 * scale).ok_or_else(|| malformed("not a number"))
    }

    /// Whether `part` is at least this share of `whole`: `part · den ≥ num · whole`.
    pub fn reached_by(&self, part: u64, whole: u64) -> bool {
        u128::from(part) * u128::from(self.den) >= u128::from(self.num) * u128::from(whole)
    }

    /// Whether `part` is strictly more than this share of `whole`: `part · den > num · whole`.
    pub fn exceeded_by(&self, part: u64, whole: u64) -> bool {
        u128::from(part) * u128::from(self.den) > u128::from(self.num) * u128::from(whole)
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let r = a % b;
        a = b;
        b = r;
    }
    // gcd(0, 0) would be 0; callers never pass den = 0, so a ≥ 1 here.
    a.max(1)
}

impl PartialOrd for Ratio {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ratio {
    fn cmp(&self, other: &Self) -> Ordering {
        (u128::from(self.num) * u128::from(other.den))
            .cmp(&(u128::from(other.num) * u128::from(self.den)))
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

/// Why a `"num/den"` string was refused by [`Ratio::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a ratio in lowest terms written \"num/den\" with den above 0")]
pub struct MalformedRatio {
    /// The text as given.
    pub text: String,
}

impl FromStr for Ratio {
    type Err = MalformedRatio;

    /// Parses the canonical form written by `Display`, and nothing else.
    fn from_str(text: &str) -> Result<Ratio, MalformedRatio> {
        let bad = || MalformedRatio {
            text: text.to_owned(),
        };
        let (n, d) = text.split_once('/').ok_or_else(bad)?;
        let canonical_digits = |s: &str| {
            !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_digit())
                && (s == "0" || !s.starts_with('0'))
        };
        if !canonical_digits(n) || !canonical_digits(d) {
            return Err(bad());
        }
        let num: u64 = n.parse().map_err(|_| bad())?;
        let den: u64 = d.parse().map_err(|_| bad())?;
        let ratio = Ratio::new(num, den).ok_or_else(bad)?;
        if ratio.num != num || ratio.den != den {
            return Err(bad());
        }
        Ok(ratio)
    }
}

impl Serialize for Ratio {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Ratio, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
