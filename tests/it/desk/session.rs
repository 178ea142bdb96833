//! Signing in and out: the session cookie's attributes, what the desk answers signed out,
//! wrong tokens refused then throttled per address, and nothing of the desk cached or
//! indexed.

use reqwest::StatusCode;

use super::{config, field, Desk, DESK_TOKEN};
use crate::helpers::{TestApp, ADMIN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_signs_in_and_out() {
    let app = TestApp::spawn(&config()).await;
    let mut desk = Desk::new(&app, "192.0.2.10");
    // Signed out, the desk is its sign-in form; its other pages send there.
    let page = desk.get("/desk?lang=ar").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("name=\"token\""), "{}", page.body);
    assert!(page.body.contains("dir=\"rtl\""));
    let away = desk.get("/desk/windows/new?lang=fr").await;
    assert_eq!(away.status, StatusCode::SEE_OTHER);
    assert_eq!(away.location.as_deref(), Some("/desk?lang=fr"));

    let signed = desk.sign_in_with(DESK_TOKEN).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    let cookie = signed
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("desk_session="))
        .expect("a session cookie");
    for part in ["HttpOnly", "SameSite=Strict", "Path=/desk", "Max-Age=86400"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "no https public_url: {cookie}");
    // The session is kept by the hash of its id, never the id itself.
    let id = desk.cookies["desk_session"].clone();
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM desk_sessions WHERE id_hash = '{id}'"
        ))
        .await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM desk_sessions WHERE operator = 'desk-1'")
            .await,
        1
    );
    let home = desk.get("/desk?lang=fr").await;
    assert!(home.body.contains("desk-1"), "{}", home.body);
    assert!(home.body.contains("/desk/sign-out"));

    let csrf = field(&home.body, "/desk/sign-out", "csrf");
    let out = desk
        .post("/desk/sign-out?lang=fr", &[("csrf", &csrf)])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(!desk.cookies.contains_key("desk_session"));
    assert_eq!(app.count("SELECT COUNT(*) FROM desk_sessions").await, 0);
    // The old cookie, replayed, opens nothing.
    desk.cookies.insert("desk_session".into(), id);
    let again = desk.get("/desk/windows/new").await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_log WHERE actor = 'desk-1' AND action IN ('sign_in', 'sign_out')"
        )
        .await,
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_tokens_are_refused_then_throttled_per_address() {
    let app = TestApp::spawn(&config()).await;
    let mut desk = Desk::new(&app, "198.51.100.7");
    for n in 0..5 {
        let a = desk.sign_in_with("not-the-token").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "try {n}");
        assert!(a.body.contains("role=\"alert\""));
    }
    // The sixth try waits, whatever the token: the right one too.
    let a = desk.sign_in_with(ADMIN).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    let wait: u64 = a.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    assert!(!desk.cookies.contains_key("desk_session"));
    // Another address is not held back by this one's tries.
    let mut other = Desk::new(&app, "203.0.113.9");
    assert_eq!(
        other.sign_in_with(ADMIN).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM desk_sessions").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_of_the_desk_is_stored_or_indexed() {
    let app = TestApp::spawn(&config()).await;
    let mut desk = Desk::signed_in(&app, "192.0.2.11").await;
    let signed_out = Desk::new(&app, "192.0.2.12").get("/desk").await;
    let pages = [
        "/desk",
        "/desk/windows/new",
        "/desk/incidents/new",
        "/desk/statements/new",
        "/desk/reports",
        "/desk/incidents/999",
    ];
    let mut answers = vec![signed_out];
    for p in pages {
        answers.push(desk.get(p).await);
    }
    for a in &answers {
        assert_eq!(a.headers["cache-control"], "no-store", "{}", a.body);
        assert!(a.headers["x-robots-tag"]
            .to_str()
            .unwrap()
            .contains("noindex"));
        assert!(!a.body.contains("<script"), "no script on the desk");
    }
    assert_eq!(answers.last().unwrap().status, StatusCode::NOT_FOUND);
    // Without any operator, the desk says how to set one and takes no token.
    let closed =
        TestApp::spawn_with("[[banks]]\nslug = \"cdm\"\nname = { fr = \"CDM\" }\n", None).await;
    let page = Desk::new(&closed, "192.0.2.13").get("/desk?lang=en").await;
    assert!(
        page.body.contains("BANKSTATUS_ADMIN_TOKEN"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("name=\"token\""));
}
