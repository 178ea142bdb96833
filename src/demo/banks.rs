//! Simulated bank endpoints on loopback, following the demo's scenario clock.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use tokio::time::Instant;

/// The scenario repeats with this period.
pub const CYCLE: Duration = Duration::from_secs(150);
/// Within each cycle, Bank of Africa's web and app fail between these two times.
pub const FAILURE_START: Duration = Duration::from_secs(6);
pub const FAILURE_END: Duration = Duration::from_secs(76);

/// Starts the simulated banks; returns their base URL and the server task.
pub async fn start() -> std::io::Result<(String, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = Router::new()
        .route("/control", get(|| async { "ok" }))
        .route("/{slug}/{channel}", get(endpoint))
        .with_state(Instant::now());
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "simulated banks stopped");
        }
    });
    Ok((base, task))
}

async fn endpoint(
    State(started): State<Instant>,
    Path((slug, channel)): Path<(String, String)>,
) -> (StatusCode, &'static str) {
    let t = Duration::from_nanos((started.elapsed().as_nanos() % CYCLE.as_nanos()) as u64);
    let failing = slug == "bmce" && (FAILURE_START..FAILURE_END).contains(&t);
    match (slug.as_str(), channel.as_str()) {
        ("bmce", "web") if failing => (StatusCode::SERVICE_UNAVAILABLE, "Service indisponible"),
        ("bmce", _) if failing => {
            // The app back-end hangs rather than refusing: probes time out.
            tokio::time::sleep(Duration::from_secs(5)).await;
            (StatusCode::GATEWAY_TIMEOUT, "")
        }
        ("cih", _) => {
            tokio::time::sleep(Duration::from_millis(900)).await;
            (StatusCode::OK, "<html>CIH Bank</html>")
        }
        _ => (StatusCode::OK, "<html>ok</html>"),
    }
}
