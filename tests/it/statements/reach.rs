//! A statement goes everywhere the status goes, once: its own feed entry in RSS and Atom
//! (the same bytes after later statements), an email subscriber, a signed webhook
//! (`statement.published`, checked by the Standard Webhooks library), the Statuspage API's
//! incident updates, the incident's JSON and its evidence.

use std::time::Duration;

use chrono::Utc;
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{outage, say, second, words};
use crate::alerts::{fanned_out, link, receivers, verify, Helper, ALERTS};
use crate::helpers::{eventually, quiet_bank, FakeBank, TestApp};

const WAIT: Duration = Duration::from_secs(20);
const PUBLIC: &str = "https://status.example.ma";

/// The one element of `xml` between `open` and `close` that holds `id`, as bytes.
fn element(xml: &str, open: &str, close: &str, id: &str) -> String {
    let found: Vec<&str> = xml
        .split(open)
        .skip(1)
        .filter_map(|part| part.split(close).next())
        .filter(|e| e.contains(id))
        .collect();
    assert_eq!(found.len(), 1, "{id} once in {xml}");
    found[0].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_reaches_feeds_email_webhooks_and_statuspage_once() {
    let smtp = Helper::start("smtp_sink.py", &[]).await;
    let port = smtp.first()["port"].as_i64().unwrap();
    let (hooks, rx) = receivers().await;
    let fake = FakeBank::start().await;
    let config = format!(
        "public_url = \"{PUBLIC}\"\n{}{ALERTS}\n[email]\nsmtp_url = \"smtp://127.0.0.1:{port}\"\nfrom = \"bankstatus <alerts@example.org>\"\n",
        quiet_bank(&fake)
    );
    let app = TestApp::spawn(&config).await;
    let local = |url: &str| url.replace(PUBLIC, &app.url(""));

    // A webhook and a confirmed email address follow BMCE.
    let (status, v) = app
        .post(
            "/api/v1/subscriptions",
            &json!({"kind": "webhook", "url": format!("{hooks}/hook/ok"), "banks": ["bmce"]}),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let secret = v["secret"].as_str().unwrap().to_owned();
    let (status, v) = app
        .post(
            "/api/v1/subscriptions",
            &json!({"kind": "email", "email": "salma@example.org", "lang": "en", "banks": ["bmce"]}),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    let mine = |m: &Value| m["to"] == json!(["salma@example.org"]);
    let confirm = eventually(WAIT, "the confirmation", || async {
        smtp.matching(mine).first().cloned()
    })
    .await;
    let url = local(&link(confirm["text"].as_str().unwrap(), "/confirm?token="));
    // The link's page asks for one press; the press confirms.
    assert_eq!(
        app.client.post(&url).send().await.unwrap().status(),
        StatusCode::OK
    );
    eventually(WAIT, "both subscriptions active", || async {
        (app.count("SELECT COUNT(*) FROM subscriptions WHERE state = 'active'")
            .await
            == 2)
            .then_some(())
    })
    .await;

    let now = Utc::now();
    let id = outage(&app, "atm", now - chrono::Duration::minutes(10)).await;
    fanned_out(&app).await;
    let text = "Un incident technique perturbe nos guichets automatiques.";
    let mut body = words(
        text,
        now - chrono::Duration::minutes(2),
        Some(second(now + chrono::Duration::hours(1))),
    );
    body["translations"] = json!({"en": "A technical incident disrupts our ATMs."});
    let first = say(&app, body).await;
    let sid = first["id"].as_i64().unwrap();

    // The webhook: statement.published, signed by the Standard Webhooks spec.
    let got = eventually(WAIT, "the statement's webhook", || async {
        rx.events("ok")
            .into_iter()
            .find(|s| s.json()["type"] == "statement.published")
    })
    .await;
    let payload = verify(&secret, &got.headers, &got.body).await.unwrap();
    assert_eq!(payload["type"], "statement.published");
    let st = &payload["data"]["statement"];
    assert_eq!(st["id"], sid);
    assert_eq!(st["text"]["fr"], text);
    assert_eq!(
        st["translations"]["en"],
        "A technical incident disrupts our ATMs."
    );
    assert_eq!(st["source_kind"], "facebook");
    assert_eq!(payload["data"]["incidents"][0]["id"], id);
    assert!(st["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/incidents/{id}#statement-{sid}")));

    // The email: the bank's words, the translation said to be one, the link to the quote.
    let mail = eventually(WAIT, "the statement's email", || async {
        smtp.matching(mine).into_iter().find(|m| {
            m["headers"]["Subject"]
                .as_str()
                .is_some_and(|s| s.contains("statement from the bank"))
        })
    })
    .await;
    let body = mail["text"].as_str().unwrap();
    assert!(body.contains(text), "{body}");
    assert!(body.contains("Translation made here"), "{body}");
    assert!(body.contains(&format!("#statement-{sid}")), "{body}");

    // Its own entry in every feed, once.
    let rss_id = format!("urn:bankstatus:statement:{sid}:en:rss");
    let atom_id = format!("urn:bankstatus:statement:{sid}:en:atom");
    let (_, rss) = app.text("/feed.rss?lang=en").await;
    let item = element(&rss, "<item>", "</item>", &rss_id);
    assert!(item.contains(text), "{item}");
    let (_, atom) = app.text("/feed.atom?lang=en").await;
    let entry = element(&atom, "<entry>", "</entry>", &atom_id);
    let (_, bank_atom) = app.text("/banks/bmce/feed.atom?lang=en&channel=atm").await;
    element(&bank_atom, "<entry>", "</entry>", &atom_id);
    let (_, other_channel) = app
        .text("/banks/bmce/feed.atom?lang=en&channel=cards")
        .await;
    assert!(!other_channel.contains(&atom_id));

    // A later statement is an entry of its own; the first is the same, byte for byte.
    let later = say(
        &app,
        words(
            "Nos équipes sont mobilisées.",
            Utc::now() - chrono::Duration::seconds(30),
            None,
        ),
    )
    .await;
    let later_id = format!("urn:bankstatus:statement:{}:en:rss", later["id"]);
    let rss = eventually(WAIT, "the later entry", || async {
        let (_, rss) = app.text("/feed.rss?lang=en").await;
        rss.contains(&later_id).then_some(rss)
    })
    .await;
    assert_eq!(element(&rss, "<item>", "</item>", &rss_id), item);
    let (_, atom) = app.text("/feed.atom?lang=en").await;
    assert_eq!(element(&atom, "<entry>", "</entry>", &atom_id), entry);

    // The Statuspage API's incident updates, the incident's JSON and its evidence.
    let sp = app.json("/api/v2/incidents.json?lang=fr").await;
    let id_text = id.to_string();
    let inc = sp["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id_text.as_str())
        .unwrap();
    let update = inc["incident_updates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == format!("statement-{sid}"))
        .unwrap();
    assert!(update["body"].as_str().unwrap().contains(text), "{update}");
    assert_eq!(update["status"], "investigating");
    let api = app.json(&format!("/api/v1/incidents/{id}")).await;
    let listed: Vec<&Value> = api["statements"].as_array().unwrap().iter().collect();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1]["id"], sid, "newest said first");
    let evidence = app.json(&format!("/incidents/{id}?format=json")).await;
    assert_eq!(evidence["statements"][0]["id"], sid);
    assert_eq!(evidence["statements"][0]["words"]["fr"], text);
    let all = app.json("/api/v1/statements?bank=bmce").await;
    assert_eq!(all["statements"].as_array().unwrap().len(), 2);
    let since = app
        .json(&format!(
            "/api/v1/statements?since={}",
            super::rfc(Utc::now() - chrono::Duration::minutes(1))
        ))
        .await;
    assert_eq!(since["statements"].as_array().unwrap().len(), 1);
    // One webhook per statement.
    eventually(WAIT, "the later statement's webhook", || async {
        let sent = rx
            .events("ok")
            .iter()
            .filter(|s| s.json()["type"] == "statement.published")
            .count();
        (sent == 2).then_some(())
    })
    .await;
}
