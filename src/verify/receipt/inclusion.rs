//! The voter's saved receipt file on a published record (spec `board.md` §3.4): the checkpoint
//! the device saw, the inclusion proof of the ballot's leaf in it, and the published log that
//! must extend it.

use super::{check, check_receipt, CastReport, ReceiptCheck, Verdict};
use crate::crypto::digest::Hash;
use crate::election::{check_log_origin, SavedReceipt, LEAF_SIZE};
use crate::log::checkpoint::{Checkpoint, SignedCheckpoint};
use crate::log::note::Note;
use crate::log::tree::{check_record, leaf_hash, TreeBuilder};
use crate::record::{ElectionInfo, Record, RecordError, ELECTION, LOG_LEAVES};

/// Checks the file a voter's device saved (spec `board.md` §3.4): everything
/// [`check_receipt`] checks, then `inclusion`: the checkpoint the device saw is signed by
/// `election.json`'s `log_key` under the election's origin and its tree includes the leaf of
/// the voter's ballot as found on the board at the receipt's leaf index; and `log`: the
/// published `log/leaves` gives that checkpoint's root, so the board shows everyone the log it
/// showed the device. Without a checkpoint both are notices that say what was not checked.
pub fn check_saved_receipt(
    record: &Record,
    saved: &SavedReceipt,
) -> Result<CastReport, RecordError> {
    let mut report = check_receipt(record, &saved.receipt)?;
    let (info, _) = record.json::<ElectionInfo>(ELECTION)?;
    let Some(text) = &saved.checkpoint else {
        report.checks.push(check(
            "inclusion",
            Verdict::Notice,
            "the receipt file holds no checkpoint (the device stopped waiting for one): the \
             ballot's inclusion in the board's signed log was not checked; \
             `saylau receipt --board` can fetch a proof",
        ));
        return Ok(report);
    };
    let receipt = &saved.receipt;
    let signed = match signed_checkpoint(text, &info) {
        Ok(body) => body,
        Err(why) => {
            report.checks.push(check("inclusion", Verdict::Failed, why));
            return Ok(report);
        }
    };
    let size = signed.size();
    let inclusion = match (&report.leaf, &saved.inclusion) {
        _ if receipt.leaf_index >= size => check(
            "inclusion",
            Verdict::Failed,
            format!(
                "the checkpoint has {size} leaves: it does not cover leaf {}",
                receipt.leaf_index
            ),
        ),
        (_, None) => check(
            "inclusion",
            Verdict::Failed,
            "the receipt file has a checkpoint but no inclusion proof",
        ),
        (None, Some(_)) => check(
            "inclusion",
            Verdict::Failed,
            "the checkpoint is signed, but the ballot's leaf cannot be built: the ballot is \
             not on the board (on-board) or its encodings are not canonical",
        ),
        (Some(leaf), Some(proof)) => {
            match check_record(proof, size, signed.root(), receipt.leaf_index, &leaf.hash()) {
                Ok(()) => check(
                    "inclusion",
                    Verdict::Passed,
                    format!(
                        "the board's signed checkpoint of {size} leaves includes this ballot's \
                         leaf at index {} ({} hashes); witness cosignatures were not checked",
                        receipt.leaf_index,
                        proof.len()
                    ),
                ),
                Err(error) => check(
                    "inclusion",
                    Verdict::Failed,
                    format!(
                        "the inclusion proof does not lead from this ballot's leaf at index {} \
                         to the checkpoint's root ({error})",
                        receipt.leaf_index
                    ),
                ),
            }
        }
    };
    report.checks.push(inclusion);
    report
        .checks
        .push(published_log_check(record, size, signed.root()));
    Ok(report)
}

/// The checkpoint of a note text, signed by `election.json`'s `log_key` under the origin
/// `<host>/saylau/<hex F>` (spec `board.md` §7.6).
fn signed_checkpoint(text: &str, info: &ElectionInfo) -> Result<Checkpoint, String> {
    let note = Note::parse(text.as_bytes()).map_err(|e| format!("not a signed note: {e}"))?;
    let body = Checkpoint::parse(note.text()).map_err(|e| format!("not a checkpoint: {e}"))?;
    check_log_origin(body.origin(), &info.fingerprint)?;
    let key = crate::verify::log::log_verifier(info, body.origin())?;
    SignedCheckpoint::open(text.as_bytes(), &key, body.origin())
        .map_err(|e| format!("the checkpoint is not signed by election.json's log_key: {e}"))?;
    Ok(body)
}

/// `log`: the first `size` leaves of the published `log/leaves` give `root`.
fn published_log_check(record: &Record, size: u64, root: &Hash) -> ReceiptCheck {
    let unread = |error: String| {
        check(
            "log",
            Verdict::Notice,
            format!("{LOG_LEAVES} cannot be read ({error}): the published log was not compared with the checkpoint"),
        )
    };
    let path = record.path(LOG_LEAVES);
    let file = match std::fs::metadata(&path) {
        Ok(metadata) if metadata.is_file() => std::fs::File::open(&path),
        Ok(_) => return unread("not a regular file".into()),
        Err(error) => Err(error),
    };
    let mut reader = match file {
        Ok(file) => std::io::BufReader::new(file),
        Err(error) => return unread(error.to_string()),
    };
    let mut tree = TreeBuilder::new();
    let mut leaf = [0u8; LEAF_SIZE];
    while tree.size() < size {
        match std::io::Read::read_exact(&mut reader, &mut leaf) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => {
                return check(
                    "log",
                    Verdict::Failed,
                    format!(
                        "the board signed a checkpoint of {size} leaves but publishes {}: the \
                         signed checkpoint is evidence of the board's fault",
                        tree.size()
                    ),
                )
            }
            Err(error) => return unread(error.to_string()),
        }
        if tree.push(leaf_hash(&leaf)).is_err() {
            break;
        }
    }
    if tree.root() == *root {
        check(
            "log",
            Verdict::Passed,
            format!("the published {LOG_LEAVES} extends the checkpoint your device saw"),
        )
    } else {
        check(
            "log",
            Verdict::Failed,
            format!(
                "the first {size} leaves of the published {LOG_LEAVES} do not give the root the \
                 board signed for your device: the board showed two different logs, and the \
                 signed checkpoint proves it"
            ),
        )
    }
}
