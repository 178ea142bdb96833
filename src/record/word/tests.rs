//! The word's rules on explicit times: promises kept, missed and overdue, the silence, and a
//! month's figures.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;
use crate::domain::{Channel, IncidentKind, IncidentState, Names, SourceKind};

fn t(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, 10, 14, 0, 0)
        .single()
        .expect("time")
        + Duration::minutes(min)
}

fn said(id: i64, bank: &str, at: i64, promise: Option<i64>, incidents: &[i64]) -> Statement {
    Statement {
        id,
        bank: bank.into(),
        channels: vec![Channel::Atm],
        words: Names {
            ar: None,
            fr: Some("Un problème dans le système".into()),
            en: None,
        },
        translations: Names::default(),
        source_url: "https://example.org/post".into(),
        source_kind: SourceKind::Facebook,
        said_at: t(at),
        expected_back_at: promise.map(t),
        recorded_at: t(at),
        incidents: incidents.to_vec(),
    }
}

fn incident(id: i64, bank: &str, start: i64, end: Option<i64>) -> IncidentRow {
    IncidentRow {
        id,
        kind: IncidentKind::Outage,
        state: if end.is_some() {
            IncidentState::Resolved
        } else {
            IncidentState::Investigating
        },
        title: Names::default(),
        started_at: t(start),
        resolved_at: end.map(t),
        created_at: t(start),
        updated_at: t(start),
        open_key: None,
        overrun_of: None,
        channel_key: None,
        reopens: 0,
        gaps: Vec::new(),
        scopes: vec![(bank.to_owned(), Channel::Atm)],
        sources: Vec::new(),
        alerted: true,
    }
}

fn span(id: i64, bank: &str, start: i64, end: Option<i64>) -> OutageSpan {
    OutageSpan {
        incident_id: id,
        bank: bank.into(),
        channel: Channel::Atm,
        started_at: t(start),
        resolved_at: end.map(t),
        overrun_of: None,
    }
}

#[test]
fn a_promise_is_pending_overdue_kept_or_missed() {
    let promised = t(240);
    assert_eq!(verdict(promised, None, t(200)), Verdict::Pending);
    assert_eq!(
        verdict(promised, None, t(265)),
        Verdict::Overdue {
            late: Duration::minutes(25)
        }
    );
    assert_eq!(
        verdict(promised, Some(t(230)), t(300)),
        Verdict::Kept { back_at: t(230) }
    );
    assert_eq!(
        verdict(promised, Some(t(240)), t(300)),
        Verdict::Kept { back_at: t(240) },
        "back on the stroke of the promise keeps it"
    );
    assert_eq!(
        verdict(promised, Some(t(310)), t(400)),
        Verdict::Missed {
            back_at: t(310),
            late: Duration::minutes(70)
        }
    );
}

#[test]
fn the_latest_promise_stands_until_another_replaces_it() {
    let statements = [
        said(1, "bmce", 30, Some(240), &[7]),
        said(2, "bmce", 60, None, &[7]),
        said(3, "bmce", 20, Some(500), &[7]),
        said(4, "bmce", 90, Some(600), &[8]),
    ];
    assert_eq!(promise_for(7, &statements), Some(t(240)));
    assert_eq!(promise_for(8, &statements), Some(t(600)));
    assert_eq!(promise_for(9, &statements), None);
}

#[test]
fn back_means_every_incident_spoken_of_is_resolved() {
    let s = said(1, "bmce", 30, Some(240), &[7, 8]);
    let both = [
        incident(7, "bmce", 0, Some(200)),
        incident(8, "bmce", 5, Some(250)),
    ];
    assert_eq!(back_at(&s, &both), Some(t(250)));
    let one_open = [
        incident(7, "bmce", 0, Some(200)),
        incident(8, "bmce", 5, None),
    ];
    assert_eq!(back_at(&s, &one_open), None);
    assert_eq!(back_at(&s, &[]), None);
}

#[test]
fn the_silence_runs_from_the_earliest_open_outage_until_a_word() {
    let open = [
        incident(7, "bmce", 10, None),
        incident(8, "bmce", 0, None),
        incident(9, "cdm", -50, None),
        incident(10, "bmce", -100, Some(-90)),
    ];
    let quiet = bank_word("bmce", &open, &[]).expect("open outages");
    assert_eq!(quiet.since, t(0));
    assert_eq!(quiet.down_since, t(0));
    // Reopened: still silent since it began, but down since its reopening.
    let mut reopened = open.clone();
    reopened[1].gaps = vec![(t(3), t(20))];
    let flapping = bank_word("bmce", &reopened, &[]).expect("open outages");
    assert_eq!((flapping.since, flapping.down_since), (t(0), t(10)));
    assert_eq!((quiet.latest, quiet.promise), (None, None));
    // A statement about another bank's outage, or about no open one, breaks no silence.
    let elsewhere = [
        said(1, "cdm", 5, None, &[9]),
        said(2, "bmce", -95, None, &[10]),
    ];
    let still = bank_word("bmce", &open, &elsewhere).expect("open outages");
    assert_eq!(still.latest, None);
    let spoke = [
        said(3, "bmce", 40, Some(240), &[7, 8]),
        said(4, "bmce", 70, None, &[8]),
    ];
    let word = bank_word("bmce", &open, &spoke).expect("open outages");
    assert_eq!(word.latest.map(|s| s.id), Some(4));
    assert_eq!(word.promise, Some(t(240)));
    assert!(bank_word("cih", &open, &spoke).is_none());
}

#[test]
fn a_months_figures_count_first_words_and_promises() {
    let (from, to) = (t(-600), t(10_000));
    let now = t(1_000);
    let spans = [
        // Spoke of after 45 minutes, a promise kept.
        span(1, "bmce", 0, Some(100)),
        // Reopened: two spans, one outage; first word after 2 h 15 min, a promise missed.
        span(2, "bmce", 200, Some(260)),
        span(2, "bmce", 280, Some(400)),
        // No word at all.
        span(3, "bmce", 500, Some(520)),
        // Began before the month: not this month's.
        span(4, "bmce", -700, Some(-650)),
        // Another bank's.
        span(5, "cdm", 0, Some(10)),
    ];
    let statements = [
        said(1, "bmce", 45, Some(120), &[1]),
        said(2, "bmce", 335, Some(350), &[2]),
        // A second word on the same outage changes nothing of its first.
        said(3, "bmce", 380, None, &[2]),
        said(4, "bmce", -690, Some(-680), &[4]),
        said(5, "cdm", 1, None, &[5]),
    ];
    let f = month_figures("bmce", &spans, &statements, from, to, now);
    assert_eq!(f.outages, 3);
    assert_eq!(
        (f.outages_with_statement, f.outages_without_statement),
        (2, 1)
    );
    let seconds: Vec<Option<i64>> = f.first_words.iter().map(|w| w.seconds).collect();
    assert_eq!(seconds, [Some(45 * 60), Some(135 * 60), None]);
    assert_eq!(f.first_words[1].first_word_at, Some(t(335)));
    assert_eq!(f.median_first_word_seconds, Some(90 * 60));
    assert_eq!(f.median_first_word_minutes, Some(90));
    assert_eq!((f.promises, f.promises_kept, f.promises_missed), (2, 1, 1));
    assert_eq!(f.minutes_past_promises, 50);
    assert_eq!(f.seconds_past_promises, 50 * 60);
}

#[test]
fn an_overdue_promise_counts_its_minutes_until_now_and_overlaps_once() {
    let spans = [span(1, "bmce", 0, None), span(2, "bmce", 5, None)];
    let statements = [
        said(1, "bmce", 10, Some(60), &[1, 2]),
        said(2, "bmce", 20, Some(70), &[2]),
    ];
    let f = month_figures("bmce", &spans, &statements, t(-10), t(500), t(100));
    assert_eq!(f.promises, 2);
    assert_eq!(
        (f.promises_kept, f.promises_missed),
        (0, 0),
        "neither is over"
    );
    // 60..100 and 70..100 overlap: 40 minutes past a promise.
    assert_eq!(f.minutes_past_promises, 40);
    let g = month_figures("bmce", &spans, &statements, t(-10), t(500), t(30));
    assert_eq!(g.minutes_past_promises, 0, "both still ahead");
}

#[test]
fn the_method_is_in_every_language() {
    for m in method() {
        for lang in crate::domain::Lang::ALL {
            assert_ne!(m.text(lang), m.id(), "{} missing in {lang:?}", m.id());
        }
    }
}
