//! The scorecard's rules with made-up outages, windows and coverage.

use chrono::TimeZone;

use super::*;

#[test]
fn availability_is_over_the_time_watched_and_partial_below_half() {
    let month = 40_380 * 60_000;
    let all = Spans::of([(0, month)]);
    let up = all.minus(&Spans::of([(0, 60 * 60_000)]));
    let a = Availability::of(&all, &up, month);
    assert_eq!(a.percent, Some(99.85), "60 outage minutes in February 2026");
    assert!(!a.partial);
    let nine = Spans::of([(0, 9 * 60_000)]);
    let a = Availability::of(&nine, &nine, month);
    assert_eq!(a.percent, Some(100.0));
    assert_eq!(a.coverage_percent, Some(0.02));
    assert!(a.partial, "9 minutes of a month is no figure to quote bare");
    let none = Availability::of(&Spans::default(), &Spans::default(), month);
    assert_eq!(none.percent, None);
}

fn utc(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, d, h, 0, 0)
        .single()
        .expect("time")
}

#[test]
fn an_outage_ending_at_midnight_recovered_in_the_month_before() {
    let tz = chrono_tz::Africa::Casablanca;
    let banks = [Bank {
        slug: "aaa".into(),
        names: Names::default(),
        website: None,
        probes: Vec::new(),
    }];
    // 1 March 00:00 in Casablanca (+00 during Ramadan) is 1 March 00:00 UTC.
    let end = Utc
        .with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
        .single()
        .expect("time");
    let outages = [OutageSpan {
        incident_id: 1,
        bank: "aaa".into(),
        channel: Channel::Atm,
        started_at: utc(28, 23),
        resolved_at: Some(end),
        overrun_of: None,
    }];
    let inputs = Inputs {
        outages: &outages,
        windows: &[],
        monitored: &[],
        statements: &[],
    };
    let now = Utc
        .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .expect("time");
    let feb = compute(
        &banks,
        Month::parse("2026-02").expect("month"),
        tz,
        now,
        &inputs,
    );
    let atm = &feb.banks[0].channels[0];
    assert_eq!(atm.outages.unannounced_minutes, 60);
    assert_eq!(atm.outages.median_recovery_minutes, Some(60));
    assert_eq!(atm.availability_percent, None);
    let mar = compute(
        &banks,
        Month::parse("2026-03").expect("month"),
        tz,
        now,
        &inputs,
    );
    assert!(mar.banks[0].channels.is_empty(), "nothing of it in March");
    assert_eq!(mar.banks[0].totals.median_recovery_minutes, None);
}

#[test]
fn a_bank_counts_its_channels_once_and_an_overrun_ends_at_the_first_recovery() {
    let tz = chrono_tz::Africa::Casablanca;
    let banks = [Bank {
        slug: "aaa".into(),
        names: Names::default(),
        website: None,
        probes: Vec::new(),
    }];
    let m = |min: i64| utc(10, 9) + chrono::Duration::minutes(min);
    let span = |id, channel, from, to, overrun_of| OutageSpan {
        incident_id: id,
        bank: "aaa".into(),
        channel,
        started_at: m(from),
        resolved_at: Some(m(to)),
        overrun_of,
    };
    // Web and mobile down together for an hour; the window on web ended at 120 and the
    // outage that overran it recovered at 131, then failed again 156 to 186.
    let outages = [
        span(1, Channel::Web, 0, 60, None),
        span(2, Channel::Mobile, 0, 60, None),
        span(3, Channel::Web, 100, 131, Some(9)),
        span(3, Channel::Web, 156, 186, Some(9)),
    ];
    let windows = [WindowRow {
        incident_id: 9,
        bank: "aaa".into(),
        channels: vec![Channel::Web],
        starts: m(90),
        ends: m(120),
        title: Names::default(),
        source: None,
        state: crate::domain::IncidentState::Completed,
        sequence: 0,
        cancelled_at: None,
        updated_at: m(90),
    }];
    let inputs = Inputs {
        outages: &outages,
        windows: &windows,
        monitored: &[],
        statements: &[],
    };
    let card = compute(
        &banks,
        Month::parse("2026-02").expect("month"),
        tz,
        utc(20, 0),
        &inputs,
    );
    let b = &card.banks[0];
    let web = b
        .channels
        .iter()
        .find(|c| c.channel == Channel::Web)
        .expect("web");
    assert_eq!(web.outages.overrun_seconds, 11 * 60, "120 to 131 only");
    assert_eq!(web.outages.unannounced_minutes, 60 + 11 + 30);
    assert_eq!(
        b.totals.unannounced_minutes,
        60 + 11 + 30,
        "the hour counts once"
    );
    assert_eq!(b.totals.unannounced_channel_minutes, 120 + 11 + 30);
    assert_eq!(b.totals.announced_minutes, 30);
    assert_eq!(b.totals.overrun_seconds, 11 * 60);
    let sum: i64 = b.months.iter().map(|x| x.unannounced_minutes).sum();
    assert_eq!(sum, b.totals.unannounced_minutes);
    // The reopened outage recovered in 61 minutes, its open spans added up, as its page
    // says: not in its last span's 30.
    assert_eq!(web.outages.worst_recovery_minutes, Some(61));
    assert_eq!(web.outages.median_recovery_minutes, Some(61));
    assert_eq!(b.totals.worst_recovery_minutes, Some(61));
    assert_eq!(b.totals.median_recovery_minutes, Some(60));
}

#[test]
fn any_downtime_keeps_availability_below_100() {
    let month = 40_380 * 60_000;
    let all = Spans::of([(0, month)]);
    let up = all.minus(&Spans::of([(0, 1_000)]));
    assert_eq!(Availability::of(&all, &up, month).percent, Some(99.99));
}
