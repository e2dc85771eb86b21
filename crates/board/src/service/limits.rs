//! Limits that keep one client from starving the others (board.md §8.5): a token bucket per
//! client address, a timeout per request, and one ballot in flight per credential. Nothing here
//! logs: an address is kept only as a bucket key, with no credential, ballot or time beside it.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// Per-address token buckets: `rps` tokens a second, bursts of up to twice that.
#[derive(Debug)]
pub struct RateLimiter {
    rps: u32,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

/// Buckets kept before idle (full) ones are dropped.
const MAX_BUCKETS: usize = 100_000;

impl RateLimiter {
    /// A limiter of `rps` requests a second per address; 0 allows everything.
    pub fn new(rps: u32) -> Self {
        Self {
            rps,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `ip`; false when its bucket is empty.
    pub fn allow(&self, ip: IpAddr) -> bool {
        if self.rps == 0 {
            return true;
        }
        let rate = f64::from(self.rps);
        let burst = rate * 2.0;
        let now = Instant::now();
        let mut buckets = match self.buckets.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        if buckets.len() >= MAX_BUCKETS {
            // A full bucket is the same as no bucket: forget those.
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (tokens, at) = buckets.entry(ip).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The middleware's settings.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The per-address limiter.
    pub rate: Arc<RateLimiter>,
    /// The per-request timeout.
    pub timeout: Duration,
}

/// Refuses a request over its address's rate (429 `rate_limited`), and answers 503 `timeout`
/// for one that takes too long. `/healthz` is not limited.
pub async fn limit(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(ip) = ip {
        if request.uri().path() != "/healthz" && !limits.rate.allow(ip) {
            return ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests from this address; slow down and retry",
            )
            .into_response();
        }
    }
    match tokio::time::timeout(limits.timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!(
                "the request took more than {} s; if it was a ballot, ask for it by its hash before casting again",
                limits.timeout.as_secs()
            ),
        )
        .into_response(),
    }
}

/// Credentials with a ballot being checked or sequenced (board.md §8.3: one at a time).
#[derive(Debug, Default)]
pub struct InFlight(Mutex<HashSet<[u8; 32]>>);

/// Holds a credential's slot; dropping it frees the slot.
#[derive(Debug)]
pub struct InFlightGuard<'a> {
    set: &'a InFlight,
    credential: [u8; 32],
}

impl InFlight {
    /// Takes the credential's slot, or `None` if a ballot of it is in flight.
    pub fn enter(&self, credential: [u8; 32]) -> Option<InFlightGuard<'_>> {
        let mut set = match self.0.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        // Not `then_some`: a guard built for a refused slot would free the holder's slot on drop.
        if set.insert(credential) {
            Some(InFlightGuard {
                set: self,
                credential,
            })
        } else {
            None
        }
    }
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        let mut set = match self.set.0.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        set.remove(&self.credential);
    }
}

/// Resolves once `stop` is true (or its sender is gone).
async fn stopped(stop: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// How long a client has to send a request's whole header (board.md §8.5): past it, hyper closes
/// the connection, so that clients sending half a request line (slowloris) cannot hold
/// connections open while others are served.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` over HTTP/1.1 until `stop` turns true, then lets the requests in
/// progress finish. Like `axum::serve`, but each connection has a header read timeout
/// (`header_timeout`; hyper's needs a timer, which `axum::serve` does not give it), and each
/// request carries its client address as [`ConnectInfo`] for the rate limit.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    mut stop: tokio::sync::watch::Receiver<bool>,
    header_timeout: Duration,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower_service::Service;

    // Each connection's task holds a receiver; dropping the sender's last receiver tells the
    // loop, at shutdown, that every connection is done.
    let (done_tx, done_rx) = tokio::sync::watch::channel(());
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors, or a connection reset before it was accepted: wait a
                // little (the former clears as connections close) and go on.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped(&mut stop) => break,
        };
        let _ = stream.set_nodelay(true);
        let router = app.clone();
        let service = hyper::service::service_fn(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(addr));
                router.clone().call(request.map(axum::body::Body::new))
            },
        );
        let mut stop = stop.clone();
        let done = done_rx.clone();
        tokio::spawn(async move {
            // Bound first, so dropped last: the loop hears this connection is done only once
            // the connection, and the router (the board's state) it holds, are gone.
            let _done = done;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stopped(&mut stop) => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.as_mut().await;
                }
            }
        });
    }
    drop(listener);
    drop(done_rx);
    done_tx.closed().await;
    Ok(())
}
