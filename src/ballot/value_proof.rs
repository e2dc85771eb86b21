//! The claim each ciphertext of a ballot proves (spec `ballot.md` §2–§4): exactly a value,
//! a small range by a disjunctive proof, or a large range by bulletproofs.

use crate::crypto::batch::EquationSink;
use crate::crypto::elgamal::{EncryptionKey, PublicKey, Secret};
use crate::crypto::error::ProofError;
use crate::crypto::proofs::{
    DisjunctiveProof, EqualityProof, EqualityStatement, PointPair, RangeProof,
};
use crate::crypto::transcript::Transcript;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

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
    pub(crate) fn prove<R: RngCore + CryptoRng>(
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
