//! Results as a standalone SVG bar chart, for the bulletin board page and printed reports.
//!
//! The caller picks the language: titles and labels arrive as plain strings and are written as
//! UTF-8 text, XML-escaped, in a font list that covers Cyrillic and Kazakh letters. Each contest
//! gets a title and one horizontal bar per option, scaled to the contest's largest count, with the
//! count written after the bar. When a bar has seats, a row of small squares (one per seat) and
//! the number of seats sit under it, so no word for "seats" is needed in any language.
//!
//! Layout is integer arithmetic only: the same input gives the same bytes on every machine.
//!
//! ```
//! use saylau::tally::chart::{results_svg, ChartBar, ChartContest};
//!
//! let contest = ChartContest {
//!     title: "Мәжіліс".to_owned(),
//!     bars: vec![ChartBar { label: "Party A".to_owned(), votes: 600, seats: Some(7), highlight: true }],
//! };
//! let svg = results_svg("Results", &[contest]);
//! assert!(svg.starts_with("<?xml"));
//! assert!(svg.contains("Мәжіліс"));
//! ```

use std::fmt::Write;

/// One contest in the chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartContest {
    /// Heading above the bars, in the chosen language.
    pub title: String,
    /// One bar per option, drawn top to bottom in this order.
    pub bars: Vec<ChartBar>,
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
const FONT: &str = "DejaVu Sans, Noto Sans, Arial, sans-serif";
const ACCENT: &str = "#1f5f99";
const PLAIN: &str = "#a7b8c8";
const INK: &str = "#1a1a1a";

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
    let max = contest.bars.iter().map(|b| b.votes).max().unwrap_or(0);
    for bar in &contest.bars {
        let width = bar_width(bar.votes, max);
        let colour = if bar.highlight { ACCENT } else { PLAIN };
        let (shown, shortened) = shorten(&bar.label);
        let tooltip = if shortened {
            format!("<title>{}</title>", escape(&bar.label))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "<text x=\"{LABEL_RIGHT}\" y=\"{ly}\" font-size=\"13\" text-anchor=\"end\">{tooltip}{label}</text>\n\
             <rect x=\"{BAR_LEFT}\" y=\"{y}\" width=\"{width}\" height=\"{BAR_HEIGHT}\" fill=\"{colour}\"/>\n\
             <text x=\"{vx}\" y=\"{ly}\" font-size=\"13\">{votes}</text>",
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
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            escape("a<b>&\"'\u{1}"),
            "a&lt;b&gt;&amp;&quot;&apos;\u{fffd}"
        );
    }
}
