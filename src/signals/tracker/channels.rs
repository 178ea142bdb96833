//! A channel's transitions: given the status its probes now give, whether it goes down,
//! comes back, or changes between partial and major outage. Nothing opens or resolves
//! while no region can judge (the status is unknown): the tracker cannot tell then.

use chrono::{DateTime, Utc};

use super::{Transition, Why};
use crate::domain::{Channel, Status};

/// A probe as run from one region: its id and the region's name.
pub(super) type ProbeKey = (String, String);

/// One bank channel: its probes in every region and what they last said together.
#[derive(Debug, Default)]
pub(super) struct ChannelState {
    /// The channel's probes in every region heard from, so a result touches only its own
    /// channel.
    pub(super) probes: Vec<ProbeKey>,
    pub(super) status: Option<Status>,
    pub(super) since: Option<DateTime<Utc>>,
    /// The probes say outage (a `Down` was emitted and no `Up` yet).
    pub(super) down: bool,
}

/// What the probes of a channel say at one instant, across the regions that judge it.
#[derive(Debug)]
pub(super) struct Judgement {
    pub(super) status: Status,
    /// Since when and how its probes fail, while they do.
    pub(super) failure: Option<(DateTime<Utc>, Why)>,
    /// The regions that see it down, when more than one judges it.
    pub(super) regions: Vec<String>,
}

impl ChannelState {
    /// Takes the channel's judgement at `at`. Returns whether its status changed (pages
    /// must be published again) and the transition it makes, if any. An outage is dated
    /// from its first failure; any other status from `at`.
    pub(super) fn judge(
        &mut self,
        bank: &str,
        channel: Channel,
        now: Judgement,
        at: DateTime<Utc>,
    ) -> (bool, Option<Transition>) {
        let Judgement {
            status,
            failure,
            regions,
        } = now;
        let before = self.status;
        let changed = before != Some(status);
        if changed {
            self.status = Some(status);
            self.since = Some(match (&failure, status.is_outage()) {
                (Some((first, _)), true) => *first,
                _ => at,
            });
        }
        if status == Status::Unknown {
            return (changed, None);
        }
        let bank = bank.to_owned();
        let transition = match (self.down, status.is_outage()) {
            (false, true) => {
                self.down = true;
                let (started_at, why) = failure.unwrap_or((at, Why::default()));
                Some(Transition::Down {
                    bank,
                    channel,
                    started_at,
                    at,
                    status,
                    why,
                    regions,
                })
            }
            (true, false) => {
                self.down = false;
                Some(Transition::Up { bank, channel, at })
            }
            (true, true) if before.is_some_and(Status::is_outage) && changed => {
                Some(Transition::Severity {
                    bank,
                    channel,
                    at,
                    status,
                })
            }
            _ => None,
        };
        (changed, transition)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::time;
    use super::*;

    fn judge(ch: &mut ChannelState, status: Status, secs: i64) -> (bool, Option<Transition>) {
        let failure = status.is_outage().then(|| (time(0), Why::default()));
        let now = Judgement {
            status,
            failure,
            regions: Vec::new(),
        };
        ch.judge("bmce", Channel::Web, now, time(secs))
    }

    #[test]
    fn an_outage_goes_down_once_dated_from_its_first_failure() {
        let mut ch = ChannelState::default();
        assert!(matches!(
            judge(&mut ch, Status::Operational, 0),
            (true, None)
        ));
        let (changed, t) = judge(&mut ch, Status::MajorOutage, 5);
        assert!(changed);
        assert!(
            matches!(&t, Some(Transition::Down { started_at, at, .. })
                if *started_at == time(0) && *at == time(5)),
            "{t:?}"
        );
        assert_eq!(ch.since, Some(time(0)));
        assert!(ch.down);
        assert!(matches!(
            judge(&mut ch, Status::MajorOutage, 6),
            (false, None)
        ));
    }

    #[test]
    fn between_outage_levels_is_a_severity_change() {
        let mut ch = ChannelState::default();
        judge(&mut ch, Status::MajorOutage, 0);
        let (_, t) = judge(&mut ch, Status::PartialOutage, 1);
        assert!(
            matches!(
                t,
                Some(Transition::Severity {
                    status: Status::PartialOutage,
                    ..
                })
            ),
            "{t:?}"
        );
        let (_, t) = judge(&mut ch, Status::Degraded, 2);
        assert!(matches!(t, Some(Transition::Up { .. })), "{t:?}");
        assert!(!ch.down);
        assert_eq!(ch.since, Some(time(2)));
    }

    #[test]
    fn unknown_neither_opens_nor_resolves() {
        let mut ch = ChannelState::default();
        judge(&mut ch, Status::MajorOutage, 0);
        let (changed, t) = judge(&mut ch, Status::Unknown, 1);
        assert!(changed && t.is_none());
        assert!(ch.down, "still down until a region can judge again");
        // Judged again, still down: no second `Down`, and no severity change from unknown.
        assert!(matches!(
            judge(&mut ch, Status::PartialOutage, 2),
            (true, None)
        ));
        let (_, t) = judge(&mut ch, Status::Operational, 3);
        assert!(matches!(t, Some(Transition::Up { .. })), "{t:?}");
    }

    #[test]
    fn a_channel_set_down_emits_its_up_again() {
        let mut ch = ChannelState {
            down: true,
            status: Some(Status::Operational),
            ..Default::default()
        };
        let (changed, t) = judge(&mut ch, Status::Operational, 0);
        assert!(!changed);
        assert!(matches!(t, Some(Transition::Up { .. })), "{t:?}");
    }
}
