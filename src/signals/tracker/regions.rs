//! Regions and quorum. Results come from vantage points (regions): the service's own
//! instances and its agents. Each region judges a channel from its own probes while its
//! controls answer and it is not silent; when two regions or more judge a channel, an
//! outage needs a quorum of them.

use chrono::{DateTime, Duration, Utc};

use super::controls::Controls;
use crate::domain::Status;

/// One vantage point.
#[derive(Debug)]
pub(super) struct Region {
    /// What its controls and answers say of its network.
    pub(super) controls: Controls,
    /// Its latest result; `MIN_UTC` until it is heard from.
    pub(super) last_at: DateTime<Utc>,
}

impl Region {
    pub(super) fn new(control_ids: &[String]) -> Self {
        Region {
            controls: Controls::new(control_ids),
            last_at: DateTime::<Utc>::MIN_UTC,
        }
    }

    /// Heard from at least once.
    pub(super) fn heard(&self) -> bool {
        self.last_at > DateTime::<Utc>::MIN_UTC
    }

    /// Heard from before, but not for `stale_after` by `latest` (its agent stopped).
    pub(super) fn silent(&self, latest: DateTime<Utc>, stale_after: Duration) -> bool {
        self.heard() && latest - self.last_at > stale_after
    }

    /// Whether its checks count at `latest`: its controls answer and it is not silent.
    pub(super) fn judges(&self, latest: DateTime<Utc>, stale_after: Duration) -> bool {
        !self.controls.cut() && latest - self.last_at <= stale_after
    }
}

/// A region as pages show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RegionNow {
    pub name: String,
    /// Set while its own controls fail: its checks are left out.
    pub cut_since: Option<DateTime<Utc>>,
    /// Its latest result.
    pub last_at: DateTime<Utc>,
}

/// What one region says of a channel from its probes that have a vote: `seen` of them,
/// `down` of those past their failure threshold, and whether any answered slowly.
pub(super) fn vote(seen: usize, down: usize, degraded: bool) -> Status {
    if down == seen {
        Status::MajorOutage
    } else if down > 0 {
        Status::PartialOutage
    } else if degraded {
        Status::Degraded
    } else {
        Status::Operational
    }
}

/// The status the regions' votes give: one region's own verdict, or, from two regions or
/// more, an outage only when `quorum` of them (or all, when fewer vote) see one.
pub(super) fn verdict(votes: &[(&str, Status)], quorum: usize) -> Status {
    match votes {
        [] => Status::Unknown,
        [(_, status)] => *status,
        _ => {
            let down = votes.iter().filter(|(_, s)| s.is_outage()).count();
            if down >= quorum.min(votes.len()) {
                if votes.iter().all(|(_, s)| *s == Status::MajorOutage) {
                    Status::MajorOutage
                } else {
                    Status::PartialOutage
                }
            } else {
                Status::worst(votes.iter().map(|(_, s)| *s).filter(|s| !s.is_outage()))
            }
        }
    }
}

/// The regions that vote "down", when more than one votes.
pub(super) fn down_of(votes: &[(&str, Status)]) -> Vec<String> {
    if votes.len() < 2 {
        return Vec::new();
    }
    votes
        .iter()
        .filter(|(_, s)| s.is_outage())
        .map(|(r, _)| (*r).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{feed, from, time, tracker};
    use super::super::Transition;
    use super::*;
    use crate::domain::Channel;

    use Status::{Degraded, MajorOutage, Operational, PartialOutage, Unknown};

    #[test]
    fn a_region_votes_by_how_many_of_its_probes_are_down() {
        assert_eq!(vote(2, 2, false), MajorOutage);
        assert_eq!(vote(2, 1, false), PartialOutage);
        assert_eq!(vote(2, 0, true), Degraded);
        assert_eq!(vote(2, 0, false), Operational);
    }

    #[test]
    fn one_region_decides_alone_and_several_need_a_quorum() {
        assert_eq!(verdict(&[], 2), Unknown);
        assert_eq!(verdict(&[("rabat", PartialOutage)], 2), PartialOutage);
        let one_of_three = [
            ("casa", MajorOutage),
            ("fes", Degraded),
            ("rabat", Operational),
        ];
        assert_eq!(verdict(&one_of_three, 2), Degraded);
        assert_eq!(verdict(&one_of_three, 1), PartialOutage);
        let all_down = [("casa", MajorOutage), ("fes", MajorOutage)];
        assert_eq!(verdict(&all_down, 2), MajorOutage);
        // A quorum larger than the regions voting asks for all of them.
        let mixed = [("casa", MajorOutage), ("fes", PartialOutage)];
        assert_eq!(verdict(&mixed, 5), PartialOutage);
    }

    #[test]
    fn regions_are_named_down_only_when_several_vote() {
        assert!(down_of(&[("casa", MajorOutage)]).is_empty());
        assert_eq!(
            down_of(&[
                ("casa", MajorOutage),
                ("fes", Operational),
                ("rabat", PartialOutage)
            ]),
            ["casa", "rabat"]
        );
    }

    #[test]
    fn a_region_falls_silent_after_stale_after() {
        let stale_after = Duration::seconds(30);
        let mut r = Region::new(&[]);
        assert!(!r.silent(time(1_000), stale_after), "never heard");
        r.last_at = time(0);
        assert!(!r.silent(time(30), stale_after));
        assert!(r.judges(time(30), stale_after));
        assert!(r.silent(time(31), stale_after));
        assert!(!r.judges(time(31), stale_after));
    }

    #[test]
    fn a_cut_region_does_not_judge() {
        let mut r = Region::new(&["control/0".to_owned()]);
        r.last_at = time(0);
        r.controls.cut_since = Some(time(0));
        assert!(!r.judges(time(0), Duration::seconds(30)));
    }

    #[test]
    fn an_outage_seen_from_several_regions_needs_a_quorum() {
        let mut t = tracker(false).vantage("rabat", 2);
        for s in 0..3 {
            for id in ["bmce/web/0", "bmce/web/1"] {
                feed(&mut t, id, s, false);
                t.apply(from("casa", id, s, false));
                t.apply(from("fes", id, s, false));
            }
        }
        // casa alone sees it down: one region of three is no quorum.
        for s in 3..8 {
            for id in ["bmce/web/0", "bmce/web/1"] {
                assert!(t.apply(from("casa", id, s, true)).transitions.is_empty());
                feed(&mut t, id, s, false);
            }
        }
        assert_eq!(
            t.probe_status("bmce", Channel::Web).map(|c| c.status),
            Some(Status::Operational)
        );
        // fes agrees: down, naming both.
        let mut opened = Vec::new();
        for s in 8..11 {
            for id in ["bmce/web/0", "bmce/web/1"] {
                t.apply(from("casa", id, s, true));
                opened.extend(t.apply(from("fes", id, s, true)).transitions);
            }
        }
        assert!(
            matches!(&opened[..], [Transition::Down { status: Status::PartialOutage, regions, .. }]
                if regions == &["casa", "fes"]),
            "{opened:?}"
        );
        assert_eq!(t.regions().len(), 3);
    }

    #[test]
    fn a_region_whose_controls_fail_is_left_out() {
        let mut t = tracker(true).vantage("rabat", 2);
        feed(&mut t, "control/0", 0, false);
        t.apply(from("casa", "control/0", 0, true));
        t.apply(from("fes", "control/0", 0, false));
        let mut all = Vec::new();
        for s in 1..6 {
            for id in ["bmce/web/0", "bmce/web/1"] {
                all.extend(feed(&mut t, id, s, false));
                all.extend(t.apply(from("casa", id, s, true)).transitions);
                all.extend(t.apply(from("fes", id, s, true)).transitions);
            }
        }
        // casa is cut off, so fes alone disagrees with rabat: no outage.
        assert!(
            !all.iter().any(|t| matches!(t, Transition::Down { .. })),
            "{all:?}"
        );
        let casa = t.regions().into_iter().find(|r| r.name == "casa").unwrap();
        assert!(casa.cut_since.is_some());
        assert!(t.network_cut_since().is_none());
    }
}
