//! `saylau vote`: the voter's device (spec `device.md` §2, §3). Four steps:
//! 1. fetch the election from the board and accept it only if it recomputes to the fingerprint
//!    the voter got from outside the board;
//! 2. show the ballot in the voter's language and encrypt the choices;
//! 3. show the ballot hash, then cast or challenge it (Benaloh, spec `ballot.md` §7): a
//!    challenge publishes the opening and the device starts over;
//! 4. on cast, save the signed receipt, then wait for a signed checkpoint that covers the
//!    ballot's leaf, check the inclusion proof, and save it with the receipt.

use super::credentials::VoterCredential;
use crate::client::board::CastAnswer;
use crate::client::proof::{check_inclusion, open_checkpoint};
use crate::client::saved::{self, SavedReceipt};
use crate::client::{Board, ClientError, TrustedElection};
use saylau::ballot::{check_choices, BallotBody};
use saylau::crypto::digest::Hash;
use saylau::election::{Leaf, ShortCode};
use saylau::manifest::{ContestKind, Manifest};
use std::io::BufRead;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Arguments of `saylau vote`.
#[derive(clap::Args, Debug)]
pub struct VoteArgs {
    /// The board's URL (https://… or http://… on a trusted network).
    #[arg(long)]
    pub board: String,
    /// Your private credential file (from the credential authority).
    #[arg(long)]
    pub credential: PathBuf,
    /// The election fingerprint F, 64 hex characters, from your credential letter or the
    /// commission's announcement: never from the board itself.
    #[arg(long, value_parser = super::voter::parse_hash)]
    pub election: Hash,
    /// The language of the ballot: kk, ru or en (else the manifest's first language).
    #[arg(long, value_parser = super::election::LANGUAGES)]
    pub lang: Option<String>,
    /// Your choices, one value per contest in ballot order: an option number for a
    /// single-choice, party-list or referendum contest (`2`); option numbers separated by
    /// commas for an approval contest (`1,4`, or `-` for none); a score per option for a score
    /// contest (`3,0,5`). Without it the device asks.
    #[arg(long, num_args = 1..)]
    pub choices: Option<Vec<String>>,
    /// Cast the ballot without asking.
    #[arg(long, conflicts_with = "challenge")]
    pub cast: bool,
    /// Challenge the ballot without asking: the device publishes its opening so that anyone
    /// can check it encrypted your choices, and stops. Vote again to cast.
    #[arg(long)]
    pub challenge: bool,
    /// Where to save the receipt (refused if the file exists).
    #[arg(long, default_value = "receipt.json")]
    pub out: PathBuf,
    /// How long to wait for the board to sign a checkpoint with your ballot, in seconds.
    #[arg(long, default_value_t = 60)]
    pub wait: u64,
    /// A PEM file of certificates to trust for an https board with its own CA.
    #[arg(long)]
    pub ca: Option<PathBuf>,
}

/// Why the device stopped: the exit code and what to tell the voter.
struct Stop {
    code: i32,
    message: String,
}

/// Refused: the election, the board's answer or a proof failed a check (exit 1).
fn refused(message: impl std::fmt::Display) -> Stop {
    Stop {
        code: 1,
        message: message.to_string(),
    }
}

/// Could not run: bad input, unreachable board (exit 2).
fn unable(message: impl std::fmt::Display) -> Stop {
    Stop {
        code: 2,
        message: message.to_string(),
    }
}

fn from_client(error: ClientError) -> Stop {
    match error {
        ClientError::Refused { .. } | ClientError::Unexpected { .. } => refused(error),
        _ => unable(error),
    }
}

/// Runs `saylau vote`: 0 when the ballot was cast (or challenged with `--challenge`), 1 when a
/// check failed or the board refused, 2 when the device could not run.
pub fn vote(args: VoteArgs) -> i32 {
    match run(&args) {
        Ok(()) => 0,
        Err(stop) => {
            eprintln!("saylau vote: {}", stop.message);
            stop.code
        }
    }
}

fn run(args: &VoteArgs) -> Result<(), Stop> {
    let credential = VoterCredential::read(&args.credential).map_err(unable)?;
    if !args.challenge && args.out.exists() {
        return Err(unable(format!(
            "{} already exists: choose another --out (a receipt is never overwritten)",
            args.out.display()
        )));
    }
    let board = Board::new(&args.board, args.ca.as_deref()).map_err(unable)?;

    // Step 1: the election, recomputed and compared with F from outside the board.
    let election = TrustedElection::fetch(&board, Some(&args.election)).map_err(|e| match e {
        crate::client::election::TrustError::Fetch(e) => from_client(e),
        e => refused(e),
    })?;
    let manifest = &election.manifest;
    let lang = args.lang.as_deref();
    outln!(
        "election {}: manifest, key ceremony ({} trustees, {} needed to decrypt) and election.json recompute to the fingerprint you gave",
        hex::encode(election.fingerprint()),
        election.ceremony.trustees.len(),
        election.ceremony.threshold
    );
    outln!("{}", manifest.label_in(&manifest.title, lang));

    let mut input = std::io::stdin().lock();
    loop {
        // Step 2: the choices, shown in the voter's language, then encrypted.
        let choices = match &args.choices {
            Some(given) => parse_choices(manifest, given).map_err(unable)?,
            None => ask_choices(manifest, lang, &mut input)?,
        };
        show_choices(manifest, lang, &choices);
        let key = election.key();
        let (body, secrets) = BallotBody::encrypt(
            manifest,
            election.fingerprint(),
            &key,
            &credential.public,
            &choices,
            &mut rand_core::OsRng,
        )
        .map_err(unable)?;
        let hash = body.hash();

        // Step 3: the ballot hash first; only then cast or challenge.
        outln!("ballot hash: {}", hex::encode(hash));
        outln!("write it down or photograph it: your receipt must name the same hash, and a challenged ballot is found by it");
        let cast = if args.cast {
            true
        } else if args.challenge {
            false
        } else {
            ask_cast(&mut input)?
        };
        if !cast {
            let challenged = body.challenge(secrets);
            let json = serde_json::to_vec(&challenged).map_err(unable)?;
            let answer = board
                .challenge(election.fingerprint(), &json)
                .map_err(from_client)?;
            if answer.ballot_hash.0 != hash {
                return Err(refused(format!(
                    "the board published the challenge under ballot hash {}, not {}",
                    hex::encode(answer.ballot_hash.0),
                    hex::encode(hash)
                )));
            }
            outln!(
                "challenged: the board published ballot {} with its opening (leaf {}); this ballot can never be cast",
                hex::encode(hash),
                answer.leaf_index
            );
            outln!(
                "check that it holds your choices on any computer: saylau receipt RECORD --challenged {}",
                hex::encode(hash)
            );
            if args.challenge {
                return Ok(());
            }
            outln!("starting over: your choices are encrypted again, with new randomness");
            continue;
        }

        // Step 4: cast, save the receipt, then the proof that the log holds the ballot.
        let ballot = body
            .sign(
                election.fingerprint(),
                &credential.secret,
                &mut rand_core::OsRng,
            )
            .map_err(unable)?;
        let leaf = Leaf::cast(&credential.public, hash, &ballot.signature);
        let json = serde_json::to_vec(&ballot).map_err(unable)?;
        let answer = board
            .cast_until_answered(election.fingerprint(), &json, 3)
            .map_err(from_client)?;
        check_receipt(&election, &answer, &hash)?;
        let receipt = answer.receipt;
        let short = ShortCode::of(&receipt.tracking_code).to_string();
        let mut saved = SavedReceipt {
            receipt,
            board: Some(board.url().to_string()),
            checkpoint: None,
            inclusion: None,
            // board.md §3.4: the leaf, so a check against the board needs no entry bundle.
            leaf: Some(leaf),
            short_code: Some(short.clone()),
        };
        saved::write(&saved, &args.out).map_err(unable)?;
        // board.md §2.1: the short form is what a voter reads out or types into the page.
        outln!("cast: position {}, tracking code {short}", receipt.position);
        outln!("(in full: {})", hex::encode(receipt.tracking_code));
        if answer.already_there {
            outln!("(the board already held this exact ballot: the same receipt again)");
        }
        outln!("receipt saved to {}", args.out.display());
        return wait_for_proof(args, &board, &election, &leaf, &mut saved);
    }
}

/// The receipt must be the board's signature over this ballot in this election.
fn check_receipt(election: &TrustedElection, answer: &CastAnswer, hash: &Hash) -> Result<(), Stop> {
    let receipt = &answer.receipt;
    if &receipt.election != election.fingerprint() {
        return Err(refused("the board's receipt is for another election"));
    }
    if &receipt.ballot_hash != hash {
        return Err(refused(format!(
            "the board's receipt names ballot {}, not the ballot cast ({})",
            hex::encode(receipt.ballot_hash),
            hex::encode(hash)
        )));
    }
    receipt.verify(election.board_key()).map_err(|e| {
        refused(format!(
            "the board's receipt signature does not verify: {e}"
        ))
    })
}

/// Polls `/v1/proof` until a signed checkpoint covers the leaf, checks it, and saves it.
fn wait_for_proof(
    args: &VoteArgs,
    board: &Board,
    election: &TrustedElection,
    leaf: &Leaf,
    saved: &mut SavedReceipt,
) -> Result<(), Stop> {
    let index = leaf_index(&saved.receipt);
    let deadline = Instant::now() + Duration::from_secs(args.wait);
    let proof = loop {
        match board.proof(index, None) {
            Ok(Some(proof)) => break proof,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            Ok(None) => {
                outln!(
                    "NOTE no signed checkpoint covers your ballot after {} s: the receipt is saved without a proof; run `saylau receipt --board {} --receipt {}` later",
                    args.wait,
                    board.url(),
                    args.out.display()
                );
                return Ok(());
            }
            Err(error) => return Err(from_client(error)),
        }
    };
    let signed = open_checkpoint(
        &proof.checkpoint,
        election.fingerprint(),
        &log_key(election).map_err(refused)?,
    )
    .map_err(refused)?;
    if signed.checkpoint().size() != proof.size {
        return Err(refused(format!(
            "the board's proof says size {} but its checkpoint signs size {}",
            proof.size,
            signed.checkpoint().size()
        )));
    }
    check_inclusion(signed.checkpoint(), index, leaf, &proof.inclusion).map_err(refused)?;
    saved.checkpoint = Some(proof.checkpoint.clone());
    saved.inclusion = saved::proof_list(&proof.inclusion);
    saved::write(saved, &args.out).map_err(unable)?;
    outln!(
        "in the log: leaf {index} of the checkpoint of size {} signed by the board's log key ({} proof hashes checked); proof saved with the receipt",
        proof.size,
        proof.inclusion.len()
    );
    outln!(
        "check it again any time: saylau receipt --board {} --receipt {}",
        board.url(),
        args.out.display()
    );
    Ok(())
}

/// The leaf index a receipt names.
pub fn leaf_index(receipt: &saylau::election::Receipt) -> u64 {
    receipt.leaf_index
}

/// The log key `F` binds.
pub fn log_key(election: &TrustedElection) -> Result<ed25519_dalek::VerifyingKey, String> {
    log_key_of(&election.info)
}

/// The log key an `election.json` names.
pub fn log_key_of(
    info: &saylau::record::ElectionInfo,
) -> Result<ed25519_dalek::VerifyingKey, String> {
    Ok(*info.log_key.verifying_key())
}

/// Reads one line of the voter's answer; end of input stops the device.
fn read_answer(input: &mut impl BufRead) -> Result<String, Stop> {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    match input.read_line(&mut line) {
        Ok(0) => Err(unable(
            "no answer on standard input: give --choices, and --cast or --challenge",
        )),
        Ok(_) => Ok(line.trim().to_string()),
        Err(e) => Err(unable(e)),
    }
}

fn ask_cast(input: &mut impl BufRead) -> Result<bool, Stop> {
    loop {
        print!("cast this ballot, or challenge it to check the device? [cast/challenge] ");
        match read_answer(input)?.to_lowercase().as_str() {
            "cast" => return Ok(true),
            "challenge" => return Ok(false),
            _ => outln!("type cast or challenge"),
        }
    }
}

/// Asks for each contest's choice until it is valid.
fn ask_choices(
    manifest: &Manifest,
    lang: Option<&str>,
    input: &mut impl BufRead,
) -> Result<Vec<Vec<u64>>, Stop> {
    let mut choices = Vec::new();
    for (c, contest) in manifest.contests.iter().enumerate() {
        outln!("");
        outln!("{}. {}", c + 1, manifest.label_in(&contest.title, lang));
        for (o, option) in contest.options.iter().enumerate() {
            outln!("   {}) {}", o + 1, manifest.label_in(&option.label, lang));
        }
        loop {
            print!(
                "   {}: ",
                how_to_choose(contest.kind, contest.options.len())
            );
            let answer = read_answer(input)?;
            match parse_contest(contest.kind, contest.options.len(), &answer) {
                Ok(values) => {
                    if let Err(problem) = check_contest(manifest, c, &values) {
                        outln!("   {problem}");
                        continue;
                    }
                    choices.push(values);
                    break;
                }
                Err(problem) => outln!("   {problem}"),
            }
        }
    }
    Ok(choices)
}

fn how_to_choose(kind: ContestKind, options: usize) -> String {
    match kind {
        ContestKind::Approval { min, max } => format!(
            "choose {min} to {max} options: their numbers separated by commas (- for none)"
        ),
        ContestKind::Score {
            max_score,
            max_total,
        } => format!(
            "a score from 0 to {max_score} for each of the {options} options, separated by commas (total at most {max_total})"
        ),
        _ => format!("choose one: its number (1 to {options})"),
    }
}

/// One contest's values from its text form (see `--choices`).
fn parse_contest(kind: ContestKind, options: usize, text: &str) -> Result<Vec<u64>, String> {
    let numbers = |text: &str| -> Result<Vec<u64>, String> {
        if text.trim() == "-" {
            return Ok(Vec::new());
        }
        text.split(',')
            .map(|part| {
                part.trim()
                    .parse::<u64>()
                    .map_err(|_| format!("{part:?} is not a number"))
            })
            .collect()
    };
    let numbers = numbers(text)?;
    let mut values = vec![0u64; options];
    match kind {
        ContestKind::Score { .. } => {
            if numbers.len() != options {
                return Err(format!("give {options} scores, one per option"));
            }
            return Ok(numbers);
        }
        ContestKind::Approval { .. } => {}
        _ if numbers.len() != 1 => return Err("give exactly one option number".into()),
        _ => {}
    }
    for n in numbers {
        if n == 0 || n > options as u64 {
            return Err(format!("there is no option {n}: choose 1 to {options}"));
        }
        if values[n as usize - 1] == 1 {
            return Err(format!("option {n} is given twice"));
        }
        values[n as usize - 1] = 1;
    }
    Ok(values)
}

/// The library's limit check, on one contest.
fn check_contest(manifest: &Manifest, contest: usize, values: &[u64]) -> Result<(), String> {
    let one = Manifest {
        contests: vec![manifest.contests[contest].clone()],
        ..manifest.clone()
    };
    check_choices(&one, &[values.to_vec()]).map_err(|e| {
        e.to_string()
            .replace("contest 0", &format!("contest {}", contest + 1))
    })
}

/// `--choices`, checked against the manifest.
fn parse_choices(manifest: &Manifest, given: &[String]) -> Result<Vec<Vec<u64>>, String> {
    if given.len() != manifest.contests.len() {
        return Err(format!(
            "--choices: {} values given, the ballot has {} contests",
            given.len(),
            manifest.contests.len()
        ));
    }
    let mut choices = Vec::new();
    for (c, (contest, text)) in manifest.contests.iter().zip(given).enumerate() {
        let values = parse_contest(contest.kind, contest.options.len(), text)
            .map_err(|e| format!("--choices, contest {} ({}): {e}", c + 1, contest.id))?;
        check_contest(manifest, c, &values).map_err(|e| format!("--choices: {e}"))?;
        choices.push(values);
    }
    Ok(choices)
}

/// What the voter chose, in their language, before anything is encrypted.
fn show_choices(manifest: &Manifest, lang: Option<&str>, choices: &[Vec<u64>]) {
    outln!("");
    outln!("your ballot:");
    for (contest, values) in manifest.contests.iter().zip(choices) {
        let chosen: Vec<String> = contest
            .options
            .iter()
            .zip(values)
            .filter(|(_, &v)| v > 0)
            .map(|(option, &v)| {
                let label = manifest.label_in(&option.label, lang);
                match (contest.kind, v) {
                    (ContestKind::Score { .. }, v) => format!("{label} ({v})"),
                    _ => label.to_string(),
                }
            })
            .collect();
        let chosen = if chosen.is_empty() {
            "—".to_string()
        } else {
            chosen.join(", ")
        };
        outln!("  {}: {chosen}", manifest.label_in(&contest.title, lang));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_are_read_per_contest_kind() {
        let one = ContestKind::SingleChoice {};
        assert_eq!(parse_contest(one, 3, "2"), Ok(vec![0, 1, 0]));
        assert!(parse_contest(one, 3, "4").is_err());
        assert!(parse_contest(one, 3, "0").is_err());
        assert!(parse_contest(one, 3, "1,2").is_err());
        assert!(parse_contest(one, 3, "x").is_err());
        let approval = ContestKind::Approval { min: 0, max: 2 };
        assert_eq!(parse_contest(approval, 4, "1, 4"), Ok(vec![1, 0, 0, 1]));
        assert_eq!(parse_contest(approval, 4, "-"), Ok(vec![0, 0, 0, 0]));
        assert!(parse_contest(approval, 4, "2,2").is_err());
        let score = ContestKind::Score {
            max_score: 5,
            max_total: 7,
        };
        assert_eq!(parse_contest(score, 3, "3,0,4"), Ok(vec![3, 0, 4]));
        assert!(parse_contest(score, 3, "3,0").is_err());
    }

    #[test]
    fn choices_over_a_contests_limits_are_refused_by_the_library_check() {
        let manifest = Manifest::example();
        let given: Vec<String> = manifest.contests.iter().map(|_| "1".to_string()).collect();
        assert!(parse_choices(&manifest, &given).is_ok());
        assert!(parse_choices(&manifest, &given[1..]).is_err());
    }
}
