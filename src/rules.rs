//! Election outcome rules: who won, who goes to a runoff, how many seats each party list gets,
//! and whether a referendum question passed, computed from plain (already decrypted) counts.
//!
//! Three rules, with defaults taken from Kazakhstan's Constitutional Law "On elections in the
//! Republic of Kazakhstan" and the Constitutional Law "On the republican referendum":
//!
//! * [`Rule::Majoritarian`]: a candidate with strictly more than half of the participants' votes
//!   wins; otherwise the two candidates with the most votes go to a runoff.
//! * [`Rule::Proportional`]: party lists with at least the threshold share of participants are
//!   admitted; seats are shared by the Hare quota and the largest remainders.
//! * [`Rule::Referendum`]: valid when strictly more than half of the registered voters took part,
//!   approved when strictly more than half of the participants voted yes.
//!
//! All arithmetic is on integers: shares are compared by cross-multiplication in `u128`, which
//! cannot overflow because every factor is at most a `u64`. The same counts give the same outcome
//! on every machine. `protocol-spec/rules.md` states each rule as integer inequalities; the
//! comments below name the section they implement.
//!
//! ```
//! use saylau::rules::{proportional, Ratio};
//!
//! let threshold = Ratio::from_percent_str("5").unwrap();
//! let parties = [("Party A", 600), ("Party B", 300), ("Party C", 40)];
//! let outcome = proportional(1000, &parties, None, 10, threshold).unwrap();
//! assert_eq!(outcome.seats_of("Party A"), Some(7));
//! assert_eq!(outcome.seats_of("Party B"), Some(3));
//! assert_eq!(outcome.seats_of("Party C"), Some(0)); // 4% < 5%: not admitted
//! assert_eq!(outcome.quota.to_string(), "90/1");
//! ```

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

mod ratio;

pub use ratio::{MalformedRatio, Ratio};

/// Most digits accepted after the decimal point of a threshold percent (after dropping trailing
/// zeros). Nine digits keep every denominator below `10^11`, so every comparison fits in `u128`.
pub const MAX_THRESHOLD_DECIMALS: usize = 9;

/// Why counts or rule parameters were refused. Each message names the offending party, candidate
/// or field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    /// The contest has no candidates or parties.
    #[error("the contest has no candidates or parties")]
    Empty,
    /// A candidate or party has an empty name.
    #[error("option number {position} (counting from 1) has an empty name")]
    EmptyName {
        /// 1-based position of the option in registration order.
        position: usize,
    },
    /// Two candidates or parties have the same name.
    #[error("{name:?} is listed twice; candidate and party names must be unique")]
    DuplicateName {
        /// The repeated name.
        name: String,
    },
    /// One option has more votes than there were participants.
    #[error("{name:?} has {votes} votes, more than the {participants} participants")]
    VotesAboveParticipants {
        /// The option whose count is too large.
        name: String,
        /// Its count.
        votes: u64,
        /// The number of voters who took part.
        participants: u64,
    },
    /// "Against all" has more votes than there were participants.
    #[error("against_all is {against_all}, more than the {participants} participants")]
    AgainstAllAboveParticipants {
        /// The "against all" count.
        against_all: u64,
        /// The number of voters who took part.
        participants: u64,
    },
    /// The votes for all options plus "against all" exceed the participants.
    #[error(
        "the votes for all options plus against_all add up to {total}, \
         more than the {participants} participants"
    )]
    TotalAboveParticipants {
        /// Sum of all option counts and "against all" (as `u128`, it may exceed `u64`).
        total: u128,
        /// The number of voters who took part.
        participants: u64,
    },
    /// A proportional contest with no seats to fill.
    #[error("seats is 0; a proportional contest needs at least one seat")]
    ZeroSeats,
    /// The threshold percent is not a plain decimal number.
    #[error("threshold_percent {value:?} is not a decimal number like \"5\" or \"5.5\": {reason}")]
    MalformedThreshold {
        /// The text as given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The threshold percent is above 100.
    #[error("threshold_percent {value:?} is outside 0 to 100")]
    ThresholdOutOfRange {
        /// The text as given.
        value: String,
    },
    /// A share parameter (numerator / denominator) is not in `[0, 1)`.
    #[error(
        "{field} is {numerator}/{denominator}; it must have a denominator above 0 \
         and be less than 1"
    )]
    InvalidShare {
        /// The parameter, e.g. `turnout` or `majority`.
        field: &'static str,
        /// Its numerator.
        numerator: u64,
        /// Its denominator.
        denominator: u64,
    },
    /// A referendum was given a number of options other than two.
    #[error("a referendum has exactly two options, yes then no; got {count}")]
    ReferendumOptions {
        /// How many options were given.
        count: usize,
    },
    /// "Against all" votes were given for a referendum.
    #[error("against_all is {against_all}, but a referendum has no \"against all\" option")]
    AgainstAllInReferendum {
        /// The "against all" count given.
        against_all: u64,
    },
    /// More participants than registered voters in a referendum.
    #[error("participants is {participants}, more than the {registered_voters} registered voters")]
    ParticipantsAboveRegistered {
        /// The number of voters who took part.
        participants: u64,
        /// The number of registered voters.
        registered_voters: u64,
    },
}

// Rule parameters (embedded in the election manifest)
// ---------------------------------------------------------------------------------------------

/// How a contest's counts become its outcome. Embedded in the election manifest, one per contest.
///
/// JSON: `{"kind": "majoritarian", ...}`, `{"kind": "proportional", ...}` or
/// `{"kind": "referendum", ...}`, with the fields of the matching rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rule {
    /// Absolute majority, else a runoff between the two leaders.
    Majoritarian(MajoritarianRule),
    /// Party lists: threshold, Hare quota, largest remainders.
    Proportional(ProportionalRule),
    /// A yes/no question with turnout and approval quorums.
    Referendum(ReferendumRule),
}

/// Parameters of the majoritarian rule (spec `rules.md` §2).
///
/// A candidate wins with strictly more than `majority_numerator / majority_denominator` of the
/// participants' votes (default `1/2`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MajoritarianRule {
    /// Numerator of the share a winner must exceed. Default 1.
    #[serde(default = "one", deserialize_with = "one_if_null")]
    pub majority_numerator: u64,
    /// Denominator of the share a winner must exceed. Default 2.
    #[serde(default = "two", deserialize_with = "two_if_null")]
    pub majority_denominator: u64,
}

impl Default for MajoritarianRule {
    /// Strictly more than half, as for the President of Kazakhstan.
    fn default() -> Self {
        MajoritarianRule {
            majority_numerator: 1,
            majority_denominator: 2,
        }
    }
}

impl MajoritarianRule {
    /// The share a winner must exceed, after checking it is in `[0, 1)`.
    pub fn majority(&self) -> Result<Ratio, RulesError> {
        share(
            "majority",
            self.majority_numerator,
            self.majority_denominator,
        )
    }
}

/// Parameters of the proportional party-list rule (spec `rules.md` §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProportionalRule {
    /// Seats to fill from the party lists (29 or 69 for the Mazhilis, see the spec).
    pub seats: u32,
    /// Admission threshold, percent of participants, as an exact decimal string: `"5"`
    /// (current), `"7"` (until the 2021 election), `"5.5"`.
    pub threshold_percent: String,
}

impl ProportionalRule {
    /// The threshold as an exact share of participants (`"5"` gives `1/20`).
    pub fn threshold(&self) -> Result<Ratio, RulesError> {
        Ratio::from_percent_str(&self.threshold_percent)
    }
}

/// Parameters of the referendum rule (spec `rules.md` §4).
///
/// Valid when participants are strictly more than `turnout` of registered voters; approved when
/// valid and "yes" votes are strictly more than `approval` of participants. Both default to `1/2`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferendumRule {
    /// Voters on the lists.
    pub registered_voters: u64,
    /// Numerator of the turnout share to exceed. Default 1.
    #[serde(default = "one", deserialize_with = "one_if_null")]
    pub turnout_numerator: u64,
    /// Denominator of the turnout share to exceed. Default 2.
    #[serde(default = "two", deserialize_with = "two_if_null")]
    pub turnout_denominator: u64,
    /// Numerator of the share of participants "yes" must exceed. Default 1.
    #[serde(default = "one", deserialize_with = "one_if_null")]
    pub approval_numerator: u64,
    /// Denominator of the share of participants "yes" must exceed. Default 2.
    #[serde(default = "two", deserialize_with = "two_if_null")]
    pub approval_denominator: u64,
}

impl ReferendumRule {
    /// The default rule (more than half take part, more than half of them say yes) for a given
    /// number of registered voters.
    pub fn new(registered_voters: u64) -> ReferendumRule {
        ReferendumRule {
            registered_voters,
            turnout_numerator: 1,
            turnout_denominator: 2,
            approval_numerator: 1,
            approval_denominator: 2,
        }
    }

    /// The turnout share, checked to be in `[0, 1)`.
    pub fn turnout(&self) -> Result<Ratio, RulesError> {
        share("turnout", self.turnout_numerator, self.turnout_denominator)
    }

    /// The approval share, checked to be in `[0, 1)`.
    pub fn approval(&self) -> Result<Ratio, RulesError> {
        share(
            "approval",
            self.approval_numerator,
            self.approval_denominator,
        )
    }
}

/// A share field that is `null` takes its default, as if absent (spec `record.md` §6.3).
fn one_if_null<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    Ok(Option::<u64>::deserialize(deserializer)?.unwrap_or_else(one))
}

/// See [`one_if_null`].
fn two_if_null<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    Ok(Option::<u64>::deserialize(deserializer)?.unwrap_or_else(two))
}

fn one() -> u64 {
    1
}

fn two() -> u64 {
    2
}

fn share(field: &'static str, numerator: u64, denominator: u64) -> Result<Ratio, RulesError> {
    let invalid = RulesError::InvalidShare {
        field,
        numerator,
        denominator,
    };
    if numerator >= denominator {
        return Err(invalid);
    }
    Ratio::new(numerator, denominator).ok_or(invalid)
}

impl Rule {
    /// Computes a contest's outcome from its decrypted counts.
    ///
    /// `counts` lists the contest's options in manifest order (registration order), each with its
    /// vote count. For a referendum they are exactly the "yes" option then the "no" option, and
    /// `against_all` must be `None` or `Some(0)`. `participants` is the number of voters who took
    /// part in the contest, including blank and invalid ballots and "against all".
    pub fn apply<S: AsRef<str>>(
        &self,
        participants: u64,
        counts: &[(S, u64)],
        against_all: Option<u64>,
    ) -> Result<Outcome, RulesError> {
        match self {
            Rule::Majoritarian(rule) => majoritarian_with(rule, participants, counts, against_all)
                .map(Outcome::Majoritarian),
            Rule::Proportional(rule) => {
                if rule.seats == 0 {
                    return Err(RulesError::ZeroSeats);
                }
                let threshold = rule.threshold()?;
                proportional(participants, counts, against_all, rule.seats, threshold)
                    .map(Outcome::Proportional)
            }
            Rule::Referendum(rule) => {
                if let Some(n) = against_all.filter(|&n| n > 0) {
                    return Err(RulesError::AgainstAllInReferendum { against_all: n });
                }
                match counts {
                    [(_, yes), (_, no)] => {
                        validate(participants, counts, None)?;
                        referendum(rule, participants, *yes, *no).map(Outcome::Referendum)
                    }
                    _ => Err(RulesError::ReferendumOptions {
                        count: counts.len(),
                    }),
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Outcomes (published in the election record)
// ---------------------------------------------------------------------------------------------

/// A contest's result as published in the election record.
///
/// JSON: the matching outcome's fields plus `"kind"`, as in [`Rule`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// Result of a majoritarian contest.
    Majoritarian(MajoritarianOutcome),
    /// Result of a proportional contest.
    Proportional(ProportionalOutcome),
    /// Result of a referendum.
    Referendum(ReferendumOutcome),
}

/// Result of a majoritarian contest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MajoritarianOutcome {
    /// Voters who took part.
    pub participants: u64,
    /// "Against all" votes, if the ballot had that line.
    pub against_all: Option<u64>,
    /// The share a winner had to exceed, e.g. `"1/2"`.
    pub majority: Ratio,
    /// Elected, runoff, or neither.
    pub decision: Decision,
}

impl MajoritarianOutcome {
    /// The elected candidate, if any.
    pub fn winner(&self) -> Option<&str> {
        match &self.decision {
            Decision::Elected(name) => Some(name),
            _ => None,
        }
    }

    /// The two runoff candidates, leader first, if there is a runoff.
    pub fn runoff(&self) -> Option<[&str; 2]> {
        match &self.decision {
            Decision::Runoff([a, b]) => Some([a, b]),
            _ => None,
        }
    }
}

/// What a majoritarian contest decided.
///
/// JSON: `{"elected": "Name"}`, `{"runoff": ["Leader", "Second"]}` or `"no_winner"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// This candidate exceeded the majority.
    Elected(String),
    /// Nobody exceeded it; these two go to a second round, the leader first.
    Runoff([String; 2]),
    /// The only candidate did not exceed the majority, so nobody is elected and there is nobody to
    /// hold a runoff with.
    NoWinner,
}

/// Result of a proportional (party-list) contest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProportionalOutcome {
    /// Voters who took part.
    pub participants: u64,
    /// "Against all" votes, if the ballot had that line.
    pub against_all: Option<u64>,
    /// Seats to fill; the `seats` of all parties add up to this, except under
    /// [`Admission::NoVotes`], where none is awarded.
    pub seats: u32,
    /// The admission threshold as a share of participants, e.g. `"1/20"` for 5%.
    pub threshold: Ratio,
    /// How the admitted parties were chosen.
    pub admission: Admission,
    /// The Hare quota: admitted parties' votes divided by seats, e.g. `"16133/10"`.
    pub quota: Ratio,
    /// Every party, in registration order.
    pub parties: Vec<PartySeats>,
}

impl ProportionalOutcome {
    /// Names of the admitted parties, in registration order.
    pub fn admitted(&self) -> impl Iterator<Item = &str> {
        self.parties
            .iter()
            .filter(|p| p.admitted)
            .map(|p| p.party.as_str())
    }

    /// Seats won by a party, or `None` if no party has that name.
    pub fn seats_of(&self, party: &str) -> Option<u32> {
        self.parties
            .iter()
            .find(|p| p.party == party)
            .map(|p| p.seats)
    }
}

/// How parties were admitted to the distribution of seats (spec `rules.md` §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Admission {
    /// Every party that reached the threshold, and only those (two or more, or a lone party that
    /// had no rival with any votes).
    Threshold,
    /// Only one party reached the threshold, so the party with the next-most votes was added.
    RunnerUpAdded,
    /// No party reached the threshold, so the two parties with the most votes were admitted (or
    /// the only one that had votes).
    TopTwoAdmitted,
    /// No party received a vote: nobody is admitted and no seat is awarded. Nobody voting is
    /// a result, not a failure (spec `rules.md` §3.2).
    NoVotes,
}

/// One party's line in a proportional outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartySeats {
    /// The party's name as listed.
    pub party: String,
    /// Its votes.
    pub votes: u64,
    /// Whether it took part in the distribution of seats.
    pub admitted: bool,
    /// Seats won (whole quotas plus any largest-remainder seat).
    pub seats: u32,
    /// Whether one of those seats came from the largest remainders.
    pub remainder_seat: bool,
}

/// Result of a referendum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferendumOutcome {
    /// Voters on the lists.
    pub registered_voters: u64,
    /// Voters who took part.
    pub participants: u64,
    /// "Yes" votes.
    pub yes: u64,
    /// "No" votes.
    pub no: u64,
    /// Share of registered voters the participants had to exceed, e.g. `"1/2"`.
    pub turnout: Ratio,
    /// Share of participants "yes" had to exceed, e.g. `"1/2"`.
    pub approval: Ratio,
    /// Whether turnout exceeded its share.
    pub valid: bool,
    /// Whether the referendum is valid and "yes" exceeded its share.
    pub approved: bool,
}

// ---------------------------------------------------------------------------------------------
// The rules
// ---------------------------------------------------------------------------------------------

/// Checks counts against participants (spec `rules.md` §1): at least one option, names non-empty
/// and unique, each count and `Σ votes + against_all` at most `participants`.
fn validate<S: AsRef<str>>(
    participants: u64,
    counts: &[(S, u64)],
    against_all: Option<u64>,
) -> Result<(), RulesError> {
    if counts.is_empty() {
        return Err(RulesError::Empty);
    }
    let mut seen = HashSet::with_capacity(counts.len());
    let mut total = u128::from(against_all.unwrap_or(0));
    for (i, (name, votes)) in counts.iter().enumerate() {
        let name = name.as_ref();
        if name.is_empty() {
            return Err(RulesError::EmptyName { position: i + 1 });
        }
        if !seen.insert(name) {
            return Err(RulesError::DuplicateName {
                name: name.to_owned(),
            });
        }
        if *votes > participants {
            return Err(RulesError::VotesAboveParticipants {
                name: name.to_owned(),
                votes: *votes,
                participants,
            });
        }
        total += u128::from(*votes);
    }
    if let Some(against_all) = against_all {
        if against_all > participants {
            return Err(RulesError::AgainstAllAboveParticipants {
                against_all,
                participants,
            });
        }
    }
    if total > u128::from(participants) {
        return Err(RulesError::TotalAboveParticipants {
            total,
            participants,
        });
    }
    Ok(())
}

/// Positions of `counts` ranked by votes, most first; equal votes keep registration order
/// (spec `rules.md` §1.2).
fn ranking<S>(counts: &[(S, u64)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..counts.len()).collect();
    // Stable sort: equal counts stay in registration order.
    order.sort_by(|&a, &b| counts[b].1.cmp(&counts[a].1));
    order
}

/// The majoritarian rule with the default majority (strictly more than half of participants).
///
/// `candidates` are in registration order. "Against all" counts toward participants but is never
/// a candidate. See [`majoritarian_with`] for the details.
pub fn majoritarian<S: AsRef<str>>(
    participants: u64,
    candidates: &[(S, u64)],
    against_all: Option<u64>,
) -> Result<MajoritarianOutcome, RulesError> {
    majoritarian_with(
        &MajoritarianRule::default(),
        participants,
        candidates,
        against_all,
    )
}

/// The majoritarian rule (spec `rules.md` §2).
///
/// Rank candidates by votes, equal votes in registration order. The leader is elected when
/// `votes · den > num · participants` for the majority share `num/den`. Otherwise the first two
/// in the ranking go to a runoff; with a single candidate who falls short there is
/// [`Decision::NoWinner`].
pub fn majoritarian_with<S: AsRef<str>>(
    rule: &MajoritarianRule,
    participants: u64,
    candidates: &[(S, u64)],
    against_all: Option<u64>,
) -> Result<MajoritarianOutcome, RulesError> {
    let majority = rule.majority()?;
    validate(participants, candidates, against_all)?;
    let order = ranking(candidates);
    let name = |i: usize| candidates[i].0.as_ref().to_owned();
    let decision = match order.as_slice() {
        [first, ..] if majority.exceeded_by(candidates[*first].1, participants) => {
            Decision::Elected(name(*first))
        }
        [first, second, ..] => Decision::Runoff([name(*first), name(*second)]),
        _ => Decision::NoWinner,
    };
    Ok(MajoritarianOutcome {
        participants,
        against_all,
        majority,
        decision,
    })
}

/// The proportional party-list rule (spec `rules.md` §3).
///
/// `parties` are in registration order; `threshold` is the share of participants a party needs
/// (see [`Ratio::from_percent_str`]).
///
/// 1. Admission: parties with at least one vote and `votes · den ≥ num · participants`. If exactly
///    one party passes, the party with the next-most votes (at least one) is added; if none
///    passes, the two parties with the most votes (at least one each) are admitted. Equal votes
///    rank in registration order.
/// 2. Hare quota `V / seats`, `V` the admitted parties' votes. Party `i` first gets
///    `⌊votes_i · seats / V⌋` seats.
/// 3. The seats left go one each to the admitted parties with the largest remainders
///    `votes_i · seats mod V`, equal remainders in registration order.
pub fn proportional<S: AsRef<str>>(
    participants: u64,
    parties: &[(S, u64)],
    against_all: Option<u64>,
    seats: u32,
    threshold: Ratio,
) -> Result<ProportionalOutcome, RulesError> {
    if seats == 0 {
        return Err(RulesError::ZeroSeats);
    }
    validate(participants, parties, against_all)?;

    // §3.2 admission
    let passed: Vec<bool> = parties
        .iter()
        .map(|(_, v)| *v > 0 && threshold.reached_by(*v, participants))
        .collect();
    let mut admitted = passed.clone();
    let passed_count = passed.iter().filter(|&&p| p).count();
    let admission = match passed_count {
        0 => {
            for i in ranking(parties).into_iter().take(2) {
                admitted[i] = parties[i].1 > 0;
            }
            Admission::TopTwoAdmitted
        }
        1 => {
            let runner_up = ranking(parties)
                .into_iter()
                .find(|&i| !passed[i] && parties[i].1 > 0);
            match runner_up {
                Some(i) => {
                    admitted[i] = true;
                    Admission::RunnerUpAdded
                }
                None => Admission::Threshold,
            }
        }
        _ => Admission::Threshold,
    };

    // §3.3 quota and whole quotas. Every product is at most u64::MAX · u32::MAX < 2^96.
    let total: u64 = parties
        .iter()
        .zip(&admitted)
        .filter(|(_, &a)| a)
        .map(|((_, v), _)| *v)
        .sum(); // validate() bounded the sum of all counts by participants
    if total == 0 {
        // §3.2: no seat can be awarded; the quota V / seats is 0.
        return Ok(ProportionalOutcome {
            participants,
            against_all,
            seats,
            threshold,
            admission: Admission::NoVotes,
            quota: Ratio::new(0, 1).ok_or(RulesError::ZeroSeats)?,
            parties: parties
                .iter()
                .map(|(name, votes)| PartySeats {
                    party: name.as_ref().to_owned(),
                    votes: *votes,
                    admitted: false,
                    seats: 0,
                    remainder_seat: false,
                })
                .collect(),
        });
    }
    let quota = Ratio::new(total, u64::from(seats)).ok_or(RulesError::ZeroSeats)?;
    let v_total = u128::from(total);
    let s = u128::from(seats);
    let mut won = vec![0u32; parties.len()];
    let mut remainder = vec![0u128; parties.len()];
    for (i, (_, votes)) in parties.iter().enumerate() {
        if admitted[i] {
            let scaled = u128::from(*votes) * s;
            // scaled / v_total ≤ seats since votes ≤ total, so it fits in u32.
            won[i] = u32::try_from(scaled / v_total).unwrap_or(seats);
            remainder[i] = scaled % v_total;
        }
    }
    let given: u32 = won.iter().sum();
    let left = seats.saturating_sub(given);

    // §3.4 largest remainders; ties to the party registered earlier.
    let mut by_remainder: Vec<usize> = (0..parties.len()).filter(|&i| admitted[i]).collect();
    by_remainder.sort_by(|&a, &b| remainder[b].cmp(&remainder[a]).then(a.cmp(&b)));
    let mut extra = vec![false; parties.len()];
    for &i in by_remainder.iter().take(left as usize) {
        won[i] += 1;
        extra[i] = true;
    }

    Ok(ProportionalOutcome {
        participants,
        against_all,
        seats,
        threshold,
        admission,
        quota,
        parties: parties
            .iter()
            .enumerate()
            .map(|(i, (name, votes))| PartySeats {
                party: name.as_ref().to_owned(),
                votes: *votes,
                admitted: admitted[i],
                seats: won[i],
                remainder_seat: extra[i],
            })
            .collect(),
    })
}

/// The referendum rule (spec `rules.md` §4).
///
/// Valid when `participants · turnout_den > turnout_num · registered_voters`; approved when valid
/// and `yes · approval_den > approval_num · participants`. Blank and invalid ballots count as
/// participants, so they weigh like "no" in the approval test.
pub fn referendum(
    rule: &ReferendumRule,
    participants: u64,
    yes: u64,
    no: u64,
) -> Result<ReferendumOutcome, RulesError> {
    let turnout = rule.turnout()?;
    let approval = rule.approval()?;
    if participants > rule.registered_voters {
        return Err(RulesError::ParticipantsAboveRegistered {
            participants,
            registered_voters: rule.registered_voters,
        });
    }
    validate(participants, &[("yes", yes), ("no", no)], None)?;
    let valid = turnout.exceeded_by(participants, rule.registered_voters);
    let approved = valid && approval.exceeded_by(yes, participants);
    Ok(ReferendumOutcome {
        registered_voters: rule.registered_voters,
        participants,
        yes,
        no,
        turnout,
        approval,
        valid,
        approved,
    })
}
