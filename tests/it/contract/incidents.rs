//! `IncidentStore`: opening under a key and joining it, updates and the operator's changes,
//! one incident with its timeline, the lists pages and feeds read, outage spans,
//! corrections appended and listed; and the incidents story the core's test ledger tells
//! too.

use bankstatus::domain::{Channel, IncidentKind, IncidentState, Names, OpenKey, Source};
use bankstatus::signals::ledger::{self, StoreLedger};
use bankstatus::store::{
    AuditEntry, FeedFilter, IncidentFilter, IncidentRow, NewCorrection, NewIncident, NewUpdate,
    Opened, OperatorUpdate,
};
use chrono::{DateTime, Utc};

use super::{audit, ms, names, t, Fresh};

use IncidentState::{Identified, Investigating, Monitoring, Resolved};
use Source::{Operator, Probe, Reports};

fn update(at: DateTime<Utc>, state: IncidentState, source: Source) -> NewUpdate {
    NewUpdate {
        at,
        state,
        source,
        message: names(&format!("{} at {}", state.as_str(), at.timestamp_millis())),
        alert: true,
    }
}

fn incident(
    kind: IncidentKind,
    scopes: &[(&str, Channel)],
    key: Option<OpenKey>,
    started_at: DateTime<Utc>,
    first: NewUpdate,
) -> NewIncident {
    NewIncident {
        kind,
        title: names("incident"),
        started_at,
        recorded_at: first.at,
        open_key: key,
        overrun_of: None,
        scopes: scopes.iter().map(|(b, c)| ((*b).to_owned(), *c)).collect(),
        first_update: first,
        later: Vec::new(),
        audit: None,
        reopen: None,
    }
}

fn ids(rows: &[IncidentRow]) -> Vec<i64> {
    rows.iter().map(|r| r.id).collect()
}

/// The incidents story the core's test ledger tells too (`signals::ledger::story`).
#[tokio::test]
async fn the_store_tells_the_ledger_story() {
    let db = Fresh::open().await;
    ledger::story(&mut StoreLedger(&*db.store)).await.unwrap();
}

#[tokio::test]
async fn incidents_are_opened_joined_updated_and_read_back() {
    let db = Fresh::open().await;
    let store = &db.store;
    assert!(store.incident(1).await.unwrap().is_none());
    assert!(store
        .incidents(&IncidentFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .is_empty());

    // A past event the operator records: its resolution follows at once, with the audit
    // entry, in one write.
    let mut past = incident(
        IncidentKind::Outage,
        &[("bmce", Channel::Web), ("bmce", Channel::Atm)],
        None,
        t(0),
        update(t(0), Investigating, Operator),
    );
    past.title = Names {
        ar: None,
        fr: Some("Panne passée".into()),
        en: Some("Past outage".into()),
    };
    past.recorded_at = t(7200);
    past.later = vec![update(t(3600), Resolved, Operator)];
    past.audit = Some(audit(t(7200), "incident.create"));
    let Opened::New(p) = store.open_incident(&past).await.unwrap() else {
        panic!("an incident without a key is new");
    };
    let (row, updates) = store.incident(p).await.unwrap().unwrap();
    assert_eq!((row.kind, row.state), (IncidentKind::Outage, Resolved));
    assert_eq!(row.title, past.title, "a missing language stays missing");
    assert_eq!(row.started_at, t(0));
    assert_eq!(row.resolved_at, Some(t(3600)));
    assert_eq!(row.created_at, t(7200), "put on the record later");
    assert_eq!(row.updated_at, t(3600));
    assert_eq!(
        (row.open_key, row.channel_key, row.overrun_of),
        (None, None, None)
    );
    assert_eq!(
        row.scopes,
        [("bmce".into(), Channel::Atm), ("bmce".into(), Channel::Web)]
    );
    assert_eq!(row.sources.len(), 1);
    assert_eq!(
        (row.sources[0].source, row.sources[0].first_seen_at),
        (Operator, t(0))
    );
    let lines: Vec<_> = updates.iter().map(|u| (u.at, u.state, u.source)).collect();
    assert_eq!(
        lines,
        [
            (t(0), Investigating, Operator),
            (t(3600), Resolved, Operator)
        ]
    );
    assert_eq!(
        updates[1].message,
        update(t(3600), Resolved, Operator).message
    );
    assert!(updates.iter().all(|u| u.title == past.title));
    assert!(updates[0].id < updates[1].id);
    assert_eq!(
        db.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE target = 'incident:{p}' \
             AND action = 'incident.create'"
        ))
        .await,
        1,
        "the audit entry names the new incident"
    );

    // Two openings under one key at once: one incident, the other joins it.
    let key = OpenKey::new("cih", Channel::Mobile);
    let probe = incident(
        IncidentKind::Outage,
        &[("cih", Channel::Mobile)],
        Some(key.clone()),
        t(600),
        update(t(660), Investigating, Probe),
    );
    let surge = incident(
        IncidentKind::Outage,
        &[("cih", Channel::Mobile)],
        Some(key.clone()),
        t(610),
        update(t(670), Investigating, Reports),
    );
    let (one, other) = tokio::join!(store.open_incident(&probe), store.open_incident(&surge));
    let mut opened = [one.unwrap(), other.unwrap()];
    opened.sort_by_key(|o| matches!(o, Opened::Existing(_)));
    let [Opened::New(k), Opened::Existing(joined)] = opened else {
        panic!("one open incident per key: {opened:?}");
    };
    assert_eq!(k, joined);
    let (row, updates) = store.incident(k).await.unwrap().unwrap();
    assert_eq!(updates.len(), 2);
    assert_eq!(row.sources.len(), 2);
    assert_eq!(row.open_key, Some(key.clone()));

    // Updates move the state; closing frees the key; an older entry does not move the
    // last change back.
    store
        .add_update(k, &update(t(700), Identified, Probe))
        .await
        .unwrap();
    store
        .add_update(k, &update(t(690), Monitoring, Reports))
        .await
        .unwrap();
    let (row, _) = store.incident(k).await.unwrap().unwrap();
    assert_eq!((row.state, row.updated_at), (Monitoring, t(700)));
    store
        .add_update(k, &update(t(800) + ms(1), Resolved, Probe))
        .await
        .unwrap();
    let (row, updates) = store.incident(k).await.unwrap().unwrap();
    assert_eq!(row.resolved_at, Some(t(800) + ms(1)));
    assert_eq!((row.open_key, row.channel_key), (None, Some(key)));
    let times: Vec<_> = updates.iter().map(|u| u.at).collect();
    assert_eq!(times, [t(660), t(670), t(690), t(700), t(800) + ms(1)]);

    // An update of an incident that does not exist writes nothing.
    let events = db.count("SELECT COUNT(*) FROM alert_events").await;
    assert!(store
        .add_update(k + 1000, &update(t(900), Resolved, Probe))
        .await
        .is_err());
    assert_eq!(db.count("SELECT COUNT(*) FROM alert_events").await, events);
    assert!(store.incident(k + 1000).await.unwrap().is_none());

    // The operator's change: the entry, a title in one language (the others kept), and
    // the audit entry; earlier entries keep the title they were written under.
    let advisory = incident(
        IncidentKind::Advisory,
        &[("awb", Channel::Web)],
        None,
        t(1200),
        update(t(1200), Monitoring, Operator),
    );
    let a = store.open_incident(&advisory).await.unwrap().id();
    let retitle = Names {
        ar: None,
        fr: Some("Lenteurs".into()),
        en: None,
    };
    store
        .operator_update(
            a,
            &OperatorUpdate {
                update: update(t(1800), Resolved, Operator),
                title: Some(retitle),
                window: None,
                audit: AuditEntry {
                    target: Some(format!("incident:{a}")),
                    ..audit(t(1800), "incident.update")
                },
            },
        )
        .await
        .unwrap();
    let (row, updates) = store.incident(a).await.unwrap().unwrap();
    let renamed = Names {
        fr: Some("Lenteurs".into()),
        ..names("incident")
    };
    assert_eq!(row.title, renamed);
    assert_eq!((row.state, row.resolved_at), (Resolved, Some(t(1800))));
    assert_eq!(row.updated_at, t(1800));
    assert_eq!(updates[0].title, names("incident"));
    assert_eq!(updates[1].title, renamed);
    assert_eq!(
        db.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE target = 'incident:{a}' \
             AND action = 'incident.update'"
        ))
        .await,
        1
    );
}

/// Four incidents: bmce's past outage (web and ATM), cih's mobile outage, and two started
/// at the same time (awb's advisory and bmce's overrun of a window), the last two open.
async fn four(db: &Fresh) -> [i64; 4] {
    let store = &db.store;
    let mut past = incident(
        IncidentKind::Outage,
        &[("bmce", Channel::Web), ("bmce", Channel::Atm)],
        None,
        t(0),
        update(t(0), Investigating, Operator),
    );
    past.later = vec![update(t(3600), Resolved, Operator)];
    let p = store.open_incident(&past).await.unwrap().id();
    let mobile = incident(
        IncidentKind::Outage,
        &[("cih", Channel::Mobile)],
        Some(OpenKey::new("cih", Channel::Mobile)),
        t(600),
        update(t(660), Investigating, Probe),
    );
    let m = store.open_incident(&mobile).await.unwrap().id();
    let advisory = incident(
        IncidentKind::Advisory,
        &[("awb", Channel::Web)],
        None,
        t(1200),
        update(t(1200), Monitoring, Operator),
    );
    let a = store.open_incident(&advisory).await.unwrap().id();
    let mut overrun = incident(
        IncidentKind::Outage,
        &[("bmce", Channel::Cards)],
        Some(OpenKey::new("bmce", Channel::Cards)),
        t(1200),
        update(t(1300), Investigating, Probe),
    );
    overrun.overrun_of = Some(p);
    let o = store.open_incident(&overrun).await.unwrap().id();
    [p, m, a, o]
}

#[tokio::test]
async fn incidents_are_listed_newest_first_by_filter_and_cursor() {
    let db = Fresh::open().await;
    let [p, m, a, o] = four(&db).await;
    let list = |filter: IncidentFilter| {
        let store = db.store.clone();
        async move {
            ids(&store
                .incidents(&IncidentFilter {
                    limit: 100,
                    ..filter
                })
                .await
                .unwrap())
        }
    };
    assert_eq!(
        list(IncidentFilter::default()).await,
        [o, a, m, p],
        "by start, newest first; the same start by id"
    );

    // A page at a time, with the cursor of the last row.
    let mut pages = Vec::new();
    let mut before = None;
    loop {
        let page = db
            .store
            .incidents(&IncidentFilter {
                before,
                limit: 1,
                ..Default::default()
            })
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        before = Some((last.started_at, last.id));
        pages.push(ids(&page));
    }
    assert_eq!(pages, [[o], [a], [m], [p]]);
    let two = db
        .store
        .incidents(&IncidentFilter {
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(ids(&two), [o, a]);
    assert_eq!(
        two[0].scopes,
        [("bmce".into(), Channel::Cards)],
        "lists carry scopes"
    );
    assert_eq!(two[0].sources.len(), 1, "and sources");

    let bank = |b: &str| IncidentFilter {
        bank: Some(b.into()),
        ..Default::default()
    };
    assert_eq!(list(bank("bmce")).await, [o, p]);
    assert_eq!(list(bank("nobank")).await, Vec::<i64>::new());
    assert_eq!(
        list(IncidentFilter {
            channel: Some(Channel::Web),
            ..Default::default()
        })
        .await,
        [a, p]
    );
    assert_eq!(
        list(IncidentFilter {
            channel: Some(Channel::Atm),
            ..bank("awb")
        })
        .await,
        Vec::<i64>::new(),
        "bank and channel of the same scope"
    );
    assert_eq!(
        list(IncidentFilter {
            kind: Some(IncidentKind::Advisory),
            ..Default::default()
        })
        .await,
        [a]
    );
    assert_eq!(
        list(IncidentFilter {
            state: Some(Resolved),
            ..Default::default()
        })
        .await,
        [p]
    );
    assert_eq!(
        list(IncidentFilter {
            open_only: true,
            ..Default::default()
        })
        .await,
        [o, a, m]
    );
    // Since: started since, or still open, or resolved since.
    assert_eq!(
        list(IncidentFilter {
            since: Some(t(3600)),
            ..Default::default()
        })
        .await,
        [o, a, m, p]
    );
    assert_eq!(
        list(IncidentFilter {
            since: Some(t(3600) + ms(1)),
            ..Default::default()
        })
        .await,
        [o, a, m]
    );
    assert_eq!(
        list(IncidentFilter {
            until: Some(t(1200)),
            ..Default::default()
        })
        .await,
        [m, p],
        "started before, not at"
    );
    assert_eq!(
        list(IncidentFilter {
            overrun_of: Some(p),
            ..Default::default()
        })
        .await,
        [o]
    );
}

#[tokio::test]
async fn feeds_list_updates_newest_first_by_bank_and_channels() {
    let db = Fresh::open().await;
    let store = &db.store;
    let all = FeedFilter {
        limit: 100,
        ..Default::default()
    };
    assert!(store.feed_entries(&all).await.unwrap().is_empty());
    let [p, m, a, o] = four(&db).await;
    // Two entries of one time: the one written last comes first.
    store
        .add_update(m, &update(t(1300), Identified, Reports))
        .await
        .unwrap();
    let feed = |filter: FeedFilter| {
        let store = db.store.clone();
        async move {
            store
                .feed_entries(&filter)
                .await
                .unwrap()
                .into_iter()
                .map(|e| (e.incident.id, e.update.at))
                .collect::<Vec<_>>()
        }
    };
    let everything = feed(all.clone()).await;
    assert_eq!(
        everything,
        [
            (p, t(3600)),
            (m, t(1300)),
            (o, t(1300)),
            (a, t(1200)),
            (m, t(660)),
            (p, t(0))
        ]
    );
    let entries = store.feed_entries(&all).await.unwrap();
    let first = &entries[0];
    assert_eq!(first.update.state, Resolved);
    assert_eq!(first.update.source, Operator);
    assert_eq!(
        first.incident.scopes.len(),
        2,
        "each entry with its incident"
    );
    assert_eq!(first.update.title, names("incident"));
    assert_eq!(
        feed(FeedFilter {
            limit: 2,
            ..all.clone()
        })
        .await,
        everything[..2]
    );
    assert_eq!(
        feed(FeedFilter {
            bank: Some("awb".into()),
            ..all.clone()
        })
        .await,
        [(a, t(1200))]
    );
    assert_eq!(
        feed(FeedFilter {
            channels: vec![Channel::Mobile, Channel::Atm],
            ..all.clone()
        })
        .await,
        [(p, t(3600)), (m, t(1300)), (m, t(660)), (p, t(0))],
        "any of the channels"
    );
    assert_eq!(
        feed(FeedFilter {
            bank: Some("cih".into()),
            channels: vec![Channel::Atm],
            ..all
        })
        .await,
        []
    );
}

#[tokio::test]
async fn outage_spans_are_one_per_scope_and_split_where_reopened() {
    let db = Fresh::open().await;
    let store = &db.store;
    assert!(store
        .outage_spans(t(-86_400), t(86_400))
        .await
        .unwrap()
        .is_empty());
    let [p, m, _advisory, o] = four(&db).await;
    // An outage resolved, reopened and resolved again was down twice.
    let key = OpenKey::new("awb", Channel::Atm);
    let mut flap = incident(
        IncidentKind::Outage,
        &[("awb", Channel::Atm)],
        Some(key.clone()),
        t(4000),
        update(t(4000), Investigating, Probe),
    );
    let f = store.open_incident(&flap).await.unwrap().id();
    store
        .add_update(f, &update(t(4100), Resolved, Probe))
        .await
        .unwrap();
    flap.first_update = update(t(4200), Investigating, Probe);
    flap.reopen = Some(f);
    assert_eq!(
        store.open_incident(&flap).await.unwrap(),
        Opened::Existing(f)
    );
    store
        .add_update(f, &update(t(4300), Resolved, Probe))
        .await
        .unwrap();

    let spans = |from: DateTime<Utc>, to: DateTime<Utc>| {
        let store = db.store.clone();
        async move {
            let mut spans: Vec<_> = store
                .outage_spans(from, to)
                .await
                .unwrap()
                .into_iter()
                .map(|s| {
                    (
                        s.incident_id,
                        s.bank,
                        s.channel,
                        s.started_at,
                        s.resolved_at,
                        s.overrun_of,
                    )
                })
                .collect();
            spans.sort_by_key(|s| (s.3, s.0, s.2.as_str()));
            spans
        }
    };
    let b = |s: &str| s.to_owned();
    assert_eq!(
        spans(t(-60), t(86_400)).await,
        [
            (p, b("bmce"), Channel::Atm, t(0), Some(t(3600)), None),
            (p, b("bmce"), Channel::Web, t(0), Some(t(3600)), None),
            (m, b("cih"), Channel::Mobile, t(600), None, None),
            (o, b("bmce"), Channel::Cards, t(1200), None, Some(p)),
            (f, b("awb"), Channel::Atm, t(4000), Some(t(4100)), None),
            (f, b("awb"), Channel::Atm, t(4200), Some(t(4300)), None),
        ],
        "outages only, one per scope"
    );
    // Those that touch [from, to): resolved at `from` is out, started at `to` is out.
    let touching: Vec<_> = spans(t(3600), t(4000))
        .await
        .into_iter()
        .map(|s| s.0)
        .collect();
    assert_eq!(touching, [m, o]);
    let touching: Vec<_> = spans(t(3600) - ms(1), t(4250))
        .await
        .into_iter()
        .map(|s| s.0)
        .collect();
    assert_eq!(touching, [p, p, m, o, f, f]);
}

#[tokio::test]
async fn corrections_are_appended_read_back_and_listed() {
    let db = Fresh::open().await;
    let store = &db.store;
    let all = FeedFilter {
        limit: 100,
        ..Default::default()
    };
    assert!(store.correction_entries(&all).await.unwrap().is_empty());
    let open = |bank: &'static str, at: i64| {
        let store = db.store.clone();
        async move {
            store
                .open_incident(&incident(
                    IncidentKind::Outage,
                    &[(bank, Channel::Atm)],
                    None,
                    t(at),
                    update(t(at), Investigating, Operator),
                ))
                .await
                .unwrap()
                .id()
        }
    };
    let (x, y) = (open("bmce", 0).await, open("cih", 10).await);
    let entry = |id: i64| {
        let store = db.store.clone();
        async move { store.incident(id).await.unwrap().unwrap().1[0].clone() }
    };
    let (ex, ey) = (entry(x).await, entry(y).await);
    assert!(ex.corrections.is_empty());
    let correct = |incident: i64, update: i64, at, text: &str, key: Option<&str>| NewCorrection {
        incident_id: incident,
        update_id: update,
        at,
        message: names(text),
        audit: AuditEntry {
            request: key.map(str::to_owned),
            ..audit(at, "correct_update")
        },
    };
    let c1 = store
        .correct_update(&correct(
            x,
            ex.id,
            t(100) + ms(3),
            "first fix",
            Some("desk:a"),
        ))
        .await
        .unwrap()
        .unwrap();
    let c2 = store
        .correct_update(&correct(x, ex.id, t(200), "second fix", None))
        .await
        .unwrap()
        .unwrap();
    let c3 = store
        .correct_update(&correct(y, ey.id, t(150), "cih fix", None))
        .await
        .unwrap()
        .unwrap();
    // An entry of another incident, or none at all: nothing written.
    assert_eq!(
        store
            .correct_update(&correct(y, ex.id, t(300), "wrong", None))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .correct_update(&correct(x, 999_999, t(300), "none", None))
            .await
            .unwrap(),
        None
    );
    // The same request key again: refused, nothing written.
    assert!(matches!(
        store
            .correct_update(&correct(x, ex.id, t(400), "again", Some("desk:a")))
            .await,
        Err(bankstatus::store::StoreError::Repeated(_))
    ));
    // Read back with its entry, oldest first, the entry as published.
    let read = entry(x).await;
    assert_eq!(read.message, ex.message, "never edited in place");
    let fixes: Vec<(i64, DateTime<Utc>, Names)> = read
        .corrections
        .iter()
        .map(|c| (c.id, c.at, c.message.clone()))
        .collect();
    assert_eq!(
        fixes,
        [
            (c1, t(100) + ms(3), names("first fix")),
            (c2, t(200), names("second fix"))
        ]
    );
    assert!(read.corrections.iter().all(|c| c.update_id == ex.id));
    // As feed entries: newest first, each with the corrections up to its own.
    let listed = store.correction_entries(&all).await.unwrap();
    let brief: Vec<(i64, i64, usize)> = listed
        .iter()
        .map(|e| {
            (
                e.incident.id,
                e.update.corrections.last().unwrap().id,
                e.update.corrections.len(),
            )
        })
        .collect();
    assert_eq!(brief, [(x, c2, 2), (y, c3, 1), (x, c1, 1)]);
    assert_eq!(listed[0].update.message, ex.message);
    assert_eq!(
        listed[0].incident.scopes,
        [("bmce".to_owned(), Channel::Atm)]
    );
    let bank = |b: &str| FeedFilter {
        bank: Some(b.into()),
        ..all.clone()
    };
    assert_eq!(
        store.correction_entries(&bank("cih")).await.unwrap().len(),
        1
    );
    assert!(store
        .correction_entries(&FeedFilter {
            channels: vec![Channel::Web],
            ..all.clone()
        })
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .correction_entries(&FeedFilter {
                limit: 1,
                ..all.clone()
            })
            .await
            .unwrap()
            .len(),
        1
    );
    // A withdrawn incident's corrections leave the feeds with its entries.
    let withdrawn = NewUpdate {
        at: t(500),
        state: IncidentState::Withdrawn,
        source: Operator,
        message: names("false alarm"),
        alert: true,
    };
    assert!(store
        .withdraw_incident(y, &withdrawn, &audit(t(500), "withdraw_incident"))
        .await
        .unwrap());
    assert_eq!(
        store.correction_entries(&bank("cih")).await.unwrap().len(),
        0
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM audit_log WHERE action = 'correct_update'")
            .await,
        3
    );
}
