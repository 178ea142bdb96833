//! What pages say of the service itself, added as they leave so that no cached page has to
//! be rendered again for it to appear, move or go: while writes fail, that the record is
//! not being written; on every public page, when its data was checked (`freshness.rs`),
//! a notice once that is too old, and the reload a reader asked for.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use chrono::Duration;
use chrono_tz::Tz;

use super::error::{AppError, PageError};
use super::finished::Finished;
use super::freshness::{self, Freshness, Probed};
use super::markup::escape;
use super::ops::write_verdict;
use super::AppState;
use crate::domain::Lang;
use crate::i18n::Msg;
use crate::store::health::Verdict;

/// Pages are a few tens of kilobytes; anything larger is passed on untouched.
const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// What a page's notices are made of: two answers with the same rendering and the same
/// notices are the same bytes (`finished.rs`).
#[derive(PartialEq, Eq, Hash)]
pub struct Notices {
    path: String,
    query: Option<String>,
    /// The reload the reader asked for.
    refresh: Option<u32>,
    /// A page of the public site, answered 200: it says how fresh it is.
    page: bool,
    fresh: Option<Freshness>,
    /// Writes fail: the storage notice.
    failing: bool,
}

/// What a request asks of the page it gets, read before it is answered.
pub struct Asked {
    path: String,
    query: Option<String>,
    refresh: Option<u32>,
    /// A page of the public site, not the operator's desk.
    public: bool,
    /// The reader takes gzip, as the compression layer would choose it.
    gzip: bool,
}

/// What `req` asks of its page; a page of its own (400) for a reload outside the bounds.
pub fn asked(state: &AppState, req: &Request) -> Result<Asked, PageError> {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let public = matches!(*req.method(), Method::GET | Method::HEAD) && !path.starts_with("/desk");
    let refresh = match freshness::asked_refresh(query.as_deref()) {
        Ok(r) if public => r,
        Ok(_) => None,
        Err(msg) => {
            let lang = super::pages::page_lang(state, query.as_deref(), req.headers())
                .map_or(state.config.default_language, |(l, _)| l);
            return Err(AppError::BadRequest(msg).page(lang));
        }
    };
    Ok(Asked {
        path,
        query,
        refresh,
        public,
        gzip: takes_gzip(req.headers()),
    })
}

/// `res` with the notices its page should carry written in.
pub async fn with_page_notices(state: &AppState, asked: Asked, res: Response) -> Response {
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let failing = write_verdict(state) != Verdict::Writing;
    let page = asked.public && res.status() == StatusCode::OK;
    if !is_html || (!failing && !page) {
        return res;
    }
    let fresh = if page {
        judge(state, &asked.path)
    } else {
        None
    };
    let (mut parts, body) = res.into_parts();
    let Ok(source) = axum::body::to_bytes(body, MAX_PAGE_BYTES).await else {
        return Response::from_parts(parts, Body::empty());
    };
    // The reload goes in the `Refresh` header, which browsers obey as they would a
    // `<meta http-equiv>`: a meta refresh under 20 hours reads to checkers (axe-core's
    // `meta-refresh`) as a page that moves by itself, and cannot show that the reader asked.
    if let Some(n) = asked.refresh.filter(|_| page) {
        parts.headers.insert(header::REFRESH, n.into());
    }
    let notices = Notices {
        path: asked.path,
        query: asked.query,
        refresh: asked.refresh,
        page,
        fresh,
        failing,
    };
    let tz = state.config.timezone;
    let made = state
        .notices
        .pages
        .get_or_make(source, notices, |source, notices| {
            finish(source, notices, tz)
        });
    parts.headers.remove(header::CONTENT_LENGTH);
    // Gzipped here, once, rather than by the compression layer for each reader: it leaves
    // an answer already encoded as it is, and so does not say it varies by encoding.
    if let Some(gz) = asked.gzip.then(|| made.gzipped()).flatten() {
        parts
            .headers
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        let said = parts.headers.get_all(header::VARY).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.to_ascii_lowercase().contains("accept-encoding"))
        });
        if !said {
            parts
                .headers
                .append(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        return Response::from_parts(parts, Body::from(gz.clone()));
    }
    Response::from_parts(parts, Body::from(made.page.clone()))
}

/// Whether `Accept-Encoding` has the compression layer choose gzip: gzip (or x-gzip) with a
/// q-value above zero and not below identity's.
fn takes_gzip(headers: &HeaderMap) -> bool {
    let mut gzip = 0;
    let mut identity = 0;
    let codings = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','));
    for coding in codings {
        let mut fields = coding.splitn(2, ';');
        let name = fields.next().unwrap_or("").trim();
        let Some(q) = fields.next().map_or(Some(1000), |q| q_value(q.trim())) else {
            continue;
        };
        if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
            gzip = gzip.max(q);
        } else if name.eq_ignore_ascii_case("identity") {
            identity = identity.max(q);
        }
    }
    gzip > 0 && gzip >= identity
}

/// `q=0.5` as thousandths; `None` for anything RFC 9110 §12.4.2 does not allow.
fn q_value(field: &str) -> Option<u16> {
    let v = field
        .strip_prefix("q=")
        .or_else(|| field.strip_prefix("Q="))?;
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac: u16 = format!("{frac:0<3}").parse().ok()?;
    match whole {
        "0" => Some(frac),
        "1" if frac == 0 => Some(1000),
        _ => None,
    }
}

/// `source` with the notices written before its `<main>`; as it was when it is not UTF-8
/// or has no `<main>`.
fn finish(source: &Bytes, n: &Notices, tz: Tz) -> Bytes {
    let Ok(html) = std::str::from_utf8(source) else {
        return source.clone();
    };
    let lang = page_language(html);
    let mut before_main = String::new();
    if n.failing {
        before_main.push_str(&storage_banner(lang));
    }
    if let Some(f) = &n.fresh {
        let offer = !n.path.starts_with("/embed");
        let said = freshness::say(f, n.refresh, (&n.path, n.query.as_deref()), offer, tz, lang);
        // While writes fail, the storage notice already says the page may be out of date.
        if !n.failing {
            before_main.push_str(&said.notice.unwrap_or_default());
        }
        before_main.push_str(&said.line);
    }
    with_notices(html, &before_main).map_or_else(|| source.clone(), Bytes::from)
}

/// What the notices keep between requests: finished pages, and what the last checks say
/// for each bank's pages (and, under `""`, for the pages of every bank).
#[derive(Default)]
pub struct NoticesKept {
    pages: Finished<Notices>,
    probed: Mutex<HashMap<String, (u64, Option<Probed>)>>,
}

/// The freshness of what the page at `path` speaks of: one bank's probes on its pages,
/// every bank's elsewhere.
fn judge(state: &AppState, path: &str) -> Option<Freshness> {
    let bank = path
        .strip_prefix("/banks/")
        .or_else(|| path.strip_prefix("/embed/banks/"))
        .map(|rest| rest.split('/').next().unwrap_or(rest));
    let (up_since, now) = (state.started_at, state.clock.now());
    // Read before the checks are, so that a check landing meanwhile is judged next time.
    let version = state.live.checks_version();
    let key = bank.unwrap_or("");
    if let Some((v, probed)) = state
        .notices
        .probed
        .lock()
        .ok()
        .and_then(|k| k.get(key).copied())
    {
        if v == version {
            return probed.map(|p| p.at(up_since, now));
        }
    }
    let probes: Vec<_> = state
        .config
        .banks
        .iter()
        .filter(|b| bank.is_none_or(|s| b.slug == s))
        .flat_map(|b| b.probes.iter())
        .collect();
    let last = state
        .live
        .last_checks_at(probes.iter().map(|p| p.id.as_str()));
    let intervals = probes
        .iter()
        .map(|p| Duration::from_std(p.interval).unwrap_or(Duration::MAX));
    let probed = freshness::probed(intervals.zip(last));
    // Only configured banks are kept, so the map holds at most one entry more than them.
    if bank.is_none_or(|s| state.config.bank(s).is_some()) {
        if let Ok(mut kept) = state.notices.probed.lock() {
            kept.insert(key.to_owned(), (version, probed));
        }
    }
    probed.map(|p| p.at(up_since, now))
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
    fn gzip_as_the_compression_layer_would_choose_it() {
        let takes = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, v.parse().expect("header"));
            takes_gzip(&h)
        };
        assert!(takes("gzip, deflate, br"));
        assert!(takes("br;q=1.0, GZIP;q=0.5"));
        assert!(takes("identity, x-gzip"), "a tie goes to gzip");
        assert!(!takes("identity, gzip;q=0.5"));
        assert!(!takes("gzip;q=0"));
        assert!(
            !takes("gzip;q=2, br"),
            "a q-value out of bounds is no q-value"
        );
        assert!(!takes("br, deflate"));
        assert!(!takes_gzip(&HeaderMap::new()));
        assert_eq!(q_value("q=0.25"), Some(250));
        assert_eq!(q_value("q=1.000"), Some(1000));
        assert_eq!(q_value("q=0.1234"), None);
    }

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
