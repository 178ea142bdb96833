//! Which crowd reports are stored and which count, decided for a whole batch at once from
//! what its reporters sent in the hour before: a reporter (an address, or an address and
//! one browser) with `per_hour` reports in the last hour is refused, and so is an address
//! whose browsers together sent [`PER_ADDRESS`] times that; a report counts unless the same
//! reporter has a counted report of the same bank and channel, saying the same thing (a
//! problem, or that it works), within the dedup span. Each report of the batch is judged
//! as if the earlier ones were already stored. Pure: the store reads the hour for it.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::NewReport;
use crate::domain::Channel;

/// The most one address counts for among reporters, however many browsers speak through it
/// (a family, an office, a mobile carrier's shared address); its browsers together may also
/// send this many times a reporter's allowance.
pub const PER_ADDRESS: u32 = 4;

/// A report a reporter already sent, as the rules see it.
#[derive(Debug, Clone)]
pub struct Sent {
    pub reporter: String,
    pub address: String,
    pub bank: String,
    pub channel: Channel,
    pub works: bool,
    pub at: DateTime<Utc>,
    /// Counted and not deleted.
    pub counts: bool,
}

/// What becomes of one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Stored; counted unless a repeat within the dedup span.
    Store { counted: bool },
    /// Past the reporter's hourly allowance: not stored.
    Refuse,
}

/// The earliest time whose reports the rules need for `batch`: the hour before its first.
pub fn history_from(batch: &[NewReport]) -> Option<DateTime<Utc>> {
    batch.iter().map(|r| r.at - Duration::hours(1)).min()
}

/// One admission per report of `batch`, in order, given every report its reporters sent
/// since [`history_from`].
pub fn admit(
    history: Vec<Sent>,
    batch: &[NewReport],
    per_hour: u32,
    dedup: Duration,
) -> Vec<Admission> {
    let mut by_reporter: HashMap<String, Vec<Sent>> = HashMap::new();
    let mut by_address: HashMap<String, Vec<DateTime<Utc>>> = HashMap::new();
    for sent in history {
        by_address
            .entry(sent.address.clone())
            .or_default()
            .push(sent.at);
        by_reporter
            .entry(sent.reporter.clone())
            .or_default()
            .push(sent);
    }
    batch
        .iter()
        .map(|r| {
            let hour_from = r.at - Duration::hours(1);
            let from_address = by_address.entry(r.address.clone()).or_default();
            let sent = by_reporter.entry(r.reporter.clone()).or_default();
            let in_hour = sent.iter().filter(|s| s.at > hour_from).count();
            let address_in_hour = from_address.iter().filter(|at| **at > hour_from).count();
            if in_hour >= per_hour as usize || address_in_hour >= (per_hour * PER_ADDRESS) as usize
            {
                return Admission::Refuse;
            }
            let dedup_from = r.at - dedup;
            let counted = !sent.iter().any(|s| {
                s.counts
                    && s.bank == r.bank
                    && s.channel == r.channel
                    && s.works == r.works
                    && s.at > dedup_from
            });
            from_address.push(r.at);
            sent.push(Sent {
                reporter: r.reporter.clone(),
                address: r.address.clone(),
                bank: r.bank.clone(),
                channel: r.channel,
                works: r.works,
                at: r.at,
                counts: counted,
            });
            Admission::Store { counted }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 2, 10, 9, 0, 0).unwrap() + Duration::minutes(min)
    }

    fn report(reporter: &str, channel: Channel, min: i64) -> NewReport {
        NewReport {
            bank: "bmce".into(),
            channel,
            at: at(min),
            reporter: reporter.into(),
            address: reporter.into(),
            network: reporter.into(),
            comment: None,
            symptom: None,
            city: None,
            works: false,
        }
    }

    fn sent(reporter: &str, channel: Channel, min: i64, counts: bool) -> Sent {
        Sent {
            reporter: reporter.into(),
            address: reporter.into(),
            bank: "bmce".into(),
            channel,
            works: false,
            at: at(min),
            counts,
        }
    }

    const STORE: Admission = Admission::Store { counted: true };
    const REPEAT: Admission = Admission::Store { counted: false };

    #[test]
    fn a_repeat_within_the_dedup_span_is_stored_uncounted() {
        let batch = [
            report("a", Channel::Atm, 0),
            report("a", Channel::Atm, 5),
            report("a", Channel::Mobile, 5),
            report("a", Channel::Atm, 11),
            report("b", Channel::Atm, 11),
        ];
        let got = admit(Vec::new(), &batch, 20, Duration::minutes(10));
        assert_eq!(got, [STORE, REPEAT, STORE, STORE, STORE]);
    }

    #[test]
    fn the_hour_before_counts_and_a_deleted_report_does_not_dedup() {
        let history = vec![
            sent("a", Channel::Atm, -5, false),
            sent("b", Channel::Atm, -5, true),
        ];
        let batch = [report("a", Channel::Atm, 0), report("b", Channel::Atm, 0)];
        let got = admit(history, &batch, 20, Duration::minutes(10));
        assert_eq!(got, [STORE, REPEAT], "a's earlier report was deleted");
    }

    #[test]
    fn past_the_hourly_allowance_nothing_is_stored() {
        // Two in the last hour, one just outside it.
        let history = vec![
            sent("a", Channel::Atm, -60, true),
            sent("a", Channel::Web, -59, true),
            sent("a", Channel::Mobile, -30, true),
        ];
        let batch = [
            report("a", Channel::Cards, 0),
            report("a", Channel::Branches, 0),
            report("b", Channel::Cards, 0),
        ];
        let got = admit(history, &batch, 3, Duration::minutes(10));
        assert_eq!(got, [STORE, Admission::Refuse, STORE]);
        assert_eq!(history_from(&batch), Some(at(-60)));
        assert_eq!(history_from(&[]), None);
    }

    #[test]
    fn browsers_of_one_address_share_a_larger_allowance() {
        // Each browser may send two an hour; the address, 2 x PER_ADDRESS together.
        let batch: Vec<NewReport> = (0..(2 * PER_ADDRESS + 2))
            .map(|i| NewReport {
                reporter: format!("a/{}", i / 2),
                address: "a".into(),
                ..report("a", Channel::Atm, i64::from(i))
            })
            .collect();
        let got = admit(Vec::new(), &batch, 2, Duration::minutes(10));
        let stored = got.iter().filter(|a| **a != Admission::Refuse).count();
        assert_eq!(stored, (2 * PER_ADDRESS) as usize);
    }

    #[test]
    fn saying_it_works_is_kept_apart_from_a_problem() {
        let batch = [
            report("a", Channel::Atm, 0),
            NewReport {
                works: true,
                ..report("a", Channel::Atm, 1)
            },
        ];
        let got = admit(Vec::new(), &batch, 20, Duration::minutes(10));
        assert_eq!(got, [STORE, STORE]);
    }
}
