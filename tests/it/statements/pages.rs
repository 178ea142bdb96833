//! The bank's word on the pages: its promise quoted and judged (ahead, overdue, kept,
//! missed) in three languages, the channel's "until when" said as the bank's, and the
//! silence from an outage's start until its first statement, which the scorecard times.

use chrono::{Datelike, Duration, Utc};
use serde_json::{json, Value};

use super::{local, outage, page_with, page_without, resolve, say, second, words};
use crate::helpers::{quiet_bank, FakeBank, TestApp};

const SOURCE: &str = "https://www.facebook.com/BankofAfrica.ma/posts/1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promise_is_quoted_as_the_banks_and_judged_in_three_languages() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&quiet_bank(&fake)).await;
    let now = Utc::now();
    let web = outage(&app, "web", now - Duration::hours(2)).await;
    let atm = outage(&app, "atm", now - Duration::hours(2)).await;
    let ahead = second(now + Duration::hours(1));
    let passed = second(now - Duration::minutes(25));
    let web_words = "Un problème technique dans le système. Retour prévu dans une heure.";
    let atm_words = "Les guichets automatiques seront rétablis avant midi.";
    let mut w = words(web_words, now - Duration::minutes(30), Some(ahead));
    w["channels"] = json!(["web"]);
    let said_web = say(&app, w).await;
    assert_eq!(said_web["incidents"], json!([web]), "{said_web}");
    assert_eq!(said_web["text"]["fr"], web_words);
    let mut a = words(atm_words, now - Duration::hours(1), Some(passed));
    a["channels"] = json!(["atm"]);
    a["translations"] = json!({"en": "ATMs will be back before noon."});
    let said_atm = say(&app, a).await;
    assert_eq!(said_atm["incidents"], json!([atm]), "{said_atm}");

    // Ahead: the channel expects it back at the bank's time, said as the bank's.
    let en = page_with(
        &app,
        "/banks/bmce?lang=en",
        &format!("the bank expects it back by {}", local(ahead, "en")),
    )
    .await;
    assert!(en.contains("What Bank bmce says"), "{en}");
    assert!(en.contains(web_words) && en.contains(atm_words), "verbatim");
    assert!(en.contains(&format!("href=\"{SOURCE}\"")), "linked");
    assert!(en.contains(&format!(
        "Bank bmce expects it back by {}.",
        local(ahead, "en")
    )));
    // The French words are marked as such to an English reader, the translation as ours.
    assert!(en.contains("words, in French:"), "{en}");
    assert!(en.contains("ATMs will be back before noon.") && en.contains("Translation made here"));
    // Passed: overdue by the right minutes, on the panel and in the channel's "until when".
    let late = local(passed, "en");
    assert!(
        en.contains(&format!("Expected back by {late}, overdue by 25 min")),
        "{en}"
    );
    assert!(en.contains(&format!("the bank said back by {late}: overdue by 25 min")));
    let fr = page_with(&app, "/banks/bmce?lang=fr", "en retard de 25 min").await;
    assert!(fr.contains("Ce que dit Banque bmce"));
    assert!(fr.contains(&format!(
        "retour annoncé par la banque d’ici {}",
        local(ahead, "fr")
    )));
    assert!(fr.contains(&format!(
        "Retour annoncé pour {} : en retard de 25 min",
        local(passed, "fr")
    )));
    let ar = page_with(&app, "/banks/bmce?lang=ar", "وقد تأخرت 25 د").await;
    assert!(ar.contains("ما يقوله بنك"));
    assert!(ar.contains(&format!("يتوقع البنك عودتها بحلول {}", local(ahead, "ar"))));
    // The incident page quotes it too, with the same verdict.
    let inc = page_with(&app, &format!("/incidents/{atm}?lang=en"), atm_words).await;
    assert!(inc.contains("overdue by 25 min"), "{inc}");
    assert!(
        inc.contains(&format!("id=\"statement-{}\"", said_atm["id"])),
        "{inc}"
    );

    // Back before the promise: as promised. Back after it: by how much.
    let web_back = resolve(&app, web).await;
    let atm_back = resolve(&app, atm).await;
    let en = page_with(
        &app,
        "/banks/bmce?lang=en",
        &format!("Back at {}, as promised.", local(web_back, "en")),
    )
    .await;
    assert!(en.contains("Back 25 min"), "{en}");
    assert!(en.contains(&format!("after the promised time ({late})")));
    assert!(atm_back - passed < Duration::minutes(26));
    let fr = page_with(&app, "/banks/bmce?lang=fr", "comme promis").await;
    assert!(fr.contains(&format!(
        "Retour à {}, comme promis.",
        local(web_back, "fr")
    )));
    assert!(fr.contains("Retour 25 min"), "{fr}");
    assert!(fr.contains(&format!("après l’heure promise ({})", local(passed, "fr"))));
    let ar = page_with(&app, "/banks/bmce?lang=ar", "كما وعد البنك").await;
    assert!(ar.contains(&format!(
        "عادت الخدمة في {}، كما وعد البنك.",
        local(web_back, "ar")
    )));
    assert!(ar.contains("عادت الخدمة بعد 25 د"), "{ar}");
    assert!(ar.contains("من الموعد الذي وعد به البنك"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_runs_from_the_outage_start_until_the_first_word_which_the_scorecard_times() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&quiet_bank(&fake)).await;
    let now = Utc::now();
    let start = second(now - Duration::minutes(135));
    let id = outage(&app, "atm", start).await;

    let silence = "No word from Bank bmce since the outage began, 2 h 15 min ago.";
    page_with(&app, "/banks/bmce?lang=en", silence).await;
    page_with(&app, &format!("/incidents/{id}?lang=en"), silence).await;
    page_with(
        &app,
        "/banks/bmce?lang=fr",
        "Aucune communication de Banque bmce depuis le début de la panne, il y a 2 h 15 min.",
    )
    .await;
    page_with(
        &app,
        "/banks/bmce?lang=ar",
        "لا كلمة من بنك منذ بداية العطل، قبل 2 س 15 د.",
    )
    .await;
    let home = page_with(&app, "/?lang=en", "No word from the bank yet.").await;
    assert!(
        home.contains(&format!("Outage since {}", local(start, "en"))),
        "{home}"
    );

    // The first word stops the clock; with no incident named, it speaks of the open outage.
    let said = second(now - Duration::hours(1));
    let text = "Un problème dans le système.";
    let s = say(&app, words(text, said, None)).await;
    assert_eq!(s["incidents"], json!([id]), "{s}");
    assert_eq!(s["channels"], json!(["atm"]));
    let bank = page_without(&app, "/banks/bmce?lang=en", "No word from").await;
    assert!(bank.contains(text));
    let inc = page_without(&app, &format!("/incidents/{id}?lang=en"), "No word from").await;
    assert!(inc.contains(text));
    page_with(
        &app,
        "/?lang=en",
        &format!("The bank spoke on {}.", local(said, "en")),
    )
    .await;

    // The scorecard of the outage's month times the first word from the two times.
    let month = start.with_timezone(&chrono_tz::Africa::Casablanca);
    let month = format!("{}-{:02}", month.year(), month.month());
    app.logged().await;
    let card = app.json(&format!("/scorecard/{month}?format=json")).await;
    let bmce: &Value = card["banks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["slug"] == "bmce")
        .unwrap();
    let word = &bmce["word"];
    assert_eq!(word["outages"], 1, "{word}");
    assert_eq!(word["outages_with_statement"], 1);
    assert_eq!(word["first_words"][0]["incident_id"], id);
    assert_eq!(
        word["first_words"][0]["seconds"],
        (said - start).num_seconds(),
        "{word}"
    );
    assert_eq!(word["median_first_word_minutes"], 75);
    let (_, csv) = app.text(&format!("/scorecard/{month}?format=csv")).await;
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "bank_median_first_word_minutes")
        .unwrap();
    let row: Vec<&str> = lines
        .find(|l| l.contains(",bmce,"))
        .unwrap()
        .split(',')
        .collect();
    assert_eq!(row[col], "75", "{csv}");
    let html = page_with(&app, &format!("/scorecard/{month}?lang=en"), "1 h 15 min").await;
    assert!(html.contains("Outages begun this month with a statement from the bank: 1 of 1."));
}
