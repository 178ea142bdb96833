//! One channel's figures over time, for its bank page: daily availability bars, hourly mean
//! response times, and hourly reports against their usual level. Pure: the roll-ups and
//! report buckets are read for it.
//!
//! A day's bar is weighed by time, not by checks: the time passing checks stood for over
//! the time any check did (`store/day_time.rs`), through the one availability computation
//! ([`Availability`]). Days stored before that time was kept fall back to the share of
//! their checks that passed.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::availability::Availability;
use crate::domain::Channel;
use crate::signals::surge::{usual, USUAL_WEEKS};
use crate::store::{Counts, DailyRollup, HourlyRollup, ReportBucket};

/// One day's bar: its date and its availability (no percentage without data).
pub struct DayBar {
    pub day: NaiveDate,
    pub availability: Availability,
}

/// Where the series start and how long they are.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub first_day: NaiveDate,
    pub days: i64,
    /// The first of 24 hours; the report chart compares each with its usual level, from
    /// the same hour of the week on the weeks before.
    pub first_hour: DateTime<Utc>,
}

pub struct ChannelSeries {
    pub bars: Vec<DayBar>,
    /// Every day's counts together.
    pub total: Counts,
    /// Mean latency of each hour, `None` without a check.
    pub latency: Vec<Option<i64>>,
    /// Every hour's counts together.
    pub day: Counts,
    /// Distinct reporters in each hour, and its usual level: the median of the same hour of
    /// the week over the weeks before, as the surge rules take it ([`usual`]).
    pub reports: Vec<i64>,
    pub usual: Vec<f64>,
}

pub fn channel_series(
    channel: Channel,
    span: Span,
    daily: &[DailyRollup],
    hourly: &[HourlyRollup],
    report_hours: &[ReportBucket],
) -> ChannelSeries {
    let by_day: HashMap<NaiveDate, &DailyRollup> = daily
        .iter()
        .filter(|d| d.channel == channel)
        .map(|d| (d.day, d))
        .collect();
    let mut total = Counts::default();
    let bars = (0..span.days)
        .map(|i| {
            let day = span.first_day + Duration::days(i);
            let rollup = by_day.get(&day);
            if let Some(r) = rollup {
                total.add(&r.counts);
            }
            DayBar {
                day,
                availability: rollup.map_or_else(Availability::default, |r| day_availability(r)),
            }
        })
        .collect();
    let hour = |i: i64| span.first_hour + Duration::hours(i);
    let by_hour: HashMap<DateTime<Utc>, &Counts> = hourly
        .iter()
        .filter(|h| h.channel == channel)
        .map(|h| (h.hour, &h.counts))
        .collect();
    let mut day = Counts::default();
    let latency = (0..24)
        .map(|i| {
            let c = by_hour.get(&hour(i));
            if let Some(c) = c {
                day.add(c);
            }
            c.and_then(|c| c.mean_latency_ms())
        })
        .collect();
    let reporters: HashMap<DateTime<Utc>, i64> = report_hours
        .iter()
        .filter(|r| r.channel == channel)
        .map(|r| (r.start, r.reporters))
        .collect();
    let at = |t: DateTime<Utc>| reporters.get(&t).copied().unwrap_or(0);
    let reports = (0..24).map(|i| at(hour(i))).collect();
    let usual = (0..24)
        .map(|i| {
            let weeks: Vec<i64> = (1..=USUAL_WEEKS as i64 + 1)
                .map(|w| at(hour(i) - Duration::weeks(w)))
                .collect();
            usual(&weeks)
        })
        .collect();
    ChannelSeries {
        bars,
        total,
        latency,
        day,
        reports,
        usual,
    }
}

/// A day's availability: by the time its checks stood for, or, for a day stored before that
/// was kept, by the share of its counted checks that passed.
fn day_availability(r: &DailyRollup) -> Availability {
    let t = r.time;
    if t.covered_ms > 0 {
        // Late checks cut back earlier ones: never below nothing, never above all.
        let passing = t.passing_ms.clamp(0, t.covered_ms);
        Availability::whole(t.covered_ms, passing)
    } else {
        let c = &r.counts;
        Availability::whole(c.counted(), c.up + c.degraded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::day_time::DayTime;

    fn day(counts: Counts, time: DayTime) -> DailyRollup {
        DailyRollup {
            channel: Channel::Web,
            day: NaiveDate::from_ymd_opt(2026, 2, 10).expect("date"),
            counts,
            time,
        }
    }

    #[test]
    fn a_day_is_weighed_by_time_and_older_days_by_checks() {
        // Nine passing hourly checks and ninety failing ones ten seconds apart: by checks
        // 9 %, by time 9 h against 15 min.
        let counts = Counts {
            up: 9,
            down: 90,
            ..Counts::default()
        };
        let timed = DayTime {
            passing_ms: 9 * 3_600_000,
            covered_ms: 9 * 3_600_000 + 900_000,
        };
        assert_eq!(day_availability(&day(counts, timed)).percent, Some(97.29));
        assert_eq!(
            day_availability(&day(counts, DayTime::default())).percent,
            Some(9.09)
        );
        let none = day(Counts::default(), DayTime::default());
        assert_eq!(day_availability(&none).percent, None);
    }
}
