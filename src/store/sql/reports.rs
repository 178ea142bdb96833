//! Crowd reports.

use std::collections::{BTreeSet, HashMap, VecDeque};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::super::{Backend, Db, DbRow};
use super::{insert_audit, moderation, Tx, INSERT_CHUNK};
use crate::domain::Channel;
use crate::store::admission::{self, Admission, Sent};
use crate::store::decode::{get, time, time_opt, word, word_opt};
use crate::store::{
    to_ms, AuditEntry, Lock, Moderation, NewReport, ReportBucket, ReportFacet, ReportOutcome,
    ReportRow, ReportStore, ReportUnit, StoreError, StoreResult, TalliedReport,
};

#[async_trait]
impl ReportStore for Backend {
    async fn add_reports(
        &self,
        reports: &[NewReport],
        per_hour: u32,
        dedup: chrono::Duration,
    ) -> StoreResult<Vec<ReportOutcome>> {
        let Some(from) = admission::history_from(reports) else {
            return Ok(Vec::new());
        };
        // Three statements whatever the batch's size: the hour its reporters sent before,
        // the rows to store, and the commit. Under the write lock nothing comes in between.
        let mut tx = self.begin_write(Lock::Reports).await?;
        let history = sent_since(&mut tx, reports, from).await?;
        let admitted = admission::admit(history, reports, per_hour, dedup);
        let stored: Vec<(&NewReport, bool)> = reports
            .iter()
            .zip(&admitted)
            .filter_map(|(r, a)| match a {
                Admission::Store { counted } => Some((r, *counted)),
                Admission::Refuse => None,
            })
            .collect();
        let mut ids = insert_reports(&mut tx, &stored).await?;
        // Every stored report is matched to its id before the commit: a mismatch stores
        // nothing, rather than answering a stored report as failed.
        let mut outcomes = Vec::with_capacity(reports.len());
        for (report, admission) in reports.iter().zip(admitted) {
            outcomes.push(match admission {
                Admission::Store { counted } => {
                    let id = ids
                        .get_mut(&row_key(report, counted))
                        .and_then(|ids| ids.pop_front())
                        .ok_or_else(|| {
                            StoreError::Malformed("a stored report came back without its id".into())
                        })?;
                    ReportOutcome::Accepted { id, counted }
                }
                Admission::Refuse => ReportOutcome::RateLimited,
            });
        }
        self.commit(tx).await?;
        Ok(outcomes)
    }

    async fn recent_comments(
        &self,
        bank: &str,
        since: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ReportRow>> {
        let rows = sqlx::query(
            "SELECT id, channel, at, comment, symptom, city FROM reports WHERE bank = $1 \
             AND at >= $2 AND comment IS NOT NULL AND deleted_at IS NULL \
             ORDER BY at DESC, id DESC LIMIT $3",
        )
        .bind(bank)
        .bind(to_ms(since))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ReportRow {
                    id: get(r, "id")?,
                    channel: word(r, "channel")?,
                    at: time(r, "at")?,
                    comment: get(r, "comment")?,
                    symptom: word_opt(r, "symptom")?,
                    city: get(r, "city")?,
                })
            })
            .collect()
    }

    async fn delete_report(&self, id: i64, audit: &AuditEntry) -> StoreResult<bool> {
        let mut tx = self.begin_write(Lock::Rows).await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM reports WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut tx)
            .await?;
        if exists.is_none() {
            return Ok(false);
        }
        // Deleting a deleted report again changes nothing but is recorded as asked.
        sqlx::query("UPDATE reports SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL")
            .bind(to_ms(audit.at))
            .bind(id)
            .execute(&mut tx)
            .await?;
        insert_audit(&mut tx, audit, Some(format!("report:{id}"))).await?;
        self.commit(tx).await?;
        Ok(true)
    }

    async fn moderation(
        &self,
        bank: Option<&str>,
        since: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Moderation> {
        moderation::read(&self.pool, bank, since, limit).await
    }

    async fn delete_reporter_reports(
        &self,
        id: i64,
        audit: &AuditEntry,
    ) -> StoreResult<Option<u64>> {
        let mut tx = self.begin_write(Lock::Rows).await?;
        let Some(n) = moderation::delete_reporter(&mut tx, id, audit.at).await? else {
            return Ok(None);
        };
        insert_audit(&mut tx, audit, Some(format!("report:{id}"))).await?;
        self.commit(tx).await?;
        Ok(Some(n))
    }

    async fn report_units(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<ReportUnit>> {
        let rows = sqlx::query(
            "SELECT DISTINCT bank, channel, reporter, address, network FROM reports \
             WHERE at >= $1 AND at < $2 AND counted = 1 AND deleted_at IS NULL AND works = 0",
        )
        .bind(to_ms(from))
        .bind(to_ms(to))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ReportUnit {
                    bank: get(r, "bank")?,
                    channel: word(r, "channel")?,
                    reporter: get(r, "reporter")?,
                    address: get(r, "address")?,
                    network: get(r, "network")?,
                })
            })
            .collect()
    }

    async fn report_facets(
        &self,
        bank: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<ReportFacet>> {
        // Each reporter once per thing it said: a symptom, a city, or that it works.
        let rows = sqlx::query(
            "SELECT channel, works, symptom, NULL AS city, COUNT(DISTINCT reporter) AS reporters \
             FROM reports WHERE bank = $1 AND at >= $2 AND at < $3 AND counted = 1 \
             AND deleted_at IS NULL GROUP BY channel, works, symptom \
             UNION ALL \
             SELECT channel, works, NULL AS symptom, city, COUNT(DISTINCT reporter) AS reporters \
             FROM reports WHERE bank = $4 AND at >= $5 AND at < $6 AND counted = 1 \
             AND deleted_at IS NULL AND works = 0 AND city IS NOT NULL \
             GROUP BY channel, works, city",
        )
        .bind(bank)
        .bind(to_ms(since))
        .bind(to_ms(until))
        .bind(bank)
        .bind(to_ms(since))
        .bind(to_ms(until))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ReportFacet {
                    channel: word(r, "channel")?,
                    works: get::<i64, _>(r, "works")? == 1,
                    symptom: word_opt(r, "symptom")?,
                    city: get(r, "city")?,
                    reporters: get(r, "reporters")?,
                })
            })
            .collect()
    }

    async fn reports_after(
        &self,
        after: Option<i64>,
        since: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<TalliedReport>> {
        let rows = sqlx::query(REPORTS_AFTER)
            .bind(after)
            .bind(to_ms(since))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(tallied).collect()
    }

    async fn reports_deleted(&self, since: DateTime<Utc>) -> StoreResult<Vec<TalliedReport>> {
        let rows = sqlx::query(REPORTS_DELETED)
            .bind(to_ms(since))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(tallied).collect()
    }

    async fn reporter_reports(
        &self,
        bank: &str,
        channel: Channel,
        reporter: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<TalliedReport>> {
        let rows = sqlx::query(REPORTER_REPORTS)
            .bind(reporter)
            .bind(bank)
            .bind(channel.as_str())
            .bind(to_ms(since))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(tallied).collect()
    }

    async fn report_buckets(
        &self,
        bank: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        bucket: chrono::Duration,
    ) -> StoreResult<Vec<ReportBucket>> {
        let width = bucket.num_milliseconds().max(1);
        let rows = sqlx::query(
            "SELECT channel, (at / $1) * $2 AS bucket, COUNT(DISTINCT reporter) AS reporters \
             FROM reports WHERE bank = $3 AND at >= $4 AND at < $5 AND counted = 1 \
             AND deleted_at IS NULL AND works = 0 GROUP BY channel, bucket ORDER BY bucket",
        )
        .bind(width)
        .bind(width)
        .bind(bank)
        .bind(to_ms(since))
        .bind(to_ms(until))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ReportBucket {
                    channel: word(r, "channel")?,
                    start: time(r, "bucket")?,
                    reporters: get(r, "reporters")?,
                })
            })
            .collect()
    }
}

/// The tally's reading on, by the primary key.
pub(crate) const REPORTS_AFTER: &str =
    "SELECT id, bank, channel, at, reporter, address, network, works, counted, deleted_at \
     FROM reports \
     WHERE id > COALESCE($1, (SELECT MIN(id) - 1 FROM reports WHERE at >= $2)) \
     ORDER BY id LIMIT $3";
/// The latest deletions, by `reports_deleted`; ordered by the index's own column, since
/// `ORDER BY id` makes SQLite scan the table instead.
pub(crate) const REPORTS_DELETED: &str =
    "SELECT id, bank, channel, at, reporter, address, network, works, counted, deleted_at \
     FROM reports \
     WHERE deleted_at >= $1 ORDER BY deleted_at";
/// One reporter's reports of one channel, by `reports_reporter_at`.
pub(crate) const REPORTER_REPORTS: &str =
    "SELECT id, bank, channel, at, reporter, address, network, works, counted, deleted_at \
     FROM reports \
     WHERE reporter = $1 AND bank = $2 AND channel = $3 AND at >= $4";

fn tallied(r: &DbRow) -> StoreResult<TalliedReport> {
    Ok(TalliedReport {
        id: get(r, "id")?,
        bank: get(r, "bank")?,
        channel: word(r, "channel")?,
        at: time(r, "at")?,
        reporter: get(r, "reporter")?,
        address: get(r, "address")?,
        network: get(r, "network")?,
        works: get::<i64, _>(r, "works")? == 1,
        counted: get::<i64, _>(r, "counted")? == 1,
        deleted_at: time_opt(r, "deleted_at")?,
    })
}

/// What the admission rules read, less the list of addresses (`$2`, `$3`, ...) and its
/// closing parenthesis; by `reports_address_at`. An address's reports hold its reporters'.
pub(crate) const SENT_SINCE: &str = "SELECT reporter, address, bank, channel, works, at, \
     counted, deleted_at FROM reports WHERE at > $1 AND address IN (";

/// Every report the batch's addresses sent since `from`, deleted or not.
async fn sent_since(
    tx: &mut Tx,
    batch: &[NewReport],
    from: DateTime<Utc>,
) -> StoreResult<Vec<Sent>> {
    let addresses: BTreeSet<&str> = batch.iter().map(|r| r.address.as_str()).collect();
    let list: Vec<String> = (2..addresses.len() + 2).map(|i| format!("${i}")).collect();
    let sql = format!("{SENT_SINCE}{})", list.join(", "));
    let mut q = sqlx::query(&sql).bind(to_ms(from));
    for address in addresses {
        q = q.bind(address);
    }
    let rows = q.fetch_all(&mut *tx).await?;
    rows.iter()
        .map(|r| {
            Ok(Sent {
                reporter: get(r, "reporter")?,
                address: get(r, "address")?,
                bank: get(r, "bank")?,
                channel: word(r, "channel")?,
                works: get::<i64, _>(r, "works")? == 1,
                at: time(r, "at")?,
                counts: get::<i64, _>(r, "counted")? == 1 && time_opt(r, "deleted_at")?.is_none(),
            })
        })
        .collect()
}

/// What tells a stored row's report apart from the others of its batch: two reports with
/// the same key are the same row, and either id serves either. Whatever else a row holds
/// follows from its reporter (its address and network) or does not tell rows apart.
type RowKey = (String, String, String, i64, bool, bool, Option<String>);

fn row_key(r: &NewReport, counted: bool) -> RowKey {
    (
        r.reporter.clone(),
        r.bank.clone(),
        r.channel.as_str().to_owned(),
        to_ms(r.at),
        counted,
        r.works,
        r.comment.clone(),
    )
}

/// Inserts the rows; their ids by row, lowest first. A multi-row RETURNING gives its rows in
/// no set order, so each comes back with what it holds.
async fn insert_reports(
    tx: &mut Tx,
    stored: &[(&NewReport, bool)],
) -> StoreResult<HashMap<RowKey, VecDeque<i64>>> {
    let mut ids: HashMap<RowKey, Vec<i64>> = HashMap::new();
    for chunk in stored.chunks(INSERT_CHUNK) {
        let mut q: QueryBuilder<Db> = QueryBuilder::new(
            "INSERT INTO reports (bank, channel, at, reporter, address, network, counted, \
             comment, symptom, city, works) ",
        );
        q.push_values(chunk, |mut b, (r, counted)| {
            b.push_bind(&r.bank)
                .push_bind(r.channel.as_str())
                .push_bind(to_ms(r.at))
                .push_bind(&r.reporter)
                .push_bind(&r.address)
                .push_bind(&r.network)
                .push_bind(i64::from(*counted))
                .push_bind(&r.comment)
                .push_bind(r.symptom.map(|s| s.as_str()))
                .push_bind(&r.city)
                .push_bind(i64::from(r.works));
        });
        q.push(" RETURNING id, bank, channel, at, reporter, counted, works, comment");
        for row in q.build().fetch_all(&mut *tx).await? {
            let key = (
                get(&row, "reporter")?,
                get(&row, "bank")?,
                get(&row, "channel")?,
                get(&row, "at")?,
                get::<i64, _>(&row, "counted")? == 1,
                get::<i64, _>(&row, "works")? == 1,
                get(&row, "comment")?,
            );
            ids.entry(key).or_default().push(get(&row, "id")?);
        }
    }
    Ok(ids
        .into_iter()
        .map(|(key, mut v)| {
            v.sort_unstable();
            (key, v.into())
        })
        .collect())
}
