//! The receipt page over plain HTTP (board.md §10), in each of its three languages: the form and
//! the list, a cast ballot found by its long and short codes (with Cyrillic look-alikes), a
//! revote, a challenged ballot's opening, "not found" and a malformed code, the results and
//! their chart once `results.json` is in the record folder, and the checkpoint's witness
//! cosignatures checked against `election.json`'s policy.

mod http_common;

use http_common::TestBoard;
use saylau::crypto::elgamal::EncryptionKey;
use saylau::election::{Receipt, ShortCode};
use saylau::log::checkpoint::SignedCheckpoint;
use saylau::log::note::{KeyType, SignerKey};
use saylau::record::{Witness, WitnessPolicy};
use saylau::tally::results::{outcomes, ContestResult, Results};
use saylau_board::page::lookup::{checkpoint_proof, PageContext, Proof};
use saylau_board::page::messages::{fill, Lang};

async fn cast(board: &mut TestBoard, voter: usize) -> Receipt {
    let ballot = board.ballot(voter);
    let answer = board
        .post("/v1/ballots", &serde_json::to_vec(&ballot).unwrap())
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text());
    serde_json::from_value(answer.json()["receipt"].clone()).unwrap()
}

/// `text` with HTML's escaping of the characters the messages use.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// Checks the page is in `lang` and loads nothing from elsewhere.
fn assert_page(html: &str, lang: Lang) {
    assert!(
        html.contains(&format!("<html lang=\"{}\">", lang.tag())),
        "{html}"
    );
    assert!(html.contains(&escaped(lang.messages().title)));
    assert!(html.contains("<label for=\"code\">"));
    assert!(!html.contains("<script"), "no JavaScript");
    for attr in [
        "src=\"http",
        "href=\"http",
        "src=\"//",
        "href=\"//",
        "@import",
        "url(",
    ] {
        assert!(!html.contains(attr), "loads {attr} from elsewhere");
    }
}

/// A short code with one Latin letter swapped for its Cyrillic look-alike, in lower case.
fn cyrillic_variant(short: &str) -> Option<String> {
    let pairs = [
        ('A', 'а'),
        ('B', 'в'),
        ('C', 'с'),
        ('E', 'е'),
        ('H', 'н'),
        ('K', 'к'),
        ('M', 'м'),
        ('P', 'р'),
        ('T', 'т'),
        ('X', 'х'),
    ];
    let (latin, cyrillic) = pairs.iter().find(|(l, _)| short.contains(*l))?;
    Some(
        short
            .to_lowercase()
            .replacen(latin.to_ascii_lowercase(), &cyrillic.to_string(), 1),
    )
}

fn url(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipt_page_in_three_languages() {
    let mut board = TestBoard::start(3, 0).await;

    // Language: ?lang= first, then Accept-Language, then the manifest's first language.
    for (path, accept, lang) in [
        ("/", Some("ru-RU,ru;q=0.9,en;q=0.5"), Lang::Ru),
        ("/?lang=en", Some("ru"), Lang::En),
        ("/", Some("de, kk-KZ;q=0.8"), Lang::Kk),
        ("/?lang=xx", None, Lang::Kk),
    ] {
        let headers: Vec<(&str, &str)> =
            accept.map(|a| ("Accept-Language", a)).into_iter().collect();
        let answer = http_common::request(board.addr(), "GET", path, &headers, &[]).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("content-language"), Some(lang.tag()));
        assert!(answer
            .header("content-type")
            .unwrap()
            .starts_with("text/html"));
        let html = answer.text();
        assert_page(&html, lang);
        assert!(html.contains(&escaped(lang.messages().no_ballots)));
        assert!(html.contains(&escaped(lang.messages().results_pending)));
        // The three language links.
        for other in Lang::ALL {
            assert!(html.contains(&format!("?lang={}", other.tag())));
        }
    }

    let first = cast(&mut board, 0).await;
    let second = cast(&mut board, 1).await;
    let revote = cast(&mut board, 0).await;
    assert_eq!(revote.position, 3);
    board.wait_for_checkpoint(3).await;

    // A challenged ballot, found by its ballot hash.
    let e = board.election.clone();
    let key = EncryptionKey::new(*e.key());
    let (body, secrets) = board.voters[2]
        .fill_in(&e.manifest, e.fingerprint(), &key, &mut board.rng)
        .unwrap();
    let challenged = body.clone().challenge(secrets);
    let answer = board
        .post("/v1/challenged", &serde_json::to_vec(&challenged).unwrap())
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text());
    board.wait_for_checkpoint(4).await;

    for lang in Lang::ALL {
        let m = lang.messages();
        let tag = lang.tag();
        let long = hex::encode(first.tracking_code);
        let page = board.get(&format!("/r?lang={tag}&code={long}")).await;
        assert_eq!(page.status, 200, "{}", page.text());
        let html = page.text();
        assert_page(&html, lang);
        assert!(
            html.contains(&escaped(&fill(m.recorded, &[("position", "1")]))),
            "{html}"
        );
        // The demo names no witness: signed by the board, 0 cosignatures required.
        let size = html.contains(&escaped(&fill(m.board_signed, &[("size", "4")])))
            || html.contains(&escaped(&fill(m.board_signed, &[("size", "3")])));
        assert!(size, "{html}");
        // The revote replaced it (board.md §1.3).
        assert!(
            html.contains(&escaped(&fill(m.replaced, &[("later", "3")]))),
            "{html}"
        );
        assert!(html.contains(&ShortCode::of(&first.tracking_code).to_string()));

        // The second ballot by its short code, lower case, hyphens gone, a Cyrillic letter.
        let short = ShortCode::of(&second.tracking_code).to_string();
        let typed = cyrillic_variant(&short).unwrap_or_else(|| short.to_lowercase());
        let typed = typed.replace('-', " ");
        let page = board.get(&format!("/r/{}?lang={tag}", url(&typed))).await;
        assert_eq!(page.status, 200, "{typed}: {}", page.text());
        let html = page.text();
        assert!(
            html.contains(&escaped(&fill(m.recorded, &[("position", "2")]))),
            "{html}"
        );
        assert!(html.contains(&escaped(m.not_counted_yet)));
        assert!(!html.contains(&escaped(&fill(m.replaced, &[("later", "3")]))));

        // Not on the board: "not found" in the page's language, 404.
        let mut other = second.tracking_code;
        other[0] ^= 0xff;
        let missing = ShortCode::of(&other).to_string();
        let page = board.get(&format!("/r?lang={tag}&code={missing}")).await;
        assert_eq!(page.status, 404);
        assert!(page
            .text()
            .contains(&escaped(&fill(m.not_found, &[("code", &missing)]))));
        // Not a code at all: 400 and why.
        let page = board.get(&format!("/r?lang={tag}&code=12345")).await;
        assert_eq!(page.status, 400);
        assert!(page
            .text()
            .contains(&escaped(&fill(m.bad_length, &[("count", "5")]))));

        // The challenged ballot: what the device encrypted, labelled in the page's language.
        let page = board
            .get(&format!("/r?lang={tag}&code={}", hex::encode(body.hash())))
            .await;
        assert_eq!(page.status, 200);
        let html = page.text();
        assert!(html.contains(&escaped(m.challenged)), "{html}");
        let manifest = &e.manifest;
        for (contest, values) in manifest.contests.iter().zip(&challenged.plaintexts) {
            assert!(html.contains(&escaped(manifest.label_in(&contest.title, Some(tag)))));
            for (option, &v) in contest.options.iter().zip(values) {
                if v > 0 {
                    let label = escaped(manifest.label_in(&option.label, Some(tag)));
                    assert!(html.contains(&label), "{label}");
                }
            }
        }

        // The list: positions and short codes, never a time.
        let page = board.get(&format!("/?lang={tag}")).await;
        let html = page.text();
        assert!(html.contains(&escaped(&fill(m.total, &[("count", "3")]))));
        for r in [&first, &second, &revote] {
            assert!(html.contains(&ShortCode::of(&r.tracking_code).to_string()));
        }
        let page = board.get(&format!("/?lang={tag}&after=1")).await.text();
        assert!(!page.contains(&ShortCode::of(&first.tracking_code).to_string()));
        assert!(page.contains(&ShortCode::of(&revote.tracking_code).to_string()));
        assert!(page.contains("rel=\"prev\""));
    }

    // No chart before publication.
    assert_eq!(board.get("/results.svg").await.status, 404);

    // Published: results.json in the record folder (board.md §10.3).
    let manifest = &board.election.manifest;
    let (participants, eligible) = (100, 200);
    let counts: Vec<Vec<u64>> = manifest
        .contests
        .iter()
        .map(|c| {
            (0..c.options.len())
                .map(|i| [50, 30, 15, 5].get(i).copied().unwrap_or(0))
                .collect()
        })
        .collect();
    let outcome = outcomes(manifest, participants, eligible, &counts).unwrap();
    let results = Results {
        participants,
        eligible,
        trustees_used: vec![1, 2],
        rejected_shares: vec![],
        contests: manifest
            .contests
            .iter()
            .zip(counts)
            .zip(outcome)
            .map(|((c, counts), outcome)| ContestResult {
                id: c.id.clone(),
                counts,
                outcome,
            })
            .collect(),
    };
    std::fs::write(
        board.record.join("results.json"),
        serde_json::to_vec(&results).unwrap(),
    )
    .unwrap();
    for lang in Lang::ALL {
        let (m, tag) = (lang.messages(), lang.tag());
        let html = board.get(&format!("/?lang={tag}")).await.text();
        assert!(html.contains(&escaped(&fill(
            m.turnout,
            &[("participants", "100"), ("eligible", "200")]
        ))));
        assert!(html.contains(&format!("src=\"/results.svg?lang={tag}\"")));
        let words = saylau::tally::chart::ChartWords::for_language(Some(tag));
        assert!(html.contains(&escaped(&words.percent(50, 100))));
        let svg = board.get(&format!("/results.svg?lang={tag}")).await;
        assert_eq!(svg.status, 200);
        assert_eq!(
            svg.header("content-type"),
            Some("image/svg+xml; charset=utf-8")
        );
        let svg = svg.text();
        assert!(svg.contains(manifest.label_in(&manifest.title, Some(tag))));
        assert!(svg.contains("stroke-dasharray"));
        let code = hex::encode(second.tracking_code);
        let html = board
            .get(&format!("/r?lang={tag}&code={code}"))
            .await
            .text();
        assert!(html.contains(&escaped(m.counted)), "{html}");
    }
    board.stop().await;
}

/// "cosigned by …": cosignatures are verified against `election.json`'s witness policy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoint_cosignatures_meet_the_policy() {
    let mut board = TestBoard::start(1, 0).await;
    cast(&mut board, 0).await;
    let text = board.wait_for_checkpoint(1).await;
    let origin = board.origin();
    let log_key = board.election.info.log_key.verifier(&origin).unwrap();
    let witness = |name: &str, seed: u8| {
        SignerKey::from_seed(KeyType::CosignatureV1, name, [seed; 32]).unwrap()
    };
    let (w1, w2, stranger) = (
        witness("w1.example", 1),
        witness("w2.example", 2),
        witness("w3.example", 3),
    );
    let mut election = board.election.clone();
    let policy = |quorum| WitnessPolicy {
        quorum,
        witnesses: vec![
            Witness {
                vkey: w1.verifier(),
            },
            Witness {
                vkey: w2.verifier(),
            },
        ],
    };
    let mut signed = SignedCheckpoint::open(text.as_bytes(), &log_key, &origin).unwrap();
    signed.cosign(&w1, 1_700_000_000).unwrap();
    signed.cosign(&stranger, 1_700_000_000).unwrap();
    let cosigned = String::from_utf8(signed.to_bytes()).unwrap();
    let size = signed.checkpoint().size();

    election.info.witness_policy = policy(1);
    let context = PageContext {
        election: &election,
        record_dir: &board.record,
    };
    match checkpoint_proof(context, size, &cosigned).unwrap() {
        Some(Proof::InCheckpoint {
            cosigners,
            quorum,
            witnesses,
            ..
        }) => {
            assert_eq!(
                cosigners,
                vec!["w1.example".to_string()],
                "the stranger is ignored"
            );
            assert_eq!((quorum, witnesses), (1, 2));
        }
        other => panic!("{other:?}"),
    }
    // The board's signature alone does not meet a quorum of 1.
    assert_eq!(checkpoint_proof(context, size, &text).unwrap(), None);

    election.info.witness_policy = policy(2);
    let context = PageContext {
        election: &election,
        record_dir: &board.record,
    };
    assert_eq!(checkpoint_proof(context, size, &cosigned).unwrap(), None);

    // A listed witness's broken cosignature, the wrong size, and a forged log signature fail.
    let line = cosigned
        .lines()
        .find(|l| l.contains("w1.example"))
        .unwrap()
        .to_string();
    let mut sig = line.rsplit(' ').next().unwrap().to_string();
    // Past the key id and timestamp (12 bytes, 16 base64 characters): the signature itself.
    let flip = if &sig[30..31] == "A" { "B" } else { "A" };
    sig.replace_range(30..31, flip);
    let bad = cosigned.replace(
        &line,
        &format!("{} {sig}", line.rsplit_once(' ').unwrap().0),
    );
    assert!(checkpoint_proof(context, size, &bad).is_err());
    assert!(checkpoint_proof(context, size + 1, &cosigned).is_err());
    let forged = cosigned.replacen(&format!("\n{size}\n"), &format!("\n{}\n", size + 1), 1);
    assert!(checkpoint_proof(context, size + 1, &forged).is_err());
    board.stop().await;
}
