//! Ballots: encryption, validity proofs, credential signature, canonical bytes, and Benaloh
//! challenges.
//!
//! Spec: `protocol-spec/ballot.md`. Each option is encrypted and proved in range; each contest's
//! total is proved within the contest's limits; the whole ballot is signed with the voter's
//! credential, and every proof binds the election fingerprint and the credential, so a copied
//! ballot cannot be replayed under another credential.

mod body;
mod challenge;
mod check;
mod encoding;
mod encrypt;
mod value_proof;

pub use body::{
    check_choices, Ballot, BallotBody, BallotError, BallotSecrets, EncryptedContest,
    EncryptedOption,
};
pub use challenge::{ChallengedBallot, NonceList};
pub use check::check_shape;
pub use value_proof::{ProofKind, ValueProof};
