//! Where links travel: previews that state the status now, a favicon of the status, feeds in
//! two languages as two sets of entries, and robots.txt.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::helpers::{
    bank_config, channel_status, eventually, probe, quiet_bank, FakeBank, TestApp,
};

fn meta<'a>(html: &'a str, property: &str) -> &'a str {
    let key = format!("property=\"{property}\" content=\"");
    let at = html.find(&key).unwrap_or_else(|| panic!("no {property}")) + key.len();
    html[at..].split('"').next().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn previews_and_the_favicon_follow_the_status() {
    let fake = FakeBank::start().await;
    let p = probe(
        "web",
        &fake.url("/toggle"),
        "  interval = \"200ms\"\n  timeout = \"1s\"\n  failures_before_outage = 2\n",
    );
    let text = format!(
        "public_url = \"https://status.example.ma\"\n{}",
        bank_config("bmce", &[p], &[])
    );
    let mut app = TestApp::spawn(&text).await;
    eventually(Duration::from_secs(10), "operational", || async {
        (channel_status(&app, "bmce", "web").await["status"] == "operational").then_some(())
    })
    .await;
    let (_, before) = app.text("/banks/bmce?lang=en").await;
    assert_eq!(
        meta(&before, "og:description"),
        "Bank bmce: every channel works"
    );
    assert!(
        before.contains("<meta name=\"description\" content=\"Bank bmce: every channel works\">")
    );
    let green = app.text("/favicon.svg").await.1;
    let picture = meta(&before, "og:image").to_owned();
    assert_eq!(
        picture,
        "https://status.example.ma/og/banks/bmce.png?s=operational"
    );
    let card = |bytes: &[u8]| {
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        let (w, h) = (&bytes[16..20], &bytes[20..24]);
        (
            u32::from_be_bytes(w.try_into().unwrap()),
            u32::from_be_bytes(h.try_into().unwrap()),
        )
    };
    let ok_png = app.get("/og/banks/bmce.png").await.bytes().await.unwrap();
    assert_eq!(card(&ok_png), (1200, 630));

    fake.state.failing.store(true, Ordering::SeqCst);
    eventually(Duration::from_secs(10), "the outage", || async {
        channel_status(&app, "bmce", "web").await["incident_id"].as_i64()
    })
    .await;
    let (_, after) = app.text("/banks/bmce?lang=en").await;
    assert_eq!(
        meta(&after, "og:image"),
        "https://status.example.ma/og/banks/bmce.png?s=major_outage"
    );
    let down_png = app.get("/og/banks/bmce.png").await.bytes().await.unwrap();
    assert_ne!(ok_png, down_png, "the picture shows the status");
    let said = meta(&after, "og:description");
    assert!(
        said.starts_with("Bank bmce: Online banking (major outage since "),
        "{said}"
    );
    let (_, fr) = app.text("/banks/bmce?lang=fr").await;
    assert_eq!(meta(&fr, "og:locale"), "fr_MA");
    let said = meta(&fr, "og:description");
    // French typography: a space before the colon, the status in lower case mid-sentence.
    assert!(
        said.starts_with("Banque bmce : « Banque en ligne » : panne majeure depuis "),
        "{said}"
    );
    let (_, home) = app.text("/?lang=en").await;
    assert!(
        meta(&home, "og:description").contains("Online banking"),
        "{home}"
    );

    let red = app.text("/favicon.svg").await.1;
    assert_ne!(green, red, "the favicon shows the worst status");
    let png = app.get("/favicon.ico").await;
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
    let (status, robots) = app.text("/robots.txt").await;
    assert!(status.is_success() && robots.contains("User-agent: *"));
    // Read by Python's parser, which takes the first line that matches a path.
    let verdicts = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, urllib.robotparser as r\n\
             p = r.RobotFileParser(); p.parse(sys.argv[1].splitlines())\n\
             print(' '.join('1' if p.can_fetch('*', u) else '0' for u in sys.argv[2:]))",
            &robots,
            "/api/v1/status",
            "/report",
            "/subscriptions/sub_1?token=x",
            "/desk",
            "/desk/windows",
            "/banks/bmce",
            "/",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&verdicts.stdout).trim(),
        "0 0 0 0 0 1 1",
        "{robots}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_in_two_languages_are_two_sets_of_entries() {
    let fake = FakeBank::start().await;
    let mut app = TestApp::spawn(&quiet_bank(&fake)).await;
    let (status, _) = app
        .post("/api/v1/incidents", &serde_json::json!({"kind": "advisory", "banks": ["bmce"], "title": {"en": "Phishing", "fr": "Hameçonnage"}, "message": {"en": "Line one.\nLine two."}}), true)
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED);
    let parse = |body: &[u8]| feed_rs::parser::parse(body).unwrap();
    let en = parse(&app.get("/feed.atom?lang=en").await.bytes().await.unwrap());
    let fr = parse(&app.get("/feed.atom?lang=fr").await.bytes().await.unwrap());
    assert_eq!(en.entries.len(), fr.entries.len());
    for (a, b) in en.entries.iter().zip(&fr.entries) {
        assert_ne!(
            a.id, b.id,
            "a reader following both files each under its feed"
        );
    }
    let html = en.entries[0]
        .content
        .as_ref()
        .unwrap()
        .body
        .clone()
        .unwrap();
    assert!(html.contains("Line one.<br>"), "{html}");
    app.stop().await;
}

/// The address in the bank page's embed snippet, its HTML escapes undone.
fn embed_src(html: &str) -> String {
    let snippet = &html[html.find("embed-snippet").expect("an embed snippet")..];
    let code = &snippet[snippet.find("<code").unwrap()..snippet.find("</code>").unwrap()];
    let code = code
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">");
    let from = code.find("src=\"").expect("a src") + 5;
    code[from..].split('"').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_public_url_the_embed_snippet_is_absolute_and_works() {
    let fake = FakeBank::start().await;
    let mut app = TestApp::spawn(&quiet_bank(&fake)).await;
    let (status, html) = app.text("/banks/bmce?lang=en").await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let src = embed_src(&html);
    let own = format!("http://{}/embed/banks/bmce?lang=en", app.addr);
    assert_eq!(
        src, own,
        "pasted elsewhere, the address must still lead here"
    );
    let embed = app.client.get(&src).send().await.unwrap();
    assert_eq!(embed.status(), reqwest::StatusCode::OK);
    assert!(embed.text().await.unwrap().contains("<html"));

    // Asked under another name, the page names that one: each host its own rendering.
    let other = app
        .client
        .get(app.url("/banks/bmce?lang=en"))
        .header("host", "status.example.org")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        embed_src(&other),
        "http://status.example.org/embed/banks/bmce?lang=en"
    );
    app.stop().await;
}
