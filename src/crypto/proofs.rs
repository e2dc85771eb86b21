//! Zero-knowledge proofs, each in batchable form: commitments are kept in the proof, so a
//! verifier can emit the verification equations into an [`EquationSink`](crate::crypto::batch::EquationSink) and check many proofs
//! with one multiscalar multiplication.
//!
//! Spec: `protocol-spec/proofs.md`, one section per statement.

pub mod chaum_pedersen;
pub mod disjunctive;
pub mod range;
pub mod schnorr;

pub use chaum_pedersen::{EqualityProof, EqualityStatement};
pub use disjunctive::DisjunctiveProof;
pub use range::RangeProof;
pub use schnorr::SchnorrProof;

use crate::crypto::batch::Base;
use crate::crypto::elgamal::{Ciphertext, EncryptionKey, Secret};
use crate::crypto::error::ProofError;
use crate::crypto::group::{GroupElement, G};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;

/// Two points of a proof statement, a ciphertext `(α, β)` or the `(A, C)` of a Chaum–Pedersen
/// statement, and how a transcript binds them (spec `proofs.md` §1.4).
#[derive(Clone, Copy, Debug)]
pub struct PointPair<'a> {
    /// The points, or `None` for a sum the caller folds onto its parts.
    points: Option<(&'a RistrettoPoint, &'a RistrettoPoint)>,
    binding: PairBinding<'a>,
}

#[derive(Clone, Copy, Debug)]
enum PairBinding<'a> {
    /// The pair's own canonical encodings.
    Encoded(&'a GroupElement, &'a GroupElement),
    /// The pair is the sum of ciphertexts whose encodings, `α_1 ‖ β_1 ‖ … ‖ α_n ‖ β_n`, are
    /// these bytes.
    SumOf(&'a [u8]),
}

impl<'a> PointPair<'a> {
    /// A pair bound by its own encodings.
    pub fn encoded(first: &'a GroupElement, second: &'a GroupElement) -> Self {
        Self {
            points: Some((first.point(), second.point())),
            binding: PairBinding::Encoded(first, second),
        }
    }

    /// The sum `(first, second)` of the ciphertexts whose concatenated encodings are `parts`,
    /// bound by those encodings: the statement is fixed by its parts, and the verifier never
    /// needs to encode the sum (an inverse square root per point). The caller guarantees that
    /// the points are the sum of the parts.
    pub fn sum_of(first: &'a RistrettoPoint, second: &'a RistrettoPoint, parts: &'a [u8]) -> Self {
        Self {
            points: Some((first, second)),
            binding: PairBinding::SumOf(parts),
        }
    }

    /// The sum of the ciphertexts whose concatenated encodings are `parts`, for emitting
    /// equations only: the sum is never computed. Its halves reach the sink as
    /// [`Base::SumFirst`] and [`Base::SumSecond`], and the caller folds their coefficients onto
    /// the parts' own terms (spec `batch.md` §4.5). Proving or checking alone needs the points
    /// and fails on such a pair.
    pub fn folded_sum(parts: &'a [u8]) -> Self {
        Self {
            points: None,
            binding: PairBinding::SumOf(parts),
        }
    }

    /// The two points; an error for a [`folded_sum`](Self::folded_sum).
    pub fn points(&self) -> Result<(&'a RistrettoPoint, &'a RistrettoPoint), ProofError> {
        self.points
            .ok_or(ProofError::Shape("the statement's sum was not evaluated"))
    }

    /// The pair's halves as bases of a verification equation.
    pub(crate) fn bases(&self) -> [Base<'a>; 2] {
        match self.points {
            Some((first, second)) => [Base::Point(first), Base::Point(second)],
            None => [Base::SumFirst, Base::SumSecond],
        }
    }

    /// What the statement encoding carries for the pair: its two encodings, or the
    /// encodings of its parts (spec `proofs.md` §1.6).
    pub(crate) fn encoding(&self) -> [&'a [u8]; 2] {
        match self.binding {
            PairBinding::Encoded(first, second) => [first.as_bytes(), second.as_bytes()],
            PairBinding::SumOf(parts) => [parts, &[]],
        }
    }
}

impl<'a> From<&'a Ciphertext> for PointPair<'a> {
    fn from(ciphertext: &'a Ciphertext) -> Self {
        Self::encoded(&ciphertext.alpha, &ciphertext.beta)
    }
}

/// Checks one verification equation on its own, as the one-by-one verifier does (spec
/// `proofs.md` §1.2): `commitment = g·G + Σ coefficient·point`, with no weights and nothing
/// merged. Each equation costs a double-base (or three-base) scalar multiplication; a batch
/// spends about one term's share of a large multiscalar multiplication per point instead.
pub(crate) fn equation_holds(
    name: impl FnOnce() -> String,
    commitment: &GroupElement,
    g: Scalar,
    others: &[(Scalar, &RistrettoPoint)],
) -> Result<(), ProofError> {
    let value = match others {
        [(coefficient, point)] => {
            RistrettoPoint::vartime_double_scalar_mul_basepoint(coefficient, point, &g)
        }
        _ => RistrettoPoint::vartime_multiscalar_mul(
            std::iter::once(g).chain(others.iter().map(|(c, _)| *c)),
            std::iter::once(&G).chain(others.iter().map(|(_, p)| *p)),
        ),
    };
    if value == *commitment.point() {
        Ok(())
    } else {
        Err(ProofError::EquationFails(name()))
    }
}

/// True when `ciphertext` is the encryption of `m` with `nonce` (a prover's sanity check).
pub(crate) fn encrypts(
    key: &EncryptionKey,
    ciphertext: &PointPair<'_>,
    m: u64,
    nonce: &Secret,
) -> bool {
    let Ok((alpha, beta)) = ciphertext.points() else {
        return false;
    };
    let expected = key.encrypt_with_nonce(m, nonce);
    expected.alpha.point() == alpha && expected.beta.point() == beta
}
