//! Simulated bank endpoints on loopback, following the demo's scenario clock.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use tokio::time::Instant;

use std::ops::Range;

/// The scenarios repeat with this period.
pub const CYCLE: Duration = Duration::from_secs(180);
/// Within each cycle, Bank of Africa's web and app fail during this span...
pub const BMCE_FAILS: Range<Duration> = Duration::from_secs(6)..Duration::from_secs(76);
/// ...and customers report trouble during this one.
pub const BMCE_REPORTS: Range<Duration> = Duration::from_secs(10)..Duration::from_secs(40);
/// The bank says, late and vaguely, that there is "a problem in the system"...
pub const BMCE_VAGUE: Duration = Duration::from_secs(35);
/// ...then promises its app back at the end of the failure, which the probes see a few
/// seconds later: a promise missed by seconds.
pub const BMCE_PROMISE: Duration = Duration::from_secs(50);
/// Crédit du Maroc announces this maintenance window (13 to 15 February, compressed)...
pub const CDM_WINDOW: Range<Duration> = Duration::from_secs(20)..Duration::from_secs(80);
/// ...and its app and web banking stay down this long: half a minute past the end.
pub const CDM_FAILS: Range<Duration> = Duration::from_secs(20)..Duration::from_secs(110);

/// Where the scenario clock stands in the current cycle.
pub fn phase(started: Instant) -> Duration {
    Duration::from_nanos((started.elapsed().as_nanos() % CYCLE.as_nanos()) as u64)
}

/// Starts the simulated banks on the scenario clock that began at `started`; returns their
/// base URL and the server task.
pub async fn start(started: Instant) -> std::io::Result<(String, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = Router::new()
        .route("/control", get(|| async { "ok" }))
        .route("/{slug}/{channel}", get(endpoint))
        .with_state(started);
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
    let t = phase(started);
    let failing = match slug.as_str() {
        "bmce" => BMCE_FAILS.contains(&t),
        "cdm" => CDM_FAILS.contains(&t),
        _ => false,
    };
    match (slug.as_str(), channel.as_str()) {
        ("bmce", "web") | ("cdm", _) if failing => {
            (StatusCode::SERVICE_UNAVAILABLE, "Service indisponible")
        }
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
