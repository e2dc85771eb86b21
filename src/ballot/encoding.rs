//! The binary encoding of a ballot body (spec `encoding.md` §6.2), which the ballot hash
//! covers.

use super::body::BallotBody;
use super::value_proof::ValueProof;
use crate::crypto::digest::tagged_hash;
use crate::crypto::digest::Hash;
use crate::crypto::elgamal::Ciphertext;
use crate::crypto::group::GroupElement;
use curve25519_dalek::scalar::Scalar;

/// Canonical binary encoding (spec `encoding.md` §6): points and scalars as 32 bytes, counts
/// and integers as 8-byte little-endian, enum variants as one tag byte, byte strings with an
/// 8-byte length prefix.
trait Encode {
    fn encode(&self, out: &mut Vec<u8>);
}

fn encode_len(len: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(&(len as u64).to_le_bytes());
}

impl Encode for GroupElement {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
}

impl Encode for Scalar {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
}

impl Encode for Ciphertext {
    fn encode(&self, out: &mut Vec<u8>) {
        self.alpha.encode(out);
        self.beta.encode(out);
    }
}

impl Encode for ValueProof {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            ValueProof::Exact(proof) => {
                out.push(1);
                proof.commit_g.encode(out);
                proof.commit_b.encode(out);
                proof.response.encode(out);
            }
            ValueProof::Disjunctive(proof) => {
                out.push(2);
                encode_len(proof.branches.len(), out);
                for branch in &proof.branches {
                    branch.a.encode(out);
                    branch.b.encode(out);
                    branch.challenge.encode(out);
                    branch.response.encode(out);
                }
            }
            ValueProof::Bulletproof(proof) => {
                out.push(3);
                proof.commitment.encode(out);
                let tie = &proof.tie;
                for element in [&tie.commit_r, &tie.commit_m, &tie.commit_s] {
                    element.encode(out);
                }
                for scalar in [&tie.response_r, &tie.response_m, &tie.response_s] {
                    scalar.encode(out);
                }
                encode_len(proof.bulletproof.len(), out);
                out.extend_from_slice(&proof.bulletproof);
            }
        }
    }
}

impl BallotBody {
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        self.credential.encode(out);
        encode_len(self.contests.len(), out);
        for contest in &self.contests {
            encode_len(contest.options.len(), out);
            for option in &contest.options {
                option.ciphertext.encode(out);
                option.proof.encode(out);
            }
            contest.total_proof.encode(out);
        }
    }

    pub(crate) fn encoded_len(&self) -> usize {
        // A close upper estimate for the default ballot; only sizes the buffer.
        64 + self
            .contests
            .iter()
            .map(|c| 300 + c.options.len() * 330)
            .sum::<usize>()
    }
}

/// The ballot hash of a body's canonical bytes (spec `ballot.md` §6).
pub(crate) fn hash_body_bytes(body_bytes: &[u8]) -> Hash {
    tagged_hash("saylau/v1/ballot-hash", &[body_bytes])
}
