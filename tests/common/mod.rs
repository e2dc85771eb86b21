//! Helpers shared by the record test suites (`tamper`, `hostile`, `cli`): temporary record
//! directories, an in-memory template of a demo record, a JSON scanner that finds every leaf's
//! exact byte span (so a mutation changes only that leaf's bytes), and report assertions.
//!
//! Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use curve25519_dalek::ristretto::RistrettoPoint;
use rand_chacha::ChaCha20Rng;
use saylau::record::{self, BallotLine, ElectionInfo, RecordIndex};
use saylau::sim::demo::{self, DemoConfig};
use saylau::verify::{self, CheckReport, Mode, Options, Report, Status};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// A directory under the system temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new, empty, uniquely named directory.
    pub fn new(tag: &str) -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "saylau-test-{tag}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&path).expect("create temporary directory");
        Self(path)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A whole record held in memory: `(relative path, bytes)` of every file.
pub struct Template {
    pub files: Vec<(String, Vec<u8>)>,
}

impl Template {
    /// Runs the demo into a temporary directory, reads the record into memory, and removes the
    /// directory (nothing is left behind when the test binary exits).
    pub fn demo(voters: u64, seed: u64, absent: u32) -> Self {
        let dir = TempDir::new("template");
        let out = dir.path().join("record");
        demo::run(&DemoConfig {
            voters,
            trustees: 5,
            threshold: 3,
            absent,
            seed: Some(seed),
            out: out.clone(),
            progress: saylau::progress::Progress::none(),
        })
        .expect("the demo runs");
        Self::read(&out)
    }

    /// Reads every file of a record directory.
    pub fn read(dir: &Path) -> Self {
        let mut files = Vec::new();
        read_tree(dir, "", &mut files);
        files.sort();
        Self { files }
    }

    /// Writes the record into a fresh temporary directory.
    pub fn instantiate(&self, tag: &str) -> TempDir {
        let dir = TempDir::new(tag);
        for (name, bytes) in &self.files {
            let path = dir.path().join(name);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).expect("create record subdirectory");
            }
            fs::write(path, bytes).expect("write record file");
        }
        dir
    }

    /// The bytes of one file.
    pub fn file(&self, name: &str) -> &[u8] {
        &self
            .files
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name} is not in the record"))
            .1
    }
}

fn read_tree(dir: &Path, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in fs::read_dir(dir).expect("read record directory") {
        let entry = entry.expect("directory entry");
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.file_type().expect("file type").is_dir() {
            read_tree(&entry.path(), &format!("{name}/"), out);
        } else {
            out.push((name, fs::read(entry.path()).expect("read record file")));
        }
    }
}

/// Verifies with the default options (batch mode, no progress bar).
pub fn verify(dir: &Path) -> Report {
    verify::verify_record(&saylau::record::Record::at(dir), Options::default())
}

/// Verifies with every ballot checked on its own.
pub fn verify_one_by_one(dir: &Path) -> Report {
    verify::verify_record(
        &saylau::record::Record::at(dir),
        Options {
            mode: Mode::OneByOne,
            progress: saylau::progress::Progress::none(),
        },
    )
}

/// Verifies on another thread, proving it neither panics nor runs longer than `limit`.
pub fn verify_bounded(dir: &Path, limit: Duration) -> Result<Report, String> {
    let (sender, receiver) = mpsc::channel();
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        let result = std::panic::catch_unwind(|| verify(&dir));
        let _ = sender.send(result);
    });
    match receiver.recv_timeout(limit) {
        Ok(Ok(report)) => Ok(report),
        Ok(Err(panic)) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!("verify_record panicked: {message}"))
        }
        Err(_) => Err(format!("verify_record did not finish within {limit:?}")),
    }
}

/// The report entry of check `id`.
pub fn check(report: &Report, id: u32) -> &CheckReport {
    report
        .checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id} in the report"))
}

/// The ids of the checks that failed (status `failed`, not `not_run`).
pub fn failed_ids(report: &Report) -> Vec<u32> {
    report
        .checks
        .iter()
        .filter(|c| c.status == Status::Failed)
        .map(|c| c.id)
        .collect()
}

/// A one-line summary of every failure, for assertion messages.
pub fn summary(report: &Report) -> String {
    let mut lines = Vec::new();
    for c in &report.checks {
        if c.status == Status::Passed {
            continue;
        }
        let failures: Vec<String> = c
            .failures
            .iter()
            .map(|f| format!("{} => {}", f.culprit, f.detail))
            .collect();
        lines.push(format!(
            "#{} {:?} [{}]",
            c.id,
            c.status,
            failures.join(" | ")
        ));
    }
    lines.join("; ")
}

/// Why `report` does not show check `id` failing with a culprit containing `culprit`, if so.
pub fn failure_problem(report: &Report, id: u32, culprit: Option<&str>) -> Option<String> {
    if report.verified {
        return Some("the record verified".into());
    }
    let entry = check(report, id);
    if entry.status != Status::Failed {
        return Some(format!(
            "check {id} is {:?}, expected failed ({})",
            entry.status,
            summary(report)
        ));
    }
    if let Some(culprit) = culprit {
        if !entry.failures.iter().any(|f| f.culprit.contains(culprit)) {
            return Some(format!(
                "no failure of check {id} names {culprit:?} ({})",
                summary(report)
            ));
        }
    }
    None
}

/// Asserts the record did not verify, check `id` failed, and (if given) one of its failures
/// names `culprit`.
#[track_caller]
pub fn assert_fails(report: &Report, id: u32, culprit: Option<&str>) {
    if let Some(problem) = failure_problem(report, id, culprit) {
        panic!("{problem}");
    }
}

/// Asserts exactly the checks `ids` failed, and every other check passed.
#[track_caller]
pub fn assert_only_fails(report: &Report, ids: &[u32]) {
    assert!(!report.verified, "the record verified");
    let failed = failed_ids(report);
    let not_run: Vec<u32> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::NotRun)
        .map(|c| c.id)
        .collect();
    assert!(
        failed == ids && not_run.is_empty(),
        "expected exactly checks {ids:?} to fail and every other to pass; failed {failed:?}, not run {not_run:?} ({})",
        summary(report)
    );
}

/// Asserts the record verified.
#[track_caller]
pub fn assert_verified(report: &Report) {
    assert!(
        report.verified,
        "the record did not verify: {}",
        summary(report)
    );
    assert!(report.checks.iter().all(|c| c.status == Status::Passed));
}

/// Recomputes `record.json` from the files present, as anyone can (the index is not signed):
/// after this, check 1 passes and only the deeper checks can catch a mutation.
pub fn reindex(dir: &Path) {
    let index = RecordIndex::compute(dir).expect("index the record");
    // The same bytes as `record::write_json`, without its fsync (hundreds of calls per run).
    let mut bytes = serde_json::to_vec_pretty(&index).expect("encode record.json");
    bytes.push(b'\n');
    fs::write(dir.join(record::INDEX), bytes).expect("write record.json");
}

/// Rewrites `ballots.jsonl` as a board operator could: every decodable line gets its ballot
/// hash recomputed (when `ballot_hashes`) and the tracking-code chain is recomputed from the
/// election fingerprint; then `record.json` is recomputed. Undecodable lines are kept as they
/// are. Afterwards only the cryptographic checks can catch a changed ballot.
pub fn reseal(dir: &Path, ballot_hashes: bool) {
    let (info, _): (ElectionInfo, _) =
        record::read_json(dir, record::ELECTION).expect("read election.json");
    let mut previous = info.fingerprint;
    let mut out = Vec::new();
    for line in read_lines(dir, record::BALLOTS) {
        match serde_json::from_str::<BallotLine>(&line) {
            Ok(mut entry) => {
                if ballot_hashes {
                    entry.ballot_hash = entry.ballot.body.hash();
                }
                entry.tracking_code = record::tracking_code(
                    &previous,
                    &entry.ballot.body.hash(),
                    &entry.ballot.signature,
                );
                previous = entry.tracking_code;
                out.push(serde_json::to_string(&entry).expect("encode ballot line"));
            }
            Err(_) => out.push(line),
        }
    }
    write_lines(dir, record::BALLOTS, &out);
    re_anchor_tally(dir);
    reindex(dir);
}

/// Rewrites the board's log as an operator holding the log key of `saylau demo --seed seed`
/// could after changing the line files: one cast leaf per decodable line of `ballots.jsonl`,
/// then one challenged leaf per line of `challenged.jsonl`, the close leaf the demo's commission
/// signs, a checkpoint of the whole log signed with that key (named by `tally.json`'s
/// `closing_checkpoint`), and `record.json`. Afterwards checks 16–17 and 19–22 pass, and only
/// the other checks can catch the change.
pub fn relog(dir: &Path, seed: u64) {
    use saylau::election::Leaf;
    let mut leaves = Vec::new();
    for line in read_lines(dir, record::BALLOTS) {
        if let Ok(entry) = serde_json::from_str::<BallotLine>(&line) {
            leaves.extend_from_slice(
                &Leaf::cast(
                    &entry.ballot.body.credential,
                    entry.ballot_hash,
                    &entry.ballot.signature,
                )
                .to_bytes(),
            );
        }
    }
    for line in read_lines(dir, record::CHALLENGED) {
        if let Ok(entry) = serde_json::from_str::<record::ChallengedLine>(&line) {
            leaves.extend_from_slice(
                &Leaf::challenged(&entry.challenged.body.credential, entry.ballot_hash).to_bytes(),
            );
        }
    }
    let (info, _): (ElectionInfo, _) =
        record::read_json(dir, record::ELECTION).expect("read election.json");
    // The commission's close, as the demo's commission key signs it (board.md §9.2).
    let commission = demo::demo_commission(&demo::demo_keys(seed));
    leaves.extend_from_slice(
        &Leaf::close(
            &commission.public(),
            record::close_message(&info.fingerprint),
            &commission.sign_close(&info.fingerprint),
        )
        .to_bytes(),
    );
    fs::write(dir.join(record::LOG_LEAVES), &leaves).expect("write log/leaves");
    let mut tree = saylau::log::tree::TreeBuilder::new();
    for leaf in leaves.chunks(saylau::election::LEAF_SIZE) {
        tree.push(saylau::log::tree::leaf_hash(leaf)).expect("push");
    }
    if let Ok(text) = fs::read_to_string(dir.join(record::TALLY)) {
        let mut tally: serde_json::Value = serde_json::from_str(&text).expect("tally.json");
        tally["closing_checkpoint"] = serde_json::json!({
            "size": tree.size(),
            "root": hex::encode(tree.root()),
        });
        let mut bytes = serde_json::to_vec_pretty(&tally).expect("encode tally.json");
        bytes.push(b'\n');
        fs::write(dir.join(record::TALLY), bytes).expect("write tally.json");
    }
    let keys = demo::demo_keys(seed);
    assert_eq!(keys.log.public(), info.log_key, "the demo's log key");
    let signer = keys
        .log
        .signer(&saylau::election::log_origin(
            "localhost",
            &info.fingerprint,
        ))
        .expect("signer");
    let body = saylau::log::checkpoint::Checkpoint::new(
        signer.name(),
        tree.size(),
        tree.root(),
        Vec::new(),
    )
    .expect("a checkpoint");
    let signed = saylau::log::checkpoint::SignedCheckpoint::sign(body, &signer).expect("signed");
    let line = serde_json::to_string(&saylau::election::CheckpointLine {
        size: tree.size(),
        checkpoint: signed.to_string(),
    })
    .expect("encode");
    write_lines(dir, record::LOG_CHECKPOINTS, &[line]);
    reindex(dir);
}

/// Points `tally.json`'s end-of-board anchor (`board_size`, `last_tracking_code`) at the board
/// as it now is, as an operator who rewrote the board would; the ciphertexts are left alone.
pub fn re_anchor_tally(dir: &Path) {
    let Ok(text) = fs::read_to_string(dir.join(record::TALLY)) else {
        return;
    };
    let mut tally: serde_json::Value = serde_json::from_str(&text).expect("tally.json");
    let lines = read_lines(dir, record::BALLOTS);
    let last = lines
        .iter()
        .rev()
        .find_map(|l| serde_json::from_str::<BallotLine>(l).ok());
    if let Some(last) = last {
        tally["board_size"] = lines.len().into();
        tally["last_tracking_code"] = hex::encode(last.tracking_code).into();
    }
    let mut bytes = serde_json::to_vec_pretty(&tally).expect("encode tally.json");
    bytes.push(b'\n');
    fs::write(dir.join(record::TALLY), bytes).expect("write tally.json");
}

/// The lines of a JSON-lines file, without their newlines.
pub fn read_lines(dir: &Path, name: &str) -> Vec<String> {
    let text = fs::read_to_string(dir.join(name)).expect("read lines");
    text.lines().map(str::to_string).collect()
}

/// Writes lines, each followed by a newline.
pub fn write_lines(dir: &Path, name: &str, lines: &[String]) {
    let mut text = String::new();
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    fs::write(dir.join(name), text).expect("write lines");
}

/// A JSON scalar (string, number, boolean or null) and where it sits in the document.
#[derive(Clone, Debug)]
pub struct Leaf {
    /// JSON pointer (RFC 6901), e.g. `/trustees/0/proof/response`.
    pub pointer: String,
    /// The pointer with array indices replaced by `[]`: one pattern per kind of field.
    pub pattern: String,
    /// Byte span of the leaf's text in the document (quotes included for strings).
    pub span: (usize, usize),
    /// The decoded value.
    pub value: Value,
}

/// Every scalar leaf of a JSON document with its exact byte span. Panics on malformed JSON
/// (it is only run on honest record files).
pub fn leaves(text: &str) -> Vec<Leaf> {
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        text,
        position: 0,
        out: Vec::new(),
    };
    scanner.value(String::new(), String::new());
    scanner.out
}

struct Scanner<'a> {
    bytes: &'a [u8],
    text: &'a str,
    position: usize,
    out: Vec<Leaf>,
}

impl Scanner<'_> {
    fn skip_whitespace(&mut self) {
        while self
            .bytes
            .get(self.position)
            .is_some_and(|b| b.is_ascii_whitespace())
        {
            self.position += 1;
        }
    }

    fn expect(&mut self, byte: u8) {
        self.skip_whitespace();
        assert_eq!(self.bytes[self.position], byte, "at {}", self.position);
        self.position += 1;
    }

    fn peek(&mut self) -> u8 {
        self.skip_whitespace();
        self.bytes[self.position]
    }

    /// Returns the span of the string starting at the current position (quotes included).
    fn string(&mut self) -> (usize, usize) {
        self.expect(b'"');
        let start = self.position - 1;
        loop {
            match self.bytes[self.position] {
                b'\\' => self.position += 2,
                b'"' => {
                    self.position += 1;
                    return (start, self.position);
                }
                _ => self.position += 1,
            }
        }
    }

    fn value(&mut self, pointer: String, pattern: String) {
        match self.peek() {
            b'{' => {
                self.expect(b'{');
                if self.peek() == b'}' {
                    self.position += 1;
                    return;
                }
                loop {
                    let (start, end) = self.string();
                    let key: String = serde_json::from_str(&self.text[start..end]).expect("key");
                    let escaped = key.replace('~', "~0").replace('/', "~1");
                    self.expect(b':');
                    self.value(
                        format!("{pointer}/{escaped}"),
                        format!("{pattern}/{escaped}"),
                    );
                    if self.peek() == b',' {
                        self.position += 1;
                    } else {
                        self.expect(b'}');
                        return;
                    }
                }
            }
            b'[' => {
                self.expect(b'[');
                if self.peek() == b']' {
                    self.position += 1;
                    return;
                }
                let mut index = 0;
                loop {
                    self.value(format!("{pointer}/{index}"), format!("{pattern}/[]"));
                    index += 1;
                    if self.peek() == b',' {
                        self.position += 1;
                    } else {
                        self.expect(b']');
                        return;
                    }
                }
            }
            b'"' => {
                let span = self.string();
                self.push(pointer, pattern, span);
            }
            _ => {
                let start = self.position;
                while self
                    .bytes
                    .get(self.position)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b))
                {
                    self.position += 1;
                }
                self.push(pointer, pattern, (start, self.position));
            }
        }
    }

    fn push(&mut self, pointer: String, pattern: String, span: (usize, usize)) {
        let value: Value = serde_json::from_str(&self.text[span.0..span.1]).expect("leaf");
        self.out.push(Leaf {
            pointer,
            pattern,
            span,
            value,
        });
    }
}

/// 64 lower-case hex characters that are at once a valid (non-identity) ristretto255 point
/// encoding, a canonical scalar and a hash: a well-formed replacement for any 32-byte field,
/// so a mutation reaches the check that reads the value instead of failing to decode.
pub fn universal_hex(rng: &mut ChaCha20Rng, avoid: &str) -> String {
    loop {
        let bytes = RistrettoPoint::random(rng).compress().to_bytes();
        // Below 2^252 < ℓ: canonical as a scalar too.
        if bytes[31] < 0x10 {
            let text = hex::encode(bytes);
            if text != avoid {
                return text;
            }
        }
    }
}

fn is_lower_hex(text: &str) -> bool {
    !text.is_empty()
        && text.len() % 2 == 0
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Another well-formed value of the same kind as `value`:
/// - a 32-byte hex field: another valid point / canonical scalar / hash ([`universal_hex`]);
/// - a longer hex byte string (a bulletproof): one byte flipped;
/// - a decimal string: plus one; a fraction `a/b`: `(a+1)/b`; other text: one letter appended;
/// - an integer: plus one; a boolean: flipped; null: 0.
pub fn mutated(value: &Value, rng: &mut ChaCha20Rng) -> Value {
    match value {
        Value::String(text) if text.len() == 64 && is_lower_hex(text) => {
            Value::String(universal_hex(rng, text))
        }
        Value::String(text) if is_lower_hex(text) && text.len() > 64 => {
            let mut bytes = hex::decode(text).expect("hex");
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0x01;
            Value::String(hex::encode(bytes))
        }
        Value::String(text) => {
            if let Ok(n) = text.parse::<u64>() {
                return Value::String((n + 1).to_string());
            }
            if let Some((a, b)) = text.split_once('/') {
                if let (Ok(a), Ok(_)) = (a.parse::<u64>(), b.parse::<u64>()) {
                    return Value::String(format!("{}/{b}", a + 1));
                }
            }
            Value::String(format!("{text}x"))
        }
        Value::Number(n) => Value::from(n.as_u64().expect("record integers are unsigned") + 1),
        Value::Bool(b) => Value::Bool(!b),
        Value::Null => Value::from(0),
        other => panic!("not a leaf: {other}"),
    }
}

/// `text` with the leaf replaced by `replacement` (every other byte unchanged).
pub fn splice(text: &str, leaf: &Leaf, replacement: &Value) -> String {
    let encoded = serde_json::to_string(replacement).expect("encode leaf");
    format!(
        "{}{}{}",
        &text[..leaf.span.0],
        encoded,
        &text[leaf.span.1..]
    )
}

/// Keeps every leaf of the first `per_pattern` occurrences of each pattern.
pub fn sample_by_pattern(leaves: Vec<Leaf>, per_pattern: usize) -> Vec<Leaf> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    leaves
        .into_iter()
        .filter(|leaf| {
            let count = seen.entry(leaf.pattern.clone()).or_insert(0);
            *count += 1;
            *count <= per_pattern
        })
        .collect()
}

// ----- the board as JSON, for the voter's checks -------------------------------------------------

/// The board's lines as JSON values.
pub fn board(dir: &Path) -> Vec<Value> {
    read_lines(dir, saylau::record::BALLOTS)
        .iter()
        .map(|line| serde_json::from_str(line).expect("a ballot line"))
        .collect()
}

pub fn credential(line: &Value) -> String {
    line["ballot"]["body"]["credential"]
        .as_str()
        .expect("a credential")
        .to_string()
}

/// The index of a line whose credential casts no later ballot, and of one that is revoted.
pub fn last_and_superseded(lines: &[Value]) -> (usize, usize) {
    let later = |i: usize| {
        lines[i + 1..]
            .iter()
            .position(|l| credential(l) == credential(&lines[i]))
    };
    let last = (0..lines.len())
        .find(|&i| later(i).is_none())
        .expect("a last ballot");
    let superseded = (0..lines.len())
        .find(|&i| later(i).is_some())
        .expect("the demo revotes");
    (last, superseded)
}

/// One `log/checkpoints.jsonl` line: a checkpoint of `size` with `root`, signed by `signer`.
pub fn checkpoint_line(signer: &saylau::log::note::SignerKey, size: u64, root: [u8; 32]) -> String {
    use saylau::log::checkpoint::{Checkpoint, SignedCheckpoint};
    let body = Checkpoint::new(signer.name(), size, root, Vec::new()).expect("a body");
    let note = SignedCheckpoint::sign(body, signer)
        .expect("signed")
        .to_string();
    serde_json::to_string(&saylau::election::CheckpointLine {
        size,
        checkpoint: note,
    })
    .expect("JSON")
}
