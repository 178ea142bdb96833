//! The day bars' time. Each counted check stands for its probe's interval from when it
//! ran, cut at the probe's next check (counted or not: a check put down to the tracker's own
//! network ends the word of the one before, and stands for nothing itself). A day's bar is
//! the time passing checks stood for over the time any check did, so a failing check every
//! ten seconds during an outage weighs its ten seconds, not as much as an hourly check.
//!
//! Checks reach the store in batches, sometimes late or out of order: [`delta`] gives what
//! adding a batch to the checks already stored changes in each local day. Pure, run inside
//! the write's transaction, like `admission.rs`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// One check of one probe, as the day bars weigh it; times in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    pub at: i64,
    /// Its probe's interval.
    pub covers: i64,
    pub counted: bool,
    /// Up or degraded.
    pub passing: bool,
}

/// The time checks stood for in one local day, and the part of it passing checks did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayTime {
    pub passing_ms: i64,
    pub covered_ms: i64,
}

impl DayTime {
    pub fn add(&mut self, other: DayTime) {
        self.passing_ms += other.passing_ms;
        self.covered_ms += other.covered_ms;
    }
}

/// What adding `new` to `stored` changes, per local day of `tz`. Both hold checks of one
/// probe (in one region); `stored` must hold every stored check from one interval before
/// the first of `new` to one interval after the last, so that the checks `new` cuts short,
/// and those that cut `new` short, are there.
pub fn delta(stored: &[Check], new: &[Check], tz: Tz) -> BTreeMap<NaiveDate, DayTime> {
    let mut before = stored.to_vec();
    before.sort_by_key(|c| c.at);
    let mut after = before.clone();
    after.extend_from_slice(new);
    after.sort_by_key(|c| c.at);
    let mut out: BTreeMap<NaiveDate, DayTime> = BTreeMap::new();
    for (checks, sign) in [(&after, 1), (&before, -1)] {
        for (start, end, passing) in stands_for(checks) {
            for (day, ms) in by_day(start, end, tz) {
                let d = out.entry(day).or_default();
                d.covered_ms += sign * ms;
                if passing {
                    d.passing_ms += sign * ms;
                }
            }
        }
    }
    out.retain(|_, d| *d != DayTime::default());
    out
}

/// The span each counted check stands for, and whether it passed; `checks` in time order.
fn stands_for(checks: &[Check]) -> impl Iterator<Item = (i64, i64, bool)> + '_ {
    checks.iter().enumerate().filter_map(|(i, c)| {
        let end = c.at.saturating_add(c.covers.max(0));
        let end = checks.get(i + 1).map_or(end, |next| end.min(next.at));
        (c.counted && end > c.at).then_some((c.at, end, c.passing))
    })
}

/// `[start, end)` cut at the local midnights of `tz`.
fn by_day(start: i64, end: i64, tz: Tz) -> Vec<(NaiveDate, i64)> {
    let mut out = Vec::new();
    let mut at = start;
    while at < end {
        let Some(utc) = DateTime::<Utc>::from_timestamp_millis(at) else {
            break;
        };
        let day = utc.with_timezone(&tz).date_naive();
        let next = day
            .succ_opt()
            .and_then(|d| {
                tz.from_local_datetime(&d.and_time(NaiveTime::MIN))
                    .earliest()
            })
            .map_or(at + 86_400_000, |m| m.timestamp_millis())
            .max(at + 1);
        let cut = end.min(next);
        out.push((day, cut - at));
        at = cut;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn check(minute: i64, passing: bool) -> Check {
        Check {
            at: T0 + minute * MIN,
            covers: 10 * MIN,
            counted: true,
            passing,
        }
    }

    /// 2026-02-10 10:00 in Casablanca (+01), as UTC milliseconds.
    const T0: i64 = 1_770_714_000_000;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 2, d).expect("date")
    }

    #[test]
    fn each_check_stands_for_its_interval_cut_at_the_next() {
        let tz = chrono_tz::Africa::Casablanca;
        // A passing check, then failing ones every minute for three minutes, then a pass.
        let checks = [
            check(0, true),
            check(2, false),
            check(3, false),
            check(4, false),
            check(5, true),
        ];
        let d = delta(&[], &checks, tz);
        // 2 + 10 min passing (the last for its whole interval), 3 min failing.
        assert_eq!(
            d[&day(10)],
            DayTime {
                passing_ms: 12 * MIN,
                covered_ms: 15 * MIN,
            }
        );
        // By checks it would be 2 passing in 5: 40 %; by time 12 of 15 min, 80 %.
    }

    #[test]
    fn a_batch_cuts_short_the_stored_check_before_it_and_is_cut_by_the_one_after() {
        let tz = chrono_tz::Africa::Casablanca;
        let stored = [check(0, true), check(20, true)];
        // A late failing check at minute 5: the first stood for 10 min, now 5; the new
        // one stands for 10 min (until 15), not cut by the check at 20.
        let d = delta(&stored, &[check(5, false)], tz);
        assert_eq!(
            d[&day(10)],
            DayTime {
                passing_ms: -5 * MIN,
                covered_ms: 5 * MIN,
            }
        );
        // Added in two batches or in one, the days add up to the same.
        let first = delta(&[], &[check(0, true)], tz);
        let second = delta(&[check(0, true)], &[check(3, false), check(8, true)], tz);
        let whole = delta(&[], &[check(0, true), check(3, false), check(8, true)], tz);
        let mut sum = first[&day(10)];
        sum.add(second[&day(10)]);
        assert_eq!(sum, whole[&day(10)]);
    }

    #[test]
    fn an_uncounted_check_ends_the_word_of_the_one_before_and_stands_for_nothing() {
        let tz = chrono_tz::Africa::Casablanca;
        let mut cut = check(4, false);
        cut.counted = false;
        let d = delta(&[], &[check(0, true), cut], tz);
        assert_eq!(
            d[&day(10)],
            DayTime {
                passing_ms: 4 * MIN,
                covered_ms: 4 * MIN,
            }
        );
    }

    #[test]
    fn a_check_before_local_midnight_speaks_for_both_days() {
        let tz = chrono_tz::Africa::Casablanca;
        // 23:55 local (+01) on 10 February, for ten minutes.
        let c = Check {
            at: T0 + (13 * 60 + 55) * MIN,
            covers: 10 * MIN,
            counted: true,
            passing: false,
        };
        let d = delta(&[], &[c], tz);
        assert_eq!(d[&day(10)].covered_ms, 5 * MIN);
        assert_eq!(d[&day(11)].covered_ms, 5 * MIN);
        assert_eq!(d[&day(11)].passing_ms, 0);
    }
}
