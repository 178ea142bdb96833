//! Name resolution that never waits on the blocking pool: each lookup is a query over UDP
//! (TCP when truncated) on the runtime, with a deadline. The probes, the alert deliveries
//! and the check of public subscription targets each hold their own [`Resolver`], so a name
//! whose server never answers, however often the public sends it, only ever waits in the
//! target check's own queue and never delays a probe.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::TokioResolver;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::config::DnsConfig;

/// Why a name gave no address.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("no answer for {0} within {1:?}")]
    Timeout(String, Duration),
    #[error("{0} does not resolve: {1}")]
    Failed(String, String),
}

/// An asynchronous resolver with a deadline on every lookup.
#[derive(Clone)]
pub struct Resolver {
    inner: Arc<TokioResolver>,
    deadline: Duration,
}

impl Resolver {
    /// A resolver for `config`'s name servers (the system's when it names none); each lookup
    /// ends after `config`'s tries or after `deadline`, whichever comes first.
    pub fn new(config: &DnsConfig, deadline: Duration) -> Result<Resolver, LookupError> {
        let (servers, mut opts) = if config.nameservers.is_empty() {
            // Without a readable resolv.conf the service still starts: checks of addresses
            // work, and each name fails as a dns error that says so.
            hickory_resolver::system_conf::read_system_conf().unwrap_or_else(|e| {
                tracing::warn!(error = %e, "no name servers from the system; set [dns] nameservers");
                (
                    ResolverConfig::from_parts(None, Vec::new(), NameServerConfigGroup::new()),
                    ResolverOpts::default(),
                )
            })
        } else {
            let mut group = NameServerConfigGroup::new();
            for addr in &config.nameservers {
                group.merge(NameServerConfigGroup::from_ips_clear(
                    &[addr.ip()],
                    addr.port(),
                    true,
                ));
            }
            (
                ResolverConfig::from_parts(None, Vec::new(), group),
                ResolverOpts::default(),
            )
        };
        opts.timeout = config.timeout;
        opts.attempts = config.attempts as usize;
        let inner = TokioResolver::builder_with_config(servers, TokioConnectionProvider::default())
            .with_options(opts)
            .build();
        Ok(Resolver {
            inner: Arc::new(inner),
            deadline,
        })
    }

    /// The addresses of `host`: an IP literal as it is, a name through the name servers.
    pub async fn lookup(&self, host: &str) -> Result<Vec<IpAddr>, LookupError> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        match tokio::time::timeout(self.deadline, self.inner.lookup_ip(host)).await {
            Err(_) => Err(LookupError::Timeout(host.to_owned(), self.deadline)),
            Ok(Err(e)) => Err(LookupError::Failed(host.to_owned(), e.to_string())),
            Ok(Ok(found)) => Ok(found.iter().collect()),
        }
    }
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let this = self.clone();
        Box::pin(async move {
            let ips = this.lookup(name.as_str()).await?;
            let addrs: Addrs = Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// The deadline of a lookup by the probes or alert deliveries: every try of every server.
pub fn full_deadline(config: &DnsConfig) -> Duration {
    config.timeout * config.attempts + Duration::from_millis(500)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_silent_server_ends_at_the_deadline() {
        // A bound socket that never reads: queries to it go unanswered.
        let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        let config = DnsConfig {
            nameservers: vec![silent.local_addr().expect("addr")],
            timeout: Duration::from_secs(5),
            ..DnsConfig::default()
        };
        let r = Resolver::new(&config, Duration::from_millis(300)).expect("resolver");
        let started = std::time::Instant::now();
        let e = r.lookup("bank.test").await.expect_err("no answer");
        assert!(matches!(e, LookupError::Timeout(..)), "{e}");
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(
            r.lookup("192.0.2.1").await.expect("a literal"),
            ["192.0.2.1".parse::<IpAddr>().expect("ip")]
        );
    }
}
