//! The SQLite backend: one file, WAL, migrations compiled in.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection as _, SqlitePool, TransactionManager as _};

use super::health::WriteHealth;
use super::{Lock, StoreResult};
use crate::throttle::Throttle;

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
/// How a transaction takes rows it will write after others in a fixed order, so that it
/// waits for a delete of them rather than deadlocking with it (one writer at a time needs
/// none).
const KEY_SHARE: &str = "";
/// An aggregate joining `s.channel` with commas.
const CHANNEL_LIST: &str = "GROUP_CONCAT(s.channel, ',')";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub struct SqliteStore {
    pool: SqlitePool,
    /// The one connection write transactions use: writers wait their turn in the pool's
    /// queue, in order, rather than in SQLite's busy handler, which sleeps in steps of up to
    /// 100 ms and let a storm of reports wait that long for each other.
    writer: SqlitePool,
    health: Arc<WriteHealth>,
    /// The background checkpoint, stopped with the store.
    checkpoints: tokio::task::AbortHandle,
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.checkpoints.abort();
    }
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
        let checkpoints = tokio::spawn(checkpoint_wal(pool.clone())).abort_handle();
        Ok(SqliteStore {
            pool,
            writer,
            health: Arc::new(WriteHealth::default()),
            checkpoints,
        })
    }

    /// One writer at a time for the whole file, whatever the lock asks for. BEGIN IMMEDIATE:
    /// a deferred transaction that reads first and then writes fails at once with "database
    /// is locked" when another writer committed meanwhile, instead of waiting its turn.
    async fn begin_write(&self, _lock: Lock) -> StoreResult<sql::write::WriteTx> {
        let begin = self.writer.begin_with("BEGIN IMMEDIATE");
        Ok(sql::write::WriteTx::begin(&self.health, begin).await?)
    }
}

/// How often the WAL is copied back into the database, off the writer's path.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Copies the WAL back into the database every second from a reading connection. SQLite's
/// own checkpoint runs inside the commit that takes the WAL past 1,000 pages, and every
/// write queued behind that commit waits for its copying and fsyncs: in a storm of reports,
/// stalls of up to 600 ms every few seconds. A passive checkpoint beside the writer copies
/// most pages first, so the writer's own finds little left, and the WAL can start over.
async fn checkpoint_wal(pool: SqlitePool) {
    static FAILED: Throttle = Throttle::new(Duration::from_secs(60));
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            if let Some(held_back) = FAILED.admit(std::time::Instant::now()) {
                tracing::warn!(error = %e, earlier_not_logged = held_back, "could not checkpoint the database's WAL");
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Without statistics SQLite picks an index by its shape, and one more index on
    /// `reports` once made it check each new report's dedup by scanning every report of
    /// its bank and channel: a storm slowed sixfold. A batch reads its addresses' hour.
    #[tokio::test]
    async fn a_report_looks_its_address_up_by_index() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("plan.db").display());
        let store = SqliteStore::connect(&url).await.expect("store");
        let sent_since = format!("{}$2, $3)", sql::reports::SENT_SINCE);
        let plan = plan_of(&store, &sent_since).await;
        assert_eq!(plan.len(), 1, "{plan:?}");
        assert!(plan[0].contains("INDEX reports_address_at"), "{plan:?}");
    }

    /// The engine's tally reads every second: each of its queries goes by an index, never
    /// by a scan of every report.
    #[tokio::test]
    async fn the_tally_reads_by_index() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("plan.db").display());
        let store = SqliteStore::connect(&url).await.expect("store");
        for (query, index) in [
            (sql::reports::REPORTS_AFTER, "INTEGER PRIMARY KEY"),
            (sql::reports::REPORTS_DELETED, "INDEX reports_deleted"),
            (sql::reports::REPORTER_REPORTS, "INDEX reports_reporter_at"),
        ] {
            let plan = plan_of(&store, query).await;
            assert!(plan[0].contains(index), "{query}: {plan:?}");
            assert!(
                !plan.iter().any(|l| l.starts_with("SCAN")),
                "{query}: {plan:?}"
            );
        }
    }

    /// What SQLite does for `query` with the table `reports`, a line per step.
    async fn plan_of(store: &SqliteStore, query: &str) -> Vec<String> {
        sqlx::query_as::<_, (i64, i64, i64, String)>(&format!("EXPLAIN QUERY PLAN {query}"))
            .fetch_all(&store.pool)
            .await
            .expect("plan")
            .into_iter()
            .map(|(_, _, _, detail)| detail)
            .filter(|l| l.contains("reports"))
            .collect()
    }
}
