//! Rows back into domain types, by column name, for either backend: a vocabulary word the
//! code does not know is a [`StoreError::Malformed`], never a string compared later.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, Row, Type};

use super::{from_ms, StoreError, StoreResult};
use crate::domain::{CheckEvidence, ErrorClass, Names, Outcome, ProbeResult, ProbeTarget};

/// The value of column `col`.
pub(crate) fn get<'r, T, R>(row: &'r R, col: &str) -> StoreResult<T>
where
    R: Row,
    T: Decode<'r, R::Database> + Type<R::Database>,
    for<'c> &'c str: ColumnIndex<R>,
{
    Ok(row.try_get(col)?)
}

/// A time stored as milliseconds since the epoch.
pub(crate) fn time<R>(row: &R, col: &str) -> StoreResult<DateTime<Utc>>
where
    R: Row,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'c> &'c str: ColumnIndex<R>,
{
    Ok(from_ms(get(row, col)?))
}

/// A time that may be missing.
pub(crate) fn time_opt<R>(row: &R, col: &str) -> StoreResult<Option<DateTime<Utc>>>
where
    R: Row,
    for<'r> Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
    for<'c> &'c str: ColumnIndex<R>,
{
    Ok(get::<Option<i64>, R>(row, col)?.map(from_ms))
}

/// A word of the vocabulary (`kind`, `state`, `channel`...) parsed into its type.
pub(crate) fn word<T, R>(row: &R, col: &str) -> StoreResult<T>
where
    T: FromStr,
    R: Row,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'c> &'c str: ColumnIndex<R>,
{
    let raw: String = get(row, col)?;
    parse(&raw, col)
}

/// A word that may be missing.
pub(crate) fn word_opt<T, R>(row: &R, col: &str) -> StoreResult<Option<T>>
where
    T: FromStr,
    R: Row,
    for<'r> Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    for<'c> &'c str: ColumnIndex<R>,
{
    get::<Option<String>, R>(row, col)?
        .map(|raw| parse(&raw, col))
        .transpose()
}

pub(crate) fn parse<T: FromStr>(raw: &str, what: &str) -> StoreResult<T> {
    raw.parse()
        .map_err(|_| StoreError::Malformed(format!("{what} `{raw}`")))
}

/// The three texts of `{prefix}_ar`, `{prefix}_fr` and `{prefix}_en`.
pub(crate) fn names<R>(row: &R, prefix: &str) -> StoreResult<Names>
where
    R: Row,
    for<'r> Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    for<'c> &'c str: ColumnIndex<R>,
{
    Ok(Names {
        ar: get(row, &format!("{prefix}_ar"))?,
        fr: get(row, &format!("{prefix}_fr"))?,
        en: get(row, &format!("{prefix}_en"))?,
    })
}

/// The columns every query of `probe_results` reads back, in this order.
pub(crate) const RESULT_COLUMNS: &str = "probe_id, bank, channel, at, latency_ms, http_status, \
     outcome, error_class, detail, counted, region, evidence";

/// A `probe_results` row back into the result the probe made.
pub(crate) fn probe_result<R>(row: &R) -> StoreResult<ProbeResult>
where
    R: Row,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    for<'c> &'c str: ColumnIndex<R>,
{
    let bank: Option<String> = get(row, "bank")?;
    let target = match (bank, word_opt(row, "channel")?) {
        (Some(bank), Some(channel)) => ProbeTarget::Bank { bank, channel },
        _ => ProbeTarget::Control,
    };
    let outcome: String = get(row, "outcome")?;
    let outcome = match outcome.as_str() {
        "up" => Outcome::Up,
        "degraded" => Outcome::Degraded,
        "down" => Outcome::Down {
            class: word_opt::<ErrorClass, R>(row, "error_class")?.unwrap_or(ErrorClass::Status),
            detail: get::<Option<String>, R>(row, "detail")?.unwrap_or_default(),
        },
        other => return Err(StoreError::Malformed(format!("result outcome `{other}`"))),
    };
    Ok(ProbeResult {
        probe_id: get(row, "probe_id")?,
        target,
        at: time(row, "at")?,
        latency_ms: u32::try_from(get::<i64, R>(row, "latency_ms")?).unwrap_or(u32::MAX),
        http_status: get::<Option<i64>, R>(row, "http_status")?.and_then(|s| u16::try_from(s).ok()),
        outcome,
        counted: get::<i64, R>(row, "counted")? != 0,
        region: get(row, "region")?,
        evidence: evidence(get(row, "evidence")?)?,
        // Read back for the engine, not for the record: coverage is written on insert.
        covers_ms: 0,
    })
}

/// A check's evidence as stored: JSON, or nothing.
pub(crate) fn evidence(raw: Option<String>) -> StoreResult<CheckEvidence> {
    match raw {
        None => Ok(CheckEvidence::default()),
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| StoreError::Malformed(format!("check evidence: {e}"))),
    }
}
