//! The core's rules driven by hand: results, counts and windows go in with a manual clock,
//! and a small ledger stands in for the record, applying each effect as the engine would;
//! it answers the store's incidents story (`signals::ledger::story`) as the SQL does.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::fake_ledger::FakeLedger;
use super::Core;
use crate::clock::{Clock, ManualClock};
use crate::config::{self, Config};
use crate::domain::{
    Channel, Confidence, ErrorClass, IncidentKind, IncidentState, Names, OpenKey, Outcome,
    ProbeResult, ProbeTarget, Source, Status,
};
use crate::signals::effects::{Effect, Target};
use crate::signals::live::CrowdNote;
use crate::store::{IncidentRow, ReportCount, SourceSeen, WindowRow};

/// Announced windows: what fails or surges inside one, and what overruns it.
mod windows;

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

pub(super) fn config() -> Config {
    config::parse(CONFIG, "test.toml").expect("test config")
}

pub(super) fn start() -> DateTime<Utc> {
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

/// `n` reporters of `channel`, each from a network of its own.
pub(super) fn reporters_on(channel: Channel, n: i64) -> Vec<ReportCount> {
    vec![ReportCount {
        bank: "bmce".into(),
        channel,
        reporters: n,
        networks: n,
        works: 0,
    }]
}

fn reporters(n: i64) -> Vec<ReportCount> {
    reporters_on(Channel::Web, n)
}

/// A core, a ledger and a clock, with the checks of both web probes at one time.
pub(super) struct World {
    pub(super) core: Core,
    pub(super) ledger: FakeLedger,
    pub(super) clock: ManualClock,
}

impl World {
    pub(super) fn new() -> World {
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
    pub(super) fn second(&mut self, web_down: bool) {
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

    pub(super) fn reports(&mut self, n: i64) {
        self.count(reporters(n));
    }

    /// A count of the surge window now, as the engine hands it over.
    pub(super) fn count(&mut self, counts: Vec<ReportCount>) {
        let now = self.clock.now();
        let effects = self.core.reports(&counts, now);
        self.ledger.apply(&mut self.core, effects, now);
    }

    pub(super) fn web_now(&self) -> crate::signals::live::ChannelNow {
        self.now_of(Channel::Web).expect("web shown")
    }

    /// A channel as the snapshot shows it, if it shows it.
    pub(super) fn now_of(&self, channel: Channel) -> Option<crate::signals::live::ChannelNow> {
        self.core
            .snapshot(self.clock.now())
            .bank("bmce")
            .and_then(|b| b.channels.iter().find(|c| c.channel == channel))
            .cloned()
    }
}

fn window(id: i64, starts: DateTime<Utc>, ends: DateTime<Utc>) -> WindowRow {
    window_on(id, Channel::Web, starts, ends)
}

pub(super) fn window_on(
    id: i64,
    channel: Channel,
    starts: DateTime<Utc>,
    ends: DateTime<Utc>,
) -> WindowRow {
    WindowRow {
        incident_id: id,
        bank: "bmce".into(),
        channels: vec![channel],
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
        gaps: Vec::new(),
        scopes: vec![("bmce".into(), Channel::Web)],
        sources: vec![SourceSeen {
            source: Source::Operator,
            first_seen_at: start(),
        }],
        alerted: true,
    };
    let effects = w.core.reload(&[declared], Vec::new(), w.clock.now());
    assert!(effects.is_empty());
    assert_eq!(w.web_now().status, Status::MajorOutage);
    assert_eq!(w.web_now().confidence, Some(Confidence::Confirmed));
    w.second(true);
    w.second(true);
    w.reports(5);
    assert!(w.ledger.incidents.is_empty(), "no second incident");
    assert_eq!(
        w.ledger.words(40),
        ["probe-failing", "surge-message-networks"]
    );
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
    // The probes recover first: reports against checks that pass hold nothing open.
    w.second(false);
    w.second(false);
    assert!(w.ledger.incidents[0].resolved_at.is_some());
    assert_eq!(
        w.ledger.words(1),
        [
            "probe-failing",
            "surge-message-networks",
            "channel-back-reports-still"
        ]
    );
    assert_eq!(w.web_now().status, Status::Operational);
    assert_eq!(w.web_now().crowd_note, Some(CrowdNote::ChecksPass));
    w.reports(0);
    assert_eq!(
        w.ledger.words(1).len(),
        3,
        "the end of the surge adds nothing"
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
    // And for a surge (on ATMs, which nothing checks).
    w.ledger.failing = true;
    w.count(reporters_on(Channel::Atm, 5));
    assert_eq!(w.ledger.incidents.len(), 1);
    w.ledger.failing = false;
    w.count(reporters_on(Channel::Atm, 5));
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
    assert_eq!(w.web_now().confidence, Some(Confidence::Confirmed));
    // Its probes must recover before it resolves, as before; on a channel probes watch,
    // the reports alone do not hold it.
    w.second(false);
    assert!(w.ledger.incidents[0].resolved_at.is_none());
    w.second(false);
    assert!(w.ledger.incidents[0].resolved_at.is_some());
    w.reports(0);
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
        gaps: Vec::new(),
        scopes: vec![("bmce".into(), Channel::Transfers)],
        sources: vec![SourceSeen {
            source: Source::Probe,
            first_seen_at: start(),
        }],
        alerted: true,
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

/// Two failures, two successes, `cycles` times: down and up every two seconds.
fn flap(w: &mut World, cycles: usize) {
    for _ in 0..cycles {
        w.second(true);
        w.second(true);
        w.second(false);
        w.second(false);
    }
}

fn count(words: &[&str], id: &str) -> usize {
    words.iter().filter(|m| **m == id).count()
}

#[test]
fn a_flapping_channel_is_one_open_span_until_it_is_steady() {
    let mut w = World::new();
    flap(&mut w, 6);
    assert_eq!(w.ledger.incidents.len(), 1, "{:?}", w.ledger.incidents);
    let incident = &w.ledger.incidents[0];
    assert_eq!(incident.started_at, start() + Duration::seconds(1));
    // Resolved and reopened once, before the flips made it unstable; then held open.
    assert_eq!(incident.reopens, 1);
    assert!(incident.resolved_at.is_none(), "held while unstable");
    let words = w.ledger.words(1);
    assert_eq!(count(&words, "failing-again"), 1, "{words:?}");
    assert_eq!(count(&words, "channel-back"), 1, "{words:?}");
    assert_eq!(
        count(&words, "channel-intermittent"),
        1,
        "one entry while it flaps, not one per flip: {words:?}"
    );
    assert!(w.web_now().unstable);
    assert_eq!(w.web_now().incident, Some(1));

    // Up since the last flip: resolved once it is steady (the fourth latest flip, 6 s
    // before the last, has left the window), dated when it came back.
    let back = w.clock.now() + Duration::milliseconds(12);
    w.clock
        .advance(Duration::minutes(10) - Duration::seconds(8));
    w.second(false);
    assert!(
        w.ledger.incidents[0].resolved_at.is_none(),
        "not steady yet"
    );
    w.clock.advance(Duration::seconds(1));
    w.second(false);
    assert_eq!(w.ledger.incidents[0].resolved_at, Some(back));
    let words = w.ledger.words(1);
    assert_eq!(words.last().copied(), Some("channel-back"));
    assert_eq!(count(&words, "channel-back"), 2, "{words:?}");
    assert!(!w.web_now().unstable);
    assert_eq!(w.web_now().incident, None);
    assert!(w.core.take_changed(), "settling is published");
}

#[test]
fn where_every_outage_is_its_own_a_flapping_channel_resolves_each() {
    let text = format!("{CONFIG}\n[probing]\nreopen_within = \"0s\"\n");
    let mut w = World::new();
    w.core = Core::new(&config::parse(&text, "r.toml").expect("config"));
    flap(&mut w, 4);
    assert!(w.web_now().unstable);
    assert_eq!(w.ledger.incidents.len(), 4);
    assert!(w.ledger.incidents.iter().all(|i| i.resolved_at.is_some()));
    assert!(!w.ledger.words(4).contains(&"channel-intermittent"));
}

#[test]
fn failing_again_before_it_is_steady_resolves_nothing() {
    let mut w = World::new();
    flap(&mut w, 3);
    let before = w.ledger.words(1).len();
    // Up, then down again, for good this time: nothing is resolved, nothing more is said.
    w.clock.advance(Duration::minutes(3));
    w.second(true);
    w.second(true);
    for _ in 0..5 {
        w.clock.advance(Duration::minutes(3));
        w.second(true);
    }
    assert!(w.ledger.incidents[0].resolved_at.is_none());
    assert_eq!(w.ledger.words(1).len(), before, "{:?}", w.ledger.words(1));
    assert_eq!(w.web_now().status, Status::MajorOutage);
}

#[test]
fn an_outage_is_dated_when_its_confirming_check_ended() {
    let mut core = Core::new(&config());
    let clock = ManualClock::at(start());
    let mut opened = Vec::new();
    let mut began = Vec::new();
    for _ in 0..2 {
        let now = clock.advance(Duration::seconds(10));
        began.push(now);
        // A check that times out after 8 s.
        let mut r = check("bmce/web/0", Channel::Web, now, true);
        r.latency_ms = 8_000;
        opened.extend(core.result(r).0);
    }
    let [Effect::Open {
        started_at, entry, ..
    }] = opened.as_slice()
    else {
        panic!("{opened:?}");
    };
    assert_eq!(
        *started_at, began[0],
        "the outage began with the first failure"
    );
    assert_eq!(
        entry.at,
        began[1] + Duration::seconds(8),
        "its opening is dated when the second failure was known"
    );
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
fn a_reopened_outage_is_shown_since_its_reopening() {
    let mut w = World::new();
    w.second(true);
    w.second(true);
    w.second(false);
    w.second(false);
    w.second(true);
    w.second(true);
    let incident = &w.ledger.incidents[0];
    assert_eq!(incident.reopens, 1);
    // The reopening's entry begins its open span: the probes' first failure a second
    // before is not what the record says.
    let account = w.ledger.account(1);
    assert!(
        account.since() > start() + Duration::seconds(5),
        "{account:?}"
    );
    assert_eq!(w.web_now().since, Some(account.since()));
    assert_eq!(account.down(w.clock.now()).num_seconds(), 3);
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
        gaps: Vec::new(),
        scopes: vec![("bmce".into(), Channel::Web)],
        sources: Vec::new(),
        alerted: true,
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
