//! The pages for people: `/`, `/banks/{slug}`, `/incidents/{id}`, one module each.
//! Rendered on change and served from memory.

mod bank;
mod crowd;
pub mod embed;
mod home;
mod incident;
pub mod methodology;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::error::{AppError, PageError};
use super::input::{known_bank, query_param};
use super::lang::{negotiate, COOKIE};
use super::AppState;
use crate::domain::Lang;
use crate::i18n::Msg;
use crate::record::evidence::gather;

pub fn page_lang(
    state: &AppState,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<(Lang, bool), PageError> {
    negotiate(
        query_param(query, "lang").as_deref(),
        headers,
        state.config.default_language,
    )
    .map_err(|e| e.page(state.config.default_language))
}

/// An HTML answer with a short cache lifetime; sets the language cookie on an explicit choice.
pub fn html(body: Bytes, lang: Lang, set_cookie: bool) -> Response {
    let mut res = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=10"),
            ),
            (
                header::VARY,
                // Accept-Encoding first: the compression layer looks for it there before
                // adding its own, and finds it at once.
                HeaderValue::from_static("Accept-Encoding, Accept-Language, Cookie"),
            ),
            (
                header::CONTENT_LANGUAGE,
                HeaderValue::from_static(lang.as_str()),
            ),
        ],
        body,
    )
        .into_response();
    if set_cookie {
        let cookie = format!(
            "{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            lang.as_str()
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    res
}

pub fn bank_namer(state: &AppState, lang: Lang) -> impl Fn(&str) -> String + '_ {
    move |slug| {
        state
            .config
            .bank(slug)
            .map_or_else(|| slug.to_owned(), |b| b.names.get(lang).to_owned())
    }
}

pub async fn home(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (lang, set_cookie) = page_lang(&state, q.as_deref(), &headers)?;
    let key = format!("home|{}", lang.as_str());
    let body = state
        .pages
        .get_or_render(key, state.live.generation(), || async {
            home::render(&state, lang).await.map(Bytes::from)
        })
        .await
        .map_err(|e| e.page(lang))?;
    Ok(html(body, lang, set_cookie))
}

pub async fn bank(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (lang, set_cookie) = page_lang(&state, q.as_deref(), &headers)?;
    known_bank(&state.config, &slug).map_err(|e| e.page(lang))?;
    // The embed snippet names the address the page was asked at: one rendering per host,
    // as a bounded variant, so a client naming a new host on every request cannot empty
    // the cache for everyone.
    let base = crate::web::feeds::base_url(&state, &headers);
    let key = format!("bank|{slug}|{}", lang.as_str());
    let body = state
        .pages
        .get_or_render_for(&base, &key, state.live.generation(), || async {
            bank::render(&state, &slug, lang, &base)
                .await
                .map(Bytes::from)
        })
        .await
        .map_err(|e| e.page(lang))?;
    let mut res = html(body, lang, set_cookie);
    // The page's report buttons count a browser of its own from when it was first shown;
    // a shared cache must not hand one browser's token to others.
    if let Some(v) = crate::web::reports::fresh_browser_cookie(&state, &headers) {
        res.headers_mut().append(header::SET_COOKIE, v);
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=10"),
        );
    }
    Ok(res)
}

/// `/accessibility`: the accessibility statement, in the reader's language.
pub async fn accessibility(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    use askama::Template;
    let (lang, set_cookie) = page_lang(&state, q.as_deref(), &headers)?;
    let t = crate::i18n::text(lang);
    let page = crate::web::views::AccessibilityPage {
        l: crate::web::views::Layout::new(
            lang,
            format!("{} · {}", t.a11y_title, t.site_title),
            "/accessibility",
            state.config.timezone,
            state.live.snapshot().network_cut_since,
        ),
    };
    let body = page.render().map_err(|e| AppError::from(e).page(lang))?;
    Ok(html(Bytes::from(body), lang, set_cookie))
}

/// `/embed`: every bank, for another site to frame.
pub async fn embed_all(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    embed_page(state, None, q, headers).await
}

/// `/embed/banks/{slug}`: one bank, for another site to frame.
pub async fn embed_bank(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    embed_page(state, Some(slug), q, headers).await
}

async fn embed_page(
    state: AppState,
    slug: Option<String>,
    q: Option<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (lang, _) = page_lang(&state, q.as_deref(), &headers)?;
    if let Some(s) = &slug {
        known_bank(&state.config, s).map_err(|e| e.page(lang))?;
    }
    let base = state.config.public_url.clone().unwrap_or_default();
    let key = format!("embed|{}|{}", slug.as_deref().unwrap_or(""), lang.as_str());
    let body = state
        .pages
        .get_or_render(key, state.live.generation(), || async {
            embed::render(&state, slug.as_deref(), lang, &base)
                .await
                .map(Bytes::from)
        })
        .await
        .map_err(|e| e.page(lang))?;
    let mut res = html(body, lang, false);
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(embed::EMBED_CSP),
    );
    Ok(res)
}

pub async fn incident(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (lang, set_cookie) = page_lang(&state, q.as_deref(), &headers)?;
    let Ok(id) = id.parse::<i64>() else {
        return Err(AppError::NotFound(Msg::new("err-no-incident").arg("id", id)).page(lang));
    };
    let as_json = match query_param(q.as_deref(), "format").as_deref() {
        None | Some("html") => false,
        Some("json") => true,
        Some(other) => {
            return Err(AppError::BadRequest(
                Msg::new("err-invalid-value")
                    .arg("field", "format")
                    .arg("value", other)
                    .arg("allowed", "html, json"),
            )
            .page(lang))
        }
    };
    let checkpoint = state.log.checkpoint();
    // A new checkpoint changes what the page says of its place in the log.
    let key = format!(
        "incident|{id}|{}|{}",
        if as_json { "json" } else { lang.as_str() },
        checkpoint.as_ref().map_or(0, |c| c.size)
    );
    let body = state
        .pages
        .get_or_render(key, state.live.generation(), || async {
            let now = state.clock.now();
            let Some((row, evidence)) = gather(&state.store, &state.config, id, now).await? else {
                return Err(AppError::NotFound(
                    Msg::new("err-no-incident").arg("id", id),
                ));
            };
            if as_json {
                return serde_json::to_value(&evidence)
                    .map(|mut v| {
                        in_zone(&mut v, state.config.timezone);
                        Bytes::from(v.to_string())
                    })
                    .map_err(|e| AppError::Internal(format!("evidence JSON: {e}")));
            }
            let in_log = match checkpoint {
                Some(c) => Some(crate::log::proofs::incident_log(&state.store, c, id).await?),
                None => None,
            };
            incident::render(&state, &row, &evidence, in_log.as_ref(), lang, now).map(Bytes::from)
        })
        .await;
    match (body, as_json) {
        (Ok(body), false) => Ok(html(body, lang, set_cookie)),
        (Ok(body), true) => Ok((
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response()),
        (Err(e), false) => Err(e.page(lang)),
        (Err(e), true) => Ok(e.into_response()),
    }
}

/// `GET /incidents/{id}/evidence.json`: the evidence pack, to keep and check offline.
pub async fn evidence_pack(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let not_found = || AppError::NotFound(Msg::new("err-no-incident").arg("id", &id));
    let n: i64 = id.parse().map_err(|_| not_found())?;
    let checkpoint = state.log.checkpoint();
    let key = format!("evidence|{n}|{}", checkpoint.as_ref().map_or(0, |c| c.size));
    let body = state
        .pages
        .get_or_render(key, state.live.generation(), || async {
            let now = state.clock.now();
            let (_, evidence) = gather(&state.store, &state.config, n, now)
                .await?
                .ok_or_else(not_found)?;
            let mut incident = serde_json::to_value(&evidence)
                .map_err(|e| AppError::Internal(format!("evidence JSON: {e}")))?;
            in_zone(&mut incident, state.config.timezone);
            let log = match checkpoint {
                Some(c) => {
                    let log = crate::log::proofs::incident_log(&state.store, c, n).await?;
                    Some(crate::log::pack::PackLog::new(
                        state.log.origin(),
                        state.log.verifier_key(),
                        &log,
                    ))
                }
                None => None,
            };
            let pack = crate::log::pack::EvidencePack {
                format: crate::log::pack::FORMAT.to_owned(),
                incident,
                log,
            };
            serde_json::to_vec_pretty(&pack)
                .map(Bytes::from)
                .map_err(|e| AppError::Internal(format!("evidence pack: {e}")))
        })
        .await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!(
                    "inline; filename=\"bankstatus-incident-{n}-evidence.json\""
                ))
                .unwrap_or_else(|_| HeaderValue::from_static("inline")),
            ),
        ],
        body,
    )
        .into_response())
}

/// Writes every UTC instant of a JSON document with the zone's offset, as `/api/v1` does, so
/// one incident reads the same in both. Only whole RFC 3339 values in UTC are touched.
pub(crate) fn in_zone(v: &mut serde_json::Value, tz: chrono_tz::Tz) {
    match v {
        serde_json::Value::String(s) if s.ends_with('Z') => {
            if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
                *s = t.with_timezone(&tz).to_rfc3339();
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|i| in_zone(i, tz)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|i| in_zone(i, tz)),
        _ => {}
    }
}

/// A bank's status in one sentence, for link previews: each channel in trouble with its
/// state and since when, or that every channel works.
pub fn preview(
    name: &str,
    now: Option<&crate::signals::live::BankNow>,
    tz: chrono_tz::Tz,
    lang: Lang,
) -> String {
    use crate::domain::Status;
    use crate::i18n::Arg;
    let Some(b) = now else {
        return Msg::new("preview-unknown").arg("bank", name).text(lang);
    };
    // Mid-sentence, a status reads in lower case where the language has case.
    let status_words = |status: Status| {
        let name = crate::i18n::status_name(status, lang);
        let mut chars = name.chars();
        match chars.next() {
            Some(first) if !lang.is_rtl() => first.to_lowercase().chain(chars).collect(),
            _ => name.to_owned(),
        }
    };
    let trouble: Vec<String> = b
        .channels
        .iter()
        .filter(|c| !matches!(c.status, Status::Operational | Status::Unknown))
        .map(|c| {
            let words = Msg::new("preview-channel")
                .with("channel", Arg::Channel(c.channel))
                .arg("status", status_words(c.status));
            match c.since {
                Some(t) => Msg::new("preview-channel-since")
                    .with("channel", Arg::Channel(c.channel))
                    .arg("status", status_words(c.status))
                    .arg("time", t.with_timezone(&tz).format("%H:%M"))
                    .text(lang),
                None => words.text(lang),
            }
        })
        .collect();
    if !trouble.is_empty() {
        return Msg::new("preview-bank-trouble")
            .arg("bank", name)
            .arg("channels", crate::i18n::list(&trouble, lang))
            .text(lang);
    }
    let refused = b
        .channels
        .iter()
        .any(|c| c.failing == Some(crate::domain::ErrorClass::Blocked));
    let id = match b.status {
        Status::Unknown if refused => "preview-refused",
        Status::Unknown => "preview-unknown",
        _ => "preview-all-ok",
    };
    Msg::new(id).arg("bank", name).text(lang)
}

/// Until when a channel in trouble is expected back: the announced end of its window, the
/// return the bank promised in a statement (`promise`, said as the bank's, and how late once
/// past), the bank's own `Retry-After`, or plainly that there is no estimate yet.
pub fn until_words(
    c: &crate::signals::live::ChannelNow,
    windows: &[crate::store::WindowRow],
    promise: Option<chrono::DateTime<chrono::Utc>>,
    tz: chrono_tz::Tz,
    lang: Lang,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<String> {
    use crate::domain::Status;
    use crate::i18n::Arg;
    match c.status {
        Status::Maintenance => {
            let ends = windows
                .iter()
                .find(|w| Some(w.incident_id) == c.incident)
                .map(|w| w.ends)?;
            Some(
                Msg::new("until-time")
                    .with("time", Arg::Time(ends, tz))
                    .text(lang),
            )
        }
        Status::MajorOutage | Status::PartialOutage => Some(match (promise, c.retry_after) {
            (Some(promised), _) => {
                super::statements::panel::until_promised(promised, tz, lang, now)
            }
            (None, Some(t)) if t > now => Msg::new("until-retry")
                .with("time", Arg::Time(t, tz))
                .text(lang),
            _ => Msg::new("until-unknown").text(lang),
        }),
        _ => None,
    }
}
