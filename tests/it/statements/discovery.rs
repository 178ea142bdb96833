//! `/banks/{slug}/discovery/status` and `/outages` against the CDR Common API's schema, as
//! transcribed in `tests/it/data/cdr_common_discovery.schema.json` and checked by the
//! `jsonschema` library; the rules the schema cannot say (an explanation unless OK, a
//! detection time only for failures, no expected resolution when OK, RFC 3339 times, ISO
//! 8601 durations) are checked here.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{outage, resolve, rfc, say, second, words};
use crate::alerts::{python, script};
use crate::helpers::{bank_config, channel_status, eventually, probe, FakeBank, TestApp};

const WAIT: Duration = Duration::from_secs(15);

/// Validates `doc` against `definition` of the transcribed schema with `jsonschema`.
async fn valid(definition: &str, doc: &Value) {
    use tokio::io::AsyncWriteExt;
    let schema = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/data/cdr_common_discovery.schema.json");
    let mut child = tokio::process::Command::new(python())
        .arg(script("validate_schema.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/setup.sh)", python().display()));
    let input = json!({ "schema": schema, "definition": definition, "instance": doc });
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.to_string().as_bytes()).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert!(
        out.status.success(),
        "{definition}: {}\n{doc:#}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("no time: {v}")))
        .unwrap_or_else(|e| panic!("{v}: {e}"))
        .to_utc()
}

/// A `/discovery/status` answer, valid and following the standard's conditional rules.
async fn status(app: &TestApp) -> Value {
    let r = app.get("/banks/bmce/discovery/status").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["x-v"], "1");
    let doc: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    valid("ResponseCommonDiscoveryStatus", &doc).await;
    let data = &doc["data"];
    let s = data["status"].as_str().unwrap();
    time(&data["updateTime"]);
    assert_eq!(
        data.get("explanation").is_some(),
        s != "OK",
        "an explanation unless OK: {data}"
    );
    assert_eq!(
        data.get("detectionTime").is_some(),
        matches!(s, "PARTIAL_FAILURE" | "UNAVAILABLE"),
        "a detection time for failures only: {data}"
    );
    if let Some(t) = data.get("detectionTime") {
        time(t);
    }
    if s == "OK" {
        assert!(data.get("expectedResolutionTime").is_none(), "{data}");
    } else if let Some(t) = data.get("expectedResolutionTime") {
        time(t);
    }
    let link = doc["links"]["self"].as_str().unwrap();
    assert_eq!(link, app.url("/banks/bmce/discovery/status"));
    doc
}

async fn status_is(app: &TestApp, want: &str) -> Value {
    eventually(WAIT, want, || async {
        let doc = status(app).await;
        (doc["data"]["status"] == want).then_some(doc)
    })
    .await
}

/// A `/discovery/outages` answer, valid, with ISO 8601 durations.
async fn outages(app: &TestApp) -> Vec<Value> {
    let doc = app.json("/banks/bmce/discovery/outages").await;
    valid("ResponseDiscoveryOutagesList", &doc).await;
    let list = doc["data"]["outages"].as_array().unwrap().clone();
    let iso = regex::Regex::new(r"^P(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$").unwrap();
    for o in &list {
        time(&o["outageTime"]);
        let d = o["duration"].as_str().unwrap();
        assert!(iso.is_match(d) && d != "P" && !d.ends_with('T'), "{d}");
    }
    list
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_answers_in_the_cdr_shape_from_failures_promises_and_windows() {
    let fake = FakeBank::start().await;
    let probes = [
        probe("web", &fake.url("/up"), "  interval = \"1h\"\n"),
        probe("mobile", &fake.url("/up"), "  interval = \"1h\"\n"),
    ];
    let app = TestApp::spawn(&bank_config("bmce", &probes, &[])).await;
    eventually(WAIT, "both channels checked", || async {
        (channel_status(&app, "bmce", "mobile").await["status"] == "operational").then_some(())
    })
    .await;
    status_is(&app, "OK").await;
    assert!(outages(&app).await.is_empty());
    let (status_404, _) = app.text("/banks/nope/discovery/status").await;
    assert_eq!(status_404, StatusCode::NOT_FOUND);

    // An announced window still to come, on the web only: a partial outage of 50 hours.
    let now = Utc::now();
    let starts = second(now + chrono::Duration::days(1));
    let (code, w) = app
        .post(
            "/api/v1/maintenance",
            &json!({"bank": "bmce", "channels": ["web"], "starts": rfc(starts),
                    "ends": rfc(starts + chrono::Duration::hours(50)),
                    "title": {"en": "Web banking upgrade"}}),
            true,
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{w}");
    let list = outages(&app).await;
    assert_eq!(list.len(), 1);
    assert_eq!(time(&list[0]["outageTime"]), starts);
    assert_eq!(list[0]["duration"], "P2DT2H");
    assert_eq!(list[0]["isPartial"], true);
    assert_eq!(list[0]["explanation"], "Web banking upgrade");

    // An unannounced outage on the web: a partial failure, detected when it began; the
    // bank's promise is the expected resolution, its words the explanation's end.
    let began = second(now - chrono::Duration::minutes(20));
    let web = outage(&app, "web", began).await;
    let doc = status_is(&app, "PARTIAL_FAILURE").await;
    assert_eq!(time(&doc["data"]["detectionTime"]), began);
    assert!(doc["data"].get("expectedResolutionTime").is_none());
    let promise = second(now + chrono::Duration::hours(2));
    let mut w = words(
        "Le service web revient vite.",
        now - chrono::Duration::minutes(5),
        Some(promise),
    );
    w["channels"] = json!(["web"]);
    say(&app, w).await;
    let doc = eventually(WAIT, "the promise", || async {
        let doc = status(&app).await;
        doc["data"]
            .get("expectedResolutionTime")
            .is_some()
            .then_some(doc)
    })
    .await;
    assert_eq!(time(&doc["data"]["expectedResolutionTime"]), promise);
    let explanation = doc["data"]["explanation"].as_str().unwrap();
    assert!(
        explanation.contains("Le service web revient vite."),
        "{explanation}"
    );

    // The app down too: every probed channel, unavailable. No promise covers the app yet.
    let mobile = outage(&app, "mobile", now - chrono::Duration::minutes(3)).await;
    let doc = status_is(&app, "UNAVAILABLE").await;
    assert!(doc["data"].get("expectedResolutionTime").is_none(), "{doc}");
    let later = second(now + chrono::Duration::hours(3));
    say(
        &app,
        words(
            "Tout revient dans trois heures.",
            now - chrono::Duration::minutes(1),
            Some(later),
        ),
    )
    .await;
    let doc = eventually(WAIT, "the promise for both", || async {
        let doc = status(&app).await;
        doc["data"]
            .get("expectedResolutionTime")
            .is_some()
            .then_some(doc)
    })
    .await;
    assert_eq!(time(&doc["data"]["expectedResolutionTime"]), later);

    // Both back, and a window in force on both: a scheduled outage until its announced end.
    resolve(&app, web).await;
    resolve(&app, mobile).await;
    let ends = second(Utc::now() + chrono::Duration::hours(1));
    let (code, w) = app
        .post(
            "/api/v1/maintenance",
            &json!({"bank": "bmce", "channels": ["web", "mobile"],
                    "starts": rfc(Utc::now() - chrono::Duration::minutes(1)), "ends": rfc(ends),
                    "title": {"en": "Core banking switch-over"}}),
            true,
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{w}");
    let doc = status_is(&app, "SCHEDULED_OUTAGE").await;
    assert_eq!(time(&doc["data"]["expectedResolutionTime"]), ends);
    assert!(doc["data"]["explanation"]
        .as_str()
        .unwrap()
        .contains("Core banking switch-over"));
    let list = outages(&app).await;
    assert_eq!(list.len(), 2, "in force and still to come");
    assert_eq!(list[0]["isPartial"], false);
}
