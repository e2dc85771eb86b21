//! Ballots: encryption, validity proofs, credential signature, canonical bytes, and Benaloh
//! challenges.
//!
//! Spec: `protocol-spec/ballot.md`. Each option is encrypted and proved in range; each contest's
//! total is proved within the contest's limits; the whole ballot is signed with the voter's
//! credential, and every proof binds the election fingerprint and the credential, so a copied
//! ballot cannot be replayed under another credential.

use crate::crypto::batch::{Base, EquationBatch, EquationSink};
use crate::crypto::digest::{tagged_hash, Hash};
use crate::crypto::elgamal::{Ciphertext, CiphertextSum, EncryptionKey, PublicKey, Secret};
use crate::crypto::error::ProofError;
use crate::crypto::group::{scalar_vec_hex, GroupElement};
use crate::crypto::proofs::{
    DisjunctiveProof, EqualityProof, EqualityStatement, PointPair, RangeProof, SchnorrProof,
};
use crate::crypto::transcript::Transcript;
use crate::manifest::{Limits, Manifest};
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Which proof a range claim uses: disjunctive for up to 64 values, bulletproofs above
/// (spec `ballot.md` §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofKind {
    /// The value is fixed: a Chaum–Pedersen proof.
    Exact,
    /// A disjunctive proof with one branch per value.
    Disjunctive,
    /// A bulletproof range proof.
    Bulletproof,
}

impl ProofKind {
    /// The proof kind for the claim `low..=high`.
    pub fn for_range(low: u64, high: u64) -> Self {
        if low == high {
            ProofKind::Exact
        } else if high - low < crate::crypto::proofs::disjunctive::MAX_BRANCHES {
            ProofKind::Disjunctive
        } else {
            ProofKind::Bulletproof
        }
    }
}

/// A proof that a ciphertext's plaintext lies in a range; the manifest fixes which kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
// Exact and disjunctive proofs are the common case; boxing them would allocate per proof.
#[allow(clippy::large_enum_variant)]
pub enum ValueProof {
    /// The plaintext equals the single allowed value.
    Exact(EqualityProof),
    /// The plaintext is one of a few values.
    Disjunctive(DisjunctiveProof),
    /// The plaintext lies in a large range (boxed: much larger than the other variants).
    Bulletproof(Box<RangeProof>),
}

impl ValueProof {
    fn check_kind(&self, low: u64, high: u64) -> Result<(), ProofError> {
        if self.kind() == ProofKind::for_range(low, high) {
            Ok(())
        } else {
            Err(ProofError::Shape(
                "proof kind does not match the manifest's limits",
            ))
        }
    }

    fn kind(&self) -> ProofKind {
        match self {
            ValueProof::Exact(_) => ProofKind::Exact,
            ValueProof::Disjunctive(_) => ProofKind::Disjunctive,
            ValueProof::Bulletproof(_) => ProofKind::Bulletproof,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn prove<R: RngCore + CryptoRng>(
        transcript: &mut Transcript,
        key: &EncryptionKey,
        ciphertext: PointPair<'_>,
        low: u64,
        high: u64,
        m: u64,
        nonce: &Secret,
        rng: &mut R,
    ) -> Result<Self, ProofError> {
        Ok(match ProofKind::for_range(low, high) {
            ProofKind::Exact => {
                let statement = exact_statement(key.public_key(), ciphertext, low);
                ValueProof::Exact(EqualityProof::prove(transcript, &statement, nonce, rng)?)
            }
            ProofKind::Disjunctive => ValueProof::Disjunctive(DisjunctiveProof::prove(
                transcript, key, ciphertext, low, high, m, nonce, rng,
            )?),
            ProofKind::Bulletproof => ValueProof::Bulletproof(Box::new(RangeProof::prove(
                transcript, key, ciphertext, low, high, m, nonce, rng,
            )?)),
        })
    }

    /// Emits the proof's equations for the claim `low..=high` about `ciphertext`.
    pub fn equations(
        &self,
        transcript: &mut Transcript,
        key: &PublicKey,
        ciphertext: PointPair<'_>,
        low: u64,
        high: u64,
        sink: &mut dyn EquationSink,
    ) -> Result<(), ProofError> {
        self.check_kind(low, high)?;
        match self {
            ValueProof::Exact(proof) => {
                let statement = exact_statement(key, ciphertext, low);
                proof.equations(transcript, &statement, sink)
            }
            ValueProof::Disjunctive(proof) => {
                proof.equations(transcript, key, ciphertext, low, high, sink)
            }
            ValueProof::Bulletproof(proof) => {
                proof.equations(transcript, key, ciphertext, low, high, sink)
            }
        }
    }

    /// Verifies this proof on its own, each equation as written (spec `proofs.md` §1.2).
    pub fn verify(
        &self,
        transcript: &mut Transcript,
        key: &PublicKey,
        ciphertext: PointPair<'_>,
        low: u64,
        high: u64,
    ) -> Result<(), ProofError> {
        self.check_kind(low, high)?;
        match self {
            ValueProof::Exact(proof) => {
                proof.verify(transcript, &exact_statement(key, ciphertext, low))
            }
            ValueProof::Disjunctive(proof) => proof.verify(transcript, key, ciphertext, low, high),
            ValueProof::Bulletproof(proof) => proof.verify(transcript, key, ciphertext, low, high),
        }
    }
}

fn exact_statement<'a>(
    key: &'a PublicKey,
    ciphertext: PointPair<'a>,
    value: u64,
) -> EqualityStatement<'a> {
    EqualityStatement {
        base: key.element(),
        base_is_key: true,
        pair: ciphertext,
        shift: value,
    }
}

/// One buffer for every contest's parts (`contest_total`), allocated once per ballot.
fn parts_buffer(body: &BallotBody) -> Vec<u8> {
    let widest = body.contests.iter().map(|c| c.options.len()).max();
    Vec::with_capacity(64 * widest.unwrap_or(0))
}

/// Writes a contest's option ciphertext encodings `α_1 ‖ β_1 ‖ … ‖ α_n ‖ β_n` into `parts`:
/// the total proof's statement is their sum, bound by its parts (spec `ballot.md` §4).
fn contest_parts<'a>(ciphertexts: impl Iterator<Item = &'a Ciphertext>, parts: &mut Vec<u8>) {
    parts.clear();
    for ciphertext in ciphertexts {
        parts.extend_from_slice(ciphertext.alpha.as_bytes());
        parts.extend_from_slice(ciphertext.beta.as_bytes());
    }
}

/// Sums a contest's option ciphertexts and writes their encodings into `parts`
/// ([`contest_parts`]), for proving and for checking the total proof alone.
fn contest_total<'a>(
    ciphertexts: impl Iterator<Item = &'a Ciphertext> + Clone,
    parts: &mut Vec<u8>,
) -> CiphertextSum {
    contest_parts(ciphertexts.clone(), parts);
    let mut sum = CiphertextSum::default();
    ciphertexts.for_each(|ciphertext| sum.add(ciphertext));
    sum
}

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
fn ballot_transcript(fingerprint: &Hash, credential: &GroupElement) -> Transcript {
    let mut transcript = Transcript::new(fingerprint);
    transcript.append_element(b"credential", credential);
    transcript
}

/// An option proof's transcript: `option ← LE64(c) ‖ LE64(o)` (spec `ballot.md` §3).
fn option_transcript(base: &Transcript, contest: usize, option: usize) -> Transcript {
    context_transcript(base, b"option", contest, option)
}

/// A contest total's transcript: `total ← LE64(c) ‖ LE64(n)`, `n` the number of options
/// (spec `ballot.md` §3).
fn total_transcript(base: &Transcript, contest: usize, options: usize) -> Transcript {
    context_transcript(base, b"total", contest, options)
}

fn context_transcript(
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

fn signature_transcript(base: &Transcript, ballot_hash: &Hash) -> Transcript {
    let mut transcript = base.clone();
    transcript.append_bytes(b"ballot-hash", ballot_hash);
    transcript
}

/// The nonces and plaintexts of an encrypted ballot, kept by the device until the voter casts
/// (then destroyed) or challenges (then published as a [`ChallengedBallot`]).
///
/// # Security
/// Whoever holds these learns the vote. Zeroized on drop; `Debug` is redacted.
pub struct BallotSecrets {
    plaintexts: Vec<Vec<u64>>,
    nonces: Vec<Vec<Secret>>,
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

/// A challenged (spoiled) ballot with its nonces and plaintexts revealed. Never counted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengedBallot {
    /// The ballot as the device produced it.
    pub body: BallotBody,
    /// The plaintexts the device claims it encrypted.
    pub plaintexts: Vec<Vec<u64>>,
    /// The nonces, one per option.
    pub nonces: Vec<NonceList>,
}

/// The nonces of one contest, as hex scalars.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NonceList(#[serde(with = "scalar_vec_hex")] pub Vec<Scalar>);

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

impl BallotBody {
    /// Every option's ciphertext, contest by contest, in manifest order: what the tally adds.
    pub fn ciphertexts(&self) -> impl Iterator<Item = &Ciphertext> {
        self.contests
            .iter()
            .flat_map(|contest| contest.options.iter().map(|option| &option.ciphertext))
    }

    /// Encrypts `choices` (one value per option per contest) for the voter with public
    /// credential `credential`, with all proofs. Spec `ballot.md` §4.
    pub fn encrypt<R: RngCore + CryptoRng>(
        manifest: &Manifest,
        fingerprint: &Hash,
        key: &EncryptionKey,
        credential: &GroupElement,
        choices: &[Vec<u64>],
        rng: &mut R,
    ) -> Result<(Self, BallotSecrets), BallotError> {
        check_choices(manifest, choices)?;
        let base = ballot_transcript(fingerprint, credential);
        let mut contests = Vec::with_capacity(choices.len());
        let mut nonces = Vec::with_capacity(choices.len());
        for (c, (contest, values)) in manifest.contests.iter().zip(choices).enumerate() {
            let limits = contest.kind.limits();
            let mut options = Vec::with_capacity(values.len());
            let mut contest_nonces = Vec::with_capacity(values.len());
            let mut nonce_sum = Scalar::ZERO;
            for (o, &m) in values.iter().enumerate() {
                let (ciphertext, nonce) = key.encrypt(m, rng);
                let proof = ValueProof::prove(
                    &mut option_transcript(&base, c, o),
                    key,
                    PointPair::from(&ciphertext),
                    0,
                    limits.option_max,
                    m,
                    &nonce,
                    rng,
                )
                .map_err(|error| BallotError::OptionProof {
                    contest: c,
                    option: o,
                    error,
                })?;
                nonce_sum += nonce.expose();
                options.push(EncryptedOption { ciphertext, proof });
                contest_nonces.push(nonce);
            }
            let total: u64 = values.iter().sum();
            let nonce_sum = Secret::from_scalar(nonce_sum);
            let mut parts = Vec::new();
            let sum = contest_total(options.iter().map(|o| &o.ciphertext), &mut parts);
            let total_proof = ValueProof::prove(
                &mut total_transcript(&base, c, values.len()),
                key,
                PointPair::sum_of(sum.alpha(), sum.beta(), &parts),
                limits.total_min,
                limits.total_max,
                total,
                &nonce_sum,
                rng,
            )
            .map_err(|error| BallotError::TotalProof { contest: c, error })?;
            contests.push(EncryptedContest {
                options,
                total_proof,
            });
            nonces.push(contest_nonces);
        }
        let body = BallotBody {
            credential: *credential,
            contests,
        };
        Ok((
            body,
            BallotSecrets {
                plaintexts: choices.to_vec(),
                nonces,
            },
        ))
    }

    /// The ballot hash the device shows before the voter casts or challenges (spec `ballot.md` §6).
    pub fn hash(&self) -> Hash {
        self.hash_with(&mut Vec::new())
    }

    /// [`hash`](Self::hash), encoding into `buffer` (cleared first) so a verifier can reuse one
    /// buffer for every ballot.
    pub fn hash_with(&self, buffer: &mut Vec<u8>) -> Hash {
        buffer.clear();
        buffer.reserve(self.encoded_len());
        self.encode(buffer);
        hash_body_bytes(buffer)
    }

    /// Length of the canonical body encoding (spec `encoding.md` §6).
    pub fn canonical_len(&self) -> usize {
        let mut bytes = Vec::new();
        self.encode(&mut bytes);
        bytes.len()
    }

    /// Signs the body with the credential secret, making a castable ballot.
    pub fn sign<R: RngCore + CryptoRng>(
        self,
        fingerprint: &Hash,
        credential_secret: &Secret,
        rng: &mut R,
    ) -> Result<Ballot, BallotError> {
        let base = ballot_transcript(fingerprint, &self.credential);
        let hash = self.hash();
        let signature = SchnorrProof::prove(
            &mut signature_transcript(&base, &hash),
            &self.credential,
            credential_secret,
            rng,
        )
        .map_err(BallotError::Signature)?;
        Ok(Ballot {
            body: self,
            signature,
        })
    }

    /// Publishes the secrets of a challenged ballot. The ballot must never be cast afterwards.
    pub fn challenge(self, secrets: BallotSecrets) -> ChallengedBallot {
        ChallengedBallot {
            body: self,
            plaintexts: secrets.plaintexts.clone(),
            nonces: secrets
                .nonces
                .iter()
                .map(|contest| NonceList(contest.iter().map(|n| *n.expose()).collect()))
                .collect(),
        }
    }

    /// Checks the shape against the manifest and emits every option and total proof's
    /// equations. Spec `ballot.md` §7 (verifier checks 6–7), `batch.md` §4.5.
    ///
    /// Returns an error exactly when a check made before the equations fails (shape, an
    /// identity `α`, a proof's challenge or shape), but not necessarily the first one in
    /// ballot order: the total proof is emitted before the option proofs, so that its terms
    /// on the total ciphertext can be folded into the options' ciphertext terms (the total
    /// is their sum). [`Ballot::verify_each`] names the first failing proof in ballot order.
    pub fn equations(
        &self,
        manifest: &Manifest,
        fingerprint: &Hash,
        key: &PublicKey,
        sink: &mut dyn EquationSink,
    ) -> Result<(), BallotError> {
        check_shape(self, manifest)?;
        let base = ballot_transcript(fingerprint, &self.credential);
        let mut parts = parts_buffer(self);
        for (c, (contest, encrypted)) in manifest.contests.iter().zip(&self.contests).enumerate() {
            let Limits {
                option_max,
                total_min,
                total_max,
            } = contest.kind.limits();
            contest_parts(encrypted.options.iter().map(|o| &o.ciphertext), &mut parts);
            let mut total_terms = TotalTerms::new(sink);
            encrypted
                .total_proof
                .equations(
                    &mut total_transcript(&base, c, encrypted.options.len()),
                    key,
                    PointPair::folded_sum(&parts),
                    total_min,
                    total_max,
                    &mut total_terms,
                )
                .map_err(|error| BallotError::TotalProof { contest: c, error })?;
            let (fold_alpha, fold_beta) = (total_terms.alpha, total_terms.beta);
            for (o, option) in encrypted.options.iter().enumerate() {
                let mut option_terms =
                    OptionTerms::new(sink, &option.ciphertext, fold_alpha, fold_beta);
                option
                    .proof
                    .equations(
                        &mut option_transcript(&base, c, o),
                        key,
                        PointPair::from(&option.ciphertext),
                        0,
                        option_max,
                        &mut option_terms,
                    )
                    .map_err(|error| BallotError::OptionProof {
                        contest: c,
                        option: o,
                        error,
                    })?;
                option_terms.finish();
            }
        }
        Ok(())
    }
    /// Verifies every option and total proof on its own, in ballot order, and returns the
    /// first failure (the one-by-one form of [`equations`](Self::equations)).
    pub fn verify_each(
        &self,
        manifest: &Manifest,
        fingerprint: &Hash,
        key: &PublicKey,
    ) -> Result<(), BallotError> {
        let body = self;
        check_shape(body, manifest)?;
        let base = ballot_transcript(fingerprint, &body.credential);
        let mut parts = parts_buffer(body);
        for (c, (contest, encrypted)) in manifest.contests.iter().zip(&body.contests).enumerate() {
            let limits = contest.kind.limits();
            for (o, option) in encrypted.options.iter().enumerate() {
                option
                    .proof
                    .verify(
                        &mut option_transcript(&base, c, o),
                        key,
                        PointPair::from(&option.ciphertext),
                        0,
                        limits.option_max,
                    )
                    .map_err(|error| BallotError::OptionProof {
                        contest: c,
                        option: o,
                        error,
                    })?;
            }
            let sum = contest_total(encrypted.options.iter().map(|o| &o.ciphertext), &mut parts);
            encrypted
                .total_proof
                .verify(
                    &mut total_transcript(&base, c, encrypted.options.len()),
                    key,
                    PointPair::sum_of(sum.alpha(), sum.beta(), &parts),
                    limits.total_min,
                    limits.total_max,
                )
                .map_err(|error| BallotError::TotalProof { contest: c, error })?;
        }
        Ok(())
    }
}

/// Checks a ballot body's shape against the manifest: contest and option counts, and
/// `α ≠ identity` for every option (spec `ballot.md` §7 steps 1–2). Errors name the first
/// problem in ballot order.
pub fn check_shape(body: &BallotBody, manifest: &Manifest) -> Result<(), BallotError> {
    if body.contests.len() != manifest.contests.len() {
        return Err(BallotError::Shape(format!(
            "{} contests, the manifest has {}",
            body.contests.len(),
            manifest.contests.len()
        )));
    }
    for (c, (encrypted, contest)) in body.contests.iter().zip(&manifest.contests).enumerate() {
        if encrypted.options.len() != contest.options.len() {
            return Err(BallotError::Shape(format!(
                "contest {c}: {} options, the manifest has {}",
                encrypted.options.len(),
                contest.options.len()
            )));
        }
        for (o, option) in encrypted.options.iter().enumerate() {
            if option.ciphertext.has_identity_alpha() {
                return Err(BallotError::IdentityAlpha {
                    contest: c,
                    option: o,
                });
            }
        }
    }
    Ok(())
}

/// Forwards a total proof's terms, except those on the total ciphertext's halves, whose
/// coefficients it keeps: the total is the sum of the options' ciphertexts, so `x·Σα_i` is
/// emitted as `x·α_i` on each option's own term, and the sum is never computed (spec
/// `batch.md` §4.5).
struct TotalTerms<'s> {
    inner: &'s mut dyn EquationSink,
    alpha: Scalar,
    beta: Scalar,
}

impl<'s> TotalTerms<'s> {
    fn new(inner: &'s mut dyn EquationSink) -> Self {
        Self {
            inner,
            alpha: Scalar::ZERO,
            beta: Scalar::ZERO,
        }
    }
}

impl EquationSink for TotalTerms<'_> {
    fn weight(&mut self) -> Scalar {
        self.inner.weight()
    }

    fn add(&mut self, coefficient: Scalar, base: Base<'_>) {
        match base {
            Base::SumFirst => self.alpha += coefficient,
            Base::SumSecond => self.beta += coefficient,
            base => self.inner.add(coefficient, base),
        }
    }
}

/// Forwards an option proof's terms, adding the folded total-proof coefficients to the first
/// term on each of the option's ciphertext halves (or emitting them at the end).
struct OptionTerms<'s, 't> {
    inner: &'s mut dyn EquationSink,
    ciphertext: &'t Ciphertext,
    alpha: Option<Scalar>,
    beta: Option<Scalar>,
}

impl<'s, 't> OptionTerms<'s, 't> {
    fn new(
        inner: &'s mut dyn EquationSink,
        ciphertext: &'t Ciphertext,
        alpha: Scalar,
        beta: Scalar,
    ) -> Self {
        Self {
            inner,
            ciphertext,
            alpha: Some(alpha),
            beta: Some(beta),
        }
    }

    fn finish(self) {
        if let Some(alpha) = self.alpha {
            self.inner
                .add(alpha, Base::Point(self.ciphertext.alpha.point()));
        }
        if let Some(beta) = self.beta {
            self.inner
                .add(beta, Base::Point(self.ciphertext.beta.point()));
        }
    }
}

impl EquationSink for OptionTerms<'_, '_> {
    fn weight(&mut self) -> Scalar {
        self.inner.weight()
    }

    fn add(&mut self, coefficient: Scalar, base: Base<'_>) {
        let folded = match base {
            Base::Point(point) if std::ptr::eq(point, self.ciphertext.alpha.point()) => {
                self.alpha.take()
            }
            Base::Point(point) if std::ptr::eq(point, self.ciphertext.beta.point()) => {
                self.beta.take()
            }
            _ => None,
        };
        match folded {
            Some(folded) => self.inner.add(coefficient + folded, base),
            None => self.inner.add(coefficient, base),
        }
    }
}

/// The ballot hash of a body's canonical bytes (spec `ballot.md` §6).
fn hash_body_bytes(body_bytes: &[u8]) -> Hash {
    tagged_hash("saylau/v1/ballot-hash", &[body_bytes])
}

impl Ballot {
    /// Emits the equations of every proof and of the signature. `body_hash` is `self.body.hash()`,
    /// passed in so callers that already computed it do not hash twice.
    pub fn equations(
        &self,
        manifest: &Manifest,
        fingerprint: &Hash,
        key: &PublicKey,
        body_hash: &Hash,
        sink: &mut dyn EquationSink,
    ) -> Result<(), BallotError> {
        self.body.equations(manifest, fingerprint, key, sink)?;
        let base = ballot_transcript(fingerprint, &self.body.credential);
        self.signature
            .equations(
                &mut signature_transcript(&base, body_hash),
                &self.body.credential,
                sink,
            )
            .map_err(BallotError::Signature)
    }

    /// Verifies the whole ballot on its own (one multiscalar multiplication for the ballot).
    /// On failure the error names the first failing proof in ballot order, as
    /// [`verify_each`](Self::verify_each) does.
    pub fn verify(
        &self,
        manifest: &Manifest,
        fingerprint: &Hash,
        key: &PublicKey,
    ) -> Result<(), BallotError> {
        let hash = self.body.hash();
        let mut batch =
            crate::crypto::batch::EquationBatch::with_capacity(Some(*key.element()), 128);
        let fast = self.equations(manifest, fingerprint, key, &hash, &mut batch);
        if fast.is_ok() && batch.holds() {
            return Ok(());
        }
        self.verify_each(manifest, fingerprint, key, &hash)?;
        // Only reached if the ballot's combined check failed while each proof holds alone,
        // which happens with probability at most 2^-128 (spec batch.md §3): fail closed.
        Err(BallotError::Equations(ProofError::EquationsFail))
    }

    /// Verifies every proof of the ballot on its own, in ballot order (each option's proof,
    /// then the contest's total proof, contest by contest, then the signature), and returns
    /// the first failure. This is the one-by-one verifier: slower than [`verify`](Self::verify),
    /// same accept/reject outcome. `body_hash` is `self.body.hash()`.
    pub fn verify_each(
        &self,
        manifest: &Manifest,
        fingerprint: &Hash,
        key: &PublicKey,
        body_hash: &Hash,
    ) -> Result<(), BallotError> {
        self.body.verify_each(manifest, fingerprint, key)?;
        let base = ballot_transcript(fingerprint, &self.body.credential);
        self.signature
            .verify(
                &mut signature_transcript(&base, body_hash),
                &self.body.credential,
            )
            .map_err(BallotError::Signature)
    }
}

impl ChallengedBallot {
    /// Re-encrypts the revealed plaintexts with the revealed nonces and checks they give the
    /// published ciphertexts, that the plaintexts respect the manifest, and that the proofs
    /// verify (spec `ballot.md` §8, verifier check 11).
    ///
    /// The re-encryptions are equations of the ballot's batch, beside its proofs (spec
    /// `batch.md` §4.8): no scalar multiplication per option. Only if the batch fails is each
    /// opening, then each proof, checked on its own, to name the first that fails.
    pub fn check(
        &self,
        manifest: &Manifest,
        fingerprint: &Hash,
        key: &PublicKey,
    ) -> Result<(), BallotError> {
        let (openings, shape) = self.openings(manifest);
        if shape.is_ok() {
            let mut batch = EquationBatch::with_capacity(Some(*key.element()), 160);
            for opening in &openings {
                opening.equations(key, &mut batch);
            }
            let fast = self.body.equations(manifest, fingerprint, key, &mut batch);
            if fast.is_ok() && batch.holds() {
                return Ok(());
            }
        }
        // The first failure in the order of ballot.md §8.3.
        let encryption = EncryptionKey::new(*key);
        for opening in &openings {
            opening.check(&encryption)?;
        }
        shape?;
        self.body.verify_each(manifest, fingerprint, key)?;
        Err(BallotError::Equations(ProofError::EquationsFail))
    }

    /// Each option's revealed plaintext and nonce beside its ciphertext (steps 1–3 of
    /// `ballot.md` §8.3 without the re-encryption), up to the first shape error, if any.
    fn openings(&self, manifest: &Manifest) -> (Vec<Opening<'_>>, Result<(), BallotError>) {
        let mut openings = Vec::new();
        if let Err(error) = check_choices(manifest, &self.plaintexts) {
            return (openings, Err(error));
        }
        if self.nonces.len() != self.plaintexts.len() {
            let error = BallotError::Shape("nonce list does not match the contests".into());
            return (openings, Err(error));
        }
        for (contest, (encrypted, (values, nonces))) in self
            .body
            .contests
            .iter()
            .zip(self.plaintexts.iter().zip(&self.nonces))
            .enumerate()
        {
            if nonces.0.len() != values.len() || encrypted.options.len() != values.len() {
                let error = BallotError::Shape(format!(
                    "contest {contest}: nonce count does not match the options"
                ));
                return (openings, Err(error));
            }
            for (option, ((encrypted, &value), nonce)) in encrypted
                .options
                .iter()
                .zip(values)
                .zip(&nonces.0)
                .enumerate()
            {
                openings.push(Opening {
                    contest,
                    option,
                    ciphertext: &encrypted.ciphertext,
                    value,
                    nonce,
                });
            }
        }
        (openings, Ok(()))
    }
}

/// One option of a challenged ballot: its ciphertext and what the device says it encrypts.
struct Opening<'a> {
    contest: usize,
    option: usize,
    ciphertext: &'a Ciphertext,
    value: u64,
    nonce: &'a Scalar,
}

impl Opening<'_> {
    /// `α − r·G = 0` and `β − r·K − m·G = 0`, each with its own weight (spec `batch.md` §4.8).
    fn equations(&self, key: &PublicKey, sink: &mut dyn EquationSink) {
        let (w_alpha, w_beta) = (sink.weight(), sink.weight());
        let (r, m) = (self.nonce, Scalar::from(self.value));
        sink.add(w_alpha, Base::Point(self.ciphertext.alpha.point()));
        sink.add(w_beta, Base::Point(self.ciphertext.beta.point()));
        sink.add(-(w_alpha * r + w_beta * m), Base::G);
        sink.add(-(w_beta * r), Base::Key(key.element()));
    }

    /// The same two equations, checked by encrypting again.
    fn check(&self, encryption: &EncryptionKey) -> Result<(), BallotError> {
        let nonce = Secret::from_scalar(*self.nonce);
        if encryption.encrypt_with_nonce(self.value, &nonce) == *self.ciphertext {
            return Ok(());
        }
        Err(BallotError::Shape(format!(
            "contest {} option {}: the device's ciphertext does not encrypt the revealed choice",
            self.contest, self.option
        )))
    }
}

/// Canonical binary encoding (spec `encoding.md` §6): points and scalars as 32 bytes, counts
/// and integers as 8-byte little-endian, enum variants as one tag byte, byte strings with an
/// 8-byte length prefix.
trait Encode {
    fn encode(&self, out: &mut Vec<u8>);
}

fn encode_len(len: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(&(len as u64).to_le_bytes());
}

impl Encode for GroupElement {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
}

impl Encode for Scalar {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
}

impl Encode for Ciphertext {
    fn encode(&self, out: &mut Vec<u8>) {
        self.alpha.encode(out);
        self.beta.encode(out);
    }
}

impl Encode for ValueProof {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            ValueProof::Exact(proof) => {
                out.push(1);
                proof.commit_g.encode(out);
                proof.commit_b.encode(out);
                proof.response.encode(out);
            }
            ValueProof::Disjunctive(proof) => {
                out.push(2);
                encode_len(proof.branches.len(), out);
                for branch in &proof.branches {
                    branch.a.encode(out);
                    branch.b.encode(out);
                    branch.challenge.encode(out);
                    branch.response.encode(out);
                }
            }
            ValueProof::Bulletproof(proof) => {
                out.push(3);
                proof.commitment.encode(out);
                let tie = &proof.tie;
                for element in [&tie.commit_r, &tie.commit_m, &tie.commit_s] {
                    element.encode(out);
                }
                for scalar in [&tie.response_r, &tie.response_m, &tie.response_s] {
                    scalar.encode(out);
                }
                encode_len(proof.bulletproof.len(), out);
                out.extend_from_slice(&proof.bulletproof);
            }
        }
    }
}

impl BallotBody {
    fn encode(&self, out: &mut Vec<u8>) {
        self.credential.encode(out);
        encode_len(self.contests.len(), out);
        for contest in &self.contests {
            encode_len(contest.options.len(), out);
            for option in &contest.options {
                option.ciphertext.encode(out);
                option.proof.encode(out);
            }
            contest.total_proof.encode(out);
        }
    }

    fn encoded_len(&self) -> usize {
        // A close upper estimate for the default ballot; only sizes the buffer.
        64 + self
            .contests
            .iter()
            .map(|c| 300 + c.options.len() * 330)
            .sum::<usize>()
    }
}
