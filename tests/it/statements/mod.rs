//! The banks' statements end to end: quoted on the pages with their promises and the
//! silence before them, carried to feeds, alerts and the Statuspage API, counted on the
//! scorecard, shown in the CDR discovery shape, and refused when bad. The store's own
//! story is `contract/statements.rs`.

mod discovery;
mod input;
mod pages;
mod reach;

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{eventually, TestApp};

/// A time as the API takes it, to the second.
pub fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `t` without its fraction of a second, as [`rfc`] sends it.
pub fn second(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&rfc(t)).unwrap().to_utc()
}

/// A time as the pages write it in `lang`, in Morocco.
pub fn local(t: DateTime<Utc>, lang: &str) -> String {
    bankstatus::i18n::local_time(t, chrono_tz::Africa::Casablanca, lang.parse().unwrap())
}

/// An outage the operator records on one channel of BMCE, begun at `started`.
pub async fn outage(app: &TestApp, channel: &str, started: DateTime<Utc>) -> i64 {
    let (status, v) = app
        .post(
            "/api/v1/incidents",
            &json!({"kind": "outage", "banks": ["bmce"], "channels": [channel],
                    "title": {"en": format!("{channel} down"), "fr": format!("{channel} en panne")},
                    "started_at": rfc(started)}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

/// Resolves an incident now; its resolution time as stored.
pub async fn resolve(app: &TestApp, id: i64) -> DateTime<Utc> {
    let (status, v) = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            &json!({"state": "resolved"}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    DateTime::parse_from_rfc3339(v["resolved_at"].as_str().unwrap())
        .unwrap()
        .to_utc()
}

/// Records a statement as the operator; 201 expected, the statement answered.
pub async fn say(app: &TestApp, body: Value) -> Value {
    let (status, v) = app.post("/api/v1/statements", &body, true).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v
}

/// A statement of BMCE in French, said at `said`, promising `back` if given.
pub fn words(text: &str, said: DateTime<Utc>, back: Option<DateTime<Utc>>) -> Value {
    let mut v = json!({
        "bank": "bmce",
        "text": {"fr": text},
        "source_url": "https://www.facebook.com/BankofAfrica.ma/posts/1",
        "source_kind": "facebook",
        "said_at": rfc(said),
    });
    if let Some(b) = back {
        v["expected_back_at"] = json!(rfc(b));
    }
    v
}

/// The page at `path` once it holds `needle` (the engine and the page cache take a moment).
pub async fn page_with(app: &TestApp, path: &str, needle: &str) -> String {
    eventually(Duration::from_secs(15), needle, || async {
        let (status, text) = app.text(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        text.contains(needle).then_some(text)
    })
    .await
}

/// The page at `path` once it no longer holds `needle`.
pub async fn page_without(app: &TestApp, path: &str, needle: &str) -> String {
    eventually(Duration::from_secs(15), needle, || async {
        let (status, text) = app.text(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        (!text.contains(needle)).then_some(text)
    })
    .await
}
