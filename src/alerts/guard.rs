//! Where the service may send alerts: only to globally routable addresses, as the IANA
//! special-purpose registries define them, unless `[alerts] allow_private_targets` says
//! so. A name is resolved once, the addresses are checked, and the connection goes to a
//! checked address, so a name that resolves elsewhere the second time (DNS rebinding)
//! gains nothing.
//!
//! The check of a public subscription's target is bounded: its own resolver, a short
//! deadline, and caps on the checks in flight, service-wide and per client. A refusal says
//! the same thing whatever the reason, so nobody learns whether an internal name resolves.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tokio::sync::Semaphore;

use crate::config::DnsConfig;
use crate::dns::{LookupError, Resolver};

/// Whether `ip` is globally routable: not in any special-purpose block the IANA registries
/// mark as not global, and, for the IPv6 forms that carry an IPv4 address (IPv4-mapped,
/// NAT64, 6to4, Teredo), the IPv4 address it leads to is global too.
pub fn is_global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_global_v4(v4),
        IpAddr::V6(v6) => is_global_v6(v6),
    }
}

fn is_global_v4(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    let refused = a == 0
        || a == 10
        || a == 127
        || a >= 224 // multicast 224/4, reserved 240/4, broadcast
        || (a == 100 && (64..128).contains(&b)) // shared address space
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 168)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // TEST-NET-1
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // TEST-NET-2
        || (a == 203 && b == 0 && c == 113); // TEST-NET-3
    !refused
}

fn is_global_v6(v6: Ipv6Addr) -> bool {
    let s = v6.segments();
    let embedded = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    // IPv4-mapped ::ffff:0:0/96 leads to its IPv4 address.
    if let Some(v4) = v6.to_ipv4_mapped() {
        return is_global_v4(v4);
    }
    // NAT64 well-known prefix 64:ff9b::/96: a gateway forwards to the embedded IPv4.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_global_v4(embedded(s[6], s[7]));
    }
    // Everything else outside global unicast 2000::/3 is special: ::/96 (unspecified,
    // loopback, the deprecated IPv4-compatible form), local-use NAT64 64:ff9b:1::/48,
    // discard 100::/64, SRv6 5f00::/16, unique local fc00::/7, link-local fe80::/10,
    // site-local fec0::/10, multicast ff00::/8.
    if s[0] & 0xe000 != 0x2000 {
        return false;
    }
    match (s[0], s[1]) {
        // Teredo 2001::/32: the server's IPv4, and the client's stored inverted.
        (0x2001, 0) => is_global_v4(embedded(s[2], s[3])) && is_global_v4(embedded(!s[6], !s[7])),
        // The rest of 2001::/23 is IETF protocol assignments; only these are global.
        (0x2001, 0x0000..=0x01ff) => {
            v6 == Ipv6Addr::new(0x2001, 1, 0, 0, 0, 0, 0, 1)
                || v6 == Ipv6Addr::new(0x2001, 1, 0, 0, 0, 0, 0, 2)
                || s[1] == 3
                || (s[1] == 4 && s[2] == 0x112)
                || (0x20..0x40).contains(&s[1])
        }
        // Documentation.
        (0x2001, 0x0db8) => false,
        // 6to4 2002::/16 reaches the IPv4 address it embeds.
        (0x2002, _) => is_global_v4(embedded(s[1], s[2])),
        // Documentation 3fff::/20.
        (0x3fff, 0x0000..=0x0fff) => false,
        _ => true,
    }
}

/// Why a target is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not an http(s) URL with a host and without credentials.
    BadUrl,
    /// Nowhere alerts may go: it does not resolve in time, or only to addresses the service
    /// may not reach. One reason for all, told the same way.
    Unreachable,
    /// Too many checks in flight, from this client or in all.
    Busy,
}

/// `url` as the alert client will read it: http or https, a host, and no `user:pass@`
/// (which the client would send as credentials to whoever answers).
pub fn parse_target(url: &str) -> Result<reqwest::Url, Refusal> {
    let parsed = reqwest::Url::parse(url).map_err(|_| Refusal::BadUrl)?;
    if !matches!(parsed.scheme(), "http" | "https")
        || parsed.host_str().is_none()
        || !parsed.username().is_empty()
        || parsed.password().is_some()
    {
        return Err(Refusal::BadUrl);
    }
    Ok(parsed)
}

/// The bounded check of public subscription targets.
pub struct TargetCheck {
    resolver: Resolver,
    allow_private: bool,
    /// Checks resolving now, service-wide.
    all: Arc<Semaphore>,
    /// Checks resolving now, by client.
    by_client: Mutex<HashMap<String, u32>>,
    per_client: u32,
    /// Checks by outcome, for `/metrics`: accepted, unreachable, bad URL, busy.
    pub counts: [AtomicU64; 4],
}

/// The outcomes [`TargetCheck::counts`] keeps, in order.
pub const CHECK_OUTCOMES: [&str; 4] = ["accepted", "unreachable", "bad_url", "busy"];

impl TargetCheck {
    /// A check through `dns`'s servers, on a resolver of its own.
    pub fn new(dns: &DnsConfig, allow_private: bool) -> Result<TargetCheck, LookupError> {
        Ok(TargetCheck {
            resolver: Resolver::new(dns, dns.check_timeout)?,
            allow_private,
            all: Arc::new(Semaphore::new(dns.checks_in_flight as usize)),
            by_client: Mutex::new(HashMap::new()),
            per_client: dns.checks_per_client,
            counts: Default::default(),
        })
    }

    /// Checks what `url` points at for `client` (its keyed hash), as the alert client will:
    /// one resolution, every address checked. Never waits for a slot: a full one is
    /// [`Refusal::Busy`] at once.
    pub async fn check(&self, client: &str, url: &str) -> Result<(), Refusal> {
        let outcome = self.check_uncounted(client, url).await;
        let i = match &outcome {
            Ok(()) => 0,
            Err(Refusal::Unreachable) => 1,
            Err(Refusal::BadUrl) => 2,
            Err(Refusal::Busy) => 3,
        };
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        outcome
    }

    async fn check_uncounted(&self, client: &str, url: &str) -> Result<(), Refusal> {
        let parsed = parse_target(url)?;
        let host = parsed.host_str().ok_or(Refusal::BadUrl)?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let ips = match host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => {
                let _mine = self.client_slot(client).ok_or(Refusal::Busy)?;
                let _any = self.all.try_acquire().map_err(|_| Refusal::Busy)?;
                self.resolver
                    .lookup(host)
                    .await
                    .map_err(|_| Refusal::Unreachable)?
            }
        };
        if ips.iter().any(|ip| self.allow_private || is_global(*ip)) {
            Ok(())
        } else {
            Err(Refusal::Unreachable)
        }
    }

    /// Appends the checks by outcome in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        use std::fmt::Write;
        out.push_str("# HELP bankstatus_target_checks_total Checks of new webhook and push targets, by outcome.\n# TYPE bankstatus_target_checks_total counter\n");
        for (outcome, n) in CHECK_OUTCOMES.iter().zip(&self.counts) {
            let _ = writeln!(
                out,
                "bankstatus_target_checks_total{{outcome=\"{outcome}\"}} {}",
                n.load(Ordering::Relaxed)
            );
        }
    }

    fn client_slot(&self, client: &str) -> Option<ClientSlot<'_>> {
        let mut by_client = self.by_client.lock().ok()?;
        let n = by_client.entry(client.to_owned()).or_default();
        if *n >= self.per_client {
            return None;
        }
        *n += 1;
        Some(ClientSlot {
            check: self,
            client: client.to_owned(),
        })
    }
}

/// One of a client's checks in flight; given back when the check ends, however it ends.
struct ClientSlot<'a> {
    check: &'a TargetCheck,
    client: String,
}

impl Drop for ClientSlot<'_> {
    fn drop(&mut self) {
        if let Ok(mut by_client) = self.check.by_client.lock() {
            if let Some(n) = by_client.get_mut(&self.client) {
                *n -= 1;
                if *n == 0 {
                    by_client.remove(&self.client);
                }
            }
        }
    }
}

/// The alert client's resolver: keeps only the addresses the service may reach. The client
/// connects to what this returns, so the check and the connection see the same answer.
struct CheckedResolver {
    resolver: Resolver,
    allow_private: bool,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let resolver = self.resolver.clone();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = resolver
                .lookup(name.as_str())
                .await?
                .into_iter()
                .filter(|ip| allow_private || is_global(*ip))
                .map(|ip| SocketAddr::new(ip, 0))
                .collect();
            if addrs.is_empty() {
                return Err(format!("{} resolves to no public address", name.as_str()).into());
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// The client every alert goes out through: the checked resolver over `dns`, no redirects
/// (a receiver cannot bounce the service into the private network), and a timeout per
/// attempt so a receiver that hangs holds up only its own delivery.
pub fn alert_client(
    dns: &DnsConfig,
    allow_private: bool,
    timeout: Duration,
) -> anyhow::Result<reqwest::Client> {
    let resolver = Resolver::new(dns, crate::dns::full_deadline(dns))?;
    Ok(reqwest::Client::builder()
        .dns_resolver(Arc::new(CheckedResolver {
            resolver,
            allow_private,
        }))
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .timeout(timeout)
        .user_agent(concat!("bankstatus/", env!("CARGO_PKG_VERSION"), " alerts"))
        .build()?)
}

/// An IP literal in a URL never reaches the resolver: it is checked here before sending,
/// and so are credentials in a target stored before they were refused.
pub fn literal_allowed(url: &reqwest::Url, allow_private: bool) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    if !url.username().is_empty() || url.password().is_some() {
        return false;
    }
    match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) => allow_private || is_global(ip),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every form the issue and the registries name, each with what it leads to.
    const NOT_GLOBAL: &[&str] = &[
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "0.1.2.3",
        "192.0.0.1",
        "192.0.0.170",
        "192.0.2.1",
        "192.88.99.1",
        "198.18.0.1",
        "198.19.255.254",
        "198.51.100.1",
        "203.0.113.1",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::",
        "::1",
        "::127.0.0.1",
        "::10.0.0.1",
        "::8.8.8.8",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::10.0.0.1",
        "64:ff9b::127.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "64:ff9b:1::a00:1",
        "64:ff9b:1:ffff::1",
        "100::1",
        "100::ffff:ffff:ffff:ffff",
        "2001::1",
        "2001:0:c000:0201::1",
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",
        "2001:2::1",
        "2001:10::1",
        "2001:db8::1",
        "2002:7f00:1::1",
        "2002:a00:1::1",
        "2002:a9fe:a9fe::1",
        "3fff::1",
        "5f00::1",
        "fc00::1",
        "fd00::1",
        "fe80::1",
        "fec0::1",
        "feff::1",
        "ff02::1",
    ];

    #[test]
    fn every_special_purpose_form_is_refused() {
        for a in NOT_GLOBAL {
            assert!(!is_global(a.parse().expect("ip")), "{a}");
        }
    }

    #[test]
    fn global_addresses_and_their_embeddings_pass() {
        for a in [
            "196.200.1.1",
            "8.8.8.8",
            "192.0.3.1",
            "198.20.0.1",
            "2a00:1450::1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2002:808:808::1",
            // Teredo with server 65.54.227.120 and client 192.0.3.1, inverted.
            "2001:0:4136:e378:8000:63bf:3fff:fcfe",
            "2001:20::1",
        ] {
            assert!(is_global(a.parse().expect("ip")), "{a}");
        }
    }

    #[test]
    fn credentials_and_other_schemes_are_bad_urls() {
        for url in [
            "ftp://example.org/",
            "https://user:pass@example.org/h",
            "https://user@example.org/h",
            "https://:pass@example.org/h",
            "mailto:a@example.org",
            "not a url",
        ] {
            assert_eq!(parse_target(url).map(|_| ()), Err(Refusal::BadUrl), "{url}");
        }
        assert!(parse_target("https://example.org/h").is_ok());
    }

    /// A check whose name server is a socket that reads nothing (kept open by the caller).
    fn check(allow_private: bool, per_client: u32) -> (TargetCheck, std::net::UdpSocket) {
        let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        let dns = DnsConfig {
            nameservers: vec![silent.local_addr().expect("addr")],
            check_timeout: Duration::from_millis(300),
            checks_per_client: per_client,
            ..DnsConfig::default()
        };
        (
            TargetCheck::new(&dns, allow_private).expect("check"),
            silent,
        )
    }

    #[tokio::test]
    async fn loopback_targets_need_the_switch() {
        let (c, _silent) = check(false, 2);
        for a in NOT_GLOBAL {
            let url = if a.contains(':') {
                format!("http://[{a}]:9/x")
            } else {
                format!("http://{a}:9/x")
            };
            assert_eq!(c.check("c", &url).await, Err(Refusal::Unreachable), "{url}");
        }
        let (open, _silent) = check(true, 2);
        assert_eq!(open.check("c", "http://127.0.0.1:9/x").await, Ok(()));
        assert_eq!(
            c.check("c", "ftp://example.org/").await,
            Err(Refusal::BadUrl)
        );
    }

    #[tokio::test]
    async fn a_silent_name_is_unreachable_by_the_deadline_and_a_client_has_few_slots() {
        let (c, _silent) = check(false, 1);
        let c = Arc::new(c);
        let first = tokio::spawn({
            let c = c.clone();
            async move { c.check("c", "https://silent.test/h").await }
        });
        // The first check holds the client's one slot until its deadline.
        let started = std::time::Instant::now();
        loop {
            if c.by_client.lock().expect("lock").contains_key("c") {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(
            c.check("c", "https://silent.test/h").await,
            Err(Refusal::Busy)
        );
        assert_eq!(first.await.expect("join"), Err(Refusal::Unreachable));
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(c.by_client.lock().expect("lock").is_empty());
        assert_eq!(c.counts[3].load(Ordering::Relaxed), 1);
    }
}
