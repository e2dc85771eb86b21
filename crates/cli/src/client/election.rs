//! The device's first step (spec `device.md` §2): fetch the
//! election the board serves and accept it only if it recomputes to the fingerprint the voter
//! got from outside the board. A dishonest board must not be able to hand the device its own
//! election key: the key is in `ceremony.json`, whose hash `election.json` carries, whose
//! fingerprint the voter compares.

use super::board::Board;
use super::error::ClientError;
use saylau::ceremony::CeremonyRecord;
use saylau::crypto::digest::Hash;
use saylau::crypto::elgamal::{EncryptionKey, PublicKey};
use saylau::election::Receipt;
use saylau::manifest::Manifest;
use saylau::record::{self, ElectionInfo};

/// Why the device refuses the election a board serves.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// A file could not be fetched.
    #[error(transparent)]
    Fetch(#[from] ClientError),
    /// A file is not what its format says.
    #[error("{0}")]
    Malformed(String),
    /// The board serves another election than the one the voter expects.
    #[error("the board serves election {}, not the expected {}: refusing to encrypt", hex::encode(.served), hex::encode(.expected))]
    WrongElection {
        /// The fingerprint the voter gave.
        expected: Hash,
        /// The fingerprint in the board's `election.json`.
        served: Hash,
    },
    /// The files do not recompute to the fingerprint.
    #[error("{0}: refusing to encrypt")]
    Mismatch(String),
}

/// An election whose files recompute to the fingerprint the caller expects.
#[derive(Clone, Debug)]
pub struct TrustedElection {
    /// `manifest.json`.
    pub manifest: Manifest,
    /// `ceremony.json`, verified.
    pub ceremony: CeremonyRecord,
    /// `election.json`, recomputed.
    pub info: ElectionInfo,
}

impl TrustedElection {
    /// Fetches `election.json`, `manifest.json` and `ceremony.json` from the board and checks
    /// them with [`TrustedElection::from_files`].
    pub fn fetch(board: &Board, expected: Option<&Hash>) -> Result<Self, TrustError> {
        let election = board.election_file(record::ELECTION)?;
        // The cheapest refusal first: a board serving another election is told at once.
        let info: ElectionInfo = decode(record::ELECTION, &election)?;
        if let Some(expected) = expected {
            if &info.fingerprint != expected {
                return Err(TrustError::WrongElection {
                    expected: *expected,
                    served: info.fingerprint,
                });
            }
        }
        let manifest = board.election_file(record::MANIFEST)?;
        let ceremony = board.election_file(record::CEREMONY)?;
        Self::from_files(&manifest, &ceremony, &election, expected)
    }

    /// Checks the three files against each other and against `expected` (`None`: only against
    /// each other, for a load test that trusts its own board): `election.json`'s fingerprint is
    /// recomputed from `manifest.json`'s hash, `ceremony.json`'s hash and joint key, and the
    /// credentials hash, board key, log key, witness policy and trustee-identities flag that
    /// `election.json` carries (spec `record.md` §3); the ceremony transcript is verified and
    /// must be for this manifest.
    pub fn from_files(
        manifest_bytes: &[u8],
        ceremony_bytes: &[u8],
        election_bytes: &[u8],
        expected: Option<&Hash>,
    ) -> Result<Self, TrustError> {
        let info: ElectionInfo = decode(record::ELECTION, election_bytes)?;
        if let Some(expected) = expected {
            if &info.fingerprint != expected {
                return Err(TrustError::WrongElection {
                    expected: *expected,
                    served: info.fingerprint,
                });
            }
        }
        let mismatch = |what: &str| TrustError::Mismatch(what.to_string());
        info.witness_policy
            .check()
            .map_err(|e| TrustError::Malformed(format!("election.json: witness_policy: {e}")))?;
        if recomputed(
            &info,
            info.manifest_hash,
            info.ceremony_hash,
            info.joint_key,
        ) != info
        {
            return Err(mismatch(
                "election.json: its fingerprint is not the hash of its own fields",
            ));
        }
        let manifest: Manifest = decode(record::MANIFEST, manifest_bytes)?;
        let manifest_hash = Manifest::hash_bytes(manifest_bytes);
        if manifest_hash != info.manifest_hash {
            return Err(mismatch(
                "manifest.json is not the manifest election.json binds (its hash differs)",
            ));
        }
        if let Some(problem) = manifest.check().first() {
            return Err(TrustError::Malformed(format!("manifest.json: {problem}")));
        }
        let ceremony: CeremonyRecord = decode(record::CEREMONY, ceremony_bytes)?;
        let ceremony_hash = record::file_hash(ceremony_bytes);
        if ceremony_hash != info.ceremony_hash {
            return Err(mismatch(
                "ceremony.json is not the ceremony election.json binds (its hash differs)",
            ));
        }
        if ceremony.manifest_hash != manifest_hash {
            return Err(mismatch("ceremony.json was run for another manifest"));
        }
        ceremony
            .verify()
            .map_err(|e| TrustError::Mismatch(format!("ceremony.json does not verify: {e}")))?;
        // The definitive check: everything the device will use, recomputed from the files.
        let recomputed = recomputed(&info, manifest_hash, ceremony_hash, ceremony.joint_key);
        if recomputed != info || expected.is_some_and(|f| &recomputed.fingerprint != f) {
            return Err(mismatch(
                "election.json: its key or fingerprint do not follow from manifest.json and ceremony.json",
            ));
        }
        Ok(Self {
            manifest,
            ceremony,
            info,
        })
    }

    /// The fingerprint `F`.
    pub fn fingerprint(&self) -> &Hash {
        &self.info.fingerprint
    }

    /// The joint election key, from the verified ceremony.
    pub fn key(&self) -> EncryptionKey {
        EncryptionKey::new(self.ceremony.joint_key)
    }

    /// The board's receipt key `B`, bound into `F`.
    pub fn board_key(&self) -> &PublicKey {
        &self.info.board_key
    }

    /// Checks a receipt the board answered a cast with (spec `board.md` §3.1): for this
    /// election, naming the ballot cast, and signed by the board key `F` binds.
    pub fn check_receipt(&self, receipt: &Receipt, ballot_hash: &Hash) -> Result<(), String> {
        if &receipt.election != self.fingerprint() {
            return Err("the board's receipt is for another election".into());
        }
        if &receipt.ballot_hash != ballot_hash {
            return Err(format!(
                "the board's receipt names ballot {}, not the ballot cast ({})",
                hex::encode(receipt.ballot_hash),
                hex::encode(ballot_hash)
            ));
        }
        receipt
            .verify(self.board_key())
            .map_err(|e| format!("the board's receipt signature does not verify: {e}"))
    }
}

/// `election.json` as the library computes it from these inputs and the ones only `info`
/// carries: the credentials hash, the board key, the log key, the witness policy, and the
/// trustee-identities flag (which a reader of the full record recomputes from `ceremony/`; the
/// device has only `ceremony.json`, and takes the flag as `F` binds it).
fn recomputed(
    info: &ElectionInfo,
    manifest_hash: Hash,
    ceremony_hash: Hash,
    joint_key: PublicKey,
) -> ElectionInfo {
    ElectionInfo::new(
        manifest_hash,
        ceremony_hash,
        info.credentials_hash,
        joint_key,
        info.board_key,
        info.log_key,
        info.commission_key,
        info.witness_policy.clone(),
        info.trustee_identities,
    )
}

/// `election.json` recomputed from its own fields: its fingerprint must be theirs.
pub fn recompute_from_fields(info: &ElectionInfo) -> ElectionInfo {
    recomputed(info, info.manifest_hash, info.ceremony_hash, info.joint_key)
}

fn decode<T: serde::de::DeserializeOwned>(name: &str, bytes: &[u8]) -> Result<T, TrustError> {
    record::decode_json(name, None, bytes).map_err(|e| TrustError::Malformed(e.to_string()))
}
