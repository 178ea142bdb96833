//! The public JSON API under `/api/v1`. Times are RFC 3339 with the configured zone's offset.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::error::AppError;
use crate::app::AppState;
use crate::domain::{Names, Status};
use crate::signals::live::BankNow;
use crate::store::{IncidentFilter, IncidentRow, UpdateRow};

fn rfc3339(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).to_rfc3339()
}

#[derive(Serialize)]
pub struct ChannelView {
    channel: &'static str,
    status: Status,
    since: Option<String>,
    incident_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    probes: Option<Vec<ProbeView>>,
}

#[derive(Serialize)]
pub struct ProbeView {
    id: String,
    url: String,
    interval_seconds: u64,
    last_check: Option<CheckView>,
}

#[derive(Serialize)]
pub struct CheckView {
    at: String,
    outcome: &'static str,
    latency_ms: u32,
    http_status: Option<u16>,
    error_class: Option<&'static str>,
    detail: Option<String>,
}

#[derive(Serialize)]
pub struct BankView {
    slug: String,
    name: Names,
    website: Option<String>,
    status: Status,
    channels: Vec<ChannelView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    open_incidents: Option<Vec<IncidentView>>,
}

#[derive(Serialize)]
pub struct StatusView {
    generated_at: String,
    /// Set while the tracker's own network is cut: statuses are `unknown` then.
    network_cut_since: Option<String>,
    banks: Vec<BankView>,
}

#[derive(Serialize)]
pub struct IncidentView {
    id: i64,
    kind: String,
    state: String,
    title: Names,
    started_at: String,
    resolved_at: Option<String>,
    updated_at: String,
    affected: Vec<AffectedView>,
    sources: Vec<String>,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    updates: Option<Vec<UpdateView>>,
}

#[derive(Serialize)]
pub struct AffectedView {
    bank: String,
    channel: String,
}

#[derive(Serialize)]
pub struct UpdateView {
    id: i64,
    at: String,
    state: String,
    source: String,
    message: Names,
}

fn incident_view(row: IncidentRow, updates: Option<Vec<UpdateRow>>, tz: Tz) -> IncidentView {
    IncidentView {
        url: format!("/incidents/{}", row.id),
        id: row.id,
        kind: row.kind,
        state: row.state,
        title: row.title,
        started_at: rfc3339(row.started_at, tz),
        resolved_at: row.resolved_at.map(|t| rfc3339(t, tz)),
        updated_at: rfc3339(row.updated_at, tz),
        affected: row
            .scopes
            .into_iter()
            .map(|(bank, channel)| AffectedView { bank, channel })
            .collect(),
        sources: row.sources,
        updates: updates.map(|u| {
            u.into_iter()
                .map(|u| UpdateView {
                    id: u.id,
                    at: rfc3339(u.at, tz),
                    state: u.state,
                    source: u.source,
                    message: u.message,
                })
                .collect()
        }),
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
    let channels = bank
        .probed_channels()
        .into_iter()
        .map(|channel| {
            let c = now.and_then(|n| n.channels.iter().find(|c| c.channel == channel));
            ChannelView {
                channel: channel.as_str(),
                status: c.map_or(Status::Unknown, |c| c.status),
                since: c.and_then(|c| c.since).map(|t| rfc3339(t, tz)),
                incident_id: c.and_then(|c| c.incident),
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
                                outcome: c.outcome,
                                latency_ms: c.latency_ms,
                                http_status: c.http_status,
                                error_class: c.error_class,
                                detail: c.detail,
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
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res
}

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
        generated_at: rfc3339(Utc::now(), tz),
        network_cut_since: snapshot.network_cut_since.map(|t| rfc3339(t, tz)),
        banks,
    })
}

pub async fn bank(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let snapshot = state.live.snapshot();
    let mut view = bank_view(&state, &slug, snapshot.bank(&slug), true)
        .ok_or_else(|| AppError::NotFound(format!("No bank is called `{slug}`.")))?;
    let open = state
        .store
        .incidents(&IncidentFilter {
            bank: Some(slug),
            open_only: true,
            limit: 100,
        })
        .await?;
    view.open_incidents = Some(
        open.into_iter()
            .map(|r| incident_view(r, None, state.config.timezone))
            .collect(),
    );
    Ok(json(view))
}

pub async fn incident(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let not_found = || AppError::NotFound(format!("No incident has the id `{id}`."));
    let n: i64 = id.parse().map_err(|_| not_found())?;
    let (row, updates) = state.store.incident(n).await?.ok_or_else(not_found)?;
    Ok(json(incident_view(
        row,
        Some(updates),
        state.config.timezone,
    )))
}
