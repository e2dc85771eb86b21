//! Checks 16–18: the board's log (spec `verifier.md` §2, `record.md` §7, `board.md` §7).
//!
//! One pass over `log/leaves` rebuilds the Merkle tree (`log.md` §2.6) and pairs every leaf with
//! its line: cast leaves with the lines of `ballots.jsonl` in order, challenged leaves with the
//! lines of `challenged.jsonl` in order (check 16). The checkpoints of `log/checkpoints.jsonl`
//! are read first; each must be signed by `election.json`'s `log_key` under the election's
//! origin, and its root must be the tree of that many leaves (check 17). The number of cast
//! leaves must be `tally.json`'s `board_size` (check 18).

use super::election::Context;
use super::report::Report;
use crate::crypto::digest::Hash;
use crate::crypto::group::hash_hex;
use crate::election::{check_log_origin, CheckpointLine, Leaf, LeafKind, LEAF_SIZE};
use crate::log::checkpoint::{Checkpoint, SignedCheckpoint};
use crate::log::note::Note;
use crate::log::tree::{leaf_hash, TreeBuilder};
use crate::record::{
    ElectionInfo, LinesReader, Record, RecordError, BALLOTS, CHALLENGED, ELECTION, LOG_CHECKPOINTS,
    LOG_LEAVES, TALLY,
};
use crate::tally::EncryptedTally;
use serde::Deserialize;
use std::fs;
use std::io::{BufReader, Read};

const LEAVES_CHECK: u32 = 16;
const CHECKPOINTS_CHECK: u32 = 17;
const TALLY_CHECK: u32 = 18;

/// The fields of a `ballots.jsonl` line that its leaf holds (spec `board.md` §7.1), and its
/// tracking code; the rest of the line is skipped unread.
#[derive(Deserialize)]
struct CastLine {
    #[serde(with = "hash_hex")]
    tracking_code: Hash,
    #[serde(with = "hash_hex")]
    ballot_hash: Hash,
    ballot: CastBallot,
}

#[derive(Deserialize)]
struct CastBallot {
    body: LineBody,
    signature: LineSignature,
}

#[derive(Deserialize)]
struct LineBody {
    #[serde(with = "hash_hex")]
    credential: [u8; 32],
}

#[derive(Deserialize)]
struct LineSignature {
    #[serde(with = "hash_hex")]
    commitment: [u8; 32],
    #[serde(with = "hash_hex")]
    response: [u8; 32],
}

/// The fields of a `challenged.jsonl` line that its leaf holds.
#[derive(Deserialize)]
struct ChallengedLeafLine {
    #[serde(with = "hash_hex")]
    ballot_hash: Hash,
    challenged: ChallengedLeafBallot,
}

#[derive(Deserialize)]
struct ChallengedLeafBallot {
    body: LineBody,
}

/// A line as a leaf would encode it: kind, credential, ballot hash, commitment, response.
struct Expected {
    line: u64,
    fields: [[u8; 32]; 4],
    tracking_code: Option<Hash>,
}

const FIELDS: [&str; 4] = [
    "credential",
    "ballot hash",
    "signature commitment",
    "signature response",
];

/// The lines of `ballots.jsonl` or `challenged.jsonl`, one at a time, as leaves would hold them.
struct Lines {
    file: &'static str,
    reader: Option<LinesReader<BufReader<fs::File>>>,
    read: u64,
}

impl Lines {
    fn open(record: &Record, file: &'static str, report: &mut Report) -> Self {
        let reader = match record.lines(file, false) {
            Ok(reader) => reader,
            Err(error) => {
                report.fail(LEAVES_CHECK, file, error.to_string());
                None
            }
        };
        Self {
            file,
            reader,
            read: 0,
        }
    }

    /// The next line; a line that does not read or decode is reported, and reading stops.
    fn next(&mut self, report: &mut Report) -> Next {
        let Some(reader) = self.reader.as_mut() else {
            return Next::Broken;
        };
        let (line, bytes) = match reader.next_line() {
            Ok(Some(next)) => next,
            Ok(None) => return Next::End,
            Err(error) => {
                self.reader = None;
                report.fail(LEAVES_CHECK, self.file, error.to_string());
                return Next::Broken;
            }
        };
        self.read += 1;
        let decoded = if self.file == BALLOTS {
            serde_json::from_slice::<CastLine>(bytes).map(|l| Expected {
                line,
                fields: [
                    l.ballot.body.credential,
                    l.ballot_hash,
                    l.ballot.signature.commitment,
                    l.ballot.signature.response,
                ],
                tracking_code: Some(l.tracking_code),
            })
        } else {
            serde_json::from_slice::<ChallengedLeafLine>(bytes).map(|l| Expected {
                line,
                fields: [
                    l.challenged.body.credential,
                    l.ballot_hash,
                    [0; 32],
                    [0; 32],
                ],
                tracking_code: None,
            })
        };
        match decoded {
            Ok(expected) => Next::Line(expected),
            Err(error) => {
                self.reader = None;
                report.fail(
                    LEAVES_CHECK,
                    format!("{} line {line}", self.file),
                    format!("does not decode, so no leaf can be compared with it or a later line: {error}"),
                );
                Next::Broken
            }
        }
    }
}

/// What [`Lines::next`] found.
enum Next {
    Line(Expected),
    End,
    /// The file could not be read on (already reported).
    Broken,
}

/// The checkpoints of `log/checkpoints.jsonl` that passed their own checks, in order: the line,
/// the size and the root, to compare with the rebuilt tree.
struct Signed {
    line: u64,
    size: u64,
    root: Hash,
}

/// Checks 16–18 (spec `verifier.md` §2).
pub(crate) fn check_log(record: &Record, context: &Context, report: &mut Report) {
    let checkpoints = read_checkpoints(record, context, report);
    let Some(end) = check_leaves(record, &checkpoints, report) else {
        return;
    };
    check_tally_end(record, context, &end, report);
}

/// Check 17, first half: every line of `log/checkpoints.jsonl` is a checkpoint signed by
/// `log_key` under the one origin `<host>/saylau/<hex F>`, its `size` is the checkpoint's, and
/// sizes strictly increase. Returns the checkpoints whose roots the tree must give.
fn read_checkpoints(record: &Record, context: &Context, report: &mut Report) -> Vec<Signed> {
    let mut out = Vec::new();
    let info = match record.json::<ElectionInfo>(ELECTION) {
        Ok((info, _)) => info,
        Err(error) => {
            report.fail(CHECKPOINTS_CHECK, ELECTION, error.to_string());
            return out;
        }
    };
    let mut reader = match record.lines(LOG_CHECKPOINTS, false) {
        Ok(Some(reader)) => reader,
        Ok(None) => return out,
        Err(error) => {
            report.fail(CHECKPOINTS_CHECK, LOG_CHECKPOINTS, error.to_string());
            return out;
        }
    };
    let mut origin: Option<String> = None;
    let mut previous: Option<u64> = None;
    loop {
        let (line, entry) = match reader.next_json::<CheckpointLine>() {
            Ok(Some(next)) => next,
            Ok(None) => break,
            Err(error) => {
                report.fail(CHECKPOINTS_CHECK, LOG_CHECKPOINTS, error.to_string());
                break;
            }
        };
        report.item(CHECKPOINTS_CHECK, 1);
        let culprit = format!("{LOG_CHECKPOINTS} line {line} (size {})", entry.size);
        let mut fail = |detail: String| report.fail(CHECKPOINTS_CHECK, culprit.clone(), detail);
        // The origin is read from the body before the signature is checked, so that a
        // checkpoint of another log is named as such.
        let body = match Note::parse(entry.checkpoint.as_bytes())
            .map_err(|e| e.to_string())
            .and_then(|note| Checkpoint::parse(note.text()).map_err(|e| e.to_string()))
        {
            Ok(body) => body,
            Err(error) => {
                fail(format!("not a checkpoint: {error}"));
                continue;
            }
        };
        if let Err(error) = check_log_origin(body.origin(), &context.fingerprint) {
            fail(error);
            continue;
        }
        match &origin {
            Some(first) if first != body.origin() => {
                fail(format!(
                    "origin {:?} differs from the first checkpoint's {first:?}: one log has one origin",
                    body.origin()
                ));
                continue;
            }
            Some(_) => {}
            None => origin = Some(body.origin().to_string()),
        }
        let opened = log_verifier(&info, body.origin()).and_then(|key| {
            SignedCheckpoint::open(entry.checkpoint.as_bytes(), &key, body.origin())
                .map_err(|e| e.to_string())
        });
        if let Err(error) = opened {
            fail(format!(
                "not signed by election.json's log_key under its origin: {error}"
            ));
            continue;
        }
        if entry.size != body.size() {
            fail(format!(
                "the line says size {}, the signed checkpoint {}",
                entry.size,
                body.size()
            ));
            continue;
        }
        if let Some(before) = previous.filter(|before| *before >= entry.size) {
            fail(format!(
                "sizes must strictly increase: the previous checkpoint has size {before}"
            ));
            continue;
        }
        previous = Some(entry.size);
        out.push(Signed {
            line,
            size: entry.size,
            root: *body.root(),
        });
    }
    out
}

/// Where the log ended: what check 18 compares with `tally.json`.
struct End {
    /// Cast leaves in the log.
    cast: u64,
    /// The tracking code of the line paired with the last cast leaf (`F` when no cast leaf);
    /// `None` when that leaf has no line.
    last_tracking_code: Option<Hash>,
}

/// Check 16, and check 17's second half: one pass over `log/leaves` that pairs each leaf with
/// its line and rebuilds the tree, comparing its root at every checkpoint's size.
fn check_leaves(record: &Record, checkpoints: &[Signed], report: &mut Report) -> Option<End> {
    let path = record.path(LOG_LEAVES);
    let file = match fs::metadata(&path).and_then(|metadata| {
        if metadata.is_file() {
            fs::File::open(&path)
        } else {
            Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a regular file",
            ))
        }
    }) {
        Ok(file) => file,
        Err(error) => {
            let detail = RecordError::io(LOG_LEAVES, error).to_string();
            report.fail(LEAVES_CHECK, LOG_LEAVES, detail.clone());
            report.fail(
                CHECKPOINTS_CHECK,
                LOG_LEAVES,
                format!("the tree cannot be rebuilt: {detail}"),
            );
            return None;
        }
    };
    let mut leaves = BufReader::with_capacity(1 << 20, file);
    let mut ballots = Lines::open(record, BALLOTS, report);
    let mut challenged = Lines::open(record, CHALLENGED, report);
    let mut tree = TreeBuilder::new();
    let mut next_checkpoint = checkpoints.iter().peekable();
    let mut close: Option<u64> = None;
    let mut end = End {
        cast: 0,
        last_tracking_code: None,
    };
    let mut bytes = [0u8; LEAF_SIZE];
    loop {
        // The root of the tree so far, at each checkpoint of this size.
        while let Some(signed) = next_checkpoint.next_if(|c| c.size == tree.size()) {
            if tree.root() != signed.root {
                report.fail(
                    CHECKPOINTS_CHECK,
                    format!(
                        "{LOG_CHECKPOINTS} line {} (size {})",
                        signed.line, signed.size
                    ),
                    "its root is not the tree of that many leaves of log/leaves",
                );
            }
        }
        let read = match read_leaf(&mut leaves, &mut bytes) {
            Ok(read) => read,
            Err(error) => {
                report.fail(
                    LEAVES_CHECK,
                    LOG_LEAVES,
                    RecordError::io(LOG_LEAVES, error).to_string(),
                );
                report.fail(
                    CHECKPOINTS_CHECK,
                    LOG_LEAVES,
                    "the tree cannot be rebuilt: log/leaves could not be read to its end",
                );
                return None;
            }
        };
        if read < LEAF_SIZE {
            if read > 0 {
                report.fail(
                    LEAVES_CHECK,
                    LOG_LEAVES,
                    format!(
                        "ends with {read} bytes after leaf {}: not a whole number of {LEAF_SIZE}-byte leaves",
                        tree.size().saturating_sub(1)
                    ),
                );
            }
            break;
        }
        let index = tree.size();
        report.item(LEAVES_CHECK, 1);
        // The tree is over the bytes as published, decodable or not (spec `board.md` §7.2).
        if tree.push(leaf_hash(&bytes)).is_err() {
            report.fail(LEAVES_CHECK, LOG_LEAVES, "more leaves than a tree can hold");
            return None;
        }
        let culprit = format!("{LOG_LEAVES} leaf {index}");
        let leaf = match Leaf::decode(&bytes) {
            Ok(leaf) => leaf,
            Err(error) => {
                report.fail(LEAVES_CHECK, culprit, format!("does not decode: {error}"));
                continue;
            }
        };
        if let Some(closed) = close {
            let detail = match leaf.kind() {
                LeafKind::Close => format!("a second close leaf (the first is leaf {closed})"),
                _ => format!("a ballot leaf after the close of voting (leaf {closed})"),
            };
            report.fail(LEAVES_CHECK, culprit.clone(), detail);
        }
        let lines = match leaf.kind() {
            LeafKind::Close => {
                close.get_or_insert(index);
                continue;
            }
            LeafKind::Cast => {
                end.cast += 1;
                end.last_tracking_code = None;
                &mut ballots
            }
            LeafKind::Challenged => &mut challenged,
        };
        let file = lines.file;
        let expected = match lines.next(report) {
            Next::Line(expected) => expected,
            Next::End => {
                report.fail(
                    LEAVES_CHECK,
                    culprit,
                    format!(
                        "a {:?} leaf, but {file} has no line left ({} lines)",
                        leaf.kind(),
                        lines.read
                    ),
                );
                continue;
            }
            Next::Broken => continue,
        };
        let found = [
            *leaf.credential(),
            *leaf.ballot_hash(),
            *leaf.commitment(),
            *leaf.response(),
        ];
        let differing: Vec<&str> = FIELDS
            .iter()
            .zip(found.iter().zip(&expected.fields))
            .filter(|(_, (a, b))| a != b)
            .map(|(name, _)| *name)
            .collect();
        if differing.is_empty() {
            if leaf.kind() == LeafKind::Cast {
                end.last_tracking_code = expected.tracking_code;
            }
        } else {
            report.fail(
                LEAVES_CHECK,
                format!("{culprit} ({file} line {})", expected.line),
                format!(
                    "the leaf's {} {} not the line's",
                    differing.join(", "),
                    if differing.len() == 1 { "is" } else { "are" }
                ),
            );
        }
    }
    // An empty log is checked, not skipped: nobody voting is a result (rules.md §3.2).
    report.item(LEAVES_CHECK, 0);
    // Lines left without a leaf.
    for lines in [&mut ballots, &mut challenged] {
        while let Next::Line(expected) = lines.next(report) {
            report.fail(
                LEAVES_CHECK,
                format!("{} line {}", lines.file, expected.line),
                "no leaf of log/leaves holds this line",
            );
        }
    }
    // Checkpoints beyond the log, and the last one must cover it all.
    for signed in next_checkpoint {
        report.fail(
            CHECKPOINTS_CHECK,
            format!(
                "{LOG_CHECKPOINTS} line {} (size {})",
                signed.line, signed.size
            ),
            format!(
                "covers {} leaves, log/leaves holds {}",
                signed.size,
                tree.size()
            ),
        );
    }
    match checkpoints.last() {
        Some(last) if last.size == tree.size() => {}
        Some(last) => report.fail(
            CHECKPOINTS_CHECK,
            LOG_CHECKPOINTS,
            format!(
                "the last checkpoint covers {} leaves, the log holds {}: the whole log must be signed",
                last.size,
                tree.size()
            ),
        ),
        None => report.fail(
            CHECKPOINTS_CHECK,
            LOG_CHECKPOINTS,
            format!(
                "no valid signed checkpoint: the log of {} leaves is not signed",
                tree.size()
            ),
        ),
    }
    Some(end)
}

/// Reads up to one leaf; returns the number of bytes read (less than a leaf only at the end).
pub(super) fn read_leaf(
    reader: &mut impl Read,
    buffer: &mut [u8; LEAF_SIZE],
) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < LEAF_SIZE {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Check 18: the log's cast leaves are the ballots the tally was taken over: their number is
/// `tally.json`'s `board_size`, and the last one's line carries its `last_tracking_code`.
fn check_tally_end(record: &Record, context: &Context, end: &End, report: &mut Report) {
    let tally: EncryptedTally = match record.json(TALLY) {
        Ok((tally, _)) => tally,
        Err(error) => {
            report.fail(TALLY_CHECK, TALLY, error.to_string());
            return;
        }
    };
    report.item(TALLY_CHECK, 1);
    if tally.board_size != end.cast {
        report.fail(
            TALLY_CHECK,
            "tally.json: board_size",
            format!(
                "the tally was taken over {} ballots, the log has {} cast leaves",
                tally.board_size, end.cast
            ),
        );
    }
    let last = if end.cast == 0 {
        Some(context.fingerprint)
    } else {
        end.last_tracking_code
    };
    match last {
        Some(code) if code == tally.last_tracking_code => {}
        Some(_) => report.fail(
            TALLY_CHECK,
            "tally.json: last_tracking_code",
            "is not the tracking code of the line of the log's last cast leaf",
        ),
        None => report.fail(
            TALLY_CHECK,
            "tally.json: last_tracking_code",
            "cannot be compared: the log's last cast leaf has no matching line of ballots.jsonl (check 16)",
        ),
    }
}

/// The log's note verifier key for `origin`: `election.json`'s `log_key` under that name.
pub(crate) fn log_verifier(
    info: &ElectionInfo,
    origin: &str,
) -> Result<crate::log::note::VerifierKey, String> {
    info.log_key.verifier(origin).map_err(|e| e.to_string())
}
