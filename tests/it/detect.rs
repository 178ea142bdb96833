//! The maintenance detector against the corpus in `tests/data/pages/`: maintenance pages
//! and ordinary bank pages in Arabic (Modern Standard and Moroccan), French and English,
//! written for these tests. Precision and recall with the default phrases and words, before
//! a probe has learned its bank's usual page (the strictest case) and after. Then the same
//! pages served by a fake bank with 200, through the whole service.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::response::Html;
use axum::routing::get;
use axum::Router;
use bankstatus::probe::maintenance::{builtin_phrases, Detector};
use bankstatus::probe::page::{Page, Usual};
use serde_json::Value;

use crate::helpers::{eventually, probe, TestApp, REPORTS};

/// One page of the corpus.
struct Sample {
    name: String,
    maintenance: bool,
    bank: String,
    html: String,
}

fn corpus() -> Vec<Sample> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pages");
    let mut out = Vec::new();
    for (dir, maintenance) in [("maintenance", true), ("normal", false)] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "html"))
            .collect();
        files.sort();
        for f in files {
            let html = std::fs::read_to_string(&f).unwrap();
            let bank = html
                .split("name=\"corpus-bank\" content=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or_else(|| panic!("{} names no bank", f.display()))
                .to_owned();
            out.push(Sample {
                name: format!("{dir}/{}", f.file_name().unwrap().to_string_lossy()),
                maintenance,
                bank,
                html,
            });
        }
    }
    out
}

/// True and false positives and negatives, with the pages judged wrongly.
#[derive(Default)]
struct Score {
    tp: u32,
    fp: u32,
    fn_: u32,
    tn: u32,
    wrong: Vec<String>,
}

impl Score {
    fn add(&mut self, s: &Sample, found: Option<String>) {
        match (s.maintenance, found) {
            (true, Some(_)) => self.tp += 1,
            (false, None) => self.tn += 1,
            (true, None) => {
                self.fn_ += 1;
                self.wrong.push(format!("missed {}", s.name));
            }
            (false, Some(why)) => {
                self.fp += 1;
                self.wrong.push(format!("false alarm {} ({why})", s.name));
            }
        }
    }

    fn precision(&self) -> f64 {
        f64::from(self.tp) / f64::from((self.tp + self.fp).max(1))
    }

    fn recall(&self) -> f64 {
        f64::from(self.tp) / f64::from((self.tp + self.fn_).max(1))
    }
}

#[test]
fn the_detector_holds_on_the_corpus() {
    let detector = Detector::new(&builtin_phrases());
    let pages = corpus();
    let maintenance = pages.iter().filter(|s| s.maintenance).count();
    assert!(maintenance >= 44, "{maintenance} maintenance pages");
    assert!(pages.len() - maintenance >= 30, "too few normal pages");
    let mut by_lang: BTreeMap<(&str, bool), u32> = BTreeMap::new();
    for s in &pages {
        let lang = ["ar", "fr", "en"]
            .into_iter()
            .find(|l| s.html.contains(&format!("<html lang=\"{l}\"")))
            .unwrap_or("?");
        *by_lang.entry((lang, s.maintenance)).or_default() += 1;
    }
    eprintln!("pages by language (language, maintenance): {by_lang:?}");

    // Before any healthy check: no usual page.
    let mut cold = Score::default();
    for s in &pages {
        let found = detector.judge(&Page::read(&s.html), None);
        cold.add(s, found.map(|f| f.evidence));
    }

    // Once the probe knows its bank's page: each bank's home page, learned from three
    // healthy checks, stands for what the maintenance page replaced; an ordinary page is
    // judged against itself, as a probe of its address would be.
    let mut usual: BTreeMap<String, Usual> = BTreeMap::new();
    for s in pages
        .iter()
        .filter(|s| !s.maintenance && s.name.contains("-home-"))
    {
        let page = Page::read(&s.html);
        let u = usual.entry(s.bank.clone()).or_default();
        if !u.ready() {
            for _ in 0..3 {
                u.learn(&page);
            }
        }
    }
    let mut learned = Score::default();
    for s in &pages {
        let page = Page::read(&s.html);
        let own = if s.maintenance {
            usual[&s.bank]
        } else {
            let mut u = Usual::default();
            for _ in 0..3 {
                u.learn(&page);
            }
            u
        };
        let found = detector.judge(&page, Some(&own));
        learned.add(s, found.map(|f| f.evidence));
    }

    for (what, score) in [("cold", &cold), ("learned", &learned)] {
        eprintln!(
            "{what}: {} maintenance, {} normal pages; precision {:.3}, recall {:.3} (tp {}, fp {}, fn {}, tn {})",
            maintenance,
            pages.len() - maintenance,
            score.precision(),
            score.recall(),
            score.tp,
            score.fp,
            score.fn_,
            score.tn
        );
        for w in &score.wrong {
            eprintln!("  {what}: {w}");
        }
    }
    for (what, score) in [("cold", &cold), ("learned", &learned)] {
        assert!(
            score.precision() >= 0.95,
            "{what} precision: {:?}",
            score.wrong
        );
        assert!(score.recall() >= 0.95, "{what} recall: {:?}", score.wrong);
    }
}

/// Serves `pages` (path, HTML) with 200, `/site` as the bank's login page until `notice`
/// is set, then as a notice that keeps the site's menu, and `/menu` as that notice always.
async fn serve(pages: Vec<(String, String)>, notice: Arc<AtomicBool>) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pages");
    let home = std::fs::read_to_string(dir.join("normal/atlas-home-fr.html")).unwrap();
    let menu = std::fs::read_to_string(dir.join("maintenance/menu-01-fr.html")).unwrap();
    let always = menu.clone();
    let mut app = Router::new()
        .route("/menu", get(move || async move { Html(always) }))
        .route(
            "/site",
            get(move || {
                let page = if notice.load(Ordering::SeqCst) {
                    menu.clone()
                } else {
                    home.clone()
                };
                async move { Html(page) }
            }),
        );
    for (path, html) in pages {
        app = app.route(&path, get(move || async move { Html(html) }));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// The last check of each probe of `bank`'s `channel`, once each has one.
async fn checks(app: &TestApp, bank: &str, channel: &str, n: usize) -> Vec<Value> {
    eventually(Duration::from_secs(20), "every probe checked", || async {
        let v = app.json(&format!("/api/v1/banks/{bank}")).await;
        let c: Vec<Value> = v["channels"]
            .as_array()?
            .iter()
            .find(|c| c["channel"] == channel)?["probes"]
            .as_array()?
            .iter()
            .map(|p| p["last_check"].clone())
            .filter(|c| !c.is_null())
            .collect();
        (c.len() == n).then_some(c)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issues_wordings_are_maintenance_pages_through_the_service() {
    let pages: Vec<Sample> = corpus()
        .into_iter()
        .filter(|s| s.name.starts_with("maintenance/issue-"))
        .collect();
    assert_eq!(pages.len(), 14);
    let served: Vec<(String, String)> = pages
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("/w{i}"), s.html.clone()))
        .collect();
    let base = serve(served, Arc::default()).await;
    let mut text =
        format!("timezone = \"Africa/Casablanca\"\ndefault_language = \"en\"\n{REPORTS}\n");
    for (i, s) in pages.iter().enumerate() {
        // The bank's name, as the shipped config matches it; these pages carry it.
        let name = s
            .html
            .split("<title>")
            .nth(1)
            .unwrap()
            .split("</title>")
            .next()
            .unwrap();
        let fast = "  interval = \"200ms\"\n  timeout = \"1s\"\n";
        let url = format!("{base}/w{i}");
        text.push_str(&format!(
            "[[banks]]\nslug = \"w{i}\"\nname = {{ en = \"{name}\" }}\n  [[banks.probes]]\n{}\n  [[banks.probes]]\n{}\n",
            probe("web", &url, fast),
            probe("web", &format!("{url}?named"), &format!("{fast}  body_matches = \"{name}\"\n")),
        ));
    }
    let app = TestApp::spawn(&text).await;
    for (i, s) in pages.iter().enumerate() {
        for c in checks(&app, &format!("w{i}"), "web", 2).await {
            assert_eq!(c["error_class"], "maintenance_page", "{}: {c}", s.name);
            assert_eq!(c["http_status"], 200, "{}: {c}", s.name);
            assert!(c["maintenance_match"].is_string(), "{}: {c}", s.name);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_that_keeps_the_menu_is_told_from_the_learned_page() {
    let notice = Arc::new(AtomicBool::new(false));
    let base = serve(Vec::new(), notice.clone()).await;
    let p = probe(
        "web",
        &format!("{base}/site"),
        "  interval = \"200ms\"\n  timeout = \"1s\"\n",
    );
    let cold = probe(
        "mobile",
        &format!("{base}/menu"),
        "  interval = \"200ms\"\n  timeout = \"1s\"\n",
    );
    let text = format!(
        "timezone = \"Africa/Casablanca\"\ndefault_language = \"en\"\n{REPORTS}\n[[banks]]\nslug = \"atlas\"\nname = {{ fr = \"Atlas Banque\" }}\n  [[banks.probes]]\n{p}\n  [[banks.probes]]\n{cold}\n"
    );
    let app = TestApp::spawn(&text).await;
    // Healthy checks teach the probe its page: the login form and the menu.
    app.counter_grows("bankstatus_probe_runs_total{outcome=\"up\"}", 4.0)
        .await;
    notice.store(true, Ordering::SeqCst);
    let c = eventually(Duration::from_secs(10), "the notice seen", || async {
        let c = checks(&app, "atlas", "web", 1).await.remove(0);
        (c["error_class"] == "maintenance_page").then_some(c)
    })
    .await;
    assert_eq!(c["maintenance_match"], "opération de maintenance", "{c}");
    // A probe that never saw the bank's page cannot tell this notice from a site's page:
    // it keeps the menu. That is what the learned page is for.
    let cold = checks(&app, "atlas", "mobile", 1).await.remove(0);
    assert_eq!(cold["outcome"], "up", "{cold}");
}
