//! Bad statements are refused with a 422 and a sentence, and nothing is stored: an unknown
//! bank, a source that is not http(s), a promise before the words, control characters or
//! bidi overrides in the text or a translation, an incident of another bank.

use chrono::Utc;
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{outage, rfc, words};
use crate::helpers::{quiet_bank, FakeBank, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_statements_are_refused_with_a_sentence_and_nothing_is_stored() {
    let fake = FakeBank::start().await;
    let config = format!(
        "{}\n[[banks]]\nslug = \"cdm\"\nname = {{ fr = \"Crédit du Maroc\" }}\n",
        quiet_bank(&fake)
    );
    let app = TestApp::spawn(&config).await;
    let now = Utc::now();
    let theirs = {
        let (status, v) = app
            .post(
                "/api/v1/incidents",
                &json!({"kind": "outage", "banks": ["cdm"], "title": {"fr": "Panne"}}),
                true,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        v["id"].as_i64().unwrap()
    };
    outage(&app, "atm", now - chrono::Duration::minutes(30)).await;
    let good = || {
        words(
            "Un problème dans le système.",
            now - chrono::Duration::minutes(5),
            None,
        )
    };
    let with = |key: &str, value: Value| {
        let mut b = good();
        b[key] = value;
        b
    };
    let their_id = theirs.to_string();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("unknown bank", with("bank", json!("nope")), "nope"),
        (
            "javascript source",
            with("source_url", json!("javascript:alert(1)")),
            "source_url",
        ),
        (
            "ftp source",
            with("source_url", json!("ftp://example.org/post")),
            "source_url",
        ),
        (
            "no scheme",
            with("source_url", json!("www.facebook.com/post")),
            "source_url",
        ),
        (
            "promise before the words",
            with(
                "expected_back_at",
                json!(rfc(now - chrono::Duration::hours(1))),
            ),
            "expected_back_at",
        ),
        (
            "a bell",
            with("text", json!({"fr": "Un problème\u{7}"})),
            "U+0007",
        ),
        (
            "a carriage return alone",
            with("text", json!({"fr": "Un\rproblème"})),
            "U+000D",
        ),
        (
            "a right-to-left override",
            with("text", json!({"ar": "عطل \u{202e}00:81"})),
            "U+202E",
        ),
        (
            "an isolate in a translation",
            with("translations", json!({"en": "\u{2066}back\u{2069}"})),
            "U+2066",
        ),
        (
            "a translation of the original",
            with("translations", json!({"fr": "Traduction"})),
            "fr",
        ),
        ("no words", with("text", json!({})), "text"),
        (
            "unknown source kind",
            with("source_kind", json!("tiktok")),
            "tiktok",
        ),
        (
            "said in the future",
            with("said_at", json!(rfc(now + chrono::Duration::hours(2)))),
            "said_at",
        ),
        ("not a time", with("said_at", json!("hier")), "hier"),
        (
            "another bank's incident",
            with("incident", json!(theirs)),
            &their_id,
        ),
        ("unknown channel", with("channels", json!(["fax"])), "fax"),
    ];
    for (what, body, names) in &cases {
        let (status, v) = app.post("/api/v1/statements", body, true).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {v}");
        assert_eq!(v["error"], "unprocessable", "{what}: {v}");
        let message = v["message"].as_str().unwrap();
        assert!(message.contains(names), "{what}: {message}");
        assert!(
            message.ends_with('.') || message.ends_with('`'),
            "{what}: a sentence: {message}"
        );
    }
    // Refused in the reader's language too.
    let r = app
        .client
        .post(app.url("/api/v1/statements?lang=fr"))
        .bearer_auth(crate::helpers::ADMIN)
        .header("content-type", "application/json")
        .body(with("source_url", json!("javascript:alert(1)")).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert!(
        v["message"].as_str().unwrap().contains("n’est pas une URL"),
        "{v}"
    );
    // Without the operator's token: 401.
    let (status, _) = app.post("/api/v1/statements", &good(), false).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("SELECT COUNT(*) FROM statements").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM statement_incidents").await,
        0
    );
    // The good one is taken.
    let (status, v) = app.post("/api/v1/statements", &good(), true).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(app.count("SELECT COUNT(*) FROM statements").await, 1);
    // Bad queries of the list are 400s, an unknown bank a 404.
    let (status, _) = app.text("/api/v1/statements?since=never").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app.text("/api/v1/statements?bank=nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
