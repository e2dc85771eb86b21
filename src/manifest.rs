//! The election definition: contests, options, multilingual labels and selection limits.
//!
//! Spec: `protocol-spec/manifest.md`. The manifest is published as `manifest.json`; its hash is
//! SHA3 over the file's bytes exactly as published (§4), so no canonical-JSON rules are needed.

use crate::crypto::digest::{tagged_hash, Hash};
use crate::rules::{MajoritarianRule, ProportionalRule, ReferendumRule, Rule};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use text::{first_confusable_pair, text_problem};

pub mod text;

/// Labels by language code (`kk`, `ru`, `en`, ...).
pub type Labels = BTreeMap<String, String>;

/// Largest number of contests and of options per contest (keeps verification bounded).
pub const MAX_CONTESTS: usize = 64;
/// Largest number of options in one contest.
pub const MAX_OPTIONS: usize = 256;
/// Largest per-option score and total a contest may allow. An option's count is at most
/// participants × score, and the tally's discrete log is bounded (`tally::DiscreteLog`, 2⁴⁰):
/// 2¹⁶ leaves room for 2²⁴ ≈ 16.7 million voters.
pub const MAX_SCORE: u64 = 1 << 16;

/// The election manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Format version; must be 1.
    pub version: u32,
    /// A unique identifier chosen by the commission.
    pub election_id: String,
    /// The election's title.
    pub title: Labels,
    /// Languages every label must have; the first is the default for display.
    pub languages: Vec<String>,
    /// The contests, in ballot order.
    pub contests: Vec<Contest>,
}

/// One contest on the ballot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contest {
    /// Identifier, unique in the manifest.
    pub id: String,
    /// Title.
    pub title: Labels,
    /// What a voter may select.
    pub kind: ContestKind,
    /// Options (candidates, parties, yes/no), in registration order.
    pub options: Vec<ContestOption>,
    /// How the counts become the outcome (spec `rules.md`); none publishes counts only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Rule>,
}

/// The kinds of contest and their selection rules (spec `manifest.md` §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ContestKind {
    /// Yes/no question: exactly two options, exactly one selected.
    Referendum {},
    /// Exactly one option selected (one of them may be "against all").
    SingleChoice {},
    /// Between `min` and `max` options selected.
    Approval {
        /// Fewest selections.
        min: u64,
        /// Most selections.
        max: u64,
    },
    /// Exactly one party selected.
    PartyList {},
    /// Each option scored `0..=max_score`, scores summing to at most `max_total`.
    Score {
        /// Highest score per option.
        max_score: u64,
        /// Highest sum of scores.
        max_total: u64,
    },
}

/// One option of a contest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContestOption {
    /// Identifier, unique in the contest.
    pub id: String,
    /// The option's text.
    pub label: Labels,
    /// True for the "against all" option of a single-choice contest.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub against_all: bool,
}

/// What one ballot may put in a contest: each option in `0..=option_max`, the total in
/// `total_min..=total_max` (spec `manifest.md` §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Highest value of one option.
    pub option_max: u64,
    /// Lowest total over the contest's options.
    pub total_min: u64,
    /// Highest total over the contest's options.
    pub total_max: u64,
}

impl ContestKind {
    /// The selection limits of this kind of contest.
    pub fn limits(&self) -> Limits {
        match *self {
            ContestKind::Referendum {}
            | ContestKind::SingleChoice {}
            | ContestKind::PartyList {} => Limits {
                option_max: 1,
                total_min: 1,
                total_max: 1,
            },
            ContestKind::Approval { min, max } => Limits {
                option_max: 1,
                total_min: min,
                total_max: max,
            },
            ContestKind::Score {
                max_score,
                max_total,
            } => Limits {
                option_max: max_score,
                total_min: 0,
                total_max: max_total,
            },
        }
    }
}

/// A problem found by [`Manifest::check`], with the JSON path of the culprit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestProblem {
    /// Where: a JSON path such as `contests[1].options[3].label`.
    pub path: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl std::fmt::Display for ManifestProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl Manifest {
    /// The manifest hash: SHA3 over the bytes of `manifest.json` as published (spec §4).
    pub fn hash_bytes(bytes: &[u8]) -> Hash {
        tagged_hash("saylau/v1/manifest", &[bytes])
    }

    /// The default label of a set of labels: the first manifest language that has one.
    pub fn label<'a>(&self, labels: &'a Labels) -> &'a str {
        self.label_in(labels, None)
    }

    /// The label in `language` if present, else in the manifest's languages in order.
    pub fn label_in<'a>(&self, labels: &'a Labels, language: Option<&str>) -> &'a str {
        language
            .into_iter()
            .chain(self.languages.iter().map(String::as_str))
            .find_map(|lang| labels.get(lang))
            .or_else(|| labels.values().next())
            .map(String::as_str)
            .unwrap_or("")
    }

    /// Checks every rule of spec `manifest.md` §5 and returns all problems found.
    pub fn check(&self) -> Vec<ManifestProblem> {
        let mut problems = Vec::new();
        let mut problem =
            |path: String, message: String| problems.push(ManifestProblem { path, message });
        if self.version != 1 {
            problem(
                "version".into(),
                format!(
                    "unsupported version {}; this saylau reads version 1",
                    self.version
                ),
            );
        }
        if self.election_id.trim().is_empty() {
            problem("election_id".into(), "must not be empty".into());
        }
        if let Some(text) = text_problem(&self.election_id) {
            problem("election_id".into(), text);
        }
        if self.languages.is_empty() {
            problem(
                "languages".into(),
                "list at least one language code, e.g. [\"kk\", \"ru\", \"en\"]".into(),
            );
        }
        let mut seen_languages = BTreeSet::new();
        for (i, lang) in self.languages.iter().enumerate() {
            if lang.is_empty() || !seen_languages.insert(lang) {
                problem(
                    format!("languages[{i}]"),
                    format!("language code {lang:?} is empty or repeated"),
                );
            }
        }
        let check_labels =
            |path: String, labels: &Labels, problem: &mut dyn FnMut(String, String)| {
                for lang in &self.languages {
                    match labels.get(lang) {
                        Some(text) if !text.trim().is_empty() => {}
                        _ => problem(
                            format!("{path}.{lang}"),
                            format!("missing the {lang:?} text"),
                        ),
                    }
                }
                for lang in labels.keys() {
                    if !self.languages.contains(lang) {
                        problem(
                            format!("{path}.{lang}"),
                            format!("language {lang:?} is not listed in `languages`"),
                        );
                    }
                }
                for (lang, text) in labels {
                    if let Some(text) = text_problem(text) {
                        problem(format!("{path}.{lang}"), text);
                    }
                }
            };
        // Rule 19: texts of one list that a reader could not tell apart.
        let confusable = |path: &dyn Fn(usize) -> String,
                          texts: Vec<&str>,
                          problem: &mut dyn FnMut(String, String)| {
            if let Some((first, second)) = first_confusable_pair(texts.iter().copied()) {
                problem(
                    path(second),
                    format!(
                        "{:?} looks the same as {:?} at {} (same Unicode confusable skeleton)",
                        texts[second],
                        texts[first],
                        path(first)
                    ),
                );
            }
        };
        check_labels("title".into(), &self.title, &mut problem);
        if self.contests.is_empty() || self.contests.len() > MAX_CONTESTS {
            problem(
                "contests".into(),
                format!("must list 1 to {MAX_CONTESTS} contests"),
            );
        }
        let mut contest_ids = BTreeSet::new();
        for (c, contest) in self.contests.iter().enumerate() {
            let at = format!("contests[{c}]");
            if contest.id.trim().is_empty() || !contest_ids.insert(&contest.id) {
                problem(
                    format!("{at}.id"),
                    format!("contest id {:?} is empty or repeated", contest.id),
                );
            }
            if let Some(text) = text_problem(&contest.id) {
                problem(format!("{at}.id"), text);
            }
            check_labels(format!("{at}.title"), &contest.title, &mut problem);
            let n = contest.options.len() as u64;
            if contest.options.is_empty() || contest.options.len() > MAX_OPTIONS {
                problem(
                    format!("{at}.options"),
                    format!("must list 1 to {MAX_OPTIONS} options"),
                );
            }
            let mut option_ids = BTreeSet::new();
            for (o, option) in contest.options.iter().enumerate() {
                if option.id.trim().is_empty() || !option_ids.insert(&option.id) {
                    problem(
                        format!("{at}.options[{o}].id"),
                        format!("option id {:?} is empty or repeated", option.id),
                    );
                }
                if let Some(text) = text_problem(&option.id) {
                    problem(format!("{at}.options[{o}].id"), text);
                }
                check_labels(
                    format!("{at}.options[{o}].label"),
                    &option.label,
                    &mut problem,
                );
                if option.against_all && !matches!(contest.kind, ContestKind::SingleChoice {}) {
                    problem(
                        format!("{at}.options[{o}].against_all"),
                        "only a single_choice contest may have an \"against all\" option".into(),
                    );
                }
            }
            confusable(
                &|o| format!("{at}.options[{o}].id"),
                contest.options.iter().map(|o| o.id.as_str()).collect(),
                &mut problem,
            );
            for lang in &self.languages {
                if contest.options.iter().all(|o| o.label.contains_key(lang)) {
                    confusable(
                        &|o| format!("{at}.options[{o}].label.{lang}"),
                        contest
                            .options
                            .iter()
                            .map(|o| o.label[lang].as_str())
                            .collect(),
                        &mut problem,
                    );
                }
            }
            if contest.options.iter().filter(|o| o.against_all).count() > 1 {
                problem(
                    format!("{at}.options"),
                    "at most one option may be \"against all\"".into(),
                );
            }
            match contest.kind {
                ContestKind::Referendum {} if n != 2 => {
                    problem(format!("{at}.options"), "a referendum has exactly two options: yes, then no".into())
                }
                ContestKind::SingleChoice {} | ContestKind::PartyList {} if n < 2 => {
                    problem(format!("{at}.options"), "needs at least two options".into())
                }
                ContestKind::Approval { min, max } if min > max || max > n || max == 0 => problem(
                    format!("{at}.kind"),
                    format!("approval needs min ≤ max ≤ number of options ({n}) and max ≥ 1; found min {min}, max {max}"),
                ),
                ContestKind::Score { max_score, max_total }
                    if max_score == 0 || max_total == 0 || max_score > MAX_SCORE || max_total > MAX_SCORE =>
                {
                    problem(format!("{at}.kind"), format!("score needs 1 ≤ max_score, max_total ≤ {MAX_SCORE}"))
                }
                _ => {}
            }
            match (&contest.rule, contest.kind) {
                (None, _)
                | (Some(Rule::Majoritarian(_)), ContestKind::SingleChoice {})
                | (Some(Rule::Proportional(_)), ContestKind::PartyList {})
                | (Some(Rule::Referendum(_)), ContestKind::Referendum {}) => {}
                (Some(_), kind) => problem(
                    format!("{at}.rule"),
                    format!("this rule does not apply to a {kind:?} contest (majoritarian: single_choice, proportional: party_list, referendum: referendum)"),
                ),
            }
            let rule_problem = match &contest.rule {
                Some(Rule::Majoritarian(rule)) => rule.majority().err(),
                Some(Rule::Proportional(rule)) if rule.seats == 0 => {
                    Some(crate::rules::RulesError::ZeroSeats)
                }
                Some(Rule::Proportional(rule)) => rule.threshold().err(),
                Some(Rule::Referendum(rule)) => rule.turnout().and_then(|_| rule.approval()).err(),
                None => None,
            };
            if let Some(error) = rule_problem {
                problem(format!("{at}.rule"), error.to_string());
            }
        }
        confusable(
            &|c| format!("contests[{c}].id"),
            self.contests.iter().map(|c| c.id.as_str()).collect(),
            &mut problem,
        );
        problems
    }

    /// The default demo election: a presidential contest (six candidates and "against all"),
    /// a party-list contest with seven parties, and a yes/no referendum, in Kazakh, Russian
    /// and English.
    pub fn example() -> Self {
        fn labels(kk: &str, ru: &str, en: &str) -> Labels {
            [("kk", kk), ("ru", ru), ("en", en)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        }
        fn option(id: &str, kk: &str, ru: &str, en: &str) -> ContestOption {
            ContestOption {
                id: id.into(),
                label: labels(kk, ru, en),
                against_all: false,
            }
        }
        let candidates = [
            (
                "aigerim-nurlanova",
                "Айгерім Нұрланова",
                "Айгерим Нурланова",
                "Aigerim Nurlanova",
            ),
            (
                "bolat-sadykov",
                "Болат Садықов",
                "Болат Садыков",
                "Bolat Sadykov",
            ),
            (
                "dana-omarova",
                "Дана Омарова",
                "Дана Омарова",
                "Dana Omarova",
            ),
            (
                "erlan-tokayev",
                "Ерлан Тоқаев",
                "Ерлан Токаев",
                "Erlan Tokayev",
            ),
            (
                "gulnara-abenova",
                "Гүлнар Әбенова",
                "Гульнар Абенова",
                "Gulnara Abenova",
            ),
            (
                "marat-zhunusov",
                "Марат Жүнісов",
                "Марат Жунусов",
                "Marat Zhunusov",
            ),
        ];
        let mut president: Vec<ContestOption> = candidates
            .iter()
            .map(|(id, kk, ru, en)| option(id, kk, ru, en))
            .collect();
        president.push(ContestOption {
            id: "against-all".into(),
            label: labels("Барлығына қарсы", "Против всех", "Against all"),
            against_all: true,
        });
        let parties = [
            ("amanat", "«Аманат»", "«Аманат»", "Amanat"),
            ("auyl", "«Ауыл»", "«Ауыл»", "Auyl"),
            ("respublica", "«Respublica»", "«Respublica»", "Respublica"),
            ("ak-zhol", "«Ақ жол»", "«Ак жол»", "Ak Zhol"),
            (
                "qhp",
                "Қазақстан халық партиясы",
                "Народная партия Казахстана",
                "People's Party of Kazakhstan",
            ),
            (
                "ndsp",
                "«Ұлттық социал-демократиялық партия»",
                "«Общенациональная социал-демократическая партия»",
                "National Social Democratic Party",
            ),
            ("baytaq", "«Байтақ»", "«Байтак»", "Baytaq"),
        ];
        Manifest {
            version: 1,
            election_id: "kz-demo-2026".into(),
            title: labels(
                "Демонстрациялық сайлау",
                "Демонстрационные выборы",
                "Demonstration election",
            ),
            languages: vec!["kk".into(), "ru".into(), "en".into()],
            contests: vec![
                Contest {
                    id: "president".into(),
                    title: labels(
                        "Президент сайлауы",
                        "Выборы Президента",
                        "Presidential election",
                    ),
                    kind: ContestKind::SingleChoice {},
                    options: president,
                    rule: Some(Rule::Majoritarian(MajoritarianRule::default())),
                },
                Contest {
                    id: "mazhilis".into(),
                    title: labels(
                        "Мәжіліс: партиялық тізімдер",
                        "Мажилис: партийные списки",
                        "Mazhilis: party lists",
                    ),
                    kind: ContestKind::PartyList {},
                    options: parties
                        .iter()
                        .map(|(id, kk, ru, en)| option(id, kk, ru, en))
                        .collect(),
                    rule: Some(Rule::Proportional(ProportionalRule {
                        seats: 69,
                        threshold_percent: "5".into(),
                    })),
                },
                Contest {
                    id: "referendum".into(),
                    title: labels(
                        "Сіз Конституцияға түзетулерді қолдайсыз ба?",
                        "Поддерживаете ли вы поправки в Конституцию?",
                        "Do you support the amendments to the Constitution?",
                    ),
                    kind: ContestKind::Referendum {},
                    options: vec![
                        option("yes", "Иә", "Да", "Yes"),
                        option("no", "Жоқ", "Нет", "No"),
                    ],
                    // 0: the registered voters are the listed credentials (spec manifest.md §6.3).
                    rule: Some(Rule::Referendum(ReferendumRule::new(0))),
                },
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_is_valid_and_round_trips() {
        let manifest = Manifest::example();
        assert_eq!(manifest.check(), vec![]);
        let json = serde_json::to_string_pretty(&manifest).unwrap();
        assert_eq!(serde_json::from_str::<Manifest>(&json).unwrap(), manifest);
    }

    /// Every kind, with or without parameters, refuses keys it does not have: a typo in a
    /// manifest must not be silently ignored.
    #[test]
    fn kinds_refuse_unknown_keys() {
        let kinds = [
            r#"{"type":"referendum"}"#,
            r#"{"type":"single_choice"}"#,
            r#"{"type":"party_list"}"#,
            r#"{"type":"approval","min":1,"max":2}"#,
            r#"{"type":"score","max_score":5,"max_total":9}"#,
        ];
        for kind in kinds {
            let parsed: ContestKind = serde_json::from_str(kind).unwrap();
            assert_eq!(serde_json::to_string(&parsed).unwrap(), kind);
            let extra = kind.replacen('}', r#","seats":3}"#, 1);
            let error = serde_json::from_str::<ContestKind>(&extra).unwrap_err();
            assert!(
                error.to_string().contains("unknown field `seats`"),
                "{extra}: {error}"
            );
        }
    }

    /// Rules 18 and 19 (§5.1): ids and labels that read the same as another, or hide
    /// characters, are refused with the culprit's path.
    #[test]
    fn invisible_and_look_alike_texts_are_refused() {
        let mut manifest = Manifest::example();
        let id = manifest.contests[0].options[1].id.clone();
        manifest.contests[0].options[2].id = format!("{id}\u{200B}");
        manifest.contests[0].options[3]
            .label
            .insert("en".into(), "\u{202E}reklaw".into());
        let bolat = manifest.contests[0].options[0].label["en"].clone();
        let look_alike: String = bolat
            .chars()
            .map(|c| match c {
                'a' => '\u{0430}',
                'o' => '\u{043E}',
                'e' => '\u{0435}',
                c => c,
            })
            .collect();
        assert_ne!(look_alike, bolat);
        manifest.contests[0].options[4]
            .label
            .insert("en".into(), look_alike);
        manifest.contests[2].id = "referendum".into();
        manifest.contests[1].id = "r\u{0435}ferendum".into();
        let problems = manifest.check();
        let at = |path: &str| {
            problems
                .iter()
                .find(|p| p.path == path)
                .unwrap_or_else(|| panic!("no problem at {path}: {problems:?}"))
                .message
                .clone()
        };
        assert!(at("contests[0].options[2].id").contains("U+200B"));
        assert!(at("contests[0].options[3].label.en").contains("U+202E"));
        assert!(at("contests[0].options[4].label.en").contains("looks the same"));
        assert!(at("contests[2].id").contains("looks the same"));
        // The zero-width space also makes option 2's id read as option 1's.
        assert_eq!(problems.len(), 5, "{problems:?}");
    }

    #[test]
    fn problems_name_the_field() {
        let mut manifest = Manifest::example();
        manifest.contests[2].options.pop();
        manifest.contests[0].options[1].label.remove("ru");
        manifest.contests[1].options[0].against_all = true;
        let paths: Vec<String> = manifest.check().into_iter().map(|p| p.path).collect();
        assert!(
            paths.contains(&"contests[2].options".to_string()),
            "{paths:?}"
        );
        assert!(
            paths.contains(&"contests[0].options[1].label.ru".to_string()),
            "{paths:?}"
        );
        assert!(
            paths.contains(&"contests[1].options[0].against_all".to_string()),
            "{paths:?}"
        );
    }
}
