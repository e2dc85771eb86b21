//! Tagged SHA3-256 hashing: every hash in saylau is `tagged_hash(tag, parts)`.
//!
//! Spec: `protocol-spec/encoding.md` §5. The input is
//! `len(tag) ‖ tag ‖ len(part₁) ‖ part₁ ‖ … ‖ len(partₖ) ‖ partₖ`, lengths as 8-byte
//! little-endian integers, so no two different (tag, parts) lists hash the same bytes.

use sha3::{Digest, Sha3_256};

/// A 32-byte SHA3-256 digest.
pub type Hash = [u8; 32];

/// SHA3-256 over the length-prefixed tag and parts.
pub fn tagged_hash(tag: &str, parts: &[&[u8]]) -> Hash {
    let mut hasher = Sha3_256::new();
    hasher.update((tag.len() as u64).to_le_bytes());
    hasher.update(tag.as_bytes());
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// Lower-case hex of a hash.
pub fn to_hex(hash: &Hash) -> String {
    hex::encode(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_unambiguous() {
        assert_ne!(
            tagged_hash("t", &[b"ab", b"c"]),
            tagged_hash("t", &[b"a", b"bc"])
        );
        assert_ne!(tagged_hash("ta", &[b"b"]), tagged_hash("t", &[b"ab"]));
        assert_ne!(tagged_hash("t", &[]), tagged_hash("t", &[b""]));
    }
}
