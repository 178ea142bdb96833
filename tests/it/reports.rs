//! Crowd reports: hostile input gets clear 4xx answers, floods are rate-limited and open
//! nothing, the form works without JavaScript, and what is accepted is kept.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use bankstatus::domain::Channel;
use bankstatus::store::{NewReport, ReportOutcome};

use crate::helpers::{bank_config, channel_status, eventually, probe, FakeBank, TestApp, TestDb};

async fn app() -> (FakeBank, TestApp) {
    let fake = FakeBank::start().await;
    let probes = [probe("web", &fake.url("/up"), "  interval = \"1s\"\n")];
    (
        fake,
        TestApp::spawn(&bank_config("bmce", &probes, &[])).await,
    )
}

async fn raw_post(
    app: &TestApp,
    content_type: &str,
    body: String,
) -> (StatusCode, serde_json::Value) {
    let r = app
        .client
        .post(app.url("/api/v1/reports"))
        .header("content-type", content_type)
        .header("x-forwarded-for", "198.51.100.1")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (
        status,
        serde_json::from_str(&r.text().await.unwrap()).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_reports_get_clear_errors() {
    let (_fake, app) = app().await;
    let long = "x".repeat(10_000);
    let cases = [
        (
            "application/json",
            json!({"bank": "nope", "channel": "atm"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "known banks: bmce",
        ),
        (
            "application/json",
            json!({"bank": "bmce", "channel": "fax"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "web, mobile, atm",
        ),
        (
            "application/json",
            json!({"bank": "bmce", "channel": "atm", "comment": long}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "at most 500",
        ),
        (
            "application/json",
            json!({"bank": "bmce"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing field `channel`",
        ),
        (
            "application/json",
            "{\"bank\": \"bmce\", ".to_owned(),
            StatusCode::BAD_REQUEST,
            "not valid JSON",
        ),
        (
            "text/plain",
            json!({"bank": "bmce", "channel": "atm"}).to_string(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "application/json",
        ),
        (
            "application/json",
            format!(
                "{{\"bank\":\"bmce\",\"channel\":\"atm\",\"comment\":\"{}\"}}",
                "y".repeat(20_000)
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            "16 KiB",
        ),
    ];
    for (ct, body, status, needle) in cases {
        let (got, v) = raw_post(&app, ct, body).await;
        assert_eq!(got, status, "{v}");
        assert!(v["error"].is_string(), "{v}");
        assert!(
            v["message"].as_str().unwrap().contains(needle),
            "`{needle}` not in {v}"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM reports").await,
        0,
        "nothing bad was stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_address_is_limited_and_opens_nothing() {
    let (_fake, mut app) = app().await;
    let (status, first) = app.report("bmce", "atm", "203.0.113.9").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(first["counted"], true);
    let (_, again) = app.report("bmce", "atm", "203.0.113.9").await;
    assert_eq!(
        again["counted"], false,
        "a repeat within 10 minutes does not count"
    );

    let mut accepted = 2;
    let mut limited = 0;
    let mut counts_at_last_accepted = app.report_counts().await;
    for _ in 0..998 {
        match app.report("bmce", "atm", "203.0.113.9").await.0 {
            StatusCode::ACCEPTED => {
                accepted += 1;
                counts_at_last_accepted = app.report_counts().await;
            }
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((accepted, limited), (20, 980));
    // One reporter is one reporter, however loud: no surge, no incident. Refused reports
    // change nothing, so the counts to wait for are those after the last accepted one.
    app.reports_counted_since(counts_at_last_accepted, 2).await;
    let atm = app.json("/api/v1/banks/bmce").await;
    assert_eq!(atm["open_incidents"], json!([]));
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT reporter) FROM reports")
            .await,
        1
    );
    // No raw address is stored anywhere.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM reports WHERE reporter LIKE '%203.0.113%'")
            .await,
        0
    );

    // What was answered 202 is there after a clean stop.
    app.stop().await;
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_sent_at_once_are_each_judged_and_all_kept() {
    let (_fake, mut app) = app().await;
    // Sent together, so many share a transaction: one loud address among many quiet ones.
    let ips: Vec<String> = (0..100)
        .map(|i| {
            if i % 2 == 0 {
                "203.0.113.7".to_owned()
            } else {
                format!("198.51.100.{i}")
            }
        })
        .collect();
    let answers =
        futures_util::future::join_all(ips.iter().map(|ip| app.report("bmce", "atm", ip))).await;
    let (mut loud, mut limited, mut counted, mut quiet) = (0, 0, 0, 0);
    for (ip, (status, body)) in ips.iter().zip(answers) {
        match (ip.as_str(), status) {
            ("203.0.113.7", StatusCode::ACCEPTED) => {
                loud += 1;
                counted += i32::from(body["counted"] == true);
            }
            ("203.0.113.7", StatusCode::TOO_MANY_REQUESTS) => limited += 1,
            (_, StatusCode::ACCEPTED) if body["counted"] == true => quiet += 1,
            other => panic!("unexpected answer {other:?}: {body}"),
        }
    }
    assert_eq!((loud, limited), (20, 30), "the hourly allowance holds");
    assert_eq!(counted, 1, "one address counts once");
    assert_eq!(quiet, 50);
    app.stop().await;
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 70);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM reports WHERE counted = 1")
            .await,
        51
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_batch_judges_each_report_against_those_before_it() {
    let db = TestDb::new();
    let store = bankstatus::store::connect(&db.url).await.unwrap();
    let at = chrono::Utc::now();
    let report = |reporter: &str, channel: Channel| NewReport {
        bank: "bmce".into(),
        channel,
        at,
        reporter: reporter.into(),
        address: reporter.into(),
        network: reporter.into(),
        comment: None,
        symptom: None,
        city: None,
        works: false,
    };
    let mut batch = vec![report("a", Channel::Atm); 4];
    batch.insert(1, report("b", Channel::Atm));
    batch.push(report("a", Channel::Mobile));
    let outcomes = store
        .add_reports(&batch, 3, chrono::Duration::minutes(10))
        .await
        .unwrap();
    let counted = |c| matches!(c, ReportOutcome::Accepted { counted: true, .. });
    let repeat = |c| matches!(c, ReportOutcome::Accepted { counted: false, .. });
    assert!(counted(outcomes[0]), "{outcomes:?}");
    assert!(counted(outcomes[1]), "another reporter: {outcomes:?}");
    assert!(repeat(outcomes[2]) && repeat(outcomes[3]), "{outcomes:?}");
    assert_eq!(outcomes[4], ReportOutcome::RateLimited, "a's fourth report");
    assert_eq!(
        outcomes[5],
        ReportOutcome::RateLimited,
        "across channels too"
    );
    assert_eq!(outcomes.len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_surge_opens_an_incident_and_moderation_resolves_it() {
    let (_fake, app) = app().await;
    let mut ids = Vec::new();
    // Three networks: the fewest a surge comes from.
    for ip in ["192.0.2.1", "198.51.100.2", "203.0.113.3"] {
        let (status, v) = app.report("bmce", "atm", ip).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        ids.push(v["id"].as_i64().unwrap());
    }
    let atm = eventually(Duration::from_secs(10), "a report surge", || async {
        let c = channel_status(&app, "bmce", "atm").await;
        c["incident_id"].is_i64().then_some(c)
    })
    .await;
    assert_eq!(atm["status"], "partial_outage");
    assert_eq!(
        atm["confidence"], "reported",
        "customers alone, nothing checks ATMs"
    );
    assert_eq!(atm["crowd_note"], "unchecked");
    assert_eq!(atm["reports"], 3);
    assert_eq!(atm["report_networks"], 3);
    let id = atm["incident_id"].as_i64().unwrap();
    let incident = app.json(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(incident["sources"], json!(["reports"]));
    assert_eq!(incident["state"], "investigating");
    let (_, html) = app.text("/banks/bmce").await;
    assert!(
        html.contains("<svg class=\"reports\""),
        "the bank page charts reports"
    );

    // The operator deletes the reports: they no longer count, and the surge is over.
    for rid in ids {
        let r = app
            .client
            .delete(app.url(&format!("/api/v1/reports/{rid}")))
            .bearer_auth(crate::helpers::ADMIN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    let r = app
        .client
        .delete(app.url("/api/v1/reports/99999"))
        .bearer_auth(crate::helpers::ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let resolved = eventually(Duration::from_secs(10), "the surge to end", || async {
        let i = app.json(&format!("/api/v1/incidents/{id}")).await;
        (i["state"] == "resolved").then_some(i)
    })
    .await;
    assert!(resolved["resolved_at"].is_string());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'delete_report'")
            .await,
        3
    );
}

/// The CSRF cookie and field of a freshly loaded form.
async fn load_form(app: &TestApp, path: &str) -> (String, String) {
    let r = app.get(path).await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("csrf="))
        .unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let html = r.text().await.unwrap();
    let token = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    (cookie, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_works_without_javascript_and_escapes_comments() {
    let (_fake, app) = app().await;
    let (cookie, token) = load_form(&app, "/report?bank=bmce&channel=atm").await;
    let (_, html) = app.text("/report?bank=bmce&channel=atm").await;
    assert!(
        html.contains("<option value=\"bmce\" selected>")
            && html.contains("<option value=\"atm\" selected>")
    );

    let post = |body: String, cookie: Option<String>| {
        let mut req = app
            .client
            .post(app.url("/report"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-forwarded-for", "192.0.2.50")
            .body(body);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send()
    };
    let comment = "no cash <script>alert(1)</script>";
    let body = format!(
        "csrf={token}&bank=bmce&channel=atm&website=&comment={}",
        form_urlencoded::byte_serialize(comment.as_bytes()).collect::<String>()
    );
    let r = post(body.clone(), Some(cookie.clone())).await.unwrap();
    // Post, redirect, get: a reload of the thanks sends nothing again.
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let thanks = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(thanks.starts_with("/report?sent=counted"), "{thanks}");
    let (status, html) = app.text(&thanks).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("your report is counted"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM reports WHERE counted = 1")
            .await,
        1
    );

    let (_, page) = app.text("/banks/bmce").await;
    assert!(
        page.contains("no cash &#60;script&#62;alert(1)&#60;/script&#62;")
            || page.contains("no cash &lt;script&gt;"),
        "the comment is shown escaped"
    );
    assert!(!page.contains("<script>alert(1)"));

    // Without the cookie the token is refused; a filled honeypot is thanked and dropped.
    let r = post(body.clone(), None).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (cookie2, token2) = load_form(&app, "/report").await;
    let r = post(
        format!("csrf={token2}&bank=bmce&channel=web&website=http://spam"),
        Some(cookie2.clone()),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM reports").await,
        1,
        "the bot's report was not kept"
    );
    let r = post(
        format!("csrf={token2}&bank=nope&channel=web"),
        Some(cookie2),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Unknown bank"));
}
