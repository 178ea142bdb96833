//! Where the service may send alerts: never to the operator's own network (private,
//! loopback, link-local addresses) unless `[alerts] allow_private_targets` says so. A name is
//! resolved once, the addresses are checked, and the connection goes to a checked address,
//! so a name that resolves elsewhere the second time (DNS rebinding) gains nothing.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether an address belongs to a private, loopback, link-local or otherwise non-public
/// range.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                // Shared address space (carrier-grade NAT), 100.64.0.0/10.
                || (a == 100 && (64..128).contains(&b))
                // Reserved for future use, 240.0.0.0/4.
                || a >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // Unique local fc00::/7 and link-local fe80::/10.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                // Documentation 2001:db8::/32.
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

/// Why a target is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not an http(s) URL with a host.
    BadUrl,
    /// The name does not resolve.
    Unresolvable,
    /// It resolves only to addresses the service may not reach.
    Private,
}

/// Checks what a URL points at, as the client will: one resolution, every address checked.
pub async fn check_url(url: &str, allow_private: bool) -> Result<(), Refusal> {
    let parsed = reqwest::Url::parse(url).map_err(|_| Refusal::BadUrl)?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Refusal::BadUrl);
    }
    let host = parsed.host_str().ok_or(Refusal::BadUrl)?;
    let port = parsed.port_or_known_default().unwrap_or(443);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| Refusal::Unresolvable)?
            .collect(),
    };
    let allowed = addrs
        .iter()
        .filter(|a| allow_private || !is_private(a.ip()))
        .count();
    if addrs.is_empty() {
        Err(Refusal::Unresolvable)
    } else if allowed == 0 {
        Err(Refusal::Private)
    } else {
        Ok(())
    }
}

/// The alert client's resolver: keeps only the addresses the service may reach. The client
/// connects to what this returns, so the check and the connection see the same answer.
struct CheckedResolver {
    allow_private: bool,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|a| allow_private || !is_private(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!("{} resolves to no public address", name.as_str()).into());
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// The client every alert goes out through: the checked resolver, no redirects (a receiver
/// cannot bounce the service into the private network), and a timeout per attempt so a
/// receiver that hangs holds up only its own delivery.
pub fn alert_client(allow_private: bool, timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(CheckedResolver { allow_private }))
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .timeout(timeout)
        .user_agent(concat!("bankstatus/", env!("CARGO_PKG_VERSION"), " alerts"))
        .build()
}

/// An IP literal in a URL never reaches the resolver: it is checked here before sending.
pub fn literal_allowed(url: &reqwest::Url, allow_private: bool) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) => allow_private || !is_private(ip),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges_are_refused() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(a.parse().expect("ip")), "{a}");
        }
        for a in ["196.200.1.1", "8.8.8.8", "2a00:1450::1"] {
            assert!(!is_private(a.parse().expect("ip")), "{a}");
        }
    }

    #[tokio::test]
    async fn loopback_targets_need_the_switch() {
        assert_eq!(
            check_url("http://127.0.0.1:9/x", false).await,
            Err(Refusal::Private)
        );
        assert_eq!(
            check_url("http://localhost:9/x", false).await,
            Err(Refusal::Private)
        );
        assert_eq!(check_url("http://127.0.0.1:9/x", true).await, Ok(()));
        assert_eq!(
            check_url("ftp://example.org/", true).await,
            Err(Refusal::BadUrl)
        );
    }
}
