//! What can go wrong between a client and the board, with the board's own words when it refused.

use serde::Deserialize;
use std::fmt;

/// A refusal as the board words it (spec `board.md` §8): every 4xx and 5xx answer carries one.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct BoardRefusal {
    /// Machine-readable reason, `snake_case` (`unknown_credential`, `bad_proof`, ...).
    pub code: String,
    /// A plain sentence naming the culprit.
    pub message: String,
    /// The refused ballot's hash, when the refusal is about one ballot.
    #[serde(default)]
    pub ballot_hash: Option<String>,
    /// The JSON path of the field at fault, when there is one.
    #[serde(default)]
    pub field: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: BoardRefusal,
}

impl BoardRefusal {
    /// Reads the board's JSON error body; `None` when the body is not one.
    pub fn parse(body: &[u8]) -> Option<Self> {
        serde_json::from_slice::<ErrorBody>(body)
            .ok()
            .map(|body| body.error)
    }
}

impl fmt::Display for BoardRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(hash) = &self.ballot_hash {
            write!(f, " (ballot {hash})")?;
        }
        if let Some(field) = &self.field {
            write!(f, " (field {field})")?;
        }
        Ok(())
    }
}

/// Why a request to the board did not give what the client needed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The board refused, with its JSON error.
    #[error("{url}: the board refused ({status} {refusal})")]
    Refused {
        /// The request's URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// The board's error.
        refusal: Box<BoardRefusal>,
    },
    /// The board answered, but not as the API says it must.
    #[error("{url}: unexpected answer (HTTP {status}): {detail}")]
    Unexpected {
        /// The request's URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// What was wrong with it.
        detail: String,
    },
    /// The board could not be reached, or the connection failed.
    #[error("{url}: {detail}")]
    Transport {
        /// The request's URL.
        url: String,
        /// What failed.
        detail: String,
    },
    /// A bad `--board` URL or TLS setting, before anything was sent.
    #[error("{0}")]
    Setup(String),
}

impl ClientError {
    /// True when the board gave no answer to act on: the connection failed, or it answered
    /// `503` (a timeout or a store failure, which is not an acknowledgment).
    pub fn no_answer(&self) -> bool {
        match self {
            ClientError::Transport { .. } => true,
            ClientError::Refused { status, .. } | ClientError::Unexpected { status, .. } => {
                *status == 503
            }
            ClientError::Setup(_) => false,
        }
    }

    /// The board's refusal code, if it refused.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Refused { refusal, .. } => Some(&refusal.code),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_its_culprit() {
        let body = br#"{"error":{"code":"bad_proof","message":"the proof of option 2 does not verify","ballot_hash":"ab12","field":"body.contests[0].options[2].proof"}}"#;
        let refusal = BoardRefusal::parse(body).expect("parses");
        let text = refusal.to_string();
        for part in [
            "bad_proof",
            "option 2",
            "ballot ab12",
            "field body.contests[0].options[2].proof",
        ] {
            assert!(text.contains(part), "{text} lacks {part}");
        }
        assert_eq!(BoardRefusal::parse(b"<html>502</html>"), None);
    }
}
