//! What the record's files hold: the credential list, `election.json` and its fingerprint
//! (spec `record.md` §3), the board's lines and their tracking codes (spec `board.md` §2).

use super::commission::CommissionKey;
use super::error::RecordError;
use super::files::decode_from;
use super::hashing::HashedFile;
use super::layout::CREDENTIALS;
use crate::ballot::{Ballot, ChallengedBallot};
use crate::crypto::digest::{tagged_hash, Hash};
use crate::crypto::elgamal::PublicKey;
use crate::crypto::group::{hash_hex, GroupElement};
use crate::crypto::proofs::SchnorrProof;
use crate::log::checkpoint::LogKey;
use crate::log::note::{KeyType, VerifierKey};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// `credentials.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialList {
    /// Public credentials `X = x·G` of the eligible voters, in registration order.
    pub credentials: Vec<GroupElement>,
}

/// The version of `election.json` this library reads and writes (protocol v2).
pub const ELECTION_VERSION: u32 = 2;

/// One witness of the log: its C2SP verifier key, of type cosignature/v1 (spec `record.md`
/// §3.3, `log.md` §4.7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    /// The witness's verifier key; its string form is what `election.json` holds.
    pub vkey: VerifierKey,
}

impl Serialize for Witness {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire {
            vkey: String,
        }
        Wire {
            vkey: self.vkey.to_string(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Witness {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Wire {
            vkey: String,
        }
        let wire = Wire::deserialize(deserializer)?;
        let vkey = VerifierKey::parse(&wire.vkey).map_err(serde::de::Error::custom)?;
        if vkey.key_type() != KeyType::CosignatureV1 {
            return Err(serde::de::Error::custom(format!(
                "witness {}: not a cosignature/v1 key",
                vkey.name()
            )));
        }
        Ok(Self { vkey })
    }
}

/// `election.json`'s `witness_policy`: how many of the listed witnesses must cosign a
/// checkpoint (spec `record.md` §3.3). Empty (quorum 0, no witness) until the board has
/// witnesses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessPolicy {
    /// How many distinct witnesses must cosign; at most the number listed.
    pub quorum: u64,
    /// The witnesses, in the order they are hashed.
    pub witnesses: Vec<Witness>,
}

impl WitnessPolicy {
    /// The empty policy: no witness required.
    pub fn none() -> Self {
        Self::default()
    }

    /// Checks the rules a reader applies (spec `record.md` §3.3): the quorum is at most the
    /// number of witnesses, and no two witnesses share a key name or a key.
    pub fn check(&self) -> Result<(), String> {
        if self.quorum > self.witnesses.len() as u64 {
            return Err(format!(
                "quorum {} is more than the {} witnesses listed",
                self.quorum,
                self.witnesses.len()
            ));
        }
        for (i, w) in self.witnesses.iter().enumerate() {
            if let Some(other) = self.witnesses[..i].iter().position(|o| {
                o.vkey.name() == w.vkey.name() || o.vkey.public_key() == w.vkey.public_key()
            }) {
                return Err(format!(
                    "witnesses[{i}] repeats the name or key of witnesses[{other}]"
                ));
            }
        }
        Ok(())
    }

    /// `witness_policy_hash = TH("saylau/v2/witness-policy", [u64le(quorum), vkey_1, …,
    /// vkey_n])`, each `vkey_i` the bytes of the witness's verifier-key string (spec
    /// `record.md` §3.1).
    pub fn hash(&self) -> Hash {
        let quorum = self.quorum.to_le_bytes();
        let vkeys: Vec<String> = self.witnesses.iter().map(|w| w.vkey.to_string()).collect();
        let mut parts: Vec<&[u8]> = vec![&quorum];
        parts.extend(vkeys.iter().map(|v| v.as_bytes()));
        tagged_hash("saylau/v2/witness-policy", &parts)
    }
}

/// `election.json`: the election fingerprint and its inputs (spec `record.md` §3). A reader
/// refuses any other version than [`ELECTION_VERSION`], with a message naming it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ElectionInfoWire")]
pub struct ElectionInfo {
    /// Format version, 2.
    pub version: u32,
    /// Hash of `manifest.json`.
    #[serde(with = "hash_hex")]
    pub manifest_hash: Hash,
    /// Hash of `ceremony.json`.
    #[serde(with = "hash_hex")]
    pub ceremony_hash: Hash,
    /// Hash of `credentials.json`.
    #[serde(with = "hash_hex")]
    pub credentials_hash: Hash,
    /// The joint election key `K`.
    pub joint_key: PublicKey,
    /// The board's receipt-signing key `B` (spec `board.md` §3.1), never the identity. Bound
    /// into the fingerprint, so it is fixed before the first ballot and cannot be swapped
    /// afterwards.
    pub board_key: PublicKey,
    /// The log's Ed25519 key, which signs its checkpoints (spec `log.md` §5.2).
    pub log_key: LogKey,
    /// The commission's Ed25519 key, which signs the close of voting and the publication of the
    /// results (spec `board.md` §9).
    pub commission_key: CommissionKey,
    /// The witnesses whose cosignatures a checkpoint needs.
    pub witness_policy: WitnessPolicy,
    /// Whether the ceremony was run by separate trustees with signed identities, which is
    /// whether the record holds the ceremony transcript `ceremony/` (spec `record.md` §3.4).
    pub trustee_identities: bool,
    /// The fingerprint every proof binds.
    #[serde(with = "hash_hex")]
    pub fingerprint: Hash,
}

/// `election.json` as decoded, before its version is checked: every field after `version` is
/// optional here so that a file of another version is refused for its version, not for a
/// missing field.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ElectionInfoWire {
    version: u32,
    #[serde(default, with = "opt_hash_hex")]
    manifest_hash: Option<Hash>,
    #[serde(default, with = "opt_hash_hex")]
    ceremony_hash: Option<Hash>,
    #[serde(default, with = "opt_hash_hex")]
    credentials_hash: Option<Hash>,
    joint_key: Option<PublicKey>,
    board_key: Option<PublicKey>,
    log_key: Option<LogKey>,
    commission_key: Option<CommissionKey>,
    witness_policy: Option<WitnessPolicy>,
    trustee_identities: Option<bool>,
    #[serde(default, with = "opt_hash_hex")]
    fingerprint: Option<Hash>,
}

/// `hash_hex` for an optional field (absent = `None`; `null` is refused).
mod opt_hash_hex {
    use super::*;
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Hash>, D::Error> {
        hash_hex::deserialize(d).map(Some)
    }
}

impl TryFrom<ElectionInfoWire> for ElectionInfo {
    type Error = String;
    fn try_from(w: ElectionInfoWire) -> Result<Self, String> {
        match w.version {
            ELECTION_VERSION => {}
            1 => {
                return Err("version 1 (protocol v1) is no longer read: this saylau reads \
                            election.json version 2 only; open the election again with this \
                            version"
                    .into())
            }
            v => {
                return Err(format!(
                    "unknown version {v}: this saylau reads election.json version {ELECTION_VERSION} only"
                ))
            }
        }
        fn need<T>(value: Option<T>, field: &str) -> Result<T, String> {
            value.ok_or_else(|| format!("missing field `{field}`"))
        }
        Ok(Self {
            version: w.version,
            manifest_hash: need(w.manifest_hash, "manifest_hash")?,
            ceremony_hash: need(w.ceremony_hash, "ceremony_hash")?,
            credentials_hash: need(w.credentials_hash, "credentials_hash")?,
            joint_key: need(w.joint_key, "joint_key")?,
            board_key: need(w.board_key, "board_key")?,
            log_key: need(w.log_key, "log_key")?,
            commission_key: need(w.commission_key, "commission_key")?,
            witness_policy: need(w.witness_policy, "witness_policy")?,
            trustee_identities: need(w.trustee_identities, "trustee_identities")?,
            fingerprint: need(w.fingerprint, "fingerprint")?,
        })
    }
}

impl ElectionInfo {
    /// Computes the fingerprint from its inputs (spec `record.md` §3).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        manifest_hash: Hash,
        ceremony_hash: Hash,
        credentials_hash: Hash,
        joint_key: PublicKey,
        board_key: PublicKey,
        log_key: LogKey,
        commission_key: CommissionKey,
        witness_policy: WitnessPolicy,
        trustee_identities: bool,
    ) -> Self {
        let fingerprint = tagged_hash(
            "saylau/v2/election",
            &[
                &manifest_hash,
                &ceremony_hash,
                &credentials_hash,
                joint_key.element().as_bytes(),
                board_key.element().as_bytes(),
                log_key.as_bytes(),
                commission_key.as_bytes(),
                &witness_policy.hash(),
                &[u8::from(trustee_identities)],
            ],
        );
        Self {
            version: ELECTION_VERSION,
            manifest_hash,
            ceremony_hash,
            credentials_hash,
            joint_key,
            board_key,
            log_key,
            commission_key,
            witness_policy,
            trustee_identities,
            fingerprint,
        }
    }

    /// The origin of the election's log on `host` (spec `board.md`): `<host>/saylau/<hex F>`.
    pub fn log_origin(&self, host: &str) -> String {
        format!("{host}/saylau/{}", hex::encode(self.fingerprint))
    }
}

/// The tracking code of a cast ballot:
/// `H("saylau/v1/tracking", previous, ballot hash, signature commitment, signature response)`,
/// with the election fingerprint as the first `previous` (spec `board.md` §2). The ballot hash
/// commits to the whole body, so the link commits to the whole ballot without rehashing it.
pub fn tracking_code(previous: &Hash, ballot_hash: &Hash, signature: &SchnorrProof) -> Hash {
    tracking_link(
        previous,
        ballot_hash,
        signature.commitment.as_bytes(),
        signature.response.as_bytes(),
    )
}

/// [`tracking_code`] over the signature's two encodings as published, for a reader that follows
/// the chain without decoding the ballots (spec `board.md` §2, §3.3).
pub fn tracking_link(
    previous: &Hash,
    ballot_hash: &Hash,
    commitment: &[u8; 32],
    response: &[u8; 32],
) -> Hash {
    tagged_hash(
        "saylau/v1/tracking",
        &[previous, ballot_hash, commitment, response],
    )
}

/// One line of `ballots.jsonl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotLine {
    /// The voter's receipt: this ballot's link in the board's hash chain.
    #[serde(with = "hash_hex")]
    pub tracking_code: Hash,
    /// The ballot hash the device showed before casting.
    #[serde(with = "hash_hex")]
    pub ballot_hash: Hash,
    /// The ballot.
    pub ballot: Ballot,
}

/// One line of `challenged.jsonl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengedLine {
    /// The ballot hash the device showed before the voter challenged.
    #[serde(with = "hash_hex")]
    pub ballot_hash: Hash,
    /// The ballot and its revealed secrets.
    pub challenged: ChallengedBallot,
}

/// The encodings of the credentials in `credentials.json`, in order, and the file's hash. The
/// file grows with the electorate (about 70 bytes per voter), so it is read once, as a stream
/// with no size limit, hashed as it is parsed, and only the 32 bytes of each encoding are kept
/// (spec `record.md` §6.1). Whether each is a valid credential is the caller's check.
pub fn read_credential_encodings(dir: &Path) -> Result<(Vec<[u8; 32]>, Hash), RecordError> {
    /// One credential's encoding, not decoded as a point.
    #[derive(Deserialize)]
    #[serde(transparent)]
    struct Encoding(#[serde(with = "hash_hex")] [u8; 32]);

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Encodings {
        credentials: Vec<Encoding>,
    }

    let mut file = HashedFile::open(dir, CREDENTIALS)?;
    let list: Encodings = decode_from(
        CREDENTIALS,
        None,
        &mut serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(
            1 << 20,
            &mut file,
        )),
    )?;
    // The decoder stops after trailing white space; anything it did not read is still hashed.
    std::io::copy(&mut file, &mut std::io::sink()).map_err(|e| RecordError::io(CREDENTIALS, e))?;
    let encodings = list.credentials.into_iter().map(|e| e.0).collect();
    Ok((encodings, file.finish()?))
}

/// The indices of the entries of `encodings` that are not credentials (a canonical encoding of a
/// point other than the identity), with why, in order. Decodes in parallel: one decompression
/// per voter (spec `verifier.md` check 4).
pub fn invalid_credentials(
    encodings: &[[u8; 32]],
) -> Vec<(usize, crate::crypto::error::DecodeError)> {
    use rayon::prelude::*;
    encodings
        .par_iter()
        .enumerate()
        .filter_map(|(i, encoding)| {
            GroupElement::decode_non_identity(encoding)
                .err()
                .map(|e| (i, e))
        })
        .collect()
}
