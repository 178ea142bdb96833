//! Controls and network cuts: whether a region's bank failures are the bank's or its own
//! network's. Controls are sites that should always answer; a bank failure waits until
//! something has had its word after it. It counts once anything answered at or after it,
//! and is the network's once every control failed after it with nothing answering. A
//! region is cut while every control fails and nothing answers; its checks are left out.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Duration, Utc};

use crate::domain::ProbeResult;

/// Bank failures a region keeps waiting for the controls' word, at most; past this the
/// oldest is put down to the network (it cannot be judged).
pub(super) const MAX_WAITING: usize = 50_000;

/// What one control said last from a region.
#[derive(Debug, Default, Clone, Copy)]
struct ControlSeen {
    /// Its last answer: when, and whether it answered; `None` before its first.
    last: Option<(DateTime<Utc>, bool)>,
    /// The first failure of its current run of failures.
    failing_since: Option<DateTime<Utc>>,
}

/// What the controls and answers of a region say of one failure at `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    Counts,
    Network,
    Wait,
}

/// What a region's controls and answers say of its own network, with the bank failures
/// waiting for their word.
#[derive(Debug)]
pub(super) struct Controls {
    seen: HashMap<String, ControlSeen>,
    /// Set while the region is cut off: since every control has been failing.
    pub(super) cut_since: Option<DateTime<Utc>>,
    /// The latest time anything answered from here, a bank or a control: the network
    /// worked then.
    answered_at: DateTime<Utc>,
    /// Bank failures not yet counted or put down to the network, oldest first.
    waiting: VecDeque<ProbeResult>,
}

impl Controls {
    /// A region's controls before their first result.
    pub(super) fn new(ids: &[String]) -> Self {
        Controls {
            seen: ids
                .iter()
                .map(|c| (c.clone(), ControlSeen::default()))
                .collect(),
            cut_since: None,
            answered_at: DateTime::<Utc>::MIN_UTC,
            waiting: VecDeque::new(),
        }
    }

    /// Control `id` answered (`up`) or failed at `at`.
    pub(super) fn heard(&mut self, id: &str, at: DateTime<Utc>, up: bool) {
        let seen = self.seen.entry(id.to_owned()).or_default();
        seen.last = Some((at, up));
        if up {
            seen.failing_since = None;
            self.answered(at);
        } else {
            seen.failing_since.get_or_insert(at);
        }
    }

    /// Something answered at `at`: the network worked then, and a control's failures
    /// before it no longer say the network is cut (only its failures after it can).
    pub(super) fn answered(&mut self, at: DateTime<Utc>) {
        self.answered_at = self.answered_at.max(at);
        for c in self.seen.values_mut() {
            if c.failing_since.is_some_and(|t| t < self.answered_at) {
                c.failing_since = None;
            }
        }
    }

    pub(super) fn cut(&self) -> bool {
        self.cut_since.is_some()
    }

    /// A failure counts once anything answered at or after it. It is the network's once
    /// every control failed after it and nothing answered for `grace` after that (the
    /// fastest bank's interval): a bank that answers proves the network works, so one
    /// dead control does not blind the tracker.
    /// A failure inside a cut already recognised is the network's, even when the first
    /// answer after the cut comes before the controls' word on it.
    pub(super) fn verdict(
        &self,
        at: DateTime<Utc>,
        latest: DateTime<Utc>,
        grace: Duration,
    ) -> Verdict {
        if self.seen.is_empty() {
            return Verdict::Counts;
        }
        if self.answered_at >= at {
            return match self.cut_since {
                Some(since) if at >= since => Verdict::Network,
                _ => Verdict::Counts,
            };
        }
        let failed_after: Option<Vec<DateTime<Utc>>> = self
            .seen
            .values()
            .map(|c| match c.last {
                Some((t, false)) if t >= at => Some(t),
                _ => None,
            })
            .collect();
        match failed_after.and_then(|t| t.into_iter().max()) {
            // Once cut, a control failing after it is enough.
            Some(last) if self.cut() || latest - last >= grace => Verdict::Network,
            _ => Verdict::Wait,
        }
    }

    /// Cut since every control has been failing, when nothing answered since, for
    /// `grace` at least.
    pub(super) fn cut_now(&self, latest: DateTime<Utc>, grace: Duration) -> Option<DateTime<Utc>> {
        if self.seen.is_empty() {
            return None;
        }
        let since = self
            .seen
            .values()
            .map(|c| match c.last {
                Some((_, false)) => c.failing_since,
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .max()?;
        (self.answered_at < since && latest - since >= grace).then_some(since)
    }

    /// Keeps a bank failure until the controls have had their word; past [`MAX_WAITING`],
    /// returns the oldest, put down to the network.
    pub(super) fn wait(&mut self, failure: ProbeResult) -> Option<ProbeResult> {
        self.waiting.push_back(failure);
        if self.waiting.len() > MAX_WAITING {
            return self.waiting.pop_front().map(|old| ProbeResult {
                counted: false,
                ..old
            });
        }
        None
    }

    /// Takes the waiting failures the controls and answers now speak for, in the order
    /// they came, each with whether it counts; and since when the region is cut, if it is.
    pub(super) fn settle(
        &mut self,
        latest: DateTime<Utc>,
        grace: Duration,
    ) -> (Vec<(ProbeResult, bool)>, Option<DateTime<Utc>>) {
        let mut decided = Vec::new();
        let mut waiting = VecDeque::with_capacity(self.waiting.len());
        for f in std::mem::take(&mut self.waiting) {
            match self.verdict(f.at, latest, grace) {
                Verdict::Counts => decided.push((f, true)),
                Verdict::Network => decided.push((f, false)),
                Verdict::Wait => waiting.push_back(f),
            }
        }
        self.waiting = waiting;
        (decided, self.cut_now(latest, grace))
    }

    pub(super) fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// The failures still waiting, put down to the network: they cannot be judged now.
    pub(super) fn drain(&mut self) -> impl Iterator<Item = ProbeResult> + '_ {
        self.waiting.drain(..).map(|f| ProbeResult {
            counted: false,
            ..f
        })
    }

    /// Forgets what the controls and answers said (the waiting failures stay): a region
    /// heard again after a silence starts afresh.
    pub(super) fn forget(&mut self) {
        self.seen
            .values_mut()
            .for_each(|v| *v = ControlSeen::default());
        self.cut_since = None;
        self.answered_at = DateTime::<Utc>::MIN_UTC;
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{result, take, time, tracker};
    use super::super::Transition;
    use super::*;
    use crate::domain::{Channel, Status};

    fn one_control() -> Controls {
        Controls::new(&["control/0".to_owned()])
    }

    #[test]
    fn without_controls_every_failure_counts() {
        let c = Controls::new(&[]);
        assert_eq!(
            c.verdict(time(0), time(10), Duration::seconds(1)),
            Verdict::Counts
        );
        assert_eq!(c.cut_now(time(10), Duration::zero()), None);
    }

    #[test]
    fn a_failure_waits_until_something_has_its_word_after_it() {
        let grace = Duration::seconds(2);
        let mut c = one_control();
        c.heard("control/0", time(0), true);
        assert_eq!(c.verdict(time(1), time(1), grace), Verdict::Wait);
        // The control fails after it, but the grace has not passed: a bank may yet answer.
        c.heard("control/0", time(2), false);
        assert_eq!(c.verdict(time(1), time(3), grace), Verdict::Wait);
        assert_eq!(c.verdict(time(1), time(4), grace), Verdict::Network);
        // Something answers at or after it instead: it counts.
        c.answered(time(1));
        assert_eq!(c.verdict(time(1), time(4), grace), Verdict::Counts);
    }

    #[test]
    fn cut_after_the_grace_with_nothing_answering() {
        let grace = Duration::seconds(2);
        let mut c = one_control();
        c.heard("control/0", time(0), true);
        c.heard("control/0", time(5), false);
        c.heard("control/0", time(6), false);
        assert_eq!(c.cut_now(time(6), grace), None);
        assert_eq!(c.cut_now(time(7), grace), Some(time(5)));
        // A bank that answers after the control's first failure proves the network works.
        c.answered(time(6));
        assert_eq!(c.cut_now(time(9), grace), None);
    }

    #[test]
    fn settle_keeps_order_and_reports_the_cut() {
        let grace = Duration::seconds(1);
        let mut c = one_control();
        c.heard("control/0", time(0), true);
        for s in 1..=3 {
            assert!(c.wait(result("bmce/web/0", s, true)).is_none());
        }
        c.heard("control/0", time(4), false);
        let (decided, cut) = c.settle(time(5), grace);
        let at: Vec<_> = decided
            .iter()
            .map(|(f, counted)| (f.at, *counted))
            .collect();
        assert_eq!(at, [(time(1), false), (time(2), false), (time(3), false)]);
        assert_eq!(cut, Some(time(4)));
        assert_eq!(c.waiting(), 0);
    }

    #[test]
    fn forgetting_keeps_the_waiting_failures() {
        let mut c = one_control();
        c.heard("control/0", time(0), false);
        c.wait(result("bmce/web/0", 1, true));
        c.cut_since = Some(time(0));
        c.forget();
        assert!(!c.cut());
        assert_eq!(c.cut_now(time(10), Duration::zero()), None);
        let left: Vec<_> = c.drain().collect();
        assert_eq!(left.len(), 1);
        assert!(!left[0].counted);
    }

    #[test]
    fn failures_wait_for_the_controls_and_a_cut_takes_them_back() {
        let mut t = tracker(true);
        take(&mut t, "control/0", 0, false);
        for s in 1..=3 {
            let a = take(&mut t, "bmce/web/0", s, true);
            assert!(a.transitions.is_empty() && a.judged.is_empty(), "waits");
        }
        assert_eq!(t.waiting(), 3);
        // The control, checked after them, fails too; nothing answers for an interval
        // after it: the network.
        let a = take(&mut t, "control/0", 4, true);
        assert!(a.transitions.is_empty(), "{a:?}");
        let a = take(&mut t, "bmce/web/0", 5, true);
        assert!(
            matches!(&a.transitions[..], [Transition::NetworkCut { .. }]),
            "{a:?}"
        );
        assert_eq!(a.judged.iter().filter(|r| !r.counted).count(), 3);
        assert_eq!(t.waiting(), 1);
        take(&mut t, "bmce/web/0", 6, true);
        let a = take(&mut t, "control/0", 7, true);
        assert_eq!(a.judged.iter().filter(|r| !r.counted).count(), 2);
        assert_eq!(
            t.probe_status("bmce", Channel::Web).map(|c| c.status),
            Some(Status::Unknown)
        );
        let a = take(&mut t, "control/0", 10, false);
        assert!(matches!(
            &a.transitions[..],
            [Transition::NetworkRestored { .. }]
        ));
        // After the cut: dated from the first failure after it.
        take(&mut t, "bmce/web/0", 11, true);
        take(&mut t, "bmce/web/0", 12, true);
        take(&mut t, "control/0", 12, false);
        take(&mut t, "bmce/web/0", 13, true);
        let a = take(&mut t, "control/0", 13, false);
        assert!(
            matches!(&a.transitions[..], [Transition::Down { started_at, .. }]
                if started_at.timestamp() == 1_770_000_011),
            "{a:?}"
        );
    }

    #[test]
    fn failures_inside_a_cut_are_the_networks_when_it_ends() {
        let mut t = tracker(true);
        take(&mut t, "control/0", 0, false);
        take(&mut t, "bmce/web/0", 1, true);
        take(&mut t, "control/0", 2, true);
        take(&mut t, "bmce/web/0", 3, true);
        assert!(t.network_cut_since().is_some());
        // Three failures the control has not spoken for, then the bank answers: the cut is
        // over, and what failed inside it is taken back.
        take(&mut t, "bmce/web/0", 4, true);
        take(&mut t, "bmce/web/1", 4, true);
        let a = take(&mut t, "bmce/web/1", 5, false);
        assert!(t.network_cut_since().is_none());
        let taken_back = a.judged.iter().filter(|r| !r.counted).count();
        assert_eq!(taken_back, 3, "{a:?}");
        assert!(
            !a.transitions
                .iter()
                .any(|t| matches!(t, Transition::Down { .. })),
            "{a:?}"
        );
    }

    #[test]
    fn one_dead_control_waits_for_the_banks_word() {
        let mut t = tracker(true);
        take(&mut t, "control/0", 0, true);
        take(&mut t, "bmce/web/1", 0, false);
        // web/0 fails, the control fails after it, and web/1 answers within the interval:
        // the failure counts.
        take(&mut t, "bmce/web/0", 1, true);
        assert!(take(&mut t, "control/0", 1, true)
            .judged
            .iter()
            .all(|r| r.probe_id == "control/0"));
        let a = take(&mut t, "bmce/web/1", 1, false);
        assert!(
            a.judged
                .iter()
                .any(|r| r.probe_id == "bmce/web/0" && r.counted),
            "{a:?}"
        );
        assert!(t.network_cut_since().is_none());
    }

    #[test]
    fn a_second_cut_before_the_control_answers_again_is_seen() {
        let mut t = tracker(true);
        take(&mut t, "control/0", 0, false);
        take(&mut t, "bmce/web/0", 1, true);
        take(&mut t, "control/0", 2, true);
        let a = take(&mut t, "bmce/web/0", 3, true);
        assert!(
            matches!(&a.transitions[..], [Transition::NetworkCut { .. }]),
            "{a:?}"
        );
        // The bank answers: the cut is over, though the control has not answered yet.
        let a = take(&mut t, "bmce/web/0", 3, false);
        assert!(t.network_cut_since().is_none(), "{a:?}");
        // Cut again: the control's next failure says so, and the failures wait for it.
        take(&mut t, "bmce/web/0", 4, true);
        take(&mut t, "bmce/web/0", 5, true);
        take(&mut t, "control/0", 6, true);
        let a = take(&mut t, "bmce/web/0", 7, true);
        assert!(
            matches!(&a.transitions[..], [Transition::NetworkCut { .. }]),
            "{a:?}"
        );
        assert_eq!(a.judged.iter().filter(|r| !r.counted).count(), 2);
        assert_eq!(
            t.network_cut_since().map(|t| t.timestamp()),
            Some(1_770_000_006)
        );
    }

    #[test]
    fn a_bank_that_answers_proves_the_network_works() {
        let mut t = tracker(true);
        // The only control fails, but a probe answers after it: no cut, statuses known.
        take(&mut t, "control/0", 0, true);
        take(&mut t, "bmce/web/1", 0, false);
        assert!(t.network_cut_since().is_none());
        let mut opened = Vec::new();
        for s in 1..=3 {
            // Each failure counts once the other probe answers after it.
            assert!(take(&mut t, "bmce/web/0", s, true).judged.is_empty());
            let a = take(&mut t, "bmce/web/1", s, false);
            assert!(a.judged.iter().all(|r| r.counted));
            opened.extend(a.transitions);
        }
        assert!(
            matches!(&opened[..], [Transition::Down { status: Status::PartialOutage, started_at, .. }]
                if started_at.timestamp() == 1_770_000_001),
            "{opened:?}"
        );
    }

    #[test]
    fn without_controls_failures_count_at_once() {
        let mut t = tracker(false);
        let a = take(&mut t, "bmce/web/0", 0, true);
        assert_eq!(a.judged.len(), 1);
        assert!(a.judged[0].counted);
        assert_eq!(t.waiting(), 0);
        // Drained at shutdown: nothing is left behind.
        let mut t = tracker(true);
        take(&mut t, "bmce/web/0", 0, true);
        let left = t.drain();
        assert_eq!(left.len(), 1);
        assert!(!left[0].counted);
    }
}
