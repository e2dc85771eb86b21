//! `board serve --demo`: a fresh demo election to cast to at once. The default manifest, a key
//! ceremony run in this process, `N` voter credentials written in the format of
//! `saylau credentials issue`, and the election opened by [`crate::open::open_election`].
//!
//! Spec: `protocol-spec/board.md` §8.7.

use std::fs;
use std::path::{Path, PathBuf};

use rand_core::{CryptoRng, RngCore};
use saylau::ceremony::run_in_process;
use saylau::election::{voter_file, VoterCredential};
use saylau::manifest::Manifest;
use saylau::record::{self, CredentialList, Record};
use saylau::sim::demo::register_voters;

use crate::keys::{default_keys_path, write_private};
use crate::open::{open_election, OpenError, Opened};

/// Where a demo election's files are.
#[derive(Debug)]
pub struct DemoElection {
    /// The record folder.
    pub record: PathBuf,
    /// The board's key file.
    pub keys: PathBuf,
    /// The SQLite database the board will use.
    pub database: PathBuf,
    /// The credentials folder: `credentials.json` and `voters/voter-<n>.json`.
    pub credentials: PathBuf,
    /// The commission's key folder (`commission.key` sealed with
    /// [`DEMO_COMMISSION_PASSPHRASE`], `commission.json`), to close and publish with.
    pub commission: PathBuf,
    /// What opening the election gave.
    pub opened: Opened,
}

/// The passphrase of a demo's commission key. A demo election protects nothing, and whoever
/// runs it must be able to close it: a real commission's key is made by `saylau commission new`
/// with a passphrase of its own.
pub const DEMO_COMMISSION_PASSPHRASE: &str = "saylau-demo-commission";

/// Creates a demo election in `out` (which must be missing or empty): `out/record`,
/// `out/record.board-keys.json`, `out/credentials/` and the path of `out/board.db`.
pub fn create<R: RngCore + CryptoRng>(
    out: &Path,
    voters: u64,
    host: &str,
    rng: &mut R,
) -> Result<DemoElection, OpenError> {
    let io = |path: &Path, e: std::io::Error| OpenError::Record(format!("{}: {e}", path.display()));
    if voters == 0 {
        return Err(OpenError::Record("--voters must be at least 1".into()));
    }
    if out.exists() && fs::read_dir(out).map_err(|e| io(out, e))?.next().is_some() {
        return Err(OpenError::Record(format!(
            "{} is not empty: the demo writes a fresh election",
            out.display()
        )));
    }
    let record_dir = out.join("record");
    let credentials = out.join("credentials");
    let voters_dir = credentials.join("voters");
    fs::create_dir_all(&record_dir).map_err(|e| io(&record_dir, e))?;
    fs::create_dir_all(&voters_dir).map_err(|e| io(&voters_dir, e))?;

    let record = Record::at(&record_dir);
    let manifest = Manifest::example();
    let manifest_bytes = record.write_json(record::MANIFEST, &manifest)?;
    let names: Vec<String> = (1..=3).map(|i| format!("Commission member {i}")).collect();
    let (ceremony, _shares) =
        run_in_process(&Manifest::hash_bytes(&manifest_bytes), &names, 2, rng)
            .map_err(|e| OpenError::Record(format!("key ceremony: {e}")))?;
    record.write_json(record::CEREMONY, &ceremony)?;

    let simulated = register_voters(voters, rng);
    for (n, voter) in (1u64..).zip(&simulated) {
        // device.md §1: the same file `saylau credentials issue` writes.
        let credential = VoterCredential {
            voter: n,
            public: voter.public,
            secret: voter.secret.clone(),
        };
        let path = voter_file(&credentials, n, voters);
        write_private(&path, &credential.file_bytes()).map_err(|e| io(&path, e))?;
    }
    let list = CredentialList {
        credentials: simulated.iter().map(|v| v.public).collect(),
    };
    record::write_json(&credentials, record::CREDENTIALS, &list)?;

    let keys = default_keys_path(&record_dir);
    let commission = out.join("commission");
    let commission_key = saylau::trustee::create_commission_key(
        &commission,
        DEMO_COMMISSION_PASSPHRASE.as_bytes(),
        rng,
    )
    .map_err(|e| OpenError::Record(format!("the commission's key: {e}")))?;
    let opened = open_election(
        &record_dir,
        Some(&credentials.join(record::CREDENTIALS)),
        &keys,
        host,
        commission_key,
        rng,
    )?;
    Ok(DemoElection {
        record: record_dir,
        keys,
        database: out.join("board.db"),
        credentials,
        commission,
        opened,
    })
}
