//! The receipt page in a real browser (board.md §10): headless Chromium, driven over WebDriver
//! (chromedriver) with fantoccini. A demo board on 127.0.0.1 takes a ballot; in each of Kazakh,
//! Russian and English the test reaches the code field with the Tab key alone, types the
//! tracking code (the long form, then the short form in lower case with a Cyrillic look-alike),
//! submits with the keyboard (Enter in the field, then Tab to the button and Enter), and reads
//! "recorded" in that language; a wrong code reads "not found". Screenshots are kept under
//! `target/page-browser/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`scripts/test` and `.ci/run` install them).
//! Without them the test fails and says so.

mod http_common;

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use http_common::TestBoard;
use saylau::election::{Receipt, ShortCode};
use saylau_board::page::messages::{fill, Lang};

const FIX: &str = "the receipt page's browser test needs Chromium and its WebDriver: \
                   run `apt-get install chromium chromium-driver` (scripts/test does it)";

/// chromedriver, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

fn start_driver() -> Driver {
    let driver =
        find_program(&["chromedriver"]).unwrap_or_else(|| panic!("no chromedriver on PATH: {FIX}"));
    // A free loopback port for chromedriver.
    let port = StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting chromedriver: {e}: {FIX}"));
    Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

async fn connect(driver: &Driver) -> Client {
    let browser = find_program(&["chromium", "chromium-browser"])
        .unwrap_or_else(|| panic!("no chromium on PATH: {FIX}"));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": browser,
            // --no-sandbox: Chromium refuses to start as root with its sandbox (CI runs as root).
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1000,1400", "--no-first-run", "--no-proxy-server"],
        }),
    );
    // chromedriver takes a moment to listen: up to 10 s.
    let mut last = String::new();
    for _ in 0..100 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&driver.url)
            .await
        {
            Ok(client) => return client,
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no WebDriver session within 10 s ({last}): {FIX}");
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/page-browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Presses Tab until the code field has focus (at most 20 times): the field is reached with
/// the keyboard alone.
async fn tab_to_code_field(client: &Client) {
    for _ in 0..20 {
        let active = client.active_element().await.unwrap();
        if active.attr("id").await.unwrap().as_deref() == Some("code") {
            return;
        }
        active.send_keys(&Key::Tab.to_string()).await.unwrap();
    }
    panic!("the code field is not reachable with Tab");
}

/// The result box's text once the answer page has loaded.
async fn result_text(client: &Client) -> String {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("result"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// A short code with one Latin letter swapped for its Cyrillic look-alike, in lower case.
fn with_cyrillic(short: &str) -> String {
    let pairs = [
        ('A', "а"),
        ('B', "в"),
        ('C', "с"),
        ('E', "е"),
        ('H', "н"),
        ('K', "к"),
        ('M', "м"),
        ('P', "р"),
        ('T', "т"),
        ('X', "х"),
    ];
    let (latin, cyrillic) = pairs
        .iter()
        .find(|(l, _)| short.contains(*l))
        .expect("a short code with a letter that has a Cyrillic look-alike");
    short
        .to_lowercase()
        .replacen(latin.to_ascii_lowercase(), cyrillic, 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipt_page_in_a_browser() {
    let driver = start_driver();
    let mut board = TestBoard::start(4, 0).await;
    // A ballot whose short code has a letter with a Cyrillic look-alike (almost all have).
    let mut receipt: Option<Receipt> = None;
    for voter in 0..4 {
        let ballot = board.ballot(voter);
        let answer = board
            .post("/v1/ballots", &serde_json::to_vec(&ballot).unwrap())
            .await;
        assert_eq!(answer.status, 201, "{}", answer.text());
        let r: Receipt = serde_json::from_value(answer.json()["receipt"].clone()).unwrap();
        let short = ShortCode::of(&r.tracking_code).to_string();
        if short.contains(['A', 'B', 'C', 'E', 'H', 'K', 'M', 'P', 'T', 'X']) {
            receipt = Some(r);
            break;
        }
    }
    let receipt = receipt.expect("one of four short codes has a Latin look-alike letter");
    board.wait_for_checkpoint(receipt.leaf_index + 1).await;
    let base = format!("http://{}", board.addr());
    let client = connect(&driver).await;
    let out = artifacts();

    let long = hex::encode(receipt.tracking_code);
    let short = with_cyrillic(&ShortCode::of(&receipt.tracking_code).to_string());
    let recorded_at = receipt.position.to_string();
    for lang in Lang::ALL {
        let m = lang.messages();
        let recorded = fill(m.recorded, &[("position", &recorded_at)]);

        // The long form, submitted with Enter in the field.
        client
            .goto(&format!("{base}/?lang={}", lang.tag()))
            .await
            .unwrap();
        let html = client.find(Locator::Css("html")).await.unwrap();
        assert_eq!(
            html.attr("lang").await.unwrap().as_deref(),
            Some(lang.tag())
        );
        let png = client.screenshot().await.unwrap();
        std::fs::write(out.join(format!("index-{}.png", lang.tag())), png).unwrap();
        tab_to_code_field(&client).await;
        let field = client.active_element().await.unwrap();
        field.send_keys(&long).await.unwrap();
        field.send_keys(&Key::Enter.to_string()).await.unwrap();
        let text = result_text(&client).await;
        assert!(text.contains(&recorded), "{}: {text}", lang.tag());

        // The short form with a Cyrillic letter, then Tab to the button and Enter.
        client
            .goto(&format!("{base}/?lang={}", lang.tag()))
            .await
            .unwrap();
        tab_to_code_field(&client).await;
        let field = client.active_element().await.unwrap();
        field.send_keys(&short).await.unwrap();
        field.send_keys(&Key::Tab.to_string()).await.unwrap();
        let button = client.active_element().await.unwrap();
        assert_eq!(
            button.attr("type").await.unwrap().as_deref(),
            Some("submit")
        );
        button.send_keys(&Key::Enter.to_string()).await.unwrap();
        let text = result_text(&client).await;
        assert!(text.contains(&recorded), "{} {short}: {text}", lang.tag());
        let html = client.find(Locator::Css("html")).await.unwrap();
        assert_eq!(
            html.attr("lang").await.unwrap().as_deref(),
            Some(lang.tag())
        );
        let png = client.screenshot().await.unwrap();
        std::fs::write(out.join(format!("recorded-{}.png", lang.tag())), png).unwrap();

        // A wrong code: "not found" in the page's language.
        client
            .goto(&format!("{base}/?lang={}", lang.tag()))
            .await
            .unwrap();
        tab_to_code_field(&client).await;
        let field = client.active_element().await.unwrap();
        field.send_keys("0000-0000-0000-0000").await.unwrap();
        field.send_keys(&Key::Enter.to_string()).await.unwrap();
        let text = result_text(&client).await;
        let not_found = fill(m.not_found, &[("code", "0000-0000-0000-0000")]);
        assert!(text.contains(&not_found), "{}: {text}", lang.tag());
        let png = client.screenshot().await.unwrap();
        std::fs::write(out.join(format!("not-found-{}.png", lang.tag())), png).unwrap();
    }
    client.close().await.unwrap();
    board.stop().await;
    drop(driver);
}
