//! The live count of reporters: each bank channel's reporters (and those it works for) with
//! the time of their first and latest counted report, taken in as reports are stored.
//! Counting the window again then costs the reports since the last count, not every report
//! of the window, which in a storm is hundreds of thousands. Deletions, which are few, are
//! read apart and make the tally read that one reporter again. The count is weighed by
//! [`super::weight`]. Pure: the reports are read for it and the window is passed in.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::weight::{self, key_of, Who};
use crate::domain::OpenKey;
use crate::store::{ReportCount, TalliedReport};

/// Deletions are read again this far back: one committed after the time it carries (a
/// statement may wait 30 s), or stamped by an instance whose clock is behind, is still
/// seen. Deletions are few, and the index reads only them.
pub const DELETIONS_SLACK: chrono::Duration = chrono::Duration::minutes(5);

/// One reporter of one bank channel, as the tally keeps it.
#[derive(Debug, Clone, Copy)]
struct Seen {
    who: Who,
    first: DateTime<Utc>,
    latest: DateTime<Utc>,
}

#[derive(Debug, Default)]
pub struct Tally {
    /// The last report taken in; `None` until one is.
    after: Option<i64>,
    /// Per bank channel, each reporter (by hashes of its keys: 8 bytes, not 64) and
    /// whether it says it works for them, with its first and latest counted report.
    latest: HashMap<OpenKey, HashMap<(u64, bool), Seen>>,
    /// When deletions were last read; `None` before the first read.
    deletions_read: Option<DateTime<Utc>>,
    /// The deletions taken in within the slack, so that reading them again changes nothing.
    forgotten: HashSet<i64>,
}

impl Tally {
    /// The last report taken in, to read on from.
    pub fn after(&self) -> Option<i64> {
        self.after
    }

    /// Takes in reports read in id order. Those that do not count (repeats, deleted) move
    /// the reading on and nothing else.
    pub fn take(&mut self, reports: &[TalliedReport]) {
        for r in reports {
            self.after = Some(self.after.map_or(r.id, |a| a.max(r.id)));
        }
        self.retake(reports);
    }

    /// Takes in a reporter's reports read again after a deletion, without moving the
    /// reading on: reports after the last one taken in are still to be read in order.
    pub fn retake(&mut self, reports: &[TalliedReport]) {
        for r in reports.iter().filter(|r| r.counts()) {
            if self.after.is_some_and(|after| r.id > after) {
                continue;
            }
            let seen = self
                .latest
                .entry(OpenKey::new(&r.bank, r.channel))
                .or_default()
                .entry((key_of(&r.reporter), r.works))
                .or_insert(Seen {
                    who: Who::of(&r.network, &r.address, &r.reporter),
                    first: r.at,
                    latest: r.at,
                });
            seen.first = seen.first.min(r.at);
            seen.latest = seen.latest.max(r.at);
        }
    }

    /// From when to read deletions at `now`: since the last read, less the slack.
    pub fn deletions_from(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.deletions_read.unwrap_or(now) - DELETIONS_SLACK
    }

    /// Takes in the reports deleted since [`Self::deletions_from`], read at `now`. A deleted
    /// report that was its reporter's latest takes the reporter out; the reporters it
    /// returns are to be read again ([`Self::retake`]), since an earlier report of theirs
    /// may still be in the window.
    pub fn forget(
        &mut self,
        deleted: &[TalliedReport],
        now: DateTime<Utc>,
    ) -> Vec<(OpenKey, String)> {
        let from = self.deletions_from(now);
        self.deletions_read = Some(now);
        let mut again = Vec::new();
        for d in deleted {
            if !self.forgotten.insert(d.id) || !d.counted {
                continue;
            }
            // A report not yet taken in is read later as deleted, and never counts.
            if self.after.is_none_or(|after| d.id > after) {
                continue;
            }
            let key = OpenKey::new(&d.bank, d.channel);
            let Some(reporters) = self.latest.get_mut(&key) else {
                continue;
            };
            let who = (key_of(&d.reporter), d.works);
            if reporters.get(&who).is_some_and(|s| s.latest == d.at) {
                reporters.remove(&who);
                again.push((key, d.reporter.clone()));
            }
        }
        let kept: HashSet<i64> = deleted
            .iter()
            .filter(|d| d.deleted_at.is_some_and(|t| t >= from))
            .map(|d| d.id)
            .collect();
        self.forgotten.retain(|id| kept.contains(id));
        again
    }

    /// Every bank channel's reporters whose latest counted report is at or after `from`,
    /// weighed, forgetting those before: the window only moves on. An address or a network
    /// counts only towards the first channels it reported ([`weight::allowed`]).
    pub fn counts(&mut self, from: DateTime<Utc>) -> Vec<ReportCount> {
        self.latest.retain(|_, reporters| {
            reporters.retain(|_, seen| seen.latest >= from);
            !reporters.is_empty()
        });
        let firsts: Vec<(&OpenKey, Who, DateTime<Utc>)> = self
            .latest
            .iter()
            .flat_map(|(key, reporters)| {
                reporters
                    .values()
                    .map(move |s| (key, s.who, s.first.max(from)))
            })
            .collect();
        let allowed = weight::allowed(&firsts);
        let mut counts: Vec<ReportCount> = self
            .latest
            .iter()
            .map(|(key, reporters)| {
                let side = |works: bool| {
                    let who: Vec<Who> = reporters
                        .iter()
                        .filter(|((_, w), s)| *w == works && allowed.contains(&(key, s.who.unit)))
                        .map(|(_, s)| s.who)
                        .collect();
                    weight::weigh(&who)
                };
                let problems = side(false);
                ReportCount {
                    bank: key.bank.clone(),
                    channel: key.channel,
                    reporters: problems.reporters,
                    networks: problems.networks,
                    works: side(true).reporters,
                }
            })
            .collect();
        counts.sort_by(|a, b| (&a.bank, a.channel).cmp(&(&b.bank, b.channel)));
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Channel;
    use chrono::TimeZone;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 2, 10, 9, 0, 0).unwrap() + chrono::Duration::minutes(min)
    }

    fn report(id: i64, channel: Channel, reporter: &str, min: i64, counted: bool) -> TalliedReport {
        TalliedReport {
            id,
            bank: "bmce".into(),
            channel,
            at: at(min),
            reporter: reporter.into(),
            address: reporter.into(),
            network: reporter.into(),
            works: false,
            counted,
            deleted_at: None,
        }
    }

    fn deleted(mut r: TalliedReport, min: i64) -> TalliedReport {
        r.deleted_at = Some(at(min));
        r
    }

    fn count(tally: &mut Tally, from: i64) -> Vec<(Channel, i64)> {
        tally
            .counts(at(from))
            .into_iter()
            .map(|c| (c.channel, c.reporters))
            .collect()
    }

    #[test]
    fn reporters_count_once_per_channel_while_their_latest_report_is_in_the_window() {
        let mut tally = Tally::default();
        tally.take(&[
            report(1, Channel::Atm, "a", 0, true),
            report(2, Channel::Atm, "a", 12, true),
            report(3, Channel::Atm, "b", 1, true),
            report(4, Channel::Mobile, "a", 2, true),
            report(5, Channel::Atm, "c", 3, false),
        ]);
        assert_eq!(
            tally.after(),
            Some(5),
            "a report that does not count is read past"
        );
        assert_eq!(
            count(&mut tally, -15),
            [(Channel::Mobile, 1), (Channel::Atm, 2)]
        );
        // Fifteen minutes on, only `a`'s second ATM report is left in the window.
        assert_eq!(count(&mut tally, 5), [(Channel::Atm, 1)]);
        tally.take(&[report(6, Channel::Mobile, "d", 16, true)]);
        assert_eq!(count(&mut tally, 13), [(Channel::Mobile, 1)]);
    }

    #[test]
    fn a_report_read_late_does_not_move_a_reporter_back() {
        let mut tally = Tally::default();
        tally.take(&[report(7, Channel::Web, "a", 10, true)]);
        tally.take(&[report(8, Channel::Web, "a", 4, true)]);
        assert_eq!(count(&mut tally, 8), [(Channel::Web, 1)]);
        assert!(Tally::default().counts(at(0)).is_empty());
    }

    #[test]
    fn a_deleted_latest_report_sends_its_reporter_back_to_be_read() {
        let mut tally = Tally::default();
        let first = report(1, Channel::Atm, "a", 0, true);
        let second = report(2, Channel::Atm, "a", 11, true);
        tally.take(&[
            first.clone(),
            second.clone(),
            report(3, Channel::Atm, "b", 1, true),
        ]);

        // Deleting `a`'s first report changes nothing: the second is its latest.
        assert!(tally
            .forget(&[deleted(first.clone(), 12)], at(12))
            .is_empty());
        assert_eq!(count(&mut tally, -3), [(Channel::Atm, 2)]);

        // Deleting the second sends `a` back to be read; read again, only the first counts.
        let again = tally.forget(
            &[deleted(first.clone(), 12), deleted(second.clone(), 13)],
            at(13),
        );
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].1, "a");
        tally.retake(&[deleted(first.clone(), 12), deleted(second.clone(), 13)]);
        assert_eq!(
            count(&mut tally, -3),
            [(Channel::Atm, 1)],
            "only `b` is left"
        );

        // Read again within the slack, the same deletions change nothing.
        tally.take(&[report(4, Channel::Atm, "a", 14, true)]);
        assert!(tally
            .forget(
                &[deleted(first, 12), deleted(second, 13)],
                at(13) + chrono::Duration::seconds(5)
            )
            .is_empty());
        assert_eq!(count(&mut tally, -3), [(Channel::Atm, 2)]);
    }

    #[test]
    fn reading_a_reporter_again_does_not_take_in_reports_still_to_be_read() {
        let mut tally = Tally::default();
        tally.take(&[report(1, Channel::Web, "a", 0, true)]);
        tally.retake(&[report(9, Channel::Web, "z", 1, true)]);
        assert_eq!(count(&mut tally, -1), [(Channel::Web, 1)]);
        assert_eq!(tally.after(), Some(1));
        // A deletion of a report not yet taken in sends no one back.
        assert!(tally
            .forget(&[deleted(report(5, Channel::Web, "a", 2, true), 3)], at(3))
            .is_empty());
        assert_eq!(
            tally.deletions_from(at(4)),
            at(3) - DELETIONS_SLACK,
            "deletions are read on from the last read, less the slack"
        );
    }
}
