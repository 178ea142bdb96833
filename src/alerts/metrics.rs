//! Alert deliveries counted by channel and outcome, and the alert lines of `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::store::alerts::{Finish, Via};

/// The outcomes counted, in the order of [`AlertMetrics`]'s columns.
const OUTCOMES: [&str; 4] = ["delivered", "retry", "failed", "gone"];

/// Deliveries by channel and outcome, for `/metrics`: one counter per pair, bumped by every
/// attempt, never reset (Prometheus counters).
#[derive(Default)]
pub struct AlertMetrics {
    /// Rows in [`Via::ALL`]'s order, columns in [`OUTCOMES`]'s.
    counts: [[AtomicU64; 4]; 3],
    /// New subscriptions refused because their client had used its hourly allowance.
    pub throttled: AtomicU64,
}

impl AlertMetrics {
    /// Counts one finished attempt.
    pub(super) fn record(&self, via: Via, finish: &Finish) {
        let o = match finish {
            Finish::Delivered => 0,
            Finish::Retry { .. } => 1,
            Finish::GiveUp { .. } => 2,
            Finish::Gone => 3,
        };
        let v = Via::ALL.iter().position(|x| *x == via).unwrap_or(0);
        self.counts[v][o].fetch_add(1, Ordering::Relaxed);
    }

    /// Appends the alert metrics in the Prometheus text format: the counters, the number of
    /// deliveries not yet done (`depth`) and the age of the oldest, in seconds.
    pub fn render(&self, out: &mut String, depth: i64, oldest_secs: f64) {
        use std::fmt::Write;
        out.push_str("# HELP bankstatus_alert_deliveries_total Alert delivery attempts by channel and outcome.\n# TYPE bankstatus_alert_deliveries_total counter\n");
        for (v, via) in Via::ALL.iter().enumerate() {
            for (o, outcome) in OUTCOMES.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "bankstatus_alert_deliveries_total{{channel=\"{}\",outcome=\"{outcome}\"}} {}",
                    via.as_str(),
                    self.counts[v][o].load(Ordering::Relaxed)
                );
            }
        }
        let _ = writeln!(out, "# HELP bankstatus_subscriptions_throttled_total New subscriptions refused for their client's hourly allowance.\n# TYPE bankstatus_subscriptions_throttled_total counter\nbankstatus_subscriptions_throttled_total {}", self.throttled.load(Ordering::Relaxed));
        let _ = writeln!(out, "# HELP bankstatus_alert_queue_depth Alert deliveries not yet done.\n# TYPE bankstatus_alert_queue_depth gauge\nbankstatus_alert_queue_depth {depth}");
        let _ = writeln!(out, "# HELP bankstatus_alert_oldest_undelivered_seconds Age of the oldest delivery not yet done.\n# TYPE bankstatus_alert_oldest_undelivered_seconds gauge\nbankstatus_alert_oldest_undelivered_seconds {oldest_secs}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(m: &AlertMetrics) -> String {
        let mut out = String::new();
        m.render(&mut out, 3, 12.5);
        out
    }

    #[test]
    fn every_channel_and_outcome_has_its_line_from_the_start() {
        let out = rendered(&AlertMetrics::default());
        for via in Via::ALL {
            for outcome in OUTCOMES {
                let line = format!(
                    "bankstatus_alert_deliveries_total{{channel=\"{}\",outcome=\"{outcome}\"}} 0\n",
                    via.as_str()
                );
                assert!(out.contains(&line), "{line} in {out}");
            }
        }
        assert!(out.contains("\nbankstatus_alert_queue_depth 3\n"), "{out}");
        assert!(
            out.contains("\nbankstatus_alert_oldest_undelivered_seconds 12.5\n"),
            "{out}"
        );
    }

    #[test]
    fn each_attempt_counts_under_its_channel_and_outcome() {
        let m = AlertMetrics::default();
        m.record(Via::Push, &Finish::Delivered);
        m.record(Via::Push, &Finish::Delivered);
        m.record(Via::Webhook, &Finish::Gone);
        m.record(
            Via::Email,
            &Finish::Retry {
                due: chrono::DateTime::UNIX_EPOCH,
                error: "HTTP 503".into(),
            },
        );
        m.record(Via::Email, &Finish::GiveUp { error: "x".into() });
        let out = rendered(&m);
        for line in [
            "{channel=\"push\",outcome=\"delivered\"} 2",
            "{channel=\"webhook\",outcome=\"gone\"} 1",
            "{channel=\"webhook\",outcome=\"delivered\"} 0",
            "{channel=\"email\",outcome=\"retry\"} 1",
            "{channel=\"email\",outcome=\"failed\"} 1",
        ] {
            assert!(out.contains(line), "{line} in {out}");
        }
    }
}
