//! The published context of one election (spec `record.md` §3): manifest, ceremony,
//! credentials and fingerprint, read strictly from a record.

use crate::ceremony::CeremonyRecord;
use crate::crypto::digest::Hash;
use crate::crypto::elgamal::PublicKey;
use crate::manifest::Manifest;
use crate::record::{
    file_hash, invalid_credentials, ElectionInfo, Record, RecordError, CEREMONY, ELECTION,
    MANIFEST, TRANSCRIPT_DIR,
};

use thiserror::Error;

/// Why an election could not be opened or published.
#[derive(Debug, Error)]
pub enum ElectionError {
    /// A record file could not be read or written.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The manifest breaks its rules.
    #[error("manifest.json: {0}")]
    Manifest(String),
    /// `credentials.json` lists something that is not a credential.
    #[error("credentials.json: {0}")]
    Credentials(String),
    /// The tally is asked for before voting was closed (spec `record.md` §5.4).
    #[error("the board is not closed: {0}")]
    NotClosed(String),
    /// `election.json` does not match the files it hashes.
    #[error("election.json: {0}")]
    Mismatch(String),
}

/// `election.json`'s `trustee_identities`, recomputed from the record (spec `record.md` §3.4):
/// true iff the record holds the ceremony transcript `ceremony/` (§5.8), which separate
/// trustees with signed identities leave and an in-process ceremony does not. Whether that
/// transcript is sound is verifier check 3's business; this only says which form the record
/// must have, so that a record of signed trustees cannot be passed off as the unsigned form.
pub fn trustee_identities(record: &Record) -> bool {
    std::fs::symlink_metadata(record.path(TRANSCRIPT_DIR)).is_ok()
}

/// The published context of one election.
#[derive(Clone, Debug)]
pub struct Election {
    /// The election definition.
    pub manifest: Manifest,
    /// The key ceremony's public transcript.
    pub ceremony: CeremonyRecord,
    /// The encodings of the eligible voters' public credentials, in `credentials.json` order
    /// (each checked to be a canonical point other than the identity).
    pub credentials: Vec<[u8; 32]>,
    /// The fingerprint and its inputs.
    pub info: ElectionInfo,
}

impl Election {
    /// The fingerprint every proof binds.
    pub fn fingerprint(&self) -> &Hash {
        &self.info.fingerprint
    }

    /// The joint election key.
    pub fn key(&self) -> &PublicKey {
        &self.info.joint_key
    }

    /// Reads the election's context from a record, checking that `election.json` matches the
    /// files it hashes. (The verifier re-checks all of it and more; this is the strict loader
    /// for the board and the trustees.)
    pub fn open(record: &Record) -> Result<Self, ElectionError> {
        Self::open_checking(record, true)
    }

    /// [`Election::open`], except that the listed credentials are not each decoded as a point:
    /// `credentials.json` must still hash to the `credentials_hash` that `election.json` binds,
    /// but a listed encoding that is not a canonical point other than the identity is not
    /// noticed. For a board restarting on an election it opened (board.md §7.8): decoding a
    /// million points is most of its start, and a listed encoding that does not decode can
    /// never be matched, since a ballot's credential is decoded strictly before the board looks
    /// it up. `board open` and the verifier decode every one.
    pub fn open_without_checking_credential_points(record: &Record) -> Result<Self, ElectionError> {
        Self::open_checking(record, false)
    }

    fn open_checking(record: &Record, check_points: bool) -> Result<Self, ElectionError> {
        let (manifest, manifest_bytes): (Manifest, _) = record.json(MANIFEST)?;
        let (ceremony, ceremony_bytes): (CeremonyRecord, _) = record.json(CEREMONY)?;
        let (credentials, credentials_hash) = record.credential_encodings()?;
        if check_points {
            if let Some((i, error)) = invalid_credentials(&credentials).first() {
                return Err(ElectionError::Credentials(format!(
                    "credentials[{i}]: {error}"
                )));
            }
        }
        let (info, _): (ElectionInfo, _) = record.json(ELECTION)?;
        let expected = ElectionInfo::new(
            Manifest::hash_bytes(&manifest_bytes),
            file_hash(&ceremony_bytes),
            credentials_hash,
            ceremony.joint_key,
            info.board_key,
            info.log_key,
            info.commission_key,
            info.witness_policy.clone(),
            trustee_identities(record),
        );
        let problems = manifest.check();
        if !problems.is_empty() {
            let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return Err(ElectionError::Manifest(list.join("; ")));
        }
        ceremony
            .verify()
            .map_err(|e| ElectionError::Mismatch(format!("ceremony.json does not verify: {e}")))?;
        if ceremony.manifest_hash != expected.manifest_hash {
            return Err(ElectionError::Mismatch(
                "ceremony.json was run for another manifest".into(),
            ));
        }
        info.witness_policy
            .check()
            .map_err(|e| ElectionError::Mismatch(format!("witness_policy: {e}")))?;
        if expected.trustee_identities != info.trustee_identities {
            return Err(ElectionError::Mismatch(format!(
                "trustee_identities is {} but the record {} the ceremony transcript ceremony/",
                info.trustee_identities,
                if expected.trustee_identities {
                    "has"
                } else {
                    "lacks"
                }
            )));
        }
        if expected != info {
            return Err(ElectionError::Mismatch("its hashes, key or fingerprint do not match manifest.json, ceremony.json, credentials.json and its own keys".into()));
        }
        Ok(Self {
            manifest,
            ceremony,
            credentials,
            info,
        })
    }
}
