//! Safe by construction: a form without a valid token, or from another origin, is refused
//! with 403 and changes nothing; a form sent twice with its idempotency key carries out
//! one action, at once or later; every action is audited under the operator's name.

use reqwest::StatusCode;

use super::{config, field, Desk, DESK_TOKEN};
use crate::helpers::TestApp;

fn window(title: &str) -> Vec<(&str, &str)> {
    vec![
        ("bank", "cdm"),
        ("channels", "web"),
        ("channels", "mobile"),
        ("starts", "2099-02-13 16:00"),
        ("ends", "2099-02-15 18:00"),
        ("title_fr", title),
        ("title_ar", ""),
        ("title_en", ""),
        ("source", ""),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_from_elsewhere_or_without_their_token_change_nothing() {
    let app = TestApp::spawn(&config()).await;
    let mut desk = Desk::signed_in(&app, "192.0.2.20").await;
    let page = desk.get("/desk/windows/new?lang=fr").await;
    let csrf = field(&page.body, "/desk/windows", "csrf");
    let key = field(&page.body, "/desk/windows", "idem");
    let with = |csrf: &str| -> Vec<(String, String)> {
        let mut f = vec![
            ("csrf".to_owned(), csrf.to_owned()),
            ("idem".to_owned(), key.clone()),
        ];
        f.extend(
            window("Arrêt")
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        f
    };
    let mut no_token = with(&csrf);
    no_token.retain(|(k, _)| k != "csrf");
    // Its last digit changed (to 0, or to 1 when it is 0 already: a fixed "0" left the
    // token intact one time in sixteen).
    let last = if csrf.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &csrf[..csrf.len() - 1]);
    // No token, a token that is not ours, one forged, and the right one from another site.
    let tries = [
        (no_token, None),
        (with("1.abc.def"), None),
        (with(&forged), None),
        (with(&csrf), Some("https://evil.example")),
    ];
    for (fields, origin) in tries {
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let a = desk.post_from("/desk/windows?lang=fr", &refs, origin).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{origin:?}: {}", a.body);
        assert_eq!(a.headers["cache-control"], "no-store");
    }
    // Signed out, the same form is refused as well.
    let mut stranger = Desk::new(&app, "192.0.2.21");
    stranger.cookies.insert("csrf".into(), csrf.clone());
    let fields = with(&csrf);
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let a = stranger.post("/desk/windows?lang=fr", &refs).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM maintenance_windows").await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action <> 'sign_in'")
            .await,
        0
    );
    // The same form, as the desk sent it: taken.
    let a = desk.post("/desk/windows?lang=fr", &refs).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM maintenance_windows").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_sent_twice_posts_once() {
    let app = TestApp::spawn(&config()).await;
    let mut desk = Desk::signed_in(&app, "192.0.2.22").await;
    let page = desk.get("/desk/windows/new?lang=fr").await;
    let csrf = field(&page.body, "/desk/windows", "csrf");
    let key = field(&page.body, "/desk/windows", "idem");
    let mut fields = vec![("csrf", csrf.as_str()), ("idem", key.as_str())];
    fields.extend(window("Arrêt du week-end"));
    // A double click: both at once.
    let cookies = desk.cookies.clone();
    let mut twin = Desk {
        app: &app,
        cookies,
        ip: desk.ip.clone(),
    };
    let (a, b) = tokio::join!(
        desk.post("/desk/windows?lang=fr", &fields),
        twin.post("/desk/windows?lang=fr", &fields)
    );
    // And a reload of the post a minute later.
    let c = desk.post("/desk/windows?lang=fr", &fields).await;
    for x in [&a, &b, &c] {
        assert_eq!(x.status, StatusCode::SEE_OTHER, "{}", x.body);
        assert_eq!(
            x.location.as_deref(),
            Some(format!("/desk/done/{key}").as_str())
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM maintenance_windows").await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'create_maintenance'")
            .await,
        1
    );
    let done = desk.get(&format!("/desk/done/{key}?lang=fr")).await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(done.body.contains("Maintenance annoncée"), "{}", done.body);
    // A form refused for its content keeps its key: corrected, it goes through once.
    let page = desk.get("/desk/windows/new?lang=fr").await;
    let csrf = field(&page.body, "/desk/windows", "csrf");
    let key = field(&page.body, "/desk/windows", "idem");
    let mut bad = vec![("csrf", csrf.as_str()), ("idem", key.as_str())];
    bad.extend(window("Arrêt"));
    bad.retain(|(k, _)| *k != "ends");
    bad.push(("ends", "2099-02-13 15:00"));
    let refused = desk.post("/desk/windows?lang=fr", &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("role=\"alert\""));
    assert_eq!(
        field(&refused.body, "/desk/windows", "idem"),
        key,
        "same key"
    );
    assert!(
        refused.body.contains("2099-02-13 15:00"),
        "what was typed stays"
    );
    let mut good = vec![("csrf", csrf.as_str()), ("idem", key.as_str())];
    good.extend(window("Arrêt"));
    assert_eq!(
        desk.post("/desk/windows?lang=fr", &good).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM maintenance_windows").await,
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_act_under_their_names() {
    let app = TestApp::spawn(&config()).await;
    let mut desk = Desk::new(&app, "192.0.2.23");
    assert_eq!(
        desk.sign_in_with(DESK_TOKEN).await.status,
        StatusCode::SEE_OTHER
    );
    let mut fields = window("Arrêt");
    fields.retain(|(k, _)| *k != "source");
    let a = desk
        .submit(
            "/desk/windows/new?lang=fr",
            "/desk/windows?lang=fr",
            &fields,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    // The same operator through the API, by its bearer token.
    let r = app
        .client
        .post(app.url("/api/v1/incidents"))
        .bearer_auth(DESK_TOKEN)
        .header("content-type", "application/json")
        .body(r#"{"kind":"outage","banks":["bmce"],"title":{"fr":"Panne"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_log WHERE actor = 'desk-1' \
             AND action IN ('create_maintenance', 'create_incident')"
        )
        .await,
        2
    );
    // The public never sees the name: the page says the operator posted it.
    let id = app
        .count("SELECT MAX(incident_id) FROM maintenance_windows")
        .await;
    let (_, page) = app.text(&format!("/incidents/{id}?lang=fr")).await;
    assert!(!page.contains("desk-1"));
    let (_, json) = app.text(&format!("/api/v1/incidents/{id}")).await;
    assert!(!json.contains("desk-1"));
}
