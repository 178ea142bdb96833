//! Operator and config text cannot change the shape of what the service writes: no new
//! calendar property from a line break, no markup in an RSS description, no formula in a
//! CSV cell; a request naming its host twice is refused; a new `Host` per request cannot
//! push everyone's feeds out of the cache.

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{bank_config, quiet_bank, FakeBank, TestApp};

/// Lines of an iCalendar body once unfolded (RFC 5545 §3.1), after checking that every
/// line ends with CRLF and no bare CR or LF is left.
fn unfolded_lines(body: &str) -> Vec<String> {
    let stripped = body.replace("\r\n", "");
    assert!(
        !stripped.contains(['\r', '\n']),
        "a bare line break in the calendar"
    );
    body.replace("\r\n ", "")
        .replace("\r\n\t", "")
        .split("\r\n")
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_breaks_in_a_window_add_no_calendar_property() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&quiet_bank(&fake)).await;
    let (status, w) = app
        .post(
            "/api/v1/maintenance",
            &json!({"bank": "bmce", "channels": ["web"], "starts": "2030-06-01T10:00",
                    "ends": "2030-06-01T12:00", "title": {"en": "Upgrade"},
                    "source": "https://bmcebank.ma/news\r\nATTACH:https://evil.example/a\r\n"}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{w}");
    // What is stored is the URL as the standard serialises it.
    let source = w["source"].as_str().unwrap();
    assert!(!source.contains(['\r', '\n']), "{source:?}");
    assert!(source.starts_with("https://bmcebank.ma/news"), "{source}");
    // A title with line breaks of every kind, if taken, stays inside its property.
    let (status, _) = app
        .post(
            "/api/v1/maintenance",
            &json!({"bank": "bmce", "channels": ["app"], "starts": "2030-07-01T10:00",
                    "ends": "2030-07-01T12:00",
                    "title": {"en": "Upgrade\r\nATTACH:https://evil.example/b\rATTACH:x\nATTACH:y"}}),
            true,
        )
        .await;
    assert!(
        status == StatusCode::CREATED || status == StatusCode::UNPROCESSABLE_ENTITY,
        "{status}"
    );
    for path in ["/maintenance.ics", "/banks/bmce/maintenance.ics?lang=fr"] {
        let body = app.get(path).await.text().await.unwrap();
        let lines = unfolded_lines(&body);
        assert!(
            !lines.iter().any(|l| l.starts_with("ATTACH")),
            "{path}: {body}"
        );
        let urls: Vec<&String> = lines.iter().filter(|l| l.starts_with("URL")).collect();
        assert_eq!(urls.len(), 1, "{body}");
        assert!(
            urls[0].starts_with("URL:https://bmcebank.ma/news"),
            "{urls:?}"
        );
        // And a strict reader sees the one window with the source.
        let mut parser = ical::IcalParser::new(std::io::BufReader::new(body.as_bytes()));
        let cal = parser
            .next()
            .expect("a calendar")
            .expect("a valid calendar");
        assert!(cal
            .events
            .iter()
            .all(|e| e.properties.iter().all(|p| p.name != "ATTACH")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markup_in_operator_text_is_text_in_the_rss_description() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&quiet_bank(&fake)).await;
    let markup = "<script>alert(1)</script><img src=x onerror=alert(2)>]]><b>x</b>";
    let (status, body) = app
        .post(
            "/api/v1/incidents",
            &json!({"kind": "outage", "banks": ["bmce"], "channels": ["web"],
                    "title": {"en": "Web down"}, "message": {"en": markup}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let rss = app.get("/feed.rss").await.text().await.unwrap();
    assert!(rss.contains("alert(1)"), "the update is in the feed");
    for raw in ["<script", "<img", "<b>"] {
        assert!(!rss.contains(raw), "{raw} in {rss}");
    }
    let feed = feed_rs::parser::parse(rss.as_bytes()).expect("the feed parses");
    let summary = feed
        .entries
        .iter()
        .filter_map(|e| e.summary.as_ref())
        .find(|s| s.content.contains("alert(1)"))
        .expect("the update's description");
    assert!(
        summary.content.contains("&lt;script&gt;"),
        "{}",
        summary.content
    );
}

/// The write-failure counters of `/metrics`, added up.
async fn write_failures(app: &TestApp) -> f64 {
    let metrics = app.get("/metrics").await.text().await.unwrap();
    metrics
        .lines()
        .filter(|l| l.starts_with("bankstatus_storage_write_failures_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A control character in operator text is refused on every route that takes text, in the
/// same words: stored, U+0000 made PostgreSQL refuse the write (503, counted as a storage
/// failure) and SQLite keep it, which left every subscriber's RSS unreadable XML. A form's
/// CRLF line ends are still taken, as line breaks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_in_operator_text_are_refused_and_feeds_stay_readable() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&quiet_bank(&fake)).await;
    let (status, body) = app
        .post(
            "/api/v1/incidents",
            &json!({"kind": "outage", "banks": ["bmce"], "channels": ["web"],
                    "title": {"en": "Web down"},
                    "message": {"en": "Line one\r\nline two"}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_i64().unwrap();
    let incident = app.json(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(
        incident["updates"][0]["message"]["en"], "Line one\nline two",
        "{incident}"
    );
    let update = incident["updates"][0]["id"].as_i64().unwrap();
    let refused = [
        (
            "/api/v1/incidents".to_owned(),
            json!({"kind": "outage", "banks": ["bmce"], "title": {"fr": "Panne\u{0}"}}),
            "U+0000",
        ),
        (
            "/api/v1/maintenance".to_owned(),
            json!({"bank": "bmce", "channels": ["web"], "starts": "2030-06-01T10:00",
                   "ends": "2030-06-01T12:00", "title": {"ar": "صيانة\u{0}"}}),
            "U+0000",
        ),
        (
            format!("/api/v1/incidents/{id}/updates"),
            json!({"state": "identified", "message": {"en": "Found \u{202e}gnp.exe"}}),
            "U+202E",
        ),
        (
            format!("/api/v1/incidents/{id}/updates/{update}/corrections"),
            json!({"message": {"en": "Bell\u{7}"}}),
            "U+0007",
        ),
        (
            format!("/api/v1/incidents/{id}/withdraw"),
            json!({"reason": {"fr": "Erreur\u{0}"}}),
            "U+0000",
        ),
    ];
    for (path, body, char) in refused {
        let (status, answer) = app.post(&path, &body, true).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(message.contains(char), "{path}: {answer}");
    }
    // Nothing of it was stored, nothing counted as the storage failing.
    let incident = app.json(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(incident["state"], "investigating", "{incident}");
    assert_eq!(incident["updates"].as_array().map(Vec::len), Some(1));
    assert_eq!(write_failures(&app).await, 0.0);
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    for path in ["/feed.rss", "/feed.atom", "/banks/bmce/feed.rss"] {
        let feed = app.get(path).await.text().await.unwrap();
        assert!(!feed.contains('\u{0}'), "{path}");
        feed_rs::parser::parse(feed.as_bytes()).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_formula_in_a_bank_name_is_text_in_the_scorecard_csv() {
    let fake = FakeBank::start().await;
    let formula = "=HYPERLINK(\\\"http://evil.example\\\",\\\"x\\\")";
    let config = quiet_bank(&fake).replace("en = \"Bank bmce\"", &format!("en = \"{formula}\""));
    assert!(config.contains("HYPERLINK"));
    let app = TestApp::spawn(&config).await;
    let r = app.get("/scorecard?format=csv&lang=en").await;
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    let rows: Vec<&str> = csv
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .collect();
    assert!(!rows.is_empty(), "{csv}");
    for row in rows {
        // The name is the fourth column, quoted for its commas and quotes.
        assert!(
            row.contains(",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\","),
            "{row}"
        );
        assert!(!row.contains(",=") && !row.contains(",\"="), "{row}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_host_headers_are_refused_with_a_sentence() {
    let app = TestApp::spawn(&bank_config("acme", &[], &[])).await;
    for path in ["/healthz", "/feed.rss", "/api/v1/status"] {
        let mut s = TcpStream::connect(app.addr).await.unwrap();
        s.write_all(
            format!(
                "GET {path} HTTP/1.1\r\nHost: status.example.ma\r\nHost: evil.example\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).await.unwrap();
        let got = String::from_utf8_lossy(&got);
        assert!(got.starts_with("HTTP/1.1 400"), "{path}: {got}");
        assert!(got.contains("single Host header"), "{path}: {got}");
        assert!(!got.contains("evil.example"), "{got}");
    }
    // One Host is served as before.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_host_per_request_gets_its_own_links_and_leaves_the_others() {
    let app = TestApp::spawn(&bank_config("acme", &[], &[])).await;
    let get = |host: String| {
        let app = &app;
        async move {
            let r = app
                .client
                .get(app.url("/feed.atom"))
                .header("host", &host)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{host}");
            let etag = r.headers()["etag"].to_str().unwrap().to_owned();
            (etag, r.text().await.unwrap())
        }
    };
    let (first_tag, first) = get("status.example.ma".to_owned()).await;
    assert!(first.contains("http://status.example.ma/"));
    for i in 0..60 {
        let host = format!("h{i}.example");
        let (_, body) = get(host.clone()).await;
        assert!(body.contains(&format!("http://{host}/")), "{host}");
        assert!(
            !body.contains("status.example.ma"),
            "{host} got another host's feed"
        );
    }
    let (tag, again) = get("status.example.ma".to_owned()).await;
    assert_eq!(tag, first_tag);
    assert_eq!(again, first);

    // A bank page's embed snippet is a variant by host too: each host sees its own.
    for i in 0..20 {
        let host = format!("p{i}.example");
        let r = app
            .client
            .get(app.url("/banks/acme?lang=en"))
            .header("host", &host)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{host}");
        let body = r.text().await.unwrap();
        assert!(
            body.contains(&format!("http://{host}/embed/banks/acme")),
            "{host}"
        );
        assert!(
            !body.contains("p0.example/embed") || i == 0,
            "{host} got p0's page"
        );
    }
}
