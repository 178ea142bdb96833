//! The store contract: for each storage trait, a story that calls every one of its methods
//! with meaningful data and checks what comes back (order, filters, limits and cursors,
//! what is written once, times to the millisecond, unknown ids). Each test opens the store
//! on a database of its own, SQLite or, when `BANKSTATUS_TEST_POSTGRES` is set, PostgreSQL,
//! so the two passes of `scripts/test.sh` hold both backends to the same story. A new
//! trait gets a file here whose story calls each of its methods.

mod alerts;
mod cluster;
mod desk;
mod incidents;
mod log;
mod reports;
mod results;
mod settings;
mod statements;
mod windows;

use bankstatus::domain::Names;
use bankstatus::store::{self, AuditEntry, DynStore};
use chrono::{DateTime, Duration, Utc};

use crate::helpers::TestDb;

/// A store on a fresh database, dropped before the database is.
pub struct Fresh {
    pub store: DynStore,
    pub url: String,
    _db: TestDb,
}

impl Fresh {
    pub async fn open() -> Fresh {
        let db = TestDb::new();
        let store = store::connect(&db.url).await.unwrap();
        Fresh {
            store,
            url: db.url.clone(),
            _db: db,
        }
    }

    pub fn postgres(&self) -> bool {
        self.url.starts_with("postgres")
    }

    /// One integer from `sql`, for what no trait method reads back (the audit trail).
    pub async fn count(&self, sql: &str) -> i64 {
        if self.postgres() {
            let pool = sqlx::PgPool::connect(&self.url).await.unwrap();
            let n = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
            pool.close().await;
            n
        } else {
            let pool = sqlx::SqlitePool::connect(&self.url).await.unwrap();
            let n = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
            pool.close().await;
            n
        }
    }
}

/// `s` seconds after 2026-06-10 08:00:00.250 UTC: every story's times carry milliseconds,
/// which the store must keep.
pub fn t(s: i64) -> DateTime<Utc> {
    store::from_ms(1_781_078_400_250) + Duration::seconds(s)
}

pub fn ms(n: i64) -> Duration {
    Duration::milliseconds(n)
}

pub fn names(what: &str) -> Names {
    Names::new(&format!("{what} (ar)"), &format!("{what} (fr)"), what)
}

pub fn audit(at: DateTime<Utc>, action: &str) -> AuditEntry {
    AuditEntry {
        at,
        actor: "operator".into(),
        action: action.into(),
        target: None,
        detail: Some("from the contract story".into()),
        request: None,
    }
}
