//! Announced maintenance as iCalendar (RFC 5545): one VEVENT per window, times in UTC, a
//! stable UID, and SEQUENCE and STATUS that follow changes and cancellations. Text
//! values are escaped and folded by the writer; line breaks in them are first made one
//! kind and other control characters spaces, and the URL is written as serialised, so
//! nothing an operator types can start a property of its own.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use icalendar::{Alarm, Calendar, Component, Event, EventLike, EventStatus};

use super::cache::Rendered;
use super::error::AppError;
use super::feeds::{subscription, SubscriptionQuery};
use super::AppState;
use crate::domain::{one_kind_of_break, web_url};
use crate::i18n::{channel_name, local_time, text};
use crate::store::WindowFilter;

async fn render(
    state: &AppState,
    bank: Option<&str>,
    q: &SubscriptionQuery,
    base: &str,
) -> Result<Rendered, AppError> {
    let lang = q.lang;
    let tz = state.config.timezone;
    let t = text(lang);
    let windows = state
        .store
        .windows(&WindowFilter {
            bank: bank.map(str::to_owned),
            open_only: false,
            ended_after: None,
            limit: 5000,
            ..Default::default()
        })
        .await?;
    let mut cal = Calendar::new();
    let name = match bank.and_then(|b| state.config.bank(b)) {
        Some(b) => format!("{} · {}", b.names.get(lang), t.maintenance_title),
        None => format!("{} · {}", t.site_title, t.maintenance_title),
    };
    cal.name(&one_kind_of_break(&name));
    // Calendar apps poll as often as they are told; windows change rarely.
    cal.ttl(&chrono::Duration::hours(1));
    let mut newest = None;
    for w in windows
        .iter()
        .filter(|w| q.channels.is_empty() || w.channels.iter().any(|c| q.channels.contains(c)))
    {
        let bank_name = state
            .config
            .bank(&w.bank)
            .map_or(w.bank.as_str(), |b| b.names.get(lang));
        let source = w.source.as_deref().and_then(web_url);
        let title = one_kind_of_break(&format!("{bank_name}: {}", w.title.get(lang)));
        let channels: Vec<&str> = w.channels.iter().map(|c| channel_name(*c, lang)).collect();
        let mut description = format!(
            "{}\n{}: {}\n{} {} {} {} ({})",
            w.title.get(lang),
            t.affected,
            crate::i18n::list(&channels, lang),
            t.window_from,
            local_time(w.starts, tz, lang),
            t.window_to,
            local_time(w.ends, tz, lang),
            crate::i18n::zone_name(tz, lang)
        );
        if let Some(src) = &source {
            description.push_str(&format!("\n{}: {src}", t.announcement));
        }
        description.push_str(&format!("\n{base}/incidents/{}", w.incident_id));
        let mut event = Event::new();
        event
            .uid(&format!("maintenance-{}@bankstatus", w.incident_id))
            .summary(&title)
            .description(&one_kind_of_break(&description))
            .starts(w.starts)
            .ends(w.ends)
            .timestamp(w.updated_at)
            .last_modified(w.updated_at)
            .sequence(u32::try_from(w.sequence).unwrap_or(0))
            .status(if w.cancelled_at.is_some() {
                EventStatus::Cancelled
            } else {
                EventStatus::Confirmed
            });
        if let Some(src) = &source {
            event.url(src);
        }
        if w.cancelled_at.is_none() {
            // An hour's notice before the bank stops.
            event.alarm(Alarm::display(&title, -chrono::Duration::hours(1)));
        }
        cal.push(event.done());
        newest = newest.max(Some(w.updated_at));
    }
    Ok(Rendered::new(cal.done().to_string(), newest))
}

async fn serve(
    state: AppState,
    bank: Option<String>,
    raw: Option<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (q, base) = subscription(&state, bank.as_deref(), raw.as_deref(), &headers)?;
    let key = format!("ics|{}|{}", bank.as_deref().unwrap_or(""), q.canonical());
    let rendered = state
        .feeds
        .get_or_render_for(&base, &key, state.live.generation(), || {
            render(&state, bank.as_deref(), &q, &base)
        })
        .await?;
    Ok(rendered.respond(&headers, "text/calendar; charset=utf-8", 300))
}

pub async fn all(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    serve(state, None, q, headers).await
}

pub async fn bank(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    serve(state, Some(slug), q, headers).await
}
