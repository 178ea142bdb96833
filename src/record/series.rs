//! One channel's figures over time, for its bank page: daily availability bars, hourly mean
//! response times, and hourly reports against their usual level. Pure: the roll-ups and
//! report buckets are read for it.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::domain::Channel;
use crate::signals::surge::{usual, USUAL_WEEKS};
use crate::store::{Counts, DailyRollup, HourlyRollup, ReportBucket};

/// One day's bar: its date and its availability (`None` without data).
pub struct DayBar {
    pub day: NaiveDate,
    pub availability: Option<f64>,
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
    let by_day: HashMap<NaiveDate, &Counts> = daily
        .iter()
        .filter(|d| d.channel == channel)
        .map(|d| (d.day, &d.counts))
        .collect();
    let mut total = Counts::default();
    let bars = (0..span.days)
        .map(|i| {
            let day = span.first_day + Duration::days(i);
            let counts = by_day.get(&day);
            if let Some(c) = counts {
                total.add(c);
            }
            DayBar {
                day,
                availability: counts.and_then(|c| c.availability()),
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
