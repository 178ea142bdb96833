//! Failures of a shared system: the same channel failing at several banks within a few
//! minutes (ATMs of three banks, card payments everywhere) points at the interbank switch,
//! a card network or a telecom rather than at each bank. Such outages are linked and
//! counted apart, as the RBA reports failures of shared infrastructure apart. Pure.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::Channel;
use crate::store::OutageSpan;

/// The fewest banks whose outages of one channel make a shared failure.
pub const SHARED_BANKS: usize = 3;

/// Outages of one channel at [`SHARED_BANKS`] banks or more, begun within the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharedFailure {
    pub channel: Channel,
    /// The first of their starts.
    pub started_at: DateTime<Utc>,
    /// The banks, by slug, in order.
    pub banks: Vec<String>,
    /// The incidents linked, in order of id.
    pub incidents: Vec<i64>,
}

/// The shared failures among `outages`: per channel, outages are grouped when each began
/// within `within_ms` of the group's first start (two probe intervals); a group that
/// reaches [`SHARED_BANKS`] banks is one.
pub fn shared_failures(outages: &[OutageSpan], within_ms: i64) -> Vec<SharedFailure> {
    // An incident's start is the start of its first span.
    let mut starts: BTreeMap<(Channel, i64, &str), i64> = BTreeMap::new();
    for o in outages {
        let at = o.started_at.timestamp_millis();
        starts
            .entry((o.channel, o.incident_id, o.bank.as_str()))
            .and_modify(|s| *s = (*s).min(at))
            .or_insert(at);
    }
    let mut by_channel: BTreeMap<Channel, Vec<(i64, i64, &str)>> = BTreeMap::new();
    for (&(channel, id, bank), &at) in &starts {
        by_channel.entry(channel).or_default().push((at, id, bank));
    }
    let mut out = Vec::new();
    for (channel, mut list) in by_channel {
        list.sort_unstable();
        let mut i = 0;
        while i < list.len() {
            let first = list[i].0;
            let mut j = i;
            while j < list.len() && list[j].0 - first <= within_ms {
                j += 1;
            }
            let group = &list[i..j];
            let banks: BTreeSet<&str> = group.iter().map(|g| g.2).collect();
            if banks.len() >= SHARED_BANKS {
                let incidents: BTreeSet<i64> = group.iter().map(|g| g.1).collect();
                out.push(SharedFailure {
                    channel,
                    started_at: DateTime::from_timestamp_millis(first).unwrap_or_default(),
                    banks: banks.into_iter().map(str::to_owned).collect(),
                    incidents: incidents.into_iter().collect(),
                });
            }
            i = j;
        }
    }
    out.sort_by_key(|s| (s.started_at, s.channel));
    out
}

/// How far before an outage's start its page reads the others, to group them as the
/// scorecard does: a group begins at the first outage of a run, and a run of failures of
/// one channel each within two probe intervals of the last for a whole day does not happen.
pub const LOOK_BACK_HOURS: i64 = 24;

/// The shared failures `incident` is part of among `outages`, by the same rule as
/// [`shared_failures`]: what its page labels and links.
pub fn shared_with(outages: &[OutageSpan], within_ms: i64, incident: i64) -> Vec<SharedFailure> {
    shared_failures(outages, within_ms)
        .into_iter()
        .filter(|s| s.incidents.contains(&incident))
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn outage(id: i64, bank: &str, channel: Channel, minute: i64) -> OutageSpan {
        let t = Utc
            .with_ymd_and_hms(2026, 3, 2, 10, 0, 0)
            .single()
            .expect("time")
            + Duration::minutes(minute);
        OutageSpan {
            incident_id: id,
            bank: bank.into(),
            channel,
            started_at: t,
            resolved_at: Some(t + Duration::minutes(20)),
            overrun_of: None,
        }
    }

    #[test]
    fn three_banks_within_two_intervals_are_shared_and_one_bank_is_not() {
        let within = 2 * 60_000;
        let outages = [
            outage(1, "aaa", Channel::Atm, 0),
            outage(2, "bbb", Channel::Atm, 1),
            outage(3, "ccc", Channel::Atm, 2),
            // Another channel at the same time, and the same channel too late.
            outage(4, "ddd", Channel::Web, 1),
            outage(5, "ddd", Channel::Atm, 9),
        ];
        let shared = shared_failures(&outages, within);
        assert_eq!(shared.len(), 1);
        assert_eq!(shared[0].incidents, [1, 2, 3]);
        assert_eq!(shared[0].banks, ["aaa", "bbb", "ccc"]);
        assert_eq!(shared[0].channel, Channel::Atm);
        // One bank failing on its own, even on several channels, is not.
        let alone = [
            outage(1, "aaa", Channel::Atm, 0),
            outage(1, "aaa", Channel::Web, 0),
            outage(2, "aaa", Channel::Atm, 1),
        ];
        assert!(shared_failures(&alone, within).is_empty());
        // Two banks are not enough.
        assert!(shared_failures(&outages[..2], within).is_empty());
        // Each incident of the failure finds it; the bank alone, none.
        for id in [1, 2, 3] {
            assert_eq!(shared_with(&outages, within, id), shared);
        }
        assert!(shared_with(&outages, within, 5).is_empty());
        assert!(shared_with(&outages, within, 4).is_empty());
    }
}
