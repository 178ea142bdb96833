//! The public JSON API under `/api/v1`. Times are RFC 3339 with the configured zone's offset.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{AppError, ErrorBody};
use super::input::{
    bounded_query, cursor_of, invalid_time, known_bank, parse_cursor, parse_value, query_param,
};

use super::statements::{statement_view, StatementView};
use super::AppState;
use crate::domain::{
    Channel, Confidence, ErrorClass, Hop, IncidentKind, IncidentState, Names, Source, Status,
};
use crate::i18n::Msg;
use crate::record::voices::{voices, Voices};
use crate::signals::live::{BankNow, CrowdNote};
use crate::store::{
    IncidentFilter, IncidentRow, StatementFilter, UpdateRow, WindowFilter, WindowRow,
};
use crate::timezone::parse_input;

/// An instant in RFC 3339 with the zone's offset, as every JSON answer gives times.
pub fn rfc3339(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).to_rfc3339()
}

#[derive(Serialize, ToSchema)]
pub struct ChannelView {
    channel: &'static str,
    status: Status,
    since: Option<String>,
    incident_id: Option<i64>,
    /// How sure the status is: confirmed, likely or announced; null when all is well.
    confidence: Option<Confidence>,
    /// Reporters over the surge window, weighed as the surge rules weigh them (browsers per
    /// address and each network capped), and the usual level at this time of the week.
    reports: i64,
    reports_usual: f64,
    report_surge: bool,
    /// The distinct networks those reporters come from.
    report_networks: i64,
    /// Weighed the same way, those who say it works for them.
    reports_works: i64,
    /// What customers report that the status does not show as an outage:
    /// `checks_pass` (our checks of this channel pass), `unchecked` (nothing can check it
    /// from outside), `waiting` (too many channels reported at once).
    #[schema(value_type = Option<String>)]
    crowd_note: Option<CrowdNote>,
    /// What customers said over the last 24 hours (on `/api/v1/banks/{slug}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    voices: Option<Voices>,
    /// How the failing probes fail (e.g. `maintenance_page`), while they do; `blocked` on an
    /// `unknown` channel: the bank's protection refuses every check that could see it.
    failing: Option<ErrorClass>,
    /// When the bank says it is back (its `Retry-After`), while the probes fail.
    retry_after: Option<String>,
    /// It went down and came back several times lately.
    unstable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    probes: Option<Vec<ProbeView>>,
}

#[derive(Serialize, ToSchema)]
pub struct ProbeView {
    id: String,
    url: String,
    interval_seconds: u64,
    last_check: Option<CheckView>,
}

#[derive(Serialize, ToSchema)]
pub struct CheckView {
    at: String,
    outcome: &'static str,
    latency_ms: u32,
    http_status: Option<u16>,
    error_class: Option<ErrorClass>,
    detail: Option<String>,
    /// Every redirect, in order, with its status and `Location`.
    hops: Vec<Hop>,
    /// Where the answer came from after the redirects.
    final_url: Option<String>,
    /// When the bank said it is back (`Retry-After`).
    retry_after: Option<String>,
    /// The server certificate's expiry (not-after) and issuer, for HTTPS.
    tls_expires_at: Option<String>,
    tls_issuer: Option<String>,
    /// The maintenance phrase, the words found together (`word + word`) or the redirect
    /// target that showed a maintenance page, if any.
    maintenance_match: Option<String>,
    /// For a `blocked` check: whose protection refused it and what showed it.
    refused_by: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct BankView {
    slug: String,
    name: Names,
    website: Option<String>,
    status: Status,
    channels: Vec<ChannelView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    open_incidents: Option<Vec<IncidentView>>,
}

#[derive(Serialize, ToSchema)]
pub struct StatusView {
    generated_at: String,
    /// Set while the tracker's own network is cut: statuses are `unknown` then.
    network_cut_since: Option<String>,
    banks: Vec<BankView>,
    /// The vantage points, once probes run from two or more.
    regions: Vec<RegionView>,
}

#[derive(Serialize, ToSchema)]
pub struct RegionView {
    name: String,
    /// Set while the region's own controls fail: its checks are left out.
    cut_since: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct IncidentView {
    id: i64,
    kind: IncidentKind,
    state: IncidentState,
    title: Names,
    started_at: String,
    resolved_at: Option<String>,
    /// When its current (or last) open span began: later than `started_at` once it failed
    /// again after resolving.
    since: String,
    /// Time down in seconds, the sum of its open spans, as every page and the scorecard
    /// count it; null while it is open.
    down_seconds: Option<i64>,
    updated_at: String,
    affected: Vec<AffectedView>,
    sources: Vec<Source>,
    url: String,
    /// For an outage that continued past an announced window: that window's incident.
    overrun_of: Option<i64>,
    /// For maintenance: the announced window.
    #[serde(skip_serializing_if = "Option::is_none")]
    window: Option<WindowView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updates: Option<Vec<UpdateView>>,
    /// What the bank said about it, newest said first (with its updates only).
    #[serde(skip_serializing_if = "Option::is_none")]
    statements: Option<Vec<StatementView>>,
}

#[derive(Serialize, ToSchema)]
pub struct WindowView {
    id: i64,
    bank: String,
    channels: Vec<Channel>,
    starts: String,
    ends: String,
    title: Names,
    source: Option<String>,
    state: IncidentState,
    url: String,
}

pub fn window_view(w: &WindowRow, tz: Tz) -> WindowView {
    WindowView {
        id: w.incident_id,
        bank: w.bank.clone(),
        channels: w.channels.clone(),
        starts: rfc3339(w.starts, tz),
        ends: rfc3339(w.ends, tz),
        title: w.title.clone(),
        source: w.source.clone(),
        state: w.state,
        url: format!("/incidents/{}", w.incident_id),
    }
}

#[derive(Serialize, ToSchema)]
pub struct AffectedView {
    bank: String,
    channel: Channel,
}

#[derive(Serialize, ToSchema)]
pub struct UpdateView {
    id: i64,
    at: String,
    state: IncidentState,
    source: Source,
    /// The text as it was published; a correction never changes it.
    message: Names,
    /// Its corrections, oldest first: each the whole text from its time on. The text that
    /// reads now is the last one's, else `message`.
    corrections: Vec<CorrectionView>,
}

/// A correction of a timeline entry.
#[derive(Serialize, ToSchema)]
pub struct CorrectionView {
    id: i64,
    at: String,
    message: Names,
}

fn incident_view(
    row: IncidentRow,
    updates: Option<Vec<UpdateRow>>,
    window: Option<WindowView>,
    tz: Tz,
) -> IncidentView {
    let account = row.account();
    IncidentView {
        overrun_of: row.overrun_of,
        window,
        url: format!("/incidents/{}", row.id),
        id: row.id,
        kind: row.kind,
        state: row.state,
        title: row.title,
        started_at: rfc3339(row.started_at, tz),
        resolved_at: row.resolved_at.map(|t| rfc3339(t, tz)),
        since: rfc3339(account.since(), tz),
        down_seconds: row.resolved_at.map(|r| account.down(r).num_seconds()),
        updated_at: rfc3339(row.updated_at, tz),
        affected: row
            .scopes
            .into_iter()
            .map(|(bank, channel)| AffectedView { bank, channel })
            .collect(),
        sources: row.sources.into_iter().map(|s| s.source).collect(),
        updates: updates.map(|u| {
            u.into_iter()
                .map(|u| UpdateView {
                    id: u.id,
                    at: rfc3339(u.at, tz),
                    state: u.state,
                    source: u.source,
                    message: u.message,
                    corrections: u
                        .corrections
                        .into_iter()
                        .map(|c| CorrectionView {
                            id: c.id,
                            at: rfc3339(c.at, tz),
                            message: c.message,
                        })
                        .collect(),
                })
                .collect()
        }),
        statements: None,
    }
}

fn bank_view(
    state: &AppState,
    slug: &str,
    now: Option<&BankNow>,
    with_probes: bool,
) -> Option<BankView> {
    let bank = state.config.bank(slug)?;
    let tz = state.config.timezone;
    // The channels the snapshot shows (probed ones, and any other a signal speaks of).
    let shown: Vec<Channel> = match now {
        Some(n) => n.channels.iter().map(|c| c.channel).collect(),
        None => bank.probed_channels(),
    };
    let channels = shown
        .into_iter()
        .map(|channel| {
            let c = now.and_then(|n| n.channels.iter().find(|c| c.channel == channel));
            ChannelView {
                channel: channel.as_str(),
                status: c.map_or(Status::Unknown, |c| c.status),
                since: c.and_then(|c| c.since).map(|t| rfc3339(t, tz)),
                incident_id: c.and_then(|c| c.incident),
                confidence: c.and_then(|c| c.confidence),
                reports: c.map_or(0, |c| c.reports),
                reports_usual: c.map_or(0.0, |c| c.baseline),
                report_surge: c.is_some_and(|c| c.surge),
                report_networks: c.map_or(0, |c| c.networks),
                reports_works: c.map_or(0, |c| c.works),
                crowd_note: c.and_then(|c| c.crowd_note),
                voices: None,
                failing: c.and_then(|c| c.failing),
                retry_after: c.and_then(|c| c.retry_after).map(|t| rfc3339(t, tz)),
                unstable: c.is_some_and(|c| c.unstable),
                probes: with_probes.then(|| {
                    bank.probes
                        .iter()
                        .filter(|p| p.channel() == Some(channel))
                        .map(|p| ProbeView {
                            id: p.id.clone(),
                            url: p.url.clone(),
                            interval_seconds: p.interval.as_secs(),
                            last_check: state.live.last_check(&p.id).map(|c| CheckView {
                                at: rfc3339(c.at, tz),
                                outcome: c.outcome.as_str(),
                                latency_ms: c.latency_ms,
                                http_status: c.http_status,
                                error_class: c.outcome.class(),
                                detail: c.detail().map(str::to_owned),
                                hops: c.evidence.hops,
                                final_url: c.evidence.final_url,
                                retry_after: c.evidence.retry_after.map(|t| rfc3339(t, tz)),
                                tls_expires_at: c.evidence.tls_expires_at.map(|t| rfc3339(t, tz)),
                                tls_issuer: c.evidence.tls_issuer,
                                maintenance_match: c.evidence.matched,
                                refused_by: c.evidence.refused_by,
                            }),
                        })
                        .collect()
                }),
            }
        })
        .collect();
    Some(BankView {
        slug: bank.slug.clone(),
        name: bank.names.clone(),
        website: bank.website.clone(),
        status: now.map_or(Status::Unknown, |n| n.status),
        channels,
        open_incidents: None,
    })
}

/// Short-lived caching: the data moves every few seconds.
fn json<T: Serialize>(value: T) -> Response {
    let mut res = Json(value).into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=5"),
    );
    res
}

#[utoipa::path(get, path = "/api/v1/status", tag = "status",
    responses((status = 200, description = "Every bank with its status and channels", body = StatusView)))]
pub async fn status(State(state): State<AppState>) -> Response {
    let snapshot = state.live.snapshot();
    let tz = state.config.timezone;
    let banks = state
        .config
        .banks
        .iter()
        .filter_map(|b| bank_view(&state, &b.slug, snapshot.bank(&b.slug), false))
        .collect();
    json(StatusView {
        generated_at: rfc3339(state.clock.now(), tz),
        network_cut_since: snapshot.network_cut_since.map(|t| rfc3339(t, tz)),
        banks,
        regions: snapshot
            .regions
            .iter()
            .map(|r| RegionView {
                name: r.name.clone(),
                cut_since: r.cut_since.map(|t| rfc3339(t, tz)),
            })
            .collect(),
    })
}

#[utoipa::path(get, path = "/api/v1/banks/{slug}", tag = "status",
    params(("slug" = String, Path, description = "The bank's slug")),
    responses((status = 200, description = "One bank, its channels with each probe's last check, open incidents", body = BankView),
              (status = 404, description = "No such bank", body = ErrorBody)))]
pub async fn bank(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let snapshot = state.live.snapshot();
    let mut view = bank_view(&state, &slug, snapshot.bank(&slug), true)
        .ok_or_else(|| AppError::NotFound(Msg::new("err-no-bank").arg("slug", &slug)))?;
    let now = state.clock.now();
    let mut said = voices(
        &state
            .store
            .report_facets(
                &slug,
                now - chrono::Duration::hours(24),
                now + chrono::Duration::seconds(1),
            )
            .await?,
    );
    for c in &mut view.channels {
        if let Some(i) = said.iter().position(|v| v.channel.as_str() == c.channel) {
            c.voices = Some(said.swap_remove(i));
        }
    }
    let open = state
        .store
        .incidents(&IncidentFilter {
            bank: Some(slug),
            open_only: true,
            limit: 100,
            ..Default::default()
        })
        .await?;
    view.open_incidents = Some(
        open.into_iter()
            .map(|r| incident_view(r, None, None, state.config.timezone))
            .collect(),
    );
    Ok(json(view))
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents",
    params(("id" = i64, Path, description = "The incident's id")),
    responses((status = 200, description = "One incident with its updates", body = IncidentView),
              (status = 404, description = "No such incident", body = ErrorBody)))]
pub async fn incident(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let n: i64 = id
        .parse()
        .map_err(|_| AppError::NotFound(Msg::new("err-no-incident").arg("id", &id)))?;
    incident_response(&state, n, StatusCode::OK).await
}

/// One incident with its updates and the bank's statements (and its window, for
/// maintenance), as JSON.
pub async fn incident_response(
    state: &AppState,
    id: i64,
    status: StatusCode,
) -> Result<Response, AppError> {
    let tz = state.config.timezone;
    let (row, updates) = state
        .store
        .incident(id)
        .await?
        .ok_or_else(|| AppError::NotFound(Msg::new("err-no-incident").arg("id", id)))?;
    let window = if row.kind == IncidentKind::Maintenance {
        state.store.window(id).await?.map(|w| window_view(&w, tz))
    } else {
        None
    };
    let statements = state
        .store
        .statements(&StatementFilter {
            incident: Some(id),
            limit: 1_000,
            ..Default::default()
        })
        .await?;
    let mut view = incident_view(row, Some(updates), window, tz);
    view.statements = Some(statements.iter().map(|s| statement_view(s, tz)).collect());
    let mut res = json(view);
    *res.status_mut() = status;
    Ok(res)
}

/// `GET /api/v1/maintenance?bank=&upcoming=true`: announced windows, soonest first.
#[utoipa::path(get, path = "/api/v1/maintenance", tag = "maintenance",
    params(("bank" = Option<String>, Query, description = "Only this bank's windows"),
           ("upcoming" = Option<bool>, Query, description = "Only windows not yet completed")),
    responses((status = 200, description = "Announced windows, soonest first", body = MaintenanceList),
              (status = 400, description = "Bad query", body = ErrorBody),
              (status = 404, description = "No such bank", body = ErrorBody)))]
pub async fn maintenance(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let q = q.as_deref();
    let bank = query_param(q, "bank");
    if let Some(b) = &bank {
        known_bank(&state.config, b)?;
    }
    let upcoming = match query_param(q, "upcoming").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(AppError::BadRequest(
                Msg::new("err-invalid-bool")
                    .arg("field", "upcoming")
                    .arg("value", other),
            ))
        }
    };
    let windows = state
        .store
        .windows(&WindowFilter {
            bank,
            open_only: upcoming,
            ended_after: None,
            limit: 1000,
            ..Default::default()
        })
        .await?;
    let tz = state.config.timezone;
    Ok(json(MaintenanceList {
        maintenance: windows.iter().map(|w| window_view(w, tz)).collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct MaintenanceList {
    maintenance: Vec<WindowView>,
}

#[derive(Serialize, ToSchema)]
pub struct IncidentList {
    incidents: Vec<IncidentView>,
    /// Pass as `cursor` for the next page; null on the last one.
    next_cursor: Option<String>,
}

/// Incidents per page, by default and at most.
const PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;

/// `GET /api/v1/incidents`: newest first, filtered, a page at a time.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents",
    params(("bank" = Option<String>, Query, description = "A bank's slug"),
           ("channel" = Option<String>, Query, description = "web, mobile, atm, cards, transfers or branches"),
           ("kind" = Option<String>, Query, description = "outage, maintenance or advisory"),
           ("state" = Option<String>, Query, description = "An incident state"),
           ("since" = Option<String>, Query, description = "Incidents started or still open since this time (RFC 3339, or local)"),
           ("limit" = Option<u32>, Query, description = "1 to 200, default 50"),
           ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")),
    responses((status = 200, description = "A page of incidents", body = IncidentList),
              (status = 400, description = "Bad query", body = ErrorBody),
              (status = 404, description = "No such bank", body = ErrorBody)))]
pub async fn list_incidents(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let raw = bounded_query(q.as_deref())?;
    let mut filter = IncidentFilter {
        limit: PAGE,
        include_withdrawn: true,
        ..Default::default()
    };

    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        match k.as_ref() {
            "bank" => {
                known_bank(&state.config, &v)?;
                filter.bank = Some(v.into_owned());
            }
            "channel" => filter.channel = Some(parse_value("channel", &v)?),
            "kind" => filter.kind = Some(parse_value("kind", &v)?),
            "state" => filter.state = Some(parse_value("state", &v)?),
            "since" => {
                filter.since = Some(
                    parse_input(&v, state.config.timezone)
                        .map_err(|_| AppError::BadRequest(invalid_time("since", &v)))?,
                )
            }
            "limit" => {
                filter.limit = v
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE).contains(n))
                    .ok_or_else(|| {
                        AppError::BadRequest(
                            Msg::new("err-invalid-limit")
                                .arg("max", MAX_PAGE)
                                .arg("value", &v),
                        )
                    })?;
            }
            "cursor" => filter.before = Some(parse_cursor("cursor", &v)?),
            _ => {}
        }
    }
    let limit = filter.limit;
    filter.limit = limit + 1;
    let mut rows = state.store.incidents(&filter).await?;
    let next_cursor = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|r| cursor_of(r.started_at, r.id))
    } else {
        None
    };
    let tz = state.config.timezone;
    Ok(json(IncidentList {
        incidents: rows
            .into_iter()
            .map(|r| incident_view(r, None, None, tz))
            .collect(),
        next_cursor,
    }))
}
