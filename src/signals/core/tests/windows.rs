//! Announced windows in the core: reports and failures inside a window open nothing, and
//! what still fails at its end is its overrun, worded by how late it was found.

use chrono::Duration;

use super::check;
use super::{reporters_on, window, window_on, World};
use crate::clock::Clock;
use crate::domain::{Channel, Confidence, IncidentState, Status};

#[test]
fn a_surge_inside_a_window_waits_for_its_end() {
    let mut w = World::new();
    let now = w.clock.now();
    let atm_window = window_on(7, Channel::Atm, now, now + Duration::seconds(10));
    let effects = w.core.reload(&[], vec![atm_window], now);
    assert!(effects.is_empty());
    w.second(false);
    assert_eq!(w.ledger.words(7), ["window-started"]);
    w.count(reporters_on(Channel::Atm, 6));
    assert!(
        w.ledger.incidents.is_empty(),
        "reports of an announced outage are expected"
    );
    let atm = w.now_of(Channel::Atm).expect("atm shown");
    assert_eq!(atm.status, Status::Maintenance);
    assert_eq!(atm.confidence, Some(Confidence::Announced));
    for _ in 0..10 {
        w.second(false);
    }
    assert_eq!(w.ledger.words(7), ["window-started", "window-ended"]);
    assert_eq!(
        w.ledger.incidents.len(),
        1,
        "the surge is taken up at the end"
    );
    assert_eq!(w.ledger.words(1), ["surge-message-networks"]);
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
    // Found on the window's last tick: it fails at the announced end, not "0 s after" it.
    assert_eq!(w.ledger.words(1), ["probe-failing-overrun-at-end"]);
    let first = &w.ledger.english[&1][0];
    assert!(first.contains("still fail at its announced end"), "{first}");
    assert!(!first.contains("0 s"), "{first}");
    w.second(false);
    w.second(false);
    assert_eq!(
        w.ledger.words(1),
        ["probe-failing-overrun-at-end", "channel-back-overran"]
    );
    assert!(
        w.ledger.english[&1][1].contains("by 2 s"),
        "{:?}",
        w.ledger.english
    );
}

#[test]
fn an_overrun_found_after_the_end_says_how_late() {
    let mut w = World::new();
    let now = w.clock.now();
    w.core
        .reload(&[], vec![window(7, now, now + Duration::seconds(2))], now);
    w.second(true);
    // The engine's ticks were held up past the end: the overrun is found 3 s late.
    w.clock.advance(Duration::seconds(3));
    w.second(true);
    assert_eq!(w.ledger.words(1), ["probe-failing-overrun"]);
    let first = &w.ledger.english[&1][0];
    assert!(
        first.contains("still fail 3 s after its announced end"),
        "{first}"
    );
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

#[test]
fn an_overrun_over_within_a_second_says_less_than_a_second() {
    let mut w = World::new();
    let now = w.clock.now();
    let ends = now + Duration::milliseconds(2500);
    w.core.reload(&[], vec![window(7, now, ends)], now);
    for _ in 0..3 {
        w.second(true);
    }
    assert_eq!(w.ledger.words(1), ["probe-failing-overrun-at-end"]);
    // Back twice before a whole second has passed since the announced end.
    for ms in [3100, 3300] {
        let at = now + Duration::milliseconds(ms);
        let (effects, _) = w.core.result(check("bmce/web/0", Channel::Web, at, false));
        w.ledger.apply(&mut w.core, effects, at);
    }
    assert_eq!(
        w.ledger.words(1),
        [
            "probe-failing-overrun-at-end",
            "channel-back-overran-briefly"
        ]
    );
    let last = &w.ledger.english[&1][1];
    assert!(last.contains("by less than a second"), "{last}");
}

#[test]
fn a_failure_after_an_overrun_recovered_is_an_outage_of_its_own() {
    let mut w = World::new();
    let now = w.clock.now();
    w.core
        .reload(&[], vec![window(7, now, now + Duration::seconds(5))], now);
    for _ in 0..5 {
        w.second(true);
    }
    w.second(false);
    w.second(false);
    assert_eq!(w.ledger.incidents.len(), 1);
    for _ in 0..3 {
        w.second(true);
    }
    assert_eq!(
        w.ledger.incidents.len(),
        2,
        "not a reopening of the overrun"
    );
    assert_eq!(w.ledger.incidents[0].reopens, 0);
    assert_eq!(w.ledger.incidents[1].overrun_of, None);
}

#[test]
fn a_windows_overrun_never_reopens_an_earlier_outage() {
    let mut w = World::new();
    // An ordinary outage, over a few seconds before the window begins.
    w.second(true);
    w.second(true);
    w.second(false);
    w.second(false);
    assert!(w.ledger.incidents[0].resolved_at.is_some());
    let now = w.clock.now();
    w.core
        .reload(&[], vec![window(7, now, now + Duration::seconds(5))], now);
    for _ in 0..5 {
        w.second(true);
    }
    // Well within `reopen_within` of the first resolution, yet the overrun is its own.
    assert_eq!(w.ledger.incidents.len(), 2, "{:?}", w.ledger.incidents);
    assert_eq!(w.ledger.incidents[0].reopens, 0);
    let overrun = &w.ledger.incidents[1];
    assert_eq!(overrun.overrun_of, Some(7));
    assert_eq!(overrun.started_at, now + Duration::seconds(5));
    assert_eq!(w.ledger.words(2), ["probe-failing-overrun-at-end"]);
}

#[test]
fn each_windows_overrun_names_its_own_window() {
    // The demo's cycles: a window, failures through it and past its end, a recovery; then
    // the next window a little later, the same again.
    let mut w = World::new();
    let mut windows: Vec<crate::store::WindowRow> = Vec::new();
    for (n, id) in [7, 8].into_iter().enumerate() {
        let now = w.clock.now();
        let ends = now + Duration::seconds(5);
        for earlier in &mut windows {
            earlier.state = IncidentState::Completed;
        }
        windows.push(window(id, now, ends));
        w.core.reload(&w.ledger.still_open(), windows.clone(), now);
        for _ in 0..7 {
            w.second(true);
        }
        let overrun = &w.ledger.incidents[n];
        assert_eq!(overrun.overrun_of, Some(id), "{:?}", w.ledger.incidents);
        assert_eq!(overrun.started_at, ends);
        // What the pages say "since" is the overrun's own start, the window's end, not
        // the first failure inside the window.
        assert_eq!(w.web_now().since, Some(ends));
        assert_eq!(
            Some(w.ledger.account(overrun.id).since()),
            w.web_now().since
        );
        w.second(false);
        w.second(false);
        assert!(
            w.ledger.incidents[n].resolved_at.is_some(),
            "{:?} {:?}",
            w.ledger.incidents,
            w.ledger.words(n as i64 + 1)
        );
        for _ in 0..3 {
            w.second(false);
        }
    }
    assert_eq!(w.ledger.incidents.len(), 2, "{:?}", w.ledger.incidents);
    assert!(w.ledger.incidents.iter().all(|i| i.reopens == 0));
}

#[test]
fn an_overrun_ends_at_its_first_recovery_even_on_an_unstable_channel() {
    let mut w = World::new();
    // Down and up twice before any window: unstable, its outage held open.
    for _ in 0..2 {
        w.second(true);
        w.second(true);
        w.second(false);
        w.second(false);
    }
    assert!(w.web_now().unstable);
    assert!(w.ledger.incidents[0].resolved_at.is_none(), "held open");
    let now = w.clock.now();
    w.core.reload(
        &w.ledger.still_open(),
        vec![window(7, now, now + Duration::seconds(5))],
        now,
    );
    for _ in 0..6 {
        w.second(true);
    }
    assert_eq!(w.ledger.words(1).last(), Some(&"continues-as-overrun"));
    assert_eq!(w.ledger.incidents[1].overrun_of, Some(7));
    w.second(false);
    w.second(false);
    assert!(
        w.ledger.incidents[1].resolved_at.is_some(),
        "not held open as intermittent: {:?}",
        w.ledger.words(2)
    );
    assert_eq!(w.ledger.words(2).last(), Some(&"channel-back-overran"));
}

#[test]
fn going_down_and_up_inside_a_window_is_no_flapping() {
    let mut w = World::new();
    let now = w.clock.now();
    w.core
        .reload(&[], vec![window(7, now, now + Duration::seconds(14))], now);
    for _ in 0..3 {
        w.second(true);
        w.second(true);
        w.second(false);
        w.second(false);
    }
    w.second(false);
    w.second(false);
    assert!(w.ledger.incidents.is_empty());
    assert!(!w.web_now().unstable, "the window announced it");
}
