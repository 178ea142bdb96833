//! The core's rules driven by hand: results, counts and windows go in with a manual clock,
//! and a small ledger stands in for the record, applying each effect as the engine would;
//! it answers the store's incidents story (`signals::ledger::story`) as the SQL does.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};

use super::Core;
use crate::clock::{Clock, ManualClock};
use crate::config::{self, Config};
use crate::domain::{
    Channel, Confidence, ErrorClass, IncidentKind, IncidentState, Names, OpenKey, Outcome,
    ProbeResult, ProbeTarget, Source, Status,
};
use crate::signals::effects::{Effect, Entry, Target};
use crate::signals::ledger::{self, Ledger, Line};
use crate::store::{
    IncidentRow, NewIncident, NewUpdate, Opened, ReportCount, SourceSeen, StoreError, StoreResult,
    WindowRow,
};

const CONFIG: &str = r#"
timezone = "Africa/Casablanca"
[reports]
window = "15m"
surge_floor = 3
[[banks]]
slug = "bmce"
name = { fr = "Bank of Africa" }
  [[banks.probes]]
  channel = "web"
  url = "http://127.0.0.1/web"
  interval = "1s"
  failures_before_outage = 2
  successes_before_recovery = 2
  [[banks.probes]]
  channel = "mobile"
  url = "http://127.0.0.1/app"
  interval = "1s"
  failures_before_outage = 2
  successes_before_recovery = 2
"#;

fn config() -> Config {
    config::parse(CONFIG, "test.toml").expect("test config")
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, 10, 9, 0, 0)
        .single()
        .expect("time")
}

fn web() -> OpenKey {
    OpenKey::new("bmce", Channel::Web)
}

fn check(probe: &str, channel: Channel, at: DateTime<Utc>, down: bool) -> ProbeResult {
    ProbeResult {
        probe_id: probe.to_owned(),
        target: ProbeTarget::Bank {
            bank: "bmce".into(),
            channel,
        },
        at,
        latency_ms: 12,
        http_status: Some(if down { 503 } else { 200 }),
        outcome: if down {
            Outcome::Down {
                class: ErrorClass::Status,
                detail: "HTTP 503".into(),
            }
        } else {
            Outcome::Up
        },
        counted: true,
        region: None,
        evidence: Default::default(),
        covers_ms: 1000,
    }
}

fn reporters(n: i64) -> Vec<ReportCount> {
    vec![ReportCount {
        bank: "bmce".into(),
        channel: Channel::Web,
        reporters: n,
    }]
}

/// The record as the engine would leave it: every effect applied as the engine writes it,
/// or refused while `failing` is set. It keeps the store's contract: it tells the same
/// story as the store (`the_fake_ledger_keeps_the_store_contract`).
#[derive(Default)]
struct FakeLedger {
    incidents: Vec<IncidentRow>,
    /// Each incident's timeline, as written.
    lines: HashMap<i64, Vec<Line>>,
    /// The catalogue id of each entry's first sentence, windows' entries included.
    words: HashMap<i64, Vec<String>>,
    failing: bool,
}

impl FakeLedger {
    /// Applies effects in order as the engine does: on the first refusal the rest are
    /// dropped and the core takes the record's word again.
    fn apply(&mut self, core: &mut Core, effects: Vec<Effect>, now: DateTime<Utc>) {
        for effect in effects {
            if self.failing {
                let open = self.still_open();
                let windows = Vec::new();
                let more = core.resync(&open, windows, now);
                assert!(more.is_empty(), "{more:?}");
                return;
            }
            self.write(core, &effect, now);
        }
    }

    fn write(&mut self, core: &mut Core, effect: &Effect, now: DateTime<Utc>) {
        match effect {
            Effect::Open { key, entry, .. } => {
                let new = effect.incident(now).expect("an opening writes an incident");
                let id = self.open_incident(&new).id();
                core.opened(key, id);
                self.said(id, entry);
            }
            Effect::Add { to, entry } => {
                let id = match to {
                    Target::Incident(id) => *id,
                    Target::Open(key) => core.incident_of(key).expect("opened before"),
                };
                // A window's entries: the ledger holds no windows, only the words said.
                if self.holds(id) {
                    self.update(id, &entry.update());
                }
                self.said(id, entry);
            }
        }
    }

    /// As `IncidentStore::open_incident`: joins the incident open under the key, reopens
    /// the one named if it is resolved, or opens a new one.
    fn open_incident(&mut self, new: &NewIncident) -> Opened {
        let first = &new.first_update;
        if let Some(key) = &new.open_key {
            if let Some(id) = self
                .incidents
                .iter()
                .find(|r| r.open_key.as_ref() == Some(key))
                .map(|r| r.id)
            {
                self.update(id, first);
                return Opened::Existing(id);
            }
            if let Some(row) = new
                .reopen
                .and_then(|id| self.incidents.iter_mut().find(|r| r.id == id))
                .filter(|r| r.open_key.is_none() && r.resolved_at.is_some())
            {
                row.open_key = Some(key.clone());
                row.reopens += 1;
                let id = row.id;
                self.update(id, first);
                return Opened::Existing(id);
            }
        }
        let id = self.incidents.len() as i64 + 1;
        let mut scopes = new.scopes.clone();
        scopes.sort_by(|x, y| (&x.0, x.1.as_str()).cmp(&(&y.0, y.1.as_str())));
        scopes.dedup();
        self.incidents.push(IncidentRow {
            id,
            kind: new.kind,
            state: first.state,
            title: new.title.clone(),
            started_at: new.started_at,
            resolved_at: None,
            created_at: new.recorded_at,
            updated_at: first.at,
            open_key: new.open_key.clone(),
            overrun_of: new.overrun_of,
            channel_key: new.open_key.clone(),
            reopens: 0,
            scopes,
            sources: Vec::new(),
        });
        self.line(id, first);
        for later in &new.later {
            self.update(id, later);
        }
        Opened::New(id)
    }

    /// As `IncidentStore::add_update`, for an incident the ledger holds: the entry's state,
    /// and a closing state frees the key.
    fn update(&mut self, id: i64, update: &NewUpdate) {
        if let Some(row) = self.incidents.iter_mut().find(|r| r.id == id) {
            let closed = update.state.is_closed();
            row.state = update.state;
            row.updated_at = row.updated_at.max(update.at);
            row.resolved_at = closed.then_some(update.at);
            if closed {
                row.open_key = None;
            }
        }
        self.line(id, update);
    }

    /// Appends an entry to the timeline and records its source as backing the incident.
    fn line(&mut self, id: i64, update: &NewUpdate) {
        self.lines
            .entry(id)
            .or_default()
            .push((update.at, update.state, update.source));
        let Some(row) = self.incidents.iter_mut().find(|r| r.id == id) else {
            return;
        };
        if !row.sources.iter().any(|s| s.source == update.source) {
            row.sources.push(SourceSeen {
                source: update.source,
                first_seen_at: update.at,
            });
            row.sources
                .sort_by_key(|s| (s.first_seen_at, s.source.as_str()));
        }
    }

    fn said(&mut self, id: i64, entry: &Entry) {
        self.words
            .entry(id)
            .or_default()
            .push(entry.message[0].id().to_owned());
    }

    fn holds(&self, id: i64) -> bool {
        self.incidents.iter().any(|r| r.id == id)
    }

    /// Newest first, as the store lists them.
    fn newest_first(&self, keep: impl Fn(&IncidentRow) -> bool) -> Vec<IncidentRow> {
        let mut rows: Vec<IncidentRow> =
            self.incidents.iter().filter(|r| keep(r)).cloned().collect();
        rows.sort_by_key(|r| std::cmp::Reverse((r.started_at, r.id)));
        rows
    }

    fn still_open(&self) -> Vec<IncidentRow> {
        self.newest_first(|r| r.resolved_at.is_none())
    }

    fn words(&self, id: i64) -> Vec<&str> {
        self.words
            .get(&id)
            .map(|w| w.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }
}

#[async_trait]
impl Ledger for FakeLedger {
    async fn open(&mut self, new: &NewIncident) -> StoreResult<Opened> {
        Ok(self.open_incident(new))
    }

    async fn add(&mut self, id: i64, update: &NewUpdate) -> StoreResult<()> {
        if !self.holds(id) {
            return Err(StoreError::Malformed(format!("no incident {id}")));
        }
        self.update(id, update);
        Ok(())
    }

    async fn open_incidents(&mut self) -> StoreResult<Vec<IncidentRow>> {
        Ok(self.still_open())
    }

    async fn resolved_since(&mut self, since: DateTime<Utc>) -> StoreResult<Vec<IncidentRow>> {
        // The engine's filter: outages started since, or not resolved before it; of those,
        // the resolved ones with a channel.
        Ok(self.newest_first(|r| {
            r.kind == IncidentKind::Outage
                && (r.started_at >= since || r.resolved_at.is_none_or(|at| at >= since))
                && r.resolved_at.is_some()
                && r.channel_key.is_some()
        }))
    }

    async fn timeline(&mut self, id: i64) -> StoreResult<Vec<Line>> {
        let mut lines = self.lines.get(&id).cloned().unwrap_or_default();
        lines.sort_by_key(|(at, _, _)| *at);
        Ok(lines)
    }
}

#[tokio::test]
async fn the_fake_ledger_keeps_the_store_contract() {
    ledger::story(&mut FakeLedger::default())
        .await
        .expect("the fake refuses nothing the store accepts");
}

/// A core, a ledger and a clock, with the checks of both web probes at one time.
struct World {
    core: Core,
    ledger: FakeLedger,
    clock: ManualClock,
}

impl World {
    fn new() -> World {
        let mut core = Core::new(&config());
        let clock = ManualClock::at(start());
        let effects = core.restore(&[], &[], Vec::new(), clock.now());
        assert!(effects.is_empty());
        World {
            core,
            ledger: FakeLedger::default(),
            clock,
        }
    }

    /// One second on, a check of every probe, web failing or not; mobile answers.
    fn second(&mut self, web_down: bool) {
        let now = self.clock.advance(Duration::seconds(1));
        for r in [
            check("bmce/web/0", Channel::Web, now, web_down),
            check("bmce/mobile/0", Channel::Mobile, now, false),
        ] {
            let (effects, _) = self.core.result(r);
            self.ledger.apply(&mut self.core, effects, now);
        }
        let effects = self.core.tick(now);
        self.ledger.apply(&mut self.core, effects, now);
    }

    fn reports(&mut self, n: i64) {
        let now = self.clock.now();
        let effects = self.core.reports(&reporters(n), now);
        self.ledger.apply(&mut self.core, effects, now);
    }

    fn web_now(&self) -> crate::signals::live::ChannelNow {
        self.core
            .snapshot(self.clock.now())
            .bank("bmce")
            .and_then(|b| b.channels.iter().find(|c| c.channel == Channel::Web))
            .cloned()
            .expect("web shown")
    }
}

fn window(id: i64, starts: DateTime<Utc>, ends: DateTime<Utc>) -> WindowRow {
    WindowRow {
        incident_id: id,
        bank: "bmce".into(),
        channels: vec![Channel::Web],
        starts,
        ends,
        title: Names::default(),
        source: None,
        state: IncidentState::Scheduled,
        sequence: 0,
        cancelled_at: None,
        updated_at: starts,
    }
}

#[test]
fn an_outage_opens_at_the_threshold_and_resolves_after_the_successes() {
    let mut w = World::new();
    w.second(false);
    w.second(true);
    assert!(
        w.ledger.incidents.is_empty(),
        "one failure of two opens nothing"
    );
    w.second(true);
    assert_eq!(w.ledger.incidents.len(), 1);
    let opened = &w.ledger.incidents[0];
    assert_eq!(opened.open_key, Some(web()));
    assert_eq!(
        opened.started_at,
        start() + Duration::seconds(2),
        "from the first failure"
    );
    assert_eq!(w.web_now().status, Status::MajorOutage);
    assert_eq!(w.web_now().confidence, Some(Confidence::Likely));
    w.second(false);
    assert!(w.ledger.incidents[0].resolved_at.is_none());
    w.second(false);
    assert!(w.ledger.incidents[0].resolved_at.is_some());
    assert_eq!(w.ledger.words(1), ["probe-failing", "channel-back"]);
    assert_eq!(w.web_now().status, Status::Operational);
}

#[test]
fn a_quorum_not_met_opens_nothing() {
    let text = format!("{CONFIG}\n[probing]\nregion = \"rabat\"\nquorum = 2\n");
    let mut core = Core::new(&config::parse(&text, "q.toml").expect("config"));
    let mut ledger = FakeLedger::default();
    let clock = ManualClock::at(start());
    let second = |core: &mut Core, ledger: &mut FakeLedger, fes_down: bool| {
        let now = clock.advance(Duration::seconds(1));
        // The service's own region sees the bank answer; casa sees it fail.
        for (region, down) in [(None, false), (Some("casa"), true), (Some("fes"), fes_down)] {
            let mut r = check("bmce/web/0", Channel::Web, now, down);
            r.region = region.map(str::to_owned);
            let (effects, _) = core.result(r);
            ledger.apply(core, effects, now);
        }
    };
    for s in 0..10 {
        second(&mut core, &mut ledger, false);
        assert!(
            ledger.incidents.is_empty(),
            "second {s}: one region of three opened it"
        );
    }
    // A second region agrees: a quorum.
    for _ in 0..2 {
        second(&mut core, &mut ledger, true);
    }
    assert_eq!(ledger.incidents.len(), 1);
}

#[test]
fn an_operator_outage_is_joined_not_duplicated() {
    let mut w = World::new();
    let declared = IncidentRow {
        id: 40,
        kind: IncidentKind::Outage,
        state: IncidentState::Identified,
        title: Names::default(),
        started_at: start(),
        resolved_at: None,
        created_at: start(),
        updated_at: start(),
        open_key: None,
        overrun_of: None,
        channel_key: None,
        reopens: 0,
        scopes: vec![("bmce".into(), Channel::Web)],
        sources: vec![SourceSeen {
            source: Source::Operator,
            first_seen_at: start(),
        }],
    };
    let effects = w.core.reload(&[declared], Vec::new(), w.clock.now());
    assert!(effects.is_empty());
    assert_eq!(w.web_now().status, Status::MajorOutage);
    assert_eq!(w.web_now().confidence, Some(Confidence::Confirmed));
    w.second(true);
    w.second(true);
    w.reports(5);
    assert!(w.ledger.incidents.is_empty(), "no second incident");
    assert_eq!(w.ledger.words(40), ["probe-failing", "surge-message"]);
    assert_eq!(w.web_now().incident, Some(40));
}

#[test]
fn probes_and_a_surge_are_one_confirmed_incident() {
    let mut w = World::new();
    w.second(true);
    w.second(true);
    assert_eq!(w.web_now().confidence, Some(Confidence::Likely));
    w.reports(4);
    assert_eq!(w.ledger.incidents.len(), 1, "the surge joins the outage");
    assert_eq!(w.web_now().confidence, Some(Confidence::Confirmed));
    assert!(w.web_now().surge);
    // The probes recover first: the reports still hold it open.
    w.second(false);
    w.second(false);
    assert!(w.ledger.incidents[0].resolved_at.is_none());
    w.reports(0);
    assert!(w.ledger.incidents[0].resolved_at.is_some());
    assert_eq!(
        w.ledger.words(1),
        [
            "probe-failing",
            "surge-message",
            "probes-back-reports-high",
            "channel-back"
        ]
    );
}

#[test]
fn a_handful_of_reports_opens_nothing() {
    let mut w = World::new();
    w.second(false);
    w.reports(1);
    w.reports(2);
    assert!(w.ledger.incidents.is_empty());
    assert_eq!(w.web_now().status, Status::Operational);
}

#[test]
fn a_surge_inside_a_window_waits_for_its_end() {
    let mut w = World::new();
    let now = w.clock.now();
    let effects = w
        .core
        .reload(&[], vec![window(7, now, now + Duration::seconds(10))], now);
    assert!(effects.is_empty());
    w.second(false);
    assert_eq!(w.ledger.words(7), ["window-started"]);
    w.reports(6);
    assert!(
        w.ledger.incidents.is_empty(),
        "reports of an announced outage are expected"
    );
    assert_eq!(w.web_now().status, Status::Maintenance);
    assert_eq!(w.web_now().confidence, Some(Confidence::Announced));
    for _ in 0..10 {
        w.second(false);
    }
    assert_eq!(w.ledger.words(7), ["window-started", "window-ended"]);
    assert_eq!(
        w.ledger.incidents.len(),
        1,
        "the surge is taken up at the end"
    );
    assert_eq!(w.ledger.words(1), ["surge-message"]);
}

#[test]
fn an_overrun_opens_at_the_window_end() {
    let mut w = World::new();
    let now = w.clock.now();
    w.core
        .reload(&[], vec![window(7, now, now + Duration::seconds(5))], now);
    for _ in 0..4 {
        w.second(true);
    }
    assert!(
        w.ledger.incidents.is_empty(),
        "failures inside the window open nothing"
    );
    w.second(true);
    assert_eq!(w.ledger.incidents.len(), 1);
    let overrun = &w.ledger.incidents[0];
    assert_eq!(overrun.overrun_of, Some(7));
    assert_eq!(
        overrun.started_at,
        now + Duration::seconds(5),
        "from the announced end"
    );
    assert_eq!(w.ledger.words(1), ["probe-failing-overrun"]);
    w.second(false);
    w.second(false);
    assert_eq!(
        w.ledger.words(1),
        ["probe-failing-overrun", "channel-back-overran"]
    );
}

#[test]
fn a_failed_write_is_decided_again_by_the_next_result() {
    let mut w = World::new();
    w.second(true);
    w.ledger.failing = true;
    w.second(true);
    assert!(w.ledger.incidents.is_empty(), "the record refused it");
    w.ledger.failing = false;
    w.second(true);
    assert_eq!(w.ledger.incidents.len(), 1, "the next failure opens it");
    // The same for the resolution.
    w.second(false);
    w.ledger.failing = true;
    w.second(false);
    assert!(w.ledger.incidents[0].resolved_at.is_none());
    w.ledger.failing = false;
    w.second(false);
    assert!(w.ledger.incidents[0].resolved_at.is_some());
    // And for a surge.
    w.ledger.failing = true;
    w.reports(5);
    assert_eq!(w.ledger.incidents.len(), 1);
    w.ledger.failing = false;
    w.reports(5);
    assert_eq!(
        w.ledger.incidents.len(),
        2,
        "the surge opens at the next count"
    );
}

#[test]
fn a_restart_restores_the_same_open_incidents() {
    let mut w = World::new();
    w.second(true);
    w.second(true);
    w.reports(4);
    let open = w.ledger.still_open();
    assert_eq!(open.len(), 1);

    // A new core on the same record: the same incident holds the channel.
    let mut core = Core::new(&config());
    let now = w.clock.advance(Duration::seconds(1));
    assert!(core.restore(&open, &[], Vec::new(), now).is_empty());
    w.core = core;
    assert_eq!(w.web_now().incident, Some(1));
    assert_eq!(w.web_now().status, Status::MajorOutage);
    // Its probes must recover and its reports calm down before it resolves, as before.
    w.second(false);
    w.second(false);
    assert!(w.ledger.incidents[0].resolved_at.is_none());
    w.reports(0);
    assert!(w.ledger.incidents[0].resolved_at.is_some());
    assert_eq!(w.ledger.incidents.len(), 1);
}

#[test]
fn a_channel_no_longer_probed_is_released_at_start() {
    let mut old = IncidentRow {
        id: 3,
        kind: IncidentKind::Outage,
        state: IncidentState::Investigating,
        title: Names::default(),
        started_at: start(),
        resolved_at: None,
        created_at: start(),
        updated_at: start(),
        open_key: Some(OpenKey::new("bmce", Channel::Transfers)),
        overrun_of: None,
        channel_key: None,
        reopens: 0,
        scopes: vec![("bmce".into(), Channel::Transfers)],
        sources: vec![SourceSeen {
            source: Source::Probe,
            first_seen_at: start(),
        }],
    };
    let mut core = Core::new(&config());
    let effects = core.restore(std::slice::from_ref(&old), &[], Vec::new(), start());
    assert!(
        matches!(&effects[..], [Effect::Add { to: Target::Incident(3), entry }] if entry.state == IncidentState::Resolved),
        "{effects:?}"
    );
    // Held by reports, it stays until they calm down.
    old.sources[0].source = Source::Reports;
    let mut core = Core::new(&config());
    assert!(core.restore(&[old], &[], Vec::new(), start()).is_empty());
}

#[test]
fn an_outage_closed_by_the_operator_is_not_reopened_while_probes_still_fail() {
    let mut w = World::new();
    w.second(true);
    w.second(true);
    let mut closed = w.ledger.incidents[0].clone();
    closed.resolved_at = Some(w.clock.now());
    w.ledger.incidents[0] = closed;
    let effects = w.core.reload(&[], Vec::new(), w.clock.now());
    assert!(effects.is_empty());
    for _ in 0..5 {
        w.second(true);
    }
    assert_eq!(
        w.ledger.incidents.len(),
        1,
        "nothing reopens until they recover"
    );
}

#[test]
fn flapping_reopens_one_incident_and_shows_unstable_until_it_settles() {
    let mut w = World::new();
    // Two failures, two successes, over and over: down and up every two seconds.
    for _ in 0..6 {
        w.second(true);
        w.second(true);
        w.second(false);
        w.second(false);
    }
    assert_eq!(w.ledger.incidents.len(), 1, "{:?}", w.ledger.incidents);
    let incident = &w.ledger.incidents[0];
    assert_eq!(incident.reopens, 5);
    assert_eq!(incident.started_at, start() + Duration::seconds(1));
    let words = w.ledger.words(1);
    assert_eq!(
        words.iter().filter(|m| **m == "failing-again").count(),
        5,
        "{words:?}"
    );
    assert!(w.web_now().unstable);
    // Ten quiet minutes: it has settled.
    w.clock.advance(super::UNSTABLE_WINDOW);
    w.second(false);
    assert!(!w.web_now().unstable);
    assert!(w.core.take_changed(), "settling is published");
}

#[test]
fn a_failure_long_after_the_resolution_opens_a_new_incident() {
    let mut w = World::new();
    w.second(true);
    w.second(true);
    w.second(false);
    w.second(false);
    w.clock.advance(Duration::minutes(31));
    w.second(true);
    w.second(true);
    assert_eq!(w.ledger.incidents.len(), 2);
    assert_eq!(w.ledger.incidents[1].reopens, 0);
}

#[test]
fn an_incident_resolved_before_a_restart_is_reopened_after_it() {
    let resolved_at = start() - Duration::minutes(5);
    let row = IncidentRow {
        id: 7,
        kind: IncidentKind::Outage,
        state: IncidentState::Resolved,
        title: Names::default(),
        started_at: start() - Duration::minutes(20),
        resolved_at: Some(resolved_at),
        created_at: start() - Duration::minutes(20),
        updated_at: resolved_at,
        open_key: None,
        overrun_of: None,
        channel_key: Some(web()),
        reopens: 0,
        scopes: vec![("bmce".into(), Channel::Web)],
        sources: Vec::new(),
    };
    let mut core = Core::new(&config());
    assert!(core.restore(&[], &[row], Vec::new(), start()).is_empty());
    let clock = ManualClock::at(start());
    let mut opens = Vec::new();
    for _ in 0..2 {
        let now = clock.advance(Duration::seconds(1));
        let (effects, _) = core.result(check("bmce/web/0", Channel::Web, now, true));
        opens.extend(effects);
    }
    let [Effect::Open { reopen, entry, .. }] = opens.as_slice() else {
        panic!("{opens:?}");
    };
    assert_eq!(*reopen, Some(7));
    assert_eq!(entry.message[0].id(), "failing-again");
}

#[test]
fn an_outage_begun_before_the_window_overruns_it_from_its_end() {
    let mut w = World::new();
    // Down before the window starts: an ordinary outage first.
    w.second(true);
    w.second(true);
    assert_eq!(w.ledger.incidents.len(), 1);
    let now = w.clock.now();
    // Announced after the outage began, from now for five seconds.
    w.core.reload(
        &w.ledger.still_open(),
        vec![window(7, now, now + Duration::seconds(5))],
        now,
    );
    for _ in 0..6 {
        w.second(true);
    }
    assert_eq!(w.ledger.incidents.len(), 2, "{:?}", w.ledger.incidents);
    let first = &w.ledger.incidents[0];
    assert!(first.resolved_at.is_some());
    assert_eq!(w.ledger.words(1).last(), Some(&"continues-as-overrun"));
    let overrun = &w.ledger.incidents[1];
    assert_eq!(overrun.overrun_of, Some(7));
    assert_eq!(overrun.started_at, now + Duration::seconds(5));
    w.second(false);
    w.second(false);
    assert!(w.ledger.incidents[1].resolved_at.is_some());
    assert_eq!(w.ledger.words(2).last(), Some(&"channel-back-overran"));
}
