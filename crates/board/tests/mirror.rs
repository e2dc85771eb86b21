//! `--tile-dir` (board.md §8.11): the board mirrors its full tiles, full entry bundles and latest
//! checkpoint as files in the tlog-tiles layout; each file equals what `/log/...` serves. Run on
//! SQLite and on PostgreSQL.

mod http_common;

#[path = "common/mod.rs"]
mod synthetic;

use std::path::{Path, PathBuf};
use std::time::Duration;

use http_common::TestBoard;
use rand::SeedableRng;
use saylau_board::sequencer::Entry;
use synthetic::db::TestDb;

/// Every file under `dir`, as paths relative to it.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

async fn mirrors_full_tiles(test_db: TestDb) {
    let mirror_dir = tempfile::tempdir().unwrap();
    let dir = mirror_dir.path().join("tiles");
    let mut board =
        TestBoard::start_configured(1, 0, Some(test_db.database()), None, Some(dir.clone())).await;
    // 600 entries straight to the sequencer: two full level-0 tiles and bundles, a partial third.
    let submitter = board.running.as_ref().unwrap().board().submitter.clone();
    tokio::task::spawn_blocking(move || {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
        for _ in 0..600 {
            let entry = synthetic::cast_entry(&mut rng, 100);
            submitter.submit(Entry::Cast(entry)).unwrap();
        }
    })
    .await
    .unwrap();
    let served = board.wait_for_checkpoint(600).await;
    // The mirror writes its checkpoint last, once the tiles it covers are in place.
    let mut mirrored = Vec::new();
    for _ in 0..500 {
        mirrored = std::fs::read(dir.join("checkpoint")).unwrap_or_default();
        if mirrored == served.as_bytes() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(String::from_utf8_lossy(&mirrored), served);

    let expected: Vec<PathBuf> = [
        "checkpoint",
        "tile/0/000",
        "tile/0/001",
        "tile/entries/000",
        "tile/entries/001",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    assert_eq!(files(&dir), expected, "only full tiles and bundles");
    for file in &expected[1..] {
        let url = format!("/log/{}", file.display());
        let answer = board.get(&url).await;
        assert_eq!(answer.status, 200, "{url}");
        assert_eq!(
            std::fs::read(dir.join(file)).unwrap(),
            answer.body,
            "{} differs from {url}",
            file.display()
        );
    }
    board.stop().await;

    // A tile directory holding another log's checkpoint is refused at start.
    std::fs::write(dir.join("checkpoint"), "another.example/log\n1\nAAAA\n").unwrap();
    let keys = saylau_board::keys::BoardKeys::read(&board.keys).unwrap();
    let mut err = String::new();
    // The stopped board closes its connections on a thread of their own: until it has, the
    // store is still locked, which is not the refusal tested here.
    for _ in 0..100 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let refused = saylau_board::service::start(
            &board.record,
            &board.database,
            &keys,
            saylau_board::service::ServeConfig {
                tile_dir: Some(dir.clone()),
                ..http_common::test_config(0)
            },
            listener,
        )
        .await;
        err = refused
            .err()
            .expect("a board started on another log's tile directory")
            .to_string();
        if !err.contains("another board holds") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(err.contains("another log's checkpoint"), "{err}");
    drop(board);
    drop(test_db);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirrors_full_tiles_on_sqlite() {
    mirrors_full_tiles(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirrors_full_tiles_on_postgres() {
    let db = tokio::task::spawn_blocking(TestDb::postgres).await.unwrap();
    mirrors_full_tiles(db).await;
}
