//! A record's decryption-share files, signed by their trustees (spec `ceremony.md` §14.6).

use super::envelope::Envelope;
use super::error::TrusteeError;
use super::identity::Identity;
use super::setup::{CeremonyDir, PARAMETERS_FILE, TRANSCRIPT_DIR};
use super::stage::Stage;
use crate::record::Record;
use crate::tally::DecryptionShare;
use rand_core::{CryptoRng, RngCore};

/// How a record's decryption-share files are read (spec §14.6). A record that carries the
/// transcript of a ceremony run by separate trustees (`ceremony/`) holds each share as an
/// [`Envelope`] of kind `decryption`, signed by its trustee, so a share that fails its proofs is
/// evidence against that trustee and a file anyone else wrote is evidence against nobody. A
/// record of an in-process ceremony (the demo) has no trustee identities, and holds bare shares.
pub struct ShareFiles {
    signers: Option<CeremonyDir>,
}

impl ShareFiles {
    /// The reader for `record`.
    pub fn for_record(record: &Record) -> Result<Self, TrusteeError> {
        let transcript = record.path(TRANSCRIPT_DIR);
        let signers = if transcript.join(PARAMETERS_FILE).is_file() {
            Some(CeremonyDir::open(&transcript)?)
        } else {
            None
        };
        Ok(Self { signers })
    }

    /// True when shares must be signed by their trustees.
    pub fn signed(&self) -> bool {
        self.signers.is_some()
    }

    /// The share published in `dir/name` for trustee `index`. An error says why the file is
    /// not that trustee's: it does not decode, or (in a signed record) it is not an envelope of
    /// kind `decryption` by trustee `index` whose signature verifies. The share's own `trustee`
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
                let (envelope, _): (Envelope<DecryptionShare>, _) = record.json(name)
                    .map_err(|error| {
                        TrusteeError::usage(format!(
                            "{error} (the trustees of this record's ceremony publish their shares signed, in envelopes of kind decryption)"
                        ))
                    })?;
                envelope.check(context, name, Stage::Decryption, index)?;
                Ok(envelope.body)
            }
        }
    }

    /// The bytes of trustee `index`'s share file: the share signed by `identity` in a signed
    /// record, the bare share otherwise.
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
                let envelope =
                    Envelope::sign(context, identity, index, Stage::Decryption, share, rng)?;
                serde_json::to_vec_pretty(&envelope)
            }
        };
        let mut bytes = encoded.map_err(|e| TrusteeError::usage(e.to_string()))?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}
