//! The crowd's rules as the core applies them, driven by hand: reports against checks that
//! pass, channels nothing checks, the cap on incidents only customers report, when
//! subscribers hear of them, and a surge the operator closed.

use chrono::Duration;

use crate::clock::Clock;

use super::tests::{reporters_on, start, World};
use crate::domain::{Channel, Confidence, IncidentState, Source, Status};
use crate::signals::book::MAX_REPORTED_ONLY;
use crate::signals::live::CrowdNote;
use crate::store::{NewUpdate, ReportCount};

/// `n` reporters on each channel, one bank each, for the cap.
fn on_banks(channel: Channel, banks: &[&str], n: i64) -> Vec<ReportCount> {
    banks
        .iter()
        .map(|b| ReportCount {
            bank: (*b).to_owned(),
            channel,
            reporters: n,
            networks: n,
            works: 0,
        })
        .collect()
}

#[test]
fn reports_against_checks_that_pass_make_no_outage() {
    let mut w = World::new();
    w.second(false);
    w.reports(40);
    assert!(w.ledger.incidents.is_empty(), "no incident");
    let web = w.web_now();
    assert_eq!(web.status, Status::Operational);
    assert!(web.surge);
    assert_eq!(web.crowd_note, Some(CrowdNote::ChecksPass));
    assert_eq!(web.confidence, None);
    // The probes then fail: they open the outage, and the reports confirm it.
    w.second(true);
    w.second(true);
    assert_eq!(w.ledger.incidents.len(), 1);
    assert_eq!(
        w.ledger.words(1),
        ["probe-failing", "surge-message-networks"]
    );
    assert_eq!(w.web_now().confidence, Some(Confidence::Confirmed));
    assert_eq!(w.web_now().crowd_note, None);
}

#[test]
fn a_channel_nothing_checks_is_reported_and_told_once_it_lasts() {
    let mut w = World::new();
    w.second(false);
    w.count(reporters_on(Channel::Atm, 12));
    assert_eq!(w.ledger.incidents.len(), 1);
    let atm = w.now_of(Channel::Atm).expect("atm shown");
    assert_eq!(atm.status, Status::PartialOutage);
    assert_eq!(atm.confidence, Some(Confidence::Reported));
    assert_eq!(atm.crowd_note, Some(CrowdNote::Unchecked));
    assert_eq!(w.ledger.alerts[&1], [false], "subscribers wait");
    // Ten minutes on (the default), subscribers are told.
    for _ in 0..(10 * 60) {
        w.second(false);
    }
    assert_eq!(w.ledger.alerts[&1], [false, true]);
    assert_eq!(
        w.ledger.words(1),
        ["surge-message-networks", "reports-lasting"]
    );
    assert_eq!(
        w.ledger.incidents[0].started_at,
        start() + Duration::seconds(1)
    );
    // Calm again: resolved, and since they were told, told of that too.
    w.count(reporters_on(Channel::Atm, 0));
    assert!(w.ledger.incidents[0].resolved_at.is_some());
    assert_eq!(w.ledger.alerts[&1], [false, true, true]);
}

#[test]
fn one_resolved_before_anyone_was_told_stays_untold() {
    let mut w = World::new();
    w.second(false);
    w.count(reporters_on(Channel::Cards, 12));
    w.second(false);
    w.count(reporters_on(Channel::Cards, 0));
    assert!(w.ledger.incidents[0].resolved_at.is_some());
    assert_eq!(w.ledger.alerts[&1], [false, false]);
}

#[test]
fn only_so_many_incidents_only_customers_report_are_open_at_once() {
    let mut w = World::new();
    w.second(false);
    // Every configured bank's ATMs at once: the tests' config has one bank, so the cap is
    // reached on its unprobed channels.
    let mut counts = Vec::new();
    for channel in [
        Channel::Atm,
        Channel::Cards,
        Channel::Transfers,
        Channel::Branches,
    ] {
        counts.extend(on_banks(channel, &["bmce"], 12));
    }
    w.count(counts);
    assert_eq!(w.ledger.incidents.len(), MAX_REPORTED_ONLY);
    let waiting: Vec<Channel> = [
        Channel::Atm,
        Channel::Cards,
        Channel::Transfers,
        Channel::Branches,
    ]
    .into_iter()
    .filter(|c| {
        w.now_of(*c)
            .is_some_and(|n| n.crowd_note == Some(CrowdNote::Waiting))
    })
    .collect();
    assert_eq!(waiting.len(), 4 - MAX_REPORTED_ONLY, "the rest wait");
}

#[test]
fn a_surge_the_operator_closed_opens_nothing_again_until_it_is_over() {
    let mut w = World::new();
    w.second(false);
    w.count(reporters_on(Channel::Atm, 12));
    assert_eq!(w.ledger.incidents.len(), 1);
    // The operator withdraws it: the record no longer has it open.
    let now = w.clock.now();
    w.ledger.update(
        1,
        &NewUpdate {
            at: now,
            state: IncidentState::Withdrawn,
            source: Source::Operator,
            message: Default::default(),
            alert: false,
        },
    );
    let effects = w.core.reload(&w.ledger.still_open(), Vec::new(), now);
    assert!(effects.is_empty());
    w.count(reporters_on(Channel::Atm, 14));
    w.count(reporters_on(Channel::Atm, 12));
    assert_eq!(w.ledger.incidents.len(), 1, "not opened again");
    // Over, then a new surge: it opens again.
    w.count(reporters_on(Channel::Atm, 0));
    w.count(reporters_on(Channel::Atm, 12));
    assert_eq!(w.ledger.incidents.len(), 2);
}
