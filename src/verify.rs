//! The verifier: numbered checks over a published election record.
//!
//! Spec: `protocol-spec/verifier.md`, which lists every check by number. The verifier fails
//! closed: a check that cannot run (a missing or malformed file) fails, and the record verifies
//! only when every check passed. It never panics on any input.

mod ballots;
mod close;
mod decryption;
mod election;
mod log;
pub mod receipt;
mod report;
mod run;
mod tally;

pub use ballots::{chunk_lines, BallotContext, BallotPipeline, BallotTotals, BATCH};
pub use report::{
    CheckReport, Failure, Mode, Options, Report, Status, CHECKS, MAX_FAILURES_PER_CHECK,
};
pub use run::{verified_tally, verify_for_decryption, verify_record, BoardRejected};
