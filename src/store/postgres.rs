//! The PostgreSQL backend: the same queries as SQLite, for several instances on one database.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection as _, PgConnection, PgPool};

use super::health::WriteHealth;
use super::{Lock, StoreError, StoreResult};

/// The shared SQL, compiled for this backend.
#[allow(
    clippy::duplicate_mod,
    reason = "the same SQL is compiled once for each backend's types"
)]
#[path = "sql/mod.rs"]
mod sql;

type Db = sqlx::Postgres;
type DbRow = sqlx::postgres::PgRow;
type Backend = PgStore;

/// Whether several instances may share the database.
const SHARED: bool = true;
/// How a claim skips the probes another instance is claiming at the same moment.
const SKIP_LOCKED: &str = " FOR UPDATE SKIP LOCKED";
/// How a transaction takes rows it will write after others in a fixed order, so that it
/// waits for a delete of them rather than deadlocking with it (one writer at a time needs
/// none).
const KEY_SHARE: &str = " FOR KEY SHARE";
/// An aggregate joining `s.channel` with commas.
const CHANNEL_LIST: &str = "string_agg(s.channel, ',')";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The longest any statement may run, lock waits included: a server stuck behind a lock
/// gives an error the caller can answer with, rather than holding the request and its
/// connection. Shorter than the client's own deadline ([`sql::write::STATEMENT_DEADLINE`]),
/// which holds when the server cannot answer at all.
const STATEMENT_TIMEOUT: &str = "10s";
/// TCP keepalive on the server's side of each connection (seconds idle, between probes,
/// probes): a client host that vanished frees its backends, locks and advisory locks in
/// about 11 s rather than the kernel's two hours. sqlx cannot set it on the client's
/// socket; a frozen server with a live kernel answers keepalives anyway, which is what the
/// client's deadline is for.
const KEEPALIVE: [(&str, &str); 3] = [
    ("tcp_keepalives_idle", "5"),
    ("tcp_keepalives_interval", "2"),
    ("tcp_keepalives_count", "3"),
];

/// The first key of every advisory lock the service takes, so it keeps clear of others'.
const LOCK_CLASS: i32 = 0x6273;

pub struct PgStore {
    pool: PgPool,
    health: Arc<WriteHealth>,
}

impl PgStore {
    /// Connects, creating the database when it does not exist yet, and migrates it. Several
    /// instances starting at once are fine: the migrator holds an advisory lock.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::UnsupportedUrl(format!("bad PostgreSQL URL `{url}`: {e}")))?;
        if !sqlx::Postgres::database_exists(url).await? {
            // Another instance may create it between the check and here.
            if let Err(e) = sqlx::Postgres::create_database(url).await {
                if !sqlx::Postgres::database_exists(url).await? {
                    return Err(e.into());
                }
            }
        }
        // Migrations may build an index over a long history: no statement timeout for them.
        let mut migrating = PgConnection::connect_with(&options).await?;
        MIGRATOR.run(&mut migrating).await?;
        migrating.close().await?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            // A lost server answers 503 within seconds rather than holding the request.
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(
                options
                    .options([("statement_timeout", STATEMENT_TIMEOUT)])
                    .options(KEEPALIVE),
            )
            .await?;
        Ok(PgStore {
            pool,
            health: Arc::new(WriteHealth::default()),
        })
    }

    /// A transaction that first waits for its advisory lock, held until it ends: writes of
    /// one kind happen one at a time across every instance, as they do in SQLite.
    async fn begin_write(&self, lock: Lock) -> StoreResult<sql::write::WriteTx> {
        Ok(sql::write::WriteTx::begin(&self.health, self.begin_locked(lock)).await?)
    }

    async fn begin_locked(&self, lock: Lock) -> sqlx::Result<sqlx::Transaction<'static, Db>> {
        let mut tx = self.pool.begin().await?;
        let q = match lock {
            Lock::Results => sqlx::query("SELECT pg_advisory_xact_lock($1, 1)").bind(LOCK_CLASS),
            Lock::Incidents => sqlx::query("SELECT pg_advisory_xact_lock($1, 2)").bind(LOCK_CLASS),
            Lock::Schedule => sqlx::query("SELECT pg_advisory_xact_lock($1, 3)").bind(LOCK_CLASS),
            Lock::Reports => sqlx::query("SELECT pg_advisory_xact_lock($1, 4)").bind(LOCK_CLASS),
            Lock::Log => sqlx::query("SELECT pg_advisory_xact_lock($1, 5)").bind(LOCK_CLASS),
            Lock::Rows => return Ok(tx),
        };
        q.execute(&mut *tx).await?;
        Ok(tx)
    }
}
