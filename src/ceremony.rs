//! The trustees' key ceremony: a t-of-n distributed key generation (Pedersen's DKG with
//! Feldman commitments).
//!
//! Spec: `protocol-spec/ceremony.md`.
//!
//! Each of `n` trustees (indexed `1..=n`) picks a random polynomial `f_i` of degree `t − 1`,
//! broadcasts Feldman commitments to its coefficients with a proof of possession of the
//! constant term ([`round1::Package`]), and sends `f_i(j)` to every trustee `j`
//! ([`round2::SecretShare`]). Trustee `j` checks every share it receives against the sender's
//! commitments and sums them into its key share `x_j = Σ_i f_i(j)` ([`KeyShare`]). The election
//! key is `K = Σ_i C_i0`; any `t` key shares decrypt, `t − 1` learn nothing.
//!
//! # Flow
//! ```text
//! part1            -> (round1::SecretPackage, round1::Package)     broadcast the Package
//! share_for(j)     -> round2::SecretShare                          send to trustee j only
//! part2            -> KeyShare                                     after all packages and shares
//! CeremonyRecord::assemble(packages)                               anyone; publish as ceremony.json
//! ```
//! [`run_in_process`] runs the whole ceremony in one process (the demo). Separate trustees on
//! separate machines run the same rounds through [`crate::trustee`]: signed messages, shares
//! encrypted to their recipients, commit-then-reveal, complaints and disqualification (spec
//! `ceremony.md` §9–§14). A record may then list disqualified trustees, whose polynomials are
//! not summed ([`CeremonyRecord::assemble_qualified`], spec §10).

mod dkg;
mod in_process;
mod record;

pub use dkg::{
    ceremony_id, lagrange_at_zero, part1, part2, round1, round2, CeremonyError, CeremonyParameters,
    KeyShare, CEREMONY_ID_LABEL, MAX_TRUSTEES,
};
pub use in_process::run_in_process;
pub use record::{CeremonyRecord, DisqualificationCode, DisqualifiedTrustee, TrusteeRecord};
