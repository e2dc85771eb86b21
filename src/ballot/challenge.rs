//! Benaloh challenges (spec `ballot.md` §8): a challenged ballot reveals its nonces, and
//! anyone can check what the device encrypted.

use super::body::check_choices;
use super::body::BallotBody;
use super::body::BallotError;
use crate::crypto::batch::{Base, EquationBatch, EquationSink};
use crate::crypto::digest::Hash;
use crate::crypto::elgamal::{Ciphertext, EncryptionKey, PublicKey, Secret};
use crate::crypto::error::ProofError;
use crate::crypto::group::scalar_vec_hex;
use crate::manifest::Manifest;
use curve25519_dalek::scalar::Scalar;
use serde::{Deserialize, Serialize};

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
