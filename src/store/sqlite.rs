//! The SQLite backend: one file, WAL, migrations compiled in.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection as _, SqlitePool, TransactionManager as _};

use super::health::WriteHealth;
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
    /// The one connection write transactions use: writers wait their turn in the pool's
    /// queue, in order, rather than in SQLite's busy handler, which sleeps in steps of up to
    /// 100 ms and let a storm of reports wait that long for each other.
    writer: SqlitePool,
    health: WriteHealth,
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
            .after_release(|conn, _| Box::pin(async move { Ok(still_usable(conn).await) }))
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&pool).await?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .after_release(|conn, _| Box::pin(async move { Ok(still_usable(conn).await) }))
            .connect_with(options)
            .await?;
        Ok(SqliteStore {
            pool,
            writer,
            health: WriteHealth::default(),
        })
    }

    /// One writer at a time for the whole file, whatever the lock asks for. BEGIN IMMEDIATE:
    /// a deferred transaction that reads first and then writes fails at once with "database
    /// is locked" when another writer committed meanwhile, instead of waiting its turn.
    async fn begin_write(&self, _lock: Lock) -> StoreResult<sqlx::Transaction<'static, Db>> {
        match self.writer.begin_with("BEGIN IMMEDIATE").await {
            Ok(tx) => Ok(tx),
            Err(e) => {
                self.health.failed(&e, chrono::Utc::now());
                Err(e.into())
            }
        }
    }
}

/// Whether a connection handed back to the pool may serve again. When COMMIT fails with
/// SQLITE_FULL (or a statement fails with SQLITE_FULL or SQLITE_IOERR), SQLite rolls the
/// transaction back by itself; the driver then counts the connection as still inside it,
/// since its ROLLBACK fails with "no transaction is active", and every later BEGIN on that
/// connection fails with "attempted to call begin_with at non-zero transaction depth". Such
/// a connection is closed, and the pool opens a fresh one.
async fn still_usable(conn: &mut sqlx::SqliteConnection) -> bool {
    // The ping goes through the connection's worker after the rollback the dropped
    // transaction queued, so the depth read next is the one that rollback left.
    if conn.ping().await.is_err() {
        return false;
    }
    let depth = <Db as sqlx::Database>::TransactionManager::get_transaction_depth(conn);
    if depth > 0 {
        tracing::warn!(
            depth,
            "closing a database connection left inside a failed transaction"
        );
    }
    depth == 0
}
