//! A probe's failure and recovery thresholds: how many failures in a row put it down, how
//! many successes in a row bring it back, and what it last said of how it fails. One
//! [`ProbeState`] per probe and region; the tracker fuses them into a channel's status. A
//! check refused by the bank's protection is neither: it leaves both streaks as they were
//! and takes the probe's vote away until it gets through again.

use chrono::{DateTime, Utc};

use crate::domain::{Channel, ErrorClass, Outcome, ProbeResult};

/// A configured bank probe's thresholds and the channel it watches.
#[derive(Debug, Clone)]
pub(super) struct Thresholds {
    pub(super) failures_before_outage: u32,
    pub(super) successes_before_recovery: u32,
    /// The bank and channel the probe watches.
    pub(super) channel: (String, Channel),
}

/// One probe as run from one region: its current streak and whether it is down.
#[derive(Debug)]
pub(super) struct ProbeState {
    failures_before_outage: u32,
    successes_before_recovery: u32,
    failures: u32,
    successes: u32,
    /// Past the failure threshold and not yet recovered.
    pub(super) down: bool,
    pub(super) first_failure_at: Option<DateTime<Utc>>,
    pub(super) last_detail: String,
    /// The class of its last failure, while it fails.
    pub(super) last_class: Option<ErrorClass>,
    /// When the bank said it is back, on its last failure.
    pub(super) retry_after: Option<DateTime<Utc>>,
    /// It has a result of its own (or was restored down): it has a vote.
    pub(super) seen: bool,
    pub(super) degraded: bool,
    /// Its last check was refused by the bank's protection: it cannot see the bank, so it
    /// has no vote until a check gets through.
    pub(super) blocked: bool,
}

impl ProbeState {
    pub(super) fn new(spec: &Thresholds) -> Self {
        ProbeState {
            failures_before_outage: spec.failures_before_outage,
            successes_before_recovery: spec.successes_before_recovery,
            failures: 0,
            successes: 0,
            down: false,
            first_failure_at: None,
            last_detail: String::new(),
            last_class: None,
            retry_after: None,
            seen: false,
            degraded: false,
            blocked: false,
        }
    }

    /// A check refused by the bank's protection: says nothing of the bank, so neither
    /// streak moves, and nothing it said of the bank before is taken back.
    /// Returns whether it was seeing the bank until now.
    pub(super) fn block(&mut self) -> bool {
        !std::mem::replace(&mut self.blocked, true)
    }

    /// As after its failure threshold: it must see the channel recover like the others.
    pub(super) fn set_down(&mut self, since: DateTime<Utc>) {
        self.down = true;
        self.seen = true;
        self.failures = self.failures_before_outage;
        self.first_failure_at = Some(since);
    }

    /// Counts one result of this probe: a failure lengthens the failure streak and ends
    /// the success streak, and the other way round; crossing a threshold flips `down`.
    pub(super) fn count(&mut self, result: &ProbeResult) {
        self.seen = true;
        self.blocked = false;
        match &result.outcome {
            Outcome::Down { detail, class } => {
                self.successes = 0;
                self.failures = self.failures.saturating_add(1);
                self.first_failure_at.get_or_insert(result.at);
                self.last_detail.clone_from(detail);
                self.last_class = Some(*class);
                self.retry_after = result.evidence.retry_after;
                self.degraded = false;
                if self.failures >= self.failures_before_outage {
                    self.down = true;
                }
            }
            ok => {
                self.degraded = matches!(ok, Outcome::Degraded);
                self.failures = 0;
                self.last_class = None;
                self.retry_after = None;
                if self.down {
                    self.successes += 1;
                    if self.successes >= self.successes_before_recovery {
                        self.down = false;
                        self.successes = 0;
                        self.first_failure_at = None;
                    }
                } else {
                    self.first_failure_at = None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::super::fixtures::{feed, refused, result, time, tracker};
    use super::super::Transition;
    use super::*;
    use crate::domain::Status;

    fn state() -> ProbeState {
        ProbeState::new(&Thresholds {
            failures_before_outage: 3,
            successes_before_recovery: 2,
            channel: ("bmce".into(), Channel::Web),
        })
    }

    #[test]
    fn down_at_the_failure_threshold_dated_from_the_first_failure() {
        let mut p = state();
        p.count(&result("bmce/web/0", 0, true));
        p.count(&result("bmce/web/0", 1, true));
        assert!(!p.down);
        p.count(&result("bmce/web/0", 2, true));
        assert!(p.down);
        assert_eq!(p.first_failure_at, Some(time(0)));
        assert_eq!(p.last_class, Some(ErrorClass::Status));
        assert_eq!(p.last_detail, "HTTP 500");
    }

    #[test]
    fn up_after_the_recovery_threshold_and_not_before() {
        let mut p = state();
        for s in 0..3 {
            p.count(&result("bmce/web/0", s, true));
        }
        p.count(&result("bmce/web/0", 3, false));
        assert!(p.down, "one success is not a recovery");
        assert_eq!(p.last_class, None, "no longer failing, though still down");
        // A failure between two successes starts the recovery over.
        p.count(&result("bmce/web/0", 4, true));
        p.count(&result("bmce/web/0", 5, false));
        assert!(p.down);
        p.count(&result("bmce/web/0", 6, false));
        assert!(!p.down);
        assert_eq!(p.first_failure_at, None);
    }

    #[test]
    fn a_restored_probe_needs_the_full_recovery() {
        let mut p = state();
        p.set_down(time(0));
        assert!(p.down && p.seen);
        p.count(&result("bmce/web/0", 1, true));
        assert!(p.down);
        p.count(&result("bmce/web/0", 2, false));
        assert!(p.down);
        p.count(&result("bmce/web/0", 3, false));
        assert!(!p.down);
    }

    #[test]
    fn a_slow_answer_is_degraded_until_the_next_answer() {
        let mut p = state();
        let slow = ProbeResult {
            outcome: Outcome::Degraded,
            ..result("bmce/web/0", 0, false)
        };
        p.count(&slow);
        assert!(p.degraded && !p.down);
        p.count(&result("bmce/web/0", 1, false));
        assert!(!p.degraded);
    }

    #[test]
    fn a_refused_check_moves_neither_streak() {
        let mut p = state();
        p.count(&result("bmce/web/0", 0, true));
        p.count(&result("bmce/web/0", 1, true));
        p.block();
        assert!(p.blocked && !p.down);
        // The streak goes on from where it was: the third failure puts it down.
        p.count(&result("bmce/web/0", 2, true));
        assert!(p.down && !p.blocked);
        p.block();
        p.count(&result("bmce/web/0", 3, false));
        p.block();
        assert!(p.down, "one success, then nothing seen: still down");
        p.count(&result("bmce/web/0", 4, false));
        assert!(!p.down);
    }

    #[test]
    fn no_result_is_unknown_not_operational() {
        let t = tracker(false);
        assert_eq!(
            t.probe_status("bmce", Channel::Web).map(|c| c.status),
            Some(Status::Unknown)
        );
    }

    #[test]
    fn opens_after_threshold_and_resolves_after_successes() {
        let mut t = tracker(false);
        assert!(feed(&mut t, "bmce/web/0", 0, true).is_empty());
        assert!(feed(&mut t, "bmce/web/0", 1, true).is_empty());
        let opened = feed(&mut t, "bmce/web/0", 2, true);
        assert!(
            matches!(&opened[..], [Transition::Down { status: Status::MajorOutage, started_at, .. }]
                if started_at.timestamp() == 1_770_000_000),
            "{opened:?}"
        );
        // The other probe answers: only part of the channel is down.
        let eased = feed(&mut t, "bmce/web/1", 3, false);
        assert!(
            matches!(
                &eased[..],
                [Transition::Severity {
                    status: Status::PartialOutage,
                    ..
                }]
            ),
            "{eased:?}"
        );
        assert!(feed(&mut t, "bmce/web/0", 4, false).is_empty());
        let resolved = feed(&mut t, "bmce/web/0", 5, false);
        assert!(
            matches!(&resolved[..], [Transition::Up { .. }]),
            "{resolved:?}"
        );
        assert_eq!(
            t.probe_status("bmce", Channel::Web).map(|c| c.status),
            Some(Status::Operational)
        );
    }

    #[test]
    fn a_success_resets_the_failure_streak() {
        let mut t = tracker(false);
        feed(&mut t, "bmce/web/0", 0, true);
        feed(&mut t, "bmce/web/0", 1, true);
        feed(&mut t, "bmce/web/0", 2, false);
        feed(&mut t, "bmce/web/0", 3, true);
        assert!(feed(&mut t, "bmce/web/0", 4, true).is_empty());
    }

    #[test]
    fn restored_incident_resolves_after_successes() {
        let mut t = tracker(false);
        let since = Utc.timestamp_opt(1_770_000_000, 0).single().expect("time");
        t.restore_down("bmce", Channel::Web, since);
        assert_eq!(
            t.probe_status("bmce", Channel::Web).map(|c| c.status),
            Some(Status::MajorOutage)
        );
        for (i, id) in ["bmce/web/0", "bmce/web/1"].iter().enumerate() {
            feed(&mut t, id, 10 + i as i64, false);
        }
        let mut last = Vec::new();
        for (i, id) in ["bmce/web/0", "bmce/web/1"].iter().enumerate() {
            last = feed(&mut t, id, 20 + i as i64, false);
        }
        assert!(matches!(&last[..], [Transition::Up { .. }]), "{last:?}");
    }

    #[test]
    fn a_refused_channel_is_unknown_and_opens_nothing() {
        let mut t = tracker(true);
        let mut transitions = Vec::new();
        for s in 0..6 {
            for id in ["bmce/web/0", "bmce/web/1"] {
                let applied = t.apply(refused(id, s));
                // Stored as not counted, judged at once: the refusal proves the network.
                assert!(
                    matches!(&applied.judged[..], [r] if !r.counted),
                    "{:?}",
                    applied.judged
                );
                transitions.extend(applied.transitions);
            }
        }
        assert!(transitions.is_empty(), "{transitions:?}");
        assert_eq!(t.waiting(), 0);
        let p = t.probe_status("bmce", Channel::Web).expect("probed");
        assert_eq!(p.status, Status::Unknown);
        assert_eq!(p.class, Some(ErrorClass::Blocked));
        // One probe gets through: it alone judges the channel.
        t.apply(result("control/0", 6, false));
        feed(&mut t, "bmce/web/0", 7, false);
        let p = t.probe_status("bmce", Channel::Web).expect("probed");
        assert_eq!((p.status, p.class), (Status::Operational, None));
    }

    #[test]
    fn a_refused_check_neither_resolves_nor_deepens_an_outage() {
        let mut t = tracker(false);
        for s in 0..3 {
            feed(&mut t, "bmce/web/0", s, true);
            feed(&mut t, "bmce/web/1", s, true);
        }
        assert!(t.is_down("bmce", Channel::Web));
        for s in 3..10 {
            for id in ["bmce/web/0", "bmce/web/1"] {
                assert!(t.apply(refused(id, s)).transitions.is_empty());
            }
        }
        assert!(t.is_down("bmce", Channel::Web), "the incident stays open");
        assert_eq!(
            t.probe_status("bmce", Channel::Web).map(|p| p.status),
            Some(Status::Unknown)
        );
        // Through again and answering: the usual recovery.
        feed(&mut t, "bmce/web/0", 10, false);
        feed(&mut t, "bmce/web/1", 10, false);
        feed(&mut t, "bmce/web/0", 11, false);
        let up = feed(&mut t, "bmce/web/1", 11, false);
        assert!(matches!(&up[..], [Transition::Up { .. }]), "{up:?}");
    }

    #[test]
    fn a_refusal_read_back_as_not_counted_still_takes_the_vote() {
        // With several instances, the one that ran the check stored it as not counted;
        // the engine reading it back must still see the probe refused.
        let mut t = tracker(false).judged_at_source();
        feed(&mut t, "bmce/web/0", 0, false);
        for s in 1..4 {
            for id in ["bmce/web/0", "bmce/web/1"] {
                let r = ProbeResult {
                    counted: false,
                    ..refused(id, s)
                };
                assert!(t.apply(r).transitions.is_empty());
            }
        }
        let p = t.probe_status("bmce", Channel::Web).expect("probed");
        assert_eq!(
            (p.status, p.class),
            (Status::Unknown, Some(ErrorClass::Blocked))
        );
    }

    #[test]
    fn a_refused_control_still_answered() {
        let mut t = tracker(true);
        let mut opened = Vec::new();
        for s in 0..4 {
            t.apply(refused("control/0", s));
            opened.extend(feed(&mut t, "bmce/web/0", s, true));
            opened.extend(feed(&mut t, "bmce/web/1", s, true));
        }
        // The bank's failures count: its outage opens as if the control had answered.
        assert!(t.network_cut_since().is_none());
        assert!(
            matches!(opened.first(), Some(Transition::Down { .. })),
            "{opened:?}"
        );
    }
}
