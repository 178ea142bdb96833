//! The read API in Atlassian Statuspage's public format (`/api/v2/*.json`), which status
//! aggregators, chat bots and other monitors already read. Site-wide, banks are component
//! groups and their channels components; under `/banks/{slug}/api/v2/`, the bank is the
//! page and its channels the components. Field names, states and indicators are
//! Statuspage's; the README gives the mapping from bankstatus's own.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;

use super::api::rfc3339 as time;
use super::error::AppError;
use super::feeds::base_url;
use super::input::{known_bank, parse_value, query_param};
use super::statements::panel::plain_quote;

use super::AppState;
use crate::domain::{Channel, ErrorClass, IncidentKind, IncidentState, Lang, Statement, Status};
use crate::i18n::{channel_name, message, text, Arg, Msg};
use crate::signals::live::{BankNow, ChannelNow};
use crate::store::{
    IncidentFilter, IncidentRow, StatementFilter, UpdateRow, WindowFilter, WindowRow,
};

/// Incidents in `incidents.json`, newest first, as Statuspage gives them.
const INCIDENTS: u32 = 50;

#[derive(Serialize, ToSchema)]
pub struct SpPage {
    id: String,
    name: String,
    url: String,
    time_zone: String,
    updated_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct SpStatus {
    /// `none`, `minor`, `major` or `critical`.
    indicator: &'static str,
    description: String,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct SpComponent {
    id: String,
    name: String,
    /// `operational`, `degraded_performance`, `partial_outage`, `major_outage` or
    /// `under_maintenance`.
    status: &'static str,
    created_at: String,
    updated_at: String,
    position: usize,
    description: Option<String>,
    showcase: bool,
    start_date: Option<String>,
    group_id: Option<String>,
    page_id: String,
    group: bool,
    only_show_if_degraded: bool,
    /// A group's components, by id.
    #[serde(skip_serializing_if = "Option::is_none")]
    components: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
pub struct SpUpdate {
    id: String,
    status: &'static str,
    body: String,
    incident_id: String,
    created_at: String,
    updated_at: String,
    display_at: String,
    affected_components: Option<Vec<String>>,
    deliver_notifications: bool,
    custom_tweet: Option<String>,
    tweet_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SpIncident {
    id: String,
    name: String,
    /// `investigating`, `identified`, `monitoring`, `resolved`; for maintenance
    /// `scheduled`, `in_progress`, `completed`.
    status: &'static str,
    created_at: String,
    updated_at: String,
    monitoring_at: Option<String>,
    resolved_at: Option<String>,
    /// `none`, `minor`, `major`, `critical` or `maintenance`.
    impact: &'static str,
    shortlink: String,
    started_at: String,
    page_id: String,
    incident_updates: Vec<SpUpdate>,
    components: Vec<SpComponent>,
    /// For scheduled maintenance: the announced window.
    #[serde(skip_serializing_if = "Option::is_none")]
    scheduled_for: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scheduled_until: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SpStatusDoc {
    page: SpPage,
    status: SpStatus,
}

#[derive(Serialize, ToSchema)]
pub struct SpComponentsDoc {
    page: SpPage,
    components: Vec<SpComponent>,
}

#[derive(Serialize, ToSchema)]
pub struct SpIncidentsDoc {
    page: SpPage,
    incidents: Vec<SpIncident>,
}

#[derive(Serialize, ToSchema)]
pub struct SpMaintenancesDoc {
    page: SpPage,
    scheduled_maintenances: Vec<SpIncident>,
}

#[derive(Serialize, ToSchema)]
pub struct SpSummaryDoc {
    page: SpPage,
    components: Vec<SpComponent>,
    incidents: Vec<SpIncident>,
    scheduled_maintenances: Vec<SpIncident>,
    status: SpStatus,
}

/// A channel's status in Statuspage's words. Statuspage has no "unknown": a channel not yet
/// checked, or while the tracker cannot see the banks, reads `operational` as a new
/// Statuspage component does, and says why in its description.
pub fn component_status(s: Status) -> &'static str {
    match s {
        Status::Operational | Status::Unknown => "operational",
        Status::Degraded => "degraded_performance",
        Status::PartialOutage => "partial_outage",
        Status::MajorOutage => "major_outage",
        Status::Maintenance => "under_maintenance",
    }
}

/// The page's indicator: `major` once a channel is down, `critical` when half the banks or
/// more have one down; `minor` for a partial outage or slowness; `maintenance` when nothing
/// is worse than a window in progress.
fn indicator(banks: &[&BankNow]) -> (&'static str, &'static str) {
    let down = banks
        .iter()
        .filter(|b| b.channels.iter().any(|c| c.status == Status::MajorOutage))
        .count();
    let minor = banks.iter().any(|b| {
        b.channels
            .iter()
            .any(|c| matches!(c.status, Status::PartialOutage | Status::Degraded))
    });
    if down > 0 && down * 2 >= banks.len().max(2) {
        ("critical", "Major System Outage")
    } else if down > 0 {
        ("major", "Partial System Outage")
    } else if minor {
        ("minor", "Minor Service Outage")
    } else if banks
        .iter()
        .any(|b| b.channels.iter().any(|c| c.status == Status::Maintenance))
    {
        ("maintenance", "Service Under Maintenance")
    } else {
        ("none", "All Systems Operational")
    }
}

/// Which document a route gives.
#[derive(Clone, Copy, PartialEq)]
enum Doc {
    Summary,
    Status,
    Components,
    Incidents,
    Unresolved,
    Maintenances,
    Upcoming,
    Active,
}

struct Ctx<'a> {
    state: &'a AppState,
    tz: Tz,
    lang: Lang,
    base: String,
    /// `None` site-wide; the bank's slug under `/banks/{slug}/api/v2/`.
    bank: Option<&'a str>,
    page_id: String,
}

impl Ctx<'_> {
    fn page(&self, updated: DateTime<Utc>) -> SpPage {
        let (name, url) = match self.bank.and_then(|b| self.state.config.bank(b)) {
            Some(b) => (
                b.names.get(self.lang).to_owned(),
                format!("{}/banks/{}", self.base, b.slug),
            ),
            None => (
                text(self.lang).site_title.to_owned(),
                format!("{}/", self.base),
            ),
        };
        SpPage {
            id: self.page_id.clone(),
            name,
            url,
            time_zone: self.tz.name().to_owned(),
            updated_at: time(updated, self.tz),
        }
    }

    fn component(&self, bank: &str, c: &ChannelNow, position: usize) -> SpComponent {
        let now = self.state.clock.now();
        let description = match c.status {
            Status::Unknown if c.failing == Some(ErrorClass::Blocked) => {
                Some(message(self.lang, "unknown-refused").to_owned())
            }
            Status::Unknown => Some(
                "Status unknown: not checked yet, or the tracker cannot see the banks.".to_owned(),
            ),
            _ => None,
        };
        SpComponent {
            id: channel_id(bank, c.channel),
            name: channel_name(c.channel, self.lang).to_owned(),
            status: component_status(c.status),
            created_at: time(c.since.unwrap_or(now), self.tz),
            updated_at: time(c.since.unwrap_or(now), self.tz),
            position,
            description,
            showcase: true,
            start_date: None,
            group_id: self.bank.is_none().then(|| bank.to_owned()),
            page_id: self.page_id.clone(),
            group: false,
            only_show_if_degraded: false,
            components: None,
        }
    }

    fn banks(&self) -> Vec<BankNow> {
        let snapshot = self.state.live.snapshot();
        self.state
            .config
            .banks
            .iter()
            .filter(|b| self.bank.is_none_or(|s| s == b.slug))
            .map(|b| {
                snapshot.bank(&b.slug).cloned().unwrap_or_else(|| BankNow {
                    slug: b.slug.clone(),
                    status: Status::Unknown,
                    channels: b
                        .probed_channels()
                        .into_iter()
                        .map(ChannelNow::unknown)
                        .collect(),
                })
            })
            .collect()
    }

    fn components(&self, banks: &[BankNow]) -> Vec<SpComponent> {
        let mut out = Vec::new();
        for (i, b) in banks.iter().enumerate() {
            let children: Vec<SpComponent> = b
                .channels
                .iter()
                .enumerate()
                .map(|(j, c)| self.component(&b.slug, c, j + 1))
                .collect();
            if self.bank.is_none() {
                let now = self.state.clock.now();
                let name = self
                    .state
                    .config
                    .bank(&b.slug)
                    .map_or(b.slug.clone(), |x| x.names.get(self.lang).to_owned());
                out.push(SpComponent {
                    id: b.slug.clone(),
                    name,
                    status: component_status(b.status),
                    created_at: time(now, self.tz),
                    updated_at: time(now, self.tz),
                    position: i + 1,
                    description: None,
                    showcase: false,
                    start_date: None,
                    group_id: None,
                    page_id: self.page_id.clone(),
                    group: true,
                    only_show_if_degraded: false,
                    components: Some(children.iter().map(|c| c.id.clone()).collect()),
                });
            }
            out.extend(children);
        }
        out
    }

    fn status(&self, banks: &[BankNow]) -> SpStatus {
        let refs: Vec<&BankNow> = banks.iter().collect();
        let (indicator, description) = indicator(&refs);
        SpStatus {
            indicator,
            description: description.to_owned(),
        }
    }

    /// A bank's statement as an update of the incident: its words, attributed, with the
    /// incident's state when it was said.
    fn statement_update(
        &self,
        row: &IncidentRow,
        updates: &[UpdateRow],
        s: &Statement,
    ) -> SpUpdate {
        let state = updates
            .iter()
            .filter(|u| u.at <= s.said_at)
            .max_by_key(|u| (u.at, u.id))
            .or_else(|| updates.first())
            .map_or(row.state, |u| u.state);
        let words = plain_quote(s, self.lang);
        let bank = self
            .state
            .config
            .bank(&s.bank)
            .map_or(s.bank.as_str(), |b| b.names.get(self.lang));
        SpUpdate {
            id: format!("statement-{}", s.id),
            status: sp_state(state),
            body: Msg::new("discovery-bank-says")
                .arg("bank", bank)
                .with("words", Arg::Text(words))
                .text(self.lang),
            incident_id: row.id.to_string(),
            created_at: time(s.recorded_at, self.tz),
            updated_at: time(s.recorded_at, self.tz),
            display_at: time(s.said_at, self.tz),
            affected_components: None,
            deliver_notifications: true,
            custom_tweet: None,
            tweet_id: None,
        }
    }

    fn incident(
        &self,
        row: &IncidentRow,
        (updates, statements): (&[UpdateRow], &[Statement]),
        window: Option<&WindowRow>,
        all: &[SpComponent],
    ) -> SpIncident {
        let id = row.id.to_string();
        let components = all
            .iter()
            .filter(|c| row.scopes.iter().any(|(b, ch)| c.id == channel_id(b, *ch)))
            .cloned()
            .collect();
        let monitoring_at = updates
            .iter()
            .find(|u| u.state == IncidentState::Monitoring)
            .map(|u| time(u.at, self.tz));
        SpIncident {
            name: row.title.get(self.lang).to_owned(),
            status: sp_state(row.state),
            created_at: time(row.created_at, self.tz),
            updated_at: time(row.updated_at, self.tz),
            monitoring_at,
            resolved_at: row.resolved_at.map(|t| time(t, self.tz)),
            impact: match row.kind {
                IncidentKind::Maintenance => "maintenance",
                IncidentKind::Advisory => "minor",
                IncidentKind::Outage => "major",
            },
            shortlink: format!("{}/incidents/{}", self.base, row.id),
            started_at: time(row.started_at, self.tz),
            page_id: self.page_id.clone(),
            incident_updates: self.timeline(row, updates, statements),
            components,
            scheduled_for: window.map(|w| time(w.starts, self.tz)),
            scheduled_until: window.map(|w| time(w.ends, self.tz)),
            id,
        }
    }

    /// The incident's updates and the bank's statements, newest first.
    fn timeline(
        &self,
        row: &IncidentRow,
        updates: &[UpdateRow],
        statements: &[Statement],
    ) -> Vec<SpUpdate> {
        let id = row.id.to_string();
        let mut out: Vec<(DateTime<Utc>, SpUpdate)> = updates
            .iter()
            .rev()
            .map(|u| {
                // Statuspage edits an update in place: its body reads as corrected, and
                // `updated_at` says when.
                let now = crate::domain::corrected(&u.message, &u.corrections);
                let changed = now.steps.last().map_or(u.at, |s| s.at);
                (
                    u.at,
                    SpUpdate {
                        id: u.id.to_string(),
                        status: sp_state(u.state),
                        body: now.now.get(self.lang).to_owned(),
                        incident_id: id.clone(),
                        created_at: time(u.at, self.tz),
                        updated_at: time(changed, self.tz),
                        display_at: time(u.at, self.tz),
                        affected_components: None,
                        deliver_notifications: true,
                        custom_tweet: None,
                        tweet_id: None,
                    },
                )
            })
            .collect();
        out.extend(
            statements
                .iter()
                .map(|s| (s.said_at, self.statement_update(row, updates, s))),
        );
        out.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
        out.into_iter().map(|(_, u)| u).collect()
    }

    /// The statements about incident `id`.
    async fn said(&self, id: i64) -> Result<Vec<Statement>, AppError> {
        Ok(self
            .state
            .store
            .statements(&StatementFilter {
                incident: Some(id),
                limit: 1_000,
                ..Default::default()
            })
            .await?)
    }

    async fn incidents(
        &self,
        open_only: bool,
        all: &[SpComponent],
    ) -> Result<Vec<SpIncident>, AppError> {
        let rows = self
            .state
            .store
            .incidents(&IncidentFilter {
                bank: self.bank.map(str::to_owned),
                open_only,
                limit: INCIDENTS * 2,
                ..Default::default()
            })
            .await?;
        let mut out = Vec::new();
        for row in rows
            .iter()
            .filter(|r| r.kind != IncidentKind::Maintenance)
            .take(INCIDENTS as usize)
        {
            let updates = match self.state.store.incident(row.id).await? {
                Some((_, updates)) => updates,
                None => continue,
            };
            let said = self.said(row.id).await?;
            out.push(self.incident(row, (&updates, &said), None, all));
        }
        Ok(out)
    }

    /// Windows: all (50 newest), those still to come, or those in progress.
    async fn maintenances(
        &self,
        which: Doc,
        all: &[SpComponent],
    ) -> Result<Vec<SpIncident>, AppError> {
        let now = self.state.clock.now();
        let windows = self
            .state
            .store
            .windows(&WindowFilter {
                bank: self.bank.map(str::to_owned),
                open_only: matches!(which, Doc::Upcoming | Doc::Active | Doc::Summary),
                // Statuspage lists the newest first: past the limit, the oldest drop out,
                // never the windows still to come.
                newest_first: true,
                limit: INCIDENTS,
                ..Default::default()
            })
            .await?;
        let mut out = Vec::new();
        for w in windows.iter().filter(|w| match which {
            Doc::Upcoming => w.starts > now && w.cancelled_at.is_none(),
            Doc::Active => w.starts <= now && w.ends > now && w.cancelled_at.is_none(),
            Doc::Summary => w.ends > now && w.cancelled_at.is_none(),
            _ => true,
        }) {
            let Some((row, updates)) = self.state.store.incident(w.incident_id).await? else {
                continue;
            };
            let said = self.said(row.id).await?;
            out.push(self.incident(&row, (&updates, &said), Some(w), all));
        }
        Ok(out)
    }
}

fn sp_state(s: IncidentState) -> &'static str {
    match s {
        IncidentState::Investigating => "investigating",
        IncidentState::Identified => "identified",
        IncidentState::Monitoring => "monitoring",
        IncidentState::Resolved => "resolved",
        IncidentState::Scheduled => "scheduled",
        IncidentState::InProgress => "in_progress",
        IncidentState::Completed => "completed",
        // Statuspage has no word for it; withdrawn incidents are left out of its documents.
        IncidentState::Withdrawn => "resolved",
    }
}

async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    raw: Option<&str>,
    bank: Option<&str>,
    doc: Doc,
) -> Result<Response, AppError> {
    let bank = match bank {
        Some(slug) => Some(known_bank(&state.config, slug)?.slug.as_str()),
        None => None,
    };
    // The same word list as the rest of the API: an unknown language is a 400, not ignored.
    let lang = match query_param(raw, "lang") {
        Some(l) => parse_value::<Lang>("lang", &l)?,
        None => state.config.default_language,
    };
    let ctx = Ctx {
        state,
        tz: state.config.timezone,
        lang,
        base: base_url(state, headers),
        bank,
        page_id: bank.unwrap_or("bankstatus").to_owned(),
    };
    let banks = ctx.banks();
    let components = ctx.components(&banks);
    let updated = banks
        .iter()
        .flat_map(|b| b.channels.iter().filter_map(|c| c.since))
        .max()
        .unwrap_or_else(|| state.clock.now());
    let page = ctx.page(updated);
    let body = match doc {
        Doc::Status => serde_json::to_value(SpStatusDoc {
            page,
            status: ctx.status(&banks),
        }),
        Doc::Components => serde_json::to_value(SpComponentsDoc { page, components }),
        Doc::Incidents | Doc::Unresolved => {
            let incidents = ctx.incidents(doc == Doc::Unresolved, &components).await?;
            serde_json::to_value(SpIncidentsDoc { page, incidents })
        }
        Doc::Maintenances | Doc::Upcoming | Doc::Active => {
            let scheduled_maintenances = ctx.maintenances(doc, &components).await?;
            serde_json::to_value(SpMaintenancesDoc {
                page,
                scheduled_maintenances,
            })
        }
        Doc::Summary => {
            let incidents = ctx.incidents(true, &components).await?;
            let scheduled_maintenances = ctx.maintenances(Doc::Summary, &components).await?;
            serde_json::to_value(SpSummaryDoc {
                page,
                status: ctx.status(&banks),
                components,
                incidents,
                scheduled_maintenances,
            })
        }
    }
    .map_err(|e| AppError::Internal(format!("statuspage JSON: {e}")))?;
    let mut res = Json(body).into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=5"),
    );
    Ok(res)
}

/// One handler per document and scope, each documented in the OpenAPI.
macro_rules! documents {
    ($($site:ident, $bank:ident, $doc:expr, $file:literal, $what:literal;)*) => {$(
        #[utoipa::path(get, path = concat!("/api/v2/", $file), tag = "statuspage",
            operation_id = concat!("statuspage_", stringify!($site)),
            params(("lang" = Option<String>, Query, description = "ar, fr or en; default: the config's")),
            responses((status = 200, description = $what)))]
        pub async fn $site(
            State(state): State<AppState>,
            headers: HeaderMap,
            RawQuery(raw): RawQuery,
        ) -> Result<Response, AppError> {
            answer(&state, &headers, raw.as_deref(), None, $doc).await
        }

        #[utoipa::path(get, path = concat!("/banks/{slug}/api/v2/", $file), tag = "statuspage",
            operation_id = concat!("statuspage_", stringify!($bank)),
            params(("slug" = String, Path, description = "The bank"),
                ("lang" = Option<String>, Query, description = "ar, fr or en; default: the config's")),
            responses((status = 200, description = $what), (status = 404, description = "No such bank")))]
        pub async fn $bank(
            State(state): State<AppState>,
            Path(slug): Path<String>,
            headers: HeaderMap,
            RawQuery(raw): RawQuery,
        ) -> Result<Response, AppError> {
            answer(&state, &headers, raw.as_deref(), Some(&slug), $doc).await
        }
    )*};
}

documents! {
    summary, bank_summary, Doc::Summary, "summary.json", "Page, components, unresolved incidents, upcoming and active maintenance, status";
    status, bank_status, Doc::Status, "status.json", "The page's indicator and description";
    components, bank_components, Doc::Components, "components.json", "Banks as groups, channels as components";
    incidents, bank_incidents, Doc::Incidents, "incidents.json", "The 50 newest incidents with their updates";
    unresolved, bank_unresolved, Doc::Unresolved, "incidents/unresolved.json", "Incidents not yet resolved";
    maintenances, bank_maintenances, Doc::Maintenances, "scheduled-maintenances.json", "The 50 newest maintenance windows";
    upcoming, bank_upcoming, Doc::Upcoming, "scheduled-maintenances/upcoming.json", "Maintenance still to come";
    active, bank_active, Doc::Active, "scheduled-maintenances/active.json", "Maintenance in progress";
}

/// A channel's component id: the bank's slug and the channel.
fn channel_id(bank: &str, channel: Channel) -> String {
    format!("{bank}-{}", channel.as_str())
}
