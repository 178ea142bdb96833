//! Every desk form's action where the public meets it: a window typed in local time across
//! the Ramadan clock change on `/` and in the calendar, announced anew and called off; an
//! advisory in the feed; an update through its preview; a correction beside the text it
//! corrects; a false alarm withdrawn; the bank's word; spam reports deleted.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::{config, field, Desk};
use crate::helpers::{eventually, TestApp};

/// The events of a calendar: each one's properties by name.
fn events(ics: &str) -> Vec<Vec<(String, String)>> {
    let mut parser = ical::IcalParser::new(std::io::BufReader::new(ics.as_bytes()));
    let cal = parser
        .next()
        .expect("a calendar")
        .expect("a valid calendar");
    cal.events
        .iter()
        .map(|e| {
            e.properties
                .iter()
                .map(|p| (p.name.clone(), p.value.clone().unwrap_or_default()))
                .collect()
        })
        .collect()
}

fn prop<'a>(e: &'a [(String, String)], name: &str) -> &'a str {
    e.iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_across_the_ramadan_clock_change() {
    let app = TestApp::spawn(&config()).await;
    let mut desk = Desk::signed_in(&app, "192.0.2.30").await;
    // Morocco goes back from UTC+1 to UTC+0 at 03:00 on Sunday 7 February 2027: from 22:00
    // on Saturday to 06:00 on Sunday is nine hours, not eight.
    let window = [
        ("bank", "cdm"),
        ("channels", "mobile"),
        ("channels", "web"),
        ("starts", "2027-02-06 22:00"),
        ("ends", "2027-02-07 06:00"),
        ("title_ar", "توقف التطبيق ليلة السبت"),
        ("title_fr", "Arrêt de l’application dans la nuit de samedi"),
        ("title_en", ""),
        ("source", "https://www.creditdumaroc.ma/"),
    ];
    let a = desk
        .submit(
            "/desk/windows/new?lang=fr",
            "/desk/windows?lang=fr",
            &window,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let ics = app.text("/maintenance.ics").await.1;
    let e = &events(&ics)[0];
    assert_eq!(prop(e, "DTSTART"), "20270206T210000Z");
    assert_eq!(prop(e, "DTEND"), "20270207T060000Z");
    let (_, home) = app.text("/?lang=fr").await;
    assert!(home.contains("Arrêt de l’application dans la nuit de samedi"));
    let id = app
        .count("SELECT incident_id FROM maintenance_windows")
        .await;

    // Announced anew: two more hours, one more channel; calendars see a new sequence.
    let edit = desk.get(&format!("/desk/windows/{id}?lang=fr")).await;
    assert!(
        edit.body.contains("value=\"2027-02-06 22:00\""),
        "local time shown"
    );
    let changed = [
        ("channels", "mobile"),
        ("channels", "web"),
        ("channels", "transfers"),
        ("starts", "2027-02-06 22:00"),
        ("ends", "2027-02-07 08:00"),
        ("title_fr", "Arrêt prolongé"),
        ("source", "https://www.creditdumaroc.ma/"),
    ];
    let a = desk
        .submit(
            &format!("/desk/windows/{id}?lang=fr"),
            &format!("/desk/windows/{id}?lang=fr"),
            &changed,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let e = &events(&app.text("/maintenance.ics").await.1)[0];
    assert_eq!(prop(e, "DTEND"), "20270207T080000Z");
    assert_eq!(prop(e, "SEQUENCE"), "1");
    assert!(prop(e, "SUMMARY").contains("Arrêt prolongé"), "{e:?}");
    let w = app.json(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(
        w["window"]["channels"],
        json!(["web", "mobile", "transfers"])
    );
    let last = w["updates"].as_array().unwrap().last().unwrap().clone();
    assert!(
        last["message"]["fr"]
            .as_str()
            .unwrap()
            .contains("7 févr. 2027 à 08:00"),
        "{last}"
    );

    // Called off before it begins.
    let cancel_action = format!("/desk/windows/{id}/cancel?lang=fr");
    let a = desk
        .submit(
            &format!("/desk/windows/{id}?lang=fr"),
            &cancel_action,
            &[("reason_fr", "Reportée par la banque.")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let e = &events(&app.text("/maintenance.ics").await.1)[0];
    assert_eq!(prop(e, "STATUS"), "CANCELLED");
    // What was announced stays: a cancelled window is no longer announced anew.
    let again = desk.get(&format!("/desk/windows/{id}?lang=fr")).await;
    assert!(!again.body.contains("name=\"starts\""), "{}", again.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_advisory_reaches_the_feed_with_its_source_and_the_fakes() {
    let app = TestApp::spawn(&config()).await;
    let mut desk = Desk::signed_in(&app, "192.0.2.31").await;
    let advisory = [
        ("kind", "advisory"),
        ("banks", "bmce"),
        ("banks", "cdm"),
        ("title_fr", "Hameçonnage par SMS"),
        ("title_ar", "تصيد احتيالي عبر الرسائل النصية"),
        ("message_fr", "Ne donnez jamais vos codes."),
        ("fakes", "bmce-secure.com\n+212 6 00 11 22 33\n"),
    ];
    // Without its source, the desk refuses it and says why.
    let a = desk
        .submit(
            "/desk/incidents/new?kind=advisory&lang=fr",
            "/desk/incidents?lang=fr",
            &advisory,
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("annoncée"), "{}", a.body);
    assert!(
        a.body.contains("Hameçonnage par SMS"),
        "what was typed stays"
    );
    let mut with_source = advisory.to_vec();
    with_source.push(("source", "https://www.bkam.ma/Communiques"));
    let a = desk
        .submit(
            "/desk/incidents/new?kind=advisory&lang=fr",
            "/desk/incidents?lang=fr",
            &with_source,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let feed = eventually(
        Duration::from_secs(5),
        "the advisory in the feed",
        || async {
            let (_, body) = app.text("/feed.atom?lang=fr").await;
            body.contains("Hameçonnage par SMS").then_some(body)
        },
    )
    .await;
    assert!(feed.contains("bmce-secure[.]com"), "{feed}");
    assert!(
        !feed.contains("bmce-secure.com"),
        "never a link to the fake"
    );
    assert!(feed.contains("+212 6 00 11 22 33"));
    assert!(feed.contains("https://www.bkam.ma/Communiques"));
    let (_, ar) = app.text("/feed.atom?lang=ar").await;
    assert!(ar.contains("تصيد احتيالي عبر الرسائل النصية"));
    assert!(
        ar.contains("المصدر: https://www.bkam.ma/Communiques"),
        "{ar}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_through_its_preview_then_corrected() {
    let app = TestApp::spawn(&config()).await;
    let (status, v) = app
        .post(
            "/api/v1/incidents",
            &json!({"kind": "outage", "banks": ["bmce"], "channels": ["atm", "transfers"],
                    "title": {"fr": "Retraits impossibles", "ar": "تعذر السحب"}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    let mut desk = Desk::signed_in(&app, "192.0.2.32").await;
    // The ready text of the state asked for, naming the bank and its channels.
    let page = desk
        .get(&format!("/desk/incidents/{id}?state=identified&lang=fr"))
        .await;
    assert!(page.body.contains("La cause du problème"), "{}", page.body);
    assert!(page.body.contains("Bank of Africa (BMCE)"));
    assert!(page.body.contains("مشكل"), "the Arabic ready text too");
    let action = format!("/desk/incidents/{id}/updates?lang=fr");
    let csrf = field(&page.body, &format!("/desk/incidents/{id}/updates"), "csrf");
    let key = field(&page.body, &format!("/desk/incidents/{id}/updates"), "idem");
    let fields = [
        ("csrf", csrf.as_str()),
        ("idem", key.as_str()),
        ("state", "identified"),
        (
            "message_fr",
            "Panne du système central ; retour prévu à 18 h.",
        ),
        (
            "message_ar",
            "عطب في النظام المركزي؛ العودة المتوقعة على الساعة 18.",
        ),
        ("message_en", ""),
        ("title_fr", ""),
    ];
    let mut preview = fields.to_vec();
    preview.push(("preview", "1"));
    let shown = desk.post(&action, &preview).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert!(shown
        .body
        .contains("class=\"incident preview\" lang=\"ar\" dir=\"rtl\""));
    assert!(shown.body.contains("عطب في النظام المركزي"));
    // English has no text of its own: the preview shows what the public would, French.
    let en = &shown.body[shown.body.find("lang=\"en\" dir=\"ltr\"").unwrap()..];
    assert!(en.contains("Panne du système central"));
    assert_eq!(
        field(
            &shown.body,
            &format!("/desk/incidents/{id}/updates"),
            "idem"
        ),
        key
    );
    // Nothing is published by a preview.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM incident_updates WHERE incident_id = {id}"
        ))
        .await,
        1
    );
    let mut publish = fields.to_vec();
    publish.push(("publish", "1"));
    let a = desk.post(&action, &publish).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    // Pages are rendered at most four times a second: wait for the next rendering.
    let shows = |text: &'static str, lang: &'static str| {
        let app = &app;
        async move {
            eventually(Duration::from_secs(5), text, || async {
                let (_, page) = app.text(&format!("/incidents/{id}?lang={lang}")).await;
                page.contains(text).then_some(page)
            })
            .await
        }
    };
    shows("retour prévu à 18 h", "fr").await;

    // Corrected: the public sees the text now, and what it said before.
    let page = desk.get(&format!("/desk/incidents/{id}?lang=fr")).await;
    let update = app
        .count(&format!(
            "SELECT MAX(id) FROM incident_updates WHERE incident_id = {id}"
        ))
        .await;
    let correct = format!("/desk/incidents/{id}/updates/{update}/correct");
    assert!(page.body.contains(&correct), "{}", page.body);
    let a = desk
        .submit(
            &format!("{correct}?lang=fr"),
            &format!("{correct}?lang=fr"),
            &[(
                "message_fr",
                "Panne du système central ; retour prévu à 19 h.",
            )],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let public = shows("retour prévu à 19 h.", "fr").await;
    assert!(public.contains("Corrigé le"));
    assert!(
        public.contains("retour prévu à 18 h."),
        "the earlier text stays"
    );
    // The Arabic text was left as it was, and stays.
    let ar = shows("صُحِّح في", "ar").await;
    assert!(ar.contains("العودة المتوقعة على الساعة 18"));
    // The feed keeps the entry as published and adds the correction as an entry.
    let feed = app.text("/feed.atom?lang=fr").await.1;
    let parsed = feed_rs::parser::parse(feed.as_bytes()).unwrap();
    let original = parsed
        .entries
        .iter()
        .find(|e| e.id.ends_with(&format!(":update:{update}:fr:atom")))
        .expect("the entry as published");
    let summary = |e: &feed_rs::model::Entry| e.summary.as_ref().unwrap().content.clone();
    assert!(summary(original).contains("18 h"));
    assert!(!summary(original).contains("19 h"));
    let correction = parsed
        .entries
        .iter()
        .find(|e| e.id.contains(&format!(":update:{update}:correction:")))
        .expect("the correction's entry");
    assert!(summary(correction).contains("19 h"));
    assert!(summary(correction).contains("Le texte précédent disait"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_false_alarm_withdrawn_and_the_bank_s_word_recorded() {
    let app = TestApp::spawn(&config()).await;
    let (_, v) = app
        .post(
            "/api/v1/incidents",
            &json!({"kind": "outage", "banks": ["bmce"], "channels": ["atm"], "title": {"fr": "Retraits"}}),
            true,
        )
        .await;
    let id = v["id"].as_i64().unwrap();
    let mut desk = Desk::signed_in(&app, "192.0.2.33").await;
    let page = format!("/desk/incidents/{id}/withdraw?lang=fr");
    let a = desk.submit(&page, &page, &[("reason_fr", "")]).await;
    assert_eq!(
        a.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is needed"
    );
    let a = desk
        .submit(
            &page,
            &page,
            &[("reason_fr", "Signalements venus d’un seul réseau.")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let v = app.json(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(v["state"], "withdrawn");
    // A false alarm takes no more updates: one would put it back in the figures.
    let page = desk.get(&format!("/desk/incidents/{id}?lang=fr")).await;
    assert!(!page.body.contains("name=\"preview\""), "{}", page.body);
    let (status, _) = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            &json!({"state": "resolved", "message": {"fr": "Rétabli"}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        app.json(&format!("/api/v1/incidents/{id}")).await["state"],
        "withdrawn"
    );

    let a = desk
        .submit(
            "/desk/statements/new?bank=bmce&lang=fr",
            "/desk/statements?lang=fr",
            &[
                ("bank", "bmce"),
                ("channels", "atm"),
                ("text_fr", "Un incident technique perturbe nos guichets."),
                ("translation_ar", "حادث تقني يعطل شبابيكنا."),
                ("source_url", "https://www.facebook.com/BankofAfrica.ma"),
                ("source_kind", "facebook"),
                ("said_at", "2026-02-10 14:30"),
                ("expected_back_at", "2026-02-10 18:00"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let v = app.json("/api/v1/statements?bank=bmce").await;
    let s = &v["statements"][0];
    assert_eq!(
        s["text"]["fr"],
        "Un incident technique perturbe nos guichets."
    );
    assert_eq!(s["translations"]["ar"], "حادث تقني يعطل شبابيكنا.");
    assert_eq!(s["said_at"], "2026-02-10T14:30:00+01:00");
    // A statement the API refuses, the desk refuses for the same reason.
    let a = desk
        .submit(
            "/desk/statements/new?lang=fr",
            "/desk/statements?lang=fr",
            &[
                ("bank", "bmce"),
                ("text_fr", "x"),
                ("source_url", "ftp://example.org"),
                ("source_kind", "facebook"),
                ("said_at", "2026-02-10 14:30"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("ftp://example.org"), "{}", a.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spam_reports_are_seen_and_deleted() {
    let app = TestApp::spawn(&config()).await;
    for n in 0..3 {
        let (status, _) = app
            .report_with(
                "203.0.113.50",
                json!({"bank": "bmce", "channel": "atm", "symptom": "no_cash",
                       "city": "casablanca", "comment": format!("spam spam {n}")}),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let (_, v) = app
        .report_with(
            "198.51.100.60",
            json!({"bank": "bmce", "channel": "atm", "comment": "Le guichet de Maârif ne donne rien"}),
        )
        .await;
    let genuine = v["id"].as_i64().unwrap();
    let mut desk = Desk::signed_in(&app, "192.0.2.34").await;
    let page = desk.get("/desk/reports?bank=bmce&lang=fr").await;
    assert!(page.body.contains("spam spam 2"));
    assert!(page.body.contains("Casablanca"), "the city");
    assert!(
        page.body.contains("Pas d’argent") || page.body.contains("argent"),
        "the symptom"
    );
    assert!(page.body.contains("Le guichet de Maârif ne donne rien"));
    // Watching it: the page reloads itself, without script.
    let watch = desk.get("/desk/reports?bank=bmce&refresh=10&lang=fr").await;
    assert!(watch
        .body
        .contains("<meta http-equiv=\"refresh\" content=\"10\">"));
    // One spam report, then all of its reporter's.
    let spam = app
        .count("SELECT MIN(id) FROM reports WHERE comment LIKE 'spam%'")
        .await;
    let a = desk
        .submit(
            "/desk/reports?bank=bmce&lang=fr",
            &format!("/desk/reports/{spam}/delete?"),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let next = app
        .count("SELECT MIN(id) FROM reports WHERE comment LIKE 'spam%' AND deleted_at IS NULL")
        .await;
    let a = desk
        .submit(
            "/desk/reports?bank=bmce&lang=fr",
            &format!("/desk/reports/{next}/delete-reporter?"),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM reports WHERE deleted_at IS NULL")
            .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM reports WHERE id = {genuine} AND deleted_at IS NULL"
        ))
        .await,
        1
    );
    let page = desk.get("/desk/reports?bank=bmce&lang=fr").await;
    assert!(!page.body.contains("spam spam"));
}
