//! The window book: the announced maintenance windows the engine follows, which of them is
//! in force for a bank's channel, the steps each takes on the clock, and which one an
//! outage overran. Pure: time is passed in.

use chrono::{DateTime, Utc};

use crate::config::MaintenanceDecl;
use crate::domain::{Channel, IncidentState};
use crate::store::{NewWindow, WindowRow};

/// `scheduled` before the start, `in_progress` until the end, `completed` after.
pub fn state_at(starts: DateTime<Utc>, ends: DateTime<Utc>, now: DateTime<Utc>) -> IncidentState {
    if now < starts {
        IncidentState::Scheduled
    } else if now < ends {
        IncidentState::InProgress
    } else {
        IncidentState::Completed
    }
}

/// Identifies a config window by what defines it: bank, channels and times.
fn config_key(d: &MaintenanceDecl) -> String {
    let channels: Vec<&str> = d.channels.iter().map(|c| c.as_str()).collect();
    format!(
        "{}|{}|{}|{}",
        d.bank,
        channels.join(","),
        d.starts.timestamp(),
        d.ends.timestamp()
    )
}

/// The config file's windows as announcements, keyed so that each is announced once,
/// whatever the number of restarts.
pub fn config_windows(decls: &[MaintenanceDecl]) -> Vec<NewWindow> {
    decls
        .iter()
        .map(|d| NewWindow {
            bank: d.bank.clone(),
            channels: d.channels.clone(),
            starts: d.starts,
            ends: d.ends,
            title: d.title.clone(),
            source: d.source.clone(),
            config_key: Some(config_key(d)),
        })
        .collect()
}

/// A window moving to a new state at a given time.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub window: i64,
    pub state: IncidentState,
    pub at: DateTime<Utc>,
}

/// The windows still to follow, and those recently ended (for overruns).
#[derive(Debug, Default)]
pub struct WindowBook {
    windows: Vec<WindowRow>,
}

impl WindowBook {
    /// Takes the windows as the database has them now; returns those that were open and are
    /// now completed: the operator closed them early.
    pub fn replace(&mut self, windows: Vec<WindowRow>) -> Vec<WindowRow> {
        let closed = windows
            .iter()
            .filter(|w| w.state == IncidentState::Completed)
            .filter(|w| {
                self.windows.iter().any(|old| {
                    old.incident_id == w.incident_id && old.state != IncidentState::Completed
                })
            })
            .cloned()
            .collect();
        self.windows = windows;
        closed
    }

    pub fn get(&self, id: i64) -> Option<&WindowRow> {
        self.windows.iter().find(|w| w.incident_id == id)
    }

    /// The window in force for this channel at `now`, if any.
    pub fn active(&self, bank: &str, channel: Channel, now: DateTime<Utc>) -> Option<&WindowRow> {
        self.windows
            .iter()
            .find(|w| w.covers(bank, channel) && w.active_at(now))
    }

    /// The channels of `bank` under a window at `now`.
    pub fn active_channels<'a>(
        &'a self,
        bank: &'a str,
        now: DateTime<Utc>,
    ) -> impl Iterator<Item = Channel> + 'a {
        self.windows
            .iter()
            .filter(move |w| w.bank == bank && w.active_at(now))
            .flat_map(|w| w.channels.iter().copied())
    }

    /// The window of this channel that ended after `failing_since` and before `at`: an
    /// outage then is that window's overrun. Returns its id and announced end.
    pub fn overran(
        &self,
        bank: &str,
        channel: Channel,
        failing_since: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Option<(i64, DateTime<Utc>)> {
        self.windows
            .iter()
            .filter(|w| w.covers(bank, channel))
            .filter(|w| w.ends <= at && failing_since < w.ends)
            .max_by_key(|w| w.ends)
            .map(|w| (w.incident_id, w.ends))
    }

    /// Moves every window to the state the clock gives it. A window caught up late (e.g.
    /// after downtime) takes every step it missed, each at the time it happened. Returns the
    /// steps and the windows that completed.
    pub fn follow(&mut self, now: DateTime<Utc>) -> (Vec<Step>, Vec<WindowRow>) {
        let mut steps = Vec::new();
        let mut completed = Vec::new();
        for w in &mut self.windows {
            let want = state_at(w.starts, w.ends, now);
            // Completed is final: a window cancelled by the operator stays so.
            if w.state == want || w.state == IncidentState::Completed {
                continue;
            }
            if w.state == IncidentState::Scheduled && want == IncidentState::Completed {
                steps.push(Step {
                    window: w.incident_id,
                    state: IncidentState::InProgress,
                    at: w.starts.min(now),
                });
            }
            let at = if want == IncidentState::Completed {
                w.ends
            } else {
                w.starts
            };
            steps.push(Step {
                window: w.incident_id,
                state: want,
                at: at.min(now),
            });
            w.state = want;
            if want == IncidentState::Completed {
                completed.push(w.clone());
            }
        }
        (steps, completed)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::Names;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 2, 13, h, 0, 0)
            .single()
            .expect("time")
    }

    fn window(id: i64, state: IncidentState) -> WindowRow {
        WindowRow {
            incident_id: id,
            bank: "cdm".into(),
            channels: vec![Channel::Web, Channel::Mobile],
            starts: at(16),
            ends: at(18),
            title: Names::default(),
            source: None,
            state,
            sequence: 0,
            cancelled_at: None,
            updated_at: at(10),
        }
    }

    #[test]
    fn state_follows_the_clock() {
        assert_eq!(state_at(at(15), at(17), at(14)), IncidentState::Scheduled);
        assert_eq!(state_at(at(15), at(17), at(15)), IncidentState::InProgress);
        assert_eq!(state_at(at(15), at(17), at(17)), IncidentState::Completed);
    }

    #[test]
    fn a_window_caught_up_late_takes_both_steps_at_their_times() {
        let mut book = WindowBook::default();
        book.replace(vec![window(1, IncidentState::Scheduled)]);
        assert!(book.active("cdm", Channel::Web, at(17)).is_some());
        assert!(book.active("cdm", Channel::Atm, at(17)).is_none());
        let (steps, completed) = book.follow(at(20));
        assert_eq!(
            steps,
            [
                Step {
                    window: 1,
                    state: IncidentState::InProgress,
                    at: at(16)
                },
                Step {
                    window: 1,
                    state: IncidentState::Completed,
                    at: at(18)
                }
            ]
        );
        assert_eq!(completed.len(), 1);
        assert!(book.follow(at(21)).0.is_empty(), "completed is final");
        assert_eq!(
            book.overran("cdm", Channel::Web, at(17), at(19)),
            Some((1, at(18)))
        );
        assert_eq!(book.overran("cdm", Channel::Web, at(18), at(19)), None);
    }

    #[test]
    fn a_window_closed_by_the_operator_is_reported_once() {
        let mut book = WindowBook::default();
        book.replace(vec![window(1, IncidentState::InProgress)]);
        let closed = book.replace(vec![window(1, IncidentState::Completed)]);
        assert_eq!(closed.len(), 1);
        assert!(book.active("cdm", Channel::Web, at(17)).is_none());
        assert!(book
            .replace(vec![window(1, IncidentState::Completed)])
            .is_empty());
    }
}
