//! The figures in the shapes people compare: the Reserve Bank of Australia's retail payment
//! service reliability disclosures (significant outages, their hours, service availability
//! with planned outages left out), the FCA's count of major incidents per channel each
//! quarter (BCOBS 7.6) and the UK Treasury Committee's incidents and hours of outage.
//!
//! A month's are computed here from the spans of one channel, or of a bank's channels
//! together; a quarter's or a year's are their months' [`Tally`] added up, and every figure
//! of any period comes out of [`figures`], so a year equals its months to the second and
//! the page, the CSV and the JSON say the same. Pure.

use std::collections::BTreeMap;

use serde::Serialize;

use super::availability::Availability;
use super::spans::Spans;

/// An outage is significant when its time outside any announced window reaches this many
/// minutes. The RBA counts "significant outages" past minimum thresholds of duration and of
/// customers affected; bankstatus sees no customer count, so its threshold is duration alone.
pub const SIGNIFICANT_MINUTES: i64 = 30;
const SIGNIFICANT_MS: i64 = SIGNIFICANT_MINUTES * 60_000;

/// What a period's availability and significant outages are computed from, summed over its
/// months: each month's own, in whole seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Seconds a check covered.
    pub monitored_seconds: i64,
    /// Monitored seconds in neither an outage nor an announced window. Any part of a
    /// second unavailable counts as a whole one, so a channel with downtime never adds up
    /// to all its time available.
    pub available_seconds: i64,
    /// Monitored seconds inside announced windows: the RBA's "planned outages", as far as
    /// they were watched.
    pub maintenance_monitored_seconds: i64,
    /// Outages begun in the period whose unannounced time, over their whole length, reached
    /// [`SIGNIFICANT_MINUTES`]. An outage is counted in the month it began, whatever its length.
    pub significant_outages: usize,
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, o: Tally) {
        self.monitored_seconds += o.monitored_seconds;
        self.available_seconds += o.available_seconds;
        self.maintenance_monitored_seconds += o.maintenance_monitored_seconds;
        self.significant_outages += o.significant_outages;
    }
}

/// Every figure people compare, of one channel or one bank over a period.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Figures {
    /// The RBA's "significant outages"; the FCA's "major incidents"; the UK committee's
    /// "incidents", with bankstatus's own threshold.
    pub significant_outages: usize,
    /// The RBA's "duration of significant outages" and the UK committee's "hours of
    /// outage", over every unannounced outage however short, overruns included.
    pub unannounced_seconds: i64,
    /// The RBA's "planned outages": the announced windows, watched or not.
    pub announced_seconds: i64,
    /// Past an announced window's end until the first recovery: no one else publishes it.
    pub overrun_seconds: i64,
    /// Available over monitored, announced maintenance counted as unavailable.
    pub availability: Availability,
    /// The RBA's "service availability": available over the time meant to be available,
    /// announced maintenance left out of both.
    pub service_availability: Availability,
    /// Over the outages that ended in the period, whole length.
    pub median_recovery_seconds: Option<i64>,
}

/// A period's outage time, as the scorecard's outage figures hold it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Durations {
    pub unannounced_seconds: i64,
    pub announced_seconds: i64,
    pub overrun_seconds: i64,
    pub median_recovery_seconds: Option<i64>,
}

/// The one computation of the figures above, from a period's tally, its outage time and its
/// length in seconds.
pub fn figures(tally: &Tally, outages: &Durations, period_seconds: i64) -> Figures {
    let availability = Availability::from_totals(
        tally.monitored_seconds,
        tally.available_seconds,
        period_seconds,
    );
    let planned = tally.monitored_seconds - tally.maintenance_monitored_seconds;
    let service_availability = Availability {
        // Whether the figure is partial is a matter of how much of the period was watched.
        coverage_percent: availability.coverage_percent,
        partial: availability.partial,
        ..Availability::whole(planned, tally.available_seconds)
    };
    Figures {
        significant_outages: tally.significant_outages,
        unannounced_seconds: outages.unannounced_seconds,
        announced_seconds: outages.announced_seconds,
        overrun_seconds: outages.overrun_seconds,
        availability,
        service_availability,
        median_recovery_seconds: outages.median_recovery_seconds,
    }
}

/// The significant outages among one track's: each incident's first start, and its id.
/// `outages` are the incidents' spans in milliseconds; `windows` the announced ones.
pub fn significant(
    outages: impl Iterator<Item = (i64, (i64, i64))>,
    windows: &Spans,
) -> Vec<(i64, i64)> {
    let mut by_incident: BTreeMap<i64, Vec<(i64, i64)>> = BTreeMap::new();
    for (id, span) in outages {
        by_incident.entry(id).or_default().push(span);
    }
    let mut out: Vec<(i64, i64)> = by_incident
        .into_iter()
        .filter_map(|(id, spans)| {
            let start = spans.iter().map(|s| s.0).min()?;
            let unannounced = Spans::of(spans).minus(windows).total();
            (unannounced >= SIGNIFICANT_MS).then_some((start, id))
        })
        .collect();
    out.sort_unstable();
    out
}

/// One month `[from, to)` of one track: `watched` the time checks covered, `down` the time
/// in an outage or a window, `windows` the announced windows alone, `significant` as
/// [`significant`] gives it.
pub fn tally(
    watched: &Spans,
    down: &Spans,
    windows: &Spans,
    significant: &[(i64, i64)],
    (from, to): (i64, i64),
) -> Tally {
    let watched = watched.clip(from, to);
    let unavailable = watched.intersect(&down.clip(from, to)).total();
    let monitored_seconds = watched.total() / 1000;
    Tally {
        monitored_seconds,
        available_seconds: (monitored_seconds - ceil_seconds(unavailable)).max(0),
        maintenance_monitored_seconds: watched.intersect(&windows.clip(from, to)).total() / 1000,
        significant_outages: significant
            .iter()
            .filter(|(start, _)| (from..to).contains(start))
            .count(),
    }
}

fn ceil_seconds(ms: i64) -> i64 {
    (ms + 999).div_euclid(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn an_outage_is_significant_from_thirty_unannounced_minutes_over_its_whole_length() {
        let windows = Spans::of([(0, 20 * MIN)]);
        let outages = [
            // 29 min 59 s: not significant.
            (1, (100 * MIN, 130 * MIN - 1000)),
            // Exactly 30 min, in two spans of a reopened incident: significant.
            (2, (200 * MIN, 210 * MIN)),
            (2, (215 * MIN, 235 * MIN)),
            // 40 min, 20 of them inside the window: 20 unannounced, not significant.
            (3, (0, 40 * MIN)),
            // 45 min begun before a month's end: significant where it began.
            (4, (300 * MIN, 345 * MIN)),
        ];
        let found = significant(outages.into_iter(), &windows);
        assert_eq!(found, [(200 * MIN, 2), (300 * MIN, 4)]);
        let empty = Spans::default();
        let month =
            |from, to| tally(&empty, &empty, &empty, &found, (from, to)).significant_outages;
        assert_eq!(month(0, 300 * MIN), 1);
        assert_eq!(month(300 * MIN, 310 * MIN), 1, "counted where it began");
        assert_eq!(month(310 * MIN, 400 * MIN), 0, "and only there");
    }

    #[test]
    fn availability_with_and_without_maintenance_from_one_tally() {
        // A day watched, 2 h of it announced maintenance, 1 h 30 s of outage outside it.
        let day = 1440 * MIN;
        let watched = Spans::of([(0, day)]);
        let windows = Spans::of([(0, 120 * MIN)]);
        let outages = Spans::of([(600 * MIN, 660 * MIN + 30_000)]);
        let down = windows.union(&outages);
        let t = tally(&watched, &down, &windows, &[], (0, day));
        assert_eq!(t.monitored_seconds, 86_400);
        assert_eq!(t.maintenance_monitored_seconds, 7200);
        assert_eq!(t.available_seconds, 86_400 - 7200 - 3630);
        let o = Durations {
            unannounced_seconds: 3630,
            announced_seconds: 7200,
            ..Durations::default()
        };
        let f = figures(&t, &o, 86_400);
        // 75,570 of 86,400 s: 87.46 %; left out the 2 h: 75,570 of 79,200 s, 95.41 %.
        assert_eq!(f.availability.percent, Some(87.46));
        assert_eq!(f.service_availability.percent, Some(95.41));
        assert_eq!(f.unannounced_seconds, 3630);
        // Half a second down is a whole second unavailable: never 100.00 %.
        let sliver = Spans::of([(1000, 1500)]);
        let t = tally(&watched, &sliver, &Spans::default(), &[], (0, day));
        assert_eq!(t.available_seconds, 86_399);
        let f = figures(&t, &Durations::default(), 86_400);
        assert_eq!(f.availability.percent, Some(99.99));
        assert!(f.availability.down_under_a_hundredth());
        // Nothing watched: no figure, not 100 %.
        let none = figures(&Tally::default(), &Durations::default(), 86_400);
        assert_eq!(none.availability.percent, None);
        assert_eq!(none.service_availability.percent, None);
    }

    #[test]
    fn months_add_up_to_their_period() {
        let watched = Spans::of([(0, 90 * MIN + 500)]);
        let windows = Spans::of([(10 * MIN, 70 * MIN)]);
        let down = windows.union(&Spans::of([(75 * MIN + 250, 80 * MIN)]));
        let sig = [(5 * MIN, 1), (65 * MIN, 2)];
        let mut sum = Tally::default();
        for part in [
            (0, 30 * MIN),
            (30 * MIN, 60 * MIN + 1),
            (60 * MIN + 1, 100 * MIN),
        ] {
            sum += tally(&watched, &down, &windows, &sig, part);
        }
        assert_eq!(sum.significant_outages, 2);
        // Each month keeps its own whole seconds: the window cut a millisecond past a
        // month's start gives 1,799 s and 1,800 s, and the period is their sum.
        assert_eq!(sum.maintenance_monitored_seconds, 3599);
        assert_eq!(sum.monitored_seconds, 5400);
        // Available: 600 s, then none (the second part is all window, a part of a second
        // unavailable counting whole), then 900 s.
        assert_eq!(sum.available_seconds, 1500);
    }
}
