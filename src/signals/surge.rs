//! Report surges: distinct reporters of a channel over the surge window, against the
//! channel's usual level for that time of day.
//!
//! The baseline is the mean count in the same window at the same time on each of the
//! previous seven days. A surge starts when the count reaches
//! `max(floor, 3 × baseline + 1)` and ends when it falls to `max(floor / 2, 1.5 × baseline)`,
//! so a handful of reports at 3 a.m. opens nothing and a surge does not flap at its edge.

use chrono::{DateTime, Utc};

/// Days of history the baseline looks back on.
pub const BASELINE_DAYS: i64 = 7;

pub fn baseline(previous_days: &[i64]) -> f64 {
    if previous_days.is_empty() {
        return 0.0;
    }
    previous_days.iter().sum::<i64>() as f64 / previous_days.len() as f64
}

/// Reporters needed for a surge.
pub fn threshold(baseline: f64, floor: u32) -> i64 {
    i64::from(floor).max((3.0 * baseline).ceil() as i64 + 1)
}

/// At or below this, a surge is over.
pub fn calm(baseline: f64, floor: u32) -> i64 {
    i64::from(floor / 2).max((1.5 * baseline).ceil() as i64)
}

/// The surge state of one bank and channel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Surge {
    pub active: bool,
    pub count: i64,
    pub baseline: f64,
    pub since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SurgeChange {
    Started,
    Ended,
}

impl Surge {
    /// Takes the latest count; says whether a surge started or ended.
    pub fn update(
        &mut self,
        count: i64,
        baseline: f64,
        floor: u32,
        at: DateTime<Utc>,
    ) -> Option<SurgeChange> {
        self.count = count;
        self.baseline = baseline;
        if !self.active && count >= threshold(baseline, floor) {
            self.active = true;
            self.since = Some(at);
            Some(SurgeChange::Started)
        } else if self.active && count <= calm(baseline, floor) {
            self.active = false;
            self.since = None;
            Some(SurgeChange::Ended)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handful_at_night_is_no_surge() {
        let mut s = Surge::default();
        let now = chrono::DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(s.update(4, 0.0, 10, now), None);
        assert_eq!(s.update(10, 0.0, 10, now), Some(SurgeChange::Started));
        // Above calm: still on.
        assert_eq!(s.update(6, 0.0, 10, now), None);
        assert_eq!(s.update(5, 0.0, 10, now), Some(SurgeChange::Ended));
    }

    #[test]
    fn a_busy_channel_needs_three_times_its_usual_level() {
        let b = baseline(&[20, 30, 25, 25, 25, 25, 25]);
        assert!((b - 25.0).abs() < 1e-9);
        assert_eq!(threshold(b, 10), 76);
        assert_eq!(calm(b, 10), 38);
        let mut s = Surge::default();
        assert_eq!(
            s.update(60, b, 10, chrono::DateTime::<Utc>::UNIX_EPOCH),
            None
        );
        assert_eq!(
            s.update(76, b, 10, chrono::DateTime::<Utc>::UNIX_EPOCH),
            Some(SurgeChange::Started)
        );
    }
}
