//! The board's two secret keys (spec `board.md` §3.1, `log.md` §4): the receipt key `b`,
//! whose public half is `election.json`'s `board_key`, and the log key, whose public half is its
//! `log_key`. Both public halves are bound into the fingerprint (`record.md` §3).

use super::receipt::BoardKey;
use crate::log::checkpoint::LogSigningKey;
use rand_core::{CryptoRng, RngCore};

/// The board's secrets: the receipt-signing key and the checkpoint-signing key.
///
/// # Security
/// Both halves are wiped on drop and print only their public keys. The type is not
/// serialized: the board's key file writes the two secrets explicitly (`board.md`).
#[derive(Debug)]
pub struct BoardKeys {
    /// Signs voters' receipts; its public half is `board_key`.
    pub receipt: BoardKey,
    /// Signs the log's checkpoints; its public half is `log_key`.
    pub log: LogSigningKey,
}

impl BoardKeys {
    /// Two fresh keys, the receipt key drawn first.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let receipt = BoardKey::generate(rng);
        let log = LogSigningKey::generate(rng);
        Self { receipt, log }
    }
}
