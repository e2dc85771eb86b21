//! The trustee's steps of the ceremony (spec `ceremony.md` §12): round 1 (commit, then
//! reveal), round 2 (check the shares received, complain about bad ones), and the sealed file
//! of shares each trustee keeps.

use super::delivery::{complaint_statement, complaint_transcript, encrypt_share, open_share};
use super::directory::Published;
use super::envelope::{
    reveal_hash, CommitBody, Complaint, Envelope, Judged, RevealBody, Round2Body,
};
use super::error::{short, TrusteeError};
use super::identity::{decode_secret, read_public, Identity, PublicIdentity};
use super::sealed::{write_json_file, SealedFile};
use super::setup::CeremonyDir;
use super::stage::Stage;
use crate::ceremony::{self, round1, round2, CeremonyError};
use crate::crypto::digest::Hash;
use crate::crypto::group::GroupElement;
use crate::crypto::proofs::EqualityProof;
use crate::record::Access;
use crate::record::{self};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use std::path::Path;
use zeroize::{Zeroize, ZeroizeOnDrop};

// ---------------------------------------------------------------------------------------------
// The trustee's per-ceremony secrets (spec §11)
// ---------------------------------------------------------------------------------------------

/// `DIR/ceremony-<id>.key`: the shares this trustee holds for one ceremony, sealed.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct SharesPlaintext {
    ceremony_id: String,
    index: u32,
    shares: Vec<SharePlaintext>,
}

#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct SharePlaintext {
    from: u32,
    value: String,
}

/// The name of the trustee's sealed share file for a ceremony: `ceremony-<first 16 hex>.key`.
pub(crate) fn shares_file_name(ceremony_id: &Hash) -> String {
    format!("ceremony-{}.key", short(ceremony_id))
}

/// The name of the file in which a trustee keeps the commitments it saw when it revealed
/// (spec §12.2): public messages, kept so that round 2 can show a commitment changed since.
pub fn seen_commits_name(ceremony_id: &Hash) -> String {
    format!("ceremony-{}.commits.json", short(ceremony_id))
}

/// The name of the trustee's signed, not yet published round-1 message.
pub fn pending_reveal_name(ceremony_id: &Hash) -> String {
    format!("ceremony-{}.reveal.json", short(ceremony_id))
}

fn save_shares<R: RngCore + CryptoRng>(
    key_dir: &Path,
    ceremony_id: &Hash,
    index: u32,
    shares: &[round2::SecretShare],
    passphrase: &[u8],
    rng: &mut R,
) -> Result<(), TrusteeError> {
    let plaintext = SharesPlaintext {
        ceremony_id: hex::encode(ceremony_id),
        index,
        shares: shares
            .iter()
            .map(|s| SharePlaintext {
                from: s.from,
                value: hex::encode(s.value().expose().as_bytes()),
            })
            .collect(),
    };
    SealedFile::write(
        &key_dir.join(shares_file_name(ceremony_id)),
        "ceremony-shares",
        &plaintext,
        passphrase,
        rng,
    )
}

/// Opens the trustee's sealed share file for `ceremony_id`: its index and the shares it holds.
pub(crate) fn load_shares(
    key_dir: &Path,
    ceremony_id: &Hash,
    passphrase: &[u8],
) -> Result<(u32, Vec<round2::SecretShare>), TrusteeError> {
    let path = key_dir.join(shares_file_name(ceremony_id));
    if !path.exists() {
        return Err(TrusteeError::usage(format!(
            "{} holds no shares for ceremony {}…: this trustee did not take part in it (or ran `saylau trustee round1` with another --key)",
            key_dir.display(),
            short(ceremony_id)
        )));
    }
    let file = path.display().to_string();
    let plaintext = SealedFile::open_file(&path, "ceremony-shares", passphrase)?;
    let damaged = |detail: String| TrusteeError::DamagedKeyFile {
        file: file.clone(),
        detail,
    };
    let inner: SharesPlaintext =
        serde_json::from_slice(&plaintext).map_err(|e| damaged(e.to_string()))?;
    if inner.ceremony_id != hex::encode(ceremony_id) {
        return Err(damaged("it belongs to another ceremony".into()));
    }
    let shares = inner
        .shares
        .iter()
        .map(|s| {
            decode_secret(&s.value)
                .map(|value| round2::SecretShare::new(s.from, inner.index, value))
                .map_err(|e| damaged(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((inner.index, shares))
}

// ---------------------------------------------------------------------------------------------
// The steps (spec §12)
// ---------------------------------------------------------------------------------------------

/// What a step did, for the command to report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepReport {
    /// The trustee's index.
    pub index: u32,
    /// True when the step had already been done and nothing changed.
    pub already_done: bool,
    /// Lines to show the user (complaints made, faults seen).
    pub notes: Vec<String>,
}

/// Finds the trustee in the ceremony by its public identity.
/// Opens the ceremony directory as the trustee `identity`: finds its index and checks every
/// file already published before this trustee writes anything.
fn open_as(
    ceremony_dir: &Path,
    identity: &PublicIdentity,
) -> Result<(CeremonyDir, u32), TrusteeError> {
    let context = CeremonyDir::open(ceremony_dir)?;
    let index = context.setup.index_of(identity).ok_or_else(|| {
        TrusteeError::usage(format!(
            "trustee {:?} is not on this ceremony's list ({}); check --key and --ceremony",
            identity.name,
            context.setup.names().join(", ")
        ))
    })?;
    context.check_all()?;
    Ok((context, index))
}

/// Round 1a (spec §12.1): draw the polynomial, keep the own share sealed, prepare and sign the
/// round-1 message, and publish only a commitment to it.
pub fn round1<R: RngCore + CryptoRng>(
    key_dir: &Path,
    ceremony_dir: &Path,
    passphrase: &[u8],
    rng: &mut R,
) -> Result<StepReport, TrusteeError> {
    let identity = Identity::load(key_dir, passphrase)?;
    let (context, index) = open_as(ceremony_dir, identity.public())?;
    let id = context.setup.ceremony_id;
    let pending = key_dir.join(pending_reveal_name(&id));
    let already_committed = context.read::<CommitBody>(Stage::Commit, index)?.is_some();
    if pending.exists() {
        // Resume: publish the commitment to the message prepared earlier (never a new one).
        let (reveal, _): (Envelope<RevealBody>, _) =
            record::read_json(key_dir, &pending_reveal_name(&id))?;
        reveal.check(
            &context,
            &pending.display().to_string(),
            Stage::Reveal,
            index,
        )?;
        let commit = Envelope::sign(
            &context,
            &identity,
            index,
            Stage::Commit,
            CommitBody {
                reveal_hash: reveal_hash(&id, index, &reveal.body)?,
            },
            rng,
        )?;
        if already_committed {
            let existing = context.read::<CommitBody>(Stage::Commit, index)?;
            if existing.map(|e| e.body) != Some(commit.body) {
                return Err(TrusteeError::Equivocation {
                    culprit: index,
                    stage: Stage::Commit,
                });
            }
            return Ok(StepReport {
                index,
                already_done: true,
                notes: vec![],
            });
        }
        context.publish(&commit)?;
        return Ok(StepReport {
            index,
            already_done: false,
            notes: vec![],
        });
    }
    if already_committed {
        return Err(TrusteeError::usage(format!(
            "{} is already published, but {} is missing: round 1 was run from another key directory",
            Stage::Commit.file(index),
            pending.display()
        )));
    }
    let (secret, package) = ceremony::part1(context.params(), index, rng)?;
    let own = secret.share_for(index)?;
    let shares = (1..=context.setup.count())
        .filter(|&j| j != index)
        .map(|j| encrypt_share(&context.setup, &secret.share_for(j)?, rng))
        .collect::<Result<Vec<_>, TrusteeError>>()?;
    drop(secret);
    let body = RevealBody {
        commitments: package.commitments,
        proof: package.proof,
        shares,
    };
    let commit_body = CommitBody {
        reveal_hash: reveal_hash(&id, index, &body)?,
    };
    let reveal = Envelope::sign(&context, &identity, index, Stage::Reveal, body, rng)?;
    let commit = Envelope::sign(&context, &identity, index, Stage::Commit, commit_body, rng)?;
    // Local state first: if publishing fails, running round1 again publishes this same message.
    save_shares(key_dir, &id, index, &[own], passphrase, rng)?;
    write_json_file(&pending, &reveal, Access::Owner)?;
    context.publish(&commit)?;
    Ok(StepReport {
        index,
        already_done: false,
        notes: vec![],
    })
}

/// Round 1b (spec §12.2): once every trustee has committed, publish the round-1 message
/// prepared by [`round1()`]. Needs no passphrase.
pub fn reveal(key_dir: &Path, ceremony_dir: &Path) -> Result<StepReport, TrusteeError> {
    let public = read_public(key_dir)?;
    let (context, index) = open_as(ceremony_dir, &public)?;
    let id = context.setup.ceremony_id;
    // Your own round 1 comes first: waiting for the others would be the wrong advice.
    let name = pending_reveal_name(&id);
    if !key_dir.join(&name).exists() {
        return Err(TrusteeError::usage(format!(
            "you have not done round 1 of this ceremony ({} has no prepared round-1 message): run `saylau trustee round1` with this --key first",
            key_dir.display()
        )));
    }
    let commits = context.all::<CommitBody>(Stage::Commit, "trustee reveal", &[])?;
    let (reveal, _): (Envelope<RevealBody>, _) = record::read_json(key_dir, &name)?;
    reveal.check(&context, &name, Stage::Reveal, index)?;
    let mine = commits[index as usize - 1]
        .as_ref()
        .map(|c| c.body.reveal_hash);
    if mine != Some(reveal_hash(&id, index, &reveal.body)?) {
        return Err(TrusteeError::Equivocation {
            culprit: index,
            stage: Stage::Reveal,
        });
    }
    // Spec §12.2: keep the commitments this reveal answers (the first ones seen, never replaced),
    // so a trustee who swaps its commitment after seeing the reveals is caught in round 2.
    let seen = key_dir.join(seen_commits_name(&id));
    if !seen.exists() {
        let commits: Vec<Envelope<CommitBody>> = commits.into_iter().flatten().collect();
        write_json_file(&seen, &commits, Access::Public)?;
    }
    let published = context.publish(&reveal)?;
    Ok(StepReport {
        index,
        already_done: published == Published::AlreadyThere,
        notes: vec![],
    })
}

/// The commitments this trustee kept when it revealed (spec §12.2), each checked as a message of
/// this ceremony; none if it kept no copy.
fn seen_commits(
    key_dir: &Path,
    context: &CeremonyDir,
) -> Result<Vec<Envelope<CommitBody>>, TrusteeError> {
    let name = seen_commits_name(&context.setup.ceremony_id);
    if !key_dir.join(&name).exists() {
        return Ok(Vec::new());
    }
    let (commits, _): (Vec<Envelope<CommitBody>>, _) = record::read_json(key_dir, &name)?;
    for commit in &commits {
        commit.check(context, &name, Stage::Commit, commit.author)?;
    }
    Ok(commits)
}

/// A fault anyone can see in a trustee's round-1 messages (spec §14.1), or `None`.
fn public_fault(
    context: &CeremonyDir,
    author: u32,
    commit: &Envelope<CommitBody>,
    reveal: &Envelope<RevealBody>,
) -> Result<Option<String>, TrusteeError> {
    let id = &context.setup.ceremony_id;
    if reveal_hash(id, author, &reveal.body)? != commit.body.reveal_hash {
        return Ok(Some(
            "equivocated: its round-1 message does not match its commitment".into(),
        ));
    }
    let package = round1::Package {
        index: author,
        commitments: reveal.body.commitments.clone(),
        proof: reveal.body.proof,
    };
    if let Err(error) = package.verify(context.params()) {
        return Ok(Some(format!("invalid round-1 message: {error}")));
    }
    let expected: Vec<u32> = (1..=context.setup.count())
        .filter(|&j| j != author)
        .collect();
    let recipients: Vec<u32> = reveal.body.shares.iter().map(|s| s.to).collect();
    if recipients != expected {
        return Ok(Some(
            "invalid round-1 message: not exactly one encrypted share per other trustee, in order"
                .into(),
        ));
    }
    if reveal
        .body
        .shares
        .iter()
        .any(|s| s.ephemeral_key.is_identity())
    {
        return Ok(Some(
            "invalid round-1 message: an ephemeral key is the identity".into(),
        ));
    }
    Ok(None)
}

/// The round-1 messages of every trustee, with the public faults found in them.
pub(crate) struct RoundOne {
    pub(crate) commits: Vec<Envelope<CommitBody>>,
    pub(crate) reveals: Vec<Envelope<RevealBody>>,
    pub(crate) faults: Vec<Option<String>>,
}

pub(crate) fn round_one(
    context: &CeremonyDir,
    step: &'static str,
) -> Result<RoundOne, TrusteeError> {
    let commits = context.all::<CommitBody>(Stage::Commit, step, &[])?;
    let reveals = context.all::<RevealBody>(Stage::Reveal, step, &[])?;
    let commits: Vec<Envelope<CommitBody>> = commits.into_iter().flatten().collect();
    let reveals: Vec<Envelope<RevealBody>> = reveals.into_iter().flatten().collect();
    let faults = commits
        .iter()
        .zip(&reveals)
        .zip(1..)
        .map(|((commit, reveal), author)| public_fault(context, author, commit, reveal))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RoundOne {
        commits,
        reveals,
        faults,
    })
}

/// Round 2 (spec §12.3): decrypt and check every share addressed to this trustee; keep the good
/// ones sealed; publish acceptances and, for each bad one, a complaint.
pub fn round2<R: RngCore + CryptoRng>(
    key_dir: &Path,
    ceremony_dir: &Path,
    passphrase: &[u8],
    rng: &mut R,
) -> Result<StepReport, TrusteeError> {
    let identity = Identity::load(key_dir, passphrase)?;
    let (context, index) = open_as(ceremony_dir, identity.public())?;
    let id = context.setup.ceremony_id;
    if context.read::<Round2Body>(Stage::Round2, index)?.is_some() {
        return Ok(StepReport {
            index,
            already_done: true,
            notes: vec![],
        });
    }
    let round = round_one(&context, "trustee round2")?;
    let (stored_index, stored) = load_shares(key_dir, &id, passphrase)?;
    if stored_index != index {
        return Err(TrusteeError::DamagedKeyFile {
            file: shares_file_name(&id),
            detail: "it is for another trustee index".into(),
        });
    }
    let mut kept: Vec<round2::SecretShare> =
        stored.into_iter().filter(|s| s.from == index).collect();
    let mut notes = Vec::new();
    // Spec §12.3: the round-1 messages judged here, with their authors' signatures, so a trustee
    // who later puts other round-1 messages in the directory is caught signing two.
    // The commitment of each is the one seen when this trustee revealed (§12.2), if it differs.
    let seen = seen_commits(key_dir, &context)?;
    let mut judged = Vec::new();
    for (author, (commit, reveal)) in (1..).zip(round.commits.iter().zip(&round.reveals)) {
        if author == index {
            continue;
        }
        let first = seen.iter().find(|c| c.author == author).unwrap_or(commit);
        if first.signed_hash()? != commit.signed_hash()? {
            notes.push(format!(
                "trustee {} replaced its commitment after you revealed: it equivocated and will be disqualified",
                context.setup.label(author)
            ));
        }
        judged.push(Judged::of(author, first, reveal)?);
    }
    let mut accepted = Vec::new();
    let mut complaints = Vec::new();
    for (sender, (reveal, fault)) in (1..).zip(round.reveals.iter().zip(&round.faults)) {
        if sender == index {
            continue;
        }
        if let Some(fault) = fault {
            notes.push(format!(
                "trustee {} {fault}; it will be disqualified",
                context.setup.label(sender)
            ));
            continue;
        }
        let Some(encrypted) = reveal.body.shares.iter().find(|s| s.to == index) else {
            continue;
        };
        let shared = GroupElement::from_point(
            identity.encryption.expose() * encrypted.ephemeral_key.point(),
        );
        match open_share(
            &context.setup,
            sender,
            encrypted,
            &shared,
            &reveal.body.commitments,
        ) {
            Ok(share) => {
                accepted.push(sender);
                kept.push(share);
            }
            Err(fault) => {
                let statement = complaint_statement(
                    &encrypted.ephemeral_key,
                    &identity.public().encryption_key,
                    &shared,
                );
                let proof = EqualityProof::prove(
                    &mut complaint_transcript(&id, index, sender),
                    &statement,
                    &identity.encryption,
                    rng,
                )
                .map_err(CeremonyError::from)?;
                notes.push(format!(
                    "COMPLAINT against trustee {}: {fault}",
                    context.setup.label(sender)
                ));
                complaints.push(Complaint {
                    accused: sender,
                    shared_secret: shared,
                    proof,
                });
            }
        }
    }
    let envelope = Envelope::sign(
        &context,
        &identity,
        index,
        Stage::Round2,
        Round2Body {
            judged,
            accepted,
            complaints,
        },
        rng,
    )?;
    save_shares(key_dir, &id, index, &kept, passphrase, rng)?;
    context.publish(&envelope)?;
    Ok(StepReport {
        index,
        already_done: false,
        notes,
    })
}
