//! What the record's files hold: the credential list, `election.json` and its fingerprint
//! (spec `record.md` §3), the board's lines and their tracking codes (spec `board.md` §2).

use super::error::RecordError;
use super::files::decode_from;
use super::hashing::HashedFile;
use super::layout::CREDENTIALS;
use crate::ballot::{Ballot, ChallengedBallot};
use crate::crypto::digest::{tagged_hash, Hash};
use crate::crypto::elgamal::PublicKey;
use crate::crypto::group::{hash_hex, GroupElement};
use crate::crypto::proofs::SchnorrProof;
use serde::{Deserialize, Serialize};
use std::path::Path;

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

/// The encodings of the credentials in `credentials.json`, in order, and the file's hash. The
/// file grows with the electorate (about 70 bytes per voter), so it is read once, as a stream
/// with no size limit, hashed as it is parsed, and only the 32 bytes of each encoding are kept
/// (spec `record.md` §6.1). Whether each is a valid credential is the caller's check.
pub fn read_credential_encodings(dir: &Path) -> Result<(Vec<[u8; 32]>, Hash), RecordError> {
    /// One credential's encoding, not decoded as a point.
    #[derive(Deserialize)]
    #[serde(transparent)]
    struct Encoding(#[serde(with = "hash_hex")] [u8; 32]);

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Encodings {
        credentials: Vec<Encoding>,
    }

    let mut file = HashedFile::open(dir, CREDENTIALS)?;
    let list: Encodings = decode_from(
        CREDENTIALS,
        None,
        &mut serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(
            1 << 20,
            &mut file,
        )),
    )?;
    // The decoder stops after trailing white space; anything it did not read is still hashed.
    std::io::copy(&mut file, &mut std::io::sink()).map_err(|e| RecordError::io(CREDENTIALS, e))?;
    let encodings = list.credentials.into_iter().map(|e| e.0).collect();
    Ok((encodings, file.finish()?))
}

/// The indices of the entries of `encodings` that are not credentials (a canonical encoding of a
/// point other than the identity), with why, in order. Decodes in parallel: one decompression
/// per voter (spec `verifier.md` check 4).
pub fn invalid_credentials(
    encodings: &[[u8; 32]],
) -> Vec<(usize, crate::crypto::error::DecodeError)> {
    use rayon::prelude::*;
    encodings
        .par_iter()
        .enumerate()
        .filter_map(|(i, encoding)| {
            GroupElement::decode_non_identity(encoding)
                .err()
                .map(|e| (i, e))
        })
        .collect()
}
