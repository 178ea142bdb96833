//! What customers report, tried as an attacker would: many loopback source addresses of
//! one network, a home IPv6 /56, a few dozen addresses across every channel, browsers behind
//! one address; and as real customers do: a surge from many networks and cities after a
//! week of a usual level, what they said on the bank page, a false alarm withdrawn.

use std::net::IpAddr;
use std::time::Duration;

use bankstatus::domain::{Channel, Symptom};
use bankstatus::store::NewReport;
use chrono::Utc;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{
    bank_config, channel_status, eventually, probe, FakeBank, TestApp, TestDb, CITIES,
};

/// A config whose reporters are known by their real source address (no proxy trusted).
fn direct(fake: &FakeBank) -> String {
    bank_config("bmce", &[probe("web", &fake.url("/up"), "")], &[])
        .replace("trust_forwarded_for = true", "trust_forwarded_for = false")
}

/// A client whose connections come from `ip`, one of loopback's many addresses.
fn from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn report_from(app: &TestApp, ip: &str, body: Value) -> StatusCode {
    from(ip)
        .post(app.url("/api/v1/reports"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
}

/// Waits until the engine has counted `n` weighed reporters on a channel.
async fn counted(app: &TestApp, channel: &str, n: i64) -> Value {
    eventually(Duration::from_secs(10), "the count", || async {
        let c = channel_status(app, "bmce", channel).await;
        (c["reports"].as_i64() >= Some(n)).then_some(c)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_addresses_of_one_network_open_nothing() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&direct(&fake)).await;
    for i in 1..=10 {
        let ip = format!("127.0.5.{i}");
        let status = report_from(&app, &ip, json!({"bank": "bmce", "channel": "atm"})).await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let atm = counted(&app, "atm", 4).await;
    assert_eq!(atm["reports"], 4, "one network weighs at most four");
    assert_eq!(atm["report_networks"], 1);
    assert_eq!(atm["report_surge"], false);
    assert!(atm["incident_id"].is_null());
    assert_eq!(app.count("SELECT COUNT(*) FROM incidents").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_home_ipv6_56_opens_nothing() {
    // Loopback has one IPv6 address: the 256 /64s of one /56 speak through a trusted proxy.
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&bank_config(
        "bmce",
        &[probe("web", &fake.url("/up"), "")],
        &[],
    ))
    .await;
    for i in 0..256u32 {
        let ip = format!("2001:db8:ab:{i:x}00::1");
        let (status, v) = app.report("bmce", "cards", &ip).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{v}");
        assert_eq!(v["counted"], true);
    }
    let cards = counted(&app, "cards", 4).await;
    assert_eq!(cards["reports"], 4);
    assert_eq!(cards["report_networks"], 1);
    assert_eq!(cards["report_surge"], false);
    assert_eq!(app.count("SELECT COUNT(*) FROM incidents").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_six_addresses_cannot_put_many_channels_in_outage() {
    let fake = FakeBank::start().await;
    let mut text = direct(&fake);
    text.push_str(&format!(
        "\n[[banks]]\nslug = \"cih\"\nname = {{ en = \"CIH Bank\" }}\n  [[banks.probes]]\n  channel = \"web\"\n  url = \"{}\"\n",
        fake.url("/up")
    ));
    let app = TestApp::spawn(&text).await;
    eventually(Duration::from_secs(10), "the probes", || async {
        (channel_status(&app, "bmce", "web").await["status"] == "operational").then_some(())
    })
    .await;
    // Each of 36 addresses, each in a network of its own, reports every channel of both
    // banks, each starting at another channel so that together they reach all twelve.
    let all: Vec<(&str, Channel)> = ["bmce", "cih"]
        .into_iter()
        .flat_map(|b| Channel::ALL.into_iter().map(move |c| (b, c)))
        .collect();
    let sent = futures_util::future::join_all((0..36usize).map(|i| {
        let (app, all) = (&app, &all);
        async move {
            let ip = format!("127.0.{}.9", 100 + i);
            for k in 0..all.len() {
                let (bank, channel) = all[(i + k) % all.len()];
                let body = json!({"bank": bank, "channel": channel.as_str()});
                assert_eq!(report_from(app, &ip, body).await, StatusCode::ACCEPTED);
            }
        }
    }))
    .await;
    assert_eq!(sent.len(), 36);
    // Each address counts towards its first two channels: the engine has taken them in
    // once those channels weigh what 36 addresses give them.
    let status = eventually(Duration::from_secs(15), "the counts", || async {
        let s = app.json("/api/v1/status").await;
        let weighed: i64 = s["banks"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|b| b["channels"].as_array().unwrap())
            .map(|c| c["reports"].as_i64().unwrap())
            .sum();
        (weighed >= 72).then_some(s)
    })
    .await;
    let in_outage: Vec<String> = status["banks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| {
            let bank = b["slug"].as_str().unwrap().to_owned();
            b["channels"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["status"].as_str().unwrap().ends_with("outage"))
                .map(move |c| format!("{bank}/{}", c["channel"].as_str().unwrap()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        in_outage.len() <= bankstatus::signals::book::MAX_REPORTED_ONLY,
        "{in_outage:?}"
    );
    assert!(
        !in_outage.iter().any(|c| c.ends_with("/web")),
        "checks that pass keep web up: {in_outage:?}"
    );
    // None of them was told to anyone: each is only reported by customers, and recent.
    assert_eq!(app.count("SELECT COUNT(*) FROM alert_events").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_surge_against_checks_that_pass_opens_nothing_and_tells_no_one() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&direct(&fake)).await;
    eventually(Duration::from_secs(10), "the probes", || async {
        (channel_status(&app, "bmce", "web").await["status"] == "operational").then_some(())
    })
    .await;
    for i in 1..=12 {
        let ip = format!("127.0.{}.1", 20 + i);
        let body = json!({"bank": "bmce", "channel": "web", "symptom": "cannot_log_in"});
        assert_eq!(report_from(&app, &ip, body).await, StatusCode::ACCEPTED);
    }
    let web = eventually(Duration::from_secs(10), "the surge", || async {
        let c = channel_status(&app, "bmce", "web").await;
        (c["report_surge"] == true).then_some(c)
    })
    .await;
    assert_eq!(web["status"], "operational");
    assert_eq!(web["crowd_note"], "checks_pass");
    assert!(web["incident_id"].is_null());
    assert_eq!(app.count("SELECT COUNT(*) FROM incidents").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM alert_events").await, 0);
    let (_, page) = app.text("/banks/bmce").await;
    assert!(page.contains("our checks of this service pass"), "the note");
    assert!(page.contains("cannot log in"), "what they said");
    // Where nothing checks, the note says so, and never that our checks pass.
    let (_, home) = app.text("/").await;
    assert!(home.contains("our checks of this service pass"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_surge_clears_a_week_of_nine_a_day() {
    let fake = FakeBank::start().await;
    let text = bank_config("bmce", &[probe("web", &fake.url("/up"), "")], &[])
        .replace("surge_floor = 3", "surge_floor = 10");
    let db = TestDb::new();
    // A week of nine reporters a day at this hour, each from a network of its own.
    let store = bankstatus::store::connect(&db.url).await.unwrap();
    let now = Utc::now();
    let mut week = Vec::new();
    for d in 1..=7 {
        for r in 0..9 {
            let who = format!("past-{d}-{r}");
            week.push(NewReport {
                bank: "bmce".into(),
                channel: Channel::Atm,
                at: now - chrono::Duration::days(d) - chrono::Duration::minutes(5),
                reporter: who.clone(),
                address: who.clone(),
                network: who,
                comment: None,
                symptom: Some(Symptom::NoCash),
                city: None,
                works: false,
            });
        }
    }
    store
        .add_reports(&week, 20, chrono::Duration::minutes(10))
        .await
        .unwrap();
    drop(store);
    let app = TestApp::spawn_on(&text, db).await;
    // 25 reporters from 8 networks and 5 cities, a few saying it works.
    let cities = ["casablanca", "rabat", "fes", "marrakech", "agadir"];
    for i in 0..25u32 {
        let ip = format!("10.{}.0.{}", i % 8, 1 + i);
        let symptom = ["no_cash", "no_cash", "card_retained", "out_of_service"][i as usize % 4];
        let body = json!({
            "bank": "bmce", "channel": "atm", "symptom": symptom,
            "city": cities[i as usize % 5]
        });
        let (status, v) = app.report_with(&ip, body).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    }
    for i in 0..3u32 {
        let (status, _) = app
            .report_with(
                &format!("10.{}.1.1", 20 + i),
                json!({"bank": "bmce", "channel": "atm", "works": true}),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let atm = eventually(Duration::from_secs(15), "the incident", || async {
        let c = channel_status(&app, "bmce", "atm").await;
        c["incident_id"].is_i64().then_some(c)
    })
    .await;
    assert_eq!(atm["status"], "partial_outage");
    assert_eq!(atm["confidence"], "reported");
    assert_eq!(atm["report_networks"], 8);
    assert_eq!(atm["reports_works"], 3);
    // What they said, on the API and the page, with the same figures.
    let bank = app.json("/api/v1/banks/bmce").await;
    let atm_api = bank["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == "atm")
        .unwrap()
        .clone();
    let voices = &atm_api["voices"];
    assert_eq!(voices["reporters"], 25);
    assert_eq!(voices["works"], 3);
    assert_eq!(voices["symptoms"][0]["what"], "no_cash");
    assert_eq!(voices["symptoms"][0]["percent"], 52, "13 of 25");
    assert_eq!(voices["city_count"], 5);
    assert_eq!(voices["cities"][0]["percent"], 20);
    let (_, page) = app.text("/banks/bmce?lang=en").await;
    assert!(page.contains("52 % no cash"), "top problem on the page");
    assert!(
        page.contains("Reported from 5 cities"),
        "cities on the page"
    );
    assert!(page.contains("Casablanca 20 %"));
    assert!(page.contains("3 said it works for them"));
    let (_, fr) = app.text("/banks/bmce?lang=fr").await;
    assert!(fr.contains("52 % pas d’argent"), "{}", &fr[..200]);
    // The chart is well-formed SVG with a text alternative.
    let start = page.find("<svg class=\"reports\"").expect("the chart");
    let svg = &page[start..start + page[start..].find("</svg>").unwrap() + 6];
    assert!(
        svg.contains("role=\"img\"") && svg.contains("<title"),
        "{svg}"
    );
    let parsed = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, xml.dom.minidom; xml.dom.minidom.parseString(sys.stdin.read())",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child.stdin.take().unwrap().write_all(svg.as_bytes())?;
            child.wait()
        })
        .unwrap();
    assert!(parsed.success(), "not well-formed: {svg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_behind_one_address_count_up_to_the_cap() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&direct(&fake)).await;
    // The browsers loaded the bank page ten seconds ago: their tokens, signed as the page
    // signs them.
    let store = bankstatus::store::connect(&app.db_url).await.unwrap();
    let key = bankstatus::keys::stored_key(&store, "reporter_key")
        .await
        .unwrap();
    let loaded = Utc::now() - chrono::Duration::seconds(10);
    let client = from("127.0.77.7");
    for _ in 0..20 {
        let token = bankstatus::web::client::new_browser_token(&key, loaded);
        let r = client
            .post(app.url("/report"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", format!("http://{}", app.addr))
            .header("cookie", format!("bid={token}"))
            .body("bank=bmce&channel=atm")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(r.headers()["location"]
            .to_str()
            .unwrap()
            .contains("sent=counted"));
    }
    let atm = counted(&app, "atm", 2).await;
    let n = atm["reports"].as_i64().unwrap();
    assert!(n > 1, "several people behind one address: {atm}");
    assert!(n <= 4, "at most the cap: {atm}");
    // A one-tap post from another site is not taken: the full form asks.
    let r = client
        .post(app.url("/report"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "https://evil.example")
        .body("bank=bmce&channel=atm")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .contains("confirm=1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_symptoms_and_cities_are_refused_with_a_sentence() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&direct(&fake)).await;
    for (body, needle) in [
        (
            json!({"bank": "bmce", "channel": "atm", "symptom": "cheque_refused"}),
            "no_cash, card_retained, out_of_service, other",
        ),
        (
            json!({"bank": "bmce", "channel": "atm", "city": "paris"}),
            "casablanca",
        ),
        (
            json!({"bank": "bmce", "channel": "atm", "works": true, "symptom": "no_cash"}),
            "cannot name a symptom",
        ),
    ] {
        let (status, v) = app.report_with("192.0.2.50", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(v["message"].as_str().unwrap().contains(needle), "{v}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 0);
    // The form offers the channel's symptoms and the configured cities.
    let (_, form) = app.text("/report?bank=bmce&channel=atm&lang=fr").await;
    assert!(form.contains("value=\"no_cash\"") && !form.contains("value=\"cheque_refused\""));
    assert!(form.contains("Marrakech"));
    assert!(CITIES.contains("marrakech"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_false_alarm_leaves_the_page_the_feeds_and_the_figures() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&bank_config(
        "bmce",
        &[probe("web", &fake.url("/up"), "")],
        &[],
    ))
    .await;
    let mut ids = Vec::new();
    for ip in ["192.0.2.1", "198.51.100.2", "203.0.113.3", "100.64.1.4"] {
        let (_, v) = app.report("bmce", "atm", ip).await;
        ids.push(v["id"].as_i64().unwrap());
    }
    let id = eventually(Duration::from_secs(10), "the false alarm", || async {
        channel_status(&app, "bmce", "atm").await["incident_id"].as_i64()
    })
    .await;
    let month = Utc::now()
        .with_timezone(&chrono_tz::Africa::Casablanca)
        .format("%Y-%m")
        .to_string();
    let bmce_of = |card: Value| {
        card["banks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["slug"] == "bmce")
            .unwrap()
            .clone()
    };
    // The scorecard counts what the log's latest checkpoint holds.
    app.logged().await;
    let before = bmce_of(app.json(&format!("/scorecard/{month}?format=json")).await);
    assert_eq!(
        before["incidents"], 1,
        "on the record until withdrawn: {before}"
    );
    let (_, feed_before) = app.text("/feed.rss").await;
    assert!(feed_before.contains(&format!("/incidents/{id}?")));
    // The operator withdraws it, with a reason; a second time is a conflict.
    let (status, v) = app
        .post(
            &format!("/api/v1/incidents/{id}/withdraw"),
            &json!({"reason": {"fr": "Signalements coordonnés depuis un seul réseau."}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"], "withdrawn");
    let (status, _) = app
        .post(
            &format!("/api/v1/incidents/{id}/withdraw"),
            &json!({"reason": {"fr": "encore"}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            &json!({"state": "withdrawn"}),
            true,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "only by the action"
    );
    // Gone from the live status, even while the reports go on...
    let atm = eventually(Duration::from_secs(10), "the page to follow", || async {
        let c = channel_status(&app, "bmce", "atm").await;
        c["incident_id"].is_null().then_some(c)
    })
    .await;
    assert!(
        !atm["status"].as_str().unwrap().ends_with("outage"),
        "{atm}"
    );
    let (_, page) = app.text("/banks/bmce").await;
    assert!(
        !page.contains(&format!("/incidents/{id}\"")),
        "not on the bank page"
    );
    // ... from the Statuspage documents ...
    let sp = app.json("/api/v2/incidents.json").await;
    assert!(sp["incidents"].as_array().unwrap().is_empty(), "{sp}");
    // ... and from the feed's live entries, but for the one that says it was withdrawn.
    let (_, feed) = app.text("/feed.rss").await;
    assert_eq!(
        feed.matches(&format!("/incidents/{id}?")).count(),
        1,
        "{feed}"
    );
    assert!(feed.contains("false alarm"));
    // Out of the month's figures; on the record as withdrawn, with the reason.
    // Counted from the log: the next checkpoint leaves it out.
    app.logged().await;
    let bmce = eventually(Duration::from_secs(5), "the scorecard", || async {
        let b = bmce_of(app.json(&format!("/scorecard/{month}?format=json")).await);
        (b["incidents"] == 0).then_some(b)
    })
    .await;
    assert_eq!(bmce["unannounced_minutes"], 0, "{bmce}");
    let listed = app.json("/api/v1/incidents?state=withdrawn").await;
    assert_eq!(listed["incidents"][0]["id"], id);
    let (_, history) = app.text("/history?lang=fr").await;
    assert!(history.contains("Retiré"), "history lists it as withdrawn");
    let (_, incident) = app.text(&format!("/incidents/{id}?lang=fr")).await;
    assert!(incident.contains("Signalements coordonnés depuis un seul réseau."));
    // The same reports do not open it again.
    for ip in ["192.0.2.9", "198.51.100.9"] {
        app.report("bmce", "atm", ip).await;
    }
    let atm = counted(&app, "atm", 6).await;
    assert!(atm["incident_id"].is_null(), "{atm}");
    drop(ids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_crowd_incidents_leaves_the_latest_advisory_in_the_feed() {
    use bankstatus::domain::{IncidentKind, IncidentState, Names, OpenKey, Source};
    use bankstatus::store::{NewIncident, NewUpdate};
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&bank_config(
        "bmce",
        &[probe("web", &fake.url("/up"), "")],
        &[],
    ))
    .await;
    let (status, advisory) = app
        .post(
            "/api/v1/incidents",
            &json!({"kind": "advisory", "banks": ["bmce"], "title": {"fr": "Hameçonnage"},
                    "message": {"fr": "Ne donnez jamais votre code."}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // Sixty incidents only customers reported, each opened and resolved after it.
    let store = bankstatus::store::connect(&app.db_url).await.unwrap();
    let now = Utc::now();
    for i in 0..60 {
        let at = now + chrono::Duration::seconds(i);
        let update = |state, at| NewUpdate {
            at,
            state,
            source: Source::Reports,
            message: Names::new("", "", "Customers report it."),
            alert: false,
        };
        store
            .open_incident(&NewIncident {
                kind: IncidentKind::Outage,
                title: Names::new("", "", "Reported"),
                started_at: at,
                recorded_at: at,
                open_key: Some(OpenKey::new("bmce", Channel::Cards)),
                overrun_of: None,
                scopes: vec![("bmce".into(), Channel::Cards)],
                first_update: update(IncidentState::Investigating, at),
                later: vec![update(IncidentState::Resolved, at)],
                audit: None,
                reopen: None,
            })
            .await
            .unwrap();
    }
    app.post(
        "/api/v1/incidents/1/updates",
        &json!({"state": "monitoring"}),
        true,
    )
    .await;
    let (_, feed) = app.text("/feed.rss").await;
    let id = advisory["id"].as_i64().unwrap();
    let link = format!("/incidents/{id}?");
    let items: Vec<&str> = feed.split("<item>").skip(1).collect();
    assert!(
        items.iter().any(|i| i.contains(&link)),
        "the advisory stays in the feed"
    );
    let crowd = items.iter().filter(|i| !i.contains(&link)).count();
    assert!(crowd <= 10, "crowd entries held to a share: {crowd}");
    assert!(crowd > 0, "and they are there");
}
