//! The receipt page's templates (`crates/board/templates/page/`, askama, HTML-escaped) and the
//! data each is rendered from. Every sentence comes from [`super::messages`]; nothing here reads
//! the store except through [`super::lookup`].

use askama::Template;
use axum::http::StatusCode;
use saylau::election::{ShortCode, ShortCodeError};
use saylau::tally::chart::{outcome_marks, ChartWords};
use saylau::tally::results::Results;

use super::lookup::{self, Found, Lookup, OpenedContest, PageContext, PageError, Proof};
use super::messages::{fill, Lang, Messages};
use super::CODES_PER_PAGE;
use crate::store::Store;

/// A link to the same page in another language.
pub struct LangLink {
    /// `kk`, `ru`, `en`.
    pub tag: &'static str,
    /// The language's own name.
    pub name: &'static str,
    /// The link.
    pub href: String,
    /// Whether it is the page's language.
    pub current: bool,
}

/// What every page has: its language, its words, the language links.
pub struct Shell {
    /// `<html lang>`.
    pub lang: &'static str,
    /// The words.
    pub m: &'static Messages,
    /// The language links.
    pub links: Vec<LangLink>,
}

impl Shell {
    /// The shell of a page at `path` whose other parameters are `query` (already encoded,
    /// without `lang`).
    fn new(lang: Lang, path: &str, query: &str) -> Self {
        let links = Lang::ALL
            .into_iter()
            .map(|l| LangLink {
                tag: l.tag(),
                name: l.messages().name,
                href: format!("{path}?lang={}{query}", l.tag()),
                current: l == lang,
            })
            .collect();
        Self {
            lang: lang.tag(),
            m: lang.messages(),
            links,
        }
    }
}

/// One contest's results.
pub struct ContestView {
    /// Its title.
    pub title: String,
    /// Each option: label, votes, share of participants.
    pub rows: Vec<(String, u64, String)>,
    /// The outcome, if the contest has a rule.
    pub outcome: Option<String>,
}

/// The published results.
pub struct ResultsView {
    /// Turnout sentence.
    pub turnout: String,
    /// The chart's address.
    pub chart: String,
    /// The contests.
    pub contests: Vec<ContestView>,
}

/// `GET /`.
#[derive(Template)]
#[template(path = "page/index.html")]
pub struct IndexPage {
    /// The shell.
    pub shell: Shell,
    /// The code field's value.
    pub code: String,
    /// "Ballots on the board: N".
    pub total: String,
    /// Positions and short codes.
    pub rows: Vec<(u64, String)>,
    /// Link to the earlier page.
    pub previous: Option<String>,
    /// Link to the later page.
    pub next: Option<String>,
    /// The results, once published.
    pub results: Option<ResultsView>,
}

/// One ballot a code found.
pub struct BallotView {
    /// `ok`, `pending`, `warn`, `challenged`: the box's style.
    pub class: &'static str,
    /// Short form, when cast.
    pub short: Option<String>,
    /// Long form, when cast.
    pub long: Option<String>,
    /// The sentences, in order.
    pub lines: Vec<String>,
    /// A challenged ballot's choices.
    pub opened: Vec<OpenedContest>,
}

/// `GET /r`.
#[derive(Template)]
#[template(path = "page/lookup.html")]
pub struct LookupPage {
    /// The shell.
    pub shell: Shell,
    /// The code field's value.
    pub code: String,
    /// A sentence for a bad code, no ballot, or two ballots.
    pub notice: Option<String>,
    /// The ballots found.
    pub ballots: Vec<BallotView>,
}

/// The error page.
#[derive(Template)]
#[template(path = "page/error.html")]
pub struct ErrorPage {
    /// The shell.
    pub shell: Shell,
    /// The code field's value (empty).
    pub code: String,
}

/// A query-string value, percent-encoded.
fn encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Askama's own errors cannot happen with these templates (no fallible filter); an empty body
/// would still be a visible failure.
fn render(template: &impl Template) -> String {
    template.render().unwrap_or_default()
}

/// Renders `GET /`: the list of codes after `after`, and the results once published.
pub fn index(
    context: PageContext<'_>,
    store: &dyn Store,
    lang: Lang,
    after: u64,
) -> Result<String, PageError> {
    let m = lang.messages();
    let head = store.head()?;
    let rows: Vec<(u64, String)> = lookup::codes(store, after, CODES_PER_PAGE)?
        .into_iter()
        .map(|(p, short)| (p, short.to_string()))
        .collect();
    let page = CODES_PER_PAGE as u64;
    let previous = (after > 0).then(|| {
        let back = after.saturating_sub(page);
        format!("/?lang={}&after={back}", lang.tag())
    });
    let next = rows
        .last()
        .filter(|(p, _)| *p < head.cast)
        .map(|(p, _)| format!("/?lang={}&after={p}", lang.tag()));
    let results = lookup::results(context)?.map(|r| results_view(context, &r, lang));
    let query = if after > 0 {
        format!("&after={after}")
    } else {
        String::new()
    };
    Ok(render(&IndexPage {
        shell: Shell::new(lang, "/", &query),
        code: String::new(),
        total: fill(m.total, &[("count", &head.cast.to_string())]),
        rows,
        previous,
        next,
        results,
    }))
}

fn results_view(context: PageContext<'_>, results: &Results, lang: Lang) -> ResultsView {
    let manifest = &context.election.manifest;
    let words = ChartWords::for_language(Some(lang.tag()));
    let tag = Some(lang.tag());
    let contests = manifest
        .contests
        .iter()
        .zip(&results.contests)
        .map(|(contest, result)| {
            let label = |id: &str| match contest.options.iter().find(|o| o.id == id) {
                Some(o) => manifest.label_in(&o.label, tag).to_string(),
                None => id.to_string(),
            };
            ContestView {
                title: manifest.label_in(&contest.title, tag).to_string(),
                rows: contest
                    .options
                    .iter()
                    .zip(&result.counts)
                    .map(|(o, &votes)| {
                        (
                            manifest.label_in(&o.label, tag).to_string(),
                            votes,
                            words.percent(votes, results.participants),
                        )
                    })
                    .collect(),
                outcome: result
                    .outcome
                    .as_ref()
                    .map(|o| outcome_marks(o, &label, words).1),
            }
        })
        .collect();
    ResultsView {
        turnout: fill(
            lang.messages().turnout,
            &[
                ("participants", &results.participants.to_string()),
                ("eligible", &results.eligible.to_string()),
            ],
        ),
        chart: format!("/results.svg?lang={}", lang.tag()),
        contests,
    }
}

/// Renders what a typed code found, with the HTTP status it goes with.
pub fn lookup_page(lang: Lang, typed: &str, found: &Lookup) -> (StatusCode, String) {
    let m = lang.messages();
    let (status, notice, ballots) = match found {
        Lookup::BadCode(ShortCodeError::WrongLength(n)) => (
            StatusCode::BAD_REQUEST,
            Some(fill(m.bad_length, &[("count", &n.to_string())])),
            Vec::new(),
        ),
        Lookup::BadCode(ShortCodeError::BadCharacter { found, position }) => (
            StatusCode::BAD_REQUEST,
            Some(fill(
                m.bad_character,
                &[
                    ("character", &found.to_string()),
                    ("position", &position.to_string()),
                ],
            )),
            Vec::new(),
        ),
        Lookup::NotFound(code) => (
            StatusCode::NOT_FOUND,
            Some(fill(m.not_found, &[("code", code)])),
            Vec::new(),
        ),
        Lookup::Found(found) => (
            StatusCode::OK,
            (found.len() > 1).then(|| m.ambiguous.to_string()),
            found.iter().map(|f| ballot_view(m, f)).collect(),
        ),
    };
    let query = format!("&code={}", encode(typed));
    let body = render(&LookupPage {
        shell: Shell::new(lang, "/r", &query),
        code: typed.to_string(),
        notice,
        ballots,
    });
    (status, body)
}

fn ballot_view(m: &Messages, found: &Found) -> BallotView {
    match found {
        Found::Challenged(opened) => BallotView {
            class: "challenged",
            short: None,
            long: None,
            lines: vec![m.challenged.to_string()],
            opened: opened.clone(),
        },
        Found::Cast(cast) => {
            let mut lines = vec![fill(
                m.recorded,
                &[("position", &cast.position.to_string())],
            )];
            let mut class = "ok";
            match &cast.proof {
                Proof::InCheckpoint {
                    size,
                    cosigners,
                    quorum,
                    witnesses,
                } if *witnesses > 0 => lines.push(fill(
                    m.cosigned,
                    &[
                        ("size", &size.to_string()),
                        ("count", &cosigners.len().to_string()),
                        ("total", &witnesses.to_string()),
                        ("quorum", &quorum.to_string()),
                        ("names", &cosigners.join(", ")),
                    ],
                )),
                Proof::InCheckpoint { size, .. } => {
                    lines.push(fill(m.board_signed, &[("size", &size.to_string())]))
                }
                Proof::Pending => {
                    class = "pending";
                    lines.push(m.pending.to_string());
                }
            }
            match (cast.replaced_by, cast.published) {
                (Some(later), _) => {
                    class = "warn";
                    lines.push(fill(m.replaced, &[("later", &later.to_string())]));
                }
                (None, true) => lines.push(m.counted.to_string()),
                (None, false) => lines.push(m.not_counted_yet.to_string()),
            }
            BallotView {
                class,
                short: Some(ShortCode::of(&cast.tracking_code).to_string()),
                long: Some(hex::encode(cast.tracking_code)),
                lines,
                opened: Vec::new(),
            }
        }
    }
}

/// The page for a failure of the board's own data.
pub fn error_page(lang: Lang, _error: &PageError) -> String {
    render(&ErrorPage {
        shell: Shell::new(lang, "/", ""),
        code: String::new(),
    })
}
