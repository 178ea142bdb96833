//! Crowd reports.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::super::{Backend, DbRow};
use super::insert_audit;
use crate::domain::Channel;
use crate::store::decode::{get, time, time_opt, word};
use crate::store::{
    to_ms, AuditEntry, Lock, NewReport, ReportBucket, ReportCount, ReportOutcome, ReportRow,
    ReportStore, StoreResult, TalliedReport,
};

/// One report, stored unless past its reporter's hourly allowance, counted unless a repeat
/// within the dedup span. Both checks look a reporter up by `reports_reporter_at`.
pub(crate) const ADD_REPORT: &str =
    "INSERT INTO reports (bank, channel, at, reporter, counted, comment) \
     SELECT $1, $2, $3, $4, \
       CASE WHEN EXISTS (SELECT 1 FROM reports WHERE reporter = $4 AND bank = $1 \
         AND channel = $2 AND counted = 1 AND deleted_at IS NULL AND at > $5) \
       THEN 0 ELSE 1 END, $6 \
     WHERE (SELECT COUNT(*) FROM reports WHERE reporter = $4 AND at > $7) < $8 \
     RETURNING id, counted";

#[async_trait]
impl ReportStore for Backend {
    async fn add_reports(
        &self,
        reports: &[NewReport],
        per_hour: u32,
        dedup: chrono::Duration,
    ) -> StoreResult<Vec<ReportOutcome>> {
        let mut tx = self.begin_write(Lock::Reports).await?;
        let mut outcomes = Vec::with_capacity(reports.len());
        for report in reports {
            // One statement per report: nothing is stored past the hourly allowance, and a
            // repeat within the dedup span is stored uncounted. Earlier reports of the same
            // batch are in the transaction, so they count against both.
            let at = to_ms(report.at);
            let stored: Option<(i64, i64)> = sqlx::query_as(ADD_REPORT)
                .bind(&report.bank)
                .bind(report.channel.as_str())
                .bind(at)
                .bind(&report.reporter)
                .bind(at - dedup.num_milliseconds())
                .bind(&report.comment)
                .bind(at - 3_600_000)
                .bind(i64::from(per_hour))
                .fetch_optional(&mut *tx)
                .await?;
            outcomes.push(match stored {
                Some((id, counted)) => ReportOutcome::Accepted {
                    id,
                    counted: counted == 1,
                },
                None => ReportOutcome::RateLimited,
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
            "SELECT id, channel, at, comment FROM reports WHERE bank = $1 AND at >= $2 \
             AND comment IS NOT NULL AND deleted_at IS NULL ORDER BY at DESC, id DESC LIMIT $3",
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
                })
            })
            .collect()
    }

    async fn delete_report(&self, id: i64, audit: &AuditEntry) -> StoreResult<bool> {
        let mut tx = self.begin_write(Lock::Rows).await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM reports WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Ok(false);
        }
        // Deleting a deleted report again changes nothing but is recorded as asked.
        sqlx::query("UPDATE reports SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL")
            .bind(to_ms(audit.at))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        insert_audit(&mut tx, audit, Some(format!("report:{id}"))).await?;
        self.commit(tx).await?;
        Ok(true)
    }

    async fn report_counts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<ReportCount>> {
        let rows = sqlx::query(
            "SELECT bank, channel, COUNT(DISTINCT reporter) AS reporters FROM reports \
             WHERE at >= $1 AND at < $2 AND counted = 1 AND deleted_at IS NULL \
             GROUP BY bank, channel",
        )
        .bind(to_ms(from))
        .bind(to_ms(to))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ReportCount {
                    bank: get(r, "bank")?,
                    channel: word(r, "channel")?,
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
        let rows = sqlx::query(&format!(
            "SELECT {TALLIED} FROM reports \
             WHERE id > COALESCE($1, (SELECT MIN(id) - 1 FROM reports WHERE at >= $2)) \
             ORDER BY id LIMIT $3"
        ))
        .bind(after)
        .bind(to_ms(since))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(tallied).collect()
    }

    async fn reports_deleted(&self, since: DateTime<Utc>) -> StoreResult<Vec<TalliedReport>> {
        let rows = sqlx::query(&format!(
            "SELECT {TALLIED} FROM reports WHERE deleted_at >= $1 ORDER BY id"
        ))
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
        let rows = sqlx::query(&format!(
            "SELECT {TALLIED} FROM reports \
             WHERE reporter = $1 AND bank = $2 AND channel = $3 AND at >= $4 ORDER BY id"
        ))
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
             AND deleted_at IS NULL GROUP BY channel, bucket ORDER BY bucket",
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

/// The columns [`tallied`] reads.
const TALLIED: &str = "id, bank, channel, at, reporter, counted, deleted_at";

fn tallied(r: &DbRow) -> StoreResult<TalliedReport> {
    Ok(TalliedReport {
        id: get(r, "id")?,
        bank: get(r, "bank")?,
        channel: word(r, "channel")?,
        at: time(r, "at")?,
        reporter: get(r, "reporter")?,
        counted: get::<i64, _>(r, "counted")? == 1,
        deleted_at: time_opt(r, "deleted_at")?,
    })
}
