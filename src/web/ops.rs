//! Operations endpoints: `/healthz` for load balancers, `/metrics` for Prometheus.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use chrono::{DateTime, SecondsFormat, Utc};

use super::AppState;
use crate::domain::Lang;
use crate::i18n::Msg;
use crate::store::health::{verdict, Verdict, WriteCause};

/// 200 while the database answers and takes writes; 503 when it does not answer, once
/// writes have failed for `[storage] unhealthy_after`, or while the log refuses to sign (its
/// stored tree no longer extends its last checkpoint), with the reason in the body.
pub async fn healthz(State(state): State<AppState>) -> Response {
    if let Err(e) = state.store.ping().await {
        tracing::error!(error = %e, "health check: the database does not answer");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response();
    }
    if let Some(why) = state.log.trouble() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "{}\n",
                Msg::new("health-log-refused")
                    .arg("why", why)
                    .text(Lang::En)
            ),
        )
            .into_response();
    }
    let now = state.clock.now();
    match write_verdict(&state) {
        Verdict::Writing => (StatusCode::OK, "ok\n").into_response(),
        Verdict::Failing { since, cause } => (
            StatusCode::OK,
            format!("ok; {}\n", failing(since, cause, now)),
        )
            .into_response(),
        Verdict::Down { since, cause } => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{}\n", failing(since, cause, now)),
        )
            .into_response(),
    }
}

/// Whether writes work, as the health check and the pages' banner see it.
pub fn write_verdict(state: &AppState) -> Verdict {
    verdict(
        state.store.write_health().record(),
        state.clock.now(),
        state.config.storage.unhealthy_after,
    )
}

fn failing(since: DateTime<Utc>, cause: WriteCause, now: DateTime<Utc>) -> String {
    let for_secs = (now - since).num_seconds().max(0);
    Msg::new("health-writes-failing")
        .arg("since", since.to_rfc3339_opts(SecondsFormat::Secs, true))
        .arg("cause", format!("{}, {for_secs} s", cause.as_str()))
        .text(Lang::En)
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut body = state.metrics.render(state.write_queue_depth());
    write_failures(&state, &mut body);
    state.log.render_metrics(&mut body);
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

/// Failed write transactions by cause, and since when writes fail (0 while they work).
fn write_failures(state: &AppState, out: &mut String) {
    use std::fmt::Write;
    let health = state.store.write_health();
    out.push_str("# HELP bankstatus_storage_write_failures_total Write transactions that could not start or commit, by cause.\n# TYPE bankstatus_storage_write_failures_total counter\n");
    for (cause, n) in health.failures() {
        let _ = writeln!(
            out,
            "bankstatus_storage_write_failures_total{{cause=\"{}\"}} {n}",
            cause.as_str()
        );
    }
    let since = match write_verdict(state) {
        Verdict::Writing => 0,
        Verdict::Failing { since, .. } | Verdict::Down { since, .. } => since.timestamp(),
    };
    let _ = writeln!(
        out,
        "# HELP bankstatus_storage_failing_since_seconds Unix time of the first failed write of the current run; 0 while writes work.\n# TYPE bankstatus_storage_failing_since_seconds gauge\nbankstatus_storage_failing_since_seconds {since}"
    );
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
    state.alerts.targets.render(out);
}
