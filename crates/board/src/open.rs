//! `board open`: opens for voting an election that `ceremony finish` started. It takes the
//! credential list, draws the board's keys, writes them to the key file, and writes
//! `election.json`, whose fingerprint binds the receipt key, the log key, and the commission's
//! key (which signs the close and the publication of the results, board.md §9).
//!
//! Spec: `protocol-spec/board.md` §8.6, `record.md` §3.

use std::path::{Path, PathBuf};

use rand_core::{CryptoRng, RngCore};
use saylau::ceremony::CeremonyRecord;
use saylau::election::{trustee_identities, Election, ElectionError};
use saylau::log::tree::Hash;
use saylau::manifest::Manifest;
use saylau::record::{
    self, CommissionKey, CredentialList, ElectionInfo, Record, RecordError, WitnessPolicy,
};
use thiserror::Error;

use crate::checkpoints::origin;
use crate::keys::{valid_host, BoardKeys, KeysError};

/// Why the election could not be opened.
#[derive(Debug, Error)]
pub enum OpenError {
    /// The record is not ready, or is open already.
    #[error("{0}")]
    Record(String),
    /// A record file.
    #[error(transparent)]
    Files(#[from] RecordError),
    /// The election read back does not check.
    #[error(transparent)]
    Election(#[from] ElectionError),
    /// The key file.
    #[error(transparent)]
    Keys(#[from] KeysError),
}

/// What `board open` did.
#[derive(Debug)]
pub struct Opened {
    /// The election fingerprint `F`.
    pub fingerprint: Hash,
    /// The log's origin.
    pub origin: String,
    /// The key file written.
    pub keys: PathBuf,
    /// Number of listed credentials.
    pub voters: usize,
}

/// Opens the election on `dir`: see the module documentation. `credentials` is a credential
/// list to copy into the record (refused if the record holds a different one); without it the
/// record must hold `credentials.json` already. The key file is written before `election.json`,
/// and never overwritten.
pub fn open_election<R: RngCore + CryptoRng>(
    dir: &Path,
    credentials: Option<&Path>,
    keys_path: &Path,
    host: &str,
    commission_key: CommissionKey,
    rng: &mut R,
) -> Result<Opened, OpenError> {
    open_election_with_witnesses(
        dir,
        credentials,
        keys_path,
        host,
        commission_key,
        WitnessPolicy::none(),
        rng,
    )
}

/// [`open_election`] with a witness policy (`board open --witness VKEY --quorum K`,
/// board.md §9.1), checked before anything is written.
pub fn open_election_with_witnesses<R: RngCore + CryptoRng>(
    dir: &Path,
    credentials: Option<&Path>,
    keys_path: &Path,
    host: &str,
    commission_key: CommissionKey,
    witness_policy: WitnessPolicy,
    rng: &mut R,
) -> Result<Opened, OpenError> {
    witness_policy
        .check()
        .map_err(|e| OpenError::Record(format!("witness policy: {e}")))?;
    if !valid_host(host) {
        return Err(OpenError::Record(format!(
            "--host {host:?}: a host name without '/' or spaces"
        )));
    }
    for name in [record::MANIFEST, record::CEREMONY] {
        if !dir.join(name).is_file() {
            return Err(OpenError::Record(format!(
                "{} has no {name}: start the record with `saylau ceremony finish`",
                dir.display()
            )));
        }
    }
    for name in [record::ELECTION, record::BALLOTS, record::CHALLENGED] {
        if dir.join(name).exists() {
            return Err(OpenError::Record(format!(
                "{} already holds {name}: the election on this record is already open",
                dir.display()
            )));
        }
    }
    if keys_path.starts_with(dir) {
        return Err(OpenError::Record(format!(
            "the key file {} would be inside the record {}: keys are never published",
            keys_path.display(),
            dir.display()
        )));
    }
    let record = Record::at(dir);
    let (manifest, manifest_bytes): (Manifest, _) = record.json(record::MANIFEST)?;
    let (ceremony, ceremony_bytes): (CeremonyRecord, _) = record.json(record::CEREMONY)?;
    let manifest_hash = Manifest::hash_bytes(&manifest_bytes);
    if ceremony.manifest_hash != manifest_hash {
        return Err(OpenError::Record(
            "ceremony.json was run for another manifest.json".into(),
        ));
    }
    ceremony
        .verify()
        .map_err(|e| OpenError::Record(format!("ceremony.json does not verify: {e}")))?;
    let problems = manifest.check();
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(OpenError::Record(format!(
            "manifest.json: {}",
            list.join("; ")
        )));
    }
    let credentials_bytes = copy_credentials(&record, credentials)?;
    let (list, _) = record.credential_encodings()?;
    if let Some((i, error)) = record::invalid_credentials(&list).first() {
        return Err(OpenError::Record(format!(
            "credentials.json: credentials[{i}]: {error}"
        )));
    }

    let keys = BoardKeys::generate(host, rng);
    keys.write_new(keys_path)?;
    let info = ElectionInfo::new(
        manifest_hash,
        record::file_hash(&ceremony_bytes),
        record::file_hash(&credentials_bytes),
        ceremony.joint_key,
        keys.receipt_key().public(),
        keys.log_key().public(),
        commission_key,
        witness_policy,
        trustee_identities(&record),
    );
    record.write_json(record::ELECTION, &info)?;
    // Read back as the board and every verifier will.
    let election = Election::open(&record)?;
    Ok(Opened {
        fingerprint: *election.fingerprint(),
        origin: origin(keys.host(), election.fingerprint()),
        keys: keys_path.to_path_buf(),
        voters: election.credentials.len(),
    })
}

/// Puts the credential list into the record and returns the record's `credentials.json` bytes.
fn copy_credentials(record: &Record, from: Option<&Path>) -> Result<Vec<u8>, OpenError> {
    let there = record.has(record::CREDENTIALS);
    let Some(from) = from else {
        if !there {
            return Err(OpenError::Record(format!(
                "{} has no {}: pass --credentials FILE (from `saylau credentials issue`)",
                record.dir().display(),
                record::CREDENTIALS
            )));
        }
        return Ok(record.bytes(record::CREDENTIALS)?);
    };
    let bytes = record::read_regular(from)
        .map_err(|e| OpenError::Record(format!("{}: {e}", from.display())))?;
    let _: CredentialList = record::decode_json(&from.display().to_string(), None, &bytes)?;
    if there {
        let current = record.bytes(record::CREDENTIALS)?;
        if current != bytes {
            return Err(OpenError::Record(format!(
                "{} already holds a different {}: refusing to replace the list",
                record.dir().display(),
                record::CREDENTIALS
            )));
        }
        return Ok(current);
    }
    record.write_bytes(record::CREDENTIALS, &bytes)?;
    Ok(bytes)
}
