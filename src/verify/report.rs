//! The verifier's report: the numbered checks (spec `verifier.md` §2), their statuses and the
//! failures, each naming its culprit.

use crate::progress::Progress;
use serde::Serialize;

/// The numbered checks (spec `verifier.md` §2).
pub const CHECKS: &[(u32, &str)] = &[
    (1, "record index: every file's hash and the record root"),
    (2, "manifest: well-formed and valid"),
    (
        3,
        "key ceremony: proofs of possession, verification keys, joint key",
    ),
    (4, "credentials: well-formed and distinct"),
    (
        5,
        "election fingerprint: matches the manifest, ceremony, credentials and key",
    ),
    (6, "ballots: well-formed and shaped like the manifest"),
    (
        7,
        "ballots: range and selection-limit proofs, credential signatures",
    ),
    (8, "ballots: cast under listed credentials"),
    (9, "ballots: no duplicates"),
    (10, "board: tracking codes form an unbroken hash chain"),
    (
        11,
        "challenged ballots: re-encrypt to what the device showed, never counted",
    ),
    (
        12,
        "encrypted tally: the sum of the last ballot of each credential",
    ),
    (13, "decryption shares: proofs of correct decryption"),
    (14, "counts: combined from at least t valid shares"),
    (
        15,
        "outcomes: follow from the counts by the manifest's rules",
    ),
    (
        16,
        "board log: one leaf per ballot and challenged line, in order",
    ),
    (
        17,
        "board log: checkpoints signed by the log key, roots of the leaves, the last covers all",
    ),
    (18, "board log: the tally covers every cast leaf"),
    (
        19,
        "close: the last checkpoint is the closing one, ends with the close leaf, and tally.json names it",
    ),
    (
        20,
        "close: every signed checkpoint is consistent with the closing one",
    ),
    (
        21,
        "close: exactly one close leaf, signed by the commission, and no ballot after it",
    ),
    (
        22,
        "close: the closing checkpoint is cosigned as the witness policy requires",
    ),
];

/// How ballot proofs are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every ballot on its own.
    OneByOne,
    /// Chunks of ballots in one multiscalar multiplication each, culprits found on failure.
    Batch,
}

/// Options of a verification run.
#[derive(Clone, Debug)]
pub struct Options {
    /// How ballot proofs are checked.
    pub mode: Mode,
    /// Where the ballot checks report their progress.
    pub progress: Progress,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            mode: Mode::Batch,
            progress: Progress::none(),
        }
    }
}

/// One failure: which check, who or what is at fault, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The culprit: a file and field, a ballot's tracking code and line, a trustee.
    pub culprit: String,
    /// What is wrong.
    pub detail: String,
}

/// The result of one numbered check.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    /// The check's number.
    pub id: u32,
    /// What it checks.
    pub name: &'static str,
    /// `passed`, `failed`, or `not_run` (a check that could not run counts as failed).
    pub status: Status,
    /// How many items it checked.
    pub items: u64,
    /// The failures (at most [`MAX_FAILURES_PER_CHECK`] listed; `more_failures` counts the rest).
    pub failures: Vec<Failure>,
    /// Failures beyond those listed.
    pub more_failures: u64,
    /// What a reader should know about a check that passed (for example that it had nothing to
    /// require); omitted when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Listed failures per check; the rest are counted.
pub const MAX_FAILURES_PER_CHECK: usize = 100;

/// A check's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every item passed.
    Passed,
    /// At least one failure.
    Failed,
    /// Could not run because an input it needs is missing or broken.
    NotRun,
}

/// The verifier's report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// True only when every check passed.
    pub verified: bool,
    /// The record root, when `record.json` could be read.
    pub record_root: Option<String>,
    /// One entry per numbered check, in order.
    pub checks: Vec<CheckReport>,
    /// Points of `ballots.jsonl` decoded on the fast path of the hint sidecar (spec `batch.md`
    /// §8.3); 0 without one. Not a check: hints change the speed, never a verdict.
    pub hinted_points: u64,
}

impl Report {
    pub(crate) fn new() -> Self {
        Self {
            verified: false,
            record_root: None,
            hinted_points: 0,
            checks: CHECKS
                .iter()
                .map(|&(id, name)| CheckReport {
                    id,
                    name,
                    status: Status::NotRun,
                    items: 0,
                    failures: Vec::new(),
                    more_failures: 0,
                    notes: Vec::new(),
                })
                .collect(),
        }
    }

    pub(crate) fn check(&mut self, id: u32) -> &mut CheckReport {
        let position = CHECKS.iter().position(|&(i, _)| i == id).unwrap_or(0);
        &mut self.checks[position]
    }

    pub(crate) fn fail(&mut self, id: u32, culprit: impl Into<String>, detail: impl Into<String>) {
        let check = self.check(id);
        check.status = Status::Failed;
        if check.failures.len() < MAX_FAILURES_PER_CHECK {
            check.failures.push(Failure {
                culprit: culprit.into(),
                detail: detail.into(),
            });
        } else {
            check.more_failures += 1;
        }
    }

    pub(crate) fn note(&mut self, id: u32, text: impl Into<String>) {
        let check = self.check(id);
        check.notes.push(text.into());
        if check.status == Status::NotRun {
            check.status = Status::Passed;
        }
    }

    pub(crate) fn item(&mut self, id: u32, count: u64) {
        let check = self.check(id);
        check.items += count;
        if check.status == Status::NotRun {
            check.status = Status::Passed;
        }
    }

    /// The failed (or not run) checks.
    pub fn failed(&self) -> impl Iterator<Item = &CheckReport> {
        self.checks.iter().filter(|c| c.status != Status::Passed)
    }
}
