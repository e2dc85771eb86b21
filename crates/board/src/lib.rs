//! The saylau bulletin board's foundation: its durable log store, the sequencer that orders
//! ballots onto it, and the signer of its checkpoints. The HTTP service sits on top.
//!
//! Spec: `protocol-spec/board.md` §7 (the log), `log.md` (the tree and checkpoints).
//!
//! - [`store`]: what is kept and how ([`store::Store`], [`store::sqlite::SqliteStore`]);
//! - [`sequencer`]: one thread that owns the write side, groups entries, and acknowledges each
//!   only after its group is durable;
//! - [`checkpoints`]: signs a checkpoint when the tree grew, after checking it extends the last.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod checkpoints;
pub mod sequencer;
pub mod store;
