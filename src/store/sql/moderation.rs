//! What the operator reads to moderate reports, and the deletion of one reporter's reports.

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::super::{Db, DbRow};
use super::Tx;
use crate::store::decode::{get, time, word, word_opt};
use crate::store::{
    to_ms, ChannelActivity, ModeratedReport, Moderation, NetworkActivity, StoreResult,
};

/// The busiest channels and networks a moderation view lists.
const BUSIEST: i64 = 20;

fn report_from(r: &DbRow) -> StoreResult<ModeratedReport> {
    Ok(ModeratedReport {
        id: get(r, "id")?,
        bank: get(r, "bank")?,
        channel: word(r, "channel")?,
        at: time(r, "at")?,
        comment: get(r, "comment")?,
        symptom: word_opt(r, "symptom")?,
        city: get(r, "city")?,
        works: get::<i64, _>(r, "works")? == 1,
        counted: get::<i64, _>(r, "counted")? == 1,
        reporter: get(r, "reporter")?,
        network: get(r, "network")?,
        reporter_reports: get(r, "reporter_reports")?,
    })
}

/// Reports of `bank` (or all) at or after `since`, not deleted: the condition every part
/// of the view shares, on `reports r`.
fn scope<'a>(q: &mut QueryBuilder<'a, Db>, bank: Option<&'a str>, since: DateTime<Utc>) {
    q.push(" WHERE r.at >= ")
        .push_bind(to_ms(since))
        .push(" AND r.deleted_at IS NULL");
    if let Some(bank) = bank {
        q.push(" AND r.bank = ").push_bind(bank);
    }
}

pub(super) async fn read(
    pool: &sqlx::Pool<Db>,
    bank: Option<&str>,
    since: DateTime<Utc>,
    limit: u32,
) -> StoreResult<Moderation> {
    let mut q: QueryBuilder<Db> = QueryBuilder::new(
        "SELECT r.id AS id, r.bank AS bank, r.channel AS channel, r.at AS at, \
         r.comment AS comment, r.symptom AS symptom, r.city AS city, r.works AS works, \
         r.counted AS counted, r.reporter AS reporter, r.network AS network, \
         (SELECT COUNT(*) FROM reports o WHERE o.reporter = r.reporter AND o.at >= ",
    );
    q.push_bind(to_ms(since))
        .push(" AND o.deleted_at IS NULL) AS reporter_reports FROM reports r");
    scope(&mut q, bank, since);
    q.push(" ORDER BY r.at DESC, r.id DESC LIMIT ")
        .push_bind(i64::from(limit.max(1)));
    let reports = q
        .build()
        .fetch_all(pool)
        .await?
        .iter()
        .map(report_from)
        .collect::<StoreResult<Vec<_>>>()?;

    let mut q: QueryBuilder<Db> = QueryBuilder::new(
        "SELECT r.bank AS bank, r.channel AS channel, COUNT(*) AS reports, \
         COUNT(DISTINCT r.reporter) AS reporters, COUNT(DISTINCT r.network) AS networks \
         FROM reports r",
    );
    scope(&mut q, bank, since);
    q.push(" AND r.works = 0 GROUP BY r.bank, r.channel ORDER BY reports DESC, r.bank, r.channel LIMIT ")
        .push_bind(BUSIEST);
    let channels = q
        .build()
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            Ok(ChannelActivity {
                bank: get(r, "bank")?,
                channel: word(r, "channel")?,
                reports: get(r, "reports")?,
                reporters: get(r, "reporters")?,
                networks: get(r, "networks")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;

    let mut q: QueryBuilder<Db> = QueryBuilder::new(
        "SELECT r.network AS network, COUNT(*) AS reports, \
         COUNT(DISTINCT r.reporter) AS reporters, MAX(r.at) AS last_at FROM reports r",
    );
    scope(&mut q, bank, since);
    q.push(" GROUP BY r.network ORDER BY reports DESC, last_at DESC LIMIT ")
        .push_bind(BUSIEST);
    let networks = q
        .build()
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            Ok(NetworkActivity {
                network: get(r, "network")?,
                reports: get(r, "reports")?,
                reporters: get(r, "reporters")?,
                last_at: time(r, "last_at")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Moderation {
        reports,
        channels,
        networks,
    })
}

/// Marks deleted at `at` every report of the reporter of report `id`; how many, or `None`
/// when there is no such report.
pub(super) async fn delete_reporter(
    tx: &mut Tx,
    id: i64,
    at: DateTime<Utc>,
) -> StoreResult<Option<u64>> {
    let reporter: Option<String> = sqlx::query_scalar("SELECT reporter FROM reports WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(reporter) = reporter else {
        return Ok(None);
    };
    let n = sqlx::query(
        "UPDATE reports SET deleted_at = $1 WHERE reporter = $2 AND deleted_at IS NULL",
    )
    .bind(to_ms(at))
    .bind(&reporter)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(Some(n))
}
