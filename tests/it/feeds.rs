//! Subscriptions: RSS and Atom read back by an independent parser, stable ids, 304s,
//! filters, the maintenance calendar, badges, the incident list API and its OpenAPI
//! document.

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{eventually, quiet_bank, FakeBank, TestApp};

fn two_banks(fake: &FakeBank) -> String {
    let mut config = quiet_bank(fake);
    config
        .push_str("\n[[banks]]\nslug = \"cih\"\nname = { en = \"CIH Bank\", fr = \"CIH Bank\" }\n");
    config.push_str(
        "\n[[maintenance]]\nbank = \"cdm\"\nchannels = [\"mobile\", \"web\"]\nstarts = \"2026-02-13T16:00\"\nends = \"2026-02-15T18:00\"\n\
         title = { fr = \"Arrêt de myCDM\", en = \"myCDM stops\" }\nsource = \"https://www.creditdumaroc.ma\"\n\n[[banks]]\nslug = \"cdm\"\nname = { en = \"Crédit du Maroc\" }\n",
    );
    config
}

/// Waits until the config's window is announced, started and ended (the engine catches up
/// just after start); until then the feeds are still changing under a test's feet.
async fn settled(app: &TestApp) {
    eventually(
        Duration::from_secs(10),
        "the window's three entries",
        || async { (feed(app, "/feed.atom").await.entries.len() >= 3).then_some(()) },
    )
    .await;
}

async fn feed(app: &TestApp, path: &str) -> feed_rs::model::Feed {
    let r = app.get(path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    let body = r.bytes().await.unwrap();
    feed_rs::parser::parse(&body[..]).unwrap_or_else(|e| panic!("{path} does not parse: {e}"))
}

/// The update each entry is, whatever the feed's language and format (both end its id).
fn ids(f: &feed_rs::model::Feed) -> Vec<String> {
    f.entries.iter().map(|e| update_of(&e.id)).collect()
}

fn update_of(id: &str) -> String {
    id.rsplitn(3, ':').nth(2).unwrap_or(id).to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_carry_every_update_with_stable_ids() {
    let fake = FakeBank::start().await;
    let mut app = TestApp::spawn(&two_banks(&fake)).await;
    settled(&app).await;
    let (status, outage) = app
        .post("/api/v1/incidents", &json!({"kind": "outage", "banks": ["bmce"], "channels": ["atm", "transfers"], "title": {"en": "No cash at ATMs", "fr": "Pas d'argent aux guichets"}, "message": {"en": "Withdrawals fail in several cities."}}), true)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = outage["id"].as_i64().unwrap();
    app.post(
        "/api/v1/incidents",
        &json!({"kind": "advisory", "banks": ["cih"], "title": {"en": "Phishing SMS"}}),
        true,
    )
    .await;
    let (status, _) = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            &json!({"state": "identified", "message": {"en": "An information system failure."}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let global = feed(&app, "/feed.rss?lang=en").await;
    let atom = feed(&app, "/feed.atom?lang=en").await;
    assert_eq!(
        ids(&global),
        ids(&atom),
        "both formats carry the same entries"
    );
    let unique: BTreeSet<_> = ids(&global).into_iter().collect();
    assert_eq!(unique.len(), global.entries.len(), "ids are unique");
    // Newest first: the operator's update leads.
    let first = &global.entries[0];
    let title = first.title.as_ref().unwrap().content.clone();
    assert!(
        title.contains("Identified")
            && title.contains("No cash at ATMs")
            && title.contains("Bank bmce"),
        "{title}"
    );
    assert!(
        first.links[0]
            .href
            .ends_with(&format!("/incidents/{id}?lang=en")),
        "{:?}",
        first.links
    );
    assert!(first
        .summary
        .as_ref()
        .unwrap()
        .content
        .contains("All times are Morocco time."));
    assert!(first.id.ends_with(":en:rss"), "{}", first.id);
    assert!(
        atom.entries[0].id.ends_with(":en:atom"),
        "{}",
        atom.entries[0].id
    );
    assert!(first.published.is_some() || first.updated.is_some());
    let dates: Vec<_> = global
        .entries
        .iter()
        .map(|e| e.published.or(e.updated).unwrap())
        .collect();
    assert!(
        dates.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {dates:?}"
    );
    // The maintenance announcement and the advisory are entries too.
    let all_titles: Vec<String> = global
        .entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect();
    assert!(
        all_titles.iter().any(|t| t.contains("myCDM stops")),
        "{all_titles:?}"
    );
    assert!(all_titles.iter().any(|t| t.contains("Phishing SMS")));

    // The update is in the bank's feed and its channel's, not in another bank's.
    let update_id = update_of(&first.id);
    for path in [
        "/banks/bmce/feed.atom",
        "/banks/bmce/feed.rss?channel=atm",
        "/feed.rss?channel=transfers&channel=web",
    ] {
        assert!(ids(&feed(&app, path).await).contains(&update_id), "{path}");
    }
    for path in [
        "/banks/cih/feed.rss",
        "/banks/bmce/feed.rss?channel=web",
        "/banks/cdm/feed.atom",
    ] {
        assert!(!ids(&feed(&app, path).await).contains(&update_id), "{path}");
    }
    // French titles from the incident's own French text.
    let fr = feed(&app, "/banks/bmce/feed.rss?lang=fr").await;
    assert!(fr.entries[0]
        .title
        .as_ref()
        .unwrap()
        .content
        .contains("Pas d'argent aux guichets"));

    // Same ids on a second fetch and after a restart.
    let before = ids(&global);
    assert_eq!(ids(&feed(&app, "/feed.rss?lang=en").await), before);
    app.restart().await;
    assert_eq!(ids(&feed(&app, "/feed.rss?lang=en").await), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_never_changes_after_publication() {
    let fake = FakeBank::start().await;
    let mut app = TestApp::spawn(&two_banks(&fake)).await;
    settled(&app).await;
    let (_, outage) = app
        .post("/api/v1/incidents", &json!({"kind": "outage", "banks": ["bmce"], "channels": ["atm"], "title": {"en": "No cash at ATMs"}, "message": {"en": "Withdrawals fail.\nIn Rabat and Fès."}}), true)
        .await;
    let id = outage["id"].as_i64().unwrap();
    let published = |f: &feed_rs::model::Feed| {
        let e = f.entries.last().cloned();
        f.entries
            .iter()
            .find(|e| {
                e.title
                    .as_ref()
                    .unwrap()
                    .content
                    .contains("No cash at ATMs")
            })
            .cloned()
            .or(e)
            .unwrap()
    };
    let rss = feed(&app, "/banks/bmce/feed.rss?lang=en").await;
    let atom = feed(&app, "/banks/bmce/feed.atom?lang=en").await;
    let (rss_first, atom_first) = (published(&rss), published(&atom));
    // Line breaks survive a reader: HTML content beside the plain summary.
    for e in [&rss_first, &atom_first] {
        let html = e
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .unwrap_or_default();
        assert!(html.contains("Withdrawals fail.<br>"), "{html}");
    }

    // Retitled, updated and resolved: later entries, the first one as it was.
    let (status, _) = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            &json!({"state": "resolved", "title": {"en": "ATMs were empty"}, "message": {"en": "Cash is back."}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    for (path, before) in [
        ("/banks/bmce/feed.rss?lang=en", &rss_first),
        ("/banks/bmce/feed.atom?lang=en", &atom_first),
    ] {
        let now = feed(&app, path).await;
        let again = now.entries.iter().find(|e| e.id == before.id).unwrap();
        assert_eq!(again.title, before.title, "{path}");
        assert_eq!(again.summary, before.summary, "{path}");
        let latest = &now.entries[0];
        assert!(
            latest
                .title
                .as_ref()
                .unwrap()
                .content
                .starts_with("Resolved"),
            "{path}"
        );
        assert!(latest
            .title
            .as_ref()
            .unwrap()
            .content
            .contains("ATMs were empty"));
    }
    assert!(!rss_first
        .summary
        .as_ref()
        .unwrap()
        .content
        .contains("Resolved:"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_answer_conditional_gets() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&two_banks(&fake)).await;
    settled(&app).await;
    let r = app.get("/feed.atom").await;
    assert_eq!(r.status(), StatusCode::OK);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let modified = r.headers()["last-modified"].to_str().unwrap().to_owned();
    let again = app
        .client
        .get(app.url("/feed.atom"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.bytes().await.unwrap().is_empty());
    let since = app
        .client
        .get(app.url("/feed.atom"))
        .header("if-modified-since", &modified)
        .send()
        .await
        .unwrap();
    assert_eq!(since.status(), StatusCode::NOT_MODIFIED);
    // A new update changes the feed: a full answer with a new tag.
    app.post(
        "/api/v1/incidents",
        &json!({"kind": "advisory", "banks": ["bmce"], "title": {"en": "Fake calls"}}),
        true,
    )
    .await;
    let changed = app
        .client
        .get(app.url("/feed.atom"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_calendar_has_the_cdm_window_in_utc() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&two_banks(&fake)).await;
    let parse = |text: String| {
        let mut parser = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
        parser
            .next()
            .expect("a calendar")
            .expect("a valid calendar")
    };
    let prop = |e: &ical::parser::ical::component::IcalEvent, name: &str| {
        e.properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap_or_default()
    };
    let r = app.get("/banks/cdm/maintenance.ics").await;
    assert_eq!(r.headers()["content-type"], "text/calendar; charset=utf-8");
    let cal = parse(r.text().await.unwrap());
    assert_eq!(cal.events.len(), 1);
    let e = &cal.events[0];
    assert_eq!(prop(e, "DTSTART"), "20260213T150000Z");
    assert_eq!(prop(e, "DTEND"), "20260215T180000Z");
    assert!(prop(e, "UID").starts_with("maintenance-"));
    assert_eq!(prop(e, "STATUS"), "CONFIRMED");
    assert!(prop(e, "DESCRIPTION").contains("creditdumaroc.ma"));
    let uid = prop(e, "UID");
    // Readers are told how often to poll, and reminded an hour before the bank stops.
    let cal_prop = |name: &str| {
        cal.properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap_or_default()
    };
    assert_eq!(cal_prop("REFRESH-INTERVAL"), "PT3600S");
    assert_eq!(cal_prop("X-PUBLISHED-TTL"), "PT3600S");
    assert_eq!(e.alarms.len(), 1);
    let trigger = e.alarms[0]
        .properties
        .iter()
        .find(|p| p.name == "TRIGGER")
        .unwrap();
    assert_eq!(trigger.value.as_deref(), Some("-PT3600S"));
    let fr = parse(
        app.get("/banks/cdm/maintenance.ics?lang=fr")
            .await
            .text()
            .await
            .unwrap(),
    );
    let name = |c: &ical::parser::ical::component::IcalCalendar| {
        c.properties
            .iter()
            .find(|p| p.name == "X-WR-CALNAME")
            .and_then(|p| p.value.clone())
            .unwrap_or_default()
    };
    assert_ne!(name(&fr), name(&cal), "a calendar name per language");

    // A window announced, then cancelled: its SEQUENCE grows and its STATUS says so.
    let (status, w) = app
        .post("/api/v1/maintenance", &json!({"bank": "cdm", "channels": ["web"], "starts": "2030-06-01T10:00", "ends": "2030-06-01T12:00", "title": {"en": "Upgrade"}}), true)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let wid = w["id"].as_i64().unwrap();
    let (status, _) = app
        .post(
            &format!("/api/v1/incidents/{wid}/updates"),
            &json!({"state": "completed", "message": {"en": "Cancelled."}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let cal = parse(app.get("/maintenance.ics").await.text().await.unwrap());
    assert_eq!(cal.events.len(), 2);
    let cancelled = cal
        .events
        .iter()
        .find(|e| prop(e, "UID") == format!("maintenance-{wid}@bankstatus"))
        .unwrap();
    assert_eq!(prop(cancelled, "STATUS"), "CANCELLED");
    assert_eq!(prop(cancelled, "SEQUENCE"), "1");
    assert_eq!(prop(cancelled, "DTSTART"), "20300601T090000Z");
    assert!(
        cal.events.iter().any(|e| prop(e, "UID") == uid),
        "the UID is stable"
    );
}

async fn error_shape(app: &TestApp, path: &str, status: StatusCode) {
    let r = app.get(path).await;
    assert_eq!(r.status(), status, "{path}");
    let v: Value = serde_json::from_str(&r.text().await.unwrap())
        .unwrap_or_else(|_| panic!("{path}: not JSON"));
    assert!(
        v["error"].is_string() && v["message"].as_str().is_some_and(|m| m.len() > 10),
        "{path}: {v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_queries_get_the_error_shape() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&two_banks(&fake)).await;
    let long = "x".repeat(10_000);
    for path in [
        "/feed.rss?channel=fax".to_owned(),
        "/feed.atom?lang=de".to_owned(),
        format!("/feed.rss?q={long}"),
        "/maintenance.ics?lang=xx".to_owned(),
        "/api/v1/incidents?limit=-1".to_owned(),
        "/api/v1/incidents?limit=0".to_owned(),
        "/api/v1/incidents?channel=fax".to_owned(),
        "/api/v1/incidents?kind=rumour".to_owned(),
        "/api/v1/incidents?since=yesterday".to_owned(),
        "/api/v1/incidents?cursor=abc".to_owned(),
        format!("/api/v1/incidents?bank={long}"),
        "/api/v1/maintenance?upcoming=maybe".to_owned(),
    ] {
        error_shape(&app, &path, StatusCode::BAD_REQUEST).await;
    }
    for path in [
        "/banks/nope/feed.rss",
        "/banks/nope/maintenance.ics",
        "/api/v1/incidents?bank=nope",
    ] {
        error_shape(&app, path, StatusCode::NOT_FOUND).await;
    }
    // Badges answer an image whatever goes wrong, so an embedded one is never broken.
    for (path, status) in [
        ("/badge/nope.svg", StatusCode::NOT_FOUND),
        ("/badge/bmce.png", StatusCode::NOT_FOUND),
        ("/badge/cih.svg?channel=branches", StatusCode::NOT_FOUND),
        (
            "/badge/bmce.svg?channel=web&channel=atm",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), status, "{path}");
        assert_eq!(
            r.headers()["content-type"],
            "image/svg+xml; charset=utf-8",
            "{path}"
        );
        let svg = r.text().await.unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("bankstatus"),
            "{path}: {svg}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incident_list_pages_with_a_cursor() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&two_banks(&fake)).await;
    for i in 0..5 {
        let (status, _) = app
            .post("/api/v1/incidents", &json!({"kind": "outage", "banks": ["bmce"], "channels": ["atm"], "title": {"en": format!("outage {i}")}, "started_at": format!("2026-03-0{}T10:00", i + 1), "resolved_at": format!("2026-03-0{}T11:00", i + 1)}), true)
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/incidents?kind=outage&bank=bmce&limit=2".to_owned();
    loop {
        let page = app.json(&path).await;
        let incidents = page["incidents"].as_array().unwrap();
        assert!(incidents.len() <= 2);
        seen.extend(
            incidents
                .iter()
                .map(|i| i["title"]["en"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/incidents?kind=outage&bank=bmce&limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["outage 4", "outage 3", "outage 2", "outage 1", "outage 0"]
    );
    let cih = app.json("/api/v1/incidents?bank=cih").await;
    assert_eq!(cih["incidents"], json!([]));
    let maint = app
        .json("/api/v1/incidents?kind=maintenance&state=completed")
        .await;
    assert_eq!(maint["incidents"].as_array().unwrap().len(), 1);
    let since = app
        .json("/api/v1/incidents?since=2026-03-04T00:00:00%2B01:00&kind=outage")
        .await;
    assert_eq!(since["incidents"].as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_documents_every_api_route() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&two_banks(&fake)).await;
    let doc = app.json("/api/v1/openapi.json").await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    // Each API route is registered once, by its handler's annotation, so the document lists
    // what the router serves; that every one of them answers is what is left to prove.
    let routes: BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(p, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.clone(), p.clone()))
        })
        .collect();
    assert!(routes.len() >= 33, "{routes:?}");
    for (method, path) in &routes {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is missing from openapi.json"
        );
        // The router serves it: never 404 or 405 on the route itself.
        let url = app.url(&path.replace("{slug}", "bmce").replace("{id}", "1"));
        let r = app
            .client
            .request(method.to_uppercase().parse().unwrap(), url)
            .send()
            .await
            .unwrap();
        assert!(
            ![StatusCode::METHOD_NOT_ALLOWED, StatusCode::NOT_IMPLEMENTED].contains(&r.status()),
            "{method} {path}: {}",
            r.status()
        );
        if r.status() == StatusCode::NOT_FOUND {
            let v: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
            assert!(
                !v["message"].as_str().unwrap().starts_with("Nothing is at"),
                "{method} {path} is not routed"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn badges_cors_and_discovery() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&two_banks(&fake)).await;
    let r = app.get("/badge/cih.svg").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/svg+xml; charset=utf-8");
    assert!(r.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age=30"));
    let svg = r.text().await.unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("CIH Bank") && svg.contains("Unknown"),
        "{svg}"
    );
    let (status, fr) = app.text("/badge/bmce.svg?lang=fr&channel=web").await;
    assert_eq!(status, StatusCode::OK);
    assert!(fr.contains("Banque en ligne"), "{fr}");
    assert!(fr.contains("direction=\"ltr\""), "{fr}");
    // In Arabic the text runs right to left, the label on the right.
    let (_, ar) = app.text("/badge/bmce.svg?lang=ar").await;
    assert!(
        ar.contains("direction=\"rtl\"") && ar.contains("xml:lang=\"ar\""),
        "{ar}"
    );
    let label_rect = ar.find("fill=\"#555\"").unwrap();
    assert!(
        ar[..label_rect].rfind("<rect x=\"0\"").is_none(),
        "the label is not on the left: {ar}"
    );

    let r = app
        .client
        .get(app.url("/api/v1/status"))
        .header("origin", "https://www.bankofafrica.ma")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let (_, home) = app.text("/").await;
    assert!(home.contains("rel=\"alternate\" type=\"application/rss+xml\""));
    assert!(home.contains("rel=\"alternate\" type=\"application/atom+xml\""));
    let (_, bank) = app.text("/banks/bmce").await;
    assert!(bank.contains("href=\"/banks/bmce/feed.rss?lang=en\""));
    assert!(bank.contains("href=\"/banks/bmce/maintenance.ics?lang=en\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_ids_are_urns_and_self_links_the_address_asked() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&two_banks(&fake)).await;
    let (status, _) = app
        .post(
            "/api/v1/incidents",
            &json!({"kind": "advisory", "banks": ["bmce"], "title": {"ar": "تصيد", "fr": "Hameçonnage"}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // RFC 2141: `urn:` NID `:` NSS, the NSS without `&`, `=`'s company of query characters.
    let urn = regex::Regex::new(r"^urn:[a-z0-9][a-z0-9-]{0,31}:[A-Za-z0-9()+,\-.:=@;$_!*'%/?#]+$")
        .unwrap();
    for asked in [
        "/feed.atom",
        "/banks/bmce/feed.atom?channel=web&lang=ar&channel=atm",
        "/banks/bmce/feed.rss?lang=fr&channel=web",
    ] {
        let (status, body) = app.text(asked).await;
        assert_eq!(status, StatusCode::OK, "{asked}");
        let feed = feed_rs::parser::parse(body.as_bytes()).unwrap();
        if asked.contains(".atom") {
            assert!(urn.is_match(&feed.id), "{asked}: {}", feed.id);
            assert!(
                !feed.id.contains('&') && !feed.id.contains('='),
                "{}",
                feed.id
            );
        }
        let self_link = feed
            .links
            .iter()
            .find(|l| l.rel.as_deref() == Some("self"))
            .map(|l| l.href.clone())
            .unwrap();
        assert_eq!(self_link, app.url(asked), "{asked}");
        // feedparser, as readers use it, finds nothing wrong.
        let out = std::process::Command::new(crate::alerts::python())
            .args([
                "-c",
                "import sys, feedparser; d = feedparser.parse(sys.stdin.buffer.read()); \
                 print(d.bozo, d.get('bozo_exception', ''))",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write as _;
                c.stdin.take().unwrap().write_all(body.as_bytes())?;
                c.wait_with_output()
            })
            .unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).starts_with("False")
                || String::from_utf8_lossy(&out.stdout).starts_with('0'),
            "{asked}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
