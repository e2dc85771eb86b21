//! The message slots of the ceremony directory (spec `ceremony.md` §12).

use serde::{Deserialize, Serialize};

/// The three message slots of the ceremony directory, in protocol order.
pub const STAGES: [Stage; 3] = [Stage::Commit, Stage::Reveal, Stage::Round2];
/// The message slots of the ceremony directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Round 1a: the commitment to the round-1 message.
    Commit,
    /// Round 1b: the round-1 message itself.
    Reveal,
    /// Round 2: acceptances and complaints.
    Round2,
    /// After voting: a decryption share, published in the record's `decryption/` (spec §14.6).
    Decryption,
}

impl Stage {
    /// The directory and `kind` name: `commit`, `reveal`, `round2`.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Commit => "commit",
            Stage::Reveal => "reveal",
            Stage::Round2 => "round2",
            Stage::Decryption => "decryption",
        }
    }

    /// `<stage>/trustee-<i>.json`.
    pub fn file(self, index: u32) -> String {
        format!("{}/trustee-{index}.json", self.name())
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
