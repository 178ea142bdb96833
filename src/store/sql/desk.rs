//! The desk's sessions and the audit trail read back.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::super::{Backend, DbRow};
use super::insert_audit;
use crate::store::decode::{get, time};
use crate::store::desk::{DeskStore, SessionRow};
use crate::store::{to_ms, AuditEntry, AuditRow, Lock, StoreResult};

const AUDIT_COLUMNS: &str = "id, at, actor, action, target, detail, request_key";

fn audit_from(row: &DbRow) -> StoreResult<AuditRow> {
    Ok(AuditRow {
        id: get(row, "id")?,
        at: time(row, "at")?,
        actor: get(row, "actor")?,
        action: get(row, "action")?,
        target: get(row, "target")?,
        detail: get(row, "detail")?,
        request: get(row, "request_key")?,
    })
}

#[async_trait]
impl DeskStore for Backend {
    async fn open_session(&self, s: &SessionRow, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.begin_write(Lock::Rows).await?;
        sqlx::query(
            "INSERT INTO desk_sessions (id_hash, operator, created_at, seen_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&s.id_hash)
        .bind(&s.operator)
        .bind(to_ms(s.created_at))
        .bind(to_ms(s.seen_at))
        .execute(&mut tx)
        .await?;
        insert_audit(&mut tx, audit, None).await?;
        self.commit(tx).await
    }

    async fn session(&self, id_hash: &str) -> StoreResult<Option<SessionRow>> {
        let row = sqlx::query(
            "SELECT id_hash, operator, created_at, seen_at FROM desk_sessions WHERE id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(SessionRow {
                id_hash: get(&r, "id_hash")?,
                operator: get(&r, "operator")?,
                created_at: time(&r, "created_at")?,
                seen_at: time(&r, "seen_at")?,
            })
        })
        .transpose()
    }

    async fn touch_session(&self, id_hash: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.begin_write(Lock::Rows).await?;
        let n = sqlx::query(
            "UPDATE desk_sessions SET seen_at = CASE WHEN seen_at > $1 THEN seen_at ELSE $1 END \
             WHERE id_hash = $2",
        )
        .bind(to_ms(at))
        .bind(id_hash)
        .execute(&mut tx)
        .await?
        .rows_affected();
        self.commit(tx).await?;
        Ok(n == 1)
    }

    async fn close_session(&self, id_hash: &str, audit: Option<&AuditEntry>) -> StoreResult<bool> {
        let mut tx = self.begin_write(Lock::Rows).await?;
        let n = sqlx::query("DELETE FROM desk_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&mut tx)
            .await?
            .rows_affected();
        if let (1, Some(audit)) = (n, audit) {
            insert_audit(&mut tx, audit, None).await?;
        }
        self.commit(tx).await?;
        Ok(n == 1)
    }

    async fn purge_sessions(
        &self,
        idle_before: DateTime<Utc>,
        opened_before: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let mut tx = self.begin_write(Lock::Rows).await?;
        let n = sqlx::query("DELETE FROM desk_sessions WHERE seen_at < $1 OR created_at < $2")
            .bind(to_ms(idle_before))
            .bind(to_ms(opened_before))
            .execute(&mut tx)
            .await?
            .rows_affected();
        self.commit(tx).await?;
        Ok(n)
    }

    async fn audit_by_request(&self, key: &str) -> StoreResult<Option<AuditRow>> {
        sqlx::query(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE request_key = $1"
        ))
        .bind(key)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(audit_from)
        .transpose()
    }

    async fn audit_entries(&self, limit: u32) -> StoreResult<Vec<AuditRow>> {
        sqlx::query(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY id DESC LIMIT $1"
        ))
        .bind(i64::from(limit.max(1)))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(audit_from)
        .collect()
    }
}
