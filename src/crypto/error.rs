//! Error types. `Decode*`: bytes that could not be decoded. `Proof*`: decoded but false.
//! Errors about another party's data name that party (see [`crate::verify`]).

use thiserror::Error;

/// A value could not be decoded from its canonical encoding (spec `encoding.md`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// Wrong length.
    #[error("expected {expected} bytes, found {found}")]
    Length {
        /// Expected byte length.
        expected: usize,
        /// Found byte length.
        found: usize,
    },
    /// Not lower-case hexadecimal.
    #[error("not lower-case hexadecimal")]
    Hex,
    /// Not the canonical encoding of a ristretto255 point.
    #[error("not a canonical ristretto255 point encoding")]
    NonCanonicalPoint,
    /// A scalar at or above the group order ℓ.
    #[error("scalar is not reduced modulo the group order")]
    NonCanonicalScalar,
    /// The identity point where the spec forbids it.
    #[error("the identity point is not allowed here")]
    IdentityPoint,
}

/// A proof that decoded but does not verify, or that cannot be produced.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProofError {
    /// The challenge shares of a disjunctive proof do not sum to the Fiat–Shamir challenge.
    #[error("challenge shares do not sum to the Fiat-Shamir challenge")]
    ChallengeMismatch,
    /// The verification equations do not hold (found by a weighted batch of them).
    #[error("verification equations do not hold")]
    EquationsFail,
    /// One named verification equation does not hold (found by checking it on its own).
    #[error("verification equation {0} does not hold")]
    EquationFails(String),
    /// The proof has the wrong number of branches or elements for its statement.
    #[error("proof shape does not match its statement: {0}")]
    Shape(&'static str),
    /// A commitment is the identity point.
    #[error("identity point used as a commitment")]
    IdentityCommitment,
    /// The bulletproof part of a range proof failed.
    #[error("bulletproof range proof rejected: {0}")]
    Bulletproof(String),
    /// The prover was asked to prove a statement its witness does not satisfy.
    #[error("refusing to prove a false statement")]
    FalseStatement,
}
