//! The ceremony directory's slots (spec `ceremony.md` §12.4): reading and checking every
//! published message, and publishing without ever overwriting.

use super::envelope::{CommitBody, Envelope, RevealBody, Round2Body};
use super::error::{io_error, TrusteeError};
use super::setup::{CeremonyDir, PARAMETERS_FILE};
use super::stage::{Stage, STAGES};
use crate::record::{self};
use crate::record::{create_temporary, sync_folder, Access};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fs;
use std::path::Path;

/// What the directory holds for one slot of one trustee.
type Slot<B> = Option<Envelope<B>>;

impl CeremonyDir {
    /// Reads and checks one slot; `None` if the file is absent.
    pub fn read<B: Serialize + DeserializeOwned>(
        &self,
        stage: Stage,
        author: u32,
    ) -> Result<Slot<B>, TrusteeError> {
        let file = stage.file(author);
        if !self.path.join(&file).exists() {
            return Ok(None);
        }
        let (envelope, _): (Envelope<B>, _) = record::read_json(&self.path, &file)?;
        envelope.check(self, &file, stage, author)?;
        Ok(Some(envelope))
    }

    /// Checks every entry of the ceremony directory (spec §12): the top level holds only
    /// `parameters.json` and the slot directories, and a slot directory only its slot files, each
    /// a valid message of its author. Anything else (a stray file, a hidden file, another
    /// folder, a slot that is not a folder) is refused by name before anything is written. The
    /// one exception is a publisher's in-flight temporary file (§12.4), which is never read.
    pub fn check_all(&self) -> Result<(), TrusteeError> {
        let unexpected = |name: &str| {
            TrusteeError::invalid(name, "unexpected file in the ceremony directory; remove it")
        };
        for name in entries(&self.path)? {
            let is_slot = STAGES.iter().any(|stage| stage.name() == name);
            let is_dir = fs::symlink_metadata(self.path.join(&name))
                .map(|m| m.is_dir())
                .unwrap_or(false);
            if !(name == PARAMETERS_FILE || is_slot && is_dir) {
                return Err(unexpected(&name));
            }
        }
        for stage in STAGES {
            let dir = self.path.join(stage.name());
            if !dir.exists() {
                continue;
            }
            for name in entries(&dir)? {
                let file = format!("{}/{name}", stage.name());
                if is_temporary(&name) {
                    continue;
                }
                let index = slot_index(stage, &name)
                    .filter(|&i| self.params.check_index(i).is_ok())
                    .ok_or_else(|| unexpected(&file))?;
                match stage {
                    Stage::Commit => self.read::<CommitBody>(stage, index).map(|_| ())?,
                    Stage::Reveal => self.read::<RevealBody>(stage, index).map(|_| ())?,
                    Stage::Round2 => self.read::<Round2Body>(stage, index).map(|_| ())?,
                    Stage::Decryption => return Err(unexpected(&file)),
                }
            }
        }
        Ok(())
    }

    pub(crate) fn all<B: Serialize + DeserializeOwned>(
        &self,
        stage: Stage,
        step: &'static str,
        skip: &[u32],
    ) -> Result<Vec<Slot<B>>, TrusteeError> {
        let slots = (1..=self.setup.count())
            .map(|i| self.read::<B>(stage, i))
            .collect::<Result<Vec<_>, _>>()?;
        let missing: Vec<String> = slots
            .iter()
            .zip(1..)
            .filter(|(slot, i)| slot.is_none() && !skip.contains(i))
            .map(|(_, i)| self.setup.label(i))
            .collect();
        if !missing.is_empty() {
            return Err(TrusteeError::NotReady {
                step,
                stage,
                missing: missing.join(", "),
            });
        }
        Ok(slots)
    }

    /// Publishes a signed message in its slot (spec §12.4): never overwrites, reports
    /// equivocation if a different message of the same author is already there.
    pub fn publish<B: Serialize + DeserializeOwned>(
        &self,
        envelope: &Envelope<B>,
    ) -> Result<Published, TrusteeError> {
        let file = envelope.kind.file(envelope.author);
        let mut bytes =
            serde_json::to_vec_pretty(envelope).map_err(|e| TrusteeError::usage(e.to_string()))?;
        bytes.push(b'\n');
        match publish_once(&self.path, &file, &bytes)? {
            Published::Written => Ok(Published::Written),
            Published::AlreadyThere => Ok(Published::AlreadyThere),
            Published::Different => {
                if let Ok(Some(existing)) = self.read::<B>(envelope.kind, envelope.author) {
                    if existing.signed_hash()? != envelope.signed_hash()? {
                        return Err(TrusteeError::Equivocation {
                            culprit: envelope.author,
                            stage: envelope.kind,
                        });
                    }
                    return Ok(Published::AlreadyThere);
                }
                Err(TrusteeError::AlreadyPublished { file })
            }
        }
    }
}

/// The names in `dir`, sorted (so the first bad one reported does not depend on the file system).
pub(crate) fn entries(dir: &Path) -> Result<Vec<String>, TrusteeError> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| io_error(dir, e))? {
        let entry = entry.map_err(|e| io_error(dir, e))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// The index `i` of a slot file named exactly `trustee-<i>.json` (no sign, no leading zero).
fn slot_index(stage: Stage, name: &str) -> Option<u32> {
    name.strip_prefix("trustee-")
        .and_then(|rest| rest.strip_suffix(".json"))
        .and_then(|digits| digits.parse::<u32>().ok())
        .filter(|&i| stage.file(i) == format!("{}/{name}", stage.name()))
}

/// A publisher's temporary file, `.trustee-<i>.json.<16 hex>.tmp` (`record.md` §6.5): it exists
/// only while [`publish_once`] links it into place, and is never read.
pub(crate) fn is_temporary(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.').and_then(|r| r.strip_suffix(".tmp")) else {
        return false;
    };
    let Some((slot, random)) = rest.rsplit_once('.') else {
        return false;
    };
    random.len() == 16
        && random
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && slot_index(Stage::Commit, slot).is_some()
}

/// The outcome of [`publish_once`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Published {
    /// The file was created.
    Written,
    /// The same bytes were already there; nothing changed.
    AlreadyThere,
    /// A different file is there; nothing changed.
    Different,
}

/// Creates `dir/name` with `bytes` unless it exists: writes a temporary file, then links it into
/// place (a link never replaces an existing file, so two concurrent writers cannot both win).
pub fn publish_once(dir: &Path, name: &str, bytes: &[u8]) -> Result<Published, TrusteeError> {
    let path = dir.join(name);
    let compare = |path: &Path| -> Result<Published, TrusteeError> {
        let existing = record::read_regular(path).map_err(|e| io_error(path, e))?;
        Ok(if existing == bytes {
            Published::AlreadyThere
        } else {
            Published::Different
        })
    };
    if fs::symlink_metadata(&path).is_ok() {
        return compare(&path);
    }
    let parent = path.parent().unwrap_or(dir);
    fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
    // A temporary file under an unpredictable name, created exclusively (a planted link is never
    // followed), then linked into place: a link never replaces an existing file.
    let (temporary, mut file) =
        create_temporary(parent, name, Access::Public).map_err(|e| io_error(parent, e))?;
    let written = (|| {
        use std::io::Write;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::hard_link(&temporary, &path)?;
        sync_folder(parent)
    })();
    let _ = fs::remove_file(&temporary);
    match written {
        Ok(()) => Ok(Published::Written),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => compare(&path),
        Err(e) => Err(io_error(&path, e)),
    }
}
