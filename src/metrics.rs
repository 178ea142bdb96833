//! Counters and gauges for `/metrics`, in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::domain::{ErrorClass, Outcome};

/// Upper bounds of the lag histogram buckets, in milliseconds.
const LAG_BUCKETS_MS: [u64; 14] = [
    1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000,
];

/// A fixed-bucket histogram of durations.
#[derive(Default)]
pub struct Histogram {
    buckets: [AtomicU64; 15],
    sum_us: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let ms = d.as_millis() as u64;
        let i = LAG_BUCKETS_MS
            .iter()
            .position(|b| ms <= *b)
            .unwrap_or(LAG_BUCKETS_MS.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.sum_us
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    /// The upper bound of the bucket that holds quantile `q` (0..=1), in milliseconds;
    /// `None` with no observation or past the last bound.
    pub fn quantile_upper_ms(&self, q: f64) -> Option<u64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = (q * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            seen += b.load(Ordering::Relaxed);
            if seen >= rank {
                return LAG_BUCKETS_MS.get(i).copied();
            }
        }
        None
    }

    fn render(&self, out: &mut String, name: &str) {
        let mut cumulative = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            cumulative += b.load(Ordering::Relaxed);
            match LAG_BUCKETS_MS.get(i) {
                Some(ms) => {
                    let _ = writeln!(
                        out,
                        "{name}_bucket{{le=\"{}\"}} {cumulative}",
                        *ms as f64 / 1000.0
                    );
                }
                None => {
                    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
                }
            }
        }
        let _ = writeln!(
            out,
            "{name}_sum {}\n{name}_count {cumulative}",
            self.sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
    }
}

/// Everything `/metrics` reports that is not read from elsewhere at render time.
#[derive(Default)]
pub struct Metrics {
    runs_up: AtomicU64,
    runs_degraded: AtomicU64,
    runs_down: AtomicU64,
    failures: [AtomicU64; ErrorClass::ALL.len()],
    /// Checks refused by the bank's protection, by probe: the operator's cue to ask the
    /// bank to let the probe through. Only probes refused at least once have an entry.
    blocked: Mutex<BTreeMap<String, u64>>,
    /// How late checks start against their schedule (waiting for a permit included).
    pub schedule_lag: Histogram,
    /// How long the engine's counts of the reports took.
    pub report_count_time: Histogram,
    pub results_written: AtomicU64,
    pub write_batches: AtomicU64,
    pub write_errors: AtomicU64,
    /// Crowd reports stored, and the transactions that stored them.
    pub reports_stored: AtomicU64,
    pub report_batches: AtomicU64,
    pub open_incidents: AtomicI64,
    pub network_cut: AtomicI64,
    /// Probe results the engine has taken in.
    pub engine_results: AtomicU64,
    /// Counts of the reports the engine has made.
    pub report_counts: AtomicU64,
    /// Incident changes the engine could not record (and decided again).
    pub engine_write_errors: AtomicU64,
    /// Requests to a token-guarded API refused with 401.
    pub unauthorized: AtomicU64,
    /// Client connections open now.
    pub connections_open: AtomicI64,
    /// Connections closed because the cap was reached.
    pub connections_shed: AtomicU64,
    /// New connections refused at the cap, every open one having a request in flight.
    pub connections_refused: AtomicU64,
    /// Failed accepts (out of file descriptors, most often).
    pub accept_errors: AtomicU64,
}

impl Metrics {
    pub fn record_probe(&self, probe: &str, outcome: &Outcome) {
        if outcome.is_blocked() {
            if let Ok(mut blocked) = self.blocked.lock() {
                *blocked.entry(probe.to_owned()).or_default() += 1;
            }
        }
        match outcome {
            Outcome::Up => &self.runs_up,
            Outcome::Degraded => &self.runs_degraded,
            Outcome::Down { class, .. } => {
                let i = ErrorClass::ALL.iter().position(|c| c == class).unwrap_or(0);
                self.failures[i].fetch_add(1, Ordering::Relaxed);
                &self.runs_down
            }
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    /// The text exposition; `queue_depth` is read from the writer's channel by the caller.
    pub fn render(&self, queue_depth: usize) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str("# HELP bankstatus_probe_runs_total Checks run, by outcome.\n# TYPE bankstatus_probe_runs_total counter\n");
        for (name, c) in [
            ("up", &self.runs_up),
            ("degraded", &self.runs_degraded),
            ("down", &self.runs_down),
        ] {
            let _ = writeln!(
                out,
                "bankstatus_probe_runs_total{{outcome=\"{name}\"}} {}",
                c.load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP bankstatus_probe_failures_total Failed checks, by error class.\n# TYPE bankstatus_probe_failures_total counter\n");
        for (class, c) in ErrorClass::ALL.iter().zip(&self.failures) {
            let _ = writeln!(
                out,
                "bankstatus_probe_failures_total{{class=\"{}\"}} {}",
                class.as_str(),
                c.load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP bankstatus_probe_blocked_total Checks refused by the bank's bot protection (a CDN or firewall), by probe.\n# TYPE bankstatus_probe_blocked_total counter\n");
        if let Ok(blocked) = self.blocked.lock() {
            for (probe, n) in blocked.iter() {
                let probe = probe.replace('\\', "\\\\").replace('"', "\\\"");
                let _ = writeln!(
                    out,
                    "bankstatus_probe_blocked_total{{probe=\"{probe}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP bankstatus_schedule_lag_seconds Delay between a check's scheduled and actual start.\n# TYPE bankstatus_schedule_lag_seconds histogram\n");
        self.schedule_lag
            .render(&mut out, "bankstatus_schedule_lag_seconds");
        out.push_str("# HELP bankstatus_report_count_seconds How long each count of the window's reporters took.\n# TYPE bankstatus_report_count_seconds histogram\n");
        self.report_count_time
            .render(&mut out, "bankstatus_report_count_seconds");
        let gauges = [
            (
                "bankstatus_write_queue_depth",
                "Probe results waiting for the writer.",
                queue_depth as i64,
                "gauge",
            ),
            (
                "bankstatus_results_written_total",
                "Probe results written to the database.",
                self.results_written.load(Ordering::Relaxed) as i64,
                "counter",
            ),
            (
                "bankstatus_write_batches_total",
                "Write transactions of probe results.",
                self.write_batches.load(Ordering::Relaxed) as i64,
                "counter",
            ),
            (
                "bankstatus_write_errors_total",
                "Batches the writer failed to store.",
                self.write_errors.load(Ordering::Relaxed) as i64,
                "counter",
            ),
            (
                "bankstatus_reports_stored_total",
                "Crowd reports stored.",
                self.reports_stored.load(Ordering::Relaxed) as i64,
                "counter",
            ),
            (
                "bankstatus_report_batches_total",
                "Write transactions of crowd reports; several reports share one in a storm.",
                self.report_batches.load(Ordering::Relaxed) as i64,
                "counter",
            ),
            (
                "bankstatus_engine_results_total",
                "Probe results the engine has taken in.",
                self.engine_results.load(Ordering::Relaxed) as i64,
                "counter",
            ),
            (
                "bankstatus_report_counts_total",
                "Times the engine counted the reports.",
                self.report_counts.load(Ordering::Relaxed) as i64,
                "counter",
            ),
            (
                "bankstatus_engine_write_errors_total",
                "Incident changes the engine could not record and decided again.",
                self.engine_write_errors.load(Ordering::Relaxed) as i64,
                "counter",
            ),
            (
                "bankstatus_unauthorized_total",
                "Requests to the operator or agents' API refused for a missing or wrong token.",
                self.unauthorized.load(Ordering::Relaxed) as i64,
                "counter",
            ),
            (
                "bankstatus_connections_open",
                "Client connections open now.",
                self.connections_open.load(Ordering::Relaxed),
                "gauge",
            ),
            (
                "bankstatus_connections_shed_total",
                "Idle client connections closed to make room because the cap was reached.",
                self.connections_shed.load(Ordering::Relaxed) as i64,
                "counter",
            ),
            (
                "bankstatus_connections_refused_total",
                "New connections refused at the cap because every open one had a request in flight.",
                self.connections_refused.load(Ordering::Relaxed) as i64,
                "counter",
            ),
            (
                "bankstatus_accept_errors_total",
                "Connections that could not be accepted (out of file descriptors, most often).",
                self.accept_errors.load(Ordering::Relaxed) as i64,
                "counter",
            ),
            (
                "bankstatus_open_incidents",
                "Incidents not yet resolved.",
                self.open_incidents.load(Ordering::Relaxed),
                "gauge",
            ),
            (
                "bankstatus_network_cut",
                "1 while the control sites fail too: the tracker cannot see the banks.",
                self.network_cut.load(Ordering::Relaxed),
                "gauge",
            ),
        ];
        for (name, help, value, kind) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_checks_are_counted_by_probe() {
        let m = Metrics::default();
        let blocked = Outcome::Down {
            class: ErrorClass::Blocked,
            detail: "HTTP 403".into(),
        };
        m.record_probe("bmce/web/0", &blocked);
        m.record_probe("bmce/web/0", &blocked);
        m.record_probe("bmce/web/1", &Outcome::Up);
        let text = m.render(0);
        assert!(
            text.contains("bankstatus_probe_blocked_total{probe=\"bmce/web/0\"} 2\n"),
            "{text}"
        );
        assert!(!text.contains("probe=\"bmce/web/1\""), "{text}");
        assert!(
            text.contains("bankstatus_probe_failures_total{class=\"blocked\"} 2\n"),
            "{text}"
        );
    }

    #[test]
    fn quantile_reports_bucket_bound() {
        let h = Histogram::default();
        for _ in 0..99 {
            h.observe(Duration::from_millis(3));
        }
        h.observe(Duration::from_millis(700));
        assert_eq!(h.quantile_upper_ms(0.5), Some(5));
        assert_eq!(h.quantile_upper_ms(0.99), Some(5));
        assert_eq!(h.quantile_upper_ms(1.0), Some(1000));
    }
}
