//! Write transactions that count their own failures. Every statement of a write runs
//! through [`WriteTx`]'s executor, which records a failed one in the backend's
//! [`WriteHealth`] and gives up on one the database has not answered within
//! [`STATEMENT_DEADLINE`]: no write path can fail unseen, and a server that stopped
//! answering without closing its socket (frozen, or behind a dead link that TCP has not
//! given up on) costs a request seconds, not minutes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::future::BoxFuture;
use futures_core::stream::BoxStream;
use futures_core::Stream;
use sqlx::error::ErrorKind;
use sqlx::{Database, Describe, Either, Execute, Executor};

use super::Db;
use crate::store::health::WriteHealth;

/// The longest the client waits for the database's answer to one statement, its BEGIN or
/// its COMMIT. PostgreSQL's own `statement_timeout` is shorter and answers first while the
/// server works; this one holds when the server cannot answer at all.
pub const STATEMENT_DEADLINE: Duration = Duration::from_secs(12);

/// A write transaction of this backend with the record its failures go to.
pub struct WriteTx {
    tx: sqlx::Transaction<'static, Db>,
    health: Arc<WriteHealth>,
}

impl std::fmt::Debug for WriteTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriteTx")
    }
}

impl WriteTx {
    /// Starts a transaction with `begin`, within the deadline; a failure is recorded.
    pub async fn begin(
        health: &Arc<WriteHealth>,
        begin: impl Future<Output = sqlx::Result<sqlx::Transaction<'static, Db>>>,
    ) -> sqlx::Result<WriteTx> {
        let tx = watch(health, begin).await?;
        Ok(WriteTx {
            tx,
            health: health.clone(),
        })
    }

    /// Commits within the deadline; the caller records the outcome.
    pub async fn commit(self) -> sqlx::Result<()> {
        tokio::time::timeout(STATEMENT_DEADLINE, self.tx.commit())
            .await
            .unwrap_or_else(|_| Err(silent()))
    }
}

/// The error of a statement the database did not answer in time.
fn silent() -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!(
            "the database did not answer within {} s",
            STATEMENT_DEADLINE.as_secs()
        ),
    ))
}

/// Whether `e` means the database did not write, rather than that the statement found no
/// row or broke a rule of the schema, which callers answer themselves (a repeated request
/// key is a unique violation).
fn failed_write(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::RowNotFound
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::TypeNotFound { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::Encode(_) => false,
        sqlx::Error::Database(db) => !matches!(
            db.kind(),
            ErrorKind::UniqueViolation
                | ErrorKind::ForeignKeyViolation
                | ErrorKind::NotNullViolation
                | ErrorKind::CheckViolation
        ),
        _ => true,
    }
}

fn record(health: &WriteHealth, e: &sqlx::Error) {
    if failed_write(e) {
        health.failed_now(e);
    }
}

/// `fut` within the deadline, its failure recorded. Writes made outside a transaction go
/// through it too.
pub async fn watch<T>(
    health: &WriteHealth,
    fut: impl Future<Output = sqlx::Result<T>>,
) -> sqlx::Result<T> {
    let r = tokio::time::timeout(STATEMENT_DEADLINE, fut)
        .await
        .unwrap_or_else(|_| Err(silent()));
    if let Err(e) = &r {
        record(health, e);
    }
    r
}

/// A statement's rows or results, ended with an error once the deadline passes.
struct Watched<'e, T> {
    inner: BoxStream<'e, sqlx::Result<T>>,
    deadline: Pin<Box<tokio::time::Sleep>>,
    health: Arc<WriteHealth>,
    ended: bool,
}

impl<T> Stream for Watched<'_, T> {
    type Item = sqlx::Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.ended {
            return Poll::Ready(None);
        }
        match this.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Err(e))) => {
                record(&this.health, &e);
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(item) => Poll::Ready(item),
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.ended = true;
                    let e = silent();
                    record(&this.health, &e);
                    Poll::Ready(Some(Err(e)))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

type Done = <Db as Database>::QueryResult;
type Row = <Db as Database>::Row;

impl<'c> Executor<'c> for &'c mut WriteTx {
    type Database = Db;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, sqlx::Result<Either<Done, Row>>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Db>,
    {
        let health = self.health.clone();
        Box::pin(Watched {
            inner: (&mut *self.tx).fetch_many(query),
            deadline: Box::pin(tokio::time::sleep(STATEMENT_DEADLINE)),
            health,
            ended: false,
        })
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, sqlx::Result<Option<Row>>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Db>,
    {
        let health = self.health.clone();
        let inner = (&mut *self.tx).fetch_optional(query);
        Box::pin(async move { watch(&health, inner).await })
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [<Db as Database>::TypeInfo],
    ) -> BoxFuture<'e, sqlx::Result<<Db as Database>::Statement<'q>>>
    where
        'c: 'e,
    {
        let health = self.health.clone();
        let inner = (&mut *self.tx).prepare_with(sql, parameters);
        Box::pin(async move { watch(&health, inner).await })
    }

    fn describe<'e, 'q: 'e>(self, sql: &'q str) -> BoxFuture<'e, sqlx::Result<Describe<Db>>>
    where
        'c: 'e,
    {
        (&mut *self.tx).describe(sql)
    }
}
