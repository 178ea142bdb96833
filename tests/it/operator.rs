//! The operator API: the token, the audit table, updates to automatic incidents, past
//! events, and clear errors for bad input.

use std::sync::atomic::Ordering;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{bank_config, channel_status, eventually, probe, FakeBank, TestApp, ADMIN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_guards_every_operator_endpoint() {
    let fake = FakeBank::start().await;
    let config = bank_config("bmce", &[probe("web", &fake.url("/up"), "")], &[]);
    let closed = TestApp::spawn_with(&config, None).await;
    let app = TestApp::spawn(&config).await;
    let body = json!({"kind": "outage", "banks": ["bmce"], "title": {"en": "x"}});
    let calls = [
        ("POST", "/api/v1/incidents"),
        ("POST", "/api/v1/incidents/1/updates"),
        ("POST", "/api/v1/maintenance"),
        ("DELETE", "/api/v1/reports/1"),
    ];
    for (method, path) in calls {
        let send = |app: &TestApp, token: Option<&str>| {
            let mut req = app
                .client
                .request(method.parse().unwrap(), app.url(path))
                .header("content-type", "application/json")
                .body(body.to_string());
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            req.send()
        };
        assert_eq!(
            send(&closed, Some(ADMIN)).await.unwrap().status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            send(&app, None).await.unwrap().status(),
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
        let near_miss = format!("{}J", &ADMIN[..ADMIN.len() - 1]);
        let wrong = send(&app, Some(&near_miss)).await.unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "{path}");
        let v: serde_json::Value = serde_json::from_str(&wrong.text().await.unwrap()).unwrap();
        assert_eq!(v["error"], "unauthorized");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_confirms_and_resolves_an_automatic_incident() {
    let fake = FakeBank::start().await;
    let probes = [probe(
        "web",
        &fake.url("/toggle"),
        "  interval = \"200ms\"\n  failures_before_outage = 2\n",
    )];
    let app = TestApp::spawn(&bank_config("bmce", &probes, &[])).await;
    fake.state.failing.store(true, Ordering::SeqCst);
    let id = eventually(Duration::from_secs(10), "an outage", || async {
        channel_status(&app, "bmce", "web").await["incident_id"].as_i64()
    })
    .await;
    let (status, v) = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            &json!({"state": "identified", "message": {"ar": "عطب في النظام المعلوماتي"}, "title": {"en": "Information system failure"}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"], "identified");
    assert_eq!(v["title"]["en"], "Information system failure");
    assert!(v["sources"]
        .as_array()
        .unwrap()
        .contains(&json!("operator")));
    eventually(Duration::from_secs(5), "the confirmation", || async {
        (channel_status(&app, "bmce", "web").await["incident_id"] == id).then_some(())
    })
    .await;
    let (status, v) = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            &json!({"state": "resolved", "message": {"fr": "Rétabli"}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(v["state"], "resolved");
    assert!(v["resolved_at"].is_string());
    // The probes still fail, but the operator's word closed it: nothing reopens until they
    // recover and fail again.
    app.engine_takes(6).await;
    assert!(channel_status(&app, "bmce", "web").await["incident_id"].is_null());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE actor = 'admin' AND action = 'add_update'")
            .await,
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_events_and_bad_input() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&bank_config(
        "bmce",
        &[probe("web", &fake.url("/up"), "")],
        &[],
    ))
    .await;
    let (status, v) = app
        .post(
            "/api/v1/incidents",
            &json!({"kind": "outage", "banks": ["bmce"], "channels": ["atm", "transfers", "mobile", "branches"],
                    "title": {"fr": "Panne du système d'information"}, "started_at": "2026-02-10T09:30",
                    "resolved_at": "2026-02-10T17:45", "state": "resolved"}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["started_at"], "2026-02-10T09:30:00+01:00");
    assert_eq!(v["resolved_at"], "2026-02-10T17:45:00+01:00");
    assert_eq!(v["state"], "resolved");
    let id = v["id"].as_i64().unwrap();
    let (_, page) = app.text(&format!("/incidents/{id}")).await;
    assert!(page.contains("Recorded later by the operator"));
    assert!(page.contains("8 h 15 min"));

    let bad = [
        (
            json!({"kind": "rumour", "banks": ["bmce"], "title": {"en": "x"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "`rumour` is not one of outage, advisory",
        ),
        (
            json!({"kind": "outage", "banks": ["nope"], "title": {"en": "x"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "known banks: bmce",
        ),
        (
            json!({"kind": "outage", "banks": [], "title": {"en": "x"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "`banks` is empty",
        ),
        (
            json!({"kind": "outage", "banks": ["bmce"], "title": {}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "`title` needs",
        ),
        (
            json!({"kind": "outage", "banks": ["bmce"], "title": {"en": "x"}, "state": "completed"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "cannot be `completed`",
        ),
        (
            json!({"kind": "outage", "banks": ["bmce"], "title": {"en": "x"}, "started_at": "-0001-06-01T00:00"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a time",
        ),
        (
            json!({"kind": "outage", "banks": ["bmce"], "title": {"en": "x"}, "started_at": "yesterday"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a time",
        ),
        (
            json!({"kind": "outage", "banks": ["bmce"], "title": {"en": "x"}, "started_at": "2099-01-01T00:00"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "in the future",
        ),
        (
            json!({"kind": "outage", "banks": ["bmce"], "title": {"en": "x"}, "channels": ["fax"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "`fax` is not one of web, mobile",
        ),
        (
            json!({"kind": "outage", "banks": ["bmce"], "title": {"en": "x"}, "colour": "red"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown field",
        ),
    ];
    for (body, status, needle) in bad {
        let (got, v) = app.post("/api/v1/incidents", &body, true).await;
        assert_eq!(got, status, "{body}: {v}");
        assert!(
            v["message"].as_str().unwrap().contains(needle),
            "`{needle}` not in {v}"
        );
    }
    let (got, v) = app
        .post(
            "/api/v1/incidents/424242/updates",
            &json!({"state": "resolved"}),
            true,
        )
        .await;
    assert_eq!(got, StatusCode::NOT_FOUND, "{v}");
    let (got, _) = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            &json!({"state": "in_progress"}),
            true,
        )
        .await;
    assert_eq!(got, StatusCode::UNPROCESSABLE_ENTITY);
    // A resolved incident is not reopened by a later note: that would be a new event.
    let (got, v) = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            &json!({"state": "identified"}),
            true,
        )
        .await;
    assert_eq!(got, StatusCode::CONFLICT, "{v}");
    let (got, _) = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            &json!({"state": "resolved", "message": {"en": "Post-mortem published."}}),
            true,
        )
        .await;
    assert_eq!(got, StatusCode::CREATED);
    let (got, v) = app
        .post("/api/v1/maintenance", &json!({"bank": "bmce", "channels": ["web"], "starts": "2026-03-01T10:00", "ends": "2026-03-01T09:00", "title": {"en": "x"}}), true)
        .await;
    assert_eq!(got, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["message"]
        .as_str()
        .unwrap()
        .contains("`ends` must be after `starts`"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'create_incident'")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_join_an_outage_the_operator_declared() {
    let fake = FakeBank::start().await;
    let probes = [probe(
        "web",
        &fake.url("/toggle"),
        "  interval = \"200ms\"\n  failures_before_outage = 2\n",
    )];
    let app = TestApp::spawn(&bank_config("bmce", &probes, &[])).await;
    let (status, v) = app
        .post(
            "/api/v1/incidents",
            &json!({"kind": "outage", "banks": ["bmce"], "channels": ["web"], "title": {"en": "Online banking down"}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = v["id"].as_i64().unwrap();
    fake.state.failing.store(true, Ordering::SeqCst);
    let incident = eventually(Duration::from_secs(10), "the probes to join", || async {
        let i = app.json(&format!("/api/v1/incidents/{id}")).await;
        i["sources"]
            .as_array()
            .unwrap()
            .contains(&json!("probe"))
            .then_some(i)
    })
    .await;
    assert_eq!(incident["state"], "investigating");
    let bank = app.json("/api/v1/banks/bmce").await;
    assert_eq!(
        bank["open_incidents"].as_array().unwrap().len(),
        1,
        "one incident, not two"
    );
    assert_eq!(channel_status(&app, "bmce", "web").await["incident_id"], id);
}
