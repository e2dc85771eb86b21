//! A ballot's body and its encryption (spec `ballot.md` §1–§5): the options encrypted and
//! proved, each contest's total proved, the credential's signature, and the transcripts that
//! bind them to the election and the voter.

use super::value_proof::ValueProof;
use crate::crypto::digest::Hash;
use crate::crypto::elgamal::CiphertextSum;
use crate::crypto::elgamal::{Ciphertext, Secret};
use crate::crypto::error::ProofError;
use crate::crypto::group::GroupElement;
use crate::crypto::proofs::SchnorrProof;
use crate::crypto::transcript::Transcript;
use crate::manifest::Manifest;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One encrypted option and its range proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedOption {
    /// The encryption of the option's value (0/1, or a score).
    pub ciphertext: Ciphertext,
    /// Proof that the value is in `0..=option_max`.
    pub proof: ValueProof,
}

/// One contest of a ballot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedContest {
    /// One entry per manifest option, in order.
    pub options: Vec<EncryptedOption>,
    /// Proof that the sum of the options is in `total_min..=total_max`.
    pub total_proof: ValueProof,
}

/// The encrypted choices of one voter, before the credential signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotBody {
    /// The voter's public credential.
    pub credential: GroupElement,
    /// One entry per manifest contest, in order.
    pub contests: Vec<EncryptedContest>,
}

/// A cast ballot: the body and the credential's signature over its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ballot {
    /// The encrypted choices.
    pub body: BallotBody,
    /// Schnorr signature by the credential over the ballot hash (spec `ballot.md` §5).
    pub signature: SchnorrProof,
}

/// Where a ballot is invalid: the contest and option (or the total) and the failure.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum BallotError {
    /// The ballot's shape does not match the manifest.
    #[error("ballot shape: {0}")]
    Shape(String),
    /// An option's ciphertext has `α` = identity (its nonce is zero: the vote would be public).
    #[error("contest {contest} option {option}: ciphertext alpha is the identity")]
    IdentityAlpha {
        /// Contest index.
        contest: usize,
        /// Option index.
        option: usize,
    },
    /// An option's range proof fails.
    #[error("contest {contest} option {option}: range proof: {error}")]
    OptionProof {
        /// Contest index.
        contest: usize,
        /// Option index.
        option: usize,
        /// Why.
        error: ProofError,
    },
    /// A contest's total proof fails.
    #[error("contest {contest}: selection-limit proof: {error}")]
    TotalProof {
        /// Contest index.
        contest: usize,
        /// Why.
        error: ProofError,
    },
    /// The credential signature fails.
    #[error("credential signature: {0}")]
    Signature(ProofError),
    /// The proofs do not hold together (found by a ballot-level check of all equations).
    #[error("ballot proofs: {0}")]
    Equations(ProofError),
    /// The choices given to the encryptor break the manifest's limits.
    #[error("invalid choices: {0}")]
    InvalidChoices(String),
}

/// The statement context shared by all proofs of one ballot (spec `ballot.md` §3).
pub(crate) fn ballot_transcript(fingerprint: &Hash, credential: &GroupElement) -> Transcript {
    let mut transcript = Transcript::new(fingerprint);
    transcript.append_element(b"credential", credential);
    transcript
}

/// An option proof's transcript: `option ← LE64(c) ‖ LE64(o)` (spec `ballot.md` §3).
pub(crate) fn option_transcript(base: &Transcript, contest: usize, option: usize) -> Transcript {
    context_transcript(base, b"option", contest, option)
}

/// A contest total's transcript: `total ← LE64(c) ‖ LE64(n)`, `n` the number of options
/// (spec `ballot.md` §3).
pub(crate) fn total_transcript(base: &Transcript, contest: usize, options: usize) -> Transcript {
    context_transcript(base, b"total", contest, options)
}

pub(crate) fn context_transcript(
    base: &Transcript,
    label: &'static [u8],
    contest: usize,
    second: usize,
) -> Transcript {
    let mut transcript = base.clone();
    let words = [
        (contest as u64).to_le_bytes(),
        (second as u64).to_le_bytes(),
    ];
    transcript.append_concat(label, [&words[0][..], &words[1]]);
    transcript
}

pub(crate) fn signature_transcript(base: &Transcript, ballot_hash: &Hash) -> Transcript {
    let mut transcript = base.clone();
    transcript.append_bytes(b"ballot-hash", ballot_hash);
    transcript
}

/// The nonces and plaintexts of an encrypted ballot, kept by the device until the voter casts
/// (then destroyed) or challenges (then published as a [`ChallengedBallot`](super::ChallengedBallot)).
///
/// # Security
/// Whoever holds these learns the vote. Zeroized on drop; `Debug` is redacted.
pub struct BallotSecrets {
    pub(crate) plaintexts: Vec<Vec<u64>>,
    pub(crate) nonces: Vec<Vec<Secret>>,
}

impl Drop for BallotSecrets {
    fn drop(&mut self) {
        for contest in &mut self.plaintexts {
            zeroize::Zeroize::zeroize(contest);
        }
    }
}

impl std::fmt::Debug for BallotSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BallotSecrets(<redacted>)")
    }
}

/// Checks that `choices` fit the manifest (shape and limits).
pub fn check_choices(manifest: &Manifest, choices: &[Vec<u64>]) -> Result<(), BallotError> {
    if choices.len() != manifest.contests.len() {
        return Err(BallotError::InvalidChoices(format!(
            "{} contests given, the manifest has {}",
            choices.len(),
            manifest.contests.len()
        )));
    }
    for (c, (contest, values)) in manifest.contests.iter().zip(choices).enumerate() {
        let limits = contest.kind.limits();
        if values.len() != contest.options.len() {
            return Err(BallotError::InvalidChoices(format!(
                "contest {c}: {} values for {} options",
                values.len(),
                contest.options.len()
            )));
        }
        let total = values.iter().try_fold(0u64, |sum, &v| sum.checked_add(v));
        let within = |v: u64| v <= limits.option_max;
        match total {
            Some(total)
                if values.iter().all(|&v| within(v))
                    && (limits.total_min..=limits.total_max).contains(&total) => {}
            _ => {
                return Err(BallotError::InvalidChoices(format!(
                    "contest {c} ({}): values {values:?} break its limits",
                    contest.id
                )))
            }
        }
    }
    Ok(())
}

/// One buffer for every contest's parts (`contest_total`), allocated once per ballot.
pub(crate) fn parts_buffer(body: &BallotBody) -> Vec<u8> {
    let widest = body.contests.iter().map(|c| c.options.len()).max();
    Vec::with_capacity(64 * widest.unwrap_or(0))
}

/// Writes a contest's option ciphertext encodings `α_1 ‖ β_1 ‖ … ‖ α_n ‖ β_n` into `parts`:
/// the total proof's statement is their sum, bound by its parts (spec `ballot.md` §4).
pub(crate) fn contest_parts<'a>(
    ciphertexts: impl Iterator<Item = &'a Ciphertext>,
    parts: &mut Vec<u8>,
) {
    parts.clear();
    for ciphertext in ciphertexts {
        parts.extend_from_slice(ciphertext.alpha.as_bytes());
        parts.extend_from_slice(ciphertext.beta.as_bytes());
    }
}

/// Sums a contest's option ciphertexts and writes their encodings into `parts`
/// ([`contest_parts`]), for proving and for checking the total proof alone.
pub(crate) fn contest_total<'a>(
    ciphertexts: impl Iterator<Item = &'a Ciphertext> + Clone,
    parts: &mut Vec<u8>,
) -> CiphertextSum {
    contest_parts(ciphertexts.clone(), parts);
    let mut sum = CiphertextSum::default();
    ciphertexts.for_each(|ciphertext| sum.add(ciphertext));
    sum
}
