//! `[dns]`: the name servers the service asks, and how long it waits. Probes and alert
//! deliveries resolve through them asynchronously, never on the blocking pool, and the check
//! of a public subscription's target has its own shorter deadline and caps, so no public
//! input can hold up a probe's lookup.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::validator::Validator;

/// How long one query to one name server may take, when the file does not say.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
/// Tries per name server, when the file does not say.
const DEFAULT_ATTEMPTS: u32 = 2;
/// The whole check of a subscription's target, when the file does not say.
const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// Target checks resolving at once, service-wide, when the file does not say.
const DEFAULT_CHECKS_IN_FLIGHT: u32 = 32;
/// Target checks one client may have resolving at once, when the file does not say.
const DEFAULT_CHECKS_PER_CLIENT: u32 = 2;

/// `[dns]`.
#[derive(Debug, Clone)]
pub struct DnsConfig {
    /// The servers to ask, each `ip:port`; empty means those of the system's resolv.conf.
    pub nameservers: Vec<SocketAddr>,
    /// How long one query may take before the next try.
    pub timeout: Duration,
    /// Tries per name server.
    pub attempts: u32,
    /// The deadline of a whole public target check, lookups included.
    pub check_timeout: Duration,
    /// Target checks resolving at once across the service.
    pub checks_in_flight: u32,
    /// Target checks one client may have resolving at once.
    pub checks_per_client: u32,
}

impl Default for DnsConfig {
    fn default() -> Self {
        DnsConfig {
            nameservers: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            attempts: DEFAULT_ATTEMPTS,
            check_timeout: DEFAULT_CHECK_TIMEOUT,
            checks_in_flight: DEFAULT_CHECKS_IN_FLIGHT,
            checks_per_client: DEFAULT_CHECKS_PER_CLIENT,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDns {
    nameservers: Option<Vec<Spanned<String>>>,
    timeout: Option<Spanned<String>>,
    attempts: Option<Spanned<i64>>,
    check_timeout: Option<Spanned<String>>,
    checks_in_flight: Option<Spanned<i64>>,
    checks_per_client: Option<Spanned<i64>>,
}

impl Validator<'_> {
    pub(super) fn dns(&mut self, raw: Option<RawDns>) -> DnsConfig {
        let raw = raw.unwrap_or_default();
        let d = DnsConfig::default();
        let mut nameservers = Vec::new();
        for ns in raw.nameservers.unwrap_or_default() {
            match nameserver(ns.get_ref()) {
                Some(addr) => nameservers.push(addr),
                None => self.error(
                    ns.span(),
                    format!(
                        "name server `{}` is not an address; write e.g. \"192.0.2.53\" or \"127.0.0.1:5353\"",
                        ns.get_ref()
                    ),
                ),
            }
        }
        let short = Duration::from_millis(100)..=Duration::from_secs(30);
        DnsConfig {
            nameservers,
            timeout: self.duration_in(raw.timeout, d.timeout, short.clone()),
            attempts: self
                .int_in(raw.attempts, 1..=5, "attempts")
                .map_or(d.attempts, |n| n as u32),
            check_timeout: self.duration_in(raw.check_timeout, d.check_timeout, short),
            checks_in_flight: self
                .int_in(raw.checks_in_flight, 1..=10_000, "checks_in_flight")
                .map_or(d.checks_in_flight, |n| n as u32),
            checks_per_client: self
                .int_in(raw.checks_per_client, 1..=1_000, "checks_per_client")
                .map_or(d.checks_per_client, |n| n as u32),
        }
    }
}

/// `ip`, `ip:port` or `[ipv6]:port`; port 53 when none is given.
fn nameserver(text: &str) -> Option<SocketAddr> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Some(addr);
    }
    text.parse::<std::net::IpAddr>()
        .ok()
        .map(|ip| SocketAddr::new(ip, 53))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{errors, parse};

    #[test]
    fn dns_takes_the_system_servers_by_default() {
        let d = parse("", "t.toml").expect("valid").dns;
        assert!(d.nameservers.is_empty());
        assert_eq!(d.timeout, DEFAULT_TIMEOUT);
        assert_eq!(d.check_timeout, DEFAULT_CHECK_TIMEOUT);
    }

    #[test]
    fn name_servers_take_a_port_or_53() {
        let d = parse(
            "[dns]\nnameservers = [\"127.0.0.1:5353\", \"192.0.2.53\", \"[::1]:53\"]\ntimeout = \"1s\"\n",
            "t.toml",
        )
        .expect("valid")
        .dns;
        let want: Vec<SocketAddr> = ["127.0.0.1:5353", "192.0.2.53:53", "[::1]:53"]
            .iter()
            .map(|a| a.parse().expect("addr"))
            .collect();
        assert_eq!(d.nameservers, want);
        assert_eq!(d.timeout, Duration::from_secs(1));
    }

    #[test]
    fn dns_mistakes_are_placed() {
        let e = errors(
            "[dns]\nnameservers = [\"ns1.example\"]\ncheck_timeout = \"5m\"\nchecks_per_client = 0\n",
        );
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(
            e[0].starts_with("t.toml:2:16: name server `ns1.example`"),
            "{e:?}"
        );
        assert!(
            e[1].starts_with("t.toml:3:17: duration `5m` is out of range"),
            "{e:?}"
        );
        assert!(
            e[2].starts_with("t.toml:4:21: `checks_per_client`"),
            "{e:?}"
        );
    }
}
