//! `bankstatus verify` against the real server: a month recomputed from the log equals the
//! published scorecard figure by figure, and tampering with the database (an entry, an
//! incident, an update, the tree) is reported exactly, against a checkpoint saved before.

use std::path::Path;
use std::time::Duration;

use bankstatus::domain::{Channel, IncidentKind, IncidentState, Names, OpenKey, Source};
use bankstatus::store::{NewIncident, NewUpdate};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{eventually, quiet_bank, FakeBank, TestApp};
use crate::record::{config, seed_february, utc};

/// Quick checkpoints, so a test waits a tenth of a second for its facts to be signed.
const QUICK_LOG: &str = "\n[log]\ncheckpoint_every = \"100ms\"\n";

/// `bankstatus verify ARGS`: its exit code and its lines.
pub fn verify(args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bankstatus"))
        .arg("verify")
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn fails(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.starts_with("FAIL")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_recomputed_from_the_log_equals_the_scorecard() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&format!("{}{QUICK_LOG}", config(&fake))).await;
    // Outages, windows, an overrun (seeded as in the record's tests)...
    seed_february(&app).await;
    // ...an automatic outage that failed again after it resolved...
    let store = bankstatus::store::connect(&app.db_url).await.unwrap();
    let key = OpenKey::new("bbb", Channel::Web);
    let update = |at, state| NewUpdate {
        at,
        state,
        source: Source::Probe,
        message: Names::new("", "", "Checks fail."),
        alert: true,
    };
    let auto = |at, reopen| NewIncident {
        kind: IncidentKind::Outage,
        title: Names::new("", "", "Down"),
        started_at: at,
        recorded_at: at,
        open_key: Some(key.clone()),
        overrun_of: None,
        scopes: vec![("bbb".into(), Channel::Web)],
        first_update: update(at, IncidentState::Investigating),
        later: Vec::new(),
        audit: None,
        reopen,
    };
    let id = store
        .open_incident(&auto(utc(2026, 2, 5, 10, 0), None))
        .await
        .unwrap()
        .id();
    store
        .add_update(
            id,
            &update(utc(2026, 2, 5, 10, 20), IncidentState::Resolved),
        )
        .await
        .unwrap();
    store
        .open_incident(&auto(utc(2026, 2, 5, 10, 30), Some(id)))
        .await
        .unwrap();
    store
        .add_update(id, &update(utc(2026, 2, 5, 11, 0), IncidentState::Resolved))
        .await
        .unwrap();
    // ...and a correction: an outage's end moved earlier by the operator.
    let corrected = crate::record::past_outage(
        &app,
        "bbb",
        &["web"],
        "2026-02-18T08:00",
        "2026-02-18T10:00",
    )
    .await;
    let (status, _) = app
        .post(
            &format!("/api/v1/incidents/{corrected}/updates"),
            &json!({"state": "resolved", "at": "2026-02-18T08:40", "message": {"fr": "Rectifié : retour à 08:40."}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // The bank's word: a statement about it, with a promise it kept, and a withdrawn false
    // alarm that must count nowhere.
    let (status, v) = app
        .post(
            "/api/v1/statements",
            &json!({"bank": "bbb", "channels": ["web"], "text": {"fr": "Incident technique, retour vers 09:00."},
                "source_url": "https://bbb.example/actu", "source_kind": "website",
                "said_at": "2026-02-18T08:20", "expected_back_at": "2026-02-18T09:00",
                "incident": corrected}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let false_alarm = crate::record::past_outage(
        &app,
        "bbb",
        &["atm"],
        "2026-02-20T08:00",
        "2026-02-20T09:00",
    )
    .await;
    let (status, v) = app
        .post(
            &format!("/api/v1/incidents/{false_alarm}/withdraw"),
            &json!({"reason": {"fr": "Fausse alerte."}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    app.logged().await;
    let card = app.json("/scorecard/2026-02?format=json").await;
    let bbb = card["banks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["slug"] == "bbb")
        .unwrap();
    // A bank's minutes are the union of its channels': 30 on web and ATM together count
    // once, then on web 20 + 30 (the reopened outage, not its gap) and 40 (corrected from
    // 120). The channel-minutes count the ATM's 30 apart.
    assert_eq!(bbb["unannounced_minutes"], 30 + 20 + 30 + 40, "{bbb}");
    assert_eq!(
        bbb["unannounced_channel_minutes"],
        30 + 30 + 20 + 30 + 40,
        "{bbb}"
    );
    assert_eq!(bbb["word"]["outages_with_statement"], 1, "{bbb}");
    assert_eq!(bbb["word"]["promises_kept"], 1, "{bbb}");

    let (code, out) = verify(&[&app.url("/"), "--month", "2026-02"]);
    assert_eq!(code, 0, "{out}");
    assert!(fails(&out).is_empty(), "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("ok   scorecard 2026-02"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains("figures of 2 banks recomputed"), "{line}");
    assert!(out.contains("ok   facts: the site's"), "{out}");

    // A correction is logged beside the entry it corrects, which stays as it was...
    let update = app.json(&format!("/api/v1/incidents/{corrected}")).await["updates"][0]["id"]
        .as_i64()
        .unwrap();
    let (status, v) = app
        .post(
            &format!("/api/v1/incidents/{corrected}/updates/{update}/corrections"),
            &json!({"message": {"en": "Known from the bank's own notice."}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    app.logged().await;
    let (code, out) = verify(&[&app.url("/"), "--month", "2026-02"]);
    assert_eq!(code, 0, "{out}");
    // ...and a correction rewritten in the database is caught.
    app.execute("UPDATE update_corrections SET message_en = 'Nothing happened.'")
        .await;
    let (code, out) = verify(&[&app.url("/")]);
    assert_eq!(code, 1, "{out}");
    let failed = fails(&out);
    assert_eq!(failed.len(), 1, "{out}");
    assert!(
        failed[0].starts_with(&format!(
            "FAIL incident {corrected} update {update} correction "
        )) && failed[0].contains("words (en): the site says «Nothing happened.»"),
        "{out}"
    );
}

/// An app with two incidents logged, and the checkpoint saved in `dir`.
async fn logged_app(dir: &Path) -> (TestApp, i64, String) {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&format!("{}{QUICK_LOG}", quiet_bank(&fake))).await;
    let mut ids = Vec::new();
    for title in ["Panne des guichets", "Virements bloqués"] {
        let (status, v) = app
            .post(
                "/api/v1/incidents",
                &json!({"kind": "outage", "banks": ["bmce"], "channels": ["atm"], "title": {"fr": title}, "message": {"fr": "Pas de retrait."}}),
                true,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        ids.push(v["id"].as_i64().unwrap());
    }
    let (status, _) = app
        .post(
            &format!("/api/v1/incidents/{}/updates", ids[0]),
            &json!({"state": "resolved", "message": {"fr": "Retour à la normale."}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    app.logged().await;
    let (_, note) = app.text("/log/checkpoint").await;
    std::fs::write(dir.join("saved.checkpoint"), &note).unwrap();
    let (_, key) = app.text("/log/key").await;
    (app, ids[0], key.trim().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_with_the_database_is_reported_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (app, id, key) = logged_app(dir.path()).await;
    let saved = dir.path().join("saved.checkpoint").display().to_string();
    let url = app.url("/");
    let (code, out) = verify(&[&url, "--key", &key, "--since", &saved]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ok   consistency: the saved checkpoint of 3 entries is a prefix"),
        "{out}"
    );

    // One byte of a stored entry.
    let postgres = app.db_url.starts_with("postgres");
    let swap = |from: &str, to: &str| {
        if postgres {
            format!("UPDATE log_entries SET body = convert_to(replace(convert_from(body, 'UTF8'), '{from}', '{to}'), 'UTF8') WHERE idx = 0")
        } else {
            format!("UPDATE log_entries SET body = CAST(replace(CAST(body AS TEXT), '{from}', '{to}') AS BLOB) WHERE idx = 0")
        }
    };
    app.execute(&swap("Panne des", "Panne dus")).await;
    let (code, out) = verify(&[&url, "--key", &key, "--since", &saved]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(fails(&out).len(), 1, "{out}");
    assert!(
        fails(&out)[0].starts_with("FAIL entry 0: its bytes hash to "),
        "{out}"
    );
    assert!(
        fails(&out)[0].ends_with("it was changed after it was logged"),
        "{out}"
    );
    // The incident page says so too.
    let (_, page) = app.text(&format!("/incidents/{id}?lang=en")).await;
    assert!(page.contains("Entry 0 no longer matches the log"), "{page}");
    app.execute(&swap("Panne dus", "Panne des")).await;

    // An update rewritten in the database.
    app.execute(
        "UPDATE incident_updates SET message_fr = 'Rien à signaler.' WHERE state = 'resolved'",
    )
    .await;
    let (code, out) = verify(&[&url, "--key", &key, "--since", &saved]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        fails(&out),
        [format!("FAIL incident {id} update 3 (entry 2) words (fr): the site says «Rien à signaler.», the log says «Retour à la normale.»")],
        "{out}"
    );
    app.execute(
        "UPDATE incident_updates SET message_fr = 'Retour à la normale.' WHERE state = 'resolved'",
    )
    .await;

    // An incident deleted from the database.
    for table in [
        "alert_events",
        "incident_updates",
        "incident_sources",
        "incident_scopes",
    ] {
        app.execute(&format!("DELETE FROM {table} WHERE incident_id = {id}"))
            .await;
    }
    app.execute(&format!("DELETE FROM incidents WHERE id = {id}"))
        .await;
    let (code, out) = verify(&[&url, "--key", &key, "--since", &saved]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        fails(&out),
        [format!(
            "FAIL incident {id}: is in the log (entries 0, 2) but the site does not have it"
        )],
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_rewritten_from_scratch_is_caught_by_a_saved_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, id, key) = logged_app(dir.path()).await;
    let saved = dir.path().join("saved.checkpoint").display().to_string();
    // Someone with the database and the key deletes an incident and has the log start over.
    for table in [
        "alert_events",
        "incident_updates",
        "incident_sources",
        "incident_scopes",
    ] {
        app.execute(&format!("DELETE FROM {table} WHERE incident_id = {id}"))
            .await;
    }
    app.execute(&format!("DELETE FROM incidents WHERE id = {id}"))
        .await;
    for table in ["log_entries", "log_tiles", "log_checkpoints"] {
        app.execute(&format!("DELETE FROM {table}")).await;
    }
    app.execute("UPDATE log_head SET size = 0").await;
    app.restart_in_place().await;
    app.logged().await;
    let (code, out) = verify(&[&app.url("/"), "--key", &key, "--since", &saved]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("ok   checkpoint: bankstatus, 1 entries"),
        "a fresh, well-signed log: {out}"
    );
    let f = fails(&out);
    assert_eq!(f.len(), 1, "{out}");
    assert!(
        f[0].starts_with("FAIL consistency: the saved checkpoint of 3 entries: it holds 3 entries, more than the 1 of the current checkpoint: the log was cut back"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_refuses_to_sign_a_tree_that_does_not_extend_its_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (app, id, _) = logged_app(dir.path()).await;
    let before = app.logged().await;
    // The stored tree's edge tile rewritten: its root is no longer the one signed.
    let zeros = if app.db_url.starts_with("postgres") {
        "UPDATE log_tiles SET hashes = decode(repeat('00', length(hashes)), 'hex') WHERE level = 0 AND n = 0"
    } else {
        "UPDATE log_tiles SET hashes = zeroblob(length(hashes)) WHERE level = 0 AND n = 0"
    };
    app.execute(zeros).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            &json!({"state": "resolved", "message": {"fr": "Encore."}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "facts are still taken");
    eventually(Duration::from_secs(10), "a refusal", || async {
        (app.counter("bankstatus_log_refusals_total").await >= 1.0).then_some(())
    })
    .await;
    let (status, health) = app.text("/healthz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        health.contains("the log signs nothing: the stored tree of 3 entries has the root"),
        "{health}"
    );
    let (_, note) = app.text("/log/checkpoint").await;
    assert_eq!(
        note.lines().nth(1),
        Some(before.to_string().as_str()),
        "nothing more was signed"
    );
}
