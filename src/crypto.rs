//! The cryptography: the group, ElGamal, Fiat–Shamir transcripts, tagged hashing, the
//! zero-knowledge proofs and the batch equation that checks many of them at once.
//!
//! Nothing here knows about elections: no manifest, ballot, trustee or record. Spec:
//! `protocol-spec/encoding.md`, `elgamal.md`, `transcript.md`, `proofs.md`, `batch.md`.

pub mod batch;
pub mod digest;
pub mod elgamal;
pub mod error;
pub mod group;
pub mod proofs;
pub mod transcript;
