//! Connections: accepting them, HTTP/1.1 on each with bounded heads and
//! timeouts, bounded concurrency, and a graceful shutdown.
//!
//! Owns: what hyper is told (head size, header count, the time a client
//! has to send a request head, also between requests on a kept-alive
//! connection), how many connections and requests are served at once,
//! and how long in-flight requests get to finish at shutdown. Must not
//! know about: routes or what they answer.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::{Layer, Service};

/// The bounds of every connection and of the server as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// How long a client has to send a whole request head, counted from
    /// when the server starts waiting for one (also on an idle kept-alive
    /// connection): past it the connection is closed.
    pub header_timeout: Duration,
    /// The largest request head (request line and headers), in bytes. A
    /// larger one is refused by the HTTP layer itself (`431`, no body);
    /// it must leave room for the longest request target the routes
    /// answer.
    pub max_head_bytes: usize,
    /// The most header fields a request may have (`431` past it).
    pub max_headers: usize,
    /// The most connections open at once; more wait to be accepted.
    pub max_connections: usize,
    /// The most requests being answered at once; more wait.
    pub max_in_flight: usize,
    /// How long in-flight requests get to finish after a shutdown signal.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    /// 15 s for a request head, heads of at most 64 KiB with 64 fields,
    /// 1,024 connections, 256 requests at once, 30 s to finish at shutdown.
    fn default() -> ConnectionLimits {
        ConnectionLimits {
            header_timeout: Duration::from_secs(15),
            max_head_bytes: 64 * 1024,
            max_headers: 64,
            max_connections: 1_024,
            max_in_flight: 256,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then stops
/// accepting and lets in-flight requests finish (for at most
/// `limits.shutdown_grace`).
///
/// # Errors
///
/// Never for a single connection's failure; only when the listener itself
/// cannot go on.
pub async fn serve<S>(
    listener: TcpListener,
    app: S,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()>
where
    S: Service<axum::http::Request<Incoming>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let app = GlobalConcurrencyLimitLayer::new(limits.max_in_flight.max(1)).layer(app);
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_head_bytes.max(8_192))
        .max_headers(limits.max_headers);
    tokio::pin!(shutdown);
    loop {
        // Shutdown first: a stream of connections cannot hold it off.
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            permit = connections.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors and the like: wait, then
                    // accept again rather than spin.
                    tracing::warn!(error = %error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // Responses are written whole; waiting to fill a segment only
        // adds latency.
        let _ = stream.set_nodelay(true);
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that goes away mid-request is not the server's
            // failure: nothing to report.
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!("shutdown: requests still in flight after the grace period were dropped");
        }
    }
    Ok(())
}
