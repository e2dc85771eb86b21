//! `saylau seats` and `saylau winner`: outcome rules on plain counts, for commissions and journalists.

use std::path::PathBuf;

/// Arguments of `saylau seats`.
#[derive(clap::Args, Debug)]
pub struct SeatsArgs {
    /// Number of seats to allocate.
    #[arg(long)]
    pub seats: u64,
    /// Admission threshold, percent of participating voters (e.g. 5 or 7 or 5.5).
    #[arg(long = "threshold-percent")]
    pub threshold_percent: String,
    /// JSON file: {"participants": N, "votes": {"Party A": 123, ...}} in registration order.
    pub file: PathBuf,
}

/// Arguments of `saylau winner`.
#[derive(clap::Args, Debug)]
pub struct WinnerArgs {
    /// JSON file: {"participants": N, "votes": {"Candidate": n, ...}, "against_all": n}.
    pub file: PathBuf,
}

/// Runs `saylau seats`.
pub fn seats(_args: SeatsArgs) -> i32 {
    eprintln!("saylau seats: not yet implemented");
    2
}

/// Runs `saylau winner`.
pub fn winner(_args: WinnerArgs) -> i32 {
    eprintln!("saylau winner: not yet implemented");
    2
}
