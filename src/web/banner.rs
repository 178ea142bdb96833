//! What pages say of the service itself, added as they leave so that no cached page has to
//! be rendered again for it to appear, move or go: while writes fail, that the record is
//! not being written; on every public page, when its data was checked (`freshness.rs`),
//! a notice once that is too old, and the reload a reader asked for.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Duration;

use super::error::AppError;
use super::freshness::{self, Freshness};
use super::markup::escape;
use super::ops::write_verdict;
use super::AppState;
use crate::domain::Lang;
use crate::i18n::Msg;
use crate::store::health::Verdict;

/// Pages are a few tens of kilobytes; anything larger is passed on untouched.
const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// What a request asks of the page it gets.
struct Asked {
    path: String,
    query: Option<String>,
    refresh: Option<u32>,
    /// A page of the public site, not the operator's desk.
    public: bool,
}

pub async fn page_notices(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let public = matches!(*req.method(), Method::GET | Method::HEAD) && !path.starts_with("/desk");
    let refresh = match freshness::asked_refresh(query.as_deref()) {
        Ok(r) if public => r,
        Ok(_) => None,
        Err(msg) => {
            let lang = super::pages::page_lang(&state, query.as_deref(), req.headers())
                .map_or(state.config.default_language, |(l, _)| l);
            return AppError::BadRequest(msg).page(lang).into_response();
        }
    };
    let asked = Asked {
        path,
        query,
        refresh,
        public,
    };
    let res = next.run(req).await;
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let failing = write_verdict(&state) != Verdict::Writing;
    let page = asked.public && res.status() == StatusCode::OK;
    if !is_html || (!failing && !page) {
        return res;
    }
    let fresh = if page {
        judge(&state, &asked.path)
    } else {
        None
    };
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PAGE_BYTES).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let Some(html) = std::str::from_utf8(&bytes).ok() else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let lang = page_language(html);
    let mut before_main = String::new();
    if failing {
        before_main.push_str(&storage_banner(lang));
    }
    let tz = state.config.timezone;
    if let Some(f) = &fresh {
        let offer = !asked.path.starts_with("/embed");
        let said = freshness::say(
            f,
            asked.refresh,
            (&asked.path, asked.query.as_deref()),
            offer,
            tz,
            lang,
        );
        // While writes fail, the storage notice already says the page may be out of date.
        if !failing {
            before_main.push_str(&said.notice.unwrap_or_default());
        }
        before_main.push_str(&said.line);
    }
    // The reload goes in the `Refresh` header, which browsers obey as they would a
    // `<meta http-equiv>`: a meta refresh under 20 hours reads to checkers (axe-core's
    // `meta-refresh`) as a page that moves by itself, and cannot show that the reader asked.
    if let Some(n) = asked.refresh.filter(|_| page) {
        parts.headers.insert(header::REFRESH, n.into());
    }
    match with_notices(html, &before_main) {
        Some(html) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(html))
        }
        None => Response::from_parts(parts, Body::from(bytes)),
    }
}

/// The freshness of what the page at `path` speaks of: one bank's probes on its pages,
/// every bank's elsewhere.
fn judge(state: &AppState, path: &str) -> Option<Freshness> {
    let bank = path
        .strip_prefix("/banks/")
        .or_else(|| path.strip_prefix("/embed/banks/"))
        .map(|rest| rest.split('/').next().unwrap_or(rest));
    let probes = state
        .config
        .banks
        .iter()
        .filter(|b| bank.is_none_or(|s| b.slug == s))
        .flat_map(|b| b.probes.iter())
        .map(|p| {
            (
                Duration::from_std(p.interval).unwrap_or(Duration::MAX),
                state.live.last_check_at(&p.id),
            )
        });
    freshness::judge(probes, state.started_at, state.clock.now())
}

/// The page's own language, from its `<html lang>`.
fn page_language(html: &str) -> Lang {
    html.find("<html lang=\"")
        .and_then(|i| html.get(i + 12..i + 14))
        .and_then(|code| code.parse::<Lang>().ok())
        .unwrap_or_default()
}

/// While writes fail the page may be out of date too: the same notice, with that reason.
fn storage_banner(lang: Lang) -> String {
    format!(
        "<div class=\"banner storage\" role=\"alert\"><strong>{}</strong><p>{}</p></div>\n",
        escape(&Msg::new("fresh-stale-title").text(lang)),
        escape(&Msg::new("banner-not-recording").text(lang))
    )
}

/// `html` with `before_main` before its `<main>`; `None` when the page has no `<main>`.
fn with_notices(html: &str, before_main: &str) -> Option<String> {
    let main = html.find("<main")?;
    let mut out = String::with_capacity(html.len() + before_main.len());
    out.push_str(&html[..main]);
    out.push_str(before_main);
    out.push_str(&html[main..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_go_before_main() {
        let html = "<!doctype html>\n<html lang=\"fr\" dir=\"ltr\"><head><title>t</title></head><body><main>x</main>";
        let lang = page_language(html);
        assert_eq!(lang, Lang::Fr);
        let banner = storage_banner(lang);
        assert!(banner.contains("Rien n’est enregistré"), "{banner}");
        let out = with_notices(html, &banner).expect("a page with main");
        let at = out.find("role=\"alert\"").expect("banner");
        assert!(at < out.find("<main").expect("main"));
        assert!(out.find("</head>").expect("head") < at);
        assert_eq!(with_notices("<p>no main</p>", "x"), None);
    }
}
