//! The log's storage: the `LogStore` story on each backend, where the key is kept, and the
//! log and the facts agreeing after a SIGKILL in the middle of appending.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bankstatus::domain::fact::{read_entry, FactKind, Logged};
use bankstatus::domain::{Channel, IncidentKind, IncidentState, Names, Source, SourceKind};
use bankstatus::log::sequencer::decide;
use bankstatus::store::log::Sequenced;
use bankstatus::store::{
    from_ms, AuditEntry, NewIncident, NewStatement, NewUpdate, NewWindow, OperatorUpdate,
};
use bankstatus::tlog::note::LogKey;
use chrono::{DateTime, Duration as Span, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{eventually, quiet_bank, FakeBank, TestDb, ADMIN};

/// `s` seconds after 2026-06-10 08:00:00.250 UTC: the log keeps the milliseconds.
fn t(s: i64) -> DateTime<Utc> {
    from_ms(1_781_078_400_250) + Span::seconds(s)
}

fn update(at: DateTime<Utc>, state: IncidentState) -> NewUpdate {
    NewUpdate {
        at,
        state,
        source: Source::Operator,
        message: Names::new("", "Retraits impossibles.", ""),
        alert: true,
    }
}

#[tokio::test]
async fn the_log_store_story() {
    let db = TestDb::new();
    let store = bankstatus::store::connect(&db.url).await.unwrap();
    let key = LogKey::generate("status.example.ma").unwrap();
    assert_eq!(store.backfill_log().await.unwrap(), 0, "nothing to enter");
    assert_eq!(store.log_appended().await.unwrap(), 0);
    assert!(store.latest_checkpoint().await.unwrap().is_none());
    let key = &key;
    let sign = |now: DateTime<Utc>| move |tip| decide(key, now, tip);
    // The first turn signs the empty tree.
    let first = store.sequence_log(1000, t(0), &sign(t(0))).await.unwrap();
    assert!(
        matches!(&first, Sequenced::Signed { checkpoint, .. } if checkpoint.size == 0),
        "{first:?}"
    );

    // An incident and its resolution: two entries, in the facts' own transactions.
    let id = store
        .open_incident(&NewIncident {
            kind: IncidentKind::Outage,
            title: Names::new("عطل", "Panne", "Outage"),
            started_at: t(10),
            recorded_at: t(11),
            open_key: None,
            overrun_of: None,
            scopes: vec![
                ("bmce".into(), Channel::Atm),
                ("bmce".into(), Channel::Transfers),
            ],
            first_update: update(t(10), IncidentState::Investigating),
            later: vec![update(t(70), IncidentState::Resolved)],
            audit: None,
            reopen: None,
        })
        .await
        .unwrap()
        .id();
    assert_eq!(store.log_appended().await.unwrap(), 2);
    let entries = store.log_entries(0, 10).await.unwrap();
    assert_eq!(entries.iter().map(|e| e.index).collect::<Vec<_>>(), [0, 1]);
    assert_eq!(entries[0].kind, "incident.opened");
    assert_eq!(entries[1].kind, "incident.resolved");
    assert!(entries
        .iter()
        .all(|e| e.incident_id == Some(id) && e.update_id.is_some()));
    let Ok(Logged::Incident(opened)) = read_entry(&entries[0].body) else {
        panic!("an incident fact")
    };
    assert_eq!(opened.at, t(10), "to the millisecond");
    assert_eq!(opened.recorded_at, Some(t(11)));
    assert_eq!(opened.affected.len(), 2);
    assert_eq!(opened.title.fr.as_deref(), Some("Panne"));
    assert_eq!(store.incident_entries(id).await.unwrap(), entries);
    assert_eq!(store.log_entries(1, 10).await.unwrap(), entries[1..]);

    // Too soon after the last checkpoint: nothing; then the two entries signed.
    assert_eq!(
        store.sequence_log(1000, t(-1), &sign(t(1))).await.unwrap(),
        Sequenced::Idle
    );
    let Sequenced::Signed { checkpoint, .. } = store
        .sequence_log(1000, t(100), &sign(t(100)))
        .await
        .unwrap()
    else {
        panic!("signed")
    };
    assert_eq!(checkpoint.size, 2);
    assert_eq!(
        store.latest_checkpoint().await.unwrap(),
        Some(checkpoint.clone())
    );
    assert_eq!(
        store
            .checkpoint_before(t(101))
            .await
            .unwrap()
            .map(|c| c.size),
        Some(2)
    );
    assert_eq!(
        store
            .checkpoint_before(t(50))
            .await
            .unwrap()
            .map(|c| c.size),
        Some(0)
    );
    assert_eq!(store.checkpoint_before(t(-10)).await.unwrap(), None);
    let tiles = store.log_tiles(&[(0, 0), (0, 1), (1, 0)]).await.unwrap();
    assert_eq!(tiles.get((0, 0)).map(<[u8]>::len), Some(64));
    assert_eq!(tiles.get((0, 1)), None);
    assert_eq!(tiles.root(2), Ok(checkpoint.root));
    // A refusal stores nothing.
    store
        .add_update(id, &update(t(120), IncidentState::Resolved))
        .await
        .unwrap();
    let refused = store
        .sequence_log(1000, t(200), &|_| Sequenced::Refused("a test".into()))
        .await
        .unwrap();
    assert_eq!(refused, Sequenced::Refused("a test".into()));
    assert_eq!(
        store.latest_checkpoint().await.unwrap().map(|c| c.size),
        Some(2)
    );

    // A window: announced, retitled from the config, cancelled before its end.
    let window = NewWindow {
        bank: "cdm".into(),
        channels: vec![Channel::Mobile, Channel::Web],
        starts: t(3600),
        ends: t(7200),
        title: Names::new("", "Arrêt de myCDM", ""),
        source: Some("https://www.creditdumaroc.ma".into()),
        config_key: Some("cdm-1".into()),
    };
    let w = store.upsert_window(&window, t(300), None).await.unwrap();
    let retitled = NewWindow {
        title: Names::new("", "Arrêt de myCDM et du web", ""),
        ..window.clone()
    };
    store.upsert_window(&retitled, t(310), None).await.unwrap();
    store.upsert_window(&retitled, t(320), None).await.unwrap();
    store
        .operator_update(
            w,
            &OperatorUpdate {
                update: update(t(4000), IncidentState::Completed),
                title: None,
                window: Some(Some(t(4000))),
                audit: AuditEntry {
                    at: t(4000),
                    actor: "admin".into(),
                    action: "add_update".into(),
                    target: None,
                    detail: None,
                    request: None,
                },
            },
        )
        .await
        .unwrap();
    let kinds: Vec<String> = store
        .incident_entries(w)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        ["window.announced", "window.changed", "window.cancelled"],
        "one change, logged once"
    );
    let last = store.incident_entries(w).await.unwrap().pop().unwrap();
    let Ok(Logged::Incident(cancelled)) = read_entry(&last.body) else {
        panic!("a fact")
    };
    assert_eq!(cancelled.fact, FactKind::WindowCancelled);
    assert_eq!(cancelled.window.unwrap().cancelled_at, Some(t(4000)));

    // A bank's statement is an entry of its own, all of it as published.
    let audit = |at| AuditEntry {
        at,
        actor: "admin".into(),
        action: "test".into(),
        target: None,
        detail: None,
        request: None,
    };
    let said = store
        .add_statement(&NewStatement {
            bank: "bmce".into(),
            channels: vec![Channel::Transfers, Channel::Atm],
            words: Names::new("", "Un problème technique.", ""),
            translations: Names::new("مشكل تقني.", "", ""),
            source_url: "https://www.bankofafrica.ma/actualites".into(),
            source_kind: SourceKind::Website,
            said_at: t(40),
            expected_back_at: Some(t(3600)),
            recorded_at: t(45),
            incidents: vec![id],
            audit: audit(t(45)),
        })
        .await
        .unwrap();
    let size = store.log_appended().await.unwrap();
    let last = store.log_entries(size - 1, 1).await.unwrap().pop().unwrap();
    assert_eq!(last.kind, "statement.recorded");
    let Ok(Logged::Statement(fact)) = read_entry(&last.body) else {
        panic!("a statement fact")
    };
    assert_eq!(fact.statement, said);
    assert_eq!(fact.channels, [Channel::Atm, Channel::Transfers]);
    assert_eq!(fact.expected_back_at, Some(t(3600)));
    assert_eq!(fact.incidents, [id]);
    assert_eq!(fact.translations.ar.as_deref(), Some("مشكل تقني."));

    // A false alarm withdrawn: its own kind of entry.
    assert!(store
        .withdraw_incident(
            id,
            &update(t(5000), IncidentState::Withdrawn),
            &audit(t(5000))
        )
        .await
        .unwrap());
    let last = store.incident_entries(id).await.unwrap().pop().unwrap();
    assert_eq!(last.kind, "incident.withdrawn");
    assert_eq!(
        store.backfill_log().await.unwrap(),
        0,
        "the log is not empty"
    );
}

#[tokio::test]
async fn the_key_lives_in_its_file_and_one_log_has_one_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new();
    let store = bankstatus::store::connect(&db.url).await.unwrap();
    let text = |file: &str| {
        format!(
            "[log]\norigin = \"status.example.ma\"\nkey_file = \"{}\"\n",
            dir.path().join(file).display()
        )
    };
    let config = bankstatus::config::parse(&text("a.key"), "t.toml").unwrap();
    let clock = bankstatus::clock::SystemClock::shared();
    let stop = tokio_util::sync::CancellationToken::new();
    let (log, _) =
        bankstatus::log::Log::start(&config.log, store.clone(), clock.clone(), stop.clone())
            .await
            .unwrap();
    let made = std::fs::read_to_string(dir.path().join("a.key")).unwrap();
    assert!(made.starts_with("PRIVATE+KEY+status.example.ma+"));
    assert_eq!(
        LogKey::from_secret(&made).unwrap().verifier_key(),
        log.verifier_key()
    );
    let (again, _) =
        bankstatus::log::Log::start(&config.log, store.clone(), clock.clone(), stop.clone())
            .await
            .unwrap();
    assert_eq!(
        again.verifier_key(),
        log.verifier_key(),
        "read back, not made anew"
    );
    // Another key on the same log is refused, and so is another origin.
    let other = bankstatus::config::parse(&text("b.key"), "t.toml").unwrap();
    let refused =
        bankstatus::log::Log::start(&other.log, store.clone(), clock.clone(), stop.clone()).await;
    let why = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        why.contains("is not the one the log is signed with"),
        "{why}"
    );
    let renamed = bankstatus::config::parse(
        &format!(
            "[log]\norigin = \"elsewhere\"\nkey_file = \"{}\"\n",
            dir.path().join("a.key").display()
        ),
        "t.toml",
    )
    .unwrap();
    let refused = bankstatus::log::Log::start(&renamed.log, store, clock, stop).await;
    let why = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(why.contains("a log's origin never changes"), "{why}");
}

/// `bankstatus serve` as a process of its own, with the operator token.
fn serve(config: &std::path::Path, database: &str) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_bankstatus"))
        .args(["serve", "--config"])
        .arg(config)
        .args([
            "--database",
            database,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("BANKSTATUS_ADMIN_TOKEN", ADMIN)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    (child, format!("http://127.0.0.1:{port}"))
}

async fn up(client: &reqwest::Client, base: &str) {
    eventually(Duration::from_secs(30), "the service to answer", || async {
        let r = client.get(format!("{base}/healthz")).send().await.ok()?;
        (r.status() == StatusCode::OK).then_some(())
    })
    .await;
}

async fn count(url: &str, sql: &str) -> i64 {
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let n = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
        pool.close().await;
        n
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        let n = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
        pool.close().await;
        n
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_sigkill_while_appending_the_log_and_the_facts_agree() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeBank::start().await;
    let config = dir.path().join("banks.toml");
    std::fs::write(
        &config,
        format!(
            "{}\n[log]\ncheckpoint_every = \"200ms\"\nkey_file = \"{}\"\n",
            quiet_bank(&fake),
            dir.path().join("log.key").display()
        ),
    )
    .unwrap();
    let db = TestDb::new();
    let client = reqwest::Client::new();
    let (mut child, base) = serve(&config, &db.url);
    up(&client, &base).await;

    // Operators post outages from four clients as fast as they are answered.
    let stop = Arc::new(AtomicBool::new(false));
    let accepted = Arc::new(AtomicU64::new(0));
    let mut posters = Vec::new();
    for n in 0..4 {
        let (client, base, stop, accepted) =
            (client.clone(), base.clone(), stop.clone(), accepted.clone());
        posters.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let r = client
                    .post(format!("{base}/api/v1/incidents"))
                    .bearer_auth(ADMIN)
                    .header("content-type", "application/json")
                    .body(
                        json!({"kind": "outage", "banks": ["bmce"], "channels": ["atm"],
                               "title": {"fr": format!("Panne {n}")},
                               "started_at": "2026-02-10T09:00", "resolved_at": "2026-02-10T10:00", "state": "resolved"})
                        .to_string(),
                    )
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        accepted.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
        }));
    }
    // A checkpoint published in the middle of it, as a newsroom would keep one.
    let saved = eventually(
        Duration::from_secs(30),
        "a checkpoint of some facts",
        || async {
            let note = client
                .get(format!("{base}/log/checkpoint"))
                .send()
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            let size: u64 = note.lines().nth(1)?.parse().ok()?;
            (size >= 40).then_some(note)
        },
    )
    .await;
    let at_save = accepted.load(Ordering::Relaxed);
    eventually(Duration::from_secs(30), "more facts after it", || async {
        (accepted.load(Ordering::Relaxed) >= at_save + 20).then_some(())
    })
    .await;
    child.kill().unwrap(); // SIGKILL, in the middle of transactions
    child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for p in posters {
        p.await.unwrap();
    }
    let saved_file = dir.path().join("saved.checkpoint");
    std::fs::write(&saved_file, &saved).unwrap();

    let (mut child, base) = serve(&config, &db.url);
    up(&client, &base).await;
    let appended = count(&db.url, "SELECT size FROM log_head").await;
    eventually(
        Duration::from_secs(30),
        "a checkpoint of every entry",
        || async {
            let note = client
                .get(format!("{base}/log/checkpoint"))
                .send()
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            (note.lines().nth(1)?.parse::<i64>().ok()? == appended).then_some(())
        },
    )
    .await;
    let facts = count(&db.url, "SELECT COUNT(*) FROM incident_updates").await;
    assert!(
        facts as u64 >= 2 * accepted.load(Ordering::Relaxed),
        "every accepted fact kept"
    );
    assert_eq!(
        count(&db.url, "SELECT COUNT(*) FROM incident_updates u WHERE NOT EXISTS (SELECT 1 FROM log_entries e WHERE e.update_id = u.id)").await,
        0,
        "no fact without its entry"
    );
    assert_eq!(
        count(&db.url, "SELECT COUNT(*) FROM log_entries e WHERE NOT EXISTS (SELECT 1 FROM incident_updates u WHERE u.id = e.update_id)").await,
        0,
        "no entry without its fact"
    );
    assert_eq!(
        count(&db.url, "SELECT COUNT(*) FROM log_entries").await,
        appended
    );
    assert_eq!(
        count(&db.url, "SELECT MAX(idx) + 1 FROM log_entries").await,
        appended,
        "no gap"
    );
    let (code, out) = crate::verify::verify(&[&base, "--since", &saved_file.display().to_string()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("is a prefix of the current one"), "{out}");
    assert!(out.contains("ok   facts: the site's"), "{out}");
    child.kill().unwrap();
    child.wait().unwrap();
}
