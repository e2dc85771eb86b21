//! The board's receipt key and the receipts it signs (spec `board.md` §3.1).

use crate::crypto::digest::{tagged_hash, Hash};
use crate::crypto::elgamal::{PublicKey, Secret};
use crate::crypto::error::ProofError;
use crate::crypto::group::hash_hex;
use crate::crypto::proofs::SchnorrProof;
use crate::crypto::transcript::Transcript;
use curve25519_dalek::scalar::Scalar;
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

/// The board's receipt-signing key `b` (spec `board.md` §3.1). Its public half `B = b·G` is
/// `election.json`'s `board_key`, bound into the fingerprint; the secret never enters the record.
pub struct BoardKey {
    secret: Secret,
    public: PublicKey,
}

impl std::fmt::Debug for BoardKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoardKey")
            .field("public", &self.public())
            .finish_non_exhaustive()
    }
}

impl BoardKey {
    /// A fresh key (redrawn in the negligible case that `B` is the identity, which no reader
    /// accepts).
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        loop {
            let secret = Secret::random(rng);
            if let Ok(public) = PublicKey::new(secret.public_element()) {
                return Self { secret, public };
            }
        }
    }

    /// `B = b·G`.
    pub fn public(&self) -> PublicKey {
        self.public
    }

    /// Signs a receipt (spec `board.md` §3.1). The nonce is derived from the secret and the
    /// receipt, as in EdDSA: no randomness to get wrong, and the same receipt always gets the
    /// same signature.
    pub fn sign(
        &self,
        election: Hash,
        position: u64,
        ballot_hash: Hash,
        tracking_code: Hash,
    ) -> Result<Receipt, ProofError> {
        let mut receipt = Receipt {
            version: 1,
            election,
            position,
            ballot_hash,
            tracking_code,
            signature: SchnorrProof {
                commitment: *self.public.element(),
                response: Scalar::ZERO,
            },
        };
        let message = receipt.message();
        let mut seed = Zeroizing::new(tagged_hash(
            "saylau/v1/receipt-nonce",
            &[self.secret.expose().as_bytes(), &message],
        ));
        let mut nonces = ChaCha20Rng::from_seed(*seed);
        seed.zeroize();
        receipt.signature = SchnorrProof::prove(
            &mut receipt_transcript(&election, &message),
            self.public.element(),
            &self.secret,
            &mut nonces,
        )?;
        Ok(receipt)
    }
}

/// A voter's receipt for a cast ballot, signed by the board (spec `board.md` §3.1): what the
/// voter keeps, and evidence against the board if the ballot is missing from the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Format version, 1.
    pub version: u32,
    /// The election fingerprint `F`.
    #[serde(with = "hash_hex")]
    pub election: Hash,
    /// Position on the board (1-based, among the cast ballots).
    pub position: u64,
    /// The ballot hash the device showed.
    #[serde(with = "hash_hex")]
    pub ballot_hash: Hash,
    /// The tracking code: the ballot's link in the board's hash chain.
    #[serde(with = "hash_hex")]
    pub tracking_code: Hash,
    /// Schnorr signature by the board key over [`Receipt::message`].
    pub signature: SchnorrProof,
}

/// `append("purpose", "board-receipt")`, `append("receipt", m)` on `Transcript::new(F)`.
fn receipt_transcript(election: &Hash, message: &Hash) -> Transcript {
    Transcript::for_purpose(election, b"board-receipt", Some((b"receipt", message)))
}

impl Receipt {
    /// `m = H("saylau/v1/receipt", F, u64le(position), h, t)` (spec `board.md` §3.1).
    pub fn message(&self) -> Hash {
        tagged_hash(
            "saylau/v1/receipt",
            &[
                &self.election,
                &self.position.to_le_bytes(),
                &self.ballot_hash,
                &self.tracking_code,
            ],
        )
    }

    /// Checks the version and the board's signature under `board_key`.
    pub fn verify(&self, board_key: &PublicKey) -> Result<(), ProofError> {
        if self.version != 1 {
            return Err(ProofError::Shape("receipt version must be 1"));
        }
        self.signature.verify(
            &mut receipt_transcript(&self.election, &self.message()),
            board_key.element(),
        )
    }
}
