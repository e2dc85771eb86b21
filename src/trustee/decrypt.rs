//! `trustee decrypt` (spec `ceremony.md` §14.6).

use super::directory::{publish_once, Published};
use super::error::TrusteeError;
use super::identity::{Identity, PublicIdentity};
use super::judge::audit_record;
use super::rounds::load_shares;
use super::setup::{CeremonyDir, TRANSCRIPT_DIR};
use super::shares::{check_decryption_folder, ShareFiles};
use crate::ceremony::{CeremonyRecord, KeyShare};
use crate::election::{Election, VerifiedTally};
use crate::record::file_hash;
use crate::record::{decryption_file_name, Record, CEREMONY, RESULTS, TALLY};
use crate::tally::EncryptedTally;
use rand_core::{CryptoRng, RngCore};
use std::path::Path;

/// `trustee decrypt`, ready to decrypt (spec §14.6 steps 1–4): the record's ceremony is
/// audited, the key share rebuilt from the sealed shares of the qualified dealers, and this
/// trustee's slot in `decryption/` is free. What is left is step 5, the board: only a
/// [`VerifiedTally`] is decrypted, never a ciphertext someone hands over.
pub struct Decryptor {
    record: Record,
    election: Election,
    identity: Identity,
    key_share: KeyShare,
    share_files: ShareFiles,
    /// The `tally.json` the share will name (its hash is in `share_files`).
    tally: EncryptedTally,
    index: u32,
    file: String,
}

/// The trustee's key share for the record's ceremony (spec §14.6 step 2–3): the identity is the
/// trustee of its index, it is not disqualified, and the sealed shares of the qualified dealers
/// sum to a key share whose public key is its verification key in `ceremony.json`.
fn open_key_share(
    key_dir: &Path,
    record: &Record,
    ceremony: &CeremonyRecord,
    public: &PublicIdentity,
    passphrase: &[u8],
) -> Result<(u32, KeyShare), TrusteeError> {
    let (index, shares) = load_shares(key_dir, &ceremony.ceremony_id, passphrase)?;
    if let Ok(transcript) = CeremonyDir::open(&record.path(TRANSCRIPT_DIR)) {
        if transcript.setup.index_of(public) != Some(index) {
            return Err(TrusteeError::usage(format!(
                "this key directory's identity is not trustee {index} of the record's ceremony"
            )));
        }
    }
    if let Some(d) = ceremony.disqualified.iter().find(|d| d.index == index) {
        return Err(TrusteeError::usage(format!(
            "trustee {index} ({}) was disqualified by the ceremony ({}) and holds no key share",
            d.name, d.reason
        )));
    }
    let key_share = KeyShare::from_dealer_shares(ceremony, index, &shares).map_err(|e| {
        TrusteeError::usage(format!(
            "the shares in {} do not make trustee {index}'s key share of {CEREMONY} ({e}): with them this trustee cannot decrypt; tell the commission before voting opens",
            key_dir.display()
        ))
    })?;
    Ok((index, key_share))
}

/// `trustee check` (spec §14.4): right after `ceremony finish`, before voting opens, a trustee
/// checks that the record's ceremony audits and that its sealed shares make the key share whose
/// verification key `ceremony.json` publishes, so a ceremony that cannot decrypt is found before
/// the first ballot. Returns the trustee's index.
pub fn check_key_share(
    key_dir: &Path,
    record: &Record,
    passphrase: &[u8],
) -> Result<u32, TrusteeError> {
    let (ceremony, _): (CeremonyRecord, _) = record.json(CEREMONY)?;
    ceremony
        .verify()
        .map_err(|e| TrusteeError::invalid(CEREMONY, e.to_string()))?;
    audit_record(record, &ceremony)?;
    let identity = Identity::load(key_dir, passphrase)?;
    let (index, _) = open_key_share(key_dir, record, &ceremony, identity.public(), passphrase)?;
    Ok(index)
}

impl Decryptor {
    /// Steps 1–4, all cheap: run before the verifier, so a wrong passphrase or a taken slot is
    /// reported at once.
    pub fn prepare(
        key_dir: &Path,
        record: &Record,
        passphrase: &[u8],
    ) -> Result<Self, TrusteeError> {
        if !record.has(TALLY) {
            return Err(TrusteeError::usage(format!(
                "voting is not closed yet: {} is not published in {}; wait until the commission closes voting and publishes it, then run `saylau trustee decrypt` again",
                TALLY,
                record.dir().display()
            )));
        }
        let election = Election::open(record)?;
        audit_record(record, &election.ceremony)?;
        let identity = Identity::load(key_dir, passphrase)?;
        let (index, key_share) = open_key_share(
            key_dir,
            record,
            &election.ceremony,
            identity.public(),
            passphrase,
        )?;
        // The share will be signed for this `tally.json` (spec §14.6 step 6); `publish` checks that
        // it holds the tally the verifier recomputes.
        let (tally, tally_bytes): (EncryptedTally, _) = record.json(TALLY)?;
        let share_files = ShareFiles::for_record(
            record,
            election.fingerprint(),
            &file_hash(&tally_bytes),
            tally.closing_checkpoint,
        )?;
        let file = decryption_file_name(index);
        check_decryption_folder(record)?;
        if record.path(&file).exists() {
            // Spec §14.6 step 4: the slot is taken. Say whether by this trustee or by someone else.
            return Err(match share_files.read(record, &file, index) {
                Ok(_) => TrusteeError::usage(format!(
                    "{file} is already published; each trustee publishes one decryption share"
                )),
                Err(error) => TrusteeError::usage(format!(
                    "{file} is already there but is not a share of yours ({error}); it was not written by this trustee: the commission should keep a copy as evidence, remove it, and you run `trustee decrypt` again"
                )),
            });
        }
        // Spec §14.6: once `tally finish` has written the results, a share published now would be
        // a file `record.json` does not list, and the record would no longer verify.
        if record.has(RESULTS) {
            return Err(TrusteeError::usage(format!(
                "the count is finished ({} exists in {}): nothing to do; your share is not needed",
                RESULTS,
                record.dir().display()
            )));
        }
        Ok(Self {
            election,
            identity,
            key_share,
            share_files,
            tally,
            record: record.clone(),
            index,
            file,
        })
    }

    /// This trustee's index.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// Step 5: decrypts the tally the verifier recomputed from the board of the record this was
    /// prepared on (spec §14.6), signs the share, and publishes `decryption/trustee-<i>.json`
    /// once. Returns the trustee's index. A tally verified for another election is refused.
    pub fn publish<R: RngCore + CryptoRng>(
        self,
        verified: &VerifiedTally,
        rng: &mut R,
    ) -> Result<u32, TrusteeError> {
        if verified.fingerprint() != self.election.fingerprint() {
            return Err(TrusteeError::usage(format!(
                "the verified tally belongs to another election than {}: verify this record's board",
                self.record.dir().display()
            )));
        }
        if verified.tally() != &self.tally {
            return Err(TrusteeError::usage(format!(
                "{TALLY} in {} changed since this decryption was prepared: it no longer holds the tally recomputed from the board; run `saylau trustee decrypt` again",
                self.record.dir().display()
            )));
        }
        let share = crate::tally::decrypt_share(
            self.election.fingerprint(),
            &self.key_share,
            verified.tally(),
            rng,
        )?;
        let bytes = self
            .share_files
            .encode(&self.identity, self.index, share, rng)?;
        match publish_once(self.record.dir(), &self.file, &bytes)? {
            Published::Written | Published::AlreadyThere => Ok(self.index),
            Published::Different => Err(TrusteeError::AlreadyPublished { file: self.file }),
        }
    }
}
