//! `WindowStore`: windows announced by the operator and by the config file (once, whatever
//! the restarts), read back by filter, changed or cancelled through the operator's
//! update of their incident, and announced anew before they begin.

use bankstatus::domain::{Channel, IncidentKind, IncidentState, Names, Source};
use bankstatus::store::{
    AuditEntry, NewIncident, NewUpdate, NewWindow, OperatorUpdate, WindowChange, WindowChanged,
    WindowFilter, WindowRow,
};
use chrono::{DateTime, Utc};

use super::{audit, names, t, Fresh};

fn window(bank: &str, channels: &[Channel], starts: i64, ends: i64) -> NewWindow {
    NewWindow {
        bank: bank.into(),
        channels: channels.to_vec(),
        starts: t(starts),
        ends: t(ends),
        title: names(&format!("{bank} upgrade")),
        source: Some(format!("https://{bank}.example/maintenance")),
        config_key: None,
    }
}

fn ids(rows: &[WindowRow]) -> Vec<i64> {
    rows.iter().map(|w| w.incident_id).collect()
}

fn change(
    id: i64,
    at: DateTime<Utc>,
    state: IncidentState,
    closes: Option<DateTime<Utc>>,
) -> OperatorUpdate {
    OperatorUpdate {
        update: NewUpdate {
            at,
            state,
            source: Source::Operator,
            message: names("window changed"),
            alert: true,
        },
        title: None,
        window: Some(closes),
        audit: AuditEntry {
            target: Some(format!("incident:{id}")),
            ..audit(at, "add_update")
        },
    }
}

#[tokio::test]
async fn windows_are_announced_once_filtered_and_cancelled() {
    let db = Fresh::open().await;
    let store = &db.store;
    let all = WindowFilter {
        limit: 100,
        ..Default::default()
    };
    assert!(store.windows(&all).await.unwrap().is_empty());
    assert!(store.window(1).await.unwrap().is_none());

    // The operator announces a window an hour ahead.
    let upgrade = window("bmce", &[Channel::Atm, Channel::Web], 3600, 7200);
    let op = store
        .upsert_window(&upgrade, t(0), Some(&audit(t(0), "create_maintenance")))
        .await
        .unwrap();
    let w = store.window(op).await.unwrap().unwrap();
    assert_eq!(w.incident_id, op);
    assert_eq!(w.bank, "bmce");
    assert_eq!(
        w.channels,
        [Channel::Web, Channel::Atm],
        "in the pages' order"
    );
    assert_eq!((w.starts, w.ends), (t(3600), t(7200)));
    assert_eq!(w.title, upgrade.title);
    assert_eq!(w.source, upgrade.source);
    assert_eq!((w.state, w.sequence), (IncidentState::Scheduled, 0));
    assert_eq!((w.cancelled_at, w.updated_at), (None, t(0)));
    let (incident, updates) = store.incident(op).await.unwrap().unwrap();
    assert_eq!(incident.kind, IncidentKind::Maintenance);
    assert_eq!((incident.started_at, incident.created_at), (t(3600), t(0)));
    assert_eq!(updates.len(), 1);
    assert_eq!(
        (updates[0].at, updates[0].state, updates[0].source),
        (t(0), IncidentState::Scheduled, Source::Operator)
    );
    assert_eq!(updates[0].message, upgrade.title);
    assert_eq!(
        db.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE target = 'incident:{op}'"
        ))
        .await,
        1
    );

    // Recorded after it began, a window is announced as of its start. Without a config
    // key, the same window announced again is another.
    let late = store
        .upsert_window(&window("cih", &[Channel::Mobile], -600, 600), t(0), None)
        .await
        .unwrap();
    let (_, updates) = store.incident(late).await.unwrap().unwrap();
    assert_eq!(updates[0].at, t(-600));
    let again = store.upsert_window(&upgrade, t(1), None).await.unwrap();
    assert_ne!(again, op);

    // A config window is stored once under its key; a change the calendars show (title,
    // source) counts in its sequence and its last change.
    let mut config = window("awb", &[Channel::Web], 10_000, 12_000);
    config.config_key = Some("awb|web|10000|12000".into());
    let cw = store.upsert_window(&config, t(0), None).await.unwrap();
    assert_eq!(
        store.upsert_window(&config, t(100), None).await.unwrap(),
        cw
    );
    let w = store.window(cw).await.unwrap().unwrap();
    assert_eq!(
        (w.sequence, w.updated_at),
        (0, t(0)),
        "unchanged: untouched"
    );
    config.title = Names {
        en: Some("awb: longer upgrade".into()),
        ..config.title
    };
    assert_eq!(
        store.upsert_window(&config, t(200), None).await.unwrap(),
        cw
    );
    let w = store.window(cw).await.unwrap().unwrap();
    assert_eq!(w.title, config.title);
    assert_eq!((w.sequence, w.updated_at), (1, t(200)));
    config.source = None;
    assert_eq!(
        store.upsert_window(&config, t(300), None).await.unwrap(),
        cw
    );
    let w = store.window(cw).await.unwrap().unwrap();
    assert_eq!((w.source, w.sequence, w.updated_at), (None, 2, t(300)));
    let (_, updates) = store.incident(cw).await.unwrap().unwrap();
    assert_eq!(updates.len(), 1, "announced once");

    // By start, then id; each filter on its own.
    let list = |filter: WindowFilter| {
        let store = db.store.clone();
        async move { ids(&store.windows(&filter).await.unwrap()) }
    };
    assert_eq!(list(all.clone()).await, [late, op, again, cw]);
    assert_eq!(
        list(WindowFilter {
            limit: 2,
            ..all.clone()
        })
        .await,
        [late, op]
    );
    assert_eq!(
        list(WindowFilter {
            id: Some(again),
            ..all.clone()
        })
        .await,
        [again]
    );
    assert_eq!(
        list(WindowFilter {
            bank: Some("awb".into()),
            ..all.clone()
        })
        .await,
        [cw]
    );
    assert_eq!(
        list(WindowFilter {
            starts_before: Some(t(3600)),
            ..all.clone()
        })
        .await,
        [late],
        "starts before, not at"
    );
    assert_eq!(
        list(WindowFilter {
            ended_after: Some(t(600)),
            ..all.clone()
        })
        .await,
        [op, again, cw],
        "ended after, not at"
    );

    // Completed before its end: cancelled from then on, once; completed at its end: not
    // cancelled. Any change counts in the sequence.
    store
        .operator_update(
            op,
            &change(op, t(5000), IncidentState::Completed, Some(t(5000))),
        )
        .await
        .unwrap();
    let w = store.window(op).await.unwrap().unwrap();
    assert_eq!(w.state, IncidentState::Completed);
    assert_eq!((w.cancelled_at, w.sequence), (Some(t(5000)), 1));
    assert_eq!(w.updated_at, t(5000));
    store
        .operator_update(
            op,
            &change(op, t(5100), IncidentState::Completed, Some(t(5100))),
        )
        .await
        .unwrap();
    let w = store.window(op).await.unwrap().unwrap();
    assert_eq!((w.cancelled_at, w.sequence), (Some(t(5000)), 2));
    store
        .operator_update(
            late,
            &change(late, t(600), IncidentState::Completed, Some(t(600))),
        )
        .await
        .unwrap();
    let w = store.window(late).await.unwrap().unwrap();
    assert_eq!((w.cancelled_at, w.sequence), (None, 1));
    let mut moved = change(again, t(2000), IncidentState::Scheduled, None);
    moved.title = Some(names("bmce: new plan"));
    store.operator_update(again, &moved).await.unwrap();
    let w = store.window(again).await.unwrap().unwrap();
    assert_eq!(
        (w.state, w.sequence, w.cancelled_at),
        (IncidentState::Scheduled, 1, None)
    );
    assert_eq!(w.title, names("bmce: new plan"));
    assert_eq!(
        list(WindowFilter {
            open_only: true,
            ..all
        })
        .await,
        [again, cw]
    );

    // An incident that is not a window has none.
    let advisory = store
        .open_incident(&NewIncident {
            kind: IncidentKind::Advisory,
            title: names("advisory"),
            started_at: t(0),
            recorded_at: t(0),
            open_key: None,
            overrun_of: None,
            scopes: vec![("bmce".into(), Channel::Web)],
            first_update: NewUpdate {
                at: t(0),
                state: IncidentState::Monitoring,
                source: Source::Operator,
                message: names("advisory"),
                alert: true,
            },
            later: Vec::new(),
            audit: None,
            reopen: None,
        })
        .await
        .unwrap()
        .id();
    assert!(store.window(advisory).await.unwrap().is_none());
}

#[tokio::test]
async fn windows_are_announced_anew_only_before_they_begin() {
    let db = Fresh::open().await;
    let store = &db.store;
    let anew = |at: i64, starts: i64, ends: i64| WindowChange {
        channels: vec![Channel::Mobile, Channel::Transfers],
        starts: t(starts),
        ends: t(ends),
        title: names("cdm: new plan"),
        source: None,
        entry: NewUpdate {
            at: t(at),
            state: IncidentState::Scheduled,
            source: Source::Operator,
            message: names("announced anew"),
            alert: true,
        },
    };
    let audit_of = |at: i64| audit(t(at), "change_maintenance");
    assert_eq!(
        store
            .change_window(1, &anew(0, 10, 20), &audit_of(0))
            .await
            .unwrap(),
        WindowChanged::Missing
    );
    let id = store
        .upsert_window(&window("cdm", &[Channel::Web], 3600, 7200), t(0), None)
        .await
        .unwrap();
    assert_eq!(
        store
            .change_window(id, &anew(100, 4000, 9000), &audit_of(100))
            .await
            .unwrap(),
        WindowChanged::Changed
    );
    let w = store.window(id).await.unwrap().unwrap();
    assert_eq!(
        (
            w.bank.as_str(),
            w.channels.clone(),
            w.starts,
            w.ends,
            w.sequence
        ),
        (
            "cdm",
            vec![Channel::Mobile, Channel::Transfers],
            t(4000),
            t(9000),
            1
        )
    );
    assert_eq!(
        (w.title, w.source, w.state),
        (names("cdm: new plan"), None, IncidentState::Scheduled)
    );
    assert_eq!(w.updated_at, t(100));
    let (incident, timeline) = store.incident(id).await.unwrap().unwrap();
    assert_eq!(
        incident.started_at,
        t(4000),
        "the incident starts with its window"
    );
    let last = timeline.last().unwrap();
    assert_eq!(
        (last.at, last.message.clone()),
        (t(100), names("announced anew"))
    );
    assert_eq!(
        last.title,
        names("cdm: new plan"),
        "the entry carries the new title"
    );
    // Begun (its first step on the clock), it stays as announced.
    store
        .operator_update(id, &change(id, t(4000), IncidentState::InProgress, None))
        .await
        .unwrap();
    assert_eq!(
        store
            .change_window(id, &anew(4100, 4000, 9500), &audit_of(4100))
            .await
            .unwrap(),
        WindowChanged::Begun
    );
    // Called off before it began: the same.
    let off = store
        .upsert_window(&window("cdm", &[Channel::Web], 20_000, 30_000), t(0), None)
        .await
        .unwrap();
    store
        .operator_update(
            off,
            &change(off, t(500), IncidentState::Completed, Some(t(500))),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .change_window(off, &anew(600, 20_000, 40_000), &audit_of(600))
            .await
            .unwrap(),
        WindowChanged::Begun
    );
    // A window of the config file is what the file says.
    let from_file = store
        .upsert_window(
            &NewWindow {
                config_key: Some("cdm-weekend".into()),
                ..window("cdm", &[Channel::Web], 50_000, 60_000)
            },
            t(0),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .change_window(from_file, &anew(700, 50_000, 70_000), &audit_of(700))
            .await
            .unwrap(),
        WindowChanged::FromConfig
    );
    assert_eq!(
        store.window(from_file).await.unwrap().unwrap().ends,
        t(60_000)
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM audit_log WHERE action = 'change_maintenance'")
            .await,
        1
    );
}
