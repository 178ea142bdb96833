//! The rules that turn probe results into channel statuses and incident transitions.
//! Pure: time comes from the results, so tests drive it without sleeping.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::domain::{Bank, Channel, Outcome, ProbeResult, ProbeSpec, ProbeTarget, Status};

/// What changed for a channel's probes; the engine turns these into incident updates.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    /// The channel's probes crossed their failure threshold.
    Down {
        bank: String,
        channel: Channel,
        started_at: DateTime<Utc>,
        at: DateTime<Utc>,
        status: Status,
        detail: String,
    },
    /// Still down, but now between partial and major outage the other way.
    Severity {
        bank: String,
        channel: Channel,
        at: DateTime<Utc>,
        status: Status,
    },
    /// Every probe of the channel recovered.
    Up {
        bank: String,
        channel: Channel,
        at: DateTime<Utc>,
    },
    NetworkCut {
        at: DateTime<Utc>,
    },
    NetworkRestored {
        at: DateTime<Utc>,
    },
}

#[derive(Debug)]
struct ProbeState {
    failures_before_outage: u32,
    successes_before_recovery: u32,
    failures: u32,
    successes: u32,
    /// Past the failure threshold and not yet recovered.
    down: bool,
    first_failure_at: Option<DateTime<Utc>>,
    last_detail: String,
    seen: bool,
    degraded: bool,
}

#[derive(Debug, Default)]
struct ChannelState {
    /// Ids of the channel's probes, so a result touches only its own channel.
    probes: Vec<String>,
    status: Option<Status>,
    since: Option<DateTime<Utc>>,
    /// The probes say outage (a `Down` was emitted and no `Up` yet).
    down: bool,
}

/// The state of every bank channel and control site.
#[derive(Debug)]
pub struct Tracker {
    probes: HashMap<String, ProbeState>,
    channels: BTreeMap<(String, Channel), ChannelState>,
    controls: HashMap<String, Option<bool>>,
    network_cut_since: Option<DateTime<Utc>>,
    /// Set when a status changed since the last `take_changed`.
    changed: bool,
}

/// What a channel's probes say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProbeStatus {
    pub status: Status,
    pub since: Option<DateTime<Utc>>,
}

impl Tracker {
    pub fn new(banks: &[Bank], controls: &[ProbeSpec]) -> Self {
        let mut probes = HashMap::new();
        let mut channels = BTreeMap::new();
        for bank in banks {
            for p in &bank.probes {
                if let ProbeTarget::Bank { bank, channel } = &p.target {
                    probes.insert(
                        p.id.clone(),
                        ProbeState {
                            failures_before_outage: p.failures_before_outage,
                            successes_before_recovery: p.successes_before_recovery,
                            failures: 0,
                            successes: 0,
                            down: false,
                            first_failure_at: None,
                            last_detail: String::new(),
                            seen: false,
                            degraded: false,
                        },
                    );
                    channels
                        .entry((bank.clone(), *channel))
                        .or_insert_with(ChannelState::default)
                        .probes
                        .push(p.id.clone());
                }
            }
        }
        Tracker {
            probes,
            channels,
            controls: controls.iter().map(|c| (c.id.clone(), None)).collect(),
            network_cut_since: None,
            changed: true,
        }
    }

    /// Whether any status changed since the last call: the snapshot must be published.
    pub fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    /// Takes back an outage found open at start-up: the channel counts as down until its
    /// probes recover.
    pub fn restore_down(&mut self, bank: &str, channel: Channel, since: DateTime<Utc>) {
        let Some(ids) = self
            .channels
            .get(&(bank.to_owned(), channel))
            .map(|c| c.probes.clone())
        else {
            return;
        };
        for id in ids {
            if let Some(p) = self.probes.get_mut(&id) {
                p.down = true;
                p.seen = true;
                p.failures = p.failures_before_outage;
                p.first_failure_at = Some(since);
            }
        }
        let status = self.compute(bank, channel);
        if let Some(ch) = self.channels.get_mut(&(bank.to_owned(), channel)) {
            ch.down = true;
            ch.since = Some(since);
            ch.status = Some(status);
        }
    }

    /// Sets whether the channel counts as down, so that a transition the engine failed to
    /// record is emitted again by the next result.
    pub fn set_down(&mut self, bank: &str, channel: Channel, down: bool) {
        if let Some(ch) = self.channels.get_mut(&(bank.to_owned(), channel)) {
            ch.down = down;
        }
    }

    /// Whether the channel's probes say outage.
    pub fn is_down(&self, bank: &str, channel: Channel) -> bool {
        self.channels
            .get(&(bank.to_owned(), channel))
            .is_some_and(|c| c.down)
    }

    /// Why the channel's probes fail, and since when, while they do.
    pub fn failure(&self, bank: &str, channel: Channel) -> Option<(DateTime<Utc>, String)> {
        let first = self
            .channel_probes(bank, channel)
            .filter(|p| p.down)
            .filter_map(|p| p.first_failure_at)
            .min()?;
        let detail = self
            .channel_probes(bank, channel)
            .find(|p| p.down)
            .map(|p| p.last_detail.clone())
            .unwrap_or_default();
        Some((first, detail))
    }

    pub fn network_cut_since(&self) -> Option<DateTime<Utc>> {
        self.network_cut_since
    }

    /// True while no control has answered yet: a bank failure cannot be judged then.
    fn controls_pending(&self) -> bool {
        !self.controls.is_empty() && self.controls.values().all(Option::is_none)
    }

    fn network_cut(&self) -> bool {
        !self.controls.is_empty() && self.controls.values().all(|v| *v == Some(false))
    }

    /// Applies one result. Marks it `counted = false` when its failure is put down to
    /// the tracker's own network. Returns what changed that must be recorded.
    pub fn apply(&mut self, result: &mut ProbeResult) -> Vec<Transition> {
        let mut out = Vec::new();
        match result.target.clone() {
            ProbeTarget::Control => {
                let was_cut = self.network_cut();
                self.controls
                    .insert(result.probe_id.clone(), Some(!result.outcome.is_down()));
                let cut = self.network_cut();
                if cut && !was_cut {
                    self.network_cut_since = Some(result.at);
                    out.push(Transition::NetworkCut { at: result.at });
                } else if !cut && was_cut {
                    self.network_cut_since = None;
                    out.push(Transition::NetworkRestored { at: result.at });
                }
                if cut != was_cut {
                    self.changed = true;
                    let keys: Vec<_> = self.channels.keys().cloned().collect();
                    for (bank, channel) in keys {
                        self.refresh(&bank, channel, result.at, &mut out);
                    }
                }
            }
            ProbeTarget::Bank { bank, channel } => {
                // Already put down to the network of the instance that ran it.
                if !result.counted {
                    return out;
                }
                if result.outcome.is_down() && (self.network_cut() || self.controls_pending()) {
                    result.counted = false;
                    return out;
                }
                let Some(p) = self.probes.get_mut(&result.probe_id) else {
                    return out;
                };
                p.seen = true;
                match &result.outcome {
                    Outcome::Down { detail, .. } => {
                        p.successes = 0;
                        p.failures = p.failures.saturating_add(1);
                        p.first_failure_at.get_or_insert(result.at);
                        p.last_detail.clone_from(detail);
                        p.degraded = false;
                        if p.failures >= p.failures_before_outage {
                            p.down = true;
                        }
                    }
                    ok => {
                        p.degraded = matches!(ok, Outcome::Degraded);
                        p.failures = 0;
                        if p.down {
                            p.successes += 1;
                            if p.successes >= p.successes_before_recovery {
                                p.down = false;
                                p.successes = 0;
                                p.first_failure_at = None;
                            }
                        } else {
                            p.first_failure_at = None;
                        }
                    }
                }
                self.refresh(&bank, channel, result.at, &mut out);
            }
        }
        out
    }

    /// The probes of one channel.
    fn channel_probes(&self, bank: &str, channel: Channel) -> impl Iterator<Item = &ProbeState> {
        self.channels
            .get(&(bank.to_owned(), channel))
            .into_iter()
            .flat_map(|c| c.probes.iter())
            .filter_map(|id| self.probes.get(id))
    }

    /// The status of a channel from its probes, ignoring the network.
    fn compute(&self, bank: &str, channel: Channel) -> Status {
        let probes: Vec<&ProbeState> = self
            .channel_probes(bank, channel)
            .filter(|p| p.seen)
            .collect();
        let down = probes.iter().filter(|p| p.down).count();
        if probes.is_empty() {
            Status::Unknown
        } else if down == probes.len() {
            Status::MajorOutage
        } else if down > 0 {
            Status::PartialOutage
        } else if probes.iter().any(|p| p.degraded) {
            Status::Degraded
        } else {
            Status::Operational
        }
    }

    fn refresh(
        &mut self,
        bank: &str,
        channel: Channel,
        at: DateTime<Utc>,
        out: &mut Vec<Transition>,
    ) {
        let status = if self.network_cut() {
            Status::Unknown
        } else {
            self.compute(bank, channel)
        };
        let failure = self.failure(bank, channel);
        let Some(ch) = self.channels.get_mut(&(bank.to_owned(), channel)) else {
            return;
        };
        let before = ch.status;
        if before != Some(status) {
            self.changed = true;
            ch.status = Some(status);
            ch.since = Some(match (&failure, status.is_outage()) {
                (Some((first, _)), true) => *first,
                _ => at,
            });
        }
        // While the network is cut nothing opens or resolves: the tracker cannot tell.
        if status == Status::Unknown {
            return;
        }
        let bank = bank.to_owned();
        match (ch.down, status.is_outage()) {
            (false, true) => {
                ch.down = true;
                let (started_at, detail) = failure.unwrap_or((at, String::new()));
                out.push(Transition::Down {
                    bank,
                    channel,
                    started_at,
                    at,
                    status,
                    detail,
                });
            }
            (true, false) => {
                ch.down = false;
                out.push(Transition::Up { bank, channel, at });
            }
            (true, true) if before.is_some_and(Status::is_outage) && before != Some(status) => {
                out.push(Transition::Severity {
                    bank,
                    channel,
                    at,
                    status,
                });
            }
            _ => {}
        }
    }

    pub fn probe_status(&self, bank: &str, channel: Channel) -> Option<ProbeStatus> {
        self.channels
            .get(&(bank.to_owned(), channel))
            .map(|ch| ProbeStatus {
                status: ch.status.unwrap_or(Status::Unknown),
                since: ch.since,
            })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone;

    use super::*;
    use crate::domain::{ErrorClass, Names};

    fn spec(id: &str, channel: Channel) -> ProbeSpec {
        ProbeSpec {
            id: id.into(),
            target: ProbeTarget::Bank {
                bank: "bmce".into(),
                channel,
            },
            url: "http://127.0.0.1/".into(),
            method: "GET".into(),
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            expect_status: None,
            body_contains: None,
            degraded_after: None,
            failures_before_outage: 3,
            successes_before_recovery: 2,
        }
    }

    fn control() -> ProbeSpec {
        ProbeSpec {
            id: "control/0".into(),
            target: ProbeTarget::Control,
            ..spec("c", Channel::Web)
        }
    }

    fn tracker(with_control: bool) -> Tracker {
        let bank = Bank {
            slug: "bmce".into(),
            names: Names::new("بنك إفريقيا", "Bank of Africa", "Bank of Africa"),
            website: None,
            probes: vec![
                spec("bmce/web/0", Channel::Web),
                spec("bmce/web/1", Channel::Web),
            ],
        };
        let controls = if with_control {
            vec![control()]
        } else {
            vec![]
        };
        Tracker::new(&[bank], &controls)
    }

    fn result(id: &str, secs: i64, down: bool) -> ProbeResult {
        let target = if id.starts_with("control") {
            ProbeTarget::Control
        } else {
            ProbeTarget::Bank {
                bank: "bmce".into(),
                channel: Channel::Web,
            }
        };
        ProbeResult {
            probe_id: id.into(),
            target,
            at: Utc
                .timestamp_opt(1_770_000_000 + secs, 0)
                .single()
                .expect("time"),
            latency_ms: 5,
            http_status: Some(if down { 500 } else { 200 }),
            outcome: if down {
                Outcome::Down {
                    class: ErrorClass::Status,
                    detail: "HTTP 500".into(),
                }
            } else {
                Outcome::Up
            },
            counted: true,
        }
    }

    fn feed(t: &mut Tracker, id: &str, secs: i64, down: bool) -> Vec<Transition> {
        t.apply(&mut result(id, secs, down))
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
    fn failures_do_not_count_while_the_network_is_cut() {
        let mut t = tracker(true);
        // Before any control answered, failures are not judged.
        let mut r = result("bmce/web/0", 0, true);
        assert!(t.apply(&mut r).is_empty());
        assert!(!r.counted);
        assert!(matches!(
            &feed(&mut t, "control/0", 1, true)[..],
            [Transition::NetworkCut { .. }]
        ));
        for s in 2..10 {
            assert!(feed(&mut t, "bmce/web/0", s, true).is_empty());
        }
        assert_eq!(
            t.probe_status("bmce", Channel::Web).map(|c| c.status),
            Some(Status::Unknown)
        );
        assert!(matches!(
            &feed(&mut t, "control/0", 10, false)[..],
            [Transition::NetworkRestored { .. }]
        ));
        feed(&mut t, "bmce/web/0", 11, true);
        feed(&mut t, "bmce/web/0", 12, true);
        assert!(matches!(
            &feed(&mut t, "bmce/web/0", 13, true)[..],
            [Transition::Down { .. }]
        ));
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
}
