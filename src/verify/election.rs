//! Checks 1–5 (spec `verifier.md` §2): the record index, the manifest, the key ceremony, the
//! credentials and the election fingerprint.

use super::report::{Report, Status};
use crate::ceremony::CeremonyRecord;
use crate::crypto::digest::Hash;
use crate::crypto::elgamal::PublicKey;
use crate::manifest::Manifest;
use crate::record::{
    file_hash, invalid_credentials, ElectionInfo, FileEntry, Record, RecordIndex, CEREMONY,
    CREDENTIALS, ELECTION, INDEX, MANIFEST,
};

use std::collections::HashSet;

/// A file hash as check 1 gets it, or why it could not be computed.
pub(crate) type FileHashResult = Result<Hash, String>;

/// What the checks of one stage hand to the next.
pub(crate) struct Context {
    pub(crate) manifest: Manifest,
    pub(crate) fingerprint: Hash,
    pub(crate) key: PublicKey,
    pub(crate) ceremony: CeremonyRecord,
    pub(crate) listed: HashSet<[u8; 32]>,
    /// The file hash of `credentials.json`, computed as check 4 streamed it.
    pub(crate) credentials_hash: Hash,
}

/// What a trustee runs before decrypting (spec `ceremony.md` §14.6): checks 2–12 over the record as it
/// stands before decryption. Returns the verified encrypted tally, or the report if any of
/// Check 1: `record.json` lists exactly the record's files with their hashes and root. `files`
/// are the indexed files with their hashes, except those in `streamed` (hashed by the checks that
/// read them) and any that were not streamed after all, which are hashed here.
pub(crate) fn check_index(
    record: &Record,
    files: Result<Vec<(String, Option<FileHashResult>)>, String>,
    streamed: Vec<(&'static str, FileHashResult)>,
    report: &mut Report,
) {
    let published: RecordIndex = match record.json(INDEX) {
        Ok((index, _)) => index,
        Err(error) => return report.fail(1, INDEX, error.to_string()),
    };
    report.record_root = Some(hex::encode(published.root));
    let files = match files {
        Ok(files) => files,
        Err(error) => return report.fail(1, "record", error),
    };
    let mut entries = Vec::with_capacity(files.len());
    for (name, hash) in files {
        let hash =
            hash.unwrap_or_else(
                || match streamed.iter().find(|(streamed, _)| *streamed == name) {
                    Some((_, hash)) => hash.clone(),
                    None => record.file_hash(&name).map_err(|e| e.to_string()),
                },
            );
        match hash {
            Ok(hash) => entries.push(FileEntry { name, hash }),
            Err(error) => return report.fail(1, name, error),
        }
    }
    let actual = RecordIndex::chain(entries);
    for entry in &actual.files {
        match published.files.iter().find(|f| f.name == entry.name) {
            None => report.fail(1, &entry.name, "file is not listed in record.json"),
            Some(listed) if listed.hash != entry.hash => {
                report.fail(1, &entry.name, "file hash differs from record.json")
            }
            Some(_) => {}
        }
    }
    for listed in &published.files {
        if !actual.files.iter().any(|f| f.name == listed.name) {
            report.fail(1, &listed.name, "listed in record.json but missing");
        }
    }
    // Each indexed file once, in chain order: one record, one index file.
    let same_list = published.files.len() == actual.files.len()
        && published
            .files
            .iter()
            .zip(&actual.files)
            .all(|(listed, entry)| listed.name == entry.name);
    if !same_list && report.check(1).status != Status::Failed {
        report.fail(
            1,
            "record.json: files",
            "must list each indexed file once, in chain order",
        );
    }
    if actual.root != published.root && report.check(1).status != Status::Failed {
        report.fail(
            1,
            "record.json: root",
            "the root is not the chain of the listed hashes",
        );
    }
    report.item(1, actual.files.len() as u64);
}

/// Check 4 on the encodings of `credentials.json`: each a credential
/// ([`invalid_credentials`]), none listed twice. Returns the listed set.
fn check_credentials(encodings: &[[u8; 32]], report: &mut Report) -> HashSet<[u8; 32]> {
    let culprit = |i: usize| format!("{}: credentials[{i}]", CREDENTIALS);
    for (i, error) in invalid_credentials(encodings) {
        report.fail(4, culprit(i), error.to_string());
    }
    let mut listed = HashSet::with_capacity(encodings.len());
    for (i, encoding) in encodings.iter().enumerate() {
        if !listed.insert(*encoding) {
            report.fail(4, culprit(i), "listed twice");
        }
    }
    report.item(4, encodings.len() as u64);
    listed
}

/// Checks 2–5: manifest, ceremony, credentials, fingerprint.
pub(crate) fn check_election(record: &Record, report: &mut Report) -> Option<Context> {
    let manifest = match record.json::<Manifest>(MANIFEST) {
        Err(error) => {
            report.fail(2, MANIFEST, error.to_string());
            None
        }
        Ok((manifest, bytes)) => {
            let problems = manifest.check();
            for problem in &problems {
                report.fail(
                    2,
                    format!("manifest.json: {}", problem.path),
                    &problem.message,
                );
            }
            report.item(2, 1);
            problems
                .is_empty()
                .then(|| (manifest, Manifest::hash_bytes(&bytes)))
        }
    };
    let ceremony = match record.json::<CeremonyRecord>(CEREMONY) {
        Err(error) => {
            report.fail(3, CEREMONY, error.to_string());
            None
        }
        Ok((ceremony, bytes)) => {
            report.item(3, ceremony.trustees.len() as u64);
            let mut ok = true;
            if let Err(error) = ceremony.verify() {
                report.fail(3, CEREMONY, error.to_string());
                ok = false;
            }
            // Spec ceremony.md §14.5: a ceremony run by separate trustees leaves its signed
            // transcript in the record; the qualified set must follow from it.
            match crate::trustee::audit_record(record, &ceremony) {
                Ok(true) => {}
                Ok(false) if ceremony.disqualified.is_empty() => {}
                Ok(false) => {
                    report.fail(3, "ceremony.json: disqualified", "trustees are disqualified but the record has no ceremony transcript to justify it");
                    ok = false;
                }
                Err(error) => {
                    report.fail(3, "ceremony/ (transcript)", error.to_string());
                    ok = false;
                }
            }
            if let Some((_, manifest_hash)) = &manifest {
                if &ceremony.manifest_hash != manifest_hash {
                    report.fail(
                        3,
                        "ceremony.json: manifest_hash",
                        "the ceremony was run for another manifest",
                    );
                    ok = false;
                }
            }
            ok.then(|| (ceremony, file_hash(&bytes)))
        }
    };
    let credentials = match record.credential_encodings() {
        Err(error) => {
            report.fail(4, CREDENTIALS, error.to_string());
            None
        }
        Ok((encodings, hash)) => Some((check_credentials(&encodings, report), hash)),
    };
    let info = match record.json::<ElectionInfo>(ELECTION) {
        Err(error) => {
            report.fail(5, ELECTION, error.to_string());
            None
        }
        Ok((info, _)) => Some(info),
    };
    let ((manifest, manifest_hash), (ceremony, ceremony_hash), (listed, credentials_hash), info) =
        (manifest?, ceremony?, credentials?, info?);
    let expected = ElectionInfo::new(
        manifest_hash,
        ceremony_hash,
        credentials_hash,
        ceremony.joint_key,
        info.board_key,
        info.log_key,
        info.commission_key,
        info.witness_policy.clone(),
        crate::election::trustee_identities(record),
    );
    if let Err(error) = info.witness_policy.check() {
        report.fail(5, "election.json: witness_policy", error);
    }
    let fields: [(&str, bool); 7] = [
        ("version", info.version == expected.version),
        (
            "manifest_hash",
            info.manifest_hash == expected.manifest_hash,
        ),
        (
            "ceremony_hash",
            info.ceremony_hash == expected.ceremony_hash,
        ),
        (
            "credentials_hash",
            info.credentials_hash == expected.credentials_hash,
        ),
        ("joint_key", info.joint_key == expected.joint_key),
        (
            "trustee_identities",
            info.trustee_identities == expected.trustee_identities,
        ),
        ("fingerprint", info.fingerprint == expected.fingerprint),
    ];
    for (field, matches) in fields {
        if !matches {
            report.fail(
                5,
                format!("election.json: {field}"),
                match field {
                    "fingerprint" => "does not match the value recomputed from the record, board_key, log_key and witness_policy",
                    "trustee_identities" if expected.trustee_identities => "is false, but the record holds the ceremony transcript ceremony/ of trustees with signed identities",
                    "trustee_identities" => "is true, but the record has no ceremony transcript ceremony/",
                    _ => "does not match the value recomputed from the record",
                },
            );
        }
    }
    report.item(5, 1);
    if report.checks[..5]
        .iter()
        .any(|c| c.status != Status::Passed && c.id != 1)
    {
        return None;
    }
    Some(Context {
        manifest,
        fingerprint: expected.fingerprint,
        key: ceremony.joint_key,
        ceremony,
        listed,
        credentials_hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{self, FileEntry, RecordIndex};
    use crate::verify::CheckReport;

    /// Check 1 compares the hashes of the bytes the other checks streamed, and hashes a file
    /// itself only when no check streamed it to the end.
    #[test]
    fn check_one_uses_the_hash_of_the_bytes_that_were_checked() {
        let dir = std::env::temp_dir().join(format!("saylau-check-one-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ballots = b"{}\n".to_vec();
        std::fs::write(dir.join(record::BALLOTS), &ballots).unwrap();
        let manifest_hash = [1u8; 32];
        let on_disk = record::file_hash(&ballots);
        let published = RecordIndex::chain(vec![
            FileEntry {
                name: record::MANIFEST.into(),
                hash: manifest_hash,
            },
            FileEntry {
                name: record::BALLOTS.into(),
                hash: on_disk,
            },
        ]);
        record::write_json(&dir, record::INDEX, &published).unwrap();
        let run = |streamed: Vec<(&'static str, FileHashResult)>| {
            let files = vec![
                (record::MANIFEST.to_string(), Some(Ok(manifest_hash))),
                (record::BALLOTS.to_string(), None),
            ];
            let mut report = Report::new();
            check_index(&Record::at(&dir), Ok(files), streamed, &mut report);
            report.check(1).clone()
        };
        let culprits = |check: &CheckReport| -> Vec<(String, String)> {
            check
                .failures
                .iter()
                .map(|f| (f.culprit.clone(), f.detail.clone()))
                .collect()
        };

        // Streamed bytes that match the index pass; so does hashing the file when not streamed.
        assert_eq!(
            run(vec![(record::BALLOTS, Ok(on_disk))]).status,
            Status::Passed
        );
        assert_eq!(run(vec![]).status, Status::Passed);
        // The checks saw other bytes than the file holds now: check 1 fails on what was checked.
        let other = record::file_hash(b"{\"x\":1}\n");
        let check = run(vec![(record::BALLOTS, Ok(other))]);
        assert_eq!(check.status, Status::Failed);
        assert_eq!(
            culprits(&check),
            [(
                record::BALLOTS.to_string(),
                "file hash differs from record.json".to_string()
            )]
        );
        // A file that changed while it was streamed is named with why.
        let check = run(vec![(record::BALLOTS, Err("changed".into()))]);
        assert_eq!(
            culprits(&check),
            [(record::BALLOTS.to_string(), "changed".to_string())]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
