//! `saylau credentials issue`: the credential authority's part (spec `device.md` §1). One
//! private credential file per voter, and the public list the board loads.

pub use saylau::election::{voter_file, VoterCredential};
use saylau::record::{self, CredentialList};
use std::io::Write;
use std::path::{Path, PathBuf};

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
                .map(|n| VoterCredential::generate(n, &mut rand_core::OsRng))
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
