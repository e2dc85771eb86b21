//! What the record's files hold: the credential list, `election.json` and its fingerprint
//! (spec `record.md` §3), the board's lines and their tracking codes (spec `board.md` §2).

use crate::ballot::{Ballot, ChallengedBallot};
use crate::crypto::digest::{tagged_hash, Hash};
use crate::crypto::elgamal::PublicKey;
use crate::crypto::group::{hash_hex, GroupElement};
use crate::crypto::proofs::SchnorrProof;
use serde::{Deserialize, Serialize};

/// `credentials.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialList {
    /// Public credentials `X = x·G` of the eligible voters, in registration order.
    pub credentials: Vec<GroupElement>,
}

/// `election.json`: the election fingerprint and its inputs (spec `record.md` §3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionInfo {
    /// Format version, 1.
    pub version: u32,
    /// Hash of `manifest.json`.
    #[serde(with = "hash_hex")]
    pub manifest_hash: Hash,
    /// Hash of `ceremony.json`.
    #[serde(with = "hash_hex")]
    pub ceremony_hash: Hash,
    /// Hash of `credentials.json`.
    #[serde(with = "hash_hex")]
    pub credentials_hash: Hash,
    /// The joint election key `K`.
    pub joint_key: PublicKey,
    /// The board's receipt-signing key `B` (spec `board.md` §3.1), never the identity. Bound
    /// into the fingerprint, so it is fixed before the first ballot and cannot be swapped
    /// afterwards.
    pub board_key: PublicKey,
    /// The fingerprint every proof binds.
    #[serde(with = "hash_hex")]
    pub fingerprint: Hash,
}

impl ElectionInfo {
    /// Computes the fingerprint from its inputs (spec `record.md` §3).
    pub fn new(
        manifest_hash: Hash,
        ceremony_hash: Hash,
        credentials_hash: Hash,
        joint_key: PublicKey,
        board_key: PublicKey,
    ) -> Self {
        let fingerprint = election_fingerprint(
            &manifest_hash,
            &ceremony_hash,
            &credentials_hash,
            &joint_key,
            &board_key,
        );
        Self {
            version: 1,
            manifest_hash,
            ceremony_hash,
            credentials_hash,
            joint_key,
            board_key,
            fingerprint,
        }
    }
}

/// `fingerprint = H("saylau/v1/election", manifest_hash, ceremony_hash, credentials_hash, K, B)`
/// (spec `record.md` §3.1).
pub fn election_fingerprint(
    manifest_hash: &Hash,
    ceremony_hash: &Hash,
    credentials_hash: &Hash,
    joint_key: &PublicKey,
    board_key: &PublicKey,
) -> Hash {
    tagged_hash(
        "saylau/v1/election",
        &[
            manifest_hash,
            ceremony_hash,
            credentials_hash,
            joint_key.element().as_bytes(),
            board_key.element().as_bytes(),
        ],
    )
}

/// The tracking code of a cast ballot:
/// `H("saylau/v1/tracking", previous, ballot hash, signature commitment, signature response)`,
/// with the election fingerprint as the first `previous` (spec `board.md` §2). The ballot hash
/// commits to the whole body, so the link commits to the whole ballot without rehashing it.
pub fn tracking_code(previous: &Hash, ballot_hash: &Hash, signature: &SchnorrProof) -> Hash {
    tracking_link(
        previous,
        ballot_hash,
        signature.commitment.as_bytes(),
        signature.response.as_bytes(),
    )
}

/// [`tracking_code`] over the signature's two encodings as published, for a reader that follows
/// the chain without decoding the ballots (spec `board.md` §2, §3.3).
pub fn tracking_link(
    previous: &Hash,
    ballot_hash: &Hash,
    commitment: &[u8; 32],
    response: &[u8; 32],
) -> Hash {
    tagged_hash(
        "saylau/v1/tracking",
        &[previous, ballot_hash, commitment, response],
    )
}

/// One line of `ballots.jsonl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotLine {
    /// The voter's receipt: this ballot's link in the board's hash chain.
    #[serde(with = "hash_hex")]
    pub tracking_code: Hash,
    /// The ballot hash the device showed before casting.
    #[serde(with = "hash_hex")]
    pub ballot_hash: Hash,
    /// The ballot.
    pub ballot: Ballot,
}

/// One line of `challenged.jsonl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengedLine {
    /// The ballot hash the device showed before the voter challenged.
    #[serde(with = "hash_hex")]
    pub ballot_hash: Hash,
    /// The ballot and its revealed secrets.
    pub challenged: ChallengedBallot,
}
