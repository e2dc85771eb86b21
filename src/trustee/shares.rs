//! A record's decryption-share files, signed by their trustees (spec `ceremony.md` §14.6,
//! `record.md` §5.5).

use super::directory::{entries, is_temporary};
use super::envelope::Envelope;
use super::error::{short, TrusteeError};
use super::identity::Identity;
use super::setup::{CeremonyDir, PARAMETERS_FILE, TRANSCRIPT_DIR};
use super::stage::Stage;
use crate::crypto::digest::Hash;
use crate::crypto::group::hash_hex;
use crate::record::{file_hash, Record, DECRYPTION_DIR, REJECTED_DIR, TALLY};
use crate::tally::{ClosingCheckpoint, DecryptionShare, EncryptedTally};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

/// The body of a signed decryption share (spec `ceremony.md` §14.6, `record.md` §5.5): the
/// share, with the election fingerprint `F` and `file_hash(tally.json)` of the tally it
/// decrypts. The trustee's signature covers all three, so a genuine share copied from another
/// election of the same ceremony, or made for another `tally.json`, is not this record's share
/// of that trustee and is evidence against nobody.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareStatement {
    /// The election fingerprint `F` (`record.md` §3).
    #[serde(with = "hash_hex")]
    pub election: Hash,
    /// `file_hash(tally.json)` of the tally decrypted (`record.md` §2).
    #[serde(with = "hash_hex")]
    pub tally: Hash,
    /// The log's closing checkpoint that `tally.json` names (`record.md` §5.4): the trustee
    /// signs the end of the board it verified.
    pub closing_checkpoint: ClosingCheckpoint,
    /// The decryption share.
    pub share: DecryptionShare,
}

/// `file_hash(tally.json)`, of a `tally.json` that holds exactly `tally` (the one the caller
/// verified or combines): the tally a signed share must name.
pub fn tally_file_hash(record: &Record, tally: &EncryptedTally) -> Result<Hash, TrusteeError> {
    let (published, bytes): (EncryptedTally, _) = record.json(TALLY)?;
    if &published != tally {
        return Err(TrusteeError::usage(format!(
            "{TALLY} changed while it was being read: it no longer holds the tally that was verified"
        )));
    }
    Ok(file_hash(&bytes))
}

/// Checks the names in the record's `decryption/` folder (spec §14.6–§14.7): only
/// `trustee-<i>.json` files and the folder `rejected/`, which holds only `trustee-<i>.json`
/// files, besides a publisher's in-flight temporary file (`ceremony.md` §12). A command that
/// writes there refuses, by name, any other entry, which neither it nor `tally finish` would
/// read.
pub fn check_decryption_folder(record: &Record) -> Result<(), TrusteeError> {
    let unexpected = |name: String| {
        TrusteeError::invalid(
            &name,
            "unexpected file in the record's decryption folder: it is not a decryption share; the commission keeps a copy as evidence and removes it",
        )
    };
    for (folder, subfolder) in [(DECRYPTION_DIR, Some("rejected")), (REJECTED_DIR, None)] {
        let dir = record.path(folder);
        if !dir.exists() {
            continue;
        }
        for name in entries(&dir)? {
            let path = dir.join(&name);
            let is_dir = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
            if Some(name.as_str()) == subfolder && is_dir {
                continue;
            }
            let numbered = name
                .strip_prefix("trustee-")
                .and_then(|rest| rest.strip_suffix(".json"))
                .and_then(|digits| digits.parse::<u32>().ok())
                .is_some_and(|i| name == format!("trustee-{i}.json"));
            if !(numbered && !is_dir || is_temporary(&name)) {
                return Err(unexpected(format!("{folder}/{name}")));
            }
        }
    }
    Ok(())
}

/// How a record's decryption-share files are read (spec §14.6). A record that carries the
/// transcript of a ceremony run by separate trustees (`ceremony/`) holds each share as an
/// [`Envelope`] of kind `decryption`, signed by its trustee, whose body is a [`ShareStatement`]
/// for this election and this `tally.json`; so a share that fails its proofs is evidence against
/// that trustee, and a file anyone else wrote, or its trustee signed for another election or
/// tally, is evidence against nobody. A record of an in-process ceremony (the demo) has no
/// trustee identities, and holds bare shares.
pub struct ShareFiles {
    signers: Option<CeremonyDir>,
    election: Hash,
    tally: Hash,
    closing: Option<ClosingCheckpoint>,
}

impl ShareFiles {
    /// The reader for `record`, whose election fingerprint is `election` and whose `tally.json`
    /// has the file hash `tally` ([`tally_file_hash`]) and names the closing checkpoint
    /// `closing`.
    pub fn for_record(
        record: &Record,
        election: &Hash,
        tally: &Hash,
        closing: Option<ClosingCheckpoint>,
    ) -> Result<Self, TrusteeError> {
        let transcript = record.path(TRANSCRIPT_DIR);
        let signers = if transcript.join(PARAMETERS_FILE).is_file() {
            Some(CeremonyDir::open(&transcript)?)
        } else {
            None
        };
        Ok(Self {
            signers,
            election: *election,
            tally: *tally,
            closing,
        })
    }

    /// True when shares must be signed by their trustees.
    pub fn signed(&self) -> bool {
        self.signers.is_some()
    }

    /// The share published in `dir/name` for trustee `index`. An error says why the file is
    /// not that trustee's: it does not decode, or (in a signed record) it is not an envelope of
    /// kind `decryption` by trustee `index` whose signature verifies, or its trustee signed it
    /// for another election or another `tally.json` (spec §14.6). The share's own `trustee`
    /// field is left to the caller: a signed share naming another trustee is that trustee's
    /// mistake, and evidence against it.
    pub fn read(
        &self,
        record: &Record,
        name: &str,
        index: u32,
    ) -> Result<DecryptionShare, TrusteeError> {
        match &self.signers {
            None => Ok(record.json::<DecryptionShare>(name)?.0),
            Some(context) => {
                let (envelope, _): (Envelope<ShareStatement>, _) = record.json(name)
                    .map_err(|error| {
                        TrusteeError::usage(format!(
                            "{error} (the trustees of this record's ceremony publish their shares signed, in envelopes of kind decryption whose body names the election and tally.json)"
                        ))
                    })?;
                envelope.check(context, name, Stage::Decryption, index)?;
                let statement = envelope.body;
                if statement.election != self.election {
                    return Err(TrusteeError::invalid(
                        name,
                        format!(
                            "its trustee signed it for another election (fingerprint {}…), not this one ({}…)",
                            short(&statement.election),
                            short(&self.election)
                        ),
                    ));
                }
                if statement.tally != self.tally {
                    return Err(TrusteeError::invalid(
                        name,
                        format!(
                            "its trustee signed it for another {TALLY} (file hash {}…), not this record's ({}…)",
                            short(&statement.tally),
                            short(&self.tally)
                        ),
                    ));
                }
                if Some(statement.closing_checkpoint) != self.closing {
                    return Err(TrusteeError::invalid(
                        name,
                        format!(
                            "its trustee signed it for another closing checkpoint (size {}), not the one {TALLY} names",
                            statement.closing_checkpoint.size
                        ),
                    ));
                }
                Ok(statement.share)
            }
        }
    }

    /// The bytes of trustee `index`'s share file: in a signed record, the share with this
    /// election's fingerprint and `tally.json`'s hash, signed by `identity`; the bare share
    /// otherwise.
    pub fn encode<R: RngCore + CryptoRng>(
        &self,
        identity: &Identity,
        index: u32,
        share: DecryptionShare,
        rng: &mut R,
    ) -> Result<Vec<u8>, TrusteeError> {
        let encoded = match &self.signers {
            None => serde_json::to_vec_pretty(&share),
            Some(context) => {
                let closing_checkpoint = self.closing.ok_or_else(|| {
                    TrusteeError::usage(format!(
                        "{TALLY} names no closing checkpoint: the board was not closed"
                    ))
                })?;
                let statement = ShareStatement {
                    election: self.election,
                    tally: self.tally,
                    closing_checkpoint,
                    share,
                };
                let envelope =
                    Envelope::sign(context, identity, index, Stage::Decryption, statement, rng)?;
                serde_json::to_vec_pretty(&envelope)
            }
        };
        let mut bytes = encoded.map_err(|e| TrusteeError::usage(e.to_string()))?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}
