//! saylau: end-to-end verifiable elections.
//!
//! Exponential ElGamal on ristretto255, zero-knowledge ballot proofs in batchable form,
//! threshold decryption, and a verifier anyone can run on the published record.
//! The protocol is specified in `protocol-spec/`; code that implements a step names its section.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod ballot;
pub mod ceremony;
pub mod crypto;
pub mod election;
pub mod log;
pub mod manifest;
pub mod progress;
pub mod record;
pub mod rules;
pub mod sim;
pub mod tally;
pub mod trustee;
pub mod verify;
