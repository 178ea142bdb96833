//! Announced windows in the core: reports and failures inside a window open nothing, and
//! what still fails at its end is its overrun, worded by how late it was found.

use chrono::Duration;

use super::check;
use super::{reporters_on, window, window_on, World};
use crate::clock::Clock;
use crate::domain::{Channel, Confidence, Status};

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
