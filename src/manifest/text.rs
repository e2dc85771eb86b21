//! Text that people read and compare: labels, ids and trustee names.
//!
//! Spec: `protocol-spec/manifest.md` §5.1. Two candidates whose ids differ by a zero-width space,
//! a label reversed by a bidi override, or two trustees whose names look the same would pass a
//! byte-for-byte comparison and still mislead whoever reads the ballot or the ceremony. NFC alone
//! catches none of these, so a text must be NFC, contain no invisible or control character, and
//! differ from the others of its list in its UTS #39 confusable skeleton.

use unicode_normalization::is_nfc;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Code points whose Unicode property Default_Ignorable_Code_Point is true (Unicode 15.1,
/// `DerivedCoreProperties.txt`), as inclusive ranges. They render as nothing, so two strings
/// that differ only by them look the same. The bidi controls (U+061C, U+200E–U+200F,
/// U+202A–U+202E, U+2066–U+2069) are among them.
const DEFAULT_IGNORABLE: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
];

/// Whether `c` is Default_Ignorable_Code_Point.
fn is_default_ignorable(c: char) -> bool {
    let c = c as u32;
    DEFAULT_IGNORABLE
        .iter()
        .any(|&(first, last)| (first..=last).contains(&c))
}

/// Why `text` may not be shown to a reader as a label, id or name (manifest.md §5.1, rule 18),
/// or `None` if it may. The first offending character is named by its code point.
pub fn text_problem(text: &str) -> Option<String> {
    if let Some(c) = text.chars().find(|&c| is_default_ignorable(c)) {
        return Some(format!(
            "contains U+{:04X}, an invisible or bidi-control character; remove it",
            c as u32
        ));
    }
    if let Some(c) = text.chars().find(|&c| {
        matches!(
            c.general_category(),
            GeneralCategory::Control
                | GeneralCategory::Format
                | GeneralCategory::PrivateUse
                | GeneralCategory::Surrogate
                | GeneralCategory::Unassigned
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
        )
    }) {
        return Some(format!(
            "contains U+{:04X}, a control, format, private-use or unassigned character; remove it",
            c as u32
        ));
    }
    if !is_nfc(text) {
        return Some(
            "is not in Unicode normalization form C (NFC); save it NFC-normalized".to_string(),
        );
    }
    None
}

/// The UTS #39 confusable skeleton of `text`: two texts that render alike have the same one
/// (manifest.md §5.1, rule 19).
pub fn skeleton(text: &str) -> String {
    unicode_security::skeleton(text).collect()
}

/// The first pair of positions in `texts` whose skeletons are equal although the texts are
/// not byte for byte equal (equal texts are a repetition, reported by the list's own rule).
pub fn first_confusable_pair<'a>(
    texts: impl IntoIterator<Item = &'a str>,
) -> Option<(usize, usize)> {
    let mut seen: std::collections::BTreeMap<String, (usize, &str)> = Default::default();
    for (position, text) in texts.into_iter().enumerate() {
        match seen.get(&skeleton(text)) {
            Some(&(earlier, earlier_text)) if earlier_text != text => {
                return Some((earlier, position))
            }
            Some(_) => {}
            None => {
                seen.insert(skeleton(text), (position, text));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_kazakh_russian_and_english_texts_pass() {
        for text in [
            "Айгерим Нурланова",
            "Барлығына қарсы",
            "Против всех",
            "Against all",
            "Qazaqstan Halqy 2026",
        ] {
            assert_eq!(text_problem(text), None, "{text}");
        }
    }

    #[test]
    fn invisible_bidi_control_and_non_nfc_texts_are_refused() {
        let cases = [
            ("cand\u{200B}1", "U+200B"),
            ("\u{202E}1 ecnalaB", "U+202E"),
            ("\u{2067}name", "U+2067"),
            ("a\u{00AD}b", "U+00AD"),
            ("tab\there", "U+0009"),
            ("line\u{2028}break", "U+2028"),
            ("private\u{E000}", "U+E000"),
            ("Cafe\u{0301}", "NFC"),
        ];
        for (text, named) in cases {
            let problem = text_problem(text).expect(text);
            assert!(problem.contains(named), "{text:?}: {problem}");
        }
    }

    #[test]
    fn look_alike_texts_share_a_skeleton() {
        // Latin "Bolat" against the same word with Cyrillic о and а.
        assert_eq!(skeleton("Bolat"), skeleton("B\u{043E}l\u{0430}t"));
        assert_eq!(
            first_confusable_pair(["Aigerim", "Bolat", "B\u{043E}l\u{0430}t"]),
            Some((1, 2))
        );
        assert_eq!(first_confusable_pair(["Aigerim", "Bolat", "Bolat"]), None);
        assert_eq!(first_confusable_pair(["Айгерим", "Болат"]), None);
    }
}
