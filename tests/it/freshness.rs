//! Pages honest about their own freshness: every public page says when its data was
//! checked, turns into a notice in the reader's language once checks stop coming in for two
//! intervals, and reloads only when the reader asks for it.

use std::sync::atomic::Ordering;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{bank_config, eventually, probe, FakeBank, TestApp};

/// The stale notice's title in each language, as the catalogues write it.
const STALE: [(&str, &str); 3] = [
    ("ar", "قد لا تكون هذه الصفحة محدَّثة"),
    ("fr", "Cette page n’est peut-être plus à jour"),
    ("en", "This page may be out of date"),
];

/// Every public page, an incident's included.
fn pages(incident: i64) -> Vec<String> {
    [
        "/",
        "/banks/bmce",
        "/history",
        "/scorecard",
        "/methodology",
        "/accessibility",
        "/report",
        "/subscribe",
        "/embed",
        "/embed/banks/bmce",
    ]
    .iter()
    .map(|p| (*p).to_owned())
    .chain([format!("/incidents/{incident}")])
    .collect()
}

fn with_lang(path: &str, lang: &str) -> String {
    format!("{path}?lang={lang}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_says_when_it_was_checked_and_when_it_may_be_out_of_date() {
    let fake = FakeBank::start().await;
    // Checked twice a second; a check that gets no answer gives up after 8 s, so while the
    // bank stalls no check comes in for many intervals.
    let app = TestApp::spawn(&bank_config(
        "bmce",
        &[probe(
            "web",
            &fake.url("/stall"),
            "  interval = \"500ms\"\n  timeout = \"8s\"\n",
        )],
        &[],
    ))
    .await;
    let (status, v) = app
        .post(
            "/api/v1/incidents",
            &json!({"kind": "advisory", "banks": ["bmce"], "title": {"en": "Fake SMS"},
                    "message": {"en": "The bank sends no links by SMS."}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let pages = pages(v["id"].as_i64().unwrap());
    eventually(Duration::from_secs(10), "a first check", || async {
        let (_, page) = app.text("/?lang=en").await;
        page.contains("Checked at").then_some(())
    })
    .await;
    for path in &pages {
        for (lang, stale) in STALE {
            let r = app.get(&with_lang(path, lang)).await;
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert!(
                r.headers().get("refresh").is_none(),
                "{path}: never by default"
            );
            let page = r.text().await.unwrap();
            assert!(
                page.contains("<p class=\"fresh\">"),
                "{path} {lang}: {page}"
            );
            assert!(!page.contains(stale), "{path} {lang}");
            assert!(
                !page.contains("http-equiv"),
                "{path}: no reload in the page"
            );
        }
    }
    // The next check is announced, a reload offered, none forced.
    let (_, home) = app.text("/?lang=en").await;
    assert!(home.contains("next check"), "{home}");
    assert!(home.contains("href=\"/?lang=en&amp;refresh=60\""), "{home}");

    // A reload only where asked, with a way to stop it; a nonsense one is refused.
    let r = app.get("/banks/bmce?lang=fr&refresh=30").await;
    assert_eq!(r.headers()["refresh"], "30");
    let page = r.text().await.unwrap();
    assert!(page.contains("href=\"/banks/bmce?lang=fr\""), "{page}");
    for bad in ["5", "abc", "99999"] {
        let (status, page) = app.text(&format!("/?lang=en&refresh={bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains("reload every 10 to 3600 seconds"), "{page}");
    }

    // The bank stops answering: no check comes in, and every page says so in its language.
    fake.state.stalled.store(true, Ordering::SeqCst);
    eventually(Duration::from_secs(20), "every page stale", || async {
        for path in &pages {
            for (lang, stale) in STALE {
                let (_, page) = app.text(&with_lang(path, lang)).await;
                if !page.contains(stale) || !page.contains("class=\"banner stale\"") {
                    return None;
                }
            }
        }
        Some(())
    })
    .await;
    // Answers again: the notice goes.
    fake.state.stalled.store(false, Ordering::SeqCst);
    eventually(Duration::from_secs(30), "fresh again", || async {
        let (_, page) = app.text("/?lang=en").await;
        (!page.contains("This page may be out of date")).then_some(())
    })
    .await;
}

/// The page with its notices, gzipped once for every reader that takes gzip: the same page
/// as the plain one, saying it varies by encoding, and made again when the notices move.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzipped_page_is_the_plain_page_and_moves_with_its_notices() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&bank_config(
        "bmce",
        &[probe("web", &fake.url("/"), "  interval = \"500ms\"\n")],
        &[],
    ))
    .await;
    let fetch = |encoding: &'static str| {
        let app = &app;
        async move {
            let r = app
                .client
                .get(app.url("/?lang=fr"))
                .header("accept-encoding", encoding)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            let headers = r.headers().clone();
            (headers, r.bytes().await.unwrap())
        }
    };
    let fresh_line = |page: &str| {
        let at = page.find("<p class=\"fresh\">").expect("a freshness line");
        page[at..at + page[at..].find("</p>").expect("its end")].to_owned()
    };
    let without_line = |page: &str| page.replace(&fresh_line(page), "");
    let gunzip = |gz: &[u8]| {
        let mut page = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(gz), &mut page)
            .expect("gzip");
        page
    };
    eventually(Duration::from_secs(10), "a first check", || async {
        let (_, page) = app.text("/?lang=fr").await;
        page.contains("Vérifié à").then_some(())
    })
    .await;

    let (headers, gz) = fetch("gzip, deflate, br").await;
    assert_eq!(headers["content-encoding"], "gzip");
    let vary: Vec<_> = headers
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap().to_ascii_lowercase())
        .collect();
    assert!(
        vary.iter().any(|v| v.contains("accept-encoding")),
        "{vary:?}"
    );
    let first = gunzip(&gz);
    let (plain_headers, plain) = fetch("identity, gzip;q=0.5").await;
    assert!(plain_headers.get("content-encoding").is_none());
    let plain = String::from_utf8(plain.to_vec()).unwrap();
    assert_eq!(without_line(&first), without_line(&plain));

    // Checks come in twice a second: the gzipped page says so too.
    eventually(Duration::from_secs(10), "a newer line, gzipped", || async {
        let (_, gz) = fetch("gzip").await;
        (fresh_line(&gunzip(&gz)) != fresh_line(&first)).then_some(())
    })
    .await;
}
