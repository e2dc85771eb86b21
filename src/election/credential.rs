//! A voter's private credential file (spec `protocol-spec/device.md` §1): what the credential
//! authority writes, the demo board hands out, and the voting device reads.

use crate::crypto::elgamal::Secret;
use crate::crypto::group::{scalar_hex, GroupElement};
use crate::record;
use rand_core::{CryptoRng, RngCore};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use zeroize::{Zeroize, Zeroizing};

/// A voter's credential: the secret `x` and the public `X = x·G` on the list.
///
/// # Security
/// `x` signs the voter's ballots: whoever holds it votes in the voter's name. It is zeroized
/// when dropped and never printed.
pub struct VoterCredential {
    /// The voter's number (from 1).
    pub voter: u64,
    /// `X`, as on the public list.
    pub public: GroupElement,
    /// `x`.
    pub secret: Secret,
}

impl std::fmt::Debug for VoterCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoterCredential")
            .field("voter", &self.voter)
            .field("public", &self.public)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// `{"version":1,"voter":n,"credential":"<hex X>","secret":"<hex x>"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialFile {
    version: u32,
    voter: u64,
    credential: GroupElement,
    #[serde(with = "scalar_hex")]
    secret: curve25519_dalek::Scalar,
}

impl VoterCredential {
    /// Draws a fresh credential.
    pub fn generate<R: RngCore + CryptoRng>(voter: u64, rng: &mut R) -> Self {
        let secret = Secret::random(rng);
        Self {
            voter,
            public: secret.public_element(),
            secret,
        }
    }

    /// Reads a credential file, checking that `X = x·G`.
    pub fn read(path: &Path) -> Result<Self, String> {
        let name = path.display().to_string();
        let bytes = Zeroizing::new(record::read_regular(path).map_err(|e| format!("{name}: {e}"))?);
        let mut file: CredentialFile =
            record::decode_json(&name, None, &bytes).map_err(|e| e.to_string())?;
        let secret = Secret::from_scalar(file.secret);
        file.secret.zeroize();
        if file.version != 1 {
            return Err(format!("{name}: version must be 1"));
        }
        if secret.public_element() != file.credential
            || file.credential.require_non_identity().is_err()
        {
            return Err(format!(
                "{name}: the secret does not match the credential (X = x·G fails)"
            ));
        }
        Ok(Self {
            voter: file.voter,
            public: file.credential,
            secret,
        })
    }

    /// The file's bytes, in a buffer zeroized when dropped.
    pub fn file_bytes(&self) -> Zeroizing<Vec<u8>> {
        let secret = Zeroizing::new(hex::encode(self.secret.expose().as_bytes()));
        let text = Zeroizing::new(format!(
            "{{\"version\":1,\"voter\":{},\"credential\":\"{}\",\"secret\":\"{}\"}}\n",
            self.voter,
            hex::encode(self.public.as_bytes()),
            secret.as_str()
        ));
        Zeroizing::new(text.as_bytes().to_vec())
    }
}

/// The private file of voter `n` of `count`: `voters/voter-<n>.json`, `n` zero-padded to the
/// width of `count`.
pub fn voter_file(dir: &Path, n: u64, count: u64) -> PathBuf {
    let width = count.to_string().len();
    dir.join("voters").join(format!("voter-{n:0width$}.json"))
}
