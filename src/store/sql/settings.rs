//! The database's own settings.

use async_trait::async_trait;

use super::super::Backend;
use crate::store::health::WriteHealth;
use crate::store::{Lock, SettingStore, StoreResult};

#[async_trait]
impl SettingStore for Backend {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn write_health(&self) -> &WriteHealth {
        &self.health
    }

    async fn setting_or_insert(&self, key: &str, value: &str) -> StoreResult<String> {
        let mut tx = self.begin_write(Lock::Rows).await?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .execute(&mut tx)
        .await?;
        let stored = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_one(&mut tx)
            .await?;
        self.commit(tx).await?;
        Ok(stored)
    }

    async fn forget_settings(&self, prefix: &str, before: &str) -> StoreResult<u64> {
        let mut tx = self.begin_write(Lock::Rows).await?;
        // A prefix match without LIKE, whose `_` and `%` a key could hold.
        let gone = sqlx::query(
            "DELETE FROM settings WHERE SUBSTR(key, 1, CAST($1 AS INTEGER)) = $2 AND key < $3",
        )
        .bind(prefix.chars().count() as i64)
        .bind(prefix)
        .bind(before)
        .execute(&mut tx)
        .await?
        .rows_affected();
        self.commit(tx).await?;
        Ok(gone)
    }
}
