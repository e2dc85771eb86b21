//! End to end over loopback, full proof verification: a demo board in this process, N distinct
//! pre-generated ballots (default manifest) cast by C concurrent HTTP clients, one connection
//! per request. Prints one JSON line: ballots, accepted, per_s, p50_ms, p99_ms.
//!
//! usage: cargo run --release -p saylau-board --example http_cast -- [N] [C]
//! (the board and the clients share the machine's cores; the load tool of `saylau board load`
//! runs the clients in another process)

#[path = "../tests/http_common/mod.rs"]
mod http_common;

use std::sync::Arc;
use std::time::Instant;

use http_common::TestBoard;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map(|a| a.parse()).transpose()?.unwrap_or(1000);
    let c: usize = args.get(2).map(|a| a.parse()).transpose()?.unwrap_or(32);
    let mut board = TestBoard::start(n as u64, 0).await;
    let bodies: Vec<Vec<u8>> = (0..n)
        .map(|i| serde_json::to_vec(&board.ballot(i)).unwrap())
        .collect();
    let bodies = Arc::new(bodies);
    let addr = board.addr();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let clients: Vec<_> = (0..c)
        .map(|_| {
            let bodies = Arc::clone(&bodies);
            let next = Arc::clone(&next);
            tokio::spawn(async move {
                let mut times = Vec::new();
                let mut accepted = 0usize;
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    if i >= bodies.len() {
                        return (times, accepted);
                    }
                    let t = Instant::now();
                    let answer =
                        http_common::request(addr, "POST", "/v1/ballots", &[], &bodies[i]).await;
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                    if answer.status == 201 {
                        accepted += 1;
                    }
                }
            })
        })
        .collect();
    let mut times = Vec::new();
    let mut accepted = 0;
    for client in clients {
        let (t, a) = client.await?;
        times.extend(t);
        accepted += a;
    }
    let elapsed = started.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "{{\"ballots\":{n},\"accepted\":{accepted},\"clients\":{c},\"per_s\":{:.0},\"p50_ms\":{:.1},\"p99_ms\":{:.1}}}",
        n as f64 / elapsed,
        at(0.5),
        at(0.99)
    );
    board.stop().await;
    Ok(())
}
