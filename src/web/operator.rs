//! The operator API: incidents and advisories, timeline updates, maintenance windows and
//! report moderation. Every action is written to the audit table.

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::api::{incident_response, window_view, IncidentView, WindowView};
use super::auth::Operator;
use super::error::{AppError, ErrorBody};
use super::input;
use super::input::{invalid_time, vocabulary};
use super::AppState;
use crate::domain::{Channel, IncidentKind, IncidentState, Names, Source};
use crate::i18n::Msg;
use crate::signals::engine::Command;
use crate::store::{AuditEntry, NewIncident, NewUpdate, NewWindow, OperatorUpdate};
use crate::timezone::parse_input;

/// Texts in up to three languages, as the API takes them.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NamesBody {
    ar: Option<String>,
    fr: Option<String>,
    en: Option<String>,
}

impl NamesBody {
    /// Trimmed, with empty texts dropped; `what` names the field in the error.
    fn into_names(self, what: &str, required: bool) -> Result<Names, AppError> {
        let clean = |s: Option<String>| -> Result<Option<String>, AppError> {
            let Some(s) = s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) else {
                return Ok(None);
            };
            if s.chars().count() > 2000 {
                return Err(AppError::Unprocessable(
                    Msg::new("err-text-too-long")
                        .arg("field", what)
                        .arg("max", 2000),
                ));
            }
            Ok(Some(s))
        };
        let names = Names {
            ar: clean(self.ar)?,
            fr: clean(self.fr)?,
            en: clean(self.en)?,
        };
        if required && names.is_empty() {
            return Err(AppError::Unprocessable(
                Msg::new("err-text-missing").arg("field", what),
            ));
        }
        Ok(names)
    }
}

fn known_banks(state: &AppState, banks: &[String]) -> Result<(), AppError> {
    if banks.is_empty() {
        return Err(AppError::Unprocessable(Msg::new("err-banks-empty")));
    }
    for b in banks {
        if state.config.bank(b).is_none() {
            let known: Vec<&str> = state.config.banks.iter().map(|b| b.slug.as_str()).collect();
            return Err(AppError::Unprocessable(
                Msg::new("err-unknown-bank")
                    .arg("slug", b)
                    .arg("known", known.join(", ")),
            ));
        }
    }
    Ok(())
}

fn channels(raw: Option<Vec<String>>) -> Result<Vec<Channel>, AppError> {
    let Some(raw) = raw else {
        return Ok(Channel::ALL.to_vec());
    };
    if raw.is_empty() {
        return Err(AppError::Unprocessable(Msg::new("err-channels-empty")));
    }
    let mut out = Vec::new();
    for c in raw {
        let ch: Channel = vocabulary("channels", &c).map_err(AppError::Unprocessable)?;
        if !out.contains(&ch) {
            out.push(ch);
        }
    }
    Ok(out)
}

/// A time the operator gives for something that happened: never well in the future.
fn time(
    state: &AppState,
    field: &str,
    raw: &str,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, AppError> {
    let t = parse_input(raw, state.config.timezone)
        .map_err(|_| AppError::Unprocessable(invalid_time(field, raw)))?;
    if t > now + chrono::Duration::minutes(5) {
        return Err(AppError::Unprocessable(
            Msg::new("err-time-in-future").arg("field", field),
        ));
    }
    Ok(t)
}

fn state_for(kind: IncidentKind, raw: &str) -> Result<IncidentState, AppError> {
    let state: IncidentState = vocabulary("state", raw).map_err(AppError::Unprocessable)?;
    if state == IncidentState::Withdrawn {
        // A false alarm leaves the figures: that is its own action, with a reason.
        return Err(AppError::Unprocessable(Msg::new("err-withdraw-by-action")));
    }
    if state.is_maintenance() == (kind == IncidentKind::Maintenance) {
        Ok(state)
    } else {
        Err(AppError::Unprocessable(
            Msg::new("err-state-kind")
                .arg("kind", kind)
                .arg("state", raw),
        ))
    }
}

/// The audit entry of an operator action on `target` (`None` for what the action makes:
/// the store names it).
fn audit(
    op: &Operator,
    action: &str,
    target: Option<String>,
    detail: Option<String>,
    at: DateTime<Utc>,
) -> AuditEntry {
    AuditEntry {
        at,
        actor: op.actor.clone(),
        action: action.to_owned(),
        target,
        detail,
    }
}

/// How an operator action on an incident ends: the engine told, the incident answered
/// with 201.
async fn done(state: &AppState, id: i64) -> Result<Response, AppError> {
    state.changed(Command::Reload);
    incident_response(state, id, StatusCode::CREATED).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentBody {
    kind: String,
    banks: Vec<String>,
    channels: Option<Vec<String>>,
    title: NamesBody,
    #[serde(default)]
    message: NamesBody,
    state: Option<String>,
    started_at: Option<String>,
    resolved_at: Option<String>,
}

/// `POST /api/v1/incidents`: an outage or an advisory, possibly one from the past.
#[utoipa::path(post, path = "/api/v1/incidents", tag = "operator", security(("bearer" = [])),
    request_body = IncidentBody,
    responses((status = 201, description = "The incident", body = IncidentView),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 401, description = "Missing or wrong token", body = ErrorBody),
              (status = 403, description = "No operator token configured", body = ErrorBody),
              (status = 413, description = "Body over 16 KiB", body = ErrorBody),
              (status = 415, description = "Not JSON", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)))]
pub async fn create_incident(
    State(state): State<AppState>,
    op: Operator,
    req: Request,
) -> Result<Response, AppError> {
    let body: IncidentBody = input::json(req).await?;
    let kind = match body.kind.as_str() {
        "outage" => IncidentKind::Outage,
        "advisory" => IncidentKind::Advisory,
        "maintenance" => {
            return Err(AppError::Unprocessable(Msg::new(
                "err-maintenance-endpoint",
            )))
        }
        other => {
            return Err(AppError::Unprocessable(
                Msg::new("err-invalid-value")
                    .arg("field", "kind")
                    .arg("value", other)
                    .arg("allowed", "outage, advisory"),
            ))
        }
    };
    known_banks(&state, &body.banks)?;
    let channels = channels(body.channels)?;
    let title = body.title.into_names("title", true)?;
    let message = body.message.into_names("message", false)?;
    let wanted = state_for(kind, body.state.as_deref().unwrap_or("investigating"))?;
    let now = state.clock.now();
    let started_at = body
        .started_at
        .as_deref()
        .map(|s| time(&state, "started_at", s, now))
        .transpose()?
        .unwrap_or(now);
    let resolved_at = body
        .resolved_at
        .as_deref()
        .map(|s| time(&state, "resolved_at", s, now))
        .transpose()?;
    if resolved_at.is_some_and(|r| r < started_at) {
        return Err(AppError::Unprocessable(Msg::new(
            "err-resolved-before-start",
        )));
    }
    let resolved_at = resolved_at.or((wanted == IncidentState::Resolved).then_some(now));
    let first_state = if resolved_at.is_some() && wanted == IncidentState::Resolved {
        IncidentState::Investigating
    } else {
        wanted
    };
    let scopes = body
        .banks
        .iter()
        .flat_map(|b| channels.iter().map(move |c| (b.clone(), *c)))
        .collect();
    let opened = state
        .store
        .open_incident(&NewIncident {
            kind,
            title: title.clone(),
            started_at,
            recorded_at: now,
            open_key: None,
            overrun_of: None,
            scopes,
            first_update: NewUpdate {
                at: started_at,
                state: first_state,
                source: Source::Operator,
                message: if message.is_empty() {
                    title
                } else {
                    message.clone()
                },
                alert: true,
            },
            later: resolved_at
                .map(|at| NewUpdate {
                    at,
                    state: IncidentState::Resolved,
                    source: Source::Operator,
                    message: Names::default(),
                    alert: true,
                })
                .into_iter()
                .collect(),
            audit: Some(audit(
                &op,
                "create_incident",
                None,
                Some(kind.as_str().to_owned()),
                now,
            )),
            reopen: None,
        })
        .await?;
    done(&state, opened.id()).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    state: String,
    #[serde(default)]
    message: NamesBody,
    title: Option<NamesBody>,
    at: Option<String>,
}

/// `POST /api/v1/incidents/{id}/updates`: confirm, retitle or resolve any incident.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/updates", tag = "operator", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The incident's id")),
    request_body = UpdateBody,
    responses((status = 201, description = "The incident with its new update", body = IncidentView),
              (status = 401, description = "Missing or wrong token", body = ErrorBody),
              (status = 403, description = "No operator token configured", body = ErrorBody),
              (status = 404, description = "No such incident", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)))]
pub async fn add_update(
    State(state): State<AppState>,
    op: Operator,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    let not_found = || AppError::NotFound(Msg::new("err-no-incident").arg("id", &id));
    let n: i64 = id.parse().map_err(|_| not_found())?;
    let body: UpdateBody = input::json(req).await?;
    let (incident, _) = state.store.incident(n).await?.ok_or_else(not_found)?;
    let new_state = state_for(incident.kind, &body.state)?;
    if incident.resolved_at.is_some() && !new_state.is_closed() {
        return Err(AppError::Conflict(
            Msg::new("err-incident-over").arg("id", n),
        ));
    }
    let message = body.message.into_names("message", false)?;
    let title = body
        .title
        .map(|t| t.into_names("title", true))
        .transpose()?;
    let now = state.clock.now();
    let at = body
        .at
        .as_deref()
        .map(|s| time(&state, "at", s, now))
        .transpose()?
        .unwrap_or(now);
    let maintenance = incident.kind == IncidentKind::Maintenance;
    // A maintenance window may be changed or cancelled before it starts.
    if at < incident.started_at && !maintenance {
        return Err(AppError::Unprocessable(Msg::new("err-at-before-start")));
    }
    state
        .store
        .operator_update(
            n,
            &OperatorUpdate {
                update: NewUpdate {
                    at,
                    state: new_state,
                    source: Source::Operator,
                    message,
                    alert: true,
                },
                title,
                // Calendars see the change; completing a window before it ends cancels the rest.
                window: maintenance
                    .then_some((new_state == IncidentState::Completed).then_some(at)),
                audit: audit(
                    &op,
                    "add_update",
                    Some(format!("incident:{n}")),
                    Some(new_state.as_str().to_owned()),
                    now,
                ),
            },
        )
        .await?;
    done(&state, n).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowBody {
    bank: String,
    channels: Vec<String>,
    starts: String,
    ends: String,
    title: NamesBody,
    source: Option<String>,
}

/// `POST /api/v1/maintenance`: an announced window, local times in the configured zone.
#[utoipa::path(post, path = "/api/v1/maintenance", tag = "operator", security(("bearer" = [])),
    request_body = WindowBody,
    responses((status = 201, description = "The announced window", body = WindowView),
              (status = 401, description = "Missing or wrong token", body = ErrorBody),
              (status = 403, description = "No operator token configured", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)))]
pub async fn create_window(
    State(state): State<AppState>,
    op: Operator,
    req: Request,
) -> Result<Response, AppError> {
    let body: WindowBody = input::json(req).await?;
    known_banks(&state, std::slice::from_ref(&body.bank))?;
    let channels = channels(Some(body.channels))?;
    let tz = state.config.timezone;
    let parse = |field: &str, raw: &str| {
        parse_input(raw, tz).map_err(|_| AppError::Unprocessable(invalid_time(field, raw)))
    };
    let starts = parse("starts", &body.starts)?;
    let ends = parse("ends", &body.ends)?;
    if ends <= starts {
        return Err(AppError::Unprocessable(Msg::new("err-ends-before-starts")));
    }
    let title = body.title.into_names("title", true)?;
    let source = match body
        .source
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
    {
        Some(s) => match reqwest::Url::parse(&s) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Some(s),
            _ => {
                return Err(AppError::Unprocessable(
                    Msg::new("err-source-url").arg("value", s),
                ))
            }
        },
        None => None,
    };
    let now = state.clock.now();
    let id = state
        .store
        .upsert_window(
            &NewWindow {
                bank: body.bank.clone(),
                channels,
                starts,
                ends,
                title,
                source,
                config_key: None,
            },
            now,
            Some(&audit(&op, "create_maintenance", None, None, now)),
        )
        .await?;
    state.changed(Command::Reload);
    let window = state
        .store
        .window(id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("window {id} vanished")))?;
    Ok((StatusCode::CREATED, Json(window_view(&window, tz))).into_response())
}

/// `DELETE /api/v1/reports/{id}`: a deleted report no longer counts.
#[utoipa::path(delete, path = "/api/v1/reports/{id}", tag = "operator", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The report's id")),
    responses((status = 204, description = "Deleted: it no longer counts"),
              (status = 401, description = "Missing or wrong token", body = ErrorBody),
              (status = 403, description = "No operator token configured", body = ErrorBody),
              (status = 404, description = "No such report", body = ErrorBody)))]
pub async fn delete_report(
    State(state): State<AppState>,
    op: Operator,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let not_found = || AppError::NotFound(Msg::new("err-no-report").arg("id", &id));
    let n: i64 = id.parse().map_err(|_| not_found())?;
    let entry = audit(
        &op,
        "delete_report",
        Some(format!("report:{n}")),
        None,
        state.clock.now(),
    );
    if !state.store.delete_report(n, &entry).await? {
        return Err(not_found());
    }
    state.changed(Command::ReportsChanged);
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    /// Why it was a false alarm, in any of ar, fr, en: shown on the record.
    reason: NamesBody,
}

/// `POST /api/v1/incidents/{id}/withdraw`: a false alarm. The incident becomes `withdrawn`:
/// it leaves the live pages, the feeds' live entries (an entry says it was withdrawn), the
/// Statuspage documents and the figures; the record lists it as withdrawn with the reason.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/withdraw", tag = "operator", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The incident's id")),
    request_body = WithdrawBody,
    responses((status = 201, description = "The incident, withdrawn", body = IncidentView),
              (status = 401, description = "Missing or wrong token", body = ErrorBody),
              (status = 403, description = "No operator token configured", body = ErrorBody),
              (status = 404, description = "No such incident", body = ErrorBody),
              (status = 409, description = "A maintenance window, or withdrawn already", body = ErrorBody),
              (status = 422, description = "No reason given", body = ErrorBody)))]
pub async fn withdraw_incident(
    State(state): State<AppState>,
    op: Operator,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    let not_found = || AppError::NotFound(Msg::new("err-no-incident").arg("id", &id));
    let n: i64 = id.parse().map_err(|_| not_found())?;
    let body: WithdrawBody = input::json(req).await?;
    let reason = body.reason.into_names("reason", true)?;
    let (incident, _) = state.store.incident(n).await?.ok_or_else(not_found)?;
    if incident.kind == IncidentKind::Maintenance || incident.state == IncidentState::Withdrawn {
        return Err(AppError::Conflict(
            Msg::new("err-not-withdrawable").arg("id", n),
        ));
    }
    let now = state.clock.now();
    let entry = NewUpdate {
        at: now,
        state: IncidentState::Withdrawn,
        source: Source::Operator,
        message: crate::i18n::sentences(&[
            Msg::new("withdrawn-entry").with("reason", crate::i18n::Arg::Names(reason.clone()))
        ]),
        alert: true,
    };
    let detail = Some(reason.get(crate::domain::Lang::En).to_owned());
    let audit = audit(&op, "withdraw_incident", None, detail, now);
    if !state.store.withdraw_incident(n, &entry, &audit).await? {
        return Err(AppError::Conflict(
            Msg::new("err-not-withdrawable").arg("id", n),
        ));
    }
    done(&state, n).await
}
