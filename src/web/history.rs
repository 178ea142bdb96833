//! `/history`: past outages, maintenance and advisories, newest first, filtered by bank,
//! channel, kind and month, a page at a time. Plain links and a GET form: no script.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};

use super::error::{AppError, PageError};
use super::input::{bounded_query, cursor_of, known_bank, parse_cursor, parse_value};
use super::pages::{bank_namer, html, page_lang};
use super::views::{HistoryPage, IncidentCard, Layout, SelectOption};
use super::AppState;
use crate::domain::{Channel, IncidentKind, Lang};
use crate::i18n::{term, text};
use crate::record::Month;
use crate::store::IncidentFilter;

/// Incidents per page.
const PAGE: u32 = 30;

/// The filters of one history page, as given in the query.
#[derive(Default)]
struct Filters {
    bank: Option<String>,
    channel: Option<Channel>,
    kind: Option<IncidentKind>,
    month: Option<Month>,
    before: Option<(DateTime<Utc>, i64)>,
}

impl Filters {
    fn parse(state: &AppState, query: Option<&str>) -> Result<Filters, AppError> {
        let raw = bounded_query(query)?;
        let mut f = Filters::default();
        // An empty value is the form's "all".
        for (k, v) in form_urlencoded::parse(raw.as_bytes()).filter(|(_, v)| !v.is_empty()) {
            match k.as_ref() {
                "bank" => {
                    known_bank(&state.config, &v)?;
                    f.bank = Some(v.into_owned());
                }
                "channel" => f.channel = Some(parse_value("channel", &v)?),
                "kind" => f.kind = Some(parse_value("kind", &v)?),
                "month" => f.month = Some(Month::parse(&v).map_err(AppError::BadRequest)?),
                "before" => f.before = Some(parse_cursor("before", &v)?),
                _ => {}
            }
        }
        Ok(f)
    }

    /// The query of these filters, for links that keep them.
    fn query(&self, lang: Lang) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if let Some(b) = &self.bank {
            q.append_pair("bank", b);
        }
        if let Some(c) = self.channel {
            q.append_pair("channel", c.as_str());
        }
        if let Some(k) = self.kind {
            q.append_pair("kind", k.as_str());
        }
        if let Some(m) = self.month {
            q.append_pair("month", &m.to_string());
        }
        q.append_pair("lang", lang.as_str());
        q.finish()
    }

    fn is_filtered(&self) -> bool {
        self.bank.is_some() || self.channel.is_some() || self.kind.is_some() || self.month.is_some()
    }
}

pub async fn history(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (lang, set_cookie) = page_lang(&state, q.as_deref(), &headers)?;
    let filters = Filters::parse(&state, q.as_deref()).map_err(|e| e.page(lang))?;
    let make = || async { render(&state, &filters, lang).await.map(Bytes::from) };
    // First pages are what people open; later pages and months are rendered on request, so
    // arbitrary cursors and months cannot push the other pages out of the cache.
    let body = if filters.before.is_some() || filters.month.is_some() {
        make().await
    } else {
        let key = format!("history|{}", filters.query(lang));
        state
            .pages
            .get_or_render(key, state.live.generation(), make)
            .await
    }
    .map_err(|e| e.page(lang))?;
    Ok(html(body, lang, set_cookie))
}

async fn render(state: &AppState, f: &Filters, lang: Lang) -> Result<String, AppError> {
    let tz = state.config.timezone;
    let now = state.clock.now();
    let (since, until) = match f.month {
        Some(m) => {
            let (from, to) = m.bounds(tz);
            (Some(from), to.min(now))
        }
        // What has not begun yet (a window announced for next week) is not history.
        None => (None, now),
    };
    let mut rows = state
        .store
        .incidents(&IncidentFilter {
            bank: f.bank.clone(),
            channel: f.channel,
            kind: f.kind,
            since,
            until: Some(until),
            before: f.before,
            // The record lists false alarms too, as withdrawn, with the reason.
            include_withdrawn: true,
            limit: PAGE + 1,
            ..Default::default()
        })
        .await?;
    let older = (rows.len() > PAGE as usize).then(|| {
        rows.truncate(PAGE as usize);
        rows.last().map(|r| {
            format!(
                "/history?{}&before={}",
                f.query(lang),
                cursor_of(r.started_at, r.id)
            )
        })
    });
    let t = text(lang);
    let namer = bank_namer(state, lang);
    let page = HistoryPage {
        l: Layout::new(
            lang,
            format!("{} · {}", t.nav_history, t.site_title),
            "/history",
            tz,
            state.live.snapshot().network_cut_since,
        ),
        banks: SelectOption::banks(&state.config.banks, lang, f.bank.as_deref()),
        channels: SelectOption::channels(lang, f.channel),
        kinds: [
            IncidentKind::Outage,
            IncidentKind::Maintenance,
            IncidentKind::Advisory,
        ]
        .iter()
        .map(|k| SelectOption {
            value: k.as_str().to_owned(),
            label: term(k.as_str(), lang).to_owned(),
            selected: f.kind == Some(*k),
        })
        .collect(),
        month: f.month.map(|m| m.to_string()).unwrap_or_default(),
        incidents: rows
            .iter()
            .map(|r| IncidentCard::new(r, lang, tz, now, &namer))
            .collect(),
        older: older.flatten(),
        filtered: f.is_filtered(),
    };
    Ok(page.render()?)
}
