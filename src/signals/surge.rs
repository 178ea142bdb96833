//! Report surges: a channel's reporters over the surge window, weighed (see
//! [`super::weight`]), against the channel's usual level at this time of the week.
//!
//! The usual level is the median of the same window at the same time of the week over the
//! last [`USUAL_WEEKS`] weeks, and it may grow at most [`GROWTH`] times (plus
//! [`GROWTH_SLACK`]) over the level a week earlier, so reporting every day at one hour
//! cannot lift the bar within a week. A surge starts when the weight reaches
//! `max(floor, usual + 4 √usual + 1)` from at least [`MIN_NETWORKS`] networks, with fewer
//! than half as many saying it works for them; it ends at `max(floor / 2, usual + √usual)`
//! or once as many say it works as say it fails. A handful of reports at 3 a.m. opens
//! nothing, and a surge does not flap at its edge.

use chrono::{DateTime, Utc};

pub use super::weight::MIN_NETWORKS;

/// Weeks of history the usual level is the median of.
pub const USUAL_WEEKS: usize = 4;
/// How much the usual level may grow in a week, times the level a week before ...
pub const GROWTH: f64 = 2.0;
/// ... plus this many reporters.
pub const GROWTH_SLACK: f64 = 2.0;

/// The median of `counts`; 0 for none.
fn median(counts: &[i64]) -> f64 {
    let mut v = counts.to_vec();
    v.sort_unstable();
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2] as f64,
        n => (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0,
    }
}

/// The usual level from the weighed counts of the same window at the same time of the week,
/// last week first, [`USUAL_WEEKS`] + 1 of them (a week without a report counts as zero):
/// the median of the first [`USUAL_WEEKS`], grown at most [`GROWTH`] times (plus
/// [`GROWTH_SLACK`]) over the median of the weeks before.
pub fn usual(weeks: &[i64]) -> f64 {
    let mut weeks = weeks.to_vec();
    weeks.resize(USUAL_WEEKS + 1, 0);
    let now = median(&weeks[..USUAL_WEEKS]);
    let before = median(&weeks[1..=USUAL_WEEKS]);
    now.min(GROWTH * before + GROWTH_SLACK)
}

/// Weighed reporters needed for a surge.
pub fn threshold(usual: f64, floor: u32) -> i64 {
    i64::from(floor).max((usual + 4.0 * usual.sqrt()).ceil() as i64 + 1)
}

/// At or below this, a surge is over.
pub fn calm(usual: f64, floor: u32) -> i64 {
    i64::from(floor / 2).max((usual + usual.sqrt()).ceil() as i64)
}

/// A channel's weighed reports over the window: problems, the networks they come from, and
/// those who say it works for them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub reporters: i64,
    pub networks: i64,
    pub works: i64,
}

/// The surge state of one bank and channel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Surge {
    pub active: bool,
    pub count: i64,
    pub networks: i64,
    pub works: i64,
    pub baseline: f64,
    pub since: Option<DateTime<Utc>>,
    /// The operator closed or withdrew what this surge opened: it opens nothing again
    /// until it is over.
    pub muted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SurgeChange {
    Started,
    Ended,
}

impl Surge {
    /// Takes the latest tally; says whether a surge started or ended.
    pub fn update(
        &mut self,
        tally: Tally,
        baseline: f64,
        floor: u32,
        at: DateTime<Utc>,
    ) -> Option<SurgeChange> {
        self.count = tally.reporters;
        self.networks = tally.networks;
        self.works = tally.works;
        self.baseline = baseline;
        let starts = tally.reporters >= threshold(baseline, floor)
            && tally.networks >= MIN_NETWORKS
            && 2 * tally.works < tally.reporters;
        let ends = tally.reporters <= calm(baseline, floor) || tally.works >= tally.reporters;
        if !self.active && starts {
            self.active = true;
            self.since = Some(at);
            Some(SurgeChange::Started)
        } else if self.active && ends {
            self.active = false;
            self.since = None;
            self.muted = false;
            Some(SurgeChange::Ended)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(reporters: i64, networks: i64) -> Tally {
        Tally {
            reporters,
            networks,
            works: 0,
        }
    }

    const T0: DateTime<Utc> = DateTime::<Utc>::UNIX_EPOCH;

    #[test]
    fn a_handful_at_night_is_no_surge() {
        let mut s = Surge::default();
        assert_eq!(s.update(tally(4, 4), 0.0, 10, T0), None);
        assert_eq!(
            s.update(tally(10, 4), 0.0, 10, T0),
            Some(SurgeChange::Started)
        );
        // Above calm: still on.
        assert_eq!(s.update(tally(6, 4), 0.0, 10, T0), None);
        assert_eq!(s.update(tally(5, 4), 0.0, 10, T0), Some(SurgeChange::Ended));
    }

    #[test]
    fn one_or_two_networks_never_start_a_surge() {
        let mut s = Surge::default();
        assert_eq!(s.update(tally(40, 2), 0.0, 10, T0), None);
        assert_eq!(
            s.update(tally(40, 3), 0.0, 10, T0),
            Some(SurgeChange::Started)
        );
    }

    #[test]
    fn those_it_works_for_weigh_against_a_surge() {
        let mut s = Surge::default();
        let mixed = Tally {
            reporters: 20,
            networks: 6,
            works: 10,
        };
        assert_eq!(s.update(mixed, 0.0, 10, T0), None, "half say it works");
        let mostly = Tally { works: 9, ..mixed };
        assert_eq!(s.update(mostly, 0.0, 10, T0), Some(SurgeChange::Started));
        let even = Tally { works: 20, ..mixed };
        assert_eq!(s.update(even, 0.0, 10, T0), Some(SurgeChange::Ended));
    }

    #[test]
    fn the_usual_level_is_a_median_by_time_of_week() {
        assert_eq!(usual(&[]), 0.0);
        // Nine reporters at this hour last week only: the median of four weeks is 0.
        assert_eq!(usual(&[9]), 0.0);
        assert_eq!(usual(&[9, 9, 9, 9, 9]), 9.0);
        // One loud week among quiet ones moves nothing.
        assert_eq!(usual(&[500, 3, 3, 3, 3]), 3.0);
    }

    #[test]
    fn the_usual_level_grows_at_most_so_much_a_week() {
        // Three weeks of 40 after quiet weeks: the median is 40, but a week before it was
        // 20 (two of four), so it may be at most 2 x 20 + 2.
        assert_eq!(usual(&[40, 40, 40, 0, 0]), 40.0f64.min(2.0 * 20.0 + 2.0));
        assert_eq!(usual(&[40, 40, 40, 1, 0]), 40.0);
        // From nothing, a new level starts at the slack.
        assert_eq!(usual(&[40, 40, 40, 40, 0]), 40.0f64.min(2.0 * 40.0 + 2.0));
        assert_eq!(usual(&[30, 30, 0, 0, 0]), 15.0f64.min(2.0 * 0.0 + 2.0));
    }

    #[test]
    fn a_real_surge_clears_a_week_of_nine_a_day() {
        // Nine a day at this hour: last week's same hour had nine.
        let u = usual(&[9, 0, 0, 0, 0]);
        assert!(threshold(u, 10) <= 25);
        // Four weeks of nine: the bar is higher, but 25 from many networks still clears it.
        let u = usual(&[9, 9, 9, 9, 9]);
        assert_eq!(threshold(u, 10), 22);
        assert_eq!(calm(u, 10), 12);
        let mut s = Surge::default();
        assert_eq!(
            s.update(tally(25, 8), u, 10, T0),
            Some(SurgeChange::Started)
        );
    }
}
