//! The board's receipt key, the receipts it signs, and the file a voter keeps (spec `board.md`
//! §3.1, §3.4).

use super::leaf::Leaf;
use super::short_code::ShortCode;
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

    /// Signs a receipt v2 (spec `board.md` §3.1). The nonce is derived from the secret and the
    /// receipt, as in EdDSA: no randomness to get wrong, and the same receipt always gets the
    /// same signature.
    pub fn sign(
        &self,
        election: Hash,
        position: u64,
        ballot_hash: Hash,
        tracking_code: Hash,
        leaf_index: u64,
    ) -> Result<Receipt, ProofError> {
        let mut receipt = Receipt {
            version: RECEIPT_VERSION,
            election,
            position,
            ballot_hash,
            tracking_code,
            leaf_index,
            signature: SchnorrProof {
                commitment: *self.public.element(),
                response: Scalar::ZERO,
            },
        };
        let message = receipt.message();
        let mut seed = Zeroizing::new(tagged_hash(
            "saylau/v2/receipt-nonce",
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

/// The receipt format this version writes and reads (spec `board.md` §3.1).
pub const RECEIPT_VERSION: u32 = 2;

/// A voter's receipt for a cast ballot, signed by the board (spec `board.md` §3.1): what the
/// voter keeps, and evidence against the board if the ballot is missing from the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ReceiptWire")]
pub struct Receipt {
    /// Format version, 2.
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
    /// The ballot's leaf in the board's log (0-based, counting every leaf; spec `board.md` §7.2).
    pub leaf_index: u64,
    /// Schnorr signature by the board key over [`Receipt::message`].
    pub signature: SchnorrProof,
}

/// A receipt as it is read: the version first, so that a receipt of another version is refused
/// by its version rather than by the field it lacks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReceiptWire {
    version: u32,
    #[serde(with = "hash_hex")]
    election: Hash,
    position: u64,
    #[serde(with = "hash_hex")]
    ballot_hash: Hash,
    #[serde(with = "hash_hex")]
    tracking_code: Hash,
    leaf_index: Option<u64>,
    signature: SchnorrProof,
}

impl TryFrom<ReceiptWire> for Receipt {
    type Error = String;

    fn try_from(wire: ReceiptWire) -> Result<Self, String> {
        if wire.version != RECEIPT_VERSION {
            return Err(format!(
                "receipt version {} is not supported: this saylau reads receipts of version \
                 {RECEIPT_VERSION} (protocol v2, with a leaf index), issued by a v2 board",
                wire.version
            ));
        }
        let leaf_index = wire
            .leaf_index
            .ok_or_else(|| "missing field `leaf_index`".to_string())?;
        Ok(Self {
            version: wire.version,
            election: wire.election,
            position: wire.position,
            ballot_hash: wire.ballot_hash,
            tracking_code: wire.tracking_code,
            leaf_index,
            signature: wire.signature,
        })
    }
}

/// `append("purpose", "board-receipt")`, `append("receipt", m)` on `Transcript::new(F)`.
fn receipt_transcript(election: &Hash, message: &Hash) -> Transcript {
    Transcript::for_purpose(election, b"board-receipt", Some((b"receipt", message)))
}

impl Receipt {
    /// `m = TH("saylau/v2/receipt", [F, u64le(position), h, t, u64le(leaf_index)])` (spec
    /// `board.md` §3.1).
    pub fn message(&self) -> Hash {
        tagged_hash(
            "saylau/v2/receipt",
            &[
                &self.election,
                &self.position.to_le_bytes(),
                &self.ballot_hash,
                &self.tracking_code,
                &self.leaf_index.to_le_bytes(),
            ],
        )
    }

    /// Checks the version and the board's signature under `board_key`.
    pub fn verify(&self, board_key: &PublicKey) -> Result<(), ProofError> {
        if self.version != RECEIPT_VERSION {
            return Err(ProofError::Shape("receipt version must be 2"));
        }
        self.signature.verify(
            &mut receipt_transcript(&self.election, &self.message()),
            board_key.element(),
        )
    }
}

/// The file a voter's device saves after casting (spec `board.md` §3.4): the signed receipt,
/// the board it was cast to, and, once the ballot was in a signed checkpoint, that checkpoint
/// with the inclusion proof of the ballot's leaf.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedReceipt {
    /// The board's signed receipt.
    pub receipt: Receipt,
    /// The board's URL, as the device cast to it (absent for a receipt of an in-process board).
    #[serde(default)]
    pub board: Option<String>,
    /// The signed note text of a checkpoint whose size is above the receipt's leaf index, as the
    /// device saw it; absent if the device gave up waiting for one.
    #[serde(default)]
    pub checkpoint: Option<String>,
    /// The inclusion proof of the ballot's leaf in that checkpoint's tree, leaf side first.
    #[serde(default, with = "optional_hashes_hex")]
    pub inclusion: Option<Vec<[u8; 32]>>,
    /// The ballot's leaf (board.md §7.1), 129 bytes as hex, when the device kept it: a check
    /// against the board then need not fetch the leaf's entry bundle. Absent in older files.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "optional_leaf_hex"
    )]
    pub leaf: Option<Leaf>,
    /// The tracking code's short form (`board.md` §2.1), for the voter to read; absent in
    /// files of earlier versions. A reader refuses one that is not the receipt's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_code: Option<String>,
}

impl SavedReceipt {
    /// A receipt without a board address or proof.
    pub fn bare(receipt: Receipt) -> Self {
        Self {
            receipt,
            board: None,
            checkpoint: None,
            inclusion: None,
            leaf: None,
            short_code: None,
        }
    }

    /// Reads either form a voter may hold (spec `board.md` §3.4): the saved file, an object
    /// with a `receipt` field, or a bare receipt (spec `board.md` §3.1).
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        let value: serde_json::Value = serde_json::from_slice(bytes)?;
        if value.get("receipt").is_some() {
            let saved: Self = serde_json::from_value(value)?;
            let short = ShortCode::of(&saved.receipt.tracking_code).to_string();
            match &saved.short_code {
                Some(written) if *written != short => Err(serde::de::Error::custom(format!(
                    "short_code {written:?} is not the short form of the receipt's tracking code ({short})"
                ))),
                _ => Ok(saved),
            }
        } else {
            serde_json::from_value(value).map(Self::bare)
        }
    }
}

/// Serde for an optional leaf as 258 lower-case hex characters, decoded strictly.
mod optional_leaf_hex {
    use crate::election::leaf::Leaf;
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(leaf: &Option<Leaf>, serializer: S) -> Result<S::Ok, S::Error> {
        match leaf {
            Some(leaf) => serializer.serialize_some(&hex::encode(leaf.to_bytes())),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Leaf>, D::Error> {
        let Some(text) = Option::<String>::deserialize(deserializer)? else {
            return Ok(None);
        };
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(D::Error::custom("leaf: upper-case hex"));
        }
        let bytes = hex::decode(&text).map_err(|e| D::Error::custom(format!("leaf: {e}")))?;
        Leaf::decode(&bytes)
            .map(Some)
            .map_err(|e| D::Error::custom(format!("leaf: {e}")))
    }
}

/// Serde for an optional list of hashes as lower-case hex strings.
mod optional_hashes_hex {
    use crate::crypto::digest::Hash;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(transparent)]
    struct HexHash(#[serde(with = "crate::crypto::group::hash_hex")] Hash);

    pub fn serialize<S: Serializer>(
        hashes: &Option<Vec<Hash>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        hashes
            .as_ref()
            .map(|list| list.iter().map(|h| HexHash(*h)).collect::<Vec<_>>())
            .serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Vec<Hash>>, D::Error> {
        let list = Option::<Vec<HexHash>>::deserialize(deserializer)?;
        Ok(list.map(|list| list.into_iter().map(|h| h.0).collect()))
    }
}
