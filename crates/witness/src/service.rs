//! The witness over HTTP (axum): `POST /add-checkpoint` (`board.md` §11.2, C2SP tlog-witness),
//! and `GET /healthz`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use saylau::log::witness::{encode_size, SIZE_CONTENT_TYPE};
use tokio::net::TcpListener;

use crate::state::{Refusal, Witness};

/// Largest request body read: an old-size line, 63 proof lines and a checkpoint with its
/// signatures fit well under it.
pub const MAX_BODY: usize = 64 * 1024;

/// The witness's routes.
pub fn router(witness: Arc<Witness>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .route("/healthz", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(witness)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

async fn add_checkpoint(State(witness): State<Arc<Witness>>, body: Bytes) -> Response {
    let result = tokio::task::spawn_blocking(move || witness.add_checkpoint(&body, now())).await;
    let result = match result {
        Ok(result) => result,
        Err(_) => Err(Refusal::Storage("the request's task failed".into())),
    };
    match result {
        Ok(line) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            line,
        )
            .into_response(),
        Err(Refusal::SizeMismatch { current, .. }) => (
            StatusCode::CONFLICT,
            [(header::CONTENT_TYPE, SIZE_CONTENT_TYPE)],
            encode_size(current),
        )
            .into_response(),
        Err(refusal) => {
            let status =
                StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (
                status,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                format!("{refusal}\n"),
            )
                .into_response()
        }
    }
}

/// A witness serving on a listener; dropped, it keeps serving until the runtime ends.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    stop: tokio::sync::watch::Sender<bool>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops taking requests and lets those in progress finish.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        let _ = (&mut self.server).await;
    }

    /// Waits until the server stops (on its own only after an I/O error).
    pub async fn wait(mut self) -> std::io::Result<()> {
        match (&mut self.server).await {
            Ok(result) => result,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

/// Serves `witness` on `listener`. Must be called inside a tokio runtime.
pub fn start(witness: Arc<Witness>, listener: TcpListener) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let app = router(witness);
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await
    });
    Ok(Running { addr, stop, server })
}
