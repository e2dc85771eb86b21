//! `saylau credentials issue`: the credential authority's part (spec `device.md` §1). One
//! private credential file per voter, and the public list the board loads.

use saylau::crypto::elgamal::Secret;
use saylau::crypto::group::{scalar_hex, GroupElement};
use saylau::record::{self, CredentialList};
use serde::Deserialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::{Zeroize, Zeroizing};

/// The most credentials one `issue` writes (one file each).
pub const MAX_VOTERS: u64 = 20_000_000;

/// `saylau credentials` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum CredentialsCommand {
    /// Draw one credential per voter: DIR/voters/voter-<n>.json (private, mode 0600, one per
    /// voter) and DIR/credentials.json (the public list the board loads).
    Issue(IssueArgs),
}

/// Arguments of `saylau credentials issue`.
#[derive(clap::Args, Debug)]
pub struct IssueArgs {
    /// How many voters.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_VOTERS))]
    pub voters: u64,
    /// A new folder (or an empty one) to write into; nothing in it is ever overwritten.
    #[arg(long)]
    pub out: PathBuf,
}

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
    pub fn generate(voter: u64) -> Self {
        let secret = Secret::random(&mut rand_core::OsRng);
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
    fn file_bytes(&self) -> Zeroizing<Vec<u8>> {
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

/// Runs `saylau credentials`.
pub fn run(command: CredentialsCommand) -> i32 {
    match command {
        CredentialsCommand::Issue(args) => match issue(&args) {
            Ok(()) => {
                outln!(
                    "{} credentials: the public list in {}, one private file per voter in {} (mode 0600: hand each to its voter only)",
                    args.voters,
                    args.out.join(record::CREDENTIALS).display(),
                    args.out.join("voters").display()
                );
                0
            }
            Err(error) => {
                eprintln!("saylau credentials issue: {error}");
                2
            }
        },
    }
}

fn issue(args: &IssueArgs) -> Result<(), String> {
    let out = &args.out;
    let shown = |e: std::io::Error, path: &Path| format!("{}: {e}", path.display());
    if let Ok(mut entries) = std::fs::read_dir(out) {
        if entries.next().is_some() {
            return Err(format!(
                "{} is not empty: credentials are never overwritten; choose a new --out",
                out.display()
            ));
        }
    }
    std::fs::create_dir_all(out).map_err(|e| shown(e, out))?;
    let voters_dir = out.join("voters");
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(&voters_dir)
        .map_err(|e| shown(e, &voters_dir))?;
    // Drawn and written a chunk at a time, in parallel within a chunk, so memory stays bounded.
    let mut publics = Vec::with_capacity(args.voters as usize);
    const CHUNK: u64 = 4096;
    let mut first = 1;
    while first <= args.voters {
        let last = (first + CHUNK - 1).min(args.voters);
        let chunk: Vec<VoterCredential> = {
            use rayon::prelude::*;
            (first..=last)
                .into_par_iter()
                .map(VoterCredential::generate)
                .collect()
        };
        for credential in &chunk {
            let path = voter_file(out, credential.voter, args.voters);
            write_new_private(&path, &credential.file_bytes()).map_err(|e| shown(e, &path))?;
            publics.push(credential.public);
        }
        first = last + 1;
    }
    std::fs::File::open(&voters_dir)
        .and_then(|dir| dir.sync_all())
        .map_err(|e| shown(e, &voters_dir))?;
    // The public list last, in the record's own format (spec `record.md` §3).
    record::write_json(
        out,
        record::CREDENTIALS,
        &CredentialList {
            credentials: publics,
        },
    )
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// Creates `path` (refusing if anything is there, never following a link), mode 0600, writes
/// and syncs it.
fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
