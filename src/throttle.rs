//! Log lines that a hostile client could make by the thousand (wrong tokens, refused
//! connections) are written at most once per interval, with how many were left out.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Lets one event through per `every`, counting the others.
pub struct Throttle {
    every: Duration,
    last: Mutex<Option<Instant>>,
    held_back: AtomicU64,
}

impl Throttle {
    pub const fn new(every: Duration) -> Self {
        Throttle {
            every,
            last: Mutex::new(None),
            held_back: AtomicU64::new(0),
        }
    }

    /// `Some(n)` when this event may be logged, `n` being how many were held back since
    /// the last one; `None` when it is one of those.
    pub fn admit(&self, now: Instant) -> Option<u64> {
        let mut last = self.last.lock().ok()?;
        if due(*last, now, self.every) {
            *last = Some(now);
            Some(self.held_back.swap(0, Ordering::Relaxed))
        } else {
            self.held_back.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

fn due(last: Option<Instant>, now: Instant, every: Duration) -> bool {
    last.is_none_or(|l| now.saturating_duration_since(l) >= every)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_event_per_interval_and_the_count_of_the_rest() {
        let t = Throttle::new(Duration::from_secs(10));
        let start = Instant::now();
        assert_eq!(t.admit(start), Some(0));
        assert_eq!(t.admit(start + Duration::from_secs(1)), None);
        assert_eq!(t.admit(start + Duration::from_secs(9)), None);
        assert_eq!(t.admit(start + Duration::from_secs(10)), Some(2));
    }
}
