//! `StatementStore`: statements stored once with the incidents they speak of, their alert
//! event and audit entry; read back whole (times to the millisecond, words and translations
//! apart), one by id, and by bank, channel, time, incident, open incidents, order and limit.

use bankstatus::domain::{Channel, IncidentKind, IncidentState, Names, SourceKind, Statement};
use bankstatus::store::{NewIncident, NewStatement, NewUpdate, StatementFilter};
use chrono::{DateTime, Utc};

use super::{audit, names, t, Fresh};

fn outage(bank: &str, channel: Channel, at: DateTime<Utc>) -> NewIncident {
    NewIncident {
        kind: IncidentKind::Outage,
        title: names("outage"),
        started_at: at,
        recorded_at: at,
        open_key: None,
        overrun_of: None,
        scopes: vec![(bank.to_owned(), channel)],
        first_update: NewUpdate {
            at,
            state: IncidentState::Investigating,
            source: bankstatus::domain::Source::Operator,
            message: names("down"),
            alert: true,
        },
        later: Vec::new(),
        audit: None,
        reopen: None,
    }
}

#[allow(clippy::too_many_arguments, reason = "one statement, field by field")]
fn said(
    bank: &str,
    channels: &[Channel],
    said_at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
    promise: Option<DateTime<Utc>>,
    incidents: &[i64],
) -> NewStatement {
    NewStatement {
        bank: bank.into(),
        channels: channels.to_vec(),
        words: Names {
            ar: Some(format!("كلام {}", said_at.timestamp_millis())),
            fr: Some(format!(
                "Un problème dans le système ({})",
                said_at.timestamp_millis()
            )),
            en: None,
        },
        translations: Names {
            ar: None,
            fr: None,
            en: Some("A problem in the system".into()),
        },
        source_url: format!("https://{bank}.example/post/{}", said_at.timestamp_millis()),
        source_kind: SourceKind::Facebook,
        said_at,
        expected_back_at: promise,
        recorded_at,
        incidents: incidents.to_vec(),
        audit: audit(recorded_at, "create_statement"),
    }
}

fn ids(rows: &[Statement]) -> Vec<i64> {
    rows.iter().map(|s| s.id).collect()
}

#[tokio::test]
async fn statements_are_stored_once_with_their_incidents_and_read_back_by_filter() {
    let db = Fresh::open().await;
    let store = &db.store;
    let all = |f: StatementFilter| StatementFilter { limit: 100, ..f };
    assert!(store
        .statements(&all(StatementFilter::default()))
        .await
        .unwrap()
        .is_empty());
    assert!(store.statement(1).await.unwrap().is_none());

    let atm = store
        .open_incident(&outage("bmce", Channel::Atm, t(0)))
        .await
        .unwrap()
        .id();
    let web = store
        .open_incident(&outage("bmce", Channel::Web, t(5)))
        .await
        .unwrap()
        .id();
    let cdm = store
        .open_incident(&outage("cdm", Channel::Mobile, t(0)))
        .await
        .unwrap()
        .id();

    let first = said("bmce", &[Channel::Atm], t(30), t(60), Some(t(3600)), &[atm]);
    let s1 = store.add_statement(&first).await.unwrap();
    // Its incidents in any order, and twice: stored once each, lowest id first.
    let both = said(
        "bmce",
        &[Channel::Web, Channel::Atm],
        t(100),
        t(110),
        None,
        &[web, atm, web],
    );
    let s2 = store.add_statement(&both).await.unwrap();
    let alone = said("cdm", &[Channel::Cards], t(50), t(200), None, &[]);
    let s3 = store.add_statement(&alone).await.unwrap();

    let got = store.statement(s1).await.unwrap().unwrap();
    assert_eq!(got.id, s1);
    assert_eq!(
        (got.bank.as_str(), got.channels.as_slice()),
        ("bmce", &[Channel::Atm][..])
    );
    assert_eq!(got.words, first.words);
    assert_eq!(got.translations, first.translations);
    assert_eq!(got.source_url, first.source_url);
    assert_eq!(got.source_kind, SourceKind::Facebook);
    assert_eq!(
        (got.said_at, got.expected_back_at, got.recorded_at),
        (t(30), Some(t(3600)), t(60)),
        "to the millisecond"
    );
    assert_eq!(got.incidents, [atm]);
    let got2 = store.statement(s2).await.unwrap().unwrap();
    assert_eq!(
        got2.channels,
        [Channel::Web, Channel::Atm],
        "in the pages' order"
    );
    let mut linked = vec![atm, web];
    linked.sort_unstable();
    assert_eq!(got2.incidents, linked);
    assert!(store.statement(s3 + 100).await.unwrap().is_none());

    // Newest said first; by bank, channel, time, incident.
    let f = |f: StatementFilter| async move { ids(&store.statements(&all(f)).await.unwrap()) };
    assert_eq!(f(StatementFilter::default()).await, [s2, s3, s1]);
    let bmce = Some("bmce".to_owned());
    assert_eq!(
        f(StatementFilter {
            bank: bmce.clone(),
            ..Default::default()
        })
        .await,
        [s2, s1]
    );
    assert_eq!(
        f(StatementFilter {
            channels: vec![Channel::Web],
            ..Default::default()
        })
        .await,
        [s2]
    );
    assert_eq!(
        f(StatementFilter {
            channels: vec![Channel::Atm, Channel::Cards],
            ..Default::default()
        })
        .await,
        [s2, s3, s1]
    );
    assert!(f(StatementFilter {
        channels: vec![Channel::Branches],
        ..Default::default()
    })
    .await
    .is_empty());
    assert_eq!(
        f(StatementFilter {
            since: Some(t(50)),
            ..Default::default()
        })
        .await,
        [s2, s3],
        "said at or after"
    );
    assert_eq!(
        f(StatementFilter {
            until: Some(t(50)),
            ..Default::default()
        })
        .await,
        [s1],
        "said before"
    );
    assert_eq!(
        f(StatementFilter {
            incident: Some(atm),
            ..Default::default()
        })
        .await,
        [s2, s1]
    );
    assert!(f(StatementFilter {
        incident: Some(cdm),
        ..Default::default()
    })
    .await
    .is_empty());
    assert_eq!(
        f(StatementFilter {
            open_incidents: true,
            ..Default::default()
        })
        .await,
        [s2, s1]
    );
    assert_eq!(
        f(StatementFilter {
            by_recorded: true,
            ..Default::default()
        })
        .await,
        [s3, s2, s1]
    );
    let one = store
        .statements(&StatementFilter {
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(ids(&one), [s2]);

    // Once its incidents resolve, a statement is no longer about an open one.
    for id in [atm, web] {
        let resolved = NewUpdate {
            at: t(4000),
            state: IncidentState::Resolved,
            source: bankstatus::domain::Source::Operator,
            message: Names::default(),
            alert: true,
        };
        store.add_update(id, &resolved).await.unwrap();
    }
    assert!(f(StatementFilter {
        open_incidents: true,
        ..Default::default()
    })
    .await
    .is_empty());

    // One alert event per statement that speaks of an incident, under the first of them;
    // none for one that speaks of none. One audit entry each, naming the statement.
    let events = store.pending_events(100).await.unwrap();
    let statement_events: Vec<(i64, i64, Option<i64>)> = events
        .iter()
        .filter(|e| e.statement_id.is_some())
        .map(|e| (e.incident_id, e.update_id, e.statement_id))
        .collect();
    assert_eq!(
        statement_events,
        [(atm, 0, Some(s1)), (linked[0], 0, Some(s2))]
    );
    assert!(events
        .iter()
        .filter(|e| e.statement_id.is_none())
        .all(|e| e.update_id > 0));
    assert_eq!(
        db.count("SELECT COUNT(*) FROM audit_log WHERE action = 'create_statement'")
            .await,
        3
    );
    assert_eq!(
        db.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE target = 'statement:{s3}'"
        ))
        .await,
        1
    );
}
