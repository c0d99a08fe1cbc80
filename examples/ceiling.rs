//! The ceiling of the server's stack: the same listener, connection
//! limits and HTTP layer as `defender-odata serve`, and one axum handler
//! that answers every GET with a fixed body and does no other work. Load
//! figures of `serve` are read as a fraction of this one's, measured in
//! the same run.
//!
//! ```text
//! cargo run --release --example ceiling -- BODY_FILE
//! ```
//!
//! Prints `listening on http://HOST:PORT` first, as `serve` does; answers
//! `GET /…` with the bytes of BODY_FILE as OData JSON.

use std::process::ExitCode;

use axum::routing::get;
use axum::Router;
use defender_odata::server::{odata_json, serve, ConnectionLimits};

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: ceiling BODY_FILE");
        return ExitCode::from(2);
    };
    let body = match std::fs::read(&path) {
        Ok(body) => body,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    let app = Router::new().fallback(get(move || {
        let body = body.clone();
        async move { odata_json(body) }
    }));
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async {
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        };
        match listener.local_addr() {
            Ok(address) => println!("listening on http://{address}"),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        }
        let stop = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        match serve(listener, app, ConnectionLimits::default(), stop).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        }
    })
}
