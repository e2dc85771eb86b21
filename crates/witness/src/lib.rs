//! A C2SP tlog-witness for saylau boards (spec `protocol-spec/board.md` §11, `log.md` §7).
//!
//! A witness follows the logs of the elections it was given (`election.json`: the fingerprint
//! `F` and the log key). For each it keeps the latest checkpoint it cosigned, durably, and
//! cosigns a new one only if the log signed it and it is consistent with that one. It never
//! needs the board's code, its database or its keys.
//!
//! - [`key`]: the witness's cosignature/v1 key and its key folder;
//! - [`state`]: the witnessed checkpoints in SQLite, and the `add-checkpoint` decision;
//! - [`service`]: `POST /add-checkpoint` over HTTP.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod key;
pub mod service;
pub mod state;
