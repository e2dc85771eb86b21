//! `saylau seats` and `saylau winner`: outcome rules on plain counts, for commissions and journalists.
//!
//! Both read a small JSON file, apply the rule from `saylau::rules`, and print JSON on stdout. Any
//! problem with the input prints one line on stderr naming it and exits with code 2.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use saylau::rules::{self, Ratio, RulesError};

/// Arguments of `saylau seats`.
#[derive(clap::Args, Debug)]
pub struct SeatsArgs {
    /// Number of seats to allocate.
    #[arg(long)]
    pub seats: u64,
    /// Admission threshold, percent of participating voters (e.g. 5 or 7 or 5.5).
    #[arg(long = "threshold-percent")]
    pub threshold_percent: String,
    /// JSON file: {"participants": N, "votes": {"Party A": 123, ...}} in registration order.
    pub file: PathBuf,
}

/// Arguments of `saylau winner`.
#[derive(clap::Args, Debug)]
pub struct WinnerArgs {
    /// JSON file: {"participants": N, "votes": {"Candidate": n, ...}, "against_all": n}.
    pub file: PathBuf,
}

/// Exit code for bad input.
const BAD_INPUT: i32 = 2;

/// What went wrong, as one line for stderr.
#[derive(Debug, thiserror::Error)]
enum InputError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not the expected JSON: {source}")]
    Json {
        path: String,
        source: serde_json::Error,
    },
    #[error("--seats is {0}; it must be from 1 to 4294967295")]
    SeatsOutOfRange(u64),
    #[error("{0}")]
    Rules(#[from] RulesError),
}

/// Runs `saylau seats`.
pub fn seats(args: SeatsArgs) -> i32 {
    report("seats", run_seats(&args))
}

/// Runs `saylau winner`.
pub fn winner(args: WinnerArgs) -> i32 {
    report("winner", run_winner(&args))
}

fn report(command: &str, result: Result<String, InputError>) -> i32 {
    match result {
        Ok(json) => {
            outln!("{json}");
            0
        }
        Err(e) => {
            eprintln!("saylau {command}: {e}");
            BAD_INPUT
        }
    }
}

fn run_seats(args: &SeatsArgs) -> Result<String, InputError> {
    // Check the flags before touching the file, so a typo is reported first.
    let seats = u32::try_from(args.seats).map_err(|_| InputError::SeatsOutOfRange(args.seats))?;
    if seats == 0 {
        return Err(RulesError::ZeroSeats.into());
    }
    let threshold = Ratio::from_percent_str(&args.threshold_percent)?;
    let input: SeatsInput = read_json(&args.file)?;
    let outcome =
        rules::proportional(input.participants.0, &input.votes.0, None, seats, threshold)?;
    let output = SeatsOutput {
        seats: Ordered(
            outcome
                .parties
                .iter()
                .map(|p| (p.party.clone(), u64::from(p.seats)))
                .collect(),
        ),
        admitted: outcome.admitted().map(str::to_owned).collect(),
        quota: outcome.quota,
    };
    Ok(to_json(&output))
}

fn run_winner(args: &WinnerArgs) -> Result<String, InputError> {
    let input: WinnerInput = read_json(&args.file)?;
    let outcome = rules::majoritarian(
        input.participants.0,
        &input.votes.0,
        input.against_all.map(|c| c.0),
    )?;
    let output = WinnerOutput {
        winner: outcome.winner().map(str::to_owned),
        runoff: outcome.runoff().map(|[a, b]| [a.to_owned(), b.to_owned()]),
    };
    Ok(to_json(&output))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, InputError> {
    let shown = path.display().to_string();
    let text = saylau::record::read_bounded(path)
        .and_then(|bytes| {
            String::from_utf8(bytes)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        })
        .map_err(|source| InputError::Read {
            path: shown.clone(),
            source,
        })?;
    serde_json::from_str(&text).map_err(|source| InputError::Json {
        path: shown,
        source,
    })
}

fn to_json<T: Serialize>(value: &T) -> String {
    // Our output types are strings, integers and lists: serializing them cannot fail.
    serde_json::to_string_pretty(value).unwrap_or_default()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeatsInput {
    participants: Count,
    votes: Ordered,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WinnerInput {
    participants: Count,
    votes: Ordered,
    #[serde(default)]
    against_all: Option<Count>,
}

#[derive(Serialize)]
struct SeatsOutput {
    seats: Ordered,
    admitted: Vec<String>,
    quota: Ratio,
}

#[derive(Serialize)]
struct WinnerOutput {
    winner: Option<String>,
    runoff: Option<[String; 2]>,
}

/// A vote count: a JSON integer from 0 to `u64::MAX`, with a message that says which rule it broke.
struct Count(u64);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Count, D::Error> {
        let n = serde_json::Number::deserialize(deserializer)?;
        count(&n).map(Count).map_err(de::Error::custom)
    }
}

fn count(n: &serde_json::Number) -> Result<u64, String> {
    if let Some(v) = n.as_u64() {
        Ok(v)
    } else if n.is_i64() {
        Err(format!("{n} is negative; counts are whole numbers from 0"))
    } else {
        Err(format!("{n} is not a whole number from 0 to {}", u64::MAX))
    }
}

/// A JSON object of name → count kept in file order, refusing repeated names.
struct Ordered(Vec<(String, u64)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Ordered, D::Error> {
        deserializer.deserialize_map(OrderedVisitor)
    }
}

struct OrderedVisitor;

impl<'de> Visitor<'de> for OrderedVisitor {
    type Value = Ordered;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of names to vote counts, in registration order")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
        let mut entries: Vec<(String, u64)> = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            let n: serde_json::Number = map.next_value()?;
            let votes =
                count(&n).map_err(|e| de::Error::custom(format!("votes for {name:?}: {e}")))?;
            if entries.iter().any(|(seen, _)| *seen == name) {
                return Err(de::Error::custom(format!(
                    "{name:?} is listed twice in votes; names must be unique"
                )));
            }
            entries.push((name, votes));
        }
        if entries.is_empty() {
            return Err(de::Error::custom(
                "votes is empty; list at least one candidate or party",
            ));
        }
        Ok(Ordered(entries))
    }
}

impl Serialize for Ordered {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, n) in &self.0 {
            map.serialize_entry(name, n)?;
        }
        map.end()
    }
}
