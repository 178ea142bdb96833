//! `POST /api/v1/reports`: a report from a script or an app. Its reporter is its address
//! (no browser vouches for it).

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::{check, submit, Said};
use crate::web::client::Client;
use crate::web::error::AppError;
use crate::web::input;
use crate::web::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    bank: String,
    channel: String,
    comment: Option<String>,
    /// What fails: a code of the channel's list (e.g. atm `no_cash`), or `other`.
    symptom: Option<String>,
    /// Where: a city slug of the config's `[[cities]]`, chosen by the person.
    city: Option<String>,
    /// "It works for me": counter-evidence rather than a problem.
    works: Option<bool>,
}

/// `POST /api/v1/reports`: 202 with the report's id and whether it counts.
#[utoipa::path(post, path = "/api/v1/reports", tag = "reports",
    request_body = ReportBody,
    responses((status = 202, description = "Accepted: `{\"id\", \"bank\", \"channel\", \"counted\"}`"),
              (status = 400, description = "Malformed JSON", body = crate::web::error::ErrorBody),
              (status = 413, description = "Body over 16 KiB", body = crate::web::error::ErrorBody),
              (status = 415, description = "Not JSON", body = crate::web::error::ErrorBody),
              (status = 422, description = "Unknown bank, channel, symptom or city; comment too long", body = crate::web::error::ErrorBody),
              (status = 429, description = "Too many reports from this address", body = crate::web::error::ErrorBody)))]
pub async fn post_report(
    State(state): State<AppState>,
    client: Client,
    req: Request,
) -> Result<Response, AppError> {
    let day_key = state.day_keys.key(state.clock.now()).await?;
    let who = client.reporter_ids(&day_key, None);
    let body: ReportBody = input::json(req).await?;
    let report = check(
        &state.config,
        &Said {
            bank: &body.bank,
            channel: &body.channel,
            comment: body.comment.as_deref(),
            symptom: body.symptom.as_deref(),
            city: body.city.as_deref(),
            works: body.works.unwrap_or(false),
        },
    )
    .map_err(AppError::Unprocessable)?;
    let (bank, channel) = (report.bank.clone(), report.channel);
    let (id, counted) = submit(&state, who, report).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "id": id, "bank": bank, "channel": channel.as_str(), "counted": counted })),
    )
        .into_response())
}
