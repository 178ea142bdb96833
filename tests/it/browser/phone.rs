//! Every public page on a 360 px phone, in Arabic, French and English, with banks failing
//! the way real ones do: nothing scrolls sideways, every checkbox stays on the line of its
//! words, and `/` says since when each bank in trouble is, within the first screen.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{axe_source, Browser};
use crate::helpers::{channel_status, eventually, FakeBank, TestApp, CITIES, REPORTS};

/// The first screen of a 360 × 800 phone.
const FIRST_SCREEN: f64 = 800.0;

fn rfc3339(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// BMCE's site answers 500, CDM's fails when the test says, CIH's answers; each bank's other
/// channels are checked hourly so they sit still.
fn config(fake: &FakeBank) -> String {
    let bank = |slug: &str, ar: &str, fr: &str, web: &str, extra: &str| {
        format!(
            "[[banks]]\nslug = \"{slug}\"\nname = {{ ar = \"{ar}\", fr = \"{fr}\", en = \"{fr}\" }}\n\
             [[banks.probes]]\nchannel = \"web\"\nurl = \"{}\"\n{extra}\
             [[banks.probes]]\nchannel = \"mobile\"\nurl = \"{}\"\ninterval = \"1h\"\n",
            fake.url(web),
            fake.url("/up"),
        )
    };
    let fast = "interval = \"300ms\"\ntimeout = \"1s\"\nfailures_before_outage = 2\n";
    format!(
        "timezone = \"Africa/Casablanca\"\ndefault_language = \"fr\"\n{REPORTS}\n\
         [alerts]\nallow_private_targets = true\n\n{}{}{}{CITIES}",
        bank(
            "bmce",
            "بنك إفريقيا",
            "Bank of Africa (BMCE)",
            "/down",
            fast
        ),
        bank("cdm", "مصرف المغرب", "Crédit du Maroc", "/toggle", fast),
        bank(
            "cih",
            "سي آي إتش بنك",
            "CIH Bank",
            "/up",
            "interval = \"1h\"\n"
        ),
    )
}

/// What the page measures of itself: how much wider than the screen it is, each checkbox or
/// radio whose words start on another line, where each bank card in trouble says since when,
/// and where the first "until when" is.
const MEASURE: &str = r#"((width) => {
  const apart = [];
  const overlaps = (a, b) => Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0;
  for (const box of document.querySelectorAll('input[type=checkbox], input[type=radio]')) {
    if (box.closest('[hidden]') || box.type === 'hidden') continue;
    const label = box.labels && box.labels[0];
    if (!label) { apart.push(`${box.name}=${box.value}: no label`); continue; }
    // The first letter of the label's words, wherever the box sits in it.
    const walk = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
    let first = null;
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const at = n.data.search(/\S/);
      if (at >= 0) { first = document.createRange(); first.setStart(n, at); first.setEnd(n, at + 1); break; }
    }
    if (!first) { apart.push(`${box.name}=${box.value}: an empty label`); continue; }
    const b = box.getBoundingClientRect(), w = first.getBoundingClientRect();
    if (!overlaps(b, w)) apart.push(`${box.name}=${box.value}: box ${b.top}-${b.bottom}, words ${w.top}-${w.bottom}`);
  }
  const cards = [...document.querySelectorAll('li.bank')].map(card => {
    const badge = card.querySelector(':scope > .st');
    const top = sel => { const e = card.querySelector(sel); return e ? { top: e.getBoundingClientRect().top, text: e.innerText } : null; };
    return {
      name: card.querySelector('.name').innerText,
      trouble: !!badge && badge.matches('.st-major_outage, .st-partial_outage, .st-degraded'),
      since: top('.since'),
    };
  });
  return {
    // A phone's browser zooms out to fit a page that overflows, widening `innerWidth` with
    // it: the page is measured against the screen's own width too.
    overflow: document.documentElement.scrollWidth - Math.min(window.innerWidth, width),
    apart,
    // The innermost elements that stick out of the screen, to name in a failure.
    wide: (() => {
      const out = e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > width || r.left < 0); };
      const all = [...document.body.querySelectorAll('*')].filter(out);
      return all.filter(e => ![...e.children].some(out)).slice(0, 3)
        .map(e => `${e.tagName.toLowerCase()}.${e.className} "${(e.textContent || '').trim().slice(0, 60)}"`);
    })(),
    cards,
    until: (() => { const e = document.querySelector('.until'); return e ? e.getBoundingClientRect().top : null; })(),
  };
})"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_fits_a_phone_in_three_languages() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&config(&fake)).await;
    let mut incidents: Vec<(&str, i64)> = Vec::new();

    // CDM announces a window on its site; it fails inside it and goes on failing after its
    // end (an overrun), comes back, then fails again soon after (an outage of its own), comes
    // back, fails again (the outage reopens) and comes back once more (held open as
    // intermittent).
    let starts = Utc::now() + chrono::Duration::seconds(2);
    let (status, v) = app
        .post(
            "/api/v1/maintenance",
            &json!({"bank": "cdm", "channels": ["web"],
                    "starts": rfc3339(starts), "ends": rfc3339(starts + chrono::Duration::seconds(3)),
                    "title": {"ar": "صيانة الموقع", "fr": "Maintenance de CDM en ligne", "en": "CDM online maintenance"},
                    "source": "https://www.creditdumaroc.ma/fr/actualites/maintenance-programmee-des-services-de-banque-a-distance-du-week-end"}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let overrun_window = v["id"].as_i64().unwrap();
    incidents.push(("overrun-window", overrun_window));
    eventually(Duration::from_secs(15), "the window to start", || async {
        (channel_status(&app, "cdm", "web").await["status"] == "maintenance").then_some(())
    })
    .await;
    fake.state.failing.store(true, Ordering::SeqCst);
    let overrun = eventually(Duration::from_secs(20), "the overrun", || async {
        channel_status(&app, "cdm", "web").await["incident_id"]
            .as_i64()
            .filter(|id| *id != overrun_window)
    })
    .await;
    incidents.push(("overrun", overrun));
    fake.state.failing.store(false, Ordering::SeqCst);
    let resolved = |id: i64| {
        let app = &app;
        async move {
            eventually(Duration::from_secs(20), "a recovery", || async {
                let i = app.json(&format!("/api/v1/incidents/{id}")).await;
                (i["state"] == "resolved").then_some(())
            })
            .await;
        }
    };
    resolved(overrun).await;
    // Failing again once the overrun is over is an outage of its own, not more overrun.
    fake.state.failing.store(true, Ordering::SeqCst);
    let relapse = eventually(Duration::from_secs(20), "the outage after it", || async {
        channel_status(&app, "cdm", "web").await["incident_id"]
            .as_i64()
            .filter(|id| *id != overrun && *id != overrun_window)
    })
    .await;
    fake.state.failing.store(false, Ordering::SeqCst);
    resolved(relapse).await;
    fake.state.failing.store(true, Ordering::SeqCst);
    eventually(Duration::from_secs(20), "the reopening", || async {
        let i = app.json(&format!("/api/v1/incidents/{relapse}")).await;
        (i["state"] != "resolved").then_some(())
    })
    .await;
    // Back again after four changes in ten minutes outside the window (those inside it were
    // announced): the channel is unstable, so the outage stays open, said once to be
    // intermittent, until the channel is steady.
    fake.state.failing.store(false, Ordering::SeqCst);
    eventually(
        Duration::from_secs(20),
        "the intermittent entry",
        || async {
            let i = app.json(&format!("/api/v1/incidents/{relapse}")).await;
            let last = i["updates"].as_array()?.last()?.clone();
            (i["state"] != "resolved" && last["message"]["en"].as_str()?.contains("now and then"))
                .then_some(())
        },
    )
    .await;
    incidents.push(("intermittent", relapse));

    // BMCE's site down since the start, with no word from the bank.
    let bmce = eventually(Duration::from_secs(20), "BMCE's outage", || async {
        channel_status(&app, "bmce", "web").await["incident_id"].as_i64()
    })
    .await;
    incidents.push(("outage", bmce));

    // CIH: customers report its ATMs, a false alarm the operator withdraws; then its cards,
    // which stays open.
    let ips = ["192.0.2.1", "198.51.100.2", "203.0.113.3", "100.64.1.4"];
    let crowd = |channel: &'static str| {
        let app = &app;
        async move {
            for ip in ips {
                let (status, v) = app.report("cih", channel, ip).await;
                assert!(status.is_success(), "{v}");
            }
            eventually(Duration::from_secs(20), "a crowd incident", || async {
                channel_status(app, "cih", channel).await["incident_id"].as_i64()
            })
            .await
        }
    };
    let withdrawn = crowd("atm").await;
    let (status, v) = app
        .post(
            &format!("/api/v1/incidents/{withdrawn}/withdraw"),
            &json!({"reason": {"ar": "بلاغات منسقة من شبكة واحدة.", "fr": "Signalements coordonnés depuis un seul réseau.", "en": "Coordinated reports from one network."}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    incidents.push(("withdrawn", withdrawn));
    incidents.push(("crowd", crowd("cards").await));

    // A switch outage shared by every bank, over; an advisory; CDM's app in a window now and
    // a weekend window to come.
    let now = Utc::now();
    for (name, path, body) in [
        (
            "shared",
            "/api/v1/incidents",
            json!({"kind": "outage", "banks": ["bmce", "cdm", "cih"], "channels": ["atm", "cards"],
            "title": {"ar": "انقطاع شبكة الأداء البيني على الصعيد الوطني", "fr": "Panne du réseau interbancaire de paiement par carte à l’échelle nationale", "en": "Nationwide outage of the interbank card payment network"},
            "message": {"fr": "Les paiements par carte et les retraits hors réseau échouent partout au Maroc."},
            "started_at": "2026-02-10T09:00", "resolved_at": "2026-02-10T18:30", "state": "resolved"}),
        ),
        (
            "advisory",
            "/api/v1/incidents",
            json!({"kind": "advisory", "banks": ["cih"],
            "title": {"ar": "رسائل نصية مزيفة", "fr": "Faux SMS au nom de la banque", "en": "Fake text messages in the bank's name"},
            "message": {"fr": "La banque n’envoie jamais de lien par SMS : https://www.cihbank.ma/particuliers/securite/conseils-contre-la-fraude-et-le-phishing-par-sms"}}),
        ),
        (
            "window-now",
            "/api/v1/maintenance",
            json!({"bank": "cdm", "channels": ["mobile"],
            "starts": rfc3339(now - chrono::Duration::hours(1)), "ends": rfc3339(now + chrono::Duration::hours(2)),
            "title": {"ar": "صيانة التطبيق", "fr": "Maintenance de l’application", "en": "App maintenance"}}),
        ),
        (
            "window-next",
            "/api/v1/maintenance",
            json!({"bank": "bmce", "channels": ["web", "mobile"],
            "starts": "2099-02-13T22:00", "ends": "2099-02-15T22:00",
            "title": {"ar": "توقف التطبيق والموقع طيلة نهاية الأسبوع", "fr": "Application et banque en ligne arrêtées le week-end", "en": "App and web banking stopped for the weekend"}}),
        ),
    ] {
        let (status, v) = app.post(path, &body, true).await;
        assert_eq!(status, StatusCode::CREATED, "{name}: {v}");
        incidents.push((name, v["id"].as_i64().unwrap()));
    }
    eventually(Duration::from_secs(10), "the app's window", || async {
        (channel_status(&app, "cdm", "mobile").await["status"] == "maintenance").then_some(())
    })
    .await;
    let (status, v) = app
        .post(
            "/api/v1/subscriptions",
            &json!({"kind": "webhook", "url": fake.url("/up"), "banks": ["cdm"]}),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let manage = v["manage_url"].as_str().unwrap();
    let manage = &manage[manage.find("/subscriptions/").unwrap()..];
    let month = Utc::now()
        .with_timezone(&chrono_tz::Africa::Casablanca)
        .format("%Y-%m")
        .to_string();

    let mut paths: Vec<String> = [
        "/",
        "/banks/bmce",
        "/banks/cdm",
        "/banks/cih",
        "/report",
        "/report?bank=cih&channel=atm",
        "/subscribe",
        "/scorecard",
        "/scorecard/2026-02",
        "/scorecard/2026",
        "/scorecard/2026-Q1",
        "/methodology",
        "/history",
        "/accessibility",
        "/embed",
        "/embed/banks/cdm",
        "/banks/nowhere",
        "/incidents/999999",
        "/?refresh=5",
    ]
    .iter()
    .map(|p| (*p).to_owned())
    .chain([format!("/scorecard/{month}"), manage.to_owned()])
    .chain(incidents.iter().map(|(_, id)| format!("/incidents/{id}")))
    .chain([format!("/subscribe?incident={bmce}")])
    .collect();
    paths.sort();
    paths.dedup();

    let started = Instant::now();
    let browser = Browser::launch().await;
    let mut tab = browser.tab(360, 800).await;
    let mut found = Vec::new();
    let mut seen_trouble = 0;
    for lang in ["ar", "fr", "en"] {
        for path in &paths {
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = format!("{path}{sep}lang={lang}");
            tab.goto(&app.url(&url)).await;
            let before = found.len();
            assert_eq!(
                tab.eval("document.documentElement.lang").await,
                json!(lang),
                "{url}"
            );
            let m = tab.eval(&format!("{MEASURE}(360)")).await;
            if m["overflow"].as_f64().unwrap() > 0.0 {
                found.push(format!(
                    "{url}: {} px wider than 360 px, by {}",
                    m["overflow"], m["wide"]
                ));
            }
            for apart in m["apart"].as_array().unwrap() {
                found.push(format!("{url}: a checkbox apart from its words: {apart}"));
            }
            if path == "/" {
                let (lowest, seen) = home_cards(&url, &m["cards"], &mut found);
                seen_trouble += seen;
                eprintln!("{url}: the lowest since-time is {lowest} px down");
            }
            if path.starts_with("/banks/cdm") {
                match m["until"].as_f64() {
                    Some(top) if top < FIRST_SCREEN => {}
                    other => found.push(format!("{url}: the window's until at {other:?}")),
                }
            }
            if found.len() > before {
                tab.screenshot(&format!("phone-{}", url.replace(['/', '?', '&', '='], "_")))
                    .await;
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
    // BMCE (its site) and CIH (its cards), in each language.
    assert!(
        seen_trouble >= 6,
        "only {seen_trouble} cards in trouble seen"
    );

    // The reload a reader asks for keeps the pages clean for axe-core: it comes as the
    // `Refresh` header, never as a `<meta>` in the page.
    let axe = axe_source();
    for lang in ["ar", "fr", "en"] {
        for path in [
            "/".to_owned(),
            "/banks/bmce".to_owned(),
            format!("/incidents/{bmce}"),
        ] {
            let url = format!("{path}?refresh=60&lang={lang}");
            assert_eq!(app.get(&url).await.headers()["refresh"], "60", "{url}");
            tab.goto(&app.url(&url)).await;
            let meta = tab
                .eval("document.querySelectorAll('meta[http-equiv]').length")
                .await;
            assert_eq!(meta, json!(0), "{url}");
            let violations = tab.axe(&axe).await;
            assert!(violations.is_empty(), "axe on {url}: {violations:?}");
        }
    }
    // And the browser does reload on it.
    tab.goto(&app.url("/?refresh=10&lang=ar")).await;
    let (loaded, before) = (Instant::now(), tab.events.len());
    tab.wait_for_load(before).await;
    assert!(
        loaded.elapsed() >= Duration::from_secs(9),
        "reloaded after {:?}",
        loaded.elapsed()
    );
    eprintln!(
        "{} pages in three languages at 360 px, axe on nine and a reload, in {:?}",
        paths.len(),
        started.elapsed()
    );
}

/// Checks that each card in trouble on the home page says since when within the first
/// screen; the lowest of them, and how many there were.
fn home_cards(url: &str, cards: &Value, found: &mut Vec<String>) -> (f64, usize) {
    let (mut lowest, mut seen) = (0.0_f64, 0);
    for card in cards.as_array().unwrap() {
        if card["trouble"] != json!(true) {
            continue;
        }
        seen += 1;
        let name = &card["name"];
        match card["since"]["top"].as_f64() {
            None => found.push(format!("{url}: {name} does not say since when")),
            Some(top) => {
                lowest = lowest.max(top);
                let text = card["since"]["text"].as_str().unwrap_or_default();
                if top >= FIRST_SCREEN {
                    found.push(format!("{url}: {name} says since when {top} px down"));
                } else if !text.chars().any(char::is_numeric) {
                    found.push(format!("{url}: {name}'s since has no time: {text}"));
                }
            }
        }
    }
    (lowest, seen)
}
