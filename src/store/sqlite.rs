//! The SQLite backend: one file, WAL, migrations compiled in.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use super::{Lock, StoreResult};

/// The shared SQL, compiled for this backend.
#[allow(
    clippy::duplicate_mod,
    reason = "the same SQL is compiled once for each backend's types"
)]
#[path = "sql/mod.rs"]
mod sql;

type Db = sqlx::Sqlite;
type DbRow = sqlx::sqlite::SqliteRow;
type Backend = SqliteStore;

/// Whether several instances may share the database.
const SHARED: bool = false;
/// How a claim skips the probes another instance is claiming at the same moment.
const SKIP_LOCKED: &str = "";
/// An aggregate joining `s.channel` with commas.
const CHANNEL_LIST: &str = "GROUP_CONCAT(s.channel, ',')";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(SqliteStore { pool })
    }

    /// One writer at a time for the whole file, whatever the lock asks for. BEGIN IMMEDIATE:
    /// a deferred transaction that reads first and then writes fails at once with "database
    /// is locked" when another writer committed meanwhile, instead of waiting its turn.
    async fn begin_write(&self, _lock: Lock<'_>) -> StoreResult<sqlx::Transaction<'static, Db>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}
