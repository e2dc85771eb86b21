//! `saylau trustee`, `saylau ceremony` and `saylau tally`: the key ceremony and the decryption,
//! each trustee on their own machine. The protocol lives in `saylau::trustee`; this module reads
//! passphrases, prints what happened and what to do next, and maps errors to exit codes.

use rand_core::OsRng;
use saylau::election::Election;
use saylau::record::Record;
use saylau::trustee::{self, CeremonyDir, CeremonySetup, Identity, StepReport};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The environment variable that holds the passphrase, for scripts and tests.
const PASSPHRASE_VAR: &str = "SAYLAU_PASSPHRASE";

/// `saylau trustee` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum TrusteeCommand {
    /// Create your long-term trustee identity: DIR/secret.key (sealed) and DIR/public.json.
    New {
        /// Your name as it will appear in the ceremony (for example "Aigerim Nurlanovna").
        #[arg(long)]
        name: String,
        /// A new directory for your key files (a USB stick you keep).
        #[arg(long)]
        out: PathBuf,
    },
    /// Round 1: prepare your share of the election key and publish a commitment to it.
    Round1(StepArgs),
    /// Round 1, second half: after every trustee has committed, publish your round-1 message.
    Reveal(StepArgs),
    /// Round 2: check the shares sent to you; publish acceptances or complaints.
    Round2(StepArgs),
    /// After `ceremony finish`, before voting opens: check that your sealed shares make the key
    /// share whose verification key the record's ceremony.json publishes.
    Check {
        /// Your key directory.
        #[arg(long)]
        key: PathBuf,
        /// The election record started by `ceremony finish`.
        #[arg(long)]
        record: PathBuf,
    },
    /// After voting: decrypt the tally recomputed from the record's ballots, with proofs.
    Decrypt {
        /// Your key directory.
        #[arg(long)]
        key: PathBuf,
        /// The election record.
        #[arg(long)]
        record: PathBuf,
    },
}

/// The options of a ceremony round.
#[derive(clap::Args, Debug)]
pub struct StepArgs {
    /// Your key directory (made by `saylau trustee new`).
    #[arg(long)]
    pub key: PathBuf,
    /// The shared ceremony directory.
    #[arg(long)]
    pub ceremony: PathBuf,
}

/// `saylau ceremony` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum CeremonyCommand {
    /// Create the shared ceremony directory for these trustees, threshold and manifest.
    New {
        /// A trustee's public.json, once per trustee, in the order that gives their indices.
        #[arg(long = "trustee", required = true)]
        trustees: Vec<PathBuf>,
        /// Trustees needed to decrypt.
        #[arg(long)]
        threshold: u32,
        /// The election manifest the key is for (its hash is bound into the ceremony id).
        #[arg(long)]
        manifest: PathBuf,
        /// The new ceremony directory.
        #[arg(long)]
        out: PathBuf,
    },
    /// Show who has published what, and any complaints.
    Status {
        /// The ceremony directory.
        #[arg(long)]
        ceremony: PathBuf,
    },
    /// Judge complaints, exclude disqualified trustees and start the election record.
    Finish {
        /// The ceremony directory.
        #[arg(long)]
        ceremony: PathBuf,
        /// The election manifest (the one given to `ceremony new`).
        #[arg(long)]
        manifest: PathBuf,
        /// The new election record directory.
        #[arg(long)]
        out: PathBuf,
    },
}

/// `saylau tally` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum TallyCommand {
    /// Combine any t valid decryption shares; name and set aside invalid ones; write results.
    Finish {
        /// The election record.
        #[arg(long)]
        record: PathBuf,
    },
}

/// Reads the passphrase from `SAYLAU_PASSPHRASE`, or asks at the terminal (twice when
/// `confirm`). Fails clearly when there is neither.
pub(crate) fn passphrase(prompt: &str, confirm: bool) -> Result<Zeroizing<String>, String> {
    if let Ok(value) = std::env::var(PASSPHRASE_VAR) {
        return Ok(Zeroizing::new(value));
    }
    if !std::io::stdin().is_terminal() {
        return Err(format!(
            "no passphrase: set {PASSPHRASE_VAR} or run this command in a terminal to be asked"
        ));
    }
    let first = Zeroizing::new(rpassword::prompt_password(prompt).map_err(|e| e.to_string())?);
    if confirm {
        let second = Zeroizing::new(
            rpassword::prompt_password("Type the passphrase again: ").map_err(|e| e.to_string())?,
        );
        if *first != *second {
            return Err("the two passphrases differ; nothing was written".into());
        }
    }
    Ok(first)
}

fn key_prompt(dir: &Path) -> String {
    format!(
        "Passphrase for {}: ",
        dir.join(trustee::SECRET_KEY_FILE).display()
    )
}

fn fail(command: &str, error: impl std::fmt::Display) -> i32 {
    eprintln!("saylau {command}: {error}");
    1
}

fn print_notes(report: &StepReport) {
    for note in &report.notes {
        outln!("  ! {note}");
    }
}

/// Runs `saylau trustee`.
pub fn trustee(command: TrusteeCommand) -> i32 {
    match command {
        TrusteeCommand::New { name, out } => {
            let passphrase = match passphrase("Choose a passphrase for your key: ", true) {
                Ok(p) => p,
                Err(e) => return fail("trustee new", e),
            };
            if passphrase.chars().count() < trustee::MIN_PASSPHRASE_CHARS {
                return fail(
                    "trustee new",
                    format!(
                        "the passphrase must have at least {} characters",
                        trustee::MIN_PASSPHRASE_CHARS
                    ),
                );
            }
            match Identity::create(&name, &out, passphrase.as_bytes(), &mut OsRng) {
                Ok((identity, created)) => {
                    if created == trustee::Created::Completed {
                        outln!(
                            "An interrupted `trustee new` had left {} without {}; completed it.",
                            out.join(trustee::SECRET_KEY_FILE).display(),
                            trustee::PUBLIC_FILE
                        );
                    }
                    outln!("Created the identity of {:?}.", identity.public().name);
                    outln!(
                        "  secret (keep it, never send it): {}",
                        out.join(trustee::SECRET_KEY_FILE).display()
                    );
                    outln!(
                        "  public (give it to the commission): {}",
                        out.join(trustee::PUBLIC_FILE).display()
                    );
                    outln!(
                        "  signing key fingerprint: {}",
                        hex::encode(&identity.public().signing_key.as_bytes()[..8])
                    );
                    0
                }
                Err(e) => fail("trustee new", e),
            }
        }
        TrusteeCommand::Round1(args) => {
            let Some(setup) = show_ceremony("trustee round1", &args.ceremony) else {
                return 1;
            };
            let passphrase = match passphrase(&key_prompt(&args.key), false) {
                Ok(p) => p,
                Err(e) => return fail("trustee round1", e),
            };
            match trustee::round1(&args.key, &args.ceremony, passphrase.as_bytes(), &mut OsRng) {
                Ok(report) => {
                    let done = if report.already_done {
                        "was already published"
                    } else {
                        "published"
                    };
                    outln!(
                        "Round 1: the commitment of trustee {} ({}) {done}.",
                        report.index,
                        setup.trustees[report.index as usize - 1].name
                    );
                    outln!("Next: when every trustee has done round 1, run `saylau trustee reveal --key {} --ceremony {}`.", args.key.display(), args.ceremony.display());
                    0
                }
                Err(e) => fail("trustee round1", e),
            }
        }
        TrusteeCommand::Reveal(args) => match trustee::reveal(&args.key, &args.ceremony) {
            Ok(report) => {
                outln!(
                    "Round 1: the message of trustee {} {}.",
                    report.index,
                    if report.already_done {
                        "was already published"
                    } else {
                        "is published"
                    }
                );
                outln!("Next: when every trustee has revealed, run `saylau trustee round2 --key {} --ceremony {}`.", args.key.display(), args.ceremony.display());
                0
            }
            Err(e) => fail("trustee reveal", e),
        },
        TrusteeCommand::Round2(args) => {
            let passphrase = match passphrase(&key_prompt(&args.key), false) {
                Ok(p) => p,
                Err(e) => return fail("trustee round2", e),
            };
            match trustee::round2(&args.key, &args.ceremony, passphrase.as_bytes(), &mut OsRng) {
                Ok(report) if report.already_done => {
                    outln!(
                        "Round 2 of trustee {} was already published; nothing changed.",
                        report.index
                    );
                    0
                }
                Ok(report) => {
                    outln!("Round 2 of trustee {} is published.", report.index);
                    print_notes(&report);
                    if report.notes.is_empty() {
                        outln!("  every share sent to you is valid.");
                    } else {
                        outln!("  Tell the commission. Nothing else is needed from you: `saylau ceremony finish` judges every complaint from the published files.");
                    }
                    0
                }
                Err(e) => fail("trustee round2", e),
            }
        }
        TrusteeCommand::Check { key, record } => {
            let record = Record::at(record);
            let passphrase = match passphrase(&key_prompt(&key), false) {
                Ok(p) => p,
                Err(e) => return fail("trustee check", e),
            };
            match trustee::check_key_share(&key, &record, passphrase.as_bytes()) {
                Ok(index) => {
                    outln!(
                        "Trustee {index}: the ceremony in {} audits, and your key share matches your verification key in ceremony.json. You will be able to decrypt.",
                        record.dir().display()
                    );
                    0
                }
                Err(e) => fail("trustee check", e),
            }
        }
        TrusteeCommand::Decrypt { key, record } => {
            let record = Record::at(record);
            let passphrase = match passphrase(&key_prompt(&key), false) {
                Ok(p) => p,
                Err(e) => return fail("trustee decrypt", e),
            };
            let decryptor = match trustee::Decryptor::prepare(&key, &record, passphrase.as_bytes())
            {
                Ok(decryptor) => decryptor,
                Err(e) => return fail("trustee decrypt", e),
            };
            // Spec ceremony.md §14.6: verify the board (checks 2–12) and decrypt only the tally
            // recomputed from it.
            let verified = match saylau::verify::verified_tally(&record) {
                Ok(verified) => verified,
                Err(e) => return fail("trustee decrypt", e),
            };
            match decryptor.publish(&verified, &mut OsRng) {
                Ok(index) => {
                    outln!(
                        "The tally recomputed from the ballots equals tally.json; decryption share published: {}",
                        record
                            .path(&saylau::record::decryption_file_name(index))
                            .display()
                    );
                    0
                }
                Err(e) => fail("trustee decrypt", e),
            }
        }
    }
}

/// Prints what a trustee should check before taking part; `None` (after printing the error)
/// when the directory does not open.
fn show_ceremony(command: &str, dir: &Path) -> Option<CeremonySetup> {
    match CeremonyDir::open(dir) {
        Ok(context) => {
            let setup = context.setup;
            outln!("Ceremony {}", hex::encode(setup.ceremony_id));
            outln!("  manifest hash: {}", hex::encode(setup.manifest_hash));
            outln!(
                "  threshold: {} of {} trustees",
                setup.threshold,
                setup.trustees.len()
            );
            for (i, t) in setup.trustees.iter().enumerate() {
                outln!(
                    "  {}. {} (signing key {})",
                    i + 1,
                    t.name,
                    hex::encode(&t.signing_key.as_bytes()[..8])
                );
            }
            Some(setup)
        }
        Err(e) => {
            fail(command, e);
            None
        }
    }
}

/// Runs `saylau ceremony`.
pub fn ceremony(command: CeremonyCommand) -> i32 {
    match command {
        CeremonyCommand::New {
            trustees,
            threshold,
            manifest,
            out,
        } => {
            let mut identities = Vec::new();
            for path in &trustees {
                match trustee::read_public_file(path) {
                    Ok(identity) => identities.push(identity),
                    Err(e) => return fail("ceremony new", e),
                }
            }
            let manifest_bytes = match saylau::record::read_bounded(&manifest) {
                Ok(bytes) => bytes,
                Err(e) => return fail("ceremony new", format!("{}: {e}", manifest.display())),
            };
            if let Err(e) = saylau::record::decode_json::<saylau::manifest::Manifest>(
                &manifest.display().to_string(),
                None,
                &manifest_bytes,
            ) {
                return fail("ceremony new", e);
            }
            if out.exists() {
                return fail(
                    "ceremony new",
                    format!("{} already exists; choose a new --out", out.display()),
                );
            }
            let setup = match CeremonySetup::create(&manifest_bytes, identities, threshold) {
                Ok(setup) => setup,
                Err(e) => return fail("ceremony new", e),
            };
            if let Err(e) = saylau::record::write_json(&out, trustee::PARAMETERS_FILE, &setup) {
                return fail("ceremony new", e);
            }
            outln!(
                "Created {} for {} trustees, threshold {}.",
                out.display(),
                setup.trustees.len(),
                threshold
            );
            outln!("  ceremony id:   {}", hex::encode(setup.ceremony_id));
            outln!("  manifest hash: {}", hex::encode(setup.manifest_hash));
            outln!(
                "Next: each trustee runs `saylau trustee round1 --key DIR --ceremony {}`.",
                out.display()
            );
            0
        }
        CeremonyCommand::Status { ceremony } => status(&ceremony),
        CeremonyCommand::Finish {
            ceremony,
            manifest,
            out,
        } => {
            let manifest_bytes = match saylau::record::read_bounded(&manifest) {
                Ok(bytes) => bytes,
                Err(e) => return fail("ceremony finish", format!("{}: {e}", manifest.display())),
            };
            match trustee::finish(&ceremony, &manifest_bytes, &out) {
                Ok(judgement) => {
                    let record = &judgement.record;
                    for (complainer, accused, upheld) in &judgement.complaints {
                        outln!(
                            "complaint by trustee {complainer} against trustee {accused}: {}",
                            if *upheld { "upheld" } else { "rejected" }
                        );
                    }
                    for d in &record.disqualified {
                        outln!(
                            "DISQUALIFIED trustee {} ({}): {}",
                            d.index,
                            d.name,
                            d.reason
                        );
                    }
                    outln!(
                        "Qualified trustees: {:?} (threshold {}).",
                        record.qualified(),
                        record.threshold
                    );
                    outln!(
                        "Election key: {}",
                        hex::encode(record.joint_key.element().as_bytes())
                    );
                    outln!(
                        "Record started: {} (manifest.json, ceremony.json, ceremony/).",
                        out.display()
                    );
                    outln!(
                        "Next, before voting opens: each qualified trustee runs `saylau trustee check --key DIR --record {}`.",
                        out.display()
                    );
                    0
                }
                Err(e) => fail("ceremony finish", e),
            }
        }
    }
}

fn status(dir: &Path) -> i32 {
    let context = match CeremonyDir::open(dir) {
        Ok(context) => context,
        Err(e) => return fail("ceremony status", e),
    };
    if let Err(e) = context.check_all() {
        return fail("ceremony status", e);
    }
    show_ceremony("ceremony status", dir);
    for (position, identity) in context.setup.trustees.iter().enumerate() {
        let index = position as u32 + 1;
        let mut line = format!("  trustee {index} ({}):", identity.name);
        for stage in trustee::STAGES {
            let present = context.path.join(stage.file(index)).is_file();
            line.push_str(&format!(" {stage} {}", if present { "yes" } else { "no " }));
        }
        if let Ok(Some(round2)) = context.read::<trustee::Round2Body>(trustee::Stage::Round2, index)
        {
            for complaint in &round2.body.complaints {
                line.push_str(&format!(" [complaint against {}]", complaint.accused));
            }
        }
        outln!("{line}");
    }
    0
}

/// Runs `saylau tally`.
pub fn tally(command: TallyCommand) -> i32 {
    match command {
        TallyCommand::Finish { record } => {
            let record = Record::at(record);
            let election = match Election::open(&record) {
                Ok(election) => election,
                Err(e) => return fail("tally finish", e),
            };
            if let Err(e) = trustee::audit_record(&record, &election.ceremony) {
                return fail("tally finish", e);
            }
            match trustee::finish_tally(&record, &election) {
                Ok(results) => {
                    for rejected in &results.rejected_shares {
                        outln!(
                            "REJECTED the decryption share of trustee {}: {} (set aside under {})",
                            rejected.trustee,
                            rejected.reason,
                            saylau::record::REJECTED_DIR
                        );
                    }
                    outln!(
                        "Combined the shares of trustees {:?}.",
                        results.trustees_used
                    );
                    for (contest, result) in
                        election.manifest.contests.iter().zip(&results.contests)
                    {
                        outln!("{}: {:?}", contest.id, result.counts);
                    }
                    outln!(
                        "Results written to {}; check them with `saylau verify {}`.",
                        record.path(saylau::record::RESULTS).display(),
                        record.dir().display()
                    );
                    0
                }
                Err(e) => fail("tally finish", e),
            }
        }
    }
}
