//! Request input read with caps: bodies with a size cap, a time limit and a content-type
//! check, so every bad body gets the SPEC's error shape (413 too large, 408 too slow, 415
//! wrong type, 400 malformed, 422 invalid); query strings with a length cap; the keyset
//! cursors of paged lists.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::header;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

use super::error::AppError;
use crate::domain::Vocabulary;
use crate::i18n::Msg;
use crate::store::from_ms;

/// The first value of `name` in a query string.
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A word of the public vocabulary given in `field`, or the message that lists the allowed
/// ones.
pub fn vocabulary<T: Vocabulary>(field: &str, value: &str) -> Result<T, Msg> {
    value.parse::<T>().map_err(|_| {
        Msg::new("err-invalid-value")
            .arg("field", field)
            .arg("value", value)
            .arg("allowed", T::NAMES.join(", "))
    })
}

/// [`vocabulary`] for a query parameter: a 400.
pub fn parse_value<T: Vocabulary>(field: &str, value: &str) -> Result<T, AppError> {
    vocabulary(field, value).map_err(AppError::BadRequest)
}

/// The message for a time that could not be read.
pub fn invalid_time(field: &str, value: &str) -> Msg {
    Msg::new("err-invalid-time")
        .arg("field", field)
        .arg("value", value)
}

/// The bank called `slug`, or the 404 that says there is none.
pub fn known_bank<'a>(
    config: &'a crate::config::Config,
    slug: &str,
) -> Result<&'a crate::domain::Bank, AppError> {
    config
        .bank(slug)
        .ok_or_else(|| AppError::NotFound(Msg::new("err-no-bank").arg("slug", slug)))
}

/// The largest body any endpoint takes.
pub const MAX_BODY: usize = 16 * 1024;
/// How long a request body may take to arrive whole (`[server] body_timeout`, nginx
/// `client_body_timeout`), put on each request by the server: a client trickling one byte
/// at a time would otherwise hold its connection, and delay shutdown, as long as it likes.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Duration);

impl Default for BodyTimeout {
    fn default() -> Self {
        BodyTimeout(crate::config::ServerConfig::default().body_timeout)
    }
}

/// The longest query string a list, feed or page with filters takes.
pub const MAX_QUERY: usize = 1024;

/// The query string, or the 400 that says it is too long.
pub fn bounded_query(raw: Option<&str>) -> Result<&str, AppError> {
    let raw = raw.unwrap_or("");
    if raw.len() > MAX_QUERY {
        return Err(AppError::BadRequest(
            Msg::new("err-query-too-long").arg("max", MAX_QUERY),
        ));
    }
    Ok(raw)
}

/// Where the next page of a newest-first incident list starts: after this (start, id).
pub fn cursor_of(started_at: DateTime<Utc>, id: i64) -> String {
    format!("{}.{id}", started_at.timestamp_millis())
}

/// The last millisecond of the year 9999: no stored time is later.
const LAST_MS: i64 = 253_402_300_799_999;

/// A cursor [`cursor_of`] made, given back in `field`. One it could not have made (a time
/// before 1970 or after 9999, an id below 1) is refused rather than read as an empty page.
pub fn parse_cursor(field: &str, value: &str) -> Result<(DateTime<Utc>, i64), AppError> {
    value
        .split_once('.')
        .and_then(|(ms, id)| {
            let ms: i64 = ms.parse().ok().filter(|ms| (0..=LAST_MS).contains(ms))?;
            let id: i64 = id.parse().ok().filter(|id| *id >= 1)?;
            Some((from_ms(ms), id))
        })
        .ok_or_else(|| {
            AppError::BadRequest(
                Msg::new("err-invalid-cursor")
                    .arg("field", field)
                    .arg("value", value),
            )
        })
}

fn content_type(req: &Request) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

async fn read(req: Request, expected: &str, limit: usize) -> Result<Bytes, AppError> {
    let got = content_type(&req);
    if got != expected {
        let shown = if got.is_empty() {
            "none".to_owned()
        } else {
            format!("`{got}`")
        };
        return Err(AppError::UnsupportedMediaType(
            Msg::new("err-content-type")
                .arg("expected", expected)
                .arg("shown", shown),
        ));
    }
    let within = req
        .extensions()
        .get::<BodyTimeout>()
        .copied()
        .unwrap_or_default()
        .0;
    let first_byte = (limit <= SMALL_BODY).then_some(FIRST_BYTE.min(within));
    match tokio::time::timeout(within, collect(req.into_body(), limit, first_byte)).await {
        Ok(read) => read,
        Err(_) => Err(AppError::RequestTimeout(
            Msg::new("err-body-timeout").arg("seconds", within.as_secs_f64()),
        )),
    }
}

/// Bodies up to this size (reports, subscriptions, the desk's forms) must start within
/// [`FIRST_BYTE`]: a person's browser sends them with the head.
const SMALL_BODY: usize = 64 * 1024;
/// How long a small body may take to start arriving, however long it may take to finish:
/// a client that sends a head and then waits holds its connection this long, not the
/// whole body timeout.
pub const FIRST_BYTE: Duration = Duration::from_secs(3);

/// The body's bytes, at most `limit`, its first within `first_byte` when given.
async fn collect(
    mut body: axum::body::Body,
    limit: usize,
    first_byte: Option<Duration>,
) -> Result<Bytes, AppError> {
    use hyper::body::Body as _;
    let mut out = Vec::new();
    let mut waiting_first = first_byte.filter(|_| !body.is_end_stream());
    loop {
        let next = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx));
        let frame = match waiting_first {
            Some(d) => tokio::time::timeout(d, next).await.map_err(|_| {
                AppError::RequestTimeout(
                    Msg::new("err-body-first-byte").arg("seconds", d.as_secs_f64()),
                )
            })?,
            None => next.await,
        };
        let Some(frame) = frame else {
            return Ok(Bytes::from(out));
        };
        let frame = frame.map_err(|_| AppError::BadRequest(Msg::new("err-body-broken")))?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > limit {
                return Err(AppError::PayloadTooLarge(
                    Msg::new("err-body-too-large").arg("max", limit / 1024),
                ));
            }
            if !data.is_empty() {
                waiting_first = None;
            }
            out.extend_from_slice(&data);
        }
    }
}

/// A JSON body: malformed JSON is a 400, well-formed but wrong fields a 422.
pub async fn json<T: DeserializeOwned>(req: Request) -> Result<T, AppError> {
    json_up_to(req, MAX_BODY).await
}

/// [`json`] with a body limit of its own, for batches larger than a person's input.
pub async fn json_up_to<T: DeserializeOwned>(req: Request, limit: usize) -> Result<T, AppError> {
    let bytes = read(req, "application/json", limit).await?;
    serde_json::from_slice(&bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => AppError::Unprocessable(Msg::new("err-json-shape").arg("detail", e)),
            _ => AppError::BadRequest(Msg::new("err-json-syntax").arg("detail", e)),
        }
    })
}

/// A form body as name and value pairs.
pub async fn form(req: Request) -> Result<Vec<(String, String)>, AppError> {
    form_up_to(req, MAX_BODY).await
}

/// [`form`] with a body limit of its own: an operator's texts in three languages, Arabic
/// percent-encoded at six bytes a letter, need more than a report does.
pub async fn form_up_to(req: Request, limit: usize) -> Result<Vec<(String, String)>, AppError> {
    let bytes = read(req, "application/x-www-form-urlencoded", limit).await?;
    Ok(form_urlencoded::parse(&bytes).into_owned().collect())
}
