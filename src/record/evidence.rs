//! An incident as evidence: what each source saw and when, the operator's words, what the
//! bank said, the announced window against what happened. The incident page shows it; `?format=json`
//! gives it as data.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::scorecard::shared_within;
use super::shared::{shared_with, LOOK_BACK_HOURS};
use super::spans::minutes;
use super::voices::{voices, Voices};
use crate::config::Config;
use crate::domain::{
    Channel, CheckEvidence, Confidence, Correction, ErrorClass, IncidentKind, IncidentState, Lang,
    Names, Source, Statement,
};
use crate::signals::fusion::{confidence, Backing};
use crate::signals::weight::{weigh, Who};
use crate::store::{
    DynStore, IncidentFilter, IncidentRow, StatementFilter, StoreResult, UpdateRow, WindowRow,
};

#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub id: i64,
    /// Path of the incident's page; it never changes.
    pub permalink: String,
    pub kind: IncidentKind,
    pub state: IncidentState,
    pub title: Names,
    pub affected: Vec<Affected>,
    pub started_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub duration_minutes: i64,
    /// When it was put on the record.
    pub recorded_at: DateTime<Utc>,
    /// Recorded well after it started (known from the press, not seen live): by whom.
    pub recorded_later_by: Option<String>,
    pub confidence: Option<Confidence>,
    pub sources: Vec<SourceFirstSeen>,
    pub probes: Vec<ProbesSaw>,
    pub reports: Vec<ReportsSaw>,
    /// The operator's own entries of the timeline.
    pub operator: Vec<Entry>,
    /// For maintenance: the announced window against what happened.
    pub window: Option<WindowAgainst>,
    /// For an outage that continued an announced window: that window.
    pub overrun_of: Option<Overran>,
    pub updates: Vec<Entry>,
    /// What the bank said about it, verbatim, in the order it said it.
    pub statements: Vec<Statement>,
    /// The failures of one channel at several banks at once it is part of: possibly a
    /// shared system (interbank switch, card network, telecom); empty for a bank alone.
    pub shared: Vec<SharedWith>,
}

/// A failure of one channel at several banks at once (`record::shared`), as one of its
/// incidents sees it: the banks, and the other incidents to link.
#[derive(Debug, Clone, Serialize)]
pub struct SharedWith {
    pub channel: Channel,
    /// The first start among them.
    pub started_at: DateTime<Utc>,
    /// Every bank of the failure, by slug, in order.
    pub banks: Vec<String>,
    /// The failure's other incidents, in order of id.
    pub others: Vec<SharedIncident>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SharedIncident {
    pub id: i64,
    /// Its banks with this channel, by slug.
    pub banks: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Affected {
    pub bank: String,
    pub channel: Channel,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceFirstSeen {
    pub source: Source,
    pub first_seen_at: DateTime<Utc>,
}

/// What one bank and channel's probes saw during the incident.
#[derive(Debug, Clone, Serialize)]
pub struct ProbesSaw {
    pub bank: String,
    pub channel: Channel,
    pub checks: i64,
    pub failing: i64,
    pub first_failure: Option<FirstFailure>,
    pub last_failure: Option<DateTime<Utc>>,
    /// False when raw results of the period were already purged past retention.
    pub raw_results_kept: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct FirstFailure {
    pub at: DateTime<Utc>,
    pub url: Option<String>,
    pub error_class: Option<ErrorClass>,
    pub http_status: Option<i64>,
    pub detail: Option<String>,
    /// What the check saw beyond its status: redirect hops, the final URL, the bank's
    /// announced return, the certificate, the maintenance phrase found.
    #[serde(skip_serializing_if = "CheckEvidence::is_empty")]
    pub evidence: CheckEvidence,
}

/// The customer reports of one bank and channel behind the incident.
#[derive(Debug, Clone, Serialize)]
pub struct ReportsSaw {
    pub bank: String,
    pub channel: Channel,
    /// Counted from here: the surge window before the start, but never before the end of
    /// the channel's previous incident, whose reports are its own.
    pub counted_from: DateTime<Utc>,
    /// Reporters from `counted_from` to the end, weighed as the surge rules weigh them.
    pub reporters: i64,
    /// The distinct networks they came from.
    pub networks: i64,
    /// What they said: top problems, cities, and those it worked for.
    pub voices: Option<Voices>,
    /// The minute of the first counted report.
    pub first_report_minute: DateTime<Utc>,
    /// The busiest minute: its start and distinct reporters.
    pub peak_minute: DateTime<Utc>,
    pub peak_reporters: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// The timeline entry's id, as the log's entries name it.
    pub id: i64,
    pub at: DateTime<Utc>,
    pub state: IncidentState,
    pub source: Source,
    /// As published; corrections follow, never edits.
    pub message: Names,
    /// Its corrections, oldest first (`domain::correction`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<Correction>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WindowAgainst {
    pub announced_starts: DateTime<Utc>,
    pub announced_ends: DateTime<Utc>,
    pub source: Option<String>,
    /// When the window was closed after it began and before its announced end, if it was.
    pub closed_early_at: Option<DateTime<Utc>>,
    /// When the window was called off before it began, if it was.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Outages that went on past the announced end.
    pub overruns: Vec<Overrun>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Overrun {
    pub incident_id: i64,
    pub resolved_at: Option<DateTime<Utc>>,
    pub minutes: i64,
    /// The same, to the second: what the page says.
    pub seconds: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Overran {
    pub incident_id: i64,
    pub announced_ends: DateTime<Utc>,
    pub minutes: i64,
    /// The same, to the second: what the page says.
    pub seconds: i64,
}

/// The incident and its evidence; `None` when there is no such incident.
pub async fn gather(
    store: &DynStore,
    config: &Config,
    id: i64,
    now: DateTime<Utc>,
) -> StoreResult<Option<(IncidentRow, Evidence)>> {
    let Some((row, updates)) = store.incident(id).await? else {
        return Ok(None);
    };
    let end = row.resolved_at.unwrap_or(now);
    let mut probes = Vec::new();
    let mut reports = Vec::new();
    if row.kind != IncidentKind::Maintenance {
        let retention = now - Duration::days(i64::from(config.storage.raw_retention_days));
        let window = Duration::from_std(config.reports.window).unwrap_or(Duration::minutes(15));
        for (bank, channel) in &row.scopes {
            // Only what falls inside this incident: its first failure is its start.
            let from = row.started_at;
            let seen = store.probe_evidence(bank, *channel, from, end).await?;
            let probe_url = |probe_id: &str| {
                config
                    .bank(bank)
                    .and_then(|b| b.probes.iter().find(|p| p.id == probe_id))
                    .map(|p| p.url.clone())
            };
            let probed = config
                .bank(bank)
                .is_some_and(|b| b.probes.iter().any(|p| p.channel() == Some(*channel)));
            if seen.checks > 0 || (probed && from < retention) {
                probes.push(ProbesSaw {
                    bank: bank.clone(),
                    channel: *channel,
                    checks: seen.checks,
                    failing: seen.failing,
                    first_failure: seen.first_failure.map(|f| FirstFailure {
                        url: probe_url(&f.probe_id),
                        at: f.at,
                        error_class: f.error_class,
                        http_status: f.http_status,
                        detail: f.detail,
                        evidence: f.evidence,
                    }),
                    last_failure: seen.last_failure,
                    raw_results_kept: from >= retention,
                });
            }
            // Reports lead a surge: the window before the start counts, back to the end of
            // the channel's previous incident at most.
            let previous_end = store
                .incidents(&IncidentFilter {
                    bank: Some(bank.clone()),
                    channel: Some(*channel),
                    until: Some(row.started_at),
                    limit: 5,
                    ..Default::default()
                })
                .await?
                .into_iter()
                .filter(|r| r.id != row.id && r.kind != IncidentKind::Maintenance)
                .filter_map(|r| r.resolved_at)
                .filter(|t| *t <= row.started_at)
                .max();
            let counted_from =
                previous_end.map_or(row.started_at - window, |p| p.max(row.started_at - window));
            let minutes: Vec<_> = store
                .report_buckets(bank, counted_from, end, Duration::minutes(1))
                .await?
                .into_iter()
                .filter(|b| b.channel == *channel)
                .collect();
            let (Some(first), Some(peak)) = (
                minutes.first(),
                minutes
                    .iter()
                    .max_by_key(|b| (b.reporters, -b.start.timestamp())),
            ) else {
                continue;
            };
            let who: Vec<Who> = store
                .report_units(counted_from, end)
                .await?
                .into_iter()
                .filter(|u| &u.bank == bank && u.channel == *channel)
                .map(|u| Who::of(&u.network, &u.address, &u.reporter))
                .collect();
            let weight = weigh(&who);
            let facets = store.report_facets(bank, counted_from, end).await?;
            let voices = voices(&facets).into_iter().find(|v| v.channel == *channel);
            reports.push(ReportsSaw {
                bank: bank.clone(),
                channel: *channel,
                counted_from,
                reporters: weight.reporters,
                networks: weight.networks,
                voices,
                first_report_minute: first.start,
                peak_minute: peak.start,
                peak_reporters: peak.reporters,
            });
        }
    }
    let window = if row.kind == IncidentKind::Maintenance {
        match store.window(id).await? {
            Some(w) => Some(against(store, &w, now).await?),
            None => None,
        }
    } else {
        None
    };
    let overrun_of = match row.overrun_of {
        Some(mid) => store.window(mid).await?.map(|w| {
            let over = row.account().overrun(w.ends, now);
            Overran {
                incident_id: mid,
                announced_ends: w.ends,
                minutes: minutes(over.num_milliseconds()),
                seconds: over.num_seconds(),
            }
        }),
        None => None,
    };
    let mut statements = store
        .statements(&StatementFilter {
            incident: Some(id),
            limit: 1_000,
            ..Default::default()
        })
        .await?;
    statements.reverse();
    let mut evidence = assemble(
        row.clone(),
        updates,
        probes,
        reports,
        window,
        overrun_of,
        end,
    );
    evidence.statements = statements;
    evidence.shared = shared(store, config, &row).await?;
    Ok(Some((row, evidence)))
}

/// The shared failures an outage is part of, computed on read by the scorecard's rule over
/// the outages begun around it.
async fn shared(
    store: &DynStore,
    config: &Config,
    row: &IncidentRow,
) -> StoreResult<Vec<SharedWith>> {
    if row.kind != IncidentKind::Outage || row.state == IncidentState::Withdrawn {
        return Ok(Vec::new());
    }
    let within = shared_within(&config.banks);
    let spans = store
        .outage_spans(
            row.started_at - Duration::hours(LOOK_BACK_HOURS),
            row.started_at + Duration::milliseconds(within + 1),
        )
        .await?;
    Ok(shared_with(&spans, within, row.id)
        .into_iter()
        .map(|s| SharedWith {
            others: s
                .incidents
                .iter()
                .filter(|id| **id != row.id)
                .map(|&id| {
                    let mut banks: Vec<String> = spans
                        .iter()
                        .filter(|o| o.incident_id == id && o.channel == s.channel)
                        .map(|o| o.bank.clone())
                        .collect();
                    banks.sort();
                    banks.dedup();
                    SharedIncident { id, banks }
                })
                .collect(),
            channel: s.channel,
            started_at: s.started_at,
            banks: s.banks,
        })
        .collect())
}

async fn against(
    store: &DynStore,
    w: &WindowRow,
    now: DateTime<Utc>,
) -> StoreResult<WindowAgainst> {
    let overruns = store
        .incidents(&IncidentFilter {
            overrun_of: Some(w.incident_id),
            limit: 100,
            ..Default::default()
        })
        .await?;
    Ok(WindowAgainst {
        announced_starts: w.starts,
        announced_ends: w.ends,
        source: w.source.clone(),
        closed_early_at: w.cancelled_at.filter(|c| *c > w.starts && *c < w.ends),
        cancelled_at: w.cancelled_at.filter(|c| *c <= w.starts),
        overruns: overruns
            .iter()
            .rev()
            .map(|o| {
                let over = o.account().overrun(w.ends, now);
                Overrun {
                    incident_id: o.id,
                    resolved_at: o.resolved_at,
                    minutes: minutes(over.num_milliseconds()),
                    seconds: over.num_seconds(),
                }
            })
            .collect(),
    })
}

fn assemble(
    row: IncidentRow,
    updates: Vec<UpdateRow>,
    probes: Vec<ProbesSaw>,
    reports: Vec<ReportsSaw>,
    window: Option<WindowAgainst>,
    overrun_of: Option<Overran>,
    end: DateTime<Utc>,
) -> Evidence {
    // A window's own entries come from the operator too: it is announced, not declared.
    let announced = row.kind == IncidentKind::Maintenance;
    let confidence = confidence(Backing {
        operator: !announced && row.has_source(Source::Operator),
        announced,
        probes: row.has_source(Source::Probe),
        reports: row.has_source(Source::Reports),
    });
    let entries: Vec<Entry> = updates
        .into_iter()
        .map(|u| Entry {
            id: u.id,
            at: u.at,
            state: u.state,
            source: u.source,
            message: u.message,
            corrections: u.corrections,
        })
        .collect();
    // Put on the record well after it started (known from the press, not seen live): only
    // the operator does that; the tracker's own late openings (an overrun found when a long
    // window ends) start with another source.
    let recorded_later = row.created_at - row.started_at > Duration::hours(1)
        && row
            .sources
            .first()
            .is_some_and(|s| s.source == Source::Operator);
    Evidence {
        id: row.id,
        permalink: format!("/incidents/{}", row.id),
        duration_minutes: minutes(row.account().down(end).num_milliseconds()),
        recorded_later_by: recorded_later.then(|| "operator".to_owned()),
        recorded_at: row.created_at,
        confidence,
        sources: row
            .sources
            .iter()
            .map(|s| SourceFirstSeen {
                source: s.source,
                first_seen_at: s.first_seen_at,
            })
            .collect(),
        affected: row
            .scopes
            .iter()
            .map(|(bank, channel)| Affected {
                bank: bank.clone(),
                channel: *channel,
            })
            .collect(),
        operator: entries
            .iter()
            .filter(|e| e.source == Source::Operator && !e.message.get(Lang::En).trim().is_empty())
            .cloned()
            .collect(),
        updates: entries,
        statements: Vec::new(),
        shared: Vec::new(),
        probes,
        reports,
        window,
        overrun_of,
        kind: row.kind,
        state: row.state,
        title: row.title,
        started_at: row.started_at,
        resolved_at: row.resolved_at,
    }
}
