//! The commission's key and what it signs (spec `board.md` §9, `record.md` §3): an Ed25519 key
//! that `election.json` names as `commission_key`, bound into the fingerprint, whose signatures
//! authenticate the commission's two actions on the board: closing voting and publishing the
//! results.
//!
//! Every signed message is a tagged hash (`encoding.md` §5) whose tag names the action and whose
//! first part is the election fingerprint `F`, so a signature is good for one action of one
//! election only.

use crate::crypto::digest::{tagged_hash, Hash};
use crate::crypto::group::hash_hex;
use crate::log::checkpoint::{LogKey, LogKeyError, LogSigningKey};
use ed25519_dalek::{Signature, SigningKey};
use rand_core::CryptoRngCore;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The tag of the close statement: `m = TH("saylau/v2/commission/close", [F])`.
pub const CLOSE_TAG: &str = "saylau/v2/commission/close";
/// The tag of the publication statement (`board.md` §9.3).
pub const PUBLISH_TAG: &str = "saylau/v2/commission/publish";

/// The message the commission signs to close voting on the board of election `F` (spec
/// `board.md` §9.2): `TH("saylau/v2/commission/close", [F])`.
pub fn close_message(fingerprint: &Hash) -> Hash {
    tagged_hash(CLOSE_TAG, &[fingerprint])
}

/// The message the commission signs to publish files into the record of election `F` (spec
/// `board.md` §9.3): `TH("saylau/v2/commission/publish", [F, name_1, file_hash_1, …])`, the
/// files in record chain order (`record.md` §4.1).
pub fn publish_message(fingerprint: &Hash, files: &[(String, Hash)]) -> Hash {
    let mut parts: Vec<&[u8]> = vec![fingerprint];
    for (name, hash) in files {
        parts.push(name.as_bytes());
        parts.push(hash);
    }
    tagged_hash(PUBLISH_TAG, &parts)
}

/// The commission's public key, `election.json`'s `commission_key`: 32 bytes of lower-case hex,
/// under the same rules as the log key (a canonical encoding of an Ed25519 point that is not of
/// small order, `record.md` §3.2).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CommissionKey(LogKey);

impl CommissionKey {
    /// Decodes a key, refusing non-canonical encodings and small-order points.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, LogKeyError> {
        LogKey::from_bytes(bytes).map(Self)
    }

    /// The 32-byte encoding.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// Parses 64 lower-case hex characters.
    pub fn from_hex(text: &str) -> Result<Self, String> {
        let bytes = crate::crypto::group::decode_hex32(text.as_bytes())
            .map_err(|e| format!("not 64 lower-case hex characters: {e}"))?;
        Self::from_bytes(&bytes).map_err(|e| e.to_string())
    }

    /// Checks a signature on `message` (RFC 8032 with the strict checks of `ed25519-dalek`'s
    /// `verify_strict`: no small-order `R`, canonical `S`).
    pub fn verify(&self, message: &Hash, signature: &CommissionSignature) -> Result<(), String> {
        let signature = Signature::from_bytes(&signature.0);
        self.0
            .verifying_key()
            .verify_strict(message, &signature)
            .map_err(|_| "the commission's signature does not verify".to_string())
    }
}

impl fmt::Debug for CommissionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CommissionKey({})", hex::encode(self.as_bytes()))
    }
}

impl fmt::Display for CommissionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.as_bytes()))
    }
}

impl Serialize for CommissionKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for CommissionKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        LogKey::deserialize(deserializer).map(Self)
    }
}

/// An Ed25519 signature by the commission: `R ‖ S`, 64 bytes, 128 lower-case hex characters.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CommissionSignature(pub [u8; 64]);

impl CommissionSignature {
    /// Parses 128 lower-case hex characters.
    pub fn from_hex(text: &str) -> Result<Self, String> {
        if text.len() != 128 || text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err("a signature is 128 lower-case hex characters".into());
        }
        let mut out = [0u8; 64];
        hex::decode_to_slice(text, &mut out).map_err(|e| e.to_string())?;
        Ok(Self(out))
    }
}

impl fmt::Debug for CommissionSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CommissionSignature({})", hex::encode(self.0))
    }
}

impl Serialize for CommissionSignature {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> Deserialize<'de> for CommissionSignature {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// The commission's secret key: a 32-byte Ed25519 seed (RFC 8032 §5.1.5).
///
/// # Security
/// Whoever holds it can close voting and publish results on the board. It rests on disk only
/// sealed with a passphrase (`trustee::commission`, `ceremony.md` §11); the seed is wiped on
/// drop, `Debug` prints only the public key, and the type is never serialized.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct CommissionSigningKey {
    seed: [u8; 32],
}

impl fmt::Debug for CommissionSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommissionSigningKey")
            .field("public", &self.public())
            .field("seed", &"<redacted>")
            .finish()
    }
}

impl CommissionSigningKey {
    /// A fresh key.
    pub fn generate<R: CryptoRngCore + ?Sized>(rng: &mut R) -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        Self::from_seed(*seed)
    }

    /// The key with this seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self { seed }
    }

    /// The seed; handle it as a secret.
    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.seed)
    }

    /// The public key, `election.json`'s `commission_key`. (A public key derived from a seed is
    /// a multiple of the basepoint: canonical and never of small order.)
    pub fn public(&self) -> CommissionKey {
        CommissionKey(LogSigningKey::from_seed(self.seed).public())
    }

    /// Signs `message` (RFC 8032 Ed25519: deterministic, so one message has one signature).
    pub fn sign(&self, message: &Hash) -> CommissionSignature {
        use ed25519_dalek::Signer as _;
        CommissionSignature(SigningKey::from_bytes(&self.seed).sign(message).to_bytes())
    }

    /// Signs the close of voting of election `fingerprint` ([`close_message`]).
    pub fn sign_close(&self, fingerprint: &Hash) -> CommissionSignature {
        self.sign(&close_message(fingerprint))
    }
}

/// `{"election": "<hex F>", "signature": "<hex>"}`: the body of `POST /v1/close` (spec
/// `board.md` §9.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// The election the commission closes.
    #[serde(with = "hash_hex")]
    pub election: Hash,
    /// The commission's signature of [`close_message`].
    pub signature: CommissionSignature,
}

/// One file of a publication: its name in the record and its exact bytes (base64 on the wire).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedFile {
    /// The name relative to the record: `tally.json`, `decryption/trustee-<i>.json`,
    /// `decryption/rejected/trustee-<i>.json` or `results.json`.
    pub name: String,
    /// The file's bytes, standard base64 with padding.
    #[serde(with = "base64_bytes")]
    pub bytes: Vec<u8>,
}

/// `{"election": "<hex F>", "files": [{"name", "bytes"}, …], "signature": "<hex>"}`: the body of
/// `POST /v1/publish` (spec `board.md` §9.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// The election whose record receives the files.
    #[serde(with = "hash_hex")]
    pub election: Hash,
    /// The files, in record chain order.
    pub files: Vec<PublishedFile>,
    /// The commission's signature of [`PublishRequest::message`].
    pub signature: CommissionSignature,
}

impl PublishRequest {
    /// The signed message: [`publish_message`] over the files' names and file hashes.
    pub fn message(&self) -> Hash {
        let files: Vec<(String, Hash)> = self
            .files
            .iter()
            .map(|f| (f.name.clone(), super::hashing::file_hash(&f.bytes)))
            .collect();
        publish_message(&self.election, &files)
    }

    /// Checks the names (spec `board.md` §9.3): `tally.json` first, then at least one
    /// `decryption/trustee-<i>.json` by increasing `i`, then any `decryption/rejected/trustee-<i>.json`
    /// by increasing `i`, then `results.json` last; each numbered name in its one decimal form.
    pub fn check_names(&self) -> Result<(), String> {
        let names: Vec<&str> = self.files.iter().map(|f| f.name.as_str()).collect();
        let (Some(&first), Some(&last)) = (names.first(), names.last()) else {
            return Err("no file".into());
        };
        if first != super::layout::TALLY || last != super::layout::RESULTS || names.len() < 3 {
            return Err(format!(
                "the files must be {} first, the decryption shares, and {} last",
                super::layout::TALLY,
                super::layout::RESULTS
            ));
        }
        let mut previous = (0u8, 0u32);
        for (position, name) in names[1..names.len() - 1].iter().enumerate() {
            let numbered = |prefix: &str| {
                name.strip_prefix(prefix)
                    .and_then(|rest| rest.strip_prefix("trustee-"))
                    .and_then(|rest| rest.strip_suffix(".json"))
                    .and_then(|digits| digits.parse::<u32>().ok())
                    .filter(|i| *name == format!("{prefix}trustee-{i}.json"))
            };
            let key = match (numbered("decryption/rejected/"), numbered("decryption/")) {
                (Some(i), _) => (1u8, i),
                (None, Some(i)) => (0u8, i),
                _ => {
                    return Err(format!(
                        "files[{}]: {name:?} is not a decryption share's name",
                        position + 1
                    ))
                }
            };
            if position == 0 && key.0 != 0 {
                return Err("at least one share of decryption/ is needed".into());
            }
            if position > 0 && key <= previous {
                return Err(format!(
                    "files[{}]: {name:?} is out of record chain order or repeated",
                    position + 1
                ));
            }
            previous = key;
        }
        Ok(())
    }
}

/// Standard base64 with padding, for bytes in JSON.
mod base64_bytes {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        let bytes = STANDARD.decode(&text).map_err(serde::de::Error::custom)?;
        // One encoding per value: re-encoding must give the same text.
        if STANDARD.encode(&bytes) != text {
            return Err(serde::de::Error::custom("not canonical base64"));
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_bind_the_election_and_the_action() {
        let key = CommissionSigningKey::from_seed([9; 32]);
        let public = key.public();
        let f = [1u8; 32];
        let signature = key.sign_close(&f);
        assert_eq!(public.verify(&close_message(&f), &signature), Ok(()));
        // Another election, another action, another key, a changed byte: refused.
        assert!(public.verify(&close_message(&[2; 32]), &signature).is_err());
        assert!(public
            .verify(&publish_message(&f, &[]), &signature)
            .is_err());
        let other = CommissionSigningKey::from_seed([8; 32]).public();
        assert!(other.verify(&close_message(&f), &signature).is_err());
        let mut bent = signature;
        bent.0[40] ^= 1;
        assert!(public.verify(&close_message(&f), &bent).is_err());
        // The hex forms round-trip, and the seed never prints.
        let json = serde_json::to_string(&signature).unwrap();
        assert_eq!(
            serde_json::from_str::<CommissionSignature>(&json).unwrap(),
            signature
        );
        assert!(serde_json::from_str::<CommissionSignature>(&json.to_uppercase()).is_err());
        assert_eq!(CommissionKey::from_hex(&public.to_string()), Ok(public));
        assert!(!format!("{key:?}").contains(&hex::encode([9u8; 32])));
        // A file's name and hash are both bound.
        let a = publish_message(&f, &[("tally.json".into(), [3; 32])]);
        let b = publish_message(&f, &[("results.json".into(), [3; 32])]);
        let c = publish_message(&f, &[("tally.json".into(), [4; 32])]);
        assert!(a != b && a != c && b != c);
    }

    #[test]
    fn publication_names_follow_the_record_chain() {
        let request = |names: &[&str]| PublishRequest {
            election: [0; 32],
            files: names
                .iter()
                .map(|n| PublishedFile {
                    name: n.to_string(),
                    bytes: vec![],
                })
                .collect(),
            signature: CommissionSignature([0; 64]),
        };
        let good = [
            "tally.json",
            "decryption/trustee-1.json",
            "decryption/trustee-3.json",
            "decryption/rejected/trustee-2.json",
            "results.json",
        ];
        assert_eq!(request(&good).check_names(), Ok(()));
        for bad in [
            &["tally.json", "results.json"][..],
            &["decryption/trustee-1.json", "tally.json", "results.json"],
            &["tally.json", "decryption/trustee-01.json", "results.json"],
            &[
                "tally.json",
                "decryption/trustee-2.json",
                "decryption/trustee-1.json",
                "results.json",
            ],
            &[
                "tally.json",
                "decryption/trustee-1.json",
                "decryption/trustee-1.json",
                "results.json",
            ],
            &[
                "tally.json",
                "decryption/rejected/trustee-1.json",
                "results.json",
            ],
            &[
                "tally.json",
                "decryption/trustee-1.json",
                "ballots.jsonl",
                "results.json",
            ],
            &["tally.json", "decryption/trustee-1.json", "record.json"],
        ] {
            assert!(request(bad).check_names().is_err(), "{bad:?}");
        }
    }
}
