//! The operator's desk in Chromium with the keyboard alone (Tab to a field, type, Space to
//! tick, arrows to choose, Enter to send; never a click): sign in, announce a window in
//! local time across the Ramadan clock change, post an advisory, add an update through its
//! preview, correct it, delete a spam report, sign out. Then every desk page, at 360 and
//! 1280 px in Arabic and French, without a serious or critical axe-core finding.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::{axe_source, Browser, Tab};
use crate::helpers::{eventually, TestApp, ADMIN};

/// A key as Chromium's DevTools protocol takes it: name, code, key code, text typed.
fn key(name: &str) -> (&str, &str, u32, Option<&str>) {
    match name {
        "Tab" => ("Tab", "Tab", 9, None),
        "Enter" => ("Enter", "Enter", 13, Some("\r")),
        "Space" => (" ", "Space", 32, Some(" ")),
        "ArrowDown" => ("ArrowDown", "ArrowDown", 40, None),
        other => panic!("no such key in these tests: {other}"),
    }
}

impl Tab {
    async fn press(&mut self, name: &str) {
        let (k, code, vk, text) = key(name);
        let mut down = json!({"type": if text.is_some() { "keyDown" } else { "rawKeyDown" },
            "key": k, "code": code, "windowsVirtualKeyCode": vk, "nativeVirtualKeyCode": vk});
        if let Some(t) = text {
            down["text"] = json!(t);
        }
        self.call("Input.dispatchKeyEvent", down).await;
        self.call(
            "Input.dispatchKeyEvent",
            json!({"type": "keyUp", "key": k, "code": code, "windowsVirtualKeyCode": vk}),
        )
        .await;
    }

    /// Tab until the element `selector` has the focus, as a person would.
    async fn tab_to(&mut self, selector: &str) {
        let check = format!(
            "!!document.activeElement && document.activeElement.matches({})",
            json!(selector)
        );
        for _ in 0..250 {
            if self.eval(&check).await == json!(true) {
                return;
            }
            self.press("Tab").await;
        }
        panic!("Tab never reached {selector}");
    }

    /// Types into the field `selector`, replacing what it holds.
    async fn fill(&mut self, selector: &str, text: &str) {
        self.tab_to(selector).await;
        self.call(
            "Input.dispatchKeyEvent",
            json!({"type": "rawKeyDown", "key": "a", "code": "KeyA", "windowsVirtualKeyCode": 65,
                   "modifiers": 2, "commands": ["selectAll"]}),
        )
        .await;
        self.call(
            "Input.dispatchKeyEvent",
            json!({"type": "keyUp", "key": "a", "code": "KeyA", "windowsVirtualKeyCode": 65, "modifiers": 2}),
        )
        .await;
        self.call("Input.insertText", json!({"text": text})).await;
        let value = self
            .eval(&format!(
                "document.querySelector({}).value",
                json!(selector)
            ))
            .await;
        assert_eq!(value, json!(text), "{selector}");
    }

    /// Ticks the checkbox or radio `selector` with the space bar.
    async fn tick(&mut self, selector: &str) {
        self.tab_to(selector).await;
        self.press("Space").await;
        let checked = self
            .eval(&format!(
                "document.querySelector({}).checked",
                json!(selector)
            ))
            .await;
        assert_eq!(checked, json!(true), "{selector}");
    }

    /// Chooses `value` in the select `selector` with the arrow keys.
    async fn choose(&mut self, selector: &str, value: &str) {
        self.tab_to(selector).await;
        let current = format!("document.querySelector({}).value", json!(selector));
        for _ in 0..40 {
            if self.eval(&current).await == json!(value) {
                return;
            }
            self.press("ArrowDown").await;
        }
        panic!("{value} never chosen in {selector}");
    }

    /// Presses Enter on the element `selector` and waits for the page it leads to.
    async fn send(&mut self, selector: &str) {
        self.tab_to(selector).await;
        let before = self.events.len();
        self.press("Enter").await;
        self.wait_for_load(before).await;
    }

    async fn text(&mut self) -> String {
        self.eval("document.body.innerText")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// No error logged, no serious or critical axe finding, no wider than the screen, the
    /// language's direction; a screenshot under `name`.
    async fn holds(&mut self, axe: &str, name: &str, width: u32) {
        let errors: Vec<String> = self
            .errors()
            .into_iter()
            .filter(|e| !e.contains("favicon"))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        let violations = self.axe(axe).await;
        assert!(violations.is_empty(), "axe on {name}: {violations:?}");
        let overflow = self
            .eval(&format!(
                "document.documentElement.scrollWidth - Math.min(window.innerWidth, {width})"
            ))
            .await;
        assert!(
            overflow.as_i64().unwrap() <= 0,
            "{name} is {overflow} px too wide"
        );
        assert_eq!(
            self.eval("document.scripts.length").await,
            json!(0),
            "{name}"
        );
        let lang = self.eval("document.documentElement.lang").await;
        let dir = self
            .eval("getComputedStyle(document.documentElement).direction")
            .await;
        assert_eq!(dir, if lang == "ar" { "rtl" } else { "ltr" }, "{name}");
        self.screenshot(&format!("{name}-{width}")).await;
    }

    async fn sign_in(&mut self, app: &TestApp, lang: &str) {
        self.goto(&app.url(&format!("/desk?lang={lang}"))).await;
        self.fill("#token", ADMIN).await;
        // Enter in the only field sends its form.
        let before = self.events.len();
        self.press("Enter").await;
        self.wait_for_load(before).await;
        assert!(
            self.eval("!!document.querySelector('form.who')").await == json!(true),
            "signed in: {}",
            self.text().await
        );
    }
}

/// An outage to update and spam to delete, made through the API.
async fn something_to_do(app: &TestApp) -> (i64, i64) {
    let (status, v) = app
        .post(
            "/api/v1/incidents",
            &json!({"kind": "outage", "banks": ["bmce"], "channels": ["atm", "transfers"],
                    "title": {"ar": "تعذر السحب والتحويلات", "fr": "Retraits et virements impossibles"}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    for n in 0..2 {
        let (status, _) = app
            .report_with(
                "203.0.113.77",
                json!({"bank": "bmce", "channel": "atm", "comment": format!("publicité {n}")}),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let spam = app
        .count("SELECT MIN(id) FROM reports WHERE comment LIKE 'publicité%'")
        .await;
    (v["id"].as_i64().unwrap(), spam)
}

fn prop<'a>(ics: &'a str, name: &str) -> &'a str {
    ics.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or("")
        .trim()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_with_the_keyboard_alone() {
    let app = TestApp::spawn(&crate::desk::config()).await;
    let (incident, spam) = something_to_do(&app).await;
    let axe = axe_source();
    let browser = Browser::launch().await;
    let mut tab = browser.tab(360, 800).await;

    tab.sign_in(&app, "fr").await;
    tab.holds(&axe, "desk-home-fr", 360).await;

    // A window typed as Moroccan clocks show it, across the clock change of 7 February 2027.
    tab.goto(&app.url("/desk/windows/new?lang=fr")).await;
    tab.choose("#bank", "cdm").await;
    tab.tick("input[name=channels][value=mobile]").await;
    tab.tick("input[name=channels][value=web]").await;
    tab.fill("#starts", "2027-02-06 22:00").await;
    tab.fill("#ends", "2027-02-07 06:00").await;
    tab.fill("#title_ar", "توقف التطبيق ليلة السبت").await;
    tab.fill("#title_fr", "Arrêt de l’application samedi soir")
        .await;
    tab.send("form.desk button[type=submit]").await;
    assert!(tab.text().await.contains("Maintenance annoncée"));
    let ics = app.text("/maintenance.ics").await.1;
    assert_eq!(prop(&ics, "DTSTART"), "20270206T210000Z", "{ics}");
    assert_eq!(
        prop(&ics, "DTEND"),
        "20270207T060000Z",
        "nine hours, not eight"
    );
    tab.goto(&app.url("/?lang=fr")).await;
    assert!(tab
        .text()
        .await
        .contains("Arrêt de l’application samedi soir"));

    // An advisory, seen in the Atom feed.
    tab.goto(&app.url("/desk/incidents/new?kind=advisory&lang=fr"))
        .await;
    tab.tick("input[name=banks][value=bmce]").await;
    tab.fill("#title_fr", "Faux SMS au nom de la banque").await;
    tab.fill("#message_fr", "Ne cliquez sur aucun lien reçu par SMS.")
        .await;
    tab.fill("#source", "https://www.bkam.ma/").await;
    tab.fill("#fakes", "bmce-securite.com").await;
    tab.send("form.desk button[type=submit]").await;
    let atom = eventually(
        Duration::from_secs(5),
        "the advisory in the feed",
        || async {
            let (_, feed) = app.text("/feed.atom?lang=fr").await;
            feed.contains("Faux SMS au nom de la banque")
                .then_some(feed)
        },
    )
    .await;
    assert!(atom.contains("bmce-securite[.]com"));

    // An update, seen first as the public will see it, Arabic right to left.
    tab.goto(&app.url(&format!(
        "/desk/incidents/{incident}?state=identified&lang=fr"
    )))
    .await;
    tab.fill(
        "#message_fr",
        "Panne du système central ; retour prévu à 18 h.",
    )
    .await;
    tab.fill(
        "#message_ar",
        "عطب في النظام المركزي؛ العودة المتوقعة على الساعة 18.",
    )
    .await;
    tab.send("button[name=preview]").await;
    let ar = tab
        .eval("getComputedStyle(document.querySelector('.preview[lang=ar]')).direction")
        .await;
    assert_eq!(ar, "rtl");
    assert!(tab.text().await.contains("عطب في النظام المركزي"));
    tab.holds(&axe, "desk-preview-fr", 360).await;
    tab.send("button[name=publish]").await;
    assert!(tab.text().await.contains("Mise à jour publiée"));

    // Corrected: the public page shows the text now and what it said.
    tab.goto(&app.url(&format!("/desk/incidents/{incident}?lang=fr")))
        .await;
    tab.send("a[href*='/correct']").await;
    tab.fill(
        "#message_fr",
        "Panne du système central ; retour prévu à 19 h.",
    )
    .await;
    tab.send("form.desk button[type=submit]").await;
    assert!(tab.text().await.contains("Correction publiée"));
    let public = eventually(Duration::from_secs(5), "the correction", || async {
        let (_, page) = app.text(&format!("/incidents/{incident}?lang=fr")).await;
        page.contains("19 h.").then_some(page)
    })
    .await;
    assert!(public.contains("18 h.") && public.contains("Corrigé le"));

    // A spam report deleted.
    tab.goto(&app.url("/desk/reports?bank=bmce&lang=fr")).await;
    tab.send(&format!("#report-{spam} form[action*='/delete?'] button"))
        .await;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM reports WHERE id = {spam} AND deleted_at IS NOT NULL"
        ))
        .await,
        1
    );

    // Signed out: the desk asks for a token again.
    tab.send("form.who button").await;
    assert_eq!(
        tab.eval("!!document.getElementById('token')").await,
        json!(true)
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM desk_sessions").await, 0);

    every_page_at_both_widths_in_ar_and_fr(&app, &browser, &axe, incident).await;
}

/// Every page of the desk, and the preview of an update, at 360 and 1280 px in Arabic and
/// French.
async fn every_page_at_both_widths_in_ar_and_fr(
    app: &TestApp,
    browser: &Browser,
    axe: &str,
    incident: i64,
) {
    let window = app
        .count("SELECT MAX(incident_id) FROM maintenance_windows")
        .await;
    let update = app
        .count(&format!(
            "SELECT MAX(id) FROM incident_updates WHERE incident_id = {incident} AND source = 'operator'"
        ))
        .await;
    for width in [360, 1280] {
        let mut tab = browser.tab(width, 800).await;
        for lang in ["ar", "fr"] {
            tab.goto(&app.url(&format!("/desk?lang={lang}"))).await;
            tab.holds(axe, &format!("desk-sign-in-{lang}"), width).await;
            tab.sign_in(app, lang).await;
            let pages = [
                ("home", "/desk".to_owned()),
                ("window-new", "/desk/windows/new".to_owned()),
                ("window", format!("/desk/windows/{window}")),
                ("advisory-new", "/desk/incidents/new".to_owned()),
                ("outage-new", "/desk/incidents/new?kind=outage".to_owned()),
                ("statement-new", "/desk/statements/new".to_owned()),
                ("incident", format!("/desk/incidents/{incident}")),
                (
                    "correct",
                    format!("/desk/incidents/{incident}/updates/{update}/correct"),
                ),
                ("withdraw", format!("/desk/incidents/{incident}/withdraw")),
                ("reports", "/desk/reports".to_owned()),
            ];
            for (name, path) in pages {
                let sep = if path.contains('?') { '&' } else { '?' };
                tab.goto(&app.url(&format!("{path}{sep}lang={lang}"))).await;
                tab.holds(axe, &format!("desk-{name}-{lang}"), width).await;
            }
            // The preview, and the result page of an action.
            tab.goto(&app.url(&format!("/desk/incidents/{incident}?lang={lang}")))
                .await;
            tab.send("button[name=preview]").await;
            tab.holds(axe, &format!("desk-preview-{lang}"), width).await;
            tab.goto(&app.url(&format!("/desk/incidents/new?kind=outage&lang={lang}")))
                .await;
            tab.tick("input[name=banks][value=cdm]").await;
            tab.fill("#title_fr", &format!("Panne {lang} {width}"))
                .await;
            tab.send("form.desk button[type=submit]").await;
            tab.holds(axe, &format!("desk-done-{lang}"), width).await;
            tab.send("form.who button").await;
        }
    }
}
