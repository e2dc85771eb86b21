//! What a voter checks with a receipt, on the published record (spec `board.md` §3.3).
//!
//! A voter who cast a ballot holds the board's signed receipt (spec `board.md` §3.1);
//! [`check_receipt`] checks the signature and then everything [`check_cast`] checks, which also
//! serves a voter who kept only the tracking code (and noted the ballot hash the device showed):
//! it finds the ballot on the board and checks its place in the chain of tracking codes, that no
//! later ballot carries the same credential, and that the tally covers it.
//! A voter who challenged a ballot holds its ballot hash; [`check_challenged`] finds it among the
//! challenged ballots, checks the device's opening and returns what the device encrypted.
//!
//! These are one voter's checks, over the one ballot and the chain: the whole record is
//! `saylau verify`'s job.

mod inclusion;

pub use inclusion::check_saved_receipt;

use crate::ballot::{Ballot, BallotBody, ChallengedBallot};
use crate::crypto::digest::Hash;
use crate::crypto::group::hash_hex;
use crate::election::{tally_record, Election, Leaf, LeafKind, Receipt, LEAF_SIZE};
use crate::manifest::Manifest;
use crate::record::{
    decode_ballot_line, decode_json, tracking_link, ChallengedLine, ElectionInfo, Record,
    RecordError, BALLOTS, CHALLENGED, ELECTION, MANIFEST, TALLY,
};

use crate::tally::EncryptedTally;
use serde::{Deserialize, Serialize};

/// The outcome of one receipt check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The check holds.
    Passed,
    /// The check fails: the voter has evidence to report.
    Failed,
    /// Nothing is wrong yet, but the voter must judge (a later ballot with their credential) or
    /// come back later (no tally yet).
    Notice,
}

/// One receipt check, by its name in `board.md` §3.3.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReceiptCheck {
    /// `on-board`, `ballot-hash`, `ballot`, `chain`, `credential`, `tally`; or `challenged`,
    /// `opening` for a challenged ballot.
    pub name: &'static str,
    /// The outcome.
    pub verdict: Verdict,
    /// What was found, in words.
    pub detail: String,
}

/// What [`check_cast`] found.
#[derive(Clone, Debug, Serialize)]
pub struct CastReport {
    /// The tracking code looked for, hex.
    pub tracking_code: String,
    /// Its line in `ballots.jsonl`, if found.
    pub line: Option<u64>,
    /// Its position among the cast ballots (the receipt's position), if found.
    pub position: Option<u64>,
    /// Ballots on the board (non-empty lines of `ballots.jsonl`) up to the first line that
    /// does not decode, if any.
    pub board_size: u64,
    /// The checks, in the order of `board.md` §3.3.
    pub checks: Vec<ReceiptCheck>,
    /// The log leaf of the voter's line (`board.md` §7.1), if found and well formed.
    #[serde(skip)]
    leaf: Option<Leaf>,
}

/// What [`check_challenged`] found.
#[derive(Clone, Debug, Serialize)]
pub struct ChallengedReport {
    /// The ballot hash looked for, hex.
    pub ballot_hash: String,
    /// Its line in `challenged.jsonl`, if found.
    pub line: Option<u64>,
    /// The checks.
    pub checks: Vec<ReceiptCheck>,
    /// What the device encrypted, contest by contest (empty unless the opening holds).
    pub choices: Vec<ContestChoices>,
}

/// One contest of a challenged ballot, as the device encrypted it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContestChoices {
    /// The contest's manifest id.
    pub id: String,
    /// The contest's title.
    pub contest: String,
    /// Each option with a non-zero value.
    pub chosen: Vec<Choice>,
}

/// An option of a challenged ballot with the value the device encrypted for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Choice {
    /// The option's manifest id.
    pub id: String,
    /// The option's label.
    pub label: String,
    /// The value: 1 for a plain choice, the score or count otherwise.
    pub value: u64,
}

/// True when no check failed.
fn no_failure(checks: &[ReceiptCheck]) -> bool {
    checks.iter().all(|check| check.verdict != Verdict::Failed)
}

impl CastReport {
    /// True when no check failed (notices need the voter's judgement, not a report).
    pub fn passed(&self) -> bool {
        no_failure(&self.checks)
    }
}

impl ChallengedReport {
    /// True when the ballot was found and its opening holds.
    pub fn passed(&self) -> bool {
        self.line.is_some() && no_failure(&self.checks)
    }
}

fn check(name: &'static str, verdict: Verdict, detail: impl Into<String>) -> ReceiptCheck {
    ReceiptCheck {
        name,
        verdict,
        detail: detail.into(),
    }
}

/// The fields of a `ballots.jsonl` line that the chain needs; the rest is skipped unread.
#[derive(Deserialize)]
struct ChainLine {
    #[serde(with = "hash_hex")]
    tracking_code: Hash,
    #[serde(with = "hash_hex")]
    ballot_hash: Hash,
    ballot: ChainBallot,
}

#[derive(Deserialize)]
struct ChainBallot {
    body: ChainBody,
    signature: ChainSignature,
}

#[derive(Deserialize)]
struct ChainBody {
    #[serde(with = "hash_hex")]
    credential: [u8; 32],
}

#[derive(Deserialize)]
struct ChainSignature {
    #[serde(with = "hash_hex")]
    commitment: [u8; 32],
    #[serde(with = "hash_hex")]
    response: [u8; 32],
}

/// The voter's ballot as found on the board.
struct Found {
    line: u64,
    position: u64,
    bytes: Vec<u8>,
    published_hash: Hash,
    credential: [u8; 32],
    signature: [[u8; 32]; 2],
}

impl Found {
    /// The cast leaf of this line (`board.md` §7.1), if its encodings are canonical.
    fn leaf(&self) -> Option<Leaf> {
        let mut bytes = [0u8; LEAF_SIZE];
        bytes[0] = LeafKind::Cast.byte();
        for (i, field) in [
            &self.credential,
            &self.published_hash,
            &self.signature[0],
            &self.signature[1],
        ]
        .into_iter()
        .enumerate()
        {
            bytes[1 + 32 * i..33 + 32 * i].copy_from_slice(field);
        }
        Leaf::decode(&bytes).ok()
    }
}

/// What both receipt checks take as published (spec `board.md` §3.3): `election.json` (`F`, `K`)
/// and the manifest. Whether they are right is `saylau verify`'s checks 1–5.
fn published_election(record: &Record) -> Result<(ElectionInfo, Manifest), RecordError> {
    let (info, _) = record.json::<ElectionInfo>(ELECTION)?;
    let (manifest, _) = record.json::<Manifest>(MANIFEST)?;
    Ok((info, manifest))
}

/// Checks a cast ballot's receipt against the record in `dir` (spec `board.md` §3.3).
/// `ballot_hash` is the hash the device showed, if the voter noted it. Errors only when the
/// record cannot be read at all; everything else is a check's verdict.
pub fn check_cast(
    record: &Record,
    tracking_code: &Hash,
    ballot_hash: Option<&Hash>,
) -> Result<CastReport, RecordError> {
    let (info, manifest) = published_election(record)?;
    cast_checks(record, &info, &manifest, tracking_code, ballot_hash)
}

/// [`check_cast`] on the published `election.json` and manifest already read.
fn cast_checks(
    record: &Record,
    info: &ElectionInfo,
    manifest: &Manifest,
    tracking_code: &Hash,
    ballot_hash: Option<&Hash>,
) -> Result<CastReport, RecordError> {
    let mut reader = record
        .lines(BALLOTS, false)?
        .ok_or_else(|| RecordError::io(BALLOTS, std::io::ErrorKind::NotFound.into()))?;

    // One pass: recompute every link from F (board.md §2), find the voter's line, and note every
    // later line with the same credential.
    let mut previous = info.fingerprint;
    let mut ballots = 0u64;
    let mut last_line = 0u64;
    let mut broken: Option<(u64, String)> = None;
    let mut found: Option<Found> = None;
    let mut later_with_credential: Vec<(u64, Hash)> = Vec::new();
    loop {
        let (line, bytes) = match reader.next_line() {
            Ok(Some(next)) => next,
            Ok(None) => break,
            Err(error) => {
                broken.get_or_insert((last_line + 1, error.to_string()));
                break;
            }
        };
        let link: ChainLine = match serde_json::from_slice(bytes) {
            Ok(link) => link,
            Err(error) => {
                broken.get_or_insert((line, format!("the line does not decode: {error}")));
                break;
            }
        };
        ballots += 1;
        last_line = line;
        let signature = &link.ballot.signature;
        let recomputed = tracking_link(
            &previous,
            &link.ballot_hash,
            &signature.commitment,
            &signature.response,
        );
        if recomputed != link.tracking_code && broken.is_none() {
            broken = Some((
                line,
                "its tracking code is not the link it should be".into(),
            ));
        }
        previous = link.tracking_code;
        match &found {
            None if link.tracking_code == *tracking_code => {
                found = Some(Found {
                    line,
                    position: ballots,
                    bytes: bytes.to_vec(),
                    published_hash: link.ballot_hash,
                    credential: link.ballot.body.credential,
                    signature: [signature.commitment, signature.response],
                });
            }
            Some(mine) if mine.credential == link.ballot.body.credential => {
                later_with_credential.push((line, link.tracking_code));
            }
            _ => {}
        }
    }

    let mut checks = Vec::new();
    let Some(mine) = found else {
        checks.push(check(
            "on-board",
            Verdict::Failed,
            format!(
                "no line of {} carries this tracking code ({ballots} ballots read)",
                BALLOTS
            ),
        ));
        checks.push(chain_check(&broken, ballots));
        return Ok(CastReport {
            tracking_code: hex::encode(tracking_code),
            line: None,
            position: None,
            board_size: ballots,
            checks,
            leaf: None,
        });
    };
    checks.push(check(
        "on-board",
        Verdict::Passed,
        format!("{} line {}, position {}", BALLOTS, mine.line, mine.position),
    ));
    checks.push(match ballot_hash {
        Some(shown) if *shown == mine.published_hash => check(
            "ballot-hash",
            Verdict::Passed,
            "the board's ballot hash is the one the device showed",
        ),
        Some(_) => check(
            "ballot-hash",
            Verdict::Failed,
            format!(
                "the board shows ballot hash {}, not the one the device showed",
                hex::encode(mine.published_hash)
            ),
        ),
        None => check(
            "ballot-hash",
            Verdict::Notice,
            format!(
                "compare with the hash the device showed: {}",
                hex::encode(mine.published_hash)
            ),
        ),
    });
    checks.push(ballot_check(&mine, manifest, info));
    checks.push(chain_check(&broken, ballots));
    checks.push(if later_with_credential.is_empty() {
        check(
            "credential",
            Verdict::Passed,
            "no later ballot carries this ballot's credential: it is the one counted",
        )
    } else {
        let lines: Vec<String> = later_with_credential
            .iter()
            .map(|(line, code)| format!("line {line} (tracking code {})", hex::encode(code)))
            .collect();
        check(
            "credential",
            Verdict::Notice,
            format!(
                "later ballots carry the same credential and replace this one: {}. If you did not \
                 cast them, someone else used your credential",
                lines.join(", ")
            ),
        )
    });
    checks.push(tally_check(record, mine.position, ballots, &previous)?);
    Ok(CastReport {
        tracking_code: hex::encode(tracking_code),
        line: Some(mine.line),
        position: Some(mine.position),
        board_size: ballots,
        checks,
        leaf: mine.leaf(),
    })
}

/// Checks a signed receipt (spec `board.md` §3.1, §3.3): first the board's signature
/// (`signature`), then everything [`check_cast`] checks for its tracking code and ballot hash,
/// and that the ballot sits at the receipt's position (`position`). A valid signature on a
/// receipt whose ballot is missing or moved is evidence against the board, and the report says
/// so.
pub fn check_receipt(record: &Record, receipt: &Receipt) -> Result<CastReport, RecordError> {
    let (info, manifest) = published_election(record)?;
    let signature = if receipt.election != info.fingerprint {
        check(
            "signature",
            Verdict::Failed,
            format!(
                "the receipt is for election {}, this record is election {}",
                hex::encode(receipt.election),
                hex::encode(info.fingerprint)
            ),
        )
    } else {
        match receipt.verify(&info.board_key) {
            Ok(()) => check(
                "signature",
                Verdict::Passed,
                "signed with the board key that election.json publishes",
            ),
            Err(error) => check(
                "signature",
                Verdict::Failed,
                format!(
                    "the board's signature does not verify ({error}): the board did not issue this receipt as it reads now"
                ),
            ),
        }
    };
    let signed = signature.verdict == Verdict::Passed;
    let mut report = cast_checks(
        record,
        &info,
        &manifest,
        &receipt.tracking_code,
        Some(&receipt.ballot_hash),
    )?;
    let evidence =
        "; the board signed this receipt, so the receipt proves the board's fault: keep the file";
    if let Some(position) = report.position {
        let at = report
            .checks
            .iter()
            .position(|c| c.name == "on-board")
            .map_or(0, |i| i + 1);
        let verdict = if position == receipt.position {
            check(
                "position",
                Verdict::Passed,
                format!("the ballot is at position {position}, as the receipt says"),
            )
        } else {
            check(
                "position",
                Verdict::Failed,
                format!(
                    "the ballot is at position {position}, the receipt says {}{}",
                    receipt.position,
                    if signed { evidence } else { "" }
                ),
            )
        };
        report.checks.insert(at, verdict);
    }
    if signed {
        for failed in report
            .checks
            .iter_mut()
            .filter(|c| c.verdict == Verdict::Failed && matches!(c.name, "on-board" | "tally"))
        {
            failed.detail.push_str(evidence);
        }
    }
    report.checks.insert(0, signature);
    Ok(report)
}

/// `ballot`: the voter's line decodes, its ballot hash is that of its body, and its proofs and
/// signature verify.
fn ballot_check(mine: &Found, manifest: &Manifest, info: &ElectionInfo) -> ReceiptCheck {
    let decoded = match decode_ballot_line(mine.line, &mine.bytes) {
        Ok(decoded) => decoded,
        Err(error) => return check("ballot", Verdict::Failed, error.to_string()),
    };
    let ballot: &Ballot = &decoded.ballot;
    if ballot.body.hash() != mine.published_hash {
        return check(
            "ballot",
            Verdict::Failed,
            "the published ballot hash is not the hash of the ballot's contents",
        );
    }
    match ballot.verify(manifest, &info.fingerprint, &info.joint_key) {
        Ok(()) => check(
            "ballot",
            Verdict::Passed,
            "its hash is that of its contents; its proofs and signature verify",
        ),
        Err(error) => check("ballot", Verdict::Failed, error.to_string()),
    }
}

/// `chain`: every link from the election fingerprint to the last line.
fn chain_check(broken: &Option<(u64, String)>, ballots: u64) -> ReceiptCheck {
    match broken {
        None => check(
            "chain",
            Verdict::Passed,
            format!(
                "all {ballots} links recompute, from the election fingerprint to the last ballot"
            ),
        ),
        Some((line, why)) => check(
            "chain",
            Verdict::Failed,
            format!("{} line {line}: {why}", BALLOTS),
        ),
    }
}

/// `tally`: the encrypted tally covers the voter's ballot (at `position`) and ends where the
/// board ends (`ballots` ballots, the last with code `last`).
fn tally_check(
    record: &Record,
    position: u64,
    ballots: u64,
    last: &Hash,
) -> Result<ReceiptCheck, RecordError> {
    if !record.path(TALLY).exists() {
        return Ok(check(
            "tally",
            Verdict::Notice,
            "no tally yet: check again once tally.json is published",
        ));
    }
    let (tally, _) = record.json::<EncryptedTally>(TALLY)?;
    Ok(if tally.board_size < position {
        check(
            "tally",
            Verdict::Failed,
            format!(
                "tally.json covers the first {} ballots only: this ballot was left out",
                tally.board_size
            ),
        )
    } else if tally.board_size != ballots || tally.last_tracking_code != *last {
        check(
            "tally",
            Verdict::Failed,
            format!(
                "tally.json ends the board at {} ballots, the board has {ballots}",
                tally.board_size
            ),
        )
    } else {
        // The end of the board matches; the sums must be the board's too (issue 18 item 9):
        // a tally.json with this ballot's ciphertexts subtracted keeps its size and last code.
        match recomputed_tally(record) {
            Err(why) => check(
                "tally",
                Verdict::Failed,
                format!("the tally could not be recomputed from the board: {why}"),
            ),
            Ok(recomputed)
                if recomputed.contests != tally.contests
                    || recomputed.participants != tally.participants =>
            {
                check(
                    "tally",
                    Verdict::Failed,
                    "tally.json's sums are not the sums of the board's counted ballots, recomputed here: this ballot may not be counted",
                )
            }
            Ok(_) => check(
                "tally",
                Verdict::Passed,
                format!(
                    "tally.json covers the whole board ({ballots} ballots), this ballot included; its sums are the board's, recomputed here"
                ),
            ),
        }
    })
}

/// The encrypted tally recomputed from the board, as the board publishes it (spec `ballot.md`
/// §10): the last ballot of each credential, summed.
fn recomputed_tally(record: &Record) -> Result<EncryptedTally, String> {
    let election = Election::open(record).map_err(|e| e.to_string())?;
    tally_record(record, &election).map_err(|e| e.to_string())
}

/// Finds a challenged ballot by the hash the device showed and checks the device's opening
/// (spec `board.md` §3.3, `ballot.md` §8.3): the revealed plaintexts and nonces give the
/// published ciphertexts, and the proofs verify. Returns what the device encrypted, with labels
/// in `language` where the manifest has them.
pub fn check_challenged(
    record: &Record,
    ballot_hash: &Hash,
    language: Option<&str>,
) -> Result<ChallengedReport, RecordError> {
    let (info, manifest) = published_election(record)?;
    let mut report = ChallengedReport {
        ballot_hash: hex::encode(ballot_hash),
        line: None,
        checks: Vec::new(),
        choices: Vec::new(),
    };
    let Some(mut reader) = record.lines(CHALLENGED, true)? else {
        report.checks.push(check(
            "challenged",
            Verdict::Failed,
            format!("{} is missing", CHALLENGED),
        ));
        return Ok(report);
    };
    /// The one field the search needs; the rest of a line is skipped unread.
    #[derive(Deserialize)]
    struct HashOnly {
        #[serde(with = "hash_hex")]
        ballot_hash: Hash,
    }
    while let Some((line, bytes)) = reader.next_line()? {
        let published: HashOnly = decode_json(CHALLENGED, Some(line), bytes)?;
        if published.ballot_hash != *ballot_hash {
            continue;
        }
        // Only the line searched for is decoded in full, its points decompressed.
        let entry: ChallengedLine = decode_json(CHALLENGED, Some(line), bytes)?;
        report.line = Some(line);
        report.checks.push(check(
            "challenged",
            Verdict::Passed,
            format!("{} line {line}", CHALLENGED),
        ));
        let opened: &ChallengedBallot = &entry.challenged;
        let opening = if opened.body.hash() != *ballot_hash {
            Err("the published ballot hash is not the hash of the ballot's contents".to_string())
        } else {
            opened
                .check(&manifest, &info.fingerprint, &info.joint_key)
                .map_err(|error| error.to_string())
        };
        match opening {
            Ok(()) => {
                report.checks.push(check(
                    "opening",
                    Verdict::Passed,
                    "the revealed choices and nonces give the published ciphertexts; the proofs verify",
                ));
                report.choices = choices(&manifest, &opened.plaintexts, language);
            }
            Err(why) => report.checks.push(check("opening", Verdict::Failed, why)),
        }
        report
            .checks
            .push(not_cast_check(record, ballot_hash, &opened.body)?);
        return Ok(report);
    }
    report.checks.push(check(
        "challenged",
        Verdict::Failed,
        format!("no line of {} carries this ballot hash", CHALLENGED),
    ));
    Ok(report)
}

/// `not-cast`: no cast ballot carries a challenged ballot's hash: its choices are public, so it
/// must never be counted (`ballot.md §8`, verifier check 11).
/// The fields of a cast line that the not-cast check probes; the rest is skipped unread.
#[derive(Deserialize)]
struct CastProbe {
    #[serde(with = "hash_hex")]
    ballot_hash: Hash,
    ballot: ProbeBallot,
}

#[derive(Deserialize)]
struct ProbeBallot {
    body: ProbeBody,
}

#[derive(Deserialize)]
struct ProbeBody {
    contests: First<ProbeContest>,
}

#[derive(Deserialize)]
struct ProbeContest {
    options: First<ProbeOption>,
}

#[derive(Deserialize)]
struct ProbeOption {
    ciphertext: ProbeCiphertext,
}

#[derive(Deserialize)]
struct ProbeCiphertext {
    #[serde(with = "hash_hex")]
    alpha: [u8; 32],
}

/// The first element of a JSON array, the others skipped unread: the probe needs one ciphertext
/// per line, not a vector of all of them.
struct First<T>(Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for First<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Visit<T> {
            type Value = First<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<First<T>, A::Error> {
                let first = seq.next_element()?;
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(First(first))
            }
        }
        deserializer.deserialize_seq(Visit(std::marker::PhantomData))
    }
}

/// Not-cast (spec `board.md` §3.3): no cast ballot is the challenged one. The `ballot_hash`
/// field of a cast line is the board's claim, so it is not what is compared: a line counts as a
/// cast copy when the hash recomputed from its body is `ballot_hash`. A line is decoded in full
/// only when its first ciphertext is the challenged ballot's (ciphertexts are random, so only a
/// copy matches), or when its published hash is the challenged one.
fn not_cast_check(
    record: &Record,
    ballot_hash: &Hash,
    challenged: &BallotBody,
) -> Result<ReceiptCheck, RecordError> {
    let Some(mut reader) = record.lines(BALLOTS, true)? else {
        return Ok(check("not-cast", Verdict::Passed, "the board is empty"));
    };
    let first_alpha = challenged
        .contests
        .first()
        .and_then(|contest| contest.options.first())
        .map(|option| *option.ciphertext.alpha.as_bytes());
    let cast_here = |line: u64| {
        check(
            "not-cast",
            Verdict::Failed,
            format!(
                "{} line {line} casts this challenged ballot, whose choices are public",
                BALLOTS
            ),
        )
    };
    while let Some((line, bytes)) = reader.next_line()? {
        let probe: CastProbe = decode_json(BALLOTS, Some(line), bytes)?;
        if probe.ballot_hash == *ballot_hash {
            return Ok(cast_here(line));
        }
        let probe_alpha = probe
            .ballot
            .body
            .contests
            .0
            .and_then(|contest| contest.options.0)
            .map(|option| option.ciphertext.alpha);
        if probe_alpha.is_some() && probe_alpha == first_alpha {
            let entry = decode_ballot_line(line, bytes)?;
            if entry.ballot.body.hash() == *ballot_hash {
                return Ok(cast_here(line));
            }
        }
    }
    Ok(check(
        "not-cast",
        Verdict::Passed,
        "no cast ballot's contents hash to this ballot hash: it is not counted",
    ))
}

/// The non-zero plaintexts of a ballot, labelled.
fn choices(
    manifest: &Manifest,
    plaintexts: &[Vec<u64>],
    language: Option<&str>,
) -> Vec<ContestChoices> {
    manifest
        .contests
        .iter()
        .zip(plaintexts)
        .map(|(contest, values)| ContestChoices {
            id: contest.id.clone(),
            contest: manifest.label_in(&contest.title, language).to_string(),
            chosen: contest
                .options
                .iter()
                .zip(values)
                .filter(|(_, &value)| value > 0)
                .map(|(option, &value)| Choice {
                    id: option.id.clone(),
                    label: manifest.label_in(&option.label, language).to_string(),
                    value,
                })
                .collect(),
        })
        .collect()
}
