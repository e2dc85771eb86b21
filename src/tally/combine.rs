//! Combining `t` valid shares into the counts (spec `tally.md` §4), and the verifier's re-check
//! of a published result.

use super::dlog::DiscreteLog;
use super::share::{DecryptionShare, EncryptedTally, TallyError};
use crate::ceremony::{lagrange_at_zero, CeremonyRecord};
use crate::crypto::elgamal::{encode_plaintext, Ciphertext};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use serde::{Deserialize, Serialize};

/// The result of combining decryption shares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decryption {
    /// `counts[c][o]`: the total for option `o` of contest `c`.
    pub counts: Vec<Vec<u64>>,
    /// The trustees whose shares were combined, in increasing order (exactly `t`).
    pub used: Vec<u32>,
    /// Shares that were skipped, with the reason (informational).
    pub rejected: Vec<(u32, String)>,
}

/// The plaintext point `m·G = β − Σ λ_i·M_i` of the ciphertext at (`contest`, `option`),
/// combining the shares of the trustees whose Lagrange coefficients are `lambdas` (same order).
/// Spec `tally.md` §4. Public data only, so vartime.
pub fn plaintext_point(
    ciphertext: &Ciphertext,
    lambdas: &[Scalar],
    shares: &[&DecryptionShare],
    contest: usize,
    option: usize,
) -> RistrettoPoint {
    let scalars = std::iter::once(Scalar::ONE).chain(lambdas.iter().map(|l| -l));
    let points = std::iter::once(*ciphertext.beta.point()).chain(
        shares
            .iter()
            .map(|s| *s.contests[contest][option].share.point()),
    );
    RistrettoPoint::vartime_multiscalar_mul(scalars, points)
}

/// Verifies the shares against the ceremony's verification keys, keeping the valid ones in
/// increasing index order (one per trustee) and naming the rest.
fn sort_shares<'a>(
    election_fingerprint: &[u8; 32],
    ceremony: &CeremonyRecord,
    tally: &EncryptedTally,
    shares: &'a [DecryptionShare],
) -> (Vec<&'a DecryptionShare>, Vec<(u32, TallyError)>) {
    let mut ordered: Vec<&DecryptionShare> = shares.iter().collect();
    ordered.sort_by_key(|s| s.trustee);
    let mut valid: Vec<&DecryptionShare> = Vec::new();
    let mut rejected = Vec::new();
    for share in ordered {
        let culprit = share.trustee;
        let outcome = match ceremony.verification_key(culprit) {
            None => Err(TallyError::UnknownTrustee { culprit }),
            Some(_) if valid.last().is_some_and(|v| v.trustee == culprit) => {
                Err(TallyError::DuplicateShare { culprit })
            }
            Some(key) => share.verify(election_fingerprint, key, tally),
        };
        match outcome {
            Ok(()) => valid.push(share),
            Err(error) => rejected.push((culprit, error)),
        }
    }
    (valid, rejected)
}

/// Combines decryption shares into the counts (spec `tally.md` §4–§5).
///
/// Verifies the ceremony record and every share; invalid shares are skipped and listed in
/// `rejected`. Uses the first `t` valid shares by index. `max_per_option[c][o]` bounds the count
/// of each option (for example the number of participants times the largest score); a count
/// outside `0..=max` is an error.
pub fn combine(
    election_fingerprint: &[u8; 32],
    ceremony: &CeremonyRecord,
    tally: &EncryptedTally,
    shares: &[DecryptionShare],
    max_per_option: &[Vec<u64>],
) -> Result<Decryption, TallyError> {
    ceremony.verify()?;
    if !tally.same_shape(max_per_option) {
        return Err(TallyError::BoundsShape);
    }
    let needed = ceremony.threshold as usize;
    let (valid, rejected) = sort_shares(election_fingerprint, ceremony, tally, shares);
    if valid.len() < needed {
        return Err(TallyError::NotEnoughShares {
            valid: valid.len(),
            needed,
        });
    }
    let chosen = &valid[..needed];
    let used: Vec<u32> = chosen.iter().map(|s| s.trustee).collect();
    let lambdas = lagrange_at_zero(&used)?;
    let largest = max_per_option.iter().flatten().copied().max().unwrap_or(0);
    let table = DiscreteLog::new(largest)?;
    let mut counts: Vec<Vec<u64>> = tally
        .contests
        .iter()
        .map(|o| Vec::with_capacity(o.len()))
        .collect();
    for (contest, option, ciphertext) in tally.ciphertexts() {
        let bound = max_per_option[contest][option];
        let point = plaintext_point(ciphertext, &lambdas, chosen, contest, option);
        match table.solve(&point) {
            Some(count) if count <= bound => counts[contest].push(count),
            _ => {
                return Err(TallyError::CountOutOfRange {
                    contest,
                    option,
                    bound,
                })
            }
        }
    }
    Ok(Decryption {
        counts,
        used,
        rejected: rejected
            .into_iter()
            .map(|(trustee, error)| (trustee, error.to_string()))
            .collect(),
    })
}

/// The verifier's re-check of a published decryption (spec `tally.md` §6): the ceremony record
/// verifies; `used` is `t` distinct trustees in increasing order, each with a published share
/// that verifies; and every count satisfies `count·G = β − Σ λ_i·M_i`.
pub fn verify_decryption(
    election_fingerprint: &[u8; 32],
    ceremony: &CeremonyRecord,
    tally: &EncryptedTally,
    shares: &[DecryptionShare],
    decryption: &Decryption,
) -> Result<(), TallyError> {
    ceremony.verify()?;
    let used = &decryption.used;
    if used.len() != ceremony.threshold as usize || used.windows(2).any(|w| w[0] >= w[1]) {
        return Err(TallyError::InvalidUsedSet);
    }
    if !tally.same_shape(&decryption.counts) {
        return Err(TallyError::BoundsShape);
    }
    let mut chosen = Vec::with_capacity(used.len());
    for &trustee in used {
        let key = ceremony
            .verification_key(trustee)
            .ok_or(TallyError::UnknownTrustee { culprit: trustee })?;
        let share = shares
            .iter()
            .filter(|s| s.trustee == trustee)
            .find(|s| s.verify(election_fingerprint, key, tally).is_ok())
            .ok_or(TallyError::UsedShareMissing { trustee })?;
        chosen.push(share);
    }
    let lambdas = lagrange_at_zero(used)?;
    for (contest, option, ciphertext) in tally.ciphertexts() {
        let count = decryption.counts[contest][option];
        let point = plaintext_point(ciphertext, &lambdas, &chosen, contest, option);
        if point != encode_plaintext(count) {
            return Err(TallyError::CountMismatch { contest, option });
        }
    }
    Ok(())
}
