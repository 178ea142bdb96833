//! Wrong operator tokens, throttled per client address: a few tries are free, then each
//! further try waits twice as long as the one before, up to a cap, and the address is
//! forgotten once it has been quiet long enough. The rule ([`verdict`]) is a pure function of
//! an address's record and `now`; [`AuthThrottle`] keeps the records in memory, per
//! instance, bounded in size. The desk's sign-in uses it; any other place that checks an
//! operator's token can share it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// The rule: how many failures are free, the first wait after them, the longest wait, and
/// how long an address must stay quiet to be forgotten.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub free: u32,
    pub first_wait: Duration,
    pub max_wait: Duration,
    pub forget_after: Duration,
}

impl Default for Backoff {
    /// Five free tries, then 2 s, 4 s, 8 s... up to 15 minutes; forgotten after an hour.
    fn default() -> Self {
        Backoff {
            free: 5,
            first_wait: Duration::seconds(2),
            max_wait: Duration::minutes(15),
            forget_after: Duration::hours(1),
        }
    }
}

/// One address's failures since it was last forgotten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    pub last: DateTime<Utc>,
}

/// Whether an address may try a token now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Not before this long from now.
    Wait(Duration),
}

/// How long an address with `count` failures waits after its last one.
fn wait_after(rule: &Backoff, count: u32) -> Duration {
    if count < rule.free {
        return Duration::zero();
    }
    let doublings = (count - rule.free).min(20);
    let wait = rule.first_wait * 2_i32.pow(doublings);
    wait.min(rule.max_wait)
}

/// Whether an address with the record `failures` may try at `now`.
pub fn verdict(rule: &Backoff, failures: Option<&Failures>, now: DateTime<Utc>) -> Verdict {
    let Some(f) = failures else {
        return Verdict::Allowed;
    };
    if now - f.last >= rule.forget_after {
        return Verdict::Allowed;
    }
    let until = f.last + wait_after(rule, f.count);
    if now < until {
        Verdict::Wait(until - now)
    } else {
        Verdict::Allowed
    }
}

/// The record after a failure at `now`.
pub fn failed(rule: &Backoff, failures: Option<&Failures>, now: DateTime<Utc>) -> Failures {
    match failures {
        Some(f) if now - f.last < rule.forget_after => Failures {
            count: f.count.saturating_add(1),
            last: now,
        },
        _ => Failures {
            count: 1,
            last: now,
        },
    }
}

/// The addresses a throttle keeps at most: past it, the quiet ones go first, then the
/// oldest, so memory stays bounded whatever an attacker sends.
const MAX_ADDRESSES: usize = 10_000;

/// The throttle's memory: failures by address (IPv4 whole, IPv6 by its /64, which one
/// subscriber usually holds whole). Per instance: behind a load balancer, each instance
/// counts the tries it sees.
#[derive(Debug, Default)]
pub struct AuthThrottle {
    rule: Backoff,
    failures: Mutex<HashMap<Vec<u8>, Failures>>,
}

/// The bytes an address is counted by.
fn key(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.octets().to_vec(),
            None => v6.octets()[..8].to_vec(),
        },
    }
}

impl AuthThrottle {
    pub fn new(rule: Backoff) -> Self {
        AuthThrottle {
            rule,
            failures: Mutex::default(),
        }
    }

    /// Whether `ip` may try a token at `now`.
    pub fn check(&self, ip: IpAddr, now: DateTime<Utc>) -> Verdict {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        verdict(&self.rule, map.get(&key(ip)), now)
    }

    /// A wrong token from `ip` at `now`.
    pub fn failed(&self, ip: IpAddr, now: DateTime<Utc>) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let k = key(ip);
        let next = failed(&self.rule, map.get(&k), now);
        if map.len() >= MAX_ADDRESSES && !map.contains_key(&k) {
            let rule = self.rule;
            map.retain(|_, f| now - f.last < rule.forget_after);
            if map.len() >= MAX_ADDRESSES {
                if let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, f)| f.last)
                    .map(|(k, _)| k.clone())
                {
                    map.remove(&oldest);
                }
            }
        }
        map.insert(k, next);
    }

    /// A right token from `ip`: its failures are forgotten.
    pub fn succeeded(&self, ip: IpAddr) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&key(ip));
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 2, 10, 9, 0, 0)
            .single()
            .expect("time")
            + Duration::seconds(s)
    }

    #[test]
    fn five_tries_are_free_then_each_waits_twice_as_long() {
        let rule = Backoff::default();
        let mut rec = None;
        for i in 0..5 {
            assert_eq!(verdict(&rule, rec.as_ref(), t(i)), Verdict::Allowed);
            rec = Some(failed(&rule, rec.as_ref(), t(i)));
        }
        // The fifth failure at t(4): the next try waits 2 s.
        assert_eq!(
            verdict(&rule, rec.as_ref(), t(5)),
            Verdict::Wait(Duration::seconds(1))
        );
        assert_eq!(verdict(&rule, rec.as_ref(), t(6)), Verdict::Allowed);
        rec = Some(failed(&rule, rec.as_ref(), t(6)));
        assert_eq!(
            verdict(&rule, rec.as_ref(), t(6)),
            Verdict::Wait(Duration::seconds(4))
        );
        // However many failures, never more than the cap.
        let many = Failures {
            count: 400,
            last: t(0),
        };
        assert_eq!(
            verdict(&rule, Some(&many), t(0)),
            Verdict::Wait(Duration::minutes(15))
        );
        // Quiet for an hour: forgotten, and the next failure counts from one.
        assert_eq!(verdict(&rule, Some(&many), t(3600)), Verdict::Allowed);
        assert_eq!(failed(&rule, Some(&many), t(3600)).count, 1);
    }

    #[test]
    fn addresses_are_counted_apart_and_v6_by_its_64() {
        let throttle = AuthThrottle::new(Backoff {
            free: 1,
            ..Backoff::default()
        });
        let a: IpAddr = "192.0.2.1".parse().expect("ip");
        let b: IpAddr = "192.0.2.2".parse().expect("ip");
        throttle.failed(a, t(0));
        assert!(matches!(throttle.check(a, t(0)), Verdict::Wait(_)));
        assert_eq!(throttle.check(b, t(0)), Verdict::Allowed);
        throttle.succeeded(a);
        assert_eq!(throttle.check(a, t(0)), Verdict::Allowed);
        let v6: IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let same64: IpAddr = "2001:db8:1:2::99".parse().expect("ip");
        throttle.failed(v6, t(0));
        assert!(matches!(throttle.check(same64, t(0)), Verdict::Wait(_)));
    }

    #[test]
    fn memory_stays_bounded() {
        let throttle = AuthThrottle::default();
        for i in 0..(MAX_ADDRESSES as u32 + 50) {
            throttle.failed(IpAddr::from(i.to_be_bytes()), t(i64::from(i % 100)));
        }
        let n = throttle.failures.lock().expect("lock").len();
        assert!(n <= MAX_ADDRESSES, "{n}");
    }
}
