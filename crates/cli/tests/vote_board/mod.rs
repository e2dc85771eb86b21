//! Helpers of the voter's tests: a temporary folder, and a real board (`saylau board serve
//! --demo` on 127.0.0.1, a free port, in a temporary folder, stopped by its process id when
//! dropped). Not every test file uses both.
#![allow(dead_code)]

use super::command::saylau_binary;

#[path = "../../../../tests/common/mod.rs"]
mod record_common;
/// A folder under the system's temporary folder, removed on drop (the record suites' own).
pub use record_common::TempDir;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running demo board.
pub struct DemoBoard {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The election fingerprint, as the board printed it.
    pub fingerprint: String,
    /// The folder of its voters' credentials (`voters/voter-<n>.json`).
    pub credentials: PathBuf,
}

impl DemoBoard {
    /// Starts a demo board with `voters` credentials in `dir/demo`.
    pub fn start(dir: &Path, voters: u64) -> Self {
        let out = dir.join("demo");
        let mut child = Command::new(saylau_binary())
            .args([
                "board",
                "serve",
                "--demo",
                "--voters",
                &voters.to_string(),
                "--out",
            ])
            .arg(&out)
            .args(["--listen", "127.0.0.1:0", "--per-ip-rps", "100000"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start saylau board serve --demo");
        let stdout = child.stdout.take().expect("stdout");
        let (send, receive) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    // Keep draining so the board never blocks on a full pipe.
                    continue;
                }
            }
        });
        let (mut url, mut fingerprint) = (None, None);
        while url.is_none() || fingerprint.is_none() {
            let line = match receive.recv_timeout(Duration::from_secs(120)) {
                Ok(line) => line,
                Err(e) => {
                    let _ = child.kill();
                    panic!("the demo board did not start: {e}");
                }
            };
            if let Some(f) = line.strip_prefix("demo election: ") {
                fingerprint = Some(f.trim().to_string());
            }
            if let Some(u) = line.strip_prefix("board: serving on ") {
                url = Some(u.trim().to_string());
            }
        }
        Self {
            child,
            url: url.expect("url"),
            fingerprint: fingerprint.expect("fingerprint"),
            credentials: out.join("credentials"),
        }
    }

    /// Voter `n`'s credential file.
    pub fn voter(&self, n: u64) -> String {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.credentials.join("voters"))
            .expect("voters folder")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        files[n as usize - 1].to_str().expect("utf-8").to_string()
    }
}

impl Drop for DemoBoard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
