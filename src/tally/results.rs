//! Results: counts from the combined decryption shares, and outcomes by the manifest's rules.
//! Published as `results.json`; the verifier re-derives both (checks 14 and 15).
//!
//! Spec: `protocol-spec/tally.md` §4 (counts), `rules.md` (outcomes), `verifier.md` §2.

use crate::ceremony::{lagrange_at_zero, CeremonyRecord};
use crate::crypto::digest::Hash;
use crate::crypto::elgamal::encode_plaintext;
use crate::manifest::Manifest;
use crate::rules::{Outcome, ReferendumRule, Rule, RulesError};
use crate::tally::{plaintext_point, DecryptionShare, EncryptedTally};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// `results.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Results {
    /// Voters who took part: distinct credentials with a counted ballot.
    pub participants: u64,
    /// Eligible voters: listed credentials.
    pub eligible: u64,
    /// The `t` trustees whose shares were combined, in increasing order.
    pub trustees_used: Vec<u32>,
    /// Published shares that failed their proofs and were skipped.
    pub rejected_shares: Vec<RejectedShare>,
    /// One entry per manifest contest, in order.
    pub contests: Vec<ContestResult>,
}

/// A decryption share that was skipped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectedShare {
    /// The trustee.
    pub trustee: u32,
    /// Why.
    pub reason: String,
}

/// The counts and outcome of one contest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContestResult {
    /// The contest id.
    pub id: String,
    /// One count per option, in manifest order.
    pub counts: Vec<u64>,
    /// The outcome by the contest's rule, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

/// Applies each contest's rule to its counts (spec `manifest.md` §6.2–§6.3). Options are named by their
/// ids; "against all" is passed to the rule separately; a referendum rule with
/// `registered_voters = 0` uses `eligible`.
pub fn outcomes(
    manifest: &Manifest,
    participants: u64,
    eligible: u64,
    counts: &[Vec<u64>],
) -> Result<Vec<Option<Outcome>>, (usize, RulesError)> {
    manifest
        .contests
        .iter()
        .zip(counts)
        .enumerate()
        .map(|(c, (contest, counts))| {
            let Some(rule) = &contest.rule else {
                return Ok(None);
            };
            let rule = match rule {
                Rule::Referendum(r) if r.registered_voters == 0 => {
                    Rule::Referendum(ReferendumRule {
                        registered_voters: eligible,
                        ..r.clone()
                    })
                }
                other => other.clone(),
            };
            let mut against_all = None;
            let mut named = Vec::with_capacity(counts.len());
            for (option, &count) in contest.options.iter().zip(counts) {
                if option.against_all {
                    against_all = Some(count);
                } else {
                    named.push((option.id.clone(), count));
                }
            }
            rule.apply(participants, &named, against_all)
                .map(Some)
                .map_err(|e| (c, e))
        })
        .collect()
}

/// What [`check_results`] needs from the verified record.
pub struct ResultsContext<'a> {
    /// The manifest.
    pub manifest: &'a Manifest,
    /// The election fingerprint.
    pub fingerprint: &'a Hash,
    /// The ceremony (threshold).
    pub ceremony: &'a CeremonyRecord,
    /// Number of listed credentials.
    pub eligible: u64,
}

/// Verifier checks 14 (counts) and 15 (outcomes). `valid` maps each trustee whose share passed
/// check 13 to its position in `shares`. Reports failures through `fail(check, culprit, detail)`
/// and returns whether check 15 could run (it needs counts of the manifest's shape).
pub fn check_results(
    results: &Results,
    context: ResultsContext<'_>,
    tally: &EncryptedTally,
    shares: &[DecryptionShare],
    valid: &HashMap<u32, usize>,
    fail: &mut dyn FnMut(u32, String, String),
) -> bool {
    let manifest = context.manifest;
    if results.participants != tally.participants {
        fail(
            14,
            "results.json: participants".into(),
            "differs from the tally".into(),
        );
    }
    if results.eligible != context.eligible {
        fail(
            14,
            "results.json: eligible".into(),
            "differs from the number of listed credentials".into(),
        );
    }
    // The skipped shares are the published ones that failed check 13: a valid share listed as
    // rejected would accuse its trustee falsely, an invalid one left out would hide the fault.
    let mut listed = std::collections::HashSet::new();
    for rejected in &results.rejected_shares {
        let t = rejected.trustee;
        if valid.contains_key(&t) || !listed.insert(t) {
            fail(
                14,
                format!("results.json: rejected_shares (trustee {t})"),
                "this trustee's share is valid, or is listed twice".into(),
            );
        }
    }
    for &t in &listed {
        if !shares.iter().any(|s| s.trustee == t) {
            fail(
                14,
                format!("results.json: rejected_shares (trustee {t})"),
                "no share of this trustee is published, so its rejection cannot be checked".into(),
            );
        }
    }
    for share in shares.iter().filter(|s| !valid.contains_key(&s.trustee)) {
        if !listed.contains(&share.trustee) {
            fail(
                14,
                "results.json: rejected_shares".into(),
                format!(
                    "trustee {}'s share failed its proof but is not listed",
                    share.trustee
                ),
            );
        }
    }
    let threshold = context.ceremony.threshold as usize;
    let used = &results.trustees_used;
    if used.len() != threshold || used.windows(2).any(|w| w[0] >= w[1]) {
        fail(
            14,
            "results.json: trustees_used".into(),
            format!("must list exactly t = {threshold} distinct trustees in increasing order"),
        );
        return false;
    }
    if let Some(bad) = used.iter().find(|i| !valid.contains_key(i)) {
        fail(
            14,
            format!("results.json: trustees_used (trustee {bad})"),
            "this trustee has no valid decryption share".into(),
        );
        return false;
    }
    let Ok(lambdas) = lagrange_at_zero(used) else {
        fail(
            14,
            "results.json: trustees_used".into(),
            "indices do not give Lagrange coefficients".into(),
        );
        return false;
    };
    if results.contests.len() != manifest.contests.len() {
        fail(
            14,
            "results.json: contests".into(),
            "shape differs from the manifest".into(),
        );
        return false;
    }
    let used_shares: Vec<&DecryptionShare> = used
        .iter()
        .filter_map(|i| valid.get(i).map(|&p| &shares[p]))
        .collect();
    let mut shapes_ok = true;
    for (c, (contest, result)) in manifest.contests.iter().zip(&results.contests).enumerate() {
        if result.id != contest.id || result.counts.len() != contest.options.len() {
            fail(
                14,
                format!("results.json: contests[{c}]"),
                "id or number of counts differs from the manifest".into(),
            );
            shapes_ok = false;
            continue;
        }
        for (o, &count) in result.counts.iter().enumerate() {
            // Spec tally.md §4: β − Σ λᵢ·Mᵢ must equal count·G.
            let point = plaintext_point(&tally.contests[c][o], &lambdas, &used_shares, c, o);
            if point != encode_plaintext(count) {
                fail(
                    14,
                    format!(
                        "results.json: contests[{c}].counts[{o}] ({})",
                        contest.options[o].id
                    ),
                    "not the decryption of the tally".into(),
                );
            }
        }
    }
    if !shapes_ok {
        return false;
    }
    let counts: Vec<Vec<u64>> = results.contests.iter().map(|r| r.counts.clone()).collect();
    match outcomes(manifest, results.participants, results.eligible, &counts) {
        Err((c, error)) => fail(
            15,
            format!("results.json: contests[{c}].outcome"),
            format!("the rule cannot be applied: {error}"),
        ),
        Ok(expected) => {
            for (c, (expected, result)) in expected.iter().zip(&results.contests).enumerate() {
                if expected != &result.outcome {
                    fail(
                        15,
                        format!("results.json: contests[{c}].outcome ({})", result.id),
                        "differs from the outcome the rule gives for these counts".into(),
                    );
                }
            }
        }
    }
    true
}

/// The results as an SVG bar chart, labelled in `language` (or the manifest's first language).
pub fn chart(manifest: &Manifest, results: &Results, language: Option<&str>) -> String {
    use crate::tally::chart::{outcome_marks, results_svg, ChartBar, ChartContest, ChartWords};
    let words =
        ChartWords::for_language(language.or(manifest.languages.first().map(|l| l.as_str())));
    let contests: Vec<ChartContest> = manifest
        .contests
        .iter()
        .zip(&results.contests)
        .map(|(contest, result)| {
            let seats = match &result.outcome {
                Some(Outcome::Proportional(outcome)) => Some(outcome),
                _ => None,
            };
            let winners: Vec<&str> = match &result.outcome {
                Some(Outcome::Majoritarian(outcome)) => outcome
                    .winner()
                    .into_iter()
                    .chain(outcome.runoff().into_iter().flatten())
                    .collect(),
                // The first option of a referendum is "yes" (spec manifest.md §2).
                Some(Outcome::Referendum(outcome)) if outcome.approved => contest
                    .options
                    .first()
                    .map(|o| o.id.as_str())
                    .into_iter()
                    .collect(),
                _ => Vec::new(),
            };
            let bars = contest
                .options
                .iter()
                .zip(&result.counts)
                .map(|(option, &votes)| {
                    let party_seats = seats.and_then(|s| s.seats_of(&option.id)).map(u64::from);
                    ChartBar {
                        label: manifest.label_in(&option.label, language).to_string(),
                        votes,
                        seats: party_seats,
                        highlight: winners.contains(&option.id.as_str())
                            || party_seats.is_some_and(|s| s > 0),
                    }
                })
                .collect();
            // Outcomes name options by id; the chart shows their labels.
            let label = |id: &str| match contest.options.iter().find(|o| o.id == id) {
                Some(option) => manifest.label_in(&option.label, language).to_string(),
                None => id.to_string(),
            };
            let (line, outcome) = match &result.outcome {
                Some(outcome) => {
                    let (line, text) = outcome_marks(outcome, &label, words);
                    (Some(line), Some(text))
                }
                None => (None, None),
            };
            ChartContest {
                title: manifest.label_in(&contest.title, language).to_string(),
                bars,
                total: results.participants,
                line,
                outcome,
                words,
            }
        })
        .collect();
    results_svg(manifest.label_in(&manifest.title, language), &contests)
}
