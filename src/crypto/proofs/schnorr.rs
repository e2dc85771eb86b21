//! Schnorr proof of knowledge of a discrete log: `X = x·G`.
//!
//! Spec: `protocol-spec/proofs.md` §2. Used for trustees' proofs of possession and for
//! credential signatures (the caller binds the signed message into the transcript first).

use crate::crypto::batch::{Base, EquationSink};
use crate::crypto::elgamal::Secret;
use crate::crypto::error::ProofError;
use crate::crypto::group::{scalar_hex, GroupElement};
use crate::crypto::proofs::equation_holds;
use crate::crypto::transcript::Transcript;
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

/// Domain-separation label of this proof kind.
pub const LABEL: &[u8] = b"schnorr";

/// A Schnorr proof `(a, v)` with `v·G = a + c·X`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchnorrProof {
    /// The commitment `a = u·G`.
    pub commitment: GroupElement,
    /// The response `v = u + c·x`.
    #[serde(with = "scalar_hex")]
    pub response: Scalar,
}

fn challenge(
    transcript: &mut Transcript,
    public: &GroupElement,
    commitment: &GroupElement,
) -> Scalar {
    // proofs.md §2.2: label, statement, commitment, challenge.
    transcript.start_proof(LABEL);
    transcript.append_element(b"statement", public);
    transcript.append_element(b"commitments", commitment);
    transcript.challenge_scalar(b"challenge")
}

impl SchnorrProof {
    /// Proves knowledge of `secret` with `public = secret·G`.
    pub fn prove<R: RngCore + CryptoRng>(
        transcript: &mut Transcript,
        public: &GroupElement,
        secret: &Secret,
        rng: &mut R,
    ) -> Result<Self, ProofError> {
        if secret.public_element() != *public {
            return Err(ProofError::FalseStatement);
        }
        let nonce = Secret::random(rng);
        let commitment = nonce.public_element();
        let c = challenge(transcript, public, &commitment);
        let response = nonce.expose() + c * secret.expose();
        Ok(Self {
            commitment,
            response,
        })
    }

    /// Emits the equation `v·G − a − c·X = 0`. Spec `proofs.md` §2.3.
    pub fn equations(
        &self,
        transcript: &mut Transcript,
        public: &GroupElement,
        sink: &mut dyn EquationSink,
    ) -> Result<(), ProofError> {
        let c = self.checked_challenge(transcript, public)?;
        let w = sink.weight();
        sink.add(w * self.response, Base::G);
        sink.add(-w, Base::Point(self.commitment.point()));
        sink.add(-(w * c), Base::Point(public.point()));
        Ok(())
    }

    /// Verifies this proof on its own, checking its equation as written (spec `proofs.md`
    /// §1.2, §2.3).
    pub fn verify(
        &self,
        transcript: &mut Transcript,
        public: &GroupElement,
    ) -> Result<(), ProofError> {
        let c = self.checked_challenge(transcript, public)?;
        equation_holds(
            || "v·G = a + c·X".into(),
            &self.commitment,
            self.response,
            &[(-c, public.point())],
        )
    }

    /// Verifier steps 1–2 (spec `proofs.md` §2.3): the identity check and the challenge.
    fn checked_challenge(
        &self,
        transcript: &mut Transcript,
        public: &GroupElement,
    ) -> Result<Scalar, ProofError> {
        if self.commitment.is_identity() {
            return Err(ProofError::IdentityCommitment);
        }
        Ok(challenge(transcript, public, &self.commitment))
    }
}
