//! C2SP tlog-proof (log.md §8): an inclusion proof and the (cosigned) checkpoint it leads to,
//! in one offline-checkable text; and the k-of-n witness quorum a cosigned checkpoint meets.

use std::collections::HashSet;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use thiserror::Error;

use super::checkpoint::{CheckpointError, SignedCheckpoint};
use super::note::{VerifiedSignature, VerifierKey};
use super::tree::Hash;
use super::witness::{parse_decimal, parse_hash_line};

/// The first line of every proof.
pub const PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";
/// Most inclusion-proof lines accepted (a tree of 2^63 leaves needs 63).
pub const MAX_INCLUSION_LINES: usize = 63;

/// Why a proof text was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("tlog-proof line {line}: {reason}")]
pub struct ProofFormatError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: &'static str,
}

/// A tlog-proof: optional extra data, the leaf index, its inclusion proof, and the signed
/// checkpoint (with whatever cosignatures it carries) as a signed note's bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlogProof {
    /// Opaque extra data; never trusted (log.md §8).
    pub extra: Option<Vec<u8>>,
    /// The leaf index.
    pub index: u64,
    /// The inclusion proof, leaf side first.
    pub inclusion: Vec<Hash>,
    /// The signed checkpoint, verbatim.
    pub checkpoint: Vec<u8>,
}

impl TlogProof {
    /// The proof text (log.md §8).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = format!("{PROOF_HEADER}\n");
        if let Some(extra) = &self.extra {
            out.push_str(&format!("extra {}\n", STANDARD.encode(extra)));
        }
        out.push_str(&format!("index {}\n", self.index));
        super::witness::hashes_then_note(out, &self.inclusion, &self.checkpoint)
    }

    /// Parses a proof text (log.md §8). The checkpoint is returned unparsed.
    pub fn parse(text: &[u8]) -> Result<Self, ProofFormatError> {
        let mut rest = text;
        let mut number = 0;
        let mut next = |rest: &mut &[u8]| -> Result<(usize, String), ProofFormatError> {
            number += 1;
            let line = number;
            let bad = |reason| ProofFormatError { line, reason };
            let end = rest
                .iter()
                .position(|&b| b == b'\n')
                .ok_or(bad("missing newline"))?;
            let s = std::str::from_utf8(&rest[..end]).map_err(|_| bad("not UTF-8"))?;
            let s = s.to_string();
            *rest = &rest[end + 1..];
            Ok((line, s))
        };
        let (_, header) = next(&mut rest)?;
        if header != PROOF_HEADER {
            return Err(ProofFormatError {
                line: 1,
                reason: "must be c2sp.org/tlog-proof@v1",
            });
        }
        let (mut line, mut s) = next(&mut rest)?;
        let mut extra = None;
        if let Some(b64) = s.strip_prefix("extra ") {
            extra = Some(STANDARD.decode(b64).map_err(|_| ProofFormatError {
                line,
                reason: "extra is not canonical base64",
            })?);
            (line, s) = next(&mut rest)?;
        }
        let index = s
            .strip_prefix("index ")
            .and_then(parse_decimal)
            .ok_or(ProofFormatError {
                line,
                reason: "must be `index <decimal>`",
            })?;
        let mut inclusion = Vec::new();
        loop {
            let (line, s) = next(&mut rest)?;
            if s.is_empty() {
                break;
            }
            if inclusion.len() == MAX_INCLUSION_LINES {
                return Err(ProofFormatError {
                    line,
                    reason: "more than 63 inclusion-proof lines",
                });
            }
            inclusion.push(parse_hash_line(&s).ok_or(ProofFormatError {
                line,
                reason: "not a base64 SHA-256 hash",
            })?);
        }
        Ok(Self {
            extra,
            index,
            inclusion,
            checkpoint: rest.to_vec(),
        })
    }
}

/// The witnesses of a k-of-n policy that validly cosigned a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quorum {
    /// Cosignatures needed.
    pub needed: u64,
    /// The distinct policy witnesses whose cosignature verified, in the note's order.
    pub cosigned_by: Vec<VerifiedSignature>,
}

impl Quorum {
    /// True when at least `needed` distinct witnesses cosigned.
    pub fn met(&self) -> bool {
        self.cosigned_by.len() as u64 >= self.needed
    }
}

/// Counts the valid cosignatures (log.md §4.7) on `signed` by distinct witnesses of
/// `witnesses`, and compares with `quorum` (log.md §8.1). Cosignatures by other keys are
/// ignored; a policy witness's cosignature that does not verify is an error naming it.
pub fn check_quorum(
    signed: &SignedCheckpoint,
    witnesses: &[VerifierKey],
    quorum: u64,
) -> Result<Quorum, CheckpointError> {
    let verified = signed.verify_cosignatures(witnesses)?;
    // Distinct witnesses: a key listed twice under two names still counts once.
    let mut keys = HashSet::new();
    let cosigned_by = verified
        .into_iter()
        .filter(|v| {
            witnesses
                .iter()
                .find(|w| w.name() == v.name && w.key_id() == v.key_id)
                .is_some_and(|w| keys.insert(*w.public_key().as_bytes()))
        })
        .collect();
    Ok(Quorum {
        needed: quorum,
        cosigned_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proofs_round_trip_and_refuse_bad_lines() {
        let p = TlogProof {
            extra: Some(b"hi".to_vec()),
            index: 7,
            inclusion: vec![[1; 32], [2; 32]],
            checkpoint: b"o\n8\nAAAA\n\n".to_vec(),
        };
        assert_eq!(TlogProof::parse(&p.encode()).unwrap(), p);
        let q = TlogProof { extra: None, ..p };
        assert_eq!(TlogProof::parse(&q.encode()).unwrap(), q);
        let good = String::from_utf8(q.encode()).unwrap();
        for bad in [
            good.replace("@v1", "@v2"),
            good.replace("index 7", "index 07"),
            good.replace("index 7", "idx 7"),
            good.replacen("=\n", "\n", 1),
            format!("{PROOF_HEADER}\nindex 7\n"),
        ] {
            assert!(TlogProof::parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }
}
