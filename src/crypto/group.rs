//! The group ristretto255, its canonical encodings, and the generators saylau uses.
//!
//! Spec: `protocol-spec/encoding.md` §1–§3.
//!
//! A [`GroupElement`] carries both the canonical 32-byte encoding and the decoded point, so a
//! verifier decompresses every point exactly once and hashes the bytes it was given.

use crate::crypto::error::DecodeError;
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha3::Sha3_512;
use std::sync::OnceLock;

/// The standard ristretto255 basepoint `G`.
pub const G: RistrettoPoint = RISTRETTO_BASEPOINT_POINT;

/// The label from which the Pedersen generator `H` is derived (spec `encoding.md` §3).
pub const H_LABEL: &[u8] = b"saylau/v1/generator/H";

/// Derives a generator from a public label by hash-to-group (SHA3-512, then the ristretto
/// "from uniform bytes" map). Nobody knows its discrete log relative to `G`.
///
/// Spec: `encoding.md` §3.
pub fn derive_generator(label: &[u8]) -> RistrettoPoint {
    RistrettoPoint::hash_from_bytes::<Sha3_512>(label)
}

/// The Pedersen generator `H = derive_generator("saylau/v1/generator/H")`, computed once.
pub fn pedersen_h() -> &'static RistrettoPoint {
    static H: OnceLock<RistrettoPoint> = OnceLock::new();
    H.get_or_init(|| derive_generator(H_LABEL))
}

/// Decompresses a ristretto255 encoding (`None` if it is not canonical). Every decoder goes
/// through this one non-inlined copy, and so does `saylau bench`'s floor, so that the floor and
/// the verifier run the same machine code (spec `batch.md` §7).
#[inline(never)]
pub fn decompress(bytes: &CompressedRistretto) -> Option<RistrettoPoint> {
    bytes.decompress()
}

/// Decompresses with an inverse-square-root hint (spec `batch.md` §8): the same result as
/// [`decompress`] for every hint, about ten times faster when the hint is right. Also returns
/// whether the hint was used (the fast path). Not inlined, for the same reason as [`decompress`].
#[inline(never)]
pub fn decompress_with_hint(
    bytes: &CompressedRistretto,
    hint: &[u8; 32],
) -> (Option<RistrettoPoint>, bool) {
    bytes.decompress_with_hint(hint)
}

/// The hint for [`decompress_with_hint`] (spec `batch.md` §8.1); `None` if `bytes` does not
/// decode.
pub fn invsqrt_hint(bytes: &CompressedRistretto) -> Option<[u8; 32]> {
    bytes.invsqrt_hint()
}

/// Hints lent to this thread's point decoder, [`GroupElement::decode`] (spec `batch.md` §8.3).
///
/// Decoders built on serde cannot be handed extra arguments, so the hints travel beside them:
/// [`lend_hints`] gives the thread a buffer of 32-byte hints, [`hint_window`] selects the hints
/// of the next value to decode (one per point, in the order the decoder meets the points), and
/// [`return_hints`] takes the buffer back with the number of points that took the fast path. A
/// wrong, missing or misplaced hint only costs time: decoding falls back to [`decompress`].
///
/// In *recording* mode ([`record_hints`]) the decoder instead appends each point's hint to the
/// buffer (zeros for a point that does not decode): that is how the board writes the sidecar.
#[derive(Default)]
struct HintCursor {
    bytes: Vec<u8>,
    start: usize,
    next: usize,
    end: usize,
    fast: u64,
    recording: bool,
}

thread_local! {
    static HINTS: std::cell::RefCell<HintCursor> = std::cell::RefCell::new(HintCursor::default());
}

/// Lends `bytes` (32-byte hints, back to back) to this thread's decoder; no window is selected
/// yet. Replaces any buffer lent before.
pub fn lend_hints(bytes: Vec<u8>) {
    HINTS.with(|cursor| {
        *cursor.borrow_mut() = HintCursor {
            bytes,
            ..HintCursor::default()
        }
    });
}

/// Puts this thread's decoder in recording mode, with an empty buffer.
pub fn record_hints() {
    HINTS.with(|cursor| {
        *cursor.borrow_mut() = HintCursor {
            recording: true,
            ..HintCursor::default()
        }
    });
}

/// The next points decoded on this thread take the lent hints `first..first + count` (in units
/// of hints), in order; points beyond them, or beyond the buffer, decode without a hint.
pub fn hint_window(first: usize, count: usize) {
    HINTS.with(|cursor| {
        let mut cursor = cursor.borrow_mut();
        let available = cursor.bytes.len() / 32;
        cursor.start = first.min(available);
        cursor.next = cursor.start;
        cursor.end = first.saturating_add(count).min(available);
    });
}

/// Starts the current window again (a second decoder reads the same value); in recording mode,
/// forgets what was recorded since [`record_hints`].
pub fn rewind_hints() {
    HINTS.with(|cursor| {
        let mut cursor = cursor.borrow_mut();
        if cursor.recording {
            cursor.bytes.clear();
        }
        cursor.next = cursor.start;
    });
}

/// Takes back this thread's buffer (with the recorded hints in recording mode) and the number of
/// points decoded on the fast path since it was lent; the decoder then runs without hints.
pub fn return_hints() -> (Vec<u8>, u64) {
    HINTS.with(|cursor| {
        let cursor = std::mem::take(&mut *cursor.borrow_mut());
        (cursor.bytes, cursor.fast)
    })
}

impl HintCursor {
    fn decode(&mut self, bytes: &CompressedRistretto) -> Option<RistrettoPoint> {
        if self.recording {
            let hint = invsqrt_hint(bytes);
            self.bytes.extend_from_slice(&hint.unwrap_or([0; 32]));
            return hint.and_then(|hint| decompress_with_hint(bytes, &hint).0);
        }
        if self.next >= self.end {
            return decompress(bytes);
        }
        let at = self.next * 32;
        self.next += 1;
        let mut hint = [0u8; 32];
        hint.copy_from_slice(&self.bytes[at..at + 32]);
        let (point, fast) = decompress_with_hint(bytes, &hint);
        self.fast += u64::from(fast);
        point
    }
}

/// A decoded ristretto255 point together with its canonical encoding.
///
/// Equality compares encodings (ristretto encodings are canonical, so this is point equality).
#[derive(Clone, Copy)]
pub struct GroupElement {
    bytes: CompressedRistretto,
    point: RistrettoPoint,
}

impl GroupElement {
    /// Wraps a point, computing its encoding.
    pub fn from_point(point: RistrettoPoint) -> Self {
        Self {
            bytes: point.compress(),
            point,
        }
    }

    /// Decodes 32 bytes, rejecting non-canonical encodings. The identity is accepted.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let array: [u8; 32] = bytes.try_into().map_err(|_| DecodeError::Length {
            expected: 32,
            found: bytes.len(),
        })?;
        let bytes = CompressedRistretto(array);
        let point = HINTS
            .with(|cursor| cursor.borrow_mut().decode(&bytes))
            .ok_or(DecodeError::NonCanonicalPoint)?;
        Ok(Self { bytes, point })
    }

    /// Decodes 32 bytes, rejecting non-canonical encodings and the identity.
    pub fn decode_non_identity(bytes: &[u8]) -> Result<Self, DecodeError> {
        let element = Self::decode(bytes)?;
        element.require_non_identity()?;
        Ok(element)
    }

    /// Fails if this is the identity point.
    pub fn require_non_identity(&self) -> Result<(), DecodeError> {
        if self.is_identity() {
            Err(DecodeError::IdentityPoint)
        } else {
            Ok(())
        }
    }

    /// The decoded point.
    pub fn point(&self) -> &RistrettoPoint {
        &self.point
    }

    /// The canonical encoding.
    pub fn compressed(&self) -> &CompressedRistretto {
        &self.bytes
    }

    /// The canonical encoding as bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.bytes.as_bytes()
    }

    /// True for the identity point. The identity's canonical encoding is 32 zero bytes
    /// (spec `encoding.md` §2.3), so this reads the bytes: a projective comparison costs four
    /// field multiplications and two reductions, and verifiers ask this of every commitment.
    pub fn is_identity(&self) -> bool {
        self.bytes.as_bytes() == &[0u8; 32]
    }
}

impl PartialEq for GroupElement {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}
impl Eq for GroupElement {}

impl std::fmt::Debug for GroupElement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GroupElement({})", hex::encode(self.bytes.as_bytes()))
    }
}

impl From<RistrettoPoint> for GroupElement {
    fn from(point: RistrettoPoint) -> Self {
        Self::from_point(point)
    }
}

impl Serialize for GroupElement {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(self.bytes.as_bytes()))
    }
}

impl<'de> Deserialize<'de> for GroupElement {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let bytes = deserializer.deserialize_str(Hex32Visitor)?;
        GroupElement::decode(&bytes).map_err(serde::de::Error::custom)
    }
}

/// Decodes exactly 64 lower-case hex characters.
pub fn decode_hex32(text: impl AsRef<[u8]>) -> Result<[u8; 32], DecodeError> {
    let text = text.as_ref();
    if text.len() != 64 {
        return Err(DecodeError::Length {
            expected: 32,
            found: text.len() / 2,
        });
    }
    // One table lookup per character; anything but 0-9 and a-f maps to 0xff and is caught
    // once at the end (this runs about a hundred times per ballot).
    let mut out = [0u8; 32];
    let mut invalid = 0u8;
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let (high, low) = (HEX_DIGITS[pair[0] as usize], HEX_DIGITS[pair[1] as usize]);
        invalid |= high | low;
        *byte = (high << 4) | (low & 0x0f);
    }
    if invalid & 0xf0 != 0 {
        return Err(DecodeError::Hex);
    }
    Ok(out)
}

/// The value of each lower-case hex digit; 0xff for every other byte.
const HEX_DIGITS: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// Reads a JSON string of 64 lower-case hex characters without allocating.
struct Hex32Visitor;

impl<'de> serde::de::Visitor<'de> for Hex32Visitor {
    type Value = [u8; 32];

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("64 lower-case hex characters")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<[u8; 32], E> {
        decode_hex32(text).map_err(E::custom)
    }
}

/// Decodes a scalar, rejecting values not reduced mod ℓ.
pub fn decode_scalar(bytes: [u8; 32]) -> Result<Scalar, DecodeError> {
    Option::from(Scalar::from_canonical_bytes(bytes)).ok_or(DecodeError::NonCanonicalScalar)
}

/// Serde for scalars as canonical lower-case hex. Use with `#[serde(with = "scalar_hex")]`.
pub mod scalar_hex {
    use super::*;

    /// Writes the canonical encoding as hex.
    pub fn serialize<S: Serializer>(scalar: &Scalar, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(scalar.as_bytes()))
    }

    /// Reads hex, rejecting non-canonical scalars.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Scalar, D::Error> {
        let bytes = deserializer.deserialize_str(Hex32Visitor)?;
        decode_scalar(bytes).map_err(serde::de::Error::custom)
    }
}

/// Serde for vectors of scalars as hex strings.
pub mod scalar_vec_hex {
    use super::*;
    use serde::ser::SerializeSeq;

    /// Writes each scalar as hex.
    pub fn serialize<S: Serializer>(scalars: &[Scalar], serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(scalars.len()))?;
        for scalar in scalars {
            seq.serialize_element(&hex::encode(scalar.as_bytes()))?;
        }
        seq.end()
    }

    /// Reads hex strings, rejecting non-canonical scalars.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Scalar>, D::Error> {
        struct ScalarHex(Scalar);
        impl<'de> Deserialize<'de> for ScalarHex {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                super::scalar_hex::deserialize(d).map(ScalarHex)
            }
        }
        let scalars = Vec::<ScalarHex>::deserialize(deserializer)?;
        Ok(scalars.into_iter().map(|s| s.0).collect())
    }
}

/// Serde for 32-byte hashes as lower-case hex.
pub mod hash_hex {
    use super::*;

    /// Writes the hash as hex.
    pub fn serialize<S: Serializer>(hash: &[u8; 32], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(hash))
    }

    /// Reads exactly 64 lower-case hex characters.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<[u8; 32], D::Error> {
        deserializer.deserialize_str(Hex32Visitor)
    }
}

/// Serde for byte strings as lower-case hex.
pub mod bytes_hex {
    use super::*;

    /// Writes the bytes as hex.
    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(bytes))
    }

    /// Reads lower-case hex of any even length.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(serde::de::Error::custom(DecodeError::Hex));
        }
        hex::decode(text.as_bytes()).map_err(|_| serde::de::Error::custom(DecodeError::Hex))
    }
}
