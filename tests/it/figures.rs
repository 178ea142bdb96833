//! Figures a journalist would quote: each incident's evidence stays inside its own span,
//! and no French or Arabic message carries a library's English error.

use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::DateTime;

use crate::helpers::{bank_config, channel_status, eventually, probe, FakeBank, TestApp};

fn at(v: &serde_json::Value) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}"))).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_outages_in_a_row_each_keep_their_own_evidence() {
    let fake = FakeBank::start().await;
    let p = probe(
        "web",
        &fake.url("/toggle"),
        "  interval = \"200ms\"\n  timeout = \"1s\"\n  failures_before_outage = 2\n  successes_before_recovery = 1\n",
    );
    let mut text = bank_config("trio", &[p], &[]);
    text.push_str("\n[probing]\nreopen_within = \"0s\"\n");
    let mut app = TestApp::spawn(&text).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        fake.state.failing.store(true, Ordering::SeqCst);
        let id = eventually(Duration::from_secs(10), "an outage", || async {
            channel_status(&app, "trio", "web").await["incident_id"]
                .as_i64()
                .filter(|id| !ids.contains(id))
        })
        .await;
        app.counter_grows("bankstatus_probe_runs_total{outcome=\"down\"}", 3.0)
            .await;
        fake.state.failing.store(false, Ordering::SeqCst);
        eventually(Duration::from_secs(10), "the recovery", || async {
            let i = app.json(&format!("/api/v1/incidents/{id}")).await;
            (i["state"] == "resolved").then_some(())
        })
        .await;
        ids.push(id);
    }
    for id in ids {
        let ev = eventually(Duration::from_secs(10), "every check stored", || async {
            let ev = app.json(&format!("/incidents/{id}?format=json")).await;
            (ev["probes"][0]["failing"].as_i64() >= Some(2)).then_some(ev)
        })
        .await;
        let (start, end) = (at(&ev["started_at"]), at(&ev["resolved_at"]));
        let p = &ev["probes"][0];
        let first = at(&p["first_failure"]["at"]);
        let last = at(&p["last_failure"]);
        assert!(
            start <= first && first <= end,
            "incident {id}: first failure outside: {ev}"
        );
        assert!(
            start <= last && last <= end,
            "incident {id}: last failure outside: {ev}"
        );
        let failing = p["failing"].as_i64().unwrap();
        // Checks every 200 ms: the span holds no more failures than fit in it.
        let fit = (end - start).num_milliseconds() / 150 + 2;
        assert!(
            failing <= fit,
            "incident {id}: {failing} failures in {fit} slots: {ev}"
        );
    }
    app.stop().await;
}

/// English words of the HTTP and TLS libraries that must never reach a reader in French or
/// Arabic.
const LIBRARY_WORDS: [&str; 8] = [
    "error sending request",
    "operation timed out",
    "onnection refused",
    "tcp connect",
    "invalid peer certificate",
    "InvalidContentType",
    "client error",
    "CaUsedAsEndEntity",
];

/// The page without the labelled technical detail, which keeps the library's own words.
fn public_words(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find("<code dir=\"ltr\">") {
        out.push_str(&rest[..i]);
        rest = rest[i..].split_once("</code>").map_or("", |(_, r)| r);
    }
    out.push_str(rest);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_french_or_arabic_message_carries_a_library_error() {
    let fake = FakeBank::start().await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let fast = "  interval = \"200ms\"\n  timeout = \"500ms\"\n  failures_before_outage = 2\n";
    let mut text = bank_config("slow", &[probe("web", &fake.url("/hang"), fast)], &[]);
    for (slug, url) in [
        ("shut", format!("http://{closed}/")),
        ("tlsx", fake.url("/up").replace("http://", "https://")),
    ] {
        text.push_str(&format!(
            "\n[[banks]]\nslug = \"{slug}\"\nname = {{ ar = \"بنك\", fr = \"Banque {slug}\", en = \"Bank {slug}\" }}\n  [[banks.probes]]\n{}\n",
            probe("web", &url, fast)
        ));
    }
    let mut app = TestApp::spawn(&text).await;
    let mut incidents = Vec::new();
    for slug in ["slow", "shut", "tlsx"] {
        let id = eventually(Duration::from_secs(15), "an outage", || async {
            channel_status(&app, slug, "web").await["incident_id"].as_i64()
        })
        .await;
        incidents.push((slug, id));
    }
    let mut pages = vec!["/?lang=fr".to_owned(), "/?lang=ar".to_owned()];
    for (slug, id) in &incidents {
        for lang in ["fr", "ar"] {
            pages.push(format!("/banks/{slug}?lang={lang}"));
            pages.push(format!("/incidents/{id}?lang={lang}"));
            pages.push(format!("/banks/{slug}/feed.rss?lang={lang}"));
            pages.push(format!("/banks/{slug}/feed.atom?lang={lang}"));
        }
    }
    for path in &pages {
        let (status, body) = app.text(path).await;
        assert!(status.is_success(), "{path}: {status}");
        let words = public_words(&body);
        for w in LIBRARY_WORDS {
            assert!(!words.contains(w), "{path} carries `{w}`");
        }
    }
    // The detail is kept, labelled, for whoever needs it.
    let (_, page) = app
        .text(&format!("/incidents/{}?lang=fr", incidents[1].1))
        .await;
    assert!(page.contains("Détail technique"), "no technical detail");
    let raw = page.split("<code dir=\"ltr\">").nth(1).unwrap_or_default();
    assert!(
        LIBRARY_WORDS.iter().any(|w| raw.contains(w)) || raw.contains("refused"),
        "the detail is the library's own: {raw}"
    );
    app.stop().await;
}
