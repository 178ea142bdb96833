//! The pages for people: `/`, `/banks/{slug}`, `/incidents/{id}`. Rendered on change and
//! served from memory.

use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, DurationRound, Utc};

use super::error::{AppError, PageError};
use super::format::local_time;
use super::lang::{negotiate, COOKIE};
use super::svg::{sparkline, uptime_bars, DayBar};
use super::views::{
    BankCard, BankPage, ChannelChip, ChannelRow, HomePage, IncidentCard, IncidentPage, Layout,
    ProbeRow, StatusBadge, UpdateView,
};
use crate::app::AppState;
use crate::domain::{Lang, Status};
use crate::i18n::{channel_name, term, text};
use crate::store::{Counts, IncidentFilter};

/// The first value of `name` in a query string.
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn page_lang(
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
fn html(body: Bytes, lang: Lang, set_cookie: bool) -> Response {
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
                HeaderValue::from_static("Accept-Language, Cookie"),
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

fn bank_namer(state: &AppState, lang: Lang) -> impl Fn(&str) -> String + '_ {
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
        .get_or_render(key, state.live.generation(), || render_home(&state, lang))
        .await
        .map_err(|e| e.page(lang))?;
    Ok(html(body, lang, set_cookie))
}

async fn render_home(state: &AppState, lang: Lang) -> Result<String, AppError> {
    let tz = state.config.timezone;
    let snapshot = state.live.snapshot();
    let open = state
        .store
        .incidents(&IncidentFilter {
            bank: None,
            open_only: true,
            limit: 100,
        })
        .await?;
    let namer = bank_namer(state, lang);
    let ongoing = open
        .iter()
        .map(|r| IncidentCard::new(r, lang, tz, &namer))
        .collect();
    let mut banks: Vec<BankCard> = state
        .config
        .banks
        .iter()
        .map(|b| {
            let now = snapshot.bank(&b.slug);
            BankCard {
                slug: b.slug.clone(),
                name: b.names.get(lang).to_owned(),
                status: StatusBadge::new(now.map_or(Status::Unknown, |n| n.status), lang),
                channels: now
                    .map(|n| {
                        n.channels
                            .iter()
                            .map(|c| ChannelChip {
                                name: channel_name(c.channel, lang),
                                status: StatusBadge::new(c.status, lang),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    // Banks in trouble first; otherwise the config's order.
    banks.sort_by_key(|b| match b.status.class {
        "major_outage" => 0,
        "partial_outage" => 1,
        "degraded" => 2,
        _ => 3,
    });
    let t = text(lang);
    let page = HomePage {
        l: Layout::new(
            lang,
            t.site_title.to_owned(),
            "/",
            tz,
            snapshot.network_cut_since,
        ),
        ongoing,
        banks,
    };
    Ok(page.render()?)
}

pub async fn bank(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (lang, set_cookie) = page_lang(&state, q.as_deref(), &headers)?;
    if state.config.bank(&slug).is_none() {
        return Err(AppError::NotFound(format!("No bank is called `{slug}`.")).page(lang));
    }
    let key = format!("bank|{slug}|{}", lang.as_str());
    let body = state
        .pages
        .get_or_render(key, state.live.generation(), || {
            render_bank(&state, &slug, lang)
        })
        .await
        .map_err(|e| e.page(lang))?;
    Ok(html(body, lang, set_cookie))
}

/// Days shown by the uptime bars.
const BAR_DAYS: i64 = 90;

async fn render_bank(state: &AppState, slug: &str, lang: Lang) -> Result<String, AppError> {
    let tz = state.config.timezone;
    let t = text(lang);
    let bank = state
        .config
        .bank(slug)
        .ok_or_else(|| AppError::NotFound(format!("No bank is called `{slug}`.")))?;
    let snapshot = state.live.snapshot();
    let now = Utc::now();
    let today = now.with_timezone(&tz).date_naive();
    let first_day = today - Duration::days(BAR_DAYS - 1);
    let daily = state.store.daily_rollups(slug, first_day).await?;
    let first_hour = now.duration_trunc(Duration::hours(1)).unwrap_or(now) - Duration::hours(23);
    let hourly = state.store.hourly_rollups(slug, first_hour).await?;
    let incidents = state
        .store
        .incidents(&IncidentFilter {
            bank: Some(slug.to_owned()),
            open_only: false,
            limit: 20,
        })
        .await?;

    let bank_now = snapshot.bank(slug);
    let mut channels = Vec::new();
    for channel in bank.probed_channels() {
        let now_c = bank_now.and_then(|b| b.channels.iter().find(|c| c.channel == channel));
        let status = now_c.map_or(Status::Unknown, |c| c.status);
        let by_day: HashMap<_, &Counts> = daily
            .iter()
            .filter(|d| d.channel == channel.as_str())
            .map(|d| (d.day, &d.counts))
            .collect();
        let mut total = Counts::default();
        let bars: Vec<DayBar> = (0..BAR_DAYS)
            .map(|i| {
                let day = first_day + Duration::days(i);
                let counts = by_day.get(&day);
                if let Some(c) = counts {
                    total.add(c);
                }
                DayBar {
                    day,
                    availability: counts.and_then(|c| c.availability()),
                }
            })
            .collect();
        let by_hour: HashMap<_, &Counts> = hourly
            .iter()
            .filter(|h| h.channel == channel.as_str())
            .map(|h| (h.hour, &h.counts))
            .collect();
        let mut day_latency = Counts::default();
        let points: Vec<Option<i64>> = (0..24)
            .map(|i| {
                let c = by_hour.get(&(first_hour + Duration::hours(i)));
                if let Some(c) = c {
                    day_latency.add(c);
                }
                c.and_then(|c| c.mean_latency_ms())
            })
            .collect();
        let name = channel_name(channel, lang);
        channels.push(ChannelRow {
            name,
            status: StatusBadge::new(status, lang),
            since: now_c.and_then(|c| c.since).map(|s| local_time(s, tz)),
            incident: now_c.and_then(|c| c.incident),
            bars: uptime_bars(
                &bars,
                lang.is_rtl(),
                t.no_data,
                &format!("{name}: {}", t.last_90_days),
            ),
            availability: total
                .availability()
                .map_or_else(|| t.no_data.to_owned(), |a| format!("{:.2} %", a * 100.0)),
            sparkline: sparkline(
                &points,
                lang.is_rtl(),
                &format!("{name}: {}", t.response_time_24h),
            ),
            mean_latency: day_latency.mean_latency_ms(),
            probes: bank
                .probes
                .iter()
                .filter(|p| p.channel() == Some(channel))
                .map(|p| {
                    let last = state.live.last_check(&p.id);
                    ProbeRow {
                        url: p.url.clone(),
                        failing: last.as_ref().is_some_and(|c| c.outcome == "down"),
                        last: last.map_or_else(
                            || t.not_checked_yet.to_owned(),
                            |c| {
                                let what = match (c.http_status, c.error_class) {
                                    (_, Some(class)) => format!(
                                        "{class}{}",
                                        c.http_status.map(|s| format!(" {s}")).unwrap_or_default()
                                    ),
                                    (Some(s), None) => format!("HTTP {s}"),
                                    (None, None) => c.outcome.to_owned(),
                                };
                                format!(
                                    "{} · {what} · {} {}",
                                    local_time(c.at, tz),
                                    c.latency_ms,
                                    t.ms
                                )
                            },
                        ),
                    }
                })
                .collect(),
        });
    }
    let namer = bank_namer(state, lang);
    let name = bank.names.get(lang).to_owned();
    let page = BankPage {
        l: Layout::new(
            lang,
            format!("{name} · {}", t.site_title),
            &format!("/banks/{slug}"),
            tz,
            snapshot.network_cut_since,
        ),
        name,
        website: bank.website.clone(),
        status: StatusBadge::new(bank_now.map_or(Status::Unknown, |b| b.status), lang),
        channels,
        incidents: incidents
            .iter()
            .map(|r| IncidentCard::new(r, lang, tz, &namer))
            .collect(),
    };
    Ok(page.render()?)
}

pub async fn incident(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (lang, set_cookie) = page_lang(&state, q.as_deref(), &headers)?;
    let Ok(id) = id.parse::<i64>() else {
        return Err(AppError::NotFound(format!("No incident has the id `{id}`.")).page(lang));
    };
    let key = format!("incident|{id}|{}", lang.as_str());
    let body = state
        .pages
        .get_or_render(key, state.live.generation(), || {
            render_incident(&state, id, lang)
        })
        .await
        .map_err(|e| e.page(lang))?;
    Ok(html(body, lang, set_cookie))
}

async fn render_incident(state: &AppState, id: i64, lang: Lang) -> Result<String, AppError> {
    let tz = state.config.timezone;
    let Some((row, updates)) = state.store.incident(id).await? else {
        return Err(AppError::NotFound(format!("No incident has the id {id}.")));
    };
    let namer = bank_namer(state, lang);
    let inc = IncidentCard::new(&row, lang, tz, &namer);
    let page = IncidentPage {
        l: Layout::new(
            lang,
            format!("{} · {}", inc.title, text(lang).site_title),
            &format!("/incidents/{id}"),
            tz,
            state.live.snapshot().network_cut_since,
        ),
        sources: row
            .sources
            .iter()
            .map(|s| term(s, lang).to_owned())
            .collect(),
        updates: updates
            .iter()
            .rev()
            .map(|u| UpdateView {
                at: local_time(u.at, tz),
                state_label: term(&u.state, lang).to_owned(),
                source_label: term(&u.source, lang).to_owned(),
                message: u.message.get(lang).to_owned(),
            })
            .collect(),
        inc,
    };
    Ok(page.render()?)
}
