//! `[reports]`: how crowd reports are counted into a surge, and how many one reporter may
//! send.

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::validator::Validator;

/// The surge window when the file does not say.
const DEFAULT_WINDOW: Duration = Duration::from_secs(15 * 60);
/// The fewest distinct reporters in a window that can be a surge, when the file does not say.
const DEFAULT_SURGE_FLOOR: u32 = 10;
/// Reports one reporter may send in an hour before 429, when the file does not say.
const DEFAULT_PER_REPORTER_PER_HOUR: u32 = 20;
/// How long an incident only customers report lasts before subscribers hear of it, when the
/// file does not say.
const DEFAULT_CONFIRM_AFTER: Duration = Duration::from_secs(10 * 60);

/// `[reports]`.
#[derive(Debug, Clone)]
pub struct ReportsConfig {
    /// Reports are counted over this sliding window.
    pub window: Duration,
    /// The fewest distinct reporters in a window that can be a surge.
    pub surge_floor: u32,
    /// Reports one reporter may send in an hour; more are answered 429.
    pub per_reporter_per_hour: u32,
    /// The reporter's address is the last one of `X-Forwarded-For` (behind your own proxy
    /// only).
    pub trust_forwarded_for: bool,
    /// An incident only customers report is told to subscribers once it has lasted this
    /// long, unless a probe or the operator confirms it sooner.
    pub confirm_after: Duration,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReports {
    window: Option<Spanned<String>>,
    surge_floor: Option<Spanned<i64>>,
    per_reporter_per_hour: Option<Spanned<i64>>,
    trust_forwarded_for: Option<bool>,
    confirm_after: Option<Spanned<String>>,
}

impl Validator<'_> {
    pub(super) fn reports(&mut self, raw: Option<RawReports>) -> ReportsConfig {
        let raw = raw.unwrap_or_default();
        ReportsConfig {
            window: self.duration(raw.window, DEFAULT_WINDOW),
            surge_floor: self
                .int_in(raw.surge_floor, 1..=1_000_000, "surge_floor")
                .map_or(DEFAULT_SURGE_FLOOR, |n| n as u32),
            per_reporter_per_hour: self
                .int_in(
                    raw.per_reporter_per_hour,
                    1..=10_000,
                    "per_reporter_per_hour",
                )
                .map_or(DEFAULT_PER_REPORTER_PER_HOUR, |n| n as u32),
            trust_forwarded_for: raw.trust_forwarded_for.unwrap_or(false),
            confirm_after: self.duration_in(
                raw.confirm_after,
                DEFAULT_CONFIRM_AFTER,
                Duration::ZERO..=Duration::from_secs(24 * 3600),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{errors, parse};

    #[test]
    fn reports_take_their_defaults_and_their_mistakes_are_placed() {
        let r = parse("", "t.toml").expect("valid").reports;
        assert_eq!(r.window, DEFAULT_WINDOW);
        assert_eq!(r.surge_floor, DEFAULT_SURGE_FLOOR);
        assert_eq!(r.per_reporter_per_hour, DEFAULT_PER_REPORTER_PER_HOUR);
        assert!(!r.trust_forwarded_for);
        assert_eq!(r.confirm_after, DEFAULT_CONFIRM_AFTER);
        let e = errors("[reports]\nwindow = \"5m\"\nper_reporter_per_hour = 0\n");
        assert_eq!(
            e,
            vec!["t.toml:3:25: `per_reporter_per_hour` must be between 1 and 10000, not 0"]
        );
    }
}
