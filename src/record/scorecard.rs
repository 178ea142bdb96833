//! The monthly scorecard: per bank and channel, how long it was down, announced or not,
//! how often and how fast it recovered. The outages and windows come from the log's entries
//! up to a signed checkpoint (`replay.rs`), which the scorecard names; the time monitored
//! from the coverage runs. A month costs the same whatever the length of the history.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::month::Month;
use super::replay::CheckpointRef;
use super::spans::{minutes, Spans};
use super::word::{self, WordFigures};
use crate::config::Config;
use crate::domain::{Bank, Channel, Names, Statement};
use crate::store::{DynStore, MonitoredSpan, OutageSpan, StoreResult, WindowRow};

/// Below this share of the month monitored, availability is shown as partial.
pub const COVERAGE_FLOOR: f64 = 0.5;

/// Months in each bank's chart, the scorecard's own month last.
pub const CHART_MONTHS: usize = 12;

/// Outage figures of a channel, or of a bank over all its channels.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outages {
    /// Minutes inside announced maintenance windows.
    pub announced_minutes: i64,
    /// Outage minutes outside any announced window (overruns included).
    pub unannounced_minutes: i64,
    /// Outage minutes that continued a window past its announced end.
    pub overrun_minutes: i64,
    /// The same to the second, as the incident pages give it.
    pub overrun_seconds: i64,
    /// Outages with at least one minute in the month.
    pub incidents: usize,
    /// Maintenance windows with at least one minute in the month.
    pub maintenance_windows: usize,
    /// Over the outages that ended within the month (at its last instant included), whole
    /// length.
    pub median_recovery_minutes: Option<i64>,
    pub worst_recovery_minutes: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChannelScore {
    pub channel: Channel,
    /// Minutes of the month a check covered (each check covers its probe's interval).
    pub monitored_minutes: i64,
    /// Monitored minutes with no outage and no maintenance.
    pub available_minutes: i64,
    /// `available_minutes` over `monitored_minutes`; null without any check.
    pub availability_percent: Option<f64>,
    /// `monitored_minutes` over the minutes of the month so far.
    pub coverage_percent: Option<f64>,
    /// Monitored for less than [`COVERAGE_FLOOR`] of the month: the figure is partial.
    pub partial: bool,
    #[serde(flatten)]
    pub outages: Outages,
}

/// One month's outage minutes in a bank's chart.
#[derive(Debug, Clone, Serialize)]
pub struct MonthOutages {
    pub month: String,
    pub announced_minutes: i64,
    pub unannounced_minutes: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BankScore {
    pub slug: String,
    pub name: Names,
    /// 1 for the most unannounced outage minutes.
    pub rank: usize,
    #[serde(flatten)]
    pub totals: Outages,
    pub channels: Vec<ChannelScore>,
    /// The last 12 months, oldest first.
    pub months: Vec<MonthOutages>,
    /// The bank's statements against its outages of the month.
    pub word: WordFigures,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scorecard {
    pub month: String,
    pub from: DateTime<Utc>,
    /// The month's end, or now for the month in progress.
    pub to: DateTime<Utc>,
    pub complete: bool,
    /// Minutes from `from` to `to`.
    pub minutes: i64,
    /// False when nothing at all was checked or recorded in the month.
    pub has_data: bool,
    /// The zone the month's bounds are in.
    pub timezone: String,
    /// The log's signed checkpoint whose entries the outage and maintenance figures are
    /// computed from; none before the log signed one.
    pub checkpoint: Option<CheckpointRef>,
    pub banks: Vec<BankScore>,
}

/// The outages and windows a scorecard counts, read from the log's entries up to
/// `checkpoint` over [`reads`].
#[derive(Debug, Clone, Default)]
pub struct Logged {
    pub outages: Vec<OutageSpan>,
    pub windows: Vec<WindowRow>,
    /// The banks' statements the month's word figures read (see [`word::SAID_BEFORE`]).
    pub statements: Vec<Statement>,
    pub checkpoint: Option<CheckpointRef>,
}

/// What the scorecard is computed from: outages and windows touching the chart's 12
/// months, and the runs of hours of the scorecard's month that hold checks.
pub struct Inputs<'a> {
    pub outages: &'a [OutageSpan],
    pub windows: &'a [WindowRow],
    pub monitored: &'a [MonitoredSpan],
    /// The banks' statements; only the scorecard's word figures read them.
    pub statements: &'a [Statement],
}

/// Everything known of one bank and channel.
#[derive(Default)]
struct Track<'a> {
    windows: Vec<(i64, (i64, i64))>,
    outages: Vec<(&'a OutageSpan, (i64, i64))>,
    monitored: Vec<(i64, i64)>,
    /// The unions of the above, made once by [`Track::merge`] and clipped to each month.
    window_set: Spans,
    outage_set: Spans,
    overrun_set: Spans,
}

impl Track<'_> {
    fn merge(&mut self) {
        self.window_set = Spans::of(self.windows.iter().map(|w| w.1));
        self.outage_set = Spans::of(self.outages.iter().map(|o| o.1));
        self.overrun_set = Spans::of(
            self.outages
                .iter()
                .filter(|o| o.0.overrun_of.is_some())
                .map(|o| o.1),
        );
    }
}

/// The first minute of the chart: the start of the month 11 months before `month`.
pub fn chart_start(month: Month, tz: Tz) -> DateTime<Utc> {
    chart_first_month(month).start(tz)
}

/// The first of the 12 months charted up to `month`.
pub fn chart_first_month(month: Month) -> Month {
    (1..CHART_MONTHS).fold(month, |m, _| m.prev())
}

/// The time the scorecard of `month` reads outages and windows over: from the first
/// charted month to the month's end, or `now` for the month in progress.
pub fn reads(month: Month, tz: Tz, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let (_, end) = month.bounds(tz);
    (chart_start(month, tz), end.min(now))
}

/// Computes the scorecard of `month` from `logged` (outages and windows over [`reads`])
/// and the month's coverage runs.
pub async fn load(
    store: &DynStore,
    config: &Config,
    month: Month,
    now: DateTime<Utc>,
    logged: Logged,
) -> StoreResult<Scorecard> {
    let tz = config.timezone;
    let (from, end) = month.bounds(tz);
    let to = end.min(now);
    let monitored = store.monitored_spans(from, to).await?;
    let mut card = compute(
        &config.banks,
        month,
        tz,
        now,
        &Inputs {
            outages: &logged.outages,
            windows: &logged.windows,
            monitored: &monitored,
            statements: &logged.statements,
        },
    );
    card.checkpoint = logged.checkpoint;
    Ok(card)
}

pub fn compute(
    banks: &[Bank],
    month: Month,
    tz: Tz,
    now: DateTime<Utc>,
    inputs: &Inputs<'_>,
) -> Scorecard {
    let now_ms = now.timestamp_millis();
    let (from, end) = month.bounds(tz);
    let to = end.min(now);
    let (from_ms, to_ms) = (from.timestamp_millis(), to.timestamp_millis());

    let mut tracks: BTreeMap<(&str, Channel), Track<'_>> = BTreeMap::new();
    for w in inputs.windows {
        // A window closed early ends when it was closed; one cancelled before it began
        // has no minutes.
        let ends = w.cancelled_at.map_or(w.ends, |c| c.min(w.ends));
        let span = (
            w.starts.timestamp_millis(),
            ends.timestamp_millis().min(now_ms),
        );
        for &c in &w.channels {
            tracks
                .entry((w.bank.as_str(), c))
                .or_default()
                .windows
                .push((w.incident_id, span));
        }
    }
    for o in inputs.outages {
        let end = o.resolved_at.map_or(now_ms, |r| r.timestamp_millis());
        tracks
            .entry((o.bank.as_str(), o.channel))
            .or_default()
            .outages
            .push((o, (o.started_at.timestamp_millis(), end)));
    }
    for h in inputs.monitored {
        tracks
            .entry((h.bank.as_str(), h.channel))
            .or_default()
            .monitored
            .push((h.start.timestamp_millis(), h.end.timestamp_millis()));
    }

    for track in tracks.values_mut() {
        track.merge();
    }

    let mut months = Vec::with_capacity(CHART_MONTHS);
    let mut m = month;
    for _ in 0..CHART_MONTHS {
        let (s, e) = m.bounds(tz);
        months.push((m, s.timestamp_millis(), e.min(now).timestamp_millis()));
        m = m.prev();
    }
    months.reverse();

    let mut has_data = false;
    let mut scores: Vec<(usize, BankScore)> = Vec::with_capacity(banks.len());
    for (order, bank) in banks.iter().enumerate() {
        let probed = bank.probed_channels();
        let mut channels = Vec::new();
        let mut bank_outages: BTreeMap<i64, &OutageSpan> = BTreeMap::new();
        let mut bank_windows = BTreeSet::new();
        let mut totals = Outages::default();
        for c in Channel::ALL {
            let Some(track) = tracks.get(&(bank.slug.as_str(), c)) else {
                if probed.contains(&c) {
                    channels.push(empty_channel(c));
                }
                continue;
            };
            let (outages, in_month) = outages_of(track, from_ms, to_ms);
            if !probed.contains(&c)
                && outages.incidents == 0
                && outages.maintenance_windows == 0
                && track.monitored.is_empty()
            {
                continue;
            }
            let down = track
                .window_set
                .union(&track.outage_set)
                .clip(from_ms, to_ms);
            let monitored = Spans::of(track.monitored.iter().copied()).clip(from_ms, to_ms);
            let available = monitored.minus(&down);
            let month_ms = to_ms - from_ms;
            has_data |= !monitored.is_empty() || !down.is_empty();
            totals.announced_minutes += outages.announced_minutes;
            totals.unannounced_minutes += outages.unannounced_minutes;
            totals.overrun_minutes += outages.overrun_minutes;
            totals.overrun_seconds += outages.overrun_seconds;
            for o in in_month {
                bank_outages.insert(o.incident_id, o);
            }
            bank_windows.extend(
                track
                    .windows
                    .iter()
                    .filter(|w| w.1 .0 < to_ms && w.1 .1 > from_ms && w.1 .0 < w.1 .1)
                    .map(|w| w.0),
            );
            let a = Availability::of(&monitored, &available, month_ms);
            channels.push(ChannelScore {
                channel: c,
                monitored_minutes: minutes(monitored.total()),
                available_minutes: minutes(available.total()),
                availability_percent: a.percent,
                coverage_percent: a.coverage_percent,
                partial: a.partial,
                outages,
            });
        }
        totals.incidents = bank_outages.len();
        totals.maintenance_windows = bank_windows.len();
        (
            totals.median_recovery_minutes,
            totals.worst_recovery_minutes,
        ) = recovery(bank_outages.values().copied(), from_ms, to_ms);
        let chart = months
            .iter()
            .map(|&(m, s, e)| {
                let mut row = MonthOutages {
                    month: m.to_string(),
                    announced_minutes: 0,
                    unannounced_minutes: 0,
                };
                for c in Channel::ALL {
                    if let Some(track) = tracks.get(&(bank.slug.as_str(), c)) {
                        let (o, _) = outages_of(track, s, e);
                        row.announced_minutes += o.announced_minutes;
                        row.unannounced_minutes += o.unannounced_minutes;
                    }
                }
                row
            })
            .collect();
        scores.push((
            order,
            BankScore {
                slug: bank.slug.clone(),
                name: bank.names.clone(),
                rank: 0,
                totals,
                channels,
                months: chart,
                word: word::month_figures(
                    &bank.slug,
                    inputs.outages,
                    inputs.statements,
                    from,
                    to,
                    now,
                ),
            },
        ));
    }
    scores.sort_by(|(oa, a), (ob, b)| {
        b.totals
            .unannounced_minutes
            .cmp(&a.totals.unannounced_minutes)
            .then(b.totals.overrun_minutes.cmp(&a.totals.overrun_minutes))
            .then(b.totals.announced_minutes.cmp(&a.totals.announced_minutes))
            .then(oa.cmp(ob))
    });
    let banks = scores
        .into_iter()
        .enumerate()
        .map(|(i, (_, mut b))| {
            b.rank = i + 1;
            b
        })
        .collect();
    Scorecard {
        month: month.to_string(),
        from,
        to,
        complete: end <= now,
        minutes: minutes(to_ms - from_ms),
        has_data,
        timezone: tz.name().to_owned(),
        checkpoint: None,
        banks,
    }
}

/// Availability over the time watched, and how much of the period that was.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Availability {
    /// Available over monitored, to the hundredth; `None` without any check.
    pub percent: Option<f64>,
    /// Monitored over the period, to the hundredth.
    pub coverage_percent: Option<f64>,
    pub partial: bool,
}

impl Availability {
    /// `available` must lie within `monitored`; `period_ms` is the time they belong to.
    pub fn of(monitored: &Spans, available: &Spans, period_ms: i64) -> Availability {
        let watched = monitored.total();
        let hundredths = |a: i64, b: i64| (a as f64 * 10_000.0 / b as f64).round() / 100.0;
        if watched == 0 || period_ms <= 0 {
            return Availability {
                percent: None,
                coverage_percent: None,
                partial: false,
            };
        }
        Availability {
            percent: Some(hundredths(available.total(), watched)),
            coverage_percent: Some(hundredths(watched, period_ms)),
            partial: (watched as f64) < COVERAGE_FLOOR * period_ms as f64,
        }
    }
}

/// One bank channel's availability over `[from, to)`, time-weighted as the scorecard's:
/// the bank page's 90-day figure.
pub fn channel_availability(
    bank: &str,
    channel: Channel,
    inputs: &Inputs<'_>,
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

fn empty_channel(channel: Channel) -> ChannelScore {
    ChannelScore {
        channel,
        monitored_minutes: 0,
        available_minutes: 0,
        availability_percent: None,
        coverage_percent: None,
        partial: false,
        outages: Outages::default(),
    }
}

/// The outage figures of one track over `[from, to)`, and the outages touching it.
fn outages_of<'a>(track: &Track<'a>, from: i64, to: i64) -> (Outages, Vec<&'a OutageSpan>) {
    let windows = track.window_set.clip(from, to);
    let outages = track.outage_set.clip(from, to);
    let overruns = track.overrun_set.clip(from, to);
    let touching: Vec<&OutageSpan> = track
        .outages
        .iter()
        .filter(|o| o.1 .0 < to && o.1 .1 > from)
        .map(|o| o.0)
        .collect();
    let (median, worst) = recovery(touching.iter().copied(), from, to);
    // A reopened incident stands in several spans: it is one incident.
    let mut ids: Vec<i64> = touching.iter().map(|o| o.incident_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let figures = Outages {
        announced_minutes: minutes(windows.total()),
        unannounced_minutes: minutes(outages.minus(&windows).total()),
        overrun_minutes: minutes(overruns.minus(&windows).total()),
        overrun_seconds: overruns.minus(&windows).total() / 1000,
        incidents: ids.len(),
        maintenance_windows: track
            .windows
            .iter()
            .filter(|w| w.1 .0 < to && w.1 .1 > from && w.1 .0 < w.1 .1)
            .count(),
        median_recovery_minutes: median,
        worst_recovery_minutes: worst,
    };
    (figures, touching)
}

/// Median and worst length of the outages that ended in `[from, to)`.
fn recovery<'a>(
    outages: impl Iterator<Item = &'a OutageSpan>,
    from: i64,
    to: i64,
) -> (Option<i64>, Option<i64>) {
    let mut lengths: Vec<i64> = outages
        .filter_map(|o| {
            let r = o.resolved_at?.timestamp_millis();
            // An outage that ends on the stroke of midnight recovered in the month before.
            (r > from && r <= to).then(|| r - o.started_at.timestamp_millis())
        })
        .collect();
    if lengths.is_empty() {
        return (None, None);
    }
    lengths.sort_unstable();
    let n = lengths.len();
    let median = if n % 2 == 1 {
        lengths[n / 2]
    } else {
        (lengths[n / 2 - 1] + lengths[n / 2]) / 2
    };
    (Some(minutes(median)), Some(minutes(lengths[n - 1])))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn availability_is_over_the_time_watched_and_partial_below_half() {
        let month = 40_380 * 60_000;
        let all = Spans::of([(0, month)]);
        let up = all.minus(&Spans::of([(0, 60 * 60_000)]));
        let a = Availability::of(&all, &up, month);
        assert_eq!(a.percent, Some(99.85), "60 outage minutes in February 2026");
        assert!(!a.partial);
        let nine = Spans::of([(0, 9 * 60_000)]);
        let a = Availability::of(&nine, &nine, month);
        assert_eq!(a.percent, Some(100.0));
        assert_eq!(a.coverage_percent, Some(0.02));
        assert!(a.partial, "9 minutes of a month is no figure to quote bare");
        let none = Availability::of(&Spans::default(), &Spans::default(), month);
        assert_eq!(none.percent, None);
    }

    fn utc(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 2, d, h, 0, 0)
            .single()
            .expect("time")
    }

    #[test]
    fn an_outage_ending_at_midnight_recovered_in_the_month_before() {
        let tz = chrono_tz::Africa::Casablanca;
        let banks = [Bank {
            slug: "aaa".into(),
            names: Names::default(),
            website: None,
            probes: Vec::new(),
        }];
        // 1 March 00:00 in Casablanca (+00 during Ramadan) is 1 March 00:00 UTC.
        let end = Utc
            .with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
            .single()
            .expect("time");
        let outages = [OutageSpan {
            incident_id: 1,
            bank: "aaa".into(),
            channel: Channel::Atm,
            started_at: utc(28, 23),
            resolved_at: Some(end),
            overrun_of: None,
        }];
        let inputs = Inputs {
            outages: &outages,
            windows: &[],
            monitored: &[],
            statements: &[],
        };
        let now = Utc
            .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
            .single()
            .expect("time");
        let feb = compute(
            &banks,
            Month::parse("2026-02").expect("month"),
            tz,
            now,
            &inputs,
        );
        let atm = &feb.banks[0].channels[0];
        assert_eq!(atm.outages.unannounced_minutes, 60);
        assert_eq!(atm.outages.median_recovery_minutes, Some(60));
        assert_eq!(atm.availability_percent, None);
        let mar = compute(
            &banks,
            Month::parse("2026-03").expect("month"),
            tz,
            now,
            &inputs,
        );
        assert!(mar.banks[0].channels.is_empty(), "nothing of it in March");
        assert_eq!(mar.banks[0].totals.median_recovery_minutes, None);
    }
}
