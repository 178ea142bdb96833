//! Operations endpoints: `/healthz` for load balancers, `/metrics` for Prometheus.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::AppState;

pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut body = state.metrics.render(state.write_queue_depth());
    certificate_gauges(&state, &mut body);
    alert_gauges(&state, &mut body).await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// When each HTTPS probe's certificate lapses, as its last check saw it: an alert on
/// `bankstatus_tls_expires_seconds - time() < 14 * 86400` warns before customers notice.
fn certificate_gauges(state: &AppState, out: &mut String) {
    use std::fmt::Write;
    out.push_str("# HELP bankstatus_tls_expires_seconds Expiry (not-after) of the certificate each HTTPS probe last saw, as a Unix time.\n# TYPE bankstatus_tls_expires_seconds gauge\n");
    for p in state.config.all_probes() {
        let Some(expires) = state
            .live
            .last_check(&p.id)
            .and_then(|c| c.evidence.tls_expires_at)
        else {
            continue;
        };
        let id = p.id.replace('\\', "\\\\").replace('"', "\\\"");
        let _ = writeln!(
            out,
            "bankstatus_tls_expires_seconds{{probe=\"{id}\"}} {}",
            expires.timestamp()
        );
    }
}

/// Alert deliveries by channel and outcome, the outbox's depth and its oldest entry's age.
async fn alert_gauges(state: &AppState, out: &mut String) {
    let (depth, oldest) = match state.store.alert_stats().await {
        Ok(s) => (s.queue_depth, s.oldest_undelivered),
        Err(e) => {
            tracing::error!(error = %e, "metrics: could not read the alert outbox");
            (0, None)
        }
    };
    let age = oldest.map_or(0.0, |t| {
        (state.clock.now() - t).num_milliseconds().max(0) as f64 / 1000.0
    });
    state.alerts.metrics.render(out, depth, age);
}
