//! `saylau commission new`: the commission's signing key, which `board open --commission-key`
//! binds into the election and which signs `board close` and `board publish`.
//!
//! Spec: `protocol-spec/board.md` §9.1, `ceremony.md` §11 (the sealed key file).

use std::path::PathBuf;

use rand_core::OsRng;
use saylau::trustee;

use super::trustee::passphrase;

/// `saylau commission …`.
#[derive(clap::Subcommand, Debug)]
pub enum CommissionCommand {
    /// Make the commission's signing key: DIR/commission.key, sealed with a passphrase
    /// (SAYLAU_PASSPHRASE, or asked twice at the terminal), and DIR/commission.json, its public
    /// key for `saylau board open --commission-key`.
    New {
        /// The folder to write the key into.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Runs `saylau commission …`.
pub fn run(command: CommissionCommand) -> i32 {
    match command {
        CommissionCommand::New { out } => {
            let passphrase =
                match passphrase("Choose a passphrase for the commission's key: ", true) {
                    Ok(p) => p,
                    Err(e) => {
                        eprintln!("saylau commission new: {e}");
                        return 2;
                    }
                };
            if passphrase.chars().count() < trustee::MIN_PASSPHRASE_CHARS {
                eprintln!(
                    "saylau commission new: the passphrase must have at least {} characters",
                    trustee::MIN_PASSPHRASE_CHARS
                );
                return 2;
            }
            match trustee::create_commission_key(&out, passphrase.as_bytes(), &mut OsRng) {
                Ok(key) => {
                    outln!("Created the commission's key {key}.");
                    outln!(
                        "  secret (sealed; keep it, never send it): {}",
                        out.join(trustee::COMMISSION_KEY_FILE).display()
                    );
                    outln!(
                        "  public (for `saylau board open --commission-key`): {}",
                        out.join(trustee::COMMISSION_PUBLIC_FILE).display()
                    );
                    0
                }
                Err(e) => {
                    eprintln!("saylau commission new: {e}");
                    2
                }
            }
        }
    }
}
