//! Results as a standalone SVG bar chart, for the bulletin board page and printed reports.
//!
//! The caller picks the language: titles and labels arrive as plain strings and are written as
//! UTF-8 text, XML-escaped, in a font list that covers Cyrillic and Kazakh letters. Each contest
//! gets a title and one horizontal bar per option, scaled to the contest's largest count, with the
//! count written after the bar. When a bar has seats, a row of small squares (one per seat) and
//! the number of seats sit under it. When the contest has a rule, the chart also says what the
//! counts mean, in the chosen language ([`ChartWords`], [`outcome_marks`]): each count's share of
//! participants, a dashed line at the share that decides (the party-list threshold, the majority
//! a candidate must exceed, the approval a referendum needs) and the outcome under the bars (the
//! winner or the runoff pair, the seats, approved or rejected).
//!
//! Layout is integer arithmetic only: the same input gives the same bytes on every machine.
//!
//! ```
//! use saylau::tally::chart::{results_svg, ChartBar, ChartContest, ChartWords};
//!
//! let contest = ChartContest {
//!     title: "Мәжіліс".to_owned(),
//!     bars: vec![ChartBar { label: "Party A".to_owned(), votes: 600, seats: Some(7), highlight: true }],
//!     total: 1000,
//!     line: None,
//!     outcome: None,
//!     words: ChartWords::for_language(Some("kk")),
//! };
//! let svg = results_svg("Results", &[contest]);
//! assert!(svg.starts_with("<?xml"));
//! assert!(svg.contains("Мәжіліс"));
//! assert!(svg.contains("60,0"));
//! ```

use std::fmt::Write;

use crate::rules::{Decision, Outcome, Ratio};

/// One contest in the chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartContest {
    /// Heading above the bars, in the chosen language.
    pub title: String,
    /// One bar per option, drawn top to bottom in this order.
    pub bars: Vec<ChartBar>,
    /// The count that 100 % stands for (the participants); 0 writes no percentages.
    pub total: u64,
    /// A dashed line at a share of `total`: the threshold, majority or approval that decides.
    pub line: Option<ChartLine>,
    /// The outcome, written under the bars.
    pub outcome: Option<String>,
    /// How numbers are written (the decimal sign, the space before `%`).
    pub words: &'static ChartWords,
}

/// An empty contest: no title, no bars, no percentages, English numbers.
impl Default for ChartContest {
    fn default() -> Self {
        Self {
            title: String::new(),
            bars: Vec::new(),
            total: 0,
            line: None,
            outcome: None,
            words: &EN,
        }
    }
}

/// A dashed line across a contest's bars at a share of its total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartLine {
    /// The share of the contest's `total`.
    pub share: Ratio,
    /// Its label, drawn above the bars at the line.
    pub label: String,
}

/// The chart's words in one language. Placeholders in braces are filled by [`outcome_marks`].
#[derive(Debug, PartialEq, Eq)]
pub struct ChartWords {
    /// The decimal sign.
    pub decimal: char,
    /// What goes between a number and `%`.
    pub before_percent: &'static str,
    /// `{percent}`: the party-list threshold.
    pub threshold: &'static str,
    /// `{percent}`: the share a candidate must exceed.
    pub majority: &'static str,
    /// `{percent}`: the share "yes" must exceed.
    pub approval: &'static str,
    /// `{name}`.
    pub winner: &'static str,
    /// `{first}`, `{second}`.
    pub runoff: &'static str,
    /// Nobody elected, no runoff.
    pub no_winner: &'static str,
    /// `{seats}`, `{list}`: the seats and who won them.
    pub seats: &'static str,
    /// A referendum approved.
    pub approved: &'static str,
    /// A valid referendum not approved.
    pub rejected: &'static str,
    /// A referendum whose turnout was too low.
    pub invalid: &'static str,
}

/// Kazakh.
const KK: ChartWords = ChartWords {
    decimal: ',',
    before_percent: "\u{202f}",
    threshold: "өту шегі {percent}",
    majority: "көпшілік {percent}",
    approval: "мақұлдау шегі {percent}",
    winner: "Жеңімпаз: {name}",
    runoff: "Екінші тур: {first} және {second}",
    no_winner: "Ешкім сайланған жоқ",
    seats: "Мандаттар ({seats}): {list}",
    approved: "Мақұлданды",
    rejected: "Мақұлданған жоқ",
    invalid: "Өтпеді: қатысу жеткіліксіз",
};

/// Russian.
const RU: ChartWords = ChartWords {
    decimal: ',',
    before_percent: "\u{202f}",
    threshold: "порог {percent}",
    majority: "большинство {percent}",
    approval: "порог одобрения {percent}",
    winner: "Победитель: {name}",
    runoff: "Второй тур: {first} и {second}",
    no_winner: "Никто не избран",
    seats: "Мандаты ({seats}): {list}",
    approved: "Одобрено",
    rejected: "Не одобрено",
    invalid: "Не состоялся: явка недостаточна",
};

/// English.
const EN: ChartWords = ChartWords {
    decimal: '.',
    before_percent: "",
    threshold: "threshold {percent}",
    majority: "majority {percent}",
    approval: "approval {percent}",
    winner: "Winner: {name}",
    runoff: "Runoff: {first} and {second}",
    no_winner: "Nobody elected",
    seats: "Seats ({seats}): {list}",
    approved: "Approved",
    rejected: "Rejected",
    invalid: "Not valid: turnout too low",
};

impl ChartWords {
    /// The words for a language tag (`kk`, `ru`, `en`); English for any other.
    pub fn for_language(language: Option<&str>) -> &'static ChartWords {
        match language.map(|l| l.split(['-', '_']).next().unwrap_or(l)) {
            Some("kk") => &KK,
            Some("ru") => &RU,
            _ => &EN,
        }
    }

    /// `part` as a percentage of `whole`, to one decimal, rounded half up (`60,0 %`).
    pub fn percent(&self, part: u64, whole: u64) -> String {
        let tenths = if whole == 0 {
            0
        } else {
            (u128::from(part) * 2000 + u128::from(whole)) / (2 * u128::from(whole))
        };
        format!(
            "{}{}{}{}%",
            tenths / 10,
            self.decimal,
            tenths % 10,
            self.before_percent
        )
    }

    /// A share as a percentage, whole when it is (`50 %`), else to two decimals at most.
    pub fn share(&self, share: &Ratio) -> String {
        let hundredths = u128::from(share.numer()) * 10_000 / u128::from(share.denom().max(1));
        let (whole, rest) = (hundredths / 100, hundredths % 100);
        let number = match rest {
            0 => whole.to_string(),
            r if r % 10 == 0 => format!("{whole}{}{}", self.decimal, r / 10),
            r => format!("{whole}{}{r:02}", self.decimal),
        };
        format!("{number}{}%", self.before_percent)
    }
}

/// Replaces each `{name}` of `template` with its value.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// What a contest's outcome adds to its chart: the line at the deciding share and the outcome's
/// text. `label` gives an option's label from its id (the outcome names options by id).
pub fn outcome_marks(
    outcome: &Outcome,
    label: &dyn Fn(&str) -> String,
    words: &ChartWords,
) -> (ChartLine, String) {
    match outcome {
        Outcome::Majoritarian(o) => {
            let text = match &o.decision {
                Decision::Elected(name) => fill(words.winner, &[("name", &label(name))]),
                Decision::Runoff([first, second]) => fill(
                    words.runoff,
                    &[("first", &label(first)), ("second", &label(second))],
                ),
                Decision::NoWinner => words.no_winner.to_owned(),
            };
            let percent = words.share(&o.majority);
            let line = ChartLine {
                share: o.majority,
                label: fill(words.majority, &[("percent", &percent)]),
            };
            (line, text)
        }
        Outcome::Proportional(o) => {
            let list: Vec<String> = o
                .parties
                .iter()
                .filter(|p| p.seats > 0)
                .map(|p| format!("{} {}", label(&p.party), p.seats))
                .collect();
            let text = fill(
                words.seats,
                &[("seats", &o.seats.to_string()), ("list", &list.join(", "))],
            );
            let percent = words.share(&o.threshold);
            let line = ChartLine {
                share: o.threshold,
                label: fill(words.threshold, &[("percent", &percent)]),
            };
            (line, text)
        }
        Outcome::Referendum(o) => {
            let text = match (o.valid, o.approved) {
                (false, _) => words.invalid,
                (true, true) => words.approved,
                (true, false) => words.rejected,
            };
            let percent = words.share(&o.approval);
            let line = ChartLine {
                share: o.approval,
                label: fill(words.approval, &[("percent", &percent)]),
            };
            (line, text.to_owned())
        }
    }
}

/// One option's bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartBar {
    /// Candidate, party or answer, in the chosen language.
    pub label: String,
    /// Its votes; the bar's length is proportional to them.
    pub votes: u64,
    /// Seats won, for party lists; `None` draws no seat row.
    pub seats: Option<u64>,
    /// Draw the bar in the accent colour (the winner, runoff candidates, admitted parties).
    pub highlight: bool,
}

const WIDTH: u64 = 900;
const MARGIN: u64 = 20;
const LABEL_RIGHT: u64 = 290; // labels are right-aligned at this x
const BAR_LEFT: u64 = 300;
const BAR_MAX: u64 = 440;
const BAR_HEIGHT: u64 = 18;
const ROW: u64 = 28;
const SEAT_ROW: u64 = 14;
const SEAT_SIZE: u64 = 5;
const SEAT_STEP: u64 = 7;
const SEATS_PER_LINE: u64 = 60;
const TITLE_HEIGHT: u64 = 44;
const CONTEST_TITLE: u64 = 34;
const CONTEST_GAP: u64 = 16;
const LABEL_CHARS: usize = 32;
const LINE_LABEL: u64 = 16;
const OUTCOME_ROW: u64 = 22;
const OUTCOME_CHARS: usize = 90;
const FONT: &str = "DejaVu Sans, Noto Sans, Arial, sans-serif";
const ACCENT: &str = "#1f5f99";
const PLAIN: &str = "#a7b8c8";
const INK: &str = "#1a1a1a";
const RULE_INK: &str = "#b3261e";

/// Renders the chart as a complete SVG document (UTF-8, with an XML declaration).
///
/// `title` heads the whole chart. Every string is escaped; characters XML 1.0 forbids (control
/// characters other than tab, newline and carriage return) become U+FFFD. Labels longer than 32
/// characters are shortened with "…" on the page and kept whole in a `<title>` tooltip.
pub fn results_svg(title: &str, contests: &[ChartContest]) -> String {
    let mut body = String::new();
    let mut y = MARGIN + TITLE_HEIGHT;
    for contest in contests {
        y = contest_svg(&mut body, contest, y);
        y += CONTEST_GAP;
    }
    let height = y + MARGIN;

    let mut out = String::new();
    // Writing to a String cannot fail; the results of write! are ignored on purpose.
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" font-family=\"{FONT}\" fill=\"{INK}\">\n\
         <title>{t}</title>\n\
         <rect x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"{height}\" fill=\"#ffffff\"/>\n\
         <text x=\"{MARGIN}\" y=\"{ty}\" font-size=\"22\" font-weight=\"bold\">{t}</text>\n",
        t = escape(title),
        ty = MARGIN + 24,
    );
    out.push_str(&body);
    out.push_str("</svg>\n");
    out
}

/// Writes one contest starting at `y`; returns the y below it.
fn contest_svg(out: &mut String, contest: &ChartContest, mut y: u64) -> u64 {
    let _ = writeln!(
        out,
        "<g>\n<text x=\"{MARGIN}\" y=\"{ty}\" font-size=\"17\" font-weight=\"bold\">{}</text>",
        escape(&contest.title),
        ty = y + 22,
    );
    y += CONTEST_TITLE;
    // The line's count: its share of the total, rounded up so the line never sits left of a
    // count that only reaches it.
    let line_votes = contest
        .line
        .as_ref()
        .filter(|_| contest.total > 0)
        .map(|line| {
            let den = u128::from(line.share.denom().max(1));
            let v = (u128::from(line.share.numer()) * u128::from(contest.total)).div_ceil(den);
            u64::try_from(v).unwrap_or(u64::MAX)
        });
    let max = contest
        .bars
        .iter()
        .map(|b| b.votes)
        .chain(line_votes)
        .max()
        .unwrap_or(0);
    let bars_top = if line_votes.is_some() {
        y + LINE_LABEL
    } else {
        y
    };
    y = bars_top;
    // The bars go into their own buffer and are written after the line, so that their text
    // stays readable over it.
    let whole = out;
    let mut bars = String::new();
    let out = &mut bars;
    for bar in &contest.bars {
        let width = bar_width(bar.votes, max);
        let colour = if bar.highlight { ACCENT } else { PLAIN };
        let (shown, shortened) = shorten(&bar.label);
        let tooltip = if shortened {
            format!("<title>{}</title>", escape(&bar.label))
        } else {
            String::new()
        };
        let share = if contest.total > 0 {
            format!(" ({})", contest.words.percent(bar.votes, contest.total))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "<text x=\"{LABEL_RIGHT}\" y=\"{ly}\" font-size=\"13\" text-anchor=\"end\">{tooltip}{label}</text>\n\
             <rect x=\"{BAR_LEFT}\" y=\"{y}\" width=\"{width}\" height=\"{BAR_HEIGHT}\" fill=\"{colour}\"/>\n\
             <text x=\"{vx}\" y=\"{ly}\" font-size=\"13\">{votes}{share}</text>",
            ly = y + 14,
            label = escape(&shown),
            vx = BAR_LEFT + width + 6,
            votes = group_digits(bar.votes),
        );
        y += ROW;
        if let Some(seats) = bar.seats {
            y = seats_svg(out, seats, colour, y - ROW + BAR_HEIGHT + 4);
            y += ROW - BAR_HEIGHT - 4;
        }
    }
    let out = whole;
    if let (Some(line), Some(votes)) = (&contest.line, line_votes) {
        let x = BAR_LEFT + bar_width(votes, max);
        let _ = writeln!(
            out,
            "<line x1=\"{x}\" y1=\"{top}\" x2=\"{x}\" y2=\"{bottom}\" stroke=\"{RULE_INK}\" \
             stroke-width=\"2\" stroke-dasharray=\"5 3\"/>\n\
             <text x=\"{tx}\" y=\"{ty}\" font-size=\"12\" fill=\"{RULE_INK}\" text-anchor=\"middle\">{}</text>",
            escape(&line.label),
            top = bars_top - 2,
            bottom = y.saturating_sub(ROW - BAR_HEIGHT) + 2,
            tx = x,
            ty = bars_top - 5,
        );
    }
    out.push_str(&bars);
    if let Some(outcome) = &contest.outcome {
        for line in wrap(outcome, OUTCOME_CHARS) {
            let _ = writeln!(
                out,
                "<text x=\"{MARGIN}\" y=\"{ty}\" font-size=\"15\" font-weight=\"bold\">{}</text>",
                escape(&line),
                ty = y + 14,
            );
            y += OUTCOME_ROW;
        }
    }
    out.push_str("</g>\n");
    y
}

/// Writes a row of seat squares at `y` and the seat count after them; returns the y below.
fn seats_svg(out: &mut String, seats: u64, colour: &str, y: u64) -> u64 {
    let lines = seats.div_ceil(SEATS_PER_LINE).max(1);
    for k in 0..seats {
        let _ = writeln!(
            out,
            "<rect x=\"{x}\" y=\"{sy}\" width=\"{SEAT_SIZE}\" height=\"{SEAT_SIZE}\" fill=\"{colour}\"/>",
            x = BAR_LEFT + (k % SEATS_PER_LINE) * SEAT_STEP,
            sy = y + (k / SEATS_PER_LINE) * SEAT_STEP,
        );
    }
    let drawn = seats.min(SEATS_PER_LINE);
    let _ = writeln!(
        out,
        "<text x=\"{x}\" y=\"{ty}\" font-size=\"12\" font-weight=\"bold\">{seats}</text>",
        x = BAR_LEFT + drawn * SEAT_STEP + 4,
        ty = y + 6,
    );
    y + (lines - 1) * SEAT_STEP + SEAT_ROW
}

/// Bar length in pixels: `votes / max` of the full width, rounded down, at least 1 for a
/// non-zero count so that small parties stay visible.
fn bar_width(votes: u64, max: u64) -> u64 {
    if max == 0 || votes == 0 {
        return 0;
    }
    let w = u128::from(votes) * u128::from(BAR_MAX) / u128::from(max);
    u64::try_from(w).unwrap_or(BAR_MAX).max(1)
}

/// `1234567` as `1 234 567` (narrow no-break spaces), the way counts are printed in Kazakhstan.
fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// `text` cut into lines of at most `width` characters at spaces (a longer word has a line of
/// its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let fits = current.chars().count() + 1 + word.chars().count() <= width;
        if !current.is_empty() && !fits {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    lines.push(current);
    lines
}

/// The label cut to `LABEL_CHARS` characters with "…", and whether it was cut.
fn shorten(label: &str) -> (String, bool) {
    if label.chars().count() <= LABEL_CHARS {
        return (label.to_owned(), false);
    }
    let mut s: String = label.chars().take(LABEL_CHARS - 1).collect();
    s.push('…');
    (s, true)
}

/// Escapes text for XML element content and attribute values, and replaces characters that
/// XML 1.0 does not allow with U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_grouped() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1000), "1\u{202f}000");
        assert_eq!(group_digits(1234567), "1\u{202f}234\u{202f}567");
    }

    #[test]
    fn bars_scale_to_the_largest() {
        assert_eq!(bar_width(0, 0), 0);
        assert_eq!(bar_width(10, 10), BAR_MAX);
        assert_eq!(bar_width(5, 10), BAR_MAX / 2);
        assert_eq!(bar_width(1, u64::MAX), 1);
    }

    #[test]
    fn percentages_round_half_up_in_each_language() {
        let (kk, en) = (
            ChartWords::for_language(Some("kk")),
            ChartWords::for_language(None),
        );
        assert_eq!(kk.percent(600, 1000), "60,0\u{202f}%");
        assert_eq!(en.percent(600, 1000), "60.0%");
        assert_eq!(en.percent(1, 3), "33.3%");
        assert_eq!(en.percent(2, 3), "66.7%");
        assert_eq!(en.percent(1, 2000), "0.1%");
        assert_eq!(en.percent(0, 0), "0.0%");
        assert_eq!(en.percent(u64::MAX, u64::MAX), "100.0%");
        let share = |n, d| en.share(&Ratio::new(n, d).unwrap());
        assert_eq!(share(1, 2), "50%");
        assert_eq!(share(1, 20), "5%");
        assert_eq!(share(11, 200), "5.5%");
        assert_eq!(share(1, 3), "33.33%");
        assert_eq!(ChartWords::for_language(Some("ru-RU")), &RU);
    }

    #[test]
    fn the_line_sits_at_its_share_and_stretches_the_scale() {
        // A 50 % line above every bar: the scale reaches the line, so the line is at the end.
        let contest = ChartContest {
            title: "t".into(),
            bars: vec![ChartBar {
                label: "a".into(),
                votes: 40,
                seats: None,
                highlight: false,
            }],
            total: 100,
            line: Some(ChartLine {
                share: Ratio::new(1, 2).unwrap(),
                label: "half".into(),
            }),
            outcome: Some("done".into()),
            words: &EN,
        };
        let svg = results_svg("x", std::slice::from_ref(&contest));
        let x = BAR_LEFT + BAR_MAX;
        assert!(svg.contains(&format!("<line x1=\"{x}\"")), "{svg}");
        assert!(svg.contains(&format!("width=\"{}\"", BAR_MAX * 40 / 50)));
        assert!(svg.contains(">40 (40.0%)<"));
        assert!(svg.contains(">done<"));
        // Without a total: no percentages, no line.
        let plain = ChartContest {
            total: 0,
            ..contest
        };
        let svg = results_svg("x", &[plain]);
        assert!(!svg.contains("<line"));
        assert!(!svg.contains('%'));
    }

    #[test]
    fn long_outcomes_wrap_at_spaces() {
        assert_eq!(wrap("a bb ccc", 4), vec!["a bb", "ccc"]);
        assert_eq!(wrap("a bb ccc", 8), vec!["a bb ccc"]);
        assert_eq!(wrap("abcdefgh x", 4), vec!["abcdefgh", "x"]);
        assert_eq!(wrap("", 4), vec![""]);
    }

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            escape("a<b>&\"'\u{1}"),
            "a&lt;b&gt;&amp;&quot;&apos;\u{fffd}"
        );
    }
}
