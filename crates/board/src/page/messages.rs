//! The receipt page's words in Kazakh, Russian and English: one catalogue, one struct per
//! language, and the choice of language from `?lang=` or `Accept-Language` (board.md §10.2).
//!
//! A message with values has `{name}` placeholders, filled by [`fill`]; word order stays the
//! translator's.

/// A language the page speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// Kazakh.
    Kk,
    /// Russian.
    Ru,
    /// English.
    En,
}

impl Lang {
    /// Every language, in the order the page lists them.
    pub const ALL: [Lang; 3] = [Lang::Kk, Lang::Ru, Lang::En];

    /// The BCP 47 tag: `<html lang>`, `?lang=` and the manifest's label keys.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Kk => "kk",
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// The language a tag names (`kk`, `kk-KZ`, `RU`, …), if the page speaks it.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.tag() == primary)
    }

    /// The language to answer in: `?lang=` if the page speaks it, else the best of
    /// `Accept-Language` (highest `q`, then first listed), else `fallback`.
    pub fn choose(query: Option<&str>, accept_language: Option<&str>, fallback: Lang) -> Lang {
        if let Some(lang) = query.and_then(Lang::from_tag) {
            return lang;
        }
        let mut best: Option<(u32, Lang)> = None;
        for item in accept_language.unwrap_or("").split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_tag) else {
                continue;
            };
            // q in thousandths; a malformed q counts as 1 (RFC 9110 §12.4.2 allows up to three
            // decimals).
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(1000, |q| {
                    q.trim()
                        .parse::<f64>()
                        .map_or(1000, |q| (q.clamp(0.0, 1.0) * 1000.0) as u32)
                });
            if q > 0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map_or(fallback, |(_, lang)| lang)
    }

    /// The words.
    pub fn messages(self) -> &'static Messages {
        match self {
            Lang::Kk => &KK,
            Lang::Ru => &RU,
            Lang::En => &EN,
        }
    }
}

/// Replaces each `{name}` in `template` with its value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// Every string the page shows, in one language.
#[derive(Debug)]
pub struct Messages {
    /// The language's own name, for the language links.
    pub name: &'static str,
    /// The page's title.
    pub title: &'static str,
    /// What the page is for.
    pub intro: &'static str,
    /// The language links' label.
    pub language: &'static str,
    /// The input's label.
    pub code_label: &'static str,
    /// The input's hint.
    pub code_hint: &'static str,
    /// The button.
    pub check: &'static str,
    /// The result's heading.
    pub your_ballot: &'static str,
    /// `{position}`.
    pub recorded: &'static str,
    /// `{size}`, `{count}`, `{total}`, `{quorum}`, `{names}`.
    pub cosigned: &'static str,
    /// `{size}`: the election names no witness.
    pub board_signed: &'static str,
    /// Not yet in a (cosigned) checkpoint.
    pub pending: &'static str,
    /// Results published, this ballot counted.
    pub counted: &'static str,
    /// Not counted yet: voting or the count goes on.
    pub not_counted_yet: &'static str,
    /// `{later}`: a revote replaced it.
    pub replaced: &'static str,
    /// A challenged ballot.
    pub challenged: &'static str,
    /// `{code}`.
    pub not_found: &'static str,
    /// `{count}`: wrong length.
    pub bad_length: &'static str,
    /// `{character}`, `{position}`.
    pub bad_character: &'static str,
    /// Two ballots share a short code.
    pub ambiguous: &'static str,
    /// The short code's label.
    pub short_code: &'static str,
    /// The long code's label.
    pub long_code: &'static str,
    /// The list's heading.
    pub codes_heading: &'static str,
    /// `{count}`.
    pub total: &'static str,
    /// The position column.
    pub position: &'static str,
    /// Earlier page.
    pub previous: &'static str,
    /// Later page.
    pub next: &'static str,
    /// No ballot yet.
    pub no_ballots: &'static str,
    /// The results' heading.
    pub results: &'static str,
    /// No results yet.
    pub results_pending: &'static str,
    /// `{participants}`, `{eligible}`.
    pub turnout: &'static str,
    /// The chart's text alternative.
    pub chart_alt: &'static str,
    /// The option column.
    pub option: &'static str,
    /// The votes column.
    pub votes: &'static str,
    /// What the page never shows.
    pub no_times: &'static str,
    /// A failure of the board's own data.
    pub board_error: &'static str,
    /// Link back to the form.
    pub again: &'static str,
}

/// Kazakh.
pub static KK: Messages = Messages {
    name: "Қазақша",
    title: "Бюллетеньді тексеру",
    intro: "Дауыс бергеннен кейін құрылғыңыз көрсеткен бақылау кодын енгізіңіз: ұзын код (64 таңба) немесе қысқа код (16 таңба, мысалы GRHP-643V-HQRR-S0DA).",
    language: "Тіл",
    code_label: "Бақылау коды",
    code_hint: "Бас әріп пен кіші әріп, сызықша мен бос орын маңызды емес; латын әрпіне ұқсас кирилл әріптері латын әрпі ретінде оқылады.",
    check: "Тексеру",
    your_ballot: "Сіздің бюллетеніңіз",
    recorded: "Бюллетеніңіз тақтада {position}-орында тіркелген.",
    cosigned: "Ол {size} өлшемді бақылау нүктесіне кіреді: оған тақта қол қойған, {total} куәгердің {count}-і растаған ({quorum} қажет): {names}.",
    board_signed: "Ол тақта қол қойған {size} өлшемді бақылау нүктесіне кіреді; бұл сайлауда куәгер жоқ (0 растау қажет).",
    pending: "Дәлел күтілуде: бюллетень тіркелді, бірақ әлі куәгерлер растаған бақылау нүктесіне кірген жоқ. Бірнеше секундтан кейін қайта тексеріңіз.",
    counted: "Есептелді: қорытындылар жарияланды, бюллетеніңіз оларға енді.",
    not_counted_yet: "Қорытындылар әлі жарияланған жоқ.",
    replaced: "Сіздің сайлаушы кілтіңізбен берілген кейінгі бюллетень ({later}-орын) осы бюллетеньді ауыстырды: әр кілттің тек соңғы бюллетені есептеледі. Егер сіз қайта дауыс бермесеңіз, кілтіңізді басқа біреу пайдаланған: сайлау комиссиясына хабарлаңыз.",
    challenged: "Бұл тексеруге ашылған бюллетень: ол ешқашан есептелмейді. Құрылғыңыз мынаны шифрлаған:",
    not_found: "Тақтада {code} коды бар бюллетень табылмады.",
    bad_length: "Бақылау коды 16 таңбадан (қысқа) немесе 64 таңбадан (ұзын) тұрады; мұнда {count} таңба.",
    bad_character: "«{character}» таңбасы ({position}-таңба) бақылау кодында болмайды.",
    ambiguous: "Бұл қысқа код екі бюллетеньде бірдей (бұл өте сирек жағдай). Екеуі де төменде көрсетілген; оларды ажырату үшін ұзын кодты енгізіңіз.",
    short_code: "Қысқа код",
    long_code: "Ұзын код",
    codes_heading: "Тақтадағы бақылау кодтары",
    total: "Барлық бюллетень: {count}",
    position: "Орын",
    previous: "Алдыңғы бет",
    next: "Келесі бет",
    no_ballots: "Әзірге бюллетень жоқ.",
    results: "Қорытындылар",
    results_pending: "Қорытындылар әлі жарияланған жоқ.",
    turnout: "{eligible} сайлаушының {participants}-і қатысты.",
    chart_alt: "Қорытындылар диаграммасы; сандар төмендегі кестеде.",
    option: "Нұсқа",
    votes: "Дауыс",
    no_times: "Бұл бет бюллетеньдердің орнын ғана көрсетеді, келген уақытын ешқашан көрсетпейді.",
    board_error: "Тақта бұл сұрауға жауап бере алмады. Кейінірек қайталап көріңіз.",
    again: "Басқа кодты тексеру",
};

/// Russian.
pub static RU: Messages = Messages {
    name: "Русский",
    title: "Проверка бюллетеня",
    intro: "Введите код отслеживания, который ваше устройство показало после голосования: длинный код (64 символа) или короткий (16 символов, например GRHP-643V-HQRR-S0DA).",
    language: "Язык",
    code_label: "Код отслеживания",
    code_hint: "Регистр, дефисы и пробелы не важны; кириллические буквы, похожие на латинские, читаются как латинские.",
    check: "Проверить",
    your_ballot: "Ваш бюллетень",
    recorded: "Ваш бюллетень записан на доске под номером {position}.",
    cosigned: "Он входит в контрольную точку размера {size}, подписанную доской и заверенную {count} из {total} свидетелей (нужно {quorum}): {names}.",
    board_signed: "Он входит в контрольную точку размера {size}, подписанную доской; в этих выборах нет свидетелей (нужно 0 заверений).",
    pending: "Доказательство ожидается: бюллетень записан, но ещё не вошёл в контрольную точку, заверенную свидетелями. Проверьте снова через несколько секунд.",
    counted: "Учтён: итоги опубликованы, и ваш бюллетень в них учтён.",
    not_counted_yet: "Итоги ещё не опубликованы.",
    replaced: "Более поздний бюллетень с вашим ключом избирателя (номер {later}) заменил этот: учитывается только последний бюллетень каждого ключа. Если вы не голосовали повторно, вашим ключом воспользовался кто-то другой: сообщите в избирательную комиссию.",
    challenged: "Это бюллетень, раскрытый для проверки: он никогда не учитывается. Ваше устройство зашифровало:",
    not_found: "На доске нет бюллетеня с кодом {code}.",
    bad_length: "Код отслеживания состоит из 16 символов (короткий) или 64 (длинный); здесь {count}.",
    bad_character: "Символ «{character}» (позиция {position}) не может входить в код отслеживания.",
    ambiguous: "Этот короткий код совпадает у двух бюллетеней (это крайне маловероятно). Ниже показаны оба; введите длинный код, чтобы их различить.",
    short_code: "Короткий код",
    long_code: "Длинный код",
    codes_heading: "Коды отслеживания на доске",
    total: "Всего бюллетеней: {count}",
    position: "Номер",
    previous: "Предыдущая страница",
    next: "Следующая страница",
    no_ballots: "Бюллетеней пока нет.",
    results: "Итоги",
    results_pending: "Итоги ещё не опубликованы.",
    turnout: "Приняли участие {participants} из {eligible} избирателей.",
    chart_alt: "Диаграмма итогов; числа приведены в таблице ниже.",
    option: "Вариант",
    votes: "Голоса",
    no_times: "Эта страница показывает только номера бюллетеней и никогда не показывает время их поступления.",
    board_error: "Доска не смогла ответить на этот запрос. Попробуйте позже.",
    again: "Проверить другой код",
};

/// English.
pub static EN: Messages = Messages {
    name: "English",
    title: "Check your ballot",
    intro: "Enter the tracking code your device showed after you voted: the long code (64 characters) or the short one (16 characters, like GRHP-643V-HQRR-S0DA).",
    language: "Language",
    code_label: "Tracking code",
    code_hint: "Upper or lower case, hyphens and spaces do not matter; Cyrillic letters that look like Latin ones are read as Latin.",
    check: "Check",
    your_ballot: "Your ballot",
    recorded: "Your ballot is recorded on the board at position {position}.",
    cosigned: "It is in the checkpoint of size {size}, signed by the board and cosigned by {count} of the {total} witnesses ({quorum} required): {names}.",
    board_signed: "It is in the checkpoint of size {size}, signed by the board; this election names no witnesses (0 cosignatures required).",
    pending: "Proof pending: the ballot is recorded, but not yet in a checkpoint the witnesses have cosigned. Look again in a few seconds.",
    counted: "Counted: the results are published and include your ballot.",
    not_counted_yet: "The results are not published yet.",
    replaced: "A later ballot with your credential (position {later}) replaced this one: only the last ballot of each credential is counted. If you did not vote again, someone else used your credential: tell the election commission.",
    challenged: "This is a challenged ballot, opened for checking: it is never counted. Your device encrypted:",
    not_found: "No ballot on this board has the tracking code {code}.",
    bad_length: "A tracking code has 16 characters (short form) or 64 (long form); this has {count}.",
    bad_character: "“{character}” (character {position}) cannot be part of a tracking code.",
    ambiguous: "Two ballots share this short code (this is extremely unlikely). Both are shown below; enter the long code to tell them apart.",
    short_code: "Short code",
    long_code: "Long code",
    codes_heading: "Tracking codes on the board",
    total: "Ballots on the board: {count}",
    position: "Position",
    previous: "Previous page",
    next: "Next page",
    no_ballots: "No ballots yet.",
    results: "Results",
    results_pending: "The results are not published yet.",
    turnout: "{participants} of {eligible} voters took part.",
    chart_alt: "Chart of the results; the numbers are in the table below.",
    option: "Option",
    votes: "Votes",
    no_times: "This page shows ballots' positions, never their times of arrival.",
    board_error: "The board could not answer this request. Try again later.",
    again: "Check another code",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_wins_then_accept_language_by_q() {
        assert_eq!(Lang::choose(Some("ru"), Some("en"), Lang::Kk), Lang::Ru);
        assert_eq!(Lang::choose(Some("de"), Some("en-GB"), Lang::Kk), Lang::En);
        assert_eq!(
            Lang::choose(None, Some("de;q=1, en;q=0.5, ru-RU;q=0.8"), Lang::Kk),
            Lang::Ru
        );
        assert_eq!(Lang::choose(None, Some("en;q=0, de"), Lang::Kk), Lang::Kk);
        assert_eq!(Lang::choose(None, Some("kk-KZ, ru"), Lang::En), Lang::Kk);
        assert_eq!(Lang::choose(None, None, Lang::Ru), Lang::Ru);
    }

    #[test]
    fn every_placeholder_exists_in_every_language() {
        let pick = |m: &Messages| {
            [
                m.recorded,
                m.cosigned,
                m.board_signed,
                m.replaced,
                m.not_found,
                m.bad_length,
                m.bad_character,
                m.total,
                m.turnout,
            ]
        };
        let names = |s: &str| {
            let mut v: Vec<String> = s
                .split('{')
                .skip(1)
                .filter_map(|p| p.split('}').next().map(str::to_string))
                .collect();
            v.sort();
            v
        };
        for (en, other) in pick(&EN)
            .iter()
            .zip(pick(&KK))
            .chain(pick(&EN).iter().zip(pick(&RU)))
        {
            assert_eq!(names(en), names(other), "{other}");
        }
    }
}
