//! The whole ceremony in one process, for the demo and the tests.

use super::dkg::{part1, part2, CeremonyError, CeremonyParameters, KeyShare};
use super::record::CeremonyRecord;
use rand_core::{CryptoRng, RngCore};

/// Runs the whole ceremony in one process, through [`part1`] and [`part2`], so a demo record
/// has the same form as a real one. Returns the record and the key shares in index order.
///
/// # Security
/// Every key share exists in one process: use it for demonstrations and tests only.
pub fn run_in_process<R: RngCore + CryptoRng>(
    manifest_hash: &[u8; 32],
    names: &[String],
    threshold: u32,
    rng: &mut R,
) -> Result<(CeremonyRecord, Vec<KeyShare>), CeremonyError> {
    let params = CeremonyParameters::for_election(manifest_hash, names, threshold)?;
    let mut secrets = Vec::with_capacity(names.len());
    let mut packages = Vec::with_capacity(names.len());
    for index in params.indices() {
        let (secret, package) = part1(&params, index, rng)?;
        secrets.push(secret);
        packages.push(package);
    }
    let mut key_shares = Vec::with_capacity(names.len());
    for to in params.indices() {
        let shares = secrets
            .iter()
            .map(|secret| secret.share_for(to))
            .collect::<Result<Vec<_>, _>>()?;
        key_shares.push(part2(&params, to, &packages, &shares)?);
    }
    drop(secrets);
    let record = CeremonyRecord::assemble(manifest_hash, names, threshold, &packages)?;
    for share in &key_shares {
        if record.verification_key(share.index) != Some(&share.verification_key) {
            return Err(CeremonyError::VerificationKeyMismatch {
                trustee: share.index,
            });
        }
        if share.joint_key != record.joint_key {
            return Err(CeremonyError::JointKeyMismatch);
        }
    }
    Ok((record, key_shares))
}
