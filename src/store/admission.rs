//! Which crowd reports are stored and which count, decided for a whole batch at once from
//! what its reporters sent in the hour before: a reporter with `per_hour` reports in the
//! last hour is refused, and a report counts unless the same reporter has a counted report
//! of the same bank and channel within the dedup span. Each report of the batch is judged
//! as if the earlier ones were already stored. Pure: the store reads the hour for it.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::NewReport;
use crate::domain::Channel;

/// A report a reporter already sent, as the rules see it.
#[derive(Debug, Clone)]
pub struct Sent {
    pub reporter: String,
    pub bank: String,
    pub channel: Channel,
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
    for sent in history {
        by_reporter
            .entry(sent.reporter.clone())
            .or_default()
            .push(sent);
    }
    batch
        .iter()
        .map(|r| {
            let sent = by_reporter.entry(r.reporter.clone()).or_default();
            let hour_from = r.at - Duration::hours(1);
            let in_hour = sent.iter().filter(|s| s.at > hour_from).count();
            if in_hour >= per_hour as usize {
                return Admission::Refuse;
            }
            let dedup_from = r.at - dedup;
            let counted = !sent.iter().any(|s| {
                s.counts && s.bank == r.bank && s.channel == r.channel && s.at > dedup_from
            });
            sent.push(Sent {
                reporter: r.reporter.clone(),
                bank: r.bank.clone(),
                channel: r.channel,
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
            comment: None,
        }
    }

    fn sent(reporter: &str, channel: Channel, min: i64, counts: bool) -> Sent {
        Sent {
            reporter: reporter.into(),
            bank: "bmce".into(),
            channel,
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
}
