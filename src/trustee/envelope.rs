//! Signed messages of the ceremony directory and their bodies (spec `ceremony.md` §12).

use super::error::{short, TrusteeError};
use super::identity::signature_transcript;
use super::identity::Identity;
use super::setup::CeremonyDir;
use super::stage::Stage;
use crate::crypto::digest::{tagged_hash, Hash};
use crate::crypto::group::{hash_hex, GroupElement};
use crate::crypto::proofs::{EqualityProof, SchnorrProof};
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

/// A signed message of the ceremony directory (spec §12).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope<B> {
    /// Format version, 1.
    pub version: u32,
    /// The ceremony this message belongs to.
    #[serde(with = "hash_hex")]
    pub ceremony_id: Hash,
    /// The hash of `parameters.json` the author saw (spec §12).
    #[serde(with = "hash_hex")]
    pub parameters_hash: Hash,
    /// The slot: `commit`, `reveal` or `round2`.
    pub kind: Stage,
    /// The author's index.
    pub author: u32,
    /// The message.
    pub body: B,
    /// Schnorr signature by the author's signing key over [`Envelope::signed_hash`].
    pub signature: SchnorrProof,
}

impl<B: Serialize> Envelope<B> {
    /// `H("saylau/v1/ceremony-message", id, parameters hash, kind, u32le(author), body)` with the
    /// body as compact JSON in field order (spec §12).
    pub fn signed_hash(&self) -> Result<Hash, TrusteeError> {
        let body = canonical_json(&self.body)?;
        Ok(tagged_hash(
            "saylau/v1/ceremony-message",
            &[
                &self.ceremony_id,
                &self.parameters_hash,
                self.kind.name().as_bytes(),
                &self.author.to_le_bytes(),
                &body,
            ],
        ))
    }

    /// Signs `body` as trustee `author`.
    pub fn sign<R: RngCore + CryptoRng>(
        context: &CeremonyDir,
        identity: &Identity,
        author: u32,
        kind: Stage,
        body: B,
        rng: &mut R,
    ) -> Result<Self, TrusteeError> {
        let mut envelope = Self {
            version: 1,
            ceremony_id: context.setup.ceremony_id,
            parameters_hash: context.parameters_hash,
            kind,
            author,
            body,
            signature: SchnorrProof {
                commitment: identity.public().signing_key,
                response: Scalar::ZERO,
            },
        };
        let hash = envelope.signed_hash()?;
        envelope.signature = identity.sign(&context.setup.ceremony_id, &hash, rng)?;
        Ok(envelope)
    }

    /// Checks the ceremony, parameters, slot, author and signature (spec §12).
    pub fn check(
        &self,
        context: &CeremonyDir,
        file: &str,
        kind: Stage,
        author: u32,
    ) -> Result<(), TrusteeError> {
        if self.ceremony_id != context.setup.ceremony_id {
            return Err(TrusteeError::ForeignFile {
                file: file.into(),
                found: short(&self.ceremony_id),
                expected: short(&context.setup.ceremony_id),
            });
        }
        if self.version != 1 {
            return Err(TrusteeError::invalid(file, "unknown version"));
        }
        if self.parameters_hash != context.parameters_hash {
            return Err(TrusteeError::invalid(
                file,
                "signed for a different parameters.json (another trustee list or keys)",
            ));
        }
        if self.kind != kind || self.author != author {
            return Err(TrusteeError::invalid(
                file,
                format!(
                    "is a {} message from trustee {}, but its file name says {} from trustee {}",
                    self.kind, self.author, kind, author
                ),
            ));
        }
        let signer = context
            .setup
            .trustee(author)
            .ok_or_else(|| TrusteeError::invalid(file, "no such trustee"))?;
        let hash = self.signed_hash()?;
        self.signature
            .verify(
                &mut signature_transcript(&self.ceremony_id, &hash),
                &signer.signing_key,
            )
            .map_err(|_| {
                TrusteeError::invalid(
                    file,
                    format!(
                        "the signature of trustee {} does not verify",
                        context.setup.label(author)
                    ),
                )
            })
    }
}

fn canonical_json<T: Serialize>(value: &T) -> Result<Vec<u8>, TrusteeError> {
    serde_json::to_vec(value).map_err(|e| TrusteeError::usage(e.to_string()))
}

/// Round 1a: a commitment to the author's round-1 message (spec §12.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitBody {
    /// `H("saylau/v1/ceremony-commit", ceremony id, u32le(author), reveal body)`.
    #[serde(with = "hash_hex")]
    pub reveal_hash: Hash,
}

/// Round 1b: the round-1 package and one encrypted share per other trustee (spec §12.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevealBody {
    /// Feldman commitments `C_k`, `k = 0..t−1`.
    pub commitments: Vec<GroupElement>,
    /// Proof of possession of `a_0` (spec §4).
    pub proof: SchnorrProof,
    /// One share per other trustee, in increasing recipient order.
    pub shares: Vec<EncryptedShare>,
}

/// `f_from(to)` encrypted to trustee `to` (spec §13).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedShare {
    /// The recipient's index.
    pub to: u32,
    /// The ephemeral key `E = e·G`.
    pub ephemeral_key: GroupElement,
    /// ChaCha20-Poly1305 ciphertext of the 32-byte share, with its tag (48 bytes, hex).
    pub ciphertext: String,
}

/// Round 2: the author's verdict on every share it received (spec §12.3, §14).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Round2Body {
    /// The round-1 messages the verdicts are about: one entry per other trustee, increasing by
    /// author, each carrying that trustee's own signatures (spec §12.3).
    pub judged: Vec<Judged>,
    /// Senders whose share was valid, increasing.
    pub accepted: Vec<u32>,
    /// Complaints against senders whose share was not, increasing by `accused`.
    pub complaints: Vec<Complaint>,
}

/// The round-1 messages of one trustee as the author of a round-2 message read them: the
/// signed hash of each (spec §12) and its author's signature on it, so anyone can check that
/// the trustee signed them, and see whether the directory now holds others (spec §14.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Judged {
    /// The trustee whose round-1 messages these are.
    pub author: u32,
    /// The signed hash of its `commit/` message.
    #[serde(with = "hash_hex")]
    pub commit: Hash,
    /// Its signature on `commit`, copied from that message.
    pub commit_signature: SchnorrProof,
    /// The signed hash of its `reveal/` message.
    #[serde(with = "hash_hex")]
    pub reveal: Hash,
    /// Its signature on `reveal`, copied from that message.
    pub reveal_signature: SchnorrProof,
}

impl Judged {
    /// The entry for `commit` and `reveal`, both by `author`.
    pub fn of(
        author: u32,
        commit: &Envelope<CommitBody>,
        reveal: &Envelope<RevealBody>,
    ) -> Result<Self, TrusteeError> {
        Ok(Self {
            author,
            commit: commit.signed_hash()?,
            commit_signature: commit.signature,
            reveal: reveal.signed_hash()?,
            reveal_signature: reveal.signature,
        })
    }

    /// True when both signatures verify under `signing_key` (spec §12).
    pub fn verifies(&self, ceremony_id: &Hash, signing_key: &GroupElement) -> bool {
        [
            (&self.commit, &self.commit_signature),
            (&self.reveal, &self.reveal_signature),
        ]
        .iter()
        .all(|(hash, signature)| {
            signature
                .verify(&mut signature_transcript(ceremony_id, hash), signing_key)
                .is_ok()
        })
    }
}

/// A complaint: the complainer reveals the Diffie–Hellman value of one share and proves it
/// correct, so anyone can decrypt that share and judge (spec §14).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Complaint {
    /// The sender of the bad share.
    pub accused: u32,
    /// `D = p·E`, for the `E` of that share.
    pub shared_secret: GroupElement,
    /// Chaum–Pedersen proof that `log_G P = log_E D`.
    pub proof: EqualityProof,
}

/// `reveal_hash` of a commit (spec §12.1).
pub fn reveal_hash(
    ceremony_id: &Hash,
    author: u32,
    body: &RevealBody,
) -> Result<Hash, TrusteeError> {
    Ok(tagged_hash(
        "saylau/v1/ceremony-commit",
        &[ceremony_id, &author.to_le_bytes(), &canonical_json(body)?],
    ))
}
