//! The monthly scorecard: per bank and channel, how long it was down, announced or not,
//! how often and how fast it recovered. The outages and windows come from the log's entries
//! up to a signed checkpoint (`replay.rs`), which the scorecard names; the time monitored
//! from the coverage runs. A month costs the same whatever the length of the history.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

pub use super::availability::{channel_availability, Availability, COVERAGE_FLOOR};
use super::compare::{self, Figures, Tally};
use super::month::Month;
use super::period::Period;
use super::replay::CheckpointRef;
use super::shared::{shared_failures, SharedFailure};
use super::spans::{minutes, Spans};
use super::word::{self, WordFigures};
use crate::config::Config;
use crate::domain::{Bank, Channel, Names, OpenSpans, Statement};
use crate::store::{DynStore, MonitoredSpan, OutageSpan, StoreResult, WindowRow};

/// Months in each bank's chart, the scorecard's own month last.
pub const CHART_MONTHS: usize = 12;

/// Outage figures of a channel, or of a bank over all its channels.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outages {
    /// Minutes inside announced maintenance windows. A bank's total is the union of its
    /// channels' minutes: two channels down together count once.
    pub announced_minutes: i64,
    /// Outage minutes outside any announced window (overruns included).
    pub unannounced_minutes: i64,
    /// `announced_minutes` to the second, from which longer periods are added up.
    pub announced_seconds: i64,
    /// `unannounced_minutes` to the second.
    pub unannounced_seconds: i64,
    /// For a bank, its channels' unannounced minutes added up (two channels down together
    /// count twice); for a channel, its own minutes.
    pub unannounced_channel_minutes: i64,
    /// Minutes past a window's end until the first recovery.
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
    /// `median_recovery_minutes` to the second.
    pub median_recovery_seconds: Option<i64>,
}

impl Outages {
    /// The outage time the figures people compare read.
    fn durations(&self) -> compare::Durations {
        compare::Durations {
            unannounced_seconds: self.unannounced_seconds,
            announced_seconds: self.announced_seconds,
            overrun_seconds: self.overrun_seconds,
            median_recovery_seconds: self.median_recovery_seconds,
        }
    }
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
    /// The RBA's service availability: announced maintenance left out of the time the
    /// channel was meant to be available. `availability_percent` counts it as unavailable.
    pub availability_maintenance_excluded_percent: Option<f64>,
    #[serde(flatten)]
    pub outages: Outages,
    /// The seconds the period's availability and significant outages come from.
    #[serde(flatten)]
    pub tally: Tally,
    /// Every figure people compare, as [`compare::figures`] computed them.
    #[serde(skip)]
    pub figures: Figures,
}

/// One month's outage minutes in a bank's chart.
#[derive(Debug, Clone, Serialize)]
pub struct MonthOutages {
    pub month: String,
    pub announced_minutes: i64,
    pub unannounced_minutes: i64,
    pub announced_seconds: i64,
    pub unannounced_seconds: i64,
    pub overrun_seconds: i64,
    /// Significant outages of the bank begun in the month.
    pub significant_outages: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct BankScore {
    pub slug: String,
    pub name: Names,
    /// 1 for the most unannounced outage minutes.
    pub rank: usize,
    #[serde(flatten)]
    pub totals: Outages,
    /// The bank's time: watched when any channel was, available when none was down or in
    /// maintenance; an outage significant on any channel is significant for the bank.
    #[serde(flatten)]
    pub tally: Tally,
    /// Over the bank's tally, maintenance counted as unavailable and left out.
    pub availability_percent: Option<f64>,
    pub availability_maintenance_excluded_percent: Option<f64>,
    #[serde(skip)]
    pub figures: Figures,
    pub channels: Vec<ChannelScore>,
    /// The last 12 months, oldest first.
    pub months: Vec<MonthOutages>,
    /// The bank's statements against its outages of the month.
    pub word: WordFigures,
    /// Its outages begun in the period that were part of a shared failure, counted here
    /// and listed apart in [`Scorecard::shared`].
    pub shared_outages: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scorecard {
    /// The period: `YYYY-MM`, `YYYY-Qn` or `YYYY`.
    pub month: String,
    /// "month", "quarter" or "year".
    pub period: &'static str,
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
    /// Failures of one channel at several banks at once, begun in the period.
    pub shared: Vec<SharedFailure>,
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
    watched_set: Spans,
    /// The track's significant outages: first start and incident id.
    significant: Vec<(i64, i64)>,
}

impl Track<'_> {
    fn merge(&mut self) {
        self.window_set = Spans::of(self.windows.iter().map(|w| w.1));
        self.outage_set = Spans::of(self.outages.iter().map(|o| o.1));
        self.watched_set = Spans::of(self.monitored.iter().copied());
        self.significant = compare::significant(
            self.outages.iter().map(|(o, span)| (o.incident_id, *span)),
            &self.window_set,
        );
        // Only the first span of an overrun, from the window's end, is overrun: a later
        // failure of the same incident is an ordinary outage.
        let mut firsts: BTreeMap<i64, (i64, (i64, i64))> = BTreeMap::new();
        for (o, span) in &self.outages {
            let Some(window) = o.overrun_of else { continue };
            let first = firsts.entry(o.incident_id).or_insert((window, *span));
            if span.0 < first.1 .0 {
                *first = (window, *span);
            }
        }
        self.overrun_set = Spans::of(firsts.values().map(|&(window, (s, e))| {
            let end = self
                .windows
                .iter()
                .find(|w| w.0 == window)
                .map_or(s, |w| w.1 .1);
            (s.max(end), e)
        }));
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
    load_period(store, config, Period::Month(month), now, logged).await
}

/// As [`load`], for a month, a quarter or a year.
pub async fn load_period(
    store: &DynStore,
    config: &Config,
    period: Period,
    now: DateTime<Utc>,
    logged: Logged,
) -> StoreResult<Scorecard> {
    let tz = config.timezone;
    let (from, end) = period.bounds(tz);
    let to = end.min(now);
    let monitored = store.monitored_spans(from, to).await?;
    let mut card = compute_period(
        &config.banks,
        period,
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
    compute_period(banks, Period::Month(month), tz, now, inputs)
}

/// The scorecard of a month, a quarter or a year. Every time figure of a longer period is
/// the sum of its months' own, each computed as the month's scorecard computes it, so a
/// year adds up to its months and to its quarters to the second.
pub fn compute_period(
    banks: &[Bank],
    period: Period,
    tz: Tz,
    now: DateTime<Utc>,
    inputs: &Inputs<'_>,
) -> Scorecard {
    let now_ms = now.timestamp_millis();
    let (from, end) = period.bounds(tz);
    let to = end.min(now);
    let (from_ms, to_ms) = (from.timestamp_millis(), to.timestamp_millis());
    let period_seconds = (to_ms - from_ms) / 1000;

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

    // A month charts the year up to it; a quarter or a year charts its own months.
    let charted: Vec<Month> = match period {
        Period::Month(month) => {
            let mut v: Vec<Month> = std::iter::successors(Some(month), |m| Some(m.prev()))
                .take(CHART_MONTHS)
                .collect();
            v.reverse();
            v
        }
        _ => period.months(),
    };
    let bounds_of = |m: Month| {
        let (s, e) = m.bounds(tz);
        (m, s.timestamp_millis(), e.min(now).timestamp_millis())
    };
    let months: Vec<(Month, i64, i64)> = charted.into_iter().map(bounds_of).collect();
    let parts: Vec<(i64, i64)> = period
        .months()
        .into_iter()
        .map(bounds_of)
        .filter(|p| p.1 < p.2)
        .map(|p| (p.1, p.2))
        .collect();

    let shared: Vec<SharedFailure> = shared_failures(inputs.outages, shared_within(banks))
        .into_iter()
        .filter(|s| s.started_at >= from && s.started_at < to)
        .collect();
    let mut has_data = false;
    let mut scores: Vec<(usize, BankScore)> = Vec::with_capacity(banks.len());
    for (order, bank) in banks.iter().enumerate() {
        let probed = bank.probed_channels();
        let mut channels = Vec::new();
        let mut bank_outages: BTreeMap<i64, &OutageSpan> = BTreeMap::new();
        let mut bank_windows = BTreeSet::new();
        let mut totals = Outages::default();
        let mut union = Track::default();
        let mut bank_significant: BTreeMap<i64, i64> = BTreeMap::new();
        for c in Channel::ALL {
            let Some(track) = tracks.get(&(bank.slug.as_str(), c)) else {
                if probed.contains(&c) {
                    channels.push(empty_channel(c));
                }
                continue;
            };
            let (outages, in_month) = outages_over(track, &parts, from_ms, to_ms);
            if !probed.contains(&c)
                && outages.incidents == 0
                && outages.maintenance_windows == 0
                && track.monitored.is_empty()
            {
                continue;
            }
            let down = track.window_set.union(&track.outage_set);
            let watched = &track.watched_set;
            // Monitored and available time of each month, added up.
            let (mut monitored_ms, mut available_ms) = (0, 0);
            let mut tally = Tally::default();
            for &(s, e) in &parts {
                let monitored = watched.clip(s, e);
                monitored_ms += monitored.total();
                available_ms += monitored.minus(&down.clip(s, e)).total();
                has_data |= !monitored.is_empty() || !down.clip(s, e).is_empty();
                tally += compare::tally(
                    watched,
                    &down,
                    &track.window_set,
                    &track.significant,
                    (s, e),
                );
            }
            totals.unannounced_channel_minutes += outages.unannounced_minutes;
            union.windows.extend(track.windows.iter().copied());
            union.outages.extend(track.outages.iter().copied());
            union.monitored.extend(track.monitored.iter().copied());
            for &(start, id) in &track.significant {
                let first = bank_significant.entry(id).or_insert(start);
                *first = (*first).min(start);
            }
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
            let f = compare::figures(&tally, &outages.durations(), period_seconds);
            channels.push(ChannelScore {
                channel: c,
                monitored_minutes: minutes(monitored_ms),
                available_minutes: minutes(available_ms),
                availability_percent: f.availability.percent,
                coverage_percent: f.availability.coverage_percent,
                partial: f.availability.partial,
                availability_maintenance_excluded_percent: f.service_availability.percent,
                outages,
                tally,
                figures: f,
            });
        }
        union.merge();
        // An incident significant on any of the bank's channels is one for the bank.
        let mut significant: Vec<(i64, i64)> = bank_significant
            .into_iter()
            .map(|(id, s)| (s, id))
            .collect();
        significant.sort_unstable();
        let union_down = union.window_set.union(&union.outage_set);
        let bank_month = |s: i64, e: i64| {
            compare::tally(
                &union.watched_set,
                &union_down,
                &union.window_set,
                &significant,
                (s, e),
            )
        };
        let mut bank_tally = Tally::default();
        for &(s, e) in &parts {
            bank_tally += bank_month(s, e);
        }
        let (together, _) = outages_over(&union, &parts, from_ms, to_ms);
        totals.announced_minutes = together.announced_minutes;
        totals.unannounced_minutes = together.unannounced_minutes;
        totals.announced_seconds = together.announced_seconds;
        totals.unannounced_seconds = together.unannounced_seconds;
        totals.overrun_minutes = together.overrun_minutes;
        totals.overrun_seconds = together.overrun_seconds;
        totals.incidents = bank_outages.len();
        totals.maintenance_windows = bank_windows.len();
        let (median, worst) = recovery(union.outages.iter().map(|o| o.0), from_ms, to_ms);
        totals.median_recovery_minutes = median.map(minutes);
        totals.worst_recovery_minutes = worst.map(minutes);
        totals.median_recovery_seconds = median.map(|ms| ms / 1000);
        let bank_figures = compare::figures(&bank_tally, &totals.durations(), period_seconds);
        let chart = months
            .iter()
            .map(|&(m, s, e)| {
                let (o, _) = outages_of(&union, s, e);
                MonthOutages {
                    month: m.to_string(),
                    announced_minutes: o.announced_minutes,
                    unannounced_minutes: o.unannounced_minutes,
                    announced_seconds: o.announced_seconds,
                    unannounced_seconds: o.unannounced_seconds,
                    overrun_seconds: o.overrun_seconds,
                    significant_outages: significant
                        .iter()
                        .filter(|(start, _)| (s..e).contains(start))
                        .count(),
                }
            })
            .collect();
        scores.push((
            order,
            BankScore {
                slug: bank.slug.clone(),
                name: bank.names.clone(),
                rank: 0,
                totals,
                tally: bank_tally,
                availability_percent: bank_figures.availability.percent,
                availability_maintenance_excluded_percent: bank_figures
                    .service_availability
                    .percent,
                figures: bank_figures,
                channels,
                months: chart,
                shared_outages: shared
                    .iter()
                    .filter(|s| s.banks.contains(&bank.slug))
                    .count(),
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
        month: period.to_string(),
        period: period.kind(),
        from,
        to,
        complete: end <= now,
        minutes: minutes(to_ms - from_ms),
        has_data,
        timezone: tz.name().to_owned(),
        checkpoint: None,
        banks,
        shared,
    }
}

/// How close in time outages at several banks must begin to be one shared failure: two
/// of the longest probe interval configured, so every bank has been checked twice.
pub fn shared_within(banks: &[Bank]) -> i64 {
    let longest = banks
        .iter()
        .flat_map(|b| &b.probes)
        .map(|p| p.interval.as_millis())
        .max()
        .unwrap_or(60_000);
    2 * i64::try_from(longest).unwrap_or(i64::MAX / 2)
}

fn empty_channel(channel: Channel) -> ChannelScore {
    ChannelScore {
        channel,
        monitored_minutes: 0,
        available_minutes: 0,
        availability_percent: None,
        coverage_percent: None,
        partial: false,
        availability_maintenance_excluded_percent: None,
        outages: Outages::default(),
        tally: Tally::default(),
        figures: Figures::default(),
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
    let (median, worst) = recovery(track.outages.iter().map(|o| o.0), from, to);
    let (median_recovery_minutes, worst_recovery_minutes) =
        (median.map(minutes), worst.map(minutes));
    // A reopened incident stands in several spans: it is one incident.
    let mut ids: Vec<i64> = touching.iter().map(|o| o.incident_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let unannounced = outages.minus(&windows).total();
    let figures = Outages {
        announced_minutes: minutes(windows.total()),
        unannounced_minutes: minutes(unannounced),
        announced_seconds: windows.total() / 1000,
        unannounced_seconds: unannounced / 1000,
        unannounced_channel_minutes: minutes(unannounced),
        overrun_minutes: minutes(overruns.minus(&windows).total()),
        overrun_seconds: overruns.minus(&windows).total() / 1000,
        incidents: ids.len(),
        maintenance_windows: track
            .windows
            .iter()
            .filter(|w| w.1 .0 < to && w.1 .1 > from && w.1 .0 < w.1 .1)
            .count(),
        median_recovery_minutes,
        worst_recovery_minutes,
        median_recovery_seconds: median.map(|ms| ms / 1000),
    };
    (figures, touching)
}

/// The outage figures of one track over the months `parts` of `[from, to)`: every time
/// figure is the sum of the months' own; counts and recovery are over the whole period.
fn outages_over<'a>(
    track: &Track<'a>,
    parts: &[(i64, i64)],
    from: i64,
    to: i64,
) -> (Outages, Vec<&'a OutageSpan>) {
    let (mut figures, touching) = outages_of(track, from, to);
    if parts.len() > 1 {
        let mut sum = Outages::default();
        for &(s, e) in parts {
            let (o, _) = outages_of(track, s, e);
            sum.announced_minutes += o.announced_minutes;
            sum.unannounced_minutes += o.unannounced_minutes;
            sum.announced_seconds += o.announced_seconds;
            sum.unannounced_seconds += o.unannounced_seconds;
            sum.unannounced_channel_minutes += o.unannounced_channel_minutes;
            sum.overrun_minutes += o.overrun_minutes;
            sum.overrun_seconds += o.overrun_seconds;
        }
        figures = Outages {
            incidents: figures.incidents,
            maintenance_windows: figures.maintenance_windows,
            median_recovery_minutes: figures.median_recovery_minutes,
            worst_recovery_minutes: figures.worst_recovery_minutes,
            median_recovery_seconds: figures.median_recovery_seconds,
            ..sum
        };
    }
    (figures, touching)
}

/// Median and worst length, in milliseconds, of the outages that ended in `[from, to)`,
/// each its whole account (`OpenSpans`): a reopened one's open spans added up, not its
/// last span alone.
fn recovery<'a>(
    outages: impl Iterator<Item = &'a OutageSpan>,
    from: i64,
    to: i64,
) -> (Option<i64>, Option<i64>) {
    let mut incidents: BTreeMap<i64, Vec<_>> = BTreeMap::new();
    for o in outages {
        let spans = incidents.entry(o.incident_id).or_default();
        spans.push((o.started_at, o.resolved_at));
    }
    let mut lengths: Vec<i64> = incidents
        .into_values()
        .filter_map(|spans| {
            let account = OpenSpans::of(spans);
            let end = account.spans().last()?.1?;
            let r = end.timestamp_millis();
            // An outage that ends on the stroke of midnight recovered in the month before.
            (r > from && r <= to).then(|| account.down(end).num_milliseconds())
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
    (Some(median), Some(lengths[n - 1]))
}

#[cfg(test)]
mod tests;
