//! The API's side of the desk's actions, one code path for both: corrections, windows
//! announced anew, a reporter's reports deleted, and `Idempotency-Key`.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::config;
use crate::helpers::{TestApp, ADMIN};

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    body: Value,
    key: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = app
        .client
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(ADMIN)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrections_through_the_api() {
    let app = TestApp::spawn(&config()).await;
    let (_, v) = app
        .post(
            "/api/v1/incidents",
            &json!({"kind": "outage", "banks": ["bmce"], "title": {"fr": "Panne"},
                    "message": {"fr": "Retour prévu à 18 h", "en": "Back at 6 pm"}}),
            true,
        )
        .await;
    let id = v["id"].as_i64().unwrap();
    let update = v["updates"][0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/incidents/{id}/updates/{update}/corrections");
    let (status, v) = send(
        &app,
        "POST",
        &path,
        json!({"message": {"fr": "Retour prévu à 19 h"}}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let u = &v["updates"][0];
    assert_eq!(u["message"]["fr"], "Retour prévu à 18 h", "as published");
    assert_eq!(u["corrections"][0]["message"]["fr"], "Retour prévu à 19 h");
    assert_eq!(u["corrections"][0]["message"]["en"], "Back at 6 pm", "kept");
    // The same text again, an entry of another incident, a tracker's entry: refused.
    let (status, _) = send(
        &app,
        "POST",
        &path,
        json!({"message": {"fr": "Retour prévu à 19 h"}}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = send(
        &app,
        "POST",
        &format!("/api/v1/incidents/{}/updates/{update}/corrections", id + 1),
        json!({"message": {"fr": "x"}}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(
        &app,
        "POST",
        &format!("/api/v1/incidents/{id}/updates/x/corrections"),
        json!({"message": {"fr": "x"}}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, v) = send(&app, "POST", &path, json!({"message": {}}), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // Statuspage's update reads as corrected, dated by the correction.
    let sp = app.json("/api/v2/incidents.json?lang=fr").await;
    let update_id = update.to_string();
    let body = sp["incidents"][0]["incident_updates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == update_id.as_str())
        .unwrap()["body"]
        .clone();
    assert_eq!(body, "Retour prévu à 19 h");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_log WHERE actor = 'admin' AND action = 'correct_update'"
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_announced_anew_only_before_they_begin() {
    let text = format!(
        "{}\n[[maintenance]]\nbank = \"cdm\"\nchannels = [\"web\"]\nstarts = \"2099-01-01T10:00\"\nends = \"2099-01-01T12:00\"\ntitle = {{ fr = \"Du fichier\" }}\n",
        config()
    );
    let app = TestApp::spawn(&text).await;
    let body = |bank: &str, starts: &str, ends: &str| json!({"bank": bank, "channels": ["web"], "starts": starts, "ends": ends, "title": {"fr": "Arrêt"}});
    let (status, v) = send(
        &app,
        "POST",
        "/api/v1/maintenance",
        body("cdm", "2099-03-01T10:00", "2099-03-01T12:00"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    let path = format!("/api/v1/maintenance/{id}");
    let (status, v) = send(
        &app,
        "PUT",
        &path,
        body("cdm", "2099-03-01T11:00", "2099-03-01T14:00"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["ends"], "2099-03-01T14:00:00+01:00");
    let (status, _) = send(
        &app,
        "PUT",
        &path,
        body("bmce", "2099-03-01T11:00", "2099-03-01T14:00"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the bank stays");
    let (status, _) = send(
        &app,
        "PUT",
        &path,
        body("cdm", "2099-03-01T14:00", "2099-03-01T11:00"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let config_window = app
        .count("SELECT incident_id FROM maintenance_windows WHERE config_key IS NOT NULL")
        .await;
    let (status, _) = send(
        &app,
        "PUT",
        &format!("/api/v1/maintenance/{config_window}"),
        body("cdm", "2099-01-01T10:00", "2099-01-01T13:00"),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "the config file says what it is"
    );
    // Once begun (here: recorded in the past), it is no longer announced anew.
    let (_, v) = send(
        &app,
        "POST",
        "/api/v1/maintenance",
        body("cdm", "2026-02-13T16:00", "2026-02-15T18:00"),
        None,
    )
    .await;
    let past = v["id"].as_i64().unwrap();
    crate::helpers::eventually(
        std::time::Duration::from_secs(10),
        "the past window completed",
        || async {
            (app.json(&format!("/api/v1/incidents/{past}")).await["state"] == "completed")
                .then_some(())
        },
    )
    .await;
    let (status, v) = send(
        &app,
        "PUT",
        &format!("/api/v1/maintenance/{past}"),
        body("cdm", "2026-02-13T16:00", "2026-02-15T20:00"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    let (status, _) = send(
        &app,
        "PUT",
        "/api/v1/maintenance/999",
        body("cdm", "2099-01-01T10:00", "2099-01-01T13:00"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_carries_out_one_action() {
    let app = TestApp::spawn(&config()).await;
    let body = json!({"kind": "outage", "banks": ["bmce"], "title": {"fr": "Panne"}});
    let (a, b) = tokio::join!(
        send(
            &app,
            "POST",
            "/api/v1/incidents",
            body.clone(),
            Some("retry-7")
        ),
        send(
            &app,
            "POST",
            "/api/v1/incidents",
            body.clone(),
            Some("retry-7")
        )
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::CREATED, StatusCode::CONFLICT],
        "{a:?} {b:?}"
    );
    let again = send(
        &app,
        "POST",
        "/api/v1/incidents",
        body.clone(),
        Some("retry-7"),
    )
    .await;
    assert_eq!(again.0, StatusCode::CONFLICT);
    assert_eq!(again.1["error"], "conflict");
    assert_eq!(app.count("SELECT COUNT(*) FROM incidents").await, 1);
    let (status, _) = send(
        &app,
        "POST",
        "/api/v1/incidents",
        body.clone(),
        Some("a key with spaces"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = send(&app, "POST", "/api/v1/incidents", body, Some("retry-8")).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reporter_s_reports_deleted_at_once() {
    let app = TestApp::spawn(&config()).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (_, v) = app.report("bmce", "atm", "203.0.113.70").await;
        ids.push(v["id"].as_i64().unwrap());
    }
    app.report("bmce", "atm", "198.51.100.71").await;
    let (status, v) = send(
        &app,
        "DELETE",
        &format!("/api/v1/reports/{}/reporter", ids[1]),
        json!({}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["deleted"], 3);
    let (_, v) = send(
        &app,
        "DELETE",
        &format!("/api/v1/reports/{}/reporter", ids[1]),
        json!({}),
        None,
    )
    .await;
    assert_eq!(v["deleted"], 0, "nothing left of it");
    let (status, _) = send(
        &app,
        "DELETE",
        "/api/v1/reports/99999/reporter",
        json!({}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM reports WHERE deleted_at IS NULL")
            .await,
        1
    );
}
