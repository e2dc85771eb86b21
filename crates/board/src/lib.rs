//! The saylau bulletin board: its durable log store, the sequencer that orders ballots onto it,
//! the signer of its checkpoints, and the HTTP service on top.
//!
//! Spec: `protocol-spec/board.md` §7 (the log), `log.md` (the tree and checkpoints).
//!
//! - [`store`]: what is kept and how ([`store::Store`], [`store::sqlite::SqliteStore`]);
//! - [`sequencer`]: one thread that owns the write side, groups entries, and acknowledges each
//!   only after its group is durable;
//! - [`checkpoints`]: signs a checkpoint when the tree grew, after checking it extends the last;
//! - [`database`]: `--db`, parsed in one place;
//! - [`keys`]: the board's key file;
//! - [`open`]: `board open`, which draws the keys and writes `election.json`;
//! - [`verify`]: the micro-batch verifier of ballots' proofs;
//! - [`service`]: the HTTP API (axum);
//! - [`page`]: the voter's receipt page at `/` (askama);
//! - [`export`]: the record and `log/` as `saylau verify` reads them;
//! - [`demo`]: a fresh demo election for `board serve --demo`;
//! - [`fill`]: the synthetic bulk loader, for measurements on large boards;
//! - [`replica`]: reads from a PostgreSQL read replica (`--read-db`);
//! - [`mirror`]: full tiles mirrored as files (`--tile-dir`).

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod checkpoints;
pub mod database;
pub mod demo;
pub mod export;
pub mod fill;
pub mod keys;
pub mod mirror;
pub mod open;
pub mod page;
pub mod replica;
pub mod sequencer;
pub mod service;
pub mod store;
pub mod verify;
pub mod witnesses;
