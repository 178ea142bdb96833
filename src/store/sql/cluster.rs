//! The shared probe schedule, leases and shared values.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::super::{Backend, Db, SHARED, SKIP_LOCKED};
use super::INSERT_CHUNK;
use crate::store::decode::{get, time};
use crate::store::{to_ms, ClusterStore, Lock, ScheduledProbe, StoreResult};

#[async_trait]
impl ClusterStore for Backend {
    fn shared(&self) -> bool {
        SHARED
    }

    async fn register_probes(&self, probes: &[ScheduledProbe]) -> StoreResult<()> {
        let mut tx = self.begin_write(Lock::Schedule).await?;
        let known: Vec<String> = sqlx::query_scalar("SELECT probe_id FROM probe_schedule")
            .fetch_all(&mut tx)
            .await?;
        let wanted: HashSet<&str> = probes.iter().map(|p| p.id.as_str()).collect();
        for gone in known.iter().filter(|k| !wanted.contains(k.as_str())) {
            sqlx::query("DELETE FROM probe_schedule WHERE probe_id = $1")
                .bind(gone)
                .execute(&mut tx)
                .await?;
        }
        for chunk in probes.chunks(INSERT_CHUNK) {
            let mut q: QueryBuilder<Db> =
                QueryBuilder::new("INSERT INTO probe_schedule (probe_id, interval_ms, next_at) ");
            q.push_values(chunk, |mut b, p| {
                b.push_bind(&p.id)
                    .push_bind(i64::try_from(p.interval.as_millis()).unwrap_or(i64::MAX))
                    .push_bind(to_ms(p.first_at));
            });
            q.push(" ON CONFLICT (probe_id) DO UPDATE SET interval_ms = excluded.interval_ms");
            q.build().execute(&mut tx).await?;
        }
        self.commit(tx).await?;
        Ok(())
    }

    async fn claim_due(
        &self,
        holder: &str,
        now: DateTime<Utc>,
        horizon: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<(String, DateTime<Utc>)>> {
        // The next turn keeps the probe's rhythm, unless it fell a whole interval behind
        // (every instance was down): then it starts again from now.
        let sql = format!(
            "UPDATE probe_schedule SET holder = $1, next_at = CASE \
             WHEN next_at + interval_ms > $2 THEN next_at + interval_ms ELSE $2 + interval_ms END \
             WHERE probe_id IN (SELECT probe_id FROM probe_schedule WHERE next_at <= $3 \
             ORDER BY next_at LIMIT $4{SKIP_LOCKED}) \
             RETURNING probe_id, next_at - interval_ms AS due"
        );
        let rows = sqlx::query(&sql)
            .bind(holder)
            .bind(to_ms(now))
            .bind(to_ms(horizon))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((get(r, "probe_id")?, time(r, "due")?.max(now))))
            .collect()
    }

    async fn hold_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let held: Option<String> = super::write::watch(
            &self.health,
            sqlx::query_scalar(
                "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
             expires_at = excluded.expires_at \
             WHERE leases.holder = excluded.holder OR leases.expires_at < $4 RETURNING holder",
            )
            .bind(name)
            .bind(holder)
            .bind(to_ms(until))
            .bind(to_ms(now))
            .fetch_optional(&self.pool),
        )
        .await?;
        Ok(held.is_some())
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        super::write::watch(
            &self.health,
            sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
                .bind(name)
                .bind(holder)
                .execute(&self.pool),
        )
        .await?;
        Ok(())
    }

    async fn put_shared(&self, key: &str, value: &str) -> StoreResult<()> {
        super::write::watch(
            &self.health,
            sqlx::query(
                "INSERT INTO shared_state (key, version, value) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET version = shared_state.version + 1, \
             value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(&self.pool),
        )
        .await?;
        Ok(())
    }

    async fn shared_with_prefix(&self, prefix: &str) -> StoreResult<Vec<(String, String)>> {
        // Prefixes are the service's own, without LIKE wildcards.
        let rows =
            sqlx::query("SELECT key, value FROM shared_state WHERE key LIKE $1 ORDER BY key")
                .bind(format!("{prefix}%"))
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| Ok((get(r, "key")?, get(r, "value")?)))
            .collect()
    }

    async fn delete_shared(&self, key: &str) -> StoreResult<()> {
        super::write::watch(
            &self.health,
            sqlx::query("DELETE FROM shared_state WHERE key = $1")
                .bind(key)
                .execute(&self.pool),
        )
        .await?;
        Ok(())
    }

    async fn shared_since(&self, key: &str, seen: i64) -> StoreResult<Option<(i64, String)>> {
        let row =
            sqlx::query("SELECT version, value FROM shared_state WHERE key = $1 AND version <> $2")
                .bind(key)
                .bind(seen)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| Ok((get(&r, "version")?, get(&r, "value")?)))
            .transpose()
    }
}
