//! Threshold decryption of the encrypted tally.
//!
//! Spec: `protocol-spec/tally.md`.
//!
//! Each trustee `i` publishes a [`DecryptionShare`]: for every tally ciphertext `(α, β)` the
//! partial decryption `M_i = x_i·α` and a Chaum–Pedersen proof that `log_G V_i = log_α M_i`.
//! [`combine`] checks the shares, takes the first `t` valid ones by index, and recovers
//! `m·G = β − Σ λ_i·M_i`, then `m` by a bounded baby-step giant-step search ([`DiscreteLog`]).
//! [`verify_decryption`] is the verifier's re-check of a published result.

mod combine;
mod dlog;
mod share;

pub use combine::{combine, plaintext_point, verify_decryption, Decryption};
pub use dlog::DiscreteLog;
pub use share::{
    decrypt_share, ClosingCheckpoint, DecryptionShare, EncryptedTally, PartialDecryption,
    TallyError,
};

pub mod chart;
pub mod results;
