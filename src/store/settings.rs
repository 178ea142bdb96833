//! The database itself: whether it answers, and the settings generated once and kept in it
//! (the reporter key).

use async_trait::async_trait;

use super::health::WriteHealth;
use super::StoreResult;

#[async_trait]
pub trait SettingStore: Send + Sync {
    /// Answers while the database does.
    async fn ping(&self) -> StoreResult<()>;

    /// Whether writes have been failing, and why.
    fn write_health(&self) -> &WriteHealth;

    /// The value stored under `key`, storing `value` first if there was none.
    async fn setting_or_insert(&self, key: &str, value: &str) -> StoreResult<String>;

    /// Deletes the settings whose key starts with `prefix` and sorts before `before`;
    /// how many.
    async fn forget_settings(&self, prefix: &str, before: &str) -> StoreResult<u64>;
}
