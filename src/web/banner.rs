//! While writes fail, every page says that the record is not being written: pages keep
//! serving from memory, and the banner is added as they leave, so no cached page has to be
//! rendered again for it to appear or go.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

use super::ops::write_verdict;
use super::AppState;
use crate::domain::Lang;
use crate::i18n::Msg;
use crate::store::health::Verdict;

/// Pages are a few tens of kilobytes; anything larger is passed on untouched.
const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

pub async fn storage_banner(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !is_html || write_verdict(&state) == Verdict::Writing {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PAGE_BYTES).await else {
        return Response::from_parts(parts, Body::empty());
    };
    match std::str::from_utf8(&bytes).ok().and_then(with_banner) {
        Some(html) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(html))
        }
        None => Response::from_parts(parts, Body::from(bytes)),
    }
}

/// `html` with the banner before its `<main>`, in the page's own language; `None` when
/// the page has no `<main>`.
fn with_banner(html: &str) -> Option<String> {
    let at = html.find("<main")?;
    let lang = html
        .find("<html lang=\"")
        .and_then(|i| html.get(i + 12..i + 14))
        .and_then(|code| code.parse::<Lang>().ok())
        .unwrap_or_default();
    let text = Msg::new("banner-not-recording").text(lang);
    let mut out = String::with_capacity(html.len() + text.len() + 64);
    out.push_str(&html[..at]);
    out.push_str("<div class=\"banner storage\" role=\"alert\"><p>");
    out.push_str(&escape(&text));
    out.push_str("</p></div>\n");
    out.push_str(&html[at..]);
    Some(out)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banner_goes_before_main_in_the_pages_language() {
        let html = "<!doctype html>\n<html lang=\"fr\" dir=\"ltr\"><body><main>x</main>";
        let out = with_banner(html).expect("a page with main");
        let banner = out.find("role=\"alert\"").expect("banner");
        assert!(banner < out.find("<main").expect("main"));
        assert!(out.contains("Rien n’est enregistré"), "{out}");
        assert_eq!(with_banner("<p>no main</p>"), None);
    }
}
