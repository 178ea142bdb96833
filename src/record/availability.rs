//! Availability: time available over time watched. The day bar, the bank page's 90 days,
//! a month, a quarter and a year all come through [`Availability::from_totals`], so the same
//! time gives the same figure everywhere and none is ever rounded up.

use chrono::{DateTime, Utc};

use super::spans::Spans;
use crate::domain::Channel;
use crate::store::{MonitoredSpan, OutageSpan, WindowRow};

/// Below this share of the period monitored, availability is shown as partial.
pub const COVERAGE_FLOOR: f64 = 0.5;

/// Availability over the time watched, and how much of the period that was.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Availability {
    /// Available over monitored, truncated to the hundredth; `None` without any check.
    pub percent: Option<f64>,
    /// Monitored over the period, to the hundredth.
    pub coverage_percent: Option<f64>,
    pub partial: bool,
    /// The time watched and the part of it available, in the unit given (milliseconds or
    /// seconds): whether there was any downtime at all, which the percentage may not show.
    pub watched: i64,
    pub available: i64,
}

impl Availability {
    /// `available` must lie within `monitored`; `period_ms` is the time they belong to.
    pub fn of(monitored: &Spans, available: &Spans, period_ms: i64) -> Availability {
        Availability::from_totals(monitored.total(), available.total(), period_ms)
    }

    /// The one computation of availability: the day bar, 90 days, a month and a year all
    /// come here with the time watched and available, in one unit, and the period's length
    /// in the same unit.
    pub fn from_totals(watched: i64, available: i64, period: i64) -> Availability {
        if watched <= 0 || period <= 0 {
            return Availability::default();
        }
        Availability {
            percent: Some(hundredths(available, watched)),
            coverage_percent: Some(hundredths(watched, period)),
            partial: (watched as f64) < COVERAGE_FLOOR * period as f64,
            watched,
            available,
        }
    }

    /// A figure of its own, never partial: a day bar over the time its checks covered.
    pub fn whole(watched: i64, available: i64) -> Availability {
        Availability::from_totals(watched, available, watched)
    }

    /// Down for some of the time watched, but for less than a hundredth of a per cent: the
    /// truncated figure reads 99.99 % and the page says "< 0.01 % down" beside it.
    pub fn down_under_a_hundredth(&self) -> bool {
        let down = i128::from(self.watched - self.available);
        down > 0 && down * 10_000 < i128::from(self.watched)
    }
}

/// `a` over `b` as a percentage truncated to the hundredth: never rounded up, so any
/// downtime at all keeps a figure below 100.00 %.
fn hundredths(a: i64, b: i64) -> f64 {
    (i128::from(a) * 10_000 / i128::from(b)) as f64 / 100.0
}

/// The record one channel's availability is weighed on: its outages, windows and the runs
/// of time its checks covered (other banks' and channels' are left out).
pub struct Watched<'a> {
    pub outages: &'a [OutageSpan],
    pub windows: &'a [WindowRow],
    pub monitored: &'a [MonitoredSpan],
}

/// One bank channel's availability over `[from, to)`, time-weighted as the scorecard's:
/// the bank page's 90-day figure.
pub fn channel_availability(
    bank: &str,
    channel: Channel,
    inputs: &Watched<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Availability {
    let (from_ms, to_ms) = (from.timestamp_millis(), to.timestamp_millis());
    let windows = Spans::of(
        inputs
            .windows
            .iter()
            .filter(|w| w.bank == bank && w.channels.contains(&channel))
            .map(|w| {
                let ends = w.cancelled_at.map_or(w.ends, |c| c.min(w.ends));
                (
                    w.starts.timestamp_millis(),
                    ends.timestamp_millis().min(to_ms),
                )
            }),
    );
    let outages = Spans::of(
        inputs
            .outages
            .iter()
            .filter(|o| o.bank == bank && o.channel == channel)
            .map(|o| {
                let end = o.resolved_at.map_or(to_ms, |r| r.timestamp_millis());
                (o.started_at.timestamp_millis(), end)
            }),
    );
    let monitored = Spans::of(
        inputs
            .monitored
            .iter()
            .filter(|m| m.bank == bank && m.channel == channel)
            .map(|m| (m.start.timestamp_millis(), m.end.timestamp_millis())),
    )
    .clip(from_ms, to_ms);
    let available = monitored.minus(&windows.union(&outages));
    Availability::of(&monitored, &available, to_ms - from_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_never_rounded_up_and_a_sliver_of_downtime_is_said() {
        // A year watched to the second, down for 3 s: 99.99999 %, never 100.00 %.
        let year = 365 * 86_400;
        let a = Availability::from_totals(year, year - 3, year);
        assert_eq!(a.percent, Some(99.99));
        assert!(a.down_under_a_hundredth());
        // Down 0.01 % exactly: the figure says it, no note needed.
        let a = Availability::whole(10_000, 9_999);
        assert_eq!(a.percent, Some(99.99));
        assert!(!a.down_under_a_hundredth());
        let a = Availability::whole(10_000, 10_000);
        assert_eq!(a.percent, Some(100.0));
        assert!(!a.down_under_a_hundredth());
        // 2/3 truncates to 66.66, not 66.67.
        assert_eq!(Availability::whole(3, 2).percent, Some(66.66));
        assert_eq!(Availability::whole(0, 0).percent, None);
        assert!(
            !Availability::whole(9, 9).partial,
            "a bar is its own period"
        );
    }
}
