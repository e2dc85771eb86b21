//! The board's log leaf: a fixed 129-byte record of one board event (a cast ballot, a
//! challenged ballot, the close of voting), the unit the Merkle tree of `log.md` §2 is built over.
//!
//! Spec: `protocol-spec/board.md` §7.1 (encoding), §7.2 (leaf hash). The verifier rebuilds the
//! tree from these bytes, so the decoder accepts exactly one encoding per leaf.

use crate::crypto::group::{decode_scalar, GroupElement};
use crate::crypto::proofs::SchnorrProof;
use crate::log::tree::{leaf_hash, Hash};
use crate::record::{CommissionKey, CommissionSignature};
use curve25519_dalek::edwards::CompressedEdwardsY;
use thiserror::Error;

/// Length of an encoded leaf: kind, credential, ballot hash, signature commitment and response.
pub const LEAF_SIZE: usize = 1 + 4 * 32;

/// The kind byte reserved for ceremony messages (board.md §7.1); no encoding is defined yet,
/// so no leaf of this kind decodes.
pub const RESERVED_CEREMONY_KIND: u8 = 0x04;

/// What a leaf records (board.md §7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LeafKind {
    /// A cast ballot: its credential, ballot hash and credential signature.
    Cast,
    /// A challenged ballot: its credential and ballot hash; it carries no signature.
    Challenged,
    /// The close of voting: the commission's key, the close statement and the commission's
    /// signature of it.
    Close,
}

impl LeafKind {
    /// The kind byte.
    pub fn byte(self) -> u8 {
        match self {
            LeafKind::Cast => 0x01,
            LeafKind::Challenged => 0x02,
            LeafKind::Close => 0x03,
        }
    }

    /// The kind of a kind byte, or the reason it has none.
    pub fn from_byte(byte: u8) -> Result<Self, LeafError> {
        match byte {
            0x01 => Ok(LeafKind::Cast),
            0x02 => Ok(LeafKind::Challenged),
            0x03 => Ok(LeafKind::Close),
            RESERVED_CEREMONY_KIND => Err(LeafError::ReservedKind(byte)),
            _ => Err(LeafError::UnknownKind(byte)),
        }
    }
}

/// Why bytes are not a leaf.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LeafError {
    /// Not 129 bytes.
    #[error("a leaf is {LEAF_SIZE} bytes, found {0}")]
    Length(usize),
    /// A kind byte no version defines.
    #[error("unknown leaf kind 0x{0:02x}")]
    UnknownKind(u8),
    /// The kind reserved for ceremony messages, whose encoding is not defined yet.
    #[error("leaf kind 0x{0:02x} is reserved for ceremony messages")]
    ReservedKind(u8),
    /// A field that must be zero for this kind is not.
    #[error("{kind:?} leaf: field `{field}` must be all zero")]
    NonZero {
        /// The leaf's kind.
        kind: LeafKind,
        /// The field that is not zero.
        field: &'static str,
    },
    /// A close leaf whose key field is not a commission key (record.md §3.2 rules).
    #[error("Close leaf: field `commission key`: {0}")]
    CommissionKey(crate::log::checkpoint::LogKeyError),
    /// A close leaf whose signature `R` is not the canonical encoding of an Ed25519 point.
    #[error("Close leaf: field `signature R` is not a canonical Ed25519 point encoding")]
    SignaturePoint,
    /// A point or scalar field is not a canonical encoding.
    #[error("{kind:?} leaf: field `{field}` is not canonical: {reason}")]
    NonCanonical {
        /// The leaf's kind.
        kind: LeafKind,
        /// The field.
        field: &'static str,
        /// The decoder's reason.
        reason: crate::crypto::error::DecodeError,
    },
}

/// One leaf of the board's log (board.md §7.1). Built only from decoded values or by
/// [`Leaf::decode`], so its fields are always a valid encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leaf {
    kind: LeafKind,
    credential: [u8; 32],
    ballot_hash: Hash,
    commitment: [u8; 32],
    response: [u8; 32],
}

impl Leaf {
    /// The leaf of a cast ballot: credential `X`, ballot hash `h`, signature `(a, v)`.
    pub fn cast(credential: &GroupElement, ballot_hash: Hash, signature: &SchnorrProof) -> Self {
        Self {
            kind: LeafKind::Cast,
            credential: *credential.as_bytes(),
            ballot_hash,
            commitment: *signature.commitment.as_bytes(),
            response: signature.response.to_bytes(),
        }
    }

    /// The leaf of a challenged ballot: credential and ballot hash, zero signature fields.
    pub fn challenged(credential: &GroupElement, ballot_hash: Hash) -> Self {
        Self {
            kind: LeafKind::Challenged,
            credential: *credential.as_bytes(),
            ballot_hash,
            commitment: [0; 32],
            response: [0; 32],
        }
    }

    /// The close leaf (board.md §7.1, §9.2): the commission's key `C` in the credential field,
    /// the close statement `m = TH("saylau/v2/commission/close", [F])` in the ballot-hash field,
    /// and the commission's Ed25519 signature `R ‖ S` of `m` in the two signature fields. The
    /// leaf alone shows who closed which election; whether `C` and `m` are this election's and
    /// the signature verifies is the verifier's check 21.
    pub fn close(
        commission_key: &CommissionKey,
        statement: Hash,
        signature: &CommissionSignature,
    ) -> Self {
        let mut commitment = [0u8; 32];
        let mut response = [0u8; 32];
        commitment.copy_from_slice(&signature.0[..32]);
        response.copy_from_slice(&signature.0[32..]);
        Self {
            kind: LeafKind::Close,
            credential: *commission_key.as_bytes(),
            ballot_hash: statement,
            commitment,
            response,
        }
    }

    /// A close leaf's signature `R ‖ S`; `None` for another kind.
    pub fn close_signature(&self) -> Option<CommissionSignature> {
        (self.kind == LeafKind::Close).then(|| {
            let mut out = [0u8; 64];
            out[..32].copy_from_slice(&self.commitment);
            out[32..].copy_from_slice(&self.response);
            CommissionSignature(out)
        })
    }

    /// Decodes 129 bytes, accepting only what [`Leaf::to_bytes`] writes (board.md §7.1).
    pub fn decode(bytes: &[u8]) -> Result<Self, LeafError> {
        if bytes.len() != LEAF_SIZE {
            return Err(LeafError::Length(bytes.len()));
        }
        let kind = LeafKind::from_byte(bytes[0])?;
        let field = |i: usize| -> [u8; 32] {
            let mut out = [0u8; 32];
            out.copy_from_slice(&bytes[1 + 32 * i..1 + 32 * (i + 1)]);
            out
        };
        let leaf = Self {
            kind,
            credential: field(0),
            ballot_hash: field(1),
            commitment: field(2),
            response: field(3),
        };
        let non_canonical = |field: &'static str| {
            move |reason| LeafError::NonCanonical {
                kind,
                field,
                reason,
            }
        };
        let must_be_zero = |value: &[u8; 32], field: &'static str| {
            if value == &[0u8; 32] {
                Ok(())
            } else {
                Err(LeafError::NonZero { kind, field })
            }
        };
        match kind {
            LeafKind::Cast => {
                GroupElement::decode(&leaf.credential).map_err(non_canonical("credential"))?;
                GroupElement::decode(&leaf.commitment)
                    .map_err(non_canonical("signature commitment"))?;
                decode_scalar(leaf.response).map_err(non_canonical("signature response"))?;
            }
            LeafKind::Challenged => {
                GroupElement::decode(&leaf.credential).map_err(non_canonical("credential"))?;
                must_be_zero(&leaf.commitment, "signature commitment")?;
                must_be_zero(&leaf.response, "signature response")?;
            }
            LeafKind::Close => {
                CommissionKey::from_bytes(&leaf.credential).map_err(LeafError::CommissionKey)?;
                let canonical = CompressedEdwardsY(leaf.commitment)
                    .decompress()
                    .is_some_and(|r| r.compress().to_bytes() == leaf.commitment);
                if !canonical {
                    return Err(LeafError::SignaturePoint);
                }
                decode_scalar(leaf.response).map_err(non_canonical("signature S"))?;
            }
        }
        Ok(leaf)
    }

    /// The 129-byte encoding: `kind ‖ credential ‖ ballot hash ‖ commitment ‖ response`.
    pub fn to_bytes(&self) -> [u8; LEAF_SIZE] {
        let mut out = [0u8; LEAF_SIZE];
        out[0] = self.kind.byte();
        out[1..33].copy_from_slice(&self.credential);
        out[33..65].copy_from_slice(&self.ballot_hash);
        out[65..97].copy_from_slice(&self.commitment);
        out[97..129].copy_from_slice(&self.response);
        out
    }

    /// The Merkle leaf hash `SHA-256(0x00 ‖ bytes)` (board.md §7.2, log.md §2.1).
    pub fn hash(&self) -> Hash {
        leaf_hash(&self.to_bytes())
    }

    /// The kind.
    pub fn kind(&self) -> LeafKind {
        self.kind
    }
    /// The credential encoding (the commission's key for a close leaf).
    pub fn credential(&self) -> &[u8; 32] {
        &self.credential
    }
    /// The ballot hash (the close statement for a close leaf).
    pub fn ballot_hash(&self) -> &Hash {
        &self.ballot_hash
    }
    /// The signature commitment encoding (`R` of a close leaf; zero for a challenged leaf).
    pub fn commitment(&self) -> &[u8; 32] {
        &self.commitment
    }
    /// The signature response encoding (`S` of a close leaf; zero for a challenged leaf).
    pub fn response(&self) -> &[u8; 32] {
        &self.response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::error::DecodeError;
    use crate::crypto::group::G;
    use curve25519_dalek::scalar::Scalar;

    fn sample_cast() -> Leaf {
        let credential = GroupElement::from_point(G * Scalar::from(7u64));
        let signature = SchnorrProof {
            commitment: GroupElement::from_point(G * Scalar::from(11u64)),
            response: Scalar::from(13u64),
        };
        Leaf::cast(&credential, [0xab; 32], &signature)
    }

    fn sample_challenged() -> Leaf {
        Leaf::challenged(
            &GroupElement::from_point(G * Scalar::from(7u64)),
            [0xcd; 32],
        )
    }

    fn sample_close() -> Leaf {
        let key = crate::record::CommissionSigningKey::from_seed([5; 32]);
        let f = [0x11; 32];
        Leaf::close(
            &key.public(),
            crate::record::close_message(&f),
            &key.sign_close(&f),
        )
    }

    #[test]
    fn round_trips() {
        for leaf in [sample_cast(), sample_challenged(), sample_close()] {
            let bytes = leaf.to_bytes();
            assert_eq!(bytes.len(), LEAF_SIZE);
            assert_eq!(Leaf::decode(&bytes).unwrap(), leaf);
            assert_eq!(Leaf::decode(&bytes).unwrap().to_bytes(), bytes);
        }
        let cast = sample_cast().to_bytes();
        assert_eq!(cast[0], 0x01);
        assert_eq!(&cast[33..65], &[0xab; 32]);
    }

    #[test]
    fn the_close_leaf_carries_a_verifiable_signature() {
        let key = crate::record::CommissionSigningKey::from_seed([5; 32]);
        let leaf = sample_close();
        let public = CommissionKey::from_bytes(leaf.credential()).unwrap();
        assert_eq!(public, key.public());
        let signature = leaf.close_signature().unwrap();
        assert_eq!(public.verify(leaf.ballot_hash(), &signature), Ok(()));
        assert_eq!(sample_cast().close_signature(), None);
    }

    #[test]
    fn rejects_wrong_lengths() {
        let bytes = sample_cast().to_bytes();
        assert_eq!(Leaf::decode(&bytes[..128]), Err(LeafError::Length(128)));
        let mut long = bytes.to_vec();
        long.push(0);
        assert_eq!(Leaf::decode(&long), Err(LeafError::Length(130)));
        assert_eq!(Leaf::decode(&[]), Err(LeafError::Length(0)));
    }

    #[test]
    fn rejects_unknown_and_reserved_kinds() {
        let mut bytes = sample_close().to_bytes();
        for kind in [0x00, 0x05, 0xff] {
            bytes[0] = kind;
            assert_eq!(Leaf::decode(&bytes), Err(LeafError::UnknownKind(kind)));
        }
        bytes[0] = 0x04;
        assert_eq!(Leaf::decode(&bytes), Err(LeafError::ReservedKind(0x04)));
    }

    #[test]
    fn rejects_signature_on_challenged() {
        for (offset, field) in [(65, "signature commitment"), (97, "signature response")] {
            let mut bytes = sample_challenged().to_bytes();
            bytes[offset + 5] = 1;
            assert_eq!(
                Leaf::decode(&bytes),
                Err(LeafError::NonZero {
                    kind: LeafKind::Challenged,
                    field
                })
            );
        }
    }

    #[test]
    fn rejects_non_canonical_close_fields() {
        // A weak (small-order) key: the identity's encoding.
        let mut bytes = sample_close().to_bytes();
        bytes[1..33].copy_from_slice(&[0; 32]);
        bytes[1] = 1;
        assert!(matches!(
            Leaf::decode(&bytes),
            Err(LeafError::CommissionKey(_))
        ));
        // R with y ≥ p: not canonical.
        let mut bytes = sample_close().to_bytes();
        bytes[65..97].copy_from_slice(&[0xff; 32]);
        bytes[96] = 0x7f;
        assert_eq!(Leaf::decode(&bytes), Err(LeafError::SignaturePoint));
        // S ≥ ℓ.
        let mut bytes = sample_close().to_bytes();
        bytes[97..129].copy_from_slice(&[0xff; 32]);
        assert!(matches!(
            Leaf::decode(&bytes),
            Err(LeafError::NonCanonical {
                kind: LeafKind::Close,
                field: "signature S",
                ..
            })
        ));
    }

    #[test]
    fn rejects_non_canonical_cast_fields() {
        // 0xff…ff is not a canonical ristretto255 encoding, nor a reduced scalar.
        for (offset, field, reason) in [
            (1, "credential", DecodeError::NonCanonicalPoint),
            (65, "signature commitment", DecodeError::NonCanonicalPoint),
            (97, "signature response", DecodeError::NonCanonicalScalar),
        ] {
            let mut bytes = sample_cast().to_bytes();
            bytes[offset..offset + 32].copy_from_slice(&[0xff; 32]);
            assert_eq!(
                Leaf::decode(&bytes),
                Err(LeafError::NonCanonical {
                    kind: LeafKind::Cast,
                    field,
                    reason
                })
            );
        }
        let mut bytes = sample_challenged().to_bytes();
        bytes[1..33].copy_from_slice(&[0xff; 32]);
        assert!(matches!(
            Leaf::decode(&bytes),
            Err(LeafError::NonCanonical {
                kind: LeafKind::Challenged,
                field: "credential",
                ..
            })
        ));
    }
}
