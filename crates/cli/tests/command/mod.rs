//! Running the `saylau` binary built for this test run.

use std::process::{Command, Output, Stdio};

/// The path of the `saylau` binary built for this test run.
pub fn saylau_binary() -> &'static str {
    env!("CARGO_BIN_EXE_saylau")
}

/// Runs `saylau` with `args` and no standard input.
#[allow(dead_code)] // not every test file runs it this way
pub fn saylau(args: &[&str]) -> Output {
    Command::new(saylau_binary())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run saylau")
}

/// Output bytes as text.
#[allow(dead_code)] // not every test file reads output as text
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
