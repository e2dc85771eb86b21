//! A client that sends half a request line and then nothing (slowloris) is disconnected once the
//! header timeout passes, while other clients are served meanwhile (board.md §8.5). Nothing here
//! asserts a time: the bounds only keep a broken board from hanging the test.

mod http_common;

use std::time::Duration;

use http_common::{request, test_config};
use saylau_board::keys::BoardKeys;
use saylau_board::service;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_is_cut_off_and_others_are_served() {
    let mut board = http_common::TestBoard::start(1, 0).await;
    board.stop().await;
    let keys = BoardKeys::read(&board.keys).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = service::ServeConfig {
        header_timeout: Duration::from_millis(300),
        ..test_config(0)
    };
    let running = service::start(&board.record, &board.database, &keys, config, listener)
        .await
        .unwrap();
    let addr = running.addr;

    // Half a request line, then silence.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HT").await.unwrap();
    // A silent connection that never sends a byte.
    let mut silent = TcpStream::connect(addr).await.unwrap();

    // Others are served meanwhile.
    for _ in 0..3 {
        let answer = request(addr, "GET", "/healthz", &[], &[]).await;
        assert_eq!(answer.status, 200);
    }

    // The board closes both (hyper may say 408 first); a board without the timeout would keep
    // them open until this bound.
    for (name, stream) in [("half a request line", &mut slow), ("nothing", &mut silent)] {
        let mut got = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut got)).await;
        let closed = matches!(read, Ok(Ok(_)) | Ok(Err(_)));
        assert!(
            closed,
            "a client that sent {name} is still connected after 20 s"
        );
        let text = String::from_utf8_lossy(&got);
        assert!(
            got.is_empty() || text.starts_with("HTTP/1.1 408"),
            "a client that sent {name} got {text:?}"
        );
    }

    // And the board still serves.
    let answer = request(addr, "GET", "/healthz", &[], &[]).await;
    assert_eq!(answer.status, 200);
    running.shutdown().await.unwrap();
}
