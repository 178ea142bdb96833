//! Whether the database takes writes: reads can go on working while every write fails (a
//! full disk, a lost PostgreSQL connection), and the health check, the API and the pages
//! must say so. The backends record each write transaction's start and commit here; what
//! that means for `/healthz` is [`verdict`], a pure function of the record and `now`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::clock::{DynClock, SystemClock};

/// Why a write failed, as `/metrics` counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteCause {
    /// No room left: SQLITE_FULL, PostgreSQL's `disk_full` class.
    DiskFull,
    /// The database cannot be reached or the connection was lost.
    Connection,
    /// Another writer held the database past the wait.
    Busy,
    /// The file or the server refuses writes (read-only file, read-only transaction).
    ReadOnly,
    /// The disk itself failed to read or write.
    Io,
    Other,
}

impl WriteCause {
    pub const ALL: [WriteCause; 6] = [
        WriteCause::DiskFull,
        WriteCause::Connection,
        WriteCause::Busy,
        WriteCause::ReadOnly,
        WriteCause::Io,
        WriteCause::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WriteCause::DiskFull => "disk_full",
            WriteCause::Connection => "connection",
            WriteCause::Busy => "busy",
            WriteCause::ReadOnly => "read_only",
            WriteCause::Io => "io",
            WriteCause::Other => "other",
        }
    }

    /// The cause of a failed write, from the driver's error. SQLite's primary result code
    /// is the low byte of its extended code; PostgreSQL's SQLSTATE class is its first two
    /// characters.
    pub fn of(e: &sqlx::Error) -> WriteCause {
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => WriteCause::Connection,
            sqlx::Error::Database(db) => {
                let code = db.code().unwrap_or_default();
                if let Ok(n) = code.parse::<i64>() {
                    sqlite_cause(n & 0xff)
                } else {
                    postgres_cause(&code)
                }
            }
            _ => WriteCause::Other,
        }
    }
}

fn sqlite_cause(primary: i64) -> WriteCause {
    match primary {
        13 => WriteCause::DiskFull,
        5 | 6 => WriteCause::Busy,
        8 => WriteCause::ReadOnly,
        10 | 11 | 14 | 26 => WriteCause::Io,
        _ => WriteCause::Other,
    }
}

fn postgres_cause(sqlstate: &str) -> WriteCause {
    match sqlstate.get(..2) {
        Some("53") if sqlstate == "53100" => WriteCause::DiskFull,
        Some("08" | "57") => WriteCause::Connection,
        Some("40" | "55") => WriteCause::Busy,
        Some("25") => WriteCause::ReadOnly,
        Some("58") => WriteCause::Io,
        _ => WriteCause::Other,
    }
}

/// A run of failed writes: since when, the latest and why, and whether a write has
/// succeeded since the latest. `failing` is `None` when no write has failed yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteRecord {
    pub failing: Option<FailingRun>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailingRun {
    pub since: DateTime<Utc>,
    pub latest: DateTime<Utc>,
    pub cause: WriteCause,
    /// A write succeeded after the latest failure.
    pub recovered: bool,
}

/// A run of failures ends once a write succeeded and none failed for this long. On a full
/// disk small writes still fit in the WAL's old pages while others fail: one success
/// between failures does not mean the disk has room.
pub const SETTLE: Duration = Duration::from_secs(5);

/// The backends' record of write outcomes, shared by every task that writes. Failures are
/// stamped by its clock, the one `/healthz` judges them with.
pub struct WriteHealth {
    record: Mutex<WriteRecord>,
    failures: [AtomicU64; WriteCause::ALL.len()],
    clock: DynClock,
}

impl Default for WriteHealth {
    fn default() -> Self {
        WriteHealth::with_clock(SystemClock::shared())
    }
}

impl WriteHealth {
    pub fn with_clock(clock: DynClock) -> Self {
        WriteHealth {
            record: Mutex::default(),
            failures: Default::default(),
            clock,
        }
    }

    /// Counts a failure that happened now.
    pub fn failed_now(&self, e: &sqlx::Error) {
        self.failed(e, self.clock.now());
    }

    pub fn succeeded(&self) {
        if let Ok(mut r) = self.record.lock() {
            if let Some(run) = &mut r.failing {
                run.recovered = true;
            }
        }
    }

    /// Counts the failure; one after a settled run starts a new run.
    pub fn failed(&self, e: &sqlx::Error, now: DateTime<Utc>) {
        let cause = WriteCause::of(e);
        if let Some(i) = WriteCause::ALL.iter().position(|c| *c == cause) {
            self.failures[i].fetch_add(1, Ordering::Relaxed);
        }
        if let Ok(mut r) = self.record.lock() {
            r.failing = Some(failed(r.failing, cause, now));
        }
    }

    pub fn record(&self) -> WriteRecord {
        self.record.lock().map(|r| *r).unwrap_or_default()
    }

    /// Failed writes so far, by cause.
    pub fn failures(&self) -> impl Iterator<Item = (WriteCause, u64)> + '_ {
        WriteCause::ALL
            .iter()
            .zip(&self.failures)
            .map(|(c, n)| (*c, n.load(Ordering::Relaxed)))
    }
}

/// What the record means for whoever asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Writing,
    /// Writes fail, for less than the grace: a disk filling for a moment, a restart of the
    /// database. Pages say so; the instance stays in rotation.
    Failing {
        since: DateTime<Utc>,
        cause: WriteCause,
    },
    /// Writes have failed for longer than the grace: take the instance out of rotation.
    Down {
        since: DateTime<Utc>,
        cause: WriteCause,
    },
}

/// The run after one more failure at `now`.
fn failed(run: Option<FailingRun>, cause: WriteCause, now: DateTime<Utc>) -> FailingRun {
    let since = match run {
        Some(run) if !settled(run, now) => run.since,
        _ => now,
    };
    FailingRun {
        since,
        latest: now,
        cause,
        recovered: false,
    }
}

fn settled(run: FailingRun, now: DateTime<Utc>) -> bool {
    run.recovered && (now - run.latest).to_std().unwrap_or_default() >= SETTLE
}

pub fn verdict(record: WriteRecord, now: DateTime<Utc>, grace: Duration) -> Verdict {
    match record.failing {
        None => Verdict::Writing,
        Some(run) if settled(run, now) => Verdict::Writing,
        Some(FailingRun { since, cause, .. }) => {
            let failed_for = (now - since).to_std().unwrap_or_default();
            if failed_for >= grace {
                Verdict::Down { since, cause }
            } else {
                Verdict::Failing { since, cause }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(s)
    }

    #[test]
    fn a_failure_is_down_only_after_the_grace_and_a_success_clears_it() {
        let grace = Duration::from_secs(30);
        assert_eq!(
            verdict(WriteRecord::default(), at(100), grace),
            Verdict::Writing
        );
        let mut failing = WriteRecord {
            failing: Some(FailingRun {
                since: at(100),
                latest: at(100),
                cause: WriteCause::DiskFull,
                recovered: false,
            }),
        };
        assert!(matches!(
            verdict(failing, at(129), grace),
            Verdict::Failing { .. }
        ));
        assert_eq!(
            verdict(failing, at(130), grace),
            Verdict::Down {
                since: at(100),
                cause: WriteCause::DiskFull
            }
        );
        // A success clears the run once no write has failed for a while after it.
        if let Some(run) = &mut failing.failing {
            run.recovered = true;
        }
        assert!(matches!(
            verdict(failing, at(104), grace),
            Verdict::Failing { .. }
        ));
        assert_eq!(verdict(failing, at(105), grace), Verdict::Writing);
    }

    #[test]
    fn successes_between_failures_do_not_end_the_run() {
        let h = WriteHealth::default();
        let full = sqlx::Error::PoolTimedOut;
        for s in 0..40 {
            // Every other second a small write still fits in the WAL's old pages.
            if s % 2 == 0 {
                h.failed(&full, at(s));
            } else {
                h.succeeded();
            }
        }
        let grace = Duration::from_secs(30);
        assert_eq!(
            verdict(h.record(), at(40), grace),
            Verdict::Down {
                since: at(0),
                cause: WriteCause::Connection
            }
        );
        // After a settled run, the next failure starts a new one.
        assert_eq!(verdict(h.record(), at(44), grace), Verdict::Writing);
        h.failed(&full, at(50));
        assert!(matches!(
            verdict(h.record(), at(50), grace),
            Verdict::Failing { since, .. } if since == at(50)
        ));
    }

    #[test]
    fn a_run_of_failures_keeps_its_start_and_the_latest_cause() {
        let h = WriteHealth::default();
        h.failed(&sqlx::Error::PoolTimedOut, at(10));
        h.failed(&sqlx::Error::WorkerCrashed, at(20));
        let run = h.record().failing.expect("failing");
        assert_eq!((run.since, run.cause), (at(10), WriteCause::Connection));
        assert_eq!(
            h.failures().find(|(c, _)| *c == WriteCause::Connection),
            Some((WriteCause::Connection, 2))
        );
        h.succeeded();
        assert_eq!(
            verdict(h.record(), at(25), Duration::from_secs(30)),
            Verdict::Writing
        );
    }

    #[test]
    fn causes_from_both_backends_codes() {
        assert_eq!(sqlite_cause(13), WriteCause::DiskFull);
        assert_eq!(sqlite_cause(0x080a & 0xff), WriteCause::Io);
        assert_eq!(postgres_cause("53100"), WriteCause::DiskFull);
        assert_eq!(postgres_cause("57P01"), WriteCause::Connection);
        assert_eq!(postgres_cause("23505"), WriteCause::Other);
    }
}
