//! The board's HTTP client (spec `board.md` §8, `device.md`): what the voter's device (`saylau vote`), the
//! voter's receipt check (`saylau receipt --board`) and the load tool (`saylau board load`) say
//! to a board, and the checks they make on what it answers.
//!
//! Nothing here trusts the board: the election it serves is recomputed and compared with the
//! fingerprint the voter got from elsewhere ([`election`]), and every receipt, checkpoint and
//! proof it hands out is checked against the keys that fingerprint binds ([`proof`]).

pub mod board;
pub mod check;
pub mod commission;
pub mod election;
pub mod error;
pub mod proof;
pub mod saved;

pub use board::Board;
pub use election::TrustedElection;
pub use error::ClientError;
