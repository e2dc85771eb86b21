//! The DKG mathematics (spec `ceremony.md` §1–§6): parameters, the two rounds, the checks each
//! trustee makes of what it receives, key shares, and Lagrange coefficients.

use crate::crypto::elgamal::{PublicKey, Secret};
use crate::crypto::error::ProofError;
use crate::crypto::group::GroupElement;
use crate::crypto::proofs::SchnorrProof;
use crate::crypto::transcript::Transcript;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha3::{Digest, Sha3_256};
use thiserror::Error;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The largest number of trustees a ceremony may have (spec `ceremony.md` §2).
pub const MAX_TRUSTEES: u32 = 255;

/// Domain label of the ceremony id hash (spec `ceremony.md` §1).
pub const CEREMONY_ID_LABEL: &[u8] = b"saylau/v1/ceremony-id";

/// Why a ceremony step or a ceremony record was rejected.
///
/// Variants caused by one trustee's data name that trustee as `culprit`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CeremonyError {
    /// The parameters break `1 ≤ t ≤ n ≤ 255`, or a list has the wrong length.
    #[error("invalid ceremony parameters: {0}")]
    InvalidParameters(&'static str),
    /// A trustee's name a reader could misread (spec `ceremony.md` §2, `manifest.md` §5.1).
    #[error("trustee name {name:?}: {reason}")]
    TrusteeName {
        /// The name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An index outside `1..=n` (spec §2).
    #[error("trustee index {index} is outside 1..=n")]
    UnknownTrustee {
        /// The index found.
        index: u32,
    },
    /// Not exactly one round-1 package per trustee.
    #[error("expected {expected} round-1 packages, found {found}")]
    WrongPackageCount {
        /// `n`.
        expected: usize,
        /// Packages given.
        found: usize,
    },
    /// Two packages or two shares claim to come from the same trustee.
    #[error("trustee {culprit} appears twice")]
    Duplicate {
        /// The repeated trustee.
        culprit: u32,
    },
    /// A trustee's package has a number of commitments other than `t`.
    #[error("trustee {culprit} published {found} commitments, expected {expected}")]
    WrongCommitmentCount {
        /// The trustee.
        culprit: u32,
        /// `t`.
        expected: usize,
        /// Commitments published.
        found: usize,
    },
    /// A trustee published the identity as a commitment.
    #[error("trustee {culprit} published the identity as commitment {position}")]
    IdentityCommitment {
        /// The trustee.
        culprit: u32,
        /// The coefficient position `k`.
        position: usize,
    },
    /// A trustee's proof of possession of its constant term does not verify.
    #[error("trustee {culprit}'s proof of possession does not verify")]
    InvalidProofOfPossession {
        /// The trustee.
        culprit: u32,
    },
    /// No share was received from a trustee.
    #[error("no share received from trustee {culprit}")]
    MissingShare {
        /// The trustee who sent nothing.
        culprit: u32,
    },
    /// A share addressed to another trustee.
    #[error("trustee {culprit} sent a share addressed to trustee {to}")]
    MisaddressedShare {
        /// The sender.
        culprit: u32,
        /// The addressee written on the share.
        to: u32,
    },
    /// A share that does not match its sender's Feldman commitments (spec §5).
    #[error("the share from trustee {culprit} does not match its commitments")]
    InvalidShare {
        /// The sender.
        culprit: u32,
    },
    /// The record's ceremony id is not the hash of its manifest hash, names and threshold.
    #[error("ceremony id does not match the manifest hash, trustee names and threshold")]
    CeremonyIdMismatch,
    /// The record lists trustees out of order (position `k` must hold index `k + 1`).
    #[error("trustee at position {position} has index {found}")]
    UnexpectedIndex {
        /// Zero-based position in the list.
        position: usize,
        /// The index found there.
        found: u32,
    },
    /// A published verification key differs from the one the commitments determine (spec §6).
    #[error("verification key of trustee {trustee} does not match the commitments")]
    VerificationKeyMismatch {
        /// The trustee whose key is wrong.
        trustee: u32,
    },
    /// The published joint key differs from `Σ_i C_i0` (spec §6).
    #[error("joint key does not match the commitments")]
    JointKeyMismatch,
    /// The commitments sum to the identity (impossible with valid proofs of possession).
    #[error("the joint key is the identity")]
    IdentityJointKey,
    /// Fewer than `t` trustees remain qualified (spec §10).
    #[error("only {qualified} qualified trustees remain, fewer than the threshold {threshold}")]
    NotEnoughQualified {
        /// Trustees still qualified.
        qualified: usize,
        /// The threshold `t`.
        threshold: u32,
    },
    /// The qualified and disqualified lists do not hold every index `1..=n` exactly once.
    #[error(
        "trustee {index} is missing from, or listed twice in, the trustees and disqualified lists"
    )]
    IndexSetMismatch {
        /// The first index that is missing or repeated.
        index: u32,
    },
    /// A key share cannot be formed: a qualified dealer's share is missing or wrong.
    #[error("no valid share from qualified trustee {culprit}")]
    MissingDealerShare {
        /// The dealer.
        culprit: u32,
    },
    /// Producing a proof failed.
    #[error("proof generation failed: {0}")]
    Proof(#[from] ProofError),
}

/// Derives the ceremony id (spec `ceremony.md` §1):
///
/// `SHA3-256( lp(label) ‖ manifest_hash ‖ u32le(t) ‖ u32le(n) ‖ lp(name_1) ‖ … ‖ lp(name_n) )`
/// where `lp(x) = u64le(len(x)) ‖ x` and names are UTF-8.
pub fn ceremony_id(manifest_hash: &[u8; 32], trustee_names: &[String], threshold: u32) -> [u8; 32] {
    fn length_prefixed(hasher: &mut Sha3_256, bytes: &[u8]) {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    let mut hasher = Sha3_256::new();
    length_prefixed(&mut hasher, CEREMONY_ID_LABEL);
    hasher.update(manifest_hash);
    hasher.update(threshold.to_le_bytes());
    // A list longer than u32::MAX cannot pass validation; saturate rather than wrap.
    let n = u32::try_from(trustee_names.len()).unwrap_or(u32::MAX);
    hasher.update(n.to_le_bytes());
    for name in trustee_names {
        length_prefixed(&mut hasher, name.as_bytes());
    }
    hasher.finalize().into()
}

/// The public parameters every trustee agrees on before round 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CeremonyParameters {
    /// The ceremony id ([`ceremony_id`]); every proof of possession is bound to it.
    pub ceremony_id: [u8; 32],
    /// The number of trustees `n`.
    pub trustees: u32,
    /// The number of trustees `t` needed to decrypt.
    pub threshold: u32,
}

impl CeremonyParameters {
    /// Validated parameters: `1 ≤ threshold ≤ trustees ≤ 255`.
    pub fn new(
        ceremony_id: [u8; 32],
        trustees: u32,
        threshold: u32,
    ) -> Result<Self, CeremonyError> {
        let params = Self {
            ceremony_id,
            trustees,
            threshold,
        };
        params.validate()?;
        Ok(params)
    }

    /// Parameters for an election: the id derived from the manifest hash, names and threshold.
    pub fn for_election(
        manifest_hash: &[u8; 32],
        trustee_names: &[String],
        threshold: u32,
    ) -> Result<Self, CeremonyError> {
        let trustees = u32::try_from(trustee_names.len())
            .map_err(|_| CeremonyError::InvalidParameters("too many trustees"))?;
        check_trustee_names(trustee_names)?;
        Self::new(
            ceremony_id(manifest_hash, trustee_names, threshold),
            trustees,
            threshold,
        )
    }

    /// Checks `1 ≤ threshold ≤ trustees ≤ 255` (spec `ceremony.md` §2).
    pub fn validate(&self) -> Result<(), CeremonyError> {
        if self.trustees == 0 || self.trustees > MAX_TRUSTEES {
            return Err(CeremonyError::InvalidParameters(
                "the number of trustees must be between 1 and 255",
            ));
        }
        if self.threshold == 0 || self.threshold > self.trustees {
            return Err(CeremonyError::InvalidParameters(
                "the threshold must be between 1 and the number of trustees",
            ));
        }
        Ok(())
    }

    /// Fails unless `index` is in `1..=n`.
    pub fn check_index(&self, index: u32) -> Result<(), CeremonyError> {
        if index == 0 || index > self.trustees {
            Err(CeremonyError::UnknownTrustee { index })
        } else {
            Ok(())
        }
    }

    pub(crate) fn indices(&self) -> impl Iterator<Item = u32> {
        1..=self.trustees
    }
}

/// Refuses trustee names that a reader could misread (spec `ceremony.md` §2): a name with an
/// invisible, bidi-control or non-NFC text, or two names with the same confusable skeleton.
pub fn check_trustee_names(names: &[String]) -> Result<(), CeremonyError> {
    use crate::manifest::text::{first_confusable_pair, text_problem};
    if let Some((name, reason)) = names
        .iter()
        .find_map(|name| text_problem(name).map(|reason| (name, reason)))
    {
        return Err(CeremonyError::TrusteeName {
            name: name.clone(),
            reason,
        });
    }
    if let Some((first, second)) = first_confusable_pair(names.iter().map(String::as_str)) {
        return Err(CeremonyError::TrusteeName {
            name: names[second].clone(),
            reason: format!(
                "looks the same as trustee {:?} (same Unicode confusable skeleton); give each trustee a name the others can tell apart",
                names[first]
            ),
        });
    }
    Ok(())
}

/// The transcript of trustee `index`'s proof of possession (spec `ceremony.md` §4).
fn pop_transcript(ceremony_id: &[u8; 32], index: u32) -> Transcript {
    let mut transcript = Transcript::new(ceremony_id);
    transcript.append_u64(b"trustee", u64::from(index));
    transcript
}

/// The checks on one trustee's broadcast (spec `ceremony.md` §4): `t` commitments, none the
/// identity, and a valid proof of possession of the constant term.
pub(crate) fn check_broadcast(
    params: &CeremonyParameters,
    index: u32,
    commitments: &[GroupElement],
    proof: &SchnorrProof,
) -> Result<(), CeremonyError> {
    params.check_index(index)?;
    let expected = params.threshold as usize;
    if commitments.len() != expected {
        return Err(CeremonyError::WrongCommitmentCount {
            culprit: index,
            expected,
            found: commitments.len(),
        });
    }
    if let Some(position) = commitments.iter().position(GroupElement::is_identity) {
        return Err(CeremonyError::IdentityCommitment {
            culprit: index,
            position,
        });
    }
    proof
        .verify(
            &mut pop_transcript(&params.ceremony_id, index),
            &commitments[0],
        )
        .map_err(|_| CeremonyError::InvalidProofOfPossession { culprit: index })
}

/// The share check of spec §5: `share·G = Σ_k to^k·C_k`. The left side is a constant-time
/// fixed-base multiplication; the right side involves public data only. Fails for an empty
/// commitment list.
pub(crate) fn share_matches(commitments: &[GroupElement], to: u32, share: &Secret) -> bool {
    if commitments.is_empty() {
        return false;
    }
    let points: Vec<RistrettoPoint> = commitments.iter().map(|c| *c.point()).collect();
    *share.public_element().point() == evaluate_in_exponent(&points, to)
}

/// `Σ_k x^k·C_k` by one vartime multiscalar multiplication (public data only).
pub(crate) fn evaluate_in_exponent(points: &[RistrettoPoint], x: u32) -> RistrettoPoint {
    let x = Scalar::from(x);
    let mut power = Scalar::ONE;
    let powers: Vec<Scalar> = points
        .iter()
        .map(|_| {
            let current = power;
            power *= x;
            current
        })
        .collect();
    RistrettoPoint::vartime_multiscalar_mul(&powers, points)
}

/// Round 1: commitments to the polynomial (broadcast) and the polynomial itself (kept).
pub mod round1 {
    use super::*;

    /// What trustee `index` broadcasts in round 1 (spec `ceremony.md` §3–§4).
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Package {
        /// The sender's index, `1..=n`.
        pub index: u32,
        /// Feldman commitments `C_k = a_k·G` for `k = 0..t−1`.
        pub commitments: Vec<GroupElement>,
        /// Proof of possession of `a_0` (Schnorr, bound to the ceremony id and the index).
        pub proof: SchnorrProof,
    }

    impl Package {
        /// Checks this package alone: index in range, `t` commitments, none the identity, and
        /// the proof of possession. Spec `ceremony.md` §4.
        pub fn verify(&self, params: &CeremonyParameters) -> Result<(), CeremonyError> {
            check_broadcast(params, self.index, &self.commitments, &self.proof)
        }
    }

    /// The polynomial `f(x) = a_0 + a_1·x + … + a_{t−1}·x^{t−1}` of one trustee.
    ///
    /// # Security
    /// Never leaves the trustee. Its constant term is the trustee's contribution to the
    /// election secret; together with `t − 1` other polynomials' values it decrypts. Zeroized on
    /// drop; `Debug` prints `<redacted>`; evaluated in constant time. Drop it once every share
    /// has been handed over.
    #[derive(ZeroizeOnDrop)]
    pub struct SecretPackage {
        #[zeroize(skip)]
        pub(super) params: CeremonyParameters,
        #[zeroize(skip)]
        pub(super) index: u32,
        pub(super) coefficients: Vec<Secret>,
    }

    impl SecretPackage {
        /// The owner's index.
        pub fn index(&self) -> u32 {
            self.index
        }

        /// The ceremony parameters.
        pub fn params(&self) -> &CeremonyParameters {
            &self.params
        }

        /// The share `f(to)` for trustee `to` (spec `ceremony.md` §5). Refuses `to = 0`, which
        /// would be the secret constant term, and any index outside `1..=n`.
        pub fn share_for(&self, to: u32) -> Result<round2::SecretShare, CeremonyError> {
            self.params.check_index(to)?;
            // Horner's rule in constant-time scalar arithmetic.
            let x = Scalar::from(to);
            let mut value = Scalar::ZERO;
            for coefficient in self.coefficients.iter().rev() {
                value = value * x + coefficient.expose();
            }
            let share = Secret::from_scalar(value);
            value.zeroize();
            Ok(round2::SecretShare {
                from: self.index,
                to,
                value: share,
            })
        }
    }

    impl std::fmt::Debug for SecretPackage {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("SecretPackage")
                .field("index", &self.index)
                .field("coefficients", &"<redacted>")
                .finish()
        }
    }
}

/// Round 2: point-to-point shares.
pub mod round2 {
    use super::*;

    /// The share `f_from(to)` that trustee `from` sends to trustee `to` only.
    ///
    /// Handed over in process by the demo; between separate trustees it travels encrypted to
    /// its recipient (spec `ceremony.md` §13, [`crate::trustee::encrypt_share`]).
    ///
    /// # Security
    /// Any `t` shares from one sender reveal its polynomial. Zeroized on drop; `Debug` prints
    /// `<redacted>`; never serialized in the clear.
    #[derive(ZeroizeOnDrop)]
    pub struct SecretShare {
        /// The sender's index.
        #[zeroize(skip)]
        pub from: u32,
        /// The recipient's index.
        #[zeroize(skip)]
        pub to: u32,
        pub(crate) value: Secret,
    }

    impl SecretShare {
        /// Wraps a share received from trustee `from` (for example after decrypting it).
        pub fn new(from: u32, to: u32, value: Secret) -> Self {
            Self { from, to, value }
        }

        /// The share value `f_from(to)`.
        ///
        /// # Security
        /// For encrypting it to its recipient and for storing it encrypted at rest; never write
        /// it out in the clear.
        pub fn value(&self) -> &Secret {
            &self.value
        }

        /// True when `value·G = Σ_k to^k·C_k` for the sender's commitments (spec §5).
        pub fn matches(&self, commitments: &[GroupElement]) -> bool {
            share_matches(commitments, self.to, &self.value)
        }
    }

    impl std::fmt::Debug for SecretShare {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("SecretShare")
                .field("from", &self.from)
                .field("to", &self.to)
                .field("value", &"<redacted>")
                .finish()
        }
    }
}

/// Round 1 for trustee `index`: a random polynomial of degree `t − 1`, its commitments and a
/// proof of possession of its constant term. Spec `ceremony.md` §3–§4.
pub fn part1<R: RngCore + CryptoRng>(
    params: &CeremonyParameters,
    index: u32,
    rng: &mut R,
) -> Result<(round1::SecretPackage, round1::Package), CeremonyError> {
    params.validate()?;
    params.check_index(index)?;
    let coefficients: Vec<Secret> = (0..params.threshold).map(|_| Secret::random(rng)).collect();
    let commitments: Vec<GroupElement> = coefficients.iter().map(Secret::public_element).collect();
    // Spec §4: Schnorr proof on C_0, transcript = ceremony id, then the trustee index.
    let proof = SchnorrProof::prove(
        &mut pop_transcript(&params.ceremony_id, index),
        &commitments[0],
        &coefficients[0],
        rng,
    )?;
    Ok((
        round1::SecretPackage {
            params: *params,
            index,
            coefficients,
        },
        round1::Package {
            index,
            commitments,
            proof,
        },
    ))
}

/// Checks a full set of round-1 packages: exactly one per trustee, each valid. Returns them
/// ordered by index. Spec `ceremony.md` §4.
pub(crate) fn check_packages<'a>(
    params: &CeremonyParameters,
    packages: &'a [round1::Package],
) -> Result<Vec<&'a round1::Package>, CeremonyError> {
    params.validate()?;
    let n = params.trustees as usize;
    if packages.len() != n {
        return Err(CeremonyError::WrongPackageCount {
            expected: n,
            found: packages.len(),
        });
    }
    let mut ordered: Vec<Option<&round1::Package>> = vec![None; n];
    for package in packages {
        params.check_index(package.index)?;
        let slot = &mut ordered[package.index as usize - 1];
        if slot.is_some() {
            return Err(CeremonyError::Duplicate {
                culprit: package.index,
            });
        }
        *slot = Some(package);
    }
    // n packages, n distinct indices in 1..=n: every slot is filled.
    let ordered: Vec<&round1::Package> = ordered.into_iter().flatten().collect();
    for package in &ordered {
        package.verify(params)?;
    }
    Ok(ordered)
}

/// Round 2 for trustee `index`: checks every round-1 package and every share received, then
/// sums the shares into the key share. Spec `ceremony.md` §4–§6.
///
/// `shares` must hold exactly one share from each trustee (including the trustee's own
/// `share_for(index)`), all addressed to `index`. Errors name the trustee at fault.
pub fn part2(
    params: &CeremonyParameters,
    index: u32,
    packages: &[round1::Package],
    shares: &[round2::SecretShare],
) -> Result<KeyShare, CeremonyError> {
    let packages = check_packages(params, packages)?;
    params.check_index(index)?;
    let n = params.trustees as usize;
    let mut received: Vec<Option<&round2::SecretShare>> = vec![None; n];
    for share in shares {
        params.check_index(share.from)?;
        if share.to != index {
            return Err(CeremonyError::MisaddressedShare {
                culprit: share.from,
                to: share.to,
            });
        }
        let slot = &mut received[share.from as usize - 1];
        if slot.is_some() {
            return Err(CeremonyError::Duplicate {
                culprit: share.from,
            });
        }
        *slot = Some(share);
    }
    let mut secret = Scalar::ZERO;
    for (sender, (package, share)) in params.indices().zip(packages.iter().zip(&received)) {
        let share = share.ok_or(CeremonyError::MissingShare { culprit: sender })?;
        // Spec §5: s·G == Σ_k index^k · C_k. The left side is a constant-time fixed-base
        // multiplication; the right side involves public data only.
        let points: Vec<RistrettoPoint> = package.commitments.iter().map(|c| *c.point()).collect();
        if *share.value.public_element().point() != evaluate_in_exponent(&points, index) {
            secret.zeroize();
            return Err(CeremonyError::InvalidShare { culprit: sender });
        }
        secret += share.value.expose();
    }
    let secret_share = Secret::from_scalar(secret);
    secret.zeroize();
    // Spec §6: V_i = x_i·G and K = Σ_j C_j0.
    let verification_key = secret_share.public_element();
    let joint: RistrettoPoint = packages.iter().map(|p| p.commitments[0].point()).sum();
    let joint_key = PublicKey::new(GroupElement::from_point(joint))
        .map_err(|_| CeremonyError::IdentityJointKey)?;
    Ok(KeyShare {
        ceremony_id: params.ceremony_id,
        index,
        secret: secret_share,
        verification_key,
        joint_key,
    })
}

/// One trustee's result of the ceremony: its share `x_i` of the election secret.
///
/// # Security
/// Any `t` key shares decrypt every ballot. Zeroized on drop; `Debug` prints `<redacted>`; used
/// only in constant-time arithmetic. Between uses, a trustee keeps the shares it is summed from
/// sealed with its passphrase (spec `ceremony.md` §11), never this value in the clear.
#[derive(ZeroizeOnDrop)]
pub struct KeyShare {
    #[zeroize(skip)]
    pub(crate) ceremony_id: [u8; 32],
    #[zeroize(skip)]
    pub(crate) index: u32,
    pub(crate) secret: Secret,
    #[zeroize(skip)]
    pub(crate) verification_key: GroupElement,
    #[zeroize(skip)]
    pub(crate) joint_key: PublicKey,
}

impl KeyShare {
    /// The ceremony this share belongs to.
    pub fn ceremony_id(&self) -> &[u8; 32] {
        &self.ceremony_id
    }

    /// The trustee's index.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The secret share `x_i`.
    ///
    /// # Security
    /// For decryption and for tests that reconstruct a key; never write it out in the clear.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// The public verification key `V_i = x_i·G`.
    pub fn verification_key(&self) -> &GroupElement {
        &self.verification_key
    }

    /// The election key `K`.
    pub fn joint_key(&self) -> &PublicKey {
        &self.joint_key
    }
}

impl std::fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyShare")
            .field("index", &self.index)
            .field("secret", &"<redacted>")
            .field("verification_key", &self.verification_key)
            .field("joint_key", &self.joint_key)
            .finish()
    }
}

/// The Lagrange coefficients at 0 for the given distinct indices (spec `tally.md` §4):
/// `λ_i = Π_{j≠i} j / (j − i)`.
pub fn lagrange_at_zero(indices: &[u32]) -> Result<Vec<Scalar>, CeremonyError> {
    for (position, &i) in indices.iter().enumerate() {
        if i == 0 {
            return Err(CeremonyError::UnknownTrustee { index: 0 });
        }
        if indices[..position].contains(&i) {
            return Err(CeremonyError::Duplicate { culprit: i });
        }
    }
    Ok(indices
        .iter()
        .map(|&i| {
            let xi = Scalar::from(i);
            let (numerator, denominator) = indices.iter().filter(|&&j| j != i).fold(
                (Scalar::ONE, Scalar::ONE),
                |(num, den), &j| {
                    let xj = Scalar::from(j);
                    (num * xj, den * (xj - xi))
                },
            );
            // The indices are distinct and below ℓ, so the denominator is invertible.
            numerator * denominator.invert()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceremony_id_is_unambiguous() {
        let h = [1u8; 32];
        let a = ceremony_id(&h, &["ab".into(), "c".into()], 1);
        let b = ceremony_id(&h, &["a".into(), "bc".into()], 1);
        let c = ceremony_id(&h, &["abc".into()], 1);
        let d = ceremony_id(&h, &["ab".into(), "c".into()], 2);
        assert!(a != b && a != c && b != c && a != d);
    }

    #[test]
    fn lagrange_rejects_zero_and_duplicates() {
        assert!(lagrange_at_zero(&[0, 1]).is_err());
        assert!(lagrange_at_zero(&[2, 2]).is_err());
        assert_eq!(lagrange_at_zero(&[5]).unwrap(), vec![Scalar::ONE]);
    }

    #[test]
    fn share_for_zero_is_refused() {
        let params = CeremonyParameters::new([0u8; 32], 3, 2).unwrap();
        let mut rng = rand::thread_rng();
        let (secret, _) = part1(&params, 1, &mut rng).unwrap();
        assert!(secret.share_for(0).is_err());
        assert!(secret.share_for(4).is_err());
        assert!(format!("{secret:?}").contains("<redacted>"));
    }
}
