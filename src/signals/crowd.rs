//! Crowd counting: the surge state of every bank channel that customers report on, and the
//! usual levels (baselines) it is judged against. Pure: the weighed counts are read for it
//! and time is passed in.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::surge::{self, Surge, SurgeChange, Tally};
use crate::domain::OpenKey;
use crate::store::ReportCount;

/// Baselines move slowly: computed again at most this often.
const BASELINE_EVERY: chrono::Duration = chrono::Duration::minutes(5);

/// A surge that started or ended, with the figures it was judged on.
#[derive(Debug, Clone, PartialEq)]
pub struct CrowdChange {
    pub key: OpenKey,
    pub change: SurgeChange,
    pub count: i64,
    pub networks: i64,
    pub baseline: f64,
}

#[derive(Debug)]
pub struct Crowd {
    surges: HashMap<OpenKey, Surge>,
    baselines: HashMap<OpenKey, f64>,
    baselines_at: Option<DateTime<Utc>>,
    floor: u32,
}

impl Crowd {
    pub fn new(floor: u32) -> Crowd {
        Crowd {
            surges: HashMap::new(),
            baselines: HashMap::new(),
            baselines_at: None,
            floor,
        }
    }

    /// Whether the baselines should be computed again at `now`.
    pub fn baselines_due(&self, now: DateTime<Utc>) -> bool {
        self.baselines_at.is_none_or(|t| now - t >= BASELINE_EVERY)
    }

    /// Takes the weighed counts of the same window at the same time of the week on each of
    /// the weeks before, last week first ([`surge::USUAL_WEEKS`] + 1 of them); a week
    /// without a report counts as zero.
    pub fn set_baselines(&mut self, weeks: &[Vec<ReportCount>], now: DateTime<Utc>) {
        let mut per_week: HashMap<OpenKey, Vec<i64>> = HashMap::new();
        for (w, week) in weeks.iter().enumerate() {
            for c in week {
                let counts = per_week
                    .entry(OpenKey::new(&c.bank, c.channel))
                    .or_insert_with(|| vec![0; weeks.len()]);
                counts[w] = c.reporters;
            }
        }
        self.baselines = per_week
            .into_iter()
            .map(|(k, v)| (k, surge::usual(&v)))
            .collect();
        self.baselines_at = Some(now);
    }

    /// The usual level of a bank channel now.
    pub fn baseline(&self, key: &OpenKey) -> f64 {
        self.baselines.get(key).copied().unwrap_or(0.0)
    }

    /// The operator closed what a surge opened: it opens nothing again until it is over.
    pub fn mute(&mut self, key: &OpenKey) {
        if let Some(s) = self.surges.get_mut(key) {
            s.muted = s.active;
        }
    }

    /// Takes the latest counts over the surge window. Returns whether any figure shown
    /// changed, and the surges that started or ended.
    pub fn count(
        &mut self,
        counts: &[ReportCount],
        now: DateTime<Utc>,
    ) -> (bool, Vec<CrowdChange>) {
        let counts: HashMap<OpenKey, Tally> = counts
            .iter()
            .map(|c| {
                let tally = Tally {
                    reporters: c.reporters,
                    networks: c.networks,
                    works: c.works,
                };
                (OpenKey::new(&c.bank, c.channel), tally)
            })
            .collect();
        let keys: BTreeSet<OpenKey> = counts.keys().chain(self.surges.keys()).cloned().collect();
        let mut changed = false;
        let mut out = Vec::new();
        for key in keys {
            let tally = counts.get(&key).copied().unwrap_or_default();
            let baseline = self.baselines.get(&key).copied().unwrap_or(0.0);
            let surge = self.surges.entry(key.clone()).or_default();
            let before = (surge.count, surge.works, surge.active);
            let change = surge.update(tally, baseline, self.floor, now);
            changed |= before != (surge.count, surge.works, surge.active);
            let quiet = tally == Tally::default() && !surge.active;
            if let Some(change) = change {
                out.push(CrowdChange {
                    key: key.clone(),
                    change,
                    count: tally.reporters,
                    networks: tally.networks,
                    baseline,
                });
            }
            if quiet {
                self.surges.remove(&key);
            }
        }
        (changed, out)
    }

    pub fn get(&self, key: &OpenKey) -> Option<&Surge> {
        self.surges.get(key)
    }

    pub fn keys(&self) -> impl Iterator<Item = &OpenKey> {
        self.surges.keys()
    }

    /// Takes back a surge found holding an incident at start-up: counted again at the
    /// next count, and released then if it is over.
    pub fn restore(&mut self, key: OpenKey, since: DateTime<Utc>) {
        self.surges.insert(
            key,
            Surge {
                active: true,
                since: Some(since),
                ..Surge::default()
            },
        );
    }

    /// Sets whether a surge counts as on, so that a change not recorded is seen again by
    /// the next count.
    pub fn set_active(&mut self, key: &OpenKey, active: bool) {
        if let Some(s) = self.surges.get_mut(key) {
            s.active = active;
        } else if active {
            self.surges.insert(
                key.clone(),
                Surge {
                    active,
                    ..Surge::default()
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::Channel;

    fn count(n: i64) -> Vec<ReportCount> {
        vec![ReportCount {
            bank: "bmce".into(),
            channel: Channel::Atm,
            reporters: n,
            networks: 5,
            works: 0,
        }]
    }

    #[test]
    fn surges_start_and_end_against_the_usual_level() {
        let now = Utc.timestamp_opt(1_770_000_000, 0).single().expect("time");
        let mut crowd = Crowd::new(10);
        assert!(crowd.baselines_due(now));
        // Nine reporters at this time of the week for five weeks: 22 make a surge.
        crowd.set_baselines(&vec![count(9); 5], now);
        assert_eq!(crowd.baseline(&OpenKey::new("bmce", Channel::Atm)), 9.0);
        assert!(!crowd.baselines_due(now + chrono::Duration::minutes(1)));
        assert!(crowd.count(&count(21), now).1.is_empty());
        let (changed, started) = crowd.count(&count(22), now);
        assert!(changed);
        assert!(matches!(
            &started[..],
            [CrowdChange {
                change: SurgeChange::Started,
                count: 22,
                ..
            }]
        ));
        let ended = crowd.count(&[], now).1;
        assert!(matches!(
            &ended[..],
            [CrowdChange {
                change: SurgeChange::Ended,
                count: 0,
                ..
            }]
        ));
        assert_eq!(crowd.keys().count(), 0, "a quiet channel is forgotten");
    }
}
