//! The pages for people: `/`, `/banks/{slug}`, `/incidents/{id}`. Rendered on change and
//! served from memory.

use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, DurationRound, Utc};

use super::error::{known_bank, AppError, PageError};
use super::lang::{negotiate, COOKIE};
use super::svg::{report_chart, sparkline, uptime_bars, DayBar};
use super::views::{
    BankCard, BankPage, ChannelChip, ChannelRow, FeedLink, HomePage, IncidentCard, IncidentPage,
    Layout, ProbeRow, ProbesView, RegionCard, ReportsView, StatusBadge, UpdateView, WindowCard,
};
use crate::app::AppState;
use crate::domain::{Lang, Status};
use crate::i18n::Msg;
use crate::i18n::{channel_name, term, text};
use crate::i18n::{duration, duration_minutes, local_time};
use crate::record::evidence::{gather, Evidence};
use crate::store::{Counts, IncidentFilter, IncidentRow, WindowFilter};

/// The first value of `name` in a query string.
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

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
            render_home(&state, lang).await.map(Bytes::from)
        })
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
            ..Default::default()
        })
        .await?;
    let windows = state
        .store
        .windows(&WindowFilter {
            bank: None,
            open_only: true,
            ended_after: None,
            limit: 100,
            ..Default::default()
        })
        .await?;
    let namer = bank_namer(state, lang);
    let ongoing = open
        .iter()
        .filter(|r| r.kind != "maintenance")
        .map(|r| IncidentCard::new(r, lang, tz, &namer))
        .collect();
    let (now_w, upcoming): (Vec<_>, Vec<_>) =
        windows.iter().partition(|w| w.state == "in_progress");
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
        "maintenance" => 3,
        _ => 4,
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
        maintenance_now: now_w
            .into_iter()
            .map(|w| WindowCard::new(w, lang, tz, &namer))
            .collect(),
        maintenance_upcoming: upcoming
            .into_iter()
            .map(|w| WindowCard::new(w, lang, tz, &namer))
            .collect(),
        banks,
        regions: snapshot
            .regions
            .iter()
            .map(|r| RegionCard {
                name: r.name.clone(),
                cut_since: r.cut_since.map(|t| local_time(t, tz, lang)),
            })
            .collect(),
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
    known_bank(&state.config, &slug).map_err(|e| e.page(lang))?;
    let key = format!("bank|{slug}|{}", lang.as_str());
    let body = state
        .pages
        .get_or_render(key, state.live.generation(), || async {
            render_bank(&state, &slug, lang).await.map(Bytes::from)
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
    let bank = known_bank(&state.config, slug)?;
    let snapshot = state.live.snapshot();
    let now = Utc::now();
    let today = now.with_timezone(&tz).date_naive();
    let first_day = today - Duration::days(BAR_DAYS - 1);
    let daily = state.store.daily_rollups(slug, first_day).await?;
    let first_hour = now.duration_trunc(Duration::hours(1)).unwrap_or(now) - Duration::hours(23);
    let hourly = state.store.hourly_rollups(slug, first_hour).await?;
    // Eight days of hourly report counts: today's chart and the same hours on the 7 days before.
    let report_hours = state
        .store
        .report_buckets(
            slug,
            first_hour - Duration::days(7),
            now + Duration::hours(1),
            Duration::hours(1),
        )
        .await?;
    let incidents = state
        .store
        .incidents(&IncidentFilter {
            bank: Some(slug.to_owned()),
            open_only: false,
            limit: 20,
            ..Default::default()
        })
        .await?;
    let windows = state
        .store
        .windows(&WindowFilter {
            bank: Some(slug.to_owned()),
            open_only: false,
            ended_after: Some(now - Duration::days(30)),
            limit: 20,
            ..Default::default()
        })
        .await?;

    let comments = state
        .store
        .recent_comments(slug, now - Duration::hours(24), 10)
        .await?
        .into_iter()
        .filter_map(|r| {
            let channel = channel_name(r.channel.parse().ok()?, lang);
            Some((local_time(r.at, tz, lang), channel, r.comment?))
        })
        .collect();
    let bank_now = snapshot.bank(slug);
    let shown: Vec<_> = match bank_now {
        Some(b) => b.channels.iter().map(|c| c.channel).collect(),
        None => bank.probed_channels(),
    };
    let probed = bank.probed_channels();
    let mut channels = Vec::new();
    for channel in shown {
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
        let reports: HashMap<_, i64> = report_hours
            .iter()
            .filter(|r| r.channel == channel.as_str())
            .map(|r| (r.start, r.reporters))
            .collect();
        let hour = |i: i64| first_hour + Duration::hours(i);
        let counts: Vec<i64> = (0..24)
            .map(|i| reports.get(&hour(i)).copied().unwrap_or(0))
            .collect();
        let usual: Vec<f64> = (0..24)
            .map(|i| {
                let past: i64 = (1..=7)
                    .map(|d| {
                        reports
                            .get(&(hour(i) - Duration::days(d)))
                            .copied()
                            .unwrap_or(0)
                    })
                    .sum();
                past as f64 / 7.0
            })
            .collect();
        let name = channel_name(channel, lang);
        channels.push(ChannelRow {
            slug: channel.as_str(),
            name,
            status: StatusBadge::new(status, lang),
            since: now_c
                .and_then(|c| c.since)
                .map(|s| (local_time(s, tz, lang), duration(s, now, lang))),
            incident: now_c.and_then(|c| c.incident),
            confidence: now_c
                .and_then(|c| c.confidence)
                .map(|c| term(c.as_str(), lang).to_owned()),
            reports_now: now_c
                .filter(|c| c.reports > 0)
                .map(|c| (c.reports, format!("{:.1}", c.baseline))),
            reports_chart: if counts.iter().any(|c| *c > 0) || usual.iter().any(|u| *u > 0.0) {
                report_chart(
                    &counts,
                    &usual,
                    lang.is_rtl(),
                    &format!("{name}: {}", t.reports_24h),
                )
            } else {
                String::new()
            },
            probed: probed.contains(&channel),
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
                .map(|p| probe_row(state, p, lang))
                .collect(),
        });
    }
    let namer = bank_namer(state, lang);
    let name = bank.names.get(lang).to_owned();
    let mut layout = Layout::new(
        lang,
        format!("{name} · {}", t.site_title),
        &format!("/banks/{slug}"),
        tz,
        snapshot.network_cut_since,
    );
    layout
        .feeds
        .extend(FeedLink::pair(&format!("/banks/{slug}"), &name, lang));
    let page = BankPage {
        l: layout,
        slug: slug.to_owned(),
        name,
        website: bank.website.clone(),
        status: StatusBadge::new(bank_now.map_or(Status::Unknown, |b| b.status), lang),
        channels,
        windows: windows
            .iter()
            .rev()
            .map(|w| WindowCard::new(w, lang, tz, &namer))
            .collect(),
        incidents: incidents
            .iter()
            .filter(|r| r.kind != "maintenance")
            .map(|r| IncidentCard::new(r, lang, tz, &namer))
            .collect(),
        window_minutes: state.config.reports.window.as_secs() / 60,
        comments,
    };
    Ok(page.render()?)
}

/// A probe's URL and what its last check found.
fn probe_row(state: &AppState, p: &crate::domain::ProbeSpec, lang: Lang) -> ProbeRow {
    let t = text(lang);
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
                    local_time(c.at, state.config.timezone, lang),
                    c.latency_ms,
                    t.ms
                )
            },
        ),
    }
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
    let key = format!(
        "incident|{id}|{}",
        if as_json { "json" } else { lang.as_str() }
    );
    let body = state
        .pages
        .get_or_render(key, state.live.generation(), || async {
            let Some((row, evidence)) = gather(&state.store, &state.config, id, Utc::now()).await?
            else {
                return Err(AppError::NotFound(
                    Msg::new("err-no-incident").arg("id", id),
                ));
            };
            if as_json {
                return serde_json::to_vec(&evidence)
                    .map(Bytes::from)
                    .map_err(|e| AppError::Internal(format!("evidence JSON: {e}")));
            }
            render_incident(&state, &row, &evidence, lang).map(Bytes::from)
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

fn render_incident(
    state: &AppState,
    row: &IncidentRow,
    ev: &Evidence,
    lang: Lang,
) -> Result<String, AppError> {
    let tz = state.config.timezone;
    let t = text(lang);
    let at = |t: chrono::DateTime<Utc>| local_time(t, tz, lang);
    let namer = bank_namer(state, lang);
    let scope = |bank: &str, channel: &str| {
        let channel = channel
            .parse()
            .map_or_else(|_| channel.to_owned(), |c| channel_name(c, lang).to_owned());
        format!("{} – {channel}", namer(bank))
    };
    let inc = IncidentCard::new(row, lang, tz, &namer);
    let window = ev.window.as_ref().map(|w| WindowCard {
        id: ev.id,
        bank: String::new(),
        title: String::new(),
        channels: String::new(),
        starts: at(w.announced_starts),
        ends: at(w.announced_ends),
        state_label: String::new(),
        source: w.source.clone(),
    });
    let view = |e: &crate::record::evidence::Entry| UpdateView {
        at: at(e.at),
        state_label: term(&e.state, lang).to_owned(),
        source_label: term(&e.source, lang).to_owned(),
        message: e.message.get(lang).to_owned(),
    };
    let permalink = match &state.config.public_url {
        Some(base) => format!("{}{}", base.trim_end_matches('/'), ev.permalink),
        None => ev.permalink.clone(),
    };
    let page = IncidentPage {
        l: Layout::new(
            lang,
            format!("{} · {}", inc.title, t.site_title),
            &ev.permalink,
            tz,
            state.live.snapshot().network_cut_since,
        ),
        sources: ev
            .sources
            .iter()
            .map(|s| (term(&s.source, lang).to_owned(), at(s.first_seen_at)))
            .collect(),
        confidence: ev.confidence.map(|c| term(c, lang).to_owned()),
        window,
        closed_early: ev.window.as_ref().and_then(|w| w.closed_early_at).map(at),
        cancelled: ev.window.as_ref().and_then(|w| w.cancelled_at).map(at),
        overruns: ev
            .window
            .iter()
            .flat_map(|w| &w.overruns)
            .map(|o| (o.incident_id, duration_minutes(o.minutes, lang)))
            .collect(),
        overrun: ev.overrun_of.as_ref().map(|o| {
            (
                o.incident_id,
                at(o.announced_ends),
                duration_minutes(o.minutes, lang),
            )
        }),
        recorded_later: ev.recorded_later_by.as_ref().map(|_| at(ev.recorded_at)),
        probes: ev
            .probes
            .iter()
            .map(|p| ProbesView {
                scope: scope(&p.bank, &p.channel),
                first: p.first_failure.as_ref().map(|f| {
                    let what = match (&f.error_class, f.http_status) {
                        (Some(class), Some(s)) => format!("{class} (HTTP {s})"),
                        (Some(class), None) => class.clone(),
                        (None, Some(s)) => format!("HTTP {s}"),
                        (None, None) => f.detail.clone().unwrap_or_default(),
                    };
                    (at(f.at), what, f.url.clone())
                }),
                failing: format!("{} / {}", p.failing, p.checks),
                last: p.last_failure.map(at),
                purged: !p.raw_results_kept,
            })
            .collect(),
        reports: ev
            .reports
            .iter()
            .map(|r| ReportsView {
                scope: scope(&r.bank, &r.channel),
                reporters: r.reporters,
                first: at(r.first_bucket),
                peak: (r.peak_reporters, r.bucket_minutes, at(r.peak_bucket)),
            })
            .collect(),
        operator: ev.operator.iter().map(view).collect(),
        updates: ev.updates.iter().rev().map(view).collect(),
        json: format!("{}?format=json", ev.permalink),
        permalink,
        inc,
    };
    Ok(page.render()?)
}
