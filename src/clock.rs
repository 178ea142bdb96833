//! Where the time comes from: the system clock in production, a manual one in tests, so
//! the rules that depend on time are driven without sleeping.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

pub type DynClock = Arc<dyn Clock>;

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

impl SystemClock {
    pub fn shared() -> DynClock {
        Arc::new(SystemClock)
    }
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn at(t: DateTime<Utc>) -> ManualClock {
        ManualClock(Mutex::new(t))
    }

    pub fn set(&self, t: DateTime<Utc>) {
        if let Ok(mut now) = self.0.lock() {
            *now = t;
        }
    }

    /// Moves the clock on and returns the new time.
    pub fn advance(&self, by: chrono::Duration) -> DateTime<Utc> {
        match self.0.lock() {
            Ok(mut now) => {
                *now += by;
                *now
            }
            Err(_) => DateTime::<Utc>::MIN_UTC,
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().map_or(DateTime::<Utc>::MIN_UTC, |t| *t)
    }
}
