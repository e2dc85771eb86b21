//! The ceremony's parameters (`parameters.json`, spec `ceremony.md` §9), and a ceremony
//! directory opened on them.

use super::error::TrusteeError;
use super::identity::PublicIdentity;
use crate::ceremony::CeremonyParameters;
use crate::crypto::digest::Hash;
use crate::crypto::group::hash_hex;
use crate::manifest::Manifest;
use crate::record::{self};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// `CEREMONY/parameters.json`: the ceremony's parameters and trustee list.
pub const PARAMETERS_FILE: &str = "parameters.json";
/// The record's copy of the ceremony directory.
pub const TRANSCRIPT_DIR: &str = record::TRANSCRIPT_DIR;
// ---------------------------------------------------------------------------------------------
// Parameters and signed envelopes (spec §9, §12)
// ---------------------------------------------------------------------------------------------

/// `CEREMONY/parameters.json`, written by `ceremony new` (spec §9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CeremonySetup {
    /// Format version, 1.
    pub version: u32,
    /// The ceremony id (spec §1).
    #[serde(with = "hash_hex")]
    pub ceremony_id: Hash,
    /// The hash of the manifest the ceremony is for.
    #[serde(with = "hash_hex")]
    pub manifest_hash: Hash,
    /// The threshold `t`.
    pub threshold: u32,
    /// The trustees in index order; entry `k` has index `k + 1`.
    pub trustees: Vec<PublicIdentity>,
}

impl CeremonySetup {
    /// Parameters for `manifest_bytes`, the trustees in the given order, and threshold `t`.
    pub fn create(
        manifest_bytes: &[u8],
        trustees: Vec<PublicIdentity>,
        threshold: u32,
    ) -> Result<Self, TrusteeError> {
        let manifest_hash = Manifest::hash_bytes(manifest_bytes);
        let names: Vec<String> = trustees.iter().map(|t| t.name.clone()).collect();
        let params = CeremonyParameters::for_election(&manifest_hash, &names, threshold)?;
        let setup = Self {
            version: 1,
            ceremony_id: params.ceremony_id,
            manifest_hash,
            threshold,
            trustees,
        };
        setup.check()?;
        Ok(setup)
    }

    /// Checks the ceremony id, every identity, and that names and keys are distinct.
    pub fn check(&self) -> Result<CeremonyParameters, TrusteeError> {
        if self.version != 1 {
            return Err(TrusteeError::invalid(PARAMETERS_FILE, "unknown version"));
        }
        let params =
            CeremonyParameters::for_election(&self.manifest_hash, &self.names(), self.threshold)?;
        if params.ceremony_id != self.ceremony_id {
            return Err(TrusteeError::invalid(
                PARAMETERS_FILE,
                "ceremony_id is not the hash of the manifest hash, names and threshold",
            ));
        }
        for (position, trustee) in self.trustees.iter().enumerate() {
            trustee.verify().map_err(|detail| {
                TrusteeError::invalid(
                    PARAMETERS_FILE,
                    format!("trustee {} ({}): {detail}", position + 1, trustee.name),
                )
            })?;
            for other in &self.trustees[..position] {
                let keys = [other.signing_key, other.encryption_key];
                if other.name == trustee.name
                    || keys.contains(&trustee.signing_key)
                    || keys.contains(&trustee.encryption_key)
                {
                    return Err(TrusteeError::invalid(
                        PARAMETERS_FILE,
                        format!(
                            "trustees {:?} and {:?} share a name or a key; each trustee needs their own `saylau trustee new`",
                            other.name, trustee.name
                        ),
                    ));
                }
            }
        }
        Ok(params)
    }

    /// The names in index order.
    pub fn names(&self) -> Vec<String> {
        self.trustees.iter().map(|t| t.name.clone()).collect()
    }

    /// `n`.
    pub fn count(&self) -> u32 {
        self.trustees.len() as u32
    }

    /// Trustee `index`'s identity.
    pub fn trustee(&self, index: u32) -> Option<&PublicIdentity> {
        self.trustees.get((index as usize).checked_sub(1)?)
    }

    /// The index of the trustee with this identity.
    pub fn index_of(&self, identity: &PublicIdentity) -> Option<u32> {
        self.trustees
            .iter()
            .position(|t| t == identity)
            .map(|p| p as u32 + 1)
    }

    pub(crate) fn label(&self, index: u32) -> String {
        match self.trustee(index) {
            Some(t) => format!("{index} ({})", t.name),
            None => index.to_string(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The ceremony directory (spec §9, §12)
// ---------------------------------------------------------------------------------------------

/// An opened ceremony directory: its parameters and their hash.
#[derive(Clone, Debug)]
pub struct CeremonyDir {
    /// The directory.
    pub path: PathBuf,
    /// `parameters.json`.
    pub setup: CeremonySetup,
    /// `file_hash` of `parameters.json`'s bytes; every signature covers it.
    pub parameters_hash: Hash,
    pub(crate) params: CeremonyParameters,
}

impl CeremonyDir {
    /// Opens and checks `dir/parameters.json`.
    pub fn open(path: &Path) -> Result<Self, TrusteeError> {
        if !path.join(PARAMETERS_FILE).is_file() {
            return Err(TrusteeError::usage(format!(
                "{} is not a ceremony directory (no {PARAMETERS_FILE}); the commission creates it with `saylau ceremony new`",
                path.display()
            )));
        }
        let (setup, bytes): (CeremonySetup, _) = record::read_json(path, PARAMETERS_FILE)?;
        let params = setup.check()?;
        Ok(Self {
            path: path.to_path_buf(),
            parameters_hash: record::file_hash(&bytes),
            setup,
            params,
        })
    }

    /// The validated DKG parameters.
    pub fn params(&self) -> &CeremonyParameters {
        &self.params
    }
}
