//! Checking a ballot (spec `ballot.md` §6–§7): its shape, its hash, and every proof emitted
//! into a batch equation.

use super::body::ballot_transcript;
use super::body::contest_parts;
use super::body::contest_total;
use super::body::option_transcript;
use super::body::parts_buffer;
use super::body::signature_transcript;
use super::body::total_transcript;
use super::body::Ballot;
use super::body::BallotBody;
use super::body::BallotError;
use crate::crypto::batch::{Base, EquationSink};
use crate::crypto::digest::Hash;
use crate::crypto::elgamal::{Ciphertext, PublicKey};
use crate::crypto::error::ProofError;
use crate::crypto::proofs::PointPair;
use crate::manifest::Limits;
use crate::manifest::Manifest;
use curve25519_dalek::scalar::Scalar;

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
pub(crate) struct TotalTerms<'s> {
    inner: &'s mut dyn EquationSink,
    pub(crate) alpha: Scalar,
    pub(crate) beta: Scalar,
}

impl<'s> TotalTerms<'s> {
    pub(crate) fn new(inner: &'s mut dyn EquationSink) -> Self {
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
pub(crate) struct OptionTerms<'s, 't> {
    inner: &'s mut dyn EquationSink,
    ciphertext: &'t Ciphertext,
    alpha: Option<Scalar>,
    beta: Option<Scalar>,
}

impl<'s, 't> OptionTerms<'s, 't> {
    pub(crate) fn new(
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

    pub(crate) fn finish(self) {
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

    /// Verifies the credential signature alone (spec `ballot.md` §5): the cheap check a board
    /// makes before the proofs. `body_hash` is `self.body.hash()`.
    pub fn verify_signature(
        &self,
        fingerprint: &Hash,
        body_hash: &Hash,
    ) -> Result<(), BallotError> {
        let base = ballot_transcript(fingerprint, &self.body.credential);
        self.signature
            .verify(
                &mut signature_transcript(&base, body_hash),
                &self.body.credential,
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
        self.verify_signature(fingerprint, body_hash)
    }
}

impl BallotBody {
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
