//! The encrypted tally and one trustee's decryption share of it (spec `tally.md` §1–§3): partial
//! decryptions with Chaum–Pedersen proofs, and their checks in a batch equation.

use crate::ceremony::{CeremonyError, KeyShare};
use crate::crypto::batch::{EquationBatch, EquationSink};
use crate::crypto::elgamal::Ciphertext;
use crate::crypto::error::ProofError;
use crate::crypto::group::GroupElement;
use crate::crypto::proofs::{EqualityProof, EqualityStatement, PointPair};
use crate::crypto::transcript::Transcript;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::traits::Identity;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
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
    /// A discrete-log bound above [`DiscreteLog::MAX_BOUND`](super::DiscreteLog::MAX_BOUND).
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

/// The checkpoint of the board's log that ends with the close leaf: its size and root (spec
/// `record.md` §5.4, `board.md` §9.2). `tally.json` names it, and trustees sign it with their
/// shares, so the end of the board is fixed by the log's signed, witnessed close rather than
/// by the board's word when the tally is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosingCheckpoint {
    /// The tree size: every leaf of the log, the close leaf last.
    pub size: u64,
    /// The tree's root (`log.md` §2.2).
    #[serde(with = "crate::crypto::group::hash_hex")]
    pub root: [u8; 32],
}

/// `closing_checkpoint` of `tally.json` must be present and an object: `null` is refused.
fn required_closing<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<ClosingCheckpoint>, D::Error> {
    ClosingCheckpoint::deserialize(deserializer).map(Some)
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
    /// The log's closing checkpoint (required in `tally.json`). A tally recomputed from the
    /// ballots alone has `None`: the ballots do not say where the log ended; the verifier takes
    /// the published one and compares it with the log (checks 19–21).
    #[serde(deserialize_with = "required_closing")]
    pub closing_checkpoint: Option<ClosingCheckpoint>,
    /// `contests[c][o]` encrypts the total for option `o` of contest `c`.
    pub contests: Vec<Vec<Ciphertext>>,
}

impl EncryptedTally {
    pub(crate) fn ciphertexts(&self) -> impl Iterator<Item = (usize, usize, &Ciphertext)> {
        self.contests.iter().enumerate().flat_map(|(c, options)| {
            options
                .iter()
                .enumerate()
                .map(move |(o, ciphertext)| (c, o, ciphertext))
        })
    }

    pub(crate) fn same_shape<T>(&self, other: &[Vec<T>]) -> bool {
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
