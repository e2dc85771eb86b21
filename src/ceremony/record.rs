//! The public record of a ceremony, `ceremony.json` (spec `ceremony.md` §7, §8, §10): assembled
//! from the qualified trustees' packages, and checked by anyone.

use super::dkg::round2;
use super::dkg::KeyShare;
use super::dkg::{
    ceremony_id, check_broadcast, check_packages, evaluate_in_exponent, round1, CeremonyError,
    CeremonyParameters,
};
use crate::crypto::elgamal::PublicKey;
use crate::crypto::elgamal::Secret;
use crate::crypto::group::{hash_hex, GroupElement};
use crate::crypto::proofs::SchnorrProof;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

/// One trustee's entry in the ceremony record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrusteeRecord {
    /// The index, `1..=n`; the entry at position `k` has index `k + 1`.
    pub index: u32,
    /// The trustee's name, as hashed into the ceremony id.
    pub name: String,
    /// The round-1 Feldman commitments `C_k`.
    pub commitments: Vec<GroupElement>,
    /// The round-1 proof of possession of `a_0`.
    pub proof: SchnorrProof,
    /// `V_i = Σ_j Σ_k i^k·C_jk`, which equals `x_i·G`.
    pub verification_key: GroupElement,
}

/// The public record of a ceremony, published as `ceremony.json` (spec `ceremony.md` §7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CeremonyRecord {
    /// The ceremony id.
    #[serde(with = "hash_hex")]
    pub ceremony_id: [u8; 32],
    /// The hash of the election manifest the ceremony was run for.
    #[serde(with = "hash_hex")]
    pub manifest_hash: [u8; 32],
    /// The threshold `t`.
    pub threshold: u32,
    /// One entry per qualified trustee, ordered by index (spec §7, §10).
    pub trustees: Vec<TrusteeRecord>,
    /// The trustees excluded by the ceremony, ordered by index; absent when none was (spec §10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disqualified: Vec<DisqualifiedTrustee>,
    /// The election key `K = Σ_{j∈Q} C_j0`.
    pub joint_key: PublicKey,
}

/// A trustee excluded from the ceremony: its polynomial is not summed and it holds no key
/// share (spec `ceremony.md` §10).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisqualifiedTrustee {
    /// The index, `1..=n`.
    pub index: u32,
    /// The trustee's name, as hashed into the ceremony id.
    pub name: String,
    /// Which rule of spec §14 excluded it: what an auditor re-derives and compares.
    pub code: DisqualificationCode,
    /// Why, in words, for the people who read the record. Informative: an auditor does not
    /// compare it (spec §7).
    pub reason: String,
}

/// The rule that disqualified a trustee (spec `ceremony.md` §7, §14.1–§14.3). When several
/// apply, the first in this order is recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisqualificationCode {
    /// Its own round-1 files are at fault (§14.1).
    PublicFault,
    /// It signed two different round-1 messages for one slot (§14.1, `judged`).
    Equivocation,
    /// Its round-2 message is malformed (§14.2).
    MalformedRound2,
    /// It complained against a trustee whose share was valid, or without a valid proof (§14.3).
    FalseComplaint,
    /// A complaint against it was upheld (§14.3).
    ComplaintUpheld,
}

/// The verification keys and the joint key determined by the qualified trustees' commitments
/// (spec §6): `A_k = Σ_{j∈Q} C_jk`, `K = A_0`, `V_i = Σ_k i^k·A_k` for each `i` in `indices`.
fn derived_keys<'a>(
    commitments: impl Iterator<Item = &'a [GroupElement]>,
    params: &CeremonyParameters,
    indices: &[u32],
) -> (RistrettoPoint, Vec<RistrettoPoint>) {
    let t = params.threshold as usize;
    let mut aggregate = vec![RistrettoPoint::identity(); t];
    for row in commitments {
        for (sum, c) in aggregate.iter_mut().zip(row) {
            *sum += c.point();
        }
    }
    let keys = indices
        .iter()
        .map(|&i| evaluate_in_exponent(&aggregate, i))
        .collect();
    (aggregate[0], keys)
}

impl CeremonyRecord {
    /// Builds the record from the round-1 packages of every trustee, checking each and deriving
    /// every verification key and the joint key. Anyone can run this; no secret is involved.
    pub fn assemble(
        manifest_hash: &[u8; 32],
        names: &[String],
        threshold: u32,
        packages: &[round1::Package],
    ) -> Result<Self, CeremonyError> {
        let params = CeremonyParameters::for_election(manifest_hash, names, threshold)?;
        check_packages(&params, packages)?;
        Self::assemble_qualified(manifest_hash, names, threshold, packages, Vec::new())
    }

    /// Builds the record when some trustees were disqualified (spec §10): `packages` holds the
    /// round-1 packages of the qualified trustees only, `disqualified` the others. Together they
    /// must cover `1..=n` exactly once, and at least `t` trustees must remain qualified.
    pub fn assemble_qualified(
        manifest_hash: &[u8; 32],
        names: &[String],
        threshold: u32,
        packages: &[round1::Package],
        mut disqualified: Vec<DisqualifiedTrustee>,
    ) -> Result<Self, CeremonyError> {
        let params = CeremonyParameters::for_election(manifest_hash, names, threshold)?;
        let mut ordered: Vec<&round1::Package> = packages.iter().collect();
        ordered.sort_by_key(|p| p.index);
        disqualified.sort_by_key(|d| d.index);
        let Some(first) = ordered.first() else {
            return Err(CeremonyError::NotEnoughQualified {
                qualified: 0,
                threshold,
            });
        };
        for package in &ordered {
            package.verify(&params)?;
        }
        // A placeholder until the sums below replace it; `verify` proved C_0 is not the identity.
        let placeholder =
            PublicKey::new(first.commitments[0]).map_err(|_| CeremonyError::IdentityJointKey)?;
        let trustees: Vec<TrusteeRecord> = ordered
            .iter()
            .map(|package| TrusteeRecord {
                index: package.index,
                name: names
                    .get(package.index as usize - 1)
                    .cloned()
                    .unwrap_or_default(),
                commitments: package.commitments.clone(),
                proof: package.proof,
                verification_key: package.commitments[0],
            })
            .collect();
        let mut record = Self {
            ceremony_id: params.ceremony_id,
            manifest_hash: *manifest_hash,
            threshold,
            trustees,
            disqualified,
            joint_key: placeholder,
        };
        record.check_index_sets(&params)?;
        let indices: Vec<u32> = record.trustees.iter().map(|t| t.index).collect();
        let (joint, keys) = derived_keys(
            record.trustees.iter().map(|t| &t.commitments[..]),
            &params,
            &indices,
        );
        for (trustee, key) in record.trustees.iter_mut().zip(keys) {
            trustee.verification_key = GroupElement::from_point(key);
        }
        record.joint_key = PublicKey::new(GroupElement::from_point(joint))
            .map_err(|_| CeremonyError::IdentityJointKey)?;
        Ok(record)
    }

    /// The number of trustees `n`, qualified or not.
    pub fn trustee_count(&self) -> usize {
        self.trustees.len() + self.disqualified.len()
    }

    /// The parameters of this ceremony (validated).
    pub fn params(&self) -> Result<CeremonyParameters, CeremonyError> {
        let trustees = u32::try_from(self.trustee_count())
            .map_err(|_| CeremonyError::InvalidParameters("too many trustees"))?;
        CeremonyParameters::new(self.ceremony_id, trustees, self.threshold)
    }

    /// Every trustee's name, qualified or not, in index order (as hashed into the ceremony id).
    pub fn names(&self) -> Vec<String> {
        let mut all: Vec<(u32, &String)> = self
            .trustees
            .iter()
            .map(|t| (t.index, &t.name))
            .chain(self.disqualified.iter().map(|d| (d.index, &d.name)))
            .collect();
        all.sort_by_key(|(index, _)| *index);
        all.into_iter().map(|(_, name)| name.clone()).collect()
    }

    /// The indices of the qualified trustees, increasing.
    pub fn qualified(&self) -> Vec<u32> {
        self.trustees.iter().map(|t| t.index).collect()
    }

    /// Trustee `index`'s verification key `V_i`, if `index` is a qualified trustee.
    pub fn verification_key(&self, index: u32) -> Option<&GroupElement> {
        self.trustees
            .iter()
            .find(|t| t.index == index)
            .map(|t| &t.verification_key)
    }

    /// Spec §8 checks 3 and 3a: each list strictly increasing, the two lists together hold
    /// `1..=n` exactly once, and at least `t` trustees are qualified.
    fn check_index_sets(&self, params: &CeremonyParameters) -> Result<(), CeremonyError> {
        for (position, pair) in self.trustees.windows(2).enumerate() {
            if pair[1].index <= pair[0].index {
                return Err(CeremonyError::UnexpectedIndex {
                    position: position + 1,
                    found: pair[1].index,
                });
            }
        }
        for pair in self.disqualified.windows(2) {
            if pair[1].index <= pair[0].index {
                return Err(CeremonyError::IndexSetMismatch {
                    index: pair[1].index,
                });
            }
        }
        let mut seen = vec![false; params.trustees as usize];
        let all = self
            .trustees
            .iter()
            .map(|t| t.index)
            .chain(self.disqualified.iter().map(|d| d.index));
        for index in all {
            params.check_index(index)?;
            let slot = &mut seen[index as usize - 1];
            if *slot {
                return Err(CeremonyError::IndexSetMismatch { index });
            }
            *slot = true;
        }
        if let Some(missing) = seen.iter().position(|s| !s) {
            return Err(CeremonyError::IndexSetMismatch {
                index: missing as u32 + 1,
            });
        }
        if self.trustees.len() < params.threshold as usize {
            return Err(CeremonyError::NotEnoughQualified {
                qualified: self.trustees.len(),
                threshold: params.threshold,
            });
        }
        Ok(())
    }

    /// Checks the whole record (spec `ceremony.md` §8): parameters, ceremony id, index sets,
    /// every qualified trustee's commitments and proof of possession, every verification key,
    /// and the joint key. Names the trustee or field at fault.
    ///
    /// Why a trustee was disqualified is not re-checked here: that needs the ceremony
    /// transcript (spec §10, [`crate::trustee::audit_record`]).
    pub fn verify(&self) -> Result<(), CeremonyError> {
        let params = self.params()?;
        crate::ceremony::dkg::check_trustee_names(&self.names())?;
        if ceremony_id(&self.manifest_hash, &self.names(), self.threshold) != self.ceremony_id {
            return Err(CeremonyError::CeremonyIdMismatch);
        }
        if self.disqualified.is_empty() {
            // Spec §8 check 3, in its original form: position p holds index p + 1.
            for (position, trustee) in self.trustees.iter().enumerate() {
                if trustee.index as usize != position + 1 {
                    return Err(CeremonyError::UnexpectedIndex {
                        position,
                        found: trustee.index,
                    });
                }
            }
        }
        self.check_index_sets(&params)?;
        for trustee in &self.trustees {
            check_broadcast(&params, trustee.index, &trustee.commitments, &trustee.proof)?;
        }
        let (joint, keys) = derived_keys(
            self.trustees.iter().map(|t| &t.commitments[..]),
            &params,
            &self.qualified(),
        );
        for (trustee, key) in self.trustees.iter().zip(keys) {
            if *trustee.verification_key.point() != key {
                return Err(CeremonyError::VerificationKeyMismatch {
                    trustee: trustee.index,
                });
            }
        }
        if *self.joint_key.point() != joint {
            return Err(CeremonyError::JointKeyMismatch);
        }
        Ok(())
    }
}

/// Key shares rebuilt from a published record (spec `ceremony.md` §6, §10).
impl KeyShare {
    /// Sums the shares a trustee received from the qualified dealers of `record` into its key
    /// share `x_j = Σ_{i∈Q} s_{i→j}` (spec §6, §10), checking each share against the dealer's
    /// commitments and the result against the published `V_j`. `shares` may hold shares from
    /// dealers outside `Q`; they are ignored. Names the dealer whose share is missing or wrong.
    pub fn from_dealer_shares(
        record: &CeremonyRecord,
        index: u32,
        shares: &[round2::SecretShare],
    ) -> Result<Self, CeremonyError> {
        let verification_key = *record
            .verification_key(index)
            .ok_or(CeremonyError::UnknownTrustee { index })?;
        let mut secret = Scalar::ZERO;
        for dealer in &record.trustees {
            let share = shares.iter().find(|s| {
                s.from == dealer.index && s.to == index && s.matches(&dealer.commitments)
            });
            let Some(share) = share else {
                secret.zeroize();
                return Err(CeremonyError::MissingDealerShare {
                    culprit: dealer.index,
                });
            };
            secret += share.value.expose();
        }
        let secret = {
            let wrapped = Secret::from_scalar(secret);
            secret.zeroize();
            wrapped
        };
        if secret.public_element() != verification_key {
            return Err(CeremonyError::VerificationKeyMismatch { trustee: index });
        }
        Ok(Self {
            ceremony_id: record.ceremony_id,
            index,
            secret,
            verification_key,
            joint_key: record.joint_key,
        })
    }
}
