//! A strict decoder for ballot lines in the exact compact form saylau writes.
//!
//! `ballots.jsonl` is JSON (spec `record.md`), and any JSON encoding of a line is accepted: the
//! general decoder is serde_json. Nearly every line, though, is exactly what saylau itself writes:
//! no whitespace, fields in declaration order, lower-case hex, no escapes. This decoder accepts
//! only that form and returns `None` for anything else, leaving the line (and its error message,
//! if it is invalid) to serde_json. It decodes the same values with the same checks
//! (`GroupElement::decode`, `decode_scalar`), so on every line it accepts it agrees with serde_json;
//! `tests/compact.rs` checks that on valid lines and on randomly mutated ones.
//!
//! It exists for speed: it halves the decoding time outside point decompression, which was about
//! 4% of batch verification time with serde_json and is about 2% with this decoder (spec
//! `batch.md` §6.1).

use super::contents::BallotLine;
use crate::ballot::{Ballot, BallotBody, EncryptedContest, EncryptedOption, ValueProof};
use crate::crypto::elgamal::Ciphertext;
use crate::crypto::group::{decode_hex32, decode_scalar, GroupElement};
use crate::crypto::proofs::disjunctive::Branch;
use crate::crypto::proofs::{DisjunctiveProof, EqualityProof, SchnorrProof};
use curve25519_dalek::scalar::Scalar;

/// Decodes a line of `ballots.jsonl` written in saylau's compact form (optionally followed by a
/// line feed); `None` if the line is in any other form or holds an invalid value.
pub fn decode_ballot_line(bytes: &[u8]) -> Option<BallotLine> {
    let mut cursor = Cursor { bytes, at: 0 };
    let line = cursor.ballot_line()?;
    match &bytes[cursor.at..] {
        b"" | b"\n" => Some(line),
        _ => None,
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    /// Consumes `expected` exactly.
    fn literal(&mut self, expected: &[u8]) -> Option<()> {
        let end = self.at + expected.len();
        (self.bytes.get(self.at..end)? == expected).then(|| self.at = end)
    }

    /// Consumes one byte if it is `byte`.
    fn eat(&mut self, byte: u8) -> bool {
        let found = self.bytes.get(self.at) == Some(&byte);
        self.at += usize::from(found);
        found
    }

    /// `key` then `"<64 lower-case hex digits>"`: one field of the line, and the text before it.
    fn hex32(&mut self, key: &[u8]) -> Option<[u8; 32]> {
        self.literal(key)?;
        self.literal(b"\"")?;
        let text = self.bytes.get(self.at..self.at + 64)?;
        self.at += 64;
        self.literal(b"\"")?;
        decode_hex32(text).ok()
    }

    /// `key` then a point.
    fn element(&mut self, key: &[u8]) -> Option<GroupElement> {
        GroupElement::decode(&self.hex32(key)?).ok()
    }

    /// `key` then a scalar.
    fn scalar(&mut self, key: &[u8]) -> Option<Scalar> {
        decode_scalar(self.hex32(key)?).ok()
    }

    /// `[item,item,…]`, possibly empty.
    fn list<T>(
        &mut self,
        capacity: usize,
        mut item: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<Vec<T>> {
        self.literal(b"[")?;
        let mut items = Vec::with_capacity(capacity);
        if self.eat(b']') {
            return Some(items);
        }
        loop {
            items.push(item(self)?);
            if self.eat(b']') {
                return Some(items);
            }
            self.literal(b",")?;
        }
    }

    fn ballot_line(&mut self) -> Option<BallotLine> {
        let tracking_code = self.hex32(b"{\"tracking_code\":")?;
        let ballot_hash = self.hex32(b",\"ballot_hash\":")?;
        let credential = self.element(b",\"ballot\":{\"body\":{\"credential\":")?;
        self.literal(b",\"contests\":")?;
        let contests = self.list(4, Self::contest)?;
        let commitment = self.element(b"},\"signature\":{\"commitment\":")?;
        let response = self.scalar(b",\"response\":")?;
        self.literal(b"}}}")?;
        Some(BallotLine {
            tracking_code,
            ballot_hash,
            ballot: Ballot {
                body: BallotBody {
                    credential,
                    contests,
                },
                signature: SchnorrProof {
                    commitment,
                    response,
                },
            },
        })
    }

    fn contest(&mut self) -> Option<EncryptedContest> {
        self.literal(b"{\"options\":")?;
        let options = self.list(8, Self::option)?;
        self.literal(b",\"total_proof\":")?;
        let total_proof = self.proof()?;
        self.literal(b"}")?;
        Some(EncryptedContest {
            options,
            total_proof,
        })
    }

    fn option(&mut self) -> Option<EncryptedOption> {
        let alpha = self.element(b"{\"ciphertext\":{\"alpha\":")?;
        let beta = self.element(b",\"beta\":")?;
        self.literal(b"},\"proof\":")?;
        let proof = self.proof()?;
        self.literal(b"}")?;
        Some(EncryptedOption {
            ciphertext: Ciphertext { alpha, beta },
            proof,
        })
    }

    /// An exact or disjunctive proof; a bulletproof is left to serde_json.
    fn proof(&mut self) -> Option<ValueProof> {
        let proof = if self.literal(b"{\"disjunctive\":{\"branches\":").is_some() {
            let branches = self.list(2, Self::branch)?;
            self.literal(b"}")?;
            ValueProof::Disjunctive(DisjunctiveProof { branches })
        } else {
            let commit_g = self.element(b"{\"exact\":{\"commit_g\":")?;
            let commit_b = self.element(b",\"commit_b\":")?;
            let response = self.scalar(b",\"response\":")?;
            self.literal(b"}")?;
            ValueProof::Exact(EqualityProof {
                commit_g,
                commit_b,
                response,
            })
        };
        self.literal(b"}")?;
        Some(proof)
    }

    fn branch(&mut self) -> Option<Branch> {
        let a = self.element(b"{\"a\":")?;
        let b = self.element(b",\"b\":")?;
        let challenge = self.scalar(b",\"challenge\":")?;
        let response = self.scalar(b",\"response\":")?;
        self.literal(b"}")?;
        Some(Branch {
            a,
            b,
            challenge,
            response,
        })
    }
}
