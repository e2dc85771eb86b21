//! Threshold decryption of the encrypted tally.
//!
//! Spec: `protocol-spec/tally.md`.
//!
//! Each trustee `i` publishes a [`DecryptionShare`]: for every tally ciphertext `(α, β)` the
//! partial decryption `M_i = x_i·α` and a Chaum–Pedersen proof that `log_G V_i = log_α M_i`.
//! [`combine`] checks the shares, takes the first `t` valid ones by index, and recovers
//! `m·G = β − Σ λ_i·M_i`, then `m` by a bounded baby-step giant-step search ([`DiscreteLog`]).
//! [`verify_decryption`] is the verifier's re-check of a published result.

use crate::ceremony::{lagrange_at_zero, CeremonyError, CeremonyRecord, KeyShare};
use crate::crypto::batch::{EquationBatch, EquationSink};
use crate::crypto::elgamal::{encode_plaintext, Ciphertext};
use crate::crypto::error::ProofError;
use crate::crypto::group::GroupElement;
use crate::crypto::proofs::{EqualityProof, EqualityStatement, PointPair};
use crate::crypto::transcript::Transcript;
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, IsIdentity, VartimeMultiscalarMul};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use thiserror::Error;

/// Why a decryption step failed or a share was rejected.
///
/// Variants caused by one trustee's share name that trustee as `culprit`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TallyError {
    /// A share's contests and options do not match the tally's.
    #[error("the share of trustee {culprit} does not have the shape of the tally")]
    ShapeMismatch {
        /// The trustee.
        culprit: u32,
    },
    /// A share from an index that is not a trustee of the ceremony.
    #[error("share from unknown trustee {culprit}")]
    UnknownTrustee {
        /// The claimed index.
        culprit: u32,
    },
    /// A second share from the same trustee.
    #[error("second share from trustee {culprit}")]
    DuplicateShare {
        /// The trustee.
        culprit: u32,
    },
    /// No proof for a ciphertext whose `α` is not the identity.
    #[error("trustee {culprit} gave no proof for contest {contest}, option {option}")]
    MissingProof {
        /// The trustee.
        culprit: u32,
        /// Contest position.
        contest: usize,
        /// Option position.
        option: usize,
    },
    /// A proof for a ciphertext whose `α` is the identity (spec `tally.md` §3).
    #[error("trustee {culprit} gave a proof for the empty ciphertext of contest {contest}, option {option}")]
    UnexpectedProof {
        /// The trustee.
        culprit: u32,
        /// Contest position.
        contest: usize,
        /// Option position.
        option: usize,
    },
    /// A partial decryption of an identity `α` that is not the identity.
    #[error("trustee {culprit}'s partial decryption of the empty ciphertext of contest {contest}, option {option} is not the identity")]
    NonIdentityShare {
        /// The trustee.
        culprit: u32,
        /// Contest position.
        contest: usize,
        /// Option position.
        option: usize,
    },
    /// A decryption proof that does not verify.
    #[error("trustee {culprit}'s decryption proof for contest {contest}, option {option} does not verify")]
    InvalidProof {
        /// The trustee.
        culprit: u32,
        /// Contest position.
        contest: usize,
        /// Option position.
        option: usize,
    },
    /// The share's proofs fail together though none fails alone (should not happen).
    #[error("trustee {culprit}'s decryption proofs do not verify")]
    InvalidProofs {
        /// The trustee.
        culprit: u32,
    },
    /// Fewer than `t` valid shares.
    #[error("{valid} valid decryption shares, {needed} needed")]
    NotEnoughShares {
        /// Valid shares found.
        valid: usize,
        /// The threshold `t`.
        needed: usize,
    },
    /// The bounds do not have the shape of the tally.
    #[error("the bounds do not have the shape of the tally")]
    BoundsShape,
    /// A discrete-log bound above [`DiscreteLog::MAX_BOUND`].
    #[error("discrete-log bound {bound} is above the maximum {max}")]
    BoundTooLarge {
        /// The bound asked for.
        bound: u64,
        /// The largest supported bound.
        max: u64,
    },
    /// The decrypted count is not in `0..=bound`.
    #[error("the count of contest {contest}, option {option} is not in 0..={bound}")]
    CountOutOfRange {
        /// Contest position.
        contest: usize,
        /// Option position.
        option: usize,
        /// The bound.
        bound: u64,
    },
    /// A published decryption lists the wrong set of shares as used.
    #[error("the shares used are not t distinct trustees in increasing order")]
    InvalidUsedSet,
    /// A published decryption uses a share that is not published or does not verify.
    #[error("no valid published share from trustee {trustee}, which the decryption uses")]
    UsedShareMissing {
        /// The trustee.
        trustee: u32,
    },
    /// A published count does not match the combination of the shares used.
    #[error("the published count of contest {contest}, option {option} does not match the shares")]
    CountMismatch {
        /// Contest position.
        contest: usize,
        /// Option position.
        option: usize,
    },
    /// The ceremony record does not verify.
    #[error("ceremony record: {0}")]
    Ceremony(#[from] CeremonyError),
    /// Producing a proof failed.
    #[error("proof generation failed: {0}")]
    Proof(#[from] ProofError),
}

/// The homomorphic sum of the counted ballots: one ciphertext per contest and option.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedTally {
    /// The number of ballots summed.
    pub participants: u64,
    /// Lines on the board (`ballots.jsonl`) when the tally was taken: the end of the board that
    /// the trustees decrypted (spec `board.md` §4.2, `record.md` §5.4).
    pub board_size: u64,
    /// The board's last tracking code (the election fingerprint for an empty board).
    #[serde(with = "crate::crypto::group::hash_hex")]
    pub last_tracking_code: [u8; 32],
    /// `contests[c][o]` encrypts the total for option `o` of contest `c`.
    pub contests: Vec<Vec<Ciphertext>>,
}

impl EncryptedTally {
    fn ciphertexts(&self) -> impl Iterator<Item = (usize, usize, &Ciphertext)> {
        self.contests.iter().enumerate().flat_map(|(c, options)| {
            options
                .iter()
                .enumerate()
                .map(move |(o, ciphertext)| (c, o, ciphertext))
        })
    }

    fn same_shape<T>(&self, other: &[Vec<T>]) -> bool {
        self.contests.len() == other.len()
            && self
                .contests
                .iter()
                .zip(other)
                .all(|(a, b)| a.len() == b.len())
    }
}

/// One trustee's partial decryption of one tally ciphertext.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialDecryption {
    /// `M_i = x_i·α`.
    pub share: GroupElement,
    /// Proof that `log_G V_i = log_α M_i`; `null` exactly when `α` is the identity (spec
    /// `tally.md` §3). The field must be present.
    #[serde(deserialize_with = "Option::deserialize")]
    pub proof: Option<EqualityProof>,
}

/// One trustee's decryption share of a whole tally (spec `tally.md` §2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecryptionShare {
    /// The trustee's index.
    pub trustee: u32,
    /// `contests[c][o]` partially decrypts the tally's `contests[c][o]`.
    pub contests: Vec<Vec<PartialDecryption>>,
}

/// The transcript of one decryption proof (spec `tally.md` §2).
fn share_transcript(
    fingerprint: &[u8; 32],
    trustee: u32,
    contest: usize,
    option: usize,
) -> Transcript {
    let mut transcript = Transcript::new(fingerprint);
    transcript.append_u64(b"trustee", u64::from(trustee));
    transcript.append_u64(b"contest", contest as u64);
    transcript.append_u64(b"option", option as u64);
    transcript
}

/// Computes trustee `key_share.index()`'s decryption share of `tally` (spec `tally.md` §2–§3).
///
/// # Security
/// Decrypt only a tally recomputed from the bulletin board by the trustee itself: a share of
/// any other ciphertext (a single ballot, a subset) would help decrypt it.
pub fn decrypt_share<R: RngCore + CryptoRng>(
    election_fingerprint: &[u8; 32],
    key_share: &KeyShare,
    tally: &EncryptedTally,
    rng: &mut R,
) -> Result<DecryptionShare, TallyError> {
    let trustee = key_share.index();
    let contests = tally
        .contests
        .iter()
        .enumerate()
        .map(|(c, options)| {
            options
                .iter()
                .enumerate()
                .map(|(o, ciphertext)| {
                    let alpha = &ciphertext.alpha;
                    if alpha.is_identity() {
                        // Spec §3: x·0 = 0 for every x, so there is nothing to prove.
                        return Ok(PartialDecryption {
                            share: GroupElement::from_point(RistrettoPoint::identity()),
                            proof: None,
                        });
                    }
                    // Constant-time variable-base multiplication by the secret.
                    let share =
                        GroupElement::from_point(key_share.secret().expose() * alpha.point());
                    let statement = EqualityStatement {
                        base: alpha,
                        base_is_key: false,
                        pair: PointPair::encoded(key_share.verification_key(), &share),
                        shift: 0,
                    };
                    let proof = EqualityProof::prove(
                        &mut share_transcript(election_fingerprint, trustee, c, o),
                        &statement,
                        key_share.secret(),
                        rng,
                    )?;
                    Ok(PartialDecryption {
                        share,
                        proof: Some(proof),
                    })
                })
                .collect::<Result<Vec<_>, TallyError>>()
        })
        .collect::<Result<Vec<_>, TallyError>>()?;
    Ok(DecryptionShare { trustee, contests })
}

impl DecryptionShare {
    fn partials(&self) -> impl Iterator<Item = &PartialDecryption> {
        self.contests.iter().flatten()
    }

    /// Checks the shape and the identity cases, and emits the equations of every proof into
    /// `sink` (spec `tally.md` §3). The equations hold only if the sink's check passes.
    pub fn equations(
        &self,
        election_fingerprint: &[u8; 32],
        verification_key: &GroupElement,
        tally: &EncryptedTally,
        sink: &mut dyn EquationSink,
    ) -> Result<(), TallyError> {
        let culprit = self.trustee;
        if !tally.same_shape(&self.contests) {
            return Err(TallyError::ShapeMismatch { culprit });
        }
        for ((contest, option, ciphertext), partial) in tally.ciphertexts().zip(self.partials()) {
            let alpha = &ciphertext.alpha;
            match (&partial.proof, alpha.is_identity()) {
                (None, true) => {
                    if !partial.share.is_identity() {
                        return Err(TallyError::NonIdentityShare {
                            culprit,
                            contest,
                            option,
                        });
                    }
                }
                (Some(_), true) => {
                    return Err(TallyError::UnexpectedProof {
                        culprit,
                        contest,
                        option,
                    })
                }
                (None, false) => {
                    return Err(TallyError::MissingProof {
                        culprit,
                        contest,
                        option,
                    })
                }
                (Some(proof), false) => {
                    let statement = EqualityStatement {
                        base: alpha,
                        base_is_key: false,
                        pair: PointPair::encoded(verification_key, &partial.share),
                        shift: 0,
                    };
                    proof
                        .equations(
                            &mut share_transcript(election_fingerprint, culprit, contest, option),
                            &statement,
                            sink,
                        )
                        .map_err(|_| TallyError::InvalidProof {
                            culprit,
                            contest,
                            option,
                        })?;
                }
            }
        }
        Ok(())
    }

    /// Verifies the whole share with one multiscalar multiplication; on failure, finds and
    /// names the first proof that fails alone.
    pub fn verify(
        &self,
        election_fingerprint: &[u8; 32],
        verification_key: &GroupElement,
        tally: &EncryptedTally,
    ) -> Result<(), TallyError> {
        let mut batch = EquationBatch::new(None);
        self.equations(election_fingerprint, verification_key, tally, &mut batch)?;
        if batch.holds() {
            return Ok(());
        }
        for ((contest, option, ciphertext), partial) in tally.ciphertexts().zip(self.partials()) {
            if let Some(proof) = &partial.proof {
                let statement = EqualityStatement {
                    base: &ciphertext.alpha,
                    base_is_key: false,
                    pair: PointPair::encoded(verification_key, &partial.share),
                    shift: 0,
                };
                let mut transcript =
                    share_transcript(election_fingerprint, self.trustee, contest, option);
                if proof.verify(&mut transcript, &statement).is_err() {
                    return Err(TallyError::InvalidProof {
                        culprit: self.trustee,
                        contest,
                        option,
                    });
                }
            }
        }
        Err(TallyError::InvalidProofs {
            culprit: self.trustee,
        })
    }
}

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

/// A hasher for keys that are already uniformly random 64-bit values.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// The table key of a compressed point: bytes 1..9 of its encoding. (Byte 0 of a ristretto
/// encoding always has its low bit clear; bytes 1..9 are uniform.)
fn table_key(point: &CompressedRistretto) -> u64 {
    let mut key = [0u8; 8];
    key.copy_from_slice(&point.as_bytes()[1..9]);
    u64::from_le_bytes(key)
}

/// Points compressed together, sharing one field inversion.
const CHUNK: usize = 1024;

/// Bounded discrete logarithms base `G` by baby-step giant-step (spec `tally.md` §5).
///
/// Built once for a bound `N`: `m = ⌈√(N+1)⌉` baby steps `j·G` are stored under a 64-bit key
/// taken from their encoding; [`solve`](Self::solve) then takes at most `⌈(N+1)/m⌉` giant steps.
/// Every hit is confirmed against the full encoding, so a key collision can cost time but never
/// a wrong answer. Points are compressed in batches that share one inversion (by the
/// "double and compress" trick on halved points).
///
/// Memory: about 17–34 bytes per baby step (a `HashMap<u64, u32>`), so ≈ 0.5 MB for
/// `N = 2·10⁸` (20 million ballots × score 10) and ≈ 36 MB at [`MAX_BOUND`](Self::MAX_BOUND).
/// Time: building costs about `m` point additions and compressions; a solve at most as many
/// again. Variable time: use only on public points.
pub struct DiscreteLog {
    bound: u64,
    baby_steps: u64,
    table: HashMap<u64, u32, BuildHasherDefault<PassThrough>>,
    /// Baby steps whose key collided with an earlier one (almost always empty).
    overflow: Vec<(u64, u32)>,
    /// `(m·G)/2`, the giant step on halved points.
    giant_half: RistrettoPoint,
    /// `1/2 mod ℓ`.
    half: Scalar,
}

impl DiscreteLog {
    /// The largest supported bound, `2⁴⁰` (a table of `2²⁰` baby steps).
    pub const MAX_BOUND: u64 = 1 << 40;

    /// Builds the table for counts in `0..=bound`.
    pub fn new(bound: u64) -> Result<Self, TallyError> {
        if bound > Self::MAX_BOUND {
            return Err(TallyError::BoundTooLarge {
                bound,
                max: Self::MAX_BOUND,
            });
        }
        let size = bound + 1;
        // ⌈√size⌉, exact for size ≤ 2⁴⁰ + 1.
        let mut m = (size as f64).sqrt() as u64;
        while m * m < size {
            m += 1;
        }
        while m > 1 && (m - 1) * (m - 1) >= size {
            m -= 1;
        }
        let half = Scalar::from(2u64).invert();
        let g_half = &half * RISTRETTO_BASEPOINT_TABLE;
        let mut table = HashMap::with_capacity_and_hasher(m as usize, Default::default());
        let mut overflow = Vec::new();
        // j = 0: the identity, whose encoding is all zeros.
        table.insert(table_key(&CompressedRistretto::default()), 0u32);
        let mut point = RistrettoPoint::identity();
        let mut j: u32 = 1;
        let mut halves = Vec::with_capacity(CHUNK);
        while u64::from(j) < m {
            halves.clear();
            let first = j;
            while halves.len() < CHUNK && u64::from(j) < m {
                point += g_half;
                halves.push(point);
                j += 1;
            }
            // compress(2·(j·G/2)) = compress(j·G); none of these points is the identity.
            for (k, encoding) in RistrettoPoint::double_and_compress_batch(&halves)
                .iter()
                .enumerate()
            {
                let step = first + k as u32;
                let key = table_key(encoding);
                match table.entry(key) {
                    Entry::Occupied(_) => overflow.push((key, step)),
                    Entry::Vacant(slot) => {
                        slot.insert(step);
                    }
                }
            }
        }
        Ok(Self {
            bound,
            baby_steps: m,
            table,
            overflow,
            giant_half: Scalar::from(m) * g_half,
            half,
        })
    }

    /// The bound `N` this table was built for.
    pub fn bound(&self) -> u64 {
        self.bound
    }

    /// The number of baby steps `m`.
    pub fn baby_steps(&self) -> u64 {
        self.baby_steps
    }

    /// If `giant` (the encoding of `P − i·m·G`) equals `j·G` for a stored `j`, that `j`.
    fn lookup(&self, giant: &CompressedRistretto) -> Option<u64> {
        let key = table_key(giant);
        let overflow = self
            .overflow
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, j)| j);
        self.table
            .get(&key)
            .into_iter()
            .chain(overflow)
            .map(|&j| u64::from(j))
            .find(|&j| (&Scalar::from(j) * RISTRETTO_BASEPOINT_TABLE).compress() == *giant)
    }

    /// The `m` in `0..=bound` with `point = m·G`, or `None` if there is none. Takes at most
    /// `⌈(bound+1)/baby_steps⌉` giant steps.
    pub fn solve(&self, point: &RistrettoPoint) -> Option<u64> {
        let m = self.baby_steps;
        let giant_steps = self.bound / m + 1;
        // Work on halved points: Q_i = P/2 − i·(m·G)/2, so compress(2·Q_i) = compress(P − i·m·G).
        let mut halved = self.half * point;
        let mut halves = Vec::with_capacity(CHUNK);
        let mut i = 0u64;
        while i < giant_steps {
            halves.clear();
            let first = i;
            while halves.len() < CHUNK && i < giant_steps {
                if halved.is_identity() {
                    // P = i·m·G exactly (the batch trick cannot encode the identity).
                    return self.accept(i * m);
                }
                halves.push(halved);
                halved -= self.giant_half;
                i += 1;
            }
            for (k, encoding) in RistrettoPoint::double_and_compress_batch(&halves)
                .iter()
                .enumerate()
            {
                if let Some(j) = self.lookup(encoding) {
                    return self.accept((first + k as u64) * m + j);
                }
            }
        }
        None
    }

    /// A found logarithm is unique below ℓ; it is the answer only if it is within the bound.
    fn accept(&self, value: u64) -> Option<u64> {
        (value <= self.bound).then_some(value)
    }
}

impl std::fmt::Debug for DiscreteLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscreteLog")
            .field("bound", &self.bound)
            .field("baby_steps", &self.baby_steps)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::group::G;

    #[test]
    fn discrete_log_small_exhaustive() {
        let table = DiscreteLog::new(2500).unwrap();
        let mut point = RistrettoPoint::identity();
        for m in 0..=2500u64 {
            assert_eq!(table.solve(&point), Some(m), "m = {m}");
            point += G;
        }
        assert_eq!(table.solve(&point), None);
    }

    #[test]
    fn discrete_log_tiny_bounds() {
        for bound in 0..6u64 {
            let table = DiscreteLog::new(bound).unwrap();
            for m in 0..=bound + 3 {
                let expected = (m <= bound).then_some(m);
                assert_eq!(
                    table.solve(&encode_plaintext(m)),
                    expected,
                    "bound {bound}, m {m}"
                );
            }
        }
    }
}

pub mod chart;
pub mod results;
