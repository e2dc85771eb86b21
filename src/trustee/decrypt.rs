//! `trustee decrypt` (spec `ceremony.md` §14.6).

use super::directory::{publish_once, Published};
use super::error::TrusteeError;
use super::identity::Identity;
use super::judge::audit_record;
use super::rounds::load_shares;
use super::setup::{CeremonyDir, TRANSCRIPT_DIR};
use super::shares::ShareFiles;
use crate::ceremony::KeyShare;
use crate::record::{self};
use rand_core::{CryptoRng, RngCore};
use std::path::Path;

/// `trustee decrypt` (spec §14.6): rebuild the key share from the sealed shares of the
/// qualified dealers, recompute the encrypted tally from the board, refuse unless it equals
/// `tally.json`, and publish `decryption/trustee-<i>.json` once.
pub fn decrypt<R: RngCore + CryptoRng>(
    key_dir: &Path,
    record_dir: &Path,
    passphrase: &[u8],
    rng: &mut R,
) -> Result<u32, TrusteeError> {
    let election = crate::election::Election::open(record_dir)
        .map_err(|e| TrusteeError::Demo(crate::sim::demo::DemoError::Election(e)))?;
    audit_record(record_dir, &election.ceremony)?;
    let identity = Identity::load(key_dir, passphrase)?;
    let public = identity.public().clone();
    let (index, shares) = load_shares(key_dir, &election.ceremony.ceremony_id, passphrase)?;
    if let Ok(transcript) = CeremonyDir::open(&record_dir.join(TRANSCRIPT_DIR)) {
        if transcript.setup.index_of(&public) != Some(index) {
            return Err(TrusteeError::usage(format!(
                "this key directory's identity is not trustee {index} of the record's ceremony"
            )));
        }
    }
    if let Some(d) = election
        .ceremony
        .disqualified
        .iter()
        .find(|d| d.index == index)
    {
        return Err(TrusteeError::usage(format!(
            "trustee {index} ({}) was disqualified by the ceremony ({}) and holds no key share",
            d.name, d.reason
        )));
    }
    let key_share = KeyShare::from_dealer_shares(&election.ceremony, index, &shares)?;
    drop(shares);
    let share_files = ShareFiles::for_record(record_dir)?;
    let file = record::decryption_file_name(index);
    if record_dir.join(&file).exists() {
        // Spec §14.6 step 4: the slot is taken. Say whether by this trustee or by someone else.
        return Err(match share_files.read(record_dir, &file, index) {
            Ok(_) => TrusteeError::usage(format!(
                "{file} is already published; each trustee publishes one decryption share"
            )),
            Err(error) => TrusteeError::usage(format!(
                "{file} is already there but is not a share of yours ({error}); it was not written by this trustee: the commission should keep a copy as evidence, remove it, and you run `trustee decrypt` again"
            )),
        });
    }
    // Spec ceremony.md §14.6: verify the board (checks 2–12) and decrypt only the tally recomputed
    // from it, never a ciphertext someone hands over.
    let recomputed = crate::sim::demo::verified_tally(record_dir).map_err(TrusteeError::Demo)?;
    let share = crate::tally::decrypt_share(election.fingerprint(), &key_share, &recomputed, rng)
        .map_err(|e| TrusteeError::Demo(crate::sim::demo::DemoError::Tally(e)))?;
    let bytes = share_files.encode(&identity, index, share, rng)?;
    match publish_once(record_dir, &file, &bytes)? {
        Published::Written | Published::AlreadyThere => Ok(index),
        Published::Different => Err(TrusteeError::AlreadyPublished { file }),
    }
}
