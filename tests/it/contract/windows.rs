//! `WindowStore`: windows announced by the operator and by the config file (once, whatever
//! the restarts), read back by filter, and changed or cancelled through the operator's
//! update of their incident.

use bankstatus::domain::{Channel, IncidentKind, IncidentState, Names, Source};
use bankstatus::store::{
    AuditEntry, NewIncident, NewUpdate, NewWindow, OperatorUpdate, WindowFilter, WindowRow,
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
