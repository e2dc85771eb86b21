//! Chaum–Pedersen proof of equal discrete logs: `A = x·G` and `C − s·G = x·B`.
//!
//! Spec: `protocol-spec/proofs.md` §3. Two uses:
//! - correct decryption: `B` is the tally's `α`, `A` the trustee's verification key, `C` the
//!   decryption share, `s = 0`;
//! - "this ciphertext encrypts exactly `s`": `B` is the election key `K`, `A = α`, `C = β`.

use crate::crypto::batch::{Base, EquationSink};
use crate::crypto::elgamal::Secret;
use crate::crypto::error::ProofError;
use crate::crypto::group::{scalar_hex, GroupElement};
use crate::crypto::proofs::{equation_holds, PointPair};
use crate::crypto::transcript::Transcript;
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

/// Domain-separation label of this proof kind.
pub const LABEL: &[u8] = b"chaum-pedersen";

/// The statement `A = x·G ∧ C − shift·G = x·B`.
#[derive(Clone, Copy, Debug)]
pub struct EqualityStatement<'a> {
    /// The second base `B`.
    pub base: &'a GroupElement,
    /// True when `B` is the election key (merged into the shared `K` term of a batch).
    pub base_is_key: bool,
    /// `(A, C)`: `A = x·G`, and `C − shift·G = x·B`.
    pub pair: PointPair<'a>,
    /// The shift `s` (the claimed plaintext when proving what a ciphertext encrypts).
    pub shift: u64,
}

impl EqualityStatement<'_> {
    fn base_term(&self) -> Base<'_> {
        if self.base_is_key {
            Base::Key(self.base)
        } else {
            Base::Point(self.base.point())
        }
    }

    fn challenge(
        &self,
        transcript: &mut Transcript,
        commit_g: &GroupElement,
        commit_b: &GroupElement,
    ) -> Scalar {
        // proofs.md §3.2
        transcript.start_proof(LABEL);
        let [a, c] = self.pair.encoding();
        let shift = self.shift.to_le_bytes();
        let statement: [&[u8]; 4] = [self.base.as_bytes(), a, c, &shift];
        transcript.append_concat(b"statement", statement);
        transcript.append_concat(
            b"commitments",
            [&commit_g.as_bytes()[..], commit_b.as_bytes()],
        );
        transcript.challenge_scalar(b"challenge")
    }
}

/// A Chaum–Pedersen proof `(a_G, a_B, v)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EqualityProof {
    /// `a_G = u·G`.
    pub commit_g: GroupElement,
    /// `a_B = u·B`.
    pub commit_b: GroupElement,
    /// `v = u + c·x`.
    #[serde(with = "scalar_hex")]
    pub response: Scalar,
}

impl EqualityProof {
    /// Proves the statement with witness `x`. Refuses if `x` does not satisfy it.
    pub fn prove<R: RngCore + CryptoRng>(
        transcript: &mut Transcript,
        statement: &EqualityStatement<'_>,
        x: &Secret,
        rng: &mut R,
    ) -> Result<Self, ProofError> {
        let (first, second) = statement.pair.points()?;
        let shifted = second - &Scalar::from(statement.shift) * RISTRETTO_BASEPOINT_TABLE;
        if x.public_element().point() != first || x.expose() * statement.base.point() != shifted {
            return Err(ProofError::FalseStatement);
        }
        let u = Secret::random(rng);
        let commit_g = u.public_element();
        let commit_b = GroupElement::from_point(u.expose() * statement.base.point());
        let c = statement.challenge(transcript, &commit_g, &commit_b);
        Ok(Self {
            commit_g,
            commit_b,
            response: u.expose() + c * x.expose(),
        })
    }

    /// Emits `v·G − a_G − c·A = 0` and `v·B − a_B − c·C + c·s·G = 0`. Spec `proofs.md` §3.3.
    pub fn equations(
        &self,
        transcript: &mut Transcript,
        statement: &EqualityStatement<'_>,
        sink: &mut dyn EquationSink,
    ) -> Result<(), ProofError> {
        let c = self.checked_challenge(transcript, statement)?;
        let [first, second] = statement.pair.bases();
        let w1 = sink.weight();
        let w2 = sink.weight();
        sink.add(
            w1 * self.response + w2 * c * Scalar::from(statement.shift),
            Base::G,
        );
        sink.add(-w1, Base::Point(self.commit_g.point()));
        sink.add(-(w1 * c), first);
        sink.add(w2 * self.response, statement.base_term());
        sink.add(-w2, Base::Point(self.commit_b.point()));
        sink.add(-(w2 * c), second);
        Ok(())
    }

    /// Verifies this proof on its own, checking each equation as written (spec `proofs.md`
    /// §1.2, §3.3).
    pub fn verify(
        &self,
        transcript: &mut Transcript,
        statement: &EqualityStatement<'_>,
    ) -> Result<(), ProofError> {
        let c = self.checked_challenge(transcript, statement)?;
        let (first, second) = statement.pair.points()?;
        equation_holds(
            || "E1 (v·G = a_G + c·A)".into(),
            &self.commit_g,
            self.response,
            &[(-c, first)],
        )?;
        equation_holds(
            || "E2 (v·B + c·s·G = a_B + c·C)".into(),
            &self.commit_b,
            c * Scalar::from(statement.shift),
            &[(self.response, statement.base.point()), (-c, second)],
        )
    }

    /// Verifier steps 1–2 (spec `proofs.md` §3.3): the identity checks and the challenge.
    fn checked_challenge(
        &self,
        transcript: &mut Transcript,
        statement: &EqualityStatement<'_>,
    ) -> Result<Scalar, ProofError> {
        if self.commit_g.is_identity() || self.commit_b.is_identity() {
            return Err(ProofError::IdentityCommitment);
        }
        Ok(statement.challenge(transcript, &self.commit_g, &self.commit_b))
    }
}
