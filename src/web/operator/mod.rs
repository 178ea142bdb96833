//! The operator API: incidents and advisories, timeline updates and their corrections,
//! maintenance windows and report moderation. Each handler reads its JSON and calls the
//! action in `actions.rs`, the one the desk's forms call too; every action is written to the
//! audit table under the operator's name, with the request's `Idempotency-Key` when it has
//! one.

pub mod actions;
pub mod bodies;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

pub use bodies::{CorrectionBody, IncidentBody, NamesBody, UpdateBody, WindowBody, WithdrawBody};

use super::api::{incident_response, window_view, IncidentView, WindowView};
use super::auth::Operator;
use super::error::{AppError, ErrorBody};
use super::input;
use super::AppState;
use crate::i18n::Msg;

/// The id in a path, or the 404 `missing` says for an id that cannot be one.
fn id_in(raw: &str, missing: &'static str) -> Result<i64, AppError> {
    raw.parse()
        .map_err(|_| AppError::NotFound(Msg::new(missing).arg("id", raw)))
}

/// `POST /api/v1/incidents`: an outage or an advisory, possibly one from the past.
#[utoipa::path(post, path = "/api/v1/incidents", tag = "operator", security(("bearer" = [])),
    request_body = IncidentBody,
    responses((status = 201, description = "The incident", body = IncidentView),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 401, description = "Missing or wrong token", body = ErrorBody),
              (status = 429, description = "Too many wrong tokens from this address; see Retry-After", body = ErrorBody),
              (status = 403, description = "No operator token configured", body = ErrorBody),
              (status = 409, description = "The Idempotency-Key was used already", body = ErrorBody),
              (status = 413, description = "Body over 16 KiB", body = ErrorBody),
              (status = 415, description = "Not JSON", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)))]
pub async fn create_incident(
    State(state): State<AppState>,
    op: Operator,
    req: Request,
) -> Result<Response, AppError> {
    let body: IncidentBody = input::json(req).await?;
    let id = actions::create_incident(&state, &op, body).await?;
    incident_response(&state, id, StatusCode::CREATED).await
}

/// `POST /api/v1/incidents/{id}/updates`: confirm, retitle or resolve any incident.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/updates", tag = "operator", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The incident's id")),
    request_body = UpdateBody,
    responses((status = 201, description = "The incident with its new update", body = IncidentView),
              (status = 401, description = "Missing or wrong token", body = ErrorBody),
              (status = 429, description = "Too many wrong tokens from this address; see Retry-After", body = ErrorBody),
              (status = 403, description = "No operator token configured", body = ErrorBody),
              (status = 404, description = "No such incident", body = ErrorBody),
              (status = 409, description = "The incident is over, or the Idempotency-Key was used already", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)))]
pub async fn add_update(
    State(state): State<AppState>,
    op: Operator,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    let n = id_in(&id, "err-no-incident")?;
    let body: UpdateBody = input::json(req).await?;
    actions::add_update(&state, &op, n, body).await?;
    incident_response(&state, n, StatusCode::CREATED).await
}

/// `POST /api/v1/incidents/{id}/updates/{update_id}/corrections`: the operator's entry
/// corrected. The correction is appended, never an edit in place: the entry keeps the text
/// it was published with, and the incident shows "corrected at ...; the earlier text said".
#[utoipa::path(post, path = "/api/v1/incidents/{id}/updates/{update_id}/corrections", tag = "operator", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The incident's id"),
           ("update_id" = i64, Path, description = "The id of the entry to correct")),
    request_body = CorrectionBody,
    responses((status = 201, description = "The incident, the entry with its corrections", body = IncidentView),
              (status = 401, description = "Missing or wrong token", body = ErrorBody),
              (status = 429, description = "Too many wrong tokens from this address; see Retry-After", body = ErrorBody),
              (status = 403, description = "No operator token configured", body = ErrorBody),
              (status = 404, description = "No such incident or entry", body = ErrorBody),
              (status = 409, description = "The Idempotency-Key was used already", body = ErrorBody),
              (status = 422, description = "Not an operator's entry, no text, or the same text", body = ErrorBody)))]
pub async fn correct_update(
    State(state): State<AppState>,
    op: Operator,
    Path((id, update_id)): Path<(String, String)>,
    req: Request,
) -> Result<Response, AppError> {
    let n = id_in(&id, "err-no-incident")?;
    let u: i64 = update_id.parse().map_err(|_| {
        AppError::NotFound(
            Msg::new("err-no-update")
                .arg("id", n)
                .arg("update", &update_id),
        )
    })?;
    let body: CorrectionBody = input::json(req).await?;
    actions::correct_update(&state, &op, n, u, body).await?;
    incident_response(&state, n, StatusCode::CREATED).await
}

/// `POST /api/v1/maintenance`: an announced window, local times in the configured zone.
#[utoipa::path(post, path = "/api/v1/maintenance", tag = "operator", security(("bearer" = [])),
    request_body = WindowBody,
    responses((status = 201, description = "The announced window", body = WindowView),
              (status = 401, description = "Missing or wrong token", body = ErrorBody),
              (status = 429, description = "Too many wrong tokens from this address; see Retry-After", body = ErrorBody),
              (status = 403, description = "No operator token configured", body = ErrorBody),
              (status = 409, description = "The Idempotency-Key was used already", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)))]
pub async fn create_window(
    State(state): State<AppState>,
    op: Operator,
    req: Request,
) -> Result<Response, AppError> {
    let body: WindowBody = input::json(req).await?;
    let id = actions::create_window(&state, &op, body).await?;
    window_answer(&state, id, StatusCode::CREATED).await
}

/// `PUT /api/v1/maintenance/{id}`: a window announced anew before it begins: channels,
/// times, title, source (the bank stays). Calendars see a new sequence; the timeline says
/// what changed.
#[utoipa::path(put, path = "/api/v1/maintenance/{id}", tag = "operator", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The window's incident id")),
    request_body = WindowBody,
    responses((status = 200, description = "The window as announced now", body = WindowView),
              (status = 401, description = "Missing or wrong token", body = ErrorBody),
              (status = 429, description = "Too many wrong tokens from this address; see Retry-After", body = ErrorBody),
              (status = 403, description = "No operator token configured", body = ErrorBody),
              (status = 404, description = "No such window", body = ErrorBody),
              (status = 409, description = "It has begun or was called off, it comes from the config file, or the Idempotency-Key was used already", body = ErrorBody),
              (status = 422, description = "Invalid fields, or another bank", body = ErrorBody)))]
pub async fn change_window(
    State(state): State<AppState>,
    op: Operator,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    let n = id_in(&id, "err-no-window")?;
    let body: WindowBody = input::json(req).await?;
    actions::change_window(&state, &op, n, body).await?;
    window_answer(&state, n, StatusCode::OK).await
}

async fn window_answer(
    state: &AppState,
    id: i64,
    status: StatusCode,
) -> Result<Response, AppError> {
    let window = state
        .store
        .window(id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("window {id} vanished")))?;
    Ok((status, Json(window_view(&window, state.config.timezone))).into_response())
}

/// `DELETE /api/v1/reports/{id}`: a deleted report no longer counts.
#[utoipa::path(delete, path = "/api/v1/reports/{id}", tag = "operator", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The report's id")),
    responses((status = 204, description = "Deleted: it no longer counts"),
              (status = 401, description = "Missing or wrong token", body = ErrorBody),
              (status = 429, description = "Too many wrong tokens from this address; see Retry-After", body = ErrorBody),
              (status = 403, description = "No operator token configured", body = ErrorBody),
              (status = 404, description = "No such report", body = ErrorBody),
              (status = 409, description = "The Idempotency-Key was used already", body = ErrorBody)))]
pub async fn delete_report(
    State(state): State<AppState>,
    op: Operator,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let n = id_in(&id, "err-no-report")?;
    actions::delete_report(&state, &op, n).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// How many reports a moderation action deleted.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Deleted {
    deleted: u64,
}

/// `DELETE /api/v1/reports/{id}/reporter`: every report of the one who sent report `id`,
/// for a flood from one browser or address; none of them counts any more.
#[utoipa::path(delete, path = "/api/v1/reports/{id}/reporter", tag = "operator", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The id of one of the reporter's reports")),
    responses((status = 200, description = "How many reports were deleted now", body = Deleted),
              (status = 401, description = "Missing or wrong token", body = ErrorBody),
              (status = 429, description = "Too many wrong tokens from this address; see Retry-After", body = ErrorBody),
              (status = 403, description = "No operator token configured", body = ErrorBody),
              (status = 404, description = "No such report", body = ErrorBody),
              (status = 409, description = "The Idempotency-Key was used already", body = ErrorBody)))]
pub async fn delete_reporter_reports(
    State(state): State<AppState>,
    op: Operator,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let n = id_in(&id, "err-no-report")?;
    let deleted = actions::delete_reporter_reports(&state, &op, n).await?;
    Ok(Json(Deleted { deleted }).into_response())
}

/// `POST /api/v1/incidents/{id}/withdraw`: a false alarm. The incident becomes `withdrawn`:
/// it leaves the live pages, the feeds' live entries (an entry says it was withdrawn), the
/// Statuspage documents and the figures; the record lists it as withdrawn with the reason.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/withdraw", tag = "operator", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The incident's id")),
    request_body = WithdrawBody,
    responses((status = 201, description = "The incident, withdrawn", body = IncidentView),
              (status = 401, description = "Missing or wrong token", body = ErrorBody),
              (status = 429, description = "Too many wrong tokens from this address; see Retry-After", body = ErrorBody),
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
    let n = id_in(&id, "err-no-incident")?;
    let body: WithdrawBody = input::json(req).await?;
    actions::withdraw_incident(&state, &op, n, body).await?;
    incident_response(&state, n, StatusCode::CREATED).await
}
