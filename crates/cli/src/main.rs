//! The `saylau` command: one subcommand per role (voter simulation, trustee, verifier, commission).
#![forbid(unsafe_code)]

mod cli;
mod client;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    let code = cli::run(args);
    std::process::exit(code);
}
