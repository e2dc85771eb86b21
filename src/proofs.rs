//! Zero-knowledge proofs, each in batchable form: commitments are kept in the proof, so a
//! verifier can emit the verification equations into an [`EquationSink`] and check many proofs
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

use crate::batch::{EquationBatch, EquationSink};
use crate::error::ProofError;
use curve25519_dalek::ristretto::RistrettoPoint;

/// Checks one proof on its own: its equations as a batch of one.
pub(crate) fn check_alone(
    key: Option<RistrettoPoint>,
    emit: impl FnOnce(&mut dyn EquationSink) -> Result<(), ProofError>,
) -> Result<(), ProofError> {
    let mut batch = EquationBatch::with_capacity(key, 16);
    emit(&mut batch)?;
    if batch.holds() {
        Ok(())
    } else {
        Err(ProofError::EquationsFail)
    }
}
