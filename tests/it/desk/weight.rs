//! The desk weighs what the public pages weigh: the same stylesheet, no script, no
//! framework; each page well under the public pages' 40 KB over the wire, with the 12
//! shipped banks.

use reqwest::header::{ACCEPT_ENCODING, COOKIE};
use reqwest::StatusCode;

use super::Desk;
use crate::helpers::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desk_pages_weigh_what_public_pages_weigh() {
    let app = TestApp::spawn(bankstatus::config::SHIPPED).await;
    let desk = Desk::signed_in(&app, "192.0.2.40").await;
    let cookies: String = desk
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let gzipped = |path: &'static str| {
        let (app, cookies) = (&app, cookies.clone());
        async move {
            let r = app
                .client
                .get(app.url(path))
                .header(ACCEPT_ENCODING, "gzip")
                .header(COOKIE, cookies)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert_eq!(r.headers()["content-encoding"], "gzip", "{path}");
            r.bytes().await.unwrap().len()
        }
    };
    let (_, home) = app.text("/?lang=ar").await;
    let stylesheet = |html: &str| {
        html.split("rel=\"stylesheet\" href=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned()
    };
    let public = gzipped("/?lang=ar").await;
    for path in [
        "/desk?lang=ar",
        "/desk/windows/new?lang=ar",
        "/desk/incidents/new?lang=ar",
        "/desk/statements/new?lang=ar",
        "/desk/reports?lang=ar",
    ] {
        let size = gzipped(path).await;
        let mut d = Desk {
            app: &app,
            cookies: desk.cookies.clone(),
            ip: desk.ip.clone(),
        };
        let page = d.get(path).await.body;
        assert!(!page.contains("<script"), "{path}");
        assert_eq!(
            stylesheet(&page),
            stylesheet(&home),
            "{path}: the one stylesheet"
        );
        assert!(size <= 40 * 1024, "{path} weighs {size} bytes gzipped");
        eprintln!("{path}: {size} bytes gzipped (/ is {public})");
    }
}
