//! `GET /v1/export` streams its tar from the store (board.md §8.10): the streamed tar holds, in
//! order, the record's files and the store's files exactly as the in-memory export builds them
//! (`export::record_files`, `export::log_files`), and ends as a tar ends.

mod http_common;

use std::io::Read;

use http_common::TestBoard;
use saylau_board::export::{log_files, record_files};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_streamed_export_is_the_record_and_the_log() {
    let mut board = TestBoard::start(3, 0).await;
    for i in 0..3 {
        let ballot = board.ballot(i);
        let answer = board
            .post("/v1/ballots", &serde_json::to_vec(&ballot).unwrap())
            .await;
        assert_eq!(answer.status, 201, "{}", answer.text());
    }
    board.wait_for_checkpoint(3).await;
    let answer = board.get("/v1/export").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/x-tar"));

    let mut expected = record_files(&board.record).unwrap();
    let running = board.running.as_ref().unwrap().board();
    let logs = running
        .readers
        .read(|store| Ok(log_files(store).unwrap()))
        .await
        .unwrap();
    expected.extend(logs);
    // The three ballots are in the export.
    let ballots = expected
        .iter()
        .find(|(name, _)| name == saylau::record::BALLOTS)
        .unwrap();
    assert_eq!(ballots.1.iter().filter(|b| **b == b'\n').count(), 3);

    let mut archive = tar::Archive::new(answer.body.as_slice());
    let mut got = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        assert_eq!(entry.header().mode().unwrap(), 0o644, "{name}");
        assert_eq!(entry.header().mtime().unwrap(), 0, "{name}");
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        got.push((name, bytes));
    }
    assert_eq!(
        got.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        expected.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>()
    );
    for ((name, bytes), (_, want)) in got.iter().zip(&expected) {
        assert!(bytes == want, "{name}: the streamed bytes differ");
    }
    // A tar ends with two zero blocks: the stream was not cut short.
    assert!(answer.body.len() >= 1024);
    assert!(answer.body[answer.body.len() - 1024..]
        .iter()
        .all(|b| *b == 0));
    board.stop().await;
}
