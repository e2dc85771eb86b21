//! Checks on what the board hands a voter about the log (spec `device.md` §3, §4; `log.md` §5): a signed
//! checkpoint under the log key that `F` binds, an inclusion proof of one leaf, and a consistency
//! proof between two checkpoints. Each check is the library's (`saylau::log`); this file only
//! ties them to one election.

use super::board::HexHash;
use ed25519_dalek::VerifyingKey;
use saylau::crypto::digest::Hash;
use saylau::election::Leaf;
use saylau::log::note::{KeyType, Note, VerifierKey};
use saylau::log::{tree, Checkpoint, SignedCheckpoint};

/// Why a checkpoint or a proof from the board was refused.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// The checkpoint is not a signed note of this election's log.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// The inclusion proof does not lead from the leaf to the checkpoint's root.
    #[error("inclusion proof of leaf {index} in the checkpoint of size {size}: {reason}")]
    Inclusion {
        /// The leaf index.
        index: u64,
        /// The checkpoint's size.
        size: u64,
        /// What the library found.
        reason: tree::TreeError,
    },
    /// The consistency proof does not show the older checkpoint is a prefix of the newer.
    #[error("consistency proof from size {from} to size {to}: {reason}")]
    Consistency {
        /// The older size.
        from: u64,
        /// The newer size.
        to: u64,
        /// What the library found.
        reason: tree::TreeError,
    },
}

/// Whether `origin` is `<host>/saylau/<hex F>` with a non-empty host free of `/` and white
/// space (spec `device.md` §3).
pub fn origin_is_for(origin: &str, fingerprint: &Hash) -> bool {
    let suffix = format!("/saylau/{}", hex::encode(fingerprint));
    match origin.strip_suffix(&suffix) {
        Some(host) => {
            !host.is_empty() && !host.contains('/') && !host.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// Opens a signed checkpoint of election `fingerprint`'s log: its origin must follow the rule
/// of [`origin_is_for`], and the log key `log_key` must have signed it under that origin.
pub fn open_checkpoint(
    text: &str,
    fingerprint: &Hash,
    log_key: &VerifyingKey,
) -> Result<SignedCheckpoint, ProofError> {
    let bad = |detail: String| ProofError::Checkpoint(detail);
    let note = Note::parse(text.as_bytes()).map_err(|e| bad(e.to_string()))?;
    let origin = note
        .text()
        .split('\n')
        .next()
        .unwrap_or_default()
        .to_string();
    if !origin_is_for(&origin, fingerprint) {
        return Err(bad(format!(
            "origin {origin:?} is not <host>/saylau/{}",
            hex::encode(fingerprint)
        )));
    }
    let key = VerifierKey::new(KeyType::Ed25519, &origin, *log_key)
        .map_err(|e| bad(format!("the log key under the name {origin:?}: {e}")))?;
    SignedCheckpoint::open(text.as_bytes(), &key, &origin).map_err(|e| bad(e.to_string()))
}

/// Checks that `leaf` is leaf `index` of the tree `checkpoint` signs.
pub fn check_inclusion(
    checkpoint: &Checkpoint,
    index: u64,
    leaf: &Leaf,
    proof: &[HexHash],
) -> Result<(), ProofError> {
    let proof: Vec<Hash> = proof.iter().map(|h| h.0).collect();
    tree::check_record(
        &proof,
        checkpoint.size(),
        checkpoint.root(),
        index,
        &leaf.hash(),
    )
    .map_err(|reason| ProofError::Inclusion {
        index,
        size: checkpoint.size(),
        reason,
    })
}

/// Checks that the tree `old` signs is a prefix of the tree `new` signs.
pub fn check_consistency(
    old: &Checkpoint,
    new: &Checkpoint,
    proof: &[HexHash],
) -> Result<(), ProofError> {
    let proof: Vec<Hash> = proof.iter().map(|h| h.0).collect();
    tree::check_tree(&proof, new.size(), new.root(), old.size(), old.root()).map_err(|reason| {
        ProofError::Consistency {
            from: old.size(),
            to: new.size(),
            reason,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_name_the_election() {
        let f = [7u8; 32];
        let good = format!("board.example/saylau/{}", hex::encode(f));
        assert!(origin_is_for(&good, &f));
        assert!(origin_is_for(
            &format!("localhost:8080/saylau/{}", hex::encode(f)),
            &f
        ));
        for bad in [
            format!("/saylau/{}", hex::encode(f)),
            format!("a/b/saylau/{}", hex::encode(f)),
            format!("a b/saylau/{}", hex::encode(f)),
            format!("board.example/saylau/{}", hex::encode([8u8; 32])),
            format!("board.example/saylau/{}x", hex::encode(f)),
        ] {
            assert!(!origin_is_for(&bad, &f), "{bad}");
        }
    }
}
