//! Command-line front end. Each role lives in its own submodule; `run` maps their errors to exit codes.

use clap::{Parser, Subcommand};

/// `println!` that ends the process quietly when stdout is closed (`saylau demo | head`),
/// instead of panicking on the broken pipe.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

pub mod bench;
pub mod board;
pub mod commission;
pub mod credentials;
pub mod demo;
pub mod election;
pub mod fill;
pub mod load;
pub mod monitor;
pub mod progress;
pub mod results;
pub mod trustee;
pub mod vote;
pub mod voter;
pub mod witness;

/// saylau: end-to-end verifiable elections.
#[derive(Parser, Debug)]
#[command(name = "saylau", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a whole verifiable election on this machine and write its record.
    Demo(election::DemoArgs),
    /// Re-verify an election record from its files alone.
    Verify(election::VerifyArgs),
    /// A voter's checks: find your cast ballot by its tracking code, or your challenged ballot
    /// by its ballot hash, on the published record.
    Receipt(voter::ReceiptArgs),
    /// The voter's device: check the election against its fingerprint, fill in and encrypt
    /// a ballot, cast or challenge it on the board, and keep the receipt with its proof.
    Vote(vote::VoteArgs),
    /// The credential authority: issue the voters' credentials.
    #[command(subcommand)]
    Credentials(credentials::CredentialsCommand),
    /// Print or check an election manifest.
    #[command(subcommand)]
    Manifest(election::ManifestCommand),
    /// Seats for party lists from plain counts (threshold, Hare quota, largest remainders).
    Seats(results::SeatsArgs),
    /// Winner or runoff of a majoritarian contest from plain counts.
    Winner(results::WinnerArgs),
    /// A trustee's part: identity, ceremony rounds, decryption.
    #[command(subcommand)]
    Trustee(trustee::TrusteeCommand),
    /// The commission's part of the key ceremony: create it, follow it, finish it.
    #[command(subcommand)]
    Ceremony(trustee::CeremonyCommand),
    /// Combine the trustees' decryption shares into the results.
    #[command(subcommand)]
    Tally(trustee::TallyCommand),
    /// The bulletin board: open an election, serve it over HTTP, close it, publish the results,
    /// export its record.
    #[command(subcommand)]
    Board(board::BoardCommand),
    /// The commission's signing key, which closes voting and publishes the results.
    #[command(subcommand)]
    Commission(commission::CommissionCommand),
    /// A witness of a board's log: cosigns each checkpoint consistent with the last it saw.
    #[command(subcommand)]
    Witness(witness::WitnessCommand),
    /// Speed tests (ballot verification).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// Runs one command and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Demo(args) => election::demo(args),
        Command::Verify(args) => election::verify(args),
        Command::Receipt(args) => voter::receipt(args),
        Command::Vote(args) => vote::vote(args),
        Command::Credentials(command) => credentials::run(command),
        Command::Manifest(command) => election::manifest(command),
        Command::Seats(args) => results::seats(args),
        Command::Winner(args) => results::winner(args),
        Command::Trustee(command) => trustee::trustee(command),
        Command::Ceremony(command) => trustee::ceremony(command),
        Command::Tally(command) => trustee::tally(command),
        Command::Bench(command) => bench::run(command),
        Command::Board(command) => board::run(command),
        Command::Commission(command) => commission::run(command),
        Command::Witness(command) => witness::run(command),
    }
}
