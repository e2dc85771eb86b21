//! saylau: end-to-end verifiable elections.
//!
//! Exponential ElGamal on ristretto255, zero-knowledge ballot proofs in batchable form,
//! threshold decryption, and a verifier anyone can run on the published record.
//! The protocol is specified in `protocol-spec/`; code that implements a step names its section.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod ballot;
pub mod batch;
pub mod ceremony;
pub mod compact;
pub mod demo;
pub mod digest;
pub mod election;
pub mod elgamal;
pub mod error;
pub mod group;
pub mod log;
pub mod manifest;
pub mod proofs;
pub mod receipt;
pub mod record;
pub mod results;
pub mod rules;
pub mod svg;
pub mod tally;
pub mod transcript;
pub mod trustee;
pub mod verify;
pub mod workload;
