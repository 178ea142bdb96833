//! What the tracker's tests share: one bank with two web probes, an optional control, and
//! results at explicit seconds after a fixed instant.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use super::{Applied, Tracker, Transition};
use crate::domain::{
    Bank, Channel, ErrorClass, Expect, Names, Outcome, ProbeResult, ProbeSpec, ProbeTarget,
};

pub(super) fn spec(id: &str, channel: Channel) -> ProbeSpec {
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
        expect: Expect::default(),
        degraded_after: None,
        failures_before_outage: 3,
        successes_before_recovery: 2,
    }
}

pub(super) fn control() -> ProbeSpec {
    ProbeSpec {
        id: "control/0".into(),
        target: ProbeTarget::Control,
        ..spec("c", Channel::Web)
    }
}

/// `bmce` with probes `bmce/web/0` and `bmce/web/1`, and `control/0` when asked.
pub(super) fn tracker(with_control: bool) -> Tracker {
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

/// `secs` seconds after the tests' fixed instant.
pub(super) fn time(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_770_000_000 + secs, 0)
        .single()
        .expect("time")
}

/// A check of `id` at `secs`: an HTTP 500 when `down`, else a 200.
pub(super) fn result(id: &str, secs: i64, down: bool) -> ProbeResult {
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
        at: time(secs),
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
        region: None,
        evidence: Default::default(),
        covers_ms: 1000,
    }
}

/// A check of `id` at `secs` refused by the bank's protection.
pub(super) fn refused(id: &str, secs: i64) -> ProbeResult {
    ProbeResult {
        http_status: Some(403),
        outcome: Outcome::Down {
            class: ErrorClass::Blocked,
            detail: "HTTP 403: refused by Akamai: Server: AkamaiGHost".into(),
        },
        ..result(id, secs, true)
    }
}

/// The same check, run from an agent's `region`.
pub(super) fn from(region: &str, id: &str, secs: i64, down: bool) -> ProbeResult {
    ProbeResult {
        region: Some(region.into()),
        ..result(id, secs, down)
    }
}

pub(super) fn feed(t: &mut Tracker, id: &str, secs: i64, down: bool) -> Vec<Transition> {
    t.apply(result(id, secs, down)).transitions
}

/// Applies and returns every judged result with its transitions.
pub(super) fn take(t: &mut Tracker, id: &str, secs: i64, down: bool) -> Applied {
    t.apply(result(id, secs, down))
}
