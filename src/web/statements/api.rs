//! The JSON API of statements: the operator records one (`POST /api/v1/statements`), anyone
//! lists them (`GET /api/v1/statements?bank=&since=`), newest said first.

use axum::extract::{RawQuery, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;

use super::create::create;
use super::request::StatementBody;
use crate::domain::{Channel, Names, SourceKind, Statement};
use crate::store::StatementFilter;
use crate::timezone::parse_input;
use crate::web::auth::Operator;
use crate::web::error::{AppError, ErrorBody};
use crate::web::input::{self, bounded_query, invalid_time, known_bank};
use crate::web::AppState;

/// A statement as the API gives it: the bank's words verbatim, translations apart.
#[derive(Serialize, ToSchema)]
pub struct StatementView {
    id: i64,
    bank: String,
    channels: Vec<Channel>,
    /// The bank's own words, in each language it used.
    text: Names,
    /// Translations made here, not the bank's words.
    translations: Names,
    source_url: String,
    source_kind: SourceKind,
    said_at: String,
    /// The return time the bank promised, if any.
    expected_back_at: Option<String>,
    /// When it was put on the record here.
    recorded_at: String,
    /// The incidents it speaks of.
    incidents: Vec<i64>,
    /// Where it is shown.
    url: String,
}

/// `s` as the API gives it, times in the zone's offset.
pub fn statement_view(s: &Statement, tz: Tz) -> StatementView {
    let rfc3339 = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).to_rfc3339();
    StatementView {
        id: s.id,
        bank: s.bank.clone(),
        channels: s.channels.clone(),
        text: s.words.clone(),
        translations: s.translations.clone(),
        source_url: s.source_url.clone(),
        source_kind: s.source_kind,
        said_at: rfc3339(s.said_at),
        expected_back_at: s.expected_back_at.map(rfc3339),
        recorded_at: rfc3339(s.recorded_at),
        incidents: s.incidents.clone(),
        url: anchor(s),
    }
}

/// The statement's place on the pages: its first incident's page, else its bank's.
pub fn anchor(s: &Statement) -> String {
    match s.incidents.first() {
        Some(id) => format!("/incidents/{id}#statement-{}", s.id),
        None => format!("/banks/{}#statement-{}", s.bank, s.id),
    }
}

#[derive(Serialize, ToSchema)]
pub struct StatementList {
    statements: Vec<StatementView>,
}

/// Statements a list gives at most.
const LIST_LIMIT: u32 = 500;

/// `POST /api/v1/statements`: what a bank said, verbatim, with its source and times.
#[utoipa::path(post, path = "/api/v1/statements", tag = "operator", security(("bearer" = [])),
    request_body = StatementBody,
    responses((status = 201, description = "The statement as recorded", body = StatementView),
              (status = 401, description = "Missing or wrong token", body = ErrorBody),
              (status = 429, description = "Too many wrong tokens from this address; see Retry-After", body = ErrorBody),
              (status = 403, description = "No operator token configured", body = ErrorBody),
              (status = 422, description = "Unknown bank, a source that is not http(s), a promise before the words, a control character or bidi override in the text; nothing is stored", body = ErrorBody)))]
pub async fn post_statement(
    State(state): State<AppState>,
    op: Operator,
    req: Request,
) -> Result<Response, AppError> {
    let body: StatementBody = input::json(req).await?;
    let s = create(&state, &op, body).await?;
    Ok((
        StatusCode::CREATED,
        Json(statement_view(&s, state.config.timezone)),
    )
        .into_response())
}

/// `GET /api/v1/statements?bank=&since=`: newest said first.
#[utoipa::path(get, path = "/api/v1/statements", tag = "statements",
    params(("bank" = Option<String>, Query, description = "Only this bank's statements"),
           ("since" = Option<String>, Query, description = "Only those said at or after this time (RFC 3339, or local)")),
    responses((status = 200, description = "Statements, newest said first (at most 500)", body = StatementList),
              (status = 400, description = "Bad query", body = ErrorBody),
              (status = 404, description = "No such bank", body = ErrorBody)))]
pub async fn list_statements(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let raw = bounded_query(q.as_deref())?;
    let tz = state.config.timezone;
    let mut filter = StatementFilter {
        limit: LIST_LIMIT,
        ..Default::default()
    };
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        match k.as_ref() {
            "bank" => {
                known_bank(&state.config, &v)?;
                filter.bank = Some(v.into_owned());
            }
            "since" => {
                filter.since = Some(
                    parse_input(&v, tz)
                        .map_err(|_| AppError::BadRequest(invalid_time("since", &v)))?,
                );
            }
            _ => {}
        }
    }
    let statements = state.store.statements(&filter).await?;
    let mut res = Json(StatementList {
        statements: statements.iter().map(|s| statement_view(s, tz)).collect(),
    })
    .into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=5"),
    );
    Ok(res)
}
